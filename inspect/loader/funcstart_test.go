package loader

import (
	"bytes"
	"debug/elf"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/arch/x86/x86asm"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// oracleInputs builds small programs with the machine's gcc (GNU ld) and
// clang/lld, and stripped copies of them, so the oracle is tried on both
// of its records and on the eh_frame table alone.
func oracleInputs(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "p.c")
	code := `#include <stdio.h>
static int helper(int x) { return x * 3 + 1; }
int (*volatile fp)(int) = helper;
__attribute__((constructor)) static void ctor(void) { fp(2); }
int main(int argc, char **argv) { printf("%d\n", fp(argc)); return 0; }
`
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	builds := map[string][]string{
		"gcc-pie":         {"gcc", "-O1", "-o", "gcc-pie", "p.c"},
		"gcc-nopie":       {"gcc", "-O1", "-fno-pie", "-no-pie", "-o", "gcc-nopie", "p.c"},
		"clang-lld":       {"clang", "-O1", "-fuse-ld=lld", "-o", "clang-lld", "p.c"},
		"clang-lld-nopie": {"clang", "-O1", "-fuse-ld=lld", "-fno-pie", "-no-pie", "-o", "clang-lld-nopie", "p.c"},
	}
	for name, argv := range builds {
		if _, err := exec.LookPath(argv[0]); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is needed: %v", argv[0], err)
			}
			t.Skipf("%s not installed", argv[0])
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir = dir
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", argv, err, b)
		}
		out[name] = filepath.Join(dir, name)
		stripped := filepath.Join(dir, name+".stripped")
		if b, err := exec.Command("strip", "-o", stripped, out[name]).CombinedOutput(); err != nil {
			t.Fatalf("strip: %v\n%s", err, b)
		}
		out[name+".stripped"] = stripped
	}
	return out
}

// TestFuncOracle holds the oracle to the symbol table debug/elf reads: the
// start of every sized function is a start, and every byte past its start
// is inside it, named by the FDE that covers it or by its symbol. On a
// stripped copy the FDEs alone must give the same spans.
func TestFuncOracle(t *testing.T) {
	for name, path := range oracleInputs(t) {
		t.Run(name, func(t *testing.T) {
			unstripped := strings.TrimSuffix(path, ".stripped")
			ef, err := elf.Open(unstripped)
			if err != nil {
				t.Fatal(err)
			}
			defer ef.Close()
			syms, err := ef.Symbols()
			if err != nil {
				t.Fatal(err)
			}
			f, err := inspect.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			o := newFuncOracle(f)
			if !o.hasTable {
				t.Fatalf("%s: no .eh_frame_hdr search table read", name)
			}
			stripped := strings.HasSuffix(name, ".stripped")
			checked := 0
			for _, s := range syms {
				if elf.ST_TYPE(s.Info) != elf.STT_FUNC || s.Size < 2 || s.Section == elf.SHN_UNDEF {
					continue
				}
				if p := o.place(s.Value); !p.known || !p.start {
					t.Errorf("place(0x%x) = %+v, want the start of %s", s.Value, p, s.Name)
				}
				lo, hi, _, inFDE := o.fde(s.Value)
				if stripped && !inFDE {
					continue // a function without an FDE is not known once stripped
				}
				for _, off := range []uint64{1, s.Size / 2, s.Size - 1} {
					p := o.place(s.Value + off)
					switch {
					case !p.known || p.start:
						// An endbr64 or a jmp through memory inside a
						// function is taken as an entry point.
						if !o.stubStart(s.Value + off) {
							t.Errorf("place(%s+%d) = %+v, want inside %s", s.Name, off, p, s.Name)
						}
					case p.lo != s.Value && !(inFDE && p.lo == lo && p.hi == hi):
						t.Errorf("place(%s+%d) spans 0x%x-0x%x (%s), want %s at 0x%x", s.Name, off, p.lo, p.hi, p.from, s.Name, s.Value)
					case !stripped && p.name != s.Name:
						t.Errorf("place(%s+%d) names %q", s.Name, off, p.name)
					}
				}
				checked++
			}
			t.Logf("%d functions checked", checked)
			if checked < 3 {
				t.Errorf("only %d functions checked", checked)
			}
			crt := 0
			// crtstuff's functions have no st_size: in a full symbol table
			// the next symbol bounds them, once stripped nothing does.
			for _, sym := range syms {
				if sym.Name != "__do_global_dtors_aux" || sym.Size != 0 {
					continue
				}
				if _, _, _, inFDE := o.fde(sym.Value + 1); inFDE {
					continue
				}
				p := o.place(sym.Value + 1)
				crt++
				switch {
				case stripped && p.known && !p.start && p.name == "__do_global_dtors_aux":
					t.Errorf("place(__do_global_dtors_aux+1) = %+v once stripped", p)
				case !stripped && (!p.known || p.start || p.name != "__do_global_dtors_aux" || p.lo != sym.Value):
					t.Errorf("place(__do_global_dtors_aux+1) = %+v, want inside it", p)
				}
			}
			if crt == 0 {
				t.Errorf("%s: no __do_global_dtors_aux without st_size or FDE to try", name)
			}
			// Bytes the section table gives to data are not code.
			for _, sec := range f.Sections {
				if sec.Name == ".rodata" && sec.Size > 1 {
					if p := o.place(sec.Addr + 1); !p.known || p.start || !p.nowhere {
						t.Errorf("place(.rodata+1) = %+v, want bytes that are not code", p)
					}
				}
			}
			// The entry point is _start, which crt1.o gives an FDE.
			if p := o.place(f.Entry); !p.start {
				t.Errorf("place(e_entry 0x%x) = %+v, want a start", f.Entry, p)
			}
		})
	}
}

// FuzzFuncOracle asks the oracle about addresses of damaged fixtures: a
// search table, FDE, CIE or symbol table of any shape must give an
// answer or "not known", bounded, never a panic, and a start it reports
// must be the address asked about; a static definition given as evidence
// must be elsewhere.
func FuzzFuncOracle(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		ef, err := elf.NewFile(bytes.NewReader(b))
		if err != nil {
			continue
		}
		f.Add(b, ef.Entry)
		f.Add(b, ef.Entry+3)
		ef.Close()
	}
	f.Fuzz(func(t *testing.T, b []byte, addr uint64) {
		file, err := inspect.NewFile(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		o := newFuncOracle(file)
		p := o.place(addr)
		if p.known && !p.start && !p.nowhere && (addr < p.lo || addr >= p.hi) {
			t.Fatalf("place(0x%x) = inside 0x%x-0x%x", addr, p.lo, p.hi)
		}
		o.place(p.lo)
		o.place(addr + 1)
		// The .symtab cross-check reads the same tables by name.
		for _, name := range []string{"main", "_start", "demo_one"} {
			if d, ok := o.staticElsewhere(addr, 1<<62, name); ok && d.value == addr {
				t.Fatalf("staticElsewhere(0x%x, %s) = evidence at the very address", addr, name)
			}
		}
	})
}

// TestNopLen holds the padding decoder to the forms gcc, GNU as and lld
// pad with, each whole and no longer.
func TestNopLen(t *testing.T) {
	for _, tc := range []struct {
		b    string
		want int
	}{
		{"90", 1}, {"cc", 1}, {"6690", 2}, {"0f1f00", 3}, {"0f1f4000", 4}, {"0f1f440000", 5},
		{"660f1f440000", 6}, {"0f1f8000000000", 7}, {"0f1f840000000000", 8}, {"660f1f840000000000", 9},
		{"662e0f1f840000000000", 10}, {"66662e0f1f840000000000", 11},
		{"0f1f", 0}, {"0f1f48", 0}, {"55", 0}, {"66cc", 0},
	} {
		b, _ := hex.DecodeString(tc.b)
		if got := nopLen(b); got != tc.want {
			t.Errorf("nopLen(%s) = %d, want %d", tc.b, got, tc.want)
		}
	}
}

// BenchmarkFuncOracle measures the oracle's answers on the machine's
// libc: a function's start (a binary search of PT_GNU_EH_FRAME's table
// and one FDE read) and a point inside it (the same, then one pass over
// .dynsym for a symbol at that address).
func BenchmarkFuncOracle(b *testing.B) {
	const libc = "/lib/x86_64-linux-gnu/libc.so.6"
	ef, err := elf.Open(libc)
	if err != nil {
		b.Fatal(err)
	}
	syms, err := ef.DynamicSymbols()
	ef.Close()
	if err != nil {
		b.Fatal(err)
	}
	var start uint64
	for _, s := range syms {
		if s.Name == "__libc_start_main" {
			start = s.Value
		}
	}
	f, err := inspect.Open(libc)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	o := newFuncOracle(f)
	for _, tc := range []struct {
		name string
		addr uint64
	}{{"start", start}, {"inside", start + 5}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if p := o.place(tc.addr); !p.known {
					b.Fatalf("place(0x%x) not known", tc.addr)
				}
			}
		})
	}
}

// TestPaddingMatchesDisassembler walks every gap between two FDEs of the
// machine's libc: where x86asm decodes the gap as no-ops only, nopLen
// must find the same instructions, and the oracle must call a byte in the
// middle of one padding and an instruction's first byte not known.
func TestPaddingMatchesDisassembler(t *testing.T) {
	const libc = "/lib/x86_64-linux-gnu/libc.so.6"
	f, err := inspect.Open(libc)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	o := newFuncOracle(f)
	if !o.hasTable {
		t.Fatalf("%s: no .eh_frame_hdr search table read", libc)
	}
	size := encSize(o.tableEnc, f)
	gaps, mids := 0, 0
	for i := uint64(0); i+1 < o.count; i++ {
		fdeAddr, _, _ := o.encoded(o.table+i*2*size+size, o.tableEnc)
		begin, length, ok := o.readFDE(fdeAddr)
		next, _, _ := o.encoded(o.table+(i+1)*2*size, o.tableEnc)
		end := begin + length
		if !ok || end >= next || next-end > maxPadding {
			continue
		}
		gap := make([]byte, next-end)
		if f.Image().ReadAt(gap, end, "gap") != nil {
			continue
		}
		var lens []int
		allNops := true
		for p := 0; p < len(gap); {
			inst, err := x86asm.Decode(gap[p:], 64)
			if err != nil || (inst.Op != x86asm.NOP && gap[p] != 0xcc && !(inst.Op == x86asm.XCHG && inst.Len == 2 && gap[p] == 0x66)) {
				allNops = false
				break
			}
			lens = append(lens, inst.Len)
			p += inst.Len
		}
		if !allNops {
			continue
		}
		gaps++
		at := end
		for _, n := range lens {
			if got := nopLen(gap[at-end:]); got != n {
				t.Fatalf("nopLen(% x) = %d, x86asm decodes %d bytes", gap[at-end:], got, n)
			}
			if p := o.place(at); p.known && !p.start {
				t.Errorf("place(0x%x), a no-op's first byte, = %+v", at, p)
			}
			if n > 1 {
				mids++
				if p := o.place(at + 1); !p.known || p.start || p.lo != end || p.hi != next {
					t.Errorf("place(0x%x), inside a no-op of the padding 0x%x-0x%x, = %+v", at+1, end, next, p)
				}
			}
			at += uint64(n)
		}
	}
	t.Logf("%d gaps of no-ops, %d no-ops entered in the middle", gaps, mids)
	if mids == 0 {
		t.Error("no padding of multi-byte no-ops found in libc")
	}
}
