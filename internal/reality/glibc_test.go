package reality

import (
	"fmt"
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

// glibcs returns the glibc roots of Suites, fetching them on first use.
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

// TestGlibcRoots checks that the mirror serves the glibc builds the
// fuzzer is meant to compare against. Forky is Debian's testing suite,
// whose glibc moves: it must be newer than trixie's, and the log says
// which it is (the closing notes name the release each soak ran).
func TestGlibcRoots(t *testing.T) {
	want := map[string]string{"bullseye": "2.31", "bookworm": "2.36", "trixie": "2.41"}
	for _, g := range glibcs(t) {
		t.Logf("%s: libc6 %s in %s", g.Suite, g.Package, g.Root)
		if g.Suite == "forky" {
			var minor int
			if _, err := fmt.Sscanf(g.Version, "2.%d", &minor); err != nil || minor < 42 {
				t.Errorf("forky's glibc is %s, want 2.42 or later", g.Version)
			}
			continue
		}
		if g.Version != want[g.Suite] {
			t.Errorf("%s's glibc is %s, want %s", g.Suite, g.Version, want[g.Suite])
		}
	}
}
