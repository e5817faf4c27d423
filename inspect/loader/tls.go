package loader

import (
	"debug/elf"
	"errors"
	"fmt"
	"math/bits"
	"path/filepath"

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
// module's block (elf/dl-tls.c, x86-64's TLS_TCB_AT_TP), the program's
// first, and _dl_allocate_tls_storage asks rtld's minimal malloc, an
// anonymous mmap, for the static size plus its alignment. A request the
// kernel's commit accounting refuses (commitLimit) stops ld.so with
// "cannot allocate TLS data structures for initial thread", exit 127.
//
// Only the program's block is counted, so the size is a lower bound: the
// other modules, the surplus and the thread control block only add to
// it. Nothing is claimed when that arithmetic wraps in ld.so's size_t
// (the request is then small) or divides by an alignment of 0.
func (c *checker) staticTLS() {
	t := c.mainTLS
	f := c.program()
	if t == nil || c.dlopen || f.Machine != elf.EM_X86_64 || f.Class != elf.ELFCLASS64 {
		return
	}
	if t.align == 0 {
		// _dl_determine_tlsoffset rounds the block's offset up to
		// l_tls_align with roundup (x, y), a division by a variable: a
		// divide error, SIGFPE, before any library is relocated.
		c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "tls-align-zero",
			Summary:  "the program's PT_TLS has an alignment of 0, and ld.so divides by it when it places the thread-local block: a divide error (SIGFPE) in ld.so",
			Evidence: []string{fmt.Sprintf("program header %d as ld.so reads it is PT_TLS with p_memsz 0x%x, p_align 0 (_dl_determine_tlsoffset: roundup (offset, l_tls_align))", t.index, t.memsz)},
			Outcome:  OutcomeCrash, Signal: "SIGFPE", Message: "SIGFPE in ld.so before main (_dl_determine_tlsoffset)",
			Next: "the program header table was damaged (PT_TLS overwritten, or the headers read at a moved place): compare with the pristine file using `elfdoctor diff`"})
		return
	}
	limit, why := commitLimit()
	if limit == 0 {
		return
	}
	request, ok := tlsRequest(t)
	if !ok || request <= limit {
		return
	}
	c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "tls-too-large",
		Summary: fmt.Sprintf("the program's PT_TLS asks for a thread-local block that, with its alignment, needs at least %s of memory for the first thread: more than this machine lets one mapping commit, so ld.so cannot allocate it and stops", inspect.HumanSize(request)),
		Evidence: []string{
			fmt.Sprintf("program header %d as ld.so reads it at AT_PHDR is PT_TLS with p_memsz 0x%x (%s), p_align 0x%x, p_vaddr 0x%x", t.index, t.memsz, inspect.HumanSize(t.memsz), t.align, t.vaddr),
			fmt.Sprintf("_dl_determine_tlsoffset places the block at offset 0x%x or more; _dl_allocate_tls_storage asks for that plus the alignment: at least 0x%x bytes", request-t.align, request),
			why,
		},
		Outcome: OutcomeLoaderError, ExitStatus: 127,
		Message: "cannot allocate TLS data structures for initial thread",
		Next:    "the program header table was damaged (a grown e_phnum reads other bytes as headers, or PT_TLS was overwritten): compare with the pristine file using `elfdoctor diff`"})
}

// tlsRequest is the least malloc request _dl_allocate_tls_storage makes
// for the program's block t: its offset, roundup(memsz - firstbyte,
// align) + firstbyte as _dl_determine_tlsoffset computes it from offset
// 0, plus the static alignment, at least t.align. ok is false when any
// step wraps as ld.so's size_t arithmetic would.
func tlsRequest(t *mainTLS) (request uint64, ok bool) {
	a := t.align
	firstbyte := -(t.vaddr & (a - 1)) & (a - 1)
	x, borrow := bits.Sub64(t.memsz, firstbyte, 0)
	if borrow != 0 {
		return 0, false
	}
	// roundup (x, a): ((x + a - 1) / a) * a, a variable, not a power of 2.
	y, carry := bits.Add64(x, a-1, 0)
	if carry != 0 {
		return 0, false
	}
	hi, off := bits.Mul64(y/a, a)
	if hi != 0 {
		return 0, false
	}
	off, carry = bits.Add64(off, firstbyte, 0)
	if carry != 0 {
		return 0, false
	}
	request, carry = bits.Add64(off, a, 0)
	return request, carry == 0
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
		var tls *inspect.Prog
		for _, p := range f.ProgsOfType(elf.PT_TLS) {
			if p.Memsz != 0 {
				tls = p
			}
		}
		if tls != nil && c.tlsImage(o, f, tls.Index, tls.Vaddr, tls.Filesz, tls.Memsz, tls.Align) {
			return
		}
	}
}

// tlsImage replays the copy of one object's TLS initialisation image
// (program header index, p_vaddr, p_filesz, p_memsz, p_align) from the
// object's memory, and reports whether it stopped the run.
func (c *checker) tlsImage(o *loadedObj, f *inspect.File, index int, vaddr, filesz, memsz, align uint64) bool {
	if f.Machine != elf.EM_X86_64 || f.Class != elf.ELFCLASS64 || filesz == 0 || filesz > memsz || align == 0 {
		return false
	}
	base := filepath.Base(o.name)
	seg := fmt.Sprintf("program header %d of %s is PT_TLS with p_vaddr 0x%x, p_filesz 0x%x, p_memsz 0x%x", index, base, vaddr, filesz, memsz)
	next := fmt.Sprintf("%s's program headers were damaged (a PT_LOAD retyped PT_TLS, or PT_TLS moved): reinstall it, or compare it with a pristine copy using `elfdoctor diff`", base)
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
