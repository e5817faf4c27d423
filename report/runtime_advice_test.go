package report

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// TestRuntimeAdviceNamesTheRewrite: a Bun application whose payload a
// real strip cut off is told not to strip, not not to patchelf; the
// SIGILL warning for a non-baseline build appears only for a CPU below
// x86-64-v3.
func TestRuntimeAdviceNamesTheRewrite(t *testing.T) {
	reality.NeedTools(t, "strip")
	app := reality.BunCompiled(t, "1.3.14", "").App
	stripped := filepath.Join(t.TempDir(), "app")
	if out, err := exec.Command("strip", "-o", stripped, app).CombinedOutput(); err != nil {
		t.Fatalf("strip: %v\n%s", err, out)
	}
	f, err := inspect.Open(stripped)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fp := inspect.Identify(f)
	if fp.Unreachable() == nil {
		t.Fatal("the stripped application's payload is reachable; the test proves nothing")
	}
	for _, tc := range []struct {
		cpu           string
		want, wantNot []string
	}{
		{"v2", []string{"Do not strip", "x86-64-v2, so it dies with SIGILL"}, []string{"patchelf"}},
		{"v3", []string{"Do not strip"}, []string{"patchelf", "SIGILL"}},
		{"", []string{"Do not strip"}, []string{"patchelf", "SIGILL"}},
	} {
		advice := strings.Join(runtimeNext(stripped, fp, tc.cpu), "\n")
		for _, w := range tc.want {
			if !strings.Contains(advice, w) {
				t.Errorf("CPU %q: advice lacks %q:\n%s", tc.cpu, w, advice)
			}
		}
		for _, w := range tc.wantNot {
			if strings.Contains(advice, w) {
				t.Errorf("CPU %q: advice says %q:\n%s", tc.cpu, w, advice)
			}
		}
	}
	// A stale DT_VERDEF names patchelf.
	patched := &inspect.Runtime{Name: "Bun", Payload: &inspect.Payload{},
		Marks: []inspect.Mark{{Name: "BUN_ version", State: inspect.MarkDamaged, Rewriter: "patchelf"}}}
	if a := rewriteAdvice(patched); !strings.Contains(a, "(patchelf)") {
		t.Errorf("advice for a patchelf-damaged mark: %s", a)
	}
}
