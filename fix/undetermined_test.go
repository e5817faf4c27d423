package fix_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/elfdoctor/elfdoctor/fix"
	"github.com/elfdoctor/elfdoctor/inspect/loader"
)

// TestPlanReplayUndetermined: gcc-nopie with the DT_VERSYM entry of
// __libc_start_main (symbol 1, file offset 0x48c) naming version index
// 64 of its 4. The glibc root meets every requirement, but ld.so would
// read past the program's version array while relocating it, so the
// replay cannot tell whether the command starts: the plan is refused.
func TestPlanReplayUndetermined(t *testing.T) {
	s := newStore(t)
	s.glibc(0, "bookworm")
	b, err := os.ReadFile(filepath.Join("..", "testdata", "bin", "gcc-nopie"))
	if err != nil {
		t.Fatal(err)
	}
	b[0x48c] = 0x40
	prog := filepath.Join(t.TempDir(), "versym-past")
	if err := os.WriteFile(prog, b, 0o755); err != nil {
		t.Fatal(err)
	}
	p := plan(t, fix.PlanOptions{File: prog, LibRoots: []string{s.root}})
	if p.OK || len(p.Problems) == 0 || p.Problems[0].Code != "replay-undetermined" || p.Replay == nil || p.Replay.Outcome != loader.OutcomeUndetermined {
		t.Fatalf("plan of a program whose replay is undetermined:\n%s", describe(p))
	}
	if err := fix.WriteWrapper(p, filepath.Join(t.TempDir(), "w"), nil); err != fix.ErrNoPlan {
		t.Errorf("WriteWrapper of a refused plan: %v, want ErrNoPlan", err)
	}
}
