package loader

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"

	"github.com/elfdoctor/elfdoctor/inspect"
	"golang.org/x/arch/x86/x86asm"
)

// The function-start oracle: where a control transfer lands in an
// object's code, by the records a linker leaves of where functions begin
// and end. PT_GNU_EH_FRAME's table (.eh_frame_hdr, which the loader maps
// and the unwinder binary-searches) gives each FDE's first address; the
// FDE gives its length. The symbol tables (.symtab, .dynsym) give
// STT_FUNC symbols with st_size. The no-ops between two FDEs are the
// assembler's padding, and the section table says which bytes were
// linked as code. All of them are only ever used to withdraw a "starts":
// an address inside a function is code nobody built to be entered there,
// which the replay does not run (docs/decisions.md). No answer is a
// crash claim, and anything no record vouches for is "not known".

const (
	// maxOracleSyms bounds the symbols read from one symbol table;
	// libxul's .symtab has about 10^6.
	maxOracleSyms = 1 << 22
	// symChunk is how many symbols are looked at per read.
	symChunk = 4096
	// maxCIEAug bounds a CIE's augmentation string ("zR", "zPLR", ...).
	maxCIEAug = 16
)

// funcPlace is the oracle's answer for one address.
type funcPlace struct {
	known bool
	start bool   // the address is where a function (or a PLT entry) begins
	name  string // the function's name, when a symbol names it
	lo    uint64 // the function's span, [lo, hi)
	hi    uint64
	from  string // where the span comes from, for people
	fdeAt uint64 // for a start, the FDE that says so (from, made only when shown)
	// nowhere: the address is in no function, but in bytes the section
	// table says are not code (another section's, or the gap between
	// sections); name and from say whose.
	nowhere bool
	// padding: the address is inside one of the no-op instructions
	// between two functions, not at an instruction's start.
	padding bool
}

// into says how far into the function the address is, for people.
func (p funcPlace) into(addr uint64) string {
	if p.nowhere {
		return fmt.Sprintf("in %s (%s)", p.name, p.from)
	}
	name := p.name
	if name == "" {
		name = "a function"
	}
	from := p.from
	if from == "" && p.fdeAt != 0 {
		from = fmt.Sprintf("its FDE at 0x%x", p.fdeAt)
	}
	return fmt.Sprintf("%d bytes into %s (0x%x-0x%x, %s)", addr-p.lo, name, p.lo, p.hi, from)
}

// funcOracle answers for one object, reading its tables in place.
type funcOracle struct {
	f  *inspect.File
	im *inspect.Image
	// locals caches localFunc's reads of .symtab.
	locals map[string]localDef
	// The .eh_frame_hdr search table, when it is one this reader can
	// binary-search: datarel entries of a fixed size.
	hdr      uint64 // eh_frame_hdr's address: the base of datarel values
	table    uint64 // the first entry
	count    uint64
	tableEnc byte
	hasTable bool
	// scratch takes the small fixed-size reads, which would otherwise
	// each allocate (the image reads through an io.ReaderAt).
	scratch [8]byte
	syms    []tableSym // eachSymChunk's chunk
	// static indexes a small .symtab's global and weak functions by
	// name (staticFuncs), built on first use.
	static      map[string][]staticDef
	staticBuilt bool
	// resolvers are the values of .symtab's indirect functions
	// (ifuncResolvers), read on first use.
	resolvers     map[uint64]bool
	resolversRead bool
}

// newFuncOracle reads PT_GNU_EH_FRAME's header. A header it does not
// understand leaves only the symbol tables.
func newFuncOracle(f *inspect.File) *funcOracle {
	o := &funcOracle{f: f, im: f.Image()}
	ps := f.ProgsOfType(elf.PT_GNU_EH_FRAME)
	if len(ps) == 0 {
		return o
	}
	hdr := ps[len(ps)-1].Vaddr
	o.hdr = hdr
	var b [4]byte
	if o.im.ReadAt(b[:], hdr, ".eh_frame_hdr") != nil || b[0] != 1 {
		return o
	}
	ptrEnc, countEnc, tableEnc := b[1], b[2], b[3]
	if countEnc == dwEHPEOmit || tableEnc == dwEHPEOmit || tableEnc&0x70 != dwEHPEdatarel || encSize(tableEnc, f) == 0 {
		return o
	}
	pos := hdr + 4
	if _, n, ok := o.encoded(pos, ptrEnc); ok {
		pos += n
	} else {
		return o
	}
	count, n, ok := o.encoded(pos, countEnc)
	if !ok {
		return o
	}
	o.table, o.count, o.tableEnc, o.hasTable = pos+n, count, tableEnc, true
	return o
}

// DWARF exception-header pointer encodings (LSB 4.1, "DWARF Exception
// Header Encoding").
const (
	dwEHPEOmit     = 0xff
	dwEHPEuleb128  = 0x01
	dwEHPEudata2   = 0x02
	dwEHPEudata4   = 0x03
	dwEHPEudata8   = 0x04
	dwEHPEsleb128  = 0x09
	dwEHPEsdata2   = 0x0a
	dwEHPEsdata4   = 0x0b
	dwEHPEsdata8   = 0x0c
	dwEHPEpcrel    = 0x10
	dwEHPEdatarel  = 0x30
	dwEHPEindirect = 0x80
)

// encSize is the size of a fixed-size encoding, 0 for a variable or
// unknown one.
func encSize(enc byte, f *inspect.File) uint64 {
	switch enc & 0x0f {
	case 0x00:
		if f.Class == elf.ELFCLASS32 {
			return 4
		}
		return 8
	case dwEHPEudata2, dwEHPEsdata2:
		return 2
	case dwEHPEudata4, dwEHPEsdata4:
		return 4
	case dwEHPEudata8, dwEHPEsdata8:
		return 8
	}
	return 0
}

// encoded reads a pointer encoded with enc at addr and returns its value
// with its application (pc-relative or relative to .eh_frame_hdr), and
// its size. Indirect and other applications are not followed.
func (o *funcOracle) encoded(addr uint64, enc byte) (v, n uint64, ok bool) {
	raw, n, ok := o.rawEncoded(addr, enc)
	if !ok {
		return 0, 0, false
	}
	switch enc & 0x70 {
	case 0:
	case dwEHPEpcrel:
		raw += addr
	case dwEHPEdatarel:
		raw += o.hdr
	default:
		return 0, 0, false
	}
	if enc&dwEHPEindirect != 0 {
		return 0, 0, false
	}
	return raw, n, true
}

// rawEncoded reads the value of an encoding without its application.
func (o *funcOracle) rawEncoded(addr uint64, enc byte) (v, n uint64, ok bool) {
	if enc&0x0f == dwEHPEuleb128 || enc&0x0f == dwEHPEsleb128 {
		var b [10]byte
		if o.im.ReadAt(b[:1], addr, "encoded pointer") != nil {
			return 0, 0, false
		}
		for i := range b {
			if i > 0 && o.im.ReadAt(b[i:i+1], addr+uint64(i), "encoded pointer") != nil {
				return 0, 0, false
			}
			if b[i]&0x80 == 0 {
				if enc&0x0f == dwEHPEuleb128 {
					u, k := binary.Uvarint(b[:i+1])
					return u, uint64(k), k > 0
				}
				s, k := sleb(b[:i+1])
				return uint64(s), uint64(k), k > 0
			}
		}
		return 0, 0, false
	}
	size := encSize(enc, o.f)
	if size == 0 {
		return 0, 0, false
	}
	b := o.scratch[:]
	if o.im.ReadAt(b[:size], addr, "encoded pointer") != nil {
		return 0, 0, false
	}
	bo := o.f.ByteOrder()
	switch enc & 0x0f {
	case 0x00:
		if size == 4 {
			return uint64(bo.Uint32(b[:])), 4, true
		}
		return bo.Uint64(b[:]), 8, true
	case dwEHPEudata2:
		return uint64(bo.Uint16(b[:])), 2, true
	case dwEHPEsdata2:
		return uint64(int64(int16(bo.Uint16(b[:])))), 2, true
	case dwEHPEudata4:
		return uint64(bo.Uint32(b[:])), 4, true
	case dwEHPEsdata4:
		return uint64(int64(int32(bo.Uint32(b[:])))), 4, true
	default:
		return bo.Uint64(b[:]), 8, true
	}
}

// sleb decodes a signed LEB128 number.
func sleb(b []byte) (int64, int) {
	var v int64
	var shift uint
	for i, c := range b {
		if shift < 64 {
			v |= int64(c&0x7f) << shift
		}
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v, i + 1
		}
	}
	return 0, 0
}

// fde finds the FDE whose range holds addr (around).
func (o *funcOracle) fde(addr uint64) (lo, hi, at uint64, ok bool) {
	n := o.around(addr)
	if !n.hasPrev || addr >= n.prevHi {
		return 0, 0, 0, false
	}
	return n.prevLo, n.prevHi, n.prevAt, true
}

// fdeNeighbours are the FDEs on either side of an address.
type fdeNeighbours struct {
	prevLo, prevHi, prevAt uint64 // the last FDE starting at or below it
	hasPrev                bool
	nextLo                 uint64 // the first one starting above it
	hasNext                bool
}

// around finds the table entry with the largest initial location at or
// below addr (a binary search over the table in place), reads that FDE's
// own pc_begin and pc_range, and the next entry's initial location. An
// FDE that cannot be read or does not match its entry is no FDE.
func (o *funcOracle) around(addr uint64) fdeNeighbours {
	var n fdeNeighbours
	if !o.hasTable || o.count == 0 {
		return n
	}
	size := encSize(o.tableEnc, o.f)
	entry := func(i uint64) (loc, fde uint64, ok bool) {
		p := o.table + i*2*size
		loc, _, ok1 := o.encoded(p, o.tableEnc)
		fde, _, ok2 := o.encoded(p+size, o.tableEnc)
		return loc, fde, ok1 && ok2
	}
	// The greatest i with entry(i).loc <= addr; 64 steps at most.
	lo, hi := uint64(0), o.count
	for lo < hi {
		mid := lo + (hi-lo)/2
		loc, _, ok := entry(mid)
		if !ok {
			return n
		}
		if loc <= addr {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < o.count {
		if loc, _, ok := entry(lo); ok && loc > addr {
			n.nextLo, n.hasNext = loc, true
		}
	}
	if lo == 0 {
		return n
	}
	loc, fdeAddr, ok := entry(lo - 1)
	if !ok {
		return n
	}
	begin, length, ok := o.readFDE(fdeAddr)
	end := begin + length
	if !ok || begin != loc || end < begin {
		return n
	}
	n.prevLo, n.prevHi, n.prevAt, n.hasPrev = begin, end, fdeAddr, true
	return n
}

// maxPadding bounds the gap between two functions read as alignment
// padding: linkers and assemblers align functions to at most 64 bytes.
const maxPadding = 64

// inPadding says whether addr lies inside one of the no-op instructions
// that fill the gap between the FDE before it and the FDE after it, not
// at an instruction's start: the assembler's alignment padding, which
// nothing was built to enter in its middle. Entered at an instruction's
// start the no-ops slide into the next function; then, or when the gap
// holds anything but no-ops, it is not known.
func (o *funcOracle) inPadding(addr uint64, n fdeNeighbours) (lo, hi uint64, ok bool) {
	if !n.hasPrev || !n.hasNext || addr < n.prevHi || n.nextLo <= addr || n.nextLo-n.prevHi > maxPadding ||
		(o.f.Machine != elf.EM_X86_64 && o.f.Machine != elf.EM_386) {
		return 0, 0, false
	}
	var b [maxPadding]byte
	gap := b[:n.nextLo-n.prevHi]
	if o.im.ReadAt(gap, n.prevHi, "padding") != nil {
		return 0, 0, false
	}
	inside := false
	for i := 0; i < len(gap); {
		k := nopLen(gap[i:])
		if k == 0 {
			return 0, 0, false
		}
		at := n.prevHi + uint64(i)
		if addr > at && addr < at+uint64(k) {
			inside = true
		}
		i += k
	}
	return n.prevHi, n.nextLo, inside
}

// nopLen is the length of the no-op instruction (nop, the multi-byte nopl
// and nopw forms with their 0x66 and 0x2e prefixes, xchg %ax,%ax) or int3
// at the start of b, or 0 when b does not start with one.
func nopLen(b []byte) int {
	i := 0
	for i < len(b) && i < 14 && (b[i] == 0x66 || b[i] == 0x2e) {
		i++
	}
	if i < len(b) && (b[i] == 0x90 || (b[i] == 0xcc && i == 0)) {
		return i + 1
	}
	if i+2 >= len(b) || b[i] != 0x0f || b[i+1] != 0x1f {
		return 0
	}
	m := b[i+2]
	i += 3
	mod, rm := m>>6, m&7
	if m>>3&7 != 0 {
		return 0 // 0f 1f /0 is nop; the other /r are reserved
	}
	if mod != 3 && rm == 4 {
		if i >= len(b) {
			return 0
		}
		if mod == 0 && b[i]&7 == 5 {
			i += 4
		}
		i++
	}
	switch {
	case mod == 1:
		i++
	case mod == 2 || (mod == 0 && rm == 5):
		i += 4
	}
	if i > len(b) {
		return 0
	}
	return i
}

// readFDE reads an FDE's pc_begin and pc_range, encoded as its CIE's 'R'
// augmentation says (.eh_frame's format, LSB 4.1).
func (o *funcOracle) readFDE(at uint64) (begin, length uint64, ok bool) {
	bo := o.f.ByteOrder()
	var b [12]byte
	if o.im.ReadAt(b[:8], at, "FDE") != nil {
		return 0, 0, false
	}
	idField := at + 4
	if bo.Uint32(b[:]) == 0xffffffff {
		// The 64-bit DWARF format: an 8-byte length, then an 8-byte CIE
		// pointer; .eh_frame keeps its CIE pointer 4 bytes wide.
		if o.im.ReadAt(b[:], at+4, "FDE") != nil {
			return 0, 0, false
		}
		idField = at + 12
	}
	var idb [4]byte
	if o.im.ReadAt(idb[:], idField, "FDE") != nil {
		return 0, 0, false
	}
	ciePtr := uint64(bo.Uint32(idb[:]))
	if ciePtr == 0 || ciePtr > idField {
		return 0, 0, false // a CIE, or a pointer before the address space
	}
	enc, ok := o.cieEncoding(idField - ciePtr)
	if !ok {
		return 0, 0, false
	}
	pc := idField + 4
	begin, n, ok := o.encoded(pc, enc)
	if !ok {
		return 0, 0, false
	}
	length, _, ok = o.rawEncoded(pc+n, enc&0x0f)
	return begin, length, ok
}

// cieEncoding reads the pointer encoding of a CIE's 'R' augmentation
// (absolute pointers without one).
func (o *funcOracle) cieEncoding(at uint64) (byte, bool) {
	// A CIE is read whole when it can be; one at the very end of its
	// mapping is read as far as the mapping goes.
	var b [64]byte
	read := false
	for _, n := range []int{64, 32, 20} {
		if o.im.ReadAt(b[:n], at, "CIE") == nil {
			read = true
			break
		}
	}
	if !read {
		return 0, false
	}
	bo := o.f.ByteOrder()
	p := 8
	if bo.Uint32(b[:]) == 0xffffffff {
		p = 16
	}
	if p+2 > len(b) || bo.Uint32(b[p-4:]) != 0 {
		return 0, false // not a CIE (.eh_frame's CIE id is 0)
	}
	version := b[p]
	p++
	if version != 1 && version != 3 {
		return 0, false
	}
	end := bytes.IndexByte(b[p:min(p+maxCIEAug, len(b))], 0)
	if end < 0 {
		return 0, false
	}
	aug := string(b[p : p+end])
	p += end + 1
	if aug == "" {
		return 0, true
	}
	if aug[0] != 'z' {
		return 0, false
	}
	uleb := func() (uint64, bool) {
		if p >= len(b) {
			return 0, false
		}
		v, k := binary.Uvarint(b[p:])
		if k <= 0 {
			return 0, false
		}
		p += k
		return v, true
	}
	if _, ok := uleb(); !ok { // code alignment
		return 0, false
	}
	if p >= len(b) {
		return 0, false
	}
	if _, k := sleb(b[p:]); k == 0 { // data alignment
		return 0, false
	} else {
		p += k
	}
	if version == 1 {
		p++ // return address register
	} else if _, ok := uleb(); !ok {
		return 0, false
	}
	if _, ok := uleb(); !ok { // augmentation data length
		return 0, false
	}
	for _, c := range aug[1:] {
		if p >= len(b) {
			return 0, false
		}
		switch c {
		case 'R':
			return b[p], true
		case 'L':
			p++
		case 'P':
			penc := b[p]
			p++
			if penc&0x0f == dwEHPEuleb128 || penc&0x0f == dwEHPEsleb128 {
				if _, ok := uleb(); !ok {
					return 0, false
				}
				continue
			}
			size := encSize(penc, o.f)
			if size == 0 {
				return 0, false
			}
			p += int(size)
		case 'S', 'B', 'G':
		default:
			return 0, false
		}
	}
	return 0, true
}

// symbolScan is what one pass over the symbol tables found for addr.
type symbolScan struct {
	at      bool   // a symbol names addr exactly
	atName  string // its name
	inName  string // a function symbol that holds addr
	inLo    uint64
	inHi    uint64
	inFrom  string
	fdeName string // a function symbol at the start of the FDE that holds addr
}

// codeSym is a symbol of .symtab in executable code, as the scan keeps it.
type codeSym struct {
	nameOff     uint32
	value, size uint64
	shndx       uint16
	fn, ok      bool
}

// scanSymbols reads the section table's .symtab and .dynsym, bounded, for
// the symbols around addr; fdeLo is the start of the FDE holding addr (0:
// none), to be named. A function symbol with an st_size holds the bytes
// it covers. One without (crtstuff's frame_dummy and
// __do_global_dtors_aux, crti's _init and _fini) holds, in a full symbol
// table (.symtab), the bytes up to the next symbol of its section or the
// section's end: nothing else was linked there.
func (o *funcOracle) scanSymbols(addr, fdeLo uint64, skipDyn int64) symbolScan {
	var s symbolScan
	f := o.f
	for i := range f.Sections {
		sec := &f.Sections[i]
		if sec.Type != elf.SHT_SYMTAB && sec.Type != elf.SHT_DYNSYM {
			continue
		}
		full := sec.Type == elf.SHT_SYMTAB
		var strtab *inspect.Section
		if int(sec.Link) < len(f.Sections) {
			strtab = &f.Sections[sec.Link]
		}
		name := func(off uint32) string {
			if strtab == nil || uint64(off) >= strtab.Size {
				return ""
			}
			b, err := f.ReadFull(int64(strtab.Offset+uint64(off)), min(256, strtab.Size-uint64(off)), "symbol name")
			if err != nil {
				return ""
			}
			if i := bytes.IndexByte(b, 0); i >= 0 {
				b = b[:i]
			}
			return string(b)
		}
		// prev is the last code symbol at or below addr, next the first
		// above it: the bounds of a function without a size.
		var prev, next codeSym
		var at, in, fde codeSym
		o.eachSymChunk(sec, func(first uint64, syms []tableSym) bool {
			for j, t := range syms {
				if !full && int64(first)+int64(j) == skipDyn {
					continue
				}
				cs := codeSym{nameOff: t.nameOff, value: t.value, size: t.size, shndx: t.shndx}
				typ := elf.ST_TYPE(t.info)
				if cs.shndx == uint16(elf.SHN_UNDEF) || cs.shndx >= uint16(elf.SHN_LORESERVE) ||
					typ == elf.STT_SECTION || typ == elf.STT_FILE || typ == elf.STT_TLS {
					continue
				}
				cs.fn, cs.ok = typ == elf.STT_FUNC || typ == elf.STT_GNU_IFUNC, true
				switch {
				case cs.value == addr:
					if !at.ok {
						at = cs
					}
					continue
				case cs.fn && cs.size > 0 && cs.value < addr && addr-cs.value < cs.size:
					if !in.ok {
						in = cs
					}
				}
				if cs.fn && fdeLo != 0 && cs.value == fdeLo && !fde.ok {
					fde = cs
				}
				if !full {
					continue
				}
				code, ok := codeSectionOf(f, cs.shndx, cs.value)
				if !ok {
					continue
				}
				cs.shndx = code
				if cs.value < addr && (!prev.ok || cs.value > prev.value || (cs.value == prev.value && cs.fn && !prev.fn)) {
					prev = cs
				}
				if cs.value > addr && (!next.ok || cs.value < next.value) {
					next = cs
				}
			}
			return true
		})
		if at.ok && !s.at {
			s.at, s.atName = true, name(at.nameOff)
		}
		if fde.ok && s.fdeName == "" {
			s.fdeName = name(fde.nameOff)
		}
		if s.inHi != 0 {
			continue
		}
		if in.ok {
			s.inName, s.inLo, s.inHi = name(in.nameOff), in.value, in.value+in.size
			s.inFrom = fmt.Sprintf("its symbol in %s, st_size %d", sec.Name, in.size)
			continue
		}
		if prev.ok && prev.fn && prev.size == 0 && full {
			code := f.Sections[prev.shndx]
			end, ok := addNoOverflow(code.Addr, code.Size)
			if !ok || prev.value < code.Addr || addr >= end {
				continue
			}
			from := fmt.Sprintf("its symbol in %s has no st_size; the end of section %s bounds it", sec.Name, code.Name)
			if next.ok && next.shndx == prev.shndx && next.value < end {
				end = next.value
				from = fmt.Sprintf("its symbol in %s has no st_size; the next symbol of %s (%s) bounds it", sec.Name, code.Name, orNone(name(next.nameOff)))
			}
			s.inName, s.inLo, s.inHi, s.inFrom = name(prev.nameOff), prev.value, end, from
		}
	}
	if s.inName == "" && s.inHi != 0 {
		s.inName = "a function"
	}
	return s
}

// codeSectionOf is the executable section a symbol of st_shndx and
// st_value lies in: st_shndx's when that holds the value, else the one
// whose addresses do. patchelf 0.18 renumbers the sections it sorts
// without mending .symtab's st_shndx (seed 9300010328: .text's symbols
// left pointing at .note.gnu.build-id), while the values stay right.
func codeSectionOf(f *inspect.File, shndx uint16, value uint64) (uint16, bool) {
	holds := func(i int) bool {
		sec := &f.Sections[i]
		end, ok := addNoOverflow(sec.Addr, sec.Size)
		return sec.Flags&elf.SHF_EXECINSTR != 0 && ok && value >= sec.Addr && value < end
	}
	if int(shndx) < len(f.Sections) && holds(int(shndx)) {
		return shndx, true
	}
	for i := range f.Sections {
		if i < 1<<16 && holds(i) {
			return uint16(i), true
		}
	}
	return 0, false
}

// tableSym is one symbol table entry as the oracle reads it.
type tableSym struct {
	nameOff     uint32
	info        byte
	shndx       uint16
	value, size uint64
}

// eachSymChunk reads symbol table sec symChunk entries at a time,
// bounded by maxOracleSyms, and hands each decoded chunk to fn with the
// index of its first entry, until fn returns false or a read fails. fn
// runs outside the file's view, so it may read the file itself; the
// chunk is the oracle's, reused by the next call.
func (o *funcOracle) eachSymChunk(sec *inspect.Section, fn func(first uint64, syms []tableSym) bool) {
	f := o.f
	entSize := uint64(24)
	if f.Class == elf.ELFCLASS32 {
		entSize = 16
	}
	bo := f.ByteOrder()
	n := min(sec.Size/entSize, maxOracleSyms)
	for i := uint64(0); i < n; i += symChunk {
		k := min(symChunk, n-i)
		o.syms = o.syms[:0]
		err := f.View(int64(sec.Offset+i*entSize), k*entSize, sec.Name, func(b []byte) {
			for j := uint64(0); j < k; j++ {
				e := b[j*entSize:]
				var t tableSym
				if entSize == 24 {
					t.nameOff, t.info, t.shndx = bo.Uint32(e), e[4], bo.Uint16(e[6:])
					t.value, t.size = bo.Uint64(e[8:]), bo.Uint64(e[16:])
				} else {
					t.nameOff, t.value, t.size = bo.Uint32(e), uint64(bo.Uint32(e[4:])), uint64(bo.Uint32(e[8:]))
					t.info, t.shndx = e[12], bo.Uint16(e[14:])
				}
				o.syms = append(o.syms, t)
			}
		})
		if err != nil || !fn(i, o.syms) {
			return
		}
	}
}

// stubStart says whether the bytes at addr are an entry point by their
// own form: endbr64 or endbr32 (which CET-enabled compilers put at every
// place an indirect branch may land), or a jump through memory (a PLT
// entry, `jmp *SLOT(%rip)`, with or without a bnd prefix).
func (o *funcOracle) stubStart(addr uint64) bool {
	if o.f.Machine != elf.EM_X86_64 && o.f.Machine != elf.EM_386 {
		return false
	}
	b := o.scratch[:4]
	if o.im.ReadAt(b, addr, "instruction") != nil {
		return false
	}
	switch {
	case b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && (b[3] == 0xfa || b[3] == 0xfb):
		return true
	case b[0] == 0xff && b[1] == 0x25, b[0] == 0xf2 && b[1] == 0xff && b[2] == 0x25:
		return true
	}
	return false
}

// codeSectionStart says whether addr is the first byte of a section of
// code (.init, .fini, .text), where a linker puts the start of the first
// input section's first function: crti's _init and _fini have neither an
// FDE nor a size, and this answers for them without reading a symbol
// table.
func (o *funcOracle) codeSectionStart(addr uint64) bool {
	for _, sec := range o.f.Sections {
		if sec.Addr == addr && sec.Size > 0 && sec.Flags&elf.SHF_EXECINSTR != 0 && sec.Flags&elf.SHF_ALLOC != 0 {
			return true
		}
	}
	return false
}

// place answers for addr: the start of a function, some bytes into one,
// or not known. An address some record names as a start (a symbol's
// value, an FDE's first address, an entry by its own bytes) is a start,
// whatever the other records say.
func (o *funcOracle) place(addr uint64) funcPlace { return o.placeSkipping(addr, -1) }

// placeExcept is place for the value of dynamic symbol sym, which is
// not taken as a record of its own start: the symbol is what is judged.
func (o *funcOracle) placeExcept(addr, sym uint64) funcPlace {
	return o.placeSkipping(addr, int64(min(sym, 1<<62)))
}

func (o *funcOracle) placeSkipping(addr uint64, skipDyn int64) funcPlace {
	lo, hi, at, inFDE := o.fde(addr)
	if inFDE && lo == addr {
		// from is made only if into shows it: a resolver check asks
		// this for every IFUNC of libc.
		return funcPlace{known: true, start: true, lo: lo, hi: hi, fdeAt: at}
	}
	if o.stubStart(addr) || o.codeSectionStart(addr) {
		return funcPlace{known: true, start: true}
	}
	fdeLo := uint64(0)
	if inFDE {
		fdeLo = lo
	}
	s := o.scanSymbols(addr, fdeLo, skipDyn)
	if s.at {
		return funcPlace{known: true, start: true, name: s.atName, lo: addr}
	}
	if inFDE {
		name := s.fdeName
		if sec := o.f.SectionAt(lo); name == "" && sec != nil {
			name = fmt.Sprintf("the code at 0x%x in %s", lo, sec.Name)
		}
		return funcPlace{known: true, name: name, lo: lo, hi: hi,
			from: fmt.Sprintf("the FDE at 0x%x that PT_GNU_EH_FRAME's search table lists for 0x%x", at, lo)}
	}
	if s.inHi != 0 {
		return funcPlace{known: true, name: s.inName, lo: s.inLo, hi: s.inHi, from: s.inFrom}
	}
	if p, ok := o.midInstruction(addr); ok {
		return p
	}
	if n := o.around(addr); !inFDE {
		if plo, phi, ok := o.inPadding(addr, n); ok {
			next := o.scanSymbols(phi, 0, -1)
			name := fmt.Sprintf("the alignment padding before the function at 0x%x", phi)
			if next.at && next.atName != "" {
				name = fmt.Sprintf("the alignment padding before %s", next.atName)
			}
			return funcPlace{known: true, padding: true, name: name, lo: plo, hi: phi,
				from: fmt.Sprintf("no-op instructions between the FDEs for 0x%x and 0x%x, entered in the middle of one", n.prevLo, phi)}
		}
	}
	return o.notCode(addr)
}

// maxDecodeBack bounds how far before an address midInstruction looks
// for a function's endbr64, and so how much it decodes.
const maxDecodeBack = 256

// midInstruction answers for an x86-64 address no record places (no FDE,
// no symbol: crtstuff's functions in a stripped file), in a CET build:
// it looks back, at most maxDecodeBack bytes, for the endbr64 a compiler
// puts first in every function whose address is taken, and decodes
// forward from there. Meeting a return, an unconditional jump or a trap
// first says nothing: another function may start after it. Stepping over
// addr says it is inside an instruction, where no code is entered (seed
// 9320031169: a finaliser moved 16 bytes into __do_global_dtors_aux of a
// stripped lld output, into a mov).
func (o *funcOracle) midInstruction(addr uint64) (funcPlace, bool) {
	if o.f.Machine != elf.EM_X86_64 || o.f.Class != elf.ELFCLASS64 || addr < 4 {
		return funcPlace{}, false
	}
	lo := addr - min(addr, maxDecodeBack)
	var b [maxDecodeBack + 16]byte
	code := b[:addr-lo+16]
	if o.im.ReadAt(code, lo, "instructions") != nil {
		return funcPlace{}, false
	}
	at := int(addr - lo)
	start := -1
	for i := at - 4; i >= 0; i-- {
		if code[i] == 0xf3 && code[i+1] == 0x0f && code[i+2] == 0x1e && code[i+3] == 0xfa {
			start = i
			break
		}
	}
	if start < 0 {
		return funcPlace{}, false
	}
	for p := start + 4; p < at; {
		inst, err := x86asm.Decode(code[p:], 64)
		if err != nil {
			return funcPlace{}, false
		}
		switch inst.Op {
		case x86asm.RET, x86asm.JMP, x86asm.UD2, x86asm.HLT, x86asm.INT:
			return funcPlace{}, false
		}
		if p+inst.Len > at {
			fn := lo + uint64(start)
			return funcPlace{known: true, name: fmt.Sprintf("the function at 0x%x", fn), lo: fn, hi: lo + uint64(p+inst.Len),
				from: fmt.Sprintf("decoded from the endbr64 it starts with: the instruction at 0x%x-0x%x covers the address", lo+uint64(p), lo+uint64(p+inst.Len))}, true
		}
		p += inst.Len
	}
	return funcPlace{}, false
}

// notCode answers for an address no function record covers: when the
// section table describes code at all and no code section holds addr,
// the bytes there were linked as something else (another section's data,
// or the padding between sections that the page mapping makes
// executable). Without a section table, or inside a code section, it is
// not known.
func (o *funcOracle) notCode(addr uint64) funcPlace {
	var code, in *inspect.Section
	for i := range o.f.Sections {
		sec := &o.f.Sections[i]
		if sec.Flags&elf.SHF_ALLOC == 0 || sec.Size == 0 || sec.Type == elf.SHT_NOBITS {
			continue
		}
		isCode := sec.Flags&elf.SHF_EXECINSTR != 0
		if isCode {
			code = sec
		}
		if addr >= sec.Addr && addr-sec.Addr < sec.Size {
			if isCode {
				return funcPlace{}
			}
			in = sec
		}
	}
	if code == nil {
		return funcPlace{}
	}
	if in != nil {
		return funcPlace{known: true, nowhere: true, name: "section " + in.Name,
			from: fmt.Sprintf("0x%x-0x%x, which holds no code", in.Addr, in.Addr+in.Size)}
	}
	return funcPlace{known: true, nowhere: true, name: "bytes no section holds",
		from: "the section table puts no section there: alignment padding or the rest of a page"}
}

// funcOracle returns the oracle of f, made once per check.
func (c *checker) funcOracle(f *inspect.File) *funcOracle {
	if c.oracles == nil {
		c.oracles = map[*inspect.File]*funcOracle{}
	}
	o := c.oracles[f]
	if o == nil {
		o = newFuncOracle(f)
		c.oracles[f] = o
	}
	return o
}

// startSymbol returns the value of `_start` in f's full symbol table
// (.symtab): the symbol ld and lld take e_entry from unless told
// otherwise (-e). The table's names are compared in place, through one
// view of its string table.
func (o *funcOracle) startSymbol() (uint64, bool) {
	const want = "_start\x00"
	f := o.f
	for i := range f.Sections {
		sec := &f.Sections[i]
		if sec.Type != elf.SHT_SYMTAB || int(sec.Link) >= len(f.Sections) {
			continue
		}
		strtab := &f.Sections[sec.Link]
		var value uint64
		found := false
		o.eachSymChunk(sec, func(_ uint64, syms []tableSym) bool {
			_ = f.View(int64(strtab.Offset), strtab.Size, strtab.Name, func(names []byte) {
				for _, t := range syms {
					if t.shndx == uint16(elf.SHN_UNDEF) || t.shndx >= uint16(elf.SHN_LORESERVE) ||
						elf.ST_BIND(t.info) != elf.STB_GLOBAL || uint64(t.nameOff)+uint64(len(want)) > uint64(len(names)) {
						continue
					}
					if string(names[t.nameOff:uint64(t.nameOff)+uint64(len(want))]) == want {
						value, found = t.value, true
						return
					}
				}
			})
			return !found
		})
		return value, found
	}
	return 0, false
}
