package loader

import (
	"debug/elf"
	"fmt"
	"path/filepath"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// lInfo is an object's l_info as elf_get_dynamic_info
// (elf/get-dynamic-info.h) fills it: one slot per tag ld.so knows, the
// last entry of the table for that slot winning. Tags ld.so does not
// know are never stored, whatever their value; a tag is stored under the
// slot its index arithmetic gives, which for the DT_FILTER group is
// computed on the tag's low 32 bits only. Slots are keyed by the tag each
// stands for.
type lInfo struct {
	slot map[elf.DynTag]infoSlot
	// bindNow is l_info[DT_BIND_NOW] after DF_BIND_NOW and DF_1_NOW were
	// translated into it.
	bindNow bool
	// rebased are the d_val words of .dynamic that ADJUST_DYN_INFO
	// rewrote with the load bias added: ld.so reads them later as memory
	// that holds a load address (a string table moved onto .dynamic).
	rebased []uint64
}

// infoSlot is one l_info entry: the dynamic entry it points to.
type infoSlot struct {
	tag   elf.DynTag // the tag as written, which may differ from the slot's
	val   uint64
	index int // of the entry in the dynamic table
	// absolute marks a zero DT_RELA or DT_REL that glibc 2.36 and later
	// leave unrelocated: the address 0 itself, not the object's first
	// byte.
	absolute bool
}

// get returns the value of the slot for tag t, as D_PTR or d_val reads it.
func (li *lInfo) get(t elf.DynTag) (uint64, bool) {
	if li == nil {
		return 0, false
	}
	s, ok := li.slot[t]
	return s.val, ok
}

// has says whether l_info's slot for t is set.
func (li *lInfo) has(t elf.DynTag) bool {
	_, ok := li.get(t)
	return ok
}

// glibcModel is what the replay needs to know about the ld.so it models.
type glibcModel struct {
	minor   int // glibc 2.x; 0 when unknown, modelled as the newest
	machine elf.Machine
	class   elf.Class
}

func (g glibcModel) atLeast(minor int) bool { return g.minor == 0 || g.minor >= minor }

// dtNum is DT_NUM of the modelled glibc's elf.h: 2.36 added DT_RELRSZ,
// DT_RELR and DT_RELRENT; older loaders ignore those tags.
func (g glibcModel) dtNum() uint64 {
	if g.atLeast(36) {
		return 38
	}
	return 35
}

// noRel and noRela are ELF_MACHINE_NO_REL and ELF_MACHINE_NO_RELA of the
// machine's dl-machine.h (dl-machine-rel.h since 2.36): x86-64 and
// aarch64 ld.so never read DT_REL, i386's never reads DT_RELA since 2.37.
func (g glibcModel) noRel() bool { return g.machine != elf.EM_386 }
func (g glibcModel) noRela() bool {
	return g.machine == elf.EM_386 && g.atLeast(37)
}

// procNum is DT_THISPROCNUM: DT_AARCH64_NUM (6) on aarch64,
// DT_X86_64_NUM (4) on x86-64 since 2.39, none on i386.
func (g glibcModel) procNum() int64 {
	switch {
	case g.machine == elf.EM_AARCH64:
		return 6
	case g.machine == elf.EM_X86_64 && g.atLeast(39):
		return 4
	}
	return 0
}

// Tag ranges of elf.h used by elf_get_dynamic_info's index arithmetic.
const (
	dtValRngHi   = 0x6ffffdff
	dtValNum     = 12
	dtAddrRngHi  = 0x6ffffeff
	dtAddrNum    = 11
	dtVerneedNum = 0x6fffffff
	dtVersionNum = 16
	dtExtraNum   = 3
	dtFilterTag  = 0x7fffffff
	dtRelrEnt    = elf.DynTag(37)
)

// infoSlotFor returns the l_info slot elf_get_dynamic_info stores tag in,
// named by the tag it stands for, or false when ld.so ignores the tag.
// The comparisons are unsigned in the class's word, as d_tag_utype.
func (g glibcModel) infoSlotFor(tag elf.DynTag) (elf.DynTag, bool) {
	mask := ^uint64(0)
	if g.class == elf.ELFCLASS32 {
		mask = 0xffffffff
	}
	u := uint64(tag) & mask
	if u < g.dtNum() {
		return elf.DynTag(u), true
	}
	// The processor's own tags (dl-dtprocnum.h): DT_LOPROC up to
	// DT_THISPROCNUM of them, compared as signed values.
	if procNum := g.procNum(); int64(tag) >= int64(elf.DT_LOPROC) && int64(tag) < int64(elf.DT_LOPROC)+procNum {
		return tag, true
	}
	if idx := (uint64(dtVerneedNum) - u) & mask; idx < dtVersionNum {
		return elf.DynTag(dtVerneedNum - idx), true
	}
	// DT_EXTRATAGIDX: ((Elf32_Word)-((Elf32_Sword) (tag) <<1>>1)-1),
	// on the low 32 bits of the tag whatever the class.
	lo := int32(uint32(tag) << 1)
	if idx := uint32(-(lo >> 1)) - 1; idx < dtExtraNum {
		return elf.DynTag(dtFilterTag - idx), true
	}
	if idx := (uint64(dtValRngHi) - u) & mask; idx < dtValNum {
		return elf.DynTag(dtValRngHi - idx), true
	}
	if idx := (uint64(dtAddrRngHi) - u) & mask; idx < dtAddrNum {
		return elf.DynTag(dtAddrRngHi - idx), true
	}
	return 0, false
}

// model returns the ld.so the replay models for the file being checked.
func (c *checker) model() glibcModel {
	if c.gm != nil {
		return *c.gm
	}
	g := glibcModel{machine: c.f.Machine, class: c.f.Class}
	defer func() { c.gm = &g }()
	if c.li != nil {
		g.minor = c.li.minor
		return g
	}
	interp, has, _ := c.f.Interp()
	host := ""
	switch {
	case c.opts.Loader != "":
		// Run as `LOADER FILE`, the file's PT_INTERP is never read, and
		// the release is asked before dependencies sets c.li (the
		// mapping and start-up replays ask it).
		host = c.opts.Loader
	case c.dlopen:
		// dlopen never reads PT_INTERP: the process's ld.so decides.
		if r, _, ok := c.dlopenHost(); ok && r.li != nil {
			g.minor = r.li.minor
			return g
		}
		host = c.underRoot(standardInterp(c.f))
	case has && isNixLDShim(c.underRoot(interp)):
		if real := c.opts.Getenv("NIX_LD"); real != "" {
			host = c.underRoot(real)
		}
	case has:
		host = c.underRoot(interp)
	default:
		// A program without PT_INTERP is started by the kernel and runs
		// its own start-up code (a static PIE relocates itself with the
		// libc it was linked with): no loader on the system decides what
		// it does, and the release is not known (the newest is
		// modelled). A static PIE linked against glibc 2.36 has
		// DT_RELR, which a 2.31 root's loader would have skipped.
	}
	if host != "" {
		g.minor = describeLoader(host, c.f).minor
	}
	return g
}

// getDynamicInfo replays elf_get_dynamic_info for one object: it fills
// l_info from the entries read up to DT_NULL, then makes the assertions
// ld.so makes on them. A failed assertion is a finding (exit 127 with
// ld.so's message); an assertion that reads a slot which is not set
// dereferences a null pointer. It returns nil after a fatal finding.
func (c *checker) getDynamicInfo(f *inspect.File, d *inspect.Dynamic, object string) *lInfo {
	g := c.model()
	g.machine, g.class = f.Machine, f.Class
	li := &lInfo{slot: map[elf.DynTag]infoSlot{}}
	for i, e := range d.Entries {
		if s, ok := g.infoSlotFor(e.Tag); ok {
			li.slot[s] = infoSlot{tag: e.Tag, val: e.Val, index: i}
		}
	}
	// Since 2.36 a zero DT_RELA or DT_REL (allowed beside DT_RELR) is
	// not rebased; in an object loaded at a bias it is the address 0.
	if g.atLeast(36) && f.Type == elf.ET_DYN {
		for _, t := range []elf.DynTag{elf.DT_RELA, elf.DT_REL} {
			if s, ok := li.slot[t]; ok && s.val == 0 {
				s.absolute = true
				li.slot[t] = s
			}
		}
	}
	// With a load bias, the rebased pointers are written back into the
	// table: always before 2.36, since then only when PT_DYNAMIC is
	// writable (dl_relocate_ld); a zero DT_RELA or DT_REL is left alone.
	if f.Type == elf.ET_DYN && (!g.atLeast(36) || d.Prog.Flags&elf.PF_W != 0) {
		for _, t := range g.adjusted() {
			s, ok := li.slot[t]
			if !ok || (s.absolute && (t == elf.DT_RELA || t == elf.DT_REL)) {
				continue
			}
			if !c.dynamicWrite(f, d, s, object) {
				return nil
			}
			li.rebased = append(li.rebased, d.Addr+uint64(s.index)*dynEntSize(f)+dynEntSize(f)/2)
		}
	}
	word := uint64(8)
	if f.Class == elf.ELFCLASS32 {
		word = 4
	}
	file, line := "get-dynamic-info.h", 0
	if g.atLeast(36) {
		file = "./get-dynamic-info.h"
	}
	type assertion struct {
		cond, slot elf.DynTag // checked when cond is set; slot is read
		ok         func(v uint64) bool
		expr       string
		line31     int // line in glibc 2.31's file; 2.36 and later differ by 8
	}
	var as []assertion
	if g.noRel() {
		as = append(as, assertion{elf.DT_PLTREL, elf.DT_PLTREL, func(v uint64) bool { return v == uint64(elf.DT_RELA) },
			"info[DT_PLTREL]->d_un.d_val == DT_RELA", 123})
	} else if g.noRela() {
		as = append(as, assertion{elf.DT_PLTREL, elf.DT_PLTREL, func(v uint64) bool { return v == uint64(elf.DT_REL) },
			"info[DT_PLTREL]->d_un.d_val == DT_REL", 121})
	} else {
		as = append(as, assertion{elf.DT_PLTREL, elf.DT_PLTREL, func(v uint64) bool { return v == uint64(elf.DT_REL) || v == uint64(elf.DT_RELA) },
			"info[DT_PLTREL]->d_un.d_val == DT_REL || info[DT_PLTREL]->d_un.d_val == DT_RELA", 125})
	}
	if !g.noRela() {
		as = append(as, assertion{elf.DT_RELA, elf.DT_RELAENT, func(v uint64) bool { return v == 3*word },
			"info[DT_RELAENT]->d_un.d_val == sizeof (ElfW(Rela))", 131})
	}
	if !g.noRel() {
		as = append(as, assertion{elf.DT_REL, elf.DT_RELENT, func(v uint64) bool { return v == 2*word },
			"info[DT_RELENT]->d_un.d_val == sizeof (ElfW(Rel))", 135})
	}
	if g.atLeast(36) {
		as = append(as, assertion{dtRELR, dtRelrEnt, func(v uint64) bool { return v == word },
			"info[DT_RELRENT]->d_un.d_val == sizeof (ElfW(Relr))", 138})
	}
	name := filepath.Base(c.path)
	if object != "" {
		name = filepath.Base(object)
	}
	for _, a := range as {
		if !li.has(a.cond) {
			continue
		}
		s, ok := li.slot[a.slot]
		if !ok {
			c.add(Finding{Severity: SeverityFatal, Stage: c.setupStage(object), Code: "dynamic-entry-missing", Object: object,
				Summary:  fmt.Sprintf("the dynamic table of %s has %s but no %s: ld.so reads the size through a null pointer", name, inspect.DynTagName(a.cond), inspect.DynTagName(a.slot)),
				Evidence: []string{fmt.Sprintf("elf_get_dynamic_info asserts %s", a.expr)},
				Outcome:  OutcomeCrash, Signal: "SIGSEGV", Message: "SIGSEGV in ld.so before main (elf_get_dynamic_info)",
				Next: "the dynamic table was damaged: compare with the pristine file using `elfdoctor diff`"})
			return nil
		}
		if a.ok(s.val) {
			continue
		}
		line = a.line31
		if g.atLeast(36) {
			line -= 8
		}
		c.add(Finding{Severity: SeverityFatal, Stage: c.setupStage(object), Code: "dynamic-assertion", Object: object,
			Summary:  fmt.Sprintf("%s of %s is 0x%x, which ld.so's elf_get_dynamic_info refuses with an assertion", inspect.DynTagName(s.tag), name, s.val),
			Evidence: []string{fmt.Sprintf("dynamic entry %d: %s = 0x%x", s.index, inspect.DynTagName(s.tag), s.val)},
			Outcome:  OutcomeLoaderError, ExitStatus: 127,
			Message: fmt.Sprintf("Inconsistency detected by ld.so: %s: %d: elf_get_dynamic_info: Assertion `%s' failed!", file, line, a.expr),
			Next:    "the dynamic table was damaged: compare with the pristine file using `elfdoctor diff`"})
		return nil
	}
	if v, ok := li.get(elf.DT_FLAGS); ok && elf.DynFlag(v)&elf.DF_BIND_NOW != 0 {
		li.bindNow = true
	}
	if v, ok := li.get(elf.DT_FLAGS_1); ok && elf.DynFlag1(v)&elf.DF_1_NOW != 0 {
		li.bindNow = true
	}
	li.bindNow = li.bindNow || li.has(elf.DT_BIND_NOW)
	if li.has(elf.DT_RUNPATH) {
		delete(li.slot, elf.DT_RPATH) // "If both RUNPATH and RPATH are given, the latter is ignored."
	}
	return li
}

// adjusted lists, in order, the l_info slots elf_get_dynamic_info
// rebases by the load bias (ADJUST_DYN_INFO).
func (g glibcModel) adjusted() []elf.DynTag {
	ts := []elf.DynTag{elf.DT_HASH, elf.DT_PLTGOT, elf.DT_STRTAB, elf.DT_SYMTAB}
	if g.atLeast(36) {
		ts = append(ts, dtRELR, elf.DT_JMPREL, elf.DT_VERSYM, elf.DT_GNU_HASH)
	}
	if !g.noRela() {
		ts = append(ts, elf.DT_RELA)
	}
	if !g.noRel() {
		ts = append(ts, elf.DT_REL)
	}
	if !g.atLeast(36) {
		ts = append(ts, elf.DT_JMPREL, elf.DT_VERSYM, elf.DT_GNU_HASH)
	}
	return ts
}

// dynamicWrite replays ld.so's write into the dynamic entry of slot s:
// a page mapped read-only faults. It returns false after that finding.
func (c *checker) dynamicWrite(f *inspect.File, d *inspect.Dynamic, s infoSlot, object string) bool {
	addr := d.Addr + uint64(s.index)*dynEntSize(f)
	l := f.Image().Lookup(addr)
	if !l.Mapped || l.Perm&elf.PF_W != 0 {
		return true
	}
	slot := inspect.DynTagName(s.tag)
	ev := []string{fmt.Sprintf("the %s slot of .dynamic is at vaddr 0x%x, in a page mapped %s by program header %d", slot, addr, inspect.FlagString(l.Perm), l.Prog)}
	if len(l.Shadowed) > 0 {
		ev = append(ev, fmt.Sprintf("program header %d replaced the pages of program header(s) %v there", l.Prog, l.Shadowed))
	}
	name, of := "the program", ""
	if object != "" {
		name = filepath.Base(object)
		of = " of " + name
	}
	c.add(Finding{Severity: SeverityFatal, Stage: c.setupStage(object), Code: "dynamic-readonly", Object: object,
		Summary:  fmt.Sprintf("ld.so writes the %s entry of .dynamic%s, but that page is mapped read-only", slot, of),
		Evidence: ev, Outcome: OutcomeCrash, Signal: "SIGSEGV",
		Message: "SIGSEGV in ld.so while setting up " + name + ", before main",
		Next:    "a PT_LOAD added or moved by a rewrite now covers .dynamic: compare with the pristine file using `elfdoctor diff`"})
	return false
}

// setupStage is the stage of an object's start-up reads: the program's
// are ld.so's own start-up, a library's happen while it is loaded.
func (c *checker) setupStage(object string) Stage {
	if object == "" {
		return StageStartup
	}
	return StageDeps
}

// setupHash replays _dl_setup_hash (elf/dl-setup_hash.c; dl-lookup.c
// before 2.35): with DT_GNU_HASH, the four header words and the
// assertion that the bloom filter's size is a power of two; otherwise
// DT_HASH's nbucket (nchain is skipped, not read). It returns false after
// a fatal finding.
func (c *checker) setupHash(f *inspect.File, li *lInfo, object string, obj *loadedObj) bool {
	g := c.model()
	m := memOf(f)
	name := filepath.Base(c.path)
	if object != "" {
		name = filepath.Base(object)
	}
	fault := func(err error, what string) bool {
		// A read outside the object's pages may find another mapping
		// there (a library's neighbours, or the vDSO's data pages).
		fd, ok := c.mainPastMapping(err, "the "+what, c.setupStage(object), "setting up its hash table")
		if object != "" {
			fd, ok = c.pastMappingFinding(obj, err, "the "+what, c.setupStage(object), "setting up the hash table of "+name, false)
		}
		if ok {
			c.add(fd)
			return false
		}
		sig := faultSignal(err)
		c.add(Finding{Severity: SeverityFatal, Stage: c.setupStage(object), Code: "hash-unreadable", Object: object,
			Summary:  fmt.Sprintf("ld.so reads the %s of %s from memory that is not readable", what, name),
			Evidence: []string{err.Error()}, Outcome: OutcomeCrash, Signal: sig,
			Message: sig + " in ld.so before main (_dl_setup_hash)",
			Next:    "the dynamic table points at a hash table a rewrite moved: compare with the pristine file using `elfdoctor diff`"})
		return false
	}
	if gh, ok := li.get(elf.DT_GNU_HASH); ok {
		var w [4]uint32
		for i, what := range []string{"nbuckets", "symoffset", "bloom_size", "bloom_shift"} {
			if i == 3 && w[2]&(w[2]-1) != 0 {
				file, line := "dl-lookup.c", 972
				if g.atLeast(35) {
					file, line = "dl-setup_hash.c", 36
				}
				c.add(Finding{Severity: SeverityFatal, Stage: c.setupStage(object), Code: "gnu-hash-assertion", Object: object,
					Summary:  fmt.Sprintf("the GNU hash table of %s says its bloom filter has %d words, not a power of two: ld.so stops with an assertion", name, w[2]),
					Evidence: []string{fmt.Sprintf("DT_GNU_HASH = 0x%x: nbuckets %d, symoffset %d, bloom_size %d", gh, w[0], w[1], w[2])},
					Outcome:  OutcomeLoaderError, ExitStatus: 127,
					Message: fmt.Sprintf("Inconsistency detected by ld.so: %s: %d: _dl_setup_hash: Assertion `(bitmask_nwords & (bitmask_nwords - 1)) == 0' failed!", file, line),
					Next:    "the GNU hash table was damaged: compare with the pristine file using `elfdoctor diff`"})
				return false
			}
			v, err := m.u32(m.add(gh, uint64(4*i)), "DT_GNU_HASH "+what)
			if err != nil {
				return fault(err, "GNU hash table header ("+what+")")
			}
			w[i] = v
		}
		return true
	}
	if h, ok := li.get(elf.DT_HASH); ok {
		if _, err := m.u32(h, "DT_HASH nbucket"); err != nil {
			return fault(err, "hash table header (nbucket)")
		}
	}
	return true
}

// dynEntSize is sizeof (ElfW(Dyn)).
func dynEntSize(f *inspect.File) uint64 {
	if f.Class == elf.ELFCLASS32 {
		return 8
	}
	return 16
}

// refusal is what _dl_map_object_from_fd (elf/dl-load.c) refuses once
// elf_get_dynamic_info has filled l_info, from l_flags_1 (the last
// DT_FLAGS_1 entry): an object with DF_1_PIE is loaded only as the
// program ld.so runs as its command (__RTLD_OPENEXEC), never as a
// dependency or by dlopen; one with DF_1_NOOPEN never by dlopen, which
// loads a library's dependencies in its own mode (__RTLD_DLOPEN). ld.so
// names the PIE whichever flag stopped it. It returns "" when the object
// is loaded on.
func (li *lInfo) refusal(dlopen, openExec bool) string {
	v, _ := li.get(elf.DT_FLAGS_1)
	flags := elf.DynFlag1(v)
	if (flags&elf.DF_1_NOOPEN == 0 || !dlopen) && (flags&elf.DF_1_PIE == 0 || openExec) {
		return ""
	}
	if flags&elf.DF_1_PIE != 0 {
		return "cannot dynamically load position-independent executable"
	}
	return "shared object cannot be dlopen()ed"
}

// loadable reports what _dl_map_object_from_fd refuses by an object's
// DT_FLAGS_1 (lInfo.refusal): the file checked as dlopen loads it when
// object is "", else the dependency object found at path. The program
// ld.so starts is never refused so. It returns false after a fatal
// finding.
func (c *checker) loadable(li *lInfo, object, path string) bool {
	msg := li.refusal(c.dlopen, false)
	if msg == "" {
		return true
	}
	s := li.slot[elf.DT_FLAGS_1]
	fd := Finding{Severity: SeverityFatal, Stage: c.setupStage(object), Object: object,
		Evidence: []string{fmt.Sprintf("dynamic entry %d of %s: DT_FLAGS_1 = 0x%x (%s)", s.index, path, s.val, elf.DynFlag1(s.val))},
		Outcome:  OutcomeLoaderError, ExitStatus: 127,
		Message: fmt.Sprintf("error while loading shared libraries: %s: %s", object, msg)}
	base := filepath.Base(path)
	pie := elf.DynFlag1(s.val)&elf.DF_1_PIE != 0
	switch {
	case object == "" && pie:
		fd.Stage, fd.Code, fd.Message = StageMapping, "pie-not-loadable", msg
		fd.Summary = fmt.Sprintf("dlopen refuses %s: it is a position-independent executable (DF_1_PIE in DT_FLAGS_1), which ld.so loads only as the program it runs, never as a library", base)
		fd.Next = "load a shared library built from the same code (linked with -shared, not -pie); if the file is meant to be a library, its DT_FLAGS_1 was damaged: compare with a pristine copy using `elfdoctor diff`"
	case pie:
		fd.Code = "pie-not-loadable"
		fd.Summary = fmt.Sprintf("ld.so finds %s at %s, but it is a position-independent executable (DF_1_PIE in DT_FLAGS_1), which ld.so loads only as the program it runs, never as a library", object, path)
		fd.Next = fmt.Sprintf("a program is installed under the library's name: reinstall the package that owns %s, or point the search (RUNPATH, LD_LIBRARY_PATH) at the real library; if it is meant to be a library, its DT_FLAGS_1 was damaged: compare with a pristine copy using `elfdoctor diff`", path)
	case object == "":
		fd.Stage, fd.Code, fd.Message = StageMapping, "dlopen-forbidden", msg
		fd.Summary = fmt.Sprintf("dlopen refuses %s: its DT_FLAGS_1 has DF_1_NOOPEN (it was linked with -z nodlopen)", base)
		fd.Next = "link the program against the library instead, so ld.so loads it at start-up, or rebuild the library without -z nodlopen"
	default:
		fd.Code = "dlopen-forbidden"
		fd.Summary = fmt.Sprintf("dlopen finds %s at %s, but its DT_FLAGS_1 has DF_1_NOOPEN (it was linked with -z nodlopen): dlopen loads no such library, not even as a dependency, unless the process already has it", object, path)
		fd.Next = fmt.Sprintf("link the program itself against %s, so ld.so loads it at start-up before the dlopen, or rebuild it without -z nodlopen", object)
	}
	c.add(fd)
	return false
}
