package coredump

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// TestCoreFromAnotherRoot analyses a real core of a program that crashed
// inside trixie's libc in a chroot, as a core from a container is: its
// NT_FILE names /lib/x86_64-linux-gnu/libc.so.6 and ld.so as the process
// saw them, and on this machine those paths hold bookworm's builds. Their
// symbols would name the crash after whatever bookworm's libc has at that
// offset, so the core's own build-ids (in the first pages it holds) must
// keep them out: no frame is named from them, no code is read from them,
// and a warning says why. Given the chroot as Options.Root, as gdb's
// sysroot, the same frames are named from trixie's own files and debug
// files, as gdb names them.
func TestCoreFromAnotherRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("chroot needs root")
		}
		t.Skip("chroot needs root")
	}
	needTool(t, "chroot")
	trixie := reality.RootWithDebug(t, "trixie")
	root := filepath.Join(t.TempDir(), "root")
	if out, err := exec.Command("cp", "-a", trixie.Root, root).CombinedOutput(); err != nil {
		t.Fatalf("copying %s: %v\n%s", trixie.Root, err, out)
	}
	compile(t, "gcc", "strlen.c", root, "crash", "-O1")
	core := makeCoreEnv(t, root, "chroot", nil, root, "/crash")

	a, err := Analyze(context.Background(), core, Options{NoCheck: true, CacheDir: t.TempDir(), Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	libc, err := filepath.EvalSymlinks(filepath.Join(root, "lib", "x86_64-linux-gnu", "libc.so.6"))
	if err != nil {
		t.Fatal(err)
	}
	want, host := fileBuildID(libc), fileBuildID("/lib/x86_64-linux-gnu/libc.so.6")
	if want == "" || host == "" || want == host {
		t.Fatalf("build-ids %q (trixie) and %q (this machine): want two builds", want, host)
	}
	var m *Module
	for _, x := range a.Modules {
		if filepath.Base(x.Path) == "libc.so.6" {
			m = x
		}
	}
	if m == nil {
		t.Fatalf("no libc.so.6 among the modules: %v", a.Modules)
	}
	if m.BuildID != want || !strings.Contains(m.Err, "another build") || len(m.Symbols) != 0 {
		t.Errorf("libc module: build-id %s, error %q, names from %v; want the core's build-id %s, another build, no names", m.BuildID, m.Err, m.Symbols, want)
	}
	if !slices.ContainsFunc(a.Warnings, func(w string) bool { return strings.Contains(w, "another build") && strings.Contains(w, want) }) {
		t.Errorf("no warning names the other build: %v", a.Warnings)
	}
	var faulting *ThreadInfo
	for i := range a.Threads {
		if a.Threads[i].Faulting {
			faulting = &a.Threads[i]
		}
	}
	if faulting == nil || len(faulting.Frames) == 0 {
		t.Fatalf("no faulting thread: %+v", a.Threads)
	}
	if f := faulting.Frames[0]; !m.Contains(f.PC) || f.Function != "" {
		t.Errorf("frame 0 = %+v: want an unnamed frame in libc", f)
	}
	for _, f := range faulting.Frames {
		if f.From != "" && !strings.Contains(f.From, "DWARF") && strings.HasPrefix(f.From, "/") && !strings.HasPrefix(f.From, root) {
			t.Errorf("frame %+v is named from a file of this machine", f)
		}
	}

	needTool(t, "gdb")
	a, err = Analyze(context.Background(), core, Options{NoCheck: true, Root: root, CacheDir: t.TempDir(), Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Warnings) != 0 {
		t.Errorf("with the root: warnings %v", a.Warnings)
	}
	gdb := gdbBacktraceWith(t, filepath.Join(root, "crash"), core, "set sysroot "+root, "set debug-file-directory "+filepath.Join(root, "usr", "lib", "debug"))
	ours := ourNames(a)
	if len(ours) < 3 || len(gdb) < 3 || !slices.Contains(ours, "main") {
		t.Fatalf("elfdoctor %v, gdb %v: want both past main", ours, gdb)
	}
	if ours[0] == "" {
		t.Errorf("frame 0 is unnamed with the root: %v", ours)
	}
	for i := range min(len(ours), len(gdb), 4) {
		if g, o := normalise(gdb[i]), normalise(ours[i]); g != o {
			t.Errorf("frame %d: gdb says %s, elfdoctor %s", i, g, o)
		}
	}
}

// FuzzPageBuildID feeds the build-id reader what a core holds of a
// mapped file's first page, seeded with the first pages of this
// machine's loader and libc and of a test program: it must not panic,
// and a build-id it finds lies within the page.
func FuzzPageBuildID(f *testing.F) {
	for _, p := range []string{"/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libc.so.6", filepath.Join("testdata", "src", "strlen.c")} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b[:min(len(b), 4096)])
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if id := pageBuildID(b); len(id) > 2*len(b) {
			t.Fatalf("build-id %s from %d bytes", id, len(b))
		}
	})
}

// TestPageBuildID: the build-id read from a file's first page, as a
// core holds it, is the one debug/elf reads from the whole file.
func TestPageBuildID(t *testing.T) {
	for _, p := range []string{"/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libc.so.6"} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := pageBuildID(b[:4096]), fileBuildID(p); got != want || got == "" {
			t.Errorf("%s: %q from the first page, %q from the file", p, got, want)
		}
		if got := pageBuildID(b[:100]); got != "" {
			t.Errorf("%s: %q from 100 bytes, which hold no note", p, got)
		}
	}
}
