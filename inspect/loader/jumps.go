package loader

import (
	"debug/elf"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// jumpInto is a control transfer the replay knows of (the entry point, an
// initialiser or finaliser, a call the start files make through a GOT
// slot) that lands inside a function, not at its start: code that was not
// built to be entered there runs, with registers and a stack it was not
// built for, and what it does is not in any file. A linker writes only a
// function's start into these places, so the file is damaged there. A
// start-up call through a GOT slot may instead go outside every segment
// of the object its symbol was found in (outside), where what is mapped,
// if anything, depends on the process's layout.
type jumpInto struct {
	what   string   // the transfer: "the entry point", "DT_INIT_ARRAY[0]", ...
	source []string // where the target was read, for people
	obj    string   // the object whose code is entered
	target uint64   // in that object's link-time addresses
	place  funcPlace
	exit   bool // the transfer happens at exit, after main
	// firstCall: the transfer is a first call through a lazily bound
	// PLT slot, after main has started.
	firstCall bool
	// outside: the target is in no segment of any object the replay
	// knows the place of; place is then unset.
	outside bool
	// displaced: the code at the target is not the bytes the linker put
	// there (displaced.go); place is then unset.
	displaced *displacement
	// plt: the entry point is an entry of this procedure linkage table
	// (entryInPLT).
	plt *inspect.Section
	// start is, for an entry point at the start of another function,
	// where the symbol table puts _start (entryElsewhere).
	start    uint64
	hasStart bool
	// damage is, for a transfer outside, the evidence that the value
	// was damaged when it is not the addend a linker leaves at 0.
	damage string
	// reloc: the transfer is ld.so's own call of a resolver while it
	// relocates (resolverCall), not a start-up or exit call.
	reloc bool
}

func (j *jumpInto) Error() string {
	if j.outside {
		return fmt.Sprintf("%s jumps to 0x%x, outside every object", j.what, j.target)
	}
	if j.displaced != nil {
		return fmt.Sprintf("%s jumps to 0x%x, in code mapped from other bytes", j.what, j.target)
	}
	return fmt.Sprintf("%s jumps to 0x%x, %s", j.what, j.target, j.place.into(j.target))
}

// inside asks f's oracle where target lands, and returns the transfer
// when it is inside a function, or when the code there is not the bytes
// the linker put there (displaced.go); nil when it is a start or not
// known.
func (c *checker) inside(f *inspect.File, obj string, target uint64, what string, source ...string) *jumpInto {
	if d := displacedAt(f, target); d != nil {
		return &jumpInto{what: what, source: source, obj: obj, target: target, displaced: d}
	}
	p := c.funcOracle(f).place(target)
	if !p.known || p.start {
		return nil
	}
	return &jumpInto{what: what, source: source, obj: obj, target: target, place: p}
}

// jumpFinding is the undetermined finding of a transfer into a function
// or outside every object:
// the outcomes still open are those of code running from there at that
// point. Before main nothing ld.so does is left (no loader error, no
// exec failure): the program may crash at once or later, run main and
// exit or crash, stop at a lazily bound call, or never end. At exit main
// has run.
func (c *checker) jumpFinding(j *jumpInto) Finding {
	base := filepath.Base(j.obj)
	name := j.place.name
	if name == "" {
		name = "a function"
	}
	fd := Finding{Severity: SeverityFatal, Stage: StageInit, Code: "jump-into-function", Object: j.obj,
		Outcome: OutcomeUndetermined,
		Summary: fmt.Sprintf("undetermined: %s jumps to 0x%x in %s, %d bytes into %s rather than to a function's start: code that was not built to be entered there runs, and what it does depends on registers and memory no file decides",
			j.what, j.target, base, j.target-j.place.lo, name),
		Evidence: append(append([]string{}, j.source...),
			fmt.Sprintf("0x%x is %s", j.target, j.place.into(j.target)),
			fmt.Sprintf("a linker writes only the start of a function there, such as 0x%x: the value was damaged", j.place.lo)),
		Next: "the file is damaged where the evidence says: compare with the pristine file using `elfdoctor diff`; a run tells only what one process's registers and memory gave"}
	if j.place.nowhere {
		fd.Summary = fmt.Sprintf("undetermined: %s jumps to 0x%x in %s, %s, not to the start of a function: bytes that were not linked as code run, and what they do depends on registers and memory no file decides",
			j.what, j.target, base, j.place.into(j.target))
		fd.Evidence = append(append([]string{}, j.source...),
			fmt.Sprintf("0x%x is %s", j.target, j.place.into(j.target)),
			"a linker writes only the start of a function there: the value was damaged")
	}
	if j.outside {
		fd.Code = "jump-outside-objects"
		fd.Object = c.path
		fd.Summary = fmt.Sprintf("undetermined: %s jumps to 0x%x, outside every segment of the objects it was bound in: whether anything is mapped there, and what, depends on where the kernel put each mapping, which no file decides",
			j.what, j.target)
		damage := j.damage
		if damage == "" {
			damage = "x86-64 linkers write these relocations with addend 0, and glibc before 2.36 adds the addend: the value was damaged"
		}
		fd.Evidence = append(append([]string{}, j.source...), damage)
	}
	if j.displaced != nil {
		fd.Code, fd.Summary = "jump-into-displaced-code", j.displacedSummary()
		fd.Evidence = append(append([]string{}, j.source...), j.displaced.evidence()...)
		fd.Next = "compare the file with the pristine one using `elfdoctor diff`: its segment table is damaged; a run tells only what those bytes did with one process's registers"
	}
	if j.plt != nil {
		fd.Code, fd.Summary, fd.Evidence = "entry-in-plt", j.pltSummary(), append(append([]string{}, j.source...), j.pltEvidence()...)
	}
	if j.hasStart {
		fd.Code = "entry-not-start"
		fd.Summary = fmt.Sprintf("undetermined: the entry point 0x%x is the start of %s, not _start (0x%x): the process begins in a function built to be called, which takes argc on the stack for its return address; what it does depends on registers and memory no file decides",
			j.target, name, j.start)
		fd.Evidence = append(append([]string{}, j.source...),
			fmt.Sprintf("the symbol table (.symtab) defines _start at 0x%x, the symbol ld and lld write into e_entry: the value was damaged", j.start))
	}
	switch {
	case j.exit:
		fd.Stage = StageExit
		fd.Possible = atExitPossible()
	case j.firstCall:
		fd.Stage, fd.Code = StageReloc, fd.Code+"-at-first-call"
		fd.Possible = atExitPossible() // main has run too
	case c.dlopen:
		fd.Possible = []Outcome{OutcomeStarts, OutcomeCrash, OutcomeExitCrash, OutcomeHangs}
	default:
		// The replay stops at the jump, before main: what follows, with
		// whatever other damage the file has, can end the process with
		// status 0 too (entry-4-into-start-8347: _start entered past its
		// endbr64, in a program whose data segment lost its file bytes).
		fd.Possible = []Outcome{OutcomeStarts, OutcomeCrash, OutcomeExitCrash, OutcomeFirstCall, OutcomeHangs, OutcomeExitsEarly}
		if len(inspect.IdentifyQuick(c.f).Runtimes) > 0 {
			fd.Possible = append(fd.Possible, OutcomeBareRuntime, OutcomeRuntimeFails)
		}
	}
	if c.interpHost == "" && !c.dlopen && !j.exit && !j.firstCall {
		fd.Stage = StageKernel
	}
	if j.reloc {
		fd.Stage = StageReloc
	}
	return fd
}

// callSource says where an initialiser's or finaliser's address was read.
func callSource(f *inspect.File, d *inspect.Dynamic, call initCall, fini bool) string {
	when := "called after relocation, before main"
	if fini {
		when = "called at exit, after main has run"
	}
	if call.slot == 0 && strings.HasPrefix(call.what, "DT_") {
		return fmt.Sprintf("%s is 0x%x in the dynamic table%s (%s)", call.what, call.addr, dynEntryAt(f, d, call.what), when)
	}
	if call.slot == 0 {
		return fmt.Sprintf("%s is 0x%x, the address the program's own start-up code (__libc_csu_init) was linked with (%s)", call.what, call.addr, when)
	}
	at := fmt.Sprintf("0x%x", call.slot)
	if l := f.Image().Lookup(call.slot); l.Mapped && l.File {
		at += fmt.Sprintf(" (file offset 0x%x)", l.Off)
	}
	return fmt.Sprintf("%s holds 0x%x, read at %s after relocation (%s)", call.what, call.addr, at, when)
}

// boundSource says what a relocation bound into a GOT slot the start
// files call through.
func boundSource(slot, symIdx uint64, sym, obj string, addend, target uint64) string {
	return fmt.Sprintf("a relocation bound the GOT slot at 0x%x to symbol %d (%s) of %s plus 0x%x, vaddr 0x%x there", slot, symIdx, orNone(sym), filepath.Base(obj), addend, target)
}

// dynEntryAt says where the last dynamic entry of the tag named what (the
// one ld.so keeps) is, for people: ", entry N at file offset 0x...".
func dynEntryAt(f *inspect.File, d *inspect.Dynamic, what string) string {
	if d == nil {
		return ""
	}
	ent := uint64(16)
	if f.Class == elf.ELFCLASS32 {
		ent = 8
	}
	for i := len(d.Entries) - 1; i >= 0; i-- {
		if inspect.DynTagName(d.Entries[i].Tag) != what {
			continue
		}
		addr := d.Addr + uint64(i)*ent
		if l := f.Image().Lookup(addr); l.Mapped && l.File {
			return fmt.Sprintf(", entry %d at file offset 0x%x", i, l.Off)
		}
		return fmt.Sprintf(", entry %d at 0x%x", i, addr)
	}
	return ""
}

// entryElsewhere is the entry point of a program when it is the start of
// a function, but not of _start, which the symbol table defines
// elsewhere: crti's _init, main, any function. A program linked with
// `-e` to another symbol keeps its _start only where the linker kept
// it unused; such a program is read as damaged. Only programs whose
// entry is not glibc's _start (startCallSlot) are looked at, so the
// usual program reads no symbol.
func (c *checker) entryElsewhere(f *inspect.File, source string) *jumpInto {
	if _, ok := startCallSlot(f, memOf(f)); ok {
		return nil
	}
	o := c.funcOracle(f)
	start, ok := o.startSymbol()
	if !ok || start == f.Entry {
		return nil
	}
	p := o.place(f.Entry)
	if !p.known || !p.start {
		return nil
	}
	if p.name == "" {
		p.name = o.scanSymbols(f.Entry, 0, -1).atName
	}
	return &jumpInto{what: "the entry point", source: []string{source}, obj: c.path, target: f.Entry, place: p, start: start, hasStart: true}
}

// fetchFault is the signal of a jump to l, a place of f that is not
// executable code: SIGBUS on a file page wholly past the end of the
// file in a mapping the process may read, SIGSEGV otherwise. x86's
// fault handler checks VM_EXEC only for a page already present
// (access_error lets a fetch from a readable mapping's missing page
// through to the fault), and such a page never is: filemap_fault raises
// SIGBUS (seed 8220002120: DT_INIT_ARRAY moved onto a read-only segment
// mapped from 1 TiB past the end of the library).
func fetchFault(f *inspect.File, l inspect.Loc) inspect.Fault {
	x86 := f.Machine == elf.EM_X86_64 || f.Machine == elf.EM_386
	if x86 && l.Mapped && l.File && l.Perm&(elf.PF_R|elf.PF_W|elf.PF_X) != 0 && l.Off&^(f.Image().PageSize-1) >= uint64(f.Size()) {
		return inspect.FaultPastEOF
	}
	return inspect.FaultUnmapped
}
