package fix_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/fix"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// TestWrapperRefusedSelfExe: Bun 1.2.23 reads its application back from
// /proc/self/exe, which names the loader under a wrapper. The plan holds
// (nix-ld starts the file itself), but the wrapper is refused with the
// reason; started as the wrapper would start it, Bun really runs as the
// plain CLI, without the application.
func TestWrapperRefusedSelfExe(t *testing.T) {
	app := reality.BunCompiled(t, "1.2.23", "").App
	s := newStore(t)
	s.glibc(0, "bookworm")
	p := plan(t, fix.PlanOptions{File: app, LibRoots: []string{s.root}})
	if !p.OK || p.WrapperRefused == "" || !strings.Contains(p.WrapperRefused, "/proc/self/exe") {
		t.Fatalf("plan for Bun 1.2.23: wrapper refused %q\n%s", p.WrapperRefused, describe(p))
	}
	err := fix.WriteWrapper(p, filepath.Join(t.TempDir(), "w"), nil)
	if !errors.Is(err, fix.ErrWrapperRefused) {
		t.Errorf("WriteWrapper = %v, want ErrWrapperRefused", err)
	}
	r := run(t, nil, p.Loader, "--library-path", strings.Join(p.LibraryPath, ":"), app)
	if r.Marker {
		t.Errorf("Bun 1.2.23 through the loader ran its application (%s): the refusal is wrong", r)
	}
}
