package loader

import (
	"debug/elf"
	"fmt"
	"path/filepath"
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
}

func (r *relocator) seen(lm *linkMap) *damageSeen {
	if r.damageSeen == nil {
		r.damageSeen = map[*linkMap]*damageSeen{}
	}
	s := r.damageSeen[lm]
	if s == nil {
		s = &damageSeen{slots: map[[2]uint64]int64{}, copied: map[uint64]bool{}}
		r.damageSeen[lm] = s
	}
	return s
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
	}
	if slot && rl.off%8 != 0 {
		add("reloc-misaligned", fmt.Sprintf("%s is a %s at r_offset 0x%x, which is not 8-byte aligned: a linker puts GOT slots on 8-byte boundaries", entryAt(lm, rl), typeName(typ), rl.off),
			fmt.Sprintf("its 8-byte write at 0x%x covers parts of the slots at 0x%x and 0x%x", rl.off, rl.off&^7, (rl.off&^7)+8))
	}
	if (slot || typ == t.relative || typ == uint32(elf.R_X86_64_64)) && rl.off%8 == 0 && lm.written[rl.off] {
		add("reloc-written-twice", fmt.Sprintf("%s (%s) writes the word at 0x%x, which an earlier write of ld.so to this object already wrote: a linker gives each word one relocation", entryAt(lm, rl), typeName(typ), rl.off),
			fmt.Sprintf("the word at 0x%x holds the last of the two values, and the slot the entry was made for keeps another", rl.off))
	}
	if slot && rl.sym != 0 {
		s := r.seen(lm)
		key := [2]uint64{uint64(typ), rl.sym}
		if first, dup := s.slots[key]; dup {
			add("reloc-symbol-twice", fmt.Sprintf("%s is a %s of symbol %d, which relocation %d of the same table already binds: a linker makes one GOT slot per symbol and kind", entryAt(lm, rl), typeName(typ), rl.sym, first),
				fmt.Sprintf("the slot at 0x%x is bound to that symbol instead of the one the code that uses it was built for", rl.off))
		} else {
			s.slots[key] = rl.index
		}
	}
	if (slot || typ == t.copy) && rl.sym != 0 {
		if n := r.symCount(lm); n != 0 && rl.sym >= n {
			add("reloc-symbol-past-table", fmt.Sprintf("%s (%s) names symbol %d, past the %d symbols the object's hash table covers", entryAt(lm, rl), typeName(typ), rl.sym, n),
				fmt.Sprintf("ld.so binds the word at 0x%x to whatever the bytes past the symbol table say", rl.off))
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
	if rl.typ == t.copy && size > 0 {
		r.seen(lm).copied[rl.off] = true
		return
	}
	if (rl.typ != t.globDat && rl.typ != t.jumpSlot) || rl.addend == 0 || r.minor == 0 || r.minor >= 36 || res == nil {
		return
	}
	// A function's address plus an addend is a call into the middle of
	// code, which the start-up calls judge where they make one.
	if typ := res.s.typ(); typ != elf.STT_OBJECT && typ != elf.STT_COMMON {
		return
	}
	r.damage = append(r.damage, relocDamage{lm: lm, code: "reloc-addend", at: rl.addr,
		what:    fmt.Sprintf("%s is a %s of the variable %s with addend 0x%x: a linker writes 0, and glibc 2.%d adds it", entryAt(lm, rl), typeName(rl.typ), orNone(res.lm.symName(res.s).s), uint64(rl.addend), r.minor),
		changed: fmt.Sprintf("the word at 0x%x points 0x%x bytes from the variable instead of at it", rl.off, uint64(rl.addend))})
}

// symCount is the number of symbols the object's hash table covers, 0
// when it cannot be known.
func (r *relocator) symCount(lm *linkMap) uint64 {
	s := r.seen(lm)
	if !s.counted {
		s.counted = true
		if n, err := lm.f.DynSymCount(lm.d); err == nil {
			s.nsyms = n
		}
	}
	return s.nsyms
}

// typeName names an x86-64 relocation type for people.
func typeName(t uint32) string {
	return elf.R_X86_64(t).String()
}

// maxCopyScan bounds the symbols copyNotFilled reads.
const maxCopyScan = 1 << 20

// copyNotFilled looks, once the program is relocated, for the mark of a
// copy relocation without the copy: a symbol the program defines whose
// DT_VERSYM entry names a version it needs from a library (the linker
// gives the program's copy of a library's variable the library's version,
// and a COPY relocation at its address). When no COPY relocation ld.so
// applied copied to that address, the copy keeps the file's bytes (the
// zero-fill of .bss), and the library binds its own references to it too,
// since the program comes first in the lookup scope.
func (r *relocator) copyNotFilled(lm *linkMap) {
	if !lm.main || !r.types.full || lm.f.Machine != elf.EM_X86_64 || !lm.hasVersym || !lm.hasSymtab || len(lm.versions) == 0 {
		return
	}
	n := min(r.symCount(lm), maxCopyScan)
	if n < 2 {
		return
	}
	seen := r.seen(lm)
	const chunk = 1024
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
			shndx, value, size := o.Uint16(e[6:]), o.Uint64(e[8:]), o.Uint64(e[16:])
			if shndx == uint16(elf.SHN_UNDEF) || shndx >= uint16(elf.SHN_LORESERVE) || size == 0 || elf.ST_TYPE(e[4]) != elf.STT_OBJECT {
				continue
			}
			ndx := int(o.Uint16(vers[j*2:]) & 0x7fff)
			if ndx < 2 || ndx >= len(lm.versions) || lm.versions[ndx].filename == "" || seen.copied[value] {
				continue
			}
			s := &sym{index: i + j, name: o.Uint32(e), info: e[4], other: e[5], shndx: shndx, value: value, size: size, lm: lm}
			v := lm.versions[ndx]
			at := fmt.Sprintf("symbol %d of %s", s.index, filepath.Base(lm.obj.name))
			if l := lm.f.Image().Lookup(lm.m.add(lm.symtab, s.index*24)); l.Mapped && l.File {
				at += fmt.Sprintf(" (file offset 0x%x)", l.Off)
			}
			r.damage = append(r.damage, relocDamage{lm: lm, code: "copy-not-filled", at: lm.m.add(lm.symtab, s.index*24),
				what: fmt.Sprintf("%s, %s, is the program's copy of a variable of %s (version %s, %d bytes at 0x%x), but no COPY relocation ld.so applied copies to 0x%x: a linker writes one for each such symbol",
					at, orNone(lm.symName(s).s), orNone(v.filename), orNone(v.name), size, value, value),
				changed: fmt.Sprintf("the %d bytes at 0x%x keep the file's bytes instead of the library's initial value, and the library's own references bind to them", size, value)})
			return // one is evidence enough
		}
	}
}

// relocDamageFinding is the undetermined verdict for relocation damage
// (relocDamage), made once the replay has followed start-up as far as it
// can: the program's code reads what the damaged relocation left, which no
// file decides. A verdict the replay determined before the program's own
// code runs (ld.so's errors and faults, _start's call, the initialisers)
// stands; one it determined for later (a failure at a lazily bound slot's
// first call, a crash at exit) stays possible beside what the program may
// do with the damaged value first.
func (c *checker) relocDamageFinding() {
	r := c.reloc
	if r == nil || len(r.damage) == 0 || c.dlopen {
		return
	}
	later := -1
	for i, f := range c.res.Findings {
		if f.Severity != SeverityFatal || f.Continues {
			continue
		}
		if f.Outcome != OutcomeFirstCall && f.Outcome != OutcomeExitCrash {
			return
		}
		later = i
		break
	}
	d := r.damage[0]
	base := filepath.Base(d.lm.obj.name)
	fd := Finding{Severity: SeverityFatal, Stage: StageReloc, Code: d.code, Object: d.lm.obj.name, Outcome: OutcomeUndetermined,
		Summary:  fmt.Sprintf("undetermined: ld.so applies a relocation of %s that no linker writes, and starts the program; what the program's code does with the value it left is not replayed, and nothing in the files says: it may run normally or be killed by a signal, before or after main's output", base),
		Evidence: []string{d.what, d.changed},
		Possible: []Outcome{OutcomeStarts, OutcomeCrash, OutcomeExitCrash},
		Next:     fmt.Sprintf("compare %s with the pristine file using `elfdoctor diff`: it is damaged at the entry above; a run tells only what this program's code did with the value", base)}
	if l := d.lm.f.Image().Lookup(d.at); l.Mapped && l.File {
		fd.Next = fmt.Sprintf("compare %s with the pristine file using `elfdoctor diff`: it is damaged at file offset 0x%x; a run tells only what this program's code did with the value", base, l.Off)
	}
	for _, o := range r.damage[1:] {
		if len(fd.Evidence) >= 6 {
			break
		}
		fd.Evidence = append(fd.Evidence, "also: "+o.what)
	}
	if later < 0 {
		c.add(fd)
		return
	}
	// A failure the replay determined for later happens unless the
	// program's use of the value ends it first: the program does not
	// run to its end normally.
	det := c.res.Findings[later]
	fd.Possible = []Outcome{OutcomeCrash, OutcomeExitCrash}
	if det.Outcome == OutcomeFirstCall {
		// That failure needs the program to call through the slot,
		// which is its own business too.
		fd.Possible = []Outcome{OutcomeStarts, OutcomeCrash, OutcomeExitCrash, OutcomeFirstCall}
	}
	fd.Evidence = append(fd.Evidence, "if the program gets past that, it fails later: "+det.Summary)
	c.res.Findings = append(c.res.Findings[:later], append([]Finding{fd}, c.res.Findings[later:]...)...)
}
