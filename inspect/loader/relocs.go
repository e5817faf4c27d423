package loader

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/internal/safeopen"
)

// maxRelocs bounds the relocation walk; libxul has about 10^5.
const maxRelocs = 1 << 22

// reloc is one relocation entry as ld.so reads it.
type reloc struct {
	table string // DT_RELA, DT_REL or DT_JMPREL
	index int64  // negative for an entry read before the table (relativeSpan)
	addr  uint64 // where the entry itself is
	off   uint64 // r_offset: the address ld.so writes
	sym   uint64 // symbol index
	typ   uint32
	lazy  bool // a PLT slot that ld.so only rebases now and binds at the first call
	// addend is r_addend of a DT_RELA entry; rela says there is one.
	addend int64
	rela   bool
}

// where names the entry for evidence: its table, index and address, and
// the fields ld.so read from it.
func (rl *reloc) where() string {
	return fmt.Sprintf("relocation %d of %s (at 0x%x: r_offset 0x%x, symbol %d, type %d)", rl.index, rl.table, rl.addr, rl.off, rl.sym, rl.typ)
}

// bindNow reports whether ld.so resolves PLT slots at start-up.
// The GNU counts of relative relocations, which debug/elf does not name.
const (
	dtRELACOUNT elf.DynTag = 0x6ffffff9
	dtRELCOUNT  elf.DynTag = 0x6ffffffa
)

func bindNow(d *inspect.Dynamic) bool {
	_, now := d.Tag(elf.DT_BIND_NOW)
	return now || d.Flags&elf.DF_BIND_NOW != 0 || d.Flags1&elf.DF_1_NOW != 0
}

// eachReloc calls fn for every relocation of an object that ld.so
// applies, in the tables it applies them from, until fn returns false.
// It returns the first table that cannot be read. It reads the tables as
// a model (every entry of DT_RELA or DT_REL, then DT_JMPREL); the
// relocation replay (relocator) reads them as ld.so does.
func eachReloc(f *inspect.File, d *inspect.Dynamic, fn func(r reloc) bool) error {
	word := uint64(8)
	if f.Class == elf.ELFCLASS32 {
		word = 4
	}
	type table struct {
		name     string
		addrTag  elf.DynTag
		sizeTag  elf.DynTag
		countTag elf.DynTag
		rela     bool
		plt      bool
	}
	tables := []table{{"DT_RELA", elf.DT_RELA, elf.DT_RELASZ, dtRELACOUNT, true, false}, {"DT_REL", elf.DT_REL, elf.DT_RELSZ, dtRELCOUNT, false, false}}
	if pr, ok := d.Tag(elf.DT_PLTREL); ok {
		tables = append(tables, table{"DT_JMPREL", elf.DT_JMPREL, elf.DT_PLTRELSZ, elf.DT_NULL, elf.DynTag(pr) == elf.DT_RELA, true})
	}
	lazy := !bindNow(d)
	im := f.Image()
	for _, t := range tables {
		addr, ok1 := d.Tag(t.addrTag)
		size, ok2 := d.Tag(t.sizeTag)
		if !ok1 || !ok2 {
			continue
		}
		ent := 2 * word
		if t.rela {
			ent = 3 * word
		}
		// ld.so applies every entry that starts before the end, and the
		// first DT_RELACOUNT entries as relative ones whatever the size
		// says (elf/do-rel.h: r = relative + nrelative). A size whose end
		// wraps past the top of memory leaves `r < end` false from the
		// start: only those relative entries are applied (doRel).
		n := size/ent + min(size%ent, 1)
		if wraps, known := wrapsAt(memOf(f), addr, size); wraps && known {
			n = 0
		}
		if t.countTag != elf.DT_NULL {
			if nrel, ok := d.Tag(t.countTag); ok {
				n = max(n, nrel)
			}
		}
		n = min(n, maxRelocs)
		buf := make([]byte, min(n, 256)*ent)
		for i := uint64(0); i < n; i += 256 {
			k := min(256, n-i)
			if err := im.ReadAt(buf[:k*ent], addr+i*ent, t.name); err != nil {
				var fe *inspect.FormatError
				if errors.As(err, &fe) {
					fe.Struct = fmt.Sprintf("%s entry %d", t.name, i) // made only for an error
				}
				// The entries before the first unreadable one are still
				// the table's: read them one by one.
				for k = 0; k < min(256, n-i); k++ {
					if im.ReadAt(buf[k*ent:(k+1)*ent], addr+(i+k)*ent, t.name) != nil {
						break
					}
				}
				if !visit(f, buf[:k*ent], t.name, i, t.rela, t.plt && lazy, addr, ent, fn) {
					return nil
				}
				return fmt.Errorf("%s: %w", t.name, err)
			}
			if !visit(f, buf[:k*ent], t.name, i, t.rela, t.plt && lazy, addr, ent, fn) {
				return nil
			}
		}
	}
	return nil
}

// visit calls fn for each entry in buf, entries from index i of a table
// at addr; it returns false when fn stops the walk.
func visit(f *inspect.File, buf []byte, table string, i uint64, rela, lazy bool, addr, ent uint64, fn func(r reloc) bool) bool {
	for j := uint64(0); j*ent < uint64(len(buf)); j++ {
		r := decodeReloc(f, buf[j*ent:], rela)
		r.table, r.index, r.lazy, r.addr = table, int64(i+j), lazy, addr+(i+j)*ent
		if !fn(r) {
			return false
		}
	}
	return true
}

func decodeReloc(f *inspect.File, e []byte, rela bool) reloc {
	o := f.ByteOrder()
	r := reloc{rela: rela}
	if f.Class == elf.ELFCLASS64 {
		info := o.Uint64(e[8:])
		r.off, r.sym, r.typ = o.Uint64(e), info>>32, uint32(info)
		if rela {
			r.addend = int64(o.Uint64(e[16:]))
		}
	} else {
		info := o.Uint32(e[4:])
		r.off, r.sym, r.typ = uint64(o.Uint32(e)), uint64(info>>8), info&0xff
		if rela {
			r.addend = int64(int32(o.Uint32(e[8:])))
		}
	}
	return r
}

// faultSignal is the signal a failed read through the loader's view
// raises: SIGBUS for a page past the end of the file, SIGSEGV otherwise.
func faultSignal(err error) string {
	var fe *inspect.FormatError
	if errors.As(err, &fe) && fe.Fault != inspect.FaultNone {
		return fe.Fault.Signal()
	}
	return "SIGSEGV"
}

// Relocation types ld.so treats specially, per machine.
type relocTypes struct {
	none, relative, relative64, jumpSlot, globDat, copy, irelative, tlsdesc uint32
	// size is the number of bytes written for each type it knows;
	// types missing from it are "unexpected reloc type".
	size map[uint32]uint64
	// plt is elf_machine_type_class's ELF_RTYPE_CLASS_PLT set.
	plt map[uint32]bool
	// full says the machine's elf_machine_rela is modelled type by type;
	// otherwise every type other than none/relative binds its symbol and
	// writes a word, and no type is refused.
	full bool
}

const noType = ^uint32(0)

func typesFor(m elf.Machine) relocTypes {
	switch m {
	case elf.EM_X86_64:
		x := func(t elf.R_X86_64) uint32 { return uint32(t) }
		return relocTypes{none: x(elf.R_X86_64_NONE), relative: x(elf.R_X86_64_RELATIVE), relative64: x(elf.R_X86_64_RELATIVE64),
			jumpSlot: x(elf.R_X86_64_JMP_SLOT), globDat: x(elf.R_X86_64_GLOB_DAT), copy: x(elf.R_X86_64_COPY),
			irelative: x(elf.R_X86_64_IRELATIVE), tlsdesc: x(elf.R_X86_64_TLSDESC), full: true,
			// The cases of elf_machine_rela's switch (sysdeps/x86_64/dl-machine.h).
			size: map[uint32]uint64{x(elf.R_X86_64_GLOB_DAT): 8, x(elf.R_X86_64_JMP_SLOT): 8, x(elf.R_X86_64_SIZE64): 8,
				x(elf.R_X86_64_DTPMOD64): 8, x(elf.R_X86_64_DTPOFF64): 8, x(elf.R_X86_64_TLSDESC): 16, x(elf.R_X86_64_TPOFF64): 8,
				x(elf.R_X86_64_64): 8, x(elf.R_X86_64_SIZE32): 4, x(elf.R_X86_64_32): 4, x(elf.R_X86_64_PC32): 4,
				x(elf.R_X86_64_COPY): 0, x(elf.R_X86_64_IRELATIVE): 8},
			plt: map[uint32]bool{x(elf.R_X86_64_JMP_SLOT): true, x(elf.R_X86_64_DTPMOD64): true, x(elf.R_X86_64_DTPOFF64): true,
				x(elf.R_X86_64_TPOFF64): true, x(elf.R_X86_64_TLSDESC): true}}
	case elf.EM_386:
		x := func(t elf.R_386) uint32 { return uint32(t) }
		return relocTypes{none: x(elf.R_386_NONE), relative: x(elf.R_386_RELATIVE), relative64: noType,
			jumpSlot: x(elf.R_386_JMP_SLOT), globDat: x(elf.R_386_GLOB_DAT), copy: x(elf.R_386_COPY),
			irelative: x(elf.R_386_IRELATIVE), tlsdesc: x(elf.R_386_TLS_DESC),
			plt: map[uint32]bool{x(elf.R_386_JMP_SLOT): true}}
	case elf.EM_AARCH64:
		x := func(t elf.R_AARCH64) uint32 { return uint32(t) }
		return relocTypes{none: x(elf.R_AARCH64_NONE), relative: x(elf.R_AARCH64_RELATIVE), relative64: noType,
			jumpSlot: x(elf.R_AARCH64_JUMP_SLOT), globDat: x(elf.R_AARCH64_GLOB_DAT), copy: x(elf.R_AARCH64_COPY),
			irelative: x(elf.R_AARCH64_IRELATIVE), tlsdesc: x(elf.R_AARCH64_TLSDESC),
			plt: map[uint32]bool{x(elf.R_AARCH64_JUMP_SLOT): true}}
	}
	return relocTypes{none: 0, relative: noType, relative64: noType, jumpSlot: noType, globDat: noType, copy: noType, irelative: noType, tlsdesc: noType}
}

// dtTLSDESCGOT is DT_TLSDESC_GOT, which debug/elf does not name.
const dtTLSDESCGOT = elf.DynTag(0x6ffffef7)

// dtTLSDESCPLT is DT_TLSDESC_PLT, the lazy TLS descriptors' entry.
const dtTLSDESCPLT = elf.DynTag(0x6ffffef6)

// relocator replays dl_main's relocation of every object
// (_dl_relocate_object, elf/dl-reloc.c) and the PLT bindings made later at
// the first call of each function (_dl_fixup, elf/dl-runtime.c).
type relocator struct {
	c         *checker
	scope     []*linkMap // the global scope: the main map's search list
	minor     int        // glibc 2.x of the loader; 0 when unknown
	lazy      bool       // GLRO(dl_lazy): LD_BIND_NOW is not set
	types     relocTypes
	word      uint64
	notes     map[string]bool
	fixups    []pltFixup
	steps     int // work done, bounded by maxReplaySteps
	selfCalls []selfCall
	// unrebased are objects whose PLT slots ld.so never rebased.
	unrebased []*relocFail
	// damage is relocation damage no linker writes (relmem.go).
	damage     []relocDamage
	damageSeen map[*linkMap]*damageSeen
	// dtorsTest caches dtorsTestOf: the PLT slot and the GOT slot an
	// object's __do_global_dtors_aux tests before calling through it.
	dtorsTest map[*linkMap][2]uint64
	seq       int // slotValue.seq of the last value recorded
	// boundInto are slots bound to a function symbol whose value is
	// not a function's start (boundcode.go).
	boundInto []boundInto
}

// pltFixup is a PLT slot bound lazily: _dl_fixup reads it at the first
// call through the slot.
type pltFixup struct {
	lm *linkMap
	r  reloc
	// slot is the slot's rebased content: where the first call through
	// the PLT jumps before ld.so has bound it (normally back into the
	// PLT, which calls _dl_fixup).
	slot uint64
	// rebasedTwice: the slot was bound by an earlier relocation, then
	// rebased as a lazy slot.
	rebasedTwice bool
	// prior is what an earlier relocation bound into the slot of a
	// program loaded at 0, which the rebase left as it was; overwritten
	// says an earlier write touched the slot at all (then slot, the
	// file's bytes, is not what the first call jumps to).
	prior       *slotValue
	overwritten bool
	// unapplied: the entry was never read at start-up (DT_JMPREL without
	// DT_PLTREL), so _dl_fixup is the first to see its type.
	unapplied bool
}

// maxReplaySteps bounds the whole relocation replay (entries, symbols
// and hash chain steps), so a damaged file whose every relocation walks a
// long chain cannot stall check; libxul needs about 10^7.
const maxReplaySteps = 1 << 25

// spend counts one step; it reports true once the budget is gone.
func (r *relocator) spend() bool {
	r.steps++
	return r.steps > maxReplaySteps
}

// relocFail is a relocation step that stops ld.so: a fault, an assertion,
// an error it signals, or a failed lookup.
type relocFail struct {
	lm   *linkMap
	r    *reloc
	what string // the step, for people
	err  error  // a read fault (FormatError), an *assertion
	// msg is the error ld.so signals (_dl_signal_error): "unexpected reloc
	// type 0x..." and the like; lookup is an undefined symbol.
	msg    string
	lookup *undefinedSym
	// site is where a fault happens when it is not in ld.so's relocation
	// (the program's start files, call_init).
	site string
	// possible narrows an undetermined read past the object's pages to
	// the outcomes the rest of what ld.so reads leaves open, for the
	// reason given in because.
	possible []Outcome
	because  string
	// tested: the failing call goes through a PLT slot whose symbol the
	// object also takes the address of (a GLOB_DAT of the same symbol,
	// bound to the same 0), as code does to test a weak function before
	// calling it: the call may never be made (hookSlot).
	tested bool
	// slots are the PLT relocations an object without DT_PLTREL left
	// unapplied, when they could be read and are every slot its PLT
	// entries jump through: the failure comes only if the program calls
	// one of them (anyCalled).
	slots []pltFixup
}

type undefinedSym struct {
	name, version string
	versioned     bool
	// relocated is a word ld.so wrote under the name or the version's
	// name (relocatedString), which then reads as RelocatedBytes.
	relocated    uint64
	hasRelocated bool
}

// RelocatedBytes stands in a predicted message for a name ld.so prints
// from bytes it wrote itself (a relocation, a rebased .dynamic pointer):
// a load address's bytes, another every run.
const RelocatedBytes = "<relocated-bytes>"

// relocations replays the relocation of every loaded object, in the order
// dl_main relocates them: l_initfini from its end (initfini.go; ld.so
// itself was relocated when it started).
func (c *checker) relocations() {
	if c.dyn == nil || len(c.loaded) == 0 {
		return
	}
	r := &relocator{c: c, lazy: c.opts.Getenv("LD_BIND_NOW") == "", types: typesFor(c.f.Machine), word: 8, notes: map[string]bool{}}
	if c.f.Class == elf.ELFCLASS32 {
		r.word = 4
	}
	if c.gm != nil {
		r.minor = c.gm.minor // the release dyninfo.go models
	}
	for _, o := range c.loaded {
		if o.preloaded && r.minor == 0 && o.path != "" {
			r.minor = loaderMinor(o.path)
		}
	}
	maps := make([]*linkMap, len(c.loaded))
	for i, o := range c.loaded {
		if o.dyn == nil {
			continue
		}
		lm, err := c.newLinkMap(o, i == 0 && !c.dlopen)
		if err != nil {
			continue // reported when the object was loaded
		}
		maps[i] = lm
	}
	for _, i := range c.searchOrder() {
		if maps[i] != nil {
			r.scope = append(r.scope, maps[i])
		}
	}
	c.reloc = r
	order := c.relocOrder()
	for j := len(order) - 1; j >= 0 && !c.stop; j-- {
		lm := maps[order[j]]
		if lm == nil || lm.obj.preloaded {
			continue
		}
		c.trace("relocation processing: %s%s", c.debugName(lm.obj), map[bool]string{true: " (lazy)"}[r.lazy && !bindNow(lm.obj.dyn)])
		if fail := r.relocateObject(lm); fail != nil {
			c.add(r.finding(fail, false))
			return
		}
		lm.relocated = true
		r.leftOut(lm)
		r.tlsIndexes(lm)
		r.variableSlots(lm)
		r.staticImports(lm)
		r.ehFrameLost(lm)
	}
	if c.libcIsProgram && !c.stop && maps[0] != nil && !r.definesEarlyInit(maps[0]) {
		// _dl_call_libc_early_init looks __libc_early_init up in the
		// program and asserts it finds it: libc.so.6 run as a program
		// defines it, a damaged program does not.
		c.add(Finding{Severity: SeverityFatal, Stage: StageReloc, Code: "libc-is-program", Outcome: OutcomeUndetermined,
			Possible: openBeforeMain(),
			Summary:  fmt.Sprintf("undetermined: %s's DT_SONAME is libc.so.6, so ld.so takes the program for the C library: every request for libc.so.6 finds the program, and once everything is relocated ld.so looks the C library's __libc_early_init up in the program, which does not define it: what follows is not replayed", filepath.Base(c.path)),
			Evidence: []string{fmt.Sprintf("DT_SONAME %q", c.loaded[0].soname)},
			Next:     "a program has no DT_SONAME of libc.so.6 unless its dynamic table was damaged: compare with the pristine file using `elfdoctor diff`"})
		return
	}
	if lm := maps[0]; lm != nil && lm.main && !c.stop {
		r.copyNotFilled(lm)
		if fail := r.startCall(lm); fail != nil {
			c.add(r.finding(fail, false))
			return
		}
	}
	// Each object's _init runs before main: a library's from call_init,
	// the program's from __libc_start_main after _start's call.
	inits := c.initfini()
	for j := len(inits) - 1; j >= 0; j-- {
		lm := maps[inits[j]]
		if lm == nil || lm.obj.preloaded || c.stop {
			continue
		}
		if fail := r.initGmonCall(lm); fail != nil {
			r.selfCalls = append(r.selfCalls, selfCall{name: "__gmon_start__", fail: fail})
		}
	}
}

// definesEarlyInit says whether the object's .dynsym defines
// __libc_early_init, which a C library does.
func (r *relocator) definesEarlyInit(lm *linkMap) bool {
	for i := uint64(1); i < min(r.symCount(lm), maxSymScan); i++ {
		s, err := lm.readSym(i)
		if err != nil {
			return false
		}
		if s.shndx == uint16(elf.SHN_UNDEF) {
			continue
		}
		if name := lm.symName(s); name.err == nil && name.s == "__libc_early_init" {
			return true
		}
	}
	return false
}

// startCall follows the program's _start to its call of
// __libc_start_main, the one call every glibc program makes before main:
// on x86-64, crt1.o's _start ends with `call *SLOT(%rip); hlt`, SLOT
// being the GOT entry a GLOB_DAT relocation binds. When no relocation
// ld.so applied wrote SLOT, the call jumps to what the file holds there.
func (r *relocator) startCall(lm *linkMap) *relocFail {
	f := lm.f
	if f.Machine != elf.EM_X86_64 {
		return nil
	}
	if r.c.inside(f, lm.obj.name, f.Entry, "the entry point") != nil {
		return nil // _start is not entered at its start (jumps.go): its call is not followed
	}
	if slot, ok := startCallSlot(f, lm.m); ok {
		if lm.written.has(slot) {
			return r.boundStartCall(lm, slot)
		}
		var b [8]byte
		if f.Image().ReadAt(b[:], slot, "__libc_start_main's GOT slot") != nil {
			return nil // a slot that cannot be read is another fault, not judged here
		}
		v := get64(f, b[:])
		if l := f.Image().Lookup(v); l.Mapped && l.Perm&elf.PF_X != 0 && f.Type == elf.ET_EXEC {
			return nil
		}
		return &relocFail{lm: lm, what: "calling __libc_start_main from _start", site: "in _start calling __libc_start_main, before main",
			err: &inspect.FormatError{Off: -1, Addr: slot, InMem: true, Struct: "__libc_start_main's GOT slot",
				Msg: fmt.Sprintf("_start calls through the GOT slot at 0x%x, which no relocation ld.so applied wrote: it still holds 0x%x from the file", slot, v), Fault: inspect.FaultUnmapped}}
	}
	return nil
}

// startCallsThrough says whether the lazily bound slot that fail's first
// call binds is the one _start calls __libc_start_main through, before
// main: true unless the program's _start is known to call through
// another slot (a PLT slot renamed __libc_start_main is called where the
// function it was made for is, after main's output: a soak case).
func (r *relocator) startCallsThrough(fail *relocFail) bool {
	lm := fail.lm
	if fail.r == nil || lm == nil || !lm.main {
		return true
	}
	slot, ok := startCallSlot(lm.f, lm.m)
	return !ok || slot == fail.r.off
}

// startCallSlot finds, in the first 96 bytes at the entry point, the
// `call *SLOT(%rip); hlt` that ends x86-64 crt1.o's _start, and returns
// SLOT. A static program's linker relaxes that call to a direct one
// (`addr32 call`), which has no slot.
func startCallSlot(f *inspect.File, m mem) (uint64, bool) {
	code := make([]byte, 96)
	if f.Machine != elf.EM_X86_64 || f.Image().ReadAt(code, f.Entry, "_start") != nil {
		return 0, false
	}
	for i := 0; i+7 <= len(code); i++ {
		if code[i] == 0xff && code[i+1] == 0x15 && code[i+6] == 0xf4 {
			disp := int64(int32(get32(f, code[i+2:])))
			return m.add(f.Entry+uint64(i)+6, uint64(disp)), true
		}
	}
	return 0, false
}

// boundStartCall judges the call _start makes through __libc_start_main's
// GOT slot when a relocation ld.so applied wrote it (boundCall).
func (r *relocator) boundStartCall(lm *linkMap, slot uint64) *relocFail {
	return r.boundCall(lm, slot, false, "__libc_start_main", "__libc_start_main's GOT slot", "calling __libc_start_main from _start", "in _start calling __libc_start_main, before main")
}

// boundCall judges a call the program's start files make through a GOT
// slot a relocation ld.so applied wrote: bound to code, the program goes
// on (to __libc_start_main, or into some other function whose run is not
// replayed); bound to an address that is not code (the object's ELF
// header, for a relocation whose symbol is the null symbol; a weak
// undefined symbol's 0 plus an addend), the call faults there. A slot a
// later write changed in part is not judged.
//
// The start files call one function through each slot (want): a slot
// the relocation filled for a symbol of another name runs that function
// in its place (reboundCall).
func (r *relocator) boundCall(lm *linkMap, slot uint64, skipNull bool, want, slotName, what, site string) *relocFail {
	v, ok := lm.values[slot]
	if !ok {
		return nil
	}
	// What the call reaches decides first: a target that is not code
	// faults whatever function the slot was meant for.
	if f := r.callThrough(lm, slot, v, skipNull, slotName, what, site, nil); f != nil {
		return f
	}
	if v.def != nil && v.ref != 0 && !v.mangled && !(skipNull && v.null()) {
		ref, err := lm.readSym(v.ref)
		if err != nil {
			return nil
		}
		if name := lm.symName(ref).s; name != want {
			return &relocFail{lm: lm, what: what, site: site, err: &reboundCall{obj: lm.obj.name, slot: slot, slotName: slotName, want: want,
				got: name, sym: v.ref, def: v.def.lm.obj.name}}
		}
	}
	return nil
}

// callThrough judges a call through a word holding v (boundCall); rl is
// the relocation of a PLT slot, when it is one.
func (r *relocator) callThrough(lm *linkMap, slot uint64, v slotValue, skipNull bool, slotName, what, site string, rl *reloc) *relocFail {
	if v.mangled && !v.unknown {
		if f := r.mangledCall(lm, slot, v, skipNull, slotName, what, site, rl); f != nil {
			return f
		}
	}
	if v.mangled || v.unknown {
		return nil
	}
	if skipNull && v.null() {
		return nil // the caller tests the pointer and makes no call
	}
	kind := inspect.FaultUnmapped
	fault := func(msg string) *relocFail {
		return &relocFail{lm: lm, r: rl, what: what, site: site,
			err: &inspect.FormatError{Off: -1, Addr: slot, InMem: true, Struct: slotName, Msg: msg, Fault: kind}}
	}
	if v.def == nil {
		// A weak undefined symbol is 0, plus the addend.
		if r.surelyUnmapped(lm, v.addend) {
			return fault(fmt.Sprintf("a relocation bound the slot at 0x%x to an undefined weak symbol, 0x%x, where nothing can be mapped: the call jumps there", slot, v.addend))
		}
		if rl == nil && v.addend != 0 {
			// Somewhere the kernel may or may not have mapped something
			// (jumps.go).
			return &relocFail{lm: lm, what: what, site: site, err: &jumpInto{what: "the call through " + slotName, target: v.addend, outside: true,
				source: []string{fmt.Sprintf("a relocation bound the GOT slot at 0x%x to an undefined weak symbol, 0 plus the addend 0x%x", slot, v.addend)}}}
		}
		return nil
	}
	s, def := v.def.s, v.def.lm
	// A TLS symbol is no exception: GLOB_DAT, JUMP_SLOT and R_X86_64_64
	// write SYMBOL_ADDRESS, the load address plus st_value, whatever the
	// type (a soak case: __cxa_finalize made STT_TLS matched the
	// program's own undefined symbol, value 0, and the call at exit went
	// to its ELF header).
	if s.shndx == uint16(elf.SHN_ABS) && s.typ() != elf.STT_GNU_IFUNC {
		// Absolute: st_value itself, not moved with the object (glibc
		// 2.28 and later; before, the load address plus a value of 0 is
		// the object's ELF header, which is not code either).
		if a := s.value + v.addend; r.surelyUnmapped(lm, a) {
			return fault(fmt.Sprintf("a relocation bound the slot at 0x%x to symbol %d (%s) of %s, an absolute symbol whose address 0x%x is where nothing can be mapped: the call jumps there",
				slot, s.index, orNone(def.symName(s).s), filepath.Base(def.obj.name), a))
		}
		return nil
	}
	if s.typ() == elf.STT_GNU_IFUNC {
		return nil // the address is a resolver's result
	}
	target := def.m.add(s.value, v.addend)
	if ts := taskSize(def.f); ts != 0 && def.f.Class == elf.ELFCLASS64 && target >= ts && target <= -ts {
		// Wherever the object is loaded (below TASK_SIZE), the address
		// is past TASK_SIZE, and below the top of memory.
		return fault(fmt.Sprintf("a relocation bound the slot at 0x%x to symbol %d (%s) of %s plus 0x%x: 0x%x past wherever it is loaded, beyond the process's address space; the call jumps there",
			slot, s.index, orNone(def.symName(s).s), filepath.Base(def.obj.name), v.addend, target))
	}
	l := def.f.Image().Lookup(target)
	var state string
	switch {
	case l.Mapped && l.Perm&elf.PF_X != 0:
		// Code, whose run is not replayed, unless a start-up call lands
		// where no function starts (jumps.go).
		if rl != nil {
			return nil
		}
		if j := r.c.inside(def.f, def.obj.name, target, "the call through "+slotName, boundSource(slot, s.index, def.symName(s).s, def.obj.name, v.addend, target)); j != nil {
			return &relocFail{lm: lm, r: rl, what: what, site: site, err: j}
		}
		return nil
	case l.Mapped:
		state = fmt.Sprintf("mapped %s by program header %d, not executable", inspect.FlagString(l.Perm), l.Prog)
		if kind = fetchFault(def.f, l); kind == inspect.FaultPastEOF {
			state += ", on a page past the end of the file"
		}
	case def == lm && target < lowestLoad(def.f):
		// Below the program nothing is mapped; past its end (the heap)
		// or outside a library, something may be.
		state = "below the program's first segment, where nothing is mapped"
	case r.pastProgramHeap(def, target):
		state = pastHeapState()
	default:
		if rl == nil {
			// Outside every segment of the object: what is there depends
			// on where the kernel put each object (jumps.go). With no
			// addend, the symbol's own value lies outside its object
			// (a symbol table read at the wrong place).
			lo, hi := r.mappedSpan(def)
			j := &jumpInto{what: "the call through " + slotName, obj: def.obj.name, target: target, outside: true,
				source: []string{boundSource(slot, s.index, def.symName(s).s, def.obj.name, v.addend, target),
					fmt.Sprintf("0x%x is outside every segment of %s, whose mapping spans 0x%x-0x%x at link time", target, filepath.Base(def.obj.name), lo, hi)}}
			if v.addend == 0 {
				j.damage = fmt.Sprintf("the address is symbol %d of %s as ld.so read it (%s, st_shndx %d, st_value 0x%x), outside every segment of that object: a linker gives a symbol an address inside its object, or SHN_ABS; the symbol table or the relocation's symbol index was damaged",
					s.index, filepath.Base(def.obj.name), s.bind(), s.shndx, s.value)
			}
			return &relocFail{lm: lm, what: what, site: site, err: j}
		}
		return nil
	}
	name := def.symName(s).s
	return fault(fmt.Sprintf("a relocation bound the slot at 0x%x to symbol %d (%s) of %s plus 0x%x, vaddr 0x%x there, %s: the call jumps there",
		slot, s.index, orNone(name), filepath.Base(def.obj.name), v.addend, target, state))
}

// surelyUnmapped says whether nothing can be mapped at addr in the
// process before main, on x86-64 Linux: below vm.mmap_min_addr; below the
// program (a PIE is loaded at ELF_ET_DYN_BASE or above) and below the
// lowest mmap base any layout gives (TASK_SIZE/6 less the 2^40 bytes of
// randomisation, taken as 2^43); between an ET_EXEC program's heap (its
// end plus a generous 4 GiB) and that mmap base; at or past TASK_SIZE.
func (r *relocator) surelyUnmapped(lm *linkMap, addr uint64) bool {
	return r.c.surelyUnmapped(lm.f, addr)
}

// surelyUnmapped is relocator.surelyUnmapped for an address object f's
// code uses.
func (c *checker) surelyUnmapped(f *inspect.File, addr uint64) bool {
	ts := taskSize(f)
	if ts == 0 || f.Class != elf.ELFCLASS64 {
		return addr < mmapMinAddr()
	}
	if addr < mmapMinAddr() || addr >= ts {
		return true
	}
	const mmapLow = 1 << 43
	prog := c.program()
	if c.dlopen {
		// The process's program is not this file: it is --loaded-by's,
		// when that was replayed (the libraries dlopen maps go in the
		// mmap area, above it), and unknown otherwise (seed 8220005123:
		// a PLT slot left at its link-time address 0x1036, which a
		// constructor called while dlopen ran it).
		if !c.hostDone || len(c.hostObjs) == 0 || c.hostObjs[0].f == nil {
			return false
		}
		prog = c.hostObjs[0].f
	}
	if prog.Type == elf.ET_DYN {
		return addr < mmapLow
	}
	low, high := lowestLoad(prog), uint64(0)
	for _, p := range prog.ProgsOfType(elf.PT_LOAD) {
		if end, ok := addNoOverflow(p.Vaddr, p.Memsz); ok {
			high = max(high, end)
		}
	}
	return addr < min(low, mmapLow) || (high < mmapLow-(1<<32) && addr >= high+(1<<32) && addr < mmapLow)
}

// mmapMinAddr is vm.mmap_min_addr: nothing is mapped below it but by a
// process with CAP_SYS_RAWIO that asks for it (fixedMapping), which no
// linker's output does. 4096 when it cannot be read (Linux's least
// useful value).
func mmapMinAddr() uint64 {
	mmapMin.Do(func() {
		mmapMin.v = 4096
		if b, err := readProc("/proc/sys/vm/mmap_min_addr", 64); err == nil {
			var v uint64
			if _, err := fmt.Sscan(string(b), &v); err == nil && v > mmapMin.v {
				mmapMin.v = v
			}
		}
	})
	return mmapMin.v
}

var mmapMin struct {
	sync.Once
	v uint64
}

// readProc reads a file of /proc, to its end and at most max bytes: such
// files report size 0 in stat, so a read sized by stat (readCapped) sees
// nothing.
func readProc(path string, max int64) ([]byte, error) {
	fh, err := safeopen.Regular(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return io.ReadAll(io.LimitReader(fh, max))
}

// initGmonCall replays the call glibc's crti.o makes in _init (an
// object's DT_INIT, run before main): `mov __gmon_start__@GOTPCREL(%rip),
// %rax; test %rax,%rax; je; call *%rax`. When a relocation wrote that
// slot, what it bound is judged (boundCall); a slot left at 0 is skipped.
func (r *relocator) initGmonCall(lm *linkMap) *relocFail {
	init, what, ok := initAddr(lm)
	if !ok || r.c.inside(lm.f, lm.obj.name, init, what) != nil {
		return nil // no _init, or not entered at its start (jumps.go)
	}
	slot, ok := gmonSlot(lm)
	if !ok || !lm.written.has(slot) {
		return nil
	}
	return r.boundCall(lm, slot, true, "__gmon_start__", "__gmon_start__'s GOT slot", "calling __gmon_start__ from _init", "in _init (crti.o) calling __gmon_start__, before main")
}

// initAddr is where _init runs from: DT_INIT, except in a program
// linked before glibc 2.34, whose __libc_csu_init calls _init where it
// was linked, whatever DT_INIT says (linkedInit). what names the source.
func initAddr(lm *linkMap) (addr uint64, what string, ok bool) {
	if lm.main && legacyStart(lm.obj) {
		if s := linkedInit(lm.f, lm.d); s.hasSingle {
			return s.singleAddr, "_init", true
		}
	}
	addr, ok = lm.d.Tag(elf.DT_INIT)
	return addr, "DT_INIT", ok
}

// gmonSlot finds, in the first bytes of an x86-64 object's DT_INIT, the
// call crti.o's _init makes through __gmon_start__'s GOT slot, and
// returns the slot.
func gmonSlot(lm *linkMap) (uint64, bool) {
	f := lm.f
	init, _, ok := initAddr(lm)
	if !ok || f.Machine != elf.EM_X86_64 {
		return 0, false
	}
	code := make([]byte, 32)
	if f.Image().ReadAt(code, init, "_init") != nil {
		return 0, false
	}
	for i := 0; i+14 <= len(code); i++ {
		// 48 8b 05 disp32 | 48 85 c0 | 74 xx | ff d0
		if code[i] != 0x48 || code[i+1] != 0x8b || code[i+2] != 0x05 || code[i+7] != 0x48 || code[i+8] != 0x85 || code[i+9] != 0xc0 ||
			code[i+10] != 0x74 || code[i+12] != 0xff || code[i+13] != 0xd0 {
			continue
		}
		disp := int64(int32(get32(f, code[i+3:])))
		return lm.m.add(init+uint64(i)+7, uint64(disp)), true
	}
	return 0, false
}

// lowestLoad is the page where f's first PT_LOAD starts.
func lowestLoad(f *inspect.File) uint64 {
	low := ^uint64(0)
	for _, p := range f.ProgsOfType(elf.PT_LOAD) {
		low = min(low, p.Vaddr&^(inspect.PageSizeFor(f.Machine)-1))
	}
	return low
}

// anyCalled says whether the program may call through one of the
// unapplied PLT slots: not when crtstuff's guards skip each
// (__cxa_finalize's, whose caller tests a GOT word ld.so left 0; seed
// 9999809704, a library whose DT_PLTREL became a second DT_RELASZ).
func (r *relocator) anyCalled(slots []pltFixup) bool {
	for _, fx := range slots {
		if !r.guardedAway(fx) && !r.skippedByTest(fx) {
			return true
		}
	}
	return false
}

// firstCalls judges the lazily bound first calls (lazyFirstCalls)
// against a fault programData held: the program's first read of .rodata
// or .data may come in main before or after its first call of a library
// function (main passes a string's address to puts, which would read it,
// but puts' binding fails first), so a failing first call leaves both
// open. __libc_start_main's call, which _start makes before main, and a
// failure at exit do not: the first comes before the read, the second
// after it.
func (c *checker) firstCalls() {
	n := len(c.res.Findings)
	c.lazyFirstCalls()
	d := c.dataFault
	c.dataFault = nil
	if d == nil {
		return
	}
	if len(c.res.Findings) == n {
		c.add(*d)
		return
	}
	f := c.res.Findings[n]
	open := f.Outcome == OutcomeUndetermined && slices.Contains(f.Possible, OutcomeFirstCall)
	switch {
	case f.Stage == StageExit:
		c.res.Findings = c.res.Findings[:n]
		c.add(*d)
		return
	case f.Outcome != OutcomeFirstCall && !open:
		return
	}
	m := *d
	m.Outcome, m.Signal, m.Message = OutcomeUndetermined, "", ""
	m.Possible = []Outcome{OutcomeCrash}
	possible := f.Possible
	if !open {
		possible = []Outcome{f.Outcome}
	}
	for _, o := range possible {
		// Once past the call, main goes on to the read that faults: it
		// neither runs to its end nor exits normally.
		if o != OutcomeStarts && o != OutcomeExitCrash && !slices.Contains(m.Possible, o) {
			m.Possible = append(m.Possible, o)
		}
	}
	m.Summary = "undetermined: " + d.Summary + ", unless main first calls a library function whose lazy binding fails, before its code reads there; which comes first is the program's own code, which is not replayed"
	m.Evidence = append(m.Evidence, "and the first call fails: "+f.Summary)
	c.res.Findings = slices.Insert(c.res.Findings, n, m)
	c.stop = true
}

// lazyFirstCalls replays _dl_fixup for the PLT slots ld.so left to bind
// lazily: the program has started, and the first call through a slot
// whose binding fails stops it there. Which call comes first is the
// program's business; __libc_start_main is the one _start makes before
// main.
func (c *checker) lazyFirstCalls() {
	r := c.reloc
	if r == nil {
		return
	}
	var first *relocFail
	for _, sc := range r.selfCalls {
		if sc.name == "__libc_start_main" || sc.name == "__gmon_start__" {
			c.add(r.finding(sc.fail, false))
			return
		}
		if first == nil {
			first = sc.fail
		}
	}
	// ordered says whether first is known to come before the slots' own
	// first calls: a start-file call is; an unrebased slot is one slot
	// among the others (slots, in load order).
	ordered := first != nil
	var slots []*relocFail
	for _, u := range r.unrebased {
		if noPLTEntries(u.lm.f) {
			// Only PLT0 and no stub: nothing calls through a slot.
			continue
		}
		if u.slots != nil && !r.anyCalled(u.slots) {
			continue
		}
		slots = append(slots, u)
		break
	}
	// A slot whose binding reads past l_versions leaves the outcome
	// open, whichever slot the program calls first: it decides over the
	// others, except __libc_start_main's, which _start calls before all.
	var unknown *relocFail
	// maybe is a __cxa_finalize slot whose only caller may skip the call
	// (maybeGuardedAway), at guard.
	var maybe *relocFail
	var guard uint64
	var tested *relocFail // a weak function's slot, maybe behind its test
	var errorPath *relocFail
	// twin is a slot whose import another import of the object is
	// named after: one of the two was renamed, and the slot's name does
	// not say which function the code that calls it was built for.
	var twin *relocFail
	// inSystem is a slot of a library the distribution installed: which
	// of its functions a run reaches is the program's use of it
	// (libstdc++'s fegetround, seed 9300001656), not something the
	// files decide.
	var inSystem *relocFail
	for _, fx := range r.fixups {
		if r.guardedAway(fx) {
			continue
		}
		fail := r.fixup(fx)
		if fail == nil || r.skippedByTest(fx) {
			continue
		}
		if g, ok := r.maybeGuardedAway(fx); ok {
			if maybe == nil {
				maybe, guard = fail, g
			}
			continue
		}
		if fail.tested {
			if tested == nil {
				tested = fail
			}
			continue
		}
		if fn := r.slotFunction(fail); r.importedTwice(fail.lm, fn) {
			if twin == nil {
				twin = fail
			}
			continue
		} else if onErrorPath(fn) || r.renamedFromErrorPath(fail, fn) != "" || (fn == "" && r.lostErrorPath(fail) != "") {
			if errorPath == nil {
				errorPath = fail
			}
			continue
		}
		if fail.lm != nil && fail.lm.obj.system && fail.lm.obj != c.loaded[0] {
			if inSystem == nil {
				inSystem = fail
			}
			continue
		}
		if fail.lookup != nil && fail.lookup.name == "__libc_start_main" && r.startCallsThrough(fail) {
			c.add(r.finding(fail, false))
			return
		}
		var pv *pastVersionsRead
		var so *setupOverwritten
		var rc *reboundCall
		var ji *jumpInto
		var vw *versymWritten
		if errors.As(fail.err, &pv) || errors.As(fail.err, &so) || errors.As(fail.err, &rc) || errors.As(fail.err, &ji) || errors.As(fail.err, &vw) {
			if unknown == nil {
				unknown = fail
			}
			continue
		}
		slots = append(slots, fail)
	}
	var other *relocFail // a slot failing another way than first
	if !ordered {
		first, other = r.firstSlot(slots)
	}
	if unknown != nil {
		if unknown.r != nil {
			c.firstCallRel = append(c.firstCallRel, *unknown.r)
		}
		fd := r.finding(unknown, true)
		var ji *jumpInto
		if errors.As(unknown.err, &ji) {
			fd.Stage = StageReloc // a lazily bound slot's first call
		}
		if first != nil {
			// Another slot fails whatever the read gives: whichever the
			// program calls first, it stops at a first call (or, after
			// a jump no file decides, may never return).
			fd.Possible = slices.DeleteFunc(fd.Possible, func(o Outcome) bool { return o == OutcomeStarts })
			fd.Evidence = append(fd.Evidence, "another lazily bound slot fails at its first call whatever that read gives: "+r.finding(first, true).Summary)
		}
		c.add(fd)
		return
	}
	for _, f := range []*relocFail{first, other} {
		if f != nil && f.r != nil {
			c.firstCallRel = append(c.firstCallRel, *f.r)
		}
	}
	if twin != nil {
		fd := r.finding(twin, true)
		name := r.slotFunction(twin)
		fd.Code, fd.Outcome, fd.Signal, fd.Message, fd.ExitStatus = "first-call-renamed-import", OutcomeUndetermined, "", "", 0
		fd.Possible = []Outcome{OutcomeStarts, OutcomeFirstCall}
		fd.Summary = fmt.Sprintf("undetermined: a lazily bound PLT slot of %s fails at its first call (%s), but another import of %s is called %s too: one of the two was renamed after linking (patchelf --rename-dynamic-symbols), so the slot may be a function's the program calls on every run or one it calls only when something goes wrong", filepath.Base(twin.lm.obj.name), strings.TrimPrefix(fd.Summary, c.firstCallLead()), filepath.Base(twin.lm.obj.name), name)
		if first != nil {
			// Another slot fails whatever the program calls: it stops at
			// a first call, but which one is its code's order.
			fd.Possible = []Outcome{OutcomeFirstCall}
			fd.Evidence = append(fd.Evidence, "another lazily bound slot fails at its first call too: "+r.finding(first, true).Summary)
			if first.r != nil {
				c.firstCallRel = append(c.firstCallRel, *first.r)
			}
		}
		if twin.r != nil {
			c.firstCallRel = append(c.firstCallRel, *twin.r)
		}
		c.add(fd)
		return
	}
	if first != nil && other != nil {
		// Two slots fail differently (a signal and a loader error, say):
		// which the program calls first is its own code's order.
		a, b := r.finding(first, true), r.finding(other, true)
		a.Outcome, a.Possible, a.Signal, a.Message, a.ExitStatus = OutcomeUndetermined, []Outcome{OutcomeFirstCall}, "", "", 0
		a.Summary = "undetermined: the program stops at the first call of a lazily bound function, and which slot it calls first decides how: " + a.Summary + "; or " + b.Summary
		a.Evidence = append(a.Evidence, b.Evidence...)
		c.add(a)
		return
	}
	if first != nil {
		fd := r.finding(first, true)
		if n := ownInitialisers(first.lm); n > 0 {
			when := "before main"
			if c.dlopen {
				when = "while dlopen runs them, before it returns"
			}
			own := "an initialiser"
			if n > 1 {
				own = fmt.Sprintf("%d initialisers", n)
			}
			fd.Evidence = append(fd.Evidence, fmt.Sprintf("%s has %s of its own in DT_INIT_ARRAY besides crtstuff's frame_dummy: if one calls through this slot, the failure comes %s", filepath.Base(first.lm.obj.name), own, when))
		}
		c.add(fd)
		return
	}
	if errorPath != nil {
		fd := r.finding(errorPath, true)
		name := r.slotFunction(errorPath)
		if name == "" {
			name = fmt.Sprintf("%s, maybe: the slot's symbol cannot be read, and it is one of the functions %s imports that no relocation names any more", r.lostErrorPath(errorPath), filepath.Base(errorPath.lm.obj.name))
		} else if was := r.renamedFromErrorPath(errorPath, name); was != "" && !onErrorPath(name) {
			name = fmt.Sprintf("%s, renamed from %s (the name %s's DT_STRTAB still holds, which nothing refers to)", name, was, filepath.Base(errorPath.lm.obj.name))
		}
		fd.Code, fd.Outcome, fd.Signal, fd.Message = "first-call-error-path", OutcomeUndetermined, "", ""
		fd.Possible = []Outcome{OutcomeStarts, OutcomeFirstCall}
		fd.Summary = fmt.Sprintf("undetermined: a lazily bound PLT slot of %s fails at its first call, but it is the slot of %s, which compiled code calls only when something has gone wrong (an exception's clean-up, a failed check): a run that never takes that path runs normally, one that does stops there", filepath.Base(errorPath.lm.obj.name), name)
		c.add(fd)
		return
	}
	if inSystem != nil {
		fd := r.finding(inSystem, true)
		base := filepath.Base(inSystem.lm.obj.name)
		fd.Code, fd.Outcome, fd.Signal, fd.Message = "first-call-in-system-library", OutcomeUndetermined, "", ""
		fd.Possible = []Outcome{OutcomeStarts, OutcomeFirstCall}
		fd.Summary = fmt.Sprintf("undetermined: a lazily bound PLT slot of %s, a library of the system, fails at its first call (%s): a run that uses %s without reaching that function runs normally, one that reaches it stops there", base, strings.TrimPrefix(fd.Summary, c.firstCallLead()), base)
		c.add(fd)
		return
	}
	if tested != nil {
		fd := r.finding(tested, true)
		fd.Code, fd.Outcome, fd.Signal, fd.Message = "first-call-maybe-tested", OutcomeUndetermined, "", ""
		fd.Possible = []Outcome{OutcomeStarts, OutcomeFirstCall}
		fd.Summary = fmt.Sprintf("undetermined: a lazily bound PLT slot of %s names a weak symbol no loaded object defines, whose address the object also loads from a GOT slot, which ld.so binds to 0 as well: code that tests a weak function before calling it skips the call, and the program runs; a call made without that test jumps to 0", filepath.Base(tested.lm.obj.name))
		c.add(fd)
		return
	}
	if maybe != nil {
		fd := r.finding(maybe, true)
		base := filepath.Base(maybe.lm.obj.name)
		fd.Stage, fd.Code, fd.Outcome, fd.Signal, fd.Message = StageExit, "dtors-maybe-skipped", OutcomeUndetermined, "", ""
		fd.Possible = []Outcome{OutcomeStarts, OutcomeExitCrash}
		fd.Summary = fmt.Sprintf("undetermined: at exit, %s's __do_global_dtors_aux calls __cxa_finalize through a PLT slot whose first call faults, unless completed.0 (at 0x%x), which it tests first, is non-zero: a misaligned relocation wrote a byte of the load address there, so that depends on where %s is loaded (nearly always non-zero: no call, and the program exits normally)", base, guard, base)
		c.add(fd)
	}
}

// renamedFromErrorPath is the error-path function a failing slot may
// have been made for before a rename: its import, fn, is defined by
// nothing loaded, and the object's DT_STRTAB still holds an error-path
// function's name that nothing refers to (seed 9330002512:
// __cxa_free_exception renamed __cxa_free_exception_r, whose slot a run
// without exceptions never calls). "" when there is none.
func (r *relocator) renamedFromErrorPath(f *relocFail, fn string) string {
	if fn == "" || f.lm == nil || f.lookup == nil || f.lookup.name != fn {
		return ""
	}
	for _, name := range r.orphanSymbolNames(f.lm) {
		if onErrorPath(name) {
			return name
		}
	}
	return ""
}

// lostErrorPath is an error-path function among those the slot's object
// imports that no relocation names any more, for a slot whose own symbol
// says nothing (slotFunction gave ""): with more than one lost, the slot
// may be that function's (seed 9998391815: __cxa_free_exception's slot
// moved past the symbol table, beside a second relocation moved off
// std::runtime_error's destructor). "" when there is none.
func (r *relocator) lostErrorPath(f *relocFail) string {
	if f.lm == nil {
		return ""
	}
	for _, name := range r.lostImports(f.lm) {
		if onErrorPath(name) {
			return name
		}
	}
	return ""
}

// importedTwice says two undefined dynamic symbols of lm are called
// name, whatever their versions: one was renamed onto the other, and
// the slot's name says neither that it is the error path it names (seed
// 9330001594: __ostream_insert renamed __cxa_free_exception, whose slot
// main calls first) nor that it is not (seed 9300057507: _Unwind_Resume
// renamed __cxa_end_catch, never called in a run without exceptions).
func (r *relocator) importedTwice(lm *linkMap, name string) bool {
	if lm == nil || name == "" {
		return false
	}
	seen := 0
	r.eachImport(lm, r.dynsymCount(lm), func(_ uint64, _ *sym, nm cstr) bool {
		if nm.err == nil && nm.s == name {
			seen++
		}
		return seen < 2
	})
	return seen > 1
}

// firstCallLead opens the summary of a failure at a lazily bound
// slot's first call.
func (c *checker) firstCallLead() string {
	if c.dlopen {
		return "dlopen loads it, and the process stops at the first call through one of its lazily bound PLT slots: "
	}
	return "the program starts, and stops at the first call through a lazily bound PLT slot: "
}

// ownInitialisers counts the DT_INIT_ARRAY entries of lm past the first,
// which crtstuff's frame_dummy takes in what gcc and clang link: the
// object's own constructors, which may make its first calls before
// main (seed 8220005123: libchain.so's constructor called through a
// PLT slot left unrebased, inside dlopen).
func ownInitialisers(lm *linkMap) uint64 {
	size, ok := lm.d.Tag(elf.DT_INIT_ARRAYSZ)
	if _, has := lm.d.Tag(elf.DT_INIT_ARRAY); !ok || !has {
		return 0
	}
	word := uint64(8)
	if lm.f.Class == elf.ELFCLASS32 {
		word = 4
	}
	n := size / word
	if n <= 1 || n > 1<<20 {
		return 0
	}
	return n - 1
}

// slotFunction names the function a failing lazily bound slot was made
// for: its relocation's symbol when that is an imported function whose
// name can be read, else the one import no relocation names any more
// (lostImport), else "".
func (r *relocator) slotFunction(f *relocFail) string {
	if f.r == nil || f.lm == nil {
		return ""
	}
	if f.r.sym != 0 {
		if s, err := f.lm.readSym(f.r.sym); err == nil && s.shndx == uint16(elf.SHN_UNDEF) && s.typ() == elf.STT_FUNC {
			// A name .symtab does not list as an import is one the
			// damage made (seed 8310000000 on: __cxa_free_exception's
			// name offset moved onto "_exception").
			if name := f.lm.symName(s); name.err == nil {
				if static := r.symtabImports(f.lm); len(static) == 0 || static[name.s] {
					return name.s
				}
			}
		}
	}
	name, _ := r.lostImport(f.lm)
	return name
}

// onErrorPath says whether compiled code calls the function only when
// something went wrong, so a program may never make that call: the
// unwinder's resumption after a clean-up (_Unwind_Resume), the C++
// runtime's failure paths (a throw that cannot allocate, an exception
// escaping, a pure virtual call, the library's __throw_* helpers), and
// the checks of -fstack-protector and _FORTIFY_SOURCE. A C++ program
// has a PLT slot for each that it might need (gxx-pie: _Unwind_Resume
// and __cxa_free_exception, never called in a run that goes well).
func onErrorPath(name string) bool {
	switch name {
	case "_Unwind_Resume", "__cxa_free_exception", "__cxa_call_unexpected", "__cxa_call_terminate",
		"__cxa_pure_virtual", "__cxa_deleted_virtual", "__cxa_bad_cast", "__cxa_bad_typeid",
		"__cxa_throw_bad_array_new_length", "__cxa_throw_bad_array_length", "_ZSt9terminatev",
		"__stack_chk_fail", "__chk_fail", "__fortify_fail", "__assert_fail":
		return true
	}
	// std::__throw_length_error and the others: _ZSt<len>__throw_...
	if rest, ok := strings.CutPrefix(name, "_ZSt"); ok {
		rest = strings.TrimLeft(rest, "0123456789")
		return strings.HasPrefix(rest, "__throw_")
	}
	return false
}

// firstSlot picks, of the lazily bound slots that fail at their first
// call, the one the program calls first, and another that fails
// differently when the order of the program's own calls decides between
// them. A slot of __cxa_finalize is called only by crtstuff's
// __do_global_dtors_aux at exit, after every call main makes; the others
// are called in whatever order the program's code has.
func (r *relocator) firstSlot(slots []*relocFail) (first, other *relocFail) {
	var early, atExit []*relocFail
	for _, f := range slots {
		if r.slotSymbol(f) == "__cxa_finalize" {
			atExit = append(atExit, f)
		} else {
			early = append(early, f)
		}
	}
	class := early
	if len(class) == 0 {
		class = atExit
	}
	if len(class) == 0 {
		return nil, nil
	}
	first = class[0]
	a := r.finding(first, true)
	for _, f := range class[1:] {
		if failsOtherwise(a, r.finding(f, true)) {
			return first, f
		}
	}
	return first, nil
}

// slotSymbol names the symbol of a failing slot's relocation, "" when it
// cannot be read.
func (r *relocator) slotSymbol(f *relocFail) string {
	if f.lookup != nil {
		return f.lookup.name
	}
	if f.r == nil || f.lm == nil || f.r.sym == 0 {
		return ""
	}
	s, err := f.lm.readSym(f.r.sym)
	if err != nil {
		return ""
	}
	return f.lm.symName(s).s
}

// failsOtherwise says whether two first-call failures differ in what a
// run shows: the signal, or for ld.so's errors the message (each names
// its symbol) and exit status.
func failsOtherwise(a, b Finding) bool {
	if a.Signal != "" || b.Signal != "" {
		return a.Signal != b.Signal
	}
	return a.Message != b.Message || a.ExitStatus != b.ExitStatus
}

// dynBase is the lowest address Linux loads a position-independent
// program at (ELF_ET_DYN_BASE); libraries go higher.
func dynBase(f *inspect.File) uint64 {
	if f.Class == elf.ELFCLASS32 {
		return 0x56555000
	}
	return 0x555555554000
}

// relocateObject replays _dl_relocate_object for one object.
func (r *relocator) relocateObject(lm *linkMap) *relocFail {
	d := lm.d
	// Before glibc 2.35 _dl_relocate_object reads the string table's
	// address first thing (elf/dl-reloc.c, for RESOLVE_MAP), whether or
	// not a name is ever looked up: bullseye's 2.31 faults there on an
	// object without DT_STRTAB. 2.35 reads it only for a lookup.
	if r.minor != 0 && r.minor < 35 && !lm.hasStrtab {
		return &relocFail{lm: lm, what: "reading the string table's address as relocation starts (_dl_relocate_object)", err: nullRead(elf.DT_STRTAB)}
	}
	lazy := r.lazy && !bindNow(d)
	_, textrel := d.Tag(elf.DT_TEXTREL)
	textrel = textrel || d.Flags&elf.DF_TEXTREL != 0
	// elf_machine_runtime_setup: with lazy PLT slots, ld.so records
	// itself in the GOT's second and third words.
	if _, ok := d.Tag(elf.DT_JMPREL); ok && lazy {
		got, ok := d.Tag(elf.DT_PLTGOT)
		if !ok {
			return &relocFail{lm: lm, what: "setting up lazy binding (elf_machine_runtime_setup)", err: nullRead(elf.DT_PLTGOT)}
		}
		var b [8]byte
		if err := lm.f.Image().ReadAt(b[:r.word], lm.m.add(got, r.word), "GOT[1]"); err != nil {
			return &relocFail{lm: lm, what: "reading GOT[1] (elf_machine_runtime_setup)", err: err}
		}
		if v := get64(lm.f, b[:]); r.word == 8 && v != 0 && lm.f.Machine == elf.EM_X86_64 {
			// if (got[1]) { l_mach.plt = got[1] + l_addr; l_mach.gotplt = &got[3]; }
			lm.setup.plt, lm.setup.gotplt, lm.setup.hasPLT = v, lm.m.add(got, 3*r.word), true
		}
		for k := uint64(1); k <= 2; k++ {
			if err := r.write(lm, lm.m.add(got, k*r.word), r.word, textrel, fmt.Sprintf("GOT[%d]", k)); err != nil {
				return &relocFail{lm: lm, what: "setting up lazy binding (elf_machine_runtime_setup)", err: err}
			}
		}
		lm.setup.got1, lm.setup.ok = lm.m.add(got, r.word), true
		if fail := r.setupOverDynamic(lm); fail != nil {
			return fail
		}
	}
	// x86-64's elf_machine_runtime_setup before glibc 2.34 also stores
	// _dl_tlsdesc_resolve_rela at the load address plus DT_TLSDESC_GOT
	// (not rebased by elf_get_dynamic_info), lazy or not of DT_JMPREL.
	if v, ok := d.Tag(dtTLSDESCGOT); ok && lazy && lm.f.Machine == elf.EM_X86_64 && r.minor != 0 && r.minor < 34 {
		if err := r.write(lm, v, r.word, textrel, "DT_TLSDESC_GOT slot"); err != nil {
			return &relocFail{lm: lm, what: "setting up lazy TLS descriptors (elf_machine_runtime_setup)", err: err}
		}
	}
	// _ELF_DYNAMIC_DO_RELOC (elf/dynamic-link.h): the machine's one kind
	// of table (DT_RELA on x86-64 and aarch64, DT_REL on i386), and
	// DT_JMPREL read as the same kind whatever DT_PLTREL says.
	relTag, szTag, cntTag, rela := elf.DT_RELA, elf.DT_RELASZ, dtRELACOUNT, true
	if lm.f.Machine == elf.EM_386 || lm.f.Machine == elf.EM_ARM {
		relTag, szTag, cntTag, rela = elf.DT_REL, elf.DT_RELSZ, dtRELCOUNT, false
	}
	type rng struct {
		start, size, nrelative uint64
		lazy                   bool
	}
	var ranges [2]rng
	relSet := false
	// glibc 2.36 and later skip a DT_RELA of 0 (DT_RELR may replace it);
	// older ones read it at the load address.
	if v, ok := d.Tag(relTag); ok && (v != 0 || (r.minor != 0 && r.minor < 36)) {
		relSet = true
		sz, ok := d.Tag(szTag)
		if !ok {
			return &relocFail{lm: lm, what: "reading the relocation table's size", err: nullRead(szTag)}
		}
		ranges[0].start, ranges[0].size = v, sz
		if n, ok := d.Tag(cntTag); ok {
			ranges[0].nrelative = n
		}
	}
	_, hasPLTRel := d.Tag(elf.DT_PLTREL)
	if jmp, ok := d.Tag(elf.DT_JMPREL); ok && !hasPLTRel && lm.f.Type == elf.ET_DYN {
		// DT_PLTRELSZ is not read either: a DT_JMPREL says the object
		// has PLT slots, whatever became of its size.
		if sz, ok := d.Tag(elf.DT_PLTRELSZ); !ok || sz > 0 {
			// Without DT_PLTREL ld.so applies nothing from DT_JMPREL:
			// the PLT slots keep their link-time values.
			r.unrebased = append(r.unrebased, &relocFail{lm: lm, what: "calling through the PLT for the first time",
				err: &inspect.FormatError{Off: -1, Addr: jmp, InMem: true, Struct: "DT_JMPREL",
					Msg: "the dynamic table has DT_JMPREL but no DT_PLTREL, so ld.so applies none of the PLT relocations: the slots hold link-time addresses, not where the object is loaded", Fault: inspect.FaultUnmapped},
				slots: r.pltSlots(lm, jmp, sz, rela)})
		}
	}
	if jmp, ok := d.Tag(elf.DT_JMPREL); ok && !hasPLTRel && lm.f.Type == elf.ET_EXEC && lazy {
		// In a program loaded at 0 the untouched slots lead into the PLT
		// as linked, and elf_machine_runtime_setup (which needs only
		// DT_JMPREL) set GOT[1] and GOT[2]: each first call reaches
		// _dl_fixup, which reads DT_JMPREL's entry without DT_PLTREL.
		if size, ok := d.Tag(elf.DT_PLTRELSZ); ok {
			r.unappliedFixups(lm, jmp, size, rela)
		}
	}
	if _, ok := d.Tag(elf.DT_JMPREL); ok && !hasPLTRel && lm.f.Type == elf.ET_EXEC && !lazy {
		// Bound now, ld.so neither applies the PLT relocations nor sets
		// up lazy binding: a first call runs the PLT stub as linked,
		// and PLT0 jumps through GOT[2], which still holds the file's
		// word (0 as linkers leave it).
		if f := r.plt0Unset(lm, "the dynamic table has DT_JMPREL but no DT_PLTREL, and binding is immediate (DT_BIND_NOW, BIND_NOW or LD_BIND_NOW): ld.so applies none of the PLT relocations"); f != nil {
			r.unrebased = append(r.unrebased, f)
		}
	}
	if hasPLTRel {
		start, ok := d.Tag(elf.DT_JMPREL)
		if !ok {
			return &relocFail{lm: lm, what: "reading DT_JMPREL", err: nullRead(elf.DT_JMPREL)}
		}
		size, ok := d.Tag(elf.DT_PLTRELSZ)
		if !ok {
			return &relocFail{lm: lm, what: "reading DT_PLTRELSZ", err: nullRead(elf.DT_PLTRELSZ)}
		}
		// ranges[0].start is 0 when DT_RELA was not used, or when it
		// is 0 in a program loaded at address 0 (ET_EXEC). From 2.36
		// _ELF_DYNAMIC_DO_RELOC then starts range 0 at DT_JMPREL;
		// before, a DT_RELA of 0 is read at address 0 (an unused one
		// leaves range 0 empty, which comes to the same).
		if !relSet || (ranges[0].start == 0 && lm.f.Type == elf.ET_EXEC && (r.minor == 0 || r.minor >= 36)) {
			ranges[0].start = start
		}
		if ranges[0].start+ranges[0].size == start+size {
			ranges[0].size -= size
		}
		if !lazy && ranges[0].start+ranges[0].size == start {
			ranges[0].size += size
		} else {
			ranges[1] = rng{start: start, size: size, lazy: lazy}
		}
		if lazy && lm.f.Type == elf.ET_EXEC {
			r.fixupsBeyondSize(lm, start, size, rela)
		}
		if !lazy && lm.f.Type == elf.ET_EXEC && lm.f.Machine == elf.EM_X86_64 {
			// Bound now, the PLT entries DT_PLTRELSZ leaves out keep
			// their link-time words, which lead into the PLT, and PLT0
			// jumps through a GOT[2] lazy binding's setup never wrote.
			ent := r.relEnt(rela)
			next := size/ent + min(size%ent, 1)
			if _, _, ok := r.pltWord(lm, reloc{table: "DT_JMPREL", index: int64(next)}); ok && next < maxRelocs {
				if f := r.plt0Unset(lm, fmt.Sprintf("DT_PLTRELSZ is 0x%x, %d DT_JMPREL entries, but PLT entry %d follows them, and binding is immediate (DT_BIND_NOW, BIND_NOW or LD_BIND_NOW): ld.so applies the entries the size covers", size, next, next)); f != nil {
					r.unrebased = append(r.unrebased, f)
				}
			}
		}
		if size == 0 && lazy && lm.f.Type == elf.ET_DYN {
			// A DT_JMPREL says the object has PLT slots; with a size
			// of 0 ld.so rebases none of them.
			r.unrebased = append(r.unrebased, &relocFail{lm: lm, what: "calling through the PLT for the first time",
				err: &inspect.FormatError{Off: -1, Addr: start, InMem: true, Struct: "DT_JMPREL",
					Msg: "DT_PLTRELSZ is 0, so ld.so applies none of the PLT relocations: the slots hold link-time addresses, not where the object is loaded", Fault: inspect.FaultUnmapped}})
		}
	}
	if r.minor == 0 || r.minor >= 36 {
		if fail := r.doRelr(lm, textrel); fail != nil {
			return fail
		}
	}
	// elf_dynamic_do_Rel (elf/do-rel.h) takes the symbol table's address
	// through l_info[DT_SYMTAB] before its first entry, the relative
	// ones too, and range 0 is replayed even when empty: an object
	// without DT_SYMTAB faults there (bookworm's ld.so loads it at
	// do-rel.h:50 before testing `lazy`; 2.31 in its non-lazy branch,
	// which range 0 always takes).
	if !lm.hasSymtab {
		return &relocFail{lm: lm, what: "reading the symbol table's address as relocation starts (elf_dynamic_do_Rela)", err: nullRead(elf.DT_SYMTAB)}
	}
	name := map[bool]string{true: inspect.DynTagName(relTag), false: "DT_JMPREL"}
	for i, g := range ranges {
		table := name[i == 0]
		if fail := r.doRel(lm, table, g.start, g.size, g.nrelative, g.lazy, rela, textrel); fail != nil {
			return fail
		}
	}
	if g := ranges[1]; g.lazy && g.size > 0 {
		if f := r.pltBeyondSize(lm, g.start, g.size, rela); f != nil {
			r.unrebased = append(r.unrebased, f)
		}
	}
	if fail := r.protectRelro(lm); fail != nil {
		return fail
	}
	r.relroOverData(lm)
	r.relroOverCode(lm)
	return nil
}

// plainData are the sections linkers name for data the code writes, which
// they never put in PT_GNU_RELRO's pages, whatever the damaged header
// now says.
var plainData = map[string]bool{".data": true, ".bss": true, ".tm_clone_table": true, ".data1": true, ".ldata": true, ".lbss": true}

// relroOverData looks, once ld.so has made PT_GNU_RELRO read-only, for
// writable sections in the pages it protected (whole pages, rounded
// down) outside PT_GNU_RELRO's own bytes, or named as plain data (.data,
// .bss and the like), which linkers keep out of those pages; whatever
// else a linker put in the segment is the object's to-be-read-only data. The section table says
// which data that is; the code that writes it, and when, is not
// replayed, so the outcome is left open (relocDamage).
func (r *relocator) relroOverData(lm *linkMap) {
	start, end, ok := r.relroPages(lm)
	if !ok {
		return
	}
	relroEnd := lm.m.add(lm.relroAddr, lm.relroSize)
	for _, sec := range lm.f.Sections {
		if sec.Flags&elf.SHF_ALLOC == 0 || sec.Flags&elf.SHF_WRITE == 0 || sec.Size == 0 || sec.Flags&elf.SHF_TLS != 0 ||
			(sec.Type != elf.SHT_PROGBITS && sec.Type != elf.SHT_NOBITS) {
			continue
		}
		hi, ok := addNoOverflow(sec.Addr, sec.Size)
		if !ok || hi <= start || sec.Addr >= end {
			continue
		}
		// The protected part of the section, and whether it is all
		// inside PT_GNU_RELRO's bytes.
		at, to := max(sec.Addr, start), min(hi, end)
		if at >= lm.relroAddr && to <= relroEnd && relroEnd >= lm.relroAddr && !plainData[sec.Name] {
			continue
		}
		r.damage = append(r.damage, relocDamage{lm: lm, code: "relro-over-data", at: lm.relroAddr,
			what:    fmt.Sprintf("PT_GNU_RELRO of %s (vaddr 0x%x, MemSiz 0x%x) makes the pages 0x%x-0x%x read-only after relocation, and section %s (0x%x-0x%x), data the object's code writes, lies in them from 0x%x: a linker keeps such data out of those pages", filepath.Base(lm.obj.name), lm.relroAddr, lm.relroSize, start, end, sec.Name, sec.Addr, hi, at),
			changed: fmt.Sprintf("the first write to %s faults (SIGSEGV), whenever the code makes it", sec.Name)})
		return
	}
}

// relroPages are the whole pages _dl_protect_relro makes read-only, as
// the marks of damage look at them (an x86-64 object whose relocation
// types the replay models); ok is false when there are none.
func (r *relocator) relroPages(lm *linkMap) (start, end uint64, ok bool) {
	if !lm.hasRelro || lm.relroSize == 0 || !r.types.full {
		return 0, 0, false
	}
	page := lm.f.Image().PageSize
	start = lm.relroAddr &^ (page - 1)
	end = lm.m.add(lm.relroAddr, lm.relroSize) &^ (page - 1)
	return start, end, end > start
}

// relroOverCode looks for executable pages in what _dl_protect_relro
// makes PROT_READ: a moved PT_GNU_RELRO over code takes its execute
// permission away, and the first instruction run there faults. An
// initialiser or finaliser the replay calls there is judged (run); code
// called later is the program's business, left open as damage.
func (r *relocator) relroOverCode(lm *linkMap) {
	start, end, ok := r.relroPages(lm)
	if !ok {
		return
	}
	page := lm.f.Image().PageSize
	for _, p := range lm.f.ProgsOfType(elf.PT_LOAD) {
		hi, ok := addNoOverflow(p.Vaddr, p.Memsz)
		if !ok || p.Flags&elf.PF_X == 0 || p.Memsz == 0 {
			continue
		}
		lo, hi := max(start, p.Vaddr&^(page-1)), min(end, roundUp(hi, page))
		if lo >= hi {
			continue
		}
		lm.relroNoExec = [2]uint64{lo, hi}
		r.damage = append(r.damage, relocDamage{lm: lm, code: "relro-over-code", at: lm.relroAddr,
			what:    fmt.Sprintf("PT_GNU_RELRO of %s (vaddr 0x%x, MemSiz 0x%x) makes the pages 0x%x-0x%x read-only after relocation, and they hold code (PT_LOAD at 0x%x, %s): mprotect(PROT_READ) takes their execute permission away", filepath.Base(lm.obj.name), lm.relroAddr, lm.relroSize, lo, hi, p.Vaddr, inspect.FlagString(p.Flags)),
			changed: "the first instruction run in those pages faults (SIGSEGV), whenever the code gets there"})
		return
	}
}

// setupDynamic is a .dynamic value elf_machine_runtime_setup wrote over
// (a DT_PLTGOT moved onto .dynamic) that ld.so reads afterwards.
type setupDynamic struct {
	tag     elf.DynTag
	index   int
	at, got uint64
	use     string // what reads the value afterwards, in words
}

func (e *setupDynamic) Error() string {
	return fmt.Sprintf("%s's value at 0x%x was overwritten by the lazy-binding setup", inspect.DynTagName(e.tag), e.at)
}

// setupOverDynamic looks, once elf_machine_runtime_setup has written
// GOT[1] and GOT[2], for an l_info value ld.so reads after it: D_PTR
// reads the dynamic entry in memory each time, which then holds the link
// map's or _dl_runtime_resolve's address. The relocation tables and
// DT_RELR are read right after the setup (ELF_DYNAMIC_RELOCATE);
// DT_SYMTAB and DT_VERSYM by elf_dynamic_do_Rel, and with DT_STRTAB by
// every later lookup that searches the object and by _dl_fixup; the
// initialisers' and finalisers' tags when _dl_init and _dl_fini call
// them. Tags read only before (DT_HASH, DT_NEEDED, DT_VERNEED, the
// flags) cannot change what happens.
func (r *relocator) setupOverDynamic(lm *linkMap) *relocFail {
	info := lm.obj.info
	if info == nil && lm.main {
		info = r.c.info
	}
	if info == nil || lm.d == nil {
		return nil
	}
	ent := dynEntSize(lm.f)
	got, _ := lm.d.Tag(elf.DT_PLTGOT)
	type later struct {
		tags []elf.DynTag
		use  string
		// called: read when the initialisers or finalisers are called,
		// which the replay may never reach (run judges it there).
		called bool
	}
	reads := []later{
		{[]elf.DynTag{elf.DT_RELA, elf.DT_RELASZ, dtRELACOUNT, elf.DT_REL, elf.DT_RELSZ, dtRELCOUNT, elf.DT_JMPREL, elf.DT_PLTRELSZ}, "to relocate it", false},
		{[]elf.DynTag{elf.DT_SYMTAB, elf.DT_VERSYM, elf.DT_STRTAB}, "for every symbol its relocations, its lazy bindings and other objects' lookups find in it", false},
		{[]elf.DynTag{elf.DT_INIT, elf.DT_INIT_ARRAY, elf.DT_INIT_ARRAYSZ}, "to call its initialisers", true},
		{[]elf.DynTag{elf.DT_FINI, elf.DT_FINI_ARRAY, elf.DT_FINI_ARRAYSZ}, "to call its finalisers at exit", true},
	}
	if r.minor == 0 || r.minor >= 36 {
		reads[0].tags = append(reads[0].tags, dtRELR, elf.DynTag(35)) // DT_RELRSZ
	}
	if lm.main {
		reads[2].tags = append(reads[2].tags, elf.DT_PREINIT_ARRAY, elf.DT_PREINIT_ARRAYSZ)
	}
	for _, l := range reads {
		for _, t := range l.tags {
			s, ok := info.slot[t]
			if !ok {
				continue
			}
			at := lm.d.Addr + uint64(s.index)*ent + ent/2
			if at != lm.setup.got1 && at != lm.setup.got1+r.word {
				continue
			}
			sd := &setupDynamic{tag: t, index: s.index, at: at, got: got, use: l.use}
			if l.called {
				lm.setup.over = append(lm.setup.over, sd)
				continue
			}
			return &relocFail{lm: lm, what: "setting up lazy binding (elf_machine_runtime_setup)", err: sd}
		}
	}
	return nil
}

// setupDynamicFinding reports a dynamic value the lazy-binding setup
// wrote over, at the stage that reads it.
func setupDynamicFinding(object string, stage Stage, sd *setupDynamic) Finding {
	base := filepath.Base(object)
	return Finding{Severity: SeverityFatal, Stage: stage, Code: "setup-over-dynamic", Object: object, Outcome: OutcomeUndetermined,
		Possible: []Outcome{OutcomeStarts, OutcomeLoaderError, OutcomeCrash, OutcomeFirstCall, OutcomeExitCrash},
		Summary:  fmt.Sprintf("undetermined: setting up lazy binding for %s, ld.so writes the link map's and _dl_runtime_resolve's addresses where DT_PLTGOT says, over the value of %s in .dynamic, which it reads afterwards %s: what it finds at that address in ld.so's memory is in no file", base, inspect.DynTagName(sd.tag), sd.use),
		Evidence: []string{fmt.Sprintf("DT_PLTGOT 0x%x: GOT[1] and GOT[2] are 0x%x and 0x%x; dynamic entry %d (%s) keeps its value at 0x%x", sd.got, sd.got+8, sd.got+16, sd.index, inspect.DynTagName(sd.tag), sd.at)},
		Next:     "DT_PLTGOT was damaged: compare with the pristine file using `elfdoctor diff`"}
}

// doRelr replays ELF_DYNAMIC_DO_RELR (elf/dynamic-link.h, glibc 2.36 and
// later): an address entry rebases one word and moves past it, a bitmap
// entry rebases the words its set bits name.
func (r *relocator) doRelr(lm *linkMap, textrel bool) *relocFail {
	start, ok := lm.d.Tag(dtRELR)
	if !ok {
		return nil
	}
	size, ok := lm.d.Tag(elf.DynTag(35)) // DT_RELRSZ
	if !ok {
		return &relocFail{lm: lm, what: "reading DT_RELRSZ", err: nullRead(elf.DynTag(35))}
	}
	n := size / r.word
	if n > maxRelocs {
		lm.partial = true
		r.note(lm, fmt.Sprintf("DT_RELR holds more than %d entries: elfdoctor replayed the first %d", maxRelocs, maxRelocs))
		n = maxRelocs
	}
	var where uint64
	var b [8]byte
	for i := uint64(0); i < n; i++ {
		if err := lm.f.Image().ReadAt(b[:r.word], lm.m.add(start, i*r.word), fmt.Sprintf("DT_RELR entry %d", i)); err != nil {
			return &relocFail{lm: lm, what: "reading DT_RELR", err: err}
		}
		e := get64(lm.f, b[:])
		if r.word == 4 {
			e = uint64(get32(lm.f, b[:]))
		}
		if e&1 == 0 {
			if err := r.write(lm, e, r.word, textrel, "DT_RELR target"); err != nil {
				return &relocFail{lm: lm, what: "applying DT_RELR", err: err}
			}
			where = lm.m.add(e, r.word)
			continue
		}
		for k := uint64(0); e>>1 != 0; k++ {
			e >>= 1
			if e&1 != 0 {
				if err := r.write(lm, lm.m.add(where, k*r.word), r.word, textrel, "DT_RELR target"); err != nil {
					return &relocFail{lm: lm, what: "applying DT_RELR", err: err}
				}
			}
		}
		where = lm.m.add(where, (8*r.word-1)*r.word)
	}
	return nil
}

// doRel replays elf_dynamic_do_Rel (elf/do-rel.h) over one range.
func (r *relocator) doRel(lm *linkMap, table string, start, size, nrelative uint64, lazy, rela, textrel bool) *relocFail {
	ent := 2 * r.word
	if rela {
		ent = 3 * r.word
	}
	count := uint64(0)
	if size > 0 {
		count = (size + ent - 1) / ent // an entry that starts before end is applied whole
	}
	// ld.so compares real addresses (elf_get_dynamic_info added the load
	// address to DT_RELA): whether the end wraps is decided there, not in
	// the link-time addresses the replay works in, where a table "below
	// 0" (DT_RELA of -1 is the byte before the object) seems to wrap.
	wraps, known := r.wrapsAt(lm, start, size)
	if !known {
		lm.partial = true
		r.note(lm, fmt.Sprintf("%s: its size 0x%x puts its end past the top of memory or not depending on where the object is loaded", table, size))
		return nil
	}
	if wraps {
		// The size wraps: `r < end` is false at once and ld.so applies
		// nothing from this range.
		count = 0
		if f := r.wrappedFixups(lm, table, start, size, ent, lazy); f != nil {
			r.unrebased = append(r.unrebased, f)
		} else if lazy && lm.f.Type == elf.ET_DYN {
			// No PLT slot is rebased: each keeps its link-time value,
			// below where the object is loaded, and the first call
			// through the PLT jumps there.
			r.unrebased = append(r.unrebased, &relocFail{lm: lm, what: "calling through the PLT for the first time",
				err: &inspect.FormatError{Off: -1, Addr: start, InMem: true, Struct: table,
					Msg: fmt.Sprintf("the table ends before it starts (size 0x%x wraps), so ld.so rebases none of the PLT slots: they hold link-time addresses, not where the object is loaded", size), Fault: inspect.FaultUnmapped}})
		}
	}
	if count > maxRelocs {
		lm.partial = true
		r.note(lm, fmt.Sprintf("%s holds more than %d relocations: elfdoctor replayed the first %d", table, maxRelocs, maxRelocs))
		count = maxRelocs
	}
	// Entries are read 256 at a time (a big library has hundreds of
	// thousands); a chunk that cannot be read whole is read entry by
	// entry, so the fault is the first entry's ld.so cannot read.
	const chunk = 256
	// Most tables are shorter than a chunk, and a fresh page costs.
	buf := make([]byte, min(chunk, max(count, 1))*ent)
	chunkAt, chunkN := uint64(0), uint64(0) // entries [chunkAt, chunkAt+chunkN) are in buf
	read := func(i uint64) (reloc, error) {
		addr := lm.m.add(start, i*ent)
		if i < chunkAt || i >= chunkAt+chunkN {
			n := min(chunk, count-i, uint64(len(buf))/ent)
			chunkAt, chunkN = i, 0
			if lm.f.Image().ReadAt(buf[:n*ent], addr, table) == nil && lm.m.add(addr, n*ent-1) >= addr {
				chunkN = n
			}
		}
		b := buf[(i-chunkAt)*ent:][:ent]
		if chunkN == 0 {
			b = buf[:ent]
			if err := lm.f.Image().ReadAt(b, addr, fmt.Sprintf("%s entry %d", table, i)); err != nil {
				return reloc{}, err
			}
		}
		rl := decodeReloc(lm.f, b, rela)
		rl.table, rl.index, rl.addr = table, int64(i), addr
		return rl, nil
	}
	var deferred []reloc
	if lazy {
		for i := uint64(0); i < count; i++ {
			if r.spend() {
				return r.exhausted(lm)
			}
			rl, err := read(i)
			if err != nil {
				return &relocFail{lm: lm, what: "reading a relocation entry", err: err}
			}
			rl.lazy = true
			if fail := r.badTypeFromSetup(lm, rl, rela); fail != nil {
				return fail
			}
			if rl.typ == r.types.irelative {
				deferred = append(deferred, rl)
				continue
			}
			if fail := r.lazyRel(lm, rl, textrel); fail != nil {
				return fail
			}
		}
	} else {
		// The relative relocations DT_RELACOUNT counts come first, and
		// their count is trusted even past the end of the table.
		nrel, first, relWraps, known := r.relativeSpan(lm, start, nrelative, ent)
		if !known {
			lm.partial = true
			r.note(lm, fmt.Sprintf("%s: DT_RELACOUNT %d puts the end of the relative relocations 0x%x bytes from the table, which wraps past the top of memory or not depending on where the object is loaded", table, nrelative, nrelative*ent))
			return nil
		}
		if nrel > maxRelocs {
			lm.partial = true
			r.note(lm, fmt.Sprintf("%s holds more than %d relocations: elfdoctor replayed the first %d", table, maxRelocs, maxRelocs))
			nrel = maxRelocs
		}
		for i := uint64(0); i < nrel; i++ {
			if r.spend() {
				return r.exhausted(lm)
			}
			rl, err := read(i)
			if err != nil {
				return r.relativeUnread(lm, table, int64(i), lm.m.add(start, i*ent), rela, err)
			}
			if fail := r.entryFromWritten(lm, rl, true); fail != nil {
				return fail
			}
			if fail := r.relativeRel(lm, rl, textrel); fail != nil {
				return fail
			}
		}
		// The main loop runs from r while r < end: from past the
		// relative entries when they lie inside the table, or from
		// below the table when relative + nrelative wrapped.
		d := (nrelative * ent) & lm.m.mask
		n := uint64(0)
		if count > 0 && (relWraps || d < count*ent) {
			n = min((((count*ent-d)&lm.m.mask)+ent-1)/ent, maxRelocs)
		}
		b := make([]byte, ent)
		at := func(i uint64) (reloc, error) {
			addr := lm.m.add(first, i*ent)
			if err := lm.f.Image().ReadAt(b, addr, table); err != nil {
				var fe *inspect.FormatError
				if errors.As(err, &fe) {
					fe.Struct = fmt.Sprintf("%s entry at 0x%x", table, addr) // made only for an error
				}
				return reloc{}, err
			}
			rl := decodeReloc(lm.f, b, rela)
			rl.table, rl.addr = table, addr
			rl.index = int64((addr - start) / ent)
			if addr < start {
				rl.index = -int64((start - addr + ent - 1) / ent)
			}
			return rl, nil
		}
		for i := uint64(0); i < n; i++ {
			if r.spend() {
				return r.exhausted(lm)
			}
			rl, err := at(i)
			if err != nil {
				return &relocFail{lm: lm, what: "reading a relocation entry", err: err}
			}
			if fail := r.entryFromWritten(lm, rl, false); fail != nil {
				return fail
			}
			if rl.typ == r.types.irelative {
				deferred = append(deferred, rl)
				continue
			}
			if fail := r.machineRel(lm, rl, textrel); fail != nil {
				return fail
			}
		}
	}
	// IRELATIVE relocations are applied last: each calls a resolver in
	// the object (not replayed) and writes what it returns.
	for _, rl := range deferred {
		if !rl.lazy {
			// Outside lazy binding, elf_machine_rela resolves the
			// entry's symbol first (RESOLVE_MAP), as for any type but
			// RELATIVE and NONE: a symbol 0 made non-local is looked up
			// by its name, "" (seed 9998307092).
			if f := r.irelativeSymbol(lm, rl); f != nil {
				return f
			}
		}
		if r.types.full && rl.rela {
			if f := r.resolverCall(lm, rl, lm, uint64(rl.addend), -1, false, fmt.Sprintf("the resolver of IRELATIVE relocation %d of %s of %s (l_addr + r_addend 0x%x)", rl.index, rl.table, filepath.Base(lm.obj.name), uint64(rl.addend)), ""); f != nil {
				return f
			}
		}
		if err := r.write(lm, rl.off, r.word, textrel, "IRELATIVE target"); err != nil {
			return &relocFail{lm: lm, r: &rl, what: "writing the relocated word", err: err}
		}
		r.irelativeMoved(lm, rl)
	}
	return nil
}

// relativeSpan replays the pointer arithmetic of elf_dynamic_do_Rel
// (elf/do-rel.h): `relative = reladdr; r = relative + nrelative`, then
// the RELATIVE loop while relative < r and the main loop from r while
// r < end, all compared as real addresses. nrelative entries of ent bytes
// can wrap past the top of memory: r then lies below the table, the
// RELATIVE loop does nothing, and the main loop starts at r, reading
// whatever precedes the table as relocations. It returns the number of
// entries the RELATIVE loop applies and where the main loop starts; known
// is false when whether it wraps depends on the load address of an
// ET_DYN object; wraps says it does.
func (r *relocator) relativeSpan(lm *linkMap, start, nrelative, ent uint64) (nrel, first uint64, wraps, known bool) {
	d := (nrelative * ent) & lm.m.mask // the byte offset, modulo the word as in C
	if nrelative == 0 {
		return 0, start, false, true
	}
	wraps, known = r.wrapsAt(lm, start, d)
	switch {
	case !known:
		return 0, 0, false, false
	case wraps:
		return 0, lm.m.add(start, d), true, true
	}
	return (d + ent - 1) / ent, lm.m.add(start, d), false, true
}

// wrapsAt says whether ld.so's pointer to lm's link-time address start,
// plus n bytes, wraps past the top of memory: in real addresses, the load
// address added, which for an ET_DYN object is anywhere from dynBase to
// TASK_SIZE. known is false when that depends on where it is loaded.
func (r *relocator) wrapsAt(lm *linkMap, start, n uint64) (wraps, known bool) {
	return wrapsAt(memOf(lm.f), start, n)
}

// wrapsAt is relocator.wrapsAt for an object read outside the replay
// (eachReloc).
func wrapsAt(m mem, start, n uint64) (wraps, known bool) {
	mask := m.mask
	if n&mask == 0 {
		return false, true
	}
	lo, hi := uint64(0), uint64(0) // the least and greatest load bias
	if m.f.Type == elf.ET_DYN {
		lo, hi = dynBase(m.f), taskSize(m.f)
		if hi == 0 || hi < lo {
			hi = mask // not known: anywhere
		}
	}
	// The real start s wraps with n exactly when (s+n) mod 2^w < n; as
	// the bias grows from lo to hi, s+n runs over [a, a+hi-lo].
	a := (start + n + lo) & mask
	span := hi - lo
	if span > mask-a {
		return false, false // the run crosses 0: some biases wrap, others not
	}
	switch {
	case a+span < n&mask:
		return true, true
	case a >= n&mask:
		return false, true
	}
	return false, false
}

// relativeRel replays elf_machine_rela_relative: only RELATIVE (and on
// x86-64 RELATIVE64) is expected there, and glibc asserts it.
func (r *relocator) relativeRel(lm *linkMap, rl reloc, textrel bool) *relocFail {
	// rl is copied on the failing paths only, so that the hundreds of
	// thousands that succeed do not escape to the heap.
	if rl.typ != r.types.relative && rl.typ != r.types.relative64 && r.types.full {
		rc := rl
		return &relocFail{lm: lm, r: &rc, what: "a relocation DT_RELACOUNT counts as relative",
			err: &assertion{file: "dl-machine.h", fn: "elf_machine_rela_relative", expr: "ELFW(R_TYPE) (reloc->r_info) == R_X86_64_RELATIVE"}}
	}
	r.observeReloc(lm, rl)
	if rl.rela {
		r.observeCovered(lm, rl, uint64(rl.addend))
	}
	if err := r.write(lm, rl.off, r.word, textrel, "relative relocation target"); err != nil {
		rc := rl
		return &relocFail{lm: lm, r: &rc, what: "writing the relocated word", err: err}
	}
	return nil
}

// plt0Unset is the failure of a first call through a program's PLT
// that reaches PLT0 when ld.so did not set up lazy binding: PLT0 jumps
// through GOT[2], which then holds the file's word (0 as linkers leave
// it). why says how the call came to reach PLT0; nil when GOT[2]'s word
// leads to code or cannot be read.
func (r *relocator) plt0Unset(lm *linkMap, why string) *relocFail {
	got, ok := lm.d.Tag(elf.DT_PLTGOT)
	if !ok {
		return nil
	}
	var b [8]byte
	slot := lm.m.add(got, 2*r.word)
	if lm.f.Image().ReadAt(b[:r.word], slot, "GOT[2]") != nil {
		return nil
	}
	target := uint64(get32(lm.f, b[:]))
	if r.word == 8 {
		target = get64(lm.f, b[:])
	}
	if l := lm.f.Image().Lookup(target); l.Mapped && l.Perm&elf.PF_X != 0 {
		return nil
	}
	return &relocFail{lm: lm, what: "calling through the PLT for the first time", site: "at the first call through the PLT, where PLT0 jumps through GOT[2]",
		err: &inspect.FormatError{Off: -1, Addr: target, InMem: true, Struct: "GOT[2]",
			Msg: fmt.Sprintf("%s and does not set up lazy binding, so the first call through the PLT reaches PLT0, which jumps through GOT[2] at 0x%x, still 0x%x from the file", why, slot, target), Fault: inspect.FaultUnmapped}}
}

// fixupsBeyondSize records the first calls through the PLT entries of a
// program loaded at 0 that DT_PLTRELSZ leaves out (seed 9998323680: a
// size of 0). Their GOT words keep the link-time addresses, which lead
// into the PLT as linked, so each first call reaches _dl_fixup, which
// reads the DT_JMPREL entry at the index the PLT pushes whatever
// DT_PLTRELSZ says. The entries are found from the PLT code (pltWord).
func (r *relocator) fixupsBeyondSize(lm *linkMap, start, size uint64, rela bool) {
	if lm.f.Machine != elf.EM_X86_64 {
		return
	}
	ent := r.relEnt(rela)
	next := size/ent + min(size%ent, 1)
	n := next
	for n < maxRelocs {
		if _, _, ok := r.pltWord(lm, reloc{table: "DT_JMPREL", index: int64(n)}); !ok {
			break
		}
		n++
	}
	if n == next {
		return
	}
	fxs, _ := r.jmprelEntries(lm, start, n*ent, rela)
	if uint64(len(fxs)) > next {
		r.fixups = append(r.fixups, fxs[next:]...)
	}
}

// unappliedFixups records the first calls through a program's PLT slots
// whose DT_JMPREL entries ld.so did not apply at start-up: each slot
// holds what the file holds.
func (r *relocator) unappliedFixups(lm *linkMap, start, size uint64, rela bool) {
	fxs, _ := r.jmprelEntries(lm, start, size, rela)
	r.fixups = append(r.fixups, fxs...)
}

// jmprelEntries reads the PLT relocations ld.so left unapplied (DT_JMPREL
// without DT_PLTREL) as the fixups a first call would make, up to the
// first it cannot read; whole says none was cut off that way.
func (r *relocator) jmprelEntries(lm *linkMap, start, size uint64, rela bool) (fxs []pltFixup, whole bool) {
	ent := r.relEnt(rela)
	b := make([]byte, ent)
	n := size / ent
	for i := uint64(0); i < min(n, maxRelocs); i++ {
		addr := lm.m.add(start, i*ent)
		if lm.f.Image().ReadAt(b, addr, "DT_JMPREL entry") != nil {
			return fxs, false
		}
		rl := decodeReloc(lm.f, b, rela)
		rl.table, rl.index, rl.addr = "DT_JMPREL", int64(i), addr
		// r_offset's word, when it can be read; the first call goes
		// through the PLT entry's own word, which fixup reads when
		// r_offset names another.
		var w [8]byte
		_ = lm.f.Image().ReadAt(w[:r.word], rl.off, "PLT slot")
		slot := get64(lm.f, w[:])
		if r.word == 4 {
			slot = uint64(get32(lm.f, w[:]))
		}
		fxs = append(fxs, pltFixup{lm: lm, r: rl, slot: slot, unapplied: true})
	}
	return fxs, n <= maxRelocs
}

// relEnt is the size of a relocation entry of the object's class.
func (r *relocator) relEnt(rela bool) uint64 {
	ent := uint64(24)
	if !rela {
		ent = 16
	}
	if r.word == 4 {
		ent /= 2
	}
	return ent
}

// pltSlots are the unapplied PLT relocations of an ET_DYN object without
// DT_PLTREL, when they are surely all its PLT entries' slots: every entry
// read, as many as the PLT has entries, each naming a different word. A
// first call can then only come through one of them, and crtstuff's
// guards may show that none comes (lazyFirstCalls). Otherwise nil: some
// slot may be called, and the object fails at its first call.
func (r *relocator) pltSlots(lm *linkMap, start, size uint64, rela bool) []pltFixup {
	stubs, ok := pltStubCount(lm.f)
	if !ok || stubs == 0 || size/r.relEnt(rela) != uint64(stubs) {
		return nil
	}
	fxs, whole := r.jmprelEntries(lm, start, size, rela)
	if !whole || len(fxs) != stubs {
		return nil
	}
	seen := make(map[uint64]bool, len(fxs))
	for _, fx := range fxs {
		if seen[fx.r.off] {
			return nil
		}
		seen[fx.r.off] = true
	}
	return fxs
}

// relativeUnread is a relative relocation entry at addr ld.so cannot be
// shown to read whole: when only its r_offset lies outside the object
// (a table that starts just below it) and its r_info, read from the
// object, is not RELATIVE, ld.so either faults on r_offset or fails the
// assertion on r_info. Which comes first is the compiler's choice: the
// RELATIVE loop of Debian's 2.31, 2.36 and 2.41 loaders loads (%reg),
// r_offset, before 8(%reg); forky's 2.43 (gcc 15) tests r_info first
// and stops on the assertion (seed 9998005603). From 2.42 the newer
// order is modelled.
func (r *relocator) relativeUnread(lm *linkMap, table string, index int64, addr uint64, rela bool, err error) *relocFail {
	fail := &relocFail{lm: lm, what: "reading a relative relocation", err: err}
	if !rela || !r.types.full || lm.f.Machine != elf.EM_X86_64 {
		return fail
	}
	var b [8]byte
	at := lm.m.add(addr, r.word)
	if lm.f.Image().Lookup(addr).Mapped || lm.f.Image().ReadAt(b[:], at, "r_info") != nil {
		return fail
	}
	info := get64(lm.f, b[:])
	if typ := uint32(info); typ == r.types.relative || typ == r.types.relative64 {
		return fail
	}
	if r.minor == 0 || r.minor >= 42 {
		return &relocFail{lm: lm, r: &reloc{table: table, index: index, addr: addr, typ: uint32(info), sym: info >> 32, rela: true}, what: "a relocation DT_RELACOUNT counts as relative",
			err: &assertion{file: "dl-machine.h", fn: "elf_machine_rela_relative", expr: "ELFW(R_TYPE) (reloc->r_info) == R_X86_64_RELATIVE"}}
	}
	fail.possible = []Outcome{OutcomeCrash, OutcomeLoaderError}
	fail.because = fmt.Sprintf("only the entry's r_offset lies outside the object: its r_info, read at 0x%x, is 0x%x, of type %d, not R_X86_64_RELATIVE; ld.so reads r_offset first, so it faults there, or else elf_machine_rela_relative's assertion fails", at, info, uint32(info))
	return fail
}

// lazyRel replays elf_machine_lazy_rel: a PLT slot is only rebased now.
func (r *relocator) lazyRel(lm *linkMap, rl reloc, textrel bool) *relocFail {
	switch {
	case rl.typ == r.types.jumpSlot || !r.types.full:
		r.observeReloc(lm, rl)
		var b [8]byte
		if err := lm.f.Image().ReadAt(b[:r.word], rl.off, "PLT slot"); err != nil {
			return &relocFail{lm: lm, r: &rl, what: "rebasing a PLT slot", err: err}
		}
		// A slot an earlier relocation of this object already bound
		// holds a run-time address; adding the load address again
		// leaves it pointing nowhere.
		bound := lm.written.has(rl.off) && lm.f.Type == elf.ET_DYN
		// In a program loaded at 0 (ET_EXEC) the rebase adds nothing:
		// what an earlier relocation wrote over the slot stays, and the
		// first call jumps there instead of into the PLT.
		var prior *slotValue
		overwritten := false
		if lm.f.Type == elf.ET_EXEC {
			if v, ok := lm.values[rl.off]; ok {
				prior = &v
			}
			for a := rl.off - r.word + 1; a != rl.off+r.word; a++ {
				overwritten = overwritten || lm.written.has(a)
			}
		}
		slot := get64(lm.f, b[:])
		if r.word == 4 {
			slot = uint64(get32(lm.f, b[:]))
		}
		if lm.setup.hasPLT && rl.typ == r.types.jumpSlot {
			// *reloc_addr = l_mach.plt + (reloc_addr - l_mach.gotplt) * 2:
			// the slot is set, not rebased, so what was there before
			// does not count.
			slot = lm.m.add(lm.setup.plt, 2*(rl.off-lm.setup.gotplt))
			bound, prior, overwritten = false, nil, false
		}
		r.observeCovered(lm, rl, slot)
		if bound {
			if word, _, ok := r.pltWord(lm, rl); ok && word != rl.off {
				// The PLT entry jumps through another word: what the
				// rebase moves is no slot but a word an earlier
				// relocation filled, data the program reads (its copy
				// of stdout, found by a soak), at a time its code
				// decides.
				return &relocFail{lm: lm, r: &rl, what: "rebasing a PLT slot", err: &dataRebased{obj: lm.obj.name, at: rl.off, copied: r.seen(lm).copied[rl.off], slot: word}}
			}
		}
		if err := r.write(lm, rl.off, r.word, textrel, "PLT slot"); err != nil {
			return &relocFail{lm: lm, r: &rl, what: "rebasing a PLT slot", err: err}
		}
		r.fixups = append(r.fixups, pltFixup{lm: lm, r: rl, slot: slot, rebasedTwice: bound, prior: prior, overwritten: overwritten})
		return nil
	case rl.typ == r.types.tlsdesc:
		if lm.f.Machine == elf.EM_X86_64 && r.minor != 0 && r.minor < 34 {
			// Before 2.34 (BZ 27137) elf_machine_lazy_rel leaves the
			// descriptor to its first use: it writes the entry's
			// address and DT_TLSDESC_PLT's, read through l_info.
			if _, ok := lm.d.Tag(dtTLSDESCPLT); !ok {
				return &relocFail{lm: lm, r: &rl, what: "setting up a lazy TLS descriptor (elf_machine_lazy_rel)", err: nullRead(dtTLSDESCPLT)}
			}
			r.observeReloc(lm, rl)
			if err := r.write(lm, rl.off, 2*r.word, textrel, "TLS descriptor"); err != nil {
				return &relocFail{lm: lm, r: &rl, what: "setting up a lazy TLS descriptor (elf_machine_lazy_rel)", err: err}
			}
			return nil
		}
		return r.machineRel(lm, rl, textrel)
	}
	return &relocFail{lm: lm, r: &rl, what: "a PLT relocation", msg: fmt.Sprintf("unexpected PLT reloc type 0x%s", badTypeHex(rl.typ))}
}

// wrappedFixups is the first call through the PLT of a program loaded at
// its link address (ET_EXEC) whose DT_JMPREL wraps: ld.so applied none
// of it, but the slots already lead to the PLT stubs, which hand
// _dl_fixup their index, and _dl_fixup reads that entry at DT_JMPREL +
// index × entry size. From a start in the kernel's half to an end below
// mmap_min_addr, every such address faults.
func (r *relocator) wrappedFixups(lm *linkMap, table string, start, size, ent uint64, lazy bool) *relocFail {
	ts := taskSize(lm.f)
	end := (start + size) & lm.m.mask
	if !lazy || table != "DT_JMPREL" || lm.f.Type != elf.ET_EXEC || ts == 0 || start < ts || end > mmapMinAddr() {
		return nil
	}
	return &relocFail{lm: lm, what: "binding a PLT slot at its first call (_dl_fixup)",
		err: &inspect.FormatError{Off: -1, Addr: start, InMem: true, Struct: table,
			Msg:   fmt.Sprintf("the table starts at 0x%x and wraps past the top of memory to 0x%x (size 0x%x), so ld.so applied none of it; the PLT stubs still call _dl_fixup with their index, and it reads the entry at 0x%x plus the index times %d, in the kernel's half or below 0x%x, where nothing can be mapped", start, end, size, start, ent, mmapMinAddr()),
			Fault: inspect.FaultUnmapped}}
}

// RunTimeDigits stands in a predicted message for the eight hex digits of
// a number ld.so prints that only the run decides (an address's half).
const RunTimeDigits = "XXXXXXXX"

// badTypeFromSetup replays elf_machine_lazy_rel reading the type of a
// DT_JMPREL entry whose r_info lies on GOT[1] or GOT[2] (a table moved
// onto .got.plt): elf_machine_runtime_setup stored the link map's and
// _dl_runtime_resolve's addresses there before the table is read, so the
// type is half of a run-time address. Both are 16-byte aligned and above
// 4 GiB in a 64-bit process, so neither half is a PLT type (7, 36, 37)
// or fits in a byte: ld.so stops with eight hex digits no file holds.
func (r *relocator) badTypeFromSetup(lm *linkMap, rl reloc, rela bool) *relocFail {
	if !rela || r.word != 8 || lm.f.Machine != elf.EM_X86_64 {
		return nil
	}
	typ := lm.m.add(rl.addr, r.word) // r_info's low half, little-endian
	if lm.written.has(typ) && lm.f.Type == elf.ET_DYN && !(lm.setup.ok && (typ == lm.setup.got1 || typ == lm.setup.got1+r.word)) {
		// An earlier relocation wrote r_info's word (a DT_JMPREL moved
		// onto relocated data): ld.so reads the relocated word, whose
		// type is an address's low half when the value depends on where
		// something was loaded.
		v, bound := lm.values[typ]
		if val, ok := v.concrete(); bound && ok && !v.mangled {
			if t := uint32(val); t == r.types.jumpSlot || t == r.types.irelative || t == r.types.tlsdesc {
				return nil
			}
			return &relocFail{lm: lm, r: &rl, what: "a PLT relocation", msg: "unexpected PLT reloc type 0x" + badTypeHex(uint32(val)),
				because: fmt.Sprintf("the entry's r_info at 0x%x is a word an earlier relocation wrote, 0x%x", typ, val)}
		}
		return &relocFail{lm: lm, r: &rl, what: "a PLT relocation", msg: "unexpected PLT reloc type 0x" + RunTimeDigits,
			because: fmt.Sprintf("the entry's r_info at 0x%x is a word an earlier relocation wrote with an address where something was loaded: its type is that address's low half, another number every run (%s stands for its digits)", typ, RunTimeDigits)}
	}
	if !lm.setup.ok || lm.setup.touched {
		return nil
	}
	for k, word := range []uint64{lm.setup.got1, lm.setup.got1 + r.word} {
		half := ""
		switch typ {
		case word:
			half = "low"
		case word + 4:
			half = "high"
		default:
			continue
		}
		holds := "the link map's address"
		if k == 1 {
			holds = "_dl_runtime_resolve's address"
		}
		return &relocFail{lm: lm, r: &rl, what: "a PLT relocation", msg: "unexpected PLT reloc type 0x" + RunTimeDigits,
			because: fmt.Sprintf("the entry's r_info at 0x%x is GOT[%d], where elf_machine_runtime_setup stored %s before ld.so read the table: its type is that address's %s half, another number every run (%s stands for its digits)",
				typ, k+1, holds, half, RunTimeDigits)}
	}
	return nil
}

// entryWritten is a relocation entry ld.so reads from words it wrote
// itself before (entryFromWritten): its fields are pieces of run-time
// addresses, not the file's.
type entryWritten struct {
	obj    string
	fields []string // "r_info at 0x… (GOT[1], where …)", for people
}

func (e *entryWritten) Error() string {
	return fmt.Sprintf("ld.so reads the entry's %s", strings.Join(e.fields, " and "))
}

// Where ld.so's own data and code lie in a 64-bit x86 process: in the
// mmap area, below 2^47, or from ELF_ET_DYN_BASE (0x555555554000 plus
// up to 1 TiB of randomisation) when ld.so is the command; at or above
// 0x5000 << 32 either way, so the high half of such an address is in
// [ldsoHighMin, ldsoHighMax].
const (
	ldsoHighMin = 0x5000
	ldsoHighMax = 0x7fff
)

// entryFromWritten replays ld.so reading an entry of elf_dynamic_do_Rela's
// loops whose words lie on words it wrote before reading them: GOT[1]
// and GOT[2], where elf_machine_runtime_setup stored the link map's and
// _dl_runtime_resolve's addresses (a table moved onto .got.plt), or a
// word an earlier relocation or the rebasing of .dynamic wrote. The
// replay reads the file's bytes, ld.so the words it wrote, so the entry
// is not replayed: undetermined, with one exception. An r_info on GOT[1]
// or GOT[2] of x86-64 makes the symbol index that address's high half,
// at least ldsoHighMin, and the first read with it, the symbol's
// DT_VERSYM entry (or, without one, the symbol itself), lies 40 KiB or
// more past the table: when no page of the object is mapped anywhere in
// the reach of the possible indexes, that read faults (seed 9999988433:
// SIGSEGV at do-rel.h:133, where the replay read the file's 0 as NONE
// and went on to the next entry). relative is DT_RELACOUNT's loop,
// which reads no r_info.
func (r *relocator) entryFromWritten(lm *linkMap, rl reloc, relative bool) *relocFail {
	if lm.written == nil {
		return nil
	}
	// Every entry is asked, hundreds of thousands in a big library:
	// the tables lie on pages nothing wrote, which a page lookup tells.
	w := r.word
	lo, hi := rl.addr-(w-1), lm.m.add(rl.addr, 3*w-1)
	if !lm.written.onPage(lo) && !lm.written.onPage(hi) && !anyWithin(lm.rebasedDyn, lo, hi) {
		return nil
	}
	return r.entryOnWritten(lm, rl, relative)
}

// entryOnWritten is entryFromWritten for an entry on a page ld.so wrote
// some of: apart, so that the entry escapes to the heap only here.
func (r *relocator) entryOnWritten(lm *linkMap, rl reloc, relative bool) *relocFail {
	w := r.word
	type field struct {
		name string
		at   uint64
	}
	fields := []field{{"r_offset", rl.addr}, {"r_info", lm.m.add(rl.addr, w)}}
	if rl.rela {
		fields = append(fields, field{"r_addend", lm.m.add(rl.addr, 2*w)})
	}
	var on []string
	infoOnSetup := 0
	for _, fl := range fields {
		if relative && fl.name == "r_info" {
			continue
		}
		if lm.setup.ok && !lm.setup.touched && fl.at+w > lm.setup.got1 && fl.at < lm.setup.got1+2*w {
			k := 1
			if fl.at >= lm.setup.got1+w/2 {
				k = 2
			}
			if fl.name == "r_info" && (fl.at == lm.setup.got1 || fl.at == lm.setup.got1+w) {
				infoOnSetup = k
			}
			on = append(on, fmt.Sprintf("%s at 0x%x from GOT[%d], where elf_machine_runtime_setup stored %s before relocating", fl.name, fl.at, k, map[int]string{1: "the link map's address", 2: "_dl_runtime_resolve's address"}[k]))
			continue
		}
		if at, ok := lm.wroteUnder(fl.at, w, w); ok {
			what := "a relocation wrote"
			if slices.Contains(lm.rebasedDyn, at) {
				what = "a .dynamic pointer ld.so rebased by the load address (ADJUST_DYN_INFO)"
			}
			on = append(on, fmt.Sprintf("%s at 0x%x over the word at 0x%x, which %s before", fl.name, fl.at, at, what))
		}
	}
	if len(on) == 0 {
		return nil
	}
	if infoOnSetup > 0 && w == 8 && rl.rela && lm.f.Machine == elf.EM_X86_64 {
		// The reads from the lowest index's to the highest's.
		what, base, size := "the symbol's DT_VERSYM entry", lm.versym, uint64(2)
		if !lm.hasVersym {
			what, base, size = "the relocation's symbol", lm.symtab, symSize(lm.f)
		}
		lo, hi := lm.m.add(base, ldsoHighMin*size), lm.m.add(base, ldsoHighMax*size+size-1)
		if lo < hi && !mappedWithin(lm.f.Image(), lo, hi) {
			// No r: the file's fields are not what ld.so read.
			return &relocFail{lm: lm, what: "reading " + what,
				err: &inspect.FormatError{Off: -1, Addr: lo, InMem: true, Struct: what,
					Msg: fmt.Sprintf("ld.so reads relocation %d of %s (at 0x%x) with its r_info from GOT[%d], so the symbol index is the high half of an address of ld.so's, 0x%x to 0x%x; %s is then at 0x%x to 0x%x, where no page of %s is mapped",
						rl.index, rl.table, rl.addr, infoOnSetup, ldsoHighMin, ldsoHighMax, what, lo, hi, filepath.Base(lm.obj.name)), Fault: inspect.FaultUnmapped}}
		}
	}
	return &relocFail{lm: lm, r: &rl, what: "reading a relocation entry", err: &entryWritten{obj: lm.obj.name, fields: on}}
}

// anyWithin says whether one of addrs lies in [lo, hi].
func anyWithin(addrs []uint64, lo, hi uint64) bool {
	for _, a := range addrs {
		if a >= lo && a <= hi {
			return true
		}
	}
	return false
}

// mappedWithin says whether any page of the image is mapped in [lo, hi].
func mappedWithin(im *inspect.Image, lo, hi uint64) bool {
	for _, m := range im.Maps {
		if m.Start <= hi && m.End > lo {
			return true
		}
	}
	return false
}

// badTypeHex prints a type as _dl_reloc_bad_type does: two hex digits,
// eight when it does not fit in a byte (64-bit ld.so).
func badTypeHex(t uint32) string {
	if t > 0xff {
		return fmt.Sprintf("%08x", t)
	}
	return fmt.Sprintf("%02x", t)
}

// machineRel replays elf_machine_rela (sysdeps/x86_64/dl-machine.h) for
// one relocation, with the reads elf_dynamic_do_Rel makes for it first:
// the symbol's DT_VERSYM entry, then the symbol, its lookup, the write.
// irelativeSymbol replays what elf_machine_rela does with an
// IRELATIVE's symbol before it calls the resolver: read its version
// index and entry, and look it up unless it is local.
func (r *relocator) irelativeSymbol(lm *linkMap, rl reloc) *relocFail {
	ndx, hasNdx, fail := r.relVersion(lm, rl, true)
	if fail != nil {
		return fail
	}
	s, fail := r.relSymbol(lm, rl)
	if fail != nil {
		return fail
	}
	_, fail = r.resolve(lm, &rl, s, hasNdx, ndx, r.types.plt[rl.typ], false)
	return fail
}

// relVersion reads the DT_VERSYM entry of a relocation's symbol, which
// elf_dynamic_do_Rela reads for every entry; symbolic says the entry's
// type looks its symbol up, so the word read must not be one ld.so
// wrote.
func (r *relocator) relVersion(lm *linkMap, rl reloc, symbolic bool) (ndx uint16, hasNdx bool, fail *relocFail) {
	if !lm.hasVersym {
		return 0, false, nil
	}
	v, err := lm.versymAt(rl.sym)
	if err != nil {
		return 0, false, &relocFail{lm: lm, r: &rl, what: "reading the symbol's DT_VERSYM entry", err: err}
	}
	if symbolic {
		if e := r.versymFromWritten(lm, rl.sym); e != nil {
			return 0, false, &relocFail{lm: lm, r: &rl, what: "reading the symbol's DT_VERSYM entry", err: e}
		}
	}
	return v & 0x7fff, true, nil
}

// relSymbol reads a relocation's symbol entry as ld.so reads it.
func (r *relocator) relSymbol(lm *linkMap, rl reloc) (*sym, *relocFail) {
	s, err := lm.readSym(rl.sym)
	if err != nil {
		return nil, &relocFail{lm: lm, r: &rl, what: "reading the relocation's symbol", err: err}
	}
	if e := r.symFromWritten(lm, rl.sym); e != nil {
		return nil, &relocFail{lm: lm, r: &rl, what: "reading the relocation's symbol", err: e}
	}
	return s, nil
}

func (r *relocator) machineRel(lm *linkMap, rl reloc, textrel bool) *relocFail {
	t := r.types
	fail := func(what string, err error) *relocFail { return &relocFail{lm: lm, r: &rl, what: what, err: err} }
	r.observeReloc(lm, rl)
	ndx, hasNdx, vf := r.relVersion(lm, rl, rl.typ != t.relative && rl.typ != t.relative64 && rl.typ != t.none)
	if vf != nil {
		return vf
	}
	switch rl.typ {
	case t.relative, t.relative64:
		if err := r.write(lm, rl.off, r.word, textrel, "relative relocation target"); err != nil {
			return fail("writing the relocated word", err)
		}
		return nil
	case t.none:
		return nil
	}
	s, sf := r.relSymbol(lm, rl)
	if sf != nil {
		return sf
	}
	r.observeSym(lm, rl, s)
	res, f := r.resolve(lm, &rl, s, hasNdx, ndx, t.plt[rl.typ], rl.typ == t.copy)
	if f != nil {
		return f
	}
	r.selfBound(lm, rl, s, res)
	if f := r.ifuncInExecutable(lm, rl, s, res); f != nil {
		return f
	}
	if t.full && res != nil && res.s.typ() == elf.STT_GNU_IFUNC && res.s.shndx != uint16(elf.SHN_UNDEF) {
		if f := r.resolverCall(lm, rl, res.lm, res.s.value, int64(min(res.s.index, 1<<62)), res.s.shndx == uint16(elf.SHN_ABS), fmt.Sprintf("the resolver of %s, an indirect function (STT_GNU_IFUNC) of %s at 0x%x", orNone(res.lm.symName(res.s).s), filepath.Base(res.lm.obj.name), res.s.value), ""); f != nil {
			return f
		}
	}
	if res != nil {
		r.observeRenamed(lm, rl, s, lm.symName(s))
	}
	size, known := t.size[rl.typ]
	if !t.full {
		size, known = r.word, true
	}
	if !known {
		return &relocFail{lm: lm, r: &rl, what: "a relocation", msg: fmt.Sprintf("unexpected reloc type 0x%s", badTypeHex(rl.typ))}
	}
	if rl.typ == t.copy {
		if res == nil {
			return nil
		}
		size = min(res.s.size, s.size)
		r.copyOfFunction(lm, rl, s, res)
		r.copyNamedLikeImport(lm, rl, s)
		r.copySizes(lm, rl, s, res, ndx, hasNdx)
		r.copySplit(lm, rl, s, res, hasNdx, ndx)
		if size > 0 {
			var b [1]byte
			for _, a := range []uint64{res.s.value, res.s.value + size - 1} {
				if err := res.lm.f.Image().ReadAt(b[:], a, "the copied symbol's bytes"); err != nil {
					// The bytes are the defining object's: past its
					// pages they may be another mapping's (seed
					// 8150006461: chain_var's value moved a page up).
					return fail("copying the symbol's initial value (R_*_COPY)", &readIn{obj: res.lm.obj, err: err})
				}
			}
		}
	}
	if size == 0 {
		return nil
	}
	// A TPOFF64 places the module in static TLS (CHECK_STATIC_TLS), and
	// so does a TLS descriptor where it can (TRY_STATIC_TLS): both reach
	// _dl_try_allocate_static_tls's division by the module's alignment.
	if t.full && res != nil && (rl.typ == uint32(elf.R_X86_64_TPOFF64) || rl.typ == t.tlsdesc) && !r.c.hasTLSBlock(res.lm) {
		return &relocFail{lm: lm, r: &rl, what: "placing the symbol's module in the static TLS block (CHECK_STATIC_TLS)", err: &staticTLSDivide{object: res.lm.obj.name, name: lm.symName(s).s}}
	}
	// The TLS offsets are written only for a symbol that was found.
	if res == nil && (rl.typ == uint32(elf.R_X86_64_DTPOFF64) || rl.typ == uint32(elf.R_X86_64_TPOFF64) || rl.typ == uint32(elf.R_X86_64_DTPMOD64)) && t.full {
		return nil
	}
	if err := r.write(lm, rl.off, size, textrel, "relocation target"); err != nil {
		return fail("writing the relocated value", err)
	}
	r.observeBound(lm, rl, res, size)
	r.overflow32(lm, rl, s, res)
	r.observeFuncTarget(lm, rl, res)
	r.observeDataTarget(lm, rl, res)
	r.observeIfunc(lm, rl, res)
	if t.full && size == r.word && (rl.typ == t.globDat || rl.typ == t.jumpSlot || rl.typ == uint32(elf.R_X86_64_64)) {
		v := slotValue{def: res, ref: rl.sym}
		// R_X86_64_64 is S + A; GLOB_DAT and JUMP_SLOT were S + A too
		// until glibc 2.36 ignored their addend.
		if rl.typ == uint32(elf.R_X86_64_64) || (r.minor != 0 && r.minor < 36) {
			v.addend = uint64(rl.addend)
		} else if r.minor == 0 && rl.addend != 0 {
			v.unknown = true
		}
		r.seq++
		v.seq = r.seq
		lm.values[rl.off] = v
	}
	return nil
}

// null says whether the word is 0: a weak undefined symbol without
// addend, an absolute symbol, or one of a program loaded at 0 (ET_EXEC),
// whose value and addend sum to 0.
func (v slotValue) null() bool {
	switch {
	case v.def == nil:
		return v.addend == 0
	case v.def.s.shndx == uint16(elf.SHN_ABS) || v.def.lm.f.Type == elf.ET_EXEC:
		return v.def.s.value+v.addend == 0
	}
	return false
}

// slotValue is a word a relocation bound to a symbol wrote: the
// definition's address (0 for a weak undefined symbol, def nil) plus the
// addend ld.so added.
type slotValue struct {
	def *lookupResult
	// ref is the index of the symbol the relocation names, in its own
	// object: an index, not the entry, so the map of every bound word
	// keeps no symbol alive.
	ref    uint64
	addend uint64
	// unknown: the glibc release, which decides whether the addend was
	// added, is not known; mangled: a later write changed part of it
	// (mangledRange says what is left).
	unknown, mangled bool
	seq              int // the order of the writes that recorded values
}

// selfBound notes a GOT or PLT slot bound to an undefined symbol of its
// own object: with a local binding RESOLVE_MAP looks nothing up, and the
// slot gets the object's load address plus 0, its ELF header, not code.
// Whether and when the program calls through such a slot is its own
// business, except for two calls glibc's start files make before main:
// _start (crt1.o) calls __libc_start_main, and _init (crti.o) calls
// __gmon_start__ when its slot is not null (a program loaded at 0,
// ET_EXEC, gets a null slot, which _init skips).
func (r *relocator) selfBound(lm *linkMap, rl reloc, s *sym, res *lookupResult) {
	if res == nil || res.lm != lm || res.s != s || s.shndx != uint16(elf.SHN_UNDEF) ||
		(rl.typ != r.types.globDat && rl.typ != r.types.jumpSlot) {
		return
	}
	name := lm.symName(s).s
	if name != "__libc_start_main" && (name != "__gmon_start__" || lm.f.Type != elf.ET_DYN) {
		return
	}
	site := "in _start (crt1.o) calling __libc_start_main, before main"
	// The start files call through the slot they were linked with; a
	// relocation whose symbol index now names one of these functions
	// binds another slot, which they do not call (when their code tells
	// which slot they use).
	called, known := uint64(0), false
	if name == "__gmon_start__" {
		site = "in _init (crti.o) calling __gmon_start__, before main"
		called, known = gmonSlot(lm)
	} else if lm.main {
		called, known = startCallSlot(lm.f, lm.m)
	}
	if known && called != rl.off {
		return
	}
	r.selfCalls = append(r.selfCalls, selfCall{name: name, fail: &relocFail{lm: lm, r: &rl, what: fmt.Sprintf("calling %s through its slot", orNone(name)), site: site,
		err: &inspect.FormatError{Off: -1, Addr: rl.off, InMem: true, Struct: "GOT slot",
			Msg: fmt.Sprintf("symbol %d (%s) is undefined and local in its own object, so ld.so binds the slot at 0x%x to the object's load address, where no code is", s.index, orNone(name), rl.off), Fault: inspect.FaultUnmapped}}})
}

// selfCall is a call through a slot selfBound found.
type selfCall struct {
	name string
	fail *relocFail
}

// resolve replays RESOLVE_MAP (elf/dl-reloc.c): a symbol that is not
// local is looked up with the version its DT_VERSYM entry names, when
// that version has a hash. It returns nil for a weak undefined symbol.
func (r *relocator) resolve(lm *linkMap, rl *reloc, s *sym, hasNdx bool, ndx uint16, plt, copyClass bool) (*lookupResult, *relocFail) {
	if s.bind() == elf.STB_LOCAL || s.bindsLocal() {
		return &lookupResult{s: s, lm: lm}, nil
	}
	version, f := r.versionOf(lm, rl, hasNdx, ndx)
	if f != nil {
		return nil, f
	}
	class := 0
	if plt {
		class |= classPLT
	}
	if copyClass {
		class |= classCopy
	}
	if rl.typ == r.types.globDat && lm.f.Machine == elf.EM_X86_64 && (r.minor == 0 || r.minor < 36) {
		class |= classExternProtected
	}
	return r.lookup(lm, rl, s, version, class)
}

// copySplit looks for a program's copy of a library variable that the
// library's own references do not bind to. Every object's reference to
// the variable searches the global scope, the program first, and finds
// the program's copy there; the library's constructors then initialise
// that copy. When the program's hash table, or its symbol, no longer
// finds it (a damaged bloom filter, bucket or chain), they bind to the
// library's own object instead, which the library initialises while the
// program reads a copy of its bytes from before that: std::cout in a
// C++ program, whose copy's vtable pointer stays 0 (seed 8300002066:
// SIGSEGV at main's first output). What the program does with the stale
// copy is its own code's business: undetermined, given only where the
// program would otherwise start, and only for a variable built at run
// time (its initial bytes all zero): gcc-pie's copy of stdout, a
// pointer libc never changes, runs as well split (prelink-liblist-5741).
func (r *relocator) copySplit(lm *linkMap, rl reloc, s *sym, res *lookupResult, hasNdx bool, ndx uint16) {
	if !lm.main || res == nil || !r.types.full {
		return
	}
	name := lm.symName(s)
	if name.err != nil {
		return
	}
	version, f := r.versionOf(lm, &rl, hasNdx, ndx)
	if f != nil {
		return
	}
	self := res.lm == lm
	if self {
		// The COPY bound the program's own symbol (made local or
		// hidden: it copies itself onto itself); the library's
		// references find what a lookup from the global scope finds.
		def, err := r.search(name.s, s, version, classCopy)
		if err != nil || def == nil || def.lm == lm {
			return
		}
		res = def
	}
	// A variable with an initial value (stdout's pointer, which a
	// RELATIVE of the library's wrote over file bytes of 0; a typeinfo)
	// is copied whole, and the two objects agree until one side writes:
	// nothing is claimed for it. One all zero and unrelocated (.bss,
	// what a C++ stream is until its constructor runs) is built at run
	// time, by the library, in its own object only. A COPY bound to the
	// program itself fills nothing, so its copy keeps the file's bytes
	// whatever the library's value (seed 9998204482: a typeinfo's
	// symbol made local, SIGSEGV at the throw).
	if !self {
		size := min(res.s.size, 1<<16)
		if size == 0 || !r.allZero(res.lm, res.s.value, size) {
			return
		}
		if _, wrote := res.lm.wroteUnder(res.s.value, size, r.word); wrote {
			return
		}
	}
	// As the defining library's own GLOB_DAT searches: its reference is
	// its definition.
	again, err := r.search(name.s, res.s, version, 0)
	if err != nil || again == nil || (again.lm == lm && !self) {
		return
	}
	if self {
		again = res
	}
	base := filepath.Base(again.lm.obj.name)
	r.damage = append(r.damage, relocDamage{lm: lm, code: "copy-split", at: rl.addr,
		what: fmt.Sprintf("%s (COPY of %s) fills the program's copy at 0x%x, but a lookup of %s from the global scope, as %s's own references make, finds %s's definition, not the program's: its hash table or symbol no longer finds the program's copy",
			entryAt(lm, rl), orNone(name.s), rl.off, orNone(name.s), filepath.Base(res.lm.obj.name), base),
		changed: fmt.Sprintf("%s initialises and uses its own %s while the program reads its copy at 0x%x, which holds the bytes the variable had before that (a C++ stream's vtable pointer 0)", base, orNone(name.s), s.value)})
}

// allZero says whether the n bytes at addr of lm's memory, as mapped
// before anything runs, are all zero; false when they cannot be read.
func (r *relocator) allZero(lm *linkMap, addr, n uint64) bool {
	b := make([]byte, n)
	if lm.f.Image().ReadAt(b, addr, "a copied variable's bytes") != nil {
		return false
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// versionOf is the version relocation passes to symbol lookup (elf/do-rel.h,
// then RESOLVE_MAP in elf/dl-reloc.c): &l_versions[ndx], ndx being the
// symbol's DT_VERSYM entry & 0x7fff (machineRel reads it), and none when
// that entry's hash is 0. When no version index was in use (ndx_high 0)
// l_versions is NULL: index 0 is a null version, any other a read in the
// null page. An index at or past l_nversions reads past the array, into
// whatever rtld allocated next, which is not modelled: the replay stops
// there, undetermined (pastVersions).
func (r *relocator) versionOf(lm *linkMap, rl *reloc, hasNdx bool, ndx uint16) (*foundVersion, *relocFail) {
	if !hasNdx {
		return nil, nil
	}
	if lm.versions == nil {
		if ndx == 0 {
			return nil, nil // &NULL[0] is NULL: no version
		}
		// l_versions is NULL: version->hash is read from a small address.
		// struct r_found_version is name, hash, hidden, filename: 24
		// bytes with the hash at 8 on a 64-bit machine, 16 and 4 on a
		// 32-bit one.
		size, hashOff := uint64(24), uint64(8)
		if r.word == 4 {
			size, hashOff = 16, 4
		}
		addr := uint64(ndx)*size + hashOff
		return nil, &relocFail{lm: lm, r: rl, what: "reading the symbol's version (l_versions is empty: the object defines and needs no versions)",
			err: &inspect.FormatError{Off: -1, Addr: addr, InMem: true, Struct: "struct r_found_version", Msg: "ld.so reads it through a null l_versions", Fault: inspect.FaultUnmapped}}
	}
	if int(ndx) >= len(lm.versions) {
		return nil, &relocFail{lm: lm, r: rl, what: "reading the symbol's version", err: r.pastVersions(lm, rl.sym, int(ndx))}
	}
	v := &lm.versions[ndx]
	if v.hash == 0 {
		return nil, nil
	}
	return v, nil
}

// lookup replays _dl_lookup_symbol_x for a relocation of lm.
func (r *relocator) lookup(lm *linkMap, rl *reloc, s *sym, version *foundVersion, class int) (*lookupResult, *relocFail) {
	return r.lookupNamed(lm, rl, s, lm.symName(s), version, class)
}

// lookupNamed is lookup with the symbol's name already read.
func (r *relocator) lookupNamed(lm *linkMap, rl *reloc, s *sym, name cstr, version *foundVersion, class int) (*lookupResult, *relocFail) {
	if name.err != nil {
		return nil, &relocFail{lm: lm, r: rl, what: "reading the symbol's name", err: name.err}
	}
	// The version's name is read only where check_match compares it (a
	// candidate of the same version hash) and where a strong reference
	// that is not found is reported: a name nothing reads decides
	// nothing (seed 8210001018, libchain.so's base version made an
	// ordinary one with an unreadable name, which no lookup compared).
	res, err := r.lookupSymbol(name.s, s, version, class)
	if errors.Is(err, errChainLong) {
		r.note(lm, fmt.Sprintf("looking up %s: %v; the replay assumed it is found", name.s, err))
		return &lookupResult{s: s, lm: lm}, nil
	}
	if err != nil {
		return nil, &relocFail{lm: lm, r: rl, what: fmt.Sprintf("looking up %s", name.s), err: err}
	}
	if res != nil {
		return res, nil
	}
	if s.bind() == elf.STB_WEAK {
		return nil, nil // a weak undefined symbol is 0, without error
	}
	u := &undefinedSym{name: name.s}
	if at, ok := lm.relocatedString(lm.m.add(lm.strtab, uint64(s.name)), len(name.s)); ok {
		u.name, u.relocated, u.hasRelocated = RelocatedBytes, at, true
	}
	if version != nil {
		u.versioned, u.version = true, version.name
		if at, ok := lm.relocatedString(version.nameAt, len(version.name)); ok && version.set {
			u.version = RelocatedBytes
			if !u.hasRelocated {
				u.relocated, u.hasRelocated = at, true
			}
		}
	}
	if r.c.dlopen && !r.c.hostScope {
		// The loading program may define it: its global scope is not
		// known here.
		r.note(lm, fmt.Sprintf("%s is not defined by the library or its dependencies; the program that loads it must define it", name.s))
		return nil, nil
	}
	if version != nil && version.nameErr != nil {
		// _dl_lookup_symbol_x prints ", version NAME".
		return nil, &relocFail{lm: lm, r: rl, what: "reading the symbol's version name for the error message", err: version.nameErr}
	}
	return nil, &relocFail{lm: lm, r: rl, what: "binding a symbol", lookup: u}
}

// fixup replays _dl_fixup (elf/dl-runtime.c) for one lazily bound slot.
// It reads the symbol again, its version, and looks it up unless its
// visibility is not the default (a local binding is not enough to skip
// the lookup here, unlike RESOLVE_MAP).
func (r *relocator) fixup(fx pltFixup) *relocFail {
	lm, rl := fx.lm, fx.r
	if fx.unapplied && rl.typ != r.types.jumpSlot && lm.f.Machine == elf.EM_X86_64 {
		// _dl_fixup asserts the entry's type (dl-runtime.c) before it
		// reads anything else.
		return &relocFail{lm: lm, r: &rl, what: "binding a PLT slot at its first call (_dl_fixup)",
			err: &assertion{file: "dl-runtime.c", fn: "_dl_fixup", expr: "ELFW(R_TYPE)(reloc->r_info) == ELF_MACHINE_JMP_SLOT"}}
	}
	if fx.rebasedTwice {
		return &relocFail{lm: lm, r: &rl, what: "calling through a PLT slot for the first time",
			err: &inspect.FormatError{Off: -1, Addr: rl.off, InMem: true, Struct: "PLT slot",
				Msg: fmt.Sprintf("an earlier relocation bound the slot at 0x%x to a function, then its lazy relocation added the load address to that: the first call jumps past the end of memory", rl.off), Fault: inspect.FaultUnmapped}}
	}
	if fx.prior != nil {
		return r.callThrough(lm, rl.off, *fx.prior, false, "PLT slot", "calling through a PLT slot for the first time", "", &rl)
	}
	if fx.overwritten {
		// The slot holds parts of several words: the call is not
		// judged, but if it reaches _dl_fixup, the binding is written
		// at r_offset all the same.
		return r.fixupCoversSetup(lm, rl)
	}
	// The PLT entry jumps through the GOT word it was linked with, which
	// is r_offset unless r_offset was changed: then ld.so rebased (and
	// _dl_fixup will write) another word, and the entry's own word keeps
	// its file value.
	moved := false
	if word, content, ok := r.pltWord(lm, rl); ok && word != rl.off {
		// Another relocation wrote it: not judged (in a program loaded
		// at 0 a lazy rebase writes nothing new; a binding does).
		if _, bound := lm.values[word]; bound || (lm.written.has(word) && lm.f.Type == elf.ET_DYN) {
			return nil
		}
		if lm.f.Type == elf.ET_DYN {
			if r.surelyUnmapped(lm, content) {
				return &relocFail{lm: lm, r: &rl, what: "calling through a PLT slot for the first time", site: "where the PLT entry jumps, through a GOT word ld.so never rebased, before _dl_fixup",
					err: &inspect.FormatError{Off: -1, Addr: word, InMem: true, Struct: "PLT slot",
						Msg: fmt.Sprintf("the PLT entry jumps through its GOT word at 0x%x, which holds the link-time address 0x%x: r_offset (0x%x) names another word, so ld.so rebased that one instead", word, content, rl.off), Fault: inspect.FaultUnmapped}}
			}
			return nil
		}
		fx.slot = content // loaded at 0: the word leads to _dl_fixup as linked
		moved = true
	}
	// The PLT entry jumps to the slot's content first: in the loader's
	// view (without the load address) that must be code.
	if l := lm.f.Image().Lookup(fx.slot); !l.Mapped || l.Perm&elf.PF_X == 0 {
		state := "unmapped"
		if l.Mapped {
			state = fmt.Sprintf("mapped %s by program header %d, not executable", inspect.FlagString(l.Perm), l.Prog)
			if fetchFault(lm.f, l) == inspect.FaultPastEOF {
				state += ", on a page past the end of the file"
			}
		}
		return &relocFail{lm: lm, r: &rl, what: "calling through a PLT slot for the first time", site: "where the first call through the PLT slot jumps, before ld.so is entered",
			err: &inspect.FormatError{Off: -1, Addr: fx.slot, InMem: true, Struct: "PLT slot",
				Msg: fmt.Sprintf("the slot at 0x%x holds 0x%x (plus the load address), which is %s: the first call jumps there", rl.off, fx.slot, state), Fault: fetchFault(lm.f, l)}}
	}
	// With GOT[1] not 0 in the file, elf_machine_lazy_rel set each slot
	// from l_mach.plt, which in a whole file is its own PLT entry; a
	// moved DT_PLTGOT sets it into other code (pltgot-up-two-words-9510:
	// puts's slot on the ret of _init), which the call runs instead of
	// reaching _dl_fixup.
	if lm.setup.hasPLT && pltSection(lm.f, fx.slot) == nil {
		if j := r.c.inside(lm.f, lm.obj.name, fx.slot, fmt.Sprintf("the first call through the PLT slot at 0x%x", rl.off),
			fmt.Sprintf("elf_machine_lazy_rel set the slot at 0x%x (relocation %d of %s) to l_mach.plt + (slot - &GOT[3]) × 2 = 0x%x, from GOT[1] at DT_PLTGOT, which is not 0 in the file", rl.off, rl.index, rl.table, fx.slot)); j != nil {
			return &relocFail{lm: lm, r: &rl, what: "calling through a PLT slot for the first time", err: j}
		}
	}
	if f := r.pltZero(lm, rl, fx.slot); f != nil {
		return f
	}
	s, err := lm.readSym(rl.sym)
	if err != nil {
		return &relocFail{lm: lm, r: &rl, what: "reading the symbol of a PLT slot at its first call (_dl_fixup)", err: err}
	}
	if e := r.symFromWritten(lm, rl.sym); e != nil {
		return &relocFail{lm: lm, r: &rl, what: "reading the symbol of a PLT slot at its first call (_dl_fixup)", err: e}
	}
	var version *foundVersion
	if lm.hasVersym {
		v, err := lm.versymAt(rl.sym)
		if err != nil {
			return &relocFail{lm: lm, r: &rl, what: "reading the DT_VERSYM entry of a PLT slot's symbol (_dl_fixup)", err: err}
		}
		if e := r.versymFromWritten(lm, rl.sym); e != nil {
			return &relocFail{lm: lm, r: &rl, what: "reading the DT_VERSYM entry of a PLT slot's symbol (_dl_fixup)", err: e}
		}
		var f *relocFail
		if version, f = r.versionOf(lm, &rl, true, v&0x7fff); f != nil {
			return f
		}
	}
	res := &lookupResult{s: s, lm: lm}
	// The name is read once, for the lookup and for the marks below.
	name := lm.symName(s)
	if elf.ST_VISIBILITY(s.other) == elf.STV_DEFAULT {
		var f *relocFail
		if res, f = r.lookupNamed(lm, &rl, s, name, version, classPLT); f != nil {
			return f
		}
		if res == nil {
			// A weak symbol no object defines: _dl_fixup binds 0.
			if f := r.fixupWrite(lm, rl); f != nil {
				return f
			}
			return r.hookSlot(lm, rl, name.s)
		}
	}
	// The binding is written at r_offset whether or not it moved: a
	// PT_GNU_RELRO moved over .got.plt makes the PLT entry's own word
	// read-only too.
	if f := r.fixupWrite(lm, rl); f != nil {
		return f
	}
	if f := r.pltSlotRebound(lm, rl, name.s); f != nil {
		return f
	}
	r.observeRenamed(lm, rl, s, name)
	// The call goes on to what the binding gives: the symbol's object's
	// load address plus st_value (an IFUNC's resolver picks the target,
	// which is not replayed).
	if res.s.typ() == elf.STT_GNU_IFUNC {
		if f := r.resolverCall(lm, rl, res.lm, res.s.value, int64(min(res.s.index, 1<<62)), res.s.shndx == uint16(elf.SHN_ABS), fmt.Sprintf("the resolver of %s, an indirect function (STT_GNU_IFUNC) of %s at 0x%x", orNone(res.lm.symName(res.s).s), filepath.Base(res.lm.obj.name), res.s.value), "in the resolver _dl_fixup calls at the first call through the PLT slot"); f != nil {
			return f
		}
		r.observeIfunc(lm, rl, res)
		return nil
	}
	if res.s.shndx == uint16(elf.SHN_ABS) {
		// An absolute symbol's address is st_value (callThrough): a
		// library's version-name symbols (GLIBC_2.2.5, ABS, value 0)
		// send the call to 0.
		if !r.surelyUnmapped(lm, res.s.value) {
			return nil
		}
		return &relocFail{lm: lm, r: &rl, what: "calling through a PLT slot for the first time", site: "where the first call through the PLT slot jumps, after _dl_fixup bound it",
			err: &inspect.FormatError{Off: -1, Addr: res.s.value, InMem: true, Struct: "PLT target",
				Msg: fmt.Sprintf("the slot is bound to symbol %d of %s, %s, an absolute symbol whose value 0x%x is where nothing can be mapped: the call jumps there", res.s.index, filepath.Base(res.lm.obj.name), orNone(res.lm.symName(res.s).s), res.s.value), Fault: inspect.FaultUnmapped}}
	}
	if l := res.lm.f.Image().Lookup(res.s.value); !l.Mapped || l.Perm&elf.PF_X == 0 {
		if f := r.fixupBeside(lm, rl, res, l.Mapped); f != nil {
			return f
		}
		return &relocFail{lm: lm, r: &rl, what: "calling through a PLT slot for the first time", site: "where the first call through the PLT slot jumps, after _dl_fixup bound it",
			err: &inspect.FormatError{Off: -1, Addr: res.s.value, InMem: true, Struct: "PLT target",
				Msg: fmt.Sprintf("the slot is bound to symbol %d of %s, whose value 0x%x is not code: the call jumps there", res.s.index, filepath.Base(res.lm.obj.name), res.s.value), Fault: fetchFault(res.lm.f, l)}}
	}
	r.observeFuncTarget(lm, rl, res)
	if moved {
		if f := r.fixupCoversSetup(lm, rl); f != nil {
			return f
		}
		return r.fixupOverwrites(lm, rl, res)
	}
	return nil
}

// fixupBeside is the first call through a PLT slot _dl_fixup bound to
// an address outside the pages of the symbol's object but where another
// of the process's mappings may be (besideObject): the call may land in
// code, data or nothing, as the process's layout has it (seed
// 9999980614: 64 KiB past a library, in ld.so's code under one glibc,
// SIGILL). nil when the address is not such a place.
func (r *relocator) fixupBeside(lm *linkMap, rl reloc, res *lookupResult, mapped bool) *relocFail {
	if mapped {
		return nil
	}
	progs, class, ok := r.c.mappedAmongOthers(res.lm.obj)
	if !ok {
		return nil
	}
	near, ok := r.c.besideObject(res.lm.obj, progs, class, res.s.value)
	if !ok {
		return nil
	}
	base := filepath.Base(res.lm.obj.name)
	return &relocFail{lm: lm, r: &rl, what: "calling through a PLT slot for the first time", site: "where the first call through the PLT slot jumps, after _dl_fixup bound it",
		err: &jumpInto{what: "the first call through the PLT slot", obj: res.lm.obj.name, target: res.s.value, outside: true, firstCall: true,
			source: []string{
				fmt.Sprintf("_dl_fixup bound the slot at 0x%x to symbol %d (%s) of %s, whose value 0x%x is %s, outside the pages %s reserves (0x%x-0x%x at link time)",
					rl.off, res.s.index, orNone(res.lm.symName(res.s).s), base, res.s.value, near.side, base, near.lo, near.hi),
				near.others()},
			damage: fmt.Sprintf("a linker gives a function's symbol an address inside its object: the symbol table of %s, or the relocation's symbol index, was damaged", base)}}
}

// fixupCoversSetup is the binding _dl_fixup writes at a changed r_offset
// over part or all of GOT[1] or GOT[2]: the call that made it goes on
// (ld.so returns the address, not the slot), but every later call
// through PLT0, this function's again among them (its own word was never
// written), takes pieces of the function's address for the link map or
// for _dl_runtime_resolve. An event of the first call, as
// setupWordCovered's.
func (r *relocator) fixupCoversSetup(lm *linkMap, rl reloc) *relocFail {
	if !lm.setup.ok {
		return nil
	}
	got1, got2 := lm.setup.got1, lm.setup.got1+r.word
	covers := func(w uint64) bool { return rl.off < w+r.word && rl.off+r.word > w }
	var word string
	var addr uint64
	switch {
	case covers(got1) && covers(got2):
		word, addr = "GOT[1] and GOT[2]", got1
	case covers(got1):
		word, addr = "GOT[1]", got1
	case covers(got2):
		word, addr = "GOT[2]", got2
	default:
		return nil
	}
	var plt0 uint64
	for _, s := range lm.f.Sections {
		if s.Name == ".plt" {
			plt0 = s.Addr
		}
	}
	return &relocFail{lm: lm, r: &rl, what: "calling through the PLT after a first call bound a slot over the GOT's reserved words",
		err: &setupOverwritten{obj: lm.obj.name, word: word, addr: addr, writeAt: rl.off, got1: got1, got2: got2, plt0: plt0, slot: rl.off}}
}

// fixupWrite checks the word elf_machine_fixup_plt writes at r_offset:
// mapped and writable, and not in PT_GNU_RELRO, which is read-only once
// relocation is done.
func (r *relocator) fixupWrite(lm *linkMap, rl reloc) *relocFail {
	page := lm.f.Image().PageSize
	for _, a := range []uint64{rl.off, lm.m.add(rl.off, r.word-1)} {
		l := lm.f.Image().Lookup(a)
		relro := lm.hasRelro && a >= lm.relroAddr&^(page-1) && a < lm.m.add(lm.relroAddr, lm.relroSize)&^(page-1)
		if !l.Mapped || l.Perm&elf.PF_W == 0 || relro {
			state := "which no segment maps"
			switch {
			case relro:
				state = "in PT_GNU_RELRO, read-only once relocation is done"
			case l.Mapped:
				state = fmt.Sprintf("mapped %s by program header %d", inspect.FlagString(l.Perm), l.Prog)
			}
			return &relocFail{lm: lm, r: &rl, what: "binding a PLT slot at its first call (_dl_fixup)",
				err: &inspect.FormatError{Off: -1, Addr: a, InMem: true, Struct: "PLT slot",
					Msg: fmt.Sprintf("_dl_fixup writes the binding at r_offset 0x%x, %s", rl.off, state), Fault: inspect.FaultUnmapped}}
		}
	}
	return nil
}

// fixupOverwrites judges the write elf_machine_fixup_plt makes at a
// changed r_offset: the function's address, whose lowest byte is its
// st_value's (objects are loaded at page boundaries). When that byte
// lands on the top byte of another PLT entry's GOT word and is not 0, the
// word is no longer a canonical address, and the first call through that
// entry after this one faults.
func (r *relocator) fixupOverwrites(lm *linkMap, rl reloc, res *lookupResult) *relocFail {
	low := byte(res.s.value)
	got, ok := lm.d.Tag(elf.DT_PLTGOT)
	if !ok || low == 0 || rl.off < got+7 || (rl.off-got-7)%8 != 0 {
		return nil
	}
	m := int64((rl.off-got-7)/8) - 3
	if m < 0 || m == rl.index {
		return nil
	}
	word, _, ok := r.pltWord(lm, reloc{table: "DT_JMPREL", index: m})
	if _, bound := lm.values[word]; !ok || bound {
		return nil
	}
	return &relocFail{lm: lm, r: &rl, what: "calling through a PLT slot for the first time",
		err: &inspect.FormatError{Off: -1, Addr: word, InMem: true, Struct: "PLT slot",
			Msg: fmt.Sprintf("_dl_fixup writes the binding of symbol %d at r_offset 0x%x, over the top byte of the GOT word at 0x%x of PLT entry %d with 0x%02x: the next call through that entry jumps to a non-canonical address", rl.sym, rl.off, word, m, low), Fault: inspect.FaultUnmapped}}
}

// dtorsCall replays the call crtstuff's __do_global_dtors_aux (the
// function at addr, which _dl_fini calls at exit) makes to __cxa_finalize:
// `cmpq $0, SLOT(%rip); ...; call STUB` where STUB is `jmp *SLOT(%rip)`
// (gcc's .plt.got entry), so the call goes through the word a GLOB_DAT
// bound. That binding is judged as _start's call is (boundCall); a call
// through a lazy PLT entry instead is _dl_fixup's business (firstCalls).
//
// lld's crtstuff call goes through a PLT entry of its own instead, whose
// word the JUMP_SLOT of __cxa_finalize fills; the test reads the GOT slot
// a GLOB_DAT of the same symbol fills. When that word's relocation names
// another function (seed 9300012925: patchelf 0.18 renamed the symbol
// to fflush), that function runs at exit with __dso_handle.
func (r *relocator) dtorsCall(lm *linkMap, addr uint64) *relocFail {
	const what, site = "calling __cxa_finalize at exit", "in __do_global_dtors_aux calling __cxa_finalize, at exit"
	test, word, ok := dtorsCode(lm, addr)
	if !ok {
		return nil
	}
	if test == word {
		return r.boundCall(lm, test, true, "__cxa_finalize", "__cxa_finalize's GOT slot", what, site)
	}
	if v, ok := lm.values[test]; !ok || v.null() || v.mangled || v.unknown {
		return nil // no call, or one not judged
	}
	if _, bound := lm.values[word]; bound {
		return r.boundCall(lm, word, false, "__cxa_finalize", "__cxa_finalize's PLT slot", what, site)
	}
	for _, fx := range r.fixups {
		if fx.lm != lm || fx.r.off != word || fx.r.sym == 0 {
			continue
		}
		s, err := lm.readSym(fx.r.sym)
		if err != nil {
			return nil
		}
		if name := lm.symName(s); name.err == nil && name.s != "__cxa_finalize" {
			return &relocFail{lm: lm, what: what, site: site, err: &reboundCall{obj: lm.obj.name, slot: word,
				slotName: "__cxa_finalize's PLT slot", want: "__cxa_finalize", got: name.s, sym: fx.r.sym}}
		}
		return nil
	}
	return nil
}

// dtorsSlot finds, in __do_global_dtors_aux at addr, the test and call of
// __cxa_finalize through one GOT slot (dtorsCall), and returns the slot.
func dtorsSlot(lm *linkMap, addr uint64) (uint64, bool) {
	test, word, ok := dtorsCode(lm, addr)
	return test, ok && test == word
}

// dtorsCode finds, in __do_global_dtors_aux at addr, `cmpq $0,
// TEST(%rip)` and the call after it to a stub `jmp *WORD(%rip)`: one slot
// in gcc's output (a .plt.got entry), two in lld's (a PLT entry).
func dtorsCode(lm *linkMap, addr uint64) (test, word uint64, ok bool) {
	f := lm.f
	if f.Machine != elf.EM_X86_64 {
		return 0, 0, false
	}
	code := make([]byte, 64)
	if f.Image().ReadAt(code, addr, "__do_global_dtors_aux") != nil {
		return 0, 0, false
	}
	for i := 0; i+8 <= len(code); i++ {
		// 48 83 3d disp32 00: cmpq $0x0, SLOT(%rip)
		if code[i] != 0x48 || code[i+1] != 0x83 || code[i+2] != 0x3d || code[i+7] != 0 {
			continue
		}
		slot := lm.m.add(addr+uint64(i)+8, uint64(int64(int32(get32(f, code[i+3:])))))
		for j := i + 8; j+5 <= len(code); j++ {
			if code[j] != 0xe8 {
				continue
			}
			stub := lm.m.add(addr+uint64(j)+5, uint64(int64(int32(get32(f, code[j+1:])))))
			var e [6]byte
			if f.Image().ReadAt(e[:], stub, "__cxa_finalize's PLT entry") != nil || e[0] != 0xff || e[1] != 0x25 {
				return 0, 0, false
			}
			return slot, lm.m.add(stub+6, uint64(int64(int32(get32(f, e[2:]))))), true
		}
		return 0, 0, false
	}
	return 0, 0, false
}

// linkMapOf is the link map the relocation replay made for o, or nil.
func (r *relocator) linkMapOf(o *loadedObj) *linkMap {
	for _, lm := range r.scope {
		if lm.obj == o {
			return lm
		}
	}
	return nil
}

// pltWord finds the GOT word the x86-64 lazy PLT entry of relocation rl
// jumps through: the linkers lay .got.plt out as three reserved words and
// then one per DT_JMPREL entry in order, and that word's file value is
// the entry's second instruction, `push $index`, after `jmp *word(%rip)`.
// ok is false when the code there is not that (IBT's .plt.sec, other
// machines, a damaged table).
func (r *relocator) pltWord(lm *linkMap, rl reloc) (word, content uint64, ok bool) {
	f := lm.f
	if f.Machine != elf.EM_X86_64 || rl.table != "DT_JMPREL" || rl.index < 0 {
		return 0, 0, false
	}
	got, has := lm.d.Tag(elf.DT_PLTGOT)
	if !has {
		return 0, 0, false
	}
	word = lm.m.add(got, uint64(3+rl.index)*8)
	var b [8]byte
	if f.Image().ReadAt(b[:], word, "GOT word of a PLT entry") != nil {
		return 0, 0, false
	}
	content = get64(f, b[:])
	var e [11]byte // jmp *disp32(%rip); push $index
	if f.Image().ReadAt(e[:], content-6, "PLT entry") != nil || e[0] != 0xff || e[1] != 0x25 || e[6] != 0x68 {
		return 0, 0, false
	}
	disp := uint64(int64(int32(get32(f, e[2:]))))
	if lm.m.add(content, disp) != word || int64(get32(f, e[7:])) != rl.index {
		return 0, 0, false
	}
	return word, content, true
}

// pltZero follows an x86-64 PLT entry's lazy path to PLT0, which jumps
// through GOT[2], where elf_machine_runtime_setup stored
// _dl_runtime_resolve: the entry (at the slot's content) is `push $n; jmp
// PLT0`, PLT0 is `push GOT[1](%rip); jmp *GOT[2](%rip)`. When ld.so wrote
// another GOT[2] (DT_PLTGOT moved), the jump takes the file's value.
// Other PLT layouts are not followed.
func (r *relocator) pltZero(lm *linkMap, rl reloc, entry uint64) *relocFail {
	f := lm.f
	if f.Machine != elf.EM_X86_64 {
		return nil
	}
	var e [10]byte
	if f.Image().ReadAt(e[:], entry, "PLT entry") != nil || e[0] != 0x68 || e[5] != 0xe9 {
		return nil
	}
	plt0 := lm.m.add(entry+10, uint64(int64(int32(get32(f, e[6:])))))
	var p [12]byte
	if f.Image().ReadAt(p[:], plt0, "PLT0") != nil || p[0] != 0xff || p[1] != 0x35 || p[6] != 0xff || p[7] != 0x25 {
		return nil
	}
	got1 := lm.m.add(plt0+6, uint64(int64(int32(get32(f, p[2:])))))
	got2 := lm.m.add(plt0+12, uint64(int64(int32(get32(f, p[8:])))))
	if fail := r.setupWordCovered(lm, rl, plt0, got1, got2); fail != nil {
		return fail
	}
	// elf_machine_runtime_setup wrote GOT[1] (the link map) and GOT[2]
	// (_dl_runtime_resolve) before this object's relocations; a
	// relocation that bound a symbol there (values) wrote over them.
	if v, ok := lm.values[got1]; ok && !v.mangled && !v.unknown && v.null() {
		return &relocFail{lm: lm, r: &rl, what: "calling through the PLT for the first time",
			err: &inspect.FormatError{Off: -1, Addr: got1, InMem: true, Struct: "GOT[1]",
				Msg: fmt.Sprintf("a relocation wrote 0 over GOT[1] at 0x%x, where ld.so had put the object's link map: PLT0 hands that to _dl_fixup, which reads through it", got1), Fault: inspect.FaultUnmapped}}
	}
	if v, ok := lm.values[got2]; ok {
		return r.callThrough(lm, got2, v, false, "GOT[2]", "calling through the PLT for the first time", "", &rl)
	}
	if lm.setup.ok && got2 == lm.setup.got1 {
		// DT_PLTGOT moved a word up: the setup put the link map's
		// address where PLT0 jumps through. struct link_map is data
		// (ld.so's own for the program, malloc'd for a library), never
		// executable.
		return &relocFail{lm: lm, r: &rl, what: "calling through the PLT for the first time", site: "on the link map, where PLT0 jumps through GOT[2] at the first call through the PLT, before ld.so is entered",
			err: &inspect.FormatError{Off: -1, Addr: got2, InMem: true, Struct: "GOT[2]",
				Msg: fmt.Sprintf("PLT0 at 0x%x jumps through 0x%x, where elf_machine_runtime_setup stored the link map's address (DT_PLTGOT says the GOT starts a word higher, 0x%x): the jump lands on data, which is not executable", plt0, got2, got2-r.word), Fault: inspect.FaultUnmapped}}
	}
	if lm.written.has(got2) {
		return nil
	}
	var b [8]byte
	if f.Image().ReadAt(b[:], got2, "GOT[2]") != nil {
		return nil
	}
	v := get64(f, b[:])
	if l := f.Image().Lookup(v); l.Mapped && l.Perm&elf.PF_X != 0 && f.Type == elf.ET_EXEC {
		return nil
	}
	return &relocFail{lm: lm, r: &rl, what: "calling through the PLT for the first time",
		err: &inspect.FormatError{Off: -1, Addr: got2, InMem: true, Struct: "GOT[2]",
			Msg: fmt.Sprintf("PLT0 at 0x%x jumps through 0x%x, which ld.so did not set (it set up lazy binding at DT_PLTGOT): it holds 0x%x from the file", plt0, got2, v), Fault: inspect.FaultUnmapped}}
}

// write checks that ld.so can write n bytes at addr: mapped, writable
// while relocating (RELRO is protected only afterwards; DT_TEXTREL makes
// every segment writable), and backed by the file where it is file-backed.
func (r *relocator) write(lm *linkMap, addr, n uint64, textrel bool, what string) error {
	lm.written.add(addr)
	if lm.setup.ok && addr+n > lm.setup.got1 && addr < lm.setup.got1+2*r.word {
		lm.setup.touched = true
	}
	// A word written before and overlapped now holds something else,
	// not the value recorded for it (a whole new value is recorded by
	// the caller).
	if len(lm.values) > 0 {
		for a := addr - r.word + 1; a != addr+n; a++ {
			if v, ok := lm.values[a]; ok {
				v.mangled = true
				lm.values[a] = v
			}
		}
	}
	im := lm.f.Image()
	for _, a := range []uint64{addr, lm.m.add(addr, n-1)} {
		// Mapping, permissions and the file page are the same for a
		// whole page: one that passed takes no second look.
		page := a &^ (im.PageSize - 1)
		if lm.okPage.ok && lm.okPage.page == page && lm.okPage.textrel == textrel {
			continue
		}
		l := im.Lookup(a)
		if !l.Mapped {
			return &inspect.FormatError{Off: -1, Addr: a, InMem: true, Struct: what, Msg: "ld.so writes to an address no PT_LOAD maps", Fault: inspect.FaultUnmapped}
		}
		if l.Perm&elf.PF_W == 0 && !textrel {
			return &inspect.FormatError{Off: -1, Addr: a, InMem: true, Struct: what,
				Msg: fmt.Sprintf("ld.so writes to memory mapped %s by program header %d", inspect.FlagString(l.Perm), l.Prog), Fault: inspect.FaultUnmapped}
		}
		if l.File && l.Off&^(im.PageSize-1) >= uint64(lm.f.Size()) {
			return &inspect.FormatError{Off: -1, Addr: a, InMem: true, Struct: what,
				Msg: fmt.Sprintf("file offset 0x%x is on a page past the end of the file (size 0x%x)", l.Off, lm.f.Size()), Fault: inspect.FaultPastEOF}
		}
		lm.okPage.page, lm.okPage.textrel, lm.okPage.ok = page, textrel, true
	}
	return nil
}

// protectRelro replays _dl_protect_relro: mprotect from the page of
// PT_GNU_RELRO's start down to the page of its end; every page in between
// must be mapped, or mprotect fails with ENOMEM and ld.so stops.
func (r *relocator) protectRelro(lm *linkMap) *relocFail {
	if !lm.hasRelro || lm.relroSize == 0 {
		return nil
	}
	page := lm.f.Image().PageSize
	start := lm.relroAddr &^ (page - 1)
	end := lm.m.add(lm.relroAddr, lm.relroSize) &^ (page - 1)
	if start == end {
		return nil
	}
	enomem := &relocFail{lm: lm, what: "making PT_GNU_RELRO read-only", msg: "cannot apply additional memory protection after relocation: Cannot allocate memory"}
	if lm.spanMapped {
		// Below a library lie the objects mapped after it, or nothing: a
		// p_vaddr a little below 0 (a negative offset from the load
		// address, which the link-time view wraps) or below its first
		// segment starts mprotect there.
		lo, hi := r.mappedSpan(lm)
		if off := int64(lm.relroAddr); (off < 0 && off > -(1<<32)) || (start < lo && end > start) {
			enomem.err = &relroPast{below: true, end: lm.relroAddr, reach: lo}
			return enomem
		}
		// Wholly above the reservation, within reach of what lies
		// there, mprotect may find every page mapped.
		if start >= hi && start-hi < 1<<32 && end > start {
			enomem.err = &relroPast{end: end, reach: hi}
			return enomem
		}
	}
	if end < start {
		return enomem // the length wraps: mprotect refuses it
	}
	// The pages mapped for the object: each PT_LOAD's for the program
	// (the kernel maps them one by one), the whole reservation for a
	// library.
	type span struct{ lo, hi uint64 }
	var spans []span
	if lm.spanMapped {
		lo, hi := r.mappedSpan(lm)
		spans = append(spans, span{lo, hi})
	} else {
		for _, p := range lm.f.ProgsOfType(elf.PT_LOAD) {
			if hi, ok := addNoOverflow(p.Vaddr, p.Memsz); ok {
				spans = append(spans, span{p.Vaddr &^ (page - 1), roundUp(hi, page)})
			}
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	covered := start
	for _, sp := range spans {
		if sp.lo > covered {
			break
		}
		covered = max(covered, sp.hi)
	}
	if covered < end {
		if lm.spanMapped && len(spans) > 0 && covered == spans[len(spans)-1].hi {
			// Past a library's reservation lies whatever the process
			// mapped above it (rtld's malloc pages, another object,
			// the vDSO): mprotect changes every mapping up to the first
			// hole before it fails, so the error may or may not be
			// printed before something made read-only is written.
			enomem.err = &relroPast{end: end, reach: covered}
		}
		return enomem
	}
	return nil
}

// relroPast is a PT_GNU_RELRO that reaches past the library's
// reservation, into what the process has mapped above it.
// relroPast is a PT_GNU_RELRO that reaches past the library's
// reservation: above it (end), or, with below, from below its start
// (end is then the start).
type relroPast struct {
	end, reach uint64
	below      bool
}

func (e *relroPast) Error() string {
	if e.below {
		return fmt.Sprintf("PT_GNU_RELRO starts at 0x%x (from the load address), below the object's reservation, which starts at 0x%x", e.end, e.reach)
	}
	return fmt.Sprintf("PT_GNU_RELRO ends at 0x%x, past the object's reservation, which ends at 0x%x", e.end, e.reach)
}

// relroPastFinding is the undetermined verdict on a relroPast.
func (r *relocator) relroPastFinding(f *relocFail, e *relroPast) Finding {
	base := filepath.Base(f.lm.obj.name)
	possible := openBeforeMain()
	if r.c.dlopen {
		possible = openInDlopen()
	}
	fd := Finding{Severity: SeverityFatal, Stage: StageReloc, Code: "relro-past-reservation", Object: f.lm.obj.name,
		Outcome: OutcomeUndetermined, Possible: possible,
		Summary: fmt.Sprintf("undetermined: after relocating %s, ld.so makes its PT_GNU_RELRO read-only up to 0x%x, past the end of the pages ld.so reserved for it (0x%x): mprotect changes whatever the process has mapped above it (rtld's malloc pages, another object, the vDSO) up to the first hole, then fails; whether ld.so's error or a write to something made read-only comes first, nothing in the files says", base, e.end, e.reach),
		Evidence: []string{
			fmt.Sprintf("PT_GNU_RELRO of %s: vaddr 0x%x, MemSiz 0x%x; a linker ends it within the object", base, f.lm.relroAddr, f.lm.relroSize),
			e.Error(),
		},
		Next: fmt.Sprintf("%s's program headers were damaged: reinstall it, or compare it with a pristine copy using `elfdoctor diff`; a run tells only what one process's layout gave", base)}
	if e.below {
		fd.Summary = fmt.Sprintf("undetermined: after relocating %s, ld.so makes its PT_GNU_RELRO read-only from 0x%x (from the load address), below the start of the library: mprotect changes whatever the process has mapped below it (the objects loaded after it) or fails on the first hole; whether that ends in ld.so's error, a write to something made read-only, or nothing, depends on the process's layout", base, e.end)
	}
	return fd
}

// mappedSpan is the reservation ld.so maps for a library: from its first
// PT_LOAD's page to the end of its last.
func (r *relocator) mappedSpan(lm *linkMap) (uint64, uint64) {
	loads := lm.f.ProgsOfType(elf.PT_LOAD)
	if len(loads) == 0 {
		return 0, 0
	}
	page := lm.f.Image().PageSize
	lo := loads[0].Vaddr &^ (page - 1)
	last := loads[len(loads)-1]
	return lo, roundUp(last.Vaddr+last.Memsz, page)
}

// exhausted notes that the replay ran out of budget; what follows is not
// predicted.
func (r *relocator) exhausted(lm *linkMap) *relocFail {
	lm.partial = true
	r.note(lm, fmt.Sprintf("the relocation replay stopped after %d steps; the rest of the relocations are not predicted", maxReplaySteps))
	return nil
}

// note records, once, something the replay could not know.
func (r *relocator) note(lm *linkMap, s string) {
	if r.notes[s] {
		return
	}
	r.notes[s] = true
	r.c.add(Finding{Severity: SeverityWarning, Stage: StageReloc, Code: "reloc-unpredictable", Object: lm.obj.name, Summary: s})
}

// pastVersionsRead is ld.so reading l_versions[ndx] with ndx at or past
// the array's end (RESOLVE_MAP and _dl_fixup take &l_versions[ndx], then
// version->hash; check_match reads the defining object's entry): the
// bytes it reads are whatever rtld's __minimal_malloc put after the
// array, which depends on every allocation made before and on where the
// kernel put the vDSO (docs/decisions.md). Nothing in the files says what
// is there, so what follows is not predicted.
type pastVersionsRead struct {
	obj     string
	sym     uint64 // the symbol index whose DT_VERSYM entry was read
	ndx     int    // the version index, & 0x7fff
	entries int    // len(l_versions)
	addr    uint64 // the DT_VERSYM entry's address in the object's view
	off     int64  // its file offset, -1 when no file byte backs it
	entSize int    // sizeof(struct r_found_version)
}

// versymWritten is a DT_VERSYM entry, or a symbol, that ld.so reads from
// a word it wrote itself before: GOT[1] or GOT[2], where
// elf_machine_runtime_setup stored the link map's and
// _dl_runtime_resolve's addresses, a word a relocation wrote (DT_VERSYM
// moved onto .got.plt or .got), or a .dynamic pointer ADJUST_DYN_INFO
// rebased (DT_SYMTAB moved onto .dynamic). The version index, or the
// symbol's name offset, type and value, are then pieces of an address,
// which no file decides.
type versymWritten struct {
	obj   string
	sym   uint64 // the symbol whose entry was read
	addr  uint64 // the entry's address in the object's view
	words string // what ld.so wrote there, for people
	// symbol: the symbol itself was read there, not its version index.
	symbol bool
}

func (e *versymWritten) Error() string {
	if e.symbol {
		return fmt.Sprintf("symbol %d of %s, at 0x%x, is read from %s", e.sym, filepath.Base(e.obj), e.addr, e.words)
	}
	return fmt.Sprintf("DT_VERSYM entry %d of %s, at 0x%x, is read from %s", e.sym, filepath.Base(e.obj), e.addr, e.words)
}

// versymFromWritten returns the event when symbol i's DT_VERSYM entry
// lies on bytes ld.so wrote before reading it; nil otherwise.
func (r *relocator) versymFromWritten(lm *linkMap, i uint64) *versymWritten {
	return r.readFromWritten(lm, i, lm.m.add(lm.versym, 2*i), 2, false)
}

// symFromWritten returns the event when symbol i itself (DT_SYMTAB's
// entry) lies on bytes ld.so wrote before reading it; nil otherwise.
func (r *relocator) symFromWritten(lm *linkMap, i uint64) *versymWritten {
	n := symSize(lm.f)
	return r.readFromWritten(lm, i, lm.m.add(lm.symtab, i*n), n, true)
}

func (r *relocator) readFromWritten(lm *linkMap, i, a, n uint64, symbol bool) *versymWritten {
	if lm.setup.ok && a+n > lm.setup.got1 && a < lm.setup.got1+2*r.word {
		return &versymWritten{obj: lm.obj.name, sym: i, addr: a, symbol: symbol, words: "GOT[1] or GOT[2], where elf_machine_runtime_setup stored the link map's and _dl_runtime_resolve's addresses before relocating"}
	}
	if lm.written == nil {
		return nil
	}
	if w, ok := lm.wroteUnder(a, n, r.word); ok {
		words := fmt.Sprintf("the word at 0x%x, which a relocation wrote before", w)
		if slices.Contains(lm.rebasedDyn, w) {
			words = fmt.Sprintf("the word at 0x%x, a pointer of .dynamic that ld.so rebased by the load address (ADJUST_DYN_INFO)", w)
		}
		return &versymWritten{obj: lm.obj.name, sym: i, addr: a, symbol: symbol, words: words}
	}
	return nil
}

// versymWrittenFinding is the undetermined finding of a versymWritten.
func (r *relocator) versymWrittenFinding(f *relocFail, e *versymWritten, firstCall bool) Finding {
	base := filepath.Base(e.obj)
	fd := Finding{Severity: SeverityFatal, Stage: StageReloc, Code: "versym-from-written", Object: e.obj, Outcome: OutcomeUndetermined,
		Summary: fmt.Sprintf("undetermined: while relocating %s, ld.so reads symbol %d's version index (DT_VERSYM) from %s: the index is two bytes of an address set by where the kernel put each object, which no file decides, and may name no version, another version, or one past the array",
			base, e.sym, e.words),
		Evidence: []string{e.Error(), "a linker puts DT_VERSYM on .gnu.version, which ld.so never writes: the dynamic entry was damaged"},
		Possible: openBeforeMain(),
		Next:     fmt.Sprintf("compare %s with the pristine file using `elfdoctor diff`: its DT_VERSYM is damaged; a run tells only what one process's layout gave", base)}
	if e.symbol {
		fd.Code = "symbol-from-written"
		fd.Summary = fmt.Sprintf("undetermined: while relocating, ld.so reads symbol %d of %s from %s: its name offset, type, binding and value are pieces of an address set by where the kernel put each object, which no file decides, so the name it looks up may be unreadable (a crash), another name (a lookup error) or one that binds",
			e.sym, base, e.words)
		fd.Evidence = []string{e.Error(), "a linker puts DT_SYMTAB on .dynsym, which ld.so never writes: the dynamic entry or the relocation's symbol index was damaged"}
		fd.Next = fmt.Sprintf("compare %s with the pristine file using `elfdoctor diff`: its DT_SYMTAB or a relocation's symbol index is damaged; a run tells only what one process's layout gave", base)
	}
	if firstCall {
		fd.Code += "-at-first-call"
		fd.Possible = []Outcome{OutcomeStarts, OutcomeFirstCall}
	}
	if r.c.dlopen {
		fd.Possible = openInDlopen()
	}
	if f.r != nil {
		fd.Evidence = append(fd.Evidence, fmt.Sprintf("relocation %d of %s of %s (at 0x%x: r_offset 0x%x, symbol %d, type %d)", f.r.index, f.r.table, base, f.r.addr, f.r.off, f.r.sym, f.r.typ))
	}
	return fd
}

func (e *pastVersionsRead) Error() string {
	return fmt.Sprintf("DT_VERSYM entry %d of %s gives version index %d, past the %d entries of l_versions", e.sym, filepath.Base(e.obj), e.ndx, e.entries)
}

// pastVersions describes ld.so's read of l_versions[ndx] for symbol symIdx
// of lm, ndx being past the array. The caller stops the replay there.
func (r *relocator) pastVersions(lm *linkMap, symIdx uint64, ndx int) *pastVersionsRead {
	e := &pastVersionsRead{obj: lm.obj.name, sym: symIdx, ndx: ndx, entries: len(lm.versions), off: -1, entSize: 24}
	if r.word == 4 {
		e.entSize = 16
	}
	e.addr = lm.m.add(lm.versym, 2*symIdx)
	if l := lm.f.Image().Lookup(e.addr); l.Mapped && l.File {
		e.off = int64(l.Off)
	}
	return e
}

// undetermined turns a read the replay cannot know into its finding: the
// outcome is undetermined, with the outcomes still possible from that
// point on. A read during start-up relocation can lead anywhere after it
// (a version error, a crash in ld.so, a wrong binding that fails later,
// or a normal start); one in a lazy binding happens after the program
// has started, at the first call through the slot.
func (r *relocator) undetermined(f *relocFail, e *pastVersionsRead, firstCall bool) Finding {
	base := filepath.Base(e.obj)
	at := fmt.Sprintf("at 0x%x, not backed by the file", e.addr)
	if e.off >= 0 {
		at = fmt.Sprintf("at 0x%x, file offset 0x%x", e.addr, e.off)
	}
	fd := Finding{Severity: SeverityFatal, Stage: StageReloc, Code: "versym-past-versions", Object: e.obj,
		Outcome: OutcomeUndetermined,
		Summary: fmt.Sprintf("undetermined: while relocating %s, ld.so reads version %d of %s, past the %d entries of that version array, so what it reads is whatever its allocator put next: it may start, stop with a symbol lookup error, or crash in ld.so, and nothing in the files says which",
			filepath.Base(f.lm.obj.name), e.ndx, base, e.entries),
		Evidence: []string{
			fmt.Sprintf("object %s, symbol %d: its DT_VERSYM entry (%s) gives version index %d", base, e.sym, at, e.ndx),
			fmt.Sprintf("the version array of %s (l_versions) has %d entries: ld.so reads entry %d (%d-byte struct r_found_version, its hash and name) %d bytes past the array's end, in whatever rtld allocated next",
				base, e.entries, e.ndx, e.entSize, (e.ndx-e.entries)*e.entSize),
		},
		Next: "the file is damaged at the DT_VERSYM entry above: compare with the pristine file using `elfdoctor diff`; a run tells only what one process's memory layout gave"}
	if e.off >= 0 {
		fd.Next = fmt.Sprintf("the file is damaged at file offset 0x%x (DT_VERSYM entry %d of %s): compare with the pristine file using `elfdoctor diff`; a run tells only what one process's memory layout gave", e.off, e.sym, base)
	}
	if f.r != nil {
		fd.Evidence = append(fd.Evidence, fmt.Sprintf("relocation %d of %s of %s (at 0x%x: r_offset 0x%x, symbol %d, type %d)",
			f.r.index, f.r.table, filepath.Base(f.lm.obj.name), f.r.addr, f.r.off, f.r.sym, f.r.typ))
	}
	switch {
	case firstCall:
		fd.Code += "-at-first-call"
		fd.Summary = fmt.Sprintf("undetermined: the program starts, and at the first call through a lazily bound PLT slot ld.so (_dl_fixup) reads version %d of %s, past the %d entries of that version array: that call may go on, stop with a symbol lookup error, or crash in ld.so, and nothing in the files says which",
			e.ndx, base, e.entries)
		fd.Possible = []Outcome{OutcomeStarts, OutcomeFirstCall}
	case r.c.dlopen:
		fd.Possible = openInDlopen()
	default:
		fd.Possible = openBeforeMain()
	}
	return fd
}

// finding turns a relocation failure into what check reports. firstCall
// is a failure of a lazily bound slot, after the program has started.
func (r *relocator) finding(f *relocFail, firstCall bool) Finding {
	var pv *pastVersionsRead
	if errors.As(f.err, &pv) {
		return r.undetermined(f, pv, firstCall)
	}
	var vw *versymWritten
	if errors.As(f.err, &vw) {
		return r.versymWrittenFinding(f, vw, firstCall)
	}
	var ew *entryWritten
	if errors.As(f.err, &ew) {
		base := filepath.Base(ew.obj)
		fd := Finding{Severity: SeverityFatal, Stage: StageReloc, Code: "reloc-entry-from-written", Object: ew.obj, Outcome: OutcomeUndetermined,
			Summary:  fmt.Sprintf("undetermined: while relocating %s, ld.so reads a relocation entry from words it wrote itself before: the entry's fields are pieces of addresses set by where the kernel put each object, which no file decides, so what it writes where, or what it looks up, is not replayed", base),
			Evidence: []string{ew.Error(), "a linker puts a relocation table in its own section (.rela.dyn, .rela.plt), which ld.so never writes: the table's dynamic entry was damaged"},
			Possible: openBeforeMain(),
			Next:     fmt.Sprintf("compare %s with the pristine file using `elfdoctor diff`: its relocation table's address is damaged; a run tells only what one process's layout gave", base)}
		if r.c.dlopen {
			fd.Possible = openInDlopen()
		}
		if f.r != nil {
			fd.Evidence = append(fd.Evidence, f.r.where())
		}
		return fd
	}
	var j *jumpInto
	if errors.As(f.err, &j) {
		return r.c.jumpFinding(j)
	}
	var rp *relroPast
	if errors.As(f.err, &rp) {
		return r.relroPastFinding(f, rp)
	}
	var so *setupOverwritten
	if errors.As(f.err, &so) {
		return r.setupOverwrittenFinding(f, so)
	}
	var rc *reboundCall
	if errors.As(f.err, &rc) {
		return r.c.reboundFinding(rc)
	}
	var sd *setupDynamic
	if errors.As(f.err, &sd) {
		return setupDynamicFinding(f.lm.obj.name, StageReloc, sd)
	}
	var sd0 *staticTLSDivide
	if errors.As(f.err, &sd0) {
		access, how := "initial-exec access", "CHECK_STATIC_TLS, _dl_allocate_static_tls"
		variable := "the thread-local variable " + sd0.name
		if sd0.name == "" {
			variable = fmt.Sprintf("symbol %d, which has no name,", f.r.sym)
		}
		if f.r.typ == r.types.tlsdesc {
			access, how = "a TLS descriptor", "TRY_STATIC_TLS"
		}
		return Finding{Severity: SeverityFatal, Stage: StageReloc, Code: "tls-static-no-block", Object: f.lm.obj.name,
			Summary:  fmt.Sprintf("%s binds %s for %s in %s, which has no thread-local block: ld.so divides by that object's TLS alignment, 0, while relocating, a divide error (SIGFPE) before main", filepath.Base(f.lm.obj.name), variable, access, filepath.Base(sd0.object)),
			Evidence: []string{fmt.Sprintf("relocation %d of %s (at 0x%x: r_offset 0x%x, symbol %d, type %d, %s)", f.r.index, f.r.table, f.r.addr, f.r.off, f.r.sym, f.r.typ, typeName(f.r.typ)), sd0.Error() + " (" + how + ")"},
			Outcome:  OutcomeCrash, Signal: "SIGFPE", Message: "SIGFPE in ld.so before main (_dl_try_allocate_static_tls)",
			Next: "a TLS relocation now binds a symbol no thread-local block holds (a damaged symbol index, visibility or PT_TLS): compare with the pristine file using `elfdoctor diff`"}
	}
	var hl *hashChainLoop
	if errors.As(f.err, &hl) {
		base := filepath.Base(hl.obj)
		fd := Finding{Severity: SeverityFatal, Stage: StageReloc, Code: "hash-chain-loop", Object: hl.obj, Outcome: OutcomeHangs,
			Summary:  fmt.Sprintf("ld.so never finishes relocating %s: looking up %s, it walks a DT_HASH chain of %s that loops, and waits forever before main", filepath.Base(f.lm.obj.name), orNone(hl.name), base),
			Evidence: []string{hl.Error(), "a linker ends every chain with index 0: the hash table was damaged"},
			Next:     fmt.Sprintf("compare %s with the pristine file using `elfdoctor diff`: look at its DT_HASH chain", base)}
		if f.r != nil {
			fd.Evidence = append(fd.Evidence, f.r.where())
		}
		if firstCall {
			// The program has started; it hangs when it first calls
			// the function.
			fd.Code += "-at-first-call"
			fd.Outcome, fd.Possible = OutcomeUndetermined, []Outcome{OutcomeHangs}
			fd.Summary = fmt.Sprintf("undetermined: the program starts, and its first call through a lazily bound PLT slot of %s looks up %s in a DT_HASH chain of %s that loops: it hangs there, after whatever main did before", filepath.Base(f.lm.obj.name), orNone(hl.name), base)
		}
		return fd
	}
	var dr *dataRebased
	if errors.As(f.err, &dr) {
		base := filepath.Base(dr.obj)
		what := "a word an earlier relocation of the object wrote"
		if dr.copied {
			what = "the program's copy of a library variable, which a COPY relocation filled"
		}
		fd := Finding{Severity: SeverityFatal, Stage: StageReloc, Code: "rebase-over-data", Object: dr.obj, Outcome: OutcomeUndetermined,
			Summary:  fmt.Sprintf("undetermined: ld.so's lazy rebase of a PLT relocation of %s adds the load address to the word at 0x%x, %s: the program reads a value moved by where the kernel put %s, at a time its code decides", base, dr.at, what, base),
			Evidence: []string{dr.Error(), fmt.Sprintf("the PLT entry of this relocation jumps through its GOT word at 0x%x, which no relocation rebases: its r_offset was damaged", dr.slot)},
			Possible: openBeforeMain(),
			Next:     fmt.Sprintf("compare %s with the pristine file using `elfdoctor diff`: a PLT relocation's r_offset was moved; a run tells only what one process's layout gave", base)}
		if f.r != nil {
			fd.Evidence = append(fd.Evidence, f.r.where())
		}
		return fd
	}
	var rf *resolverFault
	if errors.As(f.err, &rf) {
		base := filepath.Base(f.lm.obj.name)
		call := fmt.Sprintf("ld.so calls %s, which jumps to %s", rf.what, rf.why)
		fd := Finding{Severity: SeverityFatal, Stage: StageReloc, Code: "ifunc-resolver-fault", Object: f.lm.obj.name,
			Summary:  fmt.Sprintf("while relocating %s, %s: a %s before main", base, call, rf.signal),
			Evidence: []string{rf.Error(), "a linker points an IRELATIVE's addend, or an STT_GNU_IFUNC symbol's value, at the start of its resolver function: the value, or the symbol's type, was damaged"},
			Outcome:  OutcomeCrash, Signal: rf.signal, Message: fmt.Sprintf("%s in an indirect function's resolver, called by ld.so while relocating %s, before main", rf.signal, base),
			Next: fmt.Sprintf("compare %s with the pristine file using `elfdoctor diff`: look at the relocation and the symbol the evidence names", base)}
		if f.r != nil {
			fd.Evidence = append(fd.Evidence, f.r.where())
		}
		if firstCall {
			fd.Code += "-at-first-call"
			fd.Outcome = OutcomeFirstCall
			fd.Summary = r.c.firstCallLead() + call
			fd.Message = rf.signal + " " + f.site
		}
		return fd
	}
	var ic *ifuncCircular
	if errors.As(f.err, &ic) {
		return Finding{Severity: SeverityFatal, Stage: StageReloc, Code: "ifunc-in-executable", Object: f.lm.obj.name,
			Summary:  fmt.Sprintf("%s binds %s to an IFUNC the program defines, before the program is relocated: ld.so refuses to run the program's resolver then", filepath.Base(f.lm.obj.name), orNone(ic.name)),
			Evidence: []string{f.r.where(), "ld.so relocates the program last, so a library's relocation cannot call a resolver in it"},
			Outcome:  OutcomeLoaderError, ExitStatus: 127, Message: ic.Error(),
			Next: "the program's symbol should not be an IFUNC that libraries use (a damaged st_info?): compare with the pristine file using `elfdoctor diff`"}
	}
	during := "relocating " + filepath.Base(f.lm.obj.name)
	if firstCall {
		during = "at the first call through a lazily bound PLT slot of " + filepath.Base(f.lm.obj.name)
	}
	if fd, ok := r.c.pastMappingFinding(f.lm.obj, f.err, f.what, StageReloc, during, firstCall); ok {
		if f.possible != nil && !firstCall && !r.c.dlopen {
			fd.Possible = f.possible
			fd.Evidence = append(fd.Evidence, f.because)
		}
		return fd
	}
	c := r.c
	who := c.display(f.lm.obj)
	where := ""
	if f.r != nil {
		where = f.r.where()
	}
	fd := Finding{Severity: SeverityFatal, Stage: StageReloc, Object: f.lm.obj.name,
		Next: "compare with the pristine file using `elfdoctor diff`"}
	if where != "" {
		fd.Evidence = append(fd.Evidence, where)
	}
	objPrefix := ""
	if !f.lm.main {
		objPrefix = who + ": "
	}
	base := filepath.Base(f.lm.obj.name)
	var as *assertion
	var pa *protectedAccess
	switch {
	case errors.As(f.err, &pa):
		fd.Code = "protected-indirect-access"
		fd.Message, fd.Outcome, fd.ExitStatus = pa.Error(), OutcomeLoaderError, 127
		fd.Summary = fmt.Sprintf("%s references %s as if it could be preempted, and the library defining it with protected visibility needs indirect external access (GNU_PROPERTY_1_NEEDED_INDIRECT_EXTERN_ACCESS): glibc 2.35 and later refuse", base, orNone(pa.name))
		fd.Next = "the program was linked against a build of the library where the symbol was not protected, or with copy relocations the library forbids: rebuild the program as PIE against this library, or use the library it was linked with"
	case f.lookup != nil:
		fd.Code = "symbol-undefined"
		msg := fmt.Sprintf("symbol lookup error: %s: undefined symbol: %s", who, f.lookup.name)
		if f.lookup.versioned {
			msg += ", version " + f.lookup.version
		}
		fd.Message, fd.Outcome, fd.ExitStatus = msg, OutcomeLoaderError, 127
		fd.Summary = fmt.Sprintf("%s binds %s, which none of the objects ld.so loaded defines", base, orNone(f.lookup.name))
		if f.lookup.versioned {
			fd.Summary = fmt.Sprintf("%s binds %s with version %s, which none of the objects ld.so loaded defines", base, orNone(f.lookup.name), f.lookup.version)
		}
		fd.Evidence = append(fd.Evidence, "looked in "+c.objectNames())
		if f.lookup.hasRelocated {
			fd.Evidence = append(fd.Evidence, fmt.Sprintf("the name lies on the word at 0x%x, which ld.so wrote before the lookup (a relocation, or the load bias it adds to .dynamic's pointers): it prints that value's bytes, another address every run (%s stands for them)", f.lookup.relocated, RelocatedBytes))
		}
		fd.Next = "a DT_NEEDED library is missing or was replaced (patchelf --replace-needed?), or the symbol table was damaged: compare with the pristine file using `elfdoctor diff`"
	case errors.As(f.err, &as):
		fd.Code = "reloc-assertion"
		fd.Message, fd.Outcome, fd.ExitStatus = as.Error(), OutcomeLoaderError, 127
		fd.Summary = fmt.Sprintf("ld.so's assertion fails on %s while %s", base, f.what)
	case f.msg != "":
		fd.Code = "reloc-error"
		fd.Message, fd.Outcome, fd.ExitStatus = "error while loading shared libraries: "+objPrefix+f.msg, OutcomeLoaderError, 127
		fd.Summary = fmt.Sprintf("ld.so stops while %s of %s: %s", f.what, base, f.msg)
		if f.because != "" {
			fd.Evidence = append(fd.Evidence, f.because)
		}
	default:
		sig := faultSignal(f.err)
		fd.Code = "reloc-fault"
		fd.Outcome, fd.Signal = OutcomeCrash, sig
		fd.Message = fmt.Sprintf("%s in ld.so while relocating %s, before main", sig, base)
		if f.site != "" {
			fd.Message = sig + " " + f.site
		}
		fd.Summary = fmt.Sprintf("ld.so faults while %s of %s", f.what, base)
		fd.Evidence = append(fd.Evidence, f.err.Error())
	}
	if firstCall {
		fd.Code += "-at-first-call"
		fd.Outcome = OutcomeFirstCall
		fd.Summary = r.c.firstCallLead() + fd.Summary
		switch {
		case fd.Signal != "" && f.site != "":
			fd.Message = fd.Signal + " " + f.site
		case fd.Signal != "":
			fd.Message = fmt.Sprintf("%s in ld.so (_dl_fixup) at the first call through the PLT slot", fd.Signal)
		}
	}
	return fd
}

// ifuncCircular is what elf_machine_rela (x86-64) prints with
// _dl_fatal_printf, exiting 127, when an object relocated before the
// program binds an IFUNC the program defines.
// staticTLSDivide is an initial-exec TLS relocation (R_X86_64_TPOFF64)
// bound to an object with no TLS block: CHECK_STATIC_TLS finds its
// l_tls_offset unset and calls _dl_allocate_static_tls, whose
// _dl_try_allocate_static_tls divides the free static TLS by the
// object's l_tls_align, 0.
// dataRebased is elf_machine_lazy_rel's `*reloc_addr += l_addr` on a
// word an earlier relocation of the object wrote, while the PLT entry the
// linker made for the relocation jumps through another word (slot).
type dataRebased struct {
	obj    string
	at     uint64
	copied bool // a COPY relocation filled the word
	slot   uint64
}

func (e *dataRebased) Error() string {
	return fmt.Sprintf("the lazy rebase of %s adds the load address to the word at 0x%x, which an earlier relocation wrote", filepath.Base(e.obj), e.at)
}

type staticTLSDivide struct{ object, name string }

func (e *staticTLSDivide) Error() string {
	return fmt.Sprintf("%s has no PT_TLS: _dl_try_allocate_static_tls divides by its l_tls_align, 0", filepath.Base(e.object))
}

type ifuncCircular struct{ prog, name, in string }

func (e *ifuncCircular) Error() string {
	return fmt.Sprintf("%s: IFUNC symbol '%s' referenced in '%s' is defined in the executable and creates an unsatisfiable circular dependency.", e.prog, e.name, e.in)
}

// ifuncInExecutable replays elf_machine_rela's test before it calls an
// IFUNC resolver: one defined in another object that ld.so has not
// relocated yet. Defined in the executable (relocated last), the loaders
// that carry the message stop (upstream 2.33 on, and Debian's 2.31);
// in a library, ld.so says "Relink" and calls the resolver, which is not
// replayed.
func (r *relocator) ifuncInExecutable(lm *linkMap, rl reloc, s *sym, res *lookupResult) *relocFail {
	if res == nil || res.s == nil || res.s.typ() != elf.STT_GNU_IFUNC || res.s.shndx == uint16(elf.SHN_UNDEF) ||
		res.lm == lm || res.lm.relocated || res.lm.obj.preloaded || !res.lm.main || r.c.dlopen ||
		lm.f.Machine != elf.EM_X86_64 || !r.types.full {
		return nil
	}
	li := r.c.li
	if li == nil || (li.read && !li.ifuncCircular) || (!li.read && r.minor != 0 && r.minor < 33) {
		return nil
	}
	return &relocFail{lm: lm, r: &rl, what: "binding an IFUNC symbol",
		err: &ifuncCircular{prog: r.progName(), name: lm.symName(s).s, in: r.c.display(lm.obj)}}
}

// pltStubCount counts, from the section table of an x86-64 object, the
// PLT entries that jump through a slot of DT_JMPREL's: each 16 bytes,
// after PLT0 in .plt, or all of .plt.sec where the linker split them
// (IBT). ok is false when the sections do not say (none, an .iplt, sizes
// that are not whole entries).
func pltStubCount(f *inspect.File) (n int, ok bool) {
	if f.Machine != elf.EM_X86_64 {
		return 0, false
	}
	var plt, sec *inspect.Section
	for i := range f.Sections {
		switch s := &f.Sections[i]; s.Name {
		case ".plt":
			plt = s
		case ".plt.sec":
			sec = s
		case ".iplt":
			if s.Size > 0 {
				return 0, false
			}
		}
	}
	// Both are file bytes: a size the file cannot hold is a damaged
	// header, not a count to allocate for.
	size := uint64(f.Size())
	switch {
	case sec != nil && sec.Size > 0:
		if sec.Size%16 != 0 || sec.Size > 16*maxRelocs || sec.Size > size {
			return 0, false
		}
		return int(sec.Size / 16), true
	case plt != nil && plt.Size >= 16:
		if plt.Size%16 != 0 || plt.Size > 16*maxRelocs || plt.Size > size {
			return 0, false
		}
		return int(plt.Size/16) - 1, true
	}
	return 0, false
}

// noPLTEntries says, from the section table of an x86-64 object, that
// its procedure linkage table has no stub beyond PLT0 (GNU ld writes a
// 16-byte .plt for a library that calls nothing through it), so no code
// calls through a PLT slot whatever DT_JMPREL says. Without a section
// table nothing is known, and false is returned.
func noPLTEntries(f *inspect.File) bool {
	if f.Machine != elf.EM_X86_64 || len(f.Sections) == 0 {
		return false
	}
	seen := false
	for _, s := range f.Sections {
		switch s.Name {
		case ".plt":
			seen = true
			if s.Size > 16 {
				return false
			}
		case ".plt.sec", ".iplt":
			if s.Size > 0 {
				return false
			}
		}
	}
	return seen
}
