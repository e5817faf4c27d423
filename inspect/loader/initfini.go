package loader

import (
	"debug/elf"
	"runtime"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// The order in which ld.so relocates the objects it loaded, checks their
// ISA levels and runs their initialisers is not load order: it is the
// main map's l_initfini, the search list sorted by dependencies
// (_dl_map_object_deps, elf/dl-deps.c), walked from its end. Load order
// and l_initfini differ where an object loaded early is a dependency of
// one loaded later (the program needs libm, then libstdc++, which needs
// libm), and wherever damage makes a cycle (seed 8310002060: a DT_NEEDED
// made DT_SONAME "libc.so.6", so libstdc++'s, libm's and libgcc_s's
// requests for libc find the program, and glibc 2.36 relocates the
// program first, 2.31 libm).

// sortSteps bounds _dl_sort_maps_original's loop, which revisits an
// object at most as often as there are objects after it: tens of
// millions of steps only for thousands of objects in long cycles.
const sortSteps = 1 << 24

// initfini returns the indices of c.loaded in the order of the main
// map's l_initfini. Under dlopen the replay keeps load order, which
// dl_open_worker's own sort is not replayed to change.
func (c *checker) initfini() []int {
	if c.order == nil {
		c.order = c.sortedInitfini()
	}
	return c.order
}

func (c *checker) sortedInitfini() []int {
	if c.dlopen {
		order := make([]int, len(c.loaded))
		for i := range order {
			order[i] = i
		}
		return order
	}
	order := c.searchOrder()
	if len(order) <= 1 {
		return order
	}
	// ld.so is in the search list only where an object needs it.
	if !c.rtldNeeded {
		for j, i := range order {
			if c.loaded[i].rtld {
				order = append(order[:j:j], order[j+1:]...)
				break
			}
		}
	}
	index := make(map[*loadedObj]int, len(c.loaded))
	for i, o := range c.loaded {
		index[o] = i
	}
	deps := func(i int) []int {
		// The program's l_initfini is still empty while its list is
		// sorted: its DT_NEEDED never count.
		if i == 0 {
			return nil
		}
		out := make([]int, 0, len(c.loaded[i].deps))
		for _, d := range c.loaded[i].deps {
			out = append(out, index[d])
		}
		return out
	}
	g := c.model()
	// Since 2.33 a program whose DT_SONAME is libc.so.6 is the
	// namespace's libc_map (rtld.c, or _dl_map_object_from_fd when ld.so
	// maps it as its command), and takes part in the sort; otherwise the
	// program stays first.
	switch {
	case !g.atLeast(35):
		if c.libcIsProgram {
			sortOriginal(order, deps)
		} else {
			sortOriginal(order[1:], deps)
		}
	default:
		// glibc.rtld.dynamic_sort=2, the default since 2.35.
		sortDFS(order, deps, !c.libcIsProgram, func(i int) bool {
			// l_main_map is set only when ld.so maps the program as its
			// command; the kernel's program can be reached through a
			// dependency.
			return i == 0 && c.opts.Loader != ""
		})
	}
	return order
}

// sortOriginal is _dl_sort_maps_original (elf/dl-sort-maps.c, the only
// algorithm before 2.35): each object is moved behind the last object
// after it that depends on it, and seen[] ends the rounds a cycle would
// make endless.
func sortOriginal(maps []int, deps func(int) []int) {
	n := len(maps)
	if n <= 1 {
		return
	}
	seen := make([]uint32, n)
	i, steps := 0, 0
	for steps < sortSteps {
		steps++
		seen[i]++
		this := maps[i]
		moved, clear := false, false
		for k := n - 1; k > i && !moved; k-- {
			for _, d := range deps(maps[k]) {
				if d != this {
					continue
				}
				copy(maps[i:k], maps[i+1:k+1])
				maps[k] = this
				moved = true
				if int(seen[i+1]) > n-i {
					i++
					clear = true
					break
				}
				s := seen[i]
				copy(seen[i:k], seen[i+1:k+1])
				seen[k] = s
				break
			}
		}
		if !moved {
			if i++; i == n {
				return
			}
			clear = true
		}
		if clear {
			clear_ := seen[i:]
			for j := range clear_ {
				clear_[j] = 0
			}
		}
	}
}

// sortDFS is _dl_sort_maps_dfs: a depth-first walk from the last object
// to the first, each object placed before everything reached from it
// (reverse postorder), skipping an object marked l_main_map
// (skipAsDep). With forceFirst the object that was first is put back
// there.
func sortDFS(maps []int, deps func(int) []int, forceFirst bool, skipAsDep func(int) bool) {
	n := len(maps)
	if n == 0 {
		return
	}
	first := maps[0]
	visited := map[int]bool{}
	in := map[int]bool{}
	for _, m := range maps {
		in[m] = true
	}
	rpo := make([]int, n)
	head := n
	var walk func(m int)
	walk = func(m int) {
		if visited[m] {
			return
		}
		visited[m] = true
		for _, d := range deps(m) {
			if !visited[d] && !skipAsDep(d) {
				walk(d)
			}
		}
		// Every dependency is among the objects sorted: the search list
		// holds all of them.
		if head > 0 && in[m] {
			head--
			rpo[head] = m
		}
	}
	for i := n - 1; i >= 0 && head > 0; i-- {
		walk(maps[i])
	}
	if head != 0 {
		return // glibc asserts it never is
	}
	copy(maps, rpo)
	if forceFirst && maps[0] != first {
		i := 0
		for maps[i] != first {
			i++
		}
		copy(maps[1:i+1], maps[:i])
		maps[0] = first
	}
}

// debugName is the name LD_DEBUG prints for an object (DSO_FILENAME):
// the path a library was found at, and for the program, whose l_name is
// "", the name it was run by.
func (c *checker) debugName(o *loadedObj) string {
	if o == c.loaded[0] && !c.dlopen {
		return c.path
	}
	return c.shown(o.path)
}

// openELF opens an object as the process it runs in will map it: on
// this host's memory rules (hostMemory).
func openELF(path string) (*inspect.File, error) {
	f, err := inspect.Open(path)
	if err == nil {
		hostMemory(f)
	}
	return f, err
}

// hostMemory sets what this host's kernel makes of f's segment flags: an
// x86 object's PF_X-alone pages are execute-only under protection keys.
// An object of another machine runs under an emulator, whose rules are
// not replayed.
func hostMemory(f *inspect.File) {
	f.SetExecOnly(runtime.GOARCH == "amd64" && (f.Machine == elf.EM_X86_64 || f.Machine == elf.EM_386) && hostExecOnly())
}
