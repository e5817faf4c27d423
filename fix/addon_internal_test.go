package fix

import (
	"context"
	"debug/elf"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// TestPlanAddonNoAssumedLoader: without a host, an addon is planned for
// a process running the system's ld.so. Where the standard path holds
// nix-ld's shim (NixOS; testdata/src/nixld-shim.c stands in) or nothing,
// that process cannot be modelled, and the plan says so and asks for
// --loaded-by instead of choosing libraries for a loader that is not one.
func TestPlanAddonNoAssumedLoader(t *testing.T) {
	reality.NeedTools(t, "gcc")
	dir := t.TempDir()
	shim := filepath.Join(dir, "ld-linux-x86-64.so.2")
	if out, err := exec.Command("gcc", "-O1", "-static", "-nostdlib", "-fno-stack-protector", "-fno-pie", "-no-pie",
		"-o", shim, "../testdata/src/nixld-shim.c").CombinedOutput(); err != nil {
		t.Fatalf("gcc shim: %v\n%s", err, out)
	}
	defer func(f func(elf.Machine, elf.Class) string) { assumedInterp = f }(assumedInterp)
	for _, tc := range []struct{ interp, phrase string }{
		{shim, "is not glibc's ld.so"},
		{filepath.Join(dir, "nothing"), "cannot be modelled"},
	} {
		assumedInterp = func(elf.Machine, elf.Class) string { return tc.interp }
		p, err := Plan(context.Background(), PlanOptions{File: "../testdata/bin/libdemo.so.1", LibRoots: []string{dir}})
		if err != nil {
			t.Fatal(err)
		}
		if p.OK || len(p.Problems) != 1 || p.Problems[0].Code != "no-loader" ||
			!strings.Contains(p.Problems[0].Summary, tc.phrase) || !strings.Contains(p.Problems[0].Summary, "--loaded-by") {
			t.Errorf("assumed loader %s: ok=%v problems %+v", tc.interp, p.OK, p.Problems)
		}
	}
}
