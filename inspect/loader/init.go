package loader

import (
	"debug/elf"
	"fmt"
	"path/filepath"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// maxInitFuncs bounds the entries read from one initialiser or finaliser
// array; real ones hold a handful.
const maxInitFuncs = 1 << 16

// relativeType is each machine's R_*_RELATIVE: the slot's value becomes
// the load address plus the addend.
func relativeType(m elf.Machine) uint32 {
	switch m {
	case elf.EM_X86_64:
		return uint32(elf.R_X86_64_RELATIVE)
	case elf.EM_386:
		return uint32(elf.R_386_RELATIVE)
	case elf.EM_AARCH64:
		return uint32(elf.R_AARCH64_RELATIVE)
	}
	return 0
}

// initCall is one function ld.so or libc calls through a pointer.
type initCall struct {
	what string // "DT_INIT", "DT_INIT_ARRAY[2]", ...
	addr uint64 // what is called, after relocation
	slot uint64 // where the pointer was read, 0 for DT_INIT/DT_FINI
	err  error  // reading the array faulted here
}

// calls lists, in call order, what an object's initialisers (or, with
// fini set, finalisers) call: DT_PREINIT_ARRAY for the program, DT_INIT,
// then DT_INIT_ARRAY in order (call_init, elf/dl-init.c, and
// __libc_start_main for the program); or DT_FINI_ARRAY from its last
// entry down, then DT_FINI (_dl_fini, elf/dl-fini.c). Array entries are
// taken as relocation left them: the addend of an R_*_RELATIVE at the
// slot, or the bytes there; a slot bound to a symbol is not judged.
func (c *checker) calls(o *loadedObj, f *inspect.File, fini bool) []initCall {
	d := o.dyn
	word := uint64(8)
	if f.Class == elf.ELFCLASS32 {
		word = 4
	}
	relocated := map[uint64]*reloc{}
	rel := relativeType(f.Machine)
	arrays := []struct{ tag, sz elf.DynTag }{{elf.DT_PREINIT_ARRAY, elf.DT_PREINIT_ARRAYSZ}, {elf.DT_INIT_ARRAY, elf.DT_INIT_ARRAYSZ}}
	single := elf.DT_INIT
	if fini {
		arrays = []struct{ tag, sz elf.DynTag }{{elf.DT_FINI_ARRAY, elf.DT_FINI_ARRAYSZ}}
		single = elf.DT_FINI
	}
	var out []initCall
	addSingle := func() {
		if v, ok := d.Tag(single); ok {
			out = append(out, initCall{what: inspect.DynTagName(single), addr: v})
		}
	}
	var singleDone bool
	for _, a := range arrays {
		if a.tag == elf.DT_PREINIT_ARRAY && o != c.loaded[0] {
			continue // only the program's is called
		}
		if a.tag == elf.DT_INIT_ARRAY && !singleDone {
			addSingle()
			singleDone = true
		}
		addr, ok1 := d.Tag(a.tag)
		size, ok2 := d.Tag(a.sz)
		if !ok1 || !ok2 || size < word {
			continue
		}
		if len(relocated) == 0 {
			eachReloc(f, d, func(r reloc) bool {
				if !r.lazy {
					r := r
					relocated[r.off] = &r
				}
				return true
			})
		}
		n := min(size/word, maxInitFuncs)
		var slots []initCall
		for i := uint64(0); i < n; i++ {
			slot := addr + i*word
			call := initCall{what: fmt.Sprintf("%s[%d]", inspect.DynTagName(a.tag), i), slot: slot}
			var b [8]byte
			if err := f.Image().ReadAt(b[:word], slot, call.what); err != nil {
				call.err = err
				slots = append(slots, call)
				break
			}
			v := f.ByteOrder().Uint64(b[:])
			if word == 4 {
				v = uint64(f.ByteOrder().Uint32(b[:]))
			}
			if r := relocated[slot]; r != nil {
				if r.typ != rel {
					continue // bound to a symbol: not judged here
				}
				if r.rela {
					v = uint64(r.addend)
				}
			}
			call.addr = v
			slots = append(slots, call)
		}
		if fini {
			// _dl_fini reads the array from its last entry down.
			for i, j := 0, len(slots)-1; i < j; i, j = i+1, j-1 {
				slots[i], slots[j] = slots[j], slots[i]
			}
		}
		out = append(out, slots...)
	}
	if !singleDone {
		addSingle()
	}
	return out
}

// badCall returns why calling c crashes, or "".
func badCall(f *inspect.File, call initCall) (why, signal string) {
	if call.err != nil {
		return fmt.Sprintf("the array cannot be read: %v", call.err), faultSignal(call.err)
	}
	l := f.Image().Lookup(call.addr)
	phoff, phend := uint64(f.Phoff), uint64(f.Phoff)+uint64(f.Phnum)*uint64(f.Phentsize)
	inPhdrs := l.Mapped && l.File && l.Off >= phoff && l.Off < phend
	switch {
	case !l.Mapped:
		return fmt.Sprintf("0x%x, which no PT_LOAD maps", call.addr), "SIGSEGV"
	case l.Perm&elf.PF_X == 0:
		what := fmt.Sprintf("0x%x, in program header %d, which is %s, not executable", call.addr, l.Prog, inspect.FlagString(l.Perm))
		if inPhdrs {
			what += ": it lies in the program header table (a rewrite wrote the table over the code it pointed to)"
		}
		return what, "SIGSEGV"
	case inPhdrs:
		// Executable, but the bytes are program headers: the CPU runs
		// them as instructions, with a signal nobody can name in advance.
		return fmt.Sprintf("0x%x, inside the program header table (file offset 0x%x), not code: a rewrite wrote the table over the code it pointed to", call.addr, l.Off), ""
	}
	return "", ""
}

// initialisers replays the calls made after relocation and before main:
// for every object, dependencies first (ld.so's _dl_init), the program
// last (__libc_start_main). A pointer that does not lead to code crashes
// there.
func (c *checker) initialisers() {
	c.eachCall(false)
}

// finalisers replays exit: _dl_fini calls every object's finalisers, the
// program first. main has run by then, so a bad one is a crash at exit.
func (c *checker) finalisers() {
	c.eachCall(true)
}

func (c *checker) eachCall(fini bool) {
	if c.dyn == nil || len(c.loaded) == 0 {
		return
	}
	order := make([]*loadedObj, 0, len(c.loaded))
	for i := len(c.loaded) - 1; i >= 0; i-- {
		order = append(order, c.loaded[i])
	}
	if fini {
		for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
			order[i], order[j] = order[j], order[i]
		}
	}
	for _, o := range order {
		if o.dyn == nil || o.preloaded {
			continue
		}
		f, err := o.file()
		if err != nil {
			continue
		}
		for _, call := range c.calls(o, f, fini) {
			why, sig := badCall(f, call)
			if why == "" {
				continue
			}
			fd := Finding{Severity: SeverityFatal, Stage: StageInit, Code: "init-not-code", Object: o.name,
				Summary:  fmt.Sprintf("%s of %s points to %s", call.what, filepath.Base(o.name), why),
				Evidence: []string{fmt.Sprintf("%s: called after relocation, before main", call.what)},
				Outcome:  OutcomeCrash, Signal: sig,
				Message: "killed by a signal in call_init, after ld.so has loaded everything and before main",
				Next:    "a rewrite damaged the initialisers: compare with the pristine file using `elfdoctor diff`"}
			if fini {
				fd.Stage, fd.Code, fd.Outcome = StageExit, "fini-not-code", OutcomeExitCrash
				fd.Evidence = []string{fmt.Sprintf("%s: called at exit, after main has run", call.what)}
				fd.Message = "main runs; at exit the process is killed by a signal in _dl_fini"
				fd.Next = "the program does its work and then crashes at exit, so its exit status is lost: compare with the pristine file using `elfdoctor diff`"
			}
			if call.slot != 0 {
				fd.Evidence = append(fd.Evidence, fmt.Sprintf("the pointer was read at 0x%x", call.slot))
			}
			c.add(fd)
			return
		}
	}
}
