package loader_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// TestCheckRewrittenNote checks the note that a file predicted to fail
// was rewritten after linking: given for a patchelf copy whose RUNPATH
// no longer finds its library (run for real), not for one whose Nix
// interpreter is not on this machine (interp-missing says what the
// rewrite did), nor for a rewritten copy that starts, nor for a pristine
// program that fails for another reason (its library is not beside it).
func TestCheckRewrittenNote(t *testing.T) {
	reality.NeedTools(t, "patchelf")
	copyTo := func(dir, name string) string {
		b, err := os.ReadFile(filepath.Join("../../testdata/bin", name))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	alone := copyTo(t.TempDir(), "uses-libdemo")
	dir := t.TempDir()
	copyTo(dir, "libdemo.so.1")
	rewritten := copyTo(dir, "uses-libdemo")
	if out, err := exec.Command("patchelf", "--set-rpath", "/nix/store/x4yg3j8c1mnm2dsq9f4w6jmh4v1c5f7b-demo-1.0/lib", rewritten).CombinedOutput(); err != nil {
		t.Fatalf("patchelf: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		name, path string
		outcome    loader.Outcome
		note       bool
	}{
		{"runpath-rewritten", rewritten, loader.OutcomeLoaderError, true},
		{"interp-rewritten", "../../testdata/bin/gcc-pie.patched", loader.OutcomeExecFails, false},
		{"rewritten-starts", "../../testdata/bin/gcc-pie.patched-rpath", loader.OutcomeStarts, false},
		{"pristine-fails", alone, loader.OutcomeLoaderError, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := loader.Check(tc.path, loader.CheckOptions{Getenv: reality.NoEnv})
			if err != nil {
				t.Fatal(err)
			}
			note := false
			for _, f := range res.Findings {
				if f.Code == "rewritten" {
					note = true
					if f.Severity != loader.SeverityNote || len(f.Evidence) == 0 {
						t.Errorf("the rewritten finding is %s with %d signs, want a note with its signs", f.Severity, len(f.Evidence))
					}
				}
			}
			if res.Outcome != tc.outcome || note != tc.note {
				t.Errorf("outcome %s, rewritten note %v; want %s, %v\n%s", res.Outcome, note, tc.outcome, tc.note, reality.Describe(res))
			}
			if !tc.note {
				return
			}
			real, err := damage.Run(context.Background(), dir, reality.Timeout, nil, tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if real.Exit != 127 || !strings.Contains(real.Stderr, res.Fatal().Message) {
				t.Errorf("run for real: %s, want exit 127 and %q", real, res.Fatal().Message)
			}
		})
	}
}
