package loader

import (
	"debug/elf"
	"fmt"
	"path/filepath"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// reboundCall is a call glibc's start files make through a GOT slot for
// one function (_start's to __libc_start_main, _init's to __gmon_start__,
// __do_global_dtors_aux's to __cxa_finalize) whose relocation names a
// symbol of another name: ld.so binds the slot to that symbol's
// definition, and the start files call it in place of theirs, with
// arguments meant for the other. What it then does is its own code's
// business, which no replay of the loader decides. A linker fills these
// slots only for the function the start files name, so the relocation's
// symbol index or the symbol's name was damaged.
type reboundCall struct {
	obj, slotName, want, got, def string
	slot                          uint64
	sym                           uint64
	// plt: a PLT slot of the program's own calls, not a start file's.
	plt bool
}

func (e *reboundCall) Error() string {
	return fmt.Sprintf("%s at 0x%x is bound to %s, not %s", e.slotName, e.slot, orNone(e.got), e.want)
}

// reboundFinding is the undetermined finding of a reboundCall.
func (c *checker) reboundFinding(e *reboundCall) Finding {
	base, got := filepath.Base(e.obj), orNone(e.got)
	bound := "which ld.so bound to its definition in " + filepath.Base(e.def)
	if e.def == "" {
		bound = "which _dl_fixup binds at the call" // a lazily bound slot
	}
	fd := Finding{Severity: SeverityFatal, Stage: StageInit, Code: "start-call-rebound", Object: e.obj, Outcome: OutcomeUndetermined,
		Evidence: []string{
			fmt.Sprintf("the relocation that fills %s (0x%x) names symbol %d, %s, %s", e.slotName, e.slot, e.sym, got, bound),
			fmt.Sprintf("a linker fills this slot only for %s, the function the start files call through it: the relocation's symbol index or the symbol's name was damaged", e.want),
		},
		Next: fmt.Sprintf("compare %s with the pristine file using `elfdoctor diff`: look at the relocation of 0x%x and the symbol it names; a run tells only what %s did with those arguments", base, e.slot, got)}
	switch {
	case e.plt:
		fd.Stage = StageReloc
		fd.Code = "plt-slot-rebound-at-first-call"
		caller := "_start (crt1.o) calls __libc_start_main through a GOT slot"
		if e.got == "__cxa_finalize" {
			caller = "__do_global_dtors_aux (crtstuff) calls __cxa_finalize through the GOT slot it tests, by a .plt.got entry"
		}
		fd.Summary = fmt.Sprintf("undetermined: the PLT slot at 0x%x of %s is bound to %s, which only the start files call, and through a slot of their own: the slot was made for another function, so the program's first call of that function runs %s with its arguments, and what it does then is its own code's business", e.slot, base, got, got)
		fd.Evidence = []string{
			fmt.Sprintf("the slot's relocation names symbol %d, %s", e.sym, got),
			caller + ", so no linker makes this PLT slot for it: the relocation's symbol index or the symbol's name was damaged",
		}
		fd.Possible = []Outcome{OutcomeStarts, OutcomeExitCrash, OutcomeFirstCall, OutcomeExitsEarly, OutcomeHangs}
	case e.want == "__libc_start_main":
		fd.Summary = fmt.Sprintf("undetermined: _start calls %s instead of __libc_start_main, with main's address as its first argument, so the program does not start the usual way: unless %s calls main itself, main never runs, and when %s returns, _start's hlt faults; what it does first is its own code's business",
			got, got, got)
		fd.Possible = []Outcome{OutcomeCrash, OutcomeFirstCall, OutcomeExitsEarly, OutcomeHangs}
	case e.want == "__cxa_finalize":
		fd.Stage = StageExit
		fd.Summary = fmt.Sprintf("undetermined: at exit, after main has run, __do_global_dtors_aux calls %s instead of __cxa_finalize, with %s's __dso_handle as its argument; what it does then is its own code's business", got, base)
		fd.Possible = []Outcome{OutcomeStarts, OutcomeExitCrash, OutcomeFirstCall, OutcomeHangs}
	default:
		fd.Summary = fmt.Sprintf("undetermined: before main, %s's _init calls %s instead of %s, with the arguments of an initialiser (argc, argv, envp): it may return and the program go on, or fault, exit or block there, which is its own code's business",
			base, got, e.want)
		fd.Possible = []Outcome{OutcomeStarts, OutcomeCrash, OutcomeExitCrash, OutcomeFirstCall, OutcomeExitsEarly, OutcomeHangs}
	}
	return fd
}

// hookSlot judges the first call through a lazily bound PLT slot whose
// symbol is a weak one no loaded object defines, which _dl_fixup binds to
// 0. A program calls through such a slot only after testing the symbol's
// address, except when the slot was made for another function: so only
// symbols no code calls through a PLT are judged. glibc's and GCC's start
// files reach their hooks (__gmon_start__ in crti.o's _init, the
// transactional-memory clone tables in crtstuff) by loading the address
// from a GOT slot, testing it and calling through a register. Old crti.o
// called __gmon_start__@PLT after its test, so that one is judged only
// where the object's _init shows the newer call.
func (r *relocator) hookSlot(lm *linkMap, rl reloc, name string) *relocFail {
	if name == "__cxa_finalize" {
		return r.finalizeCalledAtZero(lm, rl)
	}
	switch name {
	case "_ITM_registerTMCloneTable", "_ITM_deregisterTMCloneTable":
	case "__gmon_start__":
		if _, ok := gmonSlot(lm); !ok {
			return nil
		}
	default:
		return nil
	}
	// A GLOB_DAT of the same symbol says the object takes its address,
	// as `if (f) f();` does: crtstuff's __cxa_finalize call in lld's
	// output, renamed with its slots to one of these hooks. Renamed, the
	// symbol shares its name with the hook's own entry; a relocation
	// pointed at the hook's entry instead (whose GLOB_DAT is the start
	// files' test) leaves the slot's own call untested.
	_, tested := r.seen(lm).slots[[2]uint64{uint64(r.types.globDat), rl.sym}]
	tested = tested && r.nameElsewhere(lm, rl.sym, name)
	return &relocFail{lm: lm, r: &rl, tested: tested, what: "calling through a PLT slot for the first time", site: "at address 0, where the first call through the PLT slot jumps after _dl_fixup bound it",
		err: &inspect.FormatError{Off: -1, Addr: rl.off, InMem: true, Struct: "PLT slot",
			Msg: fmt.Sprintf("the slot at 0x%x names %s, a weak symbol no loaded object defines, so _dl_fixup binds it to 0 and the call jumps there; the start files reach %s only through a GOT slot they test first, so this slot serves another call: one that does not test the address, or, when the relocation's symbol was damaged, a call of the function the slot was made for",
				rl.off, name, name), Fault: inspect.FaultUnmapped}}
}

// pltSlotRebound judges a lazily bound PLT slot bound to a function only
// the start files call, where they call it through a slot of their own:
// the PLT slot was then made for another function, whose callers now
// run this one with their own arguments. _start (crt1.o) calls
// __libc_start_main through its GOT slot; gcc's __do_global_dtors_aux
// calls __cxa_finalize through a .plt.got entry that jumps through the
// GOT slot it tests (lld's and older gcc's call through a PLT slot of
// their own, which is then this slot, and not judged).
func (r *relocator) pltSlotRebound(lm *linkMap, rl reloc, name string) *relocFail {
	switch name {
	case "__libc_start_main":
		if !lm.main || r.c.dlopen {
			return nil // only the program's _start calls it
		}
		if _, ok := startCallSlot(lm.f, lm.m); !ok {
			return nil
		}
	case "__cxa_finalize":
		// The .plt.got form is GNU ld's, which also writes a RELATIVE
		// relocation's target into the word: the file's DT_FINI_ARRAY[0]
		// is __do_global_dtors_aux's link-time address, read without
		// walking the object's relocations (a big library has hundreds
		// of thousands).
		fini, ok := lm.d.Tag(elf.DT_FINI_ARRAY)
		if !ok || r.word != 8 {
			return nil
		}
		var b [8]byte
		if lm.f.Image().ReadAt(b[:], fini, "DT_FINI_ARRAY[0]") != nil {
			return nil
		}
		if slot, ok := dtorsSlot(lm, get64(lm.f, b[:])); !ok || slot == rl.off {
			return nil
		}
	default:
		return nil
	}
	return &relocFail{lm: lm, r: &rl, what: "calling through a PLT slot for the first time",
		err: &reboundCall{obj: lm.obj.name, slot: rl.off, slotName: "a PLT slot", want: "another function", got: name, sym: uint64(rl.sym), plt: true}}
}

// nameElsewhere says whether another of lm's dynamic symbols than sym is
// called name.
func (r *relocator) nameElsewhere(lm *linkMap, sym uint64, name string) bool {
	n := min(r.symCount(lm), maxSymScan)
	for i := uint64(1); i < n; i++ {
		if i == sym {
			continue
		}
		s, err := lm.readSym(i)
		if err != nil {
			return false
		}
		if lm.symName(s).s == name {
			return true
		}
	}
	return false
}

// finalizeCalledAtZero is __cxa_finalize's PLT slot bound to 0 (a weak
// symbol no object defines, its version damaged, say) where
// __do_global_dtors_aux tests the GOT slot of the same symbol first and
// that slot is surely not 0: glibc before 2.36 adds a GLOB_DAT's addend
// to the 0 of an undefined weak symbol. The call is made at exit and
// jumps to 0. When the GOT slot is 0, skippedByTest drops it; when its
// value is not known, nothing is said.
func (r *relocator) finalizeCalledAtZero(lm *linkMap, rl reloc) *relocFail {
	plt, got := r.dtorsTestOf(lm)
	if plt == 0 || plt != rl.off {
		return nil
	}
	v, ok := lm.values[got]
	if !ok {
		return nil
	}
	if val, known := v.concrete(); !known || v.mangled || val == 0 {
		return nil
	}
	return &relocFail{lm: lm, r: &rl, what: "calling __cxa_finalize through its PLT slot at exit", site: "at address 0, where the call jumps after _dl_fixup bound the slot",
		err: &inspect.FormatError{Off: -1, Addr: rl.off, InMem: true, Struct: "PLT slot",
			Msg: fmt.Sprintf("the slot at 0x%x names __cxa_finalize, which no loaded object defines (a weak symbol), so _dl_fixup binds it to 0; __do_global_dtors_aux calls it because the GOT slot at 0x%x it tests first is not 0 (an addend glibc before 2.36 adds to the weak symbol's 0)", rl.off, got), Fault: inspect.FaultUnmapped}}
}
