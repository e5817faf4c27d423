package loader

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// loadedObj is an object ld.so has mapped: the main program or a library.
type loadedObj struct {
	name   string        // as requested (DT_NEEDED), or the path for the main program
	path   string        // host path
	f      *inspect.File // nil for a library until file() opens it
	lib    *libEntry
	dyn    *inspect.Dynamic
	loader *loadedObj // the object whose DT_NEEDED pulled it in
	soname string
	origin string // $ORIGIN

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
		if o.f != nil && o.f != c.f {
			o.f.Close()
		}
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
	main := &loadedObj{name: c.path, path: abs, f: f, dyn: c.dyn, soname: c.dyn.Soname, origin: filepath.Dir(abs)}
	c.loaded = []*loadedObj{main}

	libPath := append([]string(nil), c.opts.LibraryPath...)
	var li *loaderInfo
	interp, hasInterp, _ := f.Interp()
	loaderHost := ""
	if hasInterp {
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
	li = describeLoader(loaderHost, f)
	// ld.so is loaded before anything else and answers to its soname, so
	// libc's DT_NEEDED on ld-linux-x86-64.so.2 finds it, not a copy.
	if hasInterp && loaderHost != "" {
		if e := openLib(loaderHost); e.err == nil {
			lo := &loadedObj{name: interp, path: loaderHost, lib: e, dyn: e.dyn, origin: filepath.Dir(loaderHost)}
			if e.dyn != nil {
				lo.soname = e.dyn.Soname
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

	for i := 0; i < len(c.loaded) && !c.stop; i++ {
		obj := c.loaded[i]
		if obj.dyn == nil {
			continue
		}
		for _, name := range obj.dyn.Needed {
			if c.stop {
				return
			}
			if c.alreadyLoaded(name) != nil {
				continue
			}
			if len(c.loaded) >= maxObjects {
				c.add(Finding{Severity: SeverityWarning, Stage: StageDeps, Code: "too-many-objects",
					Summary: fmt.Sprintf("more than %d objects; elfdoctor stopped following dependencies", maxObjects)})
				return
			}
			c.trace("find library=%s [0]; searching (needed by %s)", name, obj.name)
			path, via, tried := c.search(name, obj, libPath, li, getCache)
			if path == "" {
				c.res.Objects = append(c.res.Objects, Object{Name: name, Needed: obj.name})
				ev := []string{fmt.Sprintf("searched: %s", strings.Join(tried, ", "))}
				if c.isLibrary() {
					// Whoever loads a library may supply the directory
					// (RPATH, LD_LIBRARY_PATH); it is not fatal here.
					c.add(Finding{Severity: SeverityWarning, Stage: StageDeps, Code: "lib-missing", Object: obj.name,
						Summary:  fmt.Sprintf("%s, needed by %s, is not in the default search path; the program that loads it must provide it", name, obj.name),
						Evidence: ev})
					continue
				}
				c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "lib-missing", Object: obj.name,
					Summary:  fmt.Sprintf("%s, needed by %s, is not found where ld.so looks", name, obj.name),
					Evidence: ev, Outcome: OutcomeLoaderError, ExitStatus: 127,
					Message: fmt.Sprintf("error while loading shared libraries: %s: cannot open shared object file: No such file or directory", name),
					Next:    "install the library, add its directory to LD_LIBRARY_PATH (or NIX_LD_LIBRARY_PATH under nix-ld), or run `LOADER --library-path DIR FILE`"})
				return
			}
			e := openLib(path)
			if e.err != nil {
				c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "lib-unreadable", Object: obj.name,
					Summary: fmt.Sprintf("%s (found at %s) cannot be loaded", name, path), Evidence: []string{e.err.Error()},
					Outcome: OutcomeLoaderError, ExitStatus: 127, Message: fmt.Sprintf("error while loading shared libraries: %s: invalid ELF header", name)})
				return
			}
			lo := &loadedObj{name: name, path: path, lib: e, dyn: e.dyn, loader: obj, origin: filepath.Dir(path)}
			if e.dyn != nil {
				lo.soname = e.dyn.Soname
			}
			c.loaded = append(c.loaded, lo)
			o := Object{Name: name, Path: path, Via: via, Needed: obj.name, Found: true, Soname: lo.soname}
			if lo.soname == "libc.so.6" || name == "libc.so.6" {
				o.Glibc = e.glibc
			}
			c.res.Objects = append(c.res.Objects, o)
			c.trace("  trying file=%s (%s): found", path, via)
		}
	}
}

func (c *checker) alreadyLoaded(name string) *loadedObj {
	for _, o := range c.loaded[1:] {
		if o.name == name || (o.soname != "" && o.soname == name) {
			return o
		}
	}
	return nil
}

// search returns the host path of name, how it was found, and what was
// tried, in ld.so's order.
func (c *checker) search(name string, obj *loadedObj, libPath []string, li *loaderInfo, cache func() *LDCache) (path, via string, tried []string) {
	if strings.Contains(name, "/") {
		p := name
		if !filepath.IsAbs(p) {
			p, _ = filepath.Abs(p)
		} else {
			p = c.underRoot(p)
		}
		tried = append(tried, p)
		if c.usable(p) {
			return p, "path in DT_NEEDED", tried
		}
		return "", "", tried
	}
	try := func(dirs []string, from *loadedObj, how string) string {
		for _, d := range dirs {
			d = c.expand(d, from, li)
			if d == "" {
				continue
			}
			p := filepath.Join(c.underRoot(d), name)
			if !filepath.IsAbs(d) {
				p, _ = filepath.Abs(filepath.Join(d, name))
			}
			tried = append(tried, p)
			if c.usable(p) {
				return p
			}
		}
		return ""
	}
	// DT_RPATH of the requesting object and of the objects that loaded
	// it, unless the requesting object has DT_RUNPATH.
	if len(obj.dyn.Runpath) == 0 {
		for l := obj; l != nil; l = l.loader {
			if l.dyn != nil && len(l.dyn.Rpath) > 0 && len(l.dyn.Runpath) == 0 {
				if p := try(l.dyn.Rpath, l, "RPATH"); p != "" {
					return p, "RPATH of " + l.name, tried
				}
			}
		}
	}
	if p := try(libPath, obj, "LD_LIBRARY_PATH"); p != "" {
		return p, "LD_LIBRARY_PATH", tried
	}
	if p := try(obj.dyn.Runpath, obj, "RUNPATH"); p != "" {
		return p, "RUNPATH of " + obj.name, tried
	}
	if obj.dyn.Flags1&elf.DF_1_NODEFLIB != 0 {
		return "", "", tried
	}
	if p, ok := cache().Lookup(name, c.f); ok {
		hp := c.underRoot(p)
		tried = append(tried, hp+" (ld.so.cache)")
		if c.usable(hp) {
			return hp, "ld.so.cache", tried
		}
	}
	if p := try(li.systemDirs, obj, "system search path"); p != "" {
		return p, "system search path", tried
	}
	return "", "", tried
}

// expand substitutes $ORIGIN, $LIB and $PLATFORM in a search directory.
func (c *checker) expand(d string, from *loadedObj, li *loaderInfo) string {
	if !strings.Contains(d, "$") {
		return d
	}
	r := strings.NewReplacer("${ORIGIN}", from.origin, "$ORIGIN", from.origin,
		"${LIB}", li.lib, "$LIB", li.lib, "${PLATFORM}", li.platform, "$PLATFORM", li.platform)
	return r.Replace(d)
}

// usable reports whether p is a file ld.so would accept for the main
// program: an ELF object of the same class and machine. ld.so skips
// others silently and keeps searching.
func (c *checker) usable(p string) bool {
	e := openLib(p)
	return e.err == nil && e.class == c.f.Class && e.machine == c.f.Machine && e.typ == elf.ET_DYN
}
