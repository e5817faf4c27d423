package coredump

import (
	"debug/elf"
	"fmt"
	"strings"

	"golang.org/x/arch/x86/x86asm"
)

// Fault is the faulting instruction and the address it touched.
type Fault struct {
	PC          uint64 `json:"pc"`
	Instruction string `json:"instruction,omitempty"` // Intel syntax on x86-64, GNU (objdump) syntax on aarch64
	CodeFrom    Source `json:"code_from,omitempty"`   // where the instruction bytes were read
	// Operand is the memory operand as written, Computed its value from
	// the registers; Matches is true when that equals si_addr, which
	// proves this access is the one that faulted.
	Operand  string    `json:"operand,omitempty"`
	Computed uint64    `json:"computed,omitempty"`
	Matches  bool      `json:"matches_si_addr"`
	Addr     uint64    `json:"addr"` // si_addr
	Where    *Location `json:"where,omitempty"`
	// ISA is the instruction-set extension the instruction needs, when it
	// is beyond the x86-64 baseline: what a SIGILL is about.
	ISA *ISA `json:"isa,omitempty"`

	code []byte       // the bytes at PC, as read
	inst *x86asm.Inst // the decoded x86 instruction
}

// Location places an address in the process.
type Location struct {
	Module    string `json:"module,omitempty"`
	Section   string `json:"section,omitempty"`
	Perm      string `json:"perm"` // of the mapping in the process, e.g. "r--"; "unmapped"
	Structure string `json:"structure,omitempty"`
}

func (a *analyzer) decodeFault(t Thread) *Fault {
	rs := a.initialRegs(t)
	f := &Fault{PC: rs.pc}
	si := a.core.Signal
	if si.faultAddr() {
		f.Addr = si.Addr
	}
	switch a.core.Machine {
	case elf.EM_X86_64, elf.EM_386:
		a.decodeFaultX86(t, f)
	case elf.EM_AARCH64:
		a.decodeFaultARM64(t, f)
	}
	// The levels are x86-64's. On aarch64 the extension an undecodable
	// instruction needs is not guessed: it stays ".inst 0x…".
	if isa, ok := isaOf(f.code, f.Instruction); ok && a.core.Machine == elf.EM_X86_64 {
		f.ISA = &isa
	}
	// Only SIGSEGV and SIGBUS report the data address an access used;
	// SIGILL's and SIGFPE's si_addr is the instruction's own address.
	if si.faultAddr() && dataFault(si.Signo) {
		f.Where = a.locate(f.Addr)
	}
	return f
}

// dataFault reports whether a fault signal's si_addr is the data address
// of an access rather than the address of the instruction.
func dataFault(sig int) bool { return sig == 11 || sig == 7 }

// decodeFaultX86 decodes the instruction at the PC, in 64-bit mode or, for
// an i386 core, 32-bit mode, and computes its memory operand.
func (a *analyzer) decodeFaultX86(t Thread, f *Fault) {
	buf := make([]byte, 15)
	src, err := a.readCode(buf, f.PC)
	if err != nil {
		// Near the end of a mapping, fewer bytes may be readable.
		buf = buf[:8]
		src, err = a.readCode(buf, f.PC)
	}
	if err != nil {
		return
	}
	f.CodeFrom = src
	a.decodeX86Bytes(t, f, buf)
}

// decodeX86Bytes decodes code, the bytes at f.PC, into f.
func (a *analyzer) decodeX86Bytes(t Thread, f *Fault, code []byte) {
	mode := 64
	if a.core.Machine == elf.EM_386 {
		mode = 32
	}
	f.code = append([]byte(nil), code...)
	inst, err := x86asm.Decode(code, mode)
	if err != nil {
		return
	}
	signDisp(&inst)
	f.Instruction = x86asm.IntelSyntax(inst, f.PC, nil)
	for _, arg := range inst.Args {
		mem, ok := arg.(x86asm.Mem)
		if !ok {
			continue
		}
		f.Operand = x86asm.IntelSyntax(x86asm.Inst{Op: x86asm.LEA, Args: x86asm.Args{x86asm.EAX, mem}, Len: inst.Len, Mode: mode}, f.PC, nil)
		f.Operand = strings.TrimPrefix(strings.TrimPrefix(f.Operand, "lea eax, "), "ptr ")
		if v, ok := a.effectiveAddr(t, mem, f.PC+uint64(inst.Len)); ok {
			f.Computed = v
			f.Matches = f.Addr == v && a.core.Signal.faultAddr() && dataFault(a.core.Signal.Signo)
		}
		break
	}
	if f.Operand == "" && (inst.Op == x86asm.CALL || inst.Op == x86asm.PUSH) {
		// call and push write below the stack pointer without naming
		// the address: the return address or the value goes to
		// [rsp-8] ([esp-4]). A recursion that runs off its stack most
		// often faults right here.
		sp, w := x86asm.RSP, int64(8)
		if mode == 32 {
			sp, w = x86asm.ESP, 4
		}
		f.Operand = fmt.Sprintf("[%s-0x%x]", strings.ToLower(sp.String()), w)
		if v, ok := a.effectiveAddr(t, x86asm.Mem{Base: sp, Disp: -w}, f.PC+uint64(inst.Len)); ok {
			f.Computed = v
			f.Matches = f.Addr == v && a.core.Signal.faultAddr() && dataFault(a.core.Signal.Signo)
		}
	}
	f.inst = &inst
}

// signDisp sign-extends 32-bit displacements, which x86asm (v0.32) leaves
// zero-extended: [rbp-0xd4] is decoded as Disp 0xffffff2c. The CPU adds a
// disp32 sign-extended to the address size; only the moffs forms of MOV
// (opcodes A0-A3) carry an absolute address, of the full address size.
func signDisp(inst *x86asm.Inst) {
	if op := inst.Opcode >> 24; op >= 0xa0 && op <= 0xa3 {
		return
	}
	for i, arg := range inst.Args {
		if mem, ok := arg.(x86asm.Mem); ok && mem.Disp >= 0 && mem.Disp <= 0xffffffff {
			mem.Disp = int64(int32(uint32(mem.Disp)))
			inst.Args[i] = mem
		}
	}
}

// effectiveAddr computes a memory operand from the thread's registers:
// base + index*scale + displacement, wrapped to the address size (32 bits
// for an i386 program or an operand with 32-bit registers), plus the
// FS or GS base on x86-64. An i386 segment base (the TLS in GS) is not
// in the core's registers, so such an operand is not computed.
func (a *analyzer) effectiveAddr(t Thread, m x86asm.Mem, next uint64) (uint64, bool) {
	addr32 := a.core.Machine == elf.EM_386
	reg := func(r x86asm.Reg) (uint64, bool) {
		switch {
		case r == 0:
			return 0, true
		case r == x86asm.RIP:
			return next, true
		case r == x86asm.EIP:
			addr32 = true
			return next, true
		case r >= x86asm.EAX && r <= x86asm.R15L:
			addr32 = true
		}
		name := strings.ToLower(r.String())
		if v, ok := t.Regs.Get(name); ok {
			return v, true
		}
		// 32-bit address registers: the low half of the 64-bit one.
		if strings.HasPrefix(name, "e") {
			v, ok := t.Regs.Get("r" + name[1:])
			return v & 0xffffffff, ok
		}
		if strings.HasPrefix(name, "r") && strings.HasSuffix(name, "l") {
			v, ok := t.Regs.Get(strings.TrimSuffix(name, "l"))
			return v & 0xffffffff, ok
		}
		return 0, false
	}
	base, ok1 := reg(m.Base)
	idx, ok2 := reg(m.Index)
	if !ok1 || !ok2 {
		return 0, false
	}
	v := base + idx*uint64(m.Scale) + uint64(m.Disp)
	if addr32 {
		v &= 0xffffffff
	}
	switch m.Segment {
	case x86asm.FS, x86asm.GS:
		if a.core.Machine == elf.EM_386 {
			return 0, false
		}
		b, _ := t.Regs.Get(map[x86asm.Reg]string{x86asm.FS: "fs_base", x86asm.GS: "gs_base"}[m.Segment])
		v += b
	}
	return v, true
}

// locate names the module, section, permission and — for the executable's
// dynamic table — the entry an address belongs to.
func (a *analyzer) locate(addr uint64) *Location {
	l := &Location{Perm: "unmapped"}
	if seg := a.core.LoadAt(addr); seg != nil {
		l.Perm = permString(seg.Flags)
	}
	m := a.moduleAt(addr)
	if m == nil {
		return l
	}
	l.Module = m.Path
	l.Section = m.sectionAt(addr)
	if l.Section == ".dynamic" && m.file != nil {
		if s := m.file.Section(".dynamic"); s != nil && s.Size < 1<<20 {
			// Elf64_Dyn is two 8-byte words, Elf32_Dyn two 4-byte ones.
			w := uint64(8)
			if m.file.Class == elf.ELFCLASS32 {
				w = 4
			}
			i := (addr - m.Bias - s.Addr) / (2 * w)
			if b, err := s.Data(); err == nil && (i+1)*2*w <= uint64(len(b)) {
				var tag elf.DynTag
				if w == 4 {
					tag = elf.DynTag(m.file.ByteOrder.Uint32(b[i*2*w:]))
				} else {
					tag = elf.DynTag(m.file.ByteOrder.Uint64(b[i*2*w:]))
				}
				half := "value"
				if (addr-m.Bias-s.Addr)%(2*w) < w {
					half = "tag"
				}
				l.Structure = fmt.Sprintf("the %s slot of .dynamic (entry %d, its %s)", tag, i, half)
			}
		}
	}
	if l.Structure == "" && l.Section != "" {
		l.Structure = "section " + l.Section
	}
	if l.Perm != "unmapped" && !strings.Contains(l.Perm, "w") {
		l.Structure += ", in a page mapped read-only"
	}
	return l
}

func permString(f elf.ProgFlag) string {
	b := []byte("---")
	if f&elf.PF_R != 0 {
		b[0] = 'r'
	}
	if f&elf.PF_W != 0 {
		b[1] = 'w'
	}
	if f&elf.PF_X != 0 {
		b[2] = 'x'
	}
	return string(b)
}
