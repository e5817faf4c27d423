package loader

import (
	"debug/elf"
	"fmt"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// maxLeftOut bounds the entries of one relocation section looked at for
// words ld.so left out: the mark needs one, the evidence a few.
const maxLeftOut = 1 << 16

// maxLeftOutShown is how many such entries are given as evidence.
const maxLeftOutShown = 4

// leftOut looks, once ld.so has relocated lm, for relocations the linker
// wrote that ld.so never read: entries of an allocated SHT_RELA section
// outside the tables the dynamic section gives (DT_RELASZ cut short,
// DT_RELA moved). ld.so has no way to know of them, so this decides
// nothing about the loader; but the words they were made for keep the
// file's bytes (0 for a GOT slot), and the program's own code reads them
// (main's `stdout`, a pointer table), which is not replayed. Such a word
// makes the outcome undetermined instead of "starts"
// (relocDamageFinding). Only x86-64 is looked at, whose relocation types
// the replay writes one by one, and only the types that write a word:
// RELATIVE, GLOB_DAT, JUMP_SLOT, 64, COPY and the TLS words (DTPMOD64,
// DTPOFF64, TPOFF64).
//
// The section headers are the only record of what the linker wrote; a
// file without them gives no mark. A section the dynamic tables cover
// whole is skipped unread, so a healthy file pays nothing.
func (r *relocator) leftOut(lm *linkMap) {
	t := r.types
	if !t.full || lm.f.Machine != elf.EM_X86_64 || lm.partial {
		return
	}
	var tables [][2]uint64 // [start, end) of DT_RELA and DT_JMPREL as the file gives them
	wrapped := ""          // says why a table is not among them
	for _, p := range [][2]elf.DynTag{{elf.DT_RELA, elf.DT_RELASZ}, {elf.DT_JMPREL, elf.DT_PLTRELSZ}} {
		a, ok1 := lm.d.Tag(p[0])
		n, ok2 := lm.d.Tag(p[1])
		if wraps, _ := r.wrapsAt(lm, a, n); ok1 && ok2 && wraps {
			// At the object's real address the end wraps: ld.so applied
			// only DT_RELACOUNT's relatives from it (doRel), whose words
			// are written, and none of the rest.
			wrapped = fmt.Sprintf("; %s's size 0x%x wraps around the top of memory at the object's address, so ld.so applied none of its entries but the relative ones DT_RELACOUNT counts", inspect.DynTagName(p[0]), n)
			continue
		}
		if end, ok := addNoOverflow(a, n); ok1 && ok2 && ok {
			tables = append(tables, [2]uint64{a, end})
		}
	}
	covered := func(lo, hi uint64) bool {
		for _, tb := range tables {
			if lo >= tb[0] && hi <= tb[1] {
				return true
			}
		}
		return false
	}
	const ent = 24
	found := 0
	b := make([]byte, ent)
	for i := range lm.f.Sections {
		s := &lm.f.Sections[i]
		if s.Type != elf.SHT_RELA || s.Flags&elf.SHF_ALLOC == 0 || s.Size < ent {
			continue
		}
		end, ok := addNoOverflow(s.Addr, s.Size)
		if !ok || covered(s.Addr, end) {
			continue
		}
		for k := uint64(0); k < min(s.Size/ent, maxLeftOut); k++ {
			at := s.Addr + k*ent
			if covered(at, at+ent) {
				continue
			}
			if lm.f.Image().ReadAt(b, at, s.Name+" entry") != nil {
				break
			}
			rl := decodeReloc(lm.f, b, true)
			tls := false
			if rl.typ == t.jumpSlot && lm.f.Type == elf.ET_EXEC && r.lazy && !bindNow(lm.d) {
				// In a program loaded at 0 a lazily bound slot needs
				// nothing at start-up: its word leads into the PLT as
				// linked, and the first call's _dl_fixup reads the
				// DT_JMPREL entry at the PLT's index, which the first
				// calls judge (fixupsBeyondSize).
				continue
			}
			switch rl.typ {
			case t.relative, t.globDat, t.jumpSlot, uint32(elf.R_X86_64_64), t.copy:
			case uint32(elf.R_X86_64_DTPMOD64), uint32(elf.R_X86_64_DTPOFF64), uint32(elf.R_X86_64_TPOFF64):
				tls = true // __tls_get_addr's module and offset, an initial-exec offset
			default:
				continue
			}
			if lm.written.has(rl.off) {
				continue // another entry ld.so read wrote the word
			}
			var w [8]byte
			if lm.f.Image().ReadAt(w[:], rl.off, "relocated word") != nil {
				continue // not a word of the object: not this mark
			}
			word := get64(lm.f, w[:])
			name, meant := "", "the address it was linked to, moved to where the object is loaded"
			if rl.typ != t.relative {
				meant = "a symbol's address"
				sym, err := lm.readSym(rl.sym)
				if err == nil && word == 0 && elf.ST_BIND(sym.info) == elf.STB_WEAK && sym.shndx == uint16(elf.SHN_UNDEF) {
					// A weak reference's 0 is the state its code was
					// built to test for: the symbol is absent
					// (crtstuff's __cxa_finalize, __gmon_start__).
					continue
				}
				if err == nil {
					name = " of " + orNone(lm.symName(sym).s)
					meant = "the address" + name
				}
				if rl.typ == t.copy {
					meant = "the initial value" + name + " from the library that defines it, which the program's code and the library's own read there"
				}
				if tls {
					meant = "a TLS module ID or offset" + name
					if rl.sym == 0 {
						meant = "the object's own TLS module ID or offset"
					}
				}
			}
			r.damage = append(r.damage, relocDamage{lm: lm, code: "reloc-left-out", at: at,
				what:    fmt.Sprintf("entry %d of %s at 0x%x (%s%s, for the word at 0x%x) lies outside the relocation tables the dynamic section gives ld.so (%s): ld.so never reads it%s", k, s.Name, at, typeName(rl.typ), name, rl.off, tablesString(tables), wrapped),
				changed: fmt.Sprintf("the word at 0x%x keeps the file's 0x%x, where the linker meant ld.so to write %s", rl.off, word, meant)})
			if found++; found == maxLeftOutShown {
				return
			}
		}
	}
}

func tablesString(tables [][2]uint64) string {
	if len(tables) == 0 {
		return "none"
	}
	s := ""
	for i, tb := range tables {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("0x%x to 0x%x", tb[0], tb[1])
	}
	return s
}
