package reality

import (
	"os"
	"sync"
	"testing"
)

// need is NeedTools, and root: the fuzzer chroots into the glibc roots
// and mounts /proc in them.
func need(tb testing.TB, tools ...string) {
	tb.Helper()
	NeedTools(tb, tools...)
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			tb.Fatal("the differential fuzzer chroots into glibc roots and mounts /proc: run it as root")
		}
		tb.Skip("the differential fuzzer chroots into glibc roots and mounts /proc: run it as root")
	}
}

var glibcsOnce struct {
	sync.Once
	gs  []Glibc
	err error
}

// glibcs returns the three glibc roots, fetching them on first use.
func glibcs(tb testing.TB) []Glibc {
	tb.Helper()
	need(tb, "apt-get", "dpkg-deb", "ldconfig")
	glibcsOnce.Do(func() {
		for _, s := range Suites {
			g, err := DebianRoot(tb.Context(), s, RootPackages)
			if err != nil {
				glibcsOnce.err = err
				return
			}
			glibcsOnce.gs = append(glibcsOnce.gs, g)
		}
		sortedGlibcs(glibcsOnce.gs)
	})
	if err := glibcsOnce.err; err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("fetching the glibc roots: %v", err)
		}
		tb.Skipf("fetching the glibc roots (apt's mirror unreachable?): %v", err)
	}
	return glibcsOnce.gs
}

// TestGlibcRoots checks that the mirror serves the three glibc builds the
// fuzzer is meant to compare against.
func TestGlibcRoots(t *testing.T) {
	want := map[string]string{"bullseye": "2.31", "bookworm": "2.36", "trixie": "2.41"}
	for _, g := range glibcs(t) {
		t.Logf("%s: libc6 %s in %s", g.Suite, g.Package, g.Root)
		if g.Version != want[g.Suite] {
			t.Errorf("%s's glibc is %s, want %s", g.Suite, g.Version, want[g.Suite])
		}
	}
}
