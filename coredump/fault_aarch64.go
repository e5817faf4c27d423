package coredump

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/arch/arm64/arm64asm"
)

// decodeFaultARM64 decodes the aarch64 instruction at the fault's PC and,
// for a load or store, computes from the thread's registers the address
// it accesses first. The registers are those before the instruction: one
// that faults writes nothing back, so a pre- or post-indexed base still
// holds its old value.
func (a *analyzer) decodeFaultARM64(t Thread, f *Fault) {
	if f.PC%4 != 0 {
		return // a misaligned PC faults before any instruction is fetched
	}
	buf := make([]byte, 4)
	src, err := a.readCode(buf, f.PC)
	if err != nil {
		return
	}
	f.CodeFrom, f.code = src, buf
	d := decodeARM64(buf, f.PC)
	f.Instruction, f.Operand = d.text, d.operand
	if d.operand == "" {
		return
	}
	if v, ok := d.mem.addr(t.Regs); ok {
		f.Computed = v
		f.Matches = a.core.Signal != nil && sameDataAddr(v, f.Addr)
	}
}

// readCode reads code at addr: from the core, else from the file of the
// module that holds addr, at the offset its program headers give.
// ReadMemory falls back on files only through NT_FILE, which cores written
// by qemu-user lack; and qemu leaves out of its cores every executable
// mapping that starts with an ELF header, which with lld's default layout
// (no -z separate-code) is the page holding .text.
func (a *analyzer) readCode(p []byte, addr uint64) (Source, error) {
	src, err := a.core.ReadMemory(p, addr)
	if err == nil {
		return src, nil
	}
	m := a.moduleAt(addr)
	if m == nil || m.file == nil || m.osf == nil {
		return src, err
	}
	off, n := addr-m.Bias, uint64(len(p))
	for _, prog := range m.file.Progs {
		if prog.Type != elf.PT_LOAD || off < prog.Vaddr || off-prog.Vaddr >= prog.Filesz || n > prog.Filesz-(off-prog.Vaddr) {
			continue
		}
		if _, err := m.osf.ReadAt(p, int64(prog.Off+off-prog.Vaddr)); err != nil {
			return FromFile, fmt.Errorf("read %#x from %s: %w", addr, m.Path, err)
		}
		return FromFile, nil
	}
	return src, err
}

// sameDataAddr reports whether a computed data address is the fault
// address: equal, or equal but for the top byte, which aarch64 ignores in
// user-space data addresses (TBI) and Linux clears from si_addr.
func sameDataAddr(v, siAddr uint64) bool {
	return v == siAddr || v&(1<<56-1) == siAddr
}

// arm64Inst is an aarch64 instruction as a fault report shows it.
type arm64Inst struct {
	// text is in GNU syntax as objdump prints it, with PC-relative
	// targets as addresses; ".inst 0x…" (GNU objdump's form) for a word
	// neither arm64asm nor decodeARM64More knows, e.g. SVE.
	text string
	// operand is the memory operand as written, "" for an instruction
	// that accesses no memory.
	operand string
	mem     arm64Mem
}

// arm64Mem is how an instruction forms the address it accesses first.
type arm64Mem struct {
	base    int // 0-30, or 31 for SP; pcRelative when abs is the address
	index   int // 0-30, 31 for the zero register; noIndex when none
	index32 bool
	extend  string // of the index: "lsl", "uxtw", "sxtw", "sxtx", "uxtx"
	shift   uint8
	disp    int64
	abs     uint64
}

const (
	pcRelative = -1
	noIndex    = -1
)

// addr computes the address from the registers; ok is false when one is
// missing.
func (m arm64Mem) addr(r Regs) (uint64, bool) {
	if m.base == pcRelative {
		return m.abs, true
	}
	name := "sp"
	if m.base != 31 {
		name = "x" + strconv.Itoa(m.base)
	}
	v, ok := r.Get(name)
	if !ok {
		return 0, false
	}
	if m.index != noIndex {
		var idx uint64
		if m.index != 31 { // the zero register reads as 0
			if idx, ok = r.Get("x" + strconv.Itoa(m.index)); !ok {
				return 0, false
			}
		}
		if m.index32 {
			idx &= 0xffffffff
		}
		if m.extend == "sxtw" {
			idx = uint64(int64(int32(uint32(idx))))
		}
		v += idx << m.shift
	}
	return v + uint64(m.disp), true
}

// decodeARM64 decodes the instruction at the start of code, which is at
// pc. It never panics: a word no decoder knows comes back as ".inst", and
// fewer than four bytes as the zero value.
func decodeARM64(code []byte, pc uint64) (d arm64Inst) {
	if len(code) < 4 {
		return arm64Inst{}
	}
	// A64 instructions are little-endian even on big-endian systems.
	word := binary.LittleEndian.Uint32(code)
	unknown := arm64Inst{text: fmt.Sprintf(".inst 0x%08x", word)}
	defer func() {
		if recover() != nil {
			d = unknown
		}
	}()
	inst, err := arm64asm.Decode(code[:4])
	if err != nil {
		if d, ok := decodeARM64More(word); ok {
			return d
		}
		if word>>16 == 0 {
			// UDF, the permanently undefined instruction.
			return arm64Inst{text: fmt.Sprintf("udf #%d", word)}
		}
		return unknown
	}
	d.text = arm64asm.GNUSyntax(inst)
	for _, arg := range inst.Args {
		if rel, ok := arg.(arm64asm.PCRel); ok {
			target := pc + uint64(rel)
			if inst.Op == arm64asm.ADRP {
				target = pc&^0xfff + uint64(rel)
			}
			d.text = strings.Replace(d.text, strings.ToLower(rel.String()), fmt.Sprintf("%#x", target), 1)
		}
	}
	d.text = spaceCommas(d.text)
	for _, arg := range inst.Args {
		var ok bool
		switch m := arg.(type) {
		case arm64asm.MemImmediate:
			d.mem, ok = memImmediate(m)
		case arm64asm.MemExtend:
			d.mem, ok = memExtend(m)
		case arm64asm.PCRel:
			// Literal loads (and prefetches) read at the PC plus the
			// offset; branches and ADR/ADRP compute but do not access.
			if inst.Op == arm64asm.LDR || inst.Op == arm64asm.LDRSW || inst.Op == arm64asm.PRFM {
				d.mem = arm64Mem{base: pcRelative, index: noIndex, abs: pc + uint64(m)}
				d.operand = pcOperand(int64(m))
				return d
			}
		}
		if ok {
			d.operand = spaceCommas(strings.ToLower(arg.String()))
			return d
		}
	}
	return d
}

// memImmediate reads a base-plus-immediate operand. arm64asm keeps the
// immediate unexported; its String form, "[R,#X]", "[R,#X]!", "[R],#X" or
// "[R], Xm", prints it in decimal, already scaled.
func memImmediate(m arm64asm.MemImmediate) (arm64Mem, bool) {
	base, ok := baseReg(m.Base)
	if !ok {
		return arm64Mem{}, false
	}
	mem := arm64Mem{base: base, index: noIndex}
	switch m.Mode {
	case arm64asm.AddrPostIndex, arm64asm.AddrPostReg:
		return mem, true // the access is at the base; the offset is added afterwards
	case arm64asm.AddrOffset, arm64asm.AddrPreIndex:
		s := m.String()
		i := strings.Index(s, ",#")
		if i < 0 {
			return mem, !strings.Contains(s, ",") // "[R]": no offset
		}
		j := strings.IndexByte(s[i:], ']')
		if j < 0 {
			return arm64Mem{}, false
		}
		disp, err := strconv.ParseInt(s[i+2:i+j], 10, 64)
		if err != nil {
			return arm64Mem{}, false
		}
		mem.disp = disp
		return mem, true
	}
	return arm64Mem{}, false
}

// memExtend reads a base-plus-register operand: [Xn, Rm{, extend {#s}}].
func memExtend(m arm64asm.MemExtend) (arm64Mem, bool) {
	base, ok := baseReg(m.Base)
	if !ok {
		return arm64Mem{}, false
	}
	mem := arm64Mem{base: base, extend: strings.ToLower(m.Extend.String())}
	switch r := m.Index; {
	case r >= arm64asm.X0 && r <= arm64asm.XZR:
		mem.index = int(r - arm64asm.X0)
	case r >= arm64asm.W0 && r <= arm64asm.WZR:
		mem.index, mem.index32 = int(r-arm64asm.W0), true
	default:
		return arm64Mem{}, false
	}
	if !m.ShiftMustBeZero { // byte accesses: the S bit says "#0" was written
		mem.shift = m.Amount
	}
	return mem, mem.extend != "" && mem.shift < 64
}

func baseReg(r arm64asm.RegSP) (int, bool) {
	switch x := arm64asm.Reg(r); {
	case x == arm64asm.SP:
		return 31, true
	case x >= arm64asm.X0 && x <= arm64asm.X30:
		return int(x - arm64asm.X0), true
	}
	return 0, false
}

func pcOperand(off int64) string {
	if off < 0 {
		return fmt.Sprintf("pc-%#x", uint64(-off))
	}
	return fmt.Sprintf("pc+%#x", off)
}

// spaceCommas puts a space after each comma, as objdump and gdb print
// operands: arm64asm writes "[x1,#16]".
func spaceCommas(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == ',' && i+1 < len(s) && s[i+1] != ' ' {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// decodeARM64More decodes the loads and stores added after Armv8.0 that
// arm64asm does not know and that compilers emit for atomics (directly
// for -march=armv8.1-a and later, or through GCC's outline atomics, which
// choose them at run time): the LSE atomics (LDADD…LDUMIN with their ST
// aliases, SWP, CAS, CASP), LDAPR and the unscaled RCpc forms LDAPUR and
// STLUR. Each addresses memory at a base register, plus a 9-bit offset
// for the last two. ok is false for any other word.
func decodeARM64More(w uint32) (arm64Inst, bool) {
	size := w >> 30
	rs, rn, rt := int(w>>16&31), int(w>>5&31), int(w&31)
	reg := func(n int, x bool) string {
		p := "w"
		if x {
			p = "x"
		}
		if n == 31 {
			return p + "zr"
		}
		return p + strconv.Itoa(n)
	}
	sizeSuffix := [4]string{"b", "h", "", ""}[size]
	x := size == 3
	base := "sp"
	if rn != 31 {
		base = "x" + strconv.Itoa(rn)
	}
	mem := arm64Mem{base: rn, index: noIndex}
	operand := "[" + base + "]"
	// order is the suffix for acquire and release semantics.
	order := func(acquire, release bool) string {
		s := ""
		if acquire {
			s += "a"
		}
		if release {
			s += "l"
		}
		return s
	}
	atomicOps := [8]string{"add", "clr", "eor", "set", "smax", "smin", "umax", "umin"}
	switch {
	case w&0x3f200c00 == 0x38200000: // atomic memory operations
		acq, rel := w>>23&1 == 1, w>>22&1 == 1
		o3, opc := w>>15&1, w>>12&7
		var text string
		switch {
		case o3 == 0 && !acq && rt == 31:
			text = "st" + atomicOps[opc] + order(false, rel) + sizeSuffix + " " + reg(rs, x)
		case o3 == 0:
			text = "ld" + atomicOps[opc] + order(acq, rel) + sizeSuffix + " " + reg(rs, x) + ", " + reg(rt, x)
		case opc == 0:
			text = "swp" + order(acq, rel) + sizeSuffix + " " + reg(rs, x) + ", " + reg(rt, x)
		case opc == 4 && acq && !rel && rs == 31:
			text = "ldapr" + sizeSuffix + " " + reg(rt, x)
		default:
			return arm64Inst{}, false
		}
		return arm64Inst{text: text + ", " + operand, operand: operand, mem: mem}, true
	case w&0x3fa07c00 == 0x08a07c00: // CAS
		acq, rel := w>>22&1 == 1, w>>15&1 == 1
		text := "cas" + order(acq, rel) + sizeSuffix + " " + reg(rs, x) + ", " + reg(rt, x)
		return arm64Inst{text: text + ", " + operand, operand: operand, mem: mem}, true
	case w&0xbfa07c00 == 0x08207c00: // CASP
		if rs%2 != 0 || rt%2 != 0 {
			return arm64Inst{}, false
		}
		acq, rel := w>>22&1 == 1, w>>15&1 == 1
		px := w>>30&1 == 1
		text := "casp" + order(acq, rel) + " " + reg(rs, px) + ", " + reg(rs+1, px) + ", " + reg(rt, px) + ", " + reg(rt+1, px)
		return arm64Inst{text: text + ", " + operand, operand: operand, mem: mem}, true
	case w&0x3f200c00 == 0x19000000: // LDAPUR, STLUR
		opc := w >> 22 & 3
		var name string
		switch {
		case opc == 0:
			name = "stlur" + sizeSuffix
		case opc == 1:
			name = "ldapur" + sizeSuffix
		case opc == 2 && size < 3:
			name, x = "ldapurs"+[3]string{"b", "h", "w"}[size], true
		case opc == 3 && size < 2:
			name, x = "ldapurs"+sizeSuffix, false
		default:
			return arm64Inst{}, false
		}
		mem.disp = int64(int32(w<<11) >> 23) // imm9, bits 20:12
		if mem.disp != 0 {
			operand = fmt.Sprintf("[%s, #%d]", base, mem.disp)
		}
		return arm64Inst{text: name + " " + reg(rt, x) + ", " + operand, operand: operand, mem: mem}, true
	}
	return arm64Inst{}, false
}
