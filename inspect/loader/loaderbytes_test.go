package loader

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// glibcBuildRE is the banner as an expression: what findGlibcBuild
// finds, written the short way.
var glibcBuildRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\(([^)\x00]{1,80})\) (?:stable|development) release version ([0-9][0-9.]*[0-9])`)
})

// glibcBannerSeeds are the places glibc's banner is found in: the host's
// loader and libc, and banners that stress the shortcut (two of them, the
// longest build name the expression takes, one too long, a version that
// never ends in a digit, the banner at the very start of the buffer).
func glibcBannerSeeds(tb testing.TB) [][]byte {
	seeds := [][]byte{
		[]byte("(Debian GLIBC 2.36-9+deb12u14) stable release version 2.36."),
		[]byte("GNU C Library (Ubuntu GLIBC 2.39-0ubuntu8) stable release version 2.39.\n"),
		[]byte("(x) development release version 2.42.9000 and (y) stable release version 2.31"),
		[]byte("(" + string(bytes.Repeat([]byte("b"), 80)) + ") stable release version 2.3"),
		[]byte("(" + string(bytes.Repeat([]byte("b"), 81)) + ") stable release version 2.3 (c) stable release version 2.4"),
		[]byte("(a) stable release version 2. then (b) stable release version 2.41"),
		[]byte("((a) (b\x00c) stable release version 2.36 release version 2.37"),
		[]byte(" release version 2.36"),
	}
	for _, p := range []string{"/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libc.so.6"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// The banner and what surrounds it, so the fuzzer mutates near it.
		if i := bytes.Index(b, []byte(" release version ")); i >= 0 {
			seeds = append(seeds, b[max(0, i-4096):min(len(b), i+4096)])
		}
	}
	return seeds
}

// FuzzFindGlibcBuild proves the shortcut exact: findGlibcBuild finds
// what the expression finds in the whole buffer, the same bytes at the
// same places.
func FuzzFindGlibcBuild(f *testing.F) {
	for _, s := range glibcBannerSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, want := findGlibcBuild(b), glibcBuildRE().FindSubmatch(b)
		if len(got) != len(want) {
			t.Fatalf("findGlibcBuild(%q) = %q, want %q", b, got, want)
		}
		for i := range want {
			if !sameSlice(got[i], want[i]) {
				t.Fatalf("findGlibcBuild(%q)[%d] = %q at %p, want %q at %p", b, i, got[i], got[i], want[i], want[i])
			}
		}
	})
}

// sameSlice says whether a and b are the same bytes of one array.
func sameSlice(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	return len(a) == 0 || &a[0] == &b[0]
}

func TestFindGlibcBuildSeeds(t *testing.T) {
	for _, b := range glibcBannerSeeds(t) {
		got, want := findGlibcBuild(b), glibcBuildRE().FindSubmatch(b)
		if len(got) != len(want) || (len(want) > 0 && !sameSlice(got[0], want[0])) {
			t.Errorf("findGlibcBuild(%.80q) = %q, want %q", b, got, want)
		}
	}
}

// The loader's three answers come from one read of its file, and agree
// with reading it whole: its SYSTEM_DIRS, its release, and that it is not
// nix-ld's shim; a file that only mentions NIX_LD_LIBRARY_PATH is the
// shim, and one over the shim cap is not.
func TestLoaderBytes(t *testing.T) {
	ld := "/lib64/ld-linux-x86-64.so.2"
	b, err := os.ReadFile(ld)
	if err != nil {
		t.Skipf("no host loader: %v", err)
	}
	lb := loaderBytesOf(ld)
	if want := systemDirsIn(b); !equalStrings(lb.dirs, want) || len(want) == 0 {
		t.Errorf("loaderBytesOf(%s).dirs = %q, want %q", ld, lb.dirs, want)
	}
	if want, ok := glibcReleaseIn(b); lb.minor != want || lb.banner != ok || !lb.read {
		t.Errorf("loaderBytesOf(%s) = release %d, banner %v, want %d, %v", ld, lb.minor, lb.banner, want, ok)
	}
	if lb.shim {
		t.Errorf("loaderBytesOf(%s).shim = true, want false", ld)
	}
	if again := loaderBytesOf(ld); again != lb {
		t.Errorf("loaderBytesOf(%s) read the file again; want the cached answer", ld)
	}

	dir := t.TempDir()
	shim := filepath.Join(dir, "shim")
	if err := os.WriteFile(shim, []byte("\x7fELF...NIX_LD_LIBRARY_PATH\x00"), 0o755); err != nil {
		t.Fatal(err)
	}
	if !loaderBytesOf(shim).shim {
		t.Errorf("loaderBytesOf(%s).shim = false, want true", shim)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, append(make([]byte, maxShimBytes), "NIX_LD_LIBRARY_PATH"...), 0o755); err != nil {
		t.Fatal(err)
	}
	if loaderBytesOf(big).shim {
		t.Errorf("loaderBytesOf(%s).shim = true for a file over %d bytes, want false", big, maxShimBytes)
	}
	if lb := loaderBytesOf(filepath.Join(dir, "missing")); lb.read || lb.dirs != nil || lb.minor != 0 || lb.shim {
		t.Errorf("loaderBytesOf(missing) = %+v, want the zero answers", *lb)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The host's own loader is the oracle for what check reads from it
// without running it: `ld.so --help` lists its system search path, which
// loaderBytesOf finds as SYSTEM_DIRS in the loader's bytes. The test runs
// the host's loader, never an input.
func TestHostLoaderAgrees(t *testing.T) {
	ld, out := hostLoaderHelp(t)
	var dirs []string
	for _, line := range strings.Split(string(out), "\n") {
		if d, ok := strings.CutSuffix(strings.TrimSpace(line), " (system search path)"); ok {
			dirs = append(dirs, d)
		}
	}
	if len(dirs) == 0 {
		t.Fatalf("%s --help lists no system search path:\n%s", ld, out)
	}
	if got := loaderBytesOf(ld).dirs; !equalStrings(got, dirs) {
		t.Errorf("loaderBytesOf(%s).dirs = %q, the loader says %q", ld, got, dirs)
	}
}

// hostLoaderHelp runs the host's x86-64 loader with --help, which is
// what it says of itself; it fails under CI when it cannot.
func hostLoaderHelp(t *testing.T) (ld string, out []byte) {
	t.Helper()
	ld = "/lib64/ld-linux-x86-64.so.2"
	if runtime.GOARCH != "amd64" {
		t.Skipf("%s is x86-64's loader", ld)
	}
	out, err := exec.Command(ld, "--help").Output()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s --help: %v", ld, err)
		}
		t.Skipf("%s --help: %v", ld, err)
	}
	return ld, out
}
