package inspect

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/elfdoctor/elfdoctor/internal/mmapfile"
	"github.com/elfdoctor/elfdoctor/internal/safeopen"
)

// Caps on what a header may make us read. They are far above anything a
// real toolchain produces and far below what would hurt a 2-core CI box.
const (
	maxProgs     = 1 << 16 // e_phnum is 16 bits unless PN_XNUM
	maxSections  = 1 << 20
	maxNameLen   = 4096 // section names, dynamic strings, interpreter
	maxDynamic   = 1 << 16
	maxNoteBytes = 1 << 20
	// maxEntSize caps e_phentsize and e_shentsize. Real files use the
	// structure's own size (56/64 bytes; the kernel refuses any other
	// e_phentsize); a large one only stretches a table over padding.
	maxEntSize = 1024
	// tableChunk is how much of a header table is read at a time, so
	// that a table never costs a buffer of its size in the file.
	tableChunk = 64 << 10
	// maxShstrtab is the largest section name table read in one piece;
	// a larger one is read name by name.
	maxShstrtab = 16 << 20
)

// Header is the ELF file header, widened to 64 bits.
type Header struct {
	Class     elf.Class
	Data      elf.Data
	Version   uint8
	OSABI     elf.OSABI
	Type      elf.Type
	Machine   elf.Machine
	Entry     uint64
	Phoff     uint64
	Shoff     uint64
	Flags     uint32
	Ehsize    uint16
	Phentsize uint16
	Phnum     int // after PN_XNUM resolution
	Shentsize uint16
	Shnum     int // after the SHN_UNDEF escape
	Shstrndx  int // after SHN_XINDEX resolution
}

// Prog is a program header, widened to 64 bits.
type Prog struct {
	Index  int
	Off    int64 // where the header itself is in the file
	Type   elf.ProgType
	Flags  elf.ProgFlag
	Offset uint64
	Vaddr  uint64
	Paddr  uint64
	Filesz uint64
	Memsz  uint64
	Align  uint64
}

// ZeroFill is the part of the segment the kernel zero-fills (the BSS-style
// slack between p_filesz and p_memsz).
func (p *Prog) ZeroFill() uint64 {
	if p.Memsz > p.Filesz {
		return p.Memsz - p.Filesz
	}
	return 0
}

// Section is a section header, widened to 64 bits.
type Section struct {
	Index     int
	Name      string
	Type      elf.SectionType
	Flags     elf.SectionFlag
	Addr      uint64
	Offset    uint64
	Size      uint64
	Link      uint32
	Info      uint32
	Addralign uint64
	Entsize   uint64
}

// File is an ELF file opened for inspection. Only headers are read when it
// is opened; everything else is read on demand.
type File struct {
	Header
	Progs    []Prog
	Sections []Section

	r     io.ReaderAt
	size  int64
	order binary.ByteOrder
	// closer is set when Open opened the file itself.
	closer io.Closer

	// Problems met while reading the headers that did not stop the
	// parse, such as unreadable section headers. The loader does not need
	// section headers, so a file whose section table is damaged can still
	// be judged in the loader's view.
	Problems []error

	image *Image
	cache *blockCache
	// mapped is the file mapped into memory when Open could map it;
	// readAt then copies from it instead of reading.
	mapped *mmapfile.File
	// scanMem is the buffer scans read into, kept between scans.
	scanMem []byte
	// execOnly: pages a segment maps with PF_X alone cannot be read
	// (SetExecOnly).
	execOnly bool
}

// Open opens the named file, which must be a regular file (a FIFO or a
// device named by an input is refused, never read). The caller must Close
// it.
func Open(name string) (*File, error) {
	fh, err := safeopen.Regular(name)
	if err != nil {
		return nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, err
	}
	// Mapped, the scattered small reads of the tables cost a page fault
	// per 64 KiB or so of the file instead of a pread and a fresh block
	// each; a file that cannot be mapped is read.
	m, _ := mmapfile.Map(fh, st.Size())
	f, err := newFile(fh, st.Size(), m)
	if err != nil {
		if m != nil {
			m.Close()
		}
		fh.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	f.closer = fh
	return f, nil
}

// Close closes the underlying file if Open opened it.
func (f *File) Close() error {
	if f.mapped != nil {
		f.mapped.Close()
		f.mapped = nil
	}
	if f.closer != nil {
		return f.closer.Close()
	}
	return nil
}

// Size is the size of the file in bytes.
func (f *File) Size() int64 { return f.size }

// ByteOrder is the file's byte order.
func (f *File) ByteOrder() binary.ByteOrder { return f.order }

// NewFile reads the ELF and program headers, and the section headers if
// they are sane, from r, whose size is size.
func NewFile(r io.ReaderAt, size int64) (f *File, err error) {
	return newFile(r, size, nil)
}

func newFile(r io.ReaderAt, size int64, m *mmapfile.File) (f *File, err error) {
	defer catchPanic(&err, "ELF headers")
	f = &File{r: r, size: size, mapped: m}
	if err := f.readHeader(); err != nil {
		return nil, err
	}
	if err := f.readProgs(); err != nil {
		return nil, err
	}
	if err := f.readSections(); err != nil {
		// Keep going: nothing the loader does depends on sections.
		f.Problems = append(f.Problems, err)
		f.Sections = nil
	}
	return f, nil
}

// catchPanic turns a panic in a parser into an *InternalError. Parsers
// are written not to panic; this is the last line of defence, not the
// first, and the fuzz targets fail on what it catches.
func catchPanic(err *error, what string) {
	if r := recover(); r != nil {
		*err = &InternalError{What: what, Value: r}
	}
}

// readFull reads exactly n bytes at off, refusing reads past the end of the
// file before allocating anything.
func (f *File) readFull(off int64, n uint64, what string) ([]byte, error) {
	if off < 0 || uint64(off) > uint64(f.size) || n > uint64(f.size)-uint64(off) {
		return nil, errAt(off, what, fmt.Sprintf("%d bytes past end of file (size 0x%x)", n, f.size), nil)
	}
	b := make([]byte, n)
	if err := f.readAt(b, off); err != nil {
		return nil, errAt(off, what, "read: "+err.Error(), nil)
	}
	return b, nil
}

func (f *File) readHeader() error {
	var ident [elf.EI_NIDENT]byte
	if f.size < elf.EI_NIDENT {
		if f.size >= 4 {
			if _, err := f.r.ReadAt(ident[:4], 0); err == nil && !bytes.Equal(ident[:4], []byte(elf.ELFMAG)) {
				return ErrNotELF
			}
		} else {
			return ErrNotELF
		}
		return errAt(0, "ELF header", fmt.Sprintf("file is %d bytes, shorter than e_ident", f.size), nil)
	}
	if _, err := f.r.ReadAt(ident[:], 0); err != nil {
		return errAt(0, "ELF header", "read: "+err.Error(), nil)
	}
	if !bytes.Equal(ident[:4], []byte(elf.ELFMAG)) {
		return ErrNotELF
	}
	h := &f.Header
	h.Class = elf.Class(ident[elf.EI_CLASS])
	h.Data = elf.Data(ident[elf.EI_DATA])
	h.Version = ident[elf.EI_VERSION]
	h.OSABI = elf.OSABI(ident[elf.EI_OSABI])
	switch h.Data {
	case elf.ELFDATA2LSB:
		f.order = binary.LittleEndian
	case elf.ELFDATA2MSB:
		f.order = binary.BigEndian
	default:
		return errAt(elf.EI_DATA, "ELF header", "unknown data encoding", uint64(h.Data))
	}
	var hsize uint64
	switch h.Class {
	case elf.ELFCLASS32:
		hsize = 52
	case elf.ELFCLASS64:
		hsize = 64
	default:
		return errAt(elf.EI_CLASS, "ELF header", "unknown class", uint64(h.Class))
	}
	b, err := f.readFull(0, hsize, "ELF header")
	if err != nil {
		return err
	}
	o := f.order
	h.Type = elf.Type(o.Uint16(b[16:]))
	h.Machine = elf.Machine(o.Uint16(b[18:]))
	var phnum, shnum, shstrndx uint16
	if h.Class == elf.ELFCLASS32 {
		h.Entry = uint64(o.Uint32(b[24:]))
		h.Phoff = uint64(o.Uint32(b[28:]))
		h.Shoff = uint64(o.Uint32(b[32:]))
		h.Flags = o.Uint32(b[36:])
		h.Ehsize = o.Uint16(b[40:])
		h.Phentsize = o.Uint16(b[42:])
		phnum = o.Uint16(b[44:])
		h.Shentsize = o.Uint16(b[46:])
		shnum = o.Uint16(b[48:])
		shstrndx = o.Uint16(b[50:])
	} else {
		h.Entry = o.Uint64(b[24:])
		h.Phoff = o.Uint64(b[32:])
		h.Shoff = o.Uint64(b[40:])
		h.Flags = o.Uint32(b[48:])
		h.Ehsize = o.Uint16(b[52:])
		h.Phentsize = o.Uint16(b[54:])
		phnum = o.Uint16(b[56:])
		h.Shentsize = o.Uint16(b[58:])
		shnum = o.Uint16(b[60:])
		shstrndx = o.Uint16(b[62:])
	}
	h.Phnum, h.Shnum, h.Shstrndx = int(phnum), int(shnum), int(shstrndx)

	// Large counts escape into section header 0 (gABI "Extended Section
	// Numbering"). Read it only if it is there.
	if h.Shoff != 0 && (phnum == 0xffff || shnum == 0 || shstrndx == uint16(elf.SHN_XINDEX)) && h.Shentsize >= f.shdrSize() {
		if s0, err := f.readSectionHeader(0); err == nil {
			if phnum == 0xffff {
				h.Phnum = int(s0.Info)
			}
			if shnum == 0 {
				if s0.Size > maxSections {
					return errAt(int64(h.Shoff), "section header 0", "extended section count too large", s0.Size)
				}
				h.Shnum = int(s0.Size)
			}
			if shstrndx == uint16(elf.SHN_XINDEX) {
				h.Shstrndx = int(s0.Link)
			}
		}
	}
	return nil
}

func (f *File) phdrSize() uint16 {
	if f.Class == elf.ELFCLASS32 {
		return 32
	}
	return 56
}

func (f *File) shdrSize() uint16 {
	if f.Class == elf.ELFCLASS32 {
		return 40
	}
	return 64
}

func (f *File) readProgs() error {
	h := &f.Header
	if h.Phnum == 0 {
		return nil
	}
	if h.Phentsize < f.phdrSize() {
		return errAt(int64(h.Phoff), "program header table", fmt.Sprintf("e_phentsize %d smaller than %d", h.Phentsize, f.phdrSize()), nil)
	}
	if h.Phentsize > maxEntSize {
		return errAt(int64(h.Phoff), "program header table", fmt.Sprintf("e_phentsize %d larger than %d", h.Phentsize, maxEntSize), nil)
	}
	if h.Phnum > maxProgs {
		return errAt(int64(h.Phoff), "program header table", "too many program headers", uint64(h.Phnum))
	}
	total := uint64(h.Phnum) * uint64(h.Phentsize)
	if h.Phoff > uint64(f.size) || total > uint64(f.size)-h.Phoff {
		return errAt(int64(h.Phoff), "program header table",
			fmt.Sprintf("%d entries of %d bytes extend past end of file (size 0x%x)", h.Phnum, h.Phentsize, f.size), nil)
	}
	f.Progs = make([]Prog, h.Phnum)
	o := f.order
	return f.readTable(h.Phoff, h.Phnum, h.Phentsize, "program header table", func(i int, p []byte) {
		ph := &f.Progs[i]
		ph.Index = i
		ph.Off = int64(h.Phoff) + int64(i)*int64(h.Phentsize)
		if f.Class == elf.ELFCLASS32 {
			ph.Type = elf.ProgType(o.Uint32(p[0:]))
			ph.Offset = uint64(o.Uint32(p[4:]))
			ph.Vaddr = uint64(o.Uint32(p[8:]))
			ph.Paddr = uint64(o.Uint32(p[12:]))
			ph.Filesz = uint64(o.Uint32(p[16:]))
			ph.Memsz = uint64(o.Uint32(p[20:]))
			ph.Flags = elf.ProgFlag(o.Uint32(p[24:]))
			ph.Align = uint64(o.Uint32(p[28:]))
		} else {
			ph.Type = elf.ProgType(o.Uint32(p[0:]))
			ph.Flags = elf.ProgFlag(o.Uint32(p[4:]))
			ph.Offset = o.Uint64(p[8:])
			ph.Vaddr = o.Uint64(p[16:])
			ph.Paddr = o.Uint64(p[24:])
			ph.Filesz = o.Uint64(p[32:])
			ph.Memsz = o.Uint64(p[40:])
			ph.Align = o.Uint64(p[48:])
		}
	})
}

// readTable reads n entries of entSize bytes at off, tableChunk bytes at
// a time, and hands each entry to decode. The caller has checked that the
// table lies within the file.
func (f *File) readTable(off uint64, n int, entSize uint16, what string, decode func(i int, b []byte)) error {
	per := max(1, tableChunk/int(entSize))
	buf := make([]byte, min(n, per)*int(entSize))
	for i := 0; i < n; i += per {
		k := min(per, n-i)
		chunk := buf[:k*int(entSize)]
		at := int64(off) + int64(i)*int64(entSize)
		if err := f.readAt(chunk, at); err != nil {
			return errAt(at, what, "read: "+err.Error(), nil)
		}
		for j := 0; j < k; j++ {
			decode(i+j, chunk[j*int(entSize):])
		}
	}
	return nil
}

func (f *File) readSectionHeader(i int) (Section, error) {
	off := f.Shoff + uint64(i)*uint64(f.Shentsize)
	b, err := f.readFull(int64(off), uint64(f.shdrSize()), fmt.Sprintf("section header %d", i))
	if err != nil {
		return Section{}, err
	}
	s, _ := f.decodeSection(b)
	s.Index = i
	return s, nil
}

// decodeSection decodes one section header; the name is left for the
// caller to resolve from the returned sh_name.
func (f *File) decodeSection(b []byte) (s Section, nameOff uint32) {
	o := f.order
	nameOff = o.Uint32(b[0:])
	if f.Class == elf.ELFCLASS32 {
		s.Type = elf.SectionType(o.Uint32(b[4:]))
		s.Flags = elf.SectionFlag(o.Uint32(b[8:]))
		s.Addr = uint64(o.Uint32(b[12:]))
		s.Offset = uint64(o.Uint32(b[16:]))
		s.Size = uint64(o.Uint32(b[20:]))
		s.Link = o.Uint32(b[24:])
		s.Info = o.Uint32(b[28:])
		s.Addralign = uint64(o.Uint32(b[32:]))
		s.Entsize = uint64(o.Uint32(b[36:]))
	} else {
		s.Type = elf.SectionType(o.Uint32(b[4:]))
		s.Flags = elf.SectionFlag(o.Uint64(b[8:]))
		s.Addr = o.Uint64(b[16:])
		s.Offset = o.Uint64(b[24:])
		s.Size = o.Uint64(b[32:])
		s.Link = o.Uint32(b[40:])
		s.Info = o.Uint32(b[44:])
		s.Addralign = o.Uint64(b[48:])
		s.Entsize = o.Uint64(b[56:])
	}
	return s, nameOff
}

func (f *File) readSections() error {
	h := &f.Header
	if h.Shoff == 0 || h.Shnum == 0 {
		return nil
	}
	if h.Shentsize < f.shdrSize() {
		return errAt(int64(h.Shoff), "section header table", fmt.Sprintf("e_shentsize %d smaller than %d", h.Shentsize, f.shdrSize()), nil)
	}
	if h.Shentsize > maxEntSize {
		return errAt(int64(h.Shoff), "section header table", fmt.Sprintf("e_shentsize %d larger than %d", h.Shentsize, maxEntSize), nil)
	}
	if h.Shnum > maxSections {
		return errAt(int64(h.Shoff), "section header table", "too many sections", uint64(h.Shnum))
	}
	total := uint64(h.Shnum) * uint64(h.Shentsize)
	if h.Shoff > uint64(f.size) || total > uint64(f.size)-h.Shoff {
		return errAt(int64(h.Shoff), "section header table",
			fmt.Sprintf("%d entries of %d bytes extend past end of file (size 0x%x)", h.Shnum, h.Shentsize, f.size), nil)
	}
	secs := make([]Section, h.Shnum)
	nameOffs := make([]uint32, h.Shnum)
	err := f.readTable(h.Shoff, h.Shnum, h.Shentsize, "section header table", func(i int, b []byte) {
		secs[i], nameOffs[i] = f.decodeSection(b)
		secs[i].Index = i
	})
	if err != nil {
		return err
	}
	f.Sections = secs
	if h.Shstrndx <= 0 || h.Shstrndx >= len(secs) {
		if h.Shstrndx != 0 {
			return errAt(int64(h.Shoff), "section header table", "e_shstrndx out of range", uint64(h.Shstrndx))
		}
		return nil
	}
	strs := secs[h.Shstrndx]
	if strs.Type == elf.SHT_NOBITS {
		return errAt(int64(h.Shoff), "section name table", "is SHT_NOBITS", nil)
	}
	// Read the name table once when it is of a sane size and inside the
	// file: a name by name read costs a 4 KiB read per section.
	var tab []byte
	if strs.Size <= maxShstrtab && strs.Offset <= uint64(f.size) && strs.Size <= uint64(f.size)-strs.Offset {
		tab, _ = f.readFull(int64(strs.Offset), strs.Size, "section name table")
	}
	for i := range secs {
		if tab != nil {
			if idx := uint64(nameOffs[i]); idx < uint64(len(tab)) {
				if n := bytes.IndexByte(tab[idx:min(uint64(len(tab)), idx+maxNameLen)], 0); n >= 0 {
					secs[i].Name = string(tab[idx : idx+uint64(n)])
					continue
				}
			}
		}
		// Named only here: formatting it for every section cost a file
		// with 70 sections more than reading their names.
		name, err := f.cstringAt(strs.Offset, strs.Size, uint64(nameOffs[i]), fmt.Sprintf("name of section %d", i))
		if err != nil {
			f.Problems = append(f.Problems, err)
			continue
		}
		secs[i].Name = name
	}
	return nil
}

// cstringAt reads a NUL-terminated string at index idx of a string table
// that lives at file offset tabOff with size tabSize.
func (f *File) cstringAt(tabOff, tabSize, idx uint64, what string) (string, error) {
	if idx >= tabSize {
		return "", errAt(int64(tabOff), what, "string index past end of table", idx)
	}
	if tabOff > uint64(f.size) {
		return "", errAt(int64(tabOff), what, "string table past end of file", nil)
	}
	end := tabOff + tabSize
	if end < tabOff || end > uint64(f.size) {
		end = uint64(f.size)
	}
	off := tabOff + idx
	if off >= end {
		return "", errAt(int64(off), what, "string past end of file", nil)
	}
	n := end - off
	if n > maxNameLen {
		n = maxNameLen
	}
	b, err := f.readFull(int64(off), n, what)
	if err != nil {
		return "", err
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return string(b[:i]), nil
	}
	return "", errAt(int64(off), what, "string not NUL-terminated", nil)
}

// SectionAt returns the allocated section that contains vaddr in the file
// view, or nil. NOBITS sections count: an address in .bss is in .bss.
func (f *File) SectionAt(vaddr uint64) *Section {
	var best *Section
	for i := range f.Sections {
		s := &f.Sections[i]
		if s.Flags&elf.SHF_ALLOC == 0 || s.Type == elf.SHT_NULL || s.Size == 0 {
			continue
		}
		if vaddr >= s.Addr && vaddr-s.Addr < s.Size {
			// .tbss overlaps the sections after it in the file view
			// but occupies no address space of its own there.
			if s.Flags&elf.SHF_TLS != 0 && s.Type == elf.SHT_NOBITS {
				continue
			}
			if best == nil {
				best = s
			}
		}
	}
	return best
}

// SectionsIn lists the names of the allocated sections that lie within the
// program header's address range, in address order, as readelf's
// "Section to Segment mapping" does.
func (f *File) SectionsIn(p *Prog) []string {
	var names []string
	for i := range f.Sections {
		s := &f.Sections[i]
		if sectionInSegment(s, p) {
			names = append(names, s.Name)
		}
	}
	return names
}

// sectionInSegment follows binutils' ELF_SECTION_IN_SEGMENT closely enough
// to agree with readelf on real files: SHF_ALLOC sections are placed by
// address, others by file offset, and .tbss only belongs to PT_TLS.
func sectionInSegment(s *Section, p *Prog) bool {
	if s.Type == elf.SHT_NULL {
		return false
	}
	tbss := s.Flags&elf.SHF_TLS != 0 && s.Type == elf.SHT_NOBITS
	if s.Flags&elf.SHF_TLS != 0 && p.Type != elf.PT_TLS && p.Type != elf.PT_LOAD && p.Type != elf.PT_GNU_RELRO {
		return false
	}
	if s.Flags&elf.SHF_TLS == 0 && p.Type == elf.PT_TLS {
		return false
	}
	if tbss && p.Type != elf.PT_TLS {
		return false
	}
	if s.Flags&elf.SHF_ALLOC == 0 {
		// Non-alloc sections only count for segments that have file contents.
		if p.Type == elf.PT_LOAD || p.Type == elf.PT_DYNAMIC || p.Type == elf.PT_GNU_RELRO || p.Filesz == 0 {
			return false
		}
		return s.Type != elf.SHT_NOBITS && s.Offset >= p.Offset && s.Offset-p.Offset < p.Filesz && s.Size <= p.Filesz-(s.Offset-p.Offset)
	}
	// Alloc sections: by address, with non-NOBITS also needing file bytes.
	if s.Addr < p.Vaddr {
		return false
	}
	d := s.Addr - p.Vaddr
	size := s.Size
	if size == 0 {
		// Empty sections belong where their address is, but not at the
		// very end of a segment.
		return d < p.Memsz || (d == 0 && p.Memsz == 0)
	}
	if d >= p.Memsz || size > p.Memsz-d {
		return false
	}
	if s.Type != elf.SHT_NOBITS {
		if s.Offset < p.Offset {
			return false
		}
		fd := s.Offset - p.Offset
		if fd >= p.Filesz || size > p.Filesz-fd {
			return false
		}
	}
	return true
}

// Interp returns the PT_INTERP string as the kernel reads it: p_filesz
// bytes at p_offset, which must end in NUL. ok is false if there is no
// PT_INTERP.
func (f *File) Interp() (interp string, ok bool, err error) {
	for i := range f.Progs {
		p := &f.Progs[i]
		if p.Type != elf.PT_INTERP {
			continue
		}
		what := fmt.Sprintf("PT_INTERP (program header %d)", p.Index)
		// The kernel refuses interpreters longer than PATH_MAX or shorter than 2.
		if p.Filesz < 2 || p.Filesz > maxNameLen {
			return "", true, errAt(int64(p.Offset), what, "interpreter length out of range [2, 4096]", p.Filesz)
		}
		b, err := f.readFull(int64(p.Offset), p.Filesz, what)
		if err != nil {
			return "", true, err
		}
		if b[len(b)-1] != 0 {
			return string(bytes.TrimRight(b, "\x00")), true, errAt(int64(p.Offset), what, "interpreter path not NUL-terminated", nil)
		}
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i]
		}
		return string(b), true, nil
	}
	return "", false, nil
}

// ProgsOfType returns the program headers of type t, in file order.
func (f *File) ProgsOfType(t elf.ProgType) []*Prog {
	var ps []*Prog
	for i := range f.Progs {
		if f.Progs[i].Type == t {
			ps = append(ps, &f.Progs[i])
		}
	}
	return ps
}

// PhdrSize is the size of one program header for the file's class: the
// e_phentsize the kernel and ld.so require.
func (f *File) PhdrSize() uint16 { return f.phdrSize() }

// ReadFull reads exactly n bytes at file offset off, refusing reads past
// the end of the file before allocating anything; what names the
// structure in the error.
func (f *File) ReadFull(off int64, n uint64, what string) ([]byte, error) {
	return f.readFull(off, n, what)
}

// ReadInto fills p from file offset off, refusing reads past the end of
// the file before reading anything; what names the structure in the
// error. It is ReadFull for a caller that reuses its buffer.
func (f *File) ReadInto(p []byte, off int64, what string) error {
	if off < 0 || uint64(off) > uint64(f.size) || uint64(len(p)) > uint64(f.size)-uint64(off) {
		return errAt(off, what, fmt.Sprintf("%d bytes past end of file (size 0x%x)", len(p), f.size), nil)
	}
	if err := f.readAt(p, off); err != nil {
		return errAt(off, what, "read: "+err.Error(), nil)
	}
	return nil
}

// View calls fn with the n bytes at file offset off, refusing a range
// past the end of the file; what names the structure in the error. A
// file Open mapped lends its pages, which fn must not keep a slice of;
// any other is read into a buffer first. It is for searching a large
// region (a section for a string) without copying it.
func (f *File) View(off int64, n uint64, what string, fn func(b []byte)) error {
	if off < 0 || uint64(off) > uint64(f.size) || n > uint64(f.size)-uint64(off) {
		return errAt(off, what, fmt.Sprintf("%d bytes past end of file (size 0x%x)", n, f.size), nil)
	}
	if f.mapped == nil {
		b, err := f.readFull(off, n, what)
		if err != nil {
			return err
		}
		fn(b)
		return nil
	}
	if err := f.mapped.Do(off, int64(n), fn); err != nil {
		return errAt(off, what, "read: "+err.Error(), nil)
	}
	return nil
}
