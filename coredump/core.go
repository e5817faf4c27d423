package coredump

import (
	"bytes"
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
	Order   binary.ByteOrder

	Threads []Thread // the faulting thread first, as the kernel writes it
	Process Process
	Signal  *Siginfo // nil when the core has no NT_SIGINFO
	Auxv    Auxv
	Files   []FileMapping
	Loads   []Load

	r      io.ReaderAt
	size   int64
	closer io.Closer
	temp   string // decompressed copy to remove on Close
	open   map[string]*os.File
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
	Name string `json:"name"` // pr_fname: at most 15 bytes of the command name
	Args string `json:"args"` // pr_psargs: the start of the command line
}

// Siginfo is the NT_SIGINFO note: the signal that killed the process.
type Siginfo struct {
	Signo int    `json:"signo"`
	Errno int    `json:"errno"`
	Code  int    `json:"code"`
	Addr  uint64 `json:"addr"` // si_addr for SIGSEGV, SIGBUS, SIGILL, SIGFPE
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
// temporary file first. Close removes that copy.
func Open(path string) (c *Core, err error) {
	f, temp, err := openMaybeCompressed(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		removeTemp(temp)
		return nil, err
	}
	c, err = NewCore(f, st.Size())
	if err != nil {
		f.Close()
		removeTemp(temp)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.Path, c.closer, c.temp = path, f, temp
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
	removeTemp(c.temp)
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

func (c *Core) readHeader() error {
	ident, err := c.readAt(0, 64, "ELF header")
	if err != nil || !bytes.Equal(ident[:4], []byte(elf.ELFMAG)) {
		return ErrNotCore
	}
	if elf.Class(ident[elf.EI_CLASS]) != elf.ELFCLASS64 {
		return &FormatError{Off: elf.EI_CLASS, Msg: "only 64-bit cores are supported", Val: ident[elf.EI_CLASS]}
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
	if c.Machine != elf.EM_X86_64 && c.Machine != elf.EM_AARCH64 {
		return &FormatError{Off: 18, Msg: "unsupported machine " + c.Machine.String(), Val: uint16(c.Machine)}
	}
	phoff := o.Uint64(ident[32:])
	phentsize := uint64(o.Uint16(ident[54:]))
	phnum := uint64(o.Uint16(ident[56:]))
	if phnum == 0xffff { // PN_XNUM: the real count is in section 0's sh_info
		shoff := o.Uint64(ident[40:])
		sh, err := c.readAt(int64(shoff), 64, "section header 0")
		if err != nil {
			return err
		}
		phnum = uint64(o.Uint32(sh[44:]))
	}
	if phentsize != 56 {
		return &FormatError{Off: 54, Msg: "program header size is not 56", Val: phentsize}
	}
	if phnum > maxPhnum || phoff > uint64(c.size) || phnum*56 > uint64(c.size)-phoff {
		return &FormatError{Off: 56, Msg: "program header table does not fit in the file", Val: phnum}
	}
	ph, err := c.readAt(int64(phoff), phnum*56, "program headers")
	if err != nil {
		return err
	}
	var notes int
	for i := uint64(0); i < phnum; i++ {
		p := ph[i*56:]
		typ := elf.ProgType(o.Uint32(p))
		off, filesz := o.Uint64(p[8:]), o.Uint64(p[32:])
		switch typ {
		case elf.PT_LOAD:
			c.Loads = append(c.Loads, Load{Vaddr: o.Uint64(p[16:]), Memsz: o.Uint64(p[40:]), Offset: off, Filesz: filesz, Flags: elf.ProgFlag(o.Uint32(p[4:]))})
		case elf.PT_NOTE:
			if filesz > maxNoteSize {
				return &FormatError{Off: int64(phoff + i*56 + 32), Msg: "PT_NOTE segment too large", Val: filesz}
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
		names := regNames(c.Machine)
		if uint64(len(desc)) < prRegOffset+uint64(len(names))*8 {
			return &FormatError{Off: at, Msg: "NT_PRSTATUS too short", Val: len(desc)}
		}
		t := Thread{Signal: int(o.Uint16(desc[12:])), Pid: int(int32(o.Uint32(desc[32:])))}
		t.Regs.Names = names
		for i := range names {
			t.Regs.Values = append(t.Regs.Values, o.Uint64(desc[prRegOffset+i*8:]))
		}
		c.Threads = append(c.Threads, t)
	case typ == uint32(elf.NT_PRPSINFO):
		if len(desc) < 136 {
			return &FormatError{Off: at, Msg: "NT_PRPSINFO too short", Val: len(desc)}
		}
		c.Process = Process{Pid: int(int32(o.Uint32(desc[24:]))), Name: cstr(desc[40:56]), Args: cstr(desc[56:136])}
	case typ == ntSiginfo:
		if len(desc) < siAddrOffset+8 {
			return &FormatError{Off: at, Msg: "NT_SIGINFO too short", Val: len(desc)}
		}
		c.Signal = &Siginfo{Signo: int(int32(o.Uint32(desc))), Errno: int(int32(o.Uint32(desc[4:]))),
			Code: int(int32(o.Uint32(desc[8:]))), Addr: o.Uint64(desc[siAddrOffset:])}
	case typ == ntAuxv:
		n := len(desc) / 16
		if n > maxAuxv {
			return &FormatError{Off: at, Msg: "NT_AUXV too long", Val: n}
		}
		for i := 0; i < n; i++ {
			k, v := o.Uint64(desc[i*16:]), o.Uint64(desc[i*16+8:])
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
	o := c.Order
	if len(desc) < 16 {
		return &FormatError{Off: at, Msg: "NT_FILE too short", Val: len(desc)}
	}
	count, page := o.Uint64(desc), o.Uint64(desc[8:])
	// Each entry needs 24 bytes and at least a NUL for its name; that
	// bounds count by the note's size before anything is allocated.
	if count > maxFiles || count*25 > uint64(len(desc))-16 {
		return &FormatError{Off: at, Msg: "NT_FILE count does not fit in the note", Val: count}
	}
	if page == 0 || page&(page-1) != 0 || page > 1<<30 {
		return &FormatError{Off: at + 8, Msg: "NT_FILE page size is not a power of two", Val: page}
	}
	names := desc[16+count*24:]
	for i := uint64(0); i < count; i++ {
		e := desc[16+i*24:]
		nul := bytes.IndexByte(names, 0)
		if nul < 0 {
			return &FormatError{Off: at, Msg: "NT_FILE names end without NUL", Val: i}
		}
		m := FileMapping{Start: o.Uint64(e), End: o.Uint64(e[8:]), Offset: o.Uint64(e[16:]) * page, Path: string(names[:nul])}
		names = names[nul+1:]
		if m.End < m.Start {
			return &FormatError{Off: at + 16 + int64(i)*24, Msg: "NT_FILE entry ends before it starts", Val: m.End}
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
	pc, _ = r.Get("rip")
	sp, _ = r.Get("rsp")
	fp, _ = r.Get("rbp")
	return
}

func removeTemp(p string) {
	if p != "" {
		os.Remove(p)
	}
}
