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

// TestRelocsLeftOut cuts a real lld program's DT_RELASZ just before
// stdout's GLOB_DAT (the soak's relasz-flipped-4641): ld.so applies the
// entries before it and never reads the rest, so stdout's GOT word keeps
// the file's 0 and main's fflush(stdout) reads through it. Nothing ld.so
// reads tells; .rela.dyn's section header still holds the entry, and
// check withholds its prediction (reloc-left-out). Cutting at the end of
// the table changes nothing, and the program starts as predicted.
func TestRelocsLeftOut(t *testing.T) {
	reality.NeedTools(t, "clang", "ld.lld")
	dir := t.TempDir()
	healthy := buildProgram(t, dir, "#include <stdio.h>\nint main(void) { puts(\""+damage.Marker+"\"); fflush(stdout); return 0; }\n",
		"clang", "-O1", "-fuse-ld=lld", "-o", "healthy", "main.c")
	at, size := relaEntryOf(t, healthy, "stdout", elf.R_X86_64_GLOB_DAT)
	runMarkCases(t, dir, []markCase{
		{"healthy", filepath.Join(dir, "healthy"), loader.OutcomeStarts, "", true},
		{"cut-at-stdout", writeMutated(t, dir, healthy, "cut", fmt.Sprintf("dyn[DT_RELASZ#0].d_val = %#x", at)), loader.OutcomeUndetermined, "reloc-left-out", false},
		{"cut-at-end", writeMutated(t, dir, healthy, "end", fmt.Sprintf("dyn[DT_RELASZ#0].d_val = %#x", size)), loader.OutcomeStarts, "", true},
	})
}

// relaEntryOf finds the entry of .rela.dyn of type typ against the
// dynamic symbol name: its byte offset in the table, and the table's
// size.
func relaEntryOf(t *testing.T, b []byte, name string, typ elf.R_X86_64) (at, size uint64) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	syms, err := f.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	s := f.Section(".rela.dyn")
	if s == nil {
		t.Fatal("no .rela.dyn")
	}
	raw, err := s.Data()
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off+24 <= len(raw); off += 24 {
		info := f.ByteOrder.Uint64(raw[off+8:])
		i := int(info >> 32)
		if elf.R_X86_64(uint32(info)) == typ && i >= 1 && i <= len(syms) && syms[i-1].Name == name {
			return uint64(off), uint64(len(raw))
		}
	}
	t.Fatalf("no %v of %s in .rela.dyn", typ, name)
	return 0, 0
}

// TestEntryNotStart points a real gcc program's e_entry at crti's _init,
// the start of a function, but not of _start (the soak's
// entry-at-init-1223): _init returns into argc. check cannot replay the
// function, and says so (entry-not-start) because .symtab defines
// _start elsewhere; the real run must not print main's marker.
func TestEntryNotStart(t *testing.T) {
	reality.NeedTools(t, "gcc")
	dir := t.TempDir()
	healthy := buildProgram(t, dir, "#include <stdio.h>\nint main(void) { puts(\""+damage.Marker+"\"); return 0; }\n", "gcc", "-O1", "-o", "healthy", "main.c")
	f, err := elf.NewFile(bytes.NewReader(healthy))
	if err != nil {
		t.Fatal(err)
	}
	init := f.Section(".init")
	if init == nil {
		t.Fatal("gcc wrote no .init")
	}
	runMarkCases(t, dir, []markCase{
		{"entry-at-init", writeMutated(t, dir, healthy, "entry-at-init", fmt.Sprintf("ehdr.e_entry = %#x", init.Addr)), loader.OutcomeUndetermined, "entry-not-start", false},
	})
}

// TestVariableSlot rebinds a real lld program's GLOB_DAT of stdout to
// puts (the soak's variable-slot family): ld.so binds the slot to puts
// without complaint, and main's fflush(stdout) is handed puts's first
// instruction bytes as a FILE. check withholds its prediction
// (variable-slot-bound-to-function): the code reads through the slot as
// a variable's address, and stdout is named by no relocation any more.
func TestVariableSlot(t *testing.T) {
	reality.NeedTools(t, "clang", "ld.lld")
	dir := t.TempDir()
	healthy := buildProgram(t, dir, "#include <stdio.h>\nint main(void) { puts(\""+damage.Marker+"\"); fflush(stdout); return 0; }\n",
		"clang", "-O1", "-fuse-ld=lld", "-o", "healthy", "main.c")
	at, _ := relaEntryOf(t, healthy, "stdout", elf.R_X86_64_GLOB_DAT)
	puts := dynsym(t, healthy, "puts")
	runMarkCases(t, dir, []markCase{
		{"healthy", filepath.Join(dir, "healthy"), loader.OutcomeStarts, "", true},
		{"to-puts", writeMutated(t, dir, healthy, "to-puts", fmt.Sprintf("rela[%d].r_info.sym = %#x", at/24, puts.index)), loader.OutcomeUndetermined, "variable-slot-bound-to-function", false},
	})
}
