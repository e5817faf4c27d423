package fix_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/elfdoctor/elfdoctor/fix"
	"github.com/elfdoctor/elfdoctor/internal/bigfixture"
)

// BenchmarkPlanBig plans for a 200 MB program in a store of three glibc
// builds and 100 other packages of three libraries each (GCC runtimes and
// a small versioned library): the walk, the candidates' headers and
// version tables, the replay, and the SHA-256 of the chosen files. The
// target is 100 ms (issue 17).
func BenchmarkPlanBig(b *testing.B) {
	ondisk, _ := bigfixture.Paths(b)
	s := newStore(b)
	for i := 0; i < 100; i++ {
		lib := s.pkg(i%32, fmt.Sprintf("decoy-%03d", i))
		s.copyLib(filepath.Join(multiarch(debian(b, "bookworm")), "libgcc_s.so.1"), lib)
		s.copyLib(filepath.Join(multiarch(debian(b, []string{"bullseye", "bookworm", "trixie"}[i%3])), "libstdc++.so.6"), lib)
		s.copyLib("../testdata/bin/libdemo.so.1", lib)
	}
	s.glibc(0, "bullseye")
	s.glibc(1, "bookworm")
	s.glibc(2, "trixie")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := fix.Plan(ctx, fix.PlanOptions{File: ondisk, LibRoots: []string{s.root}})
		if err != nil || !p.OK {
			b.Fatalf("Plan: %v %+v", err, p.Problems)
		}
	}
}
