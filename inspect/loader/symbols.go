package loader

import (
	"debug/elf"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// dynSym is a dynamic symbol as symbol lookup sees it.
type dynSym struct {
	name    string
	bind    elf.SymBind
	shndx   uint16
	version string
}

// readDynSym reads symbol i of an object's DT_SYMTAB through memory.
func readDynSym(f *inspect.File, d *inspect.Dynamic, i uint64) (dynSym, error) {
	symtab, ok := d.Tag(elf.DT_SYMTAB)
	if !ok {
		return dynSym{}, errMem(d.Addr, "dynamic table", "no DT_SYMTAB", nil)
	}
	size := uint64(24)
	if f.Class == elf.ELFCLASS32 {
		size = 16
	}
	if ent, ok := d.Tag(elf.DT_SYMENT); ok && ent >= size && ent < 1<<10 {
		size = ent
	}
	var b [24]byte
	what := fmt.Sprintf("dynamic symbol %d", i)
	n := uint64(24)
	if f.Class == elf.ELFCLASS32 {
		n = 16
	}
	if err := f.Image().ReadAt(b[:n], symtab+i*size, what); err != nil {
		return dynSym{}, err
	}
	o := f.ByteOrder()
	var s dynSym
	var info byte
	if f.Class == elf.ELFCLASS32 {
		info, s.shndx = b[12], o.Uint16(b[14:])
	} else {
		info, s.shndx = b[4], o.Uint16(b[6:])
	}
	s.bind = elf.ST_BIND(info)
	strtab, _ := d.Tag(elf.DT_STRTAB)
	strsz, _ := d.Tag(elf.DT_STRSZ)
	name, err := inspect.DynString(f.Image(), strtab, strsz, uint64(o.Uint32(b[:])), what+" name")
	s.name = name
	return s, err
}

// versymOf reads the version index of symbol i from DT_VERSYM; 1 (global)
// when the object has no version table.
func versymOf(f *inspect.File, d *inspect.Dynamic, i uint64) (uint16, error) {
	vs, ok := d.Tag(elf.DT_VERSYM)
	if !ok {
		return 1, nil
	}
	var b [2]byte
	if err := f.Image().ReadAt(b[:], vs+2*i, fmt.Sprintf("versym entry %d", i)); err != nil {
		return 0, err
	}
	return get16(f, b[:]), nil
}

func (c *checker) objectNames() string {
	var names []string
	for _, o := range c.loaded[1:] {
		names = append(names, filepath.Base(o.path))
	}
	return strings.Join(names, ", ")
}
