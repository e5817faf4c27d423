package inspect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The rewrite heuristics must stay quiet on what linkers produce. Every
// ELF file of the machine's own system directories was written by a
// linker (Debian does not patchelf its packages), so any sign there is a
// false alarm.
func TestRewriteSignsQuietOnSystem(t *testing.T) {
	n := 0
	for _, dir := range []string{"/usr/bin", "/usr/sbin", "/usr/lib/x86_64-linux-gnu"} {
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Type()&os.ModeSymlink != 0 {
				return nil
			}
			f, err := Open(p)
			if err != nil {
				return nil
			}
			defer f.Close()
			n++
			d2, _ := f.Dynamic()
			if signs := RewriteSigns(f, d2); len(signs) > 0 {
				t.Errorf("RewriteSigns(%s) = %q, want none", p, signs)
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	if n == 0 {
		t.Fatal("no ELF files found in the system directories")
	}
	t.Logf("%d system ELF files, no rewrite signs", n)
}

// Every copy patchelf rewrote must show at least one sign, and the stale
// PT_GNU_PROPERTY that patchelf 0.14 leaves on gcc output must be named.
func TestRewriteSignsOnPatchelfCopies(t *testing.T) {
	files, _ := filepath.Glob("../testdata/bin/*.patched*")
	if len(files) == 0 {
		t.Fatal("no patched fixtures in testdata/bin; run scripts/build-fixtures")
	}
	for _, p := range files {
		t.Run(filepath.Base(p), func(t *testing.T) {
			f, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			d, _ := f.Dynamic()
			signs := RewriteSigns(f, d)
			if len(signs) == 0 {
				t.Fatalf("RewriteSigns(%s) = none, want signs of patchelf", p)
			}
			if strings.HasPrefix(filepath.Base(p), "gcc-pie") || strings.HasPrefix(filepath.Base(p), "gcc-nopie") {
				if !strings.Contains(strings.Join(signs, "\n"), "PT_GNU_PROPERTY") {
					t.Errorf("RewriteSigns(%s) = %q, want the stale PT_GNU_PROPERTY named", p, signs)
				}
			}
		})
	}
}
