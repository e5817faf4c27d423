package loader_test

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// setDyn sets the value of the last dynamic entry with tag t in a 64-bit
// little-endian file, as ld.so would read it.
func setDyn(t *testing.T, b []byte, tag elf.DynTag, v uint64) []byte {
	t.Helper()
	f, err := inspect.NewFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.Dynamic()
	if err != nil || d == nil {
		t.Fatalf("dynamic table: %v", err)
	}
	off := f.Image().Lookup(d.Addr).Off
	for i := len(d.Entries) - 1; i >= 0; i-- {
		if d.Entries[i].Tag == tag {
			binary.LittleEndian.PutUint64(b[off+uint64(i)*16+8:], v)
			return b
		}
	}
	t.Skipf("no %v in this input", tag)
	return nil
}

// setDynTag changes the tag of the last dynamic entry with tag from, in a
// 64-bit little-endian file.
func setDynTag(t *testing.T, b []byte, from, to elf.DynTag) []byte {
	t.Helper()
	f, err := inspect.NewFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.Dynamic()
	if err != nil || d == nil {
		t.Fatalf("dynamic table: %v", err)
	}
	off := f.Image().Lookup(d.Addr).Off
	for i := len(d.Entries) - 1; i >= 0; i-- {
		if d.Entries[i].Tag == from {
			binary.LittleEndian.PutUint64(b[off+uint64(i)*16:], uint64(to))
			return b
		}
	}
	t.Fatalf("no %v in this input", from)
	return nil
}

// TestCheckInitFiniReality damages the initialisers and finalisers of
// real gcc and clang/lld programs and runs them: a bad DT_INIT or
// DT_INIT_ARRAY crashes before main, a bad DT_FINI_ARRAY only at exit,
// after main has run.
func TestCheckInitFiniReality(t *testing.T) {
	cases := []struct {
		name    string
		damage  func(t *testing.T, b []byte, f *inspect.File) []byte
		outcome string
		main    bool // main runs (prints the marker)
	}{
		{"fini-array-unmapped", func(t *testing.T, b []byte, _ *inspect.File) []byte {
			return setDyn(t, b, elf.DT_FINI_ARRAY, far)
		}, damage.Crash, true},
		{"init-array-unmapped", func(t *testing.T, b []byte, _ *inspect.File) []byte {
			return setDyn(t, b, elf.DT_INIT_ARRAY, far)
		}, damage.Crash, false},
		// What patchelf has been seen to leave: DT_INIT inside the program
		// header table it wrote over .init.
		{"init-in-phdrs", func(t *testing.T, b []byte, f *inspect.File) []byte {
			for _, p := range f.ProgsOfType(elf.PT_PHDR) {
				return setDyn(t, b, elf.DT_INIT, p.Vaddr+8)
			}
			t.Skip("no PT_PHDR")
			return nil
		}, damage.Crash, false},
	}
	var sum reality.Summary
	for _, in := range reality.Inputs(t) {
		if in.Big || in.M32 {
			continue
		}
		pristine := reality.MustRead(t, in.Path)
		f, err := inspect.NewFile(bytes.NewReader(pristine), int64(len(pristine)))
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range cases {
			name := in.Name + "/" + tc.name
			t.Run(name, func(t *testing.T) {
				b := tc.damage(t, bytes.Clone(pristine), f)
				p := reality.Place(t, in, b, nil)
				res, real := reality.RunCase(t, reality.Case{Name: name, Dir: filepath.Dir(p), Path: p})
				sum.Add(name, res, real)
				if real.Class != tc.outcome || real.Marker != tc.main {
					t.Fatalf("the damage no longer does what this case is about: want %s with main run %v, really %s (main ran %v)", tc.outcome, tc.main, real, real.Marker)
				}
			})
		}
	}
	t.Cleanup(func() { sum.Log(t) })
}

// TestCheckLibraryTablesReality points libdemo.so's DT_SYMTAB, DT_STRTAB
// and DT_GNU_HASH away: ld.so reads them while mapping and relocating the
// library, not only the program's, and faults.
func TestCheckLibraryTablesReality(t *testing.T) {
	var in reality.Input
	for _, i := range reality.Inputs(t) {
		if i.Name == "uses-libdemo" {
			in = i
		}
	}
	var sum reality.Summary
	for _, tag := range []elf.DynTag{elf.DT_SYMTAB, elf.DT_STRTAB, elf.DT_GNU_HASH} {
		name := "uses-libdemo/lib-" + tag.String() + "-unmapped"
		t.Run(tag.String(), func(t *testing.T) {
			lib := setDyn(t, reality.MustRead(t, in.Lib), tag, far)
			p := reality.Place(t, in, reality.MustRead(t, in.Path), lib)
			res, real := reality.RunCase(t, reality.Case{Name: name, Dir: filepath.Dir(p), Path: p})
			sum.Add(name, res, real)
			if real.Class != damage.Crash {
				t.Fatalf("the damage no longer does what this case is about: want a crash, really %s", real)
			}
		})
	}
	t.Cleanup(func() { sum.Log(t) })
}
