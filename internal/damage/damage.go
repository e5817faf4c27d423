// Package damage makes damaged copies of real ELF executables and shared
// libraries, the way rewriting tools (patchelf), interrupted downloads and
// bad patches damage them in the wild. Tests run elfdoctor's predictions
// against what the kernel and ld.so really do with the copies.
//
// Every structure is located through the file's own headers: the program
// headers, the dynamic table and the tables it points to, and the section
// headers only for tables ld.so does not name (.dynsym's neighbours). No
// offset is hard-coded, so the same damage applies to gcc, clang/lld,
// PIE and non-PIE output. Files are parsed with debug/elf, independently
// of the package the damage is meant to test.
//
// Each damage function takes the bytes of a pristine file and returns a
// damaged copy; the input is never modified.
package damage

import (
	"debug/elf"
	"errors"
	"fmt"
	"strings"
)

// VER_FLG_WEAK in vna_flags: a missing weak version is only a warning.
const verFlagWeak = 0x2

// Kind is one kind of damage.
type Kind struct {
	Name string
	// Library is true when the damage applies to a shared library that a
	// program loads, not to the program itself.
	Library bool
	Apply   func([]byte) ([]byte, error)
}

// Kinds lists the damage that applies to a file's bytes, in the order the
// loader would meet it. Damage that needs other tools (patchelf) is not
// here; see Patchelf.
var Kinds = []Kind{
	{Name: "truncated-in-phdrs", Apply: TruncateInPhdrs},
	{Name: "interp-missing", Apply: InterpMissing},
	{Name: "load-misaligned", Apply: MisalignedLoad},
	{Name: "truncated-in-dynamic", Apply: TruncateInDynamic},
	{Name: "truncated-after-dynamic", Apply: TruncateAfterDynamic},
	{Name: "entry-not-executable", Apply: EntryNotExecutable},
	{Name: "dynamic-readonly", Apply: DynamicReadOnly},
	{Name: "strtab-unmapped", Apply: StrtabUnmapped},
	{Name: "hash-unmapped-beside-gnu-hash", Apply: HashUnmapped},
	{Name: "needed-missing", Apply: NeededMissing},
	{Name: "verneed-unmapped", Apply: VerneedUnmapped},
	{Name: "verneed-into-dynsym", Apply: VerneedIntoDynsym},
	{Name: "verneed-into-dynstr", Apply: VerneedIntoDynstr},
	{Name: "verneed-version", Apply: VerneedVersion},
	{Name: "verneed-file-unknown", Apply: VerneedFileUnknown},
	{Name: "vernaux-next-unmapped", Apply: VernauxNextUnmapped},
	{Name: "vna-name-unmapped", Apply: VnaNameUnmapped},
	{Name: "reloc-offset-unmapped", Apply: RelocOffsetUnmapped},
	{Name: "version-missing", Apply: MissingVersion},
	{Name: "weak-version-missing", Apply: WeakVersionMissing},
	{Name: "verdef-version", Library: true, Apply: VerdefVersion},
}

// RelocOffsetUnmapped points the first DT_RELA (or DT_REL) entry's r_offset
// at an address no PT_LOAD maps: a rewrite that moved a section without
// fixing the relocations that write into it. ld.so faults in
// _dl_relocate_object writing there.
func RelocOffsetUnmapped(b []byte) ([]byte, error) {
	im, err := parse(b)
	if err != nil {
		return nil, err
	}
	tag := elf.DT_RELA
	e, err := im.dyn(tag)
	if err != nil {
		tag = elf.DT_REL
		if e, err = im.dyn(tag); err != nil {
			return nil, fmt.Errorf("no DT_RELA or DT_REL: %w", err)
		}
	}
	off, err := im.offsetOf(e.Val)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", tag, err)
	}
	if off+im.word() > uint64(len(im.b)) {
		return nil, fmt.Errorf("%v at 0x%x: past the end of the file", tag, off)
	}
	im.putWord(off, im.unmapped())
	return im.b, nil
}

// VerneedUnmapped points DT_VERNEED at an address no PT_LOAD maps. This is
// the crash of the original report: a rewrite moved .gnu.version_r (or
// the segment holding it) and left the dynamic table pointing where the
// table used to be, so _dl_check_map_versions reads unmapped memory.
func VerneedUnmapped(b []byte) ([]byte, error) { return unmapDyn(b, elf.DT_VERNEED) }

// VerneedIntoDynsym points DT_VERNEED at .dynsym: a rewrite shifted the
// tables but not the pointer, which now lands in the symbol table, whose
// first entry is all zeros. ld.so says "unsupported version 0 of
// Verneed record".
func VerneedIntoDynsym(b []byte) ([]byte, error) {
	im, err := parse(b)
	if err != nil {
		return nil, err
	}
	sym, err := im.dyn(elf.DT_SYMTAB)
	if err != nil {
		return nil, err
	}
	return im.b, im.setDyn(elf.DT_VERNEED, sym.Val)
}

// VerneedIntoDynstr points DT_VERNEED at the dynamic string table, so the
// "version" ld.so reads is made of the table's first two bytes.
func VerneedIntoDynstr(b []byte) ([]byte, error) {
	im, err := parse(b)
	if err != nil {
		return nil, err
	}
	str, err := im.dyn(elf.DT_STRTAB)
	if err != nil {
		return nil, err
	}
	return im.b, im.setDyn(elf.DT_VERNEED, str.Val)
}

// VerneedVersion sets vn_version of the first Verneed record to 2, the
// damage of a bit flip or of a tool that rewrote the record in a format
// ld.so does not know.
func VerneedVersion(b []byte) ([]byte, error) {
	im, err := parse(b)
	if err != nil {
		return nil, err
	}
	vn, err := im.verneeds()
	if err != nil {
		return nil, err
	}
	im.o.PutUint16(im.b[vn[0].Off:], 2)
	return im.b, nil
}

// VerneedFileUnknown makes the first Verneed record name a file that is
// not among the program's DT_NEEDED libraries, by pointing vn_file at a
// version name in the string table: what a moved or rebuilt .dynstr does
// to a version table that was not moved with it. ld.so asserts.
func VerneedFileUnknown(b []byte) ([]byte, error) {
	im, err := parse(b)
	if err != nil {
		return nil, err
	}
	vn, err := im.verneeds()
	if err != nil {
		return nil, err
	}
	// Any string that names no library will do; a version name is
	// always there.
	im.o.PutUint32(im.b[vn[0].Off+4:], vn[0].Aux[0].Name)
	return im.b, nil
}

// VerdefVersion sets vd_version of the first Verdef record of a shared
// library to 2. Programs that require a version of the library stop with
// "unsupported version 2 of Verdef record".
func VerdefVersion(b []byte) ([]byte, error) {
	im, err := parse(b)
	if err != nil {
		return nil, err
	}
	def, err := im.dyn(elf.DT_VERDEF)
	if err != nil {
		return nil, err
	}
	off, err := im.offsetOf(def.Val)
	if err != nil {
		return nil, err
	}
	im.o.PutUint16(im.b[off:], 2)
	return im.b, nil
}

// VernauxNextUnmapped makes the first Vernaux's vna_next huge, so the
// chain ld.so follows walks 2 GiB past the table into unmapped memory:
// what a table cut short by a rewrite looks like when the bytes after it
// are not zeros.
func VernauxNextUnmapped(b []byte) ([]byte, error) { return farFirstVernaux(b, 12) }

// VnaNameUnmapped makes the first Vernaux's vna_name index 2 GiB past the
// string table: "the loader trying to dereference a vna_name pointer that
// now points into garbage memory", in the words of the original report.
func VnaNameUnmapped(b []byte) ([]byte, error) { return farFirstVernaux(b, 8) }

// farFirstVernaux sets the 32-bit field at off in the first Vernaux to
// 2 GiB, which lands in unmapped memory of a 64-bit process.
func farFirstVernaux(b []byte, off uint64) ([]byte, error) {
	im, err := parse(b)
	if err != nil {
		return nil, err
	}
	if !im.is64 {
		return nil, errors.New("no address is reliably unmapped in a 32-bit process")
	}
	vn, err := im.verneeds()
	if err != nil {
		return nil, err
	}
	im.o.PutUint32(im.b[vn[0].Aux[0].Off+off:], 0x7ffffff0)
	return im.b, nil
}

// MissingVersion renames the required version GLIBC_2.34 to GLIBC_9.99,
// with vna_hash recomputed, as if the program had been built against a
// glibc newer than the one it runs with: "version `GLIBC_9.99' not found".
func MissingVersion(b []byte) ([]byte, error) {
	return RenameVersion(b, "GLIBC_2.34", "GLIBC_9.99", false)
}

// WeakVersionMissing is MissingVersion with VER_FLG_WEAK set on the
// requirement: ld.so prints a warning and starts the program.
func WeakVersionMissing(b []byte) ([]byte, error) {
	return RenameVersion(b, "GLIBC_2.34", "GLIBC_9.99", true)
}

// RenameVersion renames the required version from to to (of the same
// length) in the dynamic string table, recomputes vna_hash, and sets
// VER_FLG_WEAK when weak is true.
func RenameVersion(b []byte, from, to string, weak bool) ([]byte, error) {
	if len(from) != len(to) {
		return nil, fmt.Errorf("cannot rename %q to %q in place: lengths differ", from, to)
	}
	im, err := parse(b)
	if err != nil {
		return nil, err
	}
	vn, err := im.verneeds()
	if err != nil {
		return nil, err
	}
	str, err := im.strtabOff()
	if err != nil {
		return nil, err
	}
	for _, n := range vn {
		for _, a := range n.Aux {
			if a.Str != from {
				continue
			}
			copy(im.b[str+uint64(a.Name):], to)
			im.o.PutUint32(im.b[a.Off:], ElfHash(to))
			if weak {
				im.o.PutUint16(im.b[a.Off+4:], a.Flags|verFlagWeak)
			}
			return im.b, nil
		}
	}
	return nil, fmt.Errorf("no Vernaux requires %s", from)
}

// DynamicReadOnly turns the last PT_NOTE into a read-only PT_LOAD over
// .dynamic. The kernel maps PT_LOADs in header order, later ones
// replacing earlier pages, so the page holding .dynamic becomes
// read-only, and ld.so faults writing DT_DEBUG: the damage of a rewrite
// that adds a segment (patchelf reuses PT_NOTE this way) with the wrong
// bounds.
func DynamicReadOnly(b []byte) ([]byte, error) {
	im, err := parse(b)
	if err != nil {
		return nil, err
	}
	dyn, ok := im.prog(elf.PT_DYNAMIC)
	if !ok {
		return nil, errors.New("no PT_DYNAMIC")
	}
	rw, ok := im.loadAt(dyn.Vaddr)
	if !ok {
		return nil, errors.New("PT_DYNAMIC is in no PT_LOAD")
	}
	var note *phdr
	for _, p := range im.progs() {
		if p.Type == elf.PT_NOTE && p.Index > rw.Index {
			note = &p
		}
	}
	if note == nil {
		return nil, errors.New("no PT_NOTE after the PT_LOAD holding .dynamic")
	}
	note.Type = elf.PT_LOAD
	note.Flags = elf.PF_R
	note.Off, note.Vaddr, note.Paddr = dyn.Off, dyn.Vaddr, dyn.Vaddr
	note.Filesz, note.Memsz = dyn.Filesz, dyn.Filesz
	note.Align = 0x1000
	im.putProg(*note)
	return im.b, nil
}

// MisalignedLoad moves the file offset of the writable PT_LOAD by 8 bytes
// without moving its address, so p_offset and p_vaddr differ modulo the
// page size: what a tool that shifts file contents and fixes up p_offset
// but not p_vaddr produces. The kernel's mmap refuses it after the point
// of no return.
func MisalignedLoad(b []byte) ([]byte, error) {
	im, err := parse(b)
	if err != nil {
		return nil, err
	}
	for _, p := range im.progs() {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_W != 0 {
			p.Off += 8
			im.putProg(p)
			return im.b, nil
		}
	}
	return nil, errors.New("no writable PT_LOAD")
}

// TruncateInDynamic cuts the file in the middle of the dynamic table, as
// an interrupted download or copy does.
func TruncateInDynamic(b []byte) ([]byte, error) {
	im, err := parse(b)
	if err != nil {
		return nil, err
	}
	dyn, ok := im.prog(elf.PT_DYNAMIC)
	if !ok {
		return nil, errors.New("no PT_DYNAMIC")
	}
	ent := 2 * im.word()
	cut := dyn.Off + (dyn.Filesz/ent/2)*ent
	return im.b[:cut], nil
}

// TruncateAfterDynamic cuts the file right after the dynamic table, in
// the middle of the writable segment: the table reads whole, the data
// after it is gone.
func TruncateAfterDynamic(b []byte) ([]byte, error) {
	im, err := parse(b)
	if err != nil {
		return nil, err
	}
	dyn, ok := im.prog(elf.PT_DYNAMIC)
	if !ok {
		return nil, errors.New("no PT_DYNAMIC")
	}
	return im.b[:dyn.Off+dyn.Filesz], nil
}

// TruncateInPhdrs cuts the file in the middle of the program header
// table: only the first bytes of a download arrived.
func TruncateInPhdrs(b []byte) ([]byte, error) {
	im, err := parse(b)
	if err != nil {
		return nil, err
	}
	cut := im.phoff + im.phent*uint64(len(im.ef.Progs))/2 + 3
	return im.b[:cut], nil
}

// InterpMissing rewrites PT_INTERP in place to a path of the same length
// that does not exist: a binary built for another distribution, or one
// patched to a Nix store path that was garbage-collected.
func InterpMissing(b []byte) ([]byte, error) {
	im, err := parse(b)
	if err != nil {
		return nil, err
	}
	p, ok := im.prog(elf.PT_INTERP)
	if !ok {
		return nil, errors.New("no PT_INTERP")
	}
	old := im.cstring(p.Off)
	const prefix = "/elfdoctor-missing/"
	if len(old) > len(prefix) {
		copy(im.b[p.Off:], prefix+old[len(prefix):])
		return im.b, nil
	}
	// Short paths (/lib/ld-linux.so.2): cross out the first directory.
	end := strings.IndexByte(old[1:], '/') + 1
	if end <= 1 {
		return nil, fmt.Errorf("interpreter %q has no directory to rename", old)
	}
	copy(im.b[p.Off+1:], strings.Repeat("x", end-1))
	return im.b, nil
}

// NeededMissing renames the first DT_NEEDED library in the string table
// (its last character changes), as if the program asked for a library
// version the system does not have.
func NeededMissing(b []byte) ([]byte, error) {
	im, err := parse(b)
	if err != nil {
		return nil, err
	}
	e, err := im.dyn(elf.DT_NEEDED)
	if err != nil {
		return nil, err
	}
	str, err := im.strtabOff()
	if err != nil {
		return nil, err
	}
	name := im.cstring(str + e.Val)
	if name == "" {
		return nil, errors.New("first DT_NEEDED names no string")
	}
	last := byte('9')
	if strings.HasSuffix(name, "9") {
		last = '8'
	}
	im.b[str+e.Val+uint64(len(name))-1] = last
	return im.b, nil
}

// MissingName is the library name NeededMissing writes for name.
func MissingName(name string) string {
	if strings.HasSuffix(name, "9") {
		return name[:len(name)-1] + "8"
	}
	return name[:len(name)-1] + "9"
}

// EntryNotExecutable points e_entry into the first PT_LOAD that is not
// executable: a damaged ELF header. ld.so finishes, then jumps there.
func EntryNotExecutable(b []byte) ([]byte, error) {
	im, err := parse(b)
	if err != nil {
		return nil, err
	}
	for _, p := range im.progs() {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X == 0 && p.Filesz > 0x40 {
			im.putWord(24, p.Vaddr+0x40)
			return im.b, nil
		}
	}
	return nil, errors.New("no non-executable PT_LOAD")
}

// StrtabUnmapped points DT_STRTAB at an address no PT_LOAD maps, so the
// first library name ld.so reads faults.
func StrtabUnmapped(b []byte) ([]byte, error) { return unmapDyn(b, elf.DT_STRTAB) }

// HashUnmapped points DT_HASH at an address no PT_LOAD maps in a file that
// also has DT_GNU_HASH (lld writes both). ld.so uses the GNU table and
// never reads DT_HASH, so the program starts: a stale pointer that must not
// be a false alarm.
func HashUnmapped(b []byte) ([]byte, error) {
	im, err := parse(b)
	if err != nil {
		return nil, err
	}
	if _, err := im.dyn(elf.DT_GNU_HASH); err != nil {
		return nil, errors.New("no DT_GNU_HASH")
	}
	if _, err := im.dyn(elf.DT_HASH); err != nil {
		return nil, errors.New("no DT_HASH")
	}
	return unmapDyn(b, elf.DT_HASH)
}

// unmapDyn points the dynamic entry tag at an address no PT_LOAD maps.
func unmapDyn(b []byte, tag elf.DynTag) ([]byte, error) {
	im, err := parse(b)
	if err != nil {
		return nil, err
	}
	if !im.is64 {
		return nil, errors.New("no address is reliably unmapped in a 32-bit process")
	}
	return im.b, im.setDyn(tag, im.unmapped())
}
