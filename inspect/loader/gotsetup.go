package loader

import (
	"debug/elf"
	"fmt"
	"path/filepath"
)

// setupOverwritten is the first call through PLT0 of an object whose
// GOT[1] or GOT[2] a relocation wrote over in part after
// elf_machine_runtime_setup had stored the link map and
// _dl_runtime_resolve there (a JUMP_SLOT moved to a misaligned r_offset
// next to them). PLT0 pushes GOT[1] and jumps through GOT[2]: each now
// holds pieces of two words, one of them the load address, so the jump
// goes somewhere in ld.so that depends on where the kernel put each
// object, or _dl_fixup reads through a link map pointer that does. What
// runs there is in no file. A linker never relocates these two words
// (they are reserved for ld.so), so the file is damaged.
type setupOverwritten struct {
	obj        string
	word       string // "GOT[1]" or "GOT[2]"
	addr       uint64 // the first covered word's address in the object
	writeAt    uint64 // where the covering write started
	got1, got2 uint64
	plt0, slot uint64
}

func (e *setupOverwritten) Error() string {
	return fmt.Sprintf("%s at 0x%x of %s was written over in part by a relocation at 0x%x", e.word, e.addr, filepath.Base(e.obj), e.writeAt)
}

// setupWordCovered returns the first call's undetermined event when a
// write after elf_machine_runtime_setup started inside GOT[1] or GOT[2]
// but not at it; nil otherwise. In a program loaded at its link address
// (ET_EXEC) a lazy rebase adds 0 and changes no byte, so only an object
// loaded anywhere is judged.
func (r *relocator) setupWordCovered(lm *linkMap, rl reloc, plt0, got1, got2 uint64) *relocFail {
	if lm.f.Type != elf.ET_DYN {
		return nil
	}
	var e *setupOverwritten
	for _, g := range []struct {
		name string
		addr uint64
	}{{"GOT[1]", got1}, {"GOT[2]", got2}} {
		for a := g.addr - r.word + 1; a != g.addr+r.word; a++ {
			if a == g.addr || !lm.written.has(a) {
				continue
			}
			if e == nil {
				e = &setupOverwritten{obj: lm.obj.name, word: g.name, addr: g.addr, writeAt: a, got1: got1, got2: got2, plt0: plt0, slot: rl.off}
			} else if e.word != g.name {
				e.word = "GOT[1] and GOT[2]"
			}
			break
		}
	}
	if e == nil {
		return nil
	}
	return &relocFail{lm: lm, r: &rl, what: "calling through the PLT for the first time", err: e}
}

// setupOverwrittenFinding is the undetermined finding of a first call
// through PLT0 whose GOT[1] or GOT[2] a relocation covered in part: the
// program has started, and the call may go on, fail, or never return.
func (r *relocator) setupOverwrittenFinding(f *relocFail, e *setupOverwritten) Finding {
	base := filepath.Base(e.obj)
	use := "PLT0 jumps through GOT[2] to what should be _dl_runtime_resolve"
	switch e.word {
	case "GOT[1]":
		use = "PLT0 pushes GOT[1] for _dl_fixup, which reads the object's link map through it"
	case "GOT[1] and GOT[2]":
		use = "PLT0 pushes GOT[1], the link map _dl_fixup reads through, and jumps through GOT[2] to what should be _dl_runtime_resolve"
	}
	fd := Finding{Severity: SeverityFatal, Stage: StageReloc, Code: "got-setup-overwritten-at-first-call", Object: e.obj,
		Outcome: OutcomeUndetermined,
		Summary: fmt.Sprintf("undetermined: the program starts, and at the first call through a lazily bound PLT slot of %s, %s, since a relocation wrote over part of them with pieces of another word and the load address: where that call goes depends on where the kernel put each object, and nothing in the files says what runs there",
			base, reserved(e.word)),
		Evidence: []string{
			fmt.Sprintf("elf_machine_runtime_setup stores ld.so's words in GOT[1] and GOT[2] (0x%x, 0x%x) before relocating %s; a relocation's write at 0x%x then covers part of %s", e.got1, e.got2, base, e.writeAt, e.word),
			use,
			"a linker never relocates GOT[1] or GOT[2], which it reserves for ld.so: the relocation's r_offset was damaged",
		},
		// ld.so has handed over: the call may never come, go on by
		// chance, stop the program, loop, or run ld.so code that ends
		// the process (runs under bookworm's loader printed the auxv,
		// as LD_SHOW_AUXV does, and exited 0).
		Possible: []Outcome{OutcomeStarts, OutcomeFirstCall, OutcomeHangs, OutcomeExitsEarly},
		Next:     fmt.Sprintf("compare %s with the pristine file using `elfdoctor diff`: a relocation's r_offset was moved onto the GOT's reserved words; a run tells only what one process's layout gave", base)}
	if e.plt0 != 0 {
		fd.Evidence[1] = fmt.Sprintf("%s (PLT0 at 0x%x)", use, e.plt0)
	}
	if f.r != nil {
		fd.Evidence = append(fd.Evidence, fmt.Sprintf("the first call through the PLT slot at 0x%x (relocation %d of %s) reaches PLT0", f.r.off, f.r.index, f.r.table))
	}
	return fd
}

// reserved names the covered words for people.
func reserved(word string) string {
	if word == "GOT[1] and GOT[2]" {
		return "the reserved words GOT[1] and GOT[2] no longer hold what ld.so stored"
	}
	return "the reserved word " + word + " no longer holds what ld.so stored"
}
