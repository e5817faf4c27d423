package reality

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
)

// TestStaticPIEOwnRelease checks a static PIE packed with DT_RELR (as
// bookworm's own /usr/sbin/ldconfig is) in each glibc root and runs it
// there. Started by the kernel, it relocates itself with the libc it was
// linked with, whatever loader the root holds: under bullseye's 2.31,
// which knows no DT_RELR, check once replayed that loader's rules and
// predicted a crash in its initialisers (found by trying the machine's
// programs under the roots, stop 31).
func TestStaticPIEOwnRelease(t *testing.T) {
	f := setup(t)
	dir := t.TempDir()
	WriteSource(t, dir, "main.c", fmt.Sprintf("#include <stdio.h>\nint main(void) { puts(%q); return 0; }\n", MainMarker))
	bin := filepath.Join(dir, "staticpie")
	if out, err := exec.Command("gcc", "-O1", "-static-pie", "-Wl,-z,pack-relative-relocs", "-o", bin, filepath.Join(dir, "main.c")).CombinedOutput(); err != nil {
		t.Fatalf("gcc -static-pie: %v\n%s", err, out)
	}
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	relr, _ := ef.DynValue(elf.DynTag(36)) // DT_RELR
	ef.Close()
	if len(relr) == 0 {
		t.Fatal("the set-up no longer does what this test is about: gcc -static-pie -z pack-relative-relocs wrote no DT_RELR")
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, root := range f.Roots {
		t.Run(root.String(), func(t *testing.T) {
			rel := fmt.Sprintf("/c/staticpie-%d", f.n.Add(1))
			host := filepath.Join(root.Root, rel)
			if err := os.MkdirAll(host, 0o755); err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(host)
			if err := os.WriteFile(filepath.Join(host, "staticpie"), b, 0o755); err != nil {
				t.Fatal(err)
			}
			pred, err := loader.Check(filepath.Join(host, "staticpie"), loader.CheckOptions{Root: root.Root, Getenv: NoEnv})
			if err != nil {
				t.Fatal(err)
			}
			obs, err := Observe(t.Context(), root.Root, rel, path.Join(rel, "staticpie"), Limits{Timeout: Timeout, Output: 4096})
			if err != nil {
				t.Fatal(err)
			}
			if obs.Class != ClassStarts {
				t.Fatalf("the set-up no longer does what this test is about: the static PIE does not start under %s: %s", root, obs)
			}
			if div := Compare(inChroot(pred, root.Root), obs); div != "" {
				t.Errorf("%s\n%s", div, Describe(pred))
			}
		})
	}
}
