package loader

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// damagedFixture returns gcc-nopie with its program header i's 8-byte
// field at off (p_offset 8, p_filesz 32) set to v, opened as the kernel
// maps it.
func damagedFixture(t *testing.T, i int, off int, v uint64) *inspect.File {
	t.Helper()
	b, err := os.ReadFile("../../testdata/bin/gcc-nopie")
	if err != nil {
		t.Fatal(err)
	}
	if i >= 0 {
		binary.LittleEndian.PutUint64(b[64+i*56+off:], v)
	}
	f, err := inspect.NewFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	f.MapAsKernel()
	return f
}

// TestDisplaced holds the displacement rule to what the kernel maps for
// gcc-nopie (.rodata in program header 4 at file offset 0x2000, the code
// in program header 3 at 0x1000): a shifted p_offset or a p_filesz of 0
// is found at the section's first differing byte, and the pristine file
// has nothing displaced.
func TestDisplaced(t *testing.T) {
	for _, tc := range []struct {
		name      string
		prog, off int
		v         uint64
		sec       string
		addr      uint64
		zero      bool
		from      uint64
	}{
		{name: "pristine", prog: -1},
		{name: "rodata-offset", prog: 4, off: 8, v: 0x3000, sec: ".rodata", addr: 0x402000, from: 0x3000},
		{name: "rodata-filesz-zero", prog: 4, off: 32, v: 0, sec: ".rodata", addr: 0x402000, zero: true},
		{name: "text-offset", prog: 3, off: 8, v: 0x2000, sec: ".init", addr: 0x401000, from: 0x2000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := damagedFixture(t, tc.prog, tc.off, tc.v)
			ds := displaced(f, nil, nil)
			if tc.sec == "" {
				if len(ds) != 0 {
					t.Fatalf("displaced(pristine) = %+v, want none", ds)
				}
				return
			}
			if len(ds) == 0 {
				t.Fatalf("displaced = none, want %s at 0x%x", tc.sec, tc.addr)
			}
			d := ds[0]
			if d.sec.Name != tc.sec || d.addr != tc.addr || d.zero != tc.zero || (!tc.zero && d.from != tc.from) || d.prog != tc.prog || d.got == d.want {
				t.Errorf("displaced[0] = %s at 0x%x (zero %v, from 0x%x, prog %d, 0x%02x for 0x%02x), want %s at 0x%x (zero %v, from 0x%x, prog %d)",
					d.sec.Name, d.addr, d.zero, d.from, d.prog, d.got, d.want, tc.sec, tc.addr, tc.zero, tc.from, tc.prog)
			}
		})
	}
}

// TestDisplacedAt holds the transfer check to the bytes at the target:
// the entry point of gcc-nopie with its code segment mapped from .rodata's
// page is displaced, the same entry in the pristine file is not, and a
// relocation that wrote the differing bytes makes them agree.
func TestDisplacedAt(t *testing.T) {
	f := damagedFixture(t, 3, 8, 0x2000)
	d := displacedAt(f, f.Entry)
	if d == nil || d.sec.Name != ".text" || d.addr < f.Entry || d.addr >= f.Entry+transferWindow {
		t.Fatalf("displacedAt(e_entry 0x%x) = %+v, want .text within %d bytes", f.Entry, d, transferWindow)
	}
	if d := displacedAt(damagedFixture(t, -1, 0, 0), f.Entry); d != nil {
		t.Errorf("displacedAt(pristine e_entry) = %+v, want nil", d)
	}
	all := func(uint64) bool { return true }
	if ds := displaced(f, nil, all); len(ds) != 0 {
		t.Errorf("displaced with every byte relocated = %+v, want none", ds)
	}
}

// TestDisplacedHealthy runs the rule over the committed fixtures and the
// machine's libc, ld.so and a few programs, each mapped as the kernel or
// ld.so maps it: none has a section mapped from other bytes.
func TestDisplacedHealthy(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/bin/*")
	files = append(files, "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2", "/usr/bin/bash", "/usr/bin/gdb")
	n := 0
	for _, p := range files {
		f, err := inspect.Open(p)
		if err != nil {
			continue
		}
		if f.Type == elf.ET_EXEC || (f.Type == elf.ET_DYN && f.Entry != 0) {
			f.MapAsKernel()
		}
		if ds := displaced(f, nil, nil); len(ds) != 0 {
			t.Errorf("displaced(%s) = %s at 0x%x, want none", p, ds[0].sec.Name, ds[0].addr)
		}
		f.Close()
		n++
	}
	if n < 10 {
		t.Fatalf("only %d files read", n)
	}
}

// FuzzDisplaced runs the rule on damaged fixtures: any headers must give
// an answer, bounded, never a panic, and every displacement it reports is
// a byte that differs, inside its section.
func FuzzDisplaced(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := inspect.NewFile(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		for _, d := range displaced(file, nil, nil) {
			if d.got == d.want || d.addr < d.sec.Addr || d.addr-d.sec.Addr >= d.sec.Size {
				t.Fatalf("displacement %+v: not a differing byte of its section", d)
			}
			_ = d.evidence()
		}
		if d := displacedAt(file, file.Entry); d != nil && d.got == d.want {
			t.Fatalf("displacedAt(0x%x) = %+v: not a differing byte", file.Entry, d)
		}
	})
}

// TestDisplacedBeforeExit holds the order of a displaced constant and a
// finaliser the replay judges: main, which reads the constants, runs
// before the finalisers, so it may stop first. gcc-nopie's .rodata is
// mapped from file offset 0x3000 and its DT_FINI_ARRAY[0] (file offset
// 0x2e00) is 0, a determined crash at exit, or 0x401105, 5 bytes into
// __do_global_dtors_aux, an undetermined one.
func TestDisplacedBeforeExit(t *testing.T) {
	for _, tc := range []struct {
		fini uint64
		exit string
		want []Outcome
	}{
		{0, "fini-not-code", []Outcome{OutcomeCrash, OutcomeHangs, OutcomeExitCrash}},
		{0x401105, "jump-into-function", []Outcome{OutcomeCrash, OutcomeHangs, OutcomeExitsEarly, OutcomeStarts, OutcomeExitCrash, OutcomeFirstCall}},
	} {
		b, err := os.ReadFile("../../testdata/bin/gcc-nopie")
		if err != nil {
			t.Fatal(err)
		}
		binary.LittleEndian.PutUint64(b[64+4*56+8:], 0x3000)
		binary.LittleEndian.PutUint64(b[0x2e00:], tc.fini)
		p := filepath.Join(t.TempDir(), "prog")
		if err := os.WriteFile(p, b, 0o755); err != nil {
			t.Fatal(err)
		}
		res, err := Check(p, CheckOptions{Getenv: func(string) string { return "" }})
		if err != nil {
			t.Fatal(err)
		}
		f := res.Fatal()
		if res.Outcome != OutcomeUndetermined || f == nil || f.Code != "constants-displaced" || !sameOutcomes(res.Possible, tc.want) {
			t.Errorf("fini 0x%x: Check = %s %v (%+v), want constants-displaced, possible %v", tc.fini, res.Outcome, res.Possible, f, tc.want)
			continue
		}
		found := false
		for _, g := range res.Findings {
			found = found || g.Code == tc.exit
		}
		if !found {
			t.Errorf("fini 0x%x: no %s finding after the displaced one: %+v", tc.fini, tc.exit, res.Findings)
		}
	}
}

func sameOutcomes(a, b []Outcome) bool {
	if len(a) != len(b) {
		return false
	}
	for _, o := range a {
		if !slices.Contains(b, o) {
			return false
		}
	}
	return true
}

// TestFetchFault holds the signal of a jump into gcc-nopie's read-only
// .rodata segment (program header 4) to where its page comes from: a
// page of the file is faulted in and then refused for execution
// (SIGSEGV); a page wholly past the end of the file never comes in, and
// the page cache raises SIGBUS first (dlopen-init-past-eof-2120).
func TestFetchFault(t *testing.T) {
	for _, tc := range []struct {
		name string
		off  uint64 // program header 4's p_offset
		want inspect.Fault
	}{
		{"in the file", 0x2000, inspect.FaultUnmapped},
		{"past the end of the file", 0x2000 + 1<<40, inspect.FaultPastEOF},
	} {
		f := damagedFixture(t, 4, 8, tc.off)
		l := f.Image().Lookup(0x402000)
		if !l.Mapped || l.Perm&elf.PF_X != 0 {
			t.Fatalf("%s: 0x402000 is %+v, want mapped and not executable", tc.name, l)
		}
		if got := fetchFault(f, l); got != tc.want {
			t.Errorf("%s: fetchFault = %v (%s), want %v (%s)", tc.name, got, got.Signal(), tc.want, tc.want.Signal())
		}
	}
}
