package coredump

import (
	"cmp"
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

// unitDWARF reads a big separate debug file one compilation unit at a
// time. A distribution's debug files are compressed section by section
// (libc6-dbg's .debug_info is 2.3 MB of zlib that inflates to 5.8 MB),
// and zlib can only be inflated from the start, so loading one whole
// (elf.File.DWARF) costs every byte of every section and a parse of every
// unit header and abbreviation table: 150 ms for libc. To answer "which
// file and line is this address", .debug_aranges names the unit; then
// only .debug_info up to the end of that unit, .debug_abbrev up to the end
// of its abbreviation table and .debug_line up to the end of its line
// program are inflated, .debug_rnglists up to the end of the unit's range
// lists when an entry has some, and the string sections whole (a unit's
// strings are spread over them). The bytes inflated so far are kept per
// section, so a second unit in the same library continues the streams
// instead of starting over.
//
// Each unit gets a dwarf.Data of its own. Its .debug_info is the unit
// alone, at offset 0, when its abbreviations allow no reference outside
// it (references within a unit are relative to it); otherwise (LTO,
// dwz) the unit sits at its offset in the file behind one padding unit of
// zeros, and a reference into another unit is followed by loading that
// unit (follow).
type unitDWARF struct {
	order                       binary.ByteOrder
	info, abbrev, line, aranges *debugSection
	// Read whole when first needed: a unit's strings are spread over
	// them.
	str, lineStr, strOffsets, addr, ranges *debugSection
	noStr                                  []byte // zeros in place of .debug_str
	// DWARF 5 range lists, read up to the end of the last per-unit
	// contribution a list was needed from.
	rngLists *debugSection
	rngEnd   uint64
	rngBuf   []byte

	// Without .debug_aranges, the units' own ranges, read in order.
	unitsNext, unitsSeen uint64

	arSets   []arange // .debug_aranges parsed so far
	arNext   uint64   // offset of the next set to parse
	arDone   bool
	arSorted bool

	units  map[uint64]*dwarfUnit // by unit offset; nil when it could not be read
	byData map[*dwarf.Data]*dwarfUnit
	padded uint64 // bytes of padding units made so far

	starts []uint64 // offsets of the units in .debug_info walked so far
	walked uint64   // where the walk stopped
}

// dwarfUnit is one compilation unit ready for dwarf's readers.
type dwarfUnit struct {
	d          *dwarf.Data
	off        dwarf.Offset // of the unit's first entry, in d
	start, end uint64       // the unit's bytes in .debug_info
	padded     bool         // d has the unit at start rather than at 0

	// named is the unit with .debug_str, built from the same sections
	// when a name is wanted.
	named              *dwarf.Data
	abbrev, info, line []byte
}

type arange struct{ lo, hi, unit uint64 }

// Bounds on what a debug file can make us do.
const (
	maxAranges      = 1 << 20  // address ranges kept from .debug_aranges
	maxAbbrevTable  = 16 << 20 // bytes of one unit's abbreviation table
	maxPadding      = 64 << 20 // bytes of padding units for one debug file
	maxUnits        = 1 << 20  // unit headers walked in one .debug_info
	minBuffer       = 16 << 10 // smallest allocation for an inflated section
	maxDeflateRatio = 1032     // zlib's largest possible expansion
)

// newUnitDWARF returns a per-unit reader for f, or nil when f lacks
// .debug_info or .debug_abbrev, or a section's size cannot be right for
// the file.
func newUnitDWARF(f *elf.File) *unitDWARF {
	return newUnitReader(f.ByteOrder, func(name string) *debugSection { return openDebugSection(f, name) })
}

func newUnitReader(order binary.ByteOrder, open func(name string) *debugSection) *unitDWARF {
	u := &unitDWARF{order: order, units: map[uint64]*dwarfUnit{}, byData: map[*dwarf.Data]*dwarfUnit{}}
	for _, s := range []struct {
		p    **debugSection
		name string
	}{{&u.info, "info"}, {&u.abbrev, "abbrev"}, {&u.aranges, "aranges"}, {&u.line, "line"},
		{&u.str, "str"}, {&u.lineStr, "line_str"}, {&u.strOffsets, "str_offsets"}, {&u.addr, "addr"},
		{&u.rngLists, "rnglists"}, {&u.ranges, "ranges"}} {
		*s.p = open(s.name)
	}
	if u.info == nil || u.abbrev == nil {
		return nil
	}
	return u
}

// unitAt returns the unit that .debug_aranges says holds the link-time
// address pc.
func (u *unitDWARF) unitAt(pc uint64) *dwarfUnit {
	off, ok := u.unitOffset(pc)
	if !ok {
		return nil
	}
	return u.unit(off)
}

// unit returns the unit at off in .debug_info, loading it once.
func (u *unitDWARF) unit(off uint64) *dwarfUnit {
	if du, seen := u.units[off]; seen {
		return du
	}
	du, err := u.load(off)
	if err != nil {
		du = nil
	} else {
		u.byData[du.d] = du
	}
	u.units[off] = du
	return du
}

// follow reads the entry a reference attribute of an entry of d names:
// in the same unit, or in the unit of .debug_info that holds it.
func (u *unitDWARF) follow(d *dwarf.Data, ref dwarf.Offset) (*dwarf.Data, *dwarf.Entry) {
	du := u.byData[d]
	if du == nil {
		return nil, nil
	}
	abs := uint64(ref)
	if !du.padded {
		abs += du.start
	}
	if abs < du.start || abs >= du.end {
		if du = u.unit(u.unitStart(abs)); du == nil || abs < du.start || abs >= du.end {
			return nil, nil
		}
	}
	local := abs
	if !du.padded {
		local -= du.start
	}
	r := du.d.Reader()
	r.Seek(dwarf.Offset(local))
	e, err := r.Next()
	if err != nil {
		return nil, nil
	}
	return u.names(du.d, e)
}

// unitStart returns the offset of the unit of .debug_info that holds off,
// walking unit headers from the start as far as needed.
func (u *unitDWARF) unitStart(off uint64) uint64 {
	for u.walked <= off && u.walked < u.info.size && len(u.starts) < maxUnits {
		head, err := u.info.at(u.walked, min(12, u.info.size-u.walked))
		if err != nil {
			break
		}
		n, err := unitSize(head, u.order)
		if err != nil || n > u.info.size-u.walked {
			break
		}
		u.starts = append(u.starts, u.walked)
		u.walked += n
	}
	i := sort.Search(len(u.starts), func(i int) bool { return u.starts[i] > off }) - 1
	if i < 0 || off >= u.walked {
		return u.info.size // no unit: unit() fails there
	}
	return u.starts[i]
}

// unitOffset looks pc up in the sets parsed so far, then parses further
// sets until one holds it: units do not overlap, so the first is the one.
// Once all are parsed they are sorted, for the cores with many threads.
func (u *unitDWARF) unitOffset(pc uint64) (uint64, bool) {
	if u.arDone {
		if !u.arSorted {
			slices.SortFunc(u.arSets, func(a, b arange) int { return cmp.Compare(a.lo, b.lo) })
			u.arSorted = true
		}
		i := sort.Search(len(u.arSets), func(i int) bool { return u.arSets[i].lo > pc }) - 1
		if i >= 0 && pc < u.arSets[i].hi {
			return u.arSets[i].unit, true
		}
		return 0, false
	}
	for _, r := range u.arSets {
		if pc >= r.lo && pc < r.hi {
			return r.unit, true
		}
	}
	for !u.arDone {
		start := len(u.arSets)
		next := u.nextArangeSet
		if u.aranges == nil {
			next = u.nextUnitRanges
		}
		if err := next(); err != nil || len(u.arSets) > maxAranges {
			u.arDone = true
			break
		}
		for _, r := range u.arSets[start:] {
			if pc >= r.lo && pc < r.hi {
				return r.unit, true
			}
		}
	}
	return 0, false
}

// nextUnitRanges indexes the next unit of .debug_info by its own entry's
// ranges (DW_AT_low_pc/high_pc or DW_AT_ranges), for a debug file without
// .debug_aranges (clang's default) as gdb indexes one: units are read in
// order only until one holds the address asked for, and each is kept for
// the lookups that follow.
func (u *unitDWARF) nextUnitRanges() error {
	off := u.unitsNext
	if off >= u.info.size || u.unitsSeen >= maxUnits {
		return io.EOF
	}
	head, err := u.info.at(off, min(12, u.info.size-off))
	if err != nil {
		return err
	}
	n, err := unitSize(head, u.order)
	if err != nil || n > u.info.size-off {
		return fmt.Errorf(".debug_info: unit at %#x: bad length", off)
	}
	u.unitsNext += n
	u.unitsSeen++
	du := u.unit(off)
	if du == nil {
		return nil // a unit this reader cannot use; the next may be fine
	}
	r := du.d.Reader()
	r.Seek(du.off)
	cu, err := r.Next()
	if err != nil || cu == nil {
		return nil
	}
	rs, err := u.entryRanges(du.d, cu)
	if err != nil {
		return nil
	}
	for _, rg := range rs {
		if rg[0] < rg[1] {
			u.arSets = append(u.arSets, arange{lo: rg[0], hi: rg[1], unit: off})
		}
	}
	return nil
}

func (u *unitDWARF) nextArangeSet() error {
	a := u.aranges
	if u.arNext >= a.size {
		return io.EOF
	}
	head, err := a.at(u.arNext, min(12, a.size-u.arNext))
	if err != nil {
		return err
	}
	n, err := unitSize(head, u.order)
	if err != nil || n > a.size-u.arNext {
		return fmt.Errorf(".debug_aranges: set at %#x: bad length", u.arNext)
	}
	b, err := a.at(u.arNext, n)
	if err != nil {
		return err
	}
	// A set this reader cannot use (another version, segments) is
	// skipped: its length still leads to the next.
	u.arNext += n
	unit, ranges, err := parseArangeSet(b, u.order)
	if err != nil {
		return nil
	}
	for _, r := range ranges {
		u.arSets = append(u.arSets, arange{lo: r[0], hi: r[1], unit: unit})
	}
	return nil
}

// unitSize returns the size of the unit whose header starts b, its
// length field included: DWARF's 32-bit form, or 0xffffffff and a 64-bit
// length.
func unitSize(b []byte, order binary.ByteOrder) (uint64, error) {
	if len(b) < 4 {
		return 0, errors.New("truncated unit length")
	}
	n := uint64(order.Uint32(b))
	switch {
	case n < 0xfffffff0:
		return 4 + n, nil
	case n == 0xffffffff && len(b) >= 12:
		n = order.Uint64(b[4:])
		if n > maxDWARF {
			return 0, errors.New("unit length too large")
		}
		return 12 + n, nil
	}
	return 0, errors.New("reserved unit length")
}

// parseArangeSet parses one .debug_aranges set, b being exactly its bytes:
// the offset of its unit in .debug_info and the [lo, hi) ranges it lists.
// Empty ranges are dropped; a set with segment selectors is refused.
func parseArangeSet(b []byte, order binary.ByteOrder) (unit uint64, ranges [][2]uint64, err error) {
	hl := 4
	is64 := len(b) >= 4 && order.Uint32(b) == 0xffffffff
	if is64 {
		hl = 12
	}
	offSize := 4
	if is64 {
		offSize = 8
	}
	if len(b) < hl+2+offSize+2 {
		return 0, nil, errors.New("set header truncated")
	}
	p := hl
	if v := order.Uint16(b[p:]); v != 2 {
		return 0, nil, fmt.Errorf("version %d, want 2", v)
	}
	p += 2
	if is64 {
		unit = order.Uint64(b[p:])
	} else {
		unit = uint64(order.Uint32(b[p:]))
	}
	p += offSize
	asize, ssize := int(b[p]), int(b[p+1])
	p += 2
	if asize != 4 && asize != 8 {
		return 0, nil, fmt.Errorf("address size %d", asize)
	}
	if ssize != 0 {
		return 0, nil, fmt.Errorf("segment selector size %d", ssize)
	}
	// Tuples start at a multiple of their size from the set's start.
	tuple := 2 * asize
	p = (p + tuple - 1) / tuple * tuple
	read := func(q int) uint64 {
		if asize == 4 {
			return uint64(order.Uint32(b[q:]))
		}
		return order.Uint64(b[q:])
	}
	for ; p+tuple <= len(b); p += tuple {
		lo, n := read(p), read(p+asize)
		if lo == 0 && n == 0 {
			break
		}
		if n == 0 || lo+n < lo {
			continue
		}
		ranges = append(ranges, [2]uint64{lo, lo + n})
	}
	return unit, ranges, nil
}

// load reads the unit at off and the parts of the other sections it
// needs, and builds its dwarf.Data.
func (u *unitDWARF) load(off uint64) (*dwarfUnit, error) {
	head, err := u.info.at(off, min(12, u.info.size-min(off, u.info.size)))
	if err != nil {
		return nil, err
	}
	n, err := unitSize(head, u.order)
	if err != nil || n > u.info.size-off {
		return nil, fmt.Errorf(".debug_info: unit at %#x: bad length", off)
	}
	cu, err := u.info.at(off, n)
	if err != nil {
		return nil, err
	}
	hl, offSize := 4, 4
	if n >= 12 && u.order.Uint32(cu) == 0xffffffff {
		hl, offSize = 12, 8
	}
	if n < uint64(hl+4+offSize) {
		return nil, fmt.Errorf(".debug_info: unit at %#x: header truncated", off)
	}
	vers := u.order.Uint16(cu[hl:])
	// abbrevOff is where the header names the unit's abbreviations,
	// first where its first entry starts.
	var abbrevOff, first uint64
	var asize byte
	switch {
	case vers >= 2 && vers <= 4:
		abbrevOff = u.offsetAt(cu[hl+2:], offSize == 8)
		asize, first = cu[hl+2+offSize], uint64(hl+2+offSize+1)
	case vers == 5 && (cu[hl+2] == 1 || cu[hl+2] == 3): // DW_UT_compile, DW_UT_partial
		abbrevOff = u.offsetAt(cu[hl+4:], offSize == 8)
		asize, first = cu[hl+3], uint64(hl+4+offSize)
	default:
		return nil, fmt.Errorf(".debug_info: unit at %#x: version %d, not a compilation unit", off, vers)
	}
	abbrev, outside, err := u.abbrevTable(abbrevOff)
	if err != nil {
		return nil, err
	}
	du := &dwarfUnit{start: off, end: off + n, off: dwarf.Offset(first)}
	info := append([]byte(nil), cu...) // not the inflated prefix, which grows
	if outside {
		if u.padded += off; u.padded > maxPadding {
			return nil, fmt.Errorf(".debug_info: more than %d bytes of padding units", maxPadding)
		}
		if info, err = padUnit(info, off, vers, abbrevOff, asize, u.order); err != nil {
			return nil, err
		}
		du.padded, du.off = true, dwarf.Offset(off+first)
	}
	du.abbrev, du.info = abbrev, info
	d, err := u.build(abbrev, info, nil, false)
	if err != nil {
		return nil, err
	}
	du.d = d
	stmt, err := du.stmtList()
	if err != nil || u.line == nil || stmt < 0 {
		return du, err
	}
	// The line program's offset is in the unit's first entry, so the unit
	// is built a second time with it: dwarf.Data takes .debug_line only
	// when it is made.
	if uint64(stmt) >= u.line.size {
		return nil, fmt.Errorf(".debug_line: program at %#x past the section's end", stmt)
	}
	head, err = u.line.at(uint64(stmt), min(12, u.line.size-uint64(stmt)))
	if err != nil {
		return nil, err
	}
	n, err = unitSize(head, u.order)
	if err != nil || n > u.line.size-uint64(stmt) {
		return nil, fmt.Errorf(".debug_line: program at %#x: bad length", stmt)
	}
	line, err := u.line.upTo(uint64(stmt) + n)
	if err != nil {
		return nil, err
	}
	du.line = line
	if du.d, err = u.build(abbrev, info, line, false); err != nil {
		return nil, err
	}
	return du, nil
}

// build makes a dwarf.Data of one unit's sections; a panic in dwarf on
// hostile bytes is an error. Without names, .debug_str reads as zeros: a
// line, and the walk for inlined functions, need none of its strings,
// and libc's is 190 kB to inflate, a third of the cost of a frame.
func (u *unitDWARF) build(abbrev, info, line []byte, names bool) (d *dwarf.Data, err error) {
	defer catchPanic(&err, "debug unit")
	var str []byte
	switch {
	case names:
		str = u.str.whole()
	case u.str != nil:
		if u.noStr == nil {
			u.noStr = make([]byte, min(u.str.size, u.str.plausible))
		}
		str = u.noStr
	}
	d, err = dwarf.New(abbrev, nil, nil, info, line, nil, u.ranges.whole(), str)
	if err != nil {
		return nil, err
	}
	for _, s := range []struct {
		name string
		s    *debugSection
	}{{".debug_line_str", u.lineStr}, {".debug_str_offsets", u.strOffsets}, {".debug_addr", u.addr}} {
		if b := s.s.whole(); b != nil {
			d.AddSection(s.name, b)
		}
	}
	// Never nil, so that dwarf never reads a DWARF 5 unit's range-list
	// offset in .debug_ranges; entryRanges fills it in.
	d.AddSection(".debug_rnglists", u.rngLoaded())
	return d, nil
}

// names returns e, an entry of d, read again with the unit's strings.
func (u *unitDWARF) names(d *dwarf.Data, e *dwarf.Entry) (*dwarf.Data, *dwarf.Entry) {
	du := u.byData[d]
	if du == nil || e == nil {
		return nil, nil
	}
	if du.named == nil {
		nd, err := u.build(du.abbrev, du.info, du.line, true)
		if err != nil {
			return nil, nil
		}
		du.named = nd
		u.byData[nd] = du
	}
	if d == du.named {
		return d, e
	}
	r := du.named.Reader()
	r.Seek(e.Offset)
	ne, err := r.Next()
	if err != nil {
		return nil, nil
	}
	return du.named, ne
}

// entryRanges returns e's address ranges. DWARF 5 range lists are read on
// demand: .debug_rnglists up to the end of the contribution that holds
// the list e names, which for one unit is near its own.
func (u *unitDWARF) entryRanges(d *dwarf.Data, e *dwarf.Entry) ([][2]uint64, error) {
	if f := e.AttrField(dwarf.AttrRanges); f != nil && u.rngLists != nil {
		off, ok := f.Val.(int64)
		if f.Class != dwarf.ClassRangeListPtr || !ok || off < 0 {
			off = int64(u.rngLists.size) - 1 // a list by index: read them all
		}
		if uint64(off) >= u.rngEnd && u.rngLists.err == nil {
			if err := u.readRngLists(uint64(off)); err != nil {
				return nil, err
			}
		}
		d.AddSection(".debug_rnglists", u.rngLoaded())
	}
	return d.Ranges(e)
}

// rngLoaded is .debug_rnglists as far as it has been read, never nil.
func (u *unitDWARF) rngLoaded() []byte {
	if u.rngBuf == nil {
		return []byte{}
	}
	return u.rngBuf
}

// readRngLists walks .debug_rnglists' contribution headers from rngEnd
// to the contribution holding off and reads up to its end.
func (u *unitDWARF) readRngLists(off uint64) error {
	s := u.rngLists
	for end := u.rngEnd; end <= off; {
		head, err := s.at(end, min(12, s.size-end))
		if err != nil {
			return err
		}
		n, err := unitSize(head, u.order)
		if err != nil || n > s.size-end {
			return fmt.Errorf(".debug_rnglists: contribution at %#x: bad length", end)
		}
		end += n
		if end > off {
			b, err := s.upTo(end)
			if err != nil {
				return err
			}
			u.rngEnd, u.rngBuf = end, b
		}
	}
	return nil
}

// stmtList returns the offset of the unit's line program, -1 when it has
// none.
func (du *dwarfUnit) stmtList() (stmt int64, err error) {
	defer catchPanic(&err, "debug unit")
	r := du.d.Reader()
	r.Seek(du.off)
	e, err := r.Next()
	if err != nil || e == nil || (e.Tag != dwarf.TagCompileUnit && e.Tag != dwarf.TagPartialUnit) {
		return 0, fmt.Errorf(".debug_info: no compilation unit at %#x", du.off)
	}
	if stmt, ok := e.Val(dwarf.AttrStmtList).(int64); ok {
		return stmt, nil
	}
	return -1, nil
}

func (u *unitDWARF) offsetAt(b []byte, is64 bool) uint64 {
	if is64 {
		return u.order.Uint64(b)
	}
	return uint64(u.order.Uint32(b))
}

// abbrevTable returns .debug_abbrev up to the end of the table at off,
// reading further until the table's terminating entry is in, and whether
// the table has a form that can refer outside its unit.
func (u *unitDWARF) abbrevTable(off uint64) ([]byte, bool, error) {
	a := u.abbrev
	if off >= a.size {
		return nil, false, fmt.Errorf(".debug_abbrev: table at %#x past the section's end", off)
	}
	for n := uint64(4096); ; n *= 2 {
		n = min(n, a.size-off, maxAbbrevTable)
		b, err := a.at(off, n)
		if err != nil {
			return nil, false, err
		}
		if end, outside, ok := abbrevTableEnd(b); ok {
			b, err := a.upTo(off + uint64(end))
			return b, outside, err
		}
		if n == a.size-off || n == maxAbbrevTable {
			return nil, false, fmt.Errorf(".debug_abbrev: table at %#x has no end", off)
		}
	}
}

// abbrevTableEnd returns the length of the abbreviation table at the
// start of b: declarations of a code, a tag, a children flag and
// attribute/form pairs ended by 0, 0 (DW_FORM_implicit_const carrying one
// more number), the table ended by code 0. outside is whether a form can
// refer to another unit: DW_FORM_ref_addr, DW_FORM_GNU_ref_alt or
// DW_FORM_indirect, which can be either. ok is false when b ends first.
func abbrevTableEnd(b []byte) (end int, outside, ok bool) {
	p := 0
	uleb := func() (uint64, bool) {
		var v uint64
		for shift := uint(0); p < len(b); shift += 7 {
			c := b[p]
			p++
			if shift < 64 {
				v |= uint64(c&0x7f) << shift
			}
			if c&0x80 == 0 {
				return v, true
			}
		}
		return 0, false
	}
	// Every declaration and pair consumes at least one byte, so these
	// loops end with b.
	for p < len(b) {
		code, ok := uleb()
		if !ok {
			return 0, false, false
		}
		if code == 0 {
			return p, outside, true
		}
		if _, ok := uleb(); !ok { // tag
			return 0, false, false
		}
		if p >= len(b) {
			return 0, false, false
		}
		p++ // children
		for {
			attr, ok1 := uleb()
			form, ok2 := uleb()
			if !ok1 || !ok2 {
				return 0, false, false
			}
			if attr == 0 && form == 0 {
				break
			}
			switch form {
			case 0x21: // DW_FORM_implicit_const
				if _, ok := uleb(); !ok {
					return 0, false, false
				}
			case 0x10, 0x1f20, 0x16: // DW_FORM_ref_addr, DW_FORM_GNU_ref_alt, DW_FORM_indirect
				outside = true
			}
		}
	}
	return 0, false, false
}

// padUnit returns .debug_info as the unit cu at off sees it: zeros
// before it, headed by a padding unit of the same version and abbreviation
// table so that dwarf.New finds exactly two units, and a reference into
// another unit reads zeros (no entry) rather than a wrong one.
func padUnit(cu []byte, off uint64, vers uint16, abbrevOff uint64, asize byte, order binary.ByteOrder) ([]byte, error) {
	if off == 0 {
		return cu, nil
	}
	hl := uint64(11)
	if vers == 5 {
		hl = 12
	}
	if off < hl || off-4 >= 0xfffffff0 || abbrevOff > 0xffffffff {
		return nil, fmt.Errorf(".debug_info: unit at %#x cannot be padded", off)
	}
	b := make([]byte, off+uint64(len(cu)))
	copy(b[off:], cu)
	order.PutUint32(b, uint32(off-4))
	order.PutUint16(b[4:], vers)
	if vers == 5 {
		b[6], b[7] = 1, asize // DW_UT_compile
		order.PutUint32(b[8:], uint32(abbrevOff))
	} else {
		order.PutUint32(b[6:], uint32(abbrevOff))
		b[10] = asize
	}
	return b, nil
}

// debugSection reads one section of a debug file by offset. A compressed
// section can only be inflated from its start: what has been inflated is
// kept, so a request below it costs nothing and one beyond it continues
// the stream. An uncompressed section is read where asked, except that
// what dwarf.New needs indexed by section offset (abbreviations, line
// programs, range lists) is kept as a prefix as well, shared by the units.
type debugSection struct {
	name string
	size uint64 // inflated size, checked against the file
	// plausible is what the compressed bytes can be trusted to hold.
	plausible uint64
	ra        io.ReaderAt // an uncompressed section
	r         io.Reader   // a compressed one's inflating stream, at len(buf)
	buf       []byte      // the section's first bytes
	err       error
	all       []byte // whole(), once read
	allDone   bool
}

// openDebugSection finds .debug_NAME (or the older .zdebug_NAME) and
// checks that its size is one the file can hold: an uncompressed
// section's last byte must be in the file, and a compressed one can
// inflate to no more than zlib's largest ratio of its bytes, nor maxDWARF.
func openDebugSection(f *elf.File, name string) *debugSection {
	s := f.Section(".debug_" + name)
	if s == nil {
		s = f.Section(".zdebug_" + name)
	}
	if s == nil || s.Type == elf.SHT_NOBITS {
		return nil
	}
	ds := &debugSection{name: s.Name}
	if s.Flags&elf.SHF_COMPRESSED != 0 || strings.HasPrefix(s.Name, ".zdebug") {
		ds.r = s.Open() // for .zdebug, this reads the header that gives s.Size
		if s.Size/maxDeflateRatio > s.FileSize {
			return nil
		}
		ds.plausible = 16 * s.FileSize
	} else {
		var b [1]byte
		if s.Size == 0 || s.Size > maxDWARF {
			return nil
		}
		if _, err := s.ReadAt(b[:], int64(s.Size-1)); err != nil {
			return nil
		}
		ds.ra, ds.plausible = s, s.Size
	}
	if s.Size > maxDWARF {
		return nil
	}
	ds.size = s.Size
	return ds
}

// at returns the n bytes at off.
func (s *debugSection) at(off, n uint64) ([]byte, error) {
	if off > s.size || n > s.size-off {
		return nil, fmt.Errorf("%s: %d bytes at %#x past its end", s.name, n, off)
	}
	if s.ra != nil && uint64(len(s.buf)) < off+n {
		b := make([]byte, n)
		if _, err := s.ra.ReadAt(b, int64(off)); err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		return b, nil
	}
	if err := s.extend(off + n); err != nil {
		return nil, err
	}
	return s.buf[off : off+n : off+n], nil
}

// upTo returns the section's first end bytes: the form dwarf.New wants,
// indexed by section offset.
func (s *debugSection) upTo(end uint64) ([]byte, error) {
	if end > s.size {
		return nil, fmt.Errorf("%s: %d bytes past its end", s.name, end)
	}
	if err := s.extend(end); err != nil {
		return nil, err
	}
	return s.buf[:end:end], nil
}

// whole returns the whole section, or nil when there is none or it
// cannot be read.
func (s *debugSection) whole() []byte {
	if s == nil {
		return nil
	}
	if !s.allDone {
		s.allDone = true
		s.all, _ = s.upTo(s.size)
	}
	return s.all
}

// extend reads buf up to at least end bytes, and nothing past end. buf
// grows to end at once while end is within plausible (what a compressed
// section's bytes inflate to at a ratio of 16, which DWARF does not
// exceed in practice), and beyond that by doubling with the bytes that
// actually arrive: a header's claim never sizes an allocation alone.
func (s *debugSection) extend(end uint64) error {
	for uint64(len(s.buf)) < end {
		if s.err != nil {
			return s.err
		}
		if len(s.buf) == cap(s.buf) {
			c := max(2*uint64(cap(s.buf)), minBuffer)
			if end <= s.plausible {
				c = max(c, end+end/4) // room for the unit after its header
			}
			nb := make([]byte, len(s.buf), min(c, s.size))
			copy(nb, s.buf)
			s.buf = nb
		}
		var (
			k   int
			err error
			b   = s.buf[len(s.buf):min(end, uint64(cap(s.buf)))]
		)
		if s.ra != nil {
			k, err = s.ra.ReadAt(b, int64(len(s.buf)))
		} else {
			k, err = io.ReadFull(s.r, b)
		}
		s.buf = s.buf[:len(s.buf)+k]
		if err == nil && k == 0 {
			err = io.ErrNoProgress
		}
		if err != nil {
			s.err = fmt.Errorf("%s: read %d of %d bytes: %w", s.name, len(s.buf), s.size, err)
		}
	}
	if uint64(len(s.buf)) == s.size {
		s.r = nil // done: let the inflater's window go
	}
	return nil
}
