package loader

import (
	"debug/elf"
	"fmt"
	"path/filepath"
)

// copiedByProgram replays the scan do_lookup_x makes, in glibc before
// 2.36 on x86, when the second search for a protected data reference
// (ELF_RTYPE_CLASS_EXTERN_PROTECTED_DATA, undef_map NULL) finds a
// definition in the program: every DT_RELA entry of the program is read,
// and for each COPY its symbol's name is compared with the one looked up.
// A match skips the program's definition (its copy is not the protected
// original). Only x86-64 gets here: Elf64_Rela, r_info at 8.
func (r *relocator) copiedByProgram(lm *linkMap, name string) (bool, error) {
	rela, ok := lm.d.Tag(elf.DT_RELA)
	size, ok2 := lm.d.Tag(elf.DT_RELASZ)
	if !ok || !ok2 || size == 0 {
		return false, nil
	}
	want := cstr{s: name}
	for i := uint64(0); i < size/24; i++ {
		if r.spend() {
			return false, errChainLong
		}
		var b [8]byte
		if err := lm.f.Image().ReadAt(b[:], lm.m.add(rela, i*24+8), "DT_RELA entry's r_info"); err != nil {
			return false, err
		}
		info := get64(lm.f, b[:])
		if uint32(info) != r.types.copy {
			continue
		}
		s, err := lm.readSym(info >> 32)
		if err != nil {
			return false, err
		}
		eq, err := strcmpFault(lm.symName(s), want)
		if err != nil {
			return false, err
		}
		if eq {
			return true, nil
		}
	}
	return false, nil
}

// observeSelfBound looks at a GLOB_DAT or R_X86_64_64 that ld.so bound to
// an undefined symbol of the relocated object itself, which happens only
// to an undefined symbol of non-default visibility: a hidden or internal
// one binds locally without a lookup (RESOLVE_MAP), a protected one is
// replaced by itself once another object defines it (_dl_lookup_symbol_x).
// The word then holds the object's load address plus the symbol's value
// (0: its ELF header) instead of the variable's address. A linker refuses
// to leave a symbol of non-default visibility undefined, so the file is
// damaged there; what the program's code does with the word is not
// replayed. Only variables are looked at: a function's slot is called,
// and the calls the start files make through such slots are judged
// where they make them (selfBound, boundCall). Untyped symbols are left
// out too: the weak hooks crtstuff tests before calling
// (_ITM_registerTMCloneTable, which register_tm_clones does not even
// read when the clone table is empty) are NOTYPE, and a soak case with
// one made hidden really starts.
//
// A COPY is bound the same way: its copy then reads the variable's own
// bytes in the program and writes them back (the file's, zero in .bss),
// and every library whose GLOB_DAT the lookup binds to that undefined
// symbol (type class 0 matches an undefined symbol with a value) reads
// those bytes instead of its own variable: libc's stdout, for one.
//
// An undefined symbol made local (STB_LOCAL) is bound the same way, and
// is a mark whatever its type: a linker never leaves a local symbol
// undefined (a soak case: stdout's st_info zeroed, so the program's
// stdout word held its own ELF header's address).
func (r *relocator) observeSelfBound(lm *linkMap, rl reloc, res *lookupResult) {
	copyRel := rl.typ == r.types.copy
	if res == nil || res.lm != lm || res.s.shndx != uint16(elf.SHN_UNDEF) || res.s.index == 0 ||
		(rl.typ != r.types.globDat && rl.typ != uint32(elf.R_X86_64_64) && !copyRel) {
		return
	}
	s := res.s
	local := s.bind() == elf.STB_LOCAL
	// A function's too: a GLOB_DAT or R_X86_64_64 of a function is a
	// pointer the program calls through (gxx-pie: the destructor it
	// registers with __cxa_atexit, the personality routine the unwinder
	// calls; SIGSEGV after main's output with either made hidden).
	if !local && elf.ST_VISIBILITY(s.other) == elf.STV_DEFAULT {
		return
	}
	name := orNone(lm.symName(s).s)
	if startFileHooks[name] {
		return // the start files' own use of the slot is replayed, or never made
	}
	how := "ld.so binds a hidden or internal symbol in its own object without looking it up (RESOLVE_MAP)"
	switch {
	case local:
		how = "ld.so binds a local symbol in its own object without looking it up (RESOLVE_MAP)"
	case elf.ST_VISIBILITY(s.other) == elf.STV_PROTECTED:
		how = "_dl_lookup_symbol_x replaces a protected reference's definition in another object by the reference itself"
	}
	at := r.symEntryAt(lm, s)
	changed := fmt.Sprintf("%s (%s) binds the word at 0x%x to that undefined symbol in %s itself (%s): the word holds the load address plus 0x%x instead of %s's address",
		entryAt(lm, rl), typeName(rl.typ), rl.off, filepath.Base(lm.obj.name), how, s.value, name)
	if copyRel {
		changed = fmt.Sprintf("%s (%s) copies %s from %s itself (%s): the %d bytes at 0x%x keep the file's value instead of the library's, and a library whose reference the lookup binds to this symbol uses them as its own %s",
			entryAt(lm, rl), typeName(rl.typ), name, filepath.Base(lm.obj.name), how, s.size, rl.off, name)
	}
	code, what := "symbol-undefined-visibility", fmt.Sprintf("%s, %s, is undefined but has %s visibility (st_other 0x%02x): a linker refuses to leave a symbol of non-default visibility undefined",
		at, name, visName(elf.ST_VISIBILITY(s.other)), s.other)
	if local {
		code, what = "symbol-undefined-local", fmt.Sprintf("%s, %s, is undefined but local (st_info 0x%02x): a linker never leaves a local symbol undefined", at, name, s.info)
	}
	r.damage = append(r.damage, relocDamage{lm: lm, code: code, at: lm.m.add(lm.symtab, s.index*symSize(lm.f)), what: what, changed: changed})
}

// startFileHooks are the symbols whose GOT slots only the start files
// read: _start's __libc_start_main, _init's __gmon_start__ and
// __do_global_dtors_aux's __cxa_finalize, whose calls the replay judges
// where they are made, and crtstuff's transactional-memory hooks, which
// register_tm_clones and deregister_tm_clones do not even read while the
// clone table is empty (a soak case with _ITM_registerTMCloneTable made
// local really starts).
var startFileHooks = map[string]bool{
	"__libc_start_main": true, "__gmon_start__": true, "__cxa_finalize": true,
	"_ITM_registerTMCloneTable": true, "_ITM_deregisterTMCloneTable": true,
}

// symEntryAt names a dynamic symbol's entry, with its file offset when a
// file byte backs it.
func (r *relocator) symEntryAt(lm *linkMap, s *sym) string {
	at := fmt.Sprintf("symbol %d of %s", s.index, filepath.Base(lm.obj.name))
	if l := lm.f.Image().Lookup(lm.m.add(lm.symtab, s.index*symSize(lm.f))); l.Mapped && l.File {
		at += fmt.Sprintf(" (file offset 0x%x)", l.Off)
	}
	return at
}

func visName(v elf.SymVis) string {
	switch v {
	case elf.STV_INTERNAL:
		return "internal"
	case elf.STV_HIDDEN:
		return "hidden"
	case elf.STV_PROTECTED:
		return "protected"
	}
	return "default"
}

// copySizes replays what elf_machine_rela (sysdeps/x86_64/dl-machine.h,
// the same in 2.31, 2.36 and 2.41) does after a COPY relocation's lookup:
// it copies MIN(definition's st_size, reference's st_size) bytes, and
// prints "Symbol `%s' has different size in shared object, consider
// re-linking" when the definition is larger (when it is smaller, only
// with LD_WARN set). A program's copy smaller than the definition of the
// very version it needs is damage: a linker gives the copy the
// definition's size, and a library that changes an object's size gives
// it a new version (glibc's own sys_errlist did). The rest of the copy
// keeps the file's bytes, and the library's own references bind to the
// short copy: what its code and the program's do with that is not
// replayed.
func (r *relocator) copySizes(lm *linkMap, rl reloc, ref *sym, res *lookupResult, ndx uint16, hasNdx bool) {
	def := res.s
	if def.size == ref.size || (def.size < ref.size && r.c.opts.Getenv("LD_WARN") == "") {
		return
	}
	name := orNone(lm.symName(ref).s)
	prog := r.progName()
	r.c.add(Finding{Severity: SeverityWarning, Stage: StageReloc, Code: "copy-size-differs", Object: lm.obj.name,
		Summary: fmt.Sprintf("the program's copy of %s is %d bytes, %s defines it with %d: ld.so copies %d and says so", name, ref.size, filepath.Base(res.lm.obj.name), def.size, min(def.size, ref.size)),
		Message: fmt.Sprintf("%s: Symbol `%s' has different size in shared object, consider re-linking", prog, name)})
	if def.size < ref.size || !r.types.full || lm.f.Machine != elf.EM_X86_64 {
		return
	}
	if ref.size == 0 {
		// A linker sizes the copy from the definition, and never writes
		// a COPY of nothing: whatever the version says.
		r.damage = append(r.damage, relocDamage{lm: lm, code: "copy-size-short", at: rl.addr,
			what: fmt.Sprintf("%s, %s, the program's copy of %s's variable, has st_size 0 where %s defines it with %d bytes: a linker gives the copy the definition's size, and writes no COPY of nothing",
				r.symEntryAt(lm, ref), name, filepath.Base(res.lm.obj.name), filepath.Base(res.lm.obj.name), def.size),
			changed: fmt.Sprintf("ld.so copies nothing to 0x%x; the copy keeps the file's bytes, and %s's own references bind to it", rl.off, filepath.Base(res.lm.obj.name))})
		return
	}
	if !hasNdx || int(ndx) >= len(lm.versions) || lm.versions[ndx].hash == 0 || lm.versions[ndx].filename == "" {
		return
	}
	v := lm.versions[ndx]
	r.damage = append(r.damage, relocDamage{lm: lm, code: "copy-size-short", at: rl.addr,
		what: fmt.Sprintf("%s, %s, the program's copy of %s's variable (version %s), has st_size %d where %s defines it with %d bytes under the same version: a linker gives the copy the definition's size, and a library that changes an object's size gives it a new version",
			r.symEntryAt(lm, ref), name, filepath.Base(res.lm.obj.name), orNone(v.name), ref.size, filepath.Base(res.lm.obj.name), def.size),
		changed: fmt.Sprintf("ld.so copies only %d of the %d bytes to 0x%x; the rest keeps the file's bytes, and %s's own references bind to the short copy", ref.size, def.size, rl.off, filepath.Base(res.lm.obj.name))})
}

// copyOfFunction marks a COPY relocation whose symbol in the program is
// a function: linkers copy only data (GNU ld's adjust_dynamic_symbol and
// lld give a function referenced from non-PIC code a canonical PLT entry
// instead), so the relocation's symbol was damaged, and the variable the
// COPY was made for is not copied (its symbol may still bind the
// library's own references to the unfilled bytes). It marks too a COPY
// whose lookup found a function (seed 9300046180: stdout renamed
// __cxa_finalize, so the program's stdout holds 8 bytes of code), which
// no linker makes from a variable's reference: a name was changed.
func (r *relocator) copyOfFunction(lm *linkMap, rl reloc, ref *sym, res *lookupResult) {
	isFunc := func(s *sym) bool { return s.typ() == elf.STT_FUNC || s.typ() == elf.STT_GNU_IFUNC }
	if !r.types.full || lm.f.Machine != elf.EM_X86_64 {
		return
	}
	name := orNone(lm.symName(ref).s)
	switch {
	case isFunc(ref):
		r.damage = append(r.damage, relocDamage{lm: lm, code: "reloc-copy-of-function", at: rl.addr,
			what:    fmt.Sprintf("%s is an R_X86_64_COPY of %s, %s, a function: a linker writes COPY relocations only for variables", entryAt(lm, rl), r.symEntryAt(lm, ref), name),
			changed: fmt.Sprintf("ld.so copies %s's first %d bytes to 0x%x instead of the variable the relocation was made for, which keeps the file's bytes", name, ref.size, rl.off)})
	case isFunc(res.s):
		def := filepath.Base(res.lm.obj.name)
		r.damage = append(r.damage, relocDamage{lm: lm, code: "reloc-copy-of-function", at: rl.addr,
			what:    fmt.Sprintf("%s is an R_X86_64_COPY of %s, %s, a variable of the program, and the lookup binds it to %s's %s, a function: a linker writes a COPY only of a variable the library defines, so a name was changed after linking", entryAt(lm, rl), r.symEntryAt(lm, ref), name, def, name),
			changed: fmt.Sprintf("ld.so copies %d bytes of %s's code to 0x%x, where the program's code reads the variable the relocation was made for", min(ref.size, res.s.size), def, rl.off)})
	}
}

// copyNamedLikeImport marks a COPY whose symbol's name and version an
// import of the same object has too: a linker gives a name one symbol
// entry, so one of the two was renamed after linking (seed 9320018360:
// std::cout renamed after std::exception's typeinfo, which the program
// imports too; its copy of cout then holds the typeinfo's bytes while
// libstdc++ sets up a cout of its own). Libraries that wrap a function
// define it and import it under two versions (libattr's flistxattr);
// one version for both is what no linker writes.
func (r *relocator) copyNamedLikeImport(lm *linkMap, rl reloc, ref *sym) {
	if !r.types.full || lm.f.Machine != elf.EM_X86_64 || lm.versym == 0 {
		return
	}
	name := lm.symName(ref)
	v, err := lm.versymAt(ref.index)
	if name.err != nil || name.s == "" || err != nil {
		return
	}
	v &^= 0x8000 // VERSYM_HIDDEN
	var twin uint64
	r.eachImport(lm, r.dynsymCount(lm), func(i uint64, _ *sym, nm cstr) bool {
		if nm.err != nil || nm.s != name.s {
			return true
		}
		if w, err := lm.versymAt(i); err == nil && w&^0x8000 == v {
			twin = i
			return false
		}
		return true
	})
	if twin == 0 {
		return
	}
	r.damage = append(r.damage, relocDamage{lm: lm, code: "reloc-symbol-renamed", at: lm.m.add(lm.symtab, ref.index*symSize(lm.f)),
		what:    fmt.Sprintf("%s is an R_X86_64_COPY of %s, %s, which the program defines, and symbol %d, an import of the program, has the same name and version: a linker makes one symbol entry per name, so one of the two was renamed after linking", entryAt(lm, rl), r.symEntryAt(lm, ref), name.s, twin),
		changed: fmt.Sprintf("ld.so copies %s's bytes to 0x%x, where the program's code reads the variable the relocation was made for; the library's own references to that variable no longer find the copy", name.s, rl.off)})
}

// progName is RTLD_PROGNAME, which ld.so's warnings start with: the
// process's argv[0]; for a library dlopen loads, the program that loads
// it.
func (r *relocator) progName() string {
	if !r.c.dlopen {
		return r.c.path
	}
	if r.c.opts.LoadedBy != "" {
		return r.c.opts.LoadedBy
	}
	return "PROGRAM"
}

// protectedAccess is the error _dl_check_protected_symbol signals when
// the protected definition's object says every access to it must go
// through the GOT (GNU_PROPERTY_1_NEEDED_INDIRECT_EXTERN_ACCESS): ld.so
// prints "PROG: SYMBOL: OBJECT: error due to ..." and exits 127.
type protectedAccess struct{ name, obj string }

func (e *protectedAccess) Error() string {
	return fmt.Sprintf("%s: %s: error due to GNU_PROPERTY_1_NEEDED_INDIRECT_EXTERN_ACCESS", e.name, e.obj)
}

// gnuProperty1Needed is GNU_PROPERTY_1_NEEDED, and its bit
// GNU_PROPERTY_1_NEEDED_INDIRECT_EXTERN_ACCESS.
const (
	gnuProperty1Needed       = 0xb0008000
	indirectExternAccess     = 1
	ntGNUPropertyType0       = 5
	maxNotes, maxProperties  = 64, 256
	protectedCheckFirstMinor = 35
)

// checkProtected replays _dl_check_protected_symbol (glibc 2.35 on,
// sysdeps/generic/dl-protected.h), which do_lookup_x runs on every
// protected definition it finds for a relocation of the program (not in
// the second search of a protected reference, whose undef_map is NULL):
// a COPY relocation against it prints "copy relocation against
// non-copyable protected symbol", a PLT relocation of an undefined symbol
// with a value (the program's canonical PLT address) "direct reference to
// protected function ... may break pointer equality"; either is an error
// when the definition's object needs indirect external access.
func (r *relocator) checkProtected(name string, ref, found *sym, def *linkMap, typeClass int) error {
	if r.minor < protectedCheckFirstMinor || ref == nil || !ref.lm.main || elf.ST_VISIBILITY(found.other) != elf.STV_PROTECTED {
		return nil
	}
	obj := r.c.display(def.obj)
	var msg string
	switch {
	case typeClass&classCopy != 0:
		msg = fmt.Sprintf("warning: copy relocation against non-copyable protected symbol `%s' in `%s'", name, obj)
	case typeClass&classPLT != 0 && ref.value != 0 && ref.shndx == uint16(elf.SHN_UNDEF):
		msg = fmt.Sprintf("warning: direct reference to protected function `%s' in `%s' may break pointer equality", name, obj)
	default:
		return nil
	}
	r.c.add(Finding{Severity: SeverityWarning, Stage: StageReloc, Code: "protected-reference", Object: ref.lm.obj.name,
		Summary: fmt.Sprintf("%s references %s, which %s defines with protected visibility, as if it could be preempted: the program's copy or address is not the one %s uses", filepath.Base(ref.lm.obj.name), name, filepath.Base(def.obj.name), filepath.Base(def.obj.name)),
		Message: msg})
	needed, ok := r.oneNeeded(def)
	if !ok {
		r.note(def, fmt.Sprintf("the GNU property notes of %s are not as a linker writes them: whether it needs indirect external access (an error for the reference to %s) is not modelled", filepath.Base(def.obj.name), name))
		return nil
	}
	if needed&indirectExternAccess != 0 {
		return &protectedAccess{name: name, obj: obj}
	}
	return nil
}

// oneNeeded reads GNU_PROPERTY_1_NEEDED (l_1_needed) of an object the way
// x86's _dl_process_property_note and _dl_process_gnu_property find it in
// a linker's output: one NT_GNU_PROPERTY_TYPE_0 note, 8-byte aligned,
// which PT_GNU_PROPERTY and a PT_NOTE both cover, its properties in
// ascending order. The releases walk those headers differently (2.36
// reads the PT_NOTE, 2.41 PT_GNU_PROPERTY first); ok is false when the
// file is not in the shape where they agree (another note, a header
// pointing elsewhere, a property out of order or of the wrong size, a
// read that faults), which the caller does not guess about.
func (r *relocator) oneNeeded(lm *linkMap) (needed uint32, ok bool) {
	var at []uint64
	for _, p := range lm.f.Progs {
		if p.Type != elf.PT_NOTE && p.Type != elf.PT_GNU_PROPERTY {
			continue
		}
		if p.Type == elf.PT_GNU_PROPERTY && p.Align != 8 {
			return 0, false
		}
		if p.Align != 8 {
			continue // glibc skips it; a linker's 4-byte notes are here
		}
		addrs, ok := r.propertyNotes(lm, p.Vaddr, p.Memsz)
		if !ok {
			return 0, false
		}
		at = append(at, addrs...)
	}
	if len(at) == 0 {
		return 0, true
	}
	for _, a := range at[1:] {
		if a != at[0] {
			return 0, false
		}
	}
	m, o := lm.m, lm.f.ByteOrder()
	var h [12]byte
	if lm.f.Image().ReadAt(h[:], at[0], "GNU property note") != nil {
		return 0, false
	}
	descsz := uint64(o.Uint32(h[4:]))
	if descsz < 8 || descsz%8 != 0 {
		return 0, false
	}
	ptr, end := m.add(at[0], 16), m.add(at[0], 16+descsz)
	last := uint32(0)
	for n := 0; end-ptr >= 8; n++ {
		if n == maxProperties {
			return 0, false
		}
		var b [8]byte
		if lm.f.Image().ReadAt(b[:], ptr, "GNU property") != nil {
			return 0, false
		}
		typ, size := o.Uint32(b[:]), uint64(o.Uint32(b[4:]))
		if typ < last || size > end-ptr-8 {
			return 0, false
		}
		last = typ
		if typ == gnuProperty1Needed {
			if size != 4 {
				return 0, false
			}
			v, err := m.u32(ptr+8, "GNU_PROPERTY_1_NEEDED")
			if err != nil {
				return 0, false
			}
			return v, true
		}
		if typ > gnuProperty1Needed {
			return 0, true
		}
		ptr = m.add(ptr, 8+(size+7)&^7)
	}
	return 0, true
}

// propertyNotes lists the NT_GNU_PROPERTY_TYPE_0 notes named "GNU" in
// [addr, addr+size), walked with 8-byte alignment as glibc does.
func (r *relocator) propertyNotes(lm *linkMap, addr, size uint64) ([]uint64, bool) {
	var out []uint64
	o := lm.f.ByteOrder()
	for off, n := uint64(0), 0; off+12 <= size; n++ {
		if n == maxNotes {
			return nil, false
		}
		var h [16]byte
		if lm.f.Image().ReadAt(h[:], lm.m.add(addr, off), "note header") != nil {
			return nil, false
		}
		namesz, descsz, typ := uint64(o.Uint32(h[:])), uint64(o.Uint32(h[4:])), o.Uint32(h[8:])
		if namesz == 4 && typ == ntGNUPropertyType0 && string(h[12:16]) == "GNU\x00" {
			out = append(out, lm.m.add(addr, off))
		}
		next := ((12+namesz+7)&^7 + descsz + 7) &^ 7 // ELF_NOTE_NEXT_OFFSET with align 8
		if namesz > size || descsz > size || off+next <= off {
			return nil, false
		}
		off += next
	}
	return out, true
}

// kind says, for the undetermined summary, what no linker writes: the
// relocation entry, or the symbol it names (syms.go's marks).
func (d relocDamage) kind() string {
	switch d.code {
	case "symbol-undefined-visibility", "symbol-undefined-local", "copy-size-short":
		return "against a symbol that no linker writes"
	case "reloc-symbol-renamed":
		return "against a symbol whose name was changed after linking"
	case "bound-outside-object":
		return "that binds a word to a variable outside its object"
	case "import-not-bound":
		return "whose symbol was changed after linking, leaving a function its code calls, or a variable it reads, unbound"
	case "variable-slot-bound-to-function":
		return "whose symbol was changed from a variable to a function after linking"
	case "symbol-ifunc-damaged":
		return "against a function whose type was changed to IFUNC after linking"
	}
	return "that no linker writes"
}
