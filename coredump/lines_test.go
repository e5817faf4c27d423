package coredump

import (
	"bytes"
	"compress/zlib"
	"context"
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/damage"
)

// systemDebugFile returns the separate debug file of a system library,
// found by build-id as the analysis finds it: Debian's libc6-dbg.
func systemDebugFile(t testing.TB, lib string) string {
	t.Helper()
	needLoaderSymbols(t) // the same package ships libc's
	id := fileBuildID(lib)
	if len(id) < 3 {
		t.Skipf("no build-id in %s", lib)
	}
	p := filepath.Join("/usr/lib/debug/.build-id", id[:2], id[2:]+".debug")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s: %v", lib, err)
	}
	return p
}

const (
	systemLibc = "/lib/x86_64-linux-gnu/libc.so.6"
	systemLd   = "/lib64/ld-linux-x86-64.so.2"
)

// TestSystemLibraryLines: frames in libc (an assert's abort) and in ld.so
// (a loader crash) get the file:line and inlined frames gdb gives on the
// same core, from the libraries' compressed separate debug files.
func TestSystemLibraryLines(t *testing.T) {
	needLoaderSymbols(t)
	needTool(t, "gdb")
	t.Run("libc", func(t *testing.T) {
		dir := t.TempDir()
		exe := compile(t, "gcc", "assert.c", dir, "assert", "-O1")
		core := makeCore(t, dir, exe)
		a, err := Analyze(context.Background(), core, Options{NoCheck: true})
		if err != nil {
			t.Fatal(err)
		}
		// __pthread_kill_implementation, raise, abort, __assert_fail_base
		// (its .cold part, a later sequence of the line table) and
		// __assert_fail.
		compareLinesWithGDB(t, a, exe, core, "libc.so.6", 5, false)
	})
	t.Run("ld.so", func(t *testing.T) {
		var apply func([]byte) ([]byte, error)
		for _, k := range damage.Kinds {
			if k.Name == "verneed-unmapped" {
				apply = k.Apply
			}
		}
		if apply == nil {
			t.Fatal("no damage kind verneed-unmapped")
		}
		dir := t.TempDir()
		exe := compile(t, "gcc", "hello.c", dir, "hello", "-O1")
		b, err := os.ReadFile(exe)
		if err != nil {
			t.Fatal(err)
		}
		if b, err = apply(b); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(exe, b, 0o755); err != nil {
			t.Fatal(err)
		}
		core := makeCore(t, dir, exe)
		a, err := Analyze(context.Background(), core, Options{NoCheck: true})
		if err != nil {
			t.Fatal(err)
		}
		// _dl_check_map_versions up to _dl_start, with _dl_start_final
		// inlined into _dl_start.
		compareLinesWithGDB(t, a, exe, core, "ld-linux", 6, true)
	})
}

// gdbLine is one line of gdb's backtrace: a function and where it is.
var gdbLine = regexp.MustCompile(`^#(\d+)\s+(?:(0x[0-9a-f]+) in )?(\S+) \(.*\)(?: at (\S+):(\d+))?`)

type srcLoc struct {
	fn, file string
	line     int
}

func (l srcLoc) String() string {
	if l.file == "" {
		return l.fn + " (no line)"
	}
	return fmt.Sprintf("%s at %s:%d", l.fn, filepath.Base(l.file), l.line)
}

// compareLinesWithGDB groups gdb's backtrace of core by physical frame
// (the line with an address, then the functions it is inlined into) and
// requires elfdoctor's frames at the same PC in module lib to have the
// same file base names and lines, inlined frames included; at least
// want frames must be compared, one with inlined frames if inlined.
func compareLinesWithGDB(t *testing.T, a *Analysis, exe, core, lib string, want int, inlined bool) {
	t.Helper()
	out, err := exec.Command("gdb", "-nx", "-batch", "-ex", "set width 0", "-ex", "bt", "-c", core, exe).CombinedOutput()
	if err != nil {
		t.Fatalf("gdb: %v\n%s", err, out)
	}
	text := string(out)
	if i := strings.LastIndex(text, "\n#0 "); i >= 0 {
		text = text[i+1:]
	}
	fs := a.Threads[0].Frames
	gdb := map[uint64][]srcLoc{}
	var pc uint64
	for _, l := range strings.Split(text, "\n") {
		m := gdbLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		switch {
		case m[1] == "0":
			pc = fs[0].PC
		case m[2] != "":
			pc, _ = strconv.ParseUint(m[2][2:], 16, 64)
		}
		n, _ := strconv.Atoi(m[5])
		gdb[pc] = append(gdb[pc], srcLoc{m[3], m[4], n})
	}
	ours := map[uint64][]srcLoc{}
	var pcs []uint64
	for _, f := range fs {
		if f.Method == ByStackScan || !strings.Contains(filepath.Base(f.Module), lib) {
			continue
		}
		if _, seen := ours[f.PC]; !seen {
			pcs = append(pcs, f.PC)
		}
		ours[f.PC] = append(ours[f.PC], srcLoc{f.Function, f.File, f.Line})
	}
	compared, withInlined := 0, false
	for _, pc := range pcs {
		g, ok := gdb[pc]
		if !ok || g[0].file == "" {
			t.Logf("%#x: %v; gdb has no line for it", pc, ours[pc])
			continue
		}
		o := ours[pc]
		same := len(o) == len(g)
		for i := 0; same && i < len(o); i++ {
			same = filepath.Base(o[i].file) == filepath.Base(g[i].file) && o[i].line == g[i].line
		}
		if !same {
			t.Errorf("frame at %#x in %s: elfdoctor %v, gdb %v", pc, lib, o, g)
			continue
		}
		t.Logf("%#x: %v", pc, o)
		compared++
		withInlined = withInlined || len(o) > 1
	}
	if compared < want {
		t.Errorf("%d frames in %s compared with gdb, want at least %d; gdb said:\n%s", compared, lib, want, text)
	}
	if inlined && !withInlined {
		t.Errorf("no frame in %s with inlined functions; gdb said:\n%s", lib, text)
	}
}

// TestLineTableMatchesGDB: for addresses across libc and ld.so, read
// from their debug files unit by unit, the file and line are those gdb's
// `info line *ADDR` gives: the same rows of the line table are kept and
// the same one is chosen, cold parts of functions and switches between
// source files at one address included.
func TestLineTableMatchesGDB(t *testing.T) {
	needTool(t, "gdb")
	gdbLineRE := regexp.MustCompile(`^Line (\d+) of "([^"]+)"`)
	for _, lib := range []string{systemLibc, systemLd} {
		t.Run(filepath.Base(lib), func(t *testing.T) {
			debug := systemDebugFile(t, lib)
			f, err := elf.Open(debug)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			syms, err := f.Symbols()
			if err != nil {
				t.Fatal(err)
			}
			var pcs []uint64
			for i, s := range syms {
				if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 && s.Size > 8 && i%3 == 0 {
					pcs = append(pcs, s.Value+1, s.Value+s.Size/3, s.Value+s.Size-1)
				}
			}
			args := []string{"-nx", "-batch"}
			for _, pc := range pcs {
				args = append(args, "-ex", fmt.Sprintf("info line *%#x", pc))
			}
			out, err := exec.Command("gdb", append(args, debug)...).CombinedOutput()
			if err != nil {
				t.Fatalf("gdb: %v\n%s", err, out)
			}
			answers := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(answers) != len(pcs) {
				t.Fatalf("gdb answered %d lines for %d addresses:\n%s", len(answers), len(pcs), out)
			}
			m := &Module{debugFile: f}
			lines := 0
			for i, pc := range pcs {
				gf, gl := "", 0
				if g := gdbLineRE.FindStringSubmatch(answers[i]); g != nil {
					gf, gl = filepath.Base(g[2]), atoi(g[1])
				}
				file, line := m.line(pc)
				if line != gl || line != 0 && filepath.Base(file) != gf {
					t.Errorf("line(%#x) = %s:%d, gdb: %s", pc, file, line, answers[i])
				}
				if line != 0 {
					lines++
				}
			}
			if m.units == nil || lines < len(pcs)*9/10 {
				t.Errorf("%d of %d addresses have a line (read by unit: %v)", lines, len(pcs), m.units != nil)
			}
			t.Logf("%d addresses, %d with a line, all as gdb says", len(pcs), lines)
		})
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// TestUnitDWARFMatchesWhole: for functions across libc and ld.so, the
// unit-at-a-time reader gives the file:line and inlined functions that
// loading the whole debug file does, whether the sections are compressed
// with zlib (as shipped), with zstd, or not at all.
func TestUnitDWARFMatchesWhole(t *testing.T) {
	needTool(t, "objcopy")
	for _, lib := range []string{systemLibc, systemLd} {
		debug := systemDebugFile(t, lib)
		variants := []struct{ name, path string }{{"zlib", debug}}
		dir := t.TempDir()
		for _, v := range []struct{ name, flag string }{{"none", "--decompress-debug-sections"}, {"zstd", "--compress-debug-sections=zstd"}} {
			p := filepath.Join(dir, v.name+".debug")
			if b, err := exec.Command("objcopy", v.flag, debug, p).CombinedOutput(); err != nil {
				t.Fatalf("objcopy %s: %v\n%s", v.flag, err, b)
			}
			variants = append(variants, struct{ name, path string }{v.name, p})
		}
		f, err := elf.Open(debug)
		if err != nil {
			t.Fatal(err)
		}
		d, err := f.DWARF()
		if err != nil {
			t.Fatal(err)
		}
		whole := &Module{dwarf: d, dwarfDone: true}
		syms, err := f.Symbols()
		if err != nil {
			t.Fatal(err)
		}
		type want struct {
			file    string
			line    int
			inlines []inlineSite
		}
		var pcs []uint64
		var wants []want
		for i, s := range syms {
			if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 && i%29 == 0 {
				for _, pc := range []uint64{s.Value, s.Value + s.Size/2} {
					file, line := whole.line(pc)
					pcs, wants = append(pcs, pc), append(wants, want{file, line, whole.inlines(pc)})
				}
			}
		}
		f.Close()
		for _, v := range variants {
			t.Run(filepath.Base(lib)+"/"+v.name, func(t *testing.T) {
				vf, err := elf.Open(v.path)
				if err != nil {
					t.Fatal(err)
				}
				defer vf.Close()
				lazy := &Module{debugFile: vf}
				lines, inl := 0, 0
				for i, pc := range pcs {
					w := wants[i]
					if file, line := lazy.line(pc); file != w.file || line != w.line {
						t.Errorf("line(%#x) = %s:%d, whole DWARF says %s:%d", pc, file, line, w.file, w.line)
					} else if line > 0 {
						lines++
					}
					if got := lazy.inlines(pc); !slices.Equal(got, w.inlines) {
						t.Errorf("inlines(%#x) = %v, whole DWARF says %v", pc, got, w.inlines)
					} else if len(got) > 0 {
						inl++
					}
				}
				if lazy.units == nil || lazy.dwarf != nil {
					t.Fatalf("%s was not read unit by unit", v.path)
				}
				if lines < len(pcs)*9/10 || inl == 0 {
					t.Errorf("%d of %d addresses have a line, %d inlined functions; want most and some", lines, len(pcs), inl)
				}
				t.Logf("%d addresses, %d with lines, %d with inlined functions, %d units read", len(pcs), lines, inl, len(lazy.units.units))
			})
		}
	}
}

// TestUnitDWARFReadsLittle: a frame early in libc inflates a few
// kilobytes of .debug_info, not the section, and none of .debug_str; a
// second unit continues the stream.
func TestUnitDWARFReadsLittle(t *testing.T) {
	f, err := elf.Open(systemDebugFile(t, systemLibc))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	start, kill := symbolValue(t, f, "__libc_start_call_main"), symbolValue(t, f, "__pthread_kill_implementation")
	m := &Module{debugFile: f}
	if file, line := m.line(start + 0x79); line == 0 || filepath.Base(file) != "libc_start_call_main.h" {
		t.Errorf("line(__libc_start_call_main+0x79) = %s:%d, want libc_start_call_main.h", file, line)
	}
	info := m.units.info
	if len(info.buf) > 64<<10 || info.size < 1<<20 {
		t.Errorf("inflated %d of .debug_info's %d bytes for a unit near its start", len(info.buf), info.size)
	}
	if n := len(m.units.str.buf); n != 0 {
		t.Errorf("inflated %d bytes of .debug_str for a line, which needs none of its strings", n)
	}
	first := len(info.buf)
	if _, line := m.line(kill + 0x10); line == 0 {
		t.Errorf("no line for __pthread_kill_implementation")
	}
	if len(info.buf) <= first || uint64(len(info.buf)) == info.size {
		t.Errorf("second unit: .debug_info inflated to %d of %d bytes", len(info.buf), info.size)
	}
	if len(m.units.units) != 2 {
		t.Errorf("%d units read, want 2", len(m.units.units))
	}
}

// TestUnitDWARFFollowsLTO: with LTO, GCC puts the abstract functions in
// units of their own and an inlined call refers to them across units
// (DW_FORM_ref_addr); the reader places such a unit at its offset and
// loads the unit a reference lands in, so the inlined frames have the
// names whole DWARF gives.
func TestUnitDWARFFollowsLTO(t *testing.T) {
	needTool(t, "objcopy")
	dir := t.TempDir()
	exe := compile(t, "gcc", "inline.c", dir, "inline", "-flto", "-O2", "-g", filepath.Join("testdata", "src", "libinit.c"))
	debug := exe + ".debug"
	if b, err := exec.Command("objcopy", "--only-keep-debug", "--compress-debug-sections=zlib", exe, debug).CombinedOutput(); err != nil {
		t.Fatalf("objcopy: %v\n%s", err, b)
	}
	f, err := elf.Open(debug)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := f.DWARF()
	if err != nil {
		t.Fatal(err)
	}
	whole := &Module{dwarf: d, dwarfDone: true}
	lazy := &Module{debugFile: f}
	pc := symbolValue(t, f, "work.constprop.0") + 1 // LTO's clone of work
	want := whole.inlines(pc)
	if len(want) != 2 || want[0].name != "outer" || want[1].name != "poke" {
		t.Fatalf("whole DWARF: inlines(work+1) = %v, want outer and poke", want)
	}
	if got := lazy.inlines(pc); !slices.Equal(got, want) {
		t.Errorf("inlines(work+1) = %v, whole DWARF says %v", got, want)
	}
	wf, wl := whole.line(pc)
	if lf, ll := lazy.line(pc); lf != wf || ll != wl {
		t.Errorf("line(work+1) = %s:%d, whole DWARF says %s:%d", lf, ll, wf, wl)
	}
	padded := 0
	for _, du := range lazy.units.units {
		if du != nil && du.padded {
			padded++
		}
	}
	if padded == 0 || len(lazy.units.units) < 2 {
		t.Errorf("%d units read, %d padded; want the LTO unit padded and the one it refers to", len(lazy.units.units), padded)
	}
}

// TestPadUnit: every unit of a real .debug_info, placed at its offset
// behind a padding unit, reads as the same entries as in the whole
// section, at the same offsets.
func TestPadUnit(t *testing.T) {
	dir := t.TempDir()
	exe := compile(t, "gcc", "inline.c", dir, "inline", "-O2", "-g", filepath.Join("testdata", "src", "libinit.c"))
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	whole, err := f.DWARF()
	if err != nil {
		t.Fatal(err)
	}
	sec := func(name string) []byte {
		b, err := f.Section(name).Data()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	info, abbrev, str, lineStr := sec(".debug_info"), sec(".debug_abbrev"), sec(".debug_str"), sec(".debug_line_str")
	le := binary.LittleEndian
	units := 0
	for off := uint64(0); off < uint64(len(info)); units++ {
		n, err := unitSize(info[off:], le)
		if err != nil {
			t.Fatal(err)
		}
		cu := info[off : off+n]
		padded, err := padUnit(cu, off, le.Uint16(cu[4:]), uint64(le.Uint32(cu[8:])), cu[7], le)
		if off > 0 && err != nil {
			t.Fatalf("padUnit at %#x: %v", off, err)
		}
		d, err := dwarf.New(abbrev, nil, nil, padded, nil, nil, nil, str)
		if err != nil {
			t.Fatalf("unit at %#x: %v", off, err)
		}
		d.AddSection(".debug_line_str", lineStr)
		wr, r := whole.Reader(), d.Reader()
		wr.Seek(dwarf.Offset(off + 12))
		r.Seek(dwarf.Offset(off + 12))
		for i := 0; i < 50; i++ {
			we, err1 := wr.Next()
			if err1 != nil || we == nil || we.Offset >= dwarf.Offset(off+n) {
				break
			}
			e, err2 := r.Next()
			if err2 != nil || e == nil {
				t.Fatalf("unit at %#x, entry %d: %v, want %+v", off, i, err2, we)
			}
			if we.Offset != e.Offset || we.Tag != e.Tag || fmt.Sprint(we.Val(dwarf.AttrName)) != fmt.Sprint(e.Val(dwarf.AttrName)) {
				t.Errorf("unit at %#x: entry %+v, whole section has %+v", off, e, we)
			}
		}
		off += n
	}
	if units < 2 {
		t.Errorf("%d units, want two files' worth", units)
	}
}

func symbolValue(t testing.TB, f *elf.File, name string) uint64 {
	t.Helper()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		if s.Name == name {
			return s.Value
		}
	}
	t.Fatalf("no symbol %s", name)
	return 0
}

// TestHostileDebugSections: sizes and offsets in a debug file that its
// bytes cannot back are refused without allocating what they claim.
func TestHostileDebugSections(t *testing.T) {
	le := binary.LittleEndian
	// A compressed section that claims 200 MB but holds 10 bytes.
	s := zlibSection(".debug_info", make([]byte, 10), 200<<20)
	if _, err := s.at(150<<20, 16); err == nil {
		t.Errorf("read 16 bytes at 150 MB of a 10-byte stream")
	}
	if cap(s.buf) > 1<<20 {
		t.Errorf("allocated %d bytes for a 10-byte stream", cap(s.buf))
	}
	// An aranges set whose length runs past the section.
	set := le.AppendUint32(nil, 0xfffffff0-1)
	set = append(set, make([]byte, 20)...)
	u := &unitDWARF{order: le, aranges: plainSection(".debug_aranges", set), units: map[uint64]*dwarfUnit{}}
	if _, ok := u.unitOffset(0x1000); ok || !u.arDone {
		t.Errorf("found a unit through a set longer than its section")
	}
	// A unit whose abbreviation table never ends.
	if _, _, ok := abbrevTableEnd([]byte{1, 0x11, 1, 3, 8}); ok {
		t.Errorf("abbrevTableEnd found the end of an unterminated table")
	}
}

// plainSection and zlibSection make debug sections from bytes; zlib's
// claims a size of its own.
func plainSection(name string, b []byte) *debugSection {
	return &debugSection{name: name, size: uint64(len(b)), ra: bytes.NewReader(b)}
}

func zlibSection(name string, b []byte, size uint64) *debugSection {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(b)
	w.Close()
	r, _ := zlib.NewReader(bytes.NewReader(z.Bytes()))
	return &debugSection{name: name, size: size, plausible: 16 * uint64(z.Len()), r: r}
}

// BenchmarkLibcLine is the cost of file:line and inlined frames for one
// libc address, from opening the debug file, unit by unit and whole:
// __libc_start_call_main is in a unit near the start of .debug_info,
// __pthread_kill_implementation 2 MB into its 5.8 MB.
func BenchmarkLibcLine(b *testing.B) {
	benchLines(b, systemLibc, "__libc_start_call_main", "__pthread_kill_implementation")
}

// BenchmarkLdsoLine is the same for ld.so, whose debug file is small.
func BenchmarkLdsoLine(b *testing.B) {
	benchLines(b, systemLd, "_dl_start", "_dl_check_map_versions")
}

func benchLines(b *testing.B, lib string, fns ...string) {
	path := systemDebugFile(b, lib)
	f, err := elf.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	for _, fn := range fns {
		pc := symbolValue(b, f, fn) + 0x10
		for _, mode := range []string{"unit", "whole"} {
			b.Run(fn+"/"+mode, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					df, err := elf.Open(path)
					if err != nil {
						b.Fatal(err)
					}
					// The executable's debug file is loaded whole.
					m := &Module{debugFile: df, Executable: mode == "whole"}
					if _, line := m.line(pc); line == 0 {
						b.Fatalf("no line for %s", fn)
					}
					m.inlines(pc)
					df.Close()
				}
			})
		}
	}
}

// FuzzArangeSet feeds one .debug_aranges set to its parser.
func FuzzArangeSet(f *testing.F) {
	if b := realSection(f, systemLd, ".debug_aranges"); len(b) > 0 {
		if n, err := unitSize(b, binary.LittleEndian); err == nil && n <= uint64(len(b)) {
			f.Add(b[:n])
		}
	}
	le := binary.LittleEndian
	set := le.AppendUint32(nil, 44)
	set = le.AppendUint16(set, 2)
	set = le.AppendUint32(set, 0x4b1)
	set = append(set, 8, 0, 0, 0, 0, 0)
	set = le.AppendUint64(le.AppendUint64(set, 0x271c0), 1)
	set = le.AppendUint64(le.AppendUint64(set, 0), 0)
	f.Add(set)
	f.Fuzz(func(t *testing.T, b []byte) {
		unitSize(b, le)
		_, ranges, err := parseArangeSet(b, le)
		if err == nil && len(ranges) > len(b)/8 {
			t.Errorf("%d ranges from %d bytes", len(ranges), len(b))
		}
		for _, r := range ranges {
			if r[0] >= r[1] {
				t.Errorf("empty or wrapped range %#x", r)
			}
		}
	})
}

// FuzzAbbrevTableEnd feeds an abbreviation table to the scanner that
// finds its end.
func FuzzAbbrevTableEnd(f *testing.F) {
	if b := realSection(f, systemLd, ".debug_abbrev"); len(b) > 0 {
		if end, _, ok := abbrevTableEnd(b); ok {
			f.Add(b[:end])
		}
	}
	f.Add([]byte{1, 0x11, 1, 0x25, 0x0e, 0x21, 0x21, 5, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if end, _, ok := abbrevTableEnd(b); ok && (end <= 0 || end > len(b)) {
			t.Errorf("end %d of a %d-byte table", end, len(b))
		}
	})
}

// FuzzUnitDWARF runs the whole unit-at-a-time path — aranges or the
// units' own ranges, unit header, abbreviation table, line program, range
// lists, the function index and call sites, dwarf's readers — over sections made of the fuzzer's bytes, plain or zlib-compressed
// with a size claim of the fuzzer's.
func FuzzUnitDWARF(f *testing.F) {
	for _, seed := range realUnitSeeds(f) {
		f.Add(seed.aranges, seed.info, seed.abbrev, seed.line, seed.str, seed.lineStr, seed.rnglists, seed.pc, false, uint16(0))
		f.Add(seed.aranges, seed.info, seed.abbrev, seed.line, seed.str, seed.lineStr, seed.rnglists, seed.pc, true, uint16(100))
		// Without .debug_aranges: units indexed by their own ranges.
		f.Add([]byte{}, seed.info, seed.abbrev, seed.line, seed.str, seed.lineStr, seed.rnglists, seed.pc, false, uint16(0))
	}
	f.Add([]byte{}, []byte{}, []byte{}, []byte{}, []byte{}, []byte{}, []byte{}, uint64(0), false, uint16(0))
	f.Fuzz(func(t *testing.T, aranges, info, abbrev, line, str, lineStr, rnglists []byte, pc uint64, compress bool, extra uint16) {
		secs := map[string][]byte{"aranges": aranges, "info": info, "abbrev": abbrev, "line": line, "str": str, "line_str": lineStr, "rnglists": rnglists}
		u := newUnitReader(binary.LittleEndian, func(name string) *debugSection {
			b, ok := secs[name]
			if !ok || len(b) == 0 {
				return nil
			}
			if compress {
				return zlibSection(".debug_"+name, b, uint64(len(b))+uint64(extra))
			}
			return plainSection(".debug_"+name, b)
		})
		if u == nil {
			return
		}
		// Our own parsing runs outside any recover here: a panic in it
		// fails the fuzzer.
		u.unitAt(pc)
		m := &Module{units: u, dwarfDone: true}
		m.line(pc)
		m.inlines(pc)
		if sub, _ := m.scope(pc); sub.d != nil {
			m.callSites(sub)
		}
		for _, s := range []*debugSection{u.info, u.abbrev, u.aranges, u.line, u.str, u.lineStr, u.rngLists} {
			if s != nil && uint64(len(s.buf)) > s.size {
				t.Errorf("%s: %d bytes kept of a %d-byte section", s.name, len(s.buf), s.size)
			}
		}
	})
}

// realSection returns a system library's debug section, inflated, for
// seeds; nil when the debug file is not installed and CI is not set.
func realSection(f *testing.F, lib, name string) []byte {
	if os.Getenv("CI") == "" {
		if _, err := os.Stat("/usr/lib/debug/.build-id"); err != nil {
			return nil
		}
	}
	ef, err := elf.Open(systemDebugFile(f, lib))
	if err != nil {
		f.Fatal(err)
	}
	defer ef.Close()
	s := ef.Section(name)
	if s == nil {
		f.Fatalf("%s: no %s", lib, name)
	}
	b, err := io.ReadAll(io.LimitReader(s.Open(), 1<<20))
	if err != nil {
		f.Fatal(err)
	}
	return b
}

type unitSeed struct {
	aranges, info, abbrev, line, str, lineStr, rnglists []byte
	pc                                                  uint64
}

// realUnitSeeds are the DWARF sections of programs gcc builds from two
// files, one with inlined functions: plain, where the second unit is
// read alone, and with LTO, where units refer to each other; one seed per
// function.
func realUnitSeeds(f *testing.F) []unitSeed {
	if os.Getenv("CI") == "" {
		if _, err := exec.LookPath("gcc"); err != nil {
			return nil
		}
	}
	var out []unitSeed
	for _, lto := range []bool{false, true} {
		flags := []string{"-O2", "-g", "-gdwarf-5", filepath.Join("testdata", "src", "libinit.c")}
		fns := []string{"work", "main", "table_value"}
		if lto { // LTO clones work and drops table_value, which nothing calls
			flags, fns = append(flags, "-flto"), []string{"work.constprop.0", "main", "init_table"}
		}
		exe := compile(f, "gcc", "inline.c", f.TempDir(), "inline", flags...)
		ef, err := elf.Open(exe)
		if err != nil {
			f.Fatal(err)
		}
		sec := func(name string) []byte {
			if s := ef.Section(name); s != nil {
				b, _ := s.Data()
				return b
			}
			return nil
		}
		seed := unitSeed{aranges: sec(".debug_aranges"), info: sec(".debug_info"), abbrev: sec(".debug_abbrev"),
			line: sec(".debug_line"), str: sec(".debug_str"), lineStr: sec(".debug_line_str"), rnglists: sec(".debug_rnglists")}
		if seed.aranges == nil {
			f.Fatalf("gcc wrote no .debug_aranges")
		}
		for _, fn := range fns {
			s := seed
			s.pc = symbolValue(f, ef, fn) + 1
			out = append(out, s)
		}
		ef.Close()
	}
	return out
}

// TestUnitDWARFWithoutAranges: clang writes no .debug_aranges by default,
// so a library's separate debug file from clang is indexed by its units'
// own ranges, read in order only as far as the address asked for, and
// gives the lines and inlined functions whole DWARF gives.
func TestUnitDWARFWithoutAranges(t *testing.T) {
	needTool(t, "objcopy")
	dir := t.TempDir()
	lib := compile(t, "clang", "plugin.c", dir, "lib.so", "-O2", "-g", "-shared", "-fPIC",
		filepath.Join("testdata", "src", "libinit.c"), filepath.Join("testdata", "src", "inline.c"))
	debug := lib + ".debug"
	if b, err := exec.Command("objcopy", "--only-keep-debug", "--compress-debug-sections=zlib", lib, debug).CombinedOutput(); err != nil {
		t.Fatalf("objcopy: %v\n%s", err, b)
	}
	f, err := elf.Open(debug)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Section(".debug_aranges") != nil {
		t.Fatalf("clang wrote .debug_aranges; the test needs a file without")
	}
	d, err := f.DWARF()
	if err != nil {
		t.Fatal(err)
	}
	whole := &Module{dwarf: d, dwarfDone: true}
	lazy := &Module{debugFile: f}
	first := symbolValue(t, f, "plugin_store")
	if _, line := lazy.line(first); line == 0 {
		t.Fatalf("no line for plugin_store without .debug_aranges")
	}
	if lazy.units == nil || lazy.units.aranges != nil {
		t.Fatalf("units %+v: want the per-unit reader without .debug_aranges", lazy.units)
	}
	if n := len(lazy.units.units); n != 1 {
		t.Errorf("%d units read for the first unit's function, want 1", n)
	}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) != elf.STT_FUNC || s.Value == 0 {
			continue
		}
		for off := uint64(0); off < s.Size; off++ {
			pc := s.Value + off
			wf, wl := whole.line(pc)
			if lf, ll := lazy.line(pc); lf != wf || ll != wl {
				t.Errorf("line(%s+%#x) = %s:%d, whole DWARF says %s:%d", s.Name, off, lf, ll, wf, wl)
			}
			if got, want := lazy.inlines(pc), whole.inlines(pc); !slices.Equal(got, want) {
				t.Errorf("inlines(%s+%#x) = %v, whole DWARF says %v", s.Name, off, got, want)
			}
			checked++
		}
	}
	if checked < 50 || len(lazy.units.units) < 3 {
		t.Errorf("checked %d addresses in %d units; want the three units' functions", checked, len(lazy.units.units))
	}
	t.Logf("%d addresses agree, %d units", checked, len(lazy.units.units))
}
