package loader

import (
	"slices"
	"testing"
)

// The sorts on the graph of seed 8310002060, worked through by hand from
// elf/dl-sort-maps.c: 0 the program (named libc.so.6), 1 libstdc++, 2
// libgcc_s, 3 libm, 4 ld.so; libstdc++ needs libm, the program, ld.so
// and libgcc_s; libgcc_s the program; libm the program and ld.so.
// TestInitfiniOrder checks the sorts against the real loaders.
func TestSortMapsByHand(t *testing.T) {
	deps := map[int][]int{1: {1, 3, 0, 4, 2}, 2: {2, 0}, 3: {3, 0, 4}}
	of := func(i int) []int { return deps[i] }

	orig := []int{0, 1, 2, 3, 4}
	sortOriginal(orig[1:], of)
	if want := []int{0, 1, 2, 3, 4}; !slices.Equal(orig, want) {
		t.Errorf("original, program kept first: %v, want %v", orig, want)
	}
	// 2.36 and later: the program is libc_map, so not forced first, and
	// the kernel's program has no l_main_map: libm reaches it.
	dfs := []int{0, 1, 2, 3, 4}
	sortDFS(dfs, of, false, func(int) bool { return false })
	if want := []int{1, 2, 3, 0, 4}; !slices.Equal(dfs, want) {
		t.Errorf("depth-first: %v, want %v (the program relocated right after ld.so)", dfs, want)
	}
	forced := []int{0, 1, 2, 3, 4}
	sortDFS(forced, of, true, func(int) bool { return false })
	if want := []int{0, 1, 2, 3, 4}; !slices.Equal(forced, want) {
		t.Errorf("depth-first, program forced first: %v, want %v", forced, want)
	}
	// With l_main_map (ld.so's command) the walk never enters the program.
	skip := []int{0, 1, 2, 3, 4}
	sortDFS(skip, of, false, func(i int) bool { return i == 0 })
	if want := []int{0, 1, 2, 3, 4}; !slices.Equal(skip, want) {
		t.Errorf("depth-first, l_main_map: %v, want %v", skip, want)
	}
}

// A ring of a thousand objects, each needing the next, is sorted to the
// end and stays a permutation: the original sort's seen counts end a
// cycle's rounds, and sortSteps bounds the comparisons they allow.
func TestSortMapsRing(t *testing.T) {
	const n = 1000
	of := func(i int) []int { return []int{i, (i + 1) % n} }
	for name, sort := range map[string]func([]int){
		"original": func(m []int) { sortOriginal(m, of) },
		"dfs":      func(m []int) { sortDFS(m, of, true, func(int) bool { return false }) },
	} {
		m := make([]int, n)
		for i := range m {
			m[i] = i
		}
		sort(m)
		got := slices.Clone(m)
		slices.Sort(got)
		for i := range got {
			if got[i] != i {
				t.Fatalf("%s: not a permutation: %v...", name, m[:10])
			}
		}
	}
}
