package reality

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
)

// vendorLoader is the interpreter the rewrites give the vendor programs:
// a Nix-store-shaped path, longer than the one they were linked with so
// that patchelf has to make room, which each glibc root links to its own
// loader.
const vendorLoader = "/nix/store/8hpdq3yzmp2yy7x0a4w2pcn4s8g2k9l1-glibc-elfdoctor/lib/ld-linux-x86-64.so.2"

// TestVendorGlibcs is the held-out test of check across glibc builds:
// every vendor program that does not need this machine's own libraries
// (reality.VendorPrograms), pristine and rewritten each way by both
// patchelf releases, predicted and run for real under Debian bullseye's
// 2.31, bookworm's 2.36 and trixie's 2.41, in the roots the differential
// fuzzer runs in. Every prediction must agree with its run; the log has
// one line per copy and glibc.
func TestVendorGlibcs(t *testing.T) {
	f := setup(t)
	for _, root := range f.Roots {
		ld := filepath.Join(root.Root, vendorLoader)
		if err := os.MkdirAll(filepath.Dir(ld), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/lib64/ld-linux-x86-64.so.2", ld); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var lines []string
	agreed, runs := 0, 0
	for _, p := range VendorPrograms {
		if p.Host {
			continue
		}
		t.Run(p.Name, func(t *testing.T) {
			src := p.Path(t)
			for i, c := range VendorCopies(t, ProgramRewrites) {
				t.Run(c.Name, func(t *testing.T) {
					t.Parallel()
					dst, name := c.Write(t, p.Name, src, t.TempDir(), vendorLoader)
					for _, root := range f.Roots {
						rel := fmt.Sprintf("/v/%s-%d", p.Name, i)
						dir := filepath.Join(root.Root, rel)
						if err := os.MkdirAll(dir, 0o755); err != nil {
							t.Fatal(err)
						}
						in := filepath.Join(dir, filepath.Base(src))
						// A link, not a copy: the programs are up to
						// 130 MB, and each root gets every copy.
						if err := os.Link(dst, in); err != nil {
							t.Fatal(err)
						}
						pred, err := loader.Check(in, loader.CheckOptions{Root: root.Root, Getenv: NoEnv})
						if err != nil {
							t.Fatalf("Check(%s) under %s: %v", name, root, err)
						}
						obs, err := Observe(t.Context(), root.Root, rel, path.Join(rel, filepath.Base(src)), Limits{
							Timeout: Timeout, Output: 16 << 10, Args: p.Args, Marker: p.Marker,
							Env: []string{"HOME=" + rel},
						})
						os.RemoveAll(dir)
						if err != nil {
							t.Fatal(err)
						}
						div := Compare(inChroot(pred, root.Root), obs)
						mu.Lock()
						runs++
						if div == "" {
							agreed++
						}
						lines = append(lines, fmt.Sprintf("%-48s %-14s predicted %-40s really %s", name, root, describePrediction(pred), obs))
						mu.Unlock()
						if div != "" {
							t.Errorf("%s under %s: %s", name, root, div)
						}
						if c.Rewrite == nil && !versionLess(root.Version, "2.35") && (obs.Class != ClassStarts) {
							t.Errorf("the pristine %s does not start under %s: %s", p.Name, root, obs)
						}
					}
				})
			}
		})
	}
	t.Cleanup(func() {
		sort.Strings(lines)
		t.Logf("%d of %d runs agreed:\n%s", agreed, runs, strings.Join(lines, "\n"))
	})
}
