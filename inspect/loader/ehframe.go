package loader

import (
	"debug/elf"
	"fmt"
	"path/filepath"

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
// frame's FDE through dl_iterate_phdr: the object's PT_GNU_EH_FRAME,
// which a linker points at .eh_frame_hdr. Without it (a damaged p_type,
// a moved p_vaddr) the FDE is not found, or a wrong table is read, and
// __cxa_throw ends in std::terminate (gxx-pie: SIGABRT, or SIGSEGV
// where the moved table is read, at the first throw after main's
// output). Whether the program throws is its own code's business:
// relocation damage, undetermined, given only where the program would
// otherwise start. Judged only with a section table that names
// .eh_frame_hdr.
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
	seen := false
	for _, p := range progs {
		if p.Type == elf.PT_GNU_EH_FRAME {
			if p.Vaddr == hdr.Addr {
				return
			}
			seen = true
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
	what := fmt.Sprintf("%s has no PT_GNU_EH_FRAME, where the unwinder looks for .eh_frame_hdr (at 0x%x)", filepath.Base(lm.obj.name), hdr.Addr)
	if seen {
		what = fmt.Sprintf("%s's PT_GNU_EH_FRAME no longer points at .eh_frame_hdr (at 0x%x), where a linker points it", filepath.Base(lm.obj.name), hdr.Addr)
	}
	r.damage = append(r.damage, relocDamage{lm: lm, code: "eh-frame-lost", at: hdr.Addr,
		what:    what + fmt.Sprintf(", and it imports %s: its code throws or unwinds exceptions", thrower),
		changed: "an exception thrown through its code finds no unwind table (dl_iterate_phdr gives none, or another one), and the C++ runtime calls std::terminate (SIGABRT), or the unwinder reads wherever the header points"})
}
