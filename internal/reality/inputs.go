package reality

import (
	"cmp"
	"context"
	"crypto/sha256"
	"debug/elf"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// fuzzSources are the test programs' C fuzzSources, version script and linker
// script, embedded so the fuzzer fuzzBuilds them wherever it runs.
//
//go:embed testdata/src
var fuzzSources embed.FS

// FuzzInput is one pristine program the fuzzer damages, with the library
// that sits beside it (found through RUNPATH $ORIGIN), if any.
type FuzzInput struct {
	Name string
	Path string
	Lib  string // host path of the library
	// LibName is the name the program needs the library by (DT_NEEDED),
	// under which it is placed beside the program.
	LibName string
	// MinGlibc is the oldest glibc that starts the pristine program: the
	// highest GLIBC_ version it requires. Older loaders stop with
	// "version `GLIBC_2.34' not found", which check must predict too.
	MinGlibc string
	// DlopenHost, for an input with a library, is the program that
	// loads the library with dlopen (testdata/src/dlopen-host.c): the
	// process a FuzzCase.Dlopen one is checked and run in.
	DlopenHost string
	// Extra are host paths of libraries the library needs, placed
	// beside it under their own names and never damaged.
	Extra []string
}

// fuzzBuild is one compiler command run in the directory of the fuzzSources.
// CC and LDFLAGS are replaced by the compiler with the sysroot's options.
type fuzzBuild struct {
	out string
	cmd []string
	lib string // the library the program loads
	// libName is the name the program needs lib by: libdemo.so when
	// empty (every libdemo build has that soname).
	libName string
	// extra are libraries lib needs (fuzzInput.Extra).
	extra []string
	host  bool // run as it is: built against the host's glibc, or a rewrite
	// helper is a program the fuzzer runs but never damages.
	helper bool
}

// fuzzBuilds make the fuzzer's inputs: gcc (GNU ld) and clang/lld output, a
// versioned library and its user, and the layout of a Bun executable
// (FileSiz == MemSiz on the RW segment). All are built against the oldest
// glibc's headers and crt files, so they need no symbol version the
// oldest loader lacks and start under all four.
var fuzzBuilds = []fuzzBuild{
	{out: "gcc-pie", cmd: []string{"GCC", "-O1", "-o", "gcc-pie", "hello.c"}},
	{out: "gcc-nopie", cmd: []string{"GCC", "-O1", "-fno-pie", "-no-pie", "-o", "gcc-nopie", "hello.c"}},
	{out: "clang-lld", cmd: []string{"CLANG", "-O1", "-o", "clang-lld", "hello.c"}},
	{out: "clang-lld-nopie", cmd: []string{"CLANG", "-O1", "-fno-pie", "-no-pie", "-o", "clang-lld-nopie", "hello.c"}},
	// A PT_TLS of the program's own, whose image ld.so copies before any
	// initialiser runs (tls.c).
	{out: "gcc-tls", cmd: []string{"GCC", "-O1", "-o", "gcc-tls", "tls.c"}},
	{out: "libdemo.so", cmd: []string{"GCC", "-O1", "-fPIC", "-shared", "-Wl,-soname,libdemo.so", "-Wl,--version-script=demo.map", "-o", "libdemo.so", "demo.c"}},
	{out: "libdemo-lld.so", cmd: []string{"CLANG", "-O1", "-fPIC", "-shared", "-Wl,-soname,libdemo.so", "-Wl,--version-script=demo.map", "-o", "libdemo-lld.so", "demo.c"}},
	{out: "uses-libdemo", cmd: []string{"GCC", "-O1", "-o", "uses-libdemo", "uses-demo.c", "-L.", "-ldemo", "-Wl,-rpath,$ORIGIN"}, lib: "libdemo.so"},
	{out: "uses-libdemo-lld", cmd: []string{"CLANG", "-O1", "-o", "uses-libdemo-lld", "uses-demo.c", "libdemo-lld.so", "-Wl,-rpath,$ORIGIN"}, lib: "libdemo-lld.so"},
	// Bound at load time (-z now): the library has DT_FLAGS and
	// DT_FLAGS_1, whose bits ld.so acts on in a dependency (DF_1_PIE
	// refuses it, DF_1_NOW binds it at once).
	{out: "libdemo-now.so", cmd: []string{"GCC", "-O1", "-fPIC", "-shared", "-Wl,-z,now", "-Wl,-soname,libdemo.so", "-Wl,--version-script=demo.map", "-o", "libdemo-now.so", "demo.c"}},
	{out: "uses-libdemo-now", cmd: []string{"GCC", "-O1", "-o", "uses-libdemo-now", "uses-demo.c", "libdemo-now.so", "-Wl,-rpath,$ORIGIN"}, lib: "libdemo-now.so"},
	// A library with thread-local storage and its user: the library's
	// PT_TLS and the TLS relocations on both sides.
	{out: "libtls.so", cmd: []string{"GCC", "-O1", "-fPIC", "-shared", "-Wl,-soname,libtls.so", "-Wl,--version-script=tls.map", "-o", "libtls.so", "tls-lib.c"}},
	{out: "uses-libtls", cmd: []string{"GCC", "-O1", "-o", "uses-libtls", "uses-tls.c", "libtls.so", "-Wl,-rpath,$ORIGIN"}, lib: "libtls.so", libName: "libtls.so"},
	// Indirect functions: the program's own, resolved by an IRELATIVE
	// before main, and the library's exported one, bound by calling its
	// resolver from the lookup.
	{out: "libifunc.so", cmd: []string{"GCC", "-O1", "-fPIC", "-shared", "-Wl,-soname,libifunc.so", "-Wl,--version-script=ifunc.map", "-o", "libifunc.so", "ifunc-lib.c"}},
	{out: "uses-libifunc", cmd: []string{"GCC", "-O1", "-o", "uses-libifunc", "uses-ifunc.c", "libifunc.so", "-Wl,-rpath,$ORIGIN"}, lib: "libifunc.so", libName: "libifunc.so"},
	// A chain: the program needs libchain.so, which needs libbase.so
	// through its own DT_RPATH $ORIGIN. A dependency's dependencies, the
	// versions of a library the program does not need, a name two
	// libraries define, constructors run in dependency order.
	{out: "libbase.so", cmd: []string{"GCC", "-O1", "-fPIC", "-shared", "-Wl,-soname,libbase.so", "-Wl,--version-script=base.map", "-o", "libbase.so", "chain-base.c"}},
	{out: "libchain.so", cmd: []string{"GCC", "-O1", "-fPIC", "-shared", "-Wl,-soname,libchain.so", "-Wl,--version-script=chain.map", "-Wl,--disable-new-dtags", "-Wl,-rpath,$ORIGIN", "-o", "libchain.so", "chain.c", "libbase.so"}},
	{out: "uses-libchain", cmd: []string{"GCC", "-O1", "-o", "uses-libchain", "uses-chain.c", "libchain.so", "-Wl,-rpath,$ORIGIN", "-Wl,-rpath-link,."}, lib: "libchain.so", libName: "libchain.so", extra: []string{"libbase.so"}},
	// C++: compiled by g++ with the host's C++ headers, linked by gcc
	// against the sysroot's own libstdc++.so.6 (g++ would link the
	// host's, whose newer symbol versions the oldest root lacks;
	// -nostdlib++ is GCC 13's).
	{out: "cxx.o", cmd: []string{"GXX", "-std=c++17", "-O1", "-c", "-o", "cxx.o", "cxx.cpp"}},
	{out: "gxx-pie", cmd: []string{"GCC", "-O1", "-o", "gxx-pie", "cxx.o", "-l:libstdc++.so.6"}},
	// glibc 2.31's dlopen is in libdl.
	{out: "dlopen-host", cmd: []string{"GCC", "-O1", "-o", "dlopen-host", "dlopen-host.c", "-ldl"}, helper: true},
	{out: "nozerofill-gcc", cmd: []string{"GCC", "-O1", "-DPAYLOAD=16384", "-o", "nozerofill-gcc", "bunlike.c", "-Wl,-T,bunlike.ld"}},
	{out: "nozerofill-lld", cmd: []string{"CLANG", "-O1", "-DPAYLOAD=16384", "-o", "nozerofill-lld", "bunlike.c", "-Wl,-T,bunlike.ld"}},
	// Built against the host's glibc (bookworm's 2.36): it requires
	// GLIBC_2.34 (__libc_start_main), which bullseye's loader lacks, and
	// it is what internal/damage's version-renaming kinds apply to.
	{out: "host-gcc-pie", cmd: []string{"gcc", "-O1", "-o", "host-gcc-pie", "hello.c"}, host: true},
	// The original story's rewrite: patchelf on the Bun layout, which has
	// no zero-fill slack, so patchelf moves .dynamic, .dynstr and the
	// version tables into a segment of its own.
	{out: "nozerofill-gcc.patchelf", cmd: []string{"sh", "-c", "cp nozerofill-gcc nozerofill-gcc.patchelf && patchelf --set-rpath /opt/vendor/lib nozerofill-gcc.patchelf"}, host: true},
	{out: "nozerofill-lld.patchelf", cmd: []string{"sh", "-c", "cp nozerofill-lld nozerofill-lld.patchelf && patchelf --set-rpath /opt/vendor/lib nozerofill-lld.patchelf"}, host: true},
}

// compilers returns the argv prefixes that build against sysroot. Debian's
// gcc looks for crt files and libc.so in its multiarch directories
// whatever --sysroot says, so -B and -L point it into the sysroot; clang
// finds them there itself and takes crtbegin.o and libgcc from the host's
// gcc.
func compilers(sysroot string) map[string][]string {
	lib := filepath.Join(sysroot, "usr", "lib", "x86_64-linux-gnu")
	cc := map[string][]string{
		"GCC":   {"gcc", "--sysroot=" + sysroot, "-B" + lib + "/", "-L" + lib},
		"CLANG": {"clang", "--sysroot=" + sysroot, "--gcc-toolchain=/usr", "-fuse-ld=lld"},
	}
	// The sysroot has no C++ headers: g++ would look for its own under
	// it, so the host's are named (for compiling only; GCC links).
	if out, err := exec.Command("g++", "-dumpversion").Output(); err == nil {
		v := strings.TrimSpace(string(out))
		cc["GXX"] = []string{"g++", "--sysroot=" + sysroot, "-isystem", "/usr/include/c++/" + v, "-isystem", "/usr/include/x86_64-linux-gnu/c++/" + v}
	}
	return cc
}

// BuildInputs fuzzBuilds the fuzzer's inputs once per toolchain and sysroot
// into the user cache directory, keyed by the fuzzSources, the commands and
// the compilers' versions, and returns them.
func BuildFuzzInputs(ctx context.Context, sysroot Glibc) ([]FuzzInput, error) {
	h := sha256.New()
	fmt.Fprintf(h, "inputs-v2\x00%s\x00%s\x00", sysroot.Root, sysroot.Package)
	err := fs.WalkDir(fuzzSources, "testdata/src", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fuzzSources.ReadFile(p)
		fmt.Fprintf(h, "%s\x00%s\x00", p, b)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, b := range fuzzBuilds {
		fmt.Fprintf(h, "%q\x00", b.cmd)
	}
	for _, tool := range []string{"gcc", "g++", "clang", "ld.lld", "patchelf"} {
		out, _ := exec.Command(tool, "--version").Output()
		h.Write(out)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(cache, "elfdoctor", "reality-inputs-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(dir, "done")); err != nil {
		if err := buildInto(ctx, dir, sysroot.Root); err != nil {
			return nil, err
		}
	}
	var inputs []FuzzInput
	for _, b := range fuzzBuilds {
		if strings.HasSuffix(b.out, ".so") || strings.HasSuffix(b.out, ".o") || b.helper {
			continue
		}
		in := FuzzInput{Name: b.out, Path: filepath.Join(dir, b.out), MinGlibc: sysroot.Version}
		if b.host && b.cmd[0] != "sh" {
			v, err := newestGlibcRequired(in.Path)
			if err != nil {
				return nil, err
			}
			in.MinGlibc = v
		}
		if b.lib != "" {
			in.Lib, in.LibName = filepath.Join(dir, b.lib), cmp.Or(b.libName, "libdemo.so")
			in.DlopenHost = filepath.Join(dir, "dlopen-host")
		}
		for _, e := range b.extra {
			in.Extra = append(in.Extra, filepath.Join(dir, e))
		}
		inputs = append(inputs, in)
	}
	return inputs, nil
}

// buildInto compiles everything in a fresh directory and renames it into
// place, so a half-built cache is never used.
func buildInto(ctx context.Context, dir, sysroot string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "building-inputs-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ents, err := fuzzSources.ReadDir("testdata/src")
	if err != nil {
		return err
	}
	for _, e := range ents {
		b, err := fuzzSources.ReadFile("testdata/src/" + e.Name())
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(tmp, e.Name()), b, 0o644); err != nil {
			return err
		}
	}
	cc := compilers(sysroot)
	for _, b := range fuzzBuilds {
		argv := b.cmd
		if !b.host {
			prefix, ok := cc[b.cmd[0]]
			if !ok {
				return fmt.Errorf("building %s: no %s on this machine (scripts/install-test-deps installs it)", b.out, b.cmd[0])
			}
			argv = append(append([]string(nil), prefix...), b.cmd[1:]...)
		}
		if err := run(ctx, tmp, argv...); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, "done"), nil, 0o644); err != nil {
		return err
	}
	os.RemoveAll(dir)
	return os.Rename(tmp, dir)
}

// newestGlibcRequired returns the highest GLIBC_x.y version the program
// requires, read with debug/elf (the file is one the fuzzer built).
func newestGlibcRequired(p string) (string, error) {
	ef, err := elf.Open(p)
	if err != nil {
		return "", err
	}
	defer ef.Close()
	syms, err := ef.ImportedSymbols()
	if err != nil {
		return "", err
	}
	newest := "2.0"
	for _, s := range syms {
		if v, ok := strings.CutPrefix(s.Version, "GLIBC_"); ok && versionLess(newest, v) {
			newest = v
		}
	}
	return newest, nil
}
