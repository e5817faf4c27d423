package inspect_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/damage"
)

// bunVersion is the Bun of the original report.
const bunVersion = "1.3.14"

// bunApp returns a single-file executable built with `bun build --compile`
// by the Bun of the original report (see bunCompiled).
func bunApp(t *testing.T) string {
	t.Helper()
	return bunCompiled(t, bunVersion, "").app
}

type fetchError struct {
	out string
	err error
}

func (e *fetchError) Error() string { return "bun: " + e.err.Error() + "\n" + e.out }

// TestCheckBunReality patches a real Bun single-file executable (about
// 90 MiB, linked by lld, RW segment with FileSiz == MemSiz) the NixOS way
// and runs it: Check must agree with every run.
func TestCheckBunReality(t *testing.T) {
	needTools(t, "patchelf")
	app := bunApp(t)
	cases := []struct {
		name string
		runs func(ld string) [][]string
	}{
		{"pristine", func(string) [][]string { return nil }},
		{"nixos", func(ld string) [][]string { return [][]string{{"--set-interpreter", ld, "--set-rpath", nixRpath}} }},
		{"repatched", repatchRuns},
		{"interpreter-gone", func(ld string) [][]string {
			return [][]string{{"--set-interpreter", strings.Replace(ld, "glibc-2.36", "glibc-0.00", 1)}}
		}},
	}
	var sum summary
	for _, c := range cases {
		name := "bun-" + bunVersion + "/" + c.name
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			ld := nixLoader(t, dir)
			p := filepath.Join(dir, "app")
			if err := damage.Patchelf(app, p, c.runs(ld)...); err != nil {
				t.Fatal(err)
			}
			res, real := runCase(t, realityCase{name: name, dir: dir, path: p})
			sum.add(name, res, real)
		})
	}
	t.Cleanup(func() { sum.log(t) })
}
