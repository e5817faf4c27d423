package inspect

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// loadedObj is an object ld.so has mapped: the main program or a library.
type loadedObj struct {
	name   string // as requested (DT_NEEDED), or the path for the main program
	path   string // host path
	f      *File
	dyn    *Dynamic
	loader *loadedObj // the object whose DT_NEEDED pulled it in
	soname string
	origin string // $ORIGIN

	vers     *Versions
	versDone bool
}

// maxObjects bounds the dependency walk; real programs load < 1000.
const maxObjects = 4096

// loaderInfo is what the interpreter's own build decides.
type loaderInfo struct {
	systemDirs []string
	lib        string // $LIB
	platform   string // $PLATFORM
}

var loaderInfoCache sync.Map // host path + size + mtime → *loaderInfo

// describeLoader learns the default search path from the interpreter:
// the SYSTEM_DIRS string compiled into glibc's ld.so, or else what
// `ld.so --help` prints (glibc ≥ 2.33; it loads no program), or else the
// usual defaults.
func describeLoader(hostPath string, f *File) *loaderInfo {
	key := hostPath
	if st, err := os.Stat(hostPath); err == nil {
		key = fmt.Sprintf("%s|%d|%d", hostPath, st.Size(), st.ModTime().UnixNano())
	}
	if v, ok := loaderInfoCache.Load(key); ok {
		return v.(*loaderInfo)
	}
	li := &loaderInfo{platform: platformFor(f)}
	if hostPath != "" {
		// The SYSTEM_DIRS string is what ld.so searches; reading it costs
		// a file read, --help costs a process.
		li.systemDirs = loaderStringDirs(hostPath)
		if li.systemDirs == nil {
			li.systemDirs = loaderHelpDirs(hostPath)
		}
	}
	if li.systemDirs == nil {
		li.systemDirs = defaultDirsFor(f)
	}
	li.lib = "lib"
	if len(li.systemDirs) > 0 {
		li.lib = strings.TrimPrefix(strings.TrimSuffix(li.systemDirs[0], "/"), "/")
	}
	loaderInfoCache.Store(key, li)
	return li
}

// standardInterp is the loader path the toolchains write for a machine.
func standardInterp(f *File) string {
	switch {
	case f.Machine == elf.EM_X86_64 && f.Class == elf.ELFCLASS64:
		return "/lib64/ld-linux-x86-64.so.2"
	case f.Machine == elf.EM_386:
		return "/lib/ld-linux.so.2"
	case f.Machine == elf.EM_AARCH64:
		return "/lib/ld-linux-aarch64.so.1"
	}
	return ""
}

func platformFor(f *File) string {
	switch f.Machine {
	case elf.EM_X86_64:
		return "x86_64"
	case elf.EM_386:
		return "i686"
	case elf.EM_AARCH64:
		return "aarch64"
	}
	return strings.ToLower(strings.TrimPrefix(f.Machine.String(), "EM_"))
}

func defaultDirsFor(f *File) []string {
	if f.Class == elf.ELFCLASS64 {
		return []string{"/lib64", "/usr/lib64", "/lib", "/usr/lib"}
	}
	return []string{"/lib", "/usr/lib"}
}

var helpDirRE = lazyRegexp(`^\s+(/\S*) \(system search path\)$`)

func loaderHelpDirs(hostPath string) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, hostPath, "--help").Output()
	if err != nil && len(out) == 0 {
		return nil
	}
	var dirs []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if m := helpDirRE().FindStringSubmatch(sc.Text()); m != nil {
			dirs = append(dirs, m[1])
		}
	}
	return dirs
}

// loaderStringDirs finds glibc's SYSTEM_DIRS, a run of NUL-separated
// absolute directory names ending in "/", in the loader's bytes.
func loaderStringDirs(hostPath string) []string {
	b, err := readCapped(hostPath, 16<<20)
	if err != nil {
		return nil
	}
	for _, anchor := range []string{"/lib/\x00/usr/lib/\x00", "/lib64/\x00/usr/lib64/\x00"} {
		i := bytes.Index(b, []byte(anchor))
		if i < 0 {
			continue
		}
		end := i + len(anchor)
		start := i
		for start > 0 {
			j := bytes.LastIndexByte(b[:start-1], 0)
			s := string(b[j+1 : start-1])
			if !strings.HasPrefix(s, "/") || !strings.HasSuffix(s, "/") {
				break
			}
			start = j + 1
		}
		var dirs []string
		for _, s := range strings.Split(string(b[start:end-1]), "\x00") {
			dirs = append(dirs, strings.TrimSuffix(s, "/"))
		}
		return dirs
	}
	return nil
}

func readCapped(path string, max int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	b := make([]byte, st.Size())
	_, err = fh.ReadAt(b, 0)
	return b, err
}

var glibcBuildRE = lazyRegexp(`\(([^)\x00]{1,80})\) (?:stable|development) release version ([0-9][0-9.]*[0-9])`)

var glibcBuildCache sync.Map

// glibcBuild returns the build string glibc compiles into both ld.so and
// libc.so.6, e.g. "Debian GLIBC 2.36-9+deb12u14, 2.36", or "".
func glibcBuild(f *File) string {
	fh, ok := f.r.(*os.File)
	if !ok {
		return ""
	}
	key := fh.Name()
	if st, err := fh.Stat(); err == nil {
		key = fmt.Sprintf("%s|%d|%d", key, st.Size(), st.ModTime().UnixNano())
	}
	if v, ok := glibcBuildCache.Load(key); ok {
		return v.(string)
	}
	build := ""
	// The string lives in .rodata; read only that section when there is
	// one, the first 16 MiB otherwise.
	off, size := uint64(0), uint64(min(f.size, 16<<20))
	for _, s := range f.Sections {
		if s.Name == ".rodata" && s.Type == elf.SHT_PROGBITS {
			off, size = s.Offset, min(s.Size, 16<<20)
		}
	}
	if b, err := f.readFull(int64(off), size, "glibc version string"); err == nil {
		if m := glibcBuildRE().FindSubmatch(b); m != nil {
			build = fmt.Sprintf("%s, %s", m[1], m[2])
		}
	}
	glibcBuildCache.Store(key, build)
	return build
}

// isNixLDShim reports whether the interpreter is nix-ld's stub, which
// execs the loader named by NIX_LD with NIX_LD_LIBRARY_PATH.
func isNixLDShim(hostPath string) bool {
	b, err := readCapped(hostPath, 8<<20)
	return err == nil && bytes.Contains(b, []byte("NIX_LD_LIBRARY_PATH"))
}

func (c *checker) closeAll() {
	for _, o := range c.loaded {
		if o.f != nil && o.f != c.f {
			o.f.Close()
		}
	}
}

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
		if lf, err := Open(loaderHost); err == nil {
			d, _ := lf.Dynamic()
			lo := &loadedObj{name: interp, path: loaderHost, f: lf, dyn: d, origin: filepath.Dir(loaderHost)}
			if d != nil {
				lo.soname = d.Soname
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
			cache, err = ReadLDCache(c.underRoot("/etc/ld.so.cache"))
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
					Evidence: ev, Outcome: OutcomeLoaderError,
					Message: fmt.Sprintf("error while loading shared libraries: %s: cannot open shared object file: No such file or directory", name),
					Next:    "install the library, add its directory to LD_LIBRARY_PATH (or NIX_LD_LIBRARY_PATH under nix-ld), or run `LOADER --library-path DIR FILE`"})
				return
			}
			lf, err := Open(path)
			if err != nil {
				c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "lib-unreadable", Object: obj.name,
					Summary: fmt.Sprintf("%s (found at %s) cannot be loaded", name, path), Evidence: []string{err.Error()},
					Outcome: OutcomeLoaderError, Message: fmt.Sprintf("error while loading shared libraries: %s: invalid ELF header", name)})
				return
			}
			d, _ := lf.Dynamic()
			lo := &loadedObj{name: name, path: path, f: lf, dyn: d, loader: obj, origin: filepath.Dir(path)}
			if d != nil {
				lo.soname = d.Soname
			}
			c.loaded = append(c.loaded, lo)
			o := Object{Name: name, Path: path, Via: via, Needed: obj.name, Found: true, Soname: lo.soname}
			if lo.soname == "libc.so.6" || name == "libc.so.6" {
				o.Glibc = glibcBuild(lf)
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
	lf, err := Open(p)
	if err != nil {
		return false
	}
	defer lf.Close()
	return lf.Class == c.f.Class && lf.Machine == c.f.Machine && lf.Type == elf.ET_DYN
}

// glibcMatch reports an interpreter and libc.so.6 from different glibc
// builds: libc reaches into ld.so's private data, whose layout changes
// between builds.
func (c *checker) glibcMatch() {
	var ld, libc *Object
	for i := range c.res.Objects {
		o := &c.res.Objects[i]
		if i == 0 && o.Glibc != "" {
			ld = o
		}
		if o.Soname == "libc.so.6" || o.Name == "libc.so.6" {
			libc = o
		}
	}
	if ld == nil || libc == nil || libc.Glibc == "" || ld.Glibc == libc.Glibc {
		return
	}
	c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "glibc-mismatch",
		Summary:  fmt.Sprintf("the interpreter and libc.so.6 come from different glibc builds (%s vs %s)", ld.Glibc, libc.Glibc),
		Evidence: []string{fmt.Sprintf("interpreter %s: %s", ld.Path, ld.Glibc), fmt.Sprintf("libc.so.6 %s (via %s): %s", libc.Path, libc.Via, libc.Glibc)},
		Outcome:  OutcomeCrash, Signal: "SIGSEGV",
		Message: "crashes in ld.so or in libc's initialisation, before main",
		Next:    "use the loader that belongs to the libc you load: point PT_INTERP (or NIX_LD) at the same glibc as the library path"})
}

// lazyRegexp compiles a pattern on first use rather than at start-up:
// every command pays for package initialisation, few need every pattern.
func lazyRegexp(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}
