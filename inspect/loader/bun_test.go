package loader_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// bunVersion is the Bun of the original report.
const bunVersion = "1.3.14"

// bunApp returns a single-file executable built with `bun build --compile`
// by the Bun of the original report (see reality.BunCompiled).
func bunApp(t *testing.T) string {
	t.Helper()
	return reality.BunCompiled(t, bunVersion, "").App
}

// TestCheckBunReality patches a real Bun single-file executable (about
// 90 MiB, linked by lld, RW segment with FileSiz == MemSiz) the NixOS way
// and runs it: Check must agree with every run.
func TestCheckBunReality(t *testing.T) {
	reality.NeedTools(t, "patchelf")
	app := bunApp(t)
	cases := []struct {
		name string
		runs func(ld string) [][]string
	}{
		{"pristine", func(string) [][]string { return nil }},
		{"nixos", func(ld string) [][]string {
			return [][]string{{"--set-interpreter", ld, "--set-rpath", reality.NixRpath}}
		}},
		{"repatched", reality.RepatchRuns},
		{"interpreter-gone", func(ld string) [][]string {
			return [][]string{{"--set-interpreter", strings.Replace(ld, "glibc-2.36", "glibc-0.00", 1)}}
		}},
	}
	var sum reality.Summary
	for _, c := range cases {
		name := "bun-" + bunVersion + "/" + c.name
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			ld := reality.NixLoader(t, dir)
			p := filepath.Join(dir, "app")
			if err := damage.Patchelf(app, p, c.runs(ld)...); err != nil {
				t.Fatal(err)
			}
			res, real := reality.RunCase(t, reality.Case{Name: name, Dir: dir, Path: p})
			sum.Add(name, res, real)
		})
	}
	t.Cleanup(func() { sum.Log(t) })
}
