package loader_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// nix-ld is not packaged outside NixOS, so the test builds a stand-in
// with the same contract (testdata/src/nixld-shim.c): installed as
// PT_INTERP, it execs the loader NIX_LD names on the program with
// NIX_LD_LIBRARY_PATH as the library path, and refuses without NIX_LD.
// The kernel and ld.so that run it are the real ones.
func TestCheckNixLD(t *testing.T) {
	reality.NeedTools(t, "gcc", "patchelf")
	dir := t.TempDir()
	shim := filepath.Join(dir, "store", "0000000000000000000000000000000-nix-ld", "lib", "ld.so")
	os.MkdirAll(filepath.Dir(shim), 0o755)
	out, err := exec.Command("gcc", "-O1", "-static", "-nostdlib", "-fno-stack-protector", "-fno-pie", "-no-pie",
		"-o", shim, "../../testdata/src/nixld-shim.c").CombinedOutput()
	if err != nil {
		t.Fatalf("gcc shim: %v\n%s", err, out)
	}
	// uses-libdemo without its RUNPATH: libdemo.so.1 must come from
	// NIX_LD_LIBRARY_PATH.
	prog := filepath.Join(dir, "prog")
	if err := damage.Patchelf("../../testdata/bin/uses-libdemo", prog, []string{"--set-interpreter", shim, "--remove-rpath"}); err != nil {
		t.Fatal(err)
	}
	libs := filepath.Join(dir, "libs")
	os.MkdirAll(libs, 0o755)
	lib, err := os.ReadFile("../../testdata/bin/libdemo.so.1")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(libs, "libdemo.so.1"), lib, 0o755)

	for _, tc := range []struct {
		name    string
		env     map[string]string
		outcome loader.Outcome
		phrase  string // in the prediction's message and in the real stderr
	}{
		{"NIX_LD unset", nil, loader.OutcomeLoaderError, "NIX_LD"},
		{"library path missing", map[string]string{"NIX_LD": "/lib64/ld-linux-x86-64.so.2"}, loader.OutcomeLoaderError, "cannot open shared object file"},
		{"configured", map[string]string{"NIX_LD": "/lib64/ld-linux-x86-64.so.2", "NIX_LD_LIBRARY_PATH": libs}, loader.OutcomeStarts, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := loader.Check(prog, loader.CheckOptions{Getenv: func(k string) string { return tc.env[k] }})
			if err != nil {
				t.Fatal(err)
			}
			var env []string
			for k, v := range tc.env {
				env = append(env, k+"="+v)
			}
			real, err := damage.Run(context.Background(), dir, 10*time.Second, env, prog)
			if err != nil {
				t.Fatal(err)
			}
			if string(r.Outcome) != real.Class || string(r.Outcome) != string(tc.outcome) {
				t.Fatalf("loader.Check(%s) = %s (%s), really %s; want %s", tc.name, r.Outcome, r.Headline, real, tc.outcome)
			}
			if tc.phrase != "" {
				if f := r.Fatal(); f == nil || !strings.Contains(f.Message, tc.phrase) || !strings.Contains(real.Stderr, tc.phrase) {
					t.Errorf("phrase %q: predicted %+v, real stderr %q", tc.phrase, r.Fatal(), real.Stderr)
				}
			}
		})
	}
}
