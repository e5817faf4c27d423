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

	code []byte // the bytes at PC, as read
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
	if a.core.Signal != nil {
		f.Addr = a.core.Signal.Addr
	}
	if a.core.Machine == elf.EM_X86_64 {
		buf := make([]byte, 15)
		src, err := a.core.ReadMemory(buf, rs.pc)
		if err != nil {
			// Near the end of a mapping, fewer bytes may be readable.
			buf = buf[:8]
			src, err = a.core.ReadMemory(buf, rs.pc)
		}
		if err == nil {
			f.CodeFrom = src
			f.code = append([]byte(nil), buf...)
			if inst, err := x86asm.Decode(buf, 64); err == nil {
				f.Instruction = x86asm.IntelSyntax(inst, rs.pc, nil)
				for _, arg := range inst.Args {
					mem, ok := arg.(x86asm.Mem)
					if !ok {
						continue
					}
					f.Operand = x86asm.IntelSyntax(x86asm.Inst{Op: x86asm.LEA, Args: x86asm.Args{x86asm.RAX, mem}, Len: inst.Len, Mode: 64}, rs.pc, nil)
					f.Operand = strings.TrimPrefix(strings.TrimPrefix(f.Operand, "lea rax, "), "ptr ")
					if v, ok := a.effectiveAddr(t, mem, rs.pc+uint64(inst.Len)); ok {
						f.Computed = v
						f.Matches = a.core.Signal != nil && v == f.Addr
					}
					break
				}
			}
		}
	}
	if a.core.Machine == elf.EM_AARCH64 {
		a.decodeFaultARM64(t, f)
	}
	// The levels are x86-64's. On aarch64 the extension an undecodable
	// instruction needs is not guessed: it stays ".inst 0x…".
	if isa, ok := isaOf(f.code, f.Instruction); ok && a.core.Machine == elf.EM_X86_64 {
		f.ISA = &isa
	}
	if a.core.Signal != nil && hasAddr(a.core.Signal.Signo) {
		f.Where = a.locate(f.Addr)
	}
	return f
}

func hasAddr(sig int) bool { return sig == 4 || sig == 7 || sig == 8 || sig == 11 }

// effectiveAddr computes a memory operand from the thread's registers.
func (a *analyzer) effectiveAddr(t Thread, m x86asm.Mem, next uint64) (uint64, bool) {
	reg := func(r x86asm.Reg) (uint64, bool) {
		if r == 0 {
			return 0, true
		}
		if r == x86asm.RIP {
			return next, true
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
		return 0, false
	}
	base, ok1 := reg(m.Base)
	idx, ok2 := reg(m.Index)
	if !ok1 || !ok2 {
		return 0, false
	}
	v := base + idx*uint64(m.Scale) + uint64(m.Disp)
	switch m.Segment {
	case x86asm.FS:
		fs, _ := t.Regs.Get("fs_base")
		v += fs
	case x86asm.GS:
		gs, _ := t.Regs.Get("gs_base")
		v += gs
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
			i := (addr - m.Bias - s.Addr) / 16
			if b, err := s.Data(); err == nil && (i+1)*16 <= uint64(len(b)) {
				tag := elf.DynTag(m.file.ByteOrder.Uint64(b[i*16:]))
				half := "value"
				if (addr-m.Bias-s.Addr)%16 < 8 {
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
