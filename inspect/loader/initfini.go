package loader

import "slices"

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

// sortSteps bounds the dependencies _dl_sort_maps_original compares.
// Its rounds end (an object is revisited at most as often as there are
// objects after it), but thousands of objects in one cycle take
// billions of comparisons; past the bound the order is left where the
// sort had got to.
const sortSteps = 1 << 25

// initfini returns the indices of c.loaded in the order of l_initfini:
// the main map's, or under dlopen the library's, whose _dl_init runs
// initialisers from its end.
func (c *checker) initfini() []int {
	if c.order == nil {
		c.order = c.sortedInitfini()
	}
	return c.order
}

// relocOrder returns the indices of c.loaded in the order whose end
// ld.so relocates first: l_initfini, but for dlopen before glibc 2.33,
// where dl_open_worker sorts the library and the objects loaded after it,
// in load order, with _dl_sort_maps_original and no object kept first.
// From 2.39 rtld.c relocates the namespace's libc before walking
// l_initfini (glibc commit 78ca44da01, bug 31083): that matters where
// libc is not last in it, as when the program is libc (seed 9320000284).
func (c *checker) relocOrder() []int {
	if !c.dlopen {
		order := c.initfini()
		if k := c.libcMap(); k >= 0 && c.model().atLeast(39) {
			if j := slices.Index(order, k); j >= 0 {
				order = append(slices.Delete(slices.Clone(order), j, j+1), k)
			}
		}
		return order
	}
	if c.model().atLeast(33) {
		return c.initfini()
	}
	var maps []int
	for i, o := range c.loaded {
		if !o.preloaded {
			maps = append(maps, i)
		}
	}
	lib := c.initfini()
	deps := c.depsOf()
	sortOriginal(maps, func(i int) []int {
		if i == 0 {
			return lib // the library's l_initfini is its sorted search list by now
		}
		return deps(i)
	})
	return maps
}

// libcMap is the index in c.loaded of the namespace's libc_map: the
// program when its DT_SONAME made it libc (libcIsProgram), else the first
// object loaded whose DT_SONAME is libc.so.6 (_dl_map_object_from_fd);
// -1 when there is none.
func (c *checker) libcMap() int {
	if c.libcIsProgram {
		return 0
	}
	for i, o := range c.loaded {
		if i > 0 && o.hasSoname && o.soname == "libc.so.6" {
			return i
		}
	}
	return -1
}

// depsOf returns, for an index of c.loaded, the indices of the objects
// its DT_NEEDED entries found.
func (c *checker) depsOf() func(int) []int {
	index := make(map[*loadedObj]int, len(c.loaded))
	for i, o := range c.loaded {
		index[o] = i
	}
	return func(i int) []int {
		out := make([]int, 0, len(c.loaded[i].deps))
		for _, d := range c.loaded[i].deps {
			out = append(out, index[d])
		}
		return out
	}
}

func (c *checker) sortedInitfini() []int {
	if c.dlopen {
		return c.dlopenInitfini()
	}
	order := c.searchOrder()
	if len(order) <= 1 {
		return order
	}
	all := c.depsOf()
	deps := func(i int) []int {
		// The program's l_initfini is still empty while its list is
		// sorted: its DT_NEEDED never count.
		if i == 0 {
			return nil
		}
		return all(i)
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

// dlopenInitfini is the library's l_initfini under dlopen: its search
// list (the library, then breadth first what each object needs, the
// process's objects among them where first needed) sorted as the
// program's is, the library kept first. The objects the process already
// has carry no dependencies here: loaded before, they only reach each
// other, so where the sort places them (and l_main_map, which stops the
// depth-first walk at the process's program) moves no new object.
func (c *checker) dlopenInitfini() []int {
	all := c.depsOf()
	deps := func(i int) []int {
		if i == 0 || c.loaded[i].preloaded {
			return nil // the library's own list is being built
		}
		return all(i)
	}
	seen := map[int]bool{0: true}
	list := []int{0}
	for j := 0; j < len(list); j++ {
		for _, d := range all(list[j]) {
			if !seen[d] && (list[j] == 0 || !c.loaded[list[j]].preloaded) {
				seen[d] = true
				list = append(list, d)
			}
		}
	}
	if !c.model().atLeast(35) {
		sortOriginal(list[1:], deps)
		return list
	}
	sortDFS(list, deps, true, func(int) bool { return false })
	return list
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
			ds := deps(maps[k])
			if steps += len(ds); steps >= sortSteps {
				return
			}
			for _, d := range ds {
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
