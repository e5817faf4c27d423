package loader

import (
	"debug/elf"
	"fmt"
	"slices"
)

// tlsIndexes looks, once ld.so has relocated lm, at what a general- or
// local-dynamic access of thread-local storage uses: the code passes
// __tls_get_addr the address of a pair of GOT words (a tls_index: the
// module ID, then the offset in the module's block) and calls it through
// a slot. A linker fills the first word with a DTPMOD64 and the second
// with a DTPOFF64 (or with the offset itself, for a variable of the
// object's own), and binds the slot to __tls_get_addr. ld.so applies a
// retyped word or binds a renamed slot without complaint; the code then
// hands __tls_get_addr an offset for a module, or calls another function
// with the pair, at the first access after main started, which is the
// program's business, not the loader's: marks (relocDamage), never a
// crash claim. Only x86-64, whose TLS relocations the replay writes.
func (r *relocator) tlsIndexes(lm *linkMap) {
	t := r.types
	if !t.full || lm.f.Machine != elf.EM_X86_64 || lm.partial {
		return
	}
	seen := r.seen(lm)
	if len(seen.tlsWords) == 0 {
		return
	}
	mod, off := uint32(elf.R_X86_64_DTPMOD64), uint32(elf.R_X86_64_DTPOFF64)
	addrs := make([]uint64, 0, len(seen.tlsWords))
	anyMod := false
	for a, rl := range seen.tlsWords {
		addrs = append(addrs, a)
		anyMod = anyMod || rl.typ == mod
	}
	slices.Sort(addrs)
	for _, a := range addrs {
		rl := seen.tlsWords[a]
		switch rl.typ {
		case mod:
			// The offset half: a DTPOFF64, or no relocation at all.
			next, ok := seen.tlsWords[a+8]
			if !lm.written.has(a+8) || ok && next.typ == off {
				continue
			}
			what := "another relocation"
			if ok {
				what = fmt.Sprintf("%s, of type %s,", entryAt(lm, next), typeName(next.typ))
			}
			r.damage = append(r.damage, relocDamage{lm: lm, code: "reloc-tls-type", at: rl.addr,
				what:    fmt.Sprintf("%s is a DTPMOD64 writing the module ID of a tls_index at 0x%x, but %s writes its offset at 0x%x: a linker writes a DTPOFF64 there, or nothing", entryAt(lm, rl), a, what, a+8),
				changed: fmt.Sprintf("the code hands __tls_get_addr the pair at 0x%x, whose offset is not an offset in the module's block", a)})
		case off:
			prev, ok := seen.tlsWords[a-8]
			if ok && prev.typ == mod {
				continue
			}
			what := "no DTPMOD64"
			if ok {
				what = fmt.Sprintf("%s, of type %s,", entryAt(lm, prev), typeName(prev.typ))
			} else if lm.written.has(a - 8) {
				what = "another relocation"
			}
			r.damage = append(r.damage, relocDamage{lm: lm, code: "reloc-tls-type", at: rl.addr,
				what:    fmt.Sprintf("%s is a DTPOFF64 writing the offset of a tls_index at 0x%x, but %s writes its module ID at 0x%x: a linker writes a DTPMOD64 there", entryAt(lm, rl), a, what, a-8),
				changed: fmt.Sprintf("the code hands __tls_get_addr the pair at 0x%x, whose module ID is not one ld.so gave a module", a-8)})
		}
	}
	if !anyMod || r.callsTLSGetAddr(lm) {
		return
	}
	first := seen.tlsWords[addrs[slices.IndexFunc(addrs, func(a uint64) bool { return seen.tlsWords[a].typ == mod })]]
	r.damage = append(r.damage, relocDamage{lm: lm, code: "tls-call-rebound", at: first.addr,
		what:    fmt.Sprintf("%s is a DTPMOD64, the module ID of a tls_index the code hands __tls_get_addr, but no GLOB_DAT or JUMP_SLOT of the object names __tls_get_addr: a linker binds the slot the code calls it through to it", entryAt(lm, first)),
		changed: "the code's first access of a thread-local variable calls whatever the slot was bound to instead, with the pair's address"})
}

// callsTLSGetAddr says whether a GLOB_DAT or JUMP_SLOT ld.so read in lm
// names __tls_get_addr (the slots observeReloc recorded), read only for
// an object with a DTPMOD64.
func (r *relocator) callsTLSGetAddr(lm *linkMap) bool {
	for key := range r.seen(lm).slots {
		s, err := lm.readSym(key[1])
		if err != nil {
			return true // not known: no mark
		}
		if n := lm.symName(s); n.err != nil || n.s == "__tls_get_addr" {
			return true
		}
	}
	return false
}
