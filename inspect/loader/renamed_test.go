package loader_test

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// TestRenamedImport renames a real program's printf import fflush, as a
// changed st_name does (the soak's import-renamed-fflush-4603): ld.so
// binds printf's PLT slot to fflush without complaint, and main's printf
// call runs fflush on a format string. lld writes DT_HASH beside
// DT_GNU_HASH, and the renamed symbol still sits in printf's chain there:
// check withholds its prediction (reloc-symbol-renamed), and the run
// shows why it must. Emptying printf's DT_HASH bucket instead is damage
// ld.so never reads (it uses DT_GNU_HASH): the table is no longer whole,
// so it says nothing about names, and the program starts, as predicted.
func TestRenamedImport(t *testing.T) {
	reality.NeedTools(t, "clang", "ld.lld")
	dir := t.TempDir()
	healthy := buildProgram(t, dir, renamedSource, "clang", "-O1", "-fuse-ld=lld", "-Wl,--hash-style=both", "-o", "healthy", "main.c")
	printf, fflush := dynsym(t, healthy, "printf"), dynsym(t, healthy, "fflush")
	nbucket := hashHeader(t, healthy)
	runMarkCases(t, dir, []markCase{
		{"healthy", filepath.Join(dir, "healthy"), loader.OutcomeStarts, "", true},
		{"renamed", writeMutated(t, dir, healthy, "renamed", fmt.Sprintf("dynsym[%d].st_name = %#x", printf.index, fflush.name)), loader.OutcomeUndetermined, "reloc-symbol-renamed", false},
		{"bucket-emptied", writeMutated(t, dir, healthy, "bucket-emptied", fmt.Sprintf("hash.bucket[%d] = 0x0", damage.ElfHash("printf")%nbucket)), loader.OutcomeStarts, "", true},
	})
}

// renamedSource calls printf and then fflush: a printf renamed fflush
// runs fflush on the format string.
var renamedSource = "#include <stdio.h>\nint main(int argc, char **argv) { printf(\"%s %d\\n\", \"" + damage.Marker + "\", argc); fflush(stdout); return 0; }\n"

type dynsymEntry struct {
	index int
	name  uint32 // st_name
}

// dynsym finds a symbol of b's .dynsym by name.
func dynsym(t *testing.T, b []byte, name string) dynsymEntry {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	syms, err := f.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := f.Section(".dynsym").Data()
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range syms {
		if s.Name == name {
			// DynamicSymbols skips the null symbol: entry i+1.
			return dynsymEntry{index: i + 1, name: f.ByteOrder.Uint32(raw[(i+1)*24:])}
		}
	}
	t.Fatalf("no dynamic symbol %s", name)
	return dynsymEntry{}
}

// hashHeader is DT_HASH's nbucket, failing when the linker wrote none.
func hashHeader(t *testing.T, b []byte) uint32 {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	s := f.Section(".hash")
	if s == nil {
		t.Fatal("lld wrote no .hash with --hash-style=both")
	}
	h, err := s.Data()
	if err != nil || len(h) < 8 {
		t.Fatalf(".hash: %v", err)
	}
	return f.ByteOrder.Uint32(h)
}

// TestRenamedImportStatic renames a GNU ld program's printf import
// fflush (the soak's import-renamed-strlen-7585). GNU ld writes no
// DT_HASH, but its .symtab lists printf as an import, which no dynamic
// symbol names after the rename: check withholds its prediction
// (reloc-symbol-renamed), and the run shows why.
func TestRenamedImportStatic(t *testing.T) {
	reality.NeedTools(t, "gcc")
	dir := t.TempDir()
	healthy := buildProgram(t, dir, renamedSource, "gcc", "-O1", "-fuse-ld=bfd", "-o", "healthy", "main.c")
	printf, fflush := dynsym(t, healthy, "printf"), dynsym(t, healthy, "fflush")
	runMarkCases(t, dir, []markCase{
		{"healthy", filepath.Join(dir, "healthy"), loader.OutcomeStarts, "", true},
		{"renamed", writeMutated(t, dir, healthy, "renamed", fmt.Sprintf("dynsym[%d].st_name = %#x", printf.index, fflush.name)), loader.OutcomeUndetermined, "reloc-symbol-renamed", false},
	})
}

// TestImportNotBound points printf's PLT relocation at malloc, which
// the program also imports (by a GLOB_DAT, for its address), as a
// changed r_info does (the soak's printf-slot-renamed-1609, whose slot
// named __cxa_finalize): printf keeps its dynamic symbol, which .symtab
// lists as an import too, but no relocation names it, and main's printf
// runs malloc: the program ends without its output. check withholds its
// prediction (import-not-bound). lld keeps __tls_get_addr as an import with no
// relocation once it has relaxed every TLS access that called it (Bun
// does so): that program is whole, and starts.
func TestImportNotBound(t *testing.T) {
	reality.NeedTools(t, "gcc", "ld.lld")
	dir := t.TempDir()
	src := "#include <stdio.h>\n#include <stdlib.h>\nvoid *(*volatile keep)(size_t) = malloc;\nint main(int argc, char **argv) { printf(\"%s %d\\n\", \"" + damage.Marker + "\", argc); fflush(stdout); return keep == 0; }\n"
	healthy := buildProgram(t, dir, src, "gcc", "-O1", "-fuse-ld=bfd", "-o", "healthy", "main.c")
	printf, malloc := dynsym(t, healthy, "printf"), dynsym(t, healthy, "malloc")
	slot := -1
	f, err := elf.NewFile(bytes.NewReader(healthy))
	if err != nil {
		t.Fatal(err)
	}
	plt, err := f.Section(".rela.plt").Data()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+24 <= len(plt); i += 24 {
		if int(binary.LittleEndian.Uint64(plt[i+8:])>>32) == printf.index {
			slot = i / 24
		}
	}
	if slot < 0 {
		t.Fatal("no PLT relocation names printf")
	}
	reality.WriteSource(t, dir, "tls.c", "__thread int tv = 1;\n")
	reality.WriteSource(t, dir, "tlsmain.c", "#include <stdio.h>\nextern __thread int tv;\nint main(void) { printf(\"%s %d\\n\", \""+damage.Marker+"\", tv); return 0; }\n")
	for _, argv := range [][]string{
		{"gcc", "-fPIC", "-shared", "-o", "libtls.so", "tls.c"},
		// -fPIC gives main's access the general dynamic model, a call of
		// __tls_get_addr, which lld relaxes in an executable.
		{"gcc", "-fPIC", "-O1", "-fuse-ld=lld", "-o", "tls-relaxed", "tlsmain.c", "-L.", "-ltls", "-Wl,-rpath,$ORIGIN"},
	} {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", argv[0], err, out)
		}
	}
	relaxed := reality.MustRead(t, filepath.Join(dir, "tls-relaxed"))
	dynsym(t, relaxed, "__tls_get_addr") // the set-up: lld kept the import
	runMarkCases(t, dir, []markCase{
		{"healthy", filepath.Join(dir, "healthy"), loader.OutcomeStarts, "", true},
		{"printf-slot-renamed", writeMutated(t, dir, healthy, "printf-slot-renamed", fmt.Sprintf("jmprel[%d].r_info.sym = %#x", slot, malloc.index)), loader.OutcomeUndetermined, "import-not-bound", false},
		{"tls-relaxed", filepath.Join(dir, "tls-relaxed"), loader.OutcomeStarts, "", true},
	})
}
