package loader_test

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
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
	reality.WriteSource(t, dir, "main.c", "#include <stdio.h>\nint main(int argc, char **argv) { printf(\"%s %d\\n\", \""+damage.Marker+"\", argc); fflush(stdout); return 0; }\n")
	cmd := exec.Command("clang", "-O1", "-fuse-ld=lld", "-Wl,--hash-style=both", "-o", "healthy", "main.c")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("clang: %v\n%s", err, out)
	}
	healthy := reality.MustRead(t, filepath.Join(dir, "healthy"))
	printf, fflush := dynsym(t, healthy, "printf"), dynsym(t, healthy, "fflush")
	nbucket := hashHeader(t, healthy)
	mutate := func(name, m string) string {
		mu, err := reality.ParseMutation(m)
		if err != nil {
			t.Fatal(err)
		}
		b, err := reality.Apply(healthy, []reality.Mutation{mu})
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, path string
		outcome    loader.Outcome
		code       string
	}{
		{"healthy", filepath.Join(dir, "healthy"), loader.OutcomeStarts, ""},
		{"renamed", mutate("renamed", fmt.Sprintf("dynsym[%d].st_name = %#x", printf.index, fflush.name)), loader.OutcomeUndetermined, "reloc-symbol-renamed"},
		{"bucket-emptied", mutate("bucket-emptied", fmt.Sprintf("hash.bucket[%d] = 0x0", damage.ElfHash("printf")%nbucket)), loader.OutcomeStarts, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, real := reality.RunCase(t, reality.Case{Name: tc.name, Dir: dir, Path: tc.path})
			if res.Outcome != tc.outcome {
				t.Errorf("predicted %s, want %s\n%s", res.Outcome, tc.outcome, reality.Describe(res))
			}
			if f := res.Fatal(); tc.code != "" && (f == nil || f.Code != tc.code) {
				t.Errorf("want the fatal finding %s\n%s", tc.code, reality.Describe(res))
			}
			// The rename must change what runs, or the test proves
			// nothing about the mark.
			if renamed := tc.code != ""; renamed == (real.Marker && real.Exit == 0) {
				t.Errorf("renamed %v, but the run was %s", renamed, real)
			}
		})
	}
}

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
	reality.WriteSource(t, dir, "main.c", "#include <stdio.h>\nint main(int argc, char **argv) { printf(\"%s %d\\n\", \""+damage.Marker+"\", argc); fflush(stdout); return 0; }\n")
	cmd := exec.Command("gcc", "-O1", "-fuse-ld=bfd", "-o", "healthy", "main.c")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	healthy := reality.MustRead(t, filepath.Join(dir, "healthy"))
	printf, fflush := dynsym(t, healthy, "printf"), dynsym(t, healthy, "fflush")
	mu, err := reality.ParseMutation(fmt.Sprintf("dynsym[%d].st_name = %#x", printf.index, fflush.name))
	if err != nil {
		t.Fatal(err)
	}
	b, err := reality.Apply(healthy, []reality.Mutation{mu})
	if err != nil {
		t.Fatal(err)
	}
	renamed := filepath.Join(dir, "renamed")
	if err := os.WriteFile(renamed, b, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		outcome    loader.Outcome
		code       string
	}{
		{"healthy", filepath.Join(dir, "healthy"), loader.OutcomeStarts, ""},
		{"renamed", renamed, loader.OutcomeUndetermined, "reloc-symbol-renamed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, real := reality.RunCase(t, reality.Case{Name: tc.name, Dir: dir, Path: tc.path})
			if res.Outcome != tc.outcome {
				t.Errorf("predicted %s, want %s\n%s", res.Outcome, tc.outcome, reality.Describe(res))
			}
			if f := res.Fatal(); tc.code != "" && (f == nil || f.Code != tc.code) {
				t.Errorf("want the fatal finding %s\n%s", tc.code, reality.Describe(res))
			}
			if isRenamed := tc.code != ""; isRenamed == (real.Marker && real.Exit == 0) {
				t.Errorf("renamed %v, but the run was %s", isRenamed, real)
			}
		})
	}
}
