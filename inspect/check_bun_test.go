package inspect_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/damage"
)

// bunVersion is the Bun of the original report.
const bunVersion = "1.3.14"

var bunOnce struct {
	sync.Once
	app string
	err error
}

// bunApp returns a single-file executable built with `bun build --compile`
// from a one-line script, cached with the Bun that built it. Bun itself is
// fetched by scripts/fetch-bun through npm when it is not cached yet.
func bunApp(t *testing.T) string {
	t.Helper()
	needTools(t, "npm")
	bunOnce.Do(func() { bunOnce.app, bunOnce.err = buildBunApp() })
	if bunOnce.err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(bunOnce.err)
		}
		t.Skip(bunOnce.err)
	}
	return bunOnce.app
}

func buildBunApp() (string, error) {
	out, err := exec.Command("../scripts/fetch-bun", bunVersion).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return "", &fetchError{string(ee.Stderr), err}
		}
		return "", err
	}
	bun := strings.TrimSpace(string(out))
	app := filepath.Join(filepath.Dir(bun), "app-v1")
	if _, err := os.Stat(app); err == nil {
		return app, nil
	}
	tmp, err := os.MkdirTemp(filepath.Dir(bun), "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	script := `console.log("` + damage.Marker + `")` + "\n"
	if err := os.WriteFile(filepath.Join(tmp, "app.ts"), []byte(script), 0o644); err != nil {
		return "", err
	}
	cmd := exec.Command(bun, "build", "--compile", "app.ts", "--outfile", "app")
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "BUN_INSTALL_CACHE_DIR="+filepath.Join(tmp, "cache"), "DO_NOT_TRACK=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", &fetchError{string(out), err}
	}
	return app, os.Rename(filepath.Join(tmp, "app"), app)
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
