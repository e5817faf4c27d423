package loader_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// TestAuditTag links a program with an audit library (DT_AUDIT) that does
// not exist: glibc 2.32 and later read the name at start-up, try to load
// it, say it "cannot be loaded as audit interface" and go on. check does
// not replay audit libraries, so it says the outcome is open, and the
// run starts with ld.so's message, one of the outcomes it names.
func TestAuditTag(t *testing.T) {
	reality.NeedTools(t, "gcc")
	dir := t.TempDir()
	reality.WriteSource(t, dir, "main.c", "#include <stdio.h>\nint main(void) { puts(\""+damage.Marker+"\"); return 0; }\n")
	cmd := exec.Command("gcc", "-O1", "-o", "audited", "main.c", "-Wl,--audit=libelfdoctor-no-such-audit.so")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	res, real := reality.RunCase(t, reality.Case{Name: "audited", Dir: dir, Path: filepath.Join(dir, "audited")})
	if f := res.Fatal(); res.Outcome != loader.OutcomeUndetermined || f == nil || f.Code != "audit-not-replayed" || !strings.Contains(f.Summary, "libelfdoctor-no-such-audit.so") {
		t.Errorf("predicted %s, want audit-not-replayed naming the library\n%s", res.Outcome, reality.Describe(res))
	}
	if !real.Marker || !strings.Contains(real.Stderr, "cannot be loaded as audit interface") {
		t.Errorf("the run: %s; want main's output and ld.so's audit message", real)
	}
}
