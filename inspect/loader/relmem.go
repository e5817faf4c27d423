package loader

import (
	"debug/elf"
	"fmt"
	"path/filepath"
	"slices"
	"sort"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// relocDamage is a relocation or symbol ld.so applied whose form no
// linker writes (a GOT slot at an odd address, a word two relocations
// write, a GLOB_DAT of the null symbol, a variable the program copies
// from a library that no COPY relocation fills). ld.so applies it without
// complaint; what it leaves in memory is not what the program's code was
// built to read, and what that code does with it is not replayed: such
// damage makes the outcome undetermined (relocDamageFinding), never a
// guessed crash or start.
type relocDamage struct {
	lm   *linkMap
	code string // the reason, a finding code
	// what says, for people, what the entry holds and what a linker
	// would have written; at is the entry's address in the object.
	what string
	at   uint64
	// changed says what the damage leaves in memory instead of what
	// the program's code reads there.
	changed string
}

// damageSeen is the per-object state the damage rules need: which symbol
// each JUMP_SLOT and GLOB_DAT bound, and where COPY relocations copied.
type damageSeen struct {
	slots   map[[2]uint64]int64 // {type, symbol} -> the first relocation's index
	copied  map[uint64]bool     // r_offset of COPY relocations that copied bytes
	nsyms   uint64              // the symbol count the hash table gives, 0 unknown
	counted bool
	// odd says a relocation wrote at an address that is not 8-byte
	// aligned, so later writes look for partial overlaps too.
	odd bool
	// dynLo, dynHi are PT_DYNAMIC's addresses, which no relocation a
	// linker writes targets (ld.so itself writes DT_DEBUG there).
	dynLo, dynHi uint64
	// loads are the PT_LOADs' [p_vaddr, p_vaddr+p_memsz): a linker
	// writes relocations only into its sections, which lie inside them.
	loads [][2]uint64
	// targets are the words relocations and PLT entries use, and
	// nonzero the bytes outside them that a misaligned write surely
	// left non-zero (crtguard.go).
	targets, nonzero map[uint64]bool
	// maybeNonzero are the bytes a misaligned write left non-zero for
	// some load addresses only.
	maybeNonzero map[uint64]bool
	// hash is the object's DT_HASH, once read (renamed.go).
	hash *sysvHash
	// gots are the sections .got and .got.plt, where a linker puts every
	// GLOB_DAT and JUMP_SLOT; none when the section table has neither.
	gots [][2]uint64
	// tlsWords are the TLS relocations (DTPMOD64, DTPOFF64, TPOFF64) at
	// aligned words, by r_offset, for tlsIndexes.
	tlsWords map[uint64]reloc
	// imports are the bound imports by name and version, each with the
	// first symbol index bound under it (importTwice), which judges only
	// an object gnuLD says GNU ld linked (linkerKnown: looked at).
	imports      map[importName]uint64
	importByName map[string]importSym
	// orphans are orphanSymbolNames' answer, once orphansRead.
	orphans            []string
	orphansRead        bool
	linkerKnown, gnuLD bool
}

func (r *relocator) seen(lm *linkMap) *damageSeen {
	if r.damageSeen == nil {
		r.damageSeen = map[*linkMap]*damageSeen{}
	}
	s := r.damageSeen[lm]
	if s == nil {
		s = &damageSeen{slots: map[[2]uint64]int64{}, copied: map[uint64]bool{}}
		for _, p := range lm.f.ProgsOfType(elf.PT_DYNAMIC) {
			if hi, ok := addNoOverflow(p.Vaddr, p.Memsz); ok {
				s.dynLo, s.dynHi = p.Vaddr, hi
			}
		}
		loads := lm.f.ProgsOfType(elf.PT_LOAD)
		s.loads = make([][2]uint64, 0, len(loads))
		for _, p := range loads {
			if hi, ok := addNoOverflow(p.Vaddr, p.Memsz); ok {
				s.loads = append(s.loads, [2]uint64{p.Vaddr, hi})
			}
		}
		for _, sec := range lm.f.Sections {
			if (sec.Name == ".got" || sec.Name == ".got.plt") && sec.Flags&elf.SHF_ALLOC != 0 && sec.Size > 0 {
				if hi, ok := addNoOverflow(sec.Addr, sec.Size); ok {
					s.gots = append(s.gots, [2]uint64{sec.Addr, hi})
				}
			}
		}
		r.damageSeen[lm] = s
	}
	return s
}

// inGOT says whether the word at off lies in .got or .got.plt, or there
// is no such section to tell.
func (s *damageSeen) inGOT(off, word uint64) bool {
	if len(s.gots) == 0 {
		return true
	}
	for _, g := range s.gots {
		if off >= g[0] && off < g[1] && word <= g[1]-off {
			return true
		}
	}
	return false
}

// inSegment says whether [off, off+n) lies inside one PT_LOAD's memory.
func (s *damageSeen) inSegment(off, n uint64) bool {
	for _, l := range s.loads {
		if off >= l[0] && off < l[1] && n <= l[1]-off {
			return true
		}
	}
	return false
}

// entryAt names where a relocation entry is, with its file offset when
// a file byte backs it.
func entryAt(lm *linkMap, rl reloc) string {
	s := fmt.Sprintf("relocation %d of %s of %s at 0x%x", rl.index, rl.table, filepath.Base(lm.obj.name), rl.addr)
	if l := lm.f.Image().Lookup(rl.addr); l.Mapped && l.File {
		s += fmt.Sprintf(" (file offset 0x%x)", l.Off)
	}
	return s
}

// observeReloc looks at a relocation ld.so is about to apply (elf_machine_rela)
// for a form no linker writes. It is called before the write, so that a
// word an earlier relocation wrote is still told apart. Only x86-64, whose
// relocation types the replay models one by one, is looked at.
func (r *relocator) observeReloc(lm *linkMap, rl reloc) {
	t := r.types
	if !t.full || lm.f.Machine != elf.EM_X86_64 {
		return
	}
	add := func(code, what, changed string) {
		r.damage = append(r.damage, relocDamage{lm: lm, code: code, what: what, at: rl.addr, changed: changed})
	}
	typ := rl.typ
	slot := typ == t.globDat || typ == t.jumpSlot
	seen := r.seen(lm)
	switch {
	case typ == t.none && rl.sym != 0:
		// Linkers leave an unused entry all zero; a NONE that still
		// names a symbol is an entry whose type was changed, and the
		// word it named keeps the file's bytes.
		add("reloc-type-none", fmt.Sprintf("%s has type R_X86_64_NONE (0) but names symbol %d and r_offset 0x%x: a linker leaves an unused entry all zero", entryAt(lm, rl), rl.sym, rl.off),
			fmt.Sprintf("the %d bytes at 0x%x keep what the file holds, which no relocation wrote", r.word, rl.off))
	case (slot || typ == t.copy) && rl.sym == 0:
		add("reloc-null-symbol", fmt.Sprintf("%s is a %s of the null symbol (index 0): a linker writes a RELATIVE relocation for a slot that needs no symbol", entryAt(lm, rl), typeName(typ)),
			fmt.Sprintf("the word at 0x%x holds the object's load address, its ELF header, instead of a symbol's address", rl.off))
	case typ == uint32(elf.R_X86_64_64) && rl.sym == 0 && lm.f.Type == elf.ET_DYN:
		// A pointer that needs no symbol is a RELATIVE; an R_X86_64_64
		// of symbol 0 is one whose symbol index was changed (gxx-pie's
		// pointer to std::exception's typeinfo, which the exception
		// matching reads: SIGSEGV after main's output).
		add("reloc-null-symbol", fmt.Sprintf("%s is an R_X86_64_64 of the null symbol (index 0): a linker writes a RELATIVE relocation for a pointer that needs no symbol", entryAt(lm, rl)),
			fmt.Sprintf("the word at 0x%x holds the object's load address plus 0x%x instead of a symbol's address", rl.off, uint64(rl.addend)))
	}
	// A lazily bound JUMP_SLOT is only rebased (nothing at all in a
	// program loaded at 0), and the slot it left is judged at its first
	// call (firstCalls).
	if slot && !rl.lazy && !seen.inGOT(rl.off&^7, r.word) {
		add("reloc-outside-got", fmt.Sprintf("%s is a %s at r_offset 0x%x, outside the object's .got and .got.plt: a linker puts every GLOB_DAT and JUMP_SLOT in them", entryAt(lm, rl), typeName(typ), rl.off),
			fmt.Sprintf("ld.so writes the symbol's address at 0x%x%s, and the GOT slot the entry was made for keeps the file's bytes", rl.off, sectionAt(lm.f, rl.off)))
	}
	if slot && rl.off%8 != 0 {
		add("reloc-misaligned", fmt.Sprintf("%s is a %s at r_offset 0x%x, which is not 8-byte aligned: a linker puts GOT slots on 8-byte boundaries", entryAt(lm, rl), typeName(typ), rl.off),
			fmt.Sprintf("its 8-byte write at 0x%x covers parts of the slots at 0x%x and 0x%x", rl.off, rl.off&^7, (rl.off&^7)+8))
	}
	if typ == uint32(elf.R_X86_64_64) && rl.sym != 0 && rl.off%8 != 0 && lm.f.Type == elf.ET_DYN {
		// A pointer a compiler emits is aligned (only a packed
		// structure's is not, which none of the 1,731 files of the
		// machine sweep has): gxx-pie's pointer to the personality
		// routine moved 12 bytes left its own word 0, and the throw
		// aborted (seed 9998108195).
		add("reloc-misaligned", fmt.Sprintf("%s is an R_X86_64_64 at r_offset 0x%x, which is not 8-byte aligned: compilers align the pointers they emit", entryAt(lm, rl), rl.off),
			fmt.Sprintf("its 8-byte write at 0x%x covers parts of the words at 0x%x and 0x%x, and the pointer it was made for keeps the file's bytes", rl.off, rl.off&^7, (rl.off&^7)+8))
	}
	if (typ == t.relative || typ == t.relative64) && rl.sym != 0 {
		add("reloc-relative-symbol", fmt.Sprintf("%s is a %s that names symbol %d: a linker writes RELATIVE relocations with symbol 0", entryAt(lm, rl), typeName(typ), rl.sym),
			fmt.Sprintf("the word at 0x%x holds the load address plus the addend, where the entry's symbol says something else was bound", rl.off))
	}
	if typ == uint32(elf.R_X86_64_32) && rl.sym != 0 && lm.f.Class == elf.ELFCLASS64 {
		// lld never emits it as a dynamic relocation (its getDynRel keeps
		// only 64-bit and size types), and GNU ld refuses it against a
		// symbol in position-independent output; a non-PIE program gets
		// a copy relocation or a PLT address instead. x32 (ELFCLASS32)
		// is where it is the word.
		add("reloc-32-in-64", fmt.Sprintf("%s is an R_X86_64_32 of symbol %d in a 64-bit object: a linker writes no 32-bit absolute dynamic relocation there", entryAt(lm, rl), rl.sym),
			fmt.Sprintf("ld.so writes only the low 4 bytes of the address at 0x%x; the word's upper 4 bytes keep the file's", rl.off))
	}
	if pc := typ == uint32(elf.R_X86_64_PC32) || typ == uint32(elf.R_X86_64_PC64); pc && lm.main {
		add("reloc-pc-relative", fmt.Sprintf("%s is a %s in the program: a linker resolves a program's PC-relative references itself (or refuses to link)", entryAt(lm, rl), typeName(typ)),
			fmt.Sprintf("ld.so writes the symbol's distance from 0x%x there, not its address", rl.off))
	} else if pc && len(seen.gots) > 0 && seen.inGOT(rl.off&^7, r.word) {
		// A library's text relocations may be PC-relative; a GOT slot
		// holds an address.
		add("reloc-pc-relative", fmt.Sprintf("%s is a %s writing at 0x%x, in the object's GOT: a linker fills GOT slots with addresses (GLOB_DAT, JUMP_SLOT, RELATIVE), never with a distance", entryAt(lm, rl), typeName(typ), rl.off),
			fmt.Sprintf("ld.so writes the symbol's distance from 0x%x there, not its address, and code that calls or reads through the slot goes elsewhere", rl.off))
	}
	n, ok := t.size[typ]
	if typ == t.relative || typ == t.relative64 {
		n, ok = r.word, true
	}
	if ok && n > 0 && (rl.off%8 != 0 || seen.odd) {
		// Two writes overlap in part: one of them is at an odd address.
		seen.odd = true
		for a := rl.off - 7; a != rl.off+n; a++ {
			if a != rl.off && lm.written.has(a) {
				add("reloc-overlap", fmt.Sprintf("%s (%s) writes %d bytes at 0x%x, over part of the word an earlier write of ld.so to this object put at 0x%x: a linker never makes two relocations share bytes", entryAt(lm, rl), typeName(typ), n, rl.off, a),
					fmt.Sprintf("the words at 0x%x and 0x%x hold pieces of two values", a, rl.off))
				break
			}
		}
	}
	if ok && n > 0 && !seen.inSegment(rl.off, n) {
		// ld.so writes there only because the page is mapped whole; the
		// word the entry was made for keeps the file's bytes.
		add("reloc-outside-segments", fmt.Sprintf("%s (%s) writes %d bytes at 0x%x, outside every PT_LOAD's p_vaddr to p_vaddr+p_memsz: a linker writes relocations only into the object's sections", entryAt(lm, rl), typeName(typ), n, rl.off),
			"the write lands in the rest of a page past a segment's end, and the slot the entry was made for keeps the file's bytes")
	}
	if ok && n > 0 && rl.off < seen.dynHi && rl.off+n > seen.dynLo {
		add("reloc-into-dynamic", fmt.Sprintf("%s (%s) writes %d bytes at 0x%x, inside the dynamic section (PT_DYNAMIC, 0x%x to 0x%x): a linker never relocates it", entryAt(lm, rl), typeName(typ), n, rl.off, seen.dynLo, seen.dynHi),
			fmt.Sprintf("the word the entry was made for keeps the file's bytes, and the dynamic entry at 0x%x holds a relocated value", rl.off&^7))
	}
	tlsWord := typ == uint32(elf.R_X86_64_DTPMOD64) || typ == uint32(elf.R_X86_64_DTPOFF64) || typ == uint32(elf.R_X86_64_TPOFF64)
	if tlsWord && rl.off%8 == 0 {
		if seen.tlsWords == nil {
			seen.tlsWords = map[uint64]reloc{}
		}
		if _, twice := seen.tlsWords[rl.off]; !twice {
			seen.tlsWords[rl.off] = rl
		}
	}
	if (slot || tlsWord || typ == t.relative || typ == uint32(elf.R_X86_64_64)) && rl.off%8 == 0 && lm.written.has(rl.off) && !setupDisplacedOnto(lm, rl.off, r.word) {
		add("reloc-written-twice", fmt.Sprintf("%s (%s) writes the word at 0x%x, which an earlier write of ld.so to this object already wrote: a linker gives each word one relocation", entryAt(lm, rl), typeName(typ), rl.off),
			fmt.Sprintf("the word at 0x%x holds the last of the two values, and the slot the entry was made for keeps another", rl.off))
	}
	if slot && rl.sym != 0 {
		key := [2]uint64{uint64(typ), rl.sym}
		if first, dup := seen.slots[key]; dup {
			add("reloc-symbol-twice", fmt.Sprintf("%s is a %s of symbol %d, which relocation %d of the same table already binds: a linker makes one GOT slot per symbol and kind", entryAt(lm, rl), typeName(typ), rl.sym, first),
				fmt.Sprintf("the slot at 0x%x is bound to that symbol instead of the one the code that uses it was built for", rl.off))
		} else {
			seen.slots[key] = rl.index
		}
	}
	if (slot || typ == t.copy) && rl.sym != 0 {
		if n := r.symCount(lm); n != 0 && rl.sym >= n {
			add("reloc-symbol-past-table", fmt.Sprintf("%s (%s) names symbol %d, past the %d symbols the object's hash table covers", entryAt(lm, rl), typeName(typ), rl.sym, n),
				fmt.Sprintf("ld.so binds the word at 0x%x to what it reads as symbol %d, which is not one the linker bound there", rl.off, rl.sym))
		}
	}
}

// observeBound looks at a word ld.so has just bound (elf_machine_rela,
// after the lookup): a GLOB_DAT or JUMP_SLOT with an addend that this
// glibc adds (before 2.36) to a variable's address points beside the
// variable, and a linker writes 0 there; a COPY that copied bytes is
// recorded for copyNotFilled.
func (r *relocator) observeBound(lm *linkMap, rl reloc, res *lookupResult, size uint64) {
	t := r.types
	if !t.full || lm.f.Machine != elf.EM_X86_64 {
		return
	}
	r.observeSelfBound(lm, rl, res)
	if rl.typ == t.copy && size > 0 {
		r.seen(lm).copied[rl.off] = true
		// The copy goes to r_offset; the program's variable is at its
		// symbol's value, which a linker makes the same. Moved apart,
		// the variable keeps the file's bytes (and the library's own
		// references bind to it), and the bytes at r_offset are
		// overwritten.
		if s, err := lm.readSym(rl.sym); err == nil && s.value != rl.off && s.shndx != uint16(elf.SHN_UNDEF) {
			r.damage = append(r.damage, relocDamage{lm: lm, code: "copy-not-filled", at: rl.off,
				what:    fmt.Sprintf("%s (COPY of %s) copies to 0x%x, but the program's copy of the variable is at 0x%x, its symbol's value: a linker makes them the same", entryAt(lm, rl), orNone(lm.symName(s).s), rl.off, s.value),
				changed: fmt.Sprintf("the %d bytes at 0x%x keep the file's bytes instead of the library's initial value, the library's own references bind to them, and the copy overwrites the bytes at 0x%x", size, s.value, rl.off)})
		}
		return
	}
	if (rl.typ == t.globDat || rl.typ == t.jumpSlot || rl.typ == uint32(elf.R_X86_64_64)) && res != nil && res.s.typ() == elf.STT_TLS && res.s.shndx != uint16(elf.SHN_UNDEF) {
		// The other way round from observeSym: an address relocation
		// bound to a thread-local variable, whose value is an offset in
		// its module's block, not an address.
		r.damage = append(r.damage, relocDamage{lm: lm, code: "reloc-tls-type", at: rl.addr,
			what:    fmt.Sprintf("%s is a %s bound to the thread-local %s: a linker binds TLS variables only with TLS relocations (DTPMOD64, DTPOFF64, TPOFF64)", entryAt(lm, rl), typeName(rl.typ), orNone(res.lm.symName(res.s).s)),
			changed: fmt.Sprintf("the word at 0x%x holds a load address plus an offset in a TLS block, where the code expects a TLS module or offset", rl.off)})
		return
	}
	if (rl.typ == t.globDat || rl.typ == t.jumpSlot || rl.typ == uint32(elf.R_X86_64_64)) && res != nil && res.s.shndx == uint16(elf.SHN_ABS) && res.s.value == 0 {
		// GNU ld defines a symbol for each version node (CHAIN_1.0,
		// SHN_ABS, value 0), which no code refers to: a slot bound to
		// one had its symbol index changed, and holds 0 (seed
		// 9998363895: libchain.so's GOT slot of base_counter, SIGSEGV
		// when chain_value reads it).
		if name := res.lm.symName(res.s); name.err == nil && versionNode(res.lm.obj, name.s) {
			r.damage = append(r.damage, relocDamage{lm: lm, code: "bound-outside-object", at: rl.addr,
				what:    fmt.Sprintf("%s is a %s bound to %s of %s, the absolute symbol of value 0 a linker defines for a version node, which no code refers to", entryAt(lm, rl), typeName(rl.typ), name.s, filepath.Base(res.lm.obj.name)),
				changed: fmt.Sprintf("the word at 0x%x holds 0 where the code reads an address", rl.off)})
			return
		}
	}
	if (rl.typ == uint32(elf.R_X86_64_TPOFF64) || rl.typ == uint32(elf.R_X86_64_DTPOFF64)) && res != nil && res.s.typ() == elf.STT_TLS && res.s.shndx != uint16(elf.SHN_UNDEF) {
		// A thread-local variable's value is its offset in its module's
		// block: one past the block's p_memsz is no variable of it.
		if size, ok := r.c.tlsBlockSize(res.lm); ok && res.s.value >= size {
			r.damage = append(r.damage, relocDamage{lm: lm, code: "bound-outside-object", at: rl.addr,
				what:    fmt.Sprintf("%s is a %s of the thread-local %s, whose value 0x%x lies past its module's block (p_memsz 0x%x): a linker gives a TLS variable an offset inside it", entryAt(lm, rl), typeName(rl.typ), orNone(res.lm.symName(res.s).s), res.s.value, size),
				changed: fmt.Sprintf("the word at 0x%x holds an offset past the thread-local block: the code reads and writes other memory", rl.off)})
			return
		}
	}
	if (rl.typ == uint32(elf.R_X86_64_TPOFF64) || rl.typ == uint32(elf.R_X86_64_DTPOFF64)) && rl.sym != 0 && rl.addend != 0 && res != nil {
		// Against a named symbol a linker writes the offset's addend 0;
		// code adds any offset into the variable itself.
		r.damage = append(r.damage, relocDamage{lm: lm, code: "reloc-addend", at: rl.addr,
			what:    fmt.Sprintf("%s is a %s of the thread-local %s with addend 0x%x: a linker writes 0", entryAt(lm, rl), typeName(rl.typ), orNone(res.lm.symName(res.s).s), uint64(rl.addend)),
			changed: fmt.Sprintf("the word at 0x%x holds the variable's offset in its TLS block moved by 0x%x: the code reads and writes elsewhere in thread-local memory, or past it", rl.off, uint64(rl.addend))})
		return
	}
	if rl.typ == uint32(elf.R_X86_64_64) && rl.sym != 0 && rl.addend != 0 && res != nil && res.s.typ() == elf.STT_FUNC {
		// A pointer to a function is its start: code does not take
		// the address of the middle of a function (gxx-pie's pointer
		// to __gxx_personality_v0, which the unwinder calls: SIGSEGV
		// when the program throws).
		r.damage = append(r.damage, relocDamage{lm: lm, code: "reloc-addend", at: rl.addr,
			what:    fmt.Sprintf("%s is an R_X86_64_64 of the function %s with addend 0x%x: a linker writes 0 for a pointer to a function", entryAt(lm, rl), orNone(res.lm.symName(res.s).s), uint64(rl.addend)),
			changed: fmt.Sprintf("the word at 0x%x holds the function's address plus 0x%x: calls through it enter other code", rl.off, uint64(rl.addend))})
		return
	}
	if rl.typ == uint32(elf.R_X86_64_64) && rl.sym != 0 && res != nil && res.s.typ() == elf.STT_OBJECT && res.s.size > 0 &&
		(rl.addend < 0 || uint64(rl.addend) > res.s.size) {
		// A pointer into a variable stays within it, or one past its
		// end (gxx-pie's pointer to std::exception's typeinfo moved 9
		// bytes before it: SIGSEGV when the program throws).
		r.damage = append(r.damage, relocDamage{lm: lm, code: "reloc-addend", at: rl.addr,
			what:    fmt.Sprintf("%s is an R_X86_64_64 of the variable %s (%d bytes) with addend %d: a linker points into the variable, or one past its end", entryAt(lm, rl), orNone(res.lm.symName(res.s).s), res.s.size, rl.addend),
			changed: fmt.Sprintf("the word at 0x%x points %d bytes from the variable, outside it", rl.off, rl.addend)})
		return
	}
	if (rl.typ != t.globDat && rl.typ != t.jumpSlot) || rl.addend == 0 || r.minor == 0 || r.minor >= 36 || res == nil {
		return
	}
	// A function's address plus an addend is a call past the function's
	// start. The start-up calls judge where they land (a crash they can
	// name stays the prediction), but the addend may as well reach the
	// start of another function, which then runs with the wrong
	// arguments (a soak case: __libc_start_main + 0x2bd0 is a function
	// of bullseye's libc that returns, and _start's hlt faults).
	what, changed := "variable", fmt.Sprintf("the word at 0x%x points 0x%x bytes from the variable instead of at it", rl.off, uint64(rl.addend))
	if typ := res.s.typ(); typ != elf.STT_OBJECT && typ != elf.STT_COMMON {
		what, changed = "function", fmt.Sprintf("the word at 0x%x holds the function's address plus 0x%x: calls through it enter other code", rl.off, uint64(rl.addend))
	}
	r.damage = append(r.damage, relocDamage{lm: lm, code: "reloc-addend", at: rl.addr,
		what:    fmt.Sprintf("%s is a %s of the %s %s with addend 0x%x: a linker writes 0, and glibc 2.%d adds it", entryAt(lm, rl), typeName(rl.typ), what, orNone(res.lm.symName(res.s).s), uint64(rl.addend), r.minor),
		changed: changed})
}

// observeSym looks at the symbol a relocation names, as ld.so read it:
// a linker writes the TLS relocations (DTPMOD64, DTPOFF64, TPOFF64)
// only against thread-local symbols.
func (r *relocator) observeSym(lm *linkMap, rl reloc, s *sym) {
	if !r.types.full || lm.f.Machine != elf.EM_X86_64 || rl.sym == 0 || s.typ() == elf.STT_TLS {
		return
	}
	switch elf.R_X86_64(rl.typ) {
	case elf.R_X86_64_DTPMOD64, elf.R_X86_64_DTPOFF64, elf.R_X86_64_TPOFF64:
		r.damage = append(r.damage, relocDamage{lm: lm, code: "reloc-tls-type", at: rl.addr,
			what:    fmt.Sprintf("%s is a %s of symbol %d (%s), which is %s, not thread-local: a linker writes TLS relocations only against TLS symbols", entryAt(lm, rl), typeName(rl.typ), rl.sym, orNone(lm.symName(s).s), s.typ()),
			changed: fmt.Sprintf("the word at 0x%x holds a TLS module or offset instead of the address the code reads it as", rl.off)})
	case elf.R_X86_64_SIZE32, elf.R_X86_64_SIZE64:
		// A linker keeps a size relocation for a sym@SIZE reference to
		// data (an array's length); a function's size is read by no
		// compiled code. An R_X86_64_64 of the personality routine whose
		// type became SIZE64 left gxx-pie's personality pointer holding
		// the routine's size (seed 8340004997: SIGSEGV at the throw).
		if s.typ() == elf.STT_FUNC || s.typ() == elf.STT_GNU_IFUNC {
			r.damage = append(r.damage, relocDamage{lm: lm, code: "reloc-size-of-function", at: rl.addr,
				what:    fmt.Sprintf("%s is a %s of symbol %d (%s), a function: a linker writes a size relocation for a reference to a variable's size", entryAt(lm, rl), typeName(rl.typ), rl.sym, orNone(lm.symName(s).s)),
				changed: fmt.Sprintf("the word at 0x%x holds the function's size (plus the addend) where the code may read a pointer", rl.off)})
		}
	}
}

// overflow32 replays the check elf_machine_rela (x86-64, the same in
// 2.31, 2.36 and 2.41) makes after writing an R_X86_64_32: S + A above
// UINT_MAX makes it print "PROG: Symbol `NAME' causes overflow in
// R_X86_64_32 relocation" with the referencing symbol's name, and go on.
// An ET_DYN object is loaded above 4 GiB on x86-64 (the kernel's
// ELF_ET_DYN_BASE and mmap base are both far above it), so a symbol it
// defines always overflows; one of an ET_EXEC has its link-time value.
func (r *relocator) overflow32(lm *linkMap, rl reloc, ref *sym, res *lookupResult) {
	if !r.types.full || lm.f.Machine != elf.EM_X86_64 || lm.f.Class != elf.ELFCLASS64 || rl.typ != uint32(elf.R_X86_64_32) {
		return
	}
	value := uint64(rl.addend)
	if res != nil && res.s != nil {
		if res.lm.f.Type == elf.ET_DYN && res.s.shndx != uint16(elf.SHN_ABS) {
			value = 1 << 32 // somewhere above 4 GiB: the exact address is the process's
		} else {
			value += res.s.value
		}
	}
	if value <= 0xffffffff {
		return
	}
	name := ""
	if ref != nil {
		name = lm.symName(ref).s
	}
	r.c.add(Finding{Severity: SeverityWarning, Stage: StageReloc, Code: "reloc-32-overflow", Object: lm.obj.name,
		Summary: fmt.Sprintf("%s binds a 32-bit word to %s, whose address does not fit in 32 bits: ld.so writes the low half and says so", entryAt(lm, rl), orNone(name)),
		Message: fmt.Sprintf("%s: Symbol `%s' causes overflow in R_X86_64_32 relocation", r.progName(), name)})
}

// symCount is the number of symbols the object's hash table covers, 0
// when it cannot be known.
func (r *relocator) symCount(lm *linkMap) uint64 {
	s := r.seen(lm)
	if !s.counted {
		s.counted = true
		// DT_HASH's nchain is the count itself (lld writes it beside
		// DT_GNU_HASH, which says only where the exported ones start).
		if t := r.hashTable(lm); t.ok && t.nchain > 0 {
			s.nsyms = uint64(t.nchain)
			return s.nsyms
		}
		n, err := lm.f.DynSymCount(lm.d)
		if err != nil {
			return 0
		}
		// DT_GNU_HASH covers the symbols from symoffset on; with none
		// hashed (a program that exports nothing: GNU ld writes
		// symoffset 1, whatever the imports) the count is only a lower
		// bound.
		if h, ok := lm.d.Tag(elf.DT_GNU_HASH); ok {
			off, err := lm.m.u32(lm.m.add(h, 4), "DT_GNU_HASH symoffset")
			if err != nil || n <= uint64(off) {
				return 0
			}
		}
		s.nsyms = n
	}
	return s.nsyms
}

// typeName names an x86-64 relocation type for people.
func typeName(t uint32) string {
	return elf.R_X86_64(t).String()
}

// maxSymScan bounds the symbols copyNotFilled reads.
const maxSymScan = 1 << 20

// copyNotFilled looks, once the program is relocated, for the mark of a
// copy relocation without the copy: a symbol the program defines whose
// DT_VERSYM entry names a version it needs from a library (the linker
// gives the program's copy of a library's variable the library's
// version, and a COPY relocation at its address). When no COPY relocation
// ld.so applied copied to that address, the copy keeps the file's bytes
// (the zero-fill of .bss), and the library binds its own references to it
// too, since the program comes first in the lookup scope. ld.so reads
// none of this; it only says that what the program's code reads there is
// not what it was linked for.
//
// An import that no relocation names is no such mark for a variable:
// linkers keep aliases (__environ beside a copied environ), imports of
// code the linker dropped, and Go's cgo imports, so TestCheckSweepSystem
// found dozens on this machine. importUnbound takes only a function the
// program's .symtab lists as an import too.
func (r *relocator) copyNotFilled(lm *linkMap) {
	if !lm.main || !r.types.full || lm.f.Machine != elf.EM_X86_64 || !lm.hasSymtab || !lm.hasVersym || len(lm.versions) == 0 || len(r.notes) > 0 {
		return // a replay cut short does not know every COPY it applied
	}
	n := min(r.symCount(lm), maxSymScan)
	if n < 2 {
		return
	}
	seen := r.seen(lm)
	_, hasVerdef := lm.d.Tag(elf.DT_VERDEF)
	const chunk = 256
	syms := make([]byte, chunk*24)
	vers := make([]byte, chunk*2)
	o := lm.f.ByteOrder()
	for i := uint64(1); i < n; i += chunk {
		k := min(chunk, n-i)
		if lm.f.Image().ReadAt(syms[:k*24], lm.m.add(lm.symtab, i*24), "dynamic symbols") != nil ||
			lm.f.Image().ReadAt(vers[:k*2], lm.m.add(lm.versym, i*2), "DT_VERSYM") != nil {
			return
		}
		for j := uint64(0); j < k; j++ {
			e := syms[j*24:]
			s := &sym{index: i + j, name: o.Uint32(e), info: e[4], other: e[5], shndx: o.Uint16(e[6:]), value: o.Uint64(e[8:]), size: o.Uint64(e[16:]), lm: lm}
			if s.shndx == uint16(elf.SHN_UNDEF) || s.shndx >= uint16(elf.SHN_LORESERVE) || s.size == 0 || s.typ() != elf.STT_OBJECT {
				continue
			}
			ndx := int(o.Uint16(vers[j*2:]) & 0x7fff)
			if ndx < 2 || seen.copied[s.value] {
				continue
			}
			var v foundVersion
			if ndx < len(lm.versions) {
				v = lm.versions[ndx]
			}
			// In a program without DT_VERDEF, a linker gives a defined
			// variable a version index of 2 or more only as the copy of
			// a library's: an index that names no version now (its
			// Vernaux's vna_other was changed) is that mark too.
			if v.filename == "" && (v.set || hasVerdef || !r.definedElsewhere(lm, s)) {
				continue
			}
			at := fmt.Sprintf("symbol %d of %s", s.index, filepath.Base(lm.obj.name))
			addr := lm.m.add(lm.symtab, s.index*24)
			if l := lm.f.Image().Lookup(addr); l.Mapped && l.File {
				at += fmt.Sprintf(" (file offset 0x%x)", l.Off)
			}
			what := fmt.Sprintf("%s, %s, is the program's copy of a variable of %s (version %s, %d bytes at 0x%x), but no COPY relocation ld.so applied copies to 0x%x: a linker writes one for each such symbol",
				at, orNone(lm.symName(s).s), orNone(v.filename), orNone(v.name), s.size, s.value, s.value)
			if v.filename == "" {
				what = fmt.Sprintf("%s, %s, is the program's copy of a library's variable (%d bytes at 0x%x): its DT_VERSYM entry gives version index %d, which a program without DT_VERDEF needs from a library, though no Vernaux names it now; no COPY relocation ld.so applied copies to 0x%x, and a linker writes one for each such symbol",
					at, orNone(lm.symName(s).s), s.size, s.value, ndx, s.value)
			}
			r.damage = append(r.damage, relocDamage{lm: lm, code: "copy-not-filled", at: addr,
				what:    what,
				changed: fmt.Sprintf("the %d bytes at 0x%x keep the file's bytes instead of the library's initial value, and the library's own references bind to them", s.size, s.value)})
			return // one is evidence enough
		}
	}
}

// definedElsewhere says whether a library in the lookup scope defines a
// variable named as s is, as a COPY relocation's lookup would find it
// (the program itself skipped): with a version index that names
// nothing, that is what shows s is a copy, not bytes a damaged symbol
// count read as a symbol.
func (r *relocator) definedElsewhere(lm *linkMap, s *sym) bool {
	name := lm.symName(s)
	if name.err != nil || name.s == "" {
		return false
	}
	res, err := r.search(name.s, nil, nil, classCopy)
	return err == nil && res != nil && res.lm != lm && res.s != nil && res.s.typ() == elf.STT_OBJECT
}

// relocDamagePossible is what a program that meets relocation damage
// can do once ld.so has handed over to it.
var relocDamagePossible = []Outcome{OutcomeStarts, OutcomeCrash, OutcomeExitCrash, OutcomeExitsEarly, OutcomeHangs}

// relocDamageFinding is the undetermined verdict for relocation damage
// (relocDamage), made once the replay has followed start-up as far as it
// can and found the program starting: the program's code then reads what
// the damaged relocation left, which no file decides. A failure the
// replay determined before main (ld.so's errors and faults, the start-up
// calls) or at a lazily bound slot's first call (which may come before
// or after main's output) stands: it already follows the damaged value to
// where the files decide it. A crash at exit comes after main, whose code
// may stop first on the damaged value: then either is possible.
func (c *checker) relocDamageFinding() {
	r := c.reloc
	if r == nil || len(r.damage) == 0 {
		return
	}
	atExit := -1
	damage := r.damage
	if f := c.res.Fatal(); f != nil {
		// An open finding at exit: main's code may meet the damaged
		// value before it.
		openAtExit := f.Outcome == OutcomeUndetermined && f.Stage == StageExit
		// A failure at a lazily bound slot's first call that the damage
		// did not make: main's code may meet the damaged value before
		// that call (2.41's printf aborts on a stdout no COPY filled,
		// where 2.36's goes on to the failing fflush).
		firstCall := false
		openFirstCall := f.Outcome == OutcomeUndetermined && f.Stage == StageReloc && slices.Contains(f.Possible, OutcomeFirstCall)
		if f.Outcome == OutcomeFirstCall || openFirstCall {
			damage = c.damageApart(damage)
			firstCall = len(damage) > 0
		}
		if (f.Outcome != OutcomeExitCrash && !openAtExit && !firstCall) || f.Continues {
			// ld.so may go on past an open read (a version index past
			// its array, say) and start the program, which then meets
			// the damaged value: what that can do is possible too.
			if f.Outcome == OutcomeUndetermined && slices.Contains(f.Possible, OutcomeStarts) && !f.Continues {
				for _, o := range relocDamagePossible {
					if !slices.Contains(f.Possible, o) {
						f.Possible = append(f.Possible, o)
					}
				}
				f.Evidence = append(f.Evidence, fmt.Sprintf("if ld.so goes on and starts the program, its code meets relocation damage in %s: %s", filepath.Base(r.damage[0].lm.obj.name), r.damage[0].what))
			}
			return
		}
		for i := range c.res.Findings {
			if &c.res.Findings[i] == f {
				atExit = i
			}
		}
	}
	d := damage[0]
	base := filepath.Base(d.lm.obj.name)
	fd := Finding{Severity: SeverityFatal, Stage: StageReloc, Code: d.code, Object: d.lm.obj.name, Outcome: OutcomeUndetermined,
		Summary:  fmt.Sprintf("undetermined: ld.so applies a relocation of %s %s, and starts the program; what the program's code does with the value it left is not replayed, and nothing in the files says: it may run normally, be killed by a signal before or after main's output, or never end", base, d.kind()),
		Evidence: []string{d.what, d.changed},
		// ld.so has handed over: it can no longer fail to exec or stop
		// with an error of its own, and every lazily bound slot was
		// judged (firstCalls) without a failure. Code that calls
		// another function than it was linked to can also end the
		// process early (puts running __cxa_finalize, then exit 0), or
		// never end: a misaligned slot that _dl_fixup binds at the
		// first call leaves the next call through it going round.
		Possible: slices.Clone(relocDamagePossible),
		Next:     fmt.Sprintf("compare %s with the pristine file using `elfdoctor diff`: it is damaged at the entry above; a run tells only what this program's code did with the value", base)}
	if c.dlopen {
		// The library's own code meets the value: its initialisers
		// inside dlopen, its finalisers at exit, and whatever of it the
		// process calls.
		fd.Summary = fmt.Sprintf("undetermined: ld.so applies a relocation of %s %s, and dlopen returns; what the library's code (its initialisers and finalisers, and every function the process calls) does with the value it left is not replayed, and nothing in the files says: it may run normally, be killed by a signal in dlopen, later or at exit, or never end", base, d.kind())
	}
	if d.code == "relro-over-data" {
		fd.Summary = fmt.Sprintf("undetermined: after relocating %s, ld.so makes read-only data its code writes (PT_GNU_RELRO covers it), and starts the program; whether and when that code writes there is not replayed: it may run normally, be killed by a signal before or after main's output, or never end", base)
	}
	if d.code == "copy-split" {
		fd.Summary = fmt.Sprintf("undetermined: %s copies a library's variable, but the library's own references no longer find that copy, so the library initialises its own object while the program reads a copy of its earlier bytes; what the program's code does with that is not replayed: it may run normally, be killed by a signal before or after main's output, or never end", base)
	}
	if d.code == "reloc-left-out" {
		fd.Summary = fmt.Sprintf("undetermined: the dynamic section leaves out relocations the linker wrote for %s, so ld.so never applies them and starts the program; what its code does with the words they were made for (still the file's bytes) is not replayed: it may run normally, be killed by a signal before or after main's output, or never end", base)
	}
	if l := d.lm.f.Image().Lookup(d.at); l.Mapped && l.File {
		fd.Next = fmt.Sprintf("compare %s with the pristine file using `elfdoctor diff`: it is damaged at file offset 0x%x; a run tells only what this program's code did with the value", base, l.Off)
	}
	for _, o := range damage[1:] {
		if len(fd.Evidence) >= 6 {
			break
		}
		fd.Evidence = append(fd.Evidence, "also: "+o.what)
	}
	if atExit < 0 {
		c.add(fd)
		return
	}
	exit := c.res.Findings[atExit]
	if exit.Outcome == OutcomeUndetermined && exit.Stage == StageReloc {
		// A first call left open (a read past l_versions): the damaged
		// value may decide first, or that call, either way.
		for _, o := range exit.Possible {
			if !slices.Contains(fd.Possible, o) {
				fd.Possible = append(fd.Possible, o)
			}
		}
		fd.Evidence = append(fd.Evidence, "if main gets past that, a lazily bound call is left open too: "+exit.Summary)
		c.res.Findings = append(c.res.Findings[:atExit], append([]Finding{fd}, c.res.Findings[atExit:]...)...)
		return
	}
	if exit.Outcome == OutcomeFirstCall {
		fd.Summary = fmt.Sprintf("undetermined: ld.so applies a relocation of %s %s, and starts the program, which fails at the first call of a lazily bound function unless its code meets the value that relocation left first and is killed by a signal, exits on it, or is sent by it past that call: that code is not replayed", base, d.kind())
		if d.code == "copy-not-filled" {
			fd.Summary = fmt.Sprintf("undetermined: no COPY relocation fills a variable %s copies from a library, and the program fails at the first call of a lazily bound function unless its code meets the unfilled variable first and is killed by a signal or exits on it: that code is not replayed", base)
		}
		// A damaged word the code calls through or tests may also take
		// it another way, past the failing call: the program then ends
		// normally (a soak case: a misaligned GLOB_DAT over two GOT
		// slots, and a PLT slot whose symbol is unmapped, started), or
		// round for ever (seed 8340007126: a JUMP_SLOT moved 11 bytes,
		// SIGSEGV or a hang as the load addresses fall).
		fd.Possible = []Outcome{OutcomeCrash, OutcomeExitsEarly, OutcomeFirstCall, OutcomeStarts, OutcomeHangs}
		fd.Evidence = append(fd.Evidence, "if main gets past that, the program stops at the first call of a lazily bound function: "+exit.Summary)
		c.res.Findings = append(c.res.Findings[:atExit], append([]Finding{fd}, c.res.Findings[atExit:]...)...)
		return
	}
	fd.Possible = []Outcome{OutcomeCrash, OutcomeExitCrash}
	if exit.Outcome == OutcomeUndetermined {
		// What happens at exit is open too: main's code may stop first
		// on the damaged value, or the exit goes any way that finding
		// leaves open (a normal end, a hang).
		fd.Possible = []Outcome{OutcomeCrash}
		for _, o := range exit.Possible {
			if !slices.Contains(fd.Possible, o) {
				fd.Possible = append(fd.Possible, o)
			}
		}
	}
	fd.Evidence = append(fd.Evidence, "if main gets past that, the program crashes at exit: "+exit.Summary)
	c.res.Findings = append(c.res.Findings[:atExit], append([]Finding{fd}, c.res.Findings[atExit:]...)...)
}

// damageApart keeps the damage that has nothing to do with the lazily
// bound slots whose first call fails: damage to a variable's word or
// symbol (stdout's GLOB_DAT, a copy no COPY fills), which main's code
// may meet before that call. Damage to the PLT's relocations, to the
// words the first call reads (GOT[1], GOT[2], the slots), to a failing
// relocation's symbol, or to PT_GNU_RELRO (which _dl_fixup writes
// under) is what the failure already follows to where the files decide
// it.
func (c *checker) damageApart(damage []relocDamage) []relocDamage {
	var apart []relocDamage
	for _, d := range damage {
		if len(c.firstCallRel) > 0 && c.apart(d) {
			apart = append(apart, d)
		}
	}
	return apart
}

func (c *checker) apart(d relocDamage) bool {
	lm := d.lm
	if d.code == "relro-over-data" {
		return false
	}
	in := func(addrTag, sizeTag elf.DynTag, at uint64) (uint64, bool) {
		a, ok1 := lm.d.Tag(addrTag)
		n, ok2 := lm.d.Tag(sizeTag)
		return at - a, ok1 && ok2 && at >= a && at-a < n
	}
	if _, ok := in(elf.DT_JMPREL, elf.DT_PLTRELSZ, d.at); ok {
		// Another PLT slot's damage is apart: the program may call
		// through it before the failing one.
		var b [24]byte
		if lm.f.Image().ReadAt(b[:], d.at, "relocation entry") != nil {
			return false
		}
		rl := decodeReloc(lm.f, b[:], true)
		if jmp, ok := lm.d.Tag(elf.DT_JMPREL); ok && c.mangledOtherSlot(lm, rl, (d.at-jmp)/24) {
			return true
		}
		if slices.ContainsFunc(c.firstCallRel, func(fc reloc) bool { return fc.addr == d.at }) {
			return false
		}
		overlaps := func(a, b uint64) bool { return a < b+8 && b < a+8 }
		if got, ok := lm.d.Tag(elf.DT_PLTGOT); ok && rl.off < got+24 && got < rl.off+8 {
			return false // its rebase wrote over GOT[0..2], which every first call reads
		}
		return !slices.ContainsFunc(c.firstCallRel, func(fc reloc) bool { return fc.sym == rl.sym || overlaps(fc.off, rl.off) })
	}
	for _, fc := range c.firstCallRel {
		if lm.hasSymtab && d.at >= lm.symtab && (d.at-lm.symtab)/symSize(lm.f) == fc.sym {
			return false // the failing relocation's own symbol
		}
		// An import left unbound lost its PLT slot to another symbol:
		// the failing slot of the same object may be that one, which
		// its calls reach first.
		if _, ok := in(elf.DT_JMPREL, elf.DT_PLTRELSZ, fc.addr); ok && d.code == "import-not-bound" {
			return false
		}
	}
	if _, ok := in(elf.DT_RELA, elf.DT_RELASZ, d.at); ok {
		var b [24]byte
		if lm.f.Image().ReadAt(b[:], d.at, "relocation entry") != nil {
			return false
		}
		off := decodeReloc(lm.f, b[:], true).off
		got, ok1 := lm.d.Tag(elf.DT_PLTGOT)
		n, ok2 := lm.d.Tag(elf.DT_PLTRELSZ)
		if ok1 && ok2 && off+8 > got && off < got+(3+n/24)*8 {
			return false // GOT[0..2] or a PLT slot
		}
	}
	return true
}

// mangledOtherSlot says whether rl, a lazy PLT relocation whose rebase
// (the load address added to the 8 bytes at r_offset) is misaligned,
// changes bytes of another PLT slot's GOT word than the failing ones':
// the program may call through that slot first, and it leads where the
// load address sets (a soak case: fflush's rebase 3 bytes off changed
// demo_two's word, which main calls first: SIGILL or SIGSEGV by the
// layout). The rebase leaves its first byte as it was (a load address
// ends in 12 zero bits), so a slot that shares only that byte keeps its
// value, and one that shares only its top two bytes surely faults.
func (c *checker) mangledOtherSlot(lm *linkMap, rl reloc, index uint64) bool {
	got, ok1 := lm.d.Tag(elf.DT_PLTGOT)
	size, ok2 := lm.d.Tag(elf.DT_PLTRELSZ)
	if !ok1 || !ok2 || rl.off%8 == 0 || lm.f.Type != elf.ET_DYN {
		return false
	}
	for i := uint64(0); i < min(size/24, maxRelocs); i++ {
		word := got + 24 + 8*i
		// The bytes of the write that change are rl.off+1 to rl.off+8;
		// only a change in the word's low six bytes leaves an address
		// that may be mapped: in its top two the load address's
		// nonzero bytes make it non-canonical, and the call faults as
		// surely as the failing one.
		if word+6 <= rl.off+1 || word >= rl.off+8 {
			continue
		}
		if i == index {
			continue // its own slot, whose PLT word the failure follows
		}
		if !slices.ContainsFunc(c.firstCallRel, func(fc reloc) bool {
			return fc.off == word || (fc.table == "DT_JMPREL" && fc.index >= 0 && got+24+8*uint64(fc.index) == word)
		}) {
			return true
		}
	}
	return false
}

// concrete is the word a recorded write left when the files decide it:
// a weak undefined symbol's 0 plus the addend ld.so added, or an address
// in a program loaded where it was linked (ET_EXEC) or an absolute one.
func (v slotValue) concrete() (uint64, bool) {
	switch {
	case v.unknown:
		return 0, false
	case v.def == nil:
		return v.addend, true
	case v.def.s.shndx == uint16(elf.SHN_ABS) || v.def.lm.f.Type == elf.ET_EXEC:
		return v.def.s.value + v.addend, true
	}
	return 0, false
}

// inObject says whether w is the address of a symbol defined in an
// x86-64 object ld.so loaded, with no addend: l_addr plus a value well
// inside the object, so below TASK_SIZE.
func inObject(w slotValue) bool {
	if w.unknown || w.def == nil || w.def.s == nil || w.def.lm == nil || w.addend != 0 {
		return false
	}
	f := w.def.lm.f
	ts := taskSize(f)
	return w.def.s.shndx != uint16(elf.SHN_ABS) && w.def.s.value < 1<<40 && f.Machine == elf.EM_X86_64 && f.Class == elf.ELFCLASS64 && ts != 0 && ts <= 1<<56
}

// mangledRange rebuilds, byte by byte, a word later writes changed in
// part (x86-64 is little-endian): the word's own value, then each later
// write that overlaps it, in ld.so's order. The bytes a write of an
// unknown value (an address in an object loaded anywhere) leaves are
// unknown; the word then lies between lo (those bytes 0) and hi (those
// bytes 0xff). ok is false when a write that overlaps it was not
// recorded (its value is not known at all).
func (r *relocator) mangledRange(lm *linkMap, slot uint64, v slotValue) (lo, hi uint64, ok bool) {
	var b [8]byte
	var known [8]bool
	put := func(at uint64, w slotValue) {
		val, k := w.concrete()
		// An address in an object loaded anywhere is still below
		// TASK_SIZE (at most 2^56 on x86-64): its top byte is 0.
		top := !k && inObject(w)
		for i := uint64(0); i < 8; i++ {
			if pos := at + i - slot; pos < 8 {
				b[pos], known[pos] = byte(val>>(8*i)), k
				if top && i == 7 {
					b[pos], known[pos] = 0, true
				}
			}
		}
	}
	put(slot, v)
	type later struct {
		at uint64
		w  slotValue
	}
	var ws []later
	for a := slot - 7; a != slot+8; a++ {
		if a == slot || !lm.written.has(a) {
			continue
		}
		w, rec := lm.values[a]
		if !rec {
			return 0, 0, false
		}
		if w.seq > v.seq {
			ws = append(ws, later{a, w})
		}
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i].w.seq < ws[j].w.seq })
	for _, l := range ws {
		put(l.at, l.w)
	}
	for i := 7; i >= 0; i-- {
		lo, hi = lo<<8, hi<<8
		if known[i] {
			lo, hi = lo|uint64(b[i]), hi|uint64(b[i])
		} else {
			hi |= 0xff
		}
	}
	return lo, hi, true
}

// mangledCall judges a call through a word later writes changed in part
// (a relocation at a misaligned r_offset wrote over some of its bytes):
// when every value the rebuilt word can hold is where nothing can be
// mapped, the call faults there.
func (r *relocator) mangledCall(lm *linkMap, slot uint64, v slotValue, skipNull bool, slotName, what, site string, rl *reloc) *relocFail {
	lo, hi, ok := r.mangledRange(lm, slot, v)
	if ok && skipNull && lo == 0 {
		// The caller tests the pointer (_init's test of __gmon_start__):
		// a word that may hold 0 may be no call at all.
		return nil
	}
	// Both ends unmapped and less than 4 GiB apart lie in one of
	// surelyUnmapped's ranges, which are further apart than that.
	if !ok || hi-lo >= 1<<32 || !r.surelyUnmapped(lm, lo) || !r.surelyUnmapped(lm, hi) {
		return nil
	}
	val := fmt.Sprintf("0x%x", lo)
	if hi != lo {
		val = fmt.Sprintf("between 0x%x and 0x%x", lo, hi)
	}
	return &relocFail{lm: lm, r: rl, what: what, site: site,
		err: &inspect.FormatError{Off: -1, Addr: slot, InMem: true, Struct: slotName, Fault: inspect.FaultUnmapped,
			Msg: fmt.Sprintf("a later relocation wrote over part of the slot at 0x%x, which then holds %s, where nothing can be mapped: the call jumps there", slot, val)}}
}

// setupDisplacedOnto says whether the earlier write to the word at off was
// elf_machine_runtime_setup's, made where a moved DT_PLTGOT said (not at
// the .got.plt section the linker laid out): a relocation's own word, not
// the relocation, is then what the damage moved, and the relocation
// writing after it leaves that word as the linker meant. PLT0 reads the
// GOT[1] and GOT[2] the linker laid out, which the first-call replay
// follows (pltZero).
func setupDisplacedOnto(lm *linkMap, off, word uint64) bool {
	if !lm.setup.ok || (off != lm.setup.got1 && off != lm.setup.got1+word) {
		return false
	}
	for _, s := range lm.f.Sections {
		if s.Name == ".got.plt" && s.Type == elf.SHT_PROGBITS && s.Flags&elf.SHF_ALLOC != 0 {
			return s.Addr+word != lm.setup.got1
		}
	}
	return false
}

// sectionAt names the section holding addr, as ", in NAME", or "".
func sectionAt(f *inspect.File, addr uint64) string {
	for _, sec := range f.Sections {
		if sec.Flags&elf.SHF_ALLOC != 0 && addr >= sec.Addr && addr-sec.Addr < sec.Size && sec.Name != "" {
			return ", in " + sec.Name
		}
	}
	return ""
}

// versionNode says name is one of the versions o defines (DT_VERDEF),
// whose symbol a linker makes absolute at 0.
func versionNode(o *loadedObj, name string) bool {
	v := o.versions()
	if v == nil {
		return false
	}
	for _, d := range v.Def {
		if len(d.Names) > 0 && d.Names[0] == name {
			return true
		}
	}
	return false
}
