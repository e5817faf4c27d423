package loader

import (
	"debug/elf"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

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
	// raw: an array entry of a position-independent object that no
	// relocation wrote, so addr is called as it is, not relative to
	// where the object is loaded.
	raw bool
	// bound: a relocation binds the entry to a symbol; addr is not
	// known here (run looks up what the replay bound).
	bound bool
	// rel is the relocation that wrote the entry, if one did.
	rel *reloc
	// file is the entry as the file holds it, before any relocation.
	file uint64
}

// initSource is where one kind of initialiser or finaliser is found:
// from the dynamic table (what ld.so and, since glibc 2.34, libc read),
// or from the addresses the program's own start-up code was linked with.
type initSource struct {
	single         string // "DT_INIT", "DT_FINI", or "" for none
	singleAddr     uint64
	hasSingle      bool
	array          string // "DT_INIT_ARRAY", ...
	arrayAddr      uint64
	arraySize      uint64
	hasArray       bool
	hasSize        bool
	singleAfter    bool // the single function runs after the array (fini)
	backwards      bool // the array runs from its last entry down (_dl_fini)
	truncateSize32 bool // the entry count is an unsigned int
	// sizeTested: the caller skips the array without a size entry
	// (_dl_init's DT_PREINIT_ARRAY) instead of reading through it.
	sizeTested bool
	// withBound: entries a relocation binds to a symbol are returned
	// (initCall.bound) instead of left out.
	withBound bool
	// tags are the dynamic entries read when the calls are made.
	tags []elf.DynTag
}

// dynSource reads an object's DT_ tags for one kind.
func dynSource(d *inspect.Dynamic, single, array, size elf.DynTag) initSource {
	s := initSource{array: inspect.DynTagName(array), truncateSize32: true}
	if array == elf.DT_PREINIT_ARRAY {
		s.array = "DT_PREINIT_ARRAY" // 32, which debug/elf names DT_ENCODING
	}
	if single != 0 {
		s.single = inspect.DynTagName(single)
		s.singleAddr, s.hasSingle = d.Tag(single)
	}
	s.arrayAddr, s.hasArray = d.Tag(array)
	s.arraySize, s.hasSize = d.Tag(size)
	s.tags = []elf.DynTag{array, size}
	if single != 0 {
		s.tags = append(s.tags, single)
	}
	return s
}

// legacyStart reports whether the program was linked with a start-up
// (crt1.o) from before glibc 2.34, whose _start hands __libc_start_main
// the program's own __libc_csu_init: that, not libc, then runs the
// program's initialisers, found by the addresses it was linked with
// (_init, __init_array_start), never through the dynamic table. Such a
// program binds __libc_start_main@GLIBC_2.2.5; one linked against 2.34
// or later binds __libc_start_main@GLIBC_2.34, and requires that version.
func legacyStart(o *loadedObj) bool {
	v := o.versions()
	if v == nil {
		return true
	}
	for _, n := range v.Need {
		for _, a := range n.Aux {
			var minor int
			if _, err := fmt.Sscanf(a.Name, "GLIBC_2.%d", &minor); err == nil && minor >= 34 {
				return false
			}
		}
	}
	return true
}

// linkedInit is where __libc_csu_init finds the program's initialisers:
// _init (the .init section) and __init_array_start..__init_array_end
// (.init_array), addresses its code was linked with. The section table
// records them; without one, the dynamic table's entries, which the
// linker wrote with the same values, stand in.
func linkedInit(f *inspect.File, d *inspect.Dynamic) initSource {
	s := dynSource(d, elf.DT_INIT, elf.DT_INIT_ARRAY, elf.DT_INIT_ARRAYSZ)
	s.truncateSize32 = false
	for _, sec := range f.Sections {
		switch {
		case sec.Name == ".init" && sec.Type == elf.SHT_PROGBITS:
			s.single, s.singleAddr, s.hasSingle = "_init", sec.Addr, true
			s.tags = slices.DeleteFunc(s.tags, func(t elf.DynTag) bool { return t == elf.DT_INIT })
		case sec.Type == elf.SHT_INIT_ARRAY:
			s.array, s.arrayAddr, s.arraySize, s.hasArray, s.hasSize = "__init_array_start", sec.Addr, sec.Size, true, true
			s.tags = slices.DeleteFunc(s.tags, func(t elf.DynTag) bool { return t != elf.DT_INIT })
		}
	}
	return s
}

// calls lists, in call order, the functions src names for an object.
// Array entries are taken as relocation left them: the addend of an
// R_*_RELATIVE at the slot, or the bytes there; a slot bound to a symbol
// is not judged.
func (c *checker) calls(f *inspect.File, d *inspect.Dynamic, src initSource) []initCall {
	word := uint64(8)
	if f.Class == elf.ELFCLASS32 {
		word = 4
	}
	var out []initCall
	if src.hasSingle && !src.singleAfter {
		out = append(out, initCall{what: src.single, addr: src.singleAddr})
	}
	if src.hasArray && !src.hasSize && src.sizeTested {
		return out
	}
	if src.hasArray && !src.hasSize {
		// l_info[DT_*_ARRAYSZ] is a null pointer: reading its d_val faults.
		out = append(out, initCall{what: src.array, err: errMem(0, src.array+"SZ", "the array has no size entry: ld.so reads the size through a null pointer", nil)})
		return out
	}
	if src.hasArray {
		n := src.arraySize / word
		if src.truncateSize32 {
			n = uint64(uint32(n))
		}
		relocated := map[uint64]*reloc{}
		rel := relativeType(f.Machine)
		// Only the slots of the array are looked up: keeping every
		// relocation cost a big library (libLLVM) half a second.
		lo, hi := src.arrayAddr, src.arrayAddr+min(n, maxInitFuncs)*word
		if n > 0 {
			eachReloc(f, d, func(r reloc) bool {
				if !r.lazy && r.off >= lo && r.off < hi {
					r := r
					relocated[r.off] = &r
				}
				return true
			})
		}
		for k := uint64(0); k < min(n, maxInitFuncs); k++ {
			i := k
			if src.backwards {
				i = n - 1 - k
			}
			slot := src.arrayAddr + i*word
			call := initCall{what: fmt.Sprintf("%s[%d]", src.array, i), slot: slot}
			var b [8]byte
			if err := f.Image().ReadAt(b[:word], slot, call.what); err != nil {
				call.err = err
				out = append(out, call)
				return out
			}
			v := get64(f, b[:])
			if word == 4 {
				v = uint64(get32(f, b[:]))
			}
			call.file = v
			r := relocated[slot]
			if r != nil {
				if r.typ != rel {
					if src.withBound {
						out = append(out, initCall{what: call.what, slot: slot, bound: true})
					}
					continue // bound to a symbol: not judged here
				}
				if r.rela {
					v = uint64(r.addend)
				}
			}
			call.addr, call.raw, call.rel = v, r == nil && f.Type == elf.ET_DYN, r
			out = append(out, call)
		}
	}
	if src.hasSingle && src.singleAfter {
		out = append(out, initCall{what: src.single, addr: src.singleAddr})
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
	inPhdrs := l.Mapped && l.File && l.Off >= phoff && l.Off < phend && phdrEntryAt(f, l.Off)
	switch {
	case !l.Mapped:
		return fmt.Sprintf("0x%x, which no PT_LOAD maps", call.addr), "SIGSEGV"
	case l.Perm&elf.PF_X == 0:
		what := fmt.Sprintf("0x%x, in program header %d, which is %s, not executable", call.addr, l.Prog, inspect.FlagString(l.Perm))
		if inPhdrs {
			what += ": it lies in the program header table (a rewrite wrote the table over the code it pointed to)"
		}
		if fetchFault(f, l) == inspect.FaultPastEOF {
			what += fmt.Sprintf(", on a page past the end of the file (size 0x%x)", f.Size())
		}
		return what, fetchFault(f, l).Signal()
	case l.File && l.Off&^(f.Image().PageSize-1) >= uint64(f.Size()):
		return fmt.Sprintf("0x%x, on a page past the end of the file (size 0x%x)", call.addr, f.Size()), "SIGBUS"
	}
	if why, sig := undefinedAt(f, call.addr); sig != "" {
		return fmt.Sprintf("0x%x, not the start of code: %s", call.addr, why), sig
	}
	switch {
	case inPhdrs:
		// Executable, but the bytes are program headers: the CPU runs
		// them as instructions, with a signal nobody can name in advance.
		return fmt.Sprintf("0x%x, inside the program header table (file offset 0x%x), not code: a rewrite wrote the table over the code it pointed to", call.addr, l.Off), ""
	}
	return "", ""
}

// phdrEntryAt says whether the program header entry holding file offset
// off has a type the kernel or ld.so knows: then the table really lies
// there, as patchelf has been seen to write it over .init. A grown
// e_phnum reaches over code whose bytes make no such type (an endbr64 is
// 0xfa1e0ff3), and that code runs as it is.
func phdrEntryAt(f *inspect.File, off uint64) bool {
	ent := uint64(f.Phentsize)
	if ent < 4 {
		return false
	}
	start := uint64(f.Phoff) + (off-uint64(f.Phoff))/ent*ent
	b, err := f.ReadFull(int64(start), 4, "program header type")
	if err != nil {
		return false
	}
	switch t := elf.ProgType(get32(f, b)); {
	case t <= elf.PT_TLS, t >= elf.PT_GNU_EH_FRAME && t <= elf.PT_GNU_PROPERTY:
		return true
	}
	return false
}

// initialisers replays what runs after relocation, in order: ld.so's
// _dl_init (elf/dl-init.c) calls the program's DT_PREINIT_ARRAY, then
// every library's DT_INIT and DT_INIT_ARRAY, dependencies first; it then
// jumps to the program's entry point, where __libc_start_main runs the
// program's own initialisers: through the dynamic table for a program
// linked against glibc 2.34 or later (call_init, csu/libc-start.c), or
// through its own __libc_csu_init before that. A pointer that does not
// lead to code crashes there, before main.
func (c *checker) initialisers() {
	if c.dyn == nil || len(c.loaded) == 0 {
		if !c.isLibrary() && c.interpHost != "" {
			c.entry("ld.so jumps there once it has relocated everything")
		}
		return
	}
	main := c.loaded[0]
	if !c.dlopen {
		pre := dynSource(main.dyn, 0, elf.DT_PREINIT_ARRAY, elf.DT_PREINIT_ARRAYSZ)
		pre.sizeTested = true // _dl_init: preinit_array_size != NULL
		if c.run(main, c.f, pre, false) {
			return
		}
	}
	// _dl_init walks l_initfini from its end; call_init skips the
	// program, whose initialisers __libc_start_main runs. Under dlopen
	// the list is the library's, which dlopen initialises like a
	// dependency, usually last.
	order := c.initfini()
	for j := len(order) - 1; j >= 0; j-- {
		o := c.loaded[order[j]]
		if (order[j] == 0 && !c.dlopen) || o.dyn == nil || o.preloaded {
			continue
		}
		// call_init prints this only for an object with something to call.
		_, hasInit := o.dyn.Tag(elf.DT_INIT)
		if _, hasArray := o.dyn.Tag(elf.DT_INIT_ARRAY); hasInit || hasArray {
			c.trace("calling init: %s", c.debugName(o))
		}
		if order[j] == 0 {
			if c.run(main, c.f, dynSource(main.dyn, elf.DT_INIT, elf.DT_INIT_ARRAY, elf.DT_INIT_ARRAYSZ), false) {
				return
			}
			continue
		}
		f, err := o.file()
		if err != nil {
			continue
		}
		if c.gmonCall(o) || c.run(o, f, dynSource(o.dyn, elf.DT_INIT, elf.DT_INIT_ARRAY, elf.DT_INIT_ARRAYSZ), false) {
			return
		}
	}
	if c.dlopen {
		return
	}
	if c.interpHost != "" {
		c.entry("ld.so jumps there once it has relocated everything and run the libraries' initialisers")
		if c.stop {
			return
		}
	}
	c.unrelocatedProgram()
	if c.stop {
		return
	}
	c.programData()
	if c.stop {
		return
	}
	src := dynSource(main.dyn, elf.DT_INIT, elf.DT_INIT_ARRAY, elf.DT_INIT_ARRAYSZ)
	f := c.f
	if legacyStart(main) {
		// __libc_csu_init is the program's code: it uses the addresses
		// the kernel mapped, whatever ld.so took the load address for.
		f = c.program()
		src = linkedInit(f, main.dyn)
	}
	if c.gmonCall(main) {
		return
	}
	if c.run(main, f, src, false) && c.dataFault != nil {
		// An open initialiser: if the program gets past it, its first
		// read of the faulting data comes before it can run to the end.
		fd := &c.res.Findings[len(c.res.Findings)-1]
		if fd.Outcome == OutcomeUndetermined && slices.Contains(fd.Possible, OutcomeStarts) {
			fd.Possible = slices.DeleteFunc(fd.Possible, func(o Outcome) bool { return o == OutcomeStarts })
			if !slices.Contains(fd.Possible, OutcomeCrash) {
				fd.Possible = append(fd.Possible, OutcomeCrash)
			}
			fd.Evidence = append(fd.Evidence, "if the program gets past it: "+c.dataFault.Summary)
		}
	}
}

// gmonCall reports a failing call _init makes through __gmon_start__'s
// GOT slot (initGmonCall) when o's initialisers run: _init is DT_INIT,
// called before DT_INIT_ARRAY's entries (by __libc_csu_init in a program
// linked before glibc 2.34, which calls _init first too). It returns
// true when it reported one.
func (c *checker) gmonCall(o *loadedObj) bool {
	if c.reloc == nil {
		return false
	}
	for i, sc := range c.reloc.selfCalls {
		if sc.name == "__gmon_start__" && sc.fail != nil && sc.fail.lm != nil && sc.fail.lm.obj == o {
			c.reloc.selfCalls = slices.Delete(c.reloc.selfCalls, i, i+1)
			c.add(c.reloc.finding(sc.fail, false))
			return true
		}
	}
	return false
}

// finalisers replays exit: _dl_fini (elf/dl-fini.c) calls the finalisers
// of every object whose initialisers ran, the program first, each one's
// DT_FINI_ARRAY from its last entry down, then its DT_FINI. main has run
// by then, so a bad one is a crash at exit.
func (c *checker) finalisers() {
	if c.dyn == nil || len(c.loaded) == 0 {
		return
	}
	// Before glibc 2.36 _dl_fini counts the entries in an unsigned int,
	// so a size past 32 GiB wraps to a small count; from 2.36 on
	// (_dl_call_fini) it is a size_t. Debian's builds show it: 2.31's loop
	// tests %eax, 2.36's and 2.41's the whole %rax.
	truncate := !c.model().atLeast(36)
	for _, o := range c.loaded {
		if o.dyn == nil || o.preloaded {
			continue
		}
		f, err := o.file()
		if err != nil {
			continue
		}
		src := dynSource(o.dyn, elf.DT_FINI, elf.DT_FINI_ARRAY, elf.DT_FINI_ARRAYSZ)
		src.singleAfter, src.backwards, src.truncateSize32 = true, true, truncate
		if c.run(o, f, src, true) {
			return
		}
	}
}

// run replays the calls src names for o, and reports the first that
// crashes. It returns true when one did.
func (c *checker) run(o *loadedObj, f *inspect.File, src initSource, fini bool) bool {
	src.withBound = true
	if c.reloc != nil {
		if lm := c.reloc.linkMapOf(o); lm != nil {
			for _, sd := range lm.setup.over {
				if slices.Contains(src.tags, sd.tag) {
					stage := StageInit
					if fini {
						stage = StageExit
					}
					c.add(setupDynamicFinding(o.name, stage, sd))
					return true
				}
			}
		}
	}
	calls := c.calls(f, o.dyn, src)
	c.repeatedCalls(o, calls)
	for _, call := range calls {
		if call.bound {
			// Judged only where the files decide the bound value: a
			// weak symbol no object defines, which binds 0 (a damaged
			// array pointer onto a GOT slot).
			var lm *linkMap
			if c.reloc != nil {
				lm = c.reloc.linkMapOf(o)
			}
			if lm == nil {
				continue
			}
			v, ok := lm.values[call.slot]
			val, known := v.concrete()
			if !ok || !known || v.mangled {
				continue
			}
			if f.Type == elf.ET_DYN {
				// The value is an address as it is, not one of the
				// object's own: judged only where nothing can be mapped.
				if c.surelyUnmapped(f, val) {
					c.add(c.callFinding(o, call, fmt.Sprintf("0x%x: a relocation bound the entry at 0x%x to a symbol no loaded object defines (or an absolute one), and nothing can be mapped at 0x%x", val, call.slot, val), "SIGSEGV", fini))
					return true
				}
				continue
			}
			call.addr = val
		}
		if call.rel != nil && call.rel.typ == relativeType(f.Machine) && f.Type == elf.ET_DYN && c.reloc != nil && c.reloc.types.full {
			// A relocation in the file names the entry, but ld.so
			// applied none there (its table was skipped, or ends before
			// it): the entry holds its file bytes, a link-time address.
			// Judged here, in call order, not when the object was
			// relocated: the program's own initialisers run after its
			// entry point, a library's after every object is relocated.
			if lm := c.reloc.linkMapOf(o); lm != nil && !lm.partial && !lm.written.has(call.slot) {
				call.addr, call.raw = call.file, true
			}
		}
		if call.raw {
			// No DT_REL(A) entry names the slot; whether ld.so wrote it
			// (DT_RELR too) the relocation replay knows. Called as it
			// is, it is judged only where nothing can be mapped.
			var lm *linkMap
			if c.reloc != nil {
				lm = c.reloc.linkMapOf(o)
			}
			if lm == nil || lm.written.has(call.slot) {
				call.raw = false
			} else if at, ok := overlapsWritten(lm, call.slot, f); ok {
				// Part of the entry is a word relocation wrote: its value
				// depends on where the object is loaded.
				c.add(c.partlyRelocatedCall(o, call, at, fini))
				return true
			} else if c.surelyUnmapped(f, call.addr) {
				c.add(c.callFinding(o, call, fmt.Sprintf("0x%x as it is: no relocation made the entry at 0x%x relative to where %s is loaded, and nothing can be mapped at 0x%x", call.addr, call.slot, filepath.Base(o.name), call.addr), "SIGSEGV", fini))
				return true
			} else {
				// Something may be mapped there, or not, by the
				// process's layout (its stack limit moves the mmap base):
				// the call is not predicted either way.
				c.add(c.unrelocatedCall(o, call, fini))
				return true
			}
		}
		if !call.bound && call.err == nil && f.Type == elf.ET_DYN && c.reloc != nil {
			// A relocated entry a later misaligned write reached in part
			// holds pieces of two load addresses.
			if lm := c.reloc.linkMapOf(o); lm != nil && lm.written.has(call.slot) {
				if at, ok := overlapsWritten(lm, call.slot, f); ok && !writtenBefore(f, o.dyn, at, call.rel) {
					if !topByteOnly(lm, f, o.dyn, at, call.slot) {
						c.add(c.partlyRelocatedCall(o, call, at, fini))
						return true
					}
					// The write left only its top byte on the entry's low
					// byte: a 0, and the entry, page-aligned load address
					// and all, is its own value with that byte cleared.
					call.addr &^= 0xff
				}
			}
		}
		if c.reloc != nil && call.err == nil {
			if lm := c.reloc.linkMapOf(o); lm != nil && call.addr >= lm.relroNoExec[0] && call.addr < lm.relroNoExec[1] {
				c.add(c.callFinding(o, call, fmt.Sprintf("0x%x, in code that PT_GNU_RELRO (pages 0x%x-0x%x) made read-only after relocation: running it faults", call.addr, lm.relroNoExec[0], lm.relroNoExec[1]), "SIGSEGV", fini))
				return true
			}
		}
		if call.err != nil {
			// An entry read outside the object's pages, where another
			// mapping may lie (a library's, or a program ld.so mapped
			// as its command).
			stage, during := StageInit, "calling the initialisers"
			if fini {
				stage, during = StageExit, "calling the finalisers at exit"
			}
			if fd, ok := c.pastMappingFinding(o, call.err, call.what, stage, during, false); ok {
				if fini {
					fd.Possible = atExitPossible()
				}
				c.add(fd)
				return true
			}
		}
		if call.err == nil && !f.Image().Lookup(call.addr).Mapped {
			// A call outside the object's pages, where the process may
			// have mapped another object's code next to it.
			fe := &inspect.FormatError{Off: -1, Addr: call.addr, InMem: true, Struct: call.what, Msg: "the call's target is outside every PT_LOAD of the object", Fault: inspect.FaultUnmapped}
			stage, kind := StageInit, "init"
			if fini {
				stage, kind = StageExit, "fini"
			}
			if fd, ok := c.pastMappingFinding(o, fe, call.what, stage, "calling "+call.what, false); ok {
				base := filepath.Base(o.name)
				fd.Code = kind + "-outside-object"
				fd.Summary = fmt.Sprintf("undetermined: %s of %s is 0x%x, outside the pages %s reserves, where the process has other mappings (other objects' code among them) or none, as its layout has it: the call may run another object's code, or fault", call.what, base, call.addr, base)
				if fini {
					fd.Possible = atExitPossible()
				}
				c.add(fd)
				return true
			}
		}
		why, sig := badCall(f, call)
		if why == "" {
			if j := c.inside(f, o.name, call.addr, call.what+" of "+filepath.Base(o.name), callSource(f, o.dyn, call, fini)); j != nil {
				j.exit = fini
				c.add(c.jumpFinding(j))
				return true
			}
			if j := c.callInPLT(o, f, call, fini); j != nil {
				c.add(c.jumpFinding(j))
				return true
			}
		}
		if why == "" && fini && c.reloc != nil {
			// The finaliser is code; the one crtstuff puts first calls
			// __cxa_finalize through a GOT slot.
			if lm := c.reloc.linkMapOf(o); lm != nil {
				if fail := c.reloc.dtorsCall(lm, call.addr); fail != nil {
					var j *jumpInto
					if errors.As(fail.err, &j) {
						j.exit = true
						c.add(c.jumpFinding(j))
						return true
					}
					var rc *reboundCall
					if errors.As(fail.err, &rc) {
						c.add(c.reboundFinding(rc))
						return true
					}
					fd := c.reloc.finding(fail, false)
					fd.Stage, fd.Code, fd.Outcome = StageExit, "fini-call-fault", OutcomeExitCrash
					fd.Summary = fmt.Sprintf("%s of %s calls __cxa_finalize through a GOT slot bound to something that is not code", call.what, filepath.Base(o.name))
					fd.Message = "main runs; at exit the process is killed by a signal in __do_global_dtors_aux"
					c.add(fd)
					return true
				}
			}
		}
		if why == "" {
			continue
		}
		c.add(c.callFinding(o, call, why, sig, fini))
		return true
	}
	return false
}

// callFinding is the crash of an initialiser or finaliser call (run).
func (c *checker) callFinding(o *loadedObj, call initCall, why, sig string, fini bool) Finding {
	sum := fmt.Sprintf("%s of %s points to %s", call.what, filepath.Base(o.name), why)
	if call.err != nil {
		sum = fmt.Sprintf("%s of %s cannot be read: %v", call.what, filepath.Base(o.name), call.err)
	}
	fd := Finding{Severity: SeverityFatal, Stage: StageInit, Code: "init-not-code", Object: o.name,
		Summary:  sum,
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
	return fd
}

// overlapsWritten finds a word relocation wrote that shares bytes with
// the word at slot without starting there.
func overlapsWritten(lm *linkMap, slot uint64, f *inspect.File) (uint64, bool) {
	word := uint64(8)
	if f.Class == elf.ELFCLASS32 {
		word = 4
	}
	for a := slot - (word - 1); a != slot+word; a++ {
		if a != slot && lm.written.has(a) {
			return a, true
		}
	}
	return 0, false
}

// topByteOnly says whether the write at at, a word before slot less one
// byte, is a RELATIVE relocation of an address inside the object: its
// one byte on the slot is the top byte of a user-space address, 0.
func topByteOnly(lm *linkMap, f *inspect.File, d *inspect.Dynamic, at, slot uint64) bool {
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 || slot-at != 7 {
		return false
	}
	inside := false
	eachReloc(f, d, func(o reloc) bool {
		if o.off != at {
			return true
		}
		t := relativeType(f.Machine)
		inside = o.typ == t && o.rela && f.Image().Lookup(uint64(o.addend)).Mapped
		return false
	})
	return inside
}

// writtenBefore says whether the relocation writing at addr comes before
// rel in the order ld.so applies them (DT_RELA, then DT_JMPREL, each in
// its order), so that rel's own write covers what it left. Not known (a
// write no relocation entry names, or none for the entry) is false.
func writtenBefore(f *inspect.File, d *inspect.Dynamic, addr uint64, rel *reloc) bool {
	if rel == nil {
		return false
	}
	rank := map[string]int{"DT_RELA": 0, "DT_REL": 0, "DT_JMPREL": 1}
	before := false
	eachReloc(f, d, func(o reloc) bool {
		if o.off != addr {
			return true
		}
		before = rank[o.table] < rank[rel.table] || (o.table == rel.table && o.index < rel.index)
		return false
	})
	return before
}

// partlyRelocatedCall is the undetermined finding of an initialiser or
// finaliser read at an address that is not one of the array's words as
// relocation wrote them: part of the pointer is a relocated word, which
// holds the load address plus an offset, so where the call goes depends
// on where the object is loaded.
func (c *checker) partlyRelocatedCall(o *loadedObj, call initCall, at uint64, fini bool) Finding {
	base := filepath.Base(o.name)
	return c.openCall(o, call, fini, "partly-relocated",
		fmt.Sprintf("undetermined: %s of %s is read at 0x%x, across the word relocation wrote at 0x%x: part of the pointer is a load address, so where the call goes depends on where %s is loaded (almost always nowhere mapped)", call.what, base, call.slot, at, base),
		"a linker puts the array on its own words, each with a RELATIVE relocation: the array's address was damaged")
}

// unrelocatedCall is the undetermined finding of an initialiser or
// finaliser of a position-independent object that no relocation wrote,
// whose value, taken as an address, may or may not be mapped in the
// process: linkers give every such entry a RELATIVE relocation (or
// DT_RELR), so the entry or the array's address was damaged.
func (c *checker) unrelocatedCall(o *loadedObj, call initCall, fini bool) Finding {
	base := filepath.Base(o.name)
	return c.openCall(o, call, fini, "unrelocated",
		fmt.Sprintf("undetermined: %s of %s, read at 0x%x, is 0x%x as the file has it: no relocation made it relative to where %s is loaded, and whether anything is mapped at 0x%x depends on the process's layout (almost never)", call.what, base, call.slot, call.addr, base, call.addr),
		"a linker gives every entry of the array a RELATIVE relocation: the entry or the array's address was damaged")
}

// openCall is an undetermined finding about an initialiser's call
// (init-KIND), or a finaliser's at exit (fini-KIND).
func (c *checker) openCall(o *loadedObj, call initCall, fini bool, kind, summary, why string) Finding {
	fd := Finding{Severity: SeverityFatal, Stage: StageInit, Code: "init-" + kind, Object: o.name, Outcome: OutcomeUndetermined,
		Possible: []Outcome{OutcomeCrash, OutcomeStarts}, Summary: summary,
		Evidence: []string{fmt.Sprintf("%s: called after relocation, before main", call.what), why},
		Next:     "compare with the pristine file using `elfdoctor diff`"}
	if fini {
		fd.Stage, fd.Code = StageExit, "fini-"+kind
		fd.Possible = atExitPossible()
		fd.Evidence[0] = fmt.Sprintf("%s: called at exit, after main has run", call.what)
	}
	return fd
}

// atExitPossible is what may follow a call at exit into code the files
// do not decide: nothing, a crash, a hang, or an error exit (another
// object's code there, ld.so's among them, has printed "shared object not
// open" and exited 127: a soak case), as jumpFinding says for a finaliser
// entered inside a function.
func atExitPossible() []Outcome {
	return []Outcome{OutcomeStarts, OutcomeExitCrash, OutcomeFirstCall, OutcomeHangs}
}

// repeatedCalls looks for two entries of an initialiser or finaliser
// array that a relocation made the same function: a linker puts each
// constructor in the array once, so one entry's value was damaged, and
// the function it was made for never runs while another runs twice
// (gxx-pie's constructor of a global std::string replaced by
// frame_dummy's address: main used the string unbuilt, SIGSEGV or exit
// 0 without output). What the program makes of that is its own code's
// business: relocation damage, undetermined, given only where the
// program would otherwise start.
func (c *checker) repeatedCalls(o *loadedObj, calls []initCall) {
	if c.reloc == nil {
		return
	}
	lm := c.reloc.linkMapOf(o)
	if lm == nil {
		return
	}
	first := map[uint64]initCall{}
	for _, call := range calls {
		if call.err != nil || call.bound || call.raw || call.slot == 0 || call.rel == nil || call.addr == 0 || call.addr == ^uint64(0) {
			continue
		}
		if was, twice := first[call.addr]; twice {
			c.reloc.damage = append(c.reloc.damage, relocDamage{lm: lm, code: "init-repeated", at: call.rel.addr,
				what:    fmt.Sprintf("%s and %s of %s both call 0x%x, as relocations %d and %d of %s write them: a linker puts each function in the array once", was.what, call.what, filepath.Base(o.name), call.addr, was.rel.index, call.rel.index, call.rel.table),
				changed: fmt.Sprintf("the function %s was made for is never called, and the one at 0x%x runs twice", call.what, call.addr)})
			return
		}
		first[call.addr] = call
	}
}
