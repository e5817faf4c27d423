package fix_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/fix"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

const ldName = "ld-linux-x86-64.so.2"

func plan(t *testing.T, opts fix.PlanOptions) *fix.Result {
	t.Helper()
	p, err := fix.Plan(context.Background(), opts)
	if err != nil {
		t.Fatalf("Plan(%s): %v", opts.File, err)
	}
	return p
}

func describe(p *fix.Result) string {
	if p == nil {
		return "(nil)"
	}
	var b strings.Builder
	b.WriteString("loader " + p.Loader + " --library-path " + strings.Join(p.LibraryPath, ":") + "\n")
	for _, l := range p.Libraries {
		b.WriteString("  " + l.Name + " = " + l.Path + "\n")
	}
	for _, r := range p.Refused {
		b.WriteString("  refused: " + r.String() + "\n")
	}
	for _, pr := range p.Problems {
		b.WriteString("  problem " + pr.Code + ": " + pr.Summary + "\n")
		for _, e := range pr.Evidence {
			b.WriteString("      " + e + "\n")
		}
	}
	return b.String()
}

func chosen(p *fix.Result, name string) string {
	for _, l := range p.Libraries {
		if l.Name == name {
			return l.Path
		}
	}
	return ""
}

func refusedFor(p *fix.Result, path, phrase string) bool {
	for _, r := range p.Refused {
		if strings.HasPrefix(r.Path, path) && strings.Contains(r.String(), phrase) {
			return true
		}
	}
	return false
}

// startsWithWrapper writes the plan's wrapper and runs it: the program
// must start and print its marker.
func startsWithWrapper(t *testing.T, p *fix.Result) string {
	t.Helper()
	w := filepath.Join(t.TempDir(), "run-it")
	if err := fix.WriteWrapper(p, w, []string{"elfdoctor", "fix", "--wrapper", w, p.File}); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, w); r.Class != damage.Starts || !r.Marker {
		t.Fatalf("the wrapper of the plan did not start the program: %s\n%s", r, describe(p))
	}
	return w
}

// TestPlanDiamondLibstdcxx: three libstdc++.so.6 in the store, first met
// GCC 10's (too old: no GLIBCXX_3.4.30), then GCC 14's (needs
// GLIBC_2.38, which the only glibc, 2.36, lacks), then GCC 12's, the one
// that fits. The plan takes GCC 12's and its wrapper starts the program
// (built by g++, and by clang++ with lld); the naive path, the store's
// order, fails in ld.so's words.
func TestPlanDiamondLibstdcxx(t *testing.T) {
	for _, compiler := range []string{"g++", "clang++"} {
		t.Run(compiler, func(t *testing.T) { diamondLibstdcxx(t, compiler) })
	}
}

func diamondLibstdcxx(t *testing.T, compiler string) {
	s := newStore(t)
	gcc10 := s.gccLib(0, "bullseye", "gcc-10.2.1-lib")
	gcc14 := s.gccLib(1, "trixie", "gcc-14.2.0-lib")
	gcc12 := s.gccLib(2, "bookworm", "gcc-12.2.0-lib")
	glibc := s.glibc(3, "bookworm")
	prog := cxxProgramWith(t, compiler)

	p := plan(t, fix.PlanOptions{File: prog, LibRoots: []string{s.root}})
	if !p.OK {
		t.Fatalf("no plan:\n%s", describe(p))
	}
	if p.Loader != filepath.Join(glibc, ldName) || chosen(p, "libstdc++.so.6") != filepath.Join(gcc12, "libstdc++.so.6") {
		t.Fatalf("plan:\n%s\nwant the loader of %s and GCC 12's libstdc++", describe(p), glibc)
	}
	if !refusedFor(p, gcc10, "version `GLIBCXX_3.4.30' not found (required by "+prog+")") {
		t.Errorf("GCC 10's libstdc++ is not refused for GLIBCXX_3.4.30:\n%s", describe(p))
	}
	if !refusedFor(p, glibc, "version `GLIBC_2.38' not found (required by libstdc++.so.6 from "+gcc14) {
		t.Errorf("GCC 14's libstdc++ is not refused for GLIBC_2.38:\n%s", describe(p))
	}
	startsWithWrapper(t, p)

	naive := run(t, nil, filepath.Join(glibc, ldName), "--library-path", strings.Join([]string{gcc10, gcc14, gcc12, glibc}, ":"), prog)
	if naive.Class != damage.LoaderError || !strings.Contains(naive.Stderr, "version `GLIBCXX_3.4.30' not found") {
		t.Errorf("the naive library path: %s; want ld.so's version `GLIBCXX_3.4.30' not found", naive)
	}
}

// TestPlanNewestGlibc: GCC 14's libstdc++ requires GLIBC_2.38, which only
// the newest of three glibc builds defines. The plan takes that glibc's
// loader and libc; glibc 2.36's loader with its libc, the first that the
// program itself accepts, fails in ld.so's words.
func TestPlanNewestGlibc(t *testing.T) {
	s := newStore(t)
	gcc14 := s.gccLib(0, "trixie", "gcc-14.2.0-lib")
	g231 := s.glibc(1, "bullseye")
	g236 := s.glibc(2, "bookworm")
	g241 := s.glibc(3, "trixie")
	prog := cxxProgram(t)

	p := plan(t, fix.PlanOptions{File: prog, LibRoots: []string{s.root}})
	if !p.OK || p.Loader != filepath.Join(g241, ldName) || chosen(p, "libc.so.6") != filepath.Join(g241, "libc.so.6") {
		t.Fatalf("plan:\n%s\nwant glibc 2.41 (%s)", describe(p), g241)
	}
	if !refusedFor(p, g231, "version `GLIBC_2.34' not found (required by "+prog+")") {
		t.Errorf("glibc 2.31's libc is not refused for the program's GLIBC_2.34:\n%s", describe(p))
	}
	if !refusedFor(p, g236, "version `GLIBC_2.38' not found (required by libstdc++.so.6 from "+gcc14) {
		t.Errorf("glibc 2.36's libc is not refused for libstdc++'s GLIBC_2.38:\n%s", describe(p))
	}
	startsWithWrapper(t, p)

	naive := run(t, nil, filepath.Join(g236, ldName), "--library-path", gcc14+":"+g236, prog)
	if naive.Class != damage.LoaderError || !strings.Contains(naive.Stderr, "version `GLIBC_2.38' not found (required by "+filepath.Join(gcc14, "libstdc++.so.6")) {
		t.Errorf("glibc 2.36 with GCC 14's libstdc++: %s; want ld.so's version `GLIBC_2.38' not found", naive)
	}
}

// TestPlanRefusesMixedGlibc: the loader asked for is glibc 2.36's, and
// the only libc.so.6 is 2.41's. The plan is refused and says why; the
// pair, run for real, does not start.
func TestPlanRefusesMixedGlibc(t *testing.T) {
	s := newStore(t)
	gcc12 := s.gccLib(0, "bookworm", "gcc-12.2.0-lib")
	g241 := s.glibc(1, "trixie")
	// glibc 2.36's loader alone, as /lib64 holds it on other systems.
	other := newStore(t)
	g236 := other.pkg(0, "glibc-2.36-loader")
	other.copyLib(filepath.Join(multiarch(debian(t, "bookworm")), ldName), g236)
	prog := cxxProgram(t)

	p := plan(t, fix.PlanOptions{File: prog, LibRoots: []string{s.root}, Loader: filepath.Join(g236, ldName)})
	if p.OK || len(p.Problems) == 0 || p.Problems[0].Code != "no-consistent-set" {
		t.Fatalf("a loader of glibc 2.36 with libc 2.41 was not refused:\n%s", describe(p))
	}
	if !refusedFor(p, filepath.Join(g241, "libc.so.6"), "not to the loader's") || !strings.Contains(p.Problems[0].Summary, "2.41") {
		t.Errorf("the refusal does not say the builds differ:\n%s", describe(p))
	}
	naive := run(t, nil, filepath.Join(g236, ldName), "--library-path", gcc12+":"+g241, prog)
	if naive.Class == damage.Starts || naive.Marker {
		t.Errorf("glibc 2.36's loader with glibc 2.41's libc: %s; want a failure before main", naive)
	}
}

// TestPlanOrdersShadowingDirs: the vendor's folder holds the libdemo.so.1
// the program needs and an old libstdc++.so.6 (GCC 10's) beside it; the
// store holds GCC 12's. Both folders must be on the path, and ld.so takes
// the first libstdc++.so.6 along it: the plan puts the store's folder
// first although the vendor's is used first. The reverse order, run for
// real, fails with ld.so's version error.
func TestPlanOrdersShadowingDirs(t *testing.T) {
	reality.NeedTools(t, "g++")
	s := newStore(t)
	vendor := s.pkg(0, "vendor-app")
	s.copyLib(filepath.Join(multiarch(debian(t, "bullseye")), "libstdc++.so.6"), vendor)
	s.copyLib(reality.RepoPath(t, "testdata/bin/libdemo.so.1"), vendor)
	gcc12 := s.gccLib(1, "bookworm", "gcc-12.2.0-lib")
	glibc := s.glibc(2, "bookworm")
	prog := filepath.Join(t.TempDir(), "uses-both")
	if out, err := exec.Command("g++", "-O1", "-o", prog, "testdata/cxx-new.cc", "-Wl,--no-as-needed",
		reality.RepoPath(t, "testdata/bin/libdemo.so.1")).CombinedOutput(); err != nil {
		t.Fatalf("g++: %v\n%s", err, out)
	}
	p := plan(t, fix.PlanOptions{File: prog, LibRoots: []string{s.root}})
	if !p.OK || chosen(p, "libdemo.so.1") != filepath.Join(vendor, "libdemo.so.1") || chosen(p, "libstdc++.so.6") != filepath.Join(gcc12, "libstdc++.so.6") {
		t.Fatalf("plan:\n%s", describe(p))
	}
	at := map[string]int{}
	for i, d := range p.LibraryPath {
		at[d] = i
	}
	if at[gcc12] > at[vendor] {
		t.Errorf("library path %v: GCC 12's folder must come before the vendor's, whose libstdc++ would shadow it", p.LibraryPath)
	}
	startsWithWrapper(t, p)
	naive := run(t, nil, filepath.Join(glibc, ldName), "--library-path", strings.Join([]string{vendor, gcc12, glibc}, ":"), prog)
	if naive.Class != damage.LoaderError || !strings.Contains(naive.Stderr, "version `GLIBCXX_3.4.30' not found") {
		t.Errorf("the vendor's folder first: %s; want ld.so's version `GLIBCXX_3.4.30' not found", naive)
	}
}

// TestPlanNeededPath: a DT_NEEDED with a slash is opened as it is, not
// searched, so its folder stays off the library path.
func TestPlanNeededPath(t *testing.T) {
	reality.NeedTools(t, "patchelf")
	dir := t.TempDir()
	lib := filepath.Join(dir, "vendor", "libdemo.so.1")
	os.MkdirAll(filepath.Dir(lib), 0o755)
	if err := os.WriteFile(lib, reality.MustRead(t, reality.RepoPath(t, "testdata/bin/libdemo.so.1")), 0o755); err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(dir, "prog")
	if err := damage.Patchelf(reality.RepoPath(t, "testdata/bin/uses-libdemo"), prog, []string{"--replace-needed", "libdemo.so.1", lib, "--remove-rpath"}); err != nil {
		t.Fatal(err)
	}
	p := plan(t, fix.PlanOptions{File: prog, LibRoots: []string{"/usr/lib/x86_64-linux-gnu"}})
	if !p.OK || chosen(p, lib) != lib || len(p.LibraryPath) != 1 {
		t.Fatalf("plan:\n%s", describe(p))
	}
	w := filepath.Join(dir, "run")
	if err := fix.WriteWrapper(p, w, nil); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, w); r.Class != damage.Starts || !strings.HasPrefix(r.Stdout, "demo 1 2 ") {
		t.Fatalf("the wrapper: %s (stdout %q)", r, r.Stdout)
	}
}

// TestPlanNode: the machine's node (about 90 MB of C++, GLIBC_2.28 at
// most) in a store whose first libstdc++ is GCC 14's, which needs
// GLIBC_2.38, with only glibc 2.31 to run it: the plan passes over GCC 14's
// for GCC 10's, and the wrapper runs a script, its arguments passed
// through.
func TestPlanNode(t *testing.T) {
	reality.NeedTools(t, "node")
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t)
	gcc14 := s.gccLib(0, "trixie", "gcc-14.2.0-lib")
	g231 := s.glibc(1, "bullseye")
	gcc10 := s.gccLib(2, "bullseye", "gcc-10.2.1-lib")
	p := plan(t, fix.PlanOptions{File: node, LibRoots: []string{s.root}})
	if !p.OK || p.Loader != filepath.Join(g231, ldName) || chosen(p, "libstdc++.so.6") != filepath.Join(gcc10, "libstdc++.so.6") {
		t.Fatalf("plan for %s:\n%s", node, describe(p))
	}
	if !refusedFor(p, g231, "version `GLIBC_2.38' not found (required by libstdc++.so.6 from "+gcc14) {
		t.Errorf("GCC 14's libstdc++ is not refused for GLIBC_2.38:\n%s", describe(p))
	}
	w := filepath.Join(t.TempDir(), "node")
	if err := fix.WriteWrapper(p, w, nil); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, w, "-e", "console.log(process.argv[1] + '-started')", "elfdoctor"); r.Class != damage.Starts || !r.Marker {
		t.Fatalf("node through the wrapper: %s", r)
	}
}

// TestPlanRunpath: uses-libdemo finds libdemo.so.1 through its RUNPATH
// ($ORIGIN) beside it; only glibc is under the root. The plan takes the
// library there, keeps its folder off the library path (ld.so searches
// RUNPATH after it), and the wrapper starts the program.
func TestPlanRunpath(t *testing.T) {
	s := newStore(t)
	s.glibc(0, "bookworm")
	dir := t.TempDir()
	prog := filepath.Join(dir, "uses-libdemo")
	for _, f := range []string{"uses-libdemo", "libdemo.so.1"} {
		if err := os.WriteFile(filepath.Join(dir, f), reality.MustRead(t, reality.RepoPath(t, "testdata/bin/"+f)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p := plan(t, fix.PlanOptions{File: prog, LibRoots: []string{s.root}})
	if !p.OK || chosen(p, "libdemo.so.1") != filepath.Join(dir, "libdemo.so.1") || contains(p.LibraryPath, dir) {
		t.Fatalf("plan:\n%s", describe(p))
	}
	if p.Libraries[0].Via != "RUNPATH of "+prog {
		t.Errorf("libdemo.so.1 via %q, want the program's RUNPATH", p.Libraries[0].Via)
	}
	w := filepath.Join(t.TempDir(), "run")
	if err := fix.WriteWrapper(p, w, nil); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, w); r.Class != damage.Starts || !strings.HasPrefix(r.Stdout, "demo 1 2 ") {
		t.Fatalf("the wrapper: %s (stdout %q)", r, r.Stdout)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
