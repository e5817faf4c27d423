package inspect

import (
	"debug/elf"
	"fmt"
	"strings"
)

// DynEntry is one entry of the dynamic table.
type DynEntry struct {
	Tag elf.DynTag
	Val uint64
}

// Dynamic is the dynamic table as ld.so reads it: from PT_DYNAMIC's
// p_vaddr in memory, not from the .dynamic section.
type Dynamic struct {
	Prog    *Prog // the PT_DYNAMIC header
	Addr    uint64
	Entries []DynEntry

	Needed []string // every DT_NEEDED, in order
	Soname string
	// Rpath and Runpath are the directories of the last DT_RPATH and
	// DT_RUNPATH entry: ld.so keeps the last entry of every tag.
	Rpath   []string
	Runpath []string
	Flags   elf.DynFlag
	Flags1  elf.DynFlag1

	// Problems are structures that could not be read: a string out of
	// range does not stop the rest of the table from being read.
	Problems []error
	// Fault is the read that failed before a DT_NULL was found: ld.so
	// reads the table until DT_NULL without a bound, so it faults there.
	Fault error
}

// Tag returns the value of the last entry with tag t, as ld.so keeps it
// (elf_get_dynamic_info stores every entry in l_info[tag], so a later
// duplicate replaces an earlier one).
func (d *Dynamic) Tag(t elf.DynTag) (uint64, bool) {
	if d == nil {
		return 0, false
	}
	for i := len(d.Entries) - 1; i >= 0; i-- {
		if e := d.Entries[i]; e.Tag == t {
			return e.Val, true
		}
	}
	return 0, false
}

// dtRELR is not in debug/elf yet (glibc 2.36 added support).
const dtRELR elf.DynTag = 36

// pointerTags are the dynamic tags whose values are addresses ld.so
// dereferences (after adding the load bias).
var pointerTags = []elf.DynTag{
	elf.DT_HASH, elf.DT_GNU_HASH, elf.DT_STRTAB, elf.DT_SYMTAB,
	elf.DT_VERSYM, elf.DT_VERNEED, elf.DT_VERDEF,
	elf.DT_RELA, elf.DT_REL, dtRELR, elf.DT_JMPREL, elf.DT_PLTGOT,
	elf.DT_INIT, elf.DT_FINI, elf.DT_INIT_ARRAY, elf.DT_FINI_ARRAY, elf.DT_PREINIT_ARRAY,
}

// IsPointerTag reports whether tag t holds an address.
func IsPointerTag(t elf.DynTag) bool {
	for _, p := range pointerTags {
		if p == t {
			return true
		}
	}
	return false
}

// Dynamic reads the dynamic table through the loader's view, as ld.so
// does: from the last PT_DYNAMIC (rtld.c and _dl_map_object_from_fd keep
// the last one they see) until DT_NULL, whatever p_memsz says. It returns
// nil, nil for files without PT_DYNAMIC (static executables).
func (f *File) Dynamic() (d *Dynamic, err error) {
	ps := f.ProgsOfType(elf.PT_DYNAMIC)
	if len(ps) == 0 {
		return nil, nil
	}
	return f.DynamicOf(ps[len(ps)-1])
}

// DynamicOf reads the dynamic table PT_DYNAMIC header p points at, as
// Dynamic does: for a loader that does not take the last one (glibc
// before 2.35 skips a library's PT_DYNAMIC without file bytes).
func (f *File) DynamicOf(p *Prog) (d *Dynamic, err error) {
	defer catchPanic(&err, "dynamic table")
	d = &Dynamic{Prog: p, Addr: p.Vaddr}
	im := f.Image()
	entSize := uint64(16)
	if f.Class == elf.ELFCLASS32 {
		entSize = 8
	}
	// maxDynamic entries only stop a table without a terminator in a big
	// mapping; ld.so would go on until it faults or meets a zero tag.
	const chunk = 64
	buf := make([]byte, chunk*entSize)
	terminated := false
	decode := func(e []byte) DynEntry {
		if f.Class == elf.ELFCLASS32 {
			return DynEntry{elf.DynTag(int32(f.order.Uint32(e))), uint64(f.order.Uint32(e[4:]))}
		}
		return DynEntry{elf.DynTag(int64(f.order.Uint64(e))), f.order.Uint64(e[8:])}
	}
	for i := uint64(0); i < maxDynamic && !terminated; i += chunk {
		k := min(chunk, maxDynamic-i)
		addr := p.Vaddr + i*entSize
		if err := im.ReadAt(buf[:k*entSize], addr, fmt.Sprintf("dynamic entry %d", i)); err != nil {
			// The chunk crosses the end of what is readable: go entry by
			// entry, as ld.so does, to the first entry it cannot read.
			for j := uint64(0); j < k; j++ {
				what := fmt.Sprintf("dynamic entry %d", i+j)
				if err := im.ReadAt(buf[:entSize], addr+j*entSize, what); err != nil {
					if len(d.Entries) == 0 {
						return nil, fmt.Errorf("PT_DYNAMIC (program header %d): %w", p.Index, err)
					}
					d.Problems = append(d.Problems, err)
					d.Fault = err
					break
				}
				ent := decode(buf[:entSize])
				if ent.Tag == elf.DT_NULL {
					terminated = true
					break
				}
				d.Entries = append(d.Entries, ent)
			}
			break
		}
		for j := uint64(0); j < k; j++ {
			ent := decode(buf[j*entSize:])
			if ent.Tag == elf.DT_NULL {
				terminated = true
				break
			}
			d.Entries = append(d.Entries, ent)
		}
	}
	if !terminated && d.Fault == nil {
		d.Problems = append(d.Problems, errMem(p.Vaddr, fmt.Sprintf("PT_DYNAMIC (program header %d)", p.Index),
			fmt.Sprintf("no DT_NULL in the first %d entries", maxDynamic), nil))
	}
	if n := uint64(len(d.Entries)) + 1; n > p.Memsz/entSize {
		d.Problems = append(d.Problems, errMem(p.Vaddr, fmt.Sprintf("PT_DYNAMIC (program header %d)", p.Index),
			fmt.Sprintf("the table runs past p_memsz (0x%x): ld.so reads %d entries up to DT_NULL", p.Memsz, n), nil))
	}
	d.resolveStrings(f)
	return d, nil
}

func (d *Dynamic) resolveStrings(f *File) {
	strtab, ok := d.Tag(elf.DT_STRTAB)
	if !ok {
		if len(d.Entries) > 0 {
			d.Problems = append(d.Problems, errMem(d.Addr, "dynamic table", "no DT_STRTAB", nil))
		}
		return
	}
	strsz, _ := d.Tag(elf.DT_STRSZ)
	for _, e := range d.Entries {
		switch e.Tag {
		case elf.DT_NEEDED, elf.DT_SONAME, elf.DT_RPATH, elf.DT_RUNPATH:
		case elf.DT_FLAGS:
			d.Flags = elf.DynFlag(e.Val)
			continue
		case elf.DT_FLAGS_1:
			d.Flags1 = elf.DynFlag1(e.Val)
			continue
		default:
			continue
		}
		// ld.so reads the string whatever DT_STRSZ says: an index past
		// it is reported, and the string is still the one ld.so uses.
		if e.Val >= strsz {
			d.Problems = append(d.Problems, errMem(strtab+e.Val, e.Tag.String(), fmt.Sprintf("string index 0x%x past DT_STRSZ 0x%x", e.Val, strsz), nil))
		}
		s, err := f.Image().CString(strtab+e.Val, maxNameLen, e.Tag.String()+" string")
		if err != nil {
			d.Problems = append(d.Problems, err)
			continue
		}
		switch e.Tag {
		case elf.DT_NEEDED:
			d.Needed = append(d.Needed, s)
		case elf.DT_SONAME:
			d.Soname = s
		case elf.DT_RPATH:
			d.Rpath = SplitSearchPath(s)
		case elf.DT_RUNPATH:
			d.Runpath = SplitSearchPath(s)
		}
	}
}

// SplitSearchPath splits a DT_RPATH or DT_RUNPATH string into its
// directories at the colons; an empty string is one empty directory.
func SplitSearchPath(s string) []string {
	if s == "" {
		return []string{""}
	}
	return strings.Split(s, ":")
}

// DynString reads the string at index idx of the dynamic string table at
// strtab (size strsz) through the loader's view. ld.so does not check
// idx against DT_STRSZ; we report it, because an index past the table is
// how a stale pointer shows itself.
func DynString(im *Image, strtab, strsz, idx uint64, what string) (string, error) {
	if idx >= strsz {
		return "", errMem(strtab+idx, what, fmt.Sprintf("string index 0x%x past DT_STRSZ 0x%x", idx, strsz), nil)
	}
	return im.CString(strtab+idx, maxNameLen, what+" string")
}

// Pointer is an address from the dynamic table, resolved in the loader's
// view and placed in the file view for people.
type Pointer struct {
	Tag     elf.DynTag
	Addr    uint64
	Loc     Loc
	Section string // allocated section that contains Addr in the file view, "" if none
}

// Pointers resolves every address-valued dynamic entry.
func (f *File) Pointers(d *Dynamic) []Pointer {
	if d == nil {
		return nil
	}
	var out []Pointer
	im := f.Image()
	for _, e := range d.Entries {
		if !IsPointerTag(e.Tag) {
			continue
		}
		p := Pointer{Tag: e.Tag, Addr: e.Val, Loc: im.Lookup(e.Val)}
		if s := f.SectionAt(e.Val); s != nil {
			p.Section = s.Name
		}
		out = append(out, p)
	}
	return out
}
