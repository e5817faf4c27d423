package inspect

import (
	"container/heap"
	"debug/elf"
	"fmt"
	"math"
	"sort"
)

// Mapping is one PT_LOAD as the kernel maps it: whole pages from Start to
// End, with file bytes up to Vaddr+Filesz (and, when Memsz == Filesz, up
// to the end of that page), zeros after.
type Mapping struct {
	Prog  *Prog
	Start uint64 // page-aligned start
	End   uint64 // page-aligned end of the whole mapping (file and anonymous)
	// FileEnd is the end of the file-backed pages. When the segment has
	// zero-fill, the kernel clears from Vaddr+Filesz to FileEnd.
	FileEnd uint64
	// ldso marks a mapping ld.so's zero-fill of a damaged segment made
	// (wrappedFilesz): Prog is a copy of the segment's header that
	// describes this piece only, and it is no PT_LOAD overlapping
	// another.
	ldso bool
}

// Image is the loader's view of a file: the memory the kernel builds from
// its PT_LOAD headers, in order, with later mappings replacing the pages
// of earlier ones (MAP_FIXED semantics), at load bias 0.
type Image struct {
	f        *File
	PageSize uint64
	Maps     []Mapping

	overlapsDone bool
	overlaps     []Overlap
	overlapCount uint64

	// byKernel: the kernel mapped the file (an executable), not ld.so.
	// The kernel clears the tail of a segment's last file page only when
	// the segment is writable: elf_load ignores padzero's fault on a
	// read-only page, which keeps the file's bytes there. ld.so's
	// _dl_map_segments makes the page writable for the clearing.
	byKernel bool
}

// Loc says where a virtual address comes from in the loader's view.
type Loc struct {
	Addr   uint64
	Mapped bool
	// Map is the index in Image.Maps of the mapping that owns the page,
	// which is the last PT_LOAD covering it.
	Map  int
	Prog int // program header index of that PT_LOAD, -1 when unmapped
	// InSegment is false for bytes mapped only because of page rounding,
	// before p_vaddr or after p_vaddr+p_memsz.
	InSegment bool
	// File is true when the byte comes from the file at Off; otherwise it
	// reads as zero.
	File bool
	Off  uint64
	Perm elf.ProgFlag
	// Shadowed lists the program headers of earlier PT_LOADs whose pages
	// at this address were replaced by the owner.
	Shadowed []int
}

// Backing names where the byte at the location comes from.
func (l Loc) Backing() string {
	switch {
	case !l.Mapped:
		return "unmapped"
	case l.File && l.InSegment:
		return "file"
	case l.File:
		return "file (page rounding)"
	case l.InSegment:
		return "zero-fill"
	default:
		return "zero (page rounding)"
	}
}

// PageSizeFor is the page size the kernel maps with. x86 and most aarch64
// kernels use 4 KiB; ppc64 distributions use 64 KiB. It is the minimum the
// loader's view needs to get page rounding right.
func PageSizeFor(m elf.Machine) uint64 {
	switch m {
	case elf.EM_PPC64:
		return 0x10000
	default:
		return 0x1000
	}
}

// Image returns the loader's view, built on first use.
func (f *File) Image() *Image {
	if f.image == nil {
		f.image = newImage(f, PageSizeFor(f.Machine))
	}
	return f.image
}

// SetExecOnly says whether the process can fetch instructions from, but
// not read, the pages of a segment whose only flag is PF_X. Linux gives a
// PROT_EXEC-only mapping an execute-only protection key on an x86 CPU
// whose protection keys the kernel enabled (OSPKE); elsewhere on x86
// PROT_EXEC implies PROT_READ. It is a property of the host the process
// runs on, which the loader sets.
func (f *File) SetExecOnly(on bool) { f.execOnly = on }

// Readable says whether the process can read the byte at l.
func (f *File) Readable(l Loc) bool {
	perm := l.Perm & (elf.PF_R | elf.PF_W | elf.PF_X)
	return l.Mapped && perm != 0 && !(f.execOnly && perm == elf.PF_X)
}

// MapAsKernel makes the loader's view the kernel's mapping of the file
// as an executable (fs/binfmt_elf.c elf_load) rather than ld.so's
// mapping of a library: they differ in the tail of the last file page of
// a read-only segment with zero-fill. Call it before reading through the
// view.
func (f *File) MapAsKernel() {
	f.image = newImageAs(f, PageSizeFor(f.Machine), true)
}

// MapAsKernelShifted makes f's image base's, as the kernel maps base, seen
// through addresses lowered by skew: address A of f reads base's address
// A+skew, page boundaries and all. It is for a view whose every address
// is off by an amount that need not be a page multiple (ld.so's l_addr
// skewed by a moved PT_PHDR), which program headers cannot describe: the
// kernel maps whole pages. It reports false, changing nothing, when a
// mapping would wrap around address 0.
func (f *File) MapAsKernelShifted(base *File, skew uint64) bool {
	bi := newImageAs(base, PageSizeFor(base.Machine), true)
	im := &Image{f: base, PageSize: bi.PageSize, byKernel: true}
	for _, m := range bi.Maps {
		start, end, fend := m.Start-skew, m.End-skew, m.FileEnd-skew
		if start > end || fend < start || fend > end {
			return false
		}
		p := *m.Prog
		p.Vaddr -= skew
		im.Maps = append(im.Maps, Mapping{Prog: &p, Start: start, End: end, FileEnd: fend})
	}
	f.image = im
	return true
}

// NewImage builds the loader's view with a given page size.
func (f *File) NewImage(pageSize uint64) *Image { return newImage(f, pageSize) }

func newImage(f *File, pageSize uint64) *Image { return newImageAs(f, pageSize, false) }

func newImageAs(f *File, pageSize uint64, byKernel bool) *Image {
	im := &Image{f: f, PageSize: pageSize, byKernel: byKernel}
	mask := pageSize - 1
	firstLoad := true
	for i := range f.Progs {
		p := &f.Progs[i]
		if p.Type != elf.PT_LOAD {
			continue
		}
		// ld.so maps a segment's file pages whatever p_memsz says
		// (_dl_map_object_from_fd's mapend comes from p_filesz alone);
		// the kernel refuses p_filesz > p_memsz.
		if p.Memsz == 0 && (byKernel || p.Filesz == 0) {
			firstLoad = firstLoad && byKernel
			continue
		}
		if !byKernel && !firstLoad && f.Type == elf.ET_DYN && p.Vaddr+p.Filesz < p.Vaddr {
			if im.wrappedFilesz(p) {
				continue
			}
		}
		wrappedFirst := !byKernel && firstLoad && f.Type == elf.ET_DYN && p.Filesz > p.Memsz
		firstLoad = false
		start := p.Vaddr &^ mask
		end, ok1 := addNoOverflow(p.Vaddr, p.Memsz)
		fend, ok2 := addNoOverflow(p.Vaddr, min(p.Filesz, p.Memsz))
		if !byKernel && (!ok1 || allocWraps(f, p)) {
			// allocend wraps below dataend: ld.so maps the file pages
			// and no zero-fill.
			end, ok1 = addNoOverflow(p.Vaddr, p.Filesz)
			fend, ok2 = end, ok1
		}
		if !ok1 || !ok2 {
			continue
		}
		end = roundUp(end, pageSize)
		fend = roundUp(fend, pageSize)
		if p.Filesz == 0 {
			fend = start
		}
		if !byKernel && p.Filesz > p.Memsz {
			// mapend in ld.so's wrapping arithmetic: past the segment's
			// start, its file pages reach it; at or below, none are
			// mapped from the file (wrappedFirstFilesz).
			fend = start
			if mapend := (p.Vaddr + p.Filesz + mask) &^ mask; mapend > start {
				fend = mapend
			}
			end = max(end, fend)
		}
		im.Maps = append(im.Maps, Mapping{Prog: p, Start: start, End: end, FileEnd: fend})
		if wrappedFirst {
			im.wrappedFirstFilesz(f, p, i)
		}
	}
	return im
}

// wrappedFirstFilesz replays _dl_map_segments for a first PT_LOAD whose
// p_vaddr + p_filesz, rounded up to a page, wraps around: its mapend
// falls to its own first page (or below), so the segments
// have holes, and the range from that mapend to the last segment's
// first page is made PROT_NONE before the later segments are mapped
// over it. Only the case where that range starts at the segment's own
// first page is modelled (p_vaddr in the first page, as linkers put
// it); from below, the mprotect would reach memory not the object's.
func (im *Image) wrappedFirstFilesz(f *File, p *Prog, i int) {
	mask := im.PageSize - 1
	mapstart := p.Vaddr &^ mask
	mapend := (p.Vaddr + p.Filesz + mask) &^ mask
	var last *Prog
	for j := i + 1; j < len(f.Progs); j++ {
		if q := &f.Progs[j]; q.Type == elf.PT_LOAD && q.Memsz != 0 {
			last = q
		}
	}
	if last == nil || mapend != mapstart {
		return
	}
	end := last.Vaddr &^ mask
	if end <= mapend {
		return
	}
	none := *p
	none.Flags, none.Offset, none.Vaddr, none.Filesz, none.Memsz = 0, 0, mapend, 0, end-mapend
	im.Maps = append(im.Maps, Mapping{Prog: &none, Start: mapend, End: end, FileEnd: mapend, ldso: true})
}

// wrappedFilesz replays what ld.so's _dl_map_segments
// (elf/dl-map-segments.h) makes of a PT_LOAD after the first whose
// p_vaddr + p_filesz wraps around: its dataend lies below the segment,
// its mapend at or below its mapstart, so nothing of it is mapped from
// the file; its zero-fill clears from dataend to the end of that page
// (another segment's page, left with this segment's protection) and
// maps anonymous zero pages from the next page to the segment's end. It
// adds those mappings and returns true, or false when the case is not
// that one (the clearing faults, or ends inside the page), leaving the
// segment to the usual view.
func (im *Image) wrappedFilesz(p *Prog) bool {
	mask := im.PageSize - 1
	dataend := p.Vaddr + p.Filesz
	mapstart := p.Vaddr &^ mask
	mapend := roundUp(dataend, im.PageSize)
	allocend, ok := addNoOverflow(p.Vaddr, p.Memsz)
	if ok && mapend > mapstart && dataend > mapstart {
		// dataend wrapped into the segment's own first page: ld.so maps
		// that page from the file (mapend - mapstart bytes at the
		// page-aligned offset), then clears from dataend to the end of
		// the page or to allocend, whichever comes first, and maps
		// anonymous pages from there to allocend: the dynamic table or
		// the version tables in that page read zeros.
		im.zeroFilled(p, p.Offset&^mask, mapstart, dataend, mapend, min(mapend, max(allocend, dataend)), allocend)
		return true
	}
	if !ok || mapend > mapstart || allocend <= dataend || dataend&mask == 0 {
		return false
	}
	zeropage := mapend
	if allocend < zeropage {
		return false
	}
	page := dataend &^ mask
	under := im.Lookup(page)
	if !under.Mapped || !under.File {
		return false
	}
	im.zeroFilled(p, under.Off, page, dataend, zeropage, zeropage, allocend)
	return true
}

// zeroFilled adds the mappings _dl_map_segments leaves for a damaged
// segment p: file bytes from off at start up to dataend, zeros from there
// to clearEnd, the rest of the file page up to fileEnd as the file has
// it, and anonymous zero pages from fileEnd to allocend.
func (im *Image) zeroFilled(p *Prog, off, start, dataend, fileEnd, clearEnd, allocend uint64) {
	file := *p
	file.Offset, file.Vaddr, file.Filesz, file.Memsz = off, start, dataend-start, clearEnd-start
	im.Maps = append(im.Maps, Mapping{Prog: &file, Start: start, End: fileEnd, FileEnd: fileEnd, ldso: true})
	if allocend > fileEnd {
		anon := *p
		anon.Offset, anon.Vaddr, anon.Filesz, anon.Memsz = 0, fileEnd, 0, allocend-fileEnd
		im.Maps = append(im.Maps, Mapping{Prog: &anon, Start: fileEnd, End: roundUp(allocend, im.PageSize), FileEnd: fileEnd, ldso: true})
	}
}

// allocWraps says whether ld.so's allocend, the load address plus
// p_vaddr plus p_memsz, wraps past the top of memory wherever a 64-bit
// library is loaded (at or above 4 GiB): _dl_map_segments then finds
// zeroend below the data's end and zero-fills nothing.
func allocWraps(f *File, p *Prog) bool {
	end, ok := addNoOverflow(p.Vaddr, p.Memsz)
	return !ok || (f.Class == elf.ELFCLASS64 && end > math.MaxUint64-1<<32)
}

func addNoOverflow(a, b uint64) (uint64, bool) {
	s := a + b
	return s, s >= a
}

func roundUp(v, align uint64) uint64 {
	if align == 0 {
		return v
	}
	r := (v + align - 1) &^ (align - 1)
	if r < v {
		return ^uint64(0) &^ (align - 1)
	}
	return r
}

// Lookup says where the byte at addr comes from.
func (im *Image) Lookup(addr uint64) Loc {
	loc := Loc{Addr: addr, Map: -1, Prog: -1}
	for i := len(im.Maps) - 1; i >= 0; i-- {
		m := &im.Maps[i]
		if addr < m.Start || addr >= m.End {
			continue
		}
		if loc.Mapped {
			loc.Shadowed = append(loc.Shadowed, m.Prog.Index)
			continue
		}
		p := m.Prog
		loc.Mapped = true
		loc.Map = i
		loc.Prog = p.Index
		loc.Perm = p.Flags
		loc.InSegment = addr >= p.Vaddr && addr-p.Vaddr < p.Memsz
		if addr < m.FileEnd {
			// File pages map the file from the page-aligned offset, so
			// bytes outside [p_vaddr, p_vaddr+p_filesz) on those pages
			// are file bytes too, unless zero-fill cleared them: the
			// kernel clears the rest of a writable segment's last file
			// page (padzero), ld.so only up to p_memsz
			// (_dl_map_segments), so a lookup past a library's data
			// reads the file's bytes there.
			fileStart := p.Offset - (p.Vaddr - m.Start)
			inTail := addr-p.Vaddr >= p.Filesz && addr >= p.Vaddr
			cleared := inTail && p.Memsz > p.Filesz
			if im.byKernel {
				cleared = cleared && p.Flags&elf.PF_W != 0
			} else {
				cleared = cleared && addr-p.Vaddr < p.Memsz && !allocWraps(im.f, p)
			}
			if !cleared && p.Offset >= p.Vaddr-m.Start {
				loc.File = true
				loc.Off = fileStart + (addr - m.Start)
			}
		}
	}
	return loc
}

// Contiguous returns how many bytes starting at addr share the same
// backing (same mapping, same file/zero state) so reads can be done in one
// piece. It is at least 1 for mapped addresses.
func (im *Image) contiguous(l Loc) uint64 {
	m := &im.Maps[l.Map]
	p := m.Prog
	limit := m.End
	// Boundaries inside this mapping where the backing changes.
	for _, b := range []uint64{p.Vaddr, p.Vaddr + p.Filesz, m.FileEnd, p.Vaddr + p.Memsz} {
		if b > l.Addr && b < limit {
			limit = b
		}
	}
	// Later mappings replace pages of this one.
	for j := l.Map + 1; j < len(im.Maps); j++ {
		if s := im.Maps[j].Start; s > l.Addr && s < limit {
			limit = s
		}
	}
	return limit - l.Addr
}

// ReadAt fills p with the memory at addr as the loader would see it,
// reading file bytes from the file and zeros for zero-fill. It fails at
// the first unmapped byte, naming the address.
func (im *Image) ReadAt(p []byte, addr uint64, what string) error {
	for len(p) > 0 {
		l := im.Lookup(addr)
		if !l.Mapped {
			e := errMem(addr, what, "address not mapped by any PT_LOAD", nil)
			e.Fault = FaultUnmapped
			return e
		}
		// A segment without R, W or X is mapped PROT_NONE. On x86, W and
		// X imply R, but for X alone under protection keys (SetExecOnly).
		if !im.f.Readable(l) {
			msg := fmt.Sprintf("mapped with no access by program header %d (p_flags 0)", l.Prog)
			if l.Perm&(elf.PF_R|elf.PF_W|elf.PF_X) != 0 {
				msg = fmt.Sprintf("mapped execute-only by program header %d (p_flags X): this CPU's protection keys let code run there, not be read", l.Prog)
			}
			e := errMem(addr, what, msg, nil)
			e.Fault = FaultUnmapped
			return e
		}
		n := im.contiguous(l)
		if n > uint64(len(p)) {
			n = uint64(len(p))
		}
		size := uint64(im.f.size)
		if l.File {
			// A file mapping reads the file up to its end, zeros for the
			// rest of the page the file ends in, and faults (SIGBUS) on
			// pages wholly past the end.
			switch {
			case l.Off < size:
				n = min(n, size-l.Off)
			case l.Off&^(im.PageSize-1) < size:
				n = min(n, roundUp(size, im.PageSize)-l.Off)
				clear(p[:n])
				p = p[n:]
				addr += n
				continue
			default:
				return &FormatError{Off: int64(l.Off), Addr: addr, InMem: true, Struct: what,
					Msg: fmt.Sprintf("mapped from past end of file (size 0x%x): the kernel would raise SIGBUS here", im.f.size), Fault: FaultPastEOF}
			}
		}
		chunk := p[:n]
		if l.File {
			if err := im.f.readAt(chunk, int64(l.Off)); err != nil {
				return &FormatError{Off: int64(l.Off), Addr: addr, InMem: true, Struct: what, Msg: "read: " + err.Error()}
			}
		} else {
			clear(chunk)
		}
		p = p[n:]
		addr += n
		if addr == 0 && len(p) > 0 {
			e := errMem(addr, what, "read wraps around the address space", nil)
			e.Fault = FaultUnmapped
			return e
		}
	}
	return nil
}

// Read reads n bytes at addr. n is capped by the caller; Read refuses more
// than 16 MiB so that no file-provided size can make it allocate more.
func (im *Image) Read(addr, n uint64, what string) ([]byte, error) {
	if n > 16<<20 {
		return nil, errMem(addr, what, "read too large", n)
	}
	b := make([]byte, n)
	if err := im.ReadAt(b, addr, what); err != nil {
		return nil, err
	}
	return b, nil
}

// CString reads a NUL-terminated string at addr, at most max bytes long.
// It reads in small pieces so a string near the end of a mapping works.
func (im *Image) CString(addr uint64, max int, what string) (string, error) {
	var out []byte
	var buf [64]byte
	for len(out) < max {
		n := uint64(len(buf))
		l := im.Lookup(addr)
		if !l.Mapped {
			e := errMem(addr, what, "string runs into unmapped memory", nil)
			e.Fault = FaultUnmapped
			return "", e
		}
		if c := im.contiguous(l); c < n {
			n = c
		}
		if err := im.ReadAt(buf[:n], addr, what); err != nil {
			return "", err
		}
		for _, c := range buf[:n] {
			if c == 0 {
				return string(out), nil
			}
			out = append(out, c)
			if len(out) >= max {
				break
			}
		}
		addr += n
	}
	return "", errMem(addr, what, fmt.Sprintf("string longer than %d bytes", max), nil)
}

// Overlap is a range of pages where a later PT_LOAD replaced an earlier
// one's mapping.
type Overlap struct {
	Start, End  uint64
	Earlier     int // program header index
	Later       int
	EarlierPerm elf.ProgFlag
	LaterPerm   elf.ProgFlag
}

// MaxOverlaps is how many overlapping pairs Overlaps lists. n PT_LOADs
// can overlap in n(n-1)/2 pairs (2 billion for 65,535), and no reader
// needs more than the first few hundred to see what happened; the rest
// are counted by OverlapCount.
const MaxOverlaps = 256

// Overlaps lists the page ranges that two PT_LOADs both map, in address
// order, at most MaxOverlaps of them. The later mapping wins, so its
// permissions are the ones in force.
func (im *Image) Overlaps() []Overlap {
	im.findOverlaps()
	return im.overlaps
}

// OverlapCount is how many pairs of PT_LOADs overlap, listed or not.
func (im *Image) OverlapCount() uint64 {
	im.findOverlaps()
	return im.overlapCount
}

// findOverlaps sweeps the mappings in address order, keeping those still
// open in a heap by end, so listing costs O(n log n + MaxOverlaps) and
// the count O(n log n): the pairs that do not overlap are those where
// one ends before the other starts, counted by binary search over the
// sorted starts.
func (im *Image) findOverlaps() {
	if im.overlapsDone {
		return
	}
	im.overlapsDone = true
	var idx []int
	for i := range im.Maps {
		if im.Maps[i].Start < im.Maps[i].End && !im.Maps[i].ldso {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(x, y int) bool { return im.Maps[idx[x]].Start < im.Maps[idx[y]].Start })
	starts := make([]uint64, len(idx))
	for k, i := range idx {
		starts[k] = im.Maps[i].Start
	}
	n := uint64(len(idx))
	apart := uint64(0)
	for _, i := range idx {
		end := im.Maps[i].End
		apart += n - uint64(sort.Search(len(starts), func(k int) bool { return starts[k] >= end }))
	}
	if n > 1 {
		im.overlapCount = n*(n-1)/2 - apart
	}
	if im.overlapCount == 0 {
		return
	}
	open := &endHeap{maps: im.Maps}
	for _, i := range idx {
		cur := &im.Maps[i]
		for open.Len() > 0 && im.Maps[open.idx[0]].End <= cur.Start {
			heap.Pop(open)
		}
		for _, j := range open.idx {
			if len(im.overlaps) >= MaxOverlaps {
				break
			}
			a, b := &im.Maps[min(i, j)], &im.Maps[max(i, j)]
			im.overlaps = append(im.overlaps, Overlap{Start: cur.Start, End: min(cur.End, im.Maps[j].End),
				Earlier: a.Prog.Index, Later: b.Prog.Index, EarlierPerm: a.Prog.Flags, LaterPerm: b.Prog.Flags})
		}
		if len(im.overlaps) >= MaxOverlaps {
			break
		}
		heap.Push(open, i)
	}
	sort.Slice(im.overlaps, func(x, y int) bool {
		a, b := im.overlaps[x], im.overlaps[y]
		if a.Start != b.Start {
			return a.Start < b.Start
		}
		if a.Earlier != b.Earlier {
			return a.Earlier < b.Earlier
		}
		return a.Later < b.Later
	})
}

// endHeap holds indexes into maps, the one that ends first on top.
type endHeap struct {
	maps []Mapping
	idx  []int
}

func (h *endHeap) Len() int           { return len(h.idx) }
func (h *endHeap) Less(a, b int) bool { return h.maps[h.idx[a]].End < h.maps[h.idx[b]].End }
func (h *endHeap) Swap(a, b int)      { h.idx[a], h.idx[b] = h.idx[b], h.idx[a] }
func (h *endHeap) Push(x any)         { h.idx = append(h.idx, x.(int)) }
func (h *endHeap) Pop() any {
	x := h.idx[len(h.idx)-1]
	h.idx = h.idx[:len(h.idx)-1]
	return x
}
