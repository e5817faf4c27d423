package loader_test

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// vendorCopy is one copy of a vendor file: pristine (no patchelf), or
// rewritten one way by one patchelf release.
type vendorCopy struct {
	name string
	pe   []string
	rw   *reality.Rewrite
}

func vendorCopies(t *testing.T, rewrites []reality.Rewrite) []vendorCopy {
	pes := reality.Patchelfs(t)
	var names []string
	for n := range pes {
		names = append(names, n)
	}
	sort.Strings(names)
	copies := []vendorCopy{{name: "pristine"}}
	for _, n := range names {
		for i := range rewrites {
			copies = append(copies, vendorCopy{n + "/" + rewrites[i].Name, pes[n], &rewrites[i]})
		}
	}
	return copies
}

// make writes the copy of src into a fresh directory and returns the
// directory, the copy's path and its name for the log. withLoader gives
// the rewrite a Nix-store-shaped interpreter in that directory.
func (c vendorCopy) make(t *testing.T, prefix, src string, withLoader bool) (dir, dst, name string) {
	t.Helper()
	dir = t.TempDir()
	dst = filepath.Join(dir, filepath.Base(src))
	name = prefix + "/" + c.name
	var runs [][]string
	if c.rw != nil {
		ld := ""
		if withLoader {
			ld = reality.NixLoader(t, dir)
		}
		runs = c.rw.Runs(ld)
	}
	if reality.Rewritten(t, c.pe, src, dst, runs) {
		name += " (patchelf died)"
	}
	return dir, dst, name
}

// TestCheckVendorRewrites is the held-out test of check on this
// machine's loader, for the vendor programs that run only here (their
// libraries are the system's): pristine and rewritten each way by both
// patchelf releases NixOS users meet, predicted and then run for real.
// The other vendor programs run under three glibc builds in
// internal/reality's TestVendorGlibcs.
func TestCheckVendorRewrites(t *testing.T) {
	if _, err := os.Stat("/lib64/ld-linux-x86-64.so.2"); err != nil {
		t.Skipf("no x86-64 loader at /lib64: %v", err)
	}
	var sum reality.Summary
	for _, p := range reality.VendorPrograms {
		if !p.Host {
			continue
		}
		t.Run(p.Name, func(t *testing.T) {
			src := p.Path(t)
			for _, c := range vendorCopies(t, reality.ProgramRewrites) {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					dir, dst, name := c.make(t, p.Name, src, true)
					res, real := reality.RunCase(t, reality.Case{
						Name: name, Dir: dir, Path: dst,
						Argv:   append([]string{dst}, p.Args...),
						Marker: p.Marker,
						Env:    []string{"HOME=" + dir},
					})
					sum.Add(name, res, real)
					if c.rw == nil && (real.Class != damage.Starts || !real.Marker) {
						t.Errorf("the pristine %s does not start here: %s", p.Name, real)
					}
				})
			}
		})
	}
	t.Cleanup(func() { sum.Log(t) })
}

// TestCheckVendorAddons is the same for Node-API addons: each one
// pristine and rewritten by both patchelf releases, predicted as loaded
// by Debian's node (--loaded-by) and then required by it for real.
func TestCheckVendorAddons(t *testing.T) {
	reality.NeedTools(t, "node")
	var sum reality.Summary
	for _, a := range reality.VendorAddons {
		t.Run(a.Name, func(t *testing.T) {
			src := reality.NpmFile(t, a.Spec, a.File)
			for _, c := range vendorCopies(t, reality.AddonRewrites) {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					dir, dst, name := c.make(t, a.Name, src, false)
					res, real := reality.RunCase(t, reality.Case{
						Name: name, Dir: dir, Path: dst,
						Argv: []string{"/usr/bin/node", "-e", "require(process.argv[1]); console.log('" + damage.Marker + "')", dst},
						Opts: loader.CheckOptions{LoadedBy: "/usr/bin/node"},
					})
					sum.Add(name, res, real)
					if c.rw == nil && (real.Class != damage.Starts || !real.Marker) {
						t.Errorf("the pristine %s does not load here: %s", a.Name, real)
					}
				})
			}
		})
	}
	t.Cleanup(func() { sum.Log(t) })
}
