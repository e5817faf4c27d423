package loader_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// TestCheckPatchelfReality rewrites gcc, clang/lld, non-PIE and Bun-like
// programs (64 MiB initialised RW segment, FileSiz == MemSiz) the way
// NixOS users do with the machine's patchelf, and compares Check's
// prediction with a real run of each copy.
func TestCheckPatchelfReality(t *testing.T) {
	reality.NeedTools(t, "patchelf")
	inputs := reality.Inputs(t)
	if _, err := os.Stat("/lib64/ld-linux-x86-64.so.2"); err != nil {
		t.Skipf("no x86-64 loader at /lib64: %v", err)
	}
	one := func(args ...string) [][]string { return [][]string{args} }
	ops := []struct {
		name string
		runs func(ld string) [][]string
	}{
		{"set-interpreter-long", func(ld string) [][]string { return one("--set-interpreter", ld) }},
		{"set-rpath-long", func(string) [][]string { return one("--set-rpath", reality.NixRpath) }},
		{"nixos", func(ld string) [][]string { return one("--set-interpreter", ld, "--set-rpath", reality.NixRpath) }},
		{"force-rpath", func(ld string) [][]string {
			return one("--set-interpreter", ld, "--force-rpath", "--set-rpath", reality.NixRpath)
		}},
		{"add-needed", func(string) [][]string { return one("--add-needed", "libm.so.6") }},
		{"replace-needed-abs", func(string) [][]string {
			return one("--replace-needed", "libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6")
		}},
		// What the user sees when the store path is garbage-collected, and
		// when a library is renamed to one that is not there.
		{"interpreter-gone", func(ld string) [][]string {
			return one("--set-interpreter", strings.Replace(ld, "glibc-2.36", "glibc-0.00", 1))
		}},
		{"replace-needed-missing", func(string) [][]string { return one("--replace-needed", "libc.so.6", "libc.so.5") }},
		// An installer that patches again after every update: three
		// rounds of rewrites on the same file.
		{"repatched", reality.RepatchRuns},
	}
	var sum reality.Summary
	for _, in := range inputs {
		if in.M32 {
			continue // patched to the 64-bit loader it would not run
		}
		for _, op := range ops {
			name := in.Name + "/patchelf-" + op.name
			t.Run(name, func(t *testing.T) {
				if in.Big {
					t.Parallel()
				}
				dir := t.TempDir()
				ld := reality.NixLoader(t, dir)
				p := filepath.Join(dir, in.Name)
				if err := damage.Patchelf(in.Path, p, op.runs(ld)...); err != nil {
					t.Fatal(err)
				}
				if in.Lib != "" {
					if err := os.WriteFile(filepath.Join(dir, filepath.Base(in.Lib)), reality.MustRead(t, in.Lib), 0o755); err != nil {
						t.Fatal(err)
					}
				}
				res, real := reality.RunCase(t, reality.Case{Name: name, Dir: dir, Path: p})
				sum.Add(name, res, real)
			})
		}
	}
	t.Cleanup(func() { sum.Log(t) })
}
