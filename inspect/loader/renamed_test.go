package loader_test

import (
	"bytes"
	"debug/elf"
	"fmt"
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
