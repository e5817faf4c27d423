package loader

import (
	"bytes"
	"debug/elf"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/arch/x86/x86asm"
)

// maxSlotScan bounds the code bytes read looking for the instructions
// that load a GOT slot: enough for the biggest libraries here (libLLVM's
// text is about 80 MiB).
const maxSlotScan = 256 << 20

// variableSlots looks, once lm is relocated, for a GOT slot that a
// GLOB_DAT binds to a function while the object's own code reads the
// slot as the address of a variable: it loads the slot
// (`mov SLOT(%rip), %reg`) and reads memory through what it loaded
// (`mov (%reg), ...`). The slot was made for a variable, and the
// relocation's symbol was changed (the soak's variable-slot family:
// stdout's GLOB_DAT made to name puts, so fflush(stdout) is handed
// puts's first instruction bytes as a FILE). ld.so reads none of this;
// it binds the slot without complaint.
//
// A function pointer read through is no mark alone (nothing forbids
// it), so it is taken only with a second one that the change leaves: an
// imported variable that no relocation names any more. Healthy objects
// have those too (__environ beside environ, 123 of 4,314 files here),
// but only 62 of them also bind a GLOB_DAT to a function, and in none
// of those does the code read through such a slot. The code is read
// only in that case, so a healthy object seldom pays for the scan; and
// only in the program and the libraries it brings (found through its
// RPATH, RUNPATH or LD_LIBRARY_PATH), which are what a rewrite damages:
// the distribution's libclang-cpp, one of the 62, would cost every check
// of clang 90 ms of scanning 37 MB of code.
func (r *relocator) variableSlots(lm *linkMap) {
	if !r.types.full || lm.f.Machine != elf.EM_X86_64 || lm.partial || !lm.hasSymtab || lm.obj.system {
		return
	}
	slots := map[uint64]slotValue{}
	for at, v := range lm.values {
		if v.def == nil || v.def.s == nil || v.mangled || v.unknown || v.addend != 0 {
			continue
		}
		if t := v.def.s.typ(); t != elf.STT_FUNC && t != elf.STT_GNU_IFUNC {
			continue
		}
		ref, err := lm.readSym(v.ref)
		if err != nil || ref.shndx != uint16(elf.SHN_UNDEF) || elf.ST_BIND(ref.info) == elf.STB_WEAK {
			continue // a weak reference is crtstuff's, tested before use
		}
		slots[at] = v
	}
	if len(slots) == 0 {
		return
	}
	orphan, ok := r.orphanVariable(lm)
	if !ok {
		return
	}
	at, code, slot, found := readThrough(lm, slots)
	if !found {
		return
	}
	v := slots[slot]
	defBase := filepath.Base(v.def.lm.obj.name)
	name := orNone(v.def.lm.symName(v.def.s).s)
	r.damage = append(r.damage, relocDamage{lm: lm, code: "variable-slot-bound-to-function", at: slot,
		what:    fmt.Sprintf("the GOT slot at 0x%x is bound to %s, a function of %s, but %s's code at 0x%x reads it as a variable's address (%s), and %s, which %s imports as a variable, is named by no relocation: the slot's relocation was changed", slot, name, defBase, filepath.Base(lm.obj.name), at, code, orNone(orphan), filepath.Base(lm.obj.name)),
		changed: fmt.Sprintf("the code reads %s's first instruction bytes where it expects the variable", name)})
}

// orphanVariable finds an undefined variable (STT_OBJECT) of lm's dynamic
// symbols that no entry of its relocation tables names, as the dynamic
// section gives them.
func (r *relocator) orphanVariable(lm *linkMap) (string, bool) {
	// The imported variables first, read a chunk of symbols at a time;
	// then the relocations, until each has been named.
	vars := map[uint64]bool{}
	n := min(r.symCount(lm), maxSymScan)
	const chunk = 256
	ent := symSize(lm.f)
	buf := make([]byte, chunk*ent)
	o := lm.f.ByteOrder()
	for i := uint64(1); i < n; i += chunk {
		k := min(chunk, n-i)
		if lm.f.Image().ReadAt(buf[:k*ent], lm.m.add(lm.symtab, i*ent), "dynamic symbols") != nil {
			return "", false
		}
		for j := uint64(0); j < k; j++ {
			e := buf[j*ent:]
			if o.Uint16(e[6:]) == uint16(elf.SHN_UNDEF) && elf.ST_TYPE(e[4]) == elf.STT_OBJECT {
				vars[i+j] = true
			}
		}
	}
	if len(vars) == 0 {
		return "", false
	}
	eachReloc(lm.f, lm.d, func(rl reloc) bool {
		delete(vars, rl.sym)
		return len(vars) > 0
	})
	if len(vars) == 0 {
		return "", false
	}
	first := ^uint64(0)
	for i := range vars {
		first = min(first, i) // the same answer every run
	}
	s, err := lm.readSym(first)
	if err != nil {
		return "", false
	}
	return lm.symName(s).s, true
}

// readThrough scans lm's code sections for `mov SLOT(%rip), %reg` (REX.W
// 8b /r, ModRM mod 00 r/m 101) loading one of slots, followed by an
// instruction that reads memory through %reg. It returns the first: the
// load's address, the two instructions, and the slot.
func readThrough(lm *linkMap, slots map[uint64]slotValue) (at uint64, code string, slot uint64, found bool) {
	f := lm.f
	var secs []int
	for i := range f.Sections {
		s := &f.Sections[i]
		if s.Flags&elf.SHF_EXECINSTR != 0 && s.Flags&elf.SHF_ALLOC != 0 && s.Type == elf.SHT_PROGBITS && s.Size > 0 {
			secs = append(secs, i)
		}
	}
	sort.Slice(secs, func(a, b int) bool { return f.Sections[secs[a]].Addr < f.Sections[secs[b]].Addr })
	budget := uint64(maxSlotScan)
	for _, i := range secs {
		s := f.Sections[i]
		n := min(s.Size, budget)
		budget -= n
		_ = f.View(int64(s.Offset), n, s.Name, func(b []byte) {
			for p := 1; p+7 <= len(b) && !found; p++ {
				// IndexByte is vectorised: one opcode byte in about twenty
				// of x86 code is 0x8b.
				k := bytes.IndexByte(b[p:len(b)-6], 0x8b)
				if k < 0 {
					break
				}
				if p += k; b[p-1]&0xfb != 0x48 || b[p+1]&0xc7 != 0x05 {
					continue
				}
				next := s.Addr + uint64(p) + 6
				disp := int64(int32(get32(f, b[p+2:])))
				target := next + uint64(disp)
				if _, ok := slots[target]; !ok {
					continue
				}
				reg := x86asm.RAX + x86asm.Reg((b[p+1]>>3)&7)
				if b[p-1]&0x04 != 0 {
					reg += 8
				}
				inst, err := x86asm.Decode(b[p+6:min(len(b), p+6+15)], 64)
				if err != nil || !readsThrough(inst, reg) {
					continue
				}
				at, slot, found = s.Addr+uint64(p-1), target, true
				code = fmt.Sprintf("`mov 0x%x(%%rip),%%%s; %s`", uint32(disp), strings.ToLower(reg.String()), x86asm.GNUSyntax(inst, next, nil))
			}
		})
		if found || budget == 0 {
			return
		}
	}
	return
}

// readsThrough says whether inst reads or writes memory at an address
// held in reg (lea only computes one).
func readsThrough(inst x86asm.Inst, reg x86asm.Reg) bool {
	if inst.Op == x86asm.LEA {
		return false
	}
	for _, a := range inst.Args {
		if m, ok := a.(x86asm.Mem); ok && (m.Base == reg || m.Index == reg) {
			return true
		}
	}
	return false
}
