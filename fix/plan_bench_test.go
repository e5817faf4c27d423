package fix_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/elfdoctor/elfdoctor/fix"
	"github.com/elfdoctor/elfdoctor/internal/bigfixture"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// BenchmarkPlanBig plans for a 200 MB program in a store of three glibc
// builds and 100 other packages of three libraries each (GCC runtimes and
// a small versioned library): the walk, the candidates' headers and
// version tables, the replay, and the SHA-256 of the chosen files. The
// target is 100 ms (issue 17).
func BenchmarkPlanBig(b *testing.B) {
	benchPlan(b, func(ondisk string) fix.PlanOptions { return fix.PlanOptions{File: ondisk} })
}

// BenchmarkPlanAddonBig plans for an addon (libdemo.so.1) loaded by the
// 200 MB program, in the same store: the program's launch is planned and
// replayed, and then the dlopen in its process.
func BenchmarkPlanAddonBig(b *testing.B) {
	benchPlan(b, func(ondisk string) fix.PlanOptions {
		return fix.PlanOptions{File: "../testdata/bin/libdemo.so.1", LoadedBy: ondisk}
	})
}

func benchPlan(b *testing.B, opts func(ondisk string) fix.PlanOptions) {
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
	o := opts(ondisk)
	o.LibRoots = []string{s.root}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := fix.Plan(ctx, o)
		if err != nil || !p.OK {
			b.Fatalf("Plan: %v %+v", err, p.Problems)
		}
	}
}

// BenchmarkPlanAddonBun plans for @parcel/watcher's addon loaded by the
// real Bun 1.3.14 (88 MB), in a store of glibc 2.36 and two GCC runtimes:
// Bun's launch, its replay, and the dlopen's replay in Bun's process.
func BenchmarkPlanAddonBun(b *testing.B) {
	bun := reality.BunCompiled(b, "1.3.14", "").Bun
	addon := parcelWatcher(b)
	s := newStore(b)
	s.gccLib(0, "trixie", "gcc-14.2.0-lib")
	s.glibc(1, "bookworm")
	s.gccLib(2, "bookworm", "gcc-12.2.0-lib")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := fix.Plan(ctx, fix.PlanOptions{File: addon, LoadedBy: bun, LibRoots: []string{s.root}})
		if err != nil || !p.OK {
			b.Fatalf("Plan: %v %+v", err, p.Problems)
		}
	}
}
