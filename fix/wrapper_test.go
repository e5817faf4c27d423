package fix_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elfdoctor/elfdoctor/fix"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// cxxStore is the store of TestPlanDiamondLibstdcxx without the decoys:
// GCC 12's runtime and glibc 2.36.
func cxxStore(t *testing.T) (s *store, gcc12, glibc string) {
	s = newStore(t)
	return s, s.gccLib(0, "bookworm", "gcc-12.2.0-lib"), s.glibc(1, "bookworm")
}

// TestWrapperFingerprint: the wrapper starts the program while the files
// it relies on are as planned, stops and names the file when one is
// touched or garbage-collected, and Verify tells a content change that
// keeps the size from a file that is gone.
func TestWrapperFingerprint(t *testing.T) {
	s, gcc12, glibc := cxxStore(t)
	prog := cxxProgram(t)
	p := plan(t, fix.PlanOptions{File: prog, LibRoots: []string{s.root}})
	if !p.OK {
		t.Fatalf("no plan:\n%s", describe(p))
	}
	w := startsWithWrapper(t, p)
	if st, err := os.Stat(w); err != nil || st.Mode().Perm() != 0o755 {
		t.Fatalf("wrapper mode: %v %v", st.Mode(), err)
	}
	if out, err := exec.Command("dash", "-n", w).CombinedOutput(); err != nil {
		t.Fatalf("dash -n %s: %v\n%s", w, err, out)
	}
	ctx := context.Background()
	if v, err := fix.Verify(ctx, p.Fingerprint); err != nil || len(v.Changes) != 0 || v.Checked != len(p.Fingerprint) {
		t.Fatalf("Verify right after planning = %+v, %v; want no changes", v, err)
	}

	// Same size, other bytes: only the hash sees it.
	lib := filepath.Join(gcc12, "libgcc_s.so.1")
	b := reality.MustRead(t, lib)
	st, _ := os.Stat(lib)
	b[len(b)-1] ^= 0xff
	if err := os.WriteFile(lib, b, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(lib, st.ModTime(), st.ModTime())
	v, err := fix.Verify(ctx, p.Fingerprint)
	if err != nil || len(v.Changes) != 1 || v.Changes[0].What != "content" || v.Changes[0].Path != lib {
		t.Fatalf("Verify after rewriting %s in place = %+v, %v; want one content change", lib, v, err)
	}

	// A new modification time: the wrapper's cheap check sees it. stat's
	// %Y has whole seconds, and the test can rewrite the file within the
	// second it planned in, so the new time is set, not left to the clock.
	b[len(b)-1] ^= 0xff
	if err := os.WriteFile(lib, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(lib, st.ModTime().Add(2*time.Second), st.ModTime().Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, w)
	if r.Class != damage.LoaderError || r.Exit != 127 || r.Marker || !strings.Contains(r.Stderr, lib+" (library) changed") {
		t.Errorf("wrapper after %s was touched: %s; want exit 127 naming it", lib, r)
	}

	// Garbage-collected: the glibc package is gone.
	if err := os.RemoveAll(filepath.Dir(glibc)); err != nil {
		t.Fatal(err)
	}
	r = run(t, nil, w)
	if r.Exit != 127 || !strings.Contains(r.Stderr, filepath.Join(glibc, ldName)+" (loader) is gone") || !strings.Contains(r.Stderr, "make it again with: elfdoctor fix --wrapper") {
		t.Errorf("wrapper after the glibc package was collected: %s", r)
	}
	v, err = fix.Verify(ctx, p.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	gone := 0
	for _, c := range v.Changes {
		if c.What == "gone" && strings.HasPrefix(c.Path, glibc) {
			gone++
		}
	}
	if gone < 2 {
		t.Errorf("Verify after the glibc package was collected = %+v; want its loader and libc gone", v.Changes)
	}
}

// TestWrapperQuoting: a program and store whose paths hold quotes,
// spaces, `$(...)` and a newline are started by the wrapper, which dash
// (a POSIX sh without $'...') runs, and nothing else runs.
func TestWrapperQuoting(t *testing.T) {
	reality.NeedTools(t, "dash")
	odd := filepath.Join(t.TempDir(), "it's a $(touch pwned) `x`\nstore")
	s := &store{t: t, root: filepath.Join(odd, "nix", "store")}
	os.MkdirAll(s.root, 0o755)
	s.gccLib(0, "bookworm", "gcc-12.2.0-lib")
	s.glibc(1, "bookworm")
	prog := filepath.Join(odd, "my prog;echo pwned")
	if err := os.WriteFile(prog, reality.MustRead(t, cxxProgram(t)), 0o755); err != nil {
		t.Fatal(err)
	}
	p := plan(t, fix.PlanOptions{File: prog, LibRoots: []string{s.root}})
	if !p.OK {
		t.Fatalf("no plan:\n%s", describe(p))
	}
	w := startsWithWrapper(t, p)
	r := run(t, nil, "dash", w)
	if !r.Marker || strings.Contains(r.Stdout+r.Stderr, "pwned") {
		t.Fatalf("dash %s: %s", w, r)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(w), "pwned")); err == nil {
		t.Fatal("the wrapper ran a command taken from a path")
	}
}

// TestNixLD: the plan's NIX_LD and NIX_LD_LIBRARY_PATH, given to the
// nix-ld stand-in the check tests build (testdata/src/nixld-shim.c), start
// the program; the program is a copy whose PT_INTERP is the shim, as the
// pristine file meets it at /lib64 on NixOS.
func TestNixLD(t *testing.T) {
	reality.NeedTools(t, "gcc", "patchelf")
	s, _, _ := cxxStore(t)
	prog := cxxProgram(t)
	p := plan(t, fix.PlanOptions{File: prog, LibRoots: []string{s.root}})
	if !p.OK || p.NixLD == nil || !p.NixLD.Applies {
		t.Fatalf("no nix-ld plan:\n%s\n%+v", describe(p), p.NixLD)
	}
	dir := t.TempDir()
	shim := filepath.Join(dir, "nix-ld")
	if out, err := exec.Command("gcc", "-O1", "-static", "-nostdlib", "-fno-stack-protector", "-fno-pie", "-no-pie",
		"-o", shim, reality.RepoPath(t, "testdata/src/nixld-shim.c")).CombinedOutput(); err != nil {
		t.Fatalf("gcc shim: %v\n%s", err, out)
	}
	onNixOS := filepath.Join(dir, "prog")
	if err := damage.Patchelf(prog, onNixOS, []string{"--set-interpreter", shim}); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, onNixOS); r.Class == damage.Starts {
		t.Fatalf("the shim started the program without NIX_LD: %s", r)
	}
	r := run(t, []string{"NIX_LD=" + p.NixLD.NixLD, "NIX_LD_LIBRARY_PATH=" + p.NixLD.NixLDLibraryPath}, onNixOS)
	if r.Class != damage.Starts || !r.Marker {
		t.Fatalf("nix-ld with the plan's values: %s", r)
	}
	// The snippet, pasted into a shell, sets exactly those values.
	snippet := strings.Replace(p.NixLD.Command, " "+p.Fingerprint[0].Path, " env", 1)
	out, err := exec.Command("bash", "-c", snippet).Output()
	if err != nil || !strings.Contains(string(out), "NIX_LD="+p.NixLD.NixLD+"\n") || !strings.Contains(string(out), "NIX_LD_LIBRARY_PATH="+p.NixLD.NixLDLibraryPath+"\n") {
		t.Errorf("bash -c %q: %v\n%s", snippet, err, out)
	}
}

// TestPlanReplayRefuses: a program whose RPATH names GCC 10's runtime.
// The choice of GCC 12's is consistent, but ld.so searches RPATH before
// --library-path: the replay predicts ld.so's version error, the plan is
// refused, and the plan's command really fails that way.
func TestPlanReplayRefuses(t *testing.T) {
	reality.NeedTools(t, "patchelf")
	s, _, _ := cxxStore(t)
	old := newStore(t)
	gcc10 := old.gccLib(0, "bullseye", "gcc-10.2.1-lib")
	prog := filepath.Join(t.TempDir(), "rpath")
	if err := damage.Patchelf(cxxProgram(t), prog, []string{"--force-rpath", "--set-rpath", gcc10}); err != nil {
		t.Fatal(err)
	}
	p := plan(t, fix.PlanOptions{File: prog, LibRoots: []string{s.root}})
	if p.OK || len(p.Problems) == 0 || p.Problems[0].Code != "replay-fails" || !strings.Contains(strings.Join(p.Problems[0].Evidence, "\n"), "version `GLIBCXX_3.4.30' not found") {
		t.Fatalf("plan of a program with a stale RPATH:\n%s", describe(p))
	}
	if err := fix.WriteWrapper(p, filepath.Join(t.TempDir(), "w"), nil); err != fix.ErrNoPlan {
		t.Errorf("WriteWrapper of a refused plan: %v, want ErrNoPlan", err)
	}
	r := run(t, nil, p.Loader, "--library-path", strings.Join(p.LibraryPath, ":"), prog)
	if r.Class != damage.LoaderError || !strings.Contains(r.Stderr, "version `GLIBCXX_3.4.30' not found") {
		t.Errorf("the refused plan's command: %s; want ld.so's version error", r)
	}
}

// TestPlanBun: a real Bun 1.3.14 single-file executable, with three glibc
// builds to choose from; the wrapper starts its application.
func TestPlanBun(t *testing.T) {
	app := reality.BunCompiled(t, "1.3.14", "").App
	s := newStore(t)
	s.glibc(0, "bullseye")
	s.glibc(1, "bookworm")
	s.glibc(2, "trixie")
	p := plan(t, fix.PlanOptions{File: app, LibRoots: []string{s.root}})
	if !p.OK {
		t.Fatalf("no plan for Bun:\n%s", describe(p))
	}
	startsWithWrapper(t, p)
}

// TestWrapperArgv0: a link to the wrapper named like a multi-call
// binary's tool starts the program with that name as argv[0] (glibc
// 2.33's --argv0), as a link to the program itself would; the wrapper
// started by its own name leaves ld.so's argv[0], the program's path.
func TestWrapperArgv0(t *testing.T) {
	reality.NeedTools(t, "gcc")
	s, _, _ := cxxStore(t)
	prog := filepath.Join(t.TempDir(), "multicall")
	if out, err := exec.Command("gcc", "-O1", "-o", prog, "testdata/argv0.c").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	p := plan(t, fix.PlanOptions{File: prog, LibRoots: []string{s.root}})
	if !p.OK {
		t.Fatalf("no plan:\n%s", describe(p))
	}
	w := startsWithWrapper(t, p)
	// By its own name: ld.so's argv[0], the program's path, for programs
	// that find their files next to it.
	if r := run(t, nil, w); !strings.Contains(r.Stdout, "argv0="+prog+"\n") {
		t.Errorf("the wrapper started by its own name: %s (stdout %q), want argv[0] %s", r, r.Stdout, prog)
	}
	tool := filepath.Join(filepath.Dir(w), "bfs")
	if err := os.Symlink(w, tool); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, tool); !r.Marker || !strings.Contains(r.Stdout, "argv0="+tool+"\n") {
		t.Errorf("the wrapper started as %s: %s (stdout %q)", tool, r, r.Stdout)
	}
}

// TestWrapperWithoutStat: with no stat(1) on PATH the wrapper cannot
// check the plan's files, and says so instead of naming every file as
// changed.
func TestWrapperWithoutStat(t *testing.T) {
	s, _, _ := cxxStore(t)
	p := plan(t, fix.PlanOptions{File: cxxProgram(t), LibRoots: []string{s.root}})
	w := startsWithWrapper(t, p)
	r := run(t, []string{"PATH=" + t.TempDir()}, "/bin/sh", w)
	if r.Exit != 127 || r.Marker || !strings.Contains(r.Stderr, "stat(1) is not on PATH") {
		t.Errorf("the wrapper without stat: %s", r)
	}
}
