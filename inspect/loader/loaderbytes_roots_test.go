package loader_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// The release and search path check reads from each real loader, by the
// one read of its file that replaced three: bookworm's, trixie's and
// forky's loaders name 2.36, 2.41 and 2.43 in their bytes, and
// bullseye's 2.31, which carries no banner, by its file name
// (ld-2.31.so): the release their libc6 package names. All search the
// multiarch directories first.
func TestLoaderReleaseRoots(t *testing.T) {
	reality.NeedTools(t, "apt-get", "dpkg-deb", "ldconfig")
	for _, s := range reality.Suites {
		t.Run(s, func(t *testing.T) {
			g, err := reality.DebianRoot(t.Context(), s, reality.RootPackages)
			if err != nil {
				if os.Getenv("CI") != "" {
					t.Fatalf("fetching %s's glibc: %v", s, err)
				}
				t.Skipf("fetching %s's glibc: %v", s, err)
			}
			ld, err := filepath.EvalSymlinks(filepath.Join(g.Root, "lib64", "ld-linux-x86-64.so.2"))
			if err != nil {
				t.Fatal(err)
			}
			minor, dirs := loader.LoaderRelease(ld)
			if got := "2." + strconv.Itoa(minor); got != g.Version {
				t.Errorf("LoaderRelease(%s) = %s, want %s", ld, got, g.Version)
			}
			if len(dirs) == 0 || dirs[0] != "/lib/x86_64-linux-gnu" || !strings.HasSuffix(dirs[len(dirs)-1], "/lib") {
				t.Errorf("LoaderRelease(%s) dirs = %q, want the multiarch directories first", ld, dirs)
			}
		})
	}
}
