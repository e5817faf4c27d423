package loader_test

import (
	"bytes"
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// dlopenHost loads argv[1] with dlopen, as Node.js loads an addon, and
// prints dlerror() when it fails.
const dlopenHost = `#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
	void *h = dlopen(argv[1], RTLD_NOW);
	if (!h) { fprintf(stderr, "%s\n", dlerror()); return 1; }
	puts("` + damage.Marker + `"); fflush(stdout); return 0;
}
`

// TestCheckDlopenReality checks shared libraries as dlopen loads them into
// a process that runs the system's ld.so and libc, and loads each for
// real from such a process: a missing dependency fails dlopen, and so
// does a version the process's libc does not define.
func TestCheckDlopenReality(t *testing.T) {
	reality.NeedTools(t, "gcc", "objcopy", "clang", "ld.lld")
	dir := t.TempDir()
	write := func(name, text string) string { return reality.WriteSource(t, dir, name, text) }
	cc := func(compiler string, args ...string) {
		cmd := exec.Command(compiler, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", compiler, strings.Join(args, " "), err, out)
		}
	}
	gcc := func(args ...string) { cc("gcc", args...) }
	write("host.c", dlopenHost)
	gcc("-O1", "-o", "host", "host.c")
	write("puts.c", "#include <stdio.h>\nvoid hello(void) { puts(\"hi\"); }\n")
	gcc("-O1", "-fPIC", "-shared", "-o", "libputs.so", "puts.c")
	write("missing.c", "int missing(void) { return 1; }\n")
	gcc("-O1", "-fPIC", "-shared", "-Wl,-soname,libmissing.so", "-o", "libmissing.so", "missing.c")
	write("needs.c", "int missing(void);\nint needs(void) { return missing(); }\n")
	gcc("-O1", "-fPIC", "-shared", "-o", "libneeds.so", "needs.c", "-L.", "-lmissing")
	if err := os.Remove(filepath.Join(dir, "libmissing.so")); err != nil {
		t.Fatal(err)
	}
	// GNU ld's -f and -F write DT_AUXILIARY and DT_FILTER: ld.so loads
	// both in the walk that loads DT_NEEDED, and only a filtee it cannot
	// load stops it.
	gcc("-O1", "-fPIC", "-shared", "-Wl,-f,libnothere.so.1", "-o", "libaux.so", "puts.c")
	gcc("-O1", "-fPIC", "-shared", "-Wl,-F,libnothere.so.1", "-o", "libfilter.so", "puts.c")
	// A separate debuginfo file keeps the program headers, but its
	// sections are NOBITS: PT_DYNAMIC has no file bytes.
	if out, err := exec.Command("objcopy", "--only-keep-debug", filepath.Join(dir, "libputs.so"), filepath.Join(dir, "libputs.debug")).CombinedOutput(); err != nil {
		t.Fatalf("objcopy: %v\n%s", err, out)
	}
	// A prebuilt addon of another platform: lld links a library for
	// another machine, or the other class, without a libc of its own.
	write("plain.c", "int plain(void) { return 1; }\n")
	cc("clang", "--target=aarch64-linux-gnu", "-fuse-ld=lld", "-nostdlib", "-shared", "-o", "libarm64.so", "plain.c")
	cc("clang", "--target=i386-linux-gnu", "-fuse-ld=lld", "-nostdlib", "-shared", "-o", "libi386.so", "plain.c")
	newer, err := damage.RenameVersion(reality.MustRead(t, filepath.Join(dir, "libputs.so")), "GLIBC_2.2.5", "GLIBC_9.9.9", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "libnewer.so"), newer, 0o755); err != nil {
		t.Fatal(err)
	}
	// Without DT_SYMTAB, dlopen's relocation of the library faults as it
	// starts, in the process that called it; a library cut short on the
	// page that holds its last data bytes (a download that stopped) faults
	// earlier, when dlopen clears the rest of that page for .bss.
	puts := reality.MustRead(t, filepath.Join(dir, "libputs.so"))
	// -z nodlopen sets DF_1_NOOPEN: dlopen loads neither the library nor
	// a library that needs it. dlopen refuses a program too, whatever its
	// headers look like, when --loaded-by says a process dlopens it, and
	// headers it cannot read are its refusal, not the kernel's.
	write("noopen.c", "int noopen(void) { return 1; }\n")
	gcc("-O1", "-fPIC", "-shared", "-Wl,-z,nodlopen", "-Wl,-soname,libnoopen.so", "-o", "libnoopen.so", "noopen.c")
	write("needsnoopen.c", "int noopen(void);\nint needs(void) { return noopen(); }\n")
	gcc("-O1", "-fPIC", "-shared", "-o", "libneedsnoopen.so", "needsnoopen.c", "-L.", "-lnoopen", "-Wl,-rpath,$ORIGIN")
	// A variable no object of the host process defines: with --loaded-by
	// the process's scope is known, and dlerror() names the library and
	// the symbol (not rtld's "symbol lookup error").
	write("undef.c", "extern int nowhere;\nint get(void) { return nowhere; }\n")
	gcc("-O1", "-fPIC", "-shared", "-o", "libundef.so", "undef.c")
	write("main.c", "int main(void) { return 0; }\n")
	gcc("-O1", "-fPIE", "-pie", "-o", "pie", "main.c")
	gcc("-O1", "-fno-pie", "-no-pie", "-o", "nopie", "main.c")
	if err := os.WriteFile(filepath.Join(dir, "libcut.so"), puts[:200], 0o755); err != nil {
		t.Fatal(err)
	}
	// The kernel never reads EI_OSABI; open_verify does.
	writeMutated(t, dir, puts, "libosabi.so", "ehdr.e_ident[EI_OSABI] = 0x61")
	for _, tc := range []struct {
		lib, signal, phrase string // phrase: in the prediction's summary
	}{
		{writeMutated(t, dir, puts, "libnosymtab.so", "dyn[DT_SYMTAB#0].d_tag = 0x60000001"), "SIGSEGV", "symbol table"},
		{writeTruncated(t, dir, puts, "libtruncated.so"), "SIGBUS", "past the end of the file"},
	} {
		t.Run(filepath.Base(tc.lib), func(t *testing.T) {
			res, err := loader.Check(tc.lib, loader.CheckOptions{Getenv: reality.NoEnv})
			if err != nil {
				t.Fatal(err)
			}
			real, err := damage.Run(context.Background(), dir, reality.Timeout, nil, filepath.Join(dir, "host"), tc.lib)
			if err != nil {
				t.Fatal(err)
			}
			if real.Class != damage.Crash || real.Signal != tc.signal {
				t.Fatalf("the set-up no longer does what this case is about: dlopen of %s: %s", tc.lib, real)
			}
			if f := res.Fatal(); res.Outcome != loader.OutcomeCrash || f == nil || f.Signal != tc.signal || !strings.Contains(f.Summary, tc.phrase) {
				t.Errorf("Check(%s) = %s, dlopen really: %s\n%s", tc.lib, res.Outcome, real, reality.Describe(res))
			}
		})
	}
	// A table read outside the library's pages lands where the process
	// mapped something else, or nothing, as its layout has it: a GNU hash
	// table moved 0x8000 past the library was SIGBUS here (the page
	// there belonged to the vDSO's data), not the SIGSEGV of memory
	// nothing maps.
	t.Run("libhashfar.so", func(t *testing.T) {
		lib := writeMutated(t, dir, puts, "libhashfar.so", "dyn[DT_GNU_HASH#0].d_val += 0x8000")
		res, err := loader.Check(lib, loader.CheckOptions{Getenv: reality.NoEnv})
		if err != nil {
			t.Fatal(err)
		}
		real, err := damage.Run(context.Background(), dir, reality.Timeout, nil, filepath.Join(dir, "host"), lib)
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != loader.OutcomeUndetermined {
			t.Errorf("Check(%s) = %s, want undetermined (dlopen really: %s)\n%s", lib, res.Outcome, real, reality.Describe(res))
		}
		if v := reality.Verdict(res, real); v != "" {
			t.Errorf("Check(%s): %s", lib, v)
		}
	})
	for _, tc := range []struct {
		lib     string
		outcome loader.Outcome
		phrase  string // in dlerror() and in the prediction
		// loadedBy checks the library as the 64-bit host program loads
		// it: without it, an i386 library on a multilib system is
		// checked in an i386 process.
		loadedBy bool
	}{
		{"libputs.so", loader.OutcomeStarts, "", false},
		{"libneeds.so", loader.OutcomeDlopenFails, "libmissing.so: cannot open shared object file", false},
		{"libnewer.so", loader.OutcomeDlopenFails, "version `GLIBC_9.9.9' not found", false},
		{"libputs.debug", loader.OutcomeDlopenFails, "object file has no dynamic section", false},
		{"libaux.so", loader.OutcomeStarts, "", false},
		{"libfilter.so", loader.OutcomeDlopenFails, "libnothere.so.1: cannot open shared object file", false},
		{"libarm64.so", loader.OutcomeDlopenFails, "cannot open shared object file: No such file or directory", false},
		{"libi386.so", loader.OutcomeDlopenFails, "wrong ELF class: ELFCLASS32", true},
		{"libosabi.so", loader.OutcomeDlopenFails, "ELF file OS ABI invalid", false},
		{"libnoopen.so", loader.OutcomeDlopenFails, "shared object cannot be dlopen()ed", false},
		{"libnoopen.so", loader.OutcomeDlopenFails, "shared object cannot be dlopen()ed", true},
		{"libneedsnoopen.so", loader.OutcomeDlopenFails, "libnoopen.so: shared object cannot be dlopen()ed", false},
		{"libputs.debug", loader.OutcomeDlopenFails, "object file has no dynamic section", true},
		{"pie", loader.OutcomeDlopenFails, "cannot dynamically load position-independent executable", true},
		{"nopie", loader.OutcomeDlopenFails, "cannot dynamically load executable", true},
		{"libcut.so", loader.OutcomeDlopenFails, "cannot read file data", true},
		{"libundef.so", loader.OutcomeDlopenFails, "undefined symbol: nowhere", true},
	} {
		name := tc.lib
		if tc.loadedBy {
			name += "/loaded-by"
		}
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, tc.lib)
			opts := loader.CheckOptions{Getenv: reality.NoEnv}
			if tc.loadedBy {
				opts.LoadedBy = filepath.Join(dir, "host")
			}
			res, err := loader.Check(p, opts)
			if err != nil {
				t.Fatal(err)
			}
			real, err := damage.Run(context.Background(), dir, reality.Timeout, nil, filepath.Join(dir, "host"), p)
			if err != nil {
				t.Fatal(err)
			}
			loads := real.Class == damage.Starts && real.Marker
			if loads != (tc.outcome == loader.OutcomeStarts) || !strings.Contains(real.Stderr, tc.phrase) {
				t.Fatalf("the set-up no longer does what this case is about: dlopen of %s: %s", tc.lib, real)
			}
			if res.Outcome != tc.outcome {
				t.Fatalf("Check(%s) = %s, dlopen really: %s\n%s", tc.lib, res.Outcome, real, reality.Describe(res))
			}
			if f := res.Fatal(); f != nil && (!strings.Contains(f.Message, tc.phrase) || !strings.Contains(real.Stderr, f.Message)) {
				t.Errorf("Check(%s) says %q; dlerror() says %q", tc.lib, f.Message, real.Stderr)
			}
		})
	}
}

// TestCheckDlopenI386Host checks an i386 library without --loaded-by: on
// a kernel without IA32 emulation no i386 process exists, so the library
// is held against this machine's own kind, as a 64-bit process's real
// dlopen refuses it; with IA32 emulation and an i386 loader, against an
// i386 process.
func TestCheckDlopenI386Host(t *testing.T) {
	reality.NeedTools(t, "gcc", "clang", "ld.lld")
	dir := t.TempDir()
	reality.WriteSource(t, dir, "host.c", dlopenHost)
	reality.WriteSource(t, dir, "plain.c", "int plain(void) { return 1; }\n")
	for _, args := range [][]string{
		{"gcc", "-O1", "-o", "host", "host.c"},
		{"clang", "--target=i386-linux-gnu", "-fuse-ld=lld", "-nostdlib", "-shared", "-o", "libi386.so", "plain.c"},
	} {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	lib := filepath.Join(dir, "libi386.so")
	res, err := loader.Check(lib, loader.CheckOptions{Getenv: reality.NoEnv})
	if err != nil {
		t.Fatal(err)
	}
	_, i386Loader := os.Stat("/lib/ld-linux.so.2")
	if reality.HostRunsI386(t) && i386Loader == nil {
		if res.Outcome == loader.OutcomeDlopenFails {
			t.Fatalf("this kernel runs i386 programs and has their loader, but Check(%s) holds the library against a 64-bit process:\n%s", lib, reality.Describe(res))
		}
		return
	}
	real, err := damage.Run(context.Background(), dir, reality.Timeout, nil, filepath.Join(dir, "host"), lib)
	if err != nil {
		t.Fatal(err)
	}
	f := res.Fatal()
	if res.Outcome != loader.OutcomeDlopenFails || f == nil || !strings.Contains(real.Stderr, f.Message) || !strings.Contains(f.Message, "wrong ELF class: ELFCLASS32") {
		t.Fatalf("no i386 process can exist here: Check(%s) = %s, a 64-bit process's dlopen says %q\n%s", lib, res.Outcome, real.Stderr, reality.Describe(res))
	}
}

// TestCheckLoadedByReality dlopens a library whose dependency is found
// only through the RPATH of the program that loads it: from a bare
// process dlopen fails, from that program it works, and --loaded-by says
// which.
func TestCheckLoadedByReality(t *testing.T) {
	reality.NeedTools(t, "gcc")
	dir := t.TempDir()
	private := filepath.Join(dir, "private")
	if err := os.Mkdir(private, 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(d string, args ...string) {
		cmd := exec.Command("gcc", args...)
		cmd.Dir = d
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gcc %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	os.WriteFile(filepath.Join(private, "dep.c"), []byte("int dep(void) { return 1; }\n"), 0o644)
	run(private, "-O1", "-fPIC", "-shared", "-Wl,-soname,libdep.so", "-o", "libdep.so", "dep.c")
	os.WriteFile(filepath.Join(dir, "plugin.c"), []byte("int dep(void);\nint plugin(void) { return dep(); }\n"), 0o644)
	run(dir, "-O1", "-fPIC", "-shared", "-o", "libplugin.so", "plugin.c", "-Lprivate", "-ldep")
	os.WriteFile(filepath.Join(dir, "host.c"), []byte(dlopenHost), 0o644)
	run(dir, "-O1", "-o", "bare", "host.c")
	// DT_RPATH, not RUNPATH: only an RPATH is searched for what the
	// program's dlopen'ed libraries need.
	run(dir, "-O1", "-o", "host", "host.c", "-Wl,--disable-new-dtags,-rpath,"+private)
	plugin := filepath.Join(dir, "libplugin.so")
	for _, tc := range []struct {
		host    string
		outcome loader.Outcome
	}{{"bare", loader.OutcomeDlopenFails}, {"host", loader.OutcomeStarts}} {
		t.Run(tc.host, func(t *testing.T) {
			host := filepath.Join(dir, tc.host)
			opts := loader.CheckOptions{Getenv: reality.NoEnv}
			if tc.host == "host" {
				opts.LoadedBy = host
			}
			res, err := loader.Check(plugin, opts)
			if err != nil {
				t.Fatal(err)
			}
			real, err := damage.Run(context.Background(), dir, reality.Timeout, nil, host, plugin)
			if err != nil {
				t.Fatal(err)
			}
			if loads := real.Class == damage.Starts && real.Marker; loads != (tc.outcome == loader.OutcomeStarts) {
				t.Fatalf("the set-up no longer does what this case is about: dlopen from %s: %s", tc.host, real)
			}
			if res.Outcome != tc.outcome {
				t.Errorf("Check(libplugin.so, loaded by %s) = %s, dlopen really: %s\n%s", tc.host, res.Outcome, real, reality.Describe(res))
			}
		})
	}
}

// writeTruncated writes b cut at the start of the page that holds the
// last file byte of its last PT_LOAD with zero-fill, as a download that
// stopped there leaves it.
func writeTruncated(t *testing.T, dir string, b []byte, name string) string {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	cut := uint64(0)
	for _, p := range f.Progs {
		if end := p.Off + p.Filesz; p.Type == elf.PT_LOAD && p.Memsz > p.Filesz && end%0x1000 != 0 {
			cut = end &^ 0xfff
		}
	}
	if cut == 0 || cut >= uint64(len(b)) {
		t.Fatalf("%s: no PT_LOAD whose zero-fill starts inside a page", name)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b[:cut], 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCheckLibraryCutInHeaders checks a library cut inside its program
// headers, as a download that stopped after 100 bytes leaves it. Its
// ELF header says only ET_DYN, a PIE's type too, so without --loaded-by
// it is judged as executed (the kernel's "Exec format error") and the
// reader is told how to ask about loading it; with --loaded-by, dlopen's
// own refusal. Both are run for real.
func TestCheckLibraryCutInHeaders(t *testing.T) {
	reality.NeedTools(t, "gcc")
	dir := t.TempDir()
	reality.WriteSource(t, dir, "host.c", dlopenHost)
	reality.WriteSource(t, dir, "lib.c", "int f(void) { return 1; }\n")
	for _, args := range [][]string{{"-O1", "-o", "host", "host.c"}, {"-O1", "-fPIC", "-shared", "-o", "libwhole.so", "lib.c"}} {
		cmd := exec.Command("gcc", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gcc %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "libwhole.so"))
	if err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join(dir, "libcut.so")
	if err := os.WriteFile(lib, b[:100], 0o755); err != nil {
		t.Fatal(err)
	}

	res, err := loader.Check(lib, loader.CheckOptions{Getenv: reality.NoEnv})
	if err != nil {
		t.Fatal(err)
	}
	fd := res.Fatal()
	if fd == nil || fd.Code != "bad-headers" || !strings.Contains(fd.Next, "--loaded-by PROGRAM") {
		t.Errorf("executed: want bad-headers with a pointer to --loaded-by, got\n%s", reality.Describe(res))
	}
	real, err := damage.Run(context.Background(), dir, reality.Timeout, nil, lib)
	if err != nil {
		t.Fatal(err)
	}
	if real.Class != damage.ExecFails || real.Errno != syscall.ENOEXEC || fd == nil || fd.Outcome != loader.OutcomeExecFails {
		t.Errorf("executed for real: %s, want Exec format error", real)
	}

	host := filepath.Join(dir, "host")
	res, err = loader.Check(lib, loader.CheckOptions{Getenv: reality.NoEnv, LoadedBy: host})
	if err != nil {
		t.Fatal(err)
	}
	real, err = damage.Run(context.Background(), dir, reality.Timeout, nil, host, lib)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != loader.OutcomeDlopenFails || res.Fatal() == nil || !strings.Contains(real.Stderr, res.Fatal().Message) {
		t.Errorf("dlopen'ed: predicted\n%s\nreally %s (stderr %q)", reality.Describe(res), real, real.Stderr)
	}
}
