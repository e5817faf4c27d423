package loader

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/internal/safeopen"
	"golang.org/x/sys/unix"
)

// loadedObj is an object ld.so has mapped: the main program or a library.
type loadedObj struct {
	name   string        // as requested (DT_NEEDED), or the path for the main program
	path   string        // host path
	f      *inspect.File // nil for a library until file() opens it
	lib    *libEntry
	dyn    *inspect.Dynamic
	loader *loadedObj // the object whose DT_NEEDED pulled it in
	// preloaded marks an object already running in the process: the
	// interpreter, and for a library checked as dlopen loads it, the
	// system's ld.so and libc. They are matched by name but not mapped,
	// checked or relocated again.
	preloaded bool
	// rtld marks ld.so itself, loaded first but placed in the lookup
	// scope where a DT_NEEDED first names it (checker.rtldAt).
	rtld bool
	// system: found through ld.so.cache or the loader's own directories,
	// a library the distribution installed (not one a program bundles).
	system bool
	soname string
	origin string // $ORIGIN
	// sonameC is DT_SONAME as ld.so reads it (ldSoname), when hasSoname.
	sonameC   cstr
	hasSoname bool
	// sonameAdded: a request matched the object by its DT_SONAME, and
	// _dl_map_object added the soname to the names it matches by
	// (l_libname), which find_needed and _dl_name_match_p then use; an
	// object is not matched by its soname before that.
	sonameAdded bool
	// realName is l_name, the path ld.so opened the object by, in the
	// target system's namespace: the cache's string, or a search
	// directory as fillin_rpath keeps it followed by the name ("" for
	// what is not known, as for the program). _dl_name_match_p matches
	// it as well as the names the object was requested under.
	realName string
	// names are the names add_name_to_object gave the object when a
	// later request found the same file (l_libname beyond name).
	names []string
	// id is the file's device and inode (_dl_get_file_id), by which a
	// request found under another name is the object already loaded;
	// zero for the program and ld.so, which ld.so never gives one.
	id fileID
	// deps are the objects its DT_NEEDED entries found, in table order,
	// repeats and itself included, as _dl_map_object_deps records them
	// for the sort of l_initfini (initfini.go).
	deps []*loadedObj
	// info is l_info as elf_get_dynamic_info left it (dyninfo.go); nil
	// for objects already in the process.
	info *lInfo
	// lVersions and versyms are l_versions and l_versyms as
	// _dl_check_map_versions builds them (versions.go); nil until then,
	// and for an object without version tables.
	lVersions []lVersion
	versyms   uint64

	vers     *inspect.Versions
	versErr  error
	versDone bool
	// weakMissing maps the version indexes of weak requirements the
	// providing object does not define to their names: symbols bound
	// with them cannot be found.
	weakMissing map[uint16]string
}

// maxObjects bounds the dependency walk; real programs load < 1000.
const maxObjects = 4096

// host path + size + mtime → *loaderInfo

func (c *checker) closeAll() {
	for _, o := range c.loaded {
		if o.f != nil && o.f != c.f && (c.pool == nil || !c.pool.owns(o.f)) {
			o.f.Close()
		}
	}
	if c.pool != nil {
		c.pool.close()
	}
}

// statKey → bool

// dependencies loads every DT_NEEDED breadth-first, searching the way
// ld.so's _dl_map_object does.
func (c *checker) dependencies() {
	f := c.f
	if c.dyn == nil {
		return
	}
	abs, _ := filepath.Abs(c.path)
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	origin := filepath.Dir(abs)
	if c.opts.Loader != "" && !c.model().atLeast(42) {
		origin = givenOrigin(c.path)
	}
	main := &loadedObj{name: c.path, path: abs, f: f, dyn: c.dyn, origin: origin, info: c.info}
	main.setSoname(ldSoname(f, c.dyn))
	c.loaded = []*loadedObj{main}

	libPath := append([]string(nil), c.opts.LibraryPath...)
	var li *loaderInfo
	interp, hasInterp, _ := f.Interp()
	loaderHost := ""
	if c.opts.Loader != "" {
		interp, hasInterp, loaderHost = c.opts.Loader, true, c.opts.Loader
	} else if hasInterp {
		loaderHost = c.underRoot(interp)
		if isNixLDShim(loaderHost) {
			real := c.opts.Getenv("NIX_LD")
			if real == "" {
				c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "nix-ld-unset",
					Summary: fmt.Sprintf("the interpreter %s is nix-ld's shim, and NIX_LD is not set", interp),
					Outcome: OutcomeLoaderError, Message: "nix-ld: cannot execute binary: NIX_LD is not set",
					Next: "set NIX_LD (programs.nix-ld.enable sets it for you) and NIX_LD_LIBRARY_PATH"})
				return
			}
			c.trace("nix-ld shim: real loader %s (NIX_LD)", real)
			loaderHost = c.underRoot(real)
			if p := c.opts.Getenv("NIX_LD_LIBRARY_PATH"); p != "" {
				libPath = append(libPath, strings.Split(p, ":")...)
			}
		}
	}
	if !hasInterp {
		// A library is loaded by whatever program needs it; assume the
		// system's own loader for its machine.
		loaderHost = c.underRoot(standardInterp(f))
		if _, err := os.Stat(loaderHost); err != nil {
			loaderHost = ""
		}
	}
	var hostObjs []*loadedObj
	if c.dlopen && c.opts.LoadedBy != "" {
		var hostInterp string
		hostObjs, hostInterp = c.host()
		if hostObjs != nil {
			c.hostScope = true
			loaderHost = hostInterp
			main.loader = hostObjs[0] // dlopen's caller: its RPATH applies
			c.loaded = append(c.loaded, hostObjs...)
			for _, o := range hostObjs {
				c.libcMapped = c.libcMapped || o.soname == "libc.so.6"
			}
		}
	}
	li = describeLoader(loaderHost, f)
	c.li = li
	// Since 2.33 a program named libc.so.6 by its DT_SONAME is the
	// namespace's libc (rtld.c, or _dl_map_object_from_fd when ld.so maps
	// it as its command): no library's DT_SONAME is compared after it,
	// and it takes part in the sort of l_initfini.
	if main.hasSoname && main.sonameC.err == nil && main.sonameC.s == "libc.so.6" && c.model().atLeast(33) && !c.dlopen {
		c.libcIsProgram, c.libcMapped = true, true
	}
	// ld.so is loaded before anything else and answers to its soname, so
	// libc's DT_NEEDED on ld-linux-x86-64.so.2 finds it, not a copy.
	if c.dlopen && loaderHost != "" && hostObjs == nil {
		interp, hasInterp = standardInterp(f), true
	}
	if hostObjs != nil {
		hasInterp = false // the host's loader is among hostObjs
	}
	if hasInterp && loaderHost != "" {
		if e := c.openLib(loaderHost); e.err == nil {
			// l_name: PT_INTERP's string, or as ld.so was run.
			lo := &loadedObj{name: interp, realName: interp, path: loaderHost, lib: e, dyn: e.dyn, origin: filepath.Dir(loaderHost), preloaded: true, rtld: true,
				f: c.filePool().files[loaderHost]}
			if c.opts.Loader != "" {
				lo.realName = c.inTarget(c.opts.Loader)
			}
			c.rtldID = fileIDOf(loaderHost)
			if e.dyn != nil {
				lo.setSoname(e.ldSoname, e.hasSoname)
			}
			c.loaded = append(c.loaded, lo)
		}
	}
	var cache *LDCache
	cacheLoaded := false
	getCache := func() *LDCache {
		if !cacheLoaded {
			cacheLoaded = true
			var err error
			cache, err = readLDCacheShared(c.underRoot("/etc/ld.so.cache"))
			if err != nil && !os.IsNotExist(err) {
				c.add(Finding{Severity: SeverityWarning, Stage: StageDeps, Code: "ldcache-unreadable",
					Summary: "ld.so.cache cannot be read; ld.so ignores it too", Evidence: []string{err.Error()}})
			}
		}
		return cache
	}
	c.trace("system search path: %s", strings.Join(li.systemDirs, ":"))
	if c.dlopen && loaderHost != "" && hostObjs == nil {
		// dlopen loads the library into a process that already runs the
		// system's libc: a DT_NEEDED libc.so.6 (or a RUNPATH'd copy) is
		// that one, found as a program without RPATH found it.
		host := &loadedObj{name: "the process", dyn: &inspect.Dynamic{}, origin: "/"}
		if path, via, _, stop, _ := c.search("libc.so.6", host, nil, li, getCache); path != "" && stop == nil {
			if e := c.openLib(path); e.err == nil && e.dyn != nil {
				lo := &loadedObj{name: "libc.so.6", realName: c.realNames[path], id: fileIDOf(path), path: path, lib: e, dyn: e.dyn, origin: filepath.Dir(path), preloaded: true,
					f: c.filePool().files[path]}
				lo.setSoname(e.ldSoname, e.hasSoname)
				c.loaded = append(c.loaded, lo)
				c.libcMapped = true
				c.res.Objects = append(c.res.Objects, Object{Name: "libc.so.6", Path: path, Via: "already in the process (" + via + ")", Found: true, Soname: e.dyn.Soname, Glibc: e.glibc})
			}
		}
	}

	for i := 0; i < len(c.loaded) && !c.stop; i++ {
		obj := c.loaded[i]
		// What the process already has was loaded before dlopen: its
		// DT_NEEDED are not read again.
		if obj.dyn == nil || (c.dlopen && obj.preloaded) {
			continue
		}
		for _, nn := range c.neededOf(obj) {
			if c.stop {
				return
			}
			if nn.err != nil {
				// A library's name read outside its pages may land on
				// another object's bytes (a string of libc's, say).
				if fd, ok := c.pastMappingFinding(obj, nn.err, "a DT_NEEDED name", StageDeps, "loading what "+filepath.Base(obj.name)+" needs", false); ok {
					c.add(fd)
					return
				}
				sig := faultSignal(nn.err)
				c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "needed-unreadable", Object: obj.name,
					Summary:  fmt.Sprintf("ld.so reads the name of a library %s needs from memory that is not readable", filepath.Base(obj.name)),
					Evidence: []string{nn.err.Error()}, Outcome: OutcomeCrash, Signal: sig,
					Message: sig + " in ld.so while loading libraries (_dl_map_object_deps), before main",
					Next:    "DT_STRTAB or a DT_NEEDED entry was damaged: compare with the pristine file using `elfdoctor diff`"})
				return
			}
			// expand_dst: $ORIGIN, $LIB and $PLATFORM in the name. An
			// expanded $ORIGIN is already a path on this host.
			name, hostName := nn.name, ""
			if strings.Contains(name, "$") {
				name = c.expand(name, obj, li)
				if fromOrigin(nn.name) {
					hostName = name
				}
			}
			if l, err := c.alreadyLoaded(name); err != nil {
				if fd, ok := c.pastMappingFinding(obj, err, "a DT_SONAME", StageDeps, fmt.Sprintf("comparing %q with the DT_SONAME of every object loaded", name), false); ok {
					c.add(fd)
					return
				}
				sig := faultSignal(err)
				c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "soname-unreadable", Object: obj.name,
					Summary:  fmt.Sprintf("ld.so compares %q with the DT_SONAME of every object it has loaded, and one of those cannot be read", name),
					Evidence: []string{err.Error()}, Outcome: OutcomeCrash, Signal: sig,
					Message: sig + " in ld.so while loading libraries (_dl_map_object), before main",
					Next:    "a library's DT_STRTAB or DT_SONAME was damaged: compare it with a pristine copy using `elfdoctor diff`"})
				return
			} else if l != nil {
				obj.deps = append(obj.deps, l)
				if l.rtld && !c.rtldNeeded {
					c.rtldNeeded, c.rtldAt = true, len(c.loaded)
				}
				continue
			}
			if len(c.loaded) >= maxObjects {
				c.add(Finding{Severity: SeverityWarning, Stage: StageDeps, Code: "too-many-objects",
					Summary: fmt.Sprintf("more than %d objects; elfdoctor stopped following dependencies", maxObjects)})
				return
			}
			c.trace("find library=%s [0]; searching (needed by %s)", name, obj.name)
			var path, via string
			var tried []string
			var stop *searchStop
			var otherClass bool
			if hostName != "" {
				tried = []string{hostName}
				switch v, msg := c.verifyCandidate(hostName); v {
				case candidateOK:
					path, via = hostName, "path in DT_NEEDED"
					c.setRealName(path, c.expandWith(nn.name, c.inTarget(obj.origin), li))
				case candidateStop, candidateBlocks:
					stop = &searchStop{path: hostName, msg: msg, blocks: v == candidateBlocks}
				case candidateOtherClass:
					otherClass = true
				}
			} else {
				path, via, tried, stop, otherClass = c.search(name, obj, libPath, li, getCache)
			}
			if stop != nil && stop.blocks {
				c.res.Objects = append(c.res.Objects, Object{Name: name, Needed: obj.name})
				c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "lib-fifo", Object: obj.name,
					Summary:  fmt.Sprintf("ld.so looks for %s (needed by %s) at %s, which is a named pipe (FIFO): opening it waits for a writer, so the program hangs before main", name, obj.name, stop.path),
					Evidence: []string{fmt.Sprintf("searched: %s", strings.Join(tried, ", "))},
					Outcome:  OutcomeHangs,
					Next:     "remove the FIFO (or find what made it): ld.so opens every candidate on the library path it reaches, and a pipe is never skipped"})
				return
			}
			if stop != nil && stop.fault != nil {
				c.res.Objects = append(c.res.Objects, Object{Name: name, Needed: obj.name})
				c.add(*stop.fault)
				return
			}
			if nn.tag == dtAuxiliary && (stop != nil || path == "") {
				// "We are not interested in the error message."
				c.trace("auxiliary object=%s requested by file=%s not loaded: ld.so ignores that", name, obj.name)
				continue
			}
			if stop != nil {
				c.res.Objects = append(c.res.Objects, Object{Name: name, Needed: obj.name})
				c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "lib-bad", Object: obj.name,
					Summary:  fmt.Sprintf("ld.so finds %s (needed by %s) at %s, which is not a library it can load (%s), and stops there", name, obj.name, stop.path, stop.msg),
					Evidence: []string{fmt.Sprintf("searched: %s", strings.Join(tried, ", "))},
					Outcome:  OutcomeLoaderError, ExitStatus: 127,
					Message: fmt.Sprintf("error while loading shared libraries: %s: %s", stop.path, stop.msg),
					Next:    "remove or replace the damaged file: ld.so does not go on to the next directory after it"})
				return
			}
			if path == "" && otherClass && !c.isLibrary() {
				c.res.Objects = append(c.res.Objects, Object{Name: name, Needed: obj.name})
				other := "ELFCLASS32"
				if c.f.Class == elf.ELFCLASS32 {
					other = "ELFCLASS64"
				}
				c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "lib-wrong-class", Object: obj.name,
					Summary:  fmt.Sprintf("the only %s ld.so finds (needed by %s) is %s, not %s", name, obj.name, other, c.f.Class),
					Evidence: []string{fmt.Sprintf("searched: %s", strings.Join(tried, ", "))},
					Outcome:  OutcomeLoaderError, ExitStatus: 127,
					Message: fmt.Sprintf("error while loading shared libraries: %s: wrong ELF class: %s", name, other),
					Next:    "install the library for this program's architecture (a 64-bit program needs the 64-bit library)"})
				return
			}
			if path == "" {
				c.res.Objects = append(c.res.Objects, Object{Name: name, Needed: obj.name})
				ev := []string{fmt.Sprintf("searched: %s", strings.Join(tried, ", "))}
				summary := fmt.Sprintf("%s, needed by %s, is not found where ld.so looks", name, obj.name)
				if nn.tag == dtFilter {
					summary = fmt.Sprintf("%s, which %s names as its filtee (DT_FILTER, loaded like a needed library), is not found where ld.so looks", name, obj.name)
				}
				c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "lib-missing", Object: obj.name,
					Summary:  summary,
					Evidence: ev, Outcome: OutcomeLoaderError, ExitStatus: 127,
					Message: fmt.Sprintf("error while loading shared libraries: %s: cannot open shared object file: No such file or directory", name),
					Next:    "install the library, add its directory to LD_LIBRARY_PATH (or NIX_LD_LIBRARY_PATH under nix-ld), or run `LOADER --library-path DIR FILE`"})
				return
			}
			// _dl_map_object_from_fd: a file already loaded under
			// another name is that object, which takes the name too.
			id := fileIDOf(path)
			if l := c.loadedFile(id); l != nil {
				l.names = append(l.names, name)
				obj.deps = append(obj.deps, l)
				c.trace("  file=%s is %s, already loaded", path, l.name)
				continue
			}
			e := c.openLib(path).forMinor(li.minor)
			if e.err != nil {
				if progs, typ, ok := wrappedProgs(path, c.f.Class, c.f.ByteOrder()); ok && mapObjectError(progs, typ, li.minor) != "" {
					msg := mapObjectError(progs, typ, li.minor)
					c.res.Objects = append(c.res.Objects, Object{Name: name, Needed: obj.name})
					c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "lib-unmappable", Object: obj.name,
						Summary:  fmt.Sprintf("ld.so finds %s at %s but refuses to map it: %s", name, path, msg),
						Evidence: []string{fmt.Sprintf("e_phoff plus the size of the program headers wraps around and ends inside the first bytes ld.so read: it takes the headers from just before them (%s)", e.err)},
						Outcome:  OutcomeLoaderError, ExitStatus: 127,
						Message: fmt.Sprintf("error while loading shared libraries: %s: %s", name, msg),
						Next:    "the library's ELF header is damaged: reinstall it, or compare it with a pristine copy using `elfdoctor diff`"})
					return
				}
			}
			if e.err != nil {
				c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "lib-unreadable", Object: obj.name,
					Summary: fmt.Sprintf("%s (found at %s) cannot be loaded", name, path), Evidence: []string{e.err.Error()},
					Outcome: OutcomeLoaderError, ExitStatus: 127, Message: fmt.Sprintf("error while loading shared libraries: %s: invalid ELF header", name)})
				return
			}
			lo := &loadedObj{name: name, realName: c.realNames[path], id: id, path: path, lib: e, dyn: e.dyn, loader: obj, origin: filepath.Dir(path),
				system: via == "ld.so.cache" || via == "system search path" || c.inSystemDir(path), f: c.filePool().files[path]}
			if id != (fileID{}) && id == c.rtldID && c.ldCopy == nil {
				c.ldCopy, c.ldCopyFirst = lo, !c.rtldNeeded && !c.dlopen
			}
			if e.dyn != nil {
				lo.setSoname(e.ldSoname, e.hasSoname)
			}
			if !c.mapObject(lo, li) {
				return
			}
			c.loaded = append(c.loaded, lo)
			obj.deps = append(obj.deps, lo)
			if !c.mapLibrary(lo) {
				return
			}
			o := Object{Name: name, Path: path, Via: via, Needed: obj.name, Found: true, Soname: lo.soname}
			if lo.soname == "libc.so.6" || name == "libc.so.6" {
				o.Glibc = e.glibc
			}
			c.res.Objects = append(c.res.Objects, o)
			c.trace("  trying file=%s (%s): found", path, via)
			if nn.tag != elf.DT_NEEDED {
				// The filtee goes into the search list before the filter,
				// so its definitions come first; the replay keeps load
				// order, which would decide lookups wrongly.
				c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "filter-not-replayed", Object: obj.name, Outcome: OutcomeUndetermined,
					Possible: openBeforeMain(),
					Summary:  fmt.Sprintf("undetermined: %s names %s as a filtee (%s), which ld.so loads and searches before %s itself; elfdoctor does not replay lookups through a filter", filepath.Base(obj.name), name, inspect.DynTagName(nn.tag), filepath.Base(obj.name)),
					Evidence: []string{fmt.Sprintf("found at %s (%s)", path, via)},
					Next:     "a linker writes DT_FILTER and DT_AUXILIARY only when asked (-F, -f); if this file was not built so, its dynamic table was damaged: compare with the pristine file using `elfdoctor diff`"})
				return
			}
		}
	}
}

// alreadyLoaded replays the first loop of _dl_map_object
// (elf/dl-load.c): a name matches a loaded object by the names it was
// loaded under (_dl_name_match_p) or by its DT_SONAME. The program is
// the first object, and rtld names it "": an empty DT_NEEDED names the
// program itself, and nothing is loaded for it.
// A DT_SONAME is read, through the object's DT_STRTAB, only when the
// name does not match otherwise, and strcmp reads it only up to the
// first difference: a fault there is returned.
func (c *checker) alreadyLoaded(name string) (*loadedObj, error) {
	if c.dlopen && name == "" {
		// The process's program is first among its objects, and its
		// l_name is "": an empty name is it.
		return c.processProgram(), nil
	}
	for _, i := range c.namespaceOrder() {
		o := c.loaded[i]
		if i == 0 && !c.dlopen {
			if name == "" {
				return o, nil
			}
		} else if o.nameMatch(name) {
			return o, nil
		}
		if !o.hasSoname {
			continue
		}
		eq, err := strcmpFault(cstr{s: name}, o.sonameC)
		if err != nil {
			return nil, &readIn{obj: o, err: err}
		}
		if eq {
			o.sonameAdded = true
			return o, nil
		}
	}
	return nil, nil
}

// processProgram is the program of the process a library is dlopen'ed
// into: --loaded-by's, replayed, or one that stands for it, which
// defines nothing the replay knows of.
func (c *checker) processProgram() *loadedObj {
	if objs, _ := c.host(); c.opts.LoadedBy != "" && len(objs) > 0 {
		return objs[0]
	}
	return &loadedObj{name: "the process's program", preloaded: true}
}

// namespaceOrder gives the indices of c.loaded in the order of ld.so's
// list of loaded objects, which _dl_map_object walks to match a name:
// load order, except that under dlopen the objects the process already
// has come before the library and what it loads.
func (c *checker) namespaceOrder() []int {
	var first, rest []int
	for i, o := range c.loaded {
		if c.dlopen && o.preloaded {
			first = append(first, i)
		} else {
			rest = append(rest, i)
		}
	}
	return append(first, rest...)
}

// searchOrder gives the indices of c.loaded in the order of the global
// lookup scope, the program's l_searchlist: the order _dl_map_object_deps
// first meets each object in, breadth first over DT_NEEDED. That is load
// order, except for ld.so, mapped before everything and met where libc
// (or whatever first needs it) names it; rtld.c then moves it to that
// place in the chain. Where nothing needs it, it is left out. Only a
// program's start-up is ordered so: a library dlopen loads looks in the
// process's global scope first, then in its own, in load order.
func (c *checker) searchOrder() []int {
	if c.dlopen {
		return c.namespaceOrder()
	}
	order := make([]int, 0, len(c.loaded))
	rtld := -1
	for i, o := range c.loaded {
		if o.rtld && !c.dlopen && rtld < 0 {
			rtld = i
			continue
		}
		if rtld >= 0 && c.rtldNeeded && i == c.rtldAt {
			order = append(order, rtld)
			rtld = -2 // placed
		}
		order = append(order, i)
	}
	// Needed first by the last object loaded, it comes last; needed by
	// nothing, rtld.c takes it out of the chain, and it is in no
	// object's search list: nothing binds to its symbols.
	if rtld >= 0 && c.rtldNeeded {
		order = append(order, rtld)
	}
	return order
}

// neededName is one DT_NEEDED name as ld.so reads it, or the fault that
// reading it raises.
type neededName struct {
	name string
	err  error
	// tag is DT_NEEDED, or DT_FILTER or DT_AUXILIARY, which the same
	// walk loads in table order: a filtee that cannot be loaded stops
	// ld.so as a needed library does, an auxiliary one is skipped.
	tag elf.DynTag
}

// DT_AUXILIARY and DT_FILTER, which debug/elf does not name.
const (
	dtAuxiliary = elf.DynTag(0x7ffffffd)
	dtFilter    = elf.DynTag(0x7fffffff)
)

// neededNames reads the names of an object's DT_NEEDED entries as
// _dl_map_object_deps does: each entry whose tag is exactly DT_NEEDED,
// in table order, as a C string at l_info[DT_STRTAB] + d_val, with no
// bound from DT_STRSZ (ld.so has none). The walk stops at the first
// name that cannot be read, which is where ld.so faults.
func neededNames(f *inspect.File, d *inspect.Dynamic) []neededName {
	if d == nil {
		return nil
	}
	strtab, hasStr := d.Tag(elf.DT_STRTAB)
	m := memOf(f)
	var out []neededName
	for i, e := range d.Entries {
		if e.Tag != elf.DT_NEEDED && e.Tag != dtFilter && e.Tag != dtAuxiliary {
			continue
		}
		if !hasStr {
			// D_PTR of a null l_info[DT_STRTAB] reads the null page.
			out = append(out, neededName{err: errMem(0, "l_info[DT_STRTAB]", "no DT_STRTAB: ld.so reads through a null pointer", nil)})
			return out
		}
		s := m.cstring(m.add(strtab, e.Val), fmt.Sprintf("%s name (dynamic entry %d)", inspect.DynTagName(e.Tag), i))
		if s.err != nil {
			return append(out, neededName{err: s.err, tag: e.Tag})
		}
		out = append(out, neededName{name: s.s, tag: e.Tag})
	}
	return out
}

// ldSoname is DT_SONAME as _dl_map_object reads it to match a name:
// through DT_STRTAB without a DT_STRSZ bound. ok is false without
// DT_SONAME; a DT_SONAME that cannot be read (no DT_STRTAB: a null
// pointer) is the fault in s.err, with the bytes read before it.
func ldSoname(f *inspect.File, d *inspect.Dynamic) (s cstr, ok bool) {
	return ldDynString(f, d, elf.DT_SONAME)
}

// ldDynString is a string of the dynamic table (DT_SONAME, DT_RPATH,
// DT_RUNPATH: the last entry of the tag, as l_info keeps it) as ld.so
// reads it: through DT_STRTAB, without a DT_STRSZ bound. ok is false
// without the tag; a string that cannot be read (no DT_STRTAB: a null
// pointer) is the fault in s.err, with the bytes read before it.
func ldDynString(f *inspect.File, d *inspect.Dynamic, tag elf.DynTag) (s cstr, ok bool) {
	if d == nil {
		return cstr{}, false
	}
	idx, ok := d.Tag(tag)
	if !ok {
		return cstr{}, false
	}
	what := inspect.DynTagName(tag)
	strtab, hasStr := d.Tag(elf.DT_STRTAB)
	if !hasStr {
		return cstr{err: errMem(8, "l_info[DT_STRTAB]", "no DT_STRTAB: ld.so reads the "+what+" string through a null pointer", nil)}, true
	}
	m := memOf(f)
	return m.cstring(m.add(strtab, idx), what), true
}

// setSoname records DT_SONAME as ld.so reads it; soname keeps what
// could be read, for people.
func (o *loadedObj) setSoname(s cstr, ok bool) {
	o.sonameC, o.hasSoname = s, ok
	if ok && s.err == nil {
		o.soname = s.s
	}
}

// neededOf returns an object's DT_NEEDED names as ld.so reads them: from
// the shared cache for a library.
func (c *checker) neededOf(o *loadedObj) []neededName {
	if o.lib != nil {
		return o.lib.ldNeeded
	}
	if f, err := o.file(); err == nil {
		return neededNames(f, o.dyn)
	}
	return nil
}

// mapLibrary replays what _dl_map_object_from_fd does with a library's
// dynamic table once it is mapped: read it to DT_NULL, fill l_info
// (elf_get_dynamic_info) and set up the hash table (_dl_setup_hash). It
// returns false after a fatal finding.
func (c *checker) mapLibrary(o *loadedObj) bool {
	if o.dyn == nil || o.preloaded {
		return true
	}
	if d := o.dyn; d.Fault != nil {
		sig := faultSignal(d.Fault)
		c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "dynamic-unterminated", Object: o.name,
			Summary:  fmt.Sprintf("the dynamic table of %s has no DT_NULL before unreadable memory", filepath.Base(o.path)),
			Evidence: []string{d.Fault.Error()}, Outcome: OutcomeCrash, Signal: sig,
			Message: sig + " in ld.so while mapping " + o.path + ", before main"})
		return false
	}
	f, err := o.file()
	if err != nil {
		return true // reported when it was found
	}
	if o.info = c.getDynamicInfo(f, o.dyn, o.name); o.info == nil || !c.loadable(o.info, o.name, o.path) || !c.execStackRefused(o.lib.progs, f.Machine, o.name, o.path) || !c.phdrAgain(o, f) || !c.setupHash(f, o.info, o.name, o) {
		return false
	}
	// Since 2.32 (__libc_early_init), until libc is among the loaded
	// objects, every library's DT_SONAME is compared with "libc.so.6".
	if c.model().atLeast(32) && o.hasSoname && !c.libcMapped {
		eq, err := strcmpFault(o.sonameC, cstr{s: "libc.so.6"})
		if err != nil {
			if fd, ok := c.pastMappingFinding(o, err, "its DT_SONAME", StageDeps, "comparing the DT_SONAME of "+filepath.Base(o.path)+" with libc.so.6", false); ok {
				c.add(fd)
				return false
			}
			sig := faultSignal(err)
			c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "soname-unreadable", Object: o.name,
				Summary:  fmt.Sprintf("ld.so compares the DT_SONAME of %s with libc.so.6 once it is mapped, and cannot read it", filepath.Base(o.path)),
				Evidence: []string{err.Error()}, Outcome: OutcomeCrash, Signal: sig,
				Message: sig + " in ld.so while mapping " + o.path + ", before main (_dl_map_object_from_fd)",
				Next:    "the library's DT_STRTAB or DT_SONAME was damaged: compare it with a pristine copy using `elfdoctor diff`"})
			return false
		}
		c.libcMapped = eq
	}
	return true
}

// searchStop is a candidate that ends the search with an error, as
// open_verify's "lose" does (elf/dl-load.c): ld.so prints it and exits.
type searchStop struct {
	path, msg string
	blocks    bool // open_verify's open(2) never returns (a FIFO)
	// fault is a search path ld.so could not read (searchPath): the
	// search ends in a fault, not with a message.
	fault *Finding
}

// search returns the host path of name, how it was found, and what was
// tried, in ld.so's order (_dl_map_object and open_path, elf/dl-load.c).
// A candidate that is not an ELF object stops the search (stop); one of
// another class or machine is skipped (otherClass records the class).
func (c *checker) search(name string, obj *loadedObj, libPath []string, li *loaderInfo, cache func() *LDCache) (path, via string, tried []string, stop *searchStop, otherClass bool) {
	// check opens a candidate as open_verify does and says whether to
	// take it; a stop is recorded and ends everything.
	check := func(p string) bool {
		if stop != nil {
			return false
		}
		v, msg := c.verifyCandidate(p)
		switch v {
		case candidateOK:
			return true
		case candidateStop, candidateBlocks:
			stop = &searchStop{path: c.shown(p), msg: msg, blocks: v == candidateBlocks}
		case candidateOtherClass:
			otherClass = true
		}
		return false
	}
	if strings.Contains(name, "/") {
		// A relative name is opened from the process's working
		// directory (CheckOptions.Dir), not elfdoctor's.
		p := c.underRoot(name)
		tried = append(tried, p)
		if check(p) {
			c.setRealName(p, name)
			return p, "path in DT_NEEDED", tried, nil, false
		}
		if stop != nil {
			// open_verify's message names what it opened, as written
			// ("/usr/lib/", a DT_NEEDED cut short).
			stop.path = name
		}
		return "", "", tried, stop, otherClass
	}
	subs := c.subdirs(li)
	try := func(dirs []string, from *loadedObj, how string) string {
		for _, raw := range dirs {
			// An empty entry (fillin_rpath keeps what strsep gives) is
			// the working directory; one that expands to nothing is
			// dropped.
			d := c.expand(raw, from, li)
			if d == "" && raw != "" {
				continue
			}
			dirname := fillinDir(c.expandWith(raw, c.inTarget(from.origin), li))
			for _, sub := range subs {
				p := filepath.Join(c.underRoot(d), sub, name)
				// What ld.so tried is shown by its own name, under the
				// root: a usr-merged root resolves /lib/x86_64-linux-gnu
				// and /usr/lib/x86_64-linux-gnu to one directory, which
				// the list would otherwise name twice.
				shown := filepath.Join(c.opts.Root, d, name)
				switch {
				case fromOrigin(raw):
					// $ORIGIN expanded to the object's own directory,
					// which is already a path on this host.
					p = filepath.Join(d, sub, name)
					shown = p
				case !filepath.IsAbs(d):
					// From the working directory (CheckOptions.Dir),
					// as underRoot took it.
					shown = p
				}
				if sub == "" {
					tried = append(tried, shown)
				}
				if check(p) {
					if sub != "" {
						sub += "/"
					}
					c.setRealName(p, dirname+sub+name)
					return p
				}
				if stop != nil {
					if !filepath.IsAbs(d) && !fromOrigin(raw) {
						// open_path names what it opened as it built
						// it, from the working directory: "./." for a
						// DT_NEEDED "." in an RPATH ".", a directory
						// (seed 9320020423), not the path it resolves to.
						if sub != "" {
							sub += "/"
						}
						stop.path = dirname + sub + name
					}
					return ""
				}
			}
		}
		return ""
	}
	// DT_RPATH of the requesting object and of the objects that loaded
	// it, unless the requesting object has DT_RUNPATH (l_info's, read or
	// not: ld.so tests the tag).
	if _, ok := obj.dyn.Tag(elf.DT_RUNPATH); !ok {
		for l := obj; l != nil; l = l.loader {
			dirs, ok := c.searchPath(l, elf.DT_RPATH, name, &stop)
			if stop != nil {
				return "", "", tried, stop, otherClass
			}
			if ok {
				if p := try(dirs, l, "RPATH"); p != "" || stop != nil {
					return p, "RPATH of " + l.name, tried, stop, otherClass
				}
			}
		}
	}
	if p := try(libPath, obj, "LD_LIBRARY_PATH"); p != "" || stop != nil {
		return p, "LD_LIBRARY_PATH", tried, stop, otherClass
	}
	if dirs, ok := c.searchPath(obj, elf.DT_RUNPATH, name, &stop); stop != nil {
		return "", "", tried, stop, otherClass
	} else if ok {
		if p := try(dirs, obj, "RUNPATH"); p != "" || stop != nil {
			return p, "RUNPATH of " + obj.name, tried, stop, otherClass
		}
	}
	nodeflib := obj.dyn.Flags1&elf.DF_1_NODEFLIB != 0
	if p, ok := cache().Lookup(name, c.f); ok {
		// With DF_1_NODEFLIB the cache is still read, but an entry in one
		// of the system directories is not used.
		skip := false
		if nodeflib {
			for _, d := range li.systemDirs {
				if strings.HasPrefix(p, strings.TrimSuffix(d, "/")+"/") {
					skip = true
				}
			}
		}
		if !skip {
			hp := c.underRoot(p)
			tried = append(tried, hp+" (ld.so.cache)")
			if check(hp) {
				c.setRealName(hp, p)
				return hp, "ld.so.cache", tried, nil, false
			}
			if stop != nil {
				return "", "", tried, stop, otherClass
			}
		}
	}
	if nodeflib {
		return "", "", tried, nil, otherClass
	}
	if p := try(li.systemDirs, obj, "system search path"); p != "" || stop != nil {
		return p, "system search path", tried, stop, otherClass
	}
	return "", "", tried, nil, otherClass
}

// emptyPath says a parsed search path is an empty string, which ld.so
// ignores as a whole (an empty entry among others is the working
// directory).
func emptyPath(dirs []string) bool {
	return len(dirs) == 0 || (len(dirs) == 1 && dirs[0] == "")
}

// searchPath is o's DT_RPATH or DT_RUNPATH directories as _dl_map_object
// takes them: the program's were copied by _dl_init_paths at start-up
// (initPaths judged that read; its DT_RPATH is ignored when it has
// DT_RUNPATH), a library's are read by cache_rpath when ld.so first
// searches with them, for a name o or an object it loaded needs, and a
// string it cannot read then faults (stop.fault; seed 8110001169:
// libchain.so's DT_RPATH offset damaged, SIGSEGV before main). ok is false
// when o has no such path.
func (c *checker) searchPath(o *loadedObj, tag elf.DynTag, name string, stop **searchStop) (dirs []string, ok bool) {
	if o.dyn == nil {
		return nil, false
	}
	// Objects already in the process (a --loaded-by program and its
	// libraries) read theirs before: the parsed paths stand for them.
	if o.preloaded || (len(c.loaded) > 0 && o == c.loaded[0] && !c.dlopen) {
		if _, runpath := o.dyn.Tag(elf.DT_RUNPATH); tag == elf.DT_RPATH && runpath {
			return nil, false
		}
		if tag == elf.DT_RPATH {
			return o.dyn.Rpath, !emptyPath(o.dyn.Rpath)
		}
		return o.dyn.Runpath, !emptyPath(o.dyn.Runpath)
	}
	f, err := o.file()
	if err != nil {
		return nil, false
	}
	s, ok := ldDynString(f, o.dyn, tag)
	if !ok {
		return nil, false
	}
	if s.err == nil {
		// decompose_rpath: "Ignore empty rpaths."
		return inspect.SplitSearchPath(s.s), s.s != ""
	}
	what := inspect.DynTagName(tag)
	during := fmt.Sprintf("copying the %s string of %s to search for %s", what, filepath.Base(o.path), name)
	if fd, ok := c.pastMappingFinding(o, s.err, "its "+what+" string", StageDeps, during, false); ok {
		*stop = &searchStop{fault: &fd}
		return nil, false
	}
	sig := faultSignal(s.err)
	*stop = &searchStop{fault: &Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "search-path-unreadable", Object: o.name,
		Summary:  fmt.Sprintf("ld.so copies the %s string of %s when it first searches with it (for %s), and cannot read it", what, filepath.Base(o.path), name),
		Evidence: []string{s.err.Error()},
		Outcome:  OutcomeCrash, Signal: sig, Message: sig + " in ld.so while loading libraries (cache_rpath), before main",
		Next: fmt.Sprintf("the %s entry of %s's dynamic table was damaged: compare it with a pristine copy using `elfdoctor diff`", what, filepath.Base(o.path))}}
	return nil, false
}

// givenOrigin is the program's $ORIGIN as ld.so run as a command takes
// it before glibc 2.42: _dl_new_object cuts the path it was given at
// the last slash, after the working directory (getcwd, which resolves
// nothing the kernel did not) for a relative one, and resolves no
// symlink. A program started by the kernel, and ld.so 2.42 or later
// (which reads the path back from /proc/self/fd, BZ 25263), get the
// resolved directory instead.
func givenOrigin(p string) string {
	if !strings.HasPrefix(p, "/") {
		wd, err := syscall.Getwd()
		if err != nil {
			return filepath.Dir(p)
		}
		p = strings.TrimSuffix(wd, "/") + "/" + p
	}
	i := strings.LastIndexByte(p, '/')
	if i == 0 {
		return "/"
	}
	return p[:i]
}

// fromOrigin says whether a search directory starts with $ORIGIN, whose
// expansion is a host path (the directory the object was found in), so
// that --root must not be prefixed to it again.
func fromOrigin(d string) bool {
	return strings.HasPrefix(d, "$") && dstAt(d[1:], "ORIGIN") > 0
}

// fillinDir is a search directory as fillin_rpath keeps it: trailing
// slashes removed but for "/", and one added; empty stays empty (the
// working directory).
func fillinDir(d string) string {
	if d == "" {
		return ""
	}
	for len(d) > 1 && d[len(d)-1] == '/' {
		d = d[:len(d)-1]
	}
	if d[len(d)-1] != '/' {
		d += "/"
	}
	return d
}

// inTarget is a host path as the target system names it: under Root,
// the path inside it.
func (c *checker) inTarget(host string) string {
	p := c.shown(host)
	if c.opts.Root == "" || c.opts.Root == "/" {
		return p
	}
	rel, err := filepath.Rel(c.opts.Root, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return p
	}
	return path.Join("/", rel)
}

// expand substitutes $ORIGIN, $LIB and $PLATFORM in a search directory.
func (c *checker) expand(d string, from *loadedObj, li *loaderInfo) string {
	return c.expandWith(d, from.origin, li)
}

// expandWith is expand with origin for $ORIGIN: the host's path, or the
// one ld.so has (inTarget), for the names it gives what it opens. As
// _dl_dst_substitute (elf/dl-load.c) does, it replaces only what
// dstAt calls a DST and keeps any other '$' as it is: "$ORIGIN_x" is
// a name of its own.
func (c *checker) expandWith(d, origin string, li *loaderInfo) string {
	if !strings.Contains(d, "$") {
		return d
	}
	var b strings.Builder
	for i := 0; i < len(d); {
		if d[i] != '$' {
			b.WriteByte(d[i])
			i++
			continue
		}
		i++
		rest := d[i:]
		if n := dstAt(rest, "ORIGIN"); n > 0 {
			b.WriteString(origin)
			i += n
		} else if n := dstAt(rest, "PLATFORM"); n > 0 {
			b.WriteString(li.platform)
			i += n
		} else if n := dstAt(rest, "LIB"); n > 0 {
			b.WriteString(li.lib)
			i += n
		} else {
			b.WriteByte('$')
		}
	}
	return b.String()
}

// dstAt is is_dst (elf/dl-load.c): the length of the dynamic string
// token name at s, just after a '$', bare or in braces, or 0 when s
// does not start with one. A bare name followed by a letter, a digit
// or '_' is the start of another word, not the token.
func dstAt(s, name string) int {
	curly := strings.HasPrefix(s, "{")
	if curly {
		s = s[1:]
	}
	if !strings.HasPrefix(s, name) {
		return 0
	}
	var next byte
	if len(s) > len(name) {
		next = s[len(name)]
	}
	if curly && next != '}' {
		return 0
	}
	if next >= 'A' && next <= 'Z' || next >= 'a' && next <= 'z' || next >= '0' && next <= '9' || next == '_' {
		return 0
	}
	if curly {
		return len(name) + 2
	}
	return len(name)
}

type candidateVerdict int

const (
	candidateSkip       candidateVerdict = iota // not there, or another machine: keep searching
	candidateOtherClass                         // another ELF class: keep searching, remembered
	candidateStop                               // ld.so stops with an error
	candidateBlocks                             // ld.so's open never returns: a FIFO
	candidateOK
)

// libcABIMax is LIBC_ABI_MAX (libc-abis.h): the ELFOSABI_GNU ABI
// versions glibc accepts are below it (DEFAULT, UNIQUE, IFUNC, ABSOLUTE
// since 2.28).
const libcABIMax = 4

// verifyCandidate replays open_verify (elf/dl-load.c) on a file ld.so
// tries: a missing file is skipped; a file it can open but that is not
// an ELF object for this process stops everything with the loader's
// message; another class or machine is skipped. Only the ELF header is
// read, as ld.so does.
func (c *checker) verifyCandidate(p string) (candidateVerdict, string) {
	return c.openVerify(p, verifyRef{class: c.f.Class, data: c.f.Data, machine: c.f.Machine, li: c.li})
}

// verifyRef is what open_verify holds a file's header against: the
// class, byte order and machine ld.so itself was built for (those of the
// program it loads), and what is known of that ld.so (nil: nothing).
type verifyRef struct {
	class   elf.Class
	data    elf.Data
	machine elf.Machine
	li      *loaderInfo
	// openExec is __RTLD_OPENEXEC: the file is the program ld.so was
	// started with as a command, which may be an ET_EXEC.
	openExec bool
}

func (r verifyRef) order() binary.ByteOrder {
	if r.data == elf.ELFDATA2MSB {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// phentsize is sizeof (ElfW(Phdr)) for the reference's class.
func (r verifyRef) phentsize() uint16 {
	if r.class == elf.ELFCLASS32 {
		return 32
	}
	return 56
}

// openVerify is verifyCandidate against the reference r.
func (c *checker) openVerify(p string, r verifyRef) (candidateVerdict, string) {
	fh, err := safeopen.Regular(p)
	if err != nil {
		// open_verify opens a directory (O_RDONLY succeeds), and the
		// read of its ELF header fails with EISDIR, which stops the
		// search; rtld's own strerror (dl-minimal.c) prints errno as a
		// number, dlerror() formats it with libc's.
		fi, serr := os.Stat(p)
		switch {
		case serr != nil:
		case fi.IsDir() && c.dlopen:
			return candidateStop, "cannot read file data: Is a directory"
		case fi.IsDir():
			return candidateStop, fmt.Sprintf("cannot read file data: Error %d", syscall.EISDIR)
		case fi.Mode()&fs.ModeNamedPipe != 0:
			// open_verify opens it O_RDONLY without O_NONBLOCK, which
			// waits until something opens the pipe for writing.
			return candidateBlocks, "a named pipe"
		case fi.Mode()&fs.ModeCharDevice != 0:
			// ld.so opens a device and reads its header like a file's
			// (a library linked to /dev/null to disable it). What the
			// memory devices read is known without opening them; what
			// another device reads is not, and it is skipped as before.
			if st, ok := fi.Sys().(*syscall.Stat_t); ok && unix.Major(st.Rdev) == 1 {
				switch unix.Minor(st.Rdev) {
				case 3: // /dev/null: end of file at once
					return candidateStop, "file too short"
				case 5, 7, 8, 9: // zero, full, random, urandom: no ELF magic
					return candidateStop, "invalid ELF header"
				}
			}
		}
		return candidateSkip, ""
	}
	defer fh.Close()
	var h [64]byte
	n, _ := io.ReadFull(fh, h[:])
	want := 64
	if r.class == elf.ELFCLASS32 {
		want = 52
	}
	if n < want {
		return candidateStop, "file too short"
	}
	if string(h[:4]) != elf.ELFMAG {
		return candidateStop, "invalid ELF header"
	}
	if elf.Class(h[elf.EI_CLASS]) != r.class {
		return candidateOtherClass, ""
	}
	o := r.order()
	// The rest of e_ident is judged only when it is not as expected
	// (VALID_ELF_HEADER, VALID_ELF_ABIVERSION, the padding), in this
	// order. Debian's and Ubuntu's builds (bullseye's 2.31, bookworm's
	// 2.36 and trixie's 2.41 alike, seen in their code and in runs) skip
	// a file of another machine there, right after the class, as they
	// skip one of another class: upstream stops on the ident first.
	osabi, abiver := elf.OSABI(h[elf.EI_OSABI]), h[elf.EI_ABIVERSION]
	validABI := osabi == elf.ELFOSABI_NONE || osabi == elf.ELFOSABI_LINUX
	validABIVersion := abiver == 0 || (osabi == elf.ELFOSABI_LINUX && abiver < libcABIMax)
	pad := string(h[elf.EI_PAD:elf.EI_NIDENT]) == string(make([]byte, elf.EI_NIDENT-elf.EI_PAD))
	if elf.Data(h[elf.EI_DATA]) != r.data || h[elf.EI_VERSION] != byte(elf.EV_CURRENT) || !validABI || !validABIVersion || !pad {
		if r.li != nil && r.li.debian && elf.Machine(o.Uint16(h[18:])) != r.machine {
			return candidateSkip, ""
		}
		switch {
		case elf.Data(h[elf.EI_DATA]) != r.data:
			if r.data == elf.ELFDATA2LSB {
				return candidateStop, "ELF file data encoding not little-endian"
			}
			return candidateStop, "ELF file data encoding not big-endian"
		case h[elf.EI_VERSION] != byte(elf.EV_CURRENT):
			return candidateStop, "ELF file version ident does not match current one"
		case !validABI:
			return candidateStop, "ELF file OS ABI invalid"
		case !validABIVersion:
			return candidateStop, "ELF file ABI version invalid"
		default:
			return candidateStop, "nonzero padding in e_ident"
		}
	}
	if o.Uint32(h[20:]) != uint32(elf.EV_CURRENT) {
		return candidateStop, "ELF file version does not match current one"
	}
	if elf.Machine(o.Uint16(h[18:])) != r.machine {
		return candidateSkip, ""
	}
	typ := elf.Type(o.Uint16(h[16:]))
	if typ != elf.ET_DYN && typ != elf.ET_EXEC {
		return candidateStop, "only ET_DYN and ET_EXEC can be loaded"
	}
	phentsize := o.Uint16(h[54:])
	if r.class == elf.ELFCLASS32 {
		phentsize = o.Uint16(h[42:])
	}
	if phentsize != r.phentsize() {
		return candidateStop, "ELF file's phentsize not the expected size"
	}
	// Then the program headers: e_phnum of them (no PN_XNUM escape) at
	// e_phoff, taken from the first bytes it read (832, or 512 for a
	// 32-bit ld.so) when e_phoff + their size, in size_t arithmetic that
	// can wrap, ends within them; otherwise read with pread, and a
	// short read stops it with "cannot read file data".
	phoff, phnum, first := o.Uint64(h[32:]), uint64(o.Uint16(h[56:])), uint64(832)
	if r.class == elf.ELFCLASS32 {
		phoff, phnum, first = uint64(o.Uint32(h[28:])), uint64(o.Uint16(h[44:])), 512
	}
	if fi, err := fh.Stat(); err == nil {
		size := uint64(fi.Size())
		n := phnum * uint64(phentsize)
		end := phoff + n
		if r.class == elf.ELFCLASS32 {
			end = uint64(uint32(end))
		}
		// A pread of no bytes returns 0, as asked, at any offset
		// (seed 4102021999: e_phnum 0 and e_phoff past the end, then
		// "object file has no loadable segments").
		if end > min(size, first) && (phoff > size || n > size-phoff) && (n > 0 || (r.class == elf.ELFCLASS64 && int64(phoff) < 0)) {
			// pread64 refuses a negative offset with EINVAL, which
			// _dl_signal_error appends in the words of rtld's own
			// __strerror_r (elf/dl-minimal.c); a short read leaves
			// errno 0.
			if r.class == elf.ELFCLASS64 && int64(phoff) < 0 {
				return candidateStop, "cannot read file data: Invalid argument"
			}
			return candidateStop, "cannot read file data"
		}
		if msg := c.abiNoteRead(r, p, fh, size, phoff, phnum); msg != "" {
			return candidateStop, msg
		}
	}
	if typ == elf.ET_EXEC && !r.openExec {
		return candidateStop, "cannot dynamically load executable"
	}
	return candidateOK, ""
}

// abiNoteRead replays open_verify's search for the .note.ABI-tag, which
// glibc before 2.36 made: every PT_NOTE of at least 32 bytes aligned to
// 4 or 8 is taken from the first bytes ld.so read (832) when it lies
// within them, and read with pread otherwise, into a buffer realloc'ed
// from 64 KiB on; a short read or a refused allocation stops the search
// with "cannot read file data". What the note says (the kernel version
// it asks for) is not judged. It returns that message, or "". A note
// whose end wraps around into those first bytes makes the search walk
// ld.so's stack: that is undetermined (a finding that stops the replay).
func (c *checker) abiNoteRead(r verifyRef, path string, fh io.ReaderAt, size, phoff, phnum uint64) string {
	if r.li == nil || r.li.minor == 0 || r.li.minor >= 36 || r.class != elf.ELFCLASS64 || phnum == 0 {
		return ""
	}
	o := r.order()
	// verifyCandidate has checked that the headers lie within the file.
	const chunk = 64 // headers per read
	buf := make([]byte, chunk*56)
	for i := range phnum {
		if i%chunk == 0 {
			n := min(phnum-i, chunk) * 56
			if _, err := fh.ReadAt(buf[:n], int64(phoff+i*56)); err != nil {
				return ""
			}
		}
		ph := buf[i%chunk*56:]
		off, filesz, align := o.Uint64(ph[8:]), o.Uint64(ph[32:]), o.Uint64(ph[48:])
		if elf.ProgType(o.Uint32(ph)) != elf.PT_NOTE || filesz < 32 || (align != 4 && align != 8) {
			continue
		}
		if end := off + filesz; end <= min(size, 832) {
			if end < off {
				c.abiNoteWraps(r.li.minor, path, i, off, filesz)
				return ""
			}
			if abiTagIn(fh, off, filesz, align, o) {
				return "" // the search ends at the first ABI tag
			}
			continue
		}
		if filesz >= 64<<10 {
			// __MAX_ALLOCA_CUTOFF: realloc'ed by rtld's minimal malloc,
			// an anonymous mmap the commit accounting may refuse.
			limit, _ := commitLimit()
			if filesz > math.MaxUint64-0xfff || (limit > 0 && filesz > limit) {
				return "cannot read file data: Cannot allocate memory"
			}
			if limit == 0 {
				return ""
			}
		}
		if int64(off) < 0 {
			return "cannot read file data: Invalid argument" // pread64's EINVAL
		}
		if off > size || filesz > size-off {
			if filesz >= slowClear {
				c.abiNoteCleared(r.li.minor, path, i, filesz)
				return ""
			}
			return "cannot read file data"
		}
		if abiTagIn(fh, off, filesz, align, o) {
			return ""
		}
	}
	return ""
}

// abiTagIn walks the notes of a PT_NOTE at file offset off as open_verify
// does, looking for the GNU ABI tag (namesz 4, descsz 16, type 1,
// "GNU"): once found, ld.so looks at no other PT_NOTE. A note that leaves
// fewer than 32 bytes after it ends the walk, so a walk of size bytes
// stays inside the segment, which lies within the file; what the tag
// says (the OS, the kernel version it asks for) is not judged.
func abiTagIn(fh io.ReaderAt, off, filesz, align uint64, o binary.ByteOrder) bool {
	expected := [16]byte{4, 0, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0, 'G', 'N', 'U', 0}
	if o == binary.BigEndian {
		expected = [16]byte{0, 0, 0, 4, 0, 0, 0, 16, 0, 0, 0, 1, 'G', 'N', 'U', 0}
	}
	alignUp := func(v uint64) uint64 { return (v + align - 1) &^ (align - 1) }
	// A window over the segment, refilled as the walk moves forward.
	win := make([]byte, min(filesz, 64<<10))
	winAt, winLen := uint64(0), uint64(0)
	var h [16]byte
	for pos, size := uint64(0), filesz; ; {
		if pos < winAt || pos+16 > winAt+winLen {
			winAt = pos
			n, _ := fh.ReadAt(win[:min(uint64(len(win)), filesz-pos)], int64(off+pos))
			if winLen = uint64(n); winLen < 16 {
				return false
			}
		}
		copy(h[:], win[pos-winAt:])
		if h == expected {
			return true
		}
		next := alignUp(alignUp(12+uint64(o.Uint32(h[0:]))) + uint64(o.Uint32(h[4:])))
		if size-32 < next {
			return false
		}
		size -= next
		pos += next
	}
}

// abiNoteWraps is open_verify's ABI-note search (before 2.36) over a
// PT_NOTE whose p_offset + p_filesz wraps around to within the first
// bytes ld.so read: it takes the note from its 832-byte stack buffer at
// p_offset and walks notes, p_filesz of them as far as it knows, until
// one is the ABI tag or a read runs off the stack and faults. What lies
// past the buffer is ld.so's stack, so the outcome is not in the files:
// the library may be refused (ld.so goes on searching), accepted, or
// ld.so may fault. A linker gives every segment bytes inside the file.
// The replay stops there, so an accepted library leaves open whatever
// the rest of the load can do (seed 8180002985: a damaged hash table of
// the same library failed chain_value's first call after main).
func (c *checker) abiNoteWraps(minor int, path string, index, off, filesz uint64) {
	possible := openBeforeMain()
	if c.dlopen {
		possible = openInDlopen()
	}
	c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "abi-note-wraps", Object: path,
		Outcome:  OutcomeUndetermined,
		Possible: possible,
		Summary: fmt.Sprintf("undetermined: glibc 2.%d's ld.so looks for the ABI note of %s in a PT_NOTE whose end wraps around into the first 832 bytes it read, so it walks notes over its own stack buffer and past it, until one matches or a read faults: what lies there is ld.so's stack, and nothing in the files says which",
			minor, filepath.Base(path)),
		Evidence: []string{
			fmt.Sprintf("program header %d of %s is PT_NOTE with p_offset 0x%x and p_filesz 0x%x: their sum wraps around to 0x%x", index, path, off, filesz, off+filesz),
			"a linker gives every segment bytes inside the file",
		},
		Next: fmt.Sprintf("%s's program headers are damaged: reinstall it, or compare it with a pristine copy using `elfdoctor diff`; glibc 2.36 and later no longer look for this note", filepath.Base(path))})
}

// slowClear is the size of a note buffer whose clearing is taken to
// outlast anyone's patience: rtld's minimal free zeroes the whole block
// it frees, page by page.
const slowClear = 256 << 20

// abiNoteCleared is open_verify (before 2.36) giving up on a PT_NOTE too
// large for the file after it realloc'ed a buffer of its p_filesz: rtld's
// minimal free memsets that whole block before "cannot read file data",
// touching every page of it, which takes seconds per GiB, or more memory
// than the machine lends, so ld.so stops with the error late, seems to
// hang, or is killed.
func (c *checker) abiNoteCleared(minor int, path string, index, filesz uint64) {
	c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "abi-note-cleared", Object: path,
		Outcome:  OutcomeUndetermined,
		Possible: []Outcome{OutcomeLoaderError, OutcomeHangs, OutcomeCrash},
		Summary: fmt.Sprintf("undetermined: glibc 2.%d's ld.so allocates %s for the ABI note of %s, reads less than that, and clears the whole buffer as it frees it before it reports \"cannot read file data\": that takes seconds per GiB of memory it touches, or more memory than the machine lends, so it stops late, seems to hang, or is killed",
			minor, inspect.HumanSize(filesz), filepath.Base(path)),
		Evidence: []string{
			fmt.Sprintf("program header %d of %s is PT_NOTE with p_filesz 0x%x, past the end of the file", index, path, filesz),
			"rtld's minimal free memsets the last block it allocated (elf/dl-minimal.c)",
		},
		Next: fmt.Sprintf("%s's program headers are damaged: reinstall it, or compare it with a pristine copy using `elfdoctor diff`; glibc 2.36 and later no longer look for this note", filepath.Base(path))})
}

func (c *checker) loadedByUnreadable(err error) {
	c.add(Finding{Severity: SeverityWarning, Stage: StageDeps, Code: "loaded-by-unreadable",
		Summary: fmt.Sprintf("--loaded-by %s cannot be read; the library is checked in a process running the system's ld.so and libc", c.opts.LoadedBy), Evidence: []string{err.Error()}})
}

// host is hostProcess, replayed once: the library's own checks may need
// the process before its dependencies are loaded.
func (c *checker) host() ([]*loadedObj, string) {
	if !c.hostDone {
		c.hostDone = true
		c.hostObjs, c.hostInterp = c.hostProcess()
	}
	return c.hostObjs, c.hostInterp
}

// hostStackExecutable says whether the stack of the process a library is
// dlopen'ed into is executable: its program's stack flags ask for it
// (rtld sets dl_stack_flags from them), or a library it loaded at
// start-up did, and ld.so made it so. A process not replayed (no
// --loaded-by) is taken as one whose program asks for none, as every
// toolchain's default has been since 2005.
func (c *checker) hostStackExecutable() bool {
	if c.opts.LoadedBy == "" {
		return false
	}
	objs, _ := c.host()
	for _, o := range objs {
		if f, err := o.file(); err == nil && wantsExecStack(f.Progs, f.Machine) {
			return true
		}
	}
	return false
}

// hostProcess replays the start-up of the program named by --loaded-by
// up to the loading of its libraries, and returns its objects (the
// program first) for the library to be dlopen'ed into, and its
// interpreter's host path. It adds a finding and returns nil when the
// program cannot serve.
func (c *checker) hostProcess() ([]*loadedObj, string) {
	p := c.opts.LoadedBy
	hf, err := openELF(p)
	if err != nil {
		c.loadedByUnreadable(err)
		return nil, ""
	}
	opts := c.opts
	opts.LoadedBy, opts.Trace = "", false
	sub := &checker{opts: opts, res: &CheckResult{Path: p, Root: opts.Root}, f: hf, path: p, pool: c.filePool()}
	for _, step := range []func(){sub.kernel, sub.startup, sub.dependencies} {
		if sub.stop {
			break
		}
		step()
	}
	if f := sub.res.Fatal(); f != nil || len(sub.loaded) == 0 {
		sub.closeAll()
		hf.Close()
		why := "it loads nothing"
		if f != nil {
			why = f.Summary
		}
		c.add(Finding{Severity: SeverityWarning, Stage: StageDeps, Code: "loaded-by-fails",
			Summary: fmt.Sprintf("--loaded-by %s does not start itself (%s); the library is checked in a process running the system's ld.so and libc", p, why)})
		return nil, ""
	}
	interp := ""
	for _, o := range sub.loaded {
		o.preloaded = true
		if o.lib != nil && o.loader == nil && interp == "" {
			interp = o.path
		}
	}
	c.trace("loaded by %s: %d objects already in the process", p, len(sub.loaded))
	return sub.loaded, interp
}

// inSystemDir says a library's file is in one of the loader's system
// directories, however the search reached it (a RUNPATH naming
// /usr/lib/x86_64-linux-gnu): the distribution's library.
func (c *checker) inSystemDir(host string) bool {
	dir := path.Dir(c.inTarget(host))
	for _, d := range c.li.systemDirs {
		if path.Clean(d) == dir {
			return true
		}
	}
	return false
}

// fileID is a file's device and inode, as _dl_get_file_id reads them
// with fstat.
type fileID struct{ dev, ino uint64 }

func fileIDOf(p string) fileID {
	st, err := os.Stat(p)
	if err != nil {
		return fileID{}
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return fileID{uint64(sys.Dev), sys.Ino}
	}
	return fileID{}
}

// loadedFile is the loaded object whose file is id, if any.
func (c *checker) loadedFile(id fileID) *loadedObj {
	if id == (fileID{}) {
		return nil
	}
	for _, o := range c.loaded {
		if o.id == id {
			return o
		}
	}
	return nil
}

func (c *checker) setRealName(host, name string) {
	if c.realNames == nil {
		c.realNames = map[string]string{}
	}
	c.realNames[host] = name
}

// rtldCopy judges a second copy of ld.so (checker.ldCopy). ld.so gives
// itself no file id, so a DT_NEEDED that reaches its file under a name it
// does not answer to (another path to it, "$ORIGIN/ld-linux-x86-64.so.2")
// maps the file again as an ordinary library. When the copy enters the
// search list before ld.so does, libc's references to ld.so's variables
// (_rtld_global_ro, GLIBC_PRIVATE) bind to the copy, which was never set
// up: libc reads its zeros once relocation is over (__libc_early_init
// divides by a page size of 0 from 2.34; 2.31 faults), before main.
// Behind ld.so, the copy's symbols are found second and the program
// starts with it mapped.
func (c *checker) rtldCopy() {
	l := c.ldCopy
	if l == nil {
		return
	}
	libc, rtld := false, ""
	for _, o := range c.loaded {
		libc = libc || o.soname == "libc.so.6"
		if o.rtld {
			rtld = o.realName
		}
	}
	ev := []string{fmt.Sprintf("%s is loaded as %q (found at %s), a name ld.so, running as %q, does not answer to; ld.so tells itself apart from other files only by name", filepath.Base(l.path), l.name, l.path, rtld)}
	if !c.ldCopyFirst || !libc {
		c.add(Finding{Severity: SeverityWarning, Stage: StageDeps, Code: "ld-so-twice", Object: l.loader.name,
			Summary:  fmt.Sprintf("ld.so maps a second copy of itself for %s's DT_NEEDED %q; it comes behind ld.so in the search list, so nothing binds to it", filepath.Base(l.loader.name), l.name),
			Evidence: ev,
			Next:     "name the loader by its soname (ld-linux-x86-64.so.2) in DT_NEEDED: `patchelf --replace-needed` with that name"})
		return
	}
	if !c.model().atLeast(34) {
		// No __libc_early_init: what first reads the copy's zeros is
		// the program's own doing (__tls_get_addr's state, say), before
		// main or after it (seed 9300014165, glibc 2.31).
		c.add(Finding{Severity: SeverityFatal, Stage: StageReloc, Code: "ld-so-twice", Object: l.loader.name, Outcome: OutcomeUndetermined,
			Possible: []Outcome{OutcomeCrash, OutcomeExitCrash, OutcomeStarts},
			Summary:  fmt.Sprintf("undetermined: ld.so maps a second copy of itself for %s's DT_NEEDED %q, ahead of itself in the search list, so libc binds ld.so's variables and functions to the copy, which was never set up; this glibc has no __libc_early_init to read them at once, so the program dies when it first uses one, before main or after", filepath.Base(l.loader.name), l.name),
			Evidence: ev,
			Next:     "name the loader by its soname (ld-linux-x86-64.so.2) in DT_NEEDED: `patchelf --replace-needed` with that name"})
		return
	}
	c.add(Finding{Severity: SeverityFatal, Stage: StageReloc, Code: "ld-so-twice", Object: l.loader.name,
		Summary:  fmt.Sprintf("ld.so maps a second copy of itself for %s's DT_NEEDED %q, ahead of itself in the search list: libc binds ld.so's variables to the copy, which was never set up, and crashes before main", filepath.Base(l.loader.name), l.name),
		Evidence: ev, Outcome: OutcomeCrash,
		Message: "crash before main: libc reads ld.so's state (_rtld_global_ro) from a second, uninitialised copy of ld.so",
		Next:    "name the loader by its soname (ld-linux-x86-64.so.2) in DT_NEEDED: `patchelf --replace-needed` with that name"})
}
