package loader

import (
	"debug/elf"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// throwers are the imports through which an object's code throws or
// unwinds an exception: the C++ runtime's throw and rethrow, and the
// unwinder's entry points.
var throwers = map[string]bool{
	"__cxa_throw": true, "__cxa_rethrow": true, "_Unwind_Resume": true,
	"_Unwind_RaiseException": true, "_Unwind_ForcedUnwind": true,
}

// ehFrameLost looks for an object that throws exceptions whose unwind
// table ld.so's program headers no longer lead to. The unwinder finds a
// frame's FDE through dl_iterate_phdr: the headers at the object's
// l_phdr, with l_addr added, whose PT_LOAD must hold the frame's PC and
// whose last PT_GNU_EH_FRAME a linker points at .eh_frame_hdr. Without
// it (a damaged p_type, a moved p_vaddr), or with headers at l_phdr that
// are not the file's (a moved PT_PHDR, seed 8320000821: run as ld.so's
// command, the program's l_phdr is 13 bytes off its headers), the FDE is
// not found, or a wrong table is read, and __cxa_throw ends in
// std::terminate (gxx-pie: SIGABRT, or SIGSEGV where the moved table is
// read, at the first throw after main's output). Whether the program
// throws is its own code's business: relocation damage, undetermined,
// given only where the program would otherwise start. Judged only with a
// section table that names .eh_frame_hdr.
func (r *relocator) ehFrameLost(lm *linkMap) {
	f := lm.f
	if !r.types.full || f.Machine != elf.EM_X86_64 || !lm.hasSymtab {
		return
	}
	var hdr *inspect.Section
	for i := range f.Sections {
		if s := &f.Sections[i]; s.Name == ".eh_frame_hdr" && s.Addr != 0 && s.Size != 0 {
			hdr = s
		}
	}
	if hdr == nil {
		return
	}
	progs := f.Progs
	if lm.obj.lib != nil {
		progs = lm.obj.lib.progs
	}
	seen, found := false, false
	for _, p := range progs {
		if p.Type == elf.PT_GNU_EH_FRAME {
			seen = true
			found = found || p.Vaddr == hdr.Addr
		}
	}
	elsewhere, personality := "", ""
	if found {
		if elsewhere = r.unwinderHeadersElsewhere(lm, progs); elsewhere == "" {
			if personality = r.personalityLost(lm); personality == "" {
				return
			}
		}
	}
	thrower := ""
	for i := uint64(1); i < min(r.symCount(lm), maxSymScan) && thrower == ""; i++ {
		s, err := lm.readSym(i)
		if err != nil {
			return
		}
		if s.shndx != uint16(elf.SHN_UNDEF) {
			continue
		}
		if name := lm.symName(s); name.err == nil && throwers[name.s] {
			thrower = name.s
		}
	}
	if thrower == "" {
		return
	}
	base := filepath.Base(lm.obj.name)
	what := fmt.Sprintf("%s has no PT_GNU_EH_FRAME, where the unwinder looks for .eh_frame_hdr (at 0x%x)", base, hdr.Addr)
	switch {
	case personality != "":
		what = personality
	case elsewhere != "":
		what = fmt.Sprintf("the program headers dl_iterate_phdr gives the unwinder for %s are not the file's: %s", base, elsewhere)
	case seen:
		what = fmt.Sprintf("%s's PT_GNU_EH_FRAME no longer points at .eh_frame_hdr (at 0x%x), where a linker points it", base, hdr.Addr)
	}
	r.damage = append(r.damage, relocDamage{lm: lm, code: "eh-frame-lost", at: hdr.Addr,
		what:    what + fmt.Sprintf(", and it imports %s: its code throws or unwinds exceptions", thrower),
		changed: "an exception thrown through its code finds no unwind table (dl_iterate_phdr gives none, or another one), and the C++ runtime calls std::terminate (SIGABRT), or the unwinder reads wherever the header points"})
}

// unwinderHeadersElsewhere reads the headers dl_iterate_phdr reports
// for lm as the unwinder walks them (l_phdr, l_phnum, l_addr) and says
// how they differ from the file's, or "" when the unwinder finds the
// file's PT_LOADs and last PT_GNU_EH_FRAME at the file's addresses.
// l_phdr is AT_PHDR for a program the kernel mapped (kernelPhdrAddr),
// else the last PT_PHDR's p_vaddr or where a PT_LOAD maps e_phoff
// (commandPhdrAddr), else ld.so's own copy of the file's headers. A
// program's l_addr is l_phdr less the p_vaddr of the last PT_PHDR there
// (rtld_setup_main_map); a library's is where ld.so mapped it.
func (r *relocator) unwinderHeadersElsewhere(lm *linkMap, progs []inspect.Prog) string {
	f := lm.f
	phnum := 0
	var at uint64
	found := true
	if lib := lm.obj.lib; lib != nil {
		phnum = lib.phnum
		at, found = commandPhdrAddr(f, phnum)
	} else {
		if !lm.main || r.c.dlopen {
			return ""
		}
		n, err := rawPhnum(f)
		if err != nil {
			return ""
		}
		phnum = n
		if r.c.opts.Loader != "" {
			at, found = commandPhdrAddr(f, phnum)
		} else {
			at, _ = kernelPhdrAddr(f)
		}
	}
	if !found {
		return "" // ld.so's copy of the headers it read
	}
	type load struct{ vaddr, memsz uint64 }
	var want []load
	for _, p := range progs {
		if p.Type == elf.PT_LOAD {
			want = append(want, load{p.Vaddr, p.Memsz})
		}
	}
	ent := uint64(f.PhdrSize())
	b := make([]byte, ent)
	o := f.ByteOrder()
	word := func(off64, off32 int) uint64 {
		if f.Class == elf.ELFCLASS32 {
			return uint64(o.Uint32(b[off32:]))
		}
		return o.Uint64(b[off64:])
	}
	var got []load
	var eh, phdr uint64
	hasEh, hasPhdr := false, false
	for i := 0; i < phnum; i++ {
		a := at + uint64(i)*ent
		if err := f.Image().ReadAt(b, a, fmt.Sprintf("program header %d at l_phdr", i)); err != nil {
			return fmt.Sprintf("header %d at l_phdr (0x%x) cannot be read (%v)", i, a, err)
		}
		switch elf.ProgType(o.Uint32(b)) {
		case elf.PT_LOAD:
			got = append(got, load{word(16, 8), word(40, 20)})
		case elf.PT_GNU_EH_FRAME:
			eh, hasEh = word(16, 8), true
		case elf.PT_PHDR:
			phdr, hasPhdr = word(16, 8), true
		}
	}
	if lm.obj.lib == nil {
		switch {
		case hasPhdr && at != phdr:
			return fmt.Sprintf("at l_phdr (0x%x) the last PT_PHDR says 0x%x, which moves l_addr by %+#x", at, phdr, int64(at-phdr))
		case !hasPhdr && f.Type == elf.ET_DYN && r.c.opts.Loader == "":
			return fmt.Sprintf("the headers at l_phdr (0x%x) have no PT_PHDR, so rtld leaves the program's l_addr at 0", at)
		}
	}
	if !hasEh || !slices.Equal(got, want) || eh != progsLastEh(progs) {
		return fmt.Sprintf("the %d headers at l_phdr (0x%x) hold %d PT_LOADs and %s, not the file's %d PT_LOADs and PT_GNU_EH_FRAME", phnum, at, len(got), ehWords(hasEh, eh), len(want))
	}
	return ""
}

// progsLastEh is the p_vaddr of the last PT_GNU_EH_FRAME, the one the
// unwinder keeps.
func progsLastEh(progs []inspect.Prog) uint64 {
	var v uint64
	for _, p := range progs {
		if p.Type == elf.PT_GNU_EH_FRAME {
			v = p.Vaddr
		}
	}
	return v
}

func ehWords(has bool, v uint64) string {
	if !has {
		return "no PT_GNU_EH_FRAME"
	}
	return fmt.Sprintf("a PT_GNU_EH_FRAME at 0x%x", v)
}

// personalityLost names the personality pointer of lm that no relocation
// wrote, or "". GCC puts the address of the personality routine each
// CIE names (__gxx_personality_v0) in a word of its own,
// DW.ref.<routine>, which a linker relocates (an R_X86_64_64 in a
// position-independent object); the unwinder reads it for every frame
// of the object. Left at the file's 0 (seed 8340004800: the
// relocation's r_offset moved 8 bytes), no frame has a personality, no
// handler is found, and the throw ends in std::terminate. Judged from
// .symtab; a word the file does not hold 0 for (a linker resolved it
// itself) is left alone.
func (r *relocator) personalityLost(lm *linkMap) string {
	// A replay cut short knows only some of the words relocation wrote.
	if lm.written == nil || lm.partial {
		return ""
	}
	const prefix = "DW.ref."
	lost := ""
	r.eachSymtab(lm, func(t tableSym) bool {
		return t.shndx != uint16(elf.SHN_UNDEF) && elf.ST_TYPE(t.info) == elf.STT_OBJECT && t.size == r.word
	}, func(t tableSym, b []byte) bool {
		name := string(b)
		if !strings.HasPrefix(name, prefix) {
			return true
		}
		if _, wrote := lm.wroteUnder(t.value, r.word, r.word); wrote || !r.allZero(lm, t.value, r.word) {
			return true
		}
		lost = fmt.Sprintf("%s at 0x%x, the pointer to the personality routine %s that the unwinder reads for every frame of %s, is written by no relocation and holds the file's 0", name, t.value, strings.TrimPrefix(name, prefix), filepath.Base(lm.obj.name))
		return false
	})
	return lost
}
