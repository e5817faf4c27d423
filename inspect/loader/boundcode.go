package loader

import (
	"bytes"
	"debug/elf"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// pltSection is the procedure linkage table section of f that holds
// addr (GNU ld's .plt, .plt.sec and .plt.got, lld's .plt and .iplt), by
// the section table; nil when none does.
func pltSection(f *inspect.File, addr uint64) *inspect.Section {
	for i := range f.Sections {
		s := &f.Sections[i]
		if s.Flags&elf.SHF_EXECINSTR == 0 || s.Flags&elf.SHF_ALLOC == 0 || s.Size == 0 {
			continue
		}
		switch s.Name {
		case ".plt", ".plt.sec", ".plt.got", ".iplt":
		default:
			continue
		}
		if addr >= s.Addr && addr-s.Addr < s.Size {
			return s
		}
	}
	return nil
}

// entryInPLT is the jump to an entry point that lies in the program's
// procedure linkage table. The function-start oracle counts a PLT entry
// as a start, rightly for the calls that go through one; but a linker
// sets e_entry to a function the program defines (_start), never to the
// stub of an imported one. The imported function then runs with what
// _dl_start_user hands a program's entry: %rdx is _dl_fini, the other
// argument registers hold what _dl_init left, and %rsp points at argc
// where a return address should be, 8 bytes off the alignment every
// function is built for (the soak's case: printf's prologue stores
// %xmm0 with movaps at a misaligned address, a general-protection
// SIGSEGV under all three glibc builds). What that function does with
// them is not in any file.
func (c *checker) entryInPLT(f *inspect.File, when string) *jumpInto {
	plt := pltSection(f, f.Entry)
	if plt == nil {
		return nil
	}
	return &jumpInto{what: "the entry point", obj: c.path, target: f.Entry, plt: plt,
		source: []string{fmt.Sprintf("e_entry is 0x%x (ELF header, file offset 0x18): %s", f.Entry, when)},
		place:  funcPlace{name: c.pltImport(f, f.Entry)}}
}

// callInPLT is an initialiser or finaliser that is an entry of the
// object's procedure linkage table: a linker fills those tables with
// functions the object defines, so the value was damaged (a soak case:
// a DT_FINI_ARRAY entry with one bit flipped landed on puts' stub, and
// _dl_fini's call ran puts with whatever %rdi held). The imported
// function runs with an initialiser's arguments, or a finaliser's none.
func (c *checker) callInPLT(o *loadedObj, f *inspect.File, call initCall, fini bool) *jumpInto {
	plt := pltSection(f, call.addr)
	if plt == nil {
		return nil
	}
	name := ""
	if len(c.loaded) > 0 && o == c.loaded[0] {
		name = c.pltImport(f, call.addr)
	}
	return &jumpInto{what: call.what + " of " + filepath.Base(o.name), obj: o.name, target: call.addr, plt: plt, exit: fini,
		source: []string{callSource(f, o.dyn, call, fini)}, place: funcPlace{name: name}}
}

// pltImport names the function a PLT entry at addr calls: its `jmp
// *SLOT(%rip)` (after an endbr64 and a bnd prefix, when there are
// those) names a GOT slot, and the relocation that binds that slot names
// the symbol; the table's first entry calls ld.so's resolver. "" when
// any of it cannot be read.
func (c *checker) pltImport(f *inspect.File, addr uint64) string {
	if f.Machine != elf.EM_X86_64 || c.dyn == nil || c.reloc == nil || len(c.loaded) == 0 {
		return ""
	}
	var b [11]byte
	if f.Image().ReadAt(b[:], addr, "PLT entry") != nil {
		return ""
	}
	i := 0
	if b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && b[3] == 0xfa {
		i = 4
	}
	if b[i] == 0xf2 {
		i++
	}
	if b[i] == 0xff && b[i+1] == 0x35 {
		// The first entry pushes GOT[1] and jumps through GOT[2].
		return "ld.so's lazy-binding resolver (_dl_runtime_resolve, through the table's first entry)"
	}
	if b[i] != 0xff || b[i+1] != 0x25 {
		return ""
	}
	slot := addr + uint64(i) + 6 + uint64(int64(int32(get32(f, b[i+2:]))))
	lm := c.reloc.linkMapOf(c.loaded[0])
	if lm == nil {
		return ""
	}
	name := ""
	eachReloc(f, c.dyn, func(r reloc) bool {
		if r.off != slot || r.sym == 0 {
			return true
		}
		if s, err := lm.readSym(r.sym); err == nil {
			name = lm.symName(s).s
		}
		return false
	})
	return name
}

func (j *jumpInto) pltSummary() string {
	fn := "an imported function"
	if j.place.name != "" {
		fn = j.place.name
	}
	if j.what != "the entry point" {
		as := "an initialiser, with argc, argv and envp"
		if j.exit {
			as = "a finaliser, at exit, with whatever the argument registers hold"
		}
		return fmt.Sprintf("undetermined: %s, 0x%x, is an entry of %s's procedure linkage table (%s), the stub through which the program calls %s: that function runs as %s, and what it does with them depends on registers no file decides",
			j.what, j.target, filepath.Base(j.obj), j.plt.Name, fn, as)
	}
	return fmt.Sprintf("undetermined: %s 0x%x is an entry of %s's procedure linkage table (%s), the stub through which the program calls %s: that function runs first, with the registers and the stack ld.so hands a program's entry point (argc where a return address should be), and what it does with them depends on registers no file decides",
		j.what, j.target, filepath.Base(j.obj), j.plt.Name, fn)
}

func (j *jumpInto) pltEvidence() []string {
	linker := "a linker sets e_entry to a function the program defines (_start), never to a PLT entry: the value was damaged"
	if j.what != "the entry point" {
		linker = "a linker fills the initialiser and finaliser tables with functions the object defines, never with PLT entries: the value was damaged"
	}
	return []string{
		fmt.Sprintf("section %s (0x%x-0x%x) holds the stubs of imported functions", j.plt.Name, j.plt.Addr, j.plt.Addr+j.plt.Size),
		linker,
	}
}

// boundInto is a GOT or PLT slot ld.so bound to a function symbol whose
// value lies in bytes no code section holds, or inside a no-op of the
// padding between two functions, by every record of the defining object
// but the symbol itself.
type boundInto struct {
	lm     *linkMap // the object whose slot it is
	r      reloc
	def    *linkMap
	s      *sym
	target uint64
	place  funcPlace
	static staticDef // where .symtab defines the name, when that is the evidence
}

// observeFuncTarget looks at what ld.so bound a GLOB_DAT or JUMP_SLOT to
// (elf_machine_rela at start-up, _dl_fixup at a lazily bound slot's first
// call): a function symbol's st_value is the first byte of its function,
// where the linker put it, so a value the defining object's records
// (funcstart.go: the section table, the padding between FDEs) put outside
// every code section, or in the middle of a padding no-op, is a damaged
// symbol. The program's calls
// through the slot, whenever it makes them, if ever, run code that was
// not built to be entered there: not replayed (boundFinding). Only a
// binding without an addend is judged (relmem.go judges the addend), and
// IFUNC symbols, whose value is a resolver's, are not.
func (r *relocator) observeFuncTarget(lm *linkMap, rl reloc, res *lookupResult) {
	t := r.types
	if !t.full || lm.f.Machine != elf.EM_X86_64 || res == nil || res.lm == nil || res.s == nil || rl.addend != 0 ||
		(rl.typ != t.globDat && rl.typ != t.jumpSlot) || res.s.typ() != elf.STT_FUNC ||
		(res.s.shndx == uint16(elf.SHN_UNDEF) && res.lm != lm) || res.s.shndx >= uint16(elf.SHN_LORESERVE) {
		// An undefined symbol is judged only where its object binds it
		// to itself (a visibility other than default): the call goes
		// to its load address plus st_value, where no function of its
		// is.
		return
	}
	def := res.lm
	l := def.f.Image().Lookup(res.s.value)
	if !l.Mapped || l.Perm&elf.PF_X == 0 {
		return // a value that is not code: the call faults, judged where it is made
	}
	// Inside a function by its FDE or another symbol's st_size is no
	// evidence here: hand-written assembly gives one function several
	// entry points (GMP's __gmpn_modexact_1c_odd is 5 bytes into
	// __gmpn_modexact_1_odd, whose FDE and st_size cover both). Bytes no
	// code section holds, or the middle of a padding no-op, are never
	// an entry.
	o := r.c.funcOracle(def.f)
	p, ok := o.neverEntry(res.s.value, res.s.index)
	if !ok {
		p, ok = o.straddles(res.s.value, res.s.size)
	}
	var static staticDef
	if !ok {
		if static, ok = o.staticElsewhere(res.s.value, res.s.index, def.symName(res.s).s); !ok {
			return
		}
		p = o.placeExcept(res.s.value, res.s.index)
		if p.start && p.name == "" {
			p.name = o.scanSymbols(res.s.value, 0, int64(res.s.index)).atName
		}
	}
	r.boundInto = append(r.boundInto, boundInto{lm: lm, r: rl, def: def, s: res.s, target: res.s.value, place: p, static: static})
}

// observeDataTarget looks at a GLOB_DAT or R_X86_64_64 bound to a
// variable whose value lies outside every PT_LOAD of the object that
// defines it: a linker gives a variable the address of its bytes, so the
// symbol's value was damaged, and the code that reads through the word
// reads wherever that points (1200007708: libc's stdout bound to the
// program's stdout, whose st_value was changed, and puts faulted). What
// is mapped there is the process's layout: relocation damage.
func (r *relocator) observeDataTarget(lm *linkMap, rl reloc, res *lookupResult) {
	t := r.types
	if !t.full || lm.f.Machine != elf.EM_X86_64 || res == nil || res.lm == nil || res.s == nil ||
		(rl.typ != t.globDat && rl.typ != uint32(elf.R_X86_64_64)) || res.s.typ() != elf.STT_OBJECT ||
		res.s.shndx == uint16(elf.SHN_UNDEF) || res.s.shndx >= uint16(elf.SHN_LORESERVE) {
		return
	}
	def := res.lm
	if l := def.f.Image().Lookup(res.s.value); l.Mapped {
		// An R_X86_64_64 adds its addend (a member's offset, a vtable's
		// 16): a linker keeps that inside the variable's object too
		// (gxx-pie's pointer to std::exception's typeinfo with its
		// addend changed: SIGBUS when the program throws).
		target := res.s.value + uint64(rl.addend)
		if rl.typ != uint32(elf.R_X86_64_64) || rl.addend == 0 || def.f.Image().Lookup(target).Mapped {
			return
		}
		name := orNone(def.symName(res.s).s)
		r.damage = append(r.damage, relocDamage{lm: lm, code: "bound-outside-object", at: rl.addr,
			what:    fmt.Sprintf("%s binds the word at 0x%x to %s of %s plus 0x%x, 0x%x, outside every segment of %s: a linker points into the variable's object, so the addend was damaged", entryAt(lm, rl), rl.off, name, filepath.Base(def.obj.name), uint64(rl.addend), target, filepath.Base(def.obj.name)),
			changed: fmt.Sprintf("the code that reads through the word at 0x%x reads at 0x%x plus the load address, wherever that is", rl.off, target)})
		return
	}
	name := orNone(def.symName(res.s).s)
	r.damage = append(r.damage, relocDamage{lm: lm, code: "bound-outside-object", at: rl.addr,
		what:    fmt.Sprintf("%s binds the word at 0x%x to %s of %s, a variable whose value 0x%x lies outside every segment of %s: a linker gives a variable the address of its bytes, so the symbol's value was damaged", entryAt(lm, rl), rl.off, name, filepath.Base(def.obj.name), res.s.value, filepath.Base(def.obj.name)),
		changed: fmt.Sprintf("the code that reads %s through the word at 0x%x reads at 0x%x plus the load address, wherever that is", name, rl.off, res.s.value)})
}

// observeIfunc looks at a binding to an IFUNC symbol, whose value ld.so
// calls as a resolver (not replayed) and whose return becomes the
// target. When the defining object's .symtab has the same name as a
// plain function at the same value, the dynamic symbol's type was
// damaged: a linker writes both entries from one definition, an IFUNC
// in both. The function then runs as its own resolver, and the call
// goes wherever its return value points (a soak case: demo_one, made an
// IFUNC, returned 1).
func (r *relocator) observeIfunc(lm *linkMap, rl reloc, res *lookupResult) {
	if !r.types.full || lm.f.Machine != elf.EM_X86_64 || res == nil || res.lm == nil || res.s == nil ||
		res.s.typ() != elf.STT_GNU_IFUNC || res.s.shndx == uint16(elf.SHN_UNDEF) || res.s.shndx >= uint16(elf.SHN_LORESERVE) {
		return
	}
	def := res.lm
	name := def.symName(res.s).s
	if name == "" {
		return
	}
	index, found := uint64(0), false
	r.c.funcOracle(def.f).eachStaticFunc(name, func(i, value uint64) bool {
		if value == res.s.value {
			index, found = i, true
			return false
		}
		return true
	})
	if !found {
		return
	}
	defBase := filepath.Base(def.obj.name)
	at := lm.m.add(def.symtab, res.s.index*symSize(def.f))
	r.damage = append(r.damage, relocDamage{lm: def, code: "symbol-ifunc-damaged", at: at,
		what:    fmt.Sprintf("%s binds symbol %d (%s) of %s, an IFUNC in the dynamic symbol table, while %s's .symtab (entry %d) defines %s as a plain function at the same value 0x%x", entryAt(lm, rl), res.s.index, name, defBase, defBase, index, name, res.s.value),
		changed: fmt.Sprintf("ld.so calls %s as if it were a resolver, with no arguments, and the call goes wherever its return value points", name)})
}

// staticDef is where an object's static symbol table (.symtab) defines a
// dynamic symbol's name.
type staticDef struct {
	index uint64 // its entry in .symtab
	value uint64
}

// staticElsewhere answers, for a dynamic function symbol whose value is
// not where a function begins by the FDE table or by its own bytes,
// whether .symtab defines the same name as a global function at another
// value, and none at this one: a linker writes both tables' entries from
// one definition, so the dynamic symbol's value was damaged (a soak case:
// demo_one moved 1 byte back, into frame_dummy's last instruction, ran as
// an invalid opcode). Versioned names in .symtab ("memcpy@GLIBC_2.2.5")
// count as their base name. Only objects with a .symtab are asked, and
// only for a binding the FDE table does not vouch for, so a healthy
// binding never pays for the scan.
func (o *funcOracle) staticElsewhere(addr, sym uint64, name string) (staticDef, bool) {
	if name == "" {
		return staticDef{}, false
	}
	if lo, _, _, in := o.fde(addr); o.stubStart(addr) || (in && lo == addr) {
		// A function's start: judged only from a small .symtab's
		// index, so a healthy binding into a big unstripped object
		// does not pay a scan (a soak case: demo_two moved onto
		// demo_one's start returned 1 for 2).
		defs, ok := o.staticFuncs(name)
		if !ok || len(defs) == 0 || slices.ContainsFunc(defs, func(d staticDef) bool { return d.value == addr }) {
			return staticDef{}, false
		}
		return defs[0], true
	}
	var found staticDef
	seen, here := false, false
	o.eachStaticFunc(name, func(index, value uint64) bool {
		if value == addr {
			here = true
			return false
		}
		if !seen {
			found, seen = staticDef{index: index, value: value}, true
		}
		return true
	})
	if !seen || here {
		return staticDef{}, false
	}
	// Another function beginning there is no excuse: the calls run it
	// instead of the one they name (a soak case: demo_two moved onto
	// crti's _init, which returned 0).
	return found, true
}

// maxStaticIndex bounds the .symtab staticFuncs indexes: a test
// library's or a small tool's, not libLLVM's.
const maxStaticIndex = 1 << 14

// staticFuncs returns where .symtab defines name as a global or weak
// function, from an index of the whole table built once; ok is false
// for an object without .symtab or with a bigger one.
func (o *funcOracle) staticFuncs(name string) ([]staticDef, bool) {
	if !o.staticBuilt {
		o.staticBuilt = true
		for i := range o.f.Sections {
			sec := &o.f.Sections[i]
			if sec.Type != elf.SHT_SYMTAB || sec.Entsize == 0 || sec.Size/sec.Entsize > maxStaticIndex {
				continue
			}
			if int(sec.Link) >= len(o.f.Sections) {
				break
			}
			str := o.f.Sections[sec.Link]
			o.static = map[string][]staticDef{}
			o.eachSymChunk(sec, func(first uint64, syms []tableSym) bool {
				for j, t := range syms {
					bind := elf.ST_BIND(t.info)
					if elf.ST_TYPE(t.info) != elf.STT_FUNC || (bind != elf.STB_GLOBAL && bind != elf.STB_WEAK) ||
						t.shndx == uint16(elf.SHN_UNDEF) || t.shndx >= uint16(elf.SHN_LORESERVE) || uint64(t.nameOff) >= str.Size {
						continue
					}
					_ = o.f.View(int64(str.Offset+uint64(t.nameOff)), min(str.Size-uint64(t.nameOff), 1024), "symbol name", func(b []byte) {
						if k := bytes.IndexAny(b, "\x00@"); k >= 0 {
							b = b[:k]
						}
						o.static[string(b)] = append(o.static[string(b)], staticDef{index: first + uint64(j), value: t.value})
					})
				}
				return true
			})
			break
		}
	}
	if o.static == nil {
		return nil, false
	}
	return o.static[name], true
}

// localDef is a localFunc answer, kept by the oracle.
type localDef struct {
	at uint64
	ok bool
}

// localFunc is where .symtab defines name as a local function (crtstuff's
// __do_global_dtors_aux), when exactly one entry does; read in chunks,
// bounded as eachSymChunk is, and only where a failing slot asks.
func (o *funcOracle) localFunc(name string) (uint64, bool) {
	if v, ok := o.locals[name]; ok {
		return v.at, v.ok
	}
	at, ok := o.scanLocalFunc(name)
	if o.locals == nil {
		o.locals = map[string]localDef{}
	}
	o.locals[name] = localDef{at, ok}
	return at, ok
}

func (o *funcOracle) scanLocalFunc(name string) (uint64, bool) {
	f := o.f
	var at uint64
	n := 0
	for i := range f.Sections {
		sec := &f.Sections[i]
		if sec.Type != elf.SHT_SYMTAB || int(sec.Link) >= len(f.Sections) {
			continue
		}
		str := f.Sections[sec.Link]
		o.eachSymChunk(sec, func(_ uint64, syms []tableSym) bool {
			for _, t := range syms {
				if elf.ST_TYPE(t.info) != elf.STT_FUNC || elf.ST_BIND(t.info) != elf.STB_LOCAL || t.shndx == uint16(elf.SHN_UNDEF) ||
					t.shndx >= uint16(elf.SHN_LORESERVE) || uint64(t.nameOff) >= str.Size {
					continue
				}
				_ = f.View(int64(str.Offset+uint64(t.nameOff)), min(uint64(len(name))+1, str.Size-uint64(t.nameOff)), "symbol name", func(b []byte) {
					if string(b) == name+"\x00" {
						at, n = t.value, n+1
					}
				})
			}
			return true
		})
		break
	}
	return at, n == 1
}

// eachStaticFunc calls fn with each global or weak function that .symtab
// defines under name (or name@VERSION), until fn returns false. The
// table is read in chunks and bounded by maxOracleSyms; a name is
// compared in place, its bytes read only for a global function.
func (o *funcOracle) eachStaticFunc(name string, fn func(index, value uint64) bool) {
	f := o.f
	for i := range f.Sections {
		sec := &f.Sections[i]
		if sec.Type != elf.SHT_SYMTAB || int(sec.Link) >= len(f.Sections) {
			continue
		}
		str := f.Sections[sec.Link]
		matches := func(off uint32) bool {
			if uint64(off) >= str.Size {
				return false
			}
			n := min(uint64(len(name))+1, str.Size-uint64(off))
			eq := false
			f.View(int64(str.Offset+uint64(off)), n, "symbol name", func(b []byte) {
				eq = uint64(len(b)) == uint64(len(name))+1 && string(b[:len(name)]) == name && (b[len(name)] == 0 || b[len(name)] == '@')
			})
			return eq
		}
		more := true
		o.eachSymChunk(sec, func(first uint64, syms []tableSym) bool {
			for j, t := range syms {
				bind := elf.ST_BIND(t.info)
				if elf.ST_TYPE(t.info) != elf.STT_FUNC || (bind != elf.STB_GLOBAL && bind != elf.STB_WEAK) ||
					t.shndx == uint16(elf.SHN_UNDEF) || t.shndx >= uint16(elf.SHN_LORESERVE) || !matches(t.nameOff) {
					continue
				}
				if more = fn(first+uint64(j), t.value); !more {
					break
				}
			}
			return more
		})
		if !more {
			return
		}
	}
}

// boundFinding is given, like relocation damage (relmem.go), only where
// the replay otherwise predicts a start or a failure at exit
// (addAfterHandOver), or a failure at another slot's first call, which
// the program may make after this one: whether and when it calls
// through the slot is its own business.
func (c *checker) boundFinding() {
	r := c.reloc
	if r == nil || len(r.boundInto) == 0 {
		return
	}
	b := r.boundInto[0]
	if !c.openAfterHandOver() && !c.beforeFailingCall(b.r) {
		return
	}
	name := orNone(b.def.symName(b.s).s)
	defBase := filepath.Base(b.def.obj.name)
	where := b.place.into(b.target)
	if b.static.value != 0 && !b.place.known {
		where = fmt.Sprintf("not where %s's .symtab puts %s (0x%x)", defBase, name, b.static.value)
	}
	summary := fmt.Sprintf("undetermined: ld.so binds %s's %s slot at 0x%x to %s of %s, whose value 0x%x is %s rather than a function's start: the program's calls through the slot, if it makes any, run code that was not built to be entered there, and what it does depends on registers no file decides",
		filepath.Base(b.lm.obj.name), typeName(b.r.typ), b.r.off, name, defBase, b.target, where)
	if b.place.start {
		other := b.place.name
		if other == "" {
			other = "another function"
		}
		where = fmt.Sprintf("the start of %s, not where %s's .symtab puts %s (0x%x)", other, defBase, name, b.static.value)
		summary = fmt.Sprintf("undetermined: ld.so binds %s's %s slot at 0x%x to %s of %s, whose value 0x%x is %s: the program's calls through the slot, if it makes any, run that function instead, and what it does with their arguments and result is not replayed",
			filepath.Base(b.lm.obj.name), typeName(b.r.typ), b.r.off, name, defBase, b.target, where)
	}
	fd := Finding{Severity: SeverityFatal, Stage: StageReloc, Code: "bound-into-function", Object: b.def.obj.name, Outcome: OutcomeUndetermined,
		Summary: summary,
		Evidence: []string{
			fmt.Sprintf("%s binds symbol %d (%s), a function of %s with st_value 0x%x", entryAt(b.lm, b.r), b.s.index, name, defBase, b.target),
			fmt.Sprintf("0x%x is %s", b.target, where),
			"a linker gives a function symbol the address of its function's first byte: the symbol's value was damaged",
		},
		Possible: []Outcome{OutcomeStarts, OutcomeCrash, OutcomeExitCrash, OutcomeExitsEarly, OutcomeHangs},
		Next:     fmt.Sprintf("compare %s with the pristine file using `elfdoctor diff`: its dynamic symbol %d is damaged; a run tells only whether and when the program called it", defBase, b.s.index)}
	if b.s.shndx == uint16(elf.SHN_UNDEF) {
		fd.Evidence[0] = fmt.Sprintf("%s binds symbol %d (%s), a function %s leaves undefined, with visibility %s: ld.so binds it to %s's own load address plus st_value 0x%x", entryAt(b.lm, b.r), b.s.index, name, defBase, elf.SymVis(elf.ST_VISIBILITY(b.s.other)), defBase, b.target)
		fd.Evidence[2] = "a linker gives an undefined symbol default visibility, so ld.so looks it up in the objects loaded: the symbol's st_other was damaged"
	}
	if b.static.value != 0 {
		fd.Evidence = slices.Insert(fd.Evidence, 2, fmt.Sprintf("%s's static symbol table (.symtab, entry %d) defines %s at 0x%x: a linker writes both tables' entries from one definition", defBase, b.static.index, name, b.static.value))
	}
	if len(inspect.IdentifyQuick(c.f).Runtimes) > 0 {
		fd.Possible = append(fd.Possible, OutcomeBareRuntime, OutcomeRuntimeFails)
	}
	c.addAfterHandOver(fd, "if main gets past its calls")
}

// straddles says a function symbol's span, [value, value+size), runs into
// an FDE that starts inside it and ends past it: compiled and
// hand-written functions alike start with their FDE, and a symbol
// covering several (libc's clone, whose child's code has one of its own)
// ends with the last; none of 1,823 files of this machine straddles one.
// A value moved while st_size stayed does (seed 9300040397: demo_one
// moved 4 bytes back, into crtstuff's frame_dummy, in a library strip
// had taken .symtab from: SIGILL).
func (o *funcOracle) straddles(value, size uint64) (funcPlace, bool) {
	end, ok := addNoOverflow(value, size)
	if size == 0 || !ok {
		return funcPlace{}, false
	}
	at := value
	for i := 0; i < 8; i++ {
		n := o.around(at)
		if !n.hasNext || n.nextLo >= end || n.nextLo <= at {
			return funcPlace{}, false
		}
		lo, hi, _, ok := o.fde(n.nextLo)
		if !ok || lo != n.nextLo {
			return funcPlace{}, false
		}
		if hi > end {
			return funcPlace{known: true, nowhere: true,
				name: fmt.Sprintf("the %d bytes before the function at 0x%x", lo-value, lo),
				from: fmt.Sprintf("its st_size of %d ends 0x%x bytes into that function's FDE (0x%x-0x%x): a function symbol's span starts with its FDE and ends with one", size, end-lo, lo, hi)}, true
		}
		at = lo
	}
	return funcPlace{}, false
}

// neverEntry answers for the value of dynamic symbol sym: whether it is
// in bytes no code section holds or in the middle of a padding no-op,
// with the oracle's answer. A value inside a code section is first
// looked up in the FDE table alone, so a healthy binding costs a binary
// search, not a pass over the symbol tables.
func (o *funcOracle) neverEntry(addr, sym uint64) (funcPlace, bool) {
	if o.stubStart(addr) {
		return funcPlace{}, false // endbr64, which CET builds put at every function's start
	}
	inCode := false
	for i := range o.f.Sections {
		s := &o.f.Sections[i]
		if s.Flags&elf.SHF_EXECINSTR != 0 && s.Flags&elf.SHF_ALLOC != 0 && s.Type != elf.SHT_NOBITS && addr >= s.Addr && addr-s.Addr < s.Size {
			inCode = true
			break
		}
	}
	if inCode {
		n := o.around(addr)
		if n.hasPrev && addr < n.prevHi {
			return funcPlace{}, false
		}
		if _, _, ok := o.inPadding(addr, n); !ok {
			return funcPlace{}, false
		}
	}
	p := o.placeExcept(addr, sym)
	return p, p.known && !p.start && (p.nowhere || p.padding)
}

// beforeFailingCall says whether the replay's verdict is a failure at a
// lazily bound slot's first call (determined) that rl, another slot with
// another symbol, may come before: the program's code decides which it
// calls first (a soak case: demo_one, moved into a function's middle,
// is called before demo_two, whose lookup faults).
func (c *checker) beforeFailingCall(rl reloc) bool {
	f := c.res.Fatal()
	if f == nil || f.Continues || f.Outcome != OutcomeFirstCall || len(c.firstCallRel) == 0 {
		return false
	}
	return !slices.ContainsFunc(c.firstCallRel, func(fc reloc) bool { return fc.addr == rl.addr || fc.sym == rl.sym })
}
