package loader_test

import (
	"os"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// TestCheckVendorRewrites is the held-out test of check on this
// machine's loader, for the vendor programs that run only here (their
// libraries are the system's): pristine and rewritten each way by both
// patchelf releases NixOS users meet, predicted and then run for real.
// The other vendor programs run under four glibc builds in
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
			for _, c := range reality.VendorCopies(t, reality.ProgramRewrites) {
				t.Run(c.Name, func(t *testing.T) {
					t.Parallel()
					dir := t.TempDir()
					dst, name := c.Write(t, p.Name, src, dir, reality.NixLoader(t, dir))
					res, real := reality.RunCase(t, reality.Case{
						Name: name, Dir: dir, Path: dst,
						Argv:   append([]string{dst}, p.Args...),
						Marker: p.Marker,
						Env:    []string{"HOME=" + dir},
					})
					sum.Add(name, res, real)
					if c.Rewrite == nil && (real.Class != damage.Starts || !real.Marker) {
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
			for _, c := range reality.VendorCopies(t, reality.AddonRewrites) {
				t.Run(c.Name, func(t *testing.T) {
					t.Parallel()
					dir := t.TempDir()
					dst, name := c.Write(t, a.Name, src, a.Lay(t, dir), "")
					res, real := reality.RunCase(t, reality.Case{
						Name: name, Dir: dir, Path: dst,
						Argv: []string{"/usr/bin/node", "-e", "require(process.argv[1]); console.log('" + damage.Marker + "')", dst},
						Opts: loader.CheckOptions{LoadedBy: "/usr/bin/node"},
					})
					sum.Add(name, res, real)
					if c.Rewrite == nil && (real.Class != damage.Starts || !real.Marker) {
						t.Errorf("the pristine %s does not load here: %s", a.Name, real)
					}
				})
			}
		})
	}
	t.Cleanup(func() { sum.Log(t) })
}
