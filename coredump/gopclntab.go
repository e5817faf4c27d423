package coredump

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
)

// A Go program carries its own table of functions, source positions and
// inlined calls, .gopclntab, which the runtime reads for its tracebacks
// and the Go linker writes the DWARF from (cmd/link's writelines and
// writeinfo walk the same pcfile, pcline and inline-tree data). Reading
// the DWARF of a Go program to name a dozen frames costs inflating all of
// its compressed .debug_info, .debug_line and .debug_rnglists and walking
// every entry of package runtime's single unit: most of an analysis. The
// table is uncompressed and indexed by PC, so a frame is a binary search
// in the function table and a walk of one function's position tables,
// read page by page from the file.
//
// Only the layout of Go 1.20 and later (magic 0xfffffff1, a 44-byte
// _func, a 16-byte inlinedCall; runtime/runtime2.go, runtime/symtabinl.go)
// is read. Older programs, and programs whose inline tree cannot be
// placed (no go:func.* symbol: a binary linked with -s), keep the DWARF
// path: without the inline tree an inlined call would be named after the
// function it was inlined into.

const (
	goPCLNMagic120 = 0xfffffff1

	goFuncHeader120    = 44 // _func up to its pcdata array
	inlinedCallSize120 = 16

	pcdataInlTreeIndex = 2 // abi.PCDATA_InlTreeIndex
	funcdataInlTree    = 3 // abi.FUNCDATA_InlTree

	maxGoName        = 1 << 16 // longest function or file name read
	maxPCValueSteps  = 1 << 20 // pairs decoded from one position table
	maxInlineDepth   = 64      // inlined calls nested at one PC
	maxGoTablePages  = 1 << 10 // pages of the file kept (4 MiB)
	goTablePageShift = 12
)

// goTable is a Go program's .gopclntab, read on demand.
type goTable struct {
	sec     *pageCache // the section's bytes
	order   binary.ByteOrder
	quantum uint64
	nfunc   uint64
	// text is the link-time address function entries are offsets from.
	text uint64
	// Offsets of the sub-tables in the section.
	funcname, cu, file, pctab, pcln uint64
	// gofunc is the link-time address of go:func.*, which funcdata
	// offsets (the inline tree's among them) are relative to.
	gofunc uint64
	// readAt reads the program's bytes at a link-time address.
	readAt func(p []byte, vaddr uint64) error
}

// goFunc is one function of the table.
type goFunc struct {
	entry, end uint64 // link-time
	off        uint64 // of its _func in the section
	name       string
	pcfile     uint32
	pcln       uint32
	cuOff      uint32
	npcdata    uint32
	nfuncdata  uint8
}

// goFrame is what the table says about a PC: the function, the functions
// inlined there (outermost first, each with the position of its call),
// and the innermost source position.
type goFrame struct {
	fn   goFunc
	inl  []inlineSite
	file string
	line int
}

// newGoTable reads the header of f's .gopclntab. It returns nil, with
// the reason, when the section is absent, of another Go release, or the
// inline tree's base cannot be found.
func newGoTable(f *elf.File, r io.ReaderAt) (*goTable, error) {
	s := f.Section(".gopclntab")
	if s == nil || s.Type == elf.SHT_NOBITS || s.Flags&elf.SHF_COMPRESSED != 0 {
		return nil, fmt.Errorf("no .gopclntab")
	}
	gofunc, ok := goFuncBase(f, r)
	if !ok {
		return nil, fmt.Errorf(".gopclntab: no go:func.* symbol to place the inline tree")
	}
	text := uint64(0)
	if t := f.Section(".text"); t != nil {
		text = t.Addr
	}
	return parseGoTable(io.NewSectionReader(r, int64(s.Offset), int64(s.Size)), s.Size, f.ByteOrder, text, gofunc, vaddrReader(f, r))
}

// parseGoTable checks the header of a .gopclntab held by sec (size
// bytes). text is the address of .text, which the header's own textStart
// equals unless it awaits a dynamic relocation (PIE).
func parseGoTable(sec io.ReaderAt, size uint64, order binary.ByteOrder, text, gofunc uint64, readAt func([]byte, uint64) error) (*goTable, error) {
	c := newPageCache(sec, size)
	hdr, ok := c.bytes(0, 8)
	if !ok {
		return nil, &FormatError{Off: 0, Msg: ".gopclntab: header cut short"}
	}
	if m := order.Uint32(hdr); m != goPCLNMagic120 {
		return nil, &FormatError{Off: 0, Msg: ".gopclntab: not the layout of Go 1.20 or later", Val: m}
	}
	quantum, ptr := uint64(hdr[6]), uint64(hdr[7])
	if hdr[4] != 0 || hdr[5] != 0 || (quantum != 1 && quantum != 2 && quantum != 4) || (ptr != 4 && ptr != 8) {
		return nil, &FormatError{Off: 4, Msg: ".gopclntab: bad pad, quantum or pointer size", Val: order.Uint32(hdr[4:])}
	}
	t := &goTable{sec: c, order: order, quantum: quantum, text: text, gofunc: gofunc, readAt: readAt}
	word := func(i uint64) (uint64, bool) {
		b, ok := c.bytes(8+i*ptr, ptr)
		if !ok {
			return 0, false
		}
		if ptr == 4 {
			return uint64(order.Uint32(b)), true
		}
		return order.Uint64(b), true
	}
	var w [8]uint64
	for i := range w {
		if w[i], ok = word(uint64(i)); !ok {
			return nil, &FormatError{Off: int64(8 + uint64(i)*ptr), Msg: ".gopclntab: header cut short"}
		}
	}
	t.nfunc = w[0]
	if t.text == 0 {
		t.text = w[2]
	}
	t.funcname, t.cu, t.file, t.pctab, t.pcln = w[3], w[4], w[5], w[6], w[7]
	for i, o := range []uint64{t.funcname, t.cu, t.file, t.pctab, t.pcln} {
		if o >= size {
			return nil, &FormatError{Off: int64(8 + uint64(i+3)*ptr), Msg: ".gopclntab: sub-table offset past the section", Val: o}
		}
	}
	// The function table is nfunc pairs of uint32 and one end entry.
	if t.nfunc == 0 || t.nfunc > (size-t.pcln)/8 {
		return nil, &FormatError{Off: 8, Msg: ".gopclntab: function count does not fit the section", Val: t.nfunc}
	}
	return t, nil
}

// entryOff returns the i-th entry of the function table (i == nfunc is
// the end of the last function) and the offset of its _func.
func (t *goTable) functab(i uint64) (entry, funcOff uint64, ok bool) {
	b, ok := t.sec.bytes(t.pcln+8*i, 8)
	if !ok {
		if i == t.nfunc {
			if b, ok = t.sec.bytes(t.pcln+8*i, 4); ok {
				return t.text + uint64(t.order.Uint32(b)), 0, true
			}
		}
		return 0, 0, false
	}
	return t.text + uint64(t.order.Uint32(b)), uint64(t.order.Uint32(b[4:])), true
}

// find returns the function holding the link-time address v.
func (t *goTable) find(v uint64) (goFunc, bool) {
	lo, hi := uint64(0), t.nfunc // entry(lo) <= v < entry(hi)
	first, _, ok1 := t.functab(0)
	end, _, ok2 := t.functab(t.nfunc)
	if !ok1 || !ok2 || v < first || v >= end {
		return goFunc{}, false
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		e, _, ok := t.functab(mid)
		if !ok {
			return goFunc{}, false
		}
		if e <= v {
			lo = mid
		} else {
			hi = mid
		}
	}
	entry, off, ok := t.functab(lo)
	next, _, ok2 := t.functab(lo + 1)
	if !ok || !ok2 || next <= v {
		return goFunc{}, false
	}
	return t.funcAt(off, entry, next)
}

// funcAt reads the _func at off in the table of functions.
func (t *goTable) funcAt(off, entry, end uint64) (goFunc, bool) {
	off += t.pcln
	b, ok := t.sec.bytes(off, goFuncHeader120)
	if !ok || t.text+uint64(t.order.Uint32(b)) != entry {
		return goFunc{}, false // the function table and the _func disagree
	}
	f := goFunc{entry: entry, end: end, off: off,
		pcfile: t.order.Uint32(b[20:]), pcln: t.order.Uint32(b[24:]), npcdata: t.order.Uint32(b[28:]),
		cuOff: t.order.Uint32(b[32:]), nfuncdata: b[43]}
	name, ok := t.sec.cstring(t.funcname + uint64(t.order.Uint32(b[4:])))
	if !ok {
		return goFunc{}, false
	}
	f.name = name
	return f, true
}

// pcvalue decodes the position table at off (in pctab) of the function
// starting at entry and returns its value at the link-time address pc,
// as runtime.pcvalue does: pairs of a zig-zag value delta and a PC delta
// in units of the quantum.
func (t *goTable) pcvalue(off uint32, entry, pc uint64) (int32, bool) {
	if off == 0 {
		return 0, false
	}
	s := t.sec.stream(t.pctab + uint64(off))
	val, cur := int32(-1), entry
	for n := 0; n < maxPCValueSteps; n++ {
		uv, ok := s.uvarint()
		if !ok || uv == 0 && n > 0 {
			return 0, false
		}
		if uv&1 != 0 {
			uv = ^(uv >> 1)
		} else {
			uv >>= 1
		}
		d, ok := s.uvarint()
		if !ok {
			return 0, false
		}
		val += int32(uv)
		cur += uint64(d) * t.quantum
		if pc < cur {
			return val, true
		}
	}
	return 0, false
}

// position returns the file and line the function's tables give pc.
func (t *goTable) position(f goFunc, pc uint64) (string, int) {
	line, ok := t.pcvalue(f.pcln, f.entry, pc)
	if !ok {
		return "", 0
	}
	fno, ok := t.pcvalue(f.pcfile, f.entry, pc)
	if !ok || fno < 0 {
		return "", int(line)
	}
	b, ok := t.sec.bytes(t.cu+(uint64(f.cuOff)+uint64(fno))*4, 4)
	if !ok {
		return "", int(line)
	}
	fileOff := t.order.Uint32(b)
	if fileOff == ^uint32(0) {
		return "", int(line)
	}
	name, _ := t.sec.cstring(t.file + uint64(fileOff))
	return name, int(line)
}

// frame answers for the link-time address v: the function, the calls
// inlined there and the innermost position, unwinding the inline tree as
// runtime's inlineUnwinder does (each inlined call's parentPc is an
// instruction whose position is the call site in its caller).
func (t *goTable) frame(v uint64) (goFrame, bool) {
	f, ok := t.find(v)
	if !ok {
		return goFrame{}, false
	}
	out := goFrame{fn: f}
	out.file, out.line = t.position(f, v)
	var inlTree uint64
	idxTable := uint32(0)
	if f.npcdata > pcdataInlTreeIndex && uint32(f.nfuncdata) > funcdataInlTree {
		b, ok := t.sec.bytes(f.off+goFuncHeader120+4*pcdataInlTreeIndex, 4)
		d, ok2 := t.sec.bytes(f.off+goFuncHeader120+4*uint64(f.npcdata)+4*funcdataInlTree, 4)
		if !ok || !ok2 {
			return goFrame{}, false
		}
		if off := t.order.Uint32(d); off != ^uint32(0) {
			idxTable, inlTree = t.order.Uint32(b), t.gofunc+uint64(off)
		}
	}
	if idxTable == 0 {
		return out, true
	}
	idx, ok := t.pcvalue(idxTable, f.entry, v)
	if !ok {
		return goFrame{}, false // the tree exists but cannot be read: the name would be wrong
	}
	var inner []inlineSite // innermost first
	for n := 0; idx >= 0; n++ {
		if n == maxInlineDepth {
			return goFrame{}, false
		}
		var ic [inlinedCallSize120]byte
		if err := t.readAt(ic[:], inlTree+uint64(idx)*inlinedCallSize120); err != nil {
			return goFrame{}, false
		}
		name, ok := t.sec.cstring(t.funcname + uint64(t.order.Uint32(ic[4:])))
		if !ok {
			return goFrame{}, false
		}
		parent := f.entry + uint64(int64(int32(t.order.Uint32(ic[8:]))))
		site := inlineSite{name: name}
		site.callFile, site.callLine = t.position(f, parent)
		inner = append(inner, site)
		if idx, ok = t.pcvalue(idxTable, f.entry, parent); !ok {
			return goFrame{}, false
		}
	}
	for i := len(inner) - 1; i >= 0; i-- {
		out.inl = append(out.inl, inner[i])
	}
	return out, true
}

// goFuncBase finds go:func.* in .symtab.
func goFuncBase(f *elf.File, r io.ReaderAt) (uint64, bool) {
	return rawSymbol(f, r, f.Section(".symtab"), "go:func.*")
}

// maxNameHits bounds the places one name is looked for in a string table
// (linkers share a name's bytes with names that end in it).
const maxNameHits = 64

// rawSymbol returns the value of the defined symbol name in the symbol
// table sec without reading the table into symbols: the name's offsets in
// the string table first, then the entries that point at one of them.
// A lookup of one name in a big program's .symtab then costs reading the
// two sections, not allocating, sorting and indexing every symbol.
func rawSymbol(f *elf.File, r io.ReaderAt, sec *elf.Section, name string) (uint64, bool) {
	if sec == nil || (sec.Type != elf.SHT_SYMTAB && sec.Type != elf.SHT_DYNSYM) || sec.Flags&elf.SHF_COMPRESSED != 0 || int(sec.Link) >= len(f.Sections) {
		return 0, false
	}
	strtab := f.Sections[sec.Link]
	if strtab.Type != elf.SHT_STRTAB || strtab.Flags&elf.SHF_COMPRESSED != 0 {
		return 0, false
	}
	hits := findAllInSection(r, strtab.Offset, strtab.Size, []byte(name+"\x00"), maxNameHits)
	// Every hit counts, a shared tail too: it is that name's own offset.
	var offs []uint32
	for _, h := range hits {
		if h <= 1<<32-1 {
			offs = append(offs, uint32(h))
		}
	}
	if len(offs) == 0 {
		return 0, false
	}
	entSize, valueAt, shndxAt := uint64(24), uint64(8), uint64(6)
	if f.Class == elf.ELFCLASS32 {
		entSize, valueAt, shndxAt = 16, 4, 14
	}
	buf := make([]byte, 64<<10/entSize*entSize)
	for pos := uint64(0); pos+entSize <= sec.Size; {
		n := min(uint64(len(buf)), (sec.Size-pos)/entSize*entSize)
		if _, err := r.ReadAt(buf[:n], int64(sec.Offset+pos)); err != nil {
			return 0, false
		}
		for i := uint64(0); i+entSize <= n; i += entSize {
			if !slices.Contains(offs, f.ByteOrder.Uint32(buf[i:])) || f.ByteOrder.Uint16(buf[i+shndxAt:]) == uint16(elf.SHN_UNDEF) {
				continue
			}
			if entSize == 16 {
				return uint64(f.ByteOrder.Uint32(buf[i+valueAt:])), true
			}
			return f.ByteOrder.Uint64(buf[i+valueAt:]), true
		}
		pos += n
	}
	return 0, false
}

// findAllInSection returns the offsets, within the section at off (size
// bytes), of at most limit occurrences of pat, reading it in chunks.
func findAllInSection(r io.ReaderAt, off, size uint64, pat []byte, limit int) []uint64 {
	const chunk = 256 << 10
	var out []uint64
	buf := make([]byte, chunk+len(pat))
	for pos := uint64(0); pos < size && len(out) < limit; pos += chunk {
		n := min(uint64(len(buf)), size-pos)
		if _, err := r.ReadAt(buf[:n], int64(off+pos)); err != nil {
			return out
		}
		// A match starting in the overlap is found again by the next
		// chunk, so only those starting in this chunk count.
		for i := 0; len(out) < limit; {
			k := bytes.Index(buf[i:n], pat)
			if k < 0 || uint64(i+k) >= chunk {
				break
			}
			out = append(out, pos+uint64(i+k))
			i += k + 1
		}
	}
	return out
}

// vaddrReader reads a file's bytes by link-time address through its
// PT_LOAD headers.
func vaddrReader(f *elf.File, r io.ReaderAt) func([]byte, uint64) error {
	return func(p []byte, v uint64) error {
		for _, ph := range f.Progs {
			if ph.Type == elf.PT_LOAD && v >= ph.Vaddr && v-ph.Vaddr < ph.Filesz && uint64(len(p)) <= ph.Filesz-(v-ph.Vaddr) {
				_, err := r.ReadAt(p, int64(ph.Off+(v-ph.Vaddr)))
				return err
			}
		}
		return fmt.Errorf("address %#x is in no PT_LOAD's file bytes", v)
	}
}

// pageCache reads a section page by page and keeps the pages it read, so
// that a binary search and a walk of varint tables cost a few reads.
type pageCache struct {
	r     io.ReaderAt
	size  uint64
	pages map[uint64][]byte
}

func newPageCache(r io.ReaderAt, size uint64) *pageCache {
	return &pageCache{r: r, size: size, pages: map[uint64][]byte{}}
}

func (c *pageCache) page(n uint64) ([]byte, bool) {
	if p, ok := c.pages[n]; ok {
		return p, true
	}
	start := n << goTablePageShift
	if start >= c.size {
		return nil, false
	}
	p := make([]byte, min(1<<goTablePageShift, c.size-start))
	if k, err := c.r.ReadAt(p, int64(start)); k < len(p) && err != nil {
		return nil, false
	}
	if len(c.pages) >= maxGoTablePages {
		clear(c.pages)
	}
	c.pages[n] = p
	return p, true
}

// bytes returns n bytes at off, or false past the section's end.
func (c *pageCache) bytes(off, n uint64) ([]byte, bool) {
	if off >= c.size || n > c.size-off {
		return nil, false
	}
	first, last := off>>goTablePageShift, (off+n-1)>>goTablePageShift
	p, ok := c.page(first)
	if !ok {
		return nil, false
	}
	in := off & (1<<goTablePageShift - 1)
	if first == last {
		return p[in : in+n], true
	}
	out := make([]byte, 0, n)
	out = append(out, p[in:]...)
	for k := first + 1; k <= last; k++ {
		if p, ok = c.page(k); !ok {
			return nil, false
		}
		out = append(out, p[:min(uint64(len(p)), n-uint64(len(out)))]...)
	}
	return out, true
}

// cstring returns the NUL-terminated string at off, at most maxGoName
// bytes long.
func (c *pageCache) cstring(off uint64) (string, bool) {
	var out []byte
	for n := off >> goTablePageShift; len(out) <= maxGoName; n++ {
		p, ok := c.page(n)
		if !ok {
			return "", false
		}
		in := uint64(0)
		if n == off>>goTablePageShift {
			if in = off & (1<<goTablePageShift - 1); in >= uint64(len(p)) {
				return "", false
			}
		}
		if i := bytes.IndexByte(p[in:], 0); i >= 0 {
			return string(append(out, p[in:in+uint64(i)]...)), true
		}
		out = append(out, p[in:]...)
	}
	return "", false
}

// pageStream reads bytes in order from a pageCache.
type pageStream struct {
	c   *pageCache
	off uint64
	cur []byte
}

func (c *pageCache) stream(off uint64) *pageStream { return &pageStream{c: c, off: off} }

func (s *pageStream) byte() (byte, bool) {
	if len(s.cur) == 0 {
		p, ok := s.c.page(s.off >> goTablePageShift)
		if !ok {
			return 0, false
		}
		in := s.off & (1<<goTablePageShift - 1)
		if in >= uint64(len(p)) {
			return 0, false // past the end of the section's last page
		}
		s.cur = p[in:]
	}
	b := s.cur[0]
	s.cur, s.off = s.cur[1:], s.off+1
	return b, true
}

// uvarint reads a little-endian base-128 number of at most 32 bits.
func (s *pageStream) uvarint() (uint32, bool) {
	var v uint32
	for shift := uint(0); shift < 35; shift += 7 {
		b, ok := s.byte()
		if !ok {
			return 0, false
		}
		v |= uint32(b&0x7f) << shift
		if b&0x80 == 0 {
			return v, true
		}
	}
	return 0, false
}

type goFrameResult struct {
	g  goFrame
	ok bool
}

// goTable returns the module's .gopclntab reader, or nil when the module
// is not a Go program whose table is read (goTable's doc).
func (m *Module) goTable() *goTable {
	if !m.goTabDone {
		m.goTabDone = true
		if m.file != nil && m.osf != nil {
			m.goTab, _ = newGoTable(m.file, m.osf)
		}
	}
	return m.goTab
}

// goFrameAt is what .gopclntab says about the runtime address addr.
func (m *Module) goFrameAt(addr uint64) (goFrame, bool) {
	t := m.goTable()
	if t == nil {
		return goFrame{}, false
	}
	if r, ok := m.goFrames[addr]; ok {
		return r.g, r.ok
	}
	g, ok := t.frame(addr - m.Bias)
	if m.goFrames == nil {
		m.goFrames = map[uint64]goFrameResult{}
	}
	if len(m.goFrames) < maxCachedScopes {
		m.goFrames[addr] = goFrameResult{g, ok}
	}
	if ok && !m.goUsed {
		m.goUsed = true
		m.Symbols = append(m.Symbols, ".gopclntab")
	}
	return g, ok
}

// funcStart returns the runtime address of the first instruction of the
// function holding addr: from .gopclntab in a Go program, else from the
// symbol tables.
func (m *Module) funcStart(addr uint64) (uint64, bool) {
	if t := m.goTable(); t != nil {
		if f, ok := t.find(addr - m.Bias); ok {
			return f.entry + m.Bias, true
		}
	}
	s, ok := m.lookup(addr)
	return addr - s.Offset, ok
}
