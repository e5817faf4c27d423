package coredump

import (
	"debug/dwarf"
	"debug/elf"
)

// maxDWARF bounds the .debug_info we are willing to parse for file:line;
// a module with more keeps its names and loses its line numbers.
const maxDWARF = 256 << 20

// smallDWARF is the largest .debug_info (inflated) of a library's
// separate debug file without .debug_aranges that is loaded whole for
// line numbers: ld.so's 0.66 MB takes 15 ms.
const smallDWARF = 1 << 20

// dwarfData loads DWARF lazily, whole, from the module's own file or from
// the executable's separate debug file: the program's own DWARF is
// usually small and uncompressed. Other modules' separate debug files —
// libc's, ld.so's, libstdc++'s, zlib-compressed and megabytes — are read
// one compilation unit at a time by unitDWARF (lines_lazy.go), only as
// far as the frames need. Measured on Debian 12's libc6-dbg
// (BenchmarkLibcLine, BenchmarkLdsoLine): loading libc's whole costs
// 100 ms and 29 MB; the unit of __libc_start_call_main, near the start
// of .debug_info, 2.5 ms and 1 MB; the one of
// __pthread_kill_implementation, 2 MB in, 25 ms and 5 MB; ld.so's units
// 6 to 10 ms against 15 ms whole.
func (m *Module) dwarfData() *dwarf.Data {
	if m.dwarfDone {
		return m.dwarf
	}
	m.dwarfDone = true
	files := []*elf.File{m.file}
	if m.Executable {
		files = append(files, m.debugFile)
	} else if m.debugFile != nil {
		if m.units = newUnitDWARF(m.debugFile); m.units == nil {
			// No .debug_aranges to find a unit by: only a small debug
			// file is worth loading whole.
			if s := m.debugFile.Section(".debug_info"); s != nil && s.Size <= smallDWARF {
				files = append(files, m.debugFile)
			}
		}
	}
	for _, f := range files {
		if f == nil {
			continue
		}
		s := f.Section(".debug_info")
		if s == nil || s.Type == elf.SHT_NOBITS || s.Size > maxDWARF {
			continue
		}
		func() {
			defer func() { _ = recover() }() // bad DWARF costs the line numbers only
			if d, err := f.DWARF(); err == nil {
				m.dwarf = d
			}
		}()
		if m.dwarf != nil {
			m.units = nil
			break
		}
	}
	return m.dwarf
}

// unitAt returns the DWARF data and the compilation unit that hold the
// link-time address v, with a reader positioned after the unit's entry.
func (m *Module) unitAt(v uint64) (*dwarf.Data, *dwarf.Reader, *dwarf.Entry) {
	if d := m.dwarfData(); d != nil {
		r := d.Reader()
		cu, err := r.SeekPC(v)
		if err != nil || cu == nil {
			return nil, nil, nil
		}
		return d, r, cu
	}
	if m.units == nil {
		return nil, nil, nil
	}
	u := m.units.unitAt(v)
	if u == nil {
		return nil, nil, nil
	}
	r := u.d.Reader()
	r.Seek(u.off)
	cu, err := r.Next()
	if err != nil || cu == nil {
		return nil, nil, nil
	}
	// .debug_aranges named the unit; its own ranges must agree.
	if rs, err := m.units.entryRanges(u.d, cu); err == nil && len(rs) > 0 && !inRanges(v, rs) {
		return nil, nil, nil
	}
	return u.d, r, cu
}

// ranges returns the address ranges of e, a unit's entry from unitAt.
func (m *Module) ranges(d *dwarf.Data, e *dwarf.Entry) ([][2]uint64, error) {
	if m.units != nil {
		return m.units.entryRanges(d, e)
	}
	return d.Ranges(e)
}

func inRanges(v uint64, rs [][2]uint64) bool {
	for _, r := range rs {
		if v >= r[0] && v < r[1] {
			return true
		}
	}
	return false
}

// line returns the source file and line of a runtime address, when the
// module has DWARF line tables.
func (m *Module) line(addr uint64) (file string, line int) {
	defer func() {
		if recover() != nil {
			file, line = "", 0
		}
	}()
	v := addr - m.Bias
	d, _, cu := m.unitAt(v)
	if cu == nil {
		return "", 0
	}
	lr, err := d.LineReader(cu)
	if err != nil || lr == nil {
		return "", 0
	}
	e, ok := seekLine(lr, v)
	if !ok || e.File == nil {
		return "", 0
	}
	return e.File.Name, e.Line
}

// maxLineRows bounds the rows read from one unit's line program.
const maxLineRows = 1 << 22

// seekLine returns the line-table row for pc as gdb chooses it, so that
// elfdoctor and gdb name the same line for a frame. LineReader.SeekPC is
// not used: it gives up when the table's first row is above pc, and GCC
// emits a function's cold part (in .text.unlikely, at lower addresses) as
// a later sequence. gdb (13, dwarf2/read.c and buildsym.c) reads a line
// program into one table per source file:
//
//   - a row of line 0 is dropped, and so is a non-statement row that
//     switches file at an address that already had a statement row;
//   - a row repeating the file and line last recorded is dropped when
//     that line has had a non-zero discriminator;
//   - a switch of file, and the end of a sequence, end the previous
//     file's run with a line-0 marker at that address, which first
//     removes that file's latest rows at the same address;
//
// and then takes, in each file's table sorted by address (markers first
// at one address), the last row at or below pc; a marker there means the
// file has nothing for pc, and a row that is not a statement gives way to
// an earlier statement row at the same address. The file whose row has
// the highest address wins (the first seen, on a tie, which GCC's tables
// do not produce). Only the rows at each file's highest address at or
// below pc are kept here, and the size of the latest run for removals.
func seekLine(lr *dwarf.LineReader, pc uint64) (dwarf.LineEntry, bool) {
	files := map[string]*lineTable{}
	var order []*lineTable
	table := func(f *dwarf.LineFile) *lineTable {
		name := ""
		if f != nil {
			name = f.Name
		}
		t := files[name]
		if t == nil {
			t = &lineTable{}
			files[name] = t
			order = append(order, t)
		}
		return t
	}
	var (
		e                  dwarf.LineEntry
		last               *lineTable // the file of the last recorded row
		lastLine, prevLine int
		nz                 bool // the current line has had a non-zero discriminator
		lastAddr           uint64
		stmtAtAddr, first  = false, true
		skip               bool // a sequence at 0, -1 or -2: code the linker discarded
	)
	for n := 0; n < maxLineRows; n++ {
		if err := lr.Next(&e); err != nil {
			break
		}
		if first {
			// A new sequence: gdb's state machine starts afresh.
			first, last, lastLine, prevLine, nz, lastAddr, stmtAtAddr = false, nil, 0, 1, false, 0, false
			skip = e.Address == 0 || e.Address >= ^uint64(1)
		}
		if e.Line != prevLine {
			nz = e.Discriminator != 0
		} else {
			nz = nz || e.Discriminator != 0
		}
		prevLine = e.Line
		t := table(e.File)
		changed := t != last
		ignore := !e.EndSequence && (e.Line == 0 || changed && lastAddr == e.Address && !e.IsStmt && stmtAtAddr)
		if !skip && (changed && !ignore || e.EndSequence) && last != nil {
			last.end(e.Address, pc)
		}
		if !skip && !e.EndSequence && !ignore && (changed || e.Line != lastLine || !nz) {
			t.add(e, pc)
			last, lastLine = t, e.Line
		}
		if lastAddr != e.Address {
			stmtAtAddr, lastAddr = false, e.Address
		}
		stmtAtAddr = stmtAtAddr || e.IsStmt
		first = e.EndSequence
	}
	var best dwarf.LineEntry
	found := false
	for _, t := range order {
		if e, ok := t.row(); ok && (!found || e.Address > best.Address) {
			best, found = e, true
		}
	}
	return best, found
}

// lineTable is what seekLine keeps of gdb's table for one source file.
type lineTable struct {
	n      int    // rows in gdb's table
	runPC  uint64 // the address of the latest rows
	runLen int    // how many of the latest rows are at runPC
	top    uint64 // the highest address at or below pc
	at     []lineRow
}

type lineRow struct {
	pos int // in gdb's table
	e   dwarf.LineEntry
}

func (t *lineTable) add(e dwarf.LineEntry, pc uint64) {
	if t.n > 0 && t.runPC == e.Address {
		t.runLen++
	} else {
		t.runPC, t.runLen = e.Address, 1
	}
	t.n++
	if e.Address > pc || len(t.at) > 0 && e.Address < t.top {
		return
	}
	if len(t.at) == 0 || e.Address > t.top {
		t.at, t.top = t.at[:0], e.Address
	}
	if len(t.at) < maxRowsAtAddress {
		t.at = append(t.at, lineRow{t.n - 1, e})
	}
}

// maxRowsAtAddress bounds the rows kept for one address of one file.
const maxRowsAtAddress = 1 << 10

// end records gdb's end-of-run marker, removing the file's latest rows
// at the same address; a table without rows gets none.
func (t *lineTable) end(addr, pc uint64) {
	if t.n == 0 {
		return
	}
	if t.runPC == addr {
		t.n -= t.runLen
		t.runLen = 0
		keep := t.at[:0]
		for _, r := range t.at {
			if r.pos < t.n {
				keep = append(keep, r)
			}
		}
		t.at = keep
	}
	t.add(dwarf.LineEntry{Address: addr}, pc)
}

// row is gdb's choice in this file's table: the last row at top once
// markers are sorted first, unless that is a marker; a row that is not a
// statement gives way to the nearest earlier statement row.
func (t *lineTable) row() (dwarf.LineEntry, bool) {
	var rows []dwarf.LineEntry
	for _, r := range t.at {
		if r.e.Line != 0 {
			rows = append(rows, r.e)
		}
	}
	if len(rows) == 0 {
		return dwarf.LineEntry{}, false
	}
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].IsStmt {
			return rows[i], true
		}
	}
	return rows[len(rows)-1], true
}

// inlineSite is a function inlined at an address, and where it was called.
type inlineSite struct {
	name     string
	callFile string
	callLine int
}

// maxDIEs bounds the walk over one compilation unit's entries.
const maxDIEs = 1 << 20

// inlines returns the functions inlined at addr, outermost first, from the
// DW_TAG_inlined_subroutine entries whose ranges contain it.
func (m *Module) inlines(addr uint64) []inlineSite {
	_, out := m.scope(addr)
	return out
}

// dwarfFunc is the DW_TAG_subprogram whose code holds an address.
type dwarfFunc struct {
	name  string // the linkage name, else the name, as gdb prints it
	entry uint64 // link-time address of its first instruction
	die   dwarf.Offset
	d     *dwarf.Data
}

// scope returns the function whose code holds addr, as its debug
// information names it, and the functions inlined there, outermost first.
// gdb names a frame after this entry rather than the symbol table, which
// is how glibc's frames read __GI_raise and __libc_start_main_impl rather
// than the exported aliases at the same address.
func (m *Module) scope(addr uint64) (sub dwarfFunc, out []inlineSite) {
	defer func() {
		if recover() != nil {
			sub, out = dwarfFunc{}, nil
		}
	}()
	v := addr - m.Bias
	d, r, cu := m.unitAt(v)
	if cu == nil || !cu.Children {
		return dwarfFunc{}, nil
	}
	var files []*dwarf.LineFile
	if lr, err := d.LineReader(cu); err == nil && lr != nil {
		files = lr.Files()
	}
	depth := 1
	for n := 0; depth > 0 && n < maxDIEs; n++ {
		e, err := r.Next()
		if err != nil || e == nil {
			break
		}
		if e.Tag == 0 {
			depth--
			continue
		}
		contains := false
		var rs [][2]uint64
		if e.Tag == dwarf.TagSubprogram || e.Tag == dwarf.TagInlinedSubroutine || e.Tag == dwarf.TagLexDwarfBlock {
			if rs, err = m.ranges(d, e); err == nil {
				contains = inRanges(v, rs)
			}
		}
		// Assemblers emit one subprogram per alias of the same code
		// (__kill, __GI___kill, kill, __GI_kill); gdb names the frame
		// after the last.
		if e.Tag == dwarf.TagSubprogram && contains {
			sub = dwarfFunc{name: m.originName(d, e), die: e.Offset, d: d}
			if lo, ok := e.Val(dwarf.AttrLowpc).(uint64); ok {
				sub.entry = lo
			} else if len(rs) > 0 {
				sub.entry = rs[0][0]
			}
		}
		if e.Tag == dwarf.TagInlinedSubroutine && contains {
			site := inlineSite{name: m.originName(d, e)}
			if idx, ok := e.Val(dwarf.AttrCallFile).(int64); ok && idx >= 0 && int(idx) < len(files) && files[idx] != nil {
				site.callFile = files[idx].Name
			}
			if l, ok := e.Val(dwarf.AttrCallLine).(int64); ok {
				site.callLine = int(l)
			}
			out = append(out, site)
		}
		if e.Children {
			if contains || e.Tag == dwarf.TagNamespace || e.Tag == dwarf.TagClassType || e.Tag == dwarf.TagStructType {
				depth++
			} else {
				r.SkipChildren()
			}
		}
	}
	return sub, out
}

// originName follows DW_AT_abstract_origin and DW_AT_specification to
// the entry that has the function's name; with LTO that entry is in
// another unit.
func (m *Module) originName(d *dwarf.Data, e *dwarf.Entry) string {
	if m.units != nil {
		d, e = m.units.names(d, e)
	}
	for i := 0; i < 8 && e != nil; i++ {
		if n, ok := e.Val(dwarf.AttrLinkageName).(string); ok {
			return n
		}
		if n, ok := e.Val(dwarf.AttrName).(string); ok {
			return n
		}
		off, ok := e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset)
		if !ok {
			off, ok = e.Val(dwarf.AttrSpecification).(dwarf.Offset)
		}
		if !ok {
			return ""
		}
		if m.units != nil {
			d, e = m.units.follow(d, off)
			continue
		}
		r := d.Reader()
		r.Seek(off)
		e, _ = r.Next()
	}
	return ""
}
