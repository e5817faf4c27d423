package reality

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/damage"
)

// TestVersionDefaultFallback holds checkMatch to glibc 2.42's change of
// how a definition under the global default version is taken (bug
// 29190, backported to the 2.41 branch, and in Debian's 2.41). The
// library defines foo@V1 and foo@@V2, the program binds foo@V2 at
// start-up (-z now), and the library's DT_VERSYM gives both definitions
// index 0, an l_versions entry nothing fills. Before, check_match takes
// such a definition at once (its hash is 0): the first in the hash
// chain binds (foo@V1's code runs), and the program starts. After, it
// tells the default by its empty name and keeps it only as a fallback,
// used when it is the one such definition: with two, foo is undefined,
// a symbol lookup error. check had the old rule for every release.
func TestVersionDefaultFallback(t *testing.T) {
	f := setup(t)
	dir := t.TempDir()
	WriteSource(t, dir, "lib.c", "__asm__(\".symver foo_v1, foo@V1\");\n__asm__(\".symver foo_v2, foo@@V2\");\nint foo_v1(void) { return 1; }\nint foo_v2(void) { return 2; }\n")
	WriteSource(t, dir, "lib.map", "V1 { global: foo; local: *; };\nV2 { global: foo; } V1;\n")
	WriteSource(t, dir, "main.c", fmt.Sprintf("#include <stdio.h>\nint foo(void);\nint main(void) { puts(%q); printf(\"%%d\\n\", foo()); fflush(stdout); return 0; }\n", damage.Marker))
	gcc := sysrootGCC(t)
	for _, argv := range [][]string{
		{"-shared", "-fPIC", "-O1", "-Wl,-soname,libfoo.so", "-Wl,--version-script=lib.map", "-o", "libfoo.so", "lib.c"},
		{"-O1", "-Wl,-z,now", "-o", "prog", "main.c", "libfoo.so", "-Wl,-rpath,$ORIGIN"},
	} {
		if err := run(t.Context(), dir, append(append([]string(nil), gcc...), argv...)...); err != nil {
			t.Fatal(err)
		}
	}
	lib := MustRead(t, filepath.Join(dir, "libfoo.so"))
	ef, err := elf.Open(filepath.Join(dir, "libfoo.so"))
	if err != nil {
		t.Fatal(err)
	}
	syms, err := ef.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	versym := ef.Section(".gnu.version")
	if versym == nil {
		t.Fatal("the set-up no longer does what this test is about: libfoo.so has no .gnu.version")
	}
	damaged := append([]byte(nil), lib...)
	n := 0
	for i, s := range syms {
		if s.Name == "foo" && s.Section != elf.SHN_UNDEF {
			// DynamicSymbols leaves out symbol 0.
			binary.LittleEndian.PutUint16(damaged[versym.Offset+uint64(i+1)*2:], 0)
			n++
		}
	}
	ef.Close()
	if n != 2 {
		t.Fatalf("the set-up no longer does what this test is about: libfoo.so defines foo %d times, want 2", n)
	}
	prog := MustRead(t, filepath.Join(dir, "prog"))
	in := FuzzInput{Name: "prog", LibName: "libfoo.so"}
	for _, tc := range []struct {
		name string
		lib  []byte
	}{{"pristine", lib}, {"both-at-index-0", damaged}} {
		for _, root := range f.Roots {
			t.Run(tc.name+"/"+root.String(), func(t *testing.T) {
				r, err := f.runIn(t.Context(), root, in, prog, tc.lib, false, false)
				if err != nil {
					t.Fatal(err)
				}
				if r.Divergence != "" {
					t.Errorf("%s\n%s", r.Divergence, Describe(r.Predicted))
				}
				wantFail := tc.name != "pristine" && !versionLess(root.Version, "2.41")
				if failed := strings.Contains(r.Observed.Stderr, "undefined symbol: foo, version V2"); failed != wantFail {
					t.Fatalf("the set-up no longer does what this test is about: ld.so's lookup failed: %v, want %v (%s)", failed, wantFail, r.Observed)
				}
			})
		}
	}
}
