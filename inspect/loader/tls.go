package loader

import (
	"debug/elf"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"path/filepath"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// mainTLS is the program's PT_TLS as dl_main (elf/rtld.c) takes it from
// the program headers at AT_PHDR: the last entry whose p_memsz is not 0
// becomes the main map's l_tls_blocksize, l_tls_align and, from p_vaddr,
// l_tls_firstbyte_offset.
type mainTLS struct {
	index                       int
	vaddr, filesz, memsz, align uint64
}

// staticTLS replays init_tls (elf/rtld.c), which runs after the version
// checks and before relocation: _dl_determine_tlsoffset places each
// module's block (elf/dl-tls.c, x86-64's TLS_TCB_AT_TP) in load order,
// the program's first, then every library loaded at start-up, and
// _dl_allocate_tls_storage asks rtld's minimal malloc, an anonymous
// mmap, for the static size plus its alignment. A request the kernel's
// commit accounting refuses (commitLimit) stops ld.so with "cannot
// allocate TLS data structures for initial thread", exit 127; an
// alignment of 0 is a division by zero there (roundup with a variable).
//
// The surplus and the thread control block are not counted, so the
// size is a lower bound; when counting them could wrap ld.so's size_t
// (the request is then small), the outcome is left open.
func (c *checker) staticTLS() {
	f := c.program()
	if c.dlopen || f.Machine != elf.EM_X86_64 || f.Class != elf.ELFCLASS64 {
		return
	}
	var blocks []tlsBlock
	if t := c.mainTLS; t != nil {
		blocks = append(blocks, tlsBlock{name: "the program", index: t.index, vaddr: t.vaddr, memsz: t.memsz, align: t.align})
	}
	for i := 1; i < len(c.loaded); i++ {
		o := c.loaded[i]
		if o.preloaded {
			continue
		}
		lf, err := o.file()
		if err != nil || lf.Machine != elf.EM_X86_64 || lf.Class != elf.ELFCLASS64 {
			continue
		}
		if tls := lastTLS(lf); tls != nil {
			blocks = append(blocks, tlsBlock{obj: o, name: filepath.Base(o.name), index: tls.Index, vaddr: tls.Vaddr, memsz: tls.Memsz, align: tls.Align})
		}
	}
	if len(blocks) == 0 {
		return
	}
	for _, b := range blocks {
		if b.align != 0 {
			continue
		}
		object, where := c.path, fmt.Sprintf("program header %d as ld.so reads it", b.index)
		if b.obj != nil {
			object, where = b.obj.name, fmt.Sprintf("program header %d of %s", b.index, b.name)
		}
		c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "tls-align-zero", Object: object,
			Summary:  fmt.Sprintf("the PT_TLS of %s has an alignment of 0, and ld.so divides by it when it places the thread-local blocks: a divide error (SIGFPE) in ld.so", b.name),
			Evidence: []string{fmt.Sprintf("%s is PT_TLS with p_memsz 0x%x, p_align 0 (_dl_determine_tlsoffset: roundup (offset, l_tls_align))", where, b.memsz)},
			Outcome:  OutcomeCrash, Signal: "SIGFPE", Message: "SIGFPE in ld.so before main (_dl_determine_tlsoffset)",
			Next: fmt.Sprintf("the program headers of %s were damaged (PT_TLS overwritten, or the headers read at a moved place): compare with the pristine file using `elfdoctor diff`", b.name)})
		return
	}
	limit, why := commitLimit()
	if limit == 0 {
		return
	}
	request, ok := tlsStatic(blocks)
	huge := !ok
	for _, b := range blocks {
		huge = huge || b.memsz > math.MaxUint64-tlsSlack || b.align > math.MaxUint64-tlsSlack
	}
	if huge {
		// A size or alignment at the top of size_t wraps the sums once
		// ld.so adds the surplus and the TCB: init_tls then allocates a
		// small block and _dl_allocate_tls_init clears the module's
		// whole p_memsz in it (SIGSEGV under the four builds, seeds
		// 7730000028, 7730001774), or not, as the sums fall. A
		// placement that wraps and comes back to its place (a
		// firstbyte past a small block) is no wrap at all: tlsStatic
		// replays it (lib-tls-align-odd-7061).
		var ev []string
		for _, b := range blocks {
			ev = append(ev, fmt.Sprintf("program header %d of %s is PT_TLS with p_memsz 0x%x, p_align 0x%x, p_vaddr 0x%x", b.index, b.name, b.memsz, b.align, b.vaddr))
		}
		c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "tls-size-wraps", Object: c.path, Outcome: OutcomeUndetermined,
			Possible: []Outcome{OutcomeStarts, OutcomeLoaderError, OutcomeCrash},
			Summary:  "undetermined: the static thread-local blocks' size wraps around in ld.so's arithmetic (_dl_determine_tlsoffset), so what it allocates for them, and what it clears and copies into that, is not what the headers ask for, and is not replayed",
			Evidence: ev,
			Next:     "a PT_TLS's p_memsz or p_align was damaged: compare with the pristine file using `elfdoctor diff`"})
		return
	}
	if request <= limit {
		return
	}
	var names []string
	ev := make([]string, 0, len(blocks)+2)
	for _, b := range blocks {
		names = append(names, b.name)
		ev = append(ev, fmt.Sprintf("program header %d of %s is PT_TLS with p_memsz 0x%x (%s), p_align 0x%x, p_vaddr 0x%x", b.index, b.name, b.memsz, inspect.HumanSize(b.memsz), b.align, b.vaddr))
	}
	ev = append(ev, fmt.Sprintf("_dl_determine_tlsoffset places the blocks one after another; _dl_allocate_tls_storage asks for their end plus the largest alignment: at least 0x%x bytes", request), why)
	c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "tls-too-large", Object: c.path,
		Summary:  fmt.Sprintf("the thread-local blocks of %s need at least %s of memory for the first thread: more than this machine lets one mapping commit, so ld.so cannot allocate them and stops", strings.Join(names, " and "), inspect.HumanSize(request)),
		Evidence: ev,
		Outcome:  OutcomeLoaderError, ExitStatus: 127,
		Message: "cannot allocate TLS data structures for initial thread",
		Next:    "a PT_TLS was damaged (a grown e_phnum reads other bytes as headers, or p_memsz or p_align overwritten): compare with the pristine file using `elfdoctor diff`"})
}

// hasTLSBlock says whether ld.so gave lm a thread-local block: the
// program's PT_TLS as ld.so read its headers, a library's last PT_TLS
// with a size.
func (c *checker) hasTLSBlock(lm *linkMap) bool {
	_, ok := c.tlsBlockSize(lm)
	return ok
}

// tlsSlack bounds what ld.so adds to the blocks' size before it
// allocates them (the static surplus, 1,664 bytes and more by tunables,
// the TCB, a last rounding): a size closer than that to the top of
// size_t may wrap there.
const tlsSlack = 1 << 24

// tlsBlockSize is the p_memsz of lm's thread-local block, if it has one.
func (c *checker) tlsBlockSize(lm *linkMap) (uint64, bool) {
	if lm.main {
		if c.mainTLS == nil {
			return 0, false
		}
		return c.mainTLS.memsz, true
	}
	if tls := lastTLS(lm.f); tls != nil {
		return tls.Memsz, true
	}
	return 0, false
}

// lastTLS is the PT_TLS ld.so takes an object's block from: the last one
// with a size (_dl_map_object_from_fd), or nil.
func lastTLS(f *inspect.File) *inspect.Prog {
	var tls *inspect.Prog
	for _, p := range f.ProgsOfType(elf.PT_TLS) {
		if p.Memsz != 0 {
			tls = p
		}
	}
	return tls
}

// tlsBlock is one module's PT_TLS as _dl_determine_tlsoffset takes it.
type tlsBlock struct {
	obj                 *loadedObj // nil for the program
	name                string
	index               int
	vaddr, memsz, align uint64
}

// tlsRequest is tlsStatic for the program's block alone.
func tlsRequest(t *mainTLS) (request uint64, ok bool) {
	return tlsStatic([]tlsBlock{{vaddr: t.vaddr, memsz: t.memsz, align: t.align}})
}

// tlsStatic bounds from below the malloc request _dl_allocate_tls_storage
// makes for the blocks, in load order. _dl_determine_tlsoffset's
// TLS_TCB_AT_TP loop (every release from 2.31 to 2.43) places each at
// roundup (offset + memsz - firstbyte, align) + firstbyte, reusing the
// gap an alignment left below an earlier block when the next one fits
// there (freetop, freebottom); the static size is roundup (offset +
// surplus, max_align) + TLS_TCB_SIZE, and the request that size plus
// max_align plus a pointer. The placement is replayed in size_t as ld.so
// computes it, wrapping included: a step that wraps may land where it
// would not have (a firstbyte past a small block comes back round to its
// place). The surplus and the TCB are not known here; request leaves
// them out, and ok is false when adding up to tlsSlack for them could
// wrap the sum, or when a wrapped offset puts a block outside the
// static area (an offset below its size, or past the last one): ld.so
// then allocates less than its blocks take, and what it clears and
// copies lands elsewhere. Every align is non-zero.
func tlsStatic(blocks []tlsBlock) (request uint64, ok bool) {
	var offset, freetop, freebottom, maxAlign uint64
	offs := make([]uint64, len(blocks))
	for i, b := range blocks {
		a := b.align
		firstbyte := -(b.vaddr & (a - 1)) & (a - 1)
		maxAlign = max(maxAlign, a)
		if freebottom-freetop >= b.memsz {
			if off := roundupVar(freetop+b.memsz-firstbyte, a) + firstbyte; off <= freebottom {
				freetop, offs[i] = off, off
				continue
			}
		}
		off := roundupVar(offset+b.memsz-firstbyte, a) + firstbyte
		if off > offset+b.memsz+(freebottom-freetop) {
			freetop, freebottom = offset, off-b.memsz
		}
		offset, offs[i] = off, off
	}
	for i, b := range blocks {
		if offs[i] < b.memsz || offs[i] > offset {
			return 0, false
		}
	}
	// The largest the size can be: roundup (offset + surplus, max_align)
	// + TCB + max_align + 8, each unknown part under tlsSlack.
	x, c1 := bits.Add64(offset, tlsSlack, 0)
	x, c2 := bits.Add64(x, maxAlign-1, 0)
	x, c3 := bits.Add64(x/maxAlign*maxAlign, maxAlign, 0)
	_, c4 := bits.Add64(x, tlsSlack, 0)
	if c1|c2|c3|c4 != 0 {
		return 0, false
	}
	return roundupVar(offset, maxAlign) + maxAlign, true
}

// roundupVar is sys/param.h's roundup with a variable y, ((x + y - 1) /
// y) * y, in size_t: what ld.so computes, wrapping as it does.
func roundupVar(x, y uint64) uint64 {
	return (x + y - 1) / y * y
}

// tlsImages replays the copy _dl_allocate_tls_init (elf/dl-tls.c) makes
// once dl_main has relocated every object and before any initialiser
// runs: each module's TLS initialisation image, l_addr plus its last
// PT_TLS with a size's p_vaddr, p_filesz bytes, into the first thread's
// block, in module order: the program's (module 1, its PT_TLS as ld.so
// read it at AT_PHDR or l_phdr) first. An image an object does not map
// faults there, in ld.so's memcpy (gdb, glibc 2.36); one past a
// library's pages is undetermined, as every such read is. (A segment's
// p_type changed to PT_TLS leaves its pages a PROT_NONE gap in a
// library's reservation and makes them the image.) An image whose sizes
// make the copy or the clearing after it wrap is not judged here.
func (c *checker) tlsImages() {
	if c.dlopen || len(c.loaded) == 0 {
		return
	}
	if t := c.mainTLS; t != nil && c.reloc != nil {
		if lm := c.reloc.linkMapOf(c.loaded[0]); lm != nil && c.tlsImage(c.loaded[0], lm.f, t.index, t.vaddr, t.filesz, t.memsz, t.align) {
			return
		}
	}
	for i := 1; i < len(c.loaded); i++ {
		o := c.loaded[i]
		if o.dyn == nil || o.preloaded {
			continue
		}
		f, err := o.file()
		if err != nil {
			continue
		}
		if tls := lastTLS(f); tls != nil && c.tlsImage(o, f, tls.Index, tls.Vaddr, tls.Filesz, tls.Memsz, tls.Align) {
			return
		}
	}
}

// tlsImage replays the copy of one object's TLS initialisation image
// (program header index, p_vaddr, p_filesz, p_memsz, p_align) from the
// object's memory, and reports whether it stopped the run.
func (c *checker) tlsImage(o *loadedObj, f *inspect.File, index int, vaddr, filesz, memsz, align uint64) bool {
	if f.Machine != elf.EM_X86_64 || f.Class != elf.ELFCLASS64 || filesz == 0 || align == 0 {
		return false
	}
	base := filepath.Base(o.name)
	seg := fmt.Sprintf("program header %d of %s is PT_TLS with p_vaddr 0x%x, p_filesz 0x%x, p_memsz 0x%x", index, base, vaddr, filesz, memsz)
	next := fmt.Sprintf("%s's program headers were damaged (a PT_LOAD retyped PT_TLS, or PT_TLS moved): reinstall it, or compare it with a pristine copy using `elfdoctor diff`", base)
	if filesz > memsz {
		// _dl_allocate_tls_init asserts it before the copy, every
		// release from 2.31 to 2.43.
		a := &assertion{file: "dl-tls.c", fn: "_dl_allocate_tls_init", expr: "map->l_tls_blocksize >= map->l_tls_initimage_size"}
		c.add(Finding{Severity: SeverityFatal, Stage: StageInit, Code: "tls-image-larger", Object: o.name,
			Summary:  fmt.Sprintf("the thread-local initialisation image of %s is larger than its block (p_filesz over p_memsz): ld.so's assertion stops it once everything is relocated", base),
			Evidence: []string{seg},
			Outcome:  OutcomeLoaderError, ExitStatus: 127, Message: a.Error(),
			Next: next})
		return true
	}
	if vaddr == 0 {
		// _dl_map_object_from_fd and dl_main keep p_vaddr as
		// l_tls_initimage and add the load address only when it is not
		// null: the copy reads address 0, where nothing is mapped.
		c.add(Finding{Severity: SeverityFatal, Stage: StageInit, Code: "tls-image-unreadable", Object: o.name,
			Summary:  fmt.Sprintf("the thread-local initialisation image of %s is at p_vaddr 0, which ld.so takes for no address at all: it copies the image from address 0 once everything is relocated, and faults before any initialiser runs", base),
			Evidence: []string{seg + ": l_tls_initimage stays NULL (ld.so adds the load address only to a non-null one), and _dl_allocate_tls_init copies p_filesz bytes from it"},
			Outcome:  OutcomeCrash, Signal: "SIGSEGV", Message: "SIGSEGV in ld.so before main (_dl_allocate_tls_init)",
			Next: next})
		return true
	}
	end, ok := addNoOverflow(vaddr, filesz)
	if !ok {
		return false
	}
	im := f.Image()
	var b [1]byte
	for a := vaddr; a < end; a = nextBoundary(im, a, end) {
		err := im.ReadAt(b[:], a, "TLS initialisation image")
		if err == nil {
			continue
		}
		if fd, ok := c.pastMappingFinding(o, err, "its TLS initialisation image", StageInit, "copying the TLS initialisation images (_dl_allocate_tls_init)", false); ok {
			c.add(fd)
			return true
		}
		var fe *inspect.FormatError
		if !errors.As(err, &fe) || fe.Fault == inspect.FaultNone {
			return false
		}
		sig := fe.Fault.Signal()
		c.add(Finding{Severity: SeverityFatal, Stage: StageInit, Code: "tls-image-unreadable", Object: o.name,
			Summary:  fmt.Sprintf("ld.so copies the thread-local initialisation image of %s into the first thread's block once everything is relocated, and the image is not in memory it can read: it faults before any initialiser runs", base),
			Evidence: []string{fmt.Sprintf("%s: ld.so copies 0x%x-0x%x", seg, vaddr, end), err.Error()},
			Outcome:  OutcomeCrash, Signal: sig, Message: sig + " in ld.so before main (_dl_allocate_tls_init)",
			Next: next})
		return true
	}
	return false
}
