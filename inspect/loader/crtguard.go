package loader

import (
	"debug/elf"
	"path/filepath"

	"golang.org/x/arch/x86/x86asm"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// observeCovered looks at a word ld.so writes at a misaligned r_offset
// whose value is k plus the object's load address (a lazy PLT rebase, a
// RELATIVE): some of its bytes may land outside every word a relocation
// or a PLT entry uses, on the object's own data. It records those it
// surely leaves non-zero, wherever the object is loaded (between dynBase
// and TASK_SIZE, as the replay models an ET_DYN object), for
// guardedAway.
func (r *relocator) observeCovered(lm *linkMap, rl reloc, k uint64) {
	if !r.types.full || lm.f.Machine != elf.EM_X86_64 || lm.f.Type != elf.ET_DYN || rl.off%8 == 0 {
		return
	}
	lo, hi := dynBase(lm.f), taskSize(lm.f)
	if hi == 0 || hi < lo {
		return
	}
	seen := r.seen(lm)
	if seen.targets == nil {
		seen.targets, seen.nonzero, seen.maybeNonzero = map[uint64]bool{}, map[uint64]bool{}, map[uint64]bool{}
		// GOT[0..2] and the word each PLT entry jumps through, which a
		// damaged r_offset may no longer name, then every r_offset.
		if got, ok := lm.d.Tag(elf.DT_PLTGOT); ok {
			sz, _ := lm.d.Tag(elf.DT_PLTRELSZ)
			for i := uint64(0); i < 3+min(sz/24, maxRelocs); i++ {
				seen.targets[got+8*i] = true
			}
		}
		eachReloc(lm.f, lm.d, func(o reloc) bool {
			seen.targets[o.off] = true
			return true
		})
	}
	used := func(b uint64) bool {
		for w := b - 7; w != b+1; w++ {
			if w != rl.off && seen.targets[w] {
				return true
			}
		}
		return false
	}
	a, z := k+lo, k+hi
	if z < a {
		return
	}
	for p := uint64(0); p < 8; p++ {
		b := rl.off + p
		// Byte p runs over [a's, z's] when the bytes above it agree at
		// both ends: surely non-zero when the least of it is.
		if used(b) {
			continue
		}
		if a>>(8*(p+1)) != z>>(8*(p+1)) || byte(a>>(8*p)) == 0 {
			// Not surely non-zero: unless the byte is surely 0 (the
			// same zero byte at both ends), it is 0 for some load
			// addresses only.
			if a>>(8*p) != z>>(8*p) || byte(a>>(8*p)) != 0 {
				seen.maybeNonzero[b] = true
			}
			continue
		}
		seen.nonzero[b] = true
	}
}

// guardedAway says whether the first call through a lazily bound PLT slot
// never comes because the one code that calls it is skipped: crtstuff's
// __do_global_dtors_aux (an object's DT_FINI_ARRAY[0]) is the only
// caller of __cxa_finalize, and it begins `cmpb $0, completed.0(%rip);
// jne out`. A misaligned write that surely left completed.0 non-zero
// (observeCovered) makes it return at once, so no call is made.
func (r *relocator) guardedAway(fx pltFixup) bool {
	if r.noDtorsCaller(fx) {
		r.c.trace("relocation: %s: no DT_FINI_ARRAY, so _dl_fini never calls __do_global_dtors_aux, __cxa_finalize's only caller: its PLT slot is not judged", filepath.Base(fx.lm.obj.name))
		return true
	}
	guard, ok := r.dtorsGuard(fx)
	if !ok || !r.damageSeen[fx.lm].nonzero[guard] {
		return false
	}
	r.c.trace("relocation: %s: __do_global_dtors_aux tests completed.0 at 0x%x, which a misaligned relocation left non-zero: it never calls __cxa_finalize, so its PLT slot is not judged", filepath.Base(fx.lm.obj.name), guard)
	return true
}

// maybeGuardedAway says where guardedAway cannot tell: the misaligned
// write put a byte of the load address on completed.0, which is 0 for
// some load addresses only, so whether __do_global_dtors_aux calls
// __cxa_finalize at all depends on where the object is loaded.
func (r *relocator) maybeGuardedAway(fx pltFixup) (uint64, bool) {
	guard, ok := r.dtorsGuard(fx)
	if !ok || !r.damageSeen[fx.lm].maybeNonzero[guard] {
		return 0, false
	}
	return guard, true
}

// dtorsGuard finds completed.0, the byte __do_global_dtors_aux tests
// first, when fx is the PLT slot of __cxa_finalize in an object where a
// misaligned write left bytes it does not own changed.
func (r *relocator) dtorsGuard(fx pltFixup) (uint64, bool) {
	lm, rl := fx.lm, fx.r
	seen := r.damageSeen[lm]
	if seen == nil || len(seen.nonzero)+len(seen.maybeNonzero) == 0 || lm.f.Machine != elf.EM_X86_64 {
		return 0, false
	}
	s, err := lm.readSym(rl.sym)
	if err != nil || lm.symName(s).s != "__cxa_finalize" {
		return 0, false
	}
	fn, ok := r.dtorsFunc(lm)
	if !ok {
		return 0, false
	}
	var code [15]byte
	if lm.f.Image().ReadAt(code[:], fn, "__do_global_dtors_aux") != nil {
		return 0, false
	}
	i := 0
	if code[0] == 0xf3 && code[1] == 0x0f && code[2] == 0x1e && code[3] == 0xfa {
		i = 4 // endbr64
	}
	// 80 3d disp32 00: cmpb $0x0, disp(%rip); 75: jne
	if code[i] != 0x80 || code[i+1] != 0x3d || code[i+6] != 0 || code[i+7] != 0x75 {
		return 0, false
	}
	return lm.m.add(fn+uint64(i)+7, uint64(int64(int32(get32(lm.f, code[i+2:]))))), true
}

// noDtorsCaller says whether fx is the PLT slot of __cxa_finalize in an
// object where nothing can reach its one caller, __do_global_dtors_aux:
// crtstuff puts that in DT_FINI_ARRAY, which _dl_fini calls only when
// the dynamic section has the tag, and DT_FINI is crti's _fini, which
// sets up a frame and returns. A damaged tag that drops the array leaves
// the slot never called.
//
// When the slot's symbol was damaged too, the slot is still known as
// __cxa_finalize's by its caller: .symtab's __do_global_dtors_aux calls
// through it. And a DT_FINI_ARRAY that no longer holds
// __do_global_dtors_aux (moved, lib-fini-array-moved-slot-nameless-8226)
// does not reach it either: what _dl_fini calls instead is the
// finalisers' replay's to judge.
func (r *relocator) noDtorsCaller(fx pltFixup) bool {
	lm := fx.lm
	if lm.f.Machine != elf.EM_X86_64 || lm.f.Class != elf.ELFCLASS64 {
		return false
	}
	if fini, ok := lm.d.Tag(elf.DT_FINI); ok && !leafCode(lm.f, fini) {
		return false
	}
	s, err := lm.readSym(fx.r.sym)
	name := ""
	if err == nil {
		name = lm.symName(s).s
	}
	named := name == "__cxa_finalize"
	if !named && fx.r.sym != 0 && err == nil && name != "" {
		return false // a healthy slot of another function: no decoding
	}
	_, hasArray := lm.d.Tag(elf.DT_FINI_ARRAY)
	if named && !hasArray {
		return true
	}
	fn, ok := r.c.funcOracle(lm.f).localFunc("__do_global_dtors_aux")
	if !ok {
		return false
	}
	if !named {
		if plt, _ := r.dtorsCalls(lm, fn); plt == 0 || plt != fx.r.off {
			return false
		}
	}
	if !hasArray {
		return true
	}
	src := dynSource(lm.d, 0, elf.DT_FINI_ARRAY, elf.DT_FINI_ARRAYSZ)
	src.truncateSize32 = false
	// An empty array (DT_FINI_ARRAYSZ 0) calls nothing.
	calls := r.c.calls(lm.f, lm.d, src)
	for _, call := range calls {
		if call.err != nil || call.bound || call.addr == fn {
			return false
		}
	}
	return true
}

// leafCode says whether the x86-64 function at addr returns within its
// first bytes without calling or jumping anywhere (crti's _fini: endbr64,
// sub $8,%rsp, add $8,%rsp, ret).
func leafCode(f *inspect.File, addr uint64) bool {
	var b [32]byte
	if f.Image().ReadAt(b[:], addr, "DT_FINI") != nil {
		return false
	}
	p := 0
	if b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && b[3] == 0xfa {
		p = 4 // endbr64
	}
	for p < len(b) {
		inst, err := x86asm.Decode(b[p:], 64)
		if err != nil {
			return false
		}
		switch inst.Op {
		case x86asm.RET:
			return true
		case x86asm.ADD, x86asm.SUB, x86asm.PUSH, x86asm.POP, x86asm.MOV, x86asm.NOP, x86asm.LEA:
		default:
			return false
		}
		p += inst.Len
	}
	return false
}

// skippedByTest is dtorsTestsNull for a slot whose first call fails:
// decoding the finaliser needs the object's relocations walked once, which
// only a failing slot pays for.
func (r *relocator) skippedByTest(fx pltFixup) bool {
	got, ok := r.dtorsTestsNull(fx)
	if ok {
		r.c.trace("relocation: %s: __do_global_dtors_aux calls through the PLT slot at 0x%x only when the GOT slot at 0x%x is not 0, and ld.so bound that to 0: the PLT slot is not judged", filepath.Base(fx.lm.obj.name), fx.r.off, got)
	}
	return ok
}

// dtorsTestsNull says whether fx's slot is the one crtstuff's
// __do_global_dtors_aux (DT_FINI_ARRAY[0]) calls __cxa_finalize through
// after `cmpq $0, GOT(%rip); je`, with that GOT slot bound to 0: the call
// is skipped, whatever the PLT slot's relocation now names (a weak
// __cxa_finalize that a damaged version made unresolvable binds 0). It
// returns the GOT slot.
func (r *relocator) dtorsTestsNull(fx pltFixup) (uint64, bool) {
	lm := fx.lm
	if r.dtorsTest == nil {
		r.dtorsTest = map[*linkMap][2]uint64{}
	}
	t, ok := r.dtorsTest[lm]
	if !ok {
		t[0], t[1] = r.dtorsTestOf(lm)
		r.dtorsTest[lm] = t
	}
	if t[0] == 0 || t[0] != fx.r.off {
		return 0, false
	}
	v, ok := lm.values[t[1]]
	if !ok {
		// No relocation bound it (a GLOB_DAT damaged into NONE,
		// sample 1100002335): unless one wrote over it, it holds the
		// file's word, which a linker leaves 0.
		for w := t[1] - 7; w != t[1]+8; w++ {
			if lm.written.has(w) {
				return 0, false
			}
		}
		var b [8]byte
		if lm.f.Image().ReadAt(b[:], t[1], "GOT slot") != nil {
			return 0, false
		}
		return t[1], get64(lm.f, b[:]) == 0
	}
	val, known := v.concrete()
	return t[1], known && !v.mangled && val == 0
}

// dtorsFunc is where crtstuff's __do_global_dtors_aux is: an object's
// DT_FINI_ARRAY[0] as relocation left it.
func (r *relocator) dtorsFunc(lm *linkMap) (uint64, bool) {
	src := dynSource(lm.d, 0, elf.DT_FINI_ARRAY, elf.DT_FINI_ARRAYSZ)
	src.truncateSize32 = false
	calls := r.c.calls(lm.f, lm.d, src)
	if len(calls) == 0 || calls[0].err != nil || calls[0].bound {
		return 0, false
	}
	return calls[0].addr, true
}

// dtorsTestOf decodes an object's DT_FINI_ARRAY[0] up to its first
// return for a call through a PLT entry after a test of a GOT slot
// against 0, and returns the PLT entry's slot and the tested GOT slot;
// zeros when it has no such shape.
func (r *relocator) dtorsTestOf(lm *linkMap) (plt, got uint64) {
	if lm.f.Machine != elf.EM_X86_64 || lm.f.Class != elf.ELFCLASS64 {
		return 0, 0
	}
	fn, ok := r.dtorsFunc(lm)
	if !ok {
		return 0, 0
	}
	return r.dtorsCalls(lm, fn)
}

// dtorsCalls decodes __do_global_dtors_aux at fn, as dtorsTestOf.
func (r *relocator) dtorsCalls(lm *linkMap, fn uint64) (plt, got uint64) {
	var code [64]byte
	if lm.f.Image().ReadAt(code[:], fn, "__do_global_dtors_aux") != nil {
		return 0, 0
	}
	for p := 0; p < len(code); {
		if code[p] == 0xf3 && p+4 <= len(code) && code[p+1] == 0x0f && code[p+2] == 0x1e && code[p+3] == 0xfa {
			p += 4 // endbr64, which x86asm does not know
			continue
		}
		inst, err := x86asm.Decode(code[p:], 64)
		if err != nil {
			return 0, 0
		}
		next := fn + uint64(p+inst.Len)
		switch inst.Op {
		case x86asm.RET:
			return 0, 0
		case x86asm.CMP:
			if m, ok := inst.Args[0].(x86asm.Mem); ok && m.Base == x86asm.RIP && inst.MemBytes == 8 && got == 0 {
				if imm, ok := inst.Args[1].(x86asm.Imm); ok && imm == 0 {
					got = next + uint64(m.Disp)
				}
			}
		case x86asm.CALL:
			rel, ok := inst.Args[0].(x86asm.Rel)
			if !ok || got == 0 {
				return 0, 0
			}
			return pltSlot(lm.f, next+uint64(int64(rel))), got
		}
		p += inst.Len
	}
	return 0, 0
}

// pltSlot is the GOT word an x86-64 PLT entry at addr jumps through
// (`jmp *slot(%rip)`, after an endbr64 or a bnd prefix), 0 when the
// entry is not of that form.
func pltSlot(f *inspect.File, addr uint64) uint64 {
	var b [16]byte
	if f.Image().ReadAt(b[:], addr, "PLT entry") != nil {
		return 0
	}
	p := 0
	if b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && b[3] == 0xfa {
		p = 4
	}
	inst, err := x86asm.Decode(b[p:], 64)
	if err != nil || inst.Op != x86asm.JMP {
		return 0
	}
	m, ok := inst.Args[0].(x86asm.Mem)
	if !ok || m.Base != x86asm.RIP {
		return 0
	}
	return addr + uint64(p+inst.Len) + uint64(m.Disp)
}
