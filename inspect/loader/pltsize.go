package loader

import (
	"debug/elf"
	"fmt"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// pltBeyondSize finds the first lazy PLT entry of a loaded ET_DYN object
// that DT_PLTRELSZ leaves out: ld.so applies the DT_JMPREL entries that
// fit in DT_PLTRELSZ and no others, so the GOT words of the PLT entries
// after them keep their link-time values and the first call through one
// jumps below where the object is loaded. The entries are found from the
// PLT code the program runs (pltWord: `jmp *word(%rip); push $index`
// with the index the next DT_JMPREL entry would have had), not from the
// relocations ld.so skipped; a linker makes DT_PLTRELSZ cover every one.
// It returns the failure of the first call through that entry, or nil.
func (r *relocator) pltBeyondSize(lm *linkMap, start, size uint64, rela bool) *relocFail {
	if lm.f.Type != elf.ET_DYN || lm.f.Machine != elf.EM_X86_64 {
		return nil
	}
	ent := r.relEnt(rela)
	// elf_dynamic_do_Rela applies every entry that starts before the
	// end, so a size that is not a multiple still covers a whole entry.
	next := size/ent + min(size%ent, 1)
	if next > maxRelocs {
		return nil
	}
	word, content, ok := r.pltWord(lm, reloc{table: "DT_JMPREL", index: int64(next)})
	if !ok || lm.written.has(word) || !r.surelyUnmapped(lm, content) {
		return nil
	}
	return &relocFail{lm: lm, what: "calling through the PLT for the first time",
		err: &inspect.FormatError{Off: -1, Addr: word, InMem: true, Struct: "PLT slot",
			Msg:   fmt.Sprintf("DT_PLTRELSZ is 0x%x, %d DT_JMPREL entries from 0x%x, but PLT entry %d (`jmp *0x%x(%%rip); push $%d`) follows them: ld.so never rebases its GOT word, which keeps the link-time address 0x%x, not where the object is loaded", size, next, start, next, word, next, content),
			Fault: inspect.FaultUnmapped}}
}
