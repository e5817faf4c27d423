package loader

import (
	"debug/elf"
	"fmt"
	"path/filepath"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// resolverFault is ld.so's call of an indirect function's resolver that
// cannot run code: the target is not mapped, not executable, past the
// end of the file, or an instruction the CPU refuses.
type resolverFault struct {
	what   string // the call: "the resolver of IRELATIVE relocation 4", ...
	why    string // where it lands, for people
	signal string
}

func (e *resolverFault) Error() string { return e.what + " jumps to " + e.why }

// resolverCall judges ld.so's call of an indirect function's resolver in
// def at target, in def's link-time addresses (absolute when abs): an
// IRELATIVE's load address plus r_addend (elf_machine_rela and
// elf_machine_lazy_rel call it while relocating), or an STT_GNU_IFUNC
// definition's address (elf_machine_rela before it writes a binding,
// _dl_fixup at the first call through a lazily bound slot; sym is the
// dynamic symbol's index, -1 for an IRELATIVE). It returns
// the crash when nothing runnable is there, the transfer when it lands
// inside a function or outside def (undetermined, jumpFinding), and nil
// when it is a function's start or not known. What a resolver returns is
// not replayed. Only x86-64, where the instruction oracle and the
// function-start oracle read the code.
func (r *relocator) resolverCall(lm *linkMap, rl reloc, def *linkMap, target uint64, sym int64, abs bool, what, site string) *relocFail {
	f := def.f
	if f.Machine != elf.EM_X86_64 || f.Class != elf.ELFCLASS64 {
		return nil
	}
	fail := func(err error) *relocFail {
		return &relocFail{lm: lm, r: &rl, what: "calling " + what, site: site, err: err}
	}
	fault := func(why, sig string) *relocFail {
		return fail(&resolverFault{what: what, why: why, signal: sig})
	}
	if abs {
		if r.surelyUnmapped(lm, target) {
			return fault(fmt.Sprintf("0x%x, an absolute address where nothing can be mapped", target), "SIGSEGV")
		}
		return nil
	}
	base := filepath.Base(def.obj.name)
	l := f.Image().Lookup(target)
	switch {
	case !l.Mapped && !r.inReservation(def, target):
		// Past the pages ld.so or the kernel reserved for the object:
		// another object's code may lie there, or nothing. A program
		// loaded at its link address (ET_EXEC) says where.
		if f.Type != elf.ET_DYN && r.surelyUnmapped(lm, target) {
			return fault(fmt.Sprintf("0x%x, outside %s, where nothing can be mapped", target, base), "SIGSEGV")
		}
		// reloc: the call is made while relocating (no site: not at a
		// first call through the PLT).
		return fail(&jumpInto{what: what, obj: def.obj.name, target: target, outside: true, reloc: site == "",
			damage: fmt.Sprintf("0x%x is outside every PT_LOAD of %s, and a linker points an indirect function at its resolver, in the object's code: the value was damaged", target, base)})
	case !l.Mapped:
		return fault(fmt.Sprintf("0x%x, which no PT_LOAD of %s maps", target, base), "SIGSEGV")
	case l.Perm&elf.PF_X == 0:
		what := fmt.Sprintf("0x%x, in program header %d of %s, which is %s, not executable", target, l.Prog, base, inspect.FlagString(l.Perm))
		if fetchFault(f, l) == inspect.FaultPastEOF {
			what += fmt.Sprintf(", on a page past the end of the file (size 0x%x)", f.Size())
		}
		return fault(what, fetchFault(f, l).Signal())
	case l.File && l.Off&^(f.Image().PageSize-1) >= uint64(f.Size()):
		return fault(fmt.Sprintf("0x%x, on a page of %s past the end of the file (size 0x%x)", target, base, f.Size()), "SIGBUS")
	}
	if why, sig := undefinedAt(f, target); sig != "" {
		return fault(fmt.Sprintf("0x%x in %s, not the start of code: %s", target, base, why), sig)
	}
	j := &jumpInto{what: what, obj: def.obj.name, target: target, reloc: site == ""}
	if d := displacedAt(f, target); d != nil {
		j.displaced = d
		return fail(j)
	}
	// An IFUNC symbol's own value is no record of a function's start:
	// it is what is judged.
	o := r.c.funcOracle(f)
	if j.place = o.placeSkipping(target, sym); j.place.known && !j.place.start {
		return fail(j)
	}
	if set, ok := o.ifuncResolvers(); ok && !set[target] {
		// A function's start, but no resolver's: it runs, and what it
		// returns is written where the program calls the indirect
		// function (a soak case: local_one returned 10, and main's call
		// of local jumped there).
		mark := def
		at := rl.addr
		if sym >= 0 {
			at = def.m.add(def.symtab, uint64(sym)*symSize(def.f))
		}
		if sym < 0 {
			mark = lm
		}
		r.damage = append(r.damage, relocDamage{lm: mark, code: "ifunc-not-resolver", at: at,
			what:    fmt.Sprintf("ld.so calls %s at 0x%x, the start of a function, but %s's .symtab puts no indirect function's resolver there: a linker points the call at one", what, target, base),
			changed: "ld.so writes what that function returns where the program calls the indirect function, which then jumps there"})
	}
	return nil
}

// inReservation says whether target lies within the span of def's
// PT_LOADs, from the first's page to the last's end: pages ld.so maps
// PROT_NONE between segments (_dl_map_segments), or that the kernel
// leaves unmapped between a program's, where nothing else is put.
func (r *relocator) inReservation(def *linkMap, target uint64) bool {
	lo, hi := lowestLoad(def.f), uint64(0)
	for _, p := range def.f.ProgsOfType(elf.PT_LOAD) {
		if end, ok := addNoOverflow(p.Vaddr, p.Memsz); ok {
			hi = max(hi, end)
		}
	}
	return target >= lo && target < hi
}

// irelativeMoved looks at an IRELATIVE of DT_JMPREL once ld.so wrote the
// resolver's result at r_offset: the PLT entry the linker made for it
// jumps through the GOT word of its index (pltWord), and an r_offset
// moved elsewhere leaves that word as the file has it, the link-time
// address of the entry's push, never rebased. In a position-independent
// object that address is where nothing can be mapped, and the program's
// first call of the function faults there (judged with the other first
// calls).
func (r *relocator) irelativeMoved(lm *linkMap, rl reloc) {
	word, content, ok := r.pltWord(lm, rl)
	if !ok || word == rl.off || lm.f.Type != elf.ET_DYN || lm.written.has(word) || !r.surelyUnmapped(lm, content) {
		return
	}
	r.unrebased = append(r.unrebased, &relocFail{lm: lm, r: &rl, what: "calling through the PLT for the first time", site: "where the first call through the PLT entry jumps",
		err: &inspect.FormatError{Off: -1, Addr: word, InMem: true, Struct: "PLT slot", Fault: inspect.FaultUnmapped,
			Msg: fmt.Sprintf("the PLT entry jumps through its GOT word at 0x%x, which holds the link-time address 0x%x: the IRELATIVE's r_offset (0x%x) names another word, so ld.so wrote the resolver's result there instead", word, content, rl.off)}})
}

// ifuncResolvers returns the values of the indirect functions (defined
// STT_GNU_IFUNC symbols) of the object's full symbol table (.symtab):
// the resolvers a linker points IRELATIVE addends and IFUNC symbols at.
// ok is false when the table lists none (stripped, or no indirect
// function of the object's own), or no local function (crtstuff's are in
// every linked program), which `strip --discard-all` removes with local
// resolvers: then nothing says where resolvers are.
func (o *funcOracle) ifuncResolvers() (set map[uint64]bool, ok bool) {
	if !o.resolversRead {
		o.resolversRead = true
		locals := false
		for i := range o.f.Sections {
			sec := &o.f.Sections[i]
			if sec.Type != elf.SHT_SYMTAB {
				continue
			}
			o.eachSymChunk(sec, func(_ uint64, syms []tableSym) bool {
				for _, t := range syms {
					locals = locals || (elf.ST_BIND(t.info) == elf.STB_LOCAL && elf.ST_TYPE(t.info) == elf.STT_FUNC)
					if elf.ST_TYPE(t.info) == elf.STT_GNU_IFUNC && t.shndx != uint16(elf.SHN_UNDEF) && t.shndx < uint16(elf.SHN_LORESERVE) {
						if o.resolvers == nil {
							o.resolvers = map[uint64]bool{}
						}
						o.resolvers[t.value] = true
					}
				}
				return true
			})
		}
		if !locals {
			o.resolvers = nil
		}
	}
	return o.resolvers, len(o.resolvers) > 0
}
