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
	"sync/atomic"
	"syscall"
	"time"
)

// loadedObj is an object ld.so has mapped: the main program or a library.
type loadedObj struct {
	name   string // as requested (DT_NEEDED), or the path for the main program
	path   string // host path
	f      *File  // nil for a library until file() opens it
	lib    *libEntry
	dyn    *Dynamic
	loader *loadedObj // the object whose DT_NEEDED pulled it in
	soname string
	origin string // $ORIGIN

	vers     *Versions
	versErr  error
	versDone bool
	// weakMissing maps the version indexes of weak requirements the
	// providing object does not define to their names: symbols bound
	// with them cannot be found.
	weakMissing map[uint16]string
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
		if li.systemDirs == nil && runnableLoader(hostPath) {
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

// runnableLoader reports whether hostPath looks enough like a dynamic
// loader to be run with --help. PT_INTERP comes from the file being
// checked, which may be hostile: it must not make check run /usr/bin/yes.
func runnableLoader(hostPath string) bool {
	e := openLib(hostPath)
	if e.err != nil || e.typ != elf.ET_DYN || e.dyn == nil {
		return false
	}
	so := e.dyn.Soname
	return strings.HasPrefix(so, "ld-") || strings.HasPrefix(so, "ld.so") || strings.HasPrefix(so, "ld64.so")
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
	key, ok := statKey(hostPath)
	if ok {
		if v, ok := shimCache.Load(key); ok {
			return v.(bool)
		}
	}
	b, err := readCapped(hostPath, 8<<20)
	shim := err == nil && bytes.Contains(b, []byte("NIX_LD_LIBRARY_PATH"))
	if ok {
		shimCache.Store(key, shim)
	}
	return shim
}

func (c *checker) closeAll() {
	for _, o := range c.loaded {
		if o.f != nil && o.f != c.f {
			o.f.Close()
		}
	}
}

// file opens the object's file, for the rare question the cached
// library entry does not answer.
func (o *loadedObj) file() (*File, error) {
	if o.f == nil {
		f, err := Open(o.path)
		if err != nil {
			return nil, err
		}
		o.f = f
	}
	return o.f, nil
}

// statKey names a file's current contents: a library that is replaced
// (new size, time or inode) gets a new key.
func statKey(p string) (string, bool) {
	st, err := os.Stat(p)
	if err != nil {
		return "", false
	}
	ino := uint64(0)
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		ino = sys.Ino
	}
	return fmt.Sprintf("%s|%d|%d|%d", p, st.Size(), st.ModTime().UnixNano(), ino), true
}

// libEntry is what check reads from a library: its dynamic table and
// version tables. Every program on a system loads libc and a few dozen
// other libraries, so entries are shared between Check calls, keyed by
// statKey; they are never modified after they are made.
type libEntry struct {
	err     error
	class   elf.Class
	machine elf.Machine
	typ     elf.Type
	dyn     *Dynamic
	vers    *Versions
	versErr error
	glibc   string

	namesOnce sync.Once
	names     map[string]bool
	namesErr  error
}

// maxLibCache bounds the shared library cache; a system has a few
// thousand libraries.
const maxLibCache = 1 << 14

var (
	libCache  sync.Map // statKey → *libEntry
	libCached atomic.Int64
)

// openLib reads a library's tables once per version of the file.
func openLib(path string) *libEntry {
	key, ok := statKey(path)
	if ok {
		if v, ok := libCache.Load(key); ok {
			return v.(*libEntry)
		}
	}
	e := &libEntry{}
	lf, err := Open(path)
	if err != nil {
		e.err = err
		return e
	}
	defer lf.Close()
	e.class, e.machine, e.typ = lf.Class, lf.Machine, lf.Type
	e.dyn, _ = lf.Dynamic()
	e.vers, e.versErr = lf.Versions(e.dyn)
	if filepath.Base(path) == "libc.so.6" || (e.dyn != nil && e.dyn.Soname == "libc.so.6") {
		e.glibc = glibcBuild(lf)
	}
	if ok && libCached.Add(1) < maxLibCache {
		libCache.Store(key, e)
	}
	return e
}

var shimCache sync.Map // statKey → bool

// ldCacheShared holds parsed ld.so.cache files by statKey: every Check
// reads the same one.
var ldCacheShared sync.Map

func readLDCacheShared(path string) (*LDCache, error) {
	key, ok := statKey(path)
	if !ok {
		return ReadLDCache(path)
	}
	if v, ok := ldCacheShared.Load(key); ok {
		return v.(*LDCache), nil
	}
	c, err := ReadLDCache(path)
	if err == nil {
		ldCacheShared.Store(key, c)
	}
	return c, err
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
					Evidence: ev, Outcome: OutcomeLoaderError,
					Message: fmt.Sprintf("error while loading shared libraries: %s: cannot open shared object file: No such file or directory", name),
					Next:    "install the library, add its directory to LD_LIBRARY_PATH (or NIX_LD_LIBRARY_PATH under nix-ld), or run `LOADER --library-path DIR FILE`"})
				return
			}
			e := openLib(path)
			if e.err != nil {
				c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "lib-unreadable", Object: obj.name,
					Summary: fmt.Sprintf("%s (found at %s) cannot be loaded", name, path), Evidence: []string{e.err.Error()},
					Outcome: OutcomeLoaderError, Message: fmt.Sprintf("error while loading shared libraries: %s: invalid ELF header", name)})
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

// glibcMatch reports an interpreter and libc.so.6 from different glibc
// builds. libc binds GLIBC_PRIVATE symbols of ld.so, which come and go
// between releases: when one is missing, relocating libc stops with
// "symbol lookup error". When all are there, libc reaches into ld.so's
// private data, whose layout changes between builds, and start-up dies in
// a way that depends on the pair of builds: SIGSEGV, or SIGABRT when one
// of libc's own checks ("stack smashing detected") catches the damage.
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
	ev := []string{fmt.Sprintf("interpreter %s: %s", ld.Path, ld.Glibc), fmt.Sprintf("libc.so.6 %s (via %s): %s", libc.Path, libc.Via, libc.Glibc)}
	next := "use the loader that belongs to the libc you load: point PT_INTERP (or NIX_LD) at the same glibc as the library path"
	if miss := c.privateSymbolMissing(ld.Path, libc.Path); miss != nil {
		c.add(Finding{Severity: SeverityFatal, Stage: StageReloc, Code: "glibc-mismatch",
			Summary:  fmt.Sprintf("the interpreter and libc.so.6 come from different glibc builds (%s vs %s), and libc needs %s@%s, which this interpreter does not define", ld.Glibc, libc.Glibc, miss.name, miss.version),
			Evidence: ev, Outcome: OutcomeLoaderError,
			Message: fmt.Sprintf("symbol lookup error: %s: undefined symbol: %s, version %s", libc.Path, miss.name, miss.version),
			Next:    next})
		return
	}
	c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "glibc-mismatch",
		Summary:  fmt.Sprintf("the interpreter and libc.so.6 come from different glibc builds (%s vs %s)", ld.Glibc, libc.Glibc),
		Evidence: ev, Outcome: OutcomeCrash,
		Message: "crashes in ld.so or in libc's initialisation, before main: SIGSEGV, or SIGABRT when libc's own checks catch the damage (which one depends on the two builds)",
		Next:    next})
}

// privateSymbolMissing replays the binding of libc's eager relocations
// against the loader: the first symbol libc requires with a version the
// loader's file provides (GLIBC_PRIVATE, GLIBC_2.x) that the loader does
// not define, or nil.
func (c *checker) privateSymbolMissing(ldPath, libcPath string) *dynSym {
	var ldo, libco *loadedObj
	for _, o := range c.loaded {
		switch o.path {
		case ldPath:
			ldo = o
		case libcPath:
			libco = o
		}
	}
	if ldo == nil || libco == nil || ldo.dyn == nil || libco.dyn == nil {
		return nil
	}
	lv, cv := ldo.versions(), libco.versions()
	if lv == nil || cv == nil {
		return nil
	}
	// Versions libc requires of the loader, by index.
	want := map[uint16]string{}
	for _, n := range cv.Need {
		if n.File == ldo.soname || n.File == filepath.Base(ldo.path) {
			for _, a := range n.Aux {
				want[a.Other&0x7fff] = a.Name
			}
		}
	}
	if len(want) == 0 {
		return nil
	}
	// What the loader defines, as name@version.
	defs := map[uint16]string{}
	for _, d := range lv.Def {
		if len(d.Names) > 0 {
			defs[d.Ndx&0x7fff] = d.Names[0]
		}
	}
	ldf, err1 := ldo.file()
	libcf, err2 := libco.file()
	if err1 != nil || err2 != nil {
		return nil
	}
	n, err := ldf.DynSymCount(ldo.dyn)
	if err != nil || n > 1<<16 {
		return nil
	}
	have := map[string]bool{}
	for i := uint64(1); i < n; i++ {
		s, err := readDynSym(ldf, ldo.dyn, i)
		if err != nil {
			return nil
		}
		if s.shndx == uint16(elf.SHN_UNDEF) {
			continue
		}
		ndx, err := versymOf(ldf, ldo.dyn, i)
		if err != nil {
			return nil
		}
		have[s.name+"@"+defs[ndx&0x7fff]] = true
	}
	var miss *dynSym
	eachReloc(libcf, libco.dyn, func(r reloc) bool {
		if r.sym == 0 || r.lazy {
			return true
		}
		ndx, err := versymOf(libcf, libco.dyn, r.sym)
		if err != nil {
			return false
		}
		ver, ok := want[ndx&0x7fff]
		if !ok {
			return true
		}
		s, err := readDynSym(libcf, libco.dyn, r.sym)
		if err != nil {
			return false
		}
		if s.shndx != uint16(elf.SHN_UNDEF) || s.bind == elf.STB_WEAK || have[s.name+"@"+ver] {
			return true
		}
		s.version = ver
		miss = &s
		return false
	})
	return miss
}

// lazyRegexp compiles a pattern on first use rather than at start-up:
// every command pays for package initialisation, few need every pattern.
func lazyRegexp(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}
