package loader

import (
	"debug/elf"
	"os"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// libgmp is GMP, which gcc's cc1 links (so gcc's package brings it): its
// hand-written assembly has functions with a second entry point inside
// the first one's FDE and st_size.
const libgmp = "/usr/lib/x86_64-linux-gnu/libgmp.so.10"

// TestNeverEntryMultiEntry holds the bound-into-function rule to what
// the sweep taught: __gmpn_modexact_1c_odd, 5 bytes into
// __gmpn_modexact_1_odd by that function's FDE and st_size, is a real
// entry point, which the whole oracle (rightly, for a start-up jump)
// places inside a function, and which a slot's binding must not call
// damaged. A value in the gap between two sections is never an entry.
func TestNeverEntryMultiEntry(t *testing.T) {
	f, err := inspect.Open(libgmp)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("GMP (gcc's dependency) is needed: %v", err)
		}
		t.Skipf("no GMP: %v", err)
	}
	defer f.Close()
	syms := map[string]uint64{}
	for _, s := range dynFuncs(t, f) {
		syms[s.name] = s.value
		syms[s.name+"#index"] = s.index
	}
	outer, inner := syms["__gmpn_modexact_1_odd"], syms["__gmpn_modexact_1c_odd"]
	if outer == 0 || inner <= outer {
		t.Fatalf("__gmpn_modexact_1_odd 0x%x, __gmpn_modexact_1c_odd 0x%x: not the layout this test is about", outer, inner)
	}
	o := newFuncOracle(f)
	if p := o.placeExcept(inner, syms["__gmpn_modexact_1c_odd#index"]); !p.known || p.start {
		t.Errorf("placeExcept(0x%x) = %+v, want inside __gmpn_modexact_1_odd", inner, p)
	}
	if p, ok := o.neverEntry(inner, syms["__gmpn_modexact_1c_odd#index"]); ok {
		t.Errorf("neverEntry(__gmpn_modexact_1c_odd 0x%x) = %+v, want a possible entry", inner, p)
	}
	// The alignment gap after the first code section that has one
	// (.init's, before .plt).
	gap := uint64(0)
	for i := 0; i+1 < len(f.Sections) && gap == 0; i++ {
		s, next := f.Sections[i], f.Sections[i+1]
		if s.Flags&elf.SHF_EXECINSTR != 0 && next.Addr > s.Addr+s.Size {
			gap = s.Addr + s.Size
		}
	}
	if gap == 0 {
		t.Fatalf("no gap after a code section in %s", libgmp)
	}
	if p, ok := o.neverEntry(gap, 1<<40); !ok || !p.nowhere {
		t.Errorf("neverEntry(0x%x, between sections) = %+v, %v; want bytes no section holds", gap, p, ok)
	}
}

type dynFunc struct {
	name         string
	value, index uint64
}

// dynFuncs reads the function symbols of the section table's .dynsym,
// with their indexes.
func dynFuncs(t *testing.T, f *inspect.File) []dynFunc {
	t.Helper()
	var out []dynFunc
	for _, s := range f.Sections {
		if s.Name != ".dynsym" || s.Entsize != 24 {
			continue
		}
		strtab := f.Sections[s.Link]
		b, err := f.ReadFull(int64(s.Offset), s.Size, ".dynsym")
		if err != nil {
			t.Fatal(err)
		}
		str, err := f.ReadFull(int64(strtab.Offset), strtab.Size, ".dynstr")
		if err != nil {
			t.Fatal(err)
		}
		for i := uint64(0); (i+1)*24 <= uint64(len(b)); i++ {
			e := b[i*24:]
			if e[4]&0xf != 2 { // STT_FUNC
				continue
			}
			name := f.ByteOrder().Uint32(e)
			end := name
			for end < uint32(len(str)) && str[end] != 0 {
				end++
			}
			out = append(out, dynFunc{string(str[name:end]), f.ByteOrder().Uint64(e[8:]), i})
		}
	}
	return out
}
