package coredump

import (
	"cmp"
	"debug/dwarf"
	"debug/elf"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// maxDWARF bounds the .debug_info we are willing to parse for file:line;
// a module with more keeps its names and loses its line numbers.
const maxDWARF = 256 << 20

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
	m.ensureDebugFile()
	files := []*elf.File{m.file}
	if m.Executable {
		files = append(files, m.debugFile)
	} else if m.debugFile != nil {
		if m.units = newUnitDWARF(m.debugFile); m.units != nil {
			m.dwarfFrom = m.debugPath
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
			if d, err := frameDWARF(f); err == nil {
				m.dwarf = d
			}
		}()
		if m.dwarf != nil {
			m.units = nil
			m.dwarfFrom = m.Path + " (.debug_info)"
			if f == m.debugFile {
				m.dwarfFrom = m.debugPath
			}
			break
		}
	}
	return m.dwarf
}

// frameDWARF loads the DWARF sections that names, lines and call sites
// need, and not the location lists, which elf.File.DWARF inflates too:
// a Go program's are a quarter of its compressed DWARF. The old
// .zdebug_ compression is left to elf.File.DWARF.
func frameDWARF(f *elf.File) (*dwarf.Data, error) {
	data := func(name string) ([]byte, error) {
		s := f.Section(name)
		if s == nil || s.Type == elf.SHT_NOBITS {
			return nil, nil
		}
		return s.Data()
	}
	for _, s := range f.Sections {
		if strings.HasPrefix(s.Name, ".zdebug_") {
			return f.DWARF()
		}
	}
	var b [6][]byte
	for i, n := range []string{"abbrev", "info", "line", "ranges", "str", "line_str"} {
		var err error
		if b[i], err = data(".debug_" + n); err != nil {
			return nil, fmt.Errorf(".debug_%s: %w", n, err)
		}
	}
	d, err := dwarf.New(b[0], nil, nil, b[1], b[2], nil, b[3], b[4])
	if err != nil {
		return nil, err
	}
	if b[5] != nil {
		if err := d.AddSection(".debug_line_str", b[5]); err != nil {
			return nil, err
		}
	}
	for _, n := range []string{".debug_addr", ".debug_rnglists", ".debug_str_offsets"} {
		b, err := data(n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if b != nil {
			if err := d.AddSection(n, b); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
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
	key := cuKey{d, cu.Offset}
	t, ok := m.lineTables[key]
	if !ok {
		if lr, err := d.LineReader(cu); err == nil && lr != nil {
			t = readLines(lr)
		}
		if m.lineTables == nil {
			m.lineTables = map[cuKey]*lineTables{}
		}
		m.lineTables[key] = t
	}
	if t == nil {
		return "", 0
	}
	return t.lookup(v)
}

// maxLineRows bounds the rows read from one unit's line program.
const maxLineRows = 1 << 22

// lineTables is a unit's line program as gdb keeps it: one table per
// source file, read once per unit so that every frame in the unit (Go
// puts all of package runtime in one) is a binary search.
//
// The rows are the ones gdb chooses from, so that elfdoctor and gdb name
// the same line for a frame. dwarf.LineReader.SeekPC is not used: it
// gives up when the table's first row is above pc, and GCC emits a
// function's cold part (in .text.unlikely, at lower addresses) as a later
// sequence. gdb (13, dwarf2/read.c and buildsym.c) reads a line program
// into one table per source file:
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
// do not produce).
type lineTables struct {
	files []*lineTable
}

// lineTable is gdb's table for one source file.
type lineTable struct {
	name   string
	rows   []lineRow
	runLen int // how many of the latest rows share the last row's address
}

// lineRow is one row; line 0 is an end-of-run marker.
type lineRow struct {
	addr uint64
	line int32
	stmt bool
}

func readLines(lr *dwarf.LineReader) *lineTables {
	t := &lineTables{}
	byName := map[string]*lineTable{}
	table := func(f *dwarf.LineFile) *lineTable {
		name := ""
		if f != nil {
			name = f.Name
		}
		ft := byName[name]
		if ft == nil {
			ft = &lineTable{name: name}
			byName[name] = ft
			t.files = append(t.files, ft)
		}
		return ft
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
		ft := table(e.File)
		changed := ft != last
		ignore := !e.EndSequence && (e.Line == 0 || changed && lastAddr == e.Address && !e.IsStmt && stmtAtAddr)
		if !skip && (changed && !ignore || e.EndSequence) && last != nil {
			last.end(e.Address)
		}
		if !skip && !e.EndSequence && !ignore && (changed || e.Line != lastLine || !nz) {
			ft.add(lineRow{addr: e.Address, line: int32(e.Line), stmt: e.IsStmt})
			last, lastLine = ft, e.Line
		}
		if lastAddr != e.Address {
			stmtAtAddr, lastAddr = false, e.Address
		}
		stmtAtAddr = stmtAtAddr || e.IsStmt
		first = e.EndSequence
	}
	for _, ft := range t.files {
		// gdb sorts each table by address, markers first at one address,
		// keeping the program's order otherwise.
		slices.SortStableFunc(ft.rows, func(a, b lineRow) int {
			return cmp.Or(cmp.Compare(a.addr, b.addr), cmp.Compare(min(a.line, 1), min(b.line, 1)))
		})
	}
	return t
}

func (t *lineTable) add(r lineRow) {
	if n := len(t.rows); n > 0 && t.rows[n-1].addr == r.addr {
		t.runLen++
	} else {
		t.runLen = 1
	}
	t.rows = append(t.rows, r)
}

// end records gdb's end-of-run marker, removing the file's latest rows
// at the same address; a table without rows gets none.
func (t *lineTable) end(addr uint64) {
	n := len(t.rows)
	if n == 0 {
		return
	}
	if t.rows[n-1].addr == addr {
		t.rows = t.rows[:n-t.runLen]
		t.runLen = 0
		if len(t.rows) == 0 {
			// gdb still counts the table as having had rows.
			t.rows = append(t.rows, lineRow{addr: addr})
			t.runLen = 1
			return
		}
	}
	t.add(lineRow{addr: addr})
}

// lookup returns gdb's choice for the link-time address pc.
func (t *lineTables) lookup(pc uint64) (string, int) {
	var best lineRow
	bestFile, found := "", false
	for _, ft := range t.files {
		if r, ok := ft.row(pc); ok && (!found || r.addr > best.addr) {
			best, bestFile, found = r, ft.name, true
		}
	}
	if !found {
		return "", 0
	}
	return bestFile, int(best.line)
}

// row is gdb's choice in this file's table: the last row at the highest
// address at or below pc once markers are sorted first, unless that is a
// marker; a row that is not a statement gives way to the nearest earlier
// statement row at the same address.
func (t *lineTable) row(pc uint64) (lineRow, bool) {
	i := sort.Search(len(t.rows), func(i int) bool { return t.rows[i].addr > pc }) - 1
	if i < 0 {
		return lineRow{}, false
	}
	top := t.rows[i].addr
	if t.rows[i].line == 0 {
		return lineRow{}, false
	}
	for k, n := i, 0; k >= 0 && t.rows[k].addr == top && n < maxRowsAtAddress; k, n = k-1, n+1 {
		if t.rows[k].stmt {
			return t.rows[k], true
		}
		if t.rows[k].line == 0 {
			break
		}
	}
	return t.rows[i], true
}

// maxRowsAtAddress bounds the rows looked at for one address of one file.
const maxRowsAtAddress = 1 << 10

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
	from  string // where the name came from when not from DWARF (.gopclntab)
	die   dwarf.Offset
	d     *dwarf.Data
}

// scope returns the function whose code holds addr, as its debug
// information names it, and the functions inlined there, outermost first.
// gdb names a frame after this entry rather than the symbol table, which
// is how glibc's frames read __GI_raise and __libc_start_main_impl rather
// than the exported aliases at the same address.
func (m *Module) scope(addr uint64) (dwarfFunc, []inlineSite) {
	if g, ok := m.goFrameAt(addr); ok {
		return dwarfFunc{name: g.fn.name, entry: g.fn.entry, from: ".gopclntab"}, g.inl
	}
	if s, ok := m.scopes[addr]; ok {
		return s.sub, s.inl
	}
	sub, inl := m.findScope(addr)
	if m.scopes == nil {
		m.scopes = map[uint64]scopeResult{}
	}
	if len(m.scopes) < maxCachedScopes {
		m.scopes[addr] = scopeResult{sub, inl}
	}
	return sub, inl
}

type scopeResult struct {
	sub dwarfFunc
	inl []inlineSite
}

// maxCachedScopes bounds the addresses whose scope a module remembers.
const maxCachedScopes = 1 << 12

// cuKey names a compilation unit: its entry in its dwarf.Data.
type cuKey struct {
	d   *dwarf.Data
	off dwarf.Offset
}

// cuFunc is one function of a unit's index: a subprogram entry and the
// address ranges of its code.
type cuFunc struct {
	lo, hi uint64
	off    dwarf.Offset
}

// cuFuncs returns the unit's functions, sorted by address, walking the
// unit's entries once: a frame's lookup is then a search and a walk of
// one function's entries, not of the unit's (Go puts all of package
// runtime in one unit).
func (m *Module) cuFuncs(d *dwarf.Data, r *dwarf.Reader, cu *dwarf.Entry) []cuFunc {
	key := cuKey{d, cu.Offset}
	if fs, ok := m.cuIndex[key]; ok {
		return fs
	}
	var fs []cuFunc
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
		if e.Tag == dwarf.TagSubprogram {
			if rs, err := m.ranges(d, e); err == nil {
				for _, rg := range rs {
					if len(fs) < maxDIEs {
						fs = append(fs, cuFunc{lo: rg[0], hi: rg[1], off: e.Offset})
					}
				}
			}
		}
		if e.Children {
			if e.Tag == dwarf.TagNamespace || e.Tag == dwarf.TagClassType || e.Tag == dwarf.TagStructType || e.Tag == dwarf.TagModule {
				depth++
			} else {
				r.SkipChildren()
			}
		}
	}
	// Stable, so that aliases of one range keep the unit's order and
	// the last is the one gdb names.
	slices.SortStableFunc(fs, func(a, b cuFunc) int { return cmp.Compare(a.lo, b.lo) })
	if m.cuIndex == nil {
		m.cuIndex = map[cuKey][]cuFunc{}
	}
	m.cuIndex[key] = fs
	return fs
}

func (m *Module) findScope(addr uint64) (sub dwarfFunc, out []inlineSite) {
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
	fs := m.cuFuncs(d, r, cu)
	// Assemblers emit one subprogram per alias of the same code
	// (__kill, __GI___kill, kill, __GI_kill); gdb names the frame after
	// the last.
	i := sort.Search(len(fs), func(i int) bool { return fs[i].lo > v }) - 1
	var fn *cuFunc
	for k := 0; i >= 0 && k < 64; i, k = i-1, k+1 {
		if v < fs[i].hi && (fn == nil || fs[i].lo == fn.lo && fs[i].off > fn.off) {
			fn = &fs[i]
		}
		if fn != nil && fs[i].lo < fn.lo {
			break
		}
	}
	if fn == nil {
		return dwarfFunc{}, nil
	}
	r.Seek(fn.off)
	e, err := r.Next()
	if err != nil || e == nil {
		return dwarfFunc{}, nil
	}
	sub = dwarfFunc{name: m.originName(d, e), die: e.Offset, d: d}
	if lo, ok := e.Val(dwarf.AttrLowpc).(uint64); ok {
		sub.entry = lo
	} else if rs, err := m.ranges(d, e); err == nil && len(rs) > 0 {
		sub.entry = rs[0][0]
	}
	if !e.Children {
		return sub, nil
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
		if e.Tag == dwarf.TagInlinedSubroutine || e.Tag == dwarf.TagLexDwarfBlock {
			if rs, err := m.ranges(d, e); err == nil {
				contains = inRanges(v, rs)
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
			if contains {
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
