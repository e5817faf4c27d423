package fix

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// FuzzPlan plans for a hostile file that is also every candidate: the
// program, its loader and its libc under the root are the fuzzed bytes;
// so is an addon, planned for the process assumed and for a real host.
// Plan may refuse or fail, never panic, and a recovered panic in the
// layers below (an inspect.InternalError) fails too. Seeded from every
// fixture in testdata/bin.
func FuzzPlan(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/bin/*")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil && len(b) < 1<<20 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		root := filepath.Join(dir, "root", "lib")
		if err := os.MkdirAll(root, 0o755); err != nil {
			t.Fatal(err)
		}
		prog := filepath.Join(dir, "prog")
		for _, p := range []string{prog, filepath.Join(root, "ld-linux-x86-64.so.2"), filepath.Join(root, "libc.so.6"), filepath.Join(root, "libdemo.so.1")} {
			if err := os.WriteFile(p, b, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		check := func(opts PlanOptions) {
			p, err := Plan(context.Background(), opts)
			var ie *inspect.InternalError
			if errors.As(err, &ie) {
				t.Fatalf("Plan: internal error: %v", err)
			}
			if err != nil {
				return
			}
			for _, r := range []*Replay{p.Replay, p.HostReplay} {
				if r == nil {
					continue
				}
				for _, fd := range r.Findings {
					if fd.Code == inspect.CodeInternalError {
						t.Fatalf("the replay recovered a panic: %s", fd.Summary)
					}
				}
			}
			if p.OK && (p.Loader == "" || len(p.Fingerprint) == 0) {
				t.Fatalf("a plan that holds without a loader or fingerprint: %+v", p)
			}
		}
		roots := []string{filepath.Dir(root)}
		check(PlanOptions{File: prog, LibRoots: roots})
		// The bytes as an addon: in the process assumed, and loaded by a
		// real program whose loader and libc are the bytes again.
		lib := filepath.Join(root, "libdemo.so.1")
		check(PlanOptions{File: lib, LibRoots: roots})
		check(PlanOptions{File: lib, LoadedBy: "../testdata/bin/gcc-pie", LibRoots: roots})
	})
}
