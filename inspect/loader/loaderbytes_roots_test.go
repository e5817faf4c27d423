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
// one read of its file that replaced three: bookworm's and trixie's
// loaders say 2.36 and 2.41 (the release their libc6 package names);
// bullseye's 2.31 loader carries no banner (its libc.so.6 does), so its
// release stays unknown, as it was. All search the multiarch
// directories first.
func TestLoaderReleaseRoots(t *testing.T) {
	banner := map[string]bool{"bullseye": false, "bookworm": true, "trixie": true}
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
			switch got := "2." + strconv.Itoa(minor); {
			case banner[s] && got != g.Version:
				t.Errorf("LoaderRelease(%s) = %s, want %s", ld, got, g.Version)
			case !banner[s] && minor != 0:
				t.Errorf("LoaderRelease(%s) = %s, want 0 (unknown: no banner in this loader)", ld, got)
			}
			if len(dirs) == 0 || dirs[0] != "/lib/x86_64-linux-gnu" || !strings.HasSuffix(dirs[len(dirs)-1], "/lib") {
				t.Errorf("LoaderRelease(%s) dirs = %q, want the multiarch directories first", ld, dirs)
			}
		})
	}
}
