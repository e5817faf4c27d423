package fix

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Bounds on the search. Real programs need tens of libraries and a
// store offers a handful of builds of each; the bounds are far above
// that and only stop a hostile or pathological set of roots.
const (
	maxSteps           = 20000
	maxCandidatesPerSo = 64
	maxReasons         = 200
)

// solver chooses one file per library name.
type solver struct {
	ix    *index
	prog  *object
	cache map[string]*object // by path
	errs  map[string]error   // candidates that cannot be read, by path

	loader      *object
	loaderNames map[string]bool // names the loader answers to (PT_INTERP's file name, its soname)

	// roots are the objects whose DT_NEEDED the search starts from, in
	// the order ld.so loads their closures: the program; for an addon,
	// the host (or the process assumed) and then the addon, which dlopen
	// loads after the host's start-up.
	roots []*object
	// origins are the roots' $ORIGIN: the directory of their absolute
	// path, which their object's path (as given) may not say.
	origins map[*object]string
	// implicitDir, for an addon planned without a host, is the directory
	// of the assumed process's loader and libc: the process already has
	// them, so it is not put on the library path.
	implicitDir string
	// process is the assumed process's root (an addon planned without a
	// host): what it needs (libc.so.6) is loaded before dlopen runs.
	process *object
	// viaRunpath maps a candidate found only through a DT_RUNPATH to the
	// object whose RUNPATH holds it.
	viaRunpath map[string]*object
	// viaRpath maps a candidate ld.so takes through a DT_RPATH, before
	// the library path, to the object whose RPATH holds it.
	viaRpath map[string]*object
	// rpath turns on rpathFile: for an addon's plan only, so that a
	// program's plan stays as it was (a DT_RPATH is then left to the
	// replay; docs/decisions.md).
	rpath bool
	// parent is l_loader as the last walk found it: the object whose
	// DT_NEEDED first pulled each object in. A root's is nil, but for the
	// addon, whose is the host program (dlopen's caller, as check has it).
	parent map[*object]*object

	steps     int
	exhausted bool
	// refused records, per candidate, the first reason it was passed
	// over, in the order met; keyed by loader, since a candidate refused
	// under one loader may be fine under another.
	refused map[string][]Refusal
	seen    map[string]bool
}

// assignment maps a library name to the object chosen for it. Names the
// loader answers to are not in it.
type assignment map[string]*object

func (s *solver) refuse(name, path, reason string) {
	ld := ""
	if s.loader != nil {
		ld = s.loader.path
	}
	key := ld + "\x00" + path + "\x00" + reason
	if s.seen[key] || len(s.refused[ld]) >= maxReasons {
		return
	}
	s.seen[key] = true
	s.refused[ld] = append(s.refused[ld], Refusal{Loader: ld, Name: name, Path: path, Reason: reason})
}

// open reads a candidate once.
func (s *solver) open(p string) (*object, error) {
	if o, ok := s.cache[p]; ok {
		return o, nil
	}
	if err, ok := s.errs[p]; ok {
		return nil, err
	}
	o, err := readObject(p)
	if err != nil {
		s.errs[p] = err
		return nil, err
	}
	s.cache[p] = o
	return o, nil
}

// candidates returns the files named name that ld.so would accept for
// the program, in preference order. Files of another class, byte order
// or machine are skipped, as open_verify skips them; files that are not
// ELF at all are refused (ld.so would stop on them, see order).
func (s *solver) candidates(name string, by *object) []*object {
	var out []*object
	if o, from := s.rpathFile(name, by); o != nil {
		// ld.so searches DT_RPATH before the library path and takes
		// the first file it finds there: no other file is a choice.
		s.viaRpath[o.path] = from
		return []*object{o}
	}
	real := map[string]bool{}
	paths := s.ix.byName[name]
	// ld.so searches the requesting object's DT_RUNPATH after the
	// library path (_dl_map_object): a vendor's lib/ found through
	// $ORIGIN need not be a root, nor be on the path.
	if by != nil {
		for _, p := range s.runpathFiles(name, by) {
			if !contains(paths, p) {
				paths = append(paths, p)
				s.viaRunpath[p] = by
			}
		}
	}
	if strings.Contains(name, "/") {
		// _dl_map_object opens a name with a slash as it is, relative
		// to the working directory: nothing is searched.
		paths = []string{name}
	}
	// glibc's libraries beside a loader named with --loader outside the
	// roots are its own build's: offer them first.
	// The loader's own directory is the one its links lead to: Debian's
	// /lib64/ld-linux-x86-64.so.2 stands for the file beside libc.so.6.
	if s.loader != nil {
		if p := filepath.Join(filepath.Dir(s.loader.real), name); !contains(paths, p) {
			if _, err := os.Lstat(p); err == nil {
				paths = append([]string{p}, paths...)
			}
		}
	}
	for _, p := range paths {
		if len(out) >= maxCandidatesPerSo {
			s.refuse(name, p, fmt.Sprintf("more than %d candidates for %s: the rest were not considered", maxCandidatesPerSo, name))
			break
		}
		o, err := s.open(p)
		if err != nil {
			s.refuse(name, p, fmt.Sprintf("cannot be loaded: %v", err))
			continue
		}
		if o.class != s.prog.class || o.data != s.prog.data || o.machine != s.prog.machine {
			s.refuse(name, p, fmt.Sprintf("is %s %s %s, the program %s %s %s", o.class, o.data, o.machine, s.prog.class, s.prog.data, s.prog.machine))
			continue
		}
		if real[o.real] {
			continue // the same file reached by another link: no new choice
		}
		real[o.real] = true
		out = append(out, o)
	}
	return out
}

// rpathFile replays the DT_RPATH part of _dl_map_object (elf/dl-load.c)
// for name needed by by: unless by has a DT_RUNPATH, the RPATH of by, of
// the object that loaded it, and on up, then the main program's, each
// directory in order, $ORIGIN being each object's own. The first file of
// the program's class and machine found is the one ld.so opens (open_path
// skips others, as open_verify says); it is returned with the object
// whose RPATH holds it, nil when none does.
func (s *solver) rpathFile(name string, by *object) (*object, *object) {
	if !s.rpath || by == nil || by.hasRunpath || strings.Contains(name, "/") {
		return nil, nil
	}
	var chain []*object
	seen := map[*object]bool{}
	for l := by; l != nil && !seen[l] && len(chain) < maxChain; l = s.parent[l] {
		seen[l] = true
		chain = append(chain, l)
	}
	if main := s.roots[0]; main != s.process && !seen[main] {
		chain = append(chain, main)
	}
	for _, l := range chain {
		for _, d := range s.searchDirs(l.rpath, l) {
			p := filepath.Join(d, name)
			if _, err := os.Lstat(p); err != nil {
				continue
			}
			o, err := s.open(p)
			if err != nil {
				s.refuse(name, p, fmt.Sprintf("cannot be loaded: %v", err))
				continue
			}
			if o.class != s.prog.class || o.data != s.prog.data || o.machine != s.prog.machine {
				continue
			}
			return o, l
		}
	}
	return nil, nil
}

// searchDirs expands $ORIGIN in the DT_RPATH or DT_RUNPATH directories
// of by as ld.so expands it: the directory of the path the object was
// opened by, links not resolved. Directories naming $LIB or $PLATFORM,
// and relative ones, are left to the replay.
func (s *solver) searchDirs(dirs []string, by *object) []string {
	origin := filepath.Dir(by.path)
	if o, ok := s.origins[by]; ok {
		origin = o
	}
	var out []string
	for _, d := range dirs {
		d = strings.NewReplacer("${ORIGIN}", origin, "$ORIGIN", origin).Replace(d)
		if !strings.Contains(d, "$") && filepath.IsAbs(d) {
			out = append(out, d)
		}
	}
	return out
}

// maxChain bounds the walk up l_loader; the walk from a root is
// breadth-first, so no chain is longer than the objects chosen.
const maxChain = 4096

// runpathFiles lists name in each directory of by's DT_RUNPATH that
// holds it, $ORIGIN expanded as ld.so expands it: the directory of the
// path the object was opened by, links not resolved. Directories naming
// $LIB or $PLATFORM are left to the replay.
func (s *solver) runpathFiles(name string, by *object) []string {
	var out []string
	for _, d := range s.searchDirs(by.runpath, by) {
		p := filepath.Join(d, name)
		if _, err := os.Lstat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// provider returns the object that answers to file once assign is
// loaded, or nil when none is chosen yet.
func (s *solver) provider(file string, assign assignment) *object {
	if s.loaderNames[file] || s.loader.answersTo(file, "") {
		return s.loader
	}
	if o, ok := assign[file]; ok {
		return o
	}
	for name, o := range assign {
		if o.answersTo(file, name) {
			return o
		}
	}
	return nil
}

// describe names an object in messages the way ld.so's are read: the
// program by its path, a library by name and file.
func (s *solver) describe(o *object, name string) string {
	if s.isRoot(o) {
		return o.path
	}
	if o == s.loader {
		return "the loader " + o.path
	}
	return name + " from " + o.path
}

// versionMissing replays match_symbol (elf/dl-version.c) for one
// requirement: a provider without DT_VERDEF satisfies everything (ld.so
// only warns), a weak requirement is never fatal.
func versionMissing(n need, p *object) bool {
	return !n.weak && p.defs != nil && !p.defs[n.version]
}

// conflict says why c cannot be chosen for name, given what is already
// chosen, in ld.so's words where ld.so would say it; "" when it fits.
func (s *solver) conflict(c *object, name string, assign assignment) string {
	// One glibc build: glibc's objects trade GLIBC_PRIVATE symbols and
	// reach into each other's data, so every object that defines or
	// requires GLIBC_PRIVATE must come from the loader's own directory
	// (docs/decisions.md, "fix: one glibc build").
	if c.private && filepath.Dir(c.real) != filepath.Dir(s.loader.real) {
		why := fmt.Sprintf("belongs to a glibc build (it defines or requires GLIBC_PRIVATE) but not to the loader's: the loader is in %s, this file in %s", filepath.Dir(s.loader.real), filepath.Dir(c.real))
		if lb, cb := glibcBuild(s.loader.real), glibcBuild(c.real); lb != "" && cb != "" && lb != cb {
			why += fmt.Sprintf(" (builds %q and %q)", lb, cb)
		}
		return why
	}
	// What c requires of the objects already chosen (the loader too).
	for _, n := range c.needs {
		if p := s.provider(n.file, assign); p != nil && versionMissing(n, p) {
			return fmt.Sprintf("%s: version `%s' not found (required by %s)", p.path, n.version, s.describe(c, name))
		}
	}
	// What the program and the objects already chosen require of c.
	check := func(o *object, oname string) string {
		for _, n := range o.needs {
			if c.answersTo(n.file, name) && versionMissing(n, c) {
				return fmt.Sprintf("%s: version `%s' not found (required by %s)", c.path, n.version, s.describe(o, oname))
			}
		}
		return ""
	}
	for _, r := range s.roots {
		if why := check(r, ""); why != "" {
			return why
		}
	}
	if why := check(s.loader, ""); why != "" {
		return why
	}
	names := make([]string, 0, len(assign))
	for n := range assign {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if why := check(assign[n], n); why != "" {
			return why
		}
	}
	return ""
}

// loaderMissing says, as ld.so would, which version the program requires
// of the loader and the loader does not define; "" when none.
func (s *solver) loaderMissing() string {
	for _, r := range s.roots {
		for _, n := range r.needs {
			if (s.loaderNames[n.file] || s.loader.answersTo(n.file, "")) && versionMissing(n, s.loader) {
				return fmt.Sprintf("%s: version `%s' not found (required by %s)", s.loader.path, n.version, r.path)
			}
		}
	}
	return ""
}

// nameIn is the name o was chosen for in assign, "" for none.
func nameIn(assign assignment, o *object) string {
	names := make([]string, 0, len(assign))
	for n, c := range assign {
		if c == o {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// isRoot reports whether o is one of the objects the search starts from.
func (s *solver) isRoot(o *object) bool {
	for _, r := range s.roots {
		if r == o {
			return true
		}
	}
	return false
}

// next returns the first library name, in ld.so's breadth-first load
// order, that nothing chosen answers to yet, and who needs it.
func (s *solver) next(assign assignment) (string, *object) {
	name, by := "", (*object)(nil)
	s.walk(assign, func(n string, from, p *object) bool {
		if p == nil {
			name, by = n, from
			return false
		}
		return true
	})
	return name, by
}

// walk visits every DT_NEEDED name in ld.so's load order: breadth-first
// from each root in turn, the first root's closure whole before the next
// (start-up before dlopen; dlopen's walk meets what start-up loaded as
// already loaded). p is the chosen object that answers to the name, nil
// when none does yet; the walk goes on below p, and stops when visit
// returns false.
func (s *solver) walk(assign assignment, visit func(name string, from, p *object) bool) {
	seen := map[*object]bool{}
	s.parent = map[*object]*object{}
	for ri, r := range s.roots {
		if seen[r] {
			continue
		}
		seen[r] = true
		if ri > 0 && s.roots[0] != s.process {
			s.parent[r] = s.roots[0]
		}
		queue := []*object{r}
		for i := 0; i < len(queue); i++ {
			for _, n := range queue[i].needed {
				if s.loaderNames[n] {
					continue
				}
				p := s.provider(n, assign)
				if !visit(n, queue[i], p) {
					return
				}
				if p != nil && !seen[p] {
					seen[p] = true
					s.parent[p] = queue[i]
					queue = append(queue, p)
				}
			}
		}
	}
}

// solve extends assign until every name is chosen and the directories
// can be ordered, backtracking over candidates. It returns the library
// path of the first consistent set, in preference order.
func (s *solver) solve(assign assignment) ([]string, bool) {
	s.steps++
	if s.steps > maxSteps {
		s.exhausted = true
		return nil, false
	}
	name, by := s.next(assign)
	if name == "" {
		return s.order(assign)
	}
	cands := s.candidates(name, by)
	if len(cands) == 0 {
		s.refuse(name, "", fmt.Sprintf("%s, needed by %s: no usable file of that name under the --lib-root directories", name, s.describe(by, nameIn(assign, by))))
		return nil, false
	}
	// A directory already on the path is tried first: the library that
	// came in the same package as its neighbours is the likeliest fit,
	// and takes no new directory whose other files could shadow a choice.
	onPath := map[string]bool{s.loader.dir: true}
	for _, o := range assign {
		onPath[o.dir] = true
	}
	sort.SliceStable(cands, func(i, j int) bool { return onPath[cands[i].dir] && !onPath[cands[j].dir] })
	for _, c := range cands {
		if why := s.conflict(c, name, assign); why != "" {
			s.refuse(name, c.path, why)
			continue
		}
		assign[name] = c
		if dirs, ok := s.solve(assign); ok {
			return dirs, true
		}
		delete(assign, name)
		if s.exhausted {
			return nil, false
		}
	}
	return nil, false
}

// order puts the chosen libraries' directories in an order in which
// ld.so, taking the first file of each name along the path (open_path,
// elf/dl-load.c), finds every chosen file: a directory must come before
// any other on the path that also holds a file of that name ld.so would
// not skip. Among directories free to go anywhere, the order of first
// use is kept.
func (s *solver) order(assign assignment) ([]string, bool) {
	names := s.loadOrder(assign)
	var dirs []string
	pos := map[string]int{}
	for _, n := range names {
		d := assign[n].dir
		if strings.Contains(n, "/") || s.viaRunpath[assign[n].path] != nil || s.viaRpath[assign[n].path] != nil || (s.implicitDir != "" && d == s.implicitDir) {
			continue // opened by its path, found through a RUNPATH or RPATH, or already in the assumed process: not on the path
		}
		if _, ok := pos[d]; !ok {
			pos[d] = len(dirs)
			dirs = append(dirs, d)
		}
	}
	before := map[string]map[string]bool{} // before[a][b]: a must precede b
	indeg := map[string]int{}
	for _, n := range names {
		want := assign[n].dir
		if strings.Contains(n, "/") || s.viaRpath[assign[n].path] != nil {
			continue // never searched for along the path
		}
		by := s.viaRunpath[assign[n].path]
		implicit := s.implicitDir != "" && want == s.implicitDir
		if implicit && s.process != nil && contains(s.process.needed, n) {
			continue // in the process before dlopen: found by its name, never searched
		}
		if by != nil || implicit {
			// Found through a RUNPATH, or the assumed process's default
			// directories, both searched after the library path: no
			// directory on the path may hold a file of that name.
			where := "the RUNPATH"
			if by == nil {
				where = "the default directory"
			}
			for _, p := range s.ix.byName[n] {
				if _, onPath := pos[filepath.Dir(p)]; !onPath {
					continue
				}
				if o, err := s.open(p); err == nil && (o.class != s.prog.class || o.machine != s.prog.machine || o.data != s.prog.data) {
					continue
				}
				s.refuse(n, p, fmt.Sprintf("is on the library path, which ld.so searches before %s that holds the chosen %s", where, assign[n].path))
				return nil, false
			}
			continue
		}
		for _, p := range s.ix.byName[n] {
			d := filepath.Dir(p)
			if d == want {
				continue
			}
			if _, onPath := pos[d]; !onPath {
				continue
			}
			if o, err := s.open(p); err == nil && (o.class != s.prog.class || o.machine != s.prog.machine || o.data != s.prog.data) {
				continue // open_verify skips it and goes on
			}
			if before[want] == nil {
				before[want] = map[string]bool{}
			}
			if !before[want][d] {
				before[want][d] = true
				indeg[d]++
			}
		}
	}
	// Kahn's algorithm, taking the earliest-used free directory first.
	var out []string
	done := map[string]bool{}
	for len(out) < len(dirs) {
		picked := ""
		for _, d := range dirs {
			if !done[d] && indeg[d] == 0 {
				picked = d
				break
			}
		}
		if picked == "" {
			var stuck []string
			for _, d := range dirs {
				if !done[d] {
					stuck = append(stuck, d)
				}
			}
			s.refuse("", "", fmt.Sprintf("no order of the library path finds every chosen file first: each of %s holds a library another of them must provide", strings.Join(stuck, ", ")))
			return nil, false
		}
		done[picked] = true
		out = append(out, picked)
		for d := range before[picked] {
			indeg[d]--
		}
	}
	return out, true
}

// loadOrder lists the chosen names in the order ld.so loads them.
func (s *solver) loadOrder(assign assignment) []string {
	var out []string
	named := map[string]bool{}
	s.walk(assign, func(n string, _, p *object) bool {
		if p != nil && p != s.loader && !named[n] && assign[n] == p {
			named[n] = true
			out = append(out, n)
		}
		return true
	})
	return out
}
