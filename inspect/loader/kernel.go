package loader

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/internal/safeopen"
	"golang.org/x/sys/unix"
)

// kernelClass is the class binfmt_elf reads a file's headers with, chosen
// by e_machine alone (in the machine's own byte order): load_elf_binary
// checks ELFMAG, e_type and elf_check_arch, which on x86-64 is
// e_machine == EM_X86_64, and compat_binfmt_elf (IA32 emulation) takes
// EM_386 and EM_486 with 32-bit headers. Neither looks at EI_CLASS or
// EI_DATA. ok is false when neither handler of this kernel takes the
// machine, and the file goes on to binfmt_misc.
func kernelClass(machine uint16) (class elf.Class, ok bool) {
	switch runtime.GOARCH {
	case "amd64":
		switch elf.Machine(machine) {
		case elf.EM_X86_64:
			return elf.ELFCLASS64, true
		case elf.EM_386, elf.EM_486:
			return elf.ELFCLASS32, true
		}
	case "arm64":
		if elf.Machine(machine) == elf.EM_AARCH64 {
			return elf.ELFCLASS64, true
		}
	}
	return 0, false
}

// identPatched reads a file with EI_CLASS and EI_DATA replaced by what the
// kernel's handler assumes, so the headers parse as the kernel reads them.
type identPatched struct {
	r           io.ReaderAt
	class, data byte
}

func (p identPatched) ReadAt(b []byte, off int64) (int, error) {
	n, err := p.r.ReadAt(b, off)
	for i, v := range []byte{p.class, p.data} {
		if at := int64(elf.EI_CLASS+i) - off; at >= 0 && at < int64(n) {
			b[at] = v
		}
	}
	return n, err
}

// openAsKernel opens an executable whose EI_CLASS or EI_DATA is not what
// the kernel's handler for its e_machine assumes, with the headers read
// the way the kernel reads them. It returns nil when the file's ident
// already agrees (or no native handler takes it): inspect.Open reads it
// as it is. found is the ident's EI_CLASS and EI_DATA.
func openAsKernel(path string) (f *inspect.File, closer io.Closer, found [2]byte, err error) {
	fh, err := safeopen.Regular(path)
	if err != nil {
		return nil, nil, found, err
	}
	var head [20]byte
	if _, err := fh.ReadAt(head[:], 0); err != nil || string(head[:4]) != elf.ELFMAG {
		fh.Close()
		return nil, nil, found, nil
	}
	// e_machine is at the same offset in both classes.
	class, ok := kernelClass(binary.LittleEndian.Uint16(head[18:]))
	found = [2]byte{head[elf.EI_CLASS], head[elf.EI_DATA]}
	if !ok || (found[0] == byte(class) && found[1] == byte(elf.ELFDATA2LSB)) {
		fh.Close()
		return nil, nil, found, nil
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, nil, found, err
	}
	f, err = inspect.NewFile(identPatched{r: fh, class: byte(class), data: byte(elf.ELFDATA2LSB)}, st.Size())
	if err != nil {
		fh.Close()
		return nil, nil, found, err
	}
	return f, fh, found, nil
}

// typeIsDyn reports whether the ELF header of the file at path, read on
// its own, gives e_type ET_DYN.
func typeIsDyn(path string) bool {
	fh, err := safeopen.Regular(path)
	if err != nil {
		return false
	}
	defer fh.Close()
	var head [18]byte
	if _, err := fh.ReadAt(head[:], 0); err != nil || string(head[:4]) != elf.ELFMAG {
		return false
	}
	var order binary.ByteOrder = binary.LittleEndian
	if elf.Data(head[elf.EI_DATA]) == elf.ELFDATA2MSB {
		order = binary.BigEndian
	}
	return elf.Type(order.Uint16(head[16:])) == elf.ET_DYN
}

// execErrno is the error execve returns, with the words strerror gives it
// (what a shell prints after the program's name).
func execErrno(e syscall.Errno) string {
	s := e.Error()
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// kernelRead replays elf_read (fs/binfmt_elf.c) of n bytes at file offset
// off: kernel_read refuses an offset that is negative as a loff_t, or
// whose end overflows one (rw_verify_area: EINVAL), and a short read is
// EIO. It returns 0 when the read succeeds.
func kernelRead(size int64, off, n uint64) syscall.Errno {
	if int64(off) < 0 || int64(off+n) < 0 {
		return syscall.EINVAL
	}
	if off >= uint64(size) || n > uint64(size)-off {
		return syscall.EIO
	}
	return 0
}

// kernelInterp replays load_elf_binary's reading of PT_INTERP: the first
// one only, its length between 2 and PATH_MAX (else ENOEXEC), read with
// elf_read, and NUL-terminated in its last byte (else ENOEXEC). The name
// is what open_exec is given: up to the first NUL.
func kernelInterp(f *inspect.File) (name string, has bool, errno syscall.Errno, why string) {
	ps := f.ProgsOfType(elf.PT_INTERP)
	if len(ps) == 0 {
		return "", false, 0, ""
	}
	p := ps[0]
	if p.Filesz < 2 || p.Filesz > 4096 {
		return "", true, syscall.ENOEXEC, fmt.Sprintf("PT_INTERP (program header %d) is %d bytes; the kernel takes 2 to 4096", p.Index, p.Filesz)
	}
	if e := kernelRead(f.Size(), p.Offset, p.Filesz); e != 0 {
		why := fmt.Sprintf("PT_INTERP (program header %d) asks for %d bytes at file offset 0x%x; the file is 0x%x bytes", p.Index, p.Filesz, p.Offset, f.Size())
		if e == syscall.EINVAL {
			why = fmt.Sprintf("PT_INTERP (program header %d) has file offset 0x%x, negative as the kernel's signed file position", p.Index, p.Offset)
		}
		return "", true, e, why
	}
	b, err := f.ReadFull(int64(p.Offset), p.Filesz, fmt.Sprintf("PT_INTERP (program header %d)", p.Index))
	if err != nil {
		return "", true, syscall.EIO, err.Error()
	}
	if b[len(b)-1] != 0 {
		return "", true, syscall.ENOEXEC, fmt.Sprintf("PT_INTERP (program header %d) at file offset 0x%x does not end in a NUL byte", p.Index, p.Offset)
	}
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	return string(b), true, 0, ""
}

// kernelPhdrAddr is AT_PHDR as load_elf_binary computes it, at load bias
// 0: the address the file offset e_phoff has in the last PT_LOAD whose
// file bytes hold it, or 0 when none does (the kernel then passes the
// load bias alone).
func kernelPhdrAddr(f *inspect.File) (addr uint64, found bool) {
	for _, p := range f.ProgsOfType(elf.PT_LOAD) {
		if p.Offset <= f.Phoff && f.Phoff-p.Offset < p.Filesz {
			addr, found = f.Phoff-p.Offset+p.Vaddr, true
		}
	}
	return addr, found
}

// ldsoPhdrs replays how ld.so finds the program's headers when the kernel
// has mapped the program (dl_main, elf/rtld.c): it reads AT_PHNUM entries
// at AT_PHDR from memory, not from the file, and rtld_setup_main_map
// walks them. It returns what ld.so takes from them, or the fault of the
// read.
func ldsoPhdrs(f *inspect.File, phnum int) (view ldsoView, err error) {
	at, _ := kernelPhdrAddr(f)
	return ldsoPhdrsAt(f, phnum, at, false)
}

// commandPhdrAddr is l_phdr as _dl_map_object_from_fd sets it for a
// program ld.so maps itself (started as its loader's command), at load
// address 0: the last PT_PHDR's p_vaddr among the headers read from the
// file, unless that is 0, else, by _dl_postprocess_loadcmd, where the first PT_LOAD whose
// mapped pages hold all e_phnum headers maps e_phoff. found is false when
// neither holds: ld.so then walks a copy of the headers it read.
func commandPhdrAddr(f *inspect.File, phnum int) (addr uint64, found bool) {
	for _, p := range f.ProgsOfType(elf.PT_PHDR) {
		addr = p.Vaddr
	}
	// l_phdr of 0 is "not found yet", whatever PT_PHDR said.
	if addr != 0 {
		return addr, true
	}
	const page = 0x1000
	for _, p := range f.ProgsOfType(elf.PT_LOAD) {
		mapstart, mapend, mapoff := p.Vaddr&^(page-1), (p.Vaddr+p.Filesz+page-1)&^(page-1), p.Offset&^(page-1)
		if mapoff <= f.Phoff && mapend-mapstart+mapoff >= f.Phoff+uint64(phnum)*uint64(f.PhdrSize()) {
			return mapstart + f.Phoff - mapoff, true
		}
	}
	return 0, false
}

// ldsoPhdrsAt is ldsoPhdrs for headers at address at, or, with fromFile,
// in the file at e_phoff (ld.so's own copy of what it read).
func ldsoPhdrsAt(f *inspect.File, phnum int, at uint64, fromFile bool) (view ldsoView, err error) {
	view = ldsoView{at: at, types: map[elf.ProgType]bool{}}
	ent := uint64(f.PhdrSize())
	b := make([]byte, ent)
	o := f.ByteOrder()
	for i := 0; i < phnum; i++ {
		if fromFile {
			raw, err := f.ReadFull(int64(f.Phoff+uint64(i)*ent), ent, fmt.Sprintf("program header %d", i))
			if err != nil {
				return view, err
			}
			copy(b, raw)
		} else if err := f.Image().ReadAt(b, at+uint64(i)*ent, fmt.Sprintf("program header %d as ld.so reads it at l_phdr", i)); err != nil {
			return view, err
		}
		t := elf.ProgType(o.Uint32(b))
		view.types[t] = true
		// The fields by class: an ELFCLASS32 entry is 32 bytes, and its
		// flags come after the sizes.
		word := func(off64, off32 int) uint64 {
			if f.Class == elf.ELFCLASS32 {
				return uint64(o.Uint32(b[off32:]))
			}
			return o.Uint64(b[off64:])
		}
		vaddr := word(16, 8)
		switch t {
		case elf.PT_TLS:
			// rtld keeps the last one with a size (dl_main).
			filesz, memsz, align := word(32, 16), word(40, 20), word(48, 28)
			if memsz > 0 {
				view.tls = &mainTLS{index: i, vaddr: vaddr, filesz: filesz, memsz: memsz, align: align}
			}
		case elf.PT_GNU_PROPERTY, elf.PT_NOTE:
			memsz, align := word(40, 20), word(48, 28)
			n := phdrNote{index: i, vaddr: vaddr, memsz: memsz, align: align}
			if t == elf.PT_NOTE {
				view.notes = append(view.notes, n)
			} else {
				view.prop = &n
			}
		case elf.PT_PHDR:
			view.phdrVaddr, view.hasPhdr = vaddr, true
		case elf.PT_DYNAMIC:
			view.dynVaddr = vaddr
			view.ld = vaddr
			if view.hasPhdr {
				view.ld += at - view.phdrVaddr // l_addr then
			}
		case elf.PT_INTERP:
			view.interpVaddr, view.interpAt = vaddr, vaddr
			if view.hasPhdr {
				view.interpAt += at - view.phdrVaddr // l_addr then
			}
		}
	}
	return view, nil
}

// ldsoView is what rtld_setup_main_map takes from the program headers
// it reads at AT_PHDR.
type ldsoView struct {
	at        uint64 // AT_PHDR at load bias 0
	types     map[elf.ProgType]bool
	phdrVaddr uint64 // the last PT_PHDR's p_vaddr
	hasPhdr   bool
	dynVaddr  uint64 // the last PT_DYNAMIC's p_vaddr
	// ld is rtld's l_ld for it, in the kernel's frame at load bias 0:
	// p_vaddr plus l_addr as the headers before it had set it.
	ld uint64
	// interpVaddr is the last PT_INTERP's p_vaddr: where ld.so takes its
	// own name from (_dl_rtld_libname), read when it matches a DT_NEEDED
	// against the objects already loaded.
	interpVaddr uint64
	// interpAt is that name's address as ld for the dynamic table: with
	// l_addr as the headers before it had set it.
	interpAt uint64
	tls      *mainTLS  // the last PT_TLS with a p_memsz, nil if none
	prop     *phdrNote // the last PT_GNU_PROPERTY, nil if none
	notes    []phdrNote
}

// phdrNote is a note segment's header as ld.so reads it.
type phdrNote struct {
	index               int
	vaddr, memsz, align uint64
}

// fileReader reads a File's bytes as an io.ReaderAt.
type fileReader struct{ f *inspect.File }

func (r fileReader) ReadAt(p []byte, off int64) (int, error) {
	size := r.f.Size()
	if off < 0 || off >= size {
		return 0, io.EOF
	}
	n := min(int64(len(p)), size-off)
	b, err := r.f.ReadFull(off, uint64(n), "file")
	if err != nil {
		return 0, err
	}
	copy(p, b)
	if n < int64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

// vaddrShifted reads a file with some bytes replaced: the p_vaddr fields
// of its PT_LOADs (skewedView).
type vaddrShifted struct {
	r      io.ReaderAt
	fields []int64 // file offsets of the replaced fields
	vals   [][]byte
}

func (v vaddrShifted) ReadAt(p []byte, off int64) (int, error) {
	n, err := v.r.ReadAt(p, off)
	for i, at := range v.fields {
		for j, c := range v.vals[i] {
			if k := at + int64(j) - off; k >= 0 && k < int64(n) {
				p[k] = c
			}
		}
	}
	return n, err
}

// skewedView is the program as ld.so addresses it when its l_addr is off
// by skew from where the kernel really put it: every address ld.so
// computes as l_addr + X reads real address X + skew. Its PT_LOADs are
// the real ones lowered by skew.
//
// The dynamic table is where rtld put l_ld: l_addr as it stood when the
// loop over the headers met PT_DYNAMIC, plus its p_vaddr (ld, in the
// kernel's frame at load bias 0); a PT_PHDR after it moves l_addr, and so
// the table's pointers, but not the table. The last PT_DYNAMIC is moved
// to where that reads in the view.
func skewedView(f *inspect.File, skew, ld uint64) (*inspect.File, error) {
	v := vaddrShifted{r: fileReader{f}}
	// set replaces field i of the program header at off (p_offset,
	// p_vaddr, p_filesz, p_memsz: the 64-bit layout's order).
	set := func(off int64, i int, val uint64) {
		var b []byte
		if f.Class == elf.ELFCLASS32 {
			b = make([]byte, 4)
			f.ByteOrder().PutUint32(b, uint32(val))
			v.fields = append(v.fields, off+[]int64{4, 8, 16, 20}[i])
		} else {
			b = make([]byte, 8)
			f.ByteOrder().PutUint64(b, val)
			v.fields = append(v.fields, off+[]int64{8, 16, 32, 40}[i])
		}
		v.vals = append(v.vals, b)
	}
	loads := f.ProgsOfType(elf.PT_LOAD)
	if dyns := f.ProgsOfType(elf.PT_DYNAMIC); len(dyns) > 0 {
		d := *dyns[len(dyns)-1]
		d.Vaddr = ld // lowered by skew below, as the PT_LOADs
		loads = append(loads, &d)
	}
	for _, p := range loads {
		// A negative skew (a later PT_PHDR with a larger p_vaddr put
		// l_addr below the load address) moves every segment up.
		if p.Vaddr >= skew || int64(skew) < 0 || f.Class == elf.ELFCLASS32 {
			set(p.Off, 1, p.Vaddr-skew)
			continue
		}
		// The part below the skew would sit below address 0, where no
		// address ld.so computes (l_addr + X, X from the file) reads
		// without wrapping: the segment starts at 0 in the view, its
		// file bytes that much further in.
		cut := skew - p.Vaddr
		set(p.Off, 0, p.Offset+cut)
		set(p.Off, 1, 0)
		set(p.Off, 2, p.Filesz-min(cut, p.Filesz))
		set(p.Off, 3, p.Memsz-min(cut, p.Memsz))
	}
	sf, err := inspect.NewFile(v, f.Size())
	if err != nil {
		return nil, err
	}
	// Segments lowered by a skew that is not a page multiple no longer
	// start where their pages do; the kernel mapped the real pages, so
	// the view reads those, moved as a whole (a soak case: PT_PHDR 16
	// bytes off, and DT_NEEDED read 16 bytes early in .dynstr).
	if skew&(inspect.PageSizeFor(f.Machine)-1) == 0 || !sf.MapAsKernelShifted(f, skew) {
		sf.MapAsKernel()
	}
	return sf, nil
}

// rawPhnum is e_phnum as the kernel and ld.so take it: without the
// PN_XNUM escape into section header 0, which neither follows.
func rawPhnum(f *inspect.File) (int, error) {
	off := int64(56)
	if f.Class == elf.ELFCLASS32 {
		off = 44
	}
	b, err := f.ReadFull(off, 2, "e_phnum")
	if err != nil {
		return 0, err
	}
	return int(get16(f, b)), nil
}

// entry replays the jump to the program's entry point: by the kernel
// itself for a program without an interpreter, else by ld.so
// (_dl_start_user) once it has relocated everything and run the
// libraries' initialisers. when says which, for the evidence.
func (c *checker) entry(when string) {
	f := c.program()
	l := f.Image().Lookup(f.Entry)
	var what, sig string
	switch {
	case !l.Mapped:
		if fd, ok := c.entryPastMapping(f); ok {
			c.add(fd)
			return
		}
		what, sig = "not mapped", "SIGSEGV"
	case l.Perm&elf.PF_X == 0 && fetchFault(f, l) == inspect.FaultPastEOF:
		what, sig = fmt.Sprintf("in program header %d, which is %s, not executable, at file offset 0x%x, on a page past the end of the file (size 0x%x)", l.Prog, inspect.FlagString(l.Perm), l.Off, f.Size()), "SIGBUS"
	case l.Perm&elf.PF_X == 0:
		what, sig = fmt.Sprintf("in program header %d, which is %s, not executable", l.Prog, inspect.FlagString(l.Perm)), "SIGSEGV"
	case c.relroCovers(f.Entry) != "":
		what, sig = c.relroCovers(f.Entry), "SIGSEGV"
	case l.File && l.Off&^(f.Image().PageSize-1) >= uint64(f.Size()):
		what, sig = fmt.Sprintf("in program header %d at file offset 0x%x, on a page past the end of the file (size 0x%x)", l.Prog, l.Off, f.Size()), "SIGBUS"
	default:
		why, s := undefinedAt(f, f.Entry)
		if s == "" {
			if j := c.entryInPLT(f, when); j != nil {
				c.add(c.jumpFinding(j))
				return
			}
			source := fmt.Sprintf("e_entry is 0x%x (ELF header, file offset 0x18): %s", f.Entry, when)
			if j := c.inside(f, c.path, f.Entry, "the entry point", source); j != nil {
				c.add(c.jumpFinding(j))
			} else if j := c.entryElsewhere(f, source); j != nil {
				c.add(c.jumpFinding(j))
			}
			return
		}
		what, sig = "not the start of code: "+why, s
	}
	stage := StageInit
	if c.interpHost == "" {
		stage = StageKernel
	}
	c.add(Finding{Severity: SeverityFatal, Stage: stage, Code: "entry-not-executable",
		Summary:  fmt.Sprintf("the entry point 0x%x is %s", f.Entry, what),
		Evidence: []string{when},
		Outcome:  OutcomeCrash, Signal: sig,
		Message: sig + " at the entry point, before main",
		Next:    "the ELF header or the segment table was damaged: compare with the pristine file using `elfdoctor diff`"})
}

// entryPastMapping is the jump to an entry point outside the pages of a
// position-independent program ld.so mapped as its command: ld.so put
// it in the mmap area next to its own mappings (the vDSO's data pages lie
// right above the first object it maps), so the jump may run another
// object's code or fault with SIGSEGV or SIGBUS, as the layout has it.
func (c *checker) entryPastMapping(f *inspect.File) (Finding, bool) {
	if f.Type != elf.ET_DYN {
		return Finding{}, false
	}
	fe := &inspect.FormatError{Off: -1, Addr: f.Entry, InMem: true, Struct: "the entry point", Msg: "e_entry is outside every PT_LOAD of the program", Fault: inspect.FaultUnmapped}
	fd, ok := c.mainPastMapping(fe, "the entry point", StageInit, "jumping to the entry point")
	if !ok {
		return Finding{}, false
	}
	base := filepath.Base(c.path)
	fd.Code = "entry-outside-object"
	if len(fd.Evidence) > 1 {
		span, _, _ := strings.Cut(fd.Evidence[1], ": a linker")
		fd.Evidence[1] = strings.Replace(span, "the read is", "the entry point is", 1) + ": a linker puts the entry point in the program's code"
	}
	fd.Summary = fmt.Sprintf("undetermined: the entry point 0x%x is outside the pages %s reserves, and ld.so, started with the program as its command, placed it next to other mappings (the vDSO's data pages, ld.so, the libraries) or none, as the layout has it: the jump may run another object's code, or fault with SIGSEGV or SIGBUS", f.Entry, base)
	return fd, true
}

// unrelocatedStart follows _start's call of __libc_start_main in a
// program the kernel starts itself (no PT_INTERP): nothing relocates it,
// so the GOT slot crt1.o's _start calls through holds what the file
// holds. A static program's linker made that call direct (no slot); a
// slot still there, in a program whose PT_INTERP was lost, holds a
// link-time value, 0 in a position-independent one.
func (c *checker) unrelocatedStart() {
	f := c.program()
	if c.inside(f, c.path, f.Entry, "the entry point") != nil {
		return // _start is not entered at its start: its call is not followed
	}
	slot, ok := startCallSlot(f, memOf(f))
	if !ok {
		return
	}
	call := fmt.Sprintf("_start (e_entry 0x%x) ends with crt1.o's `call *0x%x(%%rip); hlt`", f.Entry, slot)
	var b [8]byte
	var summary string
	var ev []string
	if err := f.Image().ReadAt(b[:], slot, "__libc_start_main's GOT slot"); err != nil {
		// Nothing but the program's own segments is mapped within 1 TiB
		// of it (the stack, the vDSO and the empty brk heap are far off),
		// so a slot none of them maps is a hole.
		if f.Image().Lookup(slot).Mapped || slot >= 1<<40 {
			return // past the end of the file, or far off: another fault, not judged here
		}
		summary = fmt.Sprintf("the program has no PT_INTERP, so the kernel starts it at _start, which calls __libc_start_main through a GOT slot at 0x%x that no program header maps: the read faults", slot)
		ev = []string{call, err.Error()}
	} else {
		v := get64(f, b[:])
		if l := f.Image().Lookup(v); l.Mapped && l.Perm&elf.PF_X != 0 && f.Type == elf.ET_EXEC {
			return
		}
		if !c.surelyUnmapped(f, v) {
			return
		}
		summary = fmt.Sprintf("the program has no PT_INTERP, so no loader relocates it, and _start calls __libc_start_main through a GOT slot that still holds 0x%x from the file, where nothing is mapped", v)
		ev = []string{call, fmt.Sprintf("the GOT slot at 0x%x holds 0x%x in the file", slot, v)}
	}
	c.add(Finding{Severity: SeverityFatal, Stage: StageKernel, Code: "start-unrelocated",
		Summary: summary, Evidence: ev,
		Outcome: OutcomeCrash, Signal: "SIGSEGV",
		Message: "SIGSEGV in _start calling __libc_start_main, before main",
		Next:    "the program header table lost PT_INTERP (the segment table was damaged or shortened): compare with the pristine file using `elfdoctor diff`"})
}

// mainMap replays what ld.so reads of the program the kernel mapped
// before anything else (dl_main and rtld_setup_main_map, elf/rtld.c): the
// program headers, from memory at AT_PHDR, AT_PHNUM of them. It needs a
// PT_INTERP among them, the name it records for itself; without one it
// stops on an assertion.
func (c *checker) mainMap() {
	f := c.f
	if c.interpHost == "" || c.underEmulator != "" || c.dlopen {
		return
	}
	phnum, err := rawPhnum(f)
	if err != nil {
		return
	}
	// Started as its loader's command, the program was mapped by ld.so,
	// which took l_phdr from the file's own headers (commandPhdrAddr);
	// the kernel passed AT_PHDR otherwise.
	command := c.opts.Loader != ""
	var view ldsoView
	var where string
	if command {
		at, found := commandPhdrAddr(f, phnum)
		end := at + uint64(phnum)*uint64(f.PhdrSize())
		if li := describeLoader(c.interpHost, f); found && end < at && f.Type == elf.ET_EXEC && li.minor != 0 && li.minor < 32 {
			// l_phdr's end wraps around (an ET_EXEC, loaded at 0):
			// glibc before 2.32 walks the headers with ph <
			// &phdr[phnum], which no ph is, and reads none; later ones
			// walk down from the end too (for PT_GNU_PROPERTY), and
			// fault there.
			view = ldsoView{at: at, types: map[elf.ProgType]bool{}}
		} else {
			view, err = ldsoPhdrsAt(f, phnum, at, !found)
		}
		where = fmt.Sprintf("ld.so mapped the program itself and reads its headers at l_phdr, 0x%x at load address 0 (the last PT_PHDR's p_vaddr, or where a PT_LOAD maps file offset e_phoff)", at)
		if !found {
			where = "ld.so mapped the program itself and walks its own copy of the headers it read from the file: neither a PT_PHDR nor a PT_LOAD holds them"
		}
	} else {
		view, err = ldsoPhdrs(f, phnum)
		_, kernelFound := kernelPhdrAddr(f)
		where = fmt.Sprintf("AT_PHDR is 0x%x: where file offset e_phoff (0x%x) is mapped", view.at, f.Phoff)
		if !kernelFound {
			where = fmt.Sprintf("AT_PHDR is the load address itself (0x%x at load bias 0): no PT_LOAD maps file offset e_phoff (0x%x)", view.at, f.Phoff)
		}
	}
	types, at := view.types, view.at
	c.mainTLS = view.tls
	if err != nil {
		fd, ok := c.mainPastMapping(err, "its program headers", StageStartup, "reading the program's headers at l_phdr")
		if !ok {
			sig := faultSignal(err)
			fd = Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "phdr-unreadable",
				Summary:  "ld.so reads the program headers from memory where the kernel says they are, and that memory cannot be read",
				Evidence: []string{where, err.Error()},
				Outcome:  OutcomeCrash, Signal: sig, Message: sig + " in ld.so before main",
				Next: "the segment table was damaged: compare with the pristine file using `elfdoctor diff`"}
		}
		if command {
			// Read after the program's dynamic table (c.phdrFault).
			c.phdrFault = &fd
			return
		}
		c.add(fd)
		return
	}
	if !types[elf.PT_INTERP] && !command {
		// (Run as a command, ld.so knows its name from argv: no
		// assertion.)
		fn, expr := "rtld_setup_main_map", "GL(dl_rtld_map).l_libname"
		if li := describeLoader(c.interpHost, f); li.minor != 0 && li.minor < 35 {
			fn = "dl_main"
		} else if li.minor >= 41 {
			expr = "_dl_rtld_map.l_libname"
		}
		c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "phdr-no-interp",
			Summary:  "the program headers ld.so reads from memory have no PT_INTERP, so ld.so does not know its own name and stops on an assertion",
			Evidence: []string{where, fmt.Sprintf("the memory there does not hold the %d program headers the kernel read from the file", phnum)},
			Outcome:  OutcomeLoaderError, ExitStatus: 127,
			Message: fmt.Sprintf("Inconsistency detected by ld.so: rtld.c: %s: Assertion `%s' failed!", fn, expr),
			Next:    "the segment that held the program headers was moved, shrunk or overlaid: compare with the pristine file using `elfdoctor diff`"})
		return
	}
	// The headers at l_phdr (or AT_PHDR) may name another dynamic table
	// than the file's (rtld_setup_main_map takes the last PT_DYNAMIC):
	// without a PT_PHDR to move every address, ld.so reads that one.
	// For a program ld.so mapped itself, l_ld is the last PT_DYNAMIC's
	// p_vaddr plus l_addr as a PT_PHDR before it had set it, even one a
	// later PT_PHDR sets back: ld.so walks l_ld for the DT_NEEDED names
	// (_dl_map_object_deps) while l_info stays the file's.
	// _dl_map_object_from_fd set the program's TLS block from the file's
	// last PT_TLS with a size, leaving its module ID to rtld, which
	// rtld_setup_main_map sets (1) only with a PT_TLS in the headers at
	// l_phdr, and the block again from it: a block with no module ID, or
	// set twice, is not replayed. Without one in the file, rtld's alone
	// counts, as when the kernel started the program.
	if command {
		var file *mainTLS
		if p := lastTLS(f); p != nil {
			file = &mainTLS{vaddr: p.Vaddr, memsz: p.Memsz, align: p.Align}
		}
		if v := view.tls; file != nil && (v == nil || v.vaddr != file.vaddr || v.memsz != file.memsz || v.align != file.align) {
			what := "no PT_TLS with a size"
			if v != nil {
				what = fmt.Sprintf("a PT_TLS (header %d) at 0x%x, p_memsz 0x%x, p_align 0x%x", v.index, v.vaddr, v.memsz, v.align)
			}
			c.commandViewDiffers(where, fmt.Sprintf("the headers there hold %s, unlike the file's headers ld.so mapped the program with", what))
			return
		}
	}
	if command && types[elf.PT_DYNAMIC] {
		// Before 2.35 _dl_map_object_from_fd skipped a PT_DYNAMIC
		// without file bytes; rtld_setup_main_map takes any.
		pre35 := !(glibcModel{minor: describeLoader(c.interpHost, f).minor}).atLeast(35)
		var fileLd uint64
		found := false
		for _, p := range f.ProgsOfType(elf.PT_DYNAMIC) {
			if p.Filesz != 0 || !pre35 {
				fileLd, found = p.Vaddr, true
			}
		}
		if !found || view.ld != fileLd {
			c.commandViewDiffers(where, fmt.Sprintf("the headers there hold a PT_DYNAMIC at 0x%x, which with the load address the headers before it set makes l_ld 0x%x; ld.so read the dynamic table at 0x%x when it mapped the program", view.dynVaddr, view.ld, fileLd))
			return
		}
	}
	if types[elf.PT_DYNAMIC] && !view.hasPhdr && !command {
		var fileDyn uint64
		found := false
		for _, p := range f.ProgsOfType(elf.PT_DYNAMIC) {
			fileDyn, found = p.Vaddr, true
		}
		if !found || fileDyn != view.dynVaddr {
			ev := []string{where, fmt.Sprintf("the headers there hold a PT_DYNAMIC at 0x%x; the file's own headers put the dynamic table at 0x%x", view.dynVaddr, fileDyn)}
			if command {
				c.commandViewDiffers(where, ev[1])
				return
			}
			if c.surelyUnmapped(f, view.dynVaddr) {
				c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "dynamic-unreadable",
					Summary:  fmt.Sprintf("ld.so reads the program's dynamic table where the program headers it walks put it, 0x%x, where nothing can be mapped", view.dynVaddr),
					Evidence: ev, Outcome: OutcomeCrash, Signal: "SIGSEGV", Message: "SIGSEGV in ld.so before main (elf_get_dynamic_info)",
					Next: "the program headers ld.so reads were damaged: compare with the pristine file using `elfdoctor diff`"})
				return
			}
			c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "dynamic-elsewhere", Outcome: OutcomeUndetermined,
				Possible: openBeforeMain(),
				Summary:  fmt.Sprintf("undetermined: ld.so reads the program's dynamic table where the program headers it walks put it, 0x%x, not where the file's headers do: what it finds there is not replayed", view.dynVaddr),
				Evidence: ev,
				Next:     "the program headers ld.so reads were damaged: compare with the pristine file using `elfdoctor diff`"})
			return
		}
	}
	if fd, ok := c.propertyNote(view, where); ok {
		c.add(fd)
		return
	}
	if fd, ok := c.noteWalk(view, where); ok {
		c.add(fd)
		return
	}
	// Without PT_DYNAMIC ld.so reads no dynamic table: it loads no
	// library and relocates nothing, and the program's start-up code
	// calls through a GOT slot that still holds its link-time value.
	if command && !types[elf.PT_DYNAMIC] {
		// _dl_map_object_from_fd set l_ld from the file's headers, and
		// read the dynamic table there; only a PT_DYNAMIC in the headers
		// at l_phdr replaces it (rtld_setup_main_map).
		for _, p := range f.ProgsOfType(elf.PT_DYNAMIC) {
			view.ld = p.Vaddr
		}
	}
	// Started as its loader's command, an ET_EXEC without PT_DYNAMIC in
	// its file headers has no l_ld either (an ET_DYN is refused).
	if !types[elf.PT_DYNAMIC] && (!command || len(f.ProgsOfType(elf.PT_DYNAMIC)) == 0) {
		for _, s := range f.Sections {
			if (s.Type == elf.SHT_RELA || s.Type == elf.SHT_REL) && s.Flags&elf.SHF_ALLOC != 0 && s.Size > 0 {
				c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "dynamic-missing",
					Summary:  "the program headers ld.so reads have no PT_DYNAMIC: ld.so loads none of the program's libraries and applies none of its relocations, and the program's first call into a library jumps to an unrelocated address",
					Evidence: []string{where, fmt.Sprintf("section %s holds %d bytes of relocations that ld.so never sees", s.Name, s.Size)},
					Outcome:  OutcomeCrash, Signal: "SIGSEGV", Message: "SIGSEGV in the program's start-up code, before main",
					Next: "the segment table was damaged: compare with the pristine file using `elfdoctor diff`"})
				return
			}
		}
	}
	// l_addr is AT_PHDR less PT_PHDR's p_vaddr, or 0 without a PT_PHDR;
	// every table ld.so reads, and every relocation it writes, is at
	// l_addr plus what the dynamic table says, its own name too.
	c.rtldName, c.rtldNameSet = view.interpVaddr, types[elf.PT_INTERP] || !command
	if command {
		c.rtldName = view.interpAt
	}
	if !view.hasPhdr {
		// ld.so set l_addr itself when it mapped the program: only the
		// kernel's hand-over leaves it 0 without a PT_PHDR.
		if f.Type == elf.ET_DYN && types[elf.PT_DYNAMIC] && !command {
			c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "phdr-missing",
				Summary:  fmt.Sprintf("the program headers ld.so reads have no PT_PHDR, so it takes the position-independent program's load address as 0 and reads the dynamic table at 0x%x, where nothing is mapped", view.dynVaddr),
				Evidence: []string{where},
				Outcome:  OutcomeCrash, Signal: "SIGSEGV", Message: "SIGSEGV in ld.so before main (elf_get_dynamic_info)",
				Next: "compare with the pristine file using `elfdoctor diff`"})
		}
		return
	}
	skew := at - view.phdrVaddr
	if skew == 0 {
		return
	}
	if command {
		c.commandViewDiffers(where, fmt.Sprintf("the headers there hold a PT_PHDR at 0x%x: rtld_setup_main_map sets l_addr 0x%x higher than ld.so mapped the program", view.phdrVaddr, skew))
		return
	}
	c.add(Finding{Severity: SeverityWarning, Stage: StageStartup, Code: "phdr-mismatch",
		Summary:  fmt.Sprintf("PT_PHDR says the program headers are at 0x%x, but the kernel put them at 0x%x: ld.so adds the difference (0x%x) to every address of the program, and reads its tables at the wrong place", view.phdrVaddr, at, skew),
		Evidence: []string{where}})
	sf, err := skewedView(f, skew, view.ld)
	if err != nil {
		return
	}
	c.kf, c.f = f, sf
}

// propertyNote replays the main map's _dl_process_pt_gnu_property
// (elf/dl-load.c, called from rtld since glibc 2.32; x86-64 reads the
// IBT/SHSTK and ISA-level properties): the program's last
// PT_GNU_PROPERTY, aligned to the word size as a 64-bit note must be,
// and larger than a note header, is read at the load address plus
// p_vaddr. Only that first header's read is judged; the notes it leads
// to are not followed.
func (c *checker) propertyNote(view ldsoView, where string) (Finding, bool) {
	p, f := view.prop, c.f
	if p == nil || !view.hasPhdr || view.at != view.phdrVaddr || f.Class != elf.ELFCLASS64 || p.align != 8 || p.memsz <= 12 {
		return Finding{}, false
	}
	if li := describeLoader(c.interpHost, f); li.minor != 0 && li.minor < 32 {
		return Finding{}, false
	}
	var b [12]byte
	err := f.Image().ReadAt(b[:], p.vaddr, fmt.Sprintf("the GNU property note (program header %d)", p.index))
	if err == nil {
		return Finding{}, false
	}
	sig := faultSignal(err)
	return Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "property-note-unreadable",
		Summary:  fmt.Sprintf("ld.so reads the program's GNU property note (PT_GNU_PROPERTY, program header %d) at 0x%x, where nothing can be read", p.index, p.vaddr),
		Evidence: []string{where, err.Error()},
		Outcome:  OutcomeCrash, Signal: sig, Message: sig + " in ld.so before main (_dl_process_pt_gnu_property)",
		Next: "the segment table was damaged: compare with the pristine file using `elfdoctor diff`"}, true
}

// noteWalk replays the main map's _dl_process_pt_note of glibc 2.32 to
// 2.36 on x86-64 (elf/rtld.c scans the headers backwards and hands
// every PT_NOTE to _dl_process_property_note; 2.41 no longer does, 2.31
// did not yet): a note segment aligned to 8 is walked note by note
// while a header fits in p_memsz, in search of the GNU property note,
// and the walk stops at a second one. Each header read is judged; a read
// that faults is SIGSEGV. The releases between 2.37 and 2.40 are not
// claimed.
func (c *checker) noteWalk(view ldsoView, where string) (Finding, bool) {
	f := c.f
	if len(view.notes) == 0 || !view.hasPhdr || view.at != view.phdrVaddr || f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 {
		return Finding{}, false
	}
	if li := describeLoader(c.interpHost, f); li.minor < 32 || li.minor > 36 {
		return Finding{}, false
	}
	const maxNotes = 1 << 16
	seen := false // l_property is no longer unknown
	for i := len(view.notes) - 1; i >= 0 && !seen; i-- {
		n := view.notes[i]
		if n.align != 8 {
			continue
		}
		pos := n.vaddr
		for step := 0; pos+12-n.vaddr < n.memsz; step++ {
			if step == maxNotes {
				return Finding{}, false
			}
			var h [16]byte
			what := fmt.Sprintf("note %d of PT_NOTE (program header %d)", step, n.index)
			err := f.Image().ReadAt(h[:12], pos, what)
			namesz, descsz, typ := get32(f, h[:]), get32(f, h[4:]), get32(f, h[8:])
			if err == nil && namesz == 4 && typ == 5 { // NT_GNU_PROPERTY_TYPE_0
				err = f.Image().ReadAt(h[12:], pos+12, what+", its name")
				if err == nil && string(h[12:]) == "GNU\x00" {
					if seen {
						return Finding{}, false // a second one: _dl_process_property_note returns
					}
					seen = true
					if descsz < 8 || descsz%8 != 0 {
						return Finding{}, false
					}
				}
			}
			if err != nil {
				sig := faultSignal(err)
				return Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "note-walk-unreadable",
					Summary:  fmt.Sprintf("ld.so walks the program's note segment (PT_NOTE, program header %d, 0x%x bytes at 0x%x) looking for its GNU property note, and note %d lies where nothing can be read", n.index, n.memsz, n.vaddr, step),
					Evidence: []string{where, err.Error()},
					Outcome:  OutcomeCrash, Signal: sig, Message: sig + " in ld.so before main (_dl_process_property_note)",
					Next: "the segment table was damaged: compare with the pristine file using `elfdoctor diff`"}, true
			}
			// ELF_NOTE_NEXT_OFFSET with an alignment of 8.
			pos += (12 + uint64(namesz) + 7) &^ 7
			pos += (uint64(descsz) + 7) &^ 7
		}
	}
	return Finding{}, false
}

// program is the program as the kernel mapped it, which its own code
// (the entry point, __libc_csu_init, main) addresses; c.f is the program
// as ld.so addresses it, which differs when ld.so's load address is off.
func (c *checker) program() *inspect.File {
	if c.kf != nil {
		return c.kf
	}
	return c.f
}

// programData looks, once ld.so has handed over to the program, for the
// data its own code reads that the kernel mapped with no access at all (a
// PT_LOAD whose p_flags are 0): constants (.rodata) and data (.data,
// .got). Nothing of the loader reads them, so the program's first read
// faults, in its start-up code or in main before it prints anything. The
// section table says which data the code reads; without one nothing is
// predicted. _start reads .got (__libc_start_main's address) and a PLT
// stub .got.plt before anything else; a fault in .rodata or .data is
// held for firstCalls, since main's first read of them may come after a
// library call that fails.
func (c *checker) programData() {
	f := c.program()
	hold := func(fd Finding) {
		if c.dataFault == nil {
			c.dataFault = &fd
		}
	}
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 || s.Flags&elf.SHF_EXECINSTR != 0 || s.Type != elf.SHT_PROGBITS || s.Size == 0 {
			continue
		}
		switch s.Name {
		case ".rodata", ".data", ".got", ".got.plt":
		default:
			continue
		}
		held := s.Name == ".rodata" || s.Name == ".data"
		emit := c.add
		if held {
			emit = hold
		}
		l := f.Image().Lookup(s.Addr)
		if l.Mapped && l.File && l.Off&^(f.Image().PageSize-1) >= uint64(f.Size()) {
			emit(Finding{Severity: SeverityFatal, Stage: StageInit, Code: "data-past-eof",
				Summary:  fmt.Sprintf("%s (0x%x) is mapped from file offset 0x%x, on a page past the end of the file (size 0x%x): the program's first read of it raises SIGBUS", s.Name, s.Addr, l.Off, f.Size()),
				Evidence: []string{fmt.Sprintf("program header %d maps it", l.Prog)},
				Outcome:  OutcomeCrash, Signal: "SIGBUS",
				Message: "SIGBUS in the program's own code, before main has done anything",
				Next:    "the file is truncated or its segment table damaged: compare with the pristine file using `elfdoctor diff`"})
			if held {
				continue
			}
			return
		}
		if !l.Mapped {
			emit(Finding{Severity: SeverityFatal, Stage: StageInit, Code: "data-unmapped",
				Summary:  fmt.Sprintf("%s (0x%x) is in no PT_LOAD, so the kernel does not map it: the program's first read of it faults", s.Name, s.Addr),
				Evidence: []string{"the section table places it there; no program header maps that address"},
				Outcome:  OutcomeCrash, Signal: "SIGSEGV",
				Message: "SIGSEGV in the program's own code, before main has done anything",
				Next:    "the segment table was damaged: compare with the pristine file using `elfdoctor diff`"})
			if held {
				continue
			}
			return
		}
		if f.Readable(l) {
			continue
		}
		summary := fmt.Sprintf("%s (0x%x) is in PT_LOAD %d, which has no permissions (p_flags 0): the program's first read of it faults", s.Name, s.Addr, l.Prog)
		ev := fmt.Sprintf("the kernel maps program header %d with PROT_NONE", l.Prog)
		if l.Perm&(elf.PF_R|elf.PF_W|elf.PF_X) != 0 {
			summary = fmt.Sprintf("%s (0x%x) is in PT_LOAD %d, which is executable only (p_flags X): on this CPU, whose protection keys the kernel enabled, such pages run code but cannot be read, so the program's first read of it faults", s.Name, s.Addr, l.Prog)
			ev = fmt.Sprintf("the kernel maps program header %d PROT_EXEC alone, which Linux gives an execute-only protection key", l.Prog)
		}
		emit(Finding{Severity: SeverityFatal, Stage: StageInit, Code: "data-no-access",
			Summary:  summary,
			Evidence: []string{ev},
			Outcome:  OutcomeCrash, Signal: "SIGSEGV",
			Message: "SIGSEGV in the program's own code, before main has done anything",
			Next:    "the segment table was damaged: compare with the pristine file using `elfdoctor diff`"})
		if held {
			continue
		}
		return
	}
}

// taskSize is TASK_SIZE for the process the kernel makes for f: on
// x86-64, 47 bits less a page, or 56 bits when the kernel uses 5-level
// paging (fiveLevel); 0xffffe000 for an
// IA32 process. 0 when not known (other machines): nothing is judged.
func taskSize(f *inspect.File) uint64 {
	if runtime.GOARCH != "amd64" {
		return 0
	}
	if f.Class == elf.ELFCLASS32 {
		return 0xffffe000
	}
	if fiveLevel() {
		return 1<<56 - 0x1000
	}
	return 1<<47 - 0x1000
}

// beyondTaskSize replays load_elf_binary's checks of a PT_LOAD against
// TASK_SIZE, which fail exec after the point of no return. An ET_EXEC
// segment is placed at its p_vaddr; an ET_DYN program is mapped first as
// one block of total_mapping_size bytes at an address the kernel picks,
// so only what no placement can satisfy is judged for it.
func (c *checker) beyondTaskSize(p *inspect.Prog, loads []*inspect.Prog) string {
	ts := taskSize(c.f)
	if ts == 0 {
		return ""
	}
	if p.Memsz > ts {
		return fmt.Sprintf("p_memsz 0x%x is larger than the address space (0x%x)", p.Memsz, ts)
	}
	if c.f.Type == elf.ET_EXEC {
		if p.Vaddr >= ts || ts-p.Memsz < p.Vaddr {
			return fmt.Sprintf("0x%x-0x%x reaches past the end of the address space (0x%x)", p.Vaddr, p.Vaddr+p.Memsz, ts)
		}
		return ""
	}
	if p != loads[0] {
		return ""
	}
	lo, hi := ^uint64(0), uint64(0)
	for _, l := range loads {
		lo = min(lo, l.Vaddr&^(inspect.PageSizeFor(c.f.Machine)-1))
		hi = max(hi, l.Vaddr+l.Memsz)
	}
	total := hi - lo
	if total == 0 || total > ts {
		return fmt.Sprintf("the PT_LOADs span 0x%x bytes (from 0x%x to 0x%x), which the kernel cannot map as one block", total, lo, hi)
	}
	// With an interpreter, load_elf_binary places a PIE at
	// ELF_ET_DYN_BASE (two thirds of the 47-bit window) plus a random
	// offset, rounded down to the largest power-of-two p_align, and maps
	// the whole span there with MAP_FIXED_NOREPLACE: a span that ends
	// past TASK_SIZE even from the lowest such base cannot be mapped.
	// (Judged only where the first PT_LOAD is the lowest and the address
	// space is the 47-bit one.)
	const etDynBase = (1<<47 - 0x1000) / 3 * 2
	if _, interp, _ := c.f.Interp(); interp && c.f.Machine == elf.EM_X86_64 && c.f.Class == elf.ELFCLASS64 && ts == 1<<47-0x1000 && loads[0].Vaddr&^0xfff == lo {
		base := uint64(etDynBase)
		for _, l := range loads {
			if a := l.Align; a != 0 && a&(a-1) == 0 && a <= base {
				base &^= a - 1
			}
		}
		base &^= 0xfff
		if base+total > ts {
			return fmt.Sprintf("the PT_LOADs span 0x%x bytes (from 0x%x to 0x%x), and a position-independent program with an interpreter is mapped from ELF_ET_DYN_BASE (0x%x here at the lowest): the span would end at 0x%x, past the end of the address space (0x%x)", total, lo, hi, base, base+total, ts)
		}
	}
	return ""
}

// rtldSonameCompare replays dl_main's first read of its own name (the
// string at l_addr plus PT_INTERP's p_vaddr), made right after the
// program headers are read and before the program's dynamic table is
// (elf/rtld.c, 2.31 to 2.41): when ld.so has a DT_SONAME, it strcmps the
// name with it to add the soname as another name. strcmp reads up to the
// first byte that differs ('/' against 'l' for every usual path), and
// x86-64's never reads across a page it was not given, so the read
// faults when those bytes are not mapped.
func (c *checker) rtldSonameCompare() {
	if c.interpHost == "" || c.underEmulator != "" || c.dlopen || c.isLibrary() || !c.rtldNameSet {
		return
	}
	e := c.openLib(c.interpHost)
	if e.err != nil || !e.hasSoname || e.ldSoname.err != nil {
		return
	}
	soname := e.ldSoname.s + "\x00"
	var b [1]byte
	for i := 0; i < len(soname); i++ {
		err := c.f.Image().ReadAt(b[:], c.rtldName+uint64(i), "ld.so's own name (PT_INTERP as ld.so reads it)")
		if err != nil {
			var fe *inspect.FormatError
			if !errors.As(err, &fe) || fe.Fault == inspect.FaultNone {
				return
			}
			if fd, ok := c.mainPastMapping(err, "ld.so's own name", StageStartup, "comparing its own name with its soname"); ok {
				// Started as ld.so's command, the program lies in the
				// mmap area, with ld.so's and the vDSO's pages above it.
				c.add(fd)
				return
			}
			sig := fe.Fault.Signal()
			c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "rtld-name-unreadable",
				Summary:  fmt.Sprintf("ld.so takes its own name from where PT_INTERP says the interpreter's path is in memory (0x%x), and that memory cannot be read: it faults when it compares the name with its soname (%s), before it reads the program's dynamic table", c.rtldName, e.ldSoname.s),
				Evidence: []string{err.Error()},
				Outcome:  OutcomeCrash, Signal: sig, Message: sig + " in ld.so before main (dl_main)",
				Next: "PT_INTERP's p_vaddr was damaged: compare with the pristine file using `elfdoctor diff`"})
			return
		}
		if b[0] != soname[i] {
			return
		}
	}
}

// loaderItself replays the check rtld.c makes once it has mapped the
// program it was run with as a command (rtld_chain_load from glibc 2.35,
// dl_main before): a program whose DT_SONAME is ld.so's own is refused,
// "loader cannot load itself" (seed 9320001336: patchelf 0.14 gave the
// program the string it added, ld-linux-x86-64.so.2, as its DT_SONAME).
func (c *checker) loaderItself() {
	if c.opts.Loader == "" || c.interpHost == "" || c.dlopen || c.dyn == nil {
		return
	}
	e := c.openLib(c.interpHost)
	if e.err != nil || !e.hasSoname || e.ldSoname.err != nil {
		return
	}
	prog, ok := ldSoname(c.f, c.dyn)
	if !ok {
		return
	}
	if prog.err != nil {
		sig := faultSignal(prog.err)
		c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "soname-unreadable", Object: c.path,
			Summary:  fmt.Sprintf("ld.so compares the program's DT_SONAME with its own (%s) once it has mapped the program it was run with, and cannot read it", e.ldSoname.s),
			Evidence: []string{prog.err.Error()}, Outcome: OutcomeCrash, Signal: sig,
			Message: sig + " in ld.so before main (dl_main)",
			Next:    "the program's DT_SONAME or DT_STRTAB was damaged: compare with the pristine file using `elfdoctor diff`"})
		return
	}
	if prog.s != e.ldSoname.s {
		return
	}
	msg := "loader cannot load itself"
	if c.model().atLeast(35) {
		msg = e.ldSoname.s + ": " + msg
	}
	c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "loader-itself", Object: c.path,
		Summary: fmt.Sprintf("the program's DT_SONAME is %s, the loader's own, so ld.so refuses to run it as its command", prog.s),
		Outcome: OutcomeLoaderError, ExitStatus: 127, Message: msg,
		Next: "a program has no DT_SONAME of a library's; this one was given ld.so's (patchelf --set-soname, or a rewrite that reused the string): compare with the pristine file using `elfdoctor diff`"})
}

// rtldNameRead replays the first read of ld.so's own name: _dl_map_object
// compares every DT_NEEDED name with the names of the objects already
// loaded (_dl_name_match_p), ld.so's among them, the string at l_addr plus
// PT_INTERP's p_vaddr. It is called before the first library is searched.
func (c *checker) rtldNameRead() {
	if c.interpHost == "" || c.underEmulator != "" || c.dlopen || !c.rtldNameSet || c.dyn == nil || len(c.dyn.Needed) == 0 {
		return
	}
	if _, err := c.f.Image().CString(c.rtldName, 4096, "ld.so's own name (PT_INTERP as ld.so reads it)"); err != nil {
		var fe *inspect.FormatError
		if !errors.As(err, &fe) || fe.Fault == inspect.FaultNone {
			return
		}
		if fd, ok := c.mainPastMapping(err, "ld.so's own name", StageDeps, "comparing the first DT_NEEDED name with its own"); ok {
			c.add(fd)
			return
		}
		sig := fe.Fault.Signal()
		c.add(Finding{Severity: SeverityFatal, Stage: StageDeps, Code: "rtld-name-unreadable",
			Summary:  fmt.Sprintf("ld.so takes its own name from where PT_INTERP says the interpreter's path is in memory (0x%x), and that memory cannot be read: it faults when it compares the first DT_NEEDED name with it", c.rtldName),
			Evidence: []string{err.Error()},
			Outcome:  OutcomeCrash, Signal: sig, Message: sig + " in ld.so before main (_dl_name_match_p)",
			Next: "PT_INTERP's p_vaddr was damaged: compare with the pristine file using `elfdoctor diff`"})
	}
}

// unrelocatedProgram replays the program's own start-up when the dynamic
// table ld.so read for it holds no relocation table at all while the
// program was linked with relocations (the section table has them): ld.so
// filled none of its GOT slots, and _start calls __libc_start_main through
// one.
func (c *checker) unrelocatedProgram() {
	if c.dyn == nil || c.dlopen {
		return
	}
	for _, t := range []elf.DynTag{elf.DT_RELA, elf.DT_REL, elf.DT_JMPREL, dtRELR} {
		if _, ok := c.dyn.Tag(t); ok {
			return
		}
	}
	for _, s := range c.program().Sections {
		if (s.Type == elf.SHT_RELA || s.Type == elf.SHT_REL) && s.Flags&elf.SHF_ALLOC != 0 && s.Size > 0 {
			c.add(Finding{Severity: SeverityFatal, Stage: StageInit, Code: "program-unrelocated",
				Summary: fmt.Sprintf("the dynamic table ld.so read for the program (%d entries at 0x%x) has no relocation table, while the program was linked with %d bytes of them (%s): its GOT keeps its link-time values, and its start-up code calls through it", len(c.dyn.Entries), c.dyn.Addr, s.Size, s.Name),
				Outcome: OutcomeCrash, Signal: "SIGSEGV", Message: "SIGSEGV in the program's start-up code, before main",
				Next: "the dynamic table or the segment table was damaged: compare with the pristine file using `elfdoctor diff`"})
			return
		}
	}
}

// zeroFillPages is the length elf_load (fs/binfmt_elf.c, Linux 6.7 and
// later) asks vm_brk_flags for to back a PT_LOAD's zero-fill with
// anonymous memory: from the page after its last file byte (its first
// page when it has no file bytes) to the page holding its last byte.
// Older kernels make one such mapping, from the end of the file bytes
// of the segment with the highest end to that end; a huge p_memsz fails
// either way.
func zeroFillPages(p *inspect.Prog, page uint64) uint64 {
	if p.Memsz <= p.Filesz {
		return 0
	}
	start := roundUp(p.Vaddr+p.Filesz, page)
	if p.Filesz == 0 {
		start = p.Vaddr &^ (page - 1)
	}
	end, ok := addNoOverflow(p.Vaddr, p.Memsz)
	if !ok {
		return ^uint64(0)
	}
	end = roundUp(end, page)
	if end <= start {
		return 0
	}
	return end - start
}

// kernelBefore says whether the running kernel's release is older than
// major.minor, and whether that could be read.
func kernelBefore(major, minor int) (before, known bool) {
	rel, known := kernelRelease()
	if !known {
		return false, false
	}
	return rel[0] < major || (rel[0] == major && rel[1] < minor), true
}

// kernelRelease is the running kernel's major and minor release, as
// uname(2) reports it (the string /proc/sys/kernel/osrelease holds),
// asked once: one system call, where reading the /proc file is four,
// and the kernel does not change under a running process.
var kernelRelease = sync.OnceValues(func() (rel [2]int, known bool) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return rel, false
	}
	if _, err := fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &rel[0], &rel[1]); err != nil {
		return rel, false
	}
	return rel, true
})

// commitLimit is the largest anonymous mapping vm_brk_flags can charge
// to this machine's commit accounting (__vm_enough_memory, mm/util.c),
// in bytes, and why; 0 when the policy refuses none. With
// vm.overcommit_memory 0 (the heuristic) a single request larger than
// RAM plus swap fails; with 2 (strict) one larger than CommitLimit
// fails whatever else is committed; with 1 nothing does.
func commitLimit() (uint64, string) {
	commit.Do(func() {
		b, err := readProc("/proc/sys/vm/overcommit_memory", 64)
		if err != nil {
			return
		}
		var mode int
		if _, err := fmt.Sscan(string(b), &mode); err != nil {
			return
		}
		switch mode {
		case 0:
			// totalram_pages() + total_swap_pages, which sysinfo(2)
			// reports in one call (/proc/meminfo's MemTotal and
			// SwapTotal are the same counters).
			var si unix.Sysinfo_t
			if err := unix.Sysinfo(&si); err != nil || si.Totalram == 0 {
				return
			}
			unit := max(uint64(si.Unit), 1)
			commit.v = (uint64(si.Totalram) + uint64(si.Totalswap)) * unit
			commit.why = fmt.Sprintf("vm.overcommit_memory is 0: one request larger than RAM plus swap (%s) is refused", inspect.HumanSize(commit.v))
		case 2:
			info, err := readProc("/proc/meminfo", 64<<10)
			if err != nil {
				return
			}
			for _, line := range strings.Split(string(info), "\n") {
				var kb uint64
				if rest, ok := strings.CutPrefix(line, "CommitLimit:"); ok {
					if _, err := fmt.Sscan(rest, &kb); err == nil && kb > 0 {
						commit.v = kb << 10
						commit.why = fmt.Sprintf("vm.overcommit_memory is 2: one request larger than CommitLimit (%s) is refused", inspect.HumanSize(commit.v))
					}
					break
				}
			}
		}
	})
	return commit.v, commit.why
}

var commit struct {
	sync.Once
	v   uint64
	why string
}

// offsetUnmappable replays the offset checks of elf_map's vm_mmap
// (fs/binfmt_elf.c, mm/util.c, mm/mmap.c) for a PT_LOAD with file bytes:
// the offset is p_offset less p_vaddr's page offset, the length
// p_filesz plus that page offset (for an ET_DYN program's first
// segment, the whole span of its PT_LOADs); an offset whose end wraps
// is EINVAL, one past the largest file offset Linux maps
// (file_mmap_ok: MAX_LFS_FILESIZE less the length) EOVERFLOW. Either
// fails exec after the point of no return. It returns why, or "".
func (c *checker) offsetUnmappable(p *inspect.Prog, loads []*inspect.Prog) string {
	if p.Filesz == 0 || runtime.GOOS != "linux" {
		return ""
	}
	page := inspect.PageSizeFor(c.f.Machine)
	pageOff := p.Vaddr & (page - 1)
	off := p.Offset - pageOff
	length := p.Filesz + pageOff
	if c.f.Type == elf.ET_DYN && p == loads[0] {
		lo, hi := ^uint64(0), uint64(0)
		for _, l := range loads {
			lo = min(lo, l.Vaddr&^(page-1))
			hi = max(hi, l.Vaddr+l.Memsz)
		}
		length = hi - lo
	}
	length = (length + page - 1) &^ (page - 1)
	const maxLFS = 1<<63 - 1
	switch {
	case off+length < off:
		return fmt.Sprintf("the mapping from file offset 0x%x for 0x%x bytes wraps around (EINVAL)", off, length)
	case length > maxLFS || off/page > (maxLFS-length)/page:
		return fmt.Sprintf("file offset 0x%x is past the largest offset Linux maps a file at (EOVERFLOW)", off)
	}
	return ""
}

// relroCovers says whether addr of the program lies in the pages
// _dl_protect_relro made read-only after relocating it (from the page of
// PT_GNU_RELRO's p_vaddr to the page its end falls in, the end's page
// left out), which take away execute permission from code there: it
// returns how, or "". Only after ld.so has relocated the program.
func (c *checker) relroCovers(addr uint64) string {
	if c.reloc == nil || len(c.loaded) == 0 {
		return ""
	}
	lm := c.reloc.linkMapOf(c.loaded[0])
	if lm == nil || !lm.main || !lm.hasRelro || lm.relroSize == 0 {
		return ""
	}
	page := lm.f.Image().PageSize
	start := lm.relroAddr &^ (page - 1)
	end := lm.m.add(lm.relroAddr, lm.relroSize) &^ (page - 1)
	if end <= start || addr < start || addr >= end {
		return ""
	}
	return fmt.Sprintf("in the pages 0x%x-0x%x that ld.so made read-only after relocation (PT_GNU_RELRO: vaddr 0x%x, MemSiz 0x%x), so no longer executable", start, end, lm.relroAddr, lm.relroSize)
}

// commandViewDiffers is the undetermined finding for a program ld.so
// mapped itself (started as its command) whose headers at l_phdr give
// another l_addr or l_ld than those it mapped and read the program
// with: _dl_map_object_from_fd parsed the dynamic table already
// (rtld_is_main skips the second elf_get_dynamic_info), and which later
// reads use the changed values is not replayed.
func (c *checker) commandViewDiffers(where, what string) {
	c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "phdr-view-differs", Outcome: OutcomeUndetermined,
		Possible: openBeforeMain(),
		Summary:  "undetermined: the program headers ld.so walks at l_phdr, after mapping the program itself, change what it took from the file's headers when it mapped the program (its load address, dynamic table or thread-local block); which of its later steps use the changed values is not replayed",
		Evidence: []string{where, what},
		Next:     "the program headers were damaged: compare with the pristine file using `elfdoctor diff`"})
}
