package coredump

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// Limits on what a core may make us do.
const (
	maxPhnum     = 1 << 16 // program headers in a core (one per mapping)
	maxNotes     = 1 << 16 // notes in all PT_NOTE segments
	maxNoteSize  = 64 << 20
	maxFiles     = 1 << 16 // NT_FILE entries
	maxAuxv      = 512
	maxThreads   = 1 << 14
	ntFile       = 0x46494c45 // "FILE"
	ntAuxv       = 6
	ntSiginfo    = 0x53494749 // "SIGI"
	prRegOffset  = 112        // offset of pr_reg in elf_prstatus on LP64
	siAddrOffset = 16         // offset of si_addr in siginfo_t on LP64
)

// Core is an opened core file. Its methods read the core lazily through
// an io.ReaderAt; only the notes are held in memory.
type Core struct {
	Path    string // as given; the decompressed copy is private
	Machine elf.Machine
	Class   elf.Class // ELFCLASS32 for i386 cores
	Order   binary.ByteOrder

	Threads []Thread // the faulting thread first, as the kernel writes it
	Process Process
	Signal  *Siginfo // nil when the core has no NT_SIGINFO
	Auxv    Auxv
	Files   []FileMapping
	Loads   []Load

	r    io.ReaderAt
	size int64
	// cutAddr is the last address read from a part of the core the file
	// no longer holds, and cutReads how many such reads there were.
	cutAddr  uint64
	cutReads int
	closer   io.Closer
	open     map[string]*os.File
	// refused are mapped paths whose file is another build than the
	// process mapped (Module.checkBytes): nothing is read from them.
	refused map[string]error
	// root is Options.Root: the paths NT_FILE names are read under it.
	root string

	// Address indexes over Loads (whole and dumped part) and Files,
	// built on first use.
	loads, dumped, files *spanIndex
}

// Thread is one NT_PRSTATUS note.
type Thread struct {
	Pid    int
	Signal int // pr_cursig
	Regs   Regs
}

// Regs are a thread's general registers, by name, in the order the
// architecture's user_regs_struct lists them.
type Regs struct {
	Names  []string
	Values []uint64
}

// Get returns the named register.
func (r Regs) Get(name string) (uint64, bool) {
	for i, n := range r.Names {
		if n == name {
			return r.Values[i], true
		}
	}
	return 0, false
}

// Process is the NT_PRPSINFO note.
type Process struct {
	Pid  int    `json:"pid"`
	PPid int    `json:"ppid,omitempty"` // pr_ppid; 0 when the parent is outside the pid namespace
	Name string `json:"name"`           // pr_fname: at most 15 bytes of the command name
	Args string `json:"args"`           // pr_psargs: the start of the command line
}

// Siginfo is the NT_SIGINFO note: the signal that killed the process.
type Siginfo struct {
	Signo int `json:"signo"`
	Errno int `json:"errno"`
	Code  int `json:"code"`
	// Addr is si_addr, set only when si_code says the kernel raised the
	// signal for an instruction (SIGSEGV, SIGBUS: the data address;
	// SIGILL, SIGFPE: the instruction's).
	Addr uint64 `json:"addr"`
	// Sender is the process that sent the signal (kill, sigqueue,
	// tgkill), whose pid and uid siginfo holds where si_addr would be.
	Sender *Sender `json:"sender,omitempty"`
}

// Auxv is the auxiliary vector the kernel gave the process.
type Auxv struct {
	Base   uint64 // AT_BASE: where the interpreter (ld.so) was loaded; 0 for static programs
	Entry  uint64 // AT_ENTRY: the program's entry point
	Phdr   uint64 // AT_PHDR: the program headers of the executable, in memory
	Phnum  uint64
	Execfn uint64 // AT_EXECFN: address of the path passed to execve
	HWCap  uint64
	HWCap2 uint64
	Raw    [][2]uint64
}

// FileMapping is one NT_FILE entry: a file mapped at [Start, End) from
// file offset Offset.
type FileMapping struct {
	Start, End, Offset uint64
	Path               string
}

// Load is one PT_LOAD segment of the core: process memory at [Vaddr,
// Vaddr+Memsz); only the first Filesz bytes are in the core.
type Load struct {
	Vaddr, Memsz, Offset, Filesz uint64
	Flags                        elf.ProgFlag
}

// Open opens a core file, decompressing .zst, .lz4 and .xz files into a
// temporary file in $TMPDIR first (unlinked at once, so nothing is left
// behind whatever happens; Close frees its space).
func Open(path string) (c *Core, err error) { return OpenContext(context.Background(), path) }

// OpenContext is Open, with decompression stopped when ctx is done.
func OpenContext(ctx context.Context, path string) (c *Core, err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	f, err := openMaybeCompressed(ctx, path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	c, err = NewCore(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.Path, c.closer = path, f
	return c, nil
}

// Close releases the file and removes any decompressed copy.
func (c *Core) Close() error {
	var err error
	if c.closer != nil {
		err = c.closer.Close()
	}
	for _, f := range c.open {
		if f != nil {
			f.Close()
		}
	}
	c.open = nil
	return err
}

// NewCore reads a core from r, which holds size bytes.
func NewCore(r io.ReaderAt, size int64) (c *Core, err error) {
	defer catchPanic(&err, "read core")
	c = &Core{r: r, size: size}
	if err := c.readHeader(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Core) readAt(off int64, n uint64, what string) ([]byte, error) {
	if off < 0 || n > uint64(c.size) || uint64(off) > uint64(c.size)-n {
		return nil, &FormatError{Off: off, Msg: what + " extends past the end of the file", Val: n}
	}
	b := make([]byte, n)
	if _, err := c.r.ReadAt(b, off); err != nil {
		return nil, fmt.Errorf("read %s at %#x: %w", what, off, err)
	}
	return b, nil
}

// headerLayout places the fields of the ELF header, section header and
// program header that a core is read by.
type headerLayout struct {
	phoff, shoff, phentsize, phnum   int // in Elf*_Ehdr
	shsize, shinfo                   int // Elf*_Shdr's size, sh_info
	entsize                          int // Elf*_Phdr's size, then its fields
	off, vaddr, filesz, memsz, flags int
}

var (
	layout64 = headerLayout{32, 40, 54, 56, 64, 44, 56, 8, 16, 32, 40, 4}
	layout32 = headerLayout{28, 32, 42, 44, 40, 28, 32, 4, 8, 16, 20, 24}
)

// ptrSize is the size of the crashed process's pointers and longs, which
// sizes every word in the notes.
func (c *Core) ptrSize() int {
	if c.Class == elf.ELFCLASS32 {
		return 4
	}
	return 8
}

// word reads a pointer-sized field.
func (c *Core) word(b []byte) uint64 {
	if c.Class == elf.ELFCLASS32 {
		return uint64(c.Order.Uint32(b))
	}
	return c.Order.Uint64(b)
}

func (c *Core) readHeader() error {
	ident, err := c.readAt(0, 64, "ELF header")
	if err != nil || !bytes.Equal(ident[:4], []byte(elf.ELFMAG)) {
		return ErrNotCore
	}
	c.Class = elf.Class(ident[elf.EI_CLASS])
	if c.Class != elf.ELFCLASS64 && c.Class != elf.ELFCLASS32 {
		return &FormatError{Off: elf.EI_CLASS, Msg: "unknown ELF class", Val: ident[elf.EI_CLASS]}
	}
	switch elf.Data(ident[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		c.Order = binary.LittleEndian
	case elf.ELFDATA2MSB:
		c.Order = binary.BigEndian
	default:
		return &FormatError{Off: elf.EI_DATA, Msg: "unknown byte order", Val: ident[elf.EI_DATA]}
	}
	o := c.Order
	if elf.Type(o.Uint16(ident[16:])) != elf.ET_CORE {
		return ErrNotCore
	}
	c.Machine = elf.Machine(o.Uint16(ident[18:]))
	// Each machine has one class: an i386 program's core is ELFCLASS32
	// (x32's would be EM_X86_64 in ELFCLASS32, which is not read).
	if want := map[elf.Machine]elf.Class{elf.EM_X86_64: elf.ELFCLASS64, elf.EM_AARCH64: elf.ELFCLASS64, elf.EM_386: elf.ELFCLASS32}; want[c.Machine] != c.Class {
		if _, known := want[c.Machine]; known {
			return &FormatError{Off: elf.EI_CLASS, Msg: fmt.Sprintf("%s core in %s", c.Machine, c.Class), Val: ident[elf.EI_CLASS]}
		}
		return &FormatError{Off: 18, Msg: "unsupported machine " + c.Machine.String(), Val: uint16(c.Machine)}
	}
	l := layout64
	if c.Class == elf.ELFCLASS32 {
		l = layout32
	}
	phoff := c.word(ident[l.phoff:])
	phentsize := uint64(o.Uint16(ident[l.phentsize:]))
	phnum := uint64(o.Uint16(ident[l.phnum:]))
	if phnum == 0xffff { // PN_XNUM: the real count is in section 0's sh_info
		shoff := c.word(ident[l.shoff:])
		if shoff > uint64(c.size) {
			return &FormatError{Off: int64(l.shoff), Msg: "section header 0 (PN_XNUM) is past the end of the file", Val: shoff}
		}
		sh, err := c.readAt(int64(shoff), uint64(l.shsize), "section header 0")
		if err != nil {
			return err
		}
		phnum = uint64(o.Uint32(sh[l.shinfo:]))
	}
	es := uint64(l.entsize)
	if phentsize != es {
		return &FormatError{Off: int64(l.phentsize), Msg: fmt.Sprintf("program header size is not %d", es), Val: phentsize}
	}
	if phnum > maxPhnum || phoff > uint64(c.size) || phnum*es > uint64(c.size)-phoff {
		return &FormatError{Off: int64(l.phnum), Msg: "program header table does not fit in the file", Val: phnum}
	}
	ph, err := c.readAt(int64(phoff), phnum*es, "program headers")
	if err != nil {
		return err
	}
	var notes int
	// The kernel writes one PT_NOTE. A hostile core may point thousands
	// of headers at the same bytes: each distinct segment is read once,
	// and all of them together may not hold more bytes than the file.
	seen := map[[2]uint64]bool{}
	var noteBytes uint64
	for i := uint64(0); i < phnum; i++ {
		p := ph[i*es:]
		typ := elf.ProgType(o.Uint32(p))
		off, filesz := c.word(p[l.off:]), c.word(p[l.filesz:])
		switch typ {
		case elf.PT_LOAD:
			c.Loads = append(c.Loads, Load{Vaddr: c.word(p[l.vaddr:]), Memsz: c.word(p[l.memsz:]), Offset: off, Filesz: filesz, Flags: elf.ProgFlag(o.Uint32(p[l.flags:]))})
		case elf.PT_NOTE:
			if filesz > maxNoteSize {
				return &FormatError{Off: int64(phoff + i*es + uint64(l.filesz)), Msg: "PT_NOTE segment too large", Val: filesz}
			}
			if seen[[2]uint64{off, filesz}] {
				continue
			}
			seen[[2]uint64{off, filesz}] = true
			if noteBytes += filesz; noteBytes > uint64(c.size) {
				return &FormatError{Off: int64(phoff + i*es), Msg: "PT_NOTE segments overlap: together they hold more bytes than the file", Val: noteBytes}
			}
			b, err := c.readAt(int64(off), filesz, "PT_NOTE segment")
			if err != nil {
				return err
			}
			if err := c.parseNotes(b, int64(off), &notes); err != nil {
				return err
			}
		}
	}
	if len(c.Threads) == 0 {
		return &FormatError{Off: int64(phoff), Msg: "core has no NT_PRSTATUS note"}
	}
	return nil
}

func align4(n uint64) uint64 { return (n + 3) &^ 3 }

// parseNotes walks one PT_NOTE segment; base is its offset in the file,
// for error messages, and count bounds the walk over all segments.
func (c *Core) parseNotes(b []byte, base int64, count *int) error {
	o := c.Order
	for pos := uint64(0); pos+12 <= uint64(len(b)); {
		*count++
		if *count > maxNotes {
			return &FormatError{Off: base + int64(pos), Msg: "too many notes"}
		}
		namesz, descsz, typ := uint64(o.Uint32(b[pos:])), uint64(o.Uint32(b[pos+4:])), o.Uint32(b[pos+8:])
		nameOff := pos + 12
		descOff := nameOff + align4(namesz)
		if align4(namesz) > uint64(len(b)) || descOff > uint64(len(b)) || descsz > uint64(len(b))-descOff {
			return &FormatError{Off: base + int64(pos), Msg: "note extends past its segment", Val: descsz}
		}
		name := string(bytes.TrimRight(b[nameOff:nameOff+namesz], "\x00"))
		desc := b[descOff : descOff+descsz]
		at := base + int64(descOff)
		if name == "CORE" {
			if err := c.parseNote(typ, desc, at); err != nil {
				return err
			}
		}
		pos = descOff + align4(descsz)
	}
	return nil
}

func (c *Core) parseNote(typ uint32, desc []byte, at int64) error {
	o := c.Order
	switch {
	case typ == uint32(elf.NT_PRSTATUS):
		if len(c.Threads) >= maxThreads {
			return &FormatError{Off: at, Msg: "too many threads"}
		}
		// elf_prstatus: pr_pid follows pr_info, pr_cursig and two
		// longs of signal sets; pr_reg follows the pids and four
		// timevals.
		names, w := regNames(c.Machine), uint64(c.ptrSize())
		pidOff, regOff := 32, uint64(prRegOffset)
		if w == 4 {
			pidOff, regOff = 24, 72
		}
		if uint64(len(desc)) < regOff+uint64(len(names))*w {
			return &FormatError{Off: at, Msg: "NT_PRSTATUS too short", Val: len(desc)}
		}
		t := Thread{Signal: int(o.Uint16(desc[12:])), Pid: int(int32(o.Uint32(desc[pidOff:])))}
		t.Regs.Names = names
		for i := range uint64(len(names)) {
			t.Regs.Values = append(t.Regs.Values, c.word(desc[regOff+i*w:]))
		}
		c.Threads = append(c.Threads, t)
	case typ == uint32(elf.NT_PRPSINFO):
		// elf_prpsinfo: after four chars, pr_flag is a long and the
		// ids are 16-bit on i386 (__kernel_uid_t), 32-bit on LP64.
		pid, fname, size := 24, 40, 136
		if c.ptrSize() == 4 {
			pid, fname, size = 12, 28, 124
		}
		if len(desc) < size {
			return &FormatError{Off: at, Msg: "NT_PRPSINFO too short", Val: len(desc)}
		}
		c.Process = Process{Pid: int(int32(o.Uint32(desc[pid:]))), PPid: int(int32(o.Uint32(desc[pid+4:]))),
			Name: cstr(desc[fname : fname+16]), Args: cstr(desc[fname+16 : size])}
	case typ == ntSiginfo:
		si, ok := parseSiginfo(desc, o, c.ptrSize())
		if !ok {
			return &FormatError{Off: at, Msg: "NT_SIGINFO too short", Val: len(desc)}
		}
		c.Signal = si
	case typ == ntAuxv:
		w := c.ptrSize()
		n := len(desc) / (2 * w)
		if n > maxAuxv {
			return &FormatError{Off: at, Msg: "NT_AUXV too long", Val: n}
		}
		for i := 0; i < n; i++ {
			k, v := c.word(desc[i*2*w:]), c.word(desc[i*2*w+w:])
			if k == 0 { // AT_NULL
				break
			}
			c.Auxv.Raw = append(c.Auxv.Raw, [2]uint64{k, v})
			switch k {
			case 3:
				c.Auxv.Phdr = v
			case 5:
				c.Auxv.Phnum = v
			case 7:
				c.Auxv.Base = v
			case 9:
				c.Auxv.Entry = v
			case 16:
				c.Auxv.HWCap = v
			case 26:
				c.Auxv.HWCap2 = v
			case 31:
				c.Auxv.Execfn = v
			}
		}
	case typ == ntFile:
		return c.parseFiles(desc, at)
	}
	return nil
}

// parseFiles reads NT_FILE: count, page size, count triples of (start,
// end, offset in pages), then count NUL-terminated paths.
func (c *Core) parseFiles(desc []byte, at int64) error {
	w := uint64(c.ptrSize()) // the note is made of longs
	if uint64(len(desc)) < 2*w {
		return &FormatError{Off: at, Msg: "NT_FILE too short", Val: len(desc)}
	}
	count, page := c.word(desc), c.word(desc[w:])
	// Each entry needs three words and at least a NUL for its name; that
	// bounds count by the note's size before anything is allocated.
	if count > maxFiles || count*(3*w+1) > uint64(len(desc))-2*w {
		return &FormatError{Off: at, Msg: "NT_FILE count does not fit in the note", Val: count}
	}
	// The cap holds for all NT_FILE notes together: a core may carry
	// many, and the kernel writes one.
	if uint64(len(c.Files))+count > maxFiles {
		return &FormatError{Off: at, Msg: fmt.Sprintf("more than %d NT_FILE entries in all notes", maxFiles), Val: uint64(len(c.Files)) + count}
	}
	if page == 0 || page&(page-1) != 0 || page > 1<<30 {
		return &FormatError{Off: at + int64(w), Msg: "NT_FILE page size is not a power of two", Val: page}
	}
	names := desc[2*w+count*3*w:]
	for i := uint64(0); i < count; i++ {
		e := desc[2*w+i*3*w:]
		nul := bytes.IndexByte(names, 0)
		if nul < 0 {
			return &FormatError{Off: at, Msg: "NT_FILE names end without NUL", Val: i}
		}
		m := FileMapping{Start: c.word(e), End: c.word(e[w:]), Offset: c.word(e[2*w:]) * page, Path: string(names[:nul])}
		names = names[nul+1:]
		if m.End < m.Start {
			return &FormatError{Off: at + int64(2*w+i*3*w), Msg: "NT_FILE entry ends before it starts", Val: m.End}
		}
		c.Files = append(c.Files, m)
	}
	return nil
}

func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// regNames is the layout of pr_reg (user_regs_struct) per machine.
func regNames(m elf.Machine) []string {
	switch m {
	case elf.EM_386: // i386's user_regs_struct, as in NT_PRSTATUS
		return []string{"ebx", "ecx", "edx", "esi", "edi", "ebp", "eax", "ds", "es", "fs", "gs",
			"orig_eax", "eip", "cs", "eflags", "esp", "ss"}
	case elf.EM_AARCH64:
		n := make([]string, 0, 34)
		for i := 0; i < 31; i++ {
			n = append(n, fmt.Sprintf("x%d", i))
		}
		return append(n, "sp", "pc", "pstate")
	default:
		return []string{"r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
			"rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss",
			"fs_base", "gs_base", "ds", "es", "fs", "gs"}
	}
}

// PC, SP and FP name the architecture's registers for unwinding.
func (c *Core) pcSPFP(r Regs) (pc, sp, fp uint64) {
	if c.Machine == elf.EM_AARCH64 {
		pc, _ = r.Get("pc")
		sp, _ = r.Get("sp")
		fp, _ = r.Get("x29")
		return
	}
	if c.Machine == elf.EM_386 {
		pc, _ = r.Get("eip")
		sp, _ = r.Get("esp")
		fp, _ = r.Get("ebp")
		return
	}
	pc, _ = r.Get("rip")
	sp, _ = r.Get("rsp")
	fp, _ = r.Get("rbp")
	return
}
