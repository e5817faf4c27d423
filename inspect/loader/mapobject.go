package loader

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/internal/safeopen"
)

// mapObjectError replays the checks _dl_map_object_from_fd (elf/dl-load.c)
// makes of a library's program headers, as read from the file at e_phoff,
// before it maps anything, for a loader of glibc 2.minor (0: unknown,
// taken as current). It returns ld.so's message, or "".
func mapObjectError(progs []inspect.Prog, typ elf.Type, minor int) string {
	msg, _, _ := mapObjectStop(progs, typ, minor, 0, false)
	return msg
}

// clearFault is the fault _dl_map_segments takes when it clears the end
// of a segment's last file page (the memset before the zero-fill) and
// that page lies wholly past the end of the file: SIGBUS in ld.so, with
// the object half mapped. A linker never leaves it; a damaged p_offset
// or a truncated library does.
type clearFault struct {
	prog      int    // the PT_LOAD's program header index
	addr, off uint64 // the first cleared byte's address (unrelocated), its page's file offset
}

// finding says what the fault does to the object at path, of size bytes;
// the caller names the stage and the message.
func (f *clearFault) finding(path string, size uint64) Finding {
	return Finding{Severity: SeverityFatal, Code: "lib-clear-past-eof", Outcome: OutcomeCrash, Signal: "SIGBUS",
		Summary: fmt.Sprintf("ld.so maps %s and clears the end of PT_LOAD %d's last file page before its zero-fill, but that page lies past the end of the file (size %s): the clearing raises SIGBUS",
			path, f.prog, inspect.SizeString(size)),
		Evidence: []string{fmt.Sprintf("program header %d: the segment's file bytes end at 0x%x (unrelocated), on the page mapped from file offset 0x%x; the file ends at 0x%x", f.prog, f.addr, f.off, size)},
		Next:     fmt.Sprintf("%s is truncated or its program headers damaged (p_offset, p_filesz): reinstall it, or compare it with a pristine copy using `elfdoctor diff`", filepath.Base(path))}
}

// mapObjectStop is mapObjectError for a file of size bytes (0: not
// known), also returning the fault that stops ld.so first, when one does
// before any message. openExec is __RTLD_OPENEXEC: the object is the
// program ld.so was started with as a command (LOADER FILE), which may
// be an ET_EXEC. mapped says ld.so refuses the object only once
// _dl_map_segments has mapped every segment (no dynamic section, before
// 2.35): what the mapping does (pastReservation) comes first.
func mapObjectStop(progs []inspect.Prog, typ elf.Type, minor int, size uint64, openExec bool) (msg string, fault *clearFault, mapped bool) {
	msg, noDynamic := mapObjectHeaders(progs, typ, minor, openExec)
	if msg != "" {
		return msg, nil, false
	}
	if msg, fault := mapSegments(progs, minor, size, typ != elf.ET_DYN); msg != "" || fault != nil {
		return msg, fault, false
	}
	if noDynamic {
		return "object file has no dynamic section", nil, true
	}
	return "", nil, false
}

// mapObjectHeaders is what _dl_map_object_from_fd refuses while it walks
// the program headers, before it maps anything, and whether the object
// has no dynamic section it refuses for after mapping (before 2.35).
func mapObjectHeaders(progs []inspect.Prog, typ elf.Type, minor int, openExec bool) (msg string, noDynamic bool) {
	page := uint64(0x1000)
	loads, dynamic, emptyDynamic := 0, false, false
	for _, p := range progs {
		switch p.Type {
		case elf.PT_DYNAMIC:
			// A PT_DYNAMIC without file bytes (a separate debuginfo
			// file's): since 2.35 the object is refused; before, from
			// 2.27 on, it is skipped. l_ld is the p_vaddr of the last
			// one with bytes, and 0 counts as none in every release.
			switch {
			case p.Filesz != 0:
				dynamic = p.Vaddr != 0
			case minor == 0 || minor >= 35:
				emptyDynamic = true
			}
		case elf.PT_LOAD:
			if minor != 0 && minor < 35 {
				if p.Align&(page-1) != 0 {
					return "ELF load command alignment not page-aligned", false
				}
				if (p.Vaddr-p.Offset)&(p.Align-1) != 0 {
					return "ELF load command address/offset not properly aligned", false
				}
			} else if (p.Vaddr-p.Offset)&(page-1) != 0 {
				return "ELF load command address/offset not page-aligned", false
			}
			loads++
		}
	}
	// glibc 2.35 and later refuse an object without a dynamic section
	// before _dl_map_segments, older ones after it: an ET_DYN without
	// one, and from 2.35 any object whose PT_DYNAMIC has no file bytes
	// (an ET_EXEC ld.so runs as its command included).
	noDynamic = (typ == elf.ET_DYN && !dynamic) || emptyDynamic
	switch {
	case loads == 0:
		return "object file has no loadable segments", false
	case typ != elf.ET_DYN && !openExec:
		// A DT_NEEDED or dlopen load is never __RTLD_OPENEXEC.
		return "cannot dynamically load executable", false
	case noDynamic && (minor == 0 || minor >= 35):
		return "object file has no dynamic section", false
	}
	return "", noDynamic
}

// mapSegments replays what _dl_map_segments (elf/dl-map-segments.h)
// refuses in an ET_DYN object, returning ld.so's message: with holes
// between the segments' page ranges (mapstart is p_vaddr rounded down,
// mapend p_vaddr + p_filesz rounded up), the range from the first
// segment's mapend to the last one's mapstart is made inaccessible; glibc
// 2.36 and later refuse a last mapstart below the first mapend as not
// page-aligned, before, the mprotect of that negative length fails. For a
// file of size bytes (0: not known) it also returns the fault of clearing
// a segment's last file page when that page is past the end of the file
// (clearFault), in the order _dl_map_segments meets it: after the
// segment is mapped, before its zero-fill pages are. fixed is an ET_EXEC
// (a program ld.so runs as a command): no reservation, each segment is
// mapped at its own address.
func mapSegments(progs []inspect.Prog, minor int, size uint64, fixed bool) (string, *clearFault) {
	const page = 0x1000
	type loadcmd struct{ mapstart, mapend, allocend uint64 }
	var lc []loadcmd
	for _, p := range progs {
		if p.Type == elf.PT_LOAD {
			lc = append(lc, loadcmd{p.Vaddr &^ (page - 1), (p.Vaddr + p.Filesz + page - 1) &^ (page - 1), p.Vaddr + p.Memsz})
		}
	}
	if len(lc) == 0 {
		return "", nil
	}
	// First the whole reservation is mapped: maplength, the last
	// segment's end less the first one's page, in wrapping arithmetic.
	// mmap refuses a length of 0 or one larger than the address space.
	maplength := lc[len(lc)-1].allocend - lc[0].mapstart
	if fixed {
		maplength = lc[0].mapend - lc[0].mapstart
	} else if ts := taskSize(&inspect.File{Header: inspect.Header{Class: elf.ELFCLASS64}}); maplength == 0 || (ts != 0 && maplength > ts) {
		return "failed to map segment from shared object", nil
	}
	// Each file mapping's offset (p_offset rounded down) must leave the
	// mapping's length below the largest file offset Linux maps
	// (file_mmap_ok, mm/mmap.c: MAX_LFS_FILESIZE); past it mmap fails
	// with EOVERFLOW. The first segment maps the whole reservation.
	offsetOK := func(p inspect.Prog, length uint64) bool {
		const maxLFS = 1<<63 - 1
		length = (length + page - 1) &^ (page - 1)
		return length <= maxLFS && (p.Offset&^(page-1))>>12 <= (maxLFS-length)>>12
	}
	var loads []inspect.Prog
	for _, p := range progs {
		if p.Type == elf.PT_LOAD {
			loads = append(loads, p)
		}
	}
	if !offsetOK(loads[0], maplength) {
		return "failed to map segment from shared object", nil
	}
	holes := false
	for i := 1; i < len(lc); i++ {
		holes = holes || lc[i-1].mapend != lc[i].mapstart
	}
	if !fixed && holes && lc[len(lc)-1].mapstart < lc[0].mapend {
		if minor != 0 && minor < 36 {
			return "cannot change memory protections", nil
		}
		return "ELF load command address/offset not page-aligned", nil
	}
	// Then, segment by segment, the zero-fill past each one's file
	// bytes: whole pages of it are an anonymous mapping with the
	// segment's protection, which the kernel charges to commit
	// accounting when it is writable (a private read-only one is not
	// charged); more than one request may get is ENOMEM.
	limit, _ := commitLimit()
	for i, p := range loads {
		c := lc[i]
		if i > 0 && c.mapend > c.mapstart && !offsetOK(p, c.mapend-c.mapstart) {
			return "failed to map segment from shared object", nil
		}
		dataend := p.Vaddr + p.Filesz
		// ld.so clears the rest of the page dataend is on, making a
		// read-only segment writable for it; the page is the file's at
		// the segment's page offset plus its distance from mapstart.
		if c.allocend > dataend && dataend%page != 0 && dataend >= p.Vaddr && size != 0 {
			off := p.Offset&^(page-1) + (dataend&^(page-1) - c.mapstart)
			if off >= (size+page-1)&^(page-1) {
				return "", &clearFault{prog: p.Index, addr: dataend, off: off}
			}
		}
		if c.allocend <= dataend || p.Flags&elf.PF_W == 0 || limit == 0 {
			continue
		}
		zeropage := (dataend + page - 1) &^ (page - 1)
		if c.allocend > zeropage && c.allocend-zeropage > limit {
			return "cannot map zero-fill pages", nil
		}
	}
	return "", nil
}

// mapObject reports what _dl_map_object_from_fd refuses in a library
// ld.so has found for a DT_NEEDED entry; it returns false when ld.so stops
// there.
func (c *checker) mapObject(lo *loadedObj, li *loaderInfo) bool {
	e := lo.lib
	if e == nil || e.err != nil {
		return true
	}
	// open_verify reads e_phnum program headers (no PN_XNUM escape) at
	// e_phoff with pread; a short read is "cannot read file data", named
	// by the file's path. A read of none returns 0 at any offset.
	if n := uint64(e.phnum) * e.phent; (e.phoff > e.size || n > e.size-e.phoff) && (n > 0 || int64(e.phoff) < 0) {
		c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "lib-unreadable-phdrs", Object: lo.loader.name,
			Summary: fmt.Sprintf("ld.so finds %s at %s but cannot read its %d program headers at file offset 0x%x: the file is 0x%x bytes", lo.name, lo.path, e.phnum, e.phoff, e.size),
			Outcome: OutcomeLoaderError, ExitStatus: 127,
			Message: fmt.Sprintf("error while loading shared libraries: %s: cannot read file data", c.shown(lo.path)),
			Next:    "the library is truncated or its ELF header damaged: reinstall it, or compare it with a pristine copy using `elfdoctor diff`"})
		return false
	}
	msg, fault, mapped := mapObjectStop(e.progs, e.typ, li.minor, e.size, false)
	if (msg == "" || mapped) && e.typ == elf.ET_DYN {
		c.wrappedFileszNote(lo)
		if fd, ok := c.pastReservation(lo, fault); ok {
			c.add(fd)
			return false
		}
	}
	if fault != nil {
		fd := fault.finding(lo.path, e.size)
		fd.Stage, fd.Object, fd.Message = StageDeps, lo.name, "SIGBUS in ld.so while loading "+lo.name+", before main"
		c.add(fd)
		return false
	}
	if msg == "" {
		// Once the segments are mapped, elf_get_dynamic_info reads the
		// dynamic table at l_ld: its first entry unreadable is a fault.
		var fe *inspect.FormatError
		if e.dyn == nil && errors.As(e.dynErr, &fe) && fe.Fault != inspect.FaultNone {
			sig := fe.Fault.Signal()
			c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "dynamic-unreadable", Object: lo.name,
				Summary:  fmt.Sprintf("ld.so maps %s and then reads its dynamic table where PT_DYNAMIC says it is, which it cannot read", lo.path),
				Evidence: []string{e.dynErr.Error()},
				Outcome:  OutcomeCrash, Signal: sig, Message: sig + " in ld.so while loading " + lo.name + ", before main",
				Next: "the library's headers are damaged: reinstall it, or compare it with a pristine copy using `elfdoctor diff`"})
			return false
		}
		return true
	}
	c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "lib-unmappable", Object: lo.loader.name,
		Summary:  fmt.Sprintf("ld.so finds %s at %s but refuses to map it: %s", lo.name, lo.path, msg),
		Evidence: []string{fmt.Sprintf("%d program headers read from the file at e_phoff", len(e.progs))},
		Outcome:  OutcomeLoaderError, ExitStatus: 127,
		Message: fmt.Sprintf("error while loading shared libraries: %s: %s", lo.name, msg),
		Next:    "the library's headers are damaged: reinstall it, or compare it with a pristine copy using `elfdoctor diff`"})
	return false
}

// wrappedProgs replays where open_verify and _dl_map_object_from_fd take
// a library's program headers from when e_phoff plus their size wraps
// around in size_t arithmetic and so "ends" inside the first bytes ld.so
// read (832 for a 64-bit ld.so, 512 for a 32-bit one): from the buffer
// at e_phoff, that is from just before it, where ld.so's stack holds
// bytes no file decides. It returns the headers ld.so acts on, with
// ok false when an unknown byte could make a header one ld.so acts on
// (or change one it does), so nothing can be said; inspect.Open refuses
// such a file, having no program header table inside it.
func wrappedProgs(path string, class elf.Class, order binary.ByteOrder) (progs []inspect.Prog, typ elf.Type, ok bool) {
	fh, err := safeopen.Regular(path)
	if err != nil {
		return nil, 0, false
	}
	defer fh.Close()
	first := 832
	if class == elf.ELFCLASS32 {
		first = 512
	}
	buf := make([]byte, first)
	n, _ := io.ReadFull(fh, buf)
	buf = buf[:n]
	if n < 64 {
		return nil, 0, false
	}
	phoff, phnum, ent := order.Uint64(buf[32:]), int64(order.Uint16(buf[56:])), int64(56)
	mask := ^uint64(0)
	if class == elf.ELFCLASS32 {
		phoff, phnum, ent, mask = uint64(order.Uint32(buf[28:])), int64(order.Uint16(buf[44:])), 32, 0xffffffff
	}
	// Only a table that starts before the buffer and ends inside it.
	back := (-phoff) & mask
	if phoff == 0 || back > uint64(phnum*ent) || uint64(phnum*ent)-back > uint64(len(buf)) {
		return nil, 0, false
	}
	typ = elf.Type(order.Uint16(buf[16:]))
	start := -int64(back)
	// The p_type values _dl_map_object_from_fd and open_verify act on.
	acted := []elf.ProgType{elf.PT_LOAD, elf.PT_DYNAMIC, elf.PT_INTERP, elf.PT_NOTE, elf.PT_PHDR, elf.PT_TLS,
		elf.PT_GNU_STACK, elf.PT_GNU_RELRO, elf.PT_GNU_PROPERTY}
	for i := int64(0); i < phnum; i++ {
		at := start + i*ent
		var raw [56]byte
		var known [56]bool
		for j := int64(0); j < ent; j++ {
			if at+j >= 0 {
				raw[j], known[j] = buf[at+j], true
			}
		}
		var mb [4]byte
		for j := range mb {
			if known[j] {
				mb[j] = 0xff
			}
		}
		kmask, kval := order.Uint32(mb[:]), order.Uint32(raw[:4])
		maybeActed := false
		for _, t := range acted {
			maybeActed = maybeActed || uint32(t)&kmask == kval&kmask
		}
		if !maybeActed {
			continue
		}
		if at < 0 {
			return nil, 0, false
		}
		p := inspect.Prog{Index: int(i), Type: elf.ProgType(kval)}
		if class == elf.ELFCLASS64 {
			p.Flags = elf.ProgFlag(order.Uint32(raw[4:]))
			p.Offset, p.Vaddr, p.Paddr = order.Uint64(raw[8:]), order.Uint64(raw[16:]), order.Uint64(raw[24:])
			p.Filesz, p.Memsz, p.Align = order.Uint64(raw[32:]), order.Uint64(raw[40:]), order.Uint64(raw[48:])
		} else {
			p.Offset, p.Vaddr, p.Paddr = uint64(order.Uint32(raw[4:])), uint64(order.Uint32(raw[8:])), uint64(order.Uint32(raw[12:]))
			p.Filesz, p.Memsz = uint64(order.Uint32(raw[16:])), uint64(order.Uint32(raw[20:]))
			p.Flags, p.Align = elf.ProgFlag(order.Uint32(raw[24:])), uint64(order.Uint32(raw[28:]))
		}
		progs = append(progs, p)
	}
	return progs, typ, true
}

// wrappedFileszNote says where a library's PT_LOAD after the first has a
// p_filesz so large that p_vaddr + p_filesz wraps around: ld.so maps
// nothing of it from the file, and its zero-fill clears from that
// wrapped end, in another segment's page, onwards (the loader's view,
// inspect.Image, holds those zeros: what ld.so reads there is zero).
func (c *checker) wrappedFileszNote(lo *loadedObj) {
	first := true
	for _, p := range lo.lib.progs {
		if p.Type != elf.PT_LOAD || p.Memsz == 0 {
			continue
		}
		if first && p.Filesz > p.Memsz && (p.Vaddr+p.Filesz+0xfff)&^0xfff == p.Vaddr&^0xfff {
			c.add(Finding{Severity: SeverityWarning, Stage: StageDeps, Code: "lib-filesz-wraps", Object: lo.name,
				Summary: fmt.Sprintf("the first PT_LOAD (%d) of %s has p_filesz 0x%x, so its end rounded up to a page wraps around to its own start: _dl_map_segments takes the segments as having holes and makes everything up to the last segment inaccessible (PROT_NONE) before mapping the others",
					p.Index, filepath.Base(lo.path), p.Filesz),
				Evidence: []string{fmt.Sprintf("program header %d: vaddr 0x%x, FileSiz 0x%x, MemSiz 0x%x", p.Index, p.Vaddr, p.Filesz, p.Memsz)},
				Next:     "the library's program headers were damaged: reinstall it, or compare it with a pristine copy using `elfdoctor diff`"})
		}
		if !first && p.Vaddr+p.Filesz < p.Vaddr {
			end := p.Vaddr + p.Filesz
			c.add(Finding{Severity: SeverityWarning, Stage: StageDeps, Code: "lib-filesz-wraps", Object: lo.name,
				Summary: fmt.Sprintf("PT_LOAD %d of %s has p_filesz 0x%x, so p_vaddr + p_filesz wraps around to 0x%x: ld.so maps none of it from the file, and its zero-fill clears memory from 0x%x on, below the segment",
					p.Index, filepath.Base(lo.path), p.Filesz, end, end),
				Evidence: []string{fmt.Sprintf("program header %d: vaddr 0x%x, FileSiz 0x%x, MemSiz 0x%x", p.Index, p.Vaddr, p.Filesz, p.Memsz)},
				Next:     "the library's program headers were damaged: reinstall it, or compare it with a pristine copy using `elfdoctor diff`"})
		}
		first = false
	}
}

// pastReservation replays where _dl_map_segments maps a library's
// segments outside the block it reserved first: that block is
// maplength bytes from the first segment's page (to the last segment's
// p_vaddr + p_memsz), and every later mmap is MAP_FIXED, so a segment
// whose file pages or zero-fill reach past the block's end replace
// whatever the process had mapped there, above the library: rtld's
// malloc pages (link maps among them), the vDSO, ld.so itself, or
// nothing. What follows depends on that layout, which no file decides:
// the outcome is undetermined. A linker makes the last segment end the
// object, so this is the mark of a damaged p_filesz or p_memsz.
func (c *checker) pastReservation(lo *loadedObj, fault *clearFault) (Finding, bool) {
	return c.pastReservationOf(lo.lib.progs, lo.path, lo.name, "library", fault)
}

// pastReservationOf is pastReservation for the object at path, named
// name, with the program headers progs: a library, or (kind "program")
// a position-independent program ld.so maps itself as its command.
func (c *checker) pastReservationOf(progs []inspect.Prog, path, name, kind string, fault *clearFault) (Finding, bool) {
	const page = 0x1000
	var loads []inspect.Prog
	for _, p := range progs {
		if p.Type == elf.PT_LOAD {
			loads = append(loads, p)
		}
	}
	if len(loads) == 0 {
		return Finding{}, false
	}
	first, last := loads[0], loads[len(loads)-1]
	mapstart := first.Vaddr &^ (page - 1)
	end := (mapstart + (last.Vaddr + last.Memsz - mapstart) + page - 1) &^ (page - 1)
	if end <= mapstart {
		return Finding{}, false
	}
	for _, p := range loads {
		dataend := p.Vaddr + p.Filesz
		start := p.Vaddr &^ (page - 1)
		reach, what := uint64(0), ""
		if mapend := (dataend + page - 1) &^ (page - 1); mapend > start && mapend > end && dataend >= p.Vaddr {
			reach, what = mapend, "its file pages"
		}
		// A fault clearing this segment's last file page comes after
		// its file pages are mapped and before its zero-fill is.
		cleared := fault != nil && fault.prog == p.Index
		if allocend := p.Vaddr + p.Memsz; allocend > dataend && allocend >= p.Vaddr && !cleared {
			if zeroend := (allocend + page - 1) &^ (page - 1); zeroend > end && zeroend > reach {
				reach, what = zeroend, "its zero-fill"
			}
		}
		if reach == 0 {
			if cleared {
				break
			}
			continue
		}
		base := filepath.Base(path)
		possible := openBeforeMain()
		if c.dlopen {
			possible = openInDlopen()
		}
		return Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "lib-map-past-reservation", Object: name,
			Outcome: OutcomeUndetermined, Possible: possible,
			Summary: fmt.Sprintf("undetermined: ld.so maps PT_LOAD %d of %s with %s up to 0x%x, past the 0x%x-0x%x it reserved for the %s, over whatever the process has mapped above it (rtld's malloc pages, the vDSO, ld.so itself, or nothing), as its layout has it: nothing in the files says what that breaks",
				p.Index, base, what, reach, mapstart, end, kind),
			Evidence: []string{
				fmt.Sprintf("program header %d: vaddr 0x%x, FileSiz 0x%x, MemSiz 0x%x", p.Index, p.Vaddr, p.Filesz, p.Memsz),
				fmt.Sprintf("the reservation is the first segment's page 0x%x to the last segment's end 0x%x (program header %d: vaddr 0x%x + MemSiz 0x%x); a linker makes the last segment end the object", mapstart, end, last.Index, last.Vaddr, last.Memsz),
			},
			Next: fmt.Sprintf("%s's program headers were damaged: reinstall it, or compare it with a pristine copy using `elfdoctor diff`; a run tells only what one process's layout gave", base)}, true
	}
	return Finding{}, false
}

// mmapWindow is the top of the default mmap window (DEFAULT_MAP_WINDOW);
// processMapsNear is where the mappings a process starts with (ld.so,
// its libraries, the vDSO, the stack) may begin below it: up to 1 TiB of
// randomisation and as much again for what lies below them.
const (
	mmapWindow      = 1<<47 - 0x1000
	processMapsNear = mmapWindow - 2<<40
)

// fixedMapping replays what the address space does to an ET_EXEC that
// ld.so maps itself (started as its command): _dl_map_segments maps each
// segment with MAP_FIXED at its own p_vaddr, its file pages and then its
// zero-fill, with no reservation around them. It returns ld.so's message
// when mmap refuses a mapping that ends past the address space
// (TASK_SIZE), or, in unknown, why nothing in the file decides: an end
// that wraps around, or one that reaches where the process's own
// mappings lie (ld.so, its libraries, the stack, placed below the top of
// the default mmap window less up to 1 TiB of randomisation), which
// MAP_FIXED replaces.
func fixedMapping(f *inspect.File) (msg, unknown string) {
	const page = 0x1000
	ts := taskSize(f)
	if ts == 0 {
		return "", ""
	}
	const window, near = uint64(mmapWindow), uint64(processMapsNear)
	// A private writable file mapping is charged to commit accounting.
	limit, _ := commitLimit()
	for _, p := range f.ProgsOfType(elf.PT_LOAD) {
		dataend, ok := addNoOverflow(p.Vaddr, p.Filesz)
		allocend, ok2 := addNoOverflow(p.Vaddr, p.Memsz)
		mapend, ok3 := addNoOverflow(dataend, page-1)
		if !ok || !ok2 || !ok3 {
			return "", fmt.Sprintf("PT_LOAD %d: p_vaddr 0x%x plus FileSiz 0x%x or MemSiz 0x%x wraps around the address space", p.Index, p.Vaddr, p.Filesz, p.Memsz)
		}
		mapend &^= page - 1
		start := p.Vaddr &^ (page - 1)
		if mapend > start && start < mmapMinAddr() {
			// security_mmap_addr refuses a mapping below
			// vm.mmap_min_addr with EPERM, unless the process has
			// CAP_SYS_RAWIO (root): who runs the program decides.
			return "", fmt.Sprintf("PT_LOAD %d is mapped at 0x%x, below vm.mmap_min_addr (0x%x): mmap refuses that to a process without CAP_SYS_RAWIO, and lets root map it over whatever lies there", p.Index, start, mmapMinAddr())
		}
		if p.Flags&elf.PF_W != 0 && limit > 0 && mapend > start && mapend-start > limit {
			return "failed to map segment from shared object", ""
		}
		ends := []struct {
			end  uint64
			msg  string
			what string
		}{{mapend, "failed to map segment from shared object", "its file pages"}}
		if allocend > dataend {
			zeroend, ok := addNoOverflow(allocend, page-1)
			if !ok {
				return "", fmt.Sprintf("PT_LOAD %d: its zero-fill's end, 0x%x rounded up to a page, wraps around", p.Index, allocend)
			}
			ends = append(ends, struct {
				end  uint64
				msg  string
				what string
			}{zeroend &^ (page - 1), "cannot map zero-fill pages", "its zero-fill"})
		}
		for _, e := range ends {
			switch {
			case e.end > ts:
				return e.msg, ""
			case e.end > near:
				return "", fmt.Sprintf("PT_LOAD %d maps %s up to 0x%x, within 2 TiB of the top of the default mmap window (0x%x), where ld.so, the libraries and the stack are placed at random: MAP_FIXED replaces whatever is there", p.Index, e.what, e.end, uint64(window))
			}
		}
	}
	return "", ""
}

// wantsExecStack says whether an object's stack flags ask for an
// executable stack: its last PT_GNU_STACK's p_flags, or without one the
// ABI's default (DEFAULT_STACK_PERMS: executable on x86-64 and i386).
func wantsExecStack(progs []inspect.Prog, machine elf.Machine) bool {
	exec := machine == elf.EM_X86_64 || machine == elf.EM_386
	for _, p := range progs {
		if p.Type == elf.PT_GNU_STACK {
			exec = p.Flags&elf.PF_X != 0
		}
	}
	return exec
}

// execStackRefused replays glibc 2.41's refusal, under dlopen, of an
// object that wants an executable stack the process does not have
// (_dl_map_object_from_fd, after l_phdr is set): older releases made the
// stack executable (_dl_make_stack_executable), 2.41 fails with EINVAL,
// as it does not at start-up. object is "" for the file checked, else a
// library dlopen loads with it, at path. It returns false after a fatal
// finding.
func (c *checker) execStackRefused(progs []inspect.Prog, machine elf.Machine, object, path string) bool {
	if !c.dlopen || !c.model().atLeast(41) || !wantsExecStack(progs, machine) || c.hostStackExecutable() {
		return true
	}
	const msg = "cannot enable executable stack as shared object requires: Invalid argument"
	base := filepath.Base(path)
	why := "its PT_GNU_STACK has PF_X"
	if !slices.ContainsFunc(progs, func(p inspect.Prog) bool { return p.Type == elf.PT_GNU_STACK }) {
		why = "it has no PT_GNU_STACK, and the x86 default is an executable stack"
	}
	process := "the process's stack is not executable (a program built since 2005 asks for none)"
	if objs, _ := c.host(); c.opts.LoadedBy != "" && objs != nil {
		process = fmt.Sprintf("the stack of %s is not executable (neither it nor a library it loads asks for one)", c.opts.LoadedBy)
	}
	fd := Finding{Severity: SeverityFatal, Stage: StageMapping, Object: object, Code: "execstack-refused",
		Outcome: OutcomeLoaderError, ExitStatus: 127,
		Summary:  fmt.Sprintf("dlopen refuses %s: %s, so it wants an executable stack, and %s; glibc 2.41 and later no longer make the stack executable for dlopen", base, why, process),
		Evidence: []string{fmt.Sprintf("the process's ld.so is glibc 2.%d's (0: a release not read, modelled as the newest)", c.model().minor)},
		Message:  msg,
		Next:     fmt.Sprintf("rebuild %s with -z noexecstack (or mark it with `patchelf --clear-execstack`, on a copy) if it does not run code on the stack; a library that does needs a program built with -z execstack", base)}
	if object != "" {
		fd.Stage = StageDeps
		fd.Message = fmt.Sprintf("error while loading shared libraries: %s: %s", object, msg)
	}
	c.add(fd)
	return false
}
