package reality

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
)

// TestISALevel holds check's replay of dl_isa_level_check to the four
// glibc builds: a program and a library linked by gcc with the linker's
// own ISA marker (-z x86-64-v2), as built and with the note's
// GNU_PROPERTY_X86_ISA_1_NEEDED given a level bit no CPU has, which is
// the one way to see the refusal on a CPU that has every level. 2.31
// predates the check; 2.36 and 2.41 refuse with "CPU ISA level is lower
// than required", naming the program or the library's path. When this
// CPU lacks a level, a program linked for it is run too: a refusal made
// by the real linker alone.
func TestISALevel(t *testing.T) {
	f := setup(t)
	dir := t.TempDir()
	write := func(name, text string) string { return WriteSource(t, dir, name, text) }
	// Built against the oldest root's libc, as the fuzzer's inputs are,
	// so 2.31 gets as far as the check it does not have.
	cc := sysrootGCC(t)
	gcc := func(args ...string) {
		t.Helper()
		argv := append(append([]string(nil), cc...), args...)
		if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
		}
	}
	hello := write("hello.c", sources["hello.c"])
	libSrc := write("isa.c", "int isa_one(void) { return 1; }\n")
	useSrc := write("use.c", `#include <stdio.h>
int isa_one(void);
int main(void) { if (isa_one() == 1) puts("`+MainMarker+`"); fflush(stdout); return 0; }
`)
	prog := filepath.Join(dir, "isa-v2")
	gcc("-o", prog, hello, "-Wl,-z,x86-64-v2")
	lib := filepath.Join(dir, "libisa.so")
	gcc("-shared", "-fPIC", "-o", lib, libSrc, "-Wl,-z,x86-64-v2")
	user := filepath.Join(dir, "use-isa")
	gcc("-o", user, useSrc, "-L"+dir, "-lisa")

	type copyOf struct {
		name    string
		prog    []byte
		lib     []byte // beside the program, found through LD_LIBRARY_PATH
		refused string // the object 2.36 and 2.41 name, "" when they start it
	}
	unknownLevel := func(b []byte) []byte {
		t.Helper()
		out, ok := setISABits(b, 0x10)
		if !ok {
			t.Fatal("the linker wrote no GNU_PROPERTY_X86_ISA_1_NEEDED")
		}
		return out
	}
	progB, libB, userB := MustRead(t, prog), MustRead(t, lib), MustRead(t, user)
	copies := []copyOf{
		{name: "program-v2", prog: progB},
		{name: "program-unknown-level", prog: unknownLevel(progB), refused: "program"},
		{name: "library-v2", prog: userB, lib: libB},
		{name: "library-unknown-level", prog: userB, lib: unknownLevel(libB), refused: "library"},
	}
	if level := loader.HostISALevel(); level < 4 {
		above := filepath.Join(dir, "isa-above")
		gcc("-o", above, hello, fmt.Sprintf("-Wl,-z,x86-64-v%d", level+1))
		copies = append(copies, copyOf{name: fmt.Sprintf("program-v%d-on-v%d", level+1, level), prog: MustRead(t, above), refused: "program"})
	} else {
		t.Logf("this CPU has x86-64-v4: no program a linker marks is refused here, so only the unknown level bit shows the refusal")
	}
	for _, c := range copies {
		for _, root := range f.Roots {
			rel := "/isa/" + c.name
			d := filepath.Join(root.Root, rel)
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(d, "prog")
			if err := os.WriteFile(p, c.prog, 0o755); err != nil {
				t.Fatal(err)
			}
			opts := loader.CheckOptions{Root: root.Root, Getenv: func(string) string { return "" }}
			lim := Limits{Timeout: Timeout, Output: 16 << 10}
			if c.lib != nil {
				if err := os.WriteFile(filepath.Join(d, "libisa.so"), c.lib, 0o755); err != nil {
					t.Fatal(err)
				}
				opts.LibraryPath = []string{rel}
				lim.Env = []string{"LD_LIBRARY_PATH=" + rel}
			}
			pred, err := loader.Check(p, opts)
			if err != nil {
				t.Fatalf("Check(%s) under %s: %v", c.name, root, err)
			}
			obs, err := Observe(t.Context(), root.Root, rel, path.Join(rel, "prog"), lim)
			os.RemoveAll(d)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%-24s %-14s predicted %-40s really %s", c.name, root, describePrediction(pred), obs)
			if div := Compare(inChroot(pred, root.Root), obs); div != "" {
				t.Errorf("%s under %s: %s", c.name, root, div)
			}
			// The test must see the check where it happens: 2.33 and
			// later refuse these, and name the object.
			refuses := c.refused != "" && !versionLess(root.Version, "2.33")
			if got := strings.Contains(obs.Stderr, "CPU ISA level is lower than required"); got != refuses {
				t.Errorf("%s under %s: refused %v, want %v (really %s)", c.name, root, got, refuses, obs)
			}
			if refuses && c.refused == "library" && !strings.Contains(obs.Stderr, rel+"/libisa.so: CPU ISA level") {
				t.Errorf("%s under %s: ld.so names %q, want the library's path", c.name, root, obs.Stderr)
			}
		}
	}
}

// setISABits ORs bits into the GNU_PROPERTY_X86_ISA_1_NEEDED value of
// the first GNU property note of a little-endian x86-64 file, found by
// its property header (type 0xc0008002, size 4).
func setISABits(b []byte, bits uint32) ([]byte, bool) {
	var key [8]byte
	binary.LittleEndian.PutUint32(key[:], 0xc0008002)
	binary.LittleEndian.PutUint32(key[4:], 4)
	i := bytes.Index(b, key[:])
	if i < 0 || i+12 > len(b) {
		return nil, false
	}
	out := bytes.Clone(b)
	v := binary.LittleEndian.Uint32(out[i+8:])
	binary.LittleEndian.PutUint32(out[i+8:], v|bits)
	return out, true
}
