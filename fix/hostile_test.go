package fix_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/elfdoctor/elfdoctor/fix"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// TestPlanHostileRoot: a root holding a link named libc.so.6 to a FIFO
// (opening it would block), a link loop, a link to / and a directory
// nested far deeper than libraries live. Plan must finish at once, open none of
// them, and still choose the real glibc from the second root.
func TestPlanHostileRoot(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad")
	os.MkdirAll(filepath.Join(bad, "lib"), 0o755)
	if err := syscall.Mkfifo(filepath.Join(bad, "lib", "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Symlink("fifo", filepath.Join(bad, "lib", "libc.so.6"))
	os.Symlink("loop", filepath.Join(bad, "loop"))
	os.Symlink("/", filepath.Join(bad, "everything"))
	deep := bad
	for i := 0; i < 40; i++ {
		deep = filepath.Join(deep, "d")
	}
	os.MkdirAll(deep, 0o755)
	os.WriteFile(filepath.Join(deep, "libc.so.6"), []byte("not reached"), 0o644)

	s := newStore(t)
	glibc := s.glibc(0, "bookworm")
	prog := reality.RepoPath(t, "testdata/bin/gcc-pie")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	p, err := fix.Plan(ctx, fix.PlanOptions{File: prog, LibRoots: []string{bad, s.root}})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("Plan took %v", time.Since(start))
	}
	if !p.OK || chosen(p, "libc.so.6") != filepath.Join(glibc, "libc.so.6") {
		t.Fatalf("plan:\n%s", describe(p))
	}
	fifo := false
	for _, r := range p.Refused {
		fifo = fifo || (strings.HasSuffix(r.Path, "lib/libc.so.6") && strings.HasPrefix(r.Path, bad) && strings.Contains(r.Reason, "cannot be loaded"))
	}
	if !fifo {
		t.Errorf("the FIFO is not among the refused candidates:\n%s", describe(p))
	}
}
