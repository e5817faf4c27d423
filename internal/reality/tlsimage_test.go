package reality

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/damage"
)

// TestProgramTLSImage moves the program's own PT_TLS, a thread-local
// variable's initialisation image, out of its segments and onto its first
// page or to 0, and runs each copy under the four glibc builds, executed and as
// its loader's command. _dl_allocate_tls_init copies the image from
// where p_vaddr says once everything is relocated (module 1, before any
// library's): from an unmapped page that is a SIGSEGV in ld.so's memcpy
// before main (gdb), which check predicted as a start until it replayed
// the program's image as well as the libraries'.
func TestProgramTLSImage(t *testing.T) {
	f := setup(t)
	dir := t.TempDir()
	WriteSource(t, dir, "main.c", fmt.Sprintf("#include <stdio.h>\n__thread int x = 5;\nint main(void) { puts(%q); printf(\"%%d\\n\", x); return 0; }\n", damage.Marker))
	gcc := sysrootGCC(t)
	for _, pie := range []string{"-no-pie", "-pie"} {
		out := "tls" + pie
		if err := run(t.Context(), dir, append(append([]string(nil), gcc...), pie, "-O1", "-o", out, "main.c")...); err != nil {
			t.Fatal(err)
		}
		pristine := MustRead(t, filepath.Join(dir, out))
		ef, err := elf.Open(filepath.Join(dir, out))
		if err != nil {
			t.Fatal(err)
		}
		tls, first, end := -1, uint64(0), uint64(0)
		for i, p := range ef.Progs {
			switch p.Type {
			case elf.PT_TLS:
				tls = i
			case elf.PT_LOAD:
				if end == 0 {
					first = p.Vaddr
				}
				end = max(end, p.Vaddr+p.Memsz)
			}
		}
		phoff, phentsize := phdrTable(t, pristine)
		ef.Close()
		if tls < 0 {
			t.Fatal("the set-up no longer does what this test is about: gcc wrote no PT_TLS")
		}
		for _, move := range []struct {
			name   string
			vaddr  uint64
			starts bool // executed, as the kernel maps it
		}{
			{"past-end", (end + 0x100000) &^ 0xfff, false},
			{"onto-first-page", first + 0x40, true},
			// ld.so adds the load address only to a non-null
			// l_tls_initimage: a p_vaddr of 0 is read at address 0,
			// even in a PIE whose first page is there.
			{"zero", 0, false},
		} {
			prog := append([]byte(nil), pristine...)
			binary.LittleEndian.PutUint64(prog[phoff+uint64(tls)*phentsize+16:], move.vaddr)
			for _, root := range f.Roots {
				for _, viaLoader := range []bool{false, true} {
					name := fmt.Sprintf("%s/%s/%s/executed", out, move.name, root)
					if viaLoader {
						name = fmt.Sprintf("%s/%s/%s/as-loader-command", out, move.name, root)
					}
					t.Run(name, func(t *testing.T) {
						r, err := f.runIn(t.Context(), root, FuzzInput{Name: out}, prog, nil, false, viaLoader)
						if err != nil {
							t.Fatal(err)
						}
						if r.Divergence != "" {
							t.Errorf("%s\n%s", r.Divergence, Describe(r.Predicted))
						}
						if viaLoader {
							return
						}
						if got := r.Observed.Class == ClassStarts; got != move.starts {
							t.Fatalf("the set-up no longer does what this test is about: the copy starts: %v, want %v (%s)", got, move.starts, r.Observed)
						}
						if fatal := r.Predicted.Fatal(); !move.starts && (fatal == nil || fatal.Code != "tls-image-unreadable") {
							t.Errorf("predicted %s, want tls-image-unreadable\n%s", r.Predicted.Outcome, Describe(r.Predicted))
						}
					})
				}
			}
		}
	}
}

// phdrTable is where an ELF64 file's program headers are, and their size.
func phdrTable(t *testing.T, b []byte) (off, entsize uint64) {
	t.Helper()
	if len(b) < 64 {
		t.Fatal("not an ELF64 file")
	}
	return binary.LittleEndian.Uint64(b[0x20:]), uint64(binary.LittleEndian.Uint16(b[0x36:]))
}
