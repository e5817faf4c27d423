package loader

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"path/filepath"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// phdrAgain replays the loop _dl_map_object_from_fd (elf/dl-load.c) runs
// over a library's program headers once it is mapped, since glibc 2.33
// ("process program headers again after load segments are mapped"):
// l_phdr[l_phnum-1] down to l_phdr[0], each p_type read, and a PT_NOTE
// or PT_GNU_PROPERTY handed on to have its notes read. l_phdr is ld.so's
// own copy of the headers it read from the file, unless the library has
// a PT_PHDR: then it is the last one's p_vaddr plus the load address,
// read in the library's memory. lld gives a library a PT_PHDR over its
// headers in the first segment, GNU ld none; one made by damage (a p_type
// changed to 6, and the last one wins) points the loop at whatever the
// library maps there, at a hole between its segments, which
// _dl_map_segments left PROT_NONE, or past its pages. It returns false
// when ld.so stops.
func (c *checker) phdrAgain(o *loadedObj, f *inspect.File) bool {
	e := o.lib
	if e == nil || !c.model().atLeast(33) {
		return true
	}
	var phdr *inspect.Prog
	for i := range e.progs {
		if e.progs[i].Type == elf.PT_PHDR {
			phdr = &e.progs[i]
		}
	}
	if phdr == nil {
		return true
	}
	ent := uint64(56)
	if f.Class == elf.ELFCLASS32 {
		ent = 32
	}
	file := map[int]*inspect.Prog{}
	for i := range e.progs {
		file[e.progs[i].Index] = &e.progs[i]
	}
	base := filepath.Base(o.path)
	im, bo := f.Image(), f.ByteOrder()
	lo, _, _ := span(e.progs)
	for i := e.phnum - 1; i >= 0; i-- {
		// p_vaddr is an offset from the load address, which a small
		// negative one takes below the library.
		rel := int64(phdr.Vaddr) + int64(i)*int64(ent)
		if int64(phdr.Vaddr) < 0 && int64(phdr.Vaddr) > -(1<<32) && rel < int64(lo) {
			// The replay stops here: whatever later damage does, at a
			// first call or at exit, is still open.
			possible := openBeforeMain()
			if c.dlopen {
				possible = openInDlopen()
			}
			c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "lib-phdr-elsewhere", Object: o.name,
				Outcome: OutcomeUndetermined, Possible: possible,
				Summary:  fmt.Sprintf("undetermined: ld.so maps %s, then reads its program headers again where its PT_PHDR (program header %d) says they are, at its load address %+#x, below its first page: there lie the objects loaded after it, or nothing, as the process's layout has it", base, phdr.Index, rel),
				Evidence: []string{fmt.Sprintf("PT_PHDR p_vaddr 0x%x; the library's first page is at 0x%x from its load address", phdr.Vaddr, lo)},
				Next:     fmt.Sprintf("%s's program headers were damaged: reinstall it, or compare it with a pristine copy using `elfdoctor diff`", base)})
			return false
		}
		addr, ok := addNoOverflow(phdr.Vaddr, uint64(i)*ent)
		if int64(phdr.Vaddr) < 0 && int64(phdr.Vaddr) > -(1<<32) {
			addr, ok = uint64(rel), true
		}
		if !ok {
			return true // ld.so's address wraps as well: not judged
		}
		what := fmt.Sprintf("program header %d of %s at l_phdr", i, base)
		var b [56]byte
		err := im.ReadAt(b[:4], addr, what)
		typ := elf.ProgType(bo.Uint32(b[:]))
		if err == nil && (typ == elf.PT_NOTE || typ == elf.PT_GNU_PROPERTY) {
			err = im.ReadAt(b[:ent], addr, what)
		}
		if err != nil {
			// Past the library's own pages the read lands wherever the
			// process's layout put another mapping, or nothing.
			if fd, ok := c.pastMappingFinding(o, err, "reading its program headers again at PT_PHDR's address (_dl_map_object_from_fd)", StageDeps, "loading "+base, false); ok {
				c.add(fd)
				return false
			}
			sig := faultSignal(err)
			ev := []string{err.Error()}
			if lo, hi, ok := span(e.progs); ok && addr >= lo && addr < hi {
				ev = append(ev, fmt.Sprintf("0x%x lies in the 0x%x-0x%x ld.so reserved for the library, between its segments, where _dl_map_segments left the pages PROT_NONE", addr, lo, hi))
			}
			c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "lib-phdr-unreadable", Object: o.name,
				Summary: fmt.Sprintf("ld.so maps %s, then reads its program headers again where its PT_PHDR (program header %d) says they are, at 0x%x, and nothing can be read there", base, phdr.Index, phdr.Vaddr),
				Evidence: append(ev,
					fmt.Sprintf("glibc 2.33 and later walk the %d headers at l_phdr from the last; l_phdr is PT_PHDR's p_vaddr plus the load address, and without a PT_PHDR ld.so reads its own copy of the file's headers", e.phnum)),
				Outcome: OutcomeCrash, Signal: sig, Message: sig + " in ld.so while loading " + o.name + ", before main (_dl_map_object_from_fd)",
				Next: fmt.Sprintf("%s's program headers were damaged: reinstall it, or compare it with a pristine copy using `elfdoctor diff`", base)})
			return false
		}
		if typ != elf.PT_NOTE && typ != elf.PT_GNU_PROPERTY {
			continue
		}
		if p := file[i]; p != nil && p.Type == typ && sameNoteHeader(p, b[:ent], f.Class, bo) {
			continue
		}
		// A note segment the file's headers do not have: ld.so reads
		// notes where it says, which the replay of the file's own
		// notes (isa.go) does not follow.
		possible := openBeforeMain()
		if c.dlopen {
			possible = openInDlopen()
		}
		c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "lib-phdr-elsewhere", Object: o.name,
			Outcome: OutcomeUndetermined, Possible: possible,
			Summary: fmt.Sprintf("undetermined: ld.so maps %s, then reads its program headers again where its PT_PHDR (program header %d) says they are, at 0x%x, and entry %d there is a %s the file's headers do not have: ld.so reads its notes where that entry says, which is not replayed", base, phdr.Index, phdr.Vaddr, i, typ),
			Evidence: []string{fmt.Sprintf("%s: p_type %s", what, typ),
				"without a PT_PHDR ld.so reads its own copy of the file's headers"},
			Next: fmt.Sprintf("%s's program headers were damaged: reinstall it, or compare it with a pristine copy using `elfdoctor diff`", base)})
		return false
	}
	return true
}

// selfPhdrAgain is phdrAgain for the library dlopen loads itself, which
// _dl_map_object_from_fd maps as it maps a dependency.
func (c *checker) selfPhdrAgain(f *inspect.File) bool {
	phnum, err := rawPhnum(f)
	if err != nil {
		return true
	}
	e := &libEntry{class: f.Class, machine: f.Machine, typ: f.Type, progs: f.Progs, phnum: phnum, size: uint64(f.Size())}
	return c.phdrAgain(&loadedObj{name: c.path, path: c.path, lib: e}, f)
}

// sameNoteHeader says whether raw, a program header read from memory,
// gives the note reads what p, the file's, gives: p_vaddr, p_memsz and
// p_align.
func sameNoteHeader(p *inspect.Prog, raw []byte, class elf.Class, bo binary.ByteOrder) bool {
	if class == elf.ELFCLASS32 {
		return uint64(bo.Uint32(raw[8:])) == p.Vaddr && uint64(bo.Uint32(raw[20:])) == p.Memsz && uint64(bo.Uint32(raw[28:])) == p.Align
	}
	return bo.Uint64(raw[16:]) == p.Vaddr && bo.Uint64(raw[40:]) == p.Memsz && bo.Uint64(raw[48:]) == p.Align
}
