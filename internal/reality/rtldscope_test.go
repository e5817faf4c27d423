package reality

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/damage"
)

// TestRtldNeededByNothing: when no DT_NEEDED names ld.so, it is in no
// search list, and before glibc 2.41 rtld.c also takes it out of the
// chain of loaded objects before the versions are checked, so a Verneed
// of ld-linux-x86-64.so.2 finds nothing and _dl_check_map_versions
// asserts; from 2.41 the Verneed finds it, and the program's own
// __libc_start_main is then not found. Here the program, given the DT_SONAME
// libc.so.6, answers its own request for libc, so libc (which needs ld.so)
// is never loaded, and libtls.so's DT_NEEDED of ld.so is removed while its
// Verneed of it stays. Two files are rewritten, which a fuzz case does
// not do, so the case is built here with the machine's patchelf.
func TestRtldNeededByNothing(t *testing.T) {
	f := setup(t)
	NeedTools(t, "patchelf")
	in, ok := f.input("uses-libtls")
	if !ok {
		t.Fatal("no fuzz input uses-libtls")
	}
	dir := t.TempDir()
	rewrite := func(src string, args ...string) []byte {
		dst := filepath.Join(dir, filepath.Base(src))
		if err := damage.Patchelf(src, dst, args); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(dst)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	prog := rewrite(in.Path, "--set-soname", "libc.so.6")
	lib := rewrite(in.Lib, "--remove-needed", "ld-linux-x86-64.so.2")
	for _, root := range f.Roots {
		t.Run(root.String(), func(t *testing.T) {
			r, err := f.runIn(t.Context(), root, in, prog, lib, false, false)
			if err != nil {
				t.Fatal(err)
			}
			if r.Divergence != "" {
				t.Error(r.Divergence)
			}
			if r.Observed.Class != ClassLoaderError {
				t.Errorf("really %s; the test expects ld.so to stop", r.Observed)
			}
		})
	}
}
