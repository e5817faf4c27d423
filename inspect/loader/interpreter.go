package loader

import (
	"bytes"
	"debug/elf"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/elfdoctor/elfdoctor/inspect"
	"golang.org/x/sys/unix"
)

// loaderInfo is what the interpreter's own build decides.
type loaderInfo struct {
	systemDirs []string
	lib        string // $LIB
	platform   string // $PLATFORM
	// minor is the glibc 2.x release of the loader, from the version
	// string in its bytes; 0 when unknown.
	minor int
	// debian: a Debian or Ubuntu build (loaderBytes.debian).
	debian bool
	// ifuncCircular, known: loaderBytes.ifuncCircular, when the loader
	// was read.
	ifuncCircular, read bool
}

var loaderInfoCache sync.Map

// describeLoader learns the default search path from the interpreter:
// the SYSTEM_DIRS string compiled into glibc's ld.so (elf/dl-load.c
// system_dirs), read from its bytes, or else the usual defaults. The
// interpreter is never run, not even with --help: PT_INTERP and --root
// come from the input, and running what they name would run the input.
func describeLoader(hostPath string, f *inspect.File) *loaderInfo {
	key := hostPath
	if k, ok := statKey(hostPath); ok {
		key = k
	}
	if v, ok := loaderInfoCache.Load(key); ok {
		return v.(*loaderInfo)
	}
	li := &loaderInfo{platform: platformFor(f)}
	if hostPath != "" {
		li.systemDirs = loaderStringDirs(hostPath)
		li.minor = loaderMinor(hostPath)
		lb := loaderBytesOf(hostPath)
		li.debian, li.ifuncCircular, li.read = lb.debian, lb.ifuncCircular, lb.read
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

// StandardInterp is the loader path the toolchains write for a machine
// and class (where NixOS's programs.nix-ld installs its shim), or "".
func StandardInterp(m elf.Machine, c elf.Class) string {
	switch {
	case m == elf.EM_X86_64 && c == elf.ELFCLASS64:
		return "/lib64/ld-linux-x86-64.so.2"
	case m == elf.EM_386:
		return "/lib/ld-linux.so.2"
	case m == elf.EM_AARCH64:
		return "/lib/ld-linux-aarch64.so.1"
	}
	return ""
}

func standardInterp(f *inspect.File) string { return StandardInterp(f.Machine, f.Class) }

func platformFor(f *inspect.File) string {
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

func defaultDirsFor(f *inspect.File) []string {
	if f.Class == elf.ELFCLASS64 {
		return []string{"/lib64", "/usr/lib64", "/lib", "/usr/lib"}
	}
	return []string{"/lib", "/usr/lib"}
}

// loaderStringDirs finds glibc's SYSTEM_DIRS, a run of NUL-separated
// absolute directory names ending in "/", in the loader's bytes.
func loaderStringDirs(hostPath string) []string {
	return loaderBytesOf(hostPath).dirs
}

// loaderMinor is the one rule for which glibc 2.x release a loader is:
// the version string in its bytes, else its resolved file name, else
// libc.so.6 beside it, else the name it was reached by. Every stage that
// models a release asks it, so they never disagree about the loader.
func loaderMinor(hostPath string) int {
	lb := loaderBytesOf(hostPath)
	if lb.banner || !lb.read {
		return lb.minor
	}
	// ld.so has carried the release string only since glibc 2.34 (when
	// it learnt --version); before, the file was named after the release
	// (ld-2.31.so), and libc.so.6 beside it, of the same build, says it.
	real := hostPath
	if r, err := filepath.EvalSymlinks(hostPath); err == nil {
		real = r
	}
	var minor int
	if n, _ := fmt.Sscanf(filepath.Base(real), "ld-2.%d.so", &minor); n == 1 && minor > 0 {
		return minor
	}
	var libcMinor int
	if err := viewFile(filepath.Join(filepath.Dir(real), "libc.so.6"), 16<<20, func(b []byte) {
		libcMinor, _ = glibcReleaseIn(b)
	}); err == nil {
		return libcMinor
	}
	// A link named ld-2.NN.so whose target is not so named.
	if n, _ := fmt.Sscanf(filepath.Base(hostPath), "ld-2.%d.so", &minor); n == 1 && minor > 0 {
		return minor
	}
	return 0
}

// glibcReleaseIn is the glibc 2.x release named by the banner in b; ok
// is false when there is no such banner.
func glibcReleaseIn(b []byte) (minor int, ok bool) {
	if m := findGlibcBuild(b); m != nil {
		var major int
		if n, _ := fmt.Sscanf(string(m[2]), "%d.%d", &major, &minor); n == 2 && major == 2 {
			return minor, true
		}
	}
	return 0, false
}

func systemDirsIn(b []byte) []string {
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

var glibcBuildCache sync.Map

// glibcBuild returns the build string glibc compiles into both ld.so and
// libc.so.6, e.g. "Debian GLIBC 2.36-9+deb12u14, 2.36", or "". f is the
// file opened from path.
func glibcBuild(f *inspect.File, path string) string {
	key, ok := statKey(path)
	if !ok {
		return ""
	}
	if v, ok := glibcBuildCache.Load(key); ok {
		return v.(string)
	}
	build := ""
	// The string lives in .rodata; read only that section when there is
	// one, the first 16 MiB otherwise.
	off, size := uint64(0), uint64(min(f.Size(), 16<<20))
	for _, s := range f.Sections {
		if s.Name == ".rodata" && s.Type == elf.SHT_PROGBITS {
			off, size = s.Offset, min(s.Size, 16<<20)
		}
	}
	var found string
	if err := f.View(int64(off), size, "glibc version string", func(b []byte) {
		if m := findGlibcBuild(b); m != nil {
			found = fmt.Sprintf("%s, %s", m[1], m[2])
		}
	}); err == nil {
		build = found
	}
	glibcBuildCache.Store(key, build)
	return build
}

// isNixLDShim reports whether the interpreter is nix-ld's stub, which
// execs the loader named by NIX_LD with NIX_LD_LIBRARY_PATH.
func isNixLDShim(hostPath string) bool {
	return loaderBytesOf(hostPath).shim
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
			Evidence: ev, Outcome: OutcomeLoaderError, ExitStatus: 127,
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

// fiveLevel says whether this kernel gives processes the 56-bit address
// space of 5-level paging (x86-64's la57). Such a kernel hands out an
// address above 47 bits only to a mapping that asks for one with its
// hint, and a 4-level kernel ignores a hint past its TASK_SIZE
// (Documentation/arch/x86/x86_64/5level-paging.rst): one mapping
// answers, in two system calls, where the kernel's la57 flag costs
// generating /proc/cpuinfo's first record. The test compares it with
// that flag.
var fiveLevel = sync.OnceValue(func() bool {
	const hint, size = 1<<47 + 1<<40, 0x1000
	addr, _, errno := unix.Syscall6(unix.SYS_MMAP, hint, size, unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE, ^uintptr(0), 0)
	if errno != 0 {
		return false
	}
	unix.Syscall(unix.SYS_MUNMAP, addr, size, 0)
	return addr >= 1<<47
})

// subdirs lists the subdirectories ld.so tries in every search directory
// before the directory itself (open_path, elf/dl-load.c): the
// glibc-hwcaps levels this CPU supports, best first (glibc 2.33+), then
// the legacy platform and hwcap directories (glibc before 2.37), then "".
// Only x86-64 programs on an x86-64 host are modelled.
func (c *checker) subdirs(li *loaderInfo) []string {
	if c.f.Machine != elf.EM_X86_64 || c.f.Class != elf.ELFCLASS64 || runtime.GOARCH != "amd64" {
		return []string{""}
	}
	level, platform := hostX86()
	var out []string
	if li.minor == 0 || li.minor >= 33 {
		for v := level; v >= 2; v-- {
			out = append(out, fmt.Sprintf("glibc-hwcaps/x86-64-v%d", v))
		}
	}
	if li.minor != 0 && li.minor < 37 {
		if platform == "" {
			platform = "x86_64" // the kernel's AT_PLATFORM
		}
		for _, tls := range []string{"tls/", ""} {
			out = append(out, tls+platform+"/x86_64", tls+platform, tls+"x86_64", strings.TrimSuffix(tls, "/"))
		}
		return out // the last of them is ""
	}
	return append(out, "")
}
