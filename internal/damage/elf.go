package damage

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
)

// image is a pristine ELF file being damaged: its bytes and the headers
// that say where everything is. It is parsed with the standard library's
// debug/elf, not with the package under test, so a bug in elfdoctor's
// parser cannot hide the damage it is meant to find.
type image struct {
	b     []byte
	ef    *elf.File
	o     binary.ByteOrder
	is64  bool
	phoff uint64
	phent uint64
}

// parse reads the headers of a copy of b.
func parse(b []byte) (*image, error) {
	b = bytes.Clone(b)
	ef, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	im := &image{b: b, ef: ef, o: ef.ByteOrder, is64: ef.Class == elf.ELFCLASS64}
	if im.is64 {
		im.phoff = im.o.Uint64(b[32:])
		im.phent = uint64(im.o.Uint16(b[54:]))
	} else {
		im.phoff = uint64(im.o.Uint32(b[28:]))
		im.phent = uint64(im.o.Uint16(b[42:]))
	}
	return im, nil
}

// word is the size of an address in the file's class.
func (im *image) word() uint64 {
	if im.is64 {
		return 8
	}
	return 4
}

func (im *image) putWord(off, v uint64) {
	if im.is64 {
		im.o.PutUint64(im.b[off:], v)
	} else {
		im.o.PutUint32(im.b[off:], uint32(v))
	}
}

func (im *image) getWord(off uint64) uint64 {
	if im.is64 {
		return im.o.Uint64(im.b[off:])
	}
	return uint64(im.o.Uint32(im.b[off:]))
}

// progOff is the file offset of program header i.
func (im *image) progOff(i int) uint64 { return im.phoff + uint64(i)*im.phent }

// phdr is a program header with the file offsets of its fields, so that
// it can be rewritten in place.
type phdr struct {
	elf.ProgHeader
	Index int
}

func (im *image) progs() []phdr {
	var out []phdr
	for i, p := range im.ef.Progs {
		out = append(out, phdr{ProgHeader: p.ProgHeader, Index: i})
	}
	return out
}

// putProg writes a program header back.
func (im *image) putProg(p phdr) {
	off := im.progOff(p.Index)
	o := im.o
	if im.is64 {
		o.PutUint32(im.b[off:], uint32(p.Type))
		o.PutUint32(im.b[off+4:], uint32(p.Flags))
		o.PutUint64(im.b[off+8:], p.Off)
		o.PutUint64(im.b[off+16:], p.Vaddr)
		o.PutUint64(im.b[off+24:], p.Paddr)
		o.PutUint64(im.b[off+32:], p.Filesz)
		o.PutUint64(im.b[off+40:], p.Memsz)
		o.PutUint64(im.b[off+48:], p.Align)
		return
	}
	o.PutUint32(im.b[off:], uint32(p.Type))
	o.PutUint32(im.b[off+4:], uint32(p.Off))
	o.PutUint32(im.b[off+8:], uint32(p.Vaddr))
	o.PutUint32(im.b[off+12:], uint32(p.Paddr))
	o.PutUint32(im.b[off+16:], uint32(p.Filesz))
	o.PutUint32(im.b[off+20:], uint32(p.Memsz))
	o.PutUint32(im.b[off+24:], uint32(p.Flags))
	o.PutUint32(im.b[off+28:], uint32(p.Align))
}

// prog returns the first program header of type t.
func (im *image) prog(t elf.ProgType) (phdr, bool) {
	for _, p := range im.progs() {
		if p.Type == t {
			return p, true
		}
	}
	return phdr{}, false
}

// loadAt returns the PT_LOAD whose file bytes hold vaddr.
func (im *image) loadAt(vaddr uint64) (phdr, bool) {
	for _, p := range im.progs() {
		if p.Type == elf.PT_LOAD && vaddr >= p.Vaddr && vaddr-p.Vaddr < p.Filesz {
			return p, true
		}
	}
	return phdr{}, false
}

// offsetOf translates a virtual address to a file offset through the
// PT_LOAD headers, as the kernel maps it.
func (im *image) offsetOf(vaddr uint64) (uint64, error) {
	p, ok := im.loadAt(vaddr)
	if !ok {
		return 0, fmt.Errorf("vaddr 0x%x is not in the file bytes of any PT_LOAD", vaddr)
	}
	off := p.Off + (vaddr - p.Vaddr)
	if off >= uint64(len(im.b)) {
		return 0, fmt.Errorf("vaddr 0x%x maps to offset 0x%x, past the end of the file", vaddr, off)
	}
	return off, nil
}

// dynEntry is one entry of the dynamic table and where it is in the file.
type dynEntry struct {
	Tag elf.DynTag
	Val uint64
	Off uint64 // file offset of the entry
}

// dynamic reads the dynamic table from PT_DYNAMIC's file bytes, up to
// and excluding DT_NULL.
func (im *image) dynamic() ([]dynEntry, error) {
	p, ok := im.prog(elf.PT_DYNAMIC)
	if !ok {
		return nil, errors.New("no PT_DYNAMIC: not a dynamically linked file")
	}
	ent := 2 * im.word()
	var out []dynEntry
	for off := p.Off; off+ent <= p.Off+p.Filesz && off+ent <= uint64(len(im.b)); off += ent {
		e := dynEntry{Tag: elf.DynTag(im.getWord(off)), Val: im.getWord(off + im.word()), Off: off}
		if !im.is64 {
			e.Tag = elf.DynTag(int32(e.Tag))
		}
		if e.Tag == elf.DT_NULL {
			return out, nil
		}
		out = append(out, e)
	}
	return nil, errors.New("PT_DYNAMIC has no DT_NULL")
}

// dyn returns the entry with tag t.
func (im *image) dyn(t elf.DynTag) (dynEntry, error) {
	ents, err := im.dynamic()
	if err != nil {
		return dynEntry{}, err
	}
	for _, e := range ents {
		if e.Tag == t {
			return e, nil
		}
	}
	return dynEntry{}, fmt.Errorf("no %s in the dynamic table", t)
}

// setDyn rewrites the value of the entry with tag t.
func (im *image) setDyn(t elf.DynTag, v uint64) error {
	e, err := im.dyn(t)
	if err != nil {
		return err
	}
	im.putWord(e.Off+im.word(), v)
	return nil
}

// section returns the section header called name.
func (im *image) section(name string) (*elf.Section, error) {
	s := im.ef.Section(name)
	if s == nil {
		return nil, fmt.Errorf("no %s section", name)
	}
	return s, nil
}

// strtabOff is the file offset of the dynamic string table (DT_STRTAB).
func (im *image) strtabOff() (uint64, error) {
	e, err := im.dyn(elf.DT_STRTAB)
	if err != nil {
		return 0, err
	}
	return im.offsetOf(e.Val)
}

// cstring reads the NUL-terminated string at file offset off.
func (im *image) cstring(off uint64) string {
	if off >= uint64(len(im.b)) {
		return ""
	}
	end := bytes.IndexByte(im.b[off:], 0)
	if end < 0 {
		return ""
	}
	return string(im.b[off : off+uint64(end)])
}

// unmapped returns an address that no PT_LOAD maps and that stays
// unmapped after any load bias the kernel picks: far above the image
// (1 TiB up for 64-bit files; in the unused top of the 32-bit space
// otherwise), page-aligned plus a small offset.
func (im *image) unmapped() uint64 {
	var end uint64
	for _, p := range im.progs() {
		if p.Type == elf.PT_LOAD {
			end = max(end, p.Vaddr+p.Memsz)
		}
	}
	if im.is64 {
		return (end+(1<<40))&^0xfff + 0x10
	}
	return 0x10
}

// verneed is one Elf_Verneed record, read from the file, with the file
// offsets of its fields.
type verneed struct {
	Off     uint64 // file offset of the record
	Version uint16
	File    string
	Aux     []vernaux
}

// vernaux is one Elf_Vernaux record.
type vernaux struct {
	Off   uint64 // file offset of the record
	Hash  uint32
	Flags uint16
	Name  uint32 // vna_name, an index into the dynamic string table
	Str   string
	Next  uint32
}

// verneeds walks the DT_VERNEED chain in the file.
func (im *image) verneeds() ([]verneed, error) {
	e, err := im.dyn(elf.DT_VERNEED)
	if err != nil {
		return nil, err
	}
	off, err := im.offsetOf(e.Val)
	if err != nil {
		return nil, err
	}
	str, err := im.strtabOff()
	if err != nil {
		return nil, err
	}
	o := im.o
	var out []verneed
	for i := 0; i < 64; i++ {
		if off+16 > uint64(len(im.b)) {
			return nil, errors.New("Verneed record past the end of the file")
		}
		r := im.b[off:]
		n := verneed{Off: off, Version: o.Uint16(r), File: im.cstring(str + uint64(o.Uint32(r[4:])))}
		aoff := off + uint64(o.Uint32(r[8:]))
		for j := 0; j < 64; j++ {
			if aoff+16 > uint64(len(im.b)) {
				return nil, errors.New("Vernaux record past the end of the file")
			}
			a := im.b[aoff:]
			x := vernaux{Off: aoff, Hash: o.Uint32(a), Flags: o.Uint16(a[4:]), Name: o.Uint32(a[8:]), Next: o.Uint32(a[12:])}
			x.Str = im.cstring(str + uint64(x.Name))
			n.Aux = append(n.Aux, x)
			if x.Next == 0 {
				break
			}
			aoff += uint64(x.Next)
		}
		out = append(out, n)
		next := o.Uint32(r[12:])
		if next == 0 {
			return out, nil
		}
		off += uint64(next)
	}
	return nil, errors.New("Verneed chain does not end")
}

// ElfHash is the SysV ELF hash that vna_hash and vd_hash hold.
func ElfHash(name string) uint32 {
	var h uint32
	for i := 0; i < len(name); i++ {
		h = h<<4 + uint32(name[i])
		if g := h & 0xf0000000; g != 0 {
			h ^= g >> 24
		}
		h &^= 0xf0000000
	}
	return h
}
