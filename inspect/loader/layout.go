package loader

import (
	"debug/elf"
	"fmt"
	"strings"
	"sync"
	"syscall"
)

// The x86-64 layout of a process Linux started from a PIE, as
// arch/x86/mm/mmap.c and fs/binfmt_elf.c place it: the program at
// ELF_ET_DYN_BASE (two thirds of the 47-bit default window) plus up to
// 2^(mmap_rnd_bits+12) bytes of randomisation; its heap after its end
// (brk randomised by up to 1 GiB); the mmap area top-down from
// mmap_base, which is the window's top less a gap (the stack's
// RLIMIT_STACK plus the stack's 16 GiB of randomisation and its guard
// gap, clamped to [128 MiB, 5/6 of the window]) less its own
// randomisation; the stack above that. Between the program's heap and
// the lowest place the mmap area can reach nothing is mapped.
const (
	defaultMapWindow = 1<<47 - 0x1000
	elfETDynBase     = defaultMapWindow / 3 * 2 &^ 0xfff
	stackRandomMax   = 0x3fffff << 12 // stack_maxrandom_size on x86-64
	// stackGuardMax is far more than stack_guard_gap's 256 pages, which
	// a boot option may raise.
	stackGuardMax = 1 << 30
	// heapMax is the brk randomisation (1 GiB) plus a generous heap, the
	// same allowance surelyUnmapped gives an ET_EXEC program.
	heapMax = 4 << 30
	// mmapSlack is what the mmap area may hold below mmap_base by the
	// time of the access (libraries, rtld's and malloc's mappings),
	// generously.
	mmapSlack = 1 << 40
)

// processLayout is what of the layout check reads from the machine and
// its own process: the stack limit (which a program started from the
// same shell inherits) and vm.mmap_rnd_bits.
var processLayout struct {
	sync.Once
	stack    uint64 // RLIMIT_STACK's soft limit; ^0 for unlimited
	rndBits  uint64
	stackErr error
}

func layoutKnobs() (stack, rndBits uint64, ok bool) {
	p := &processLayout
	p.Do(func() {
		var rl syscall.Rlimit
		if p.stackErr = syscall.Getrlimit(syscall.RLIMIT_STACK, &rl); p.stackErr == nil {
			p.stack = rl.Cur
		}
		// 32 is the most x86-64 allows; used when the knob cannot be read.
		p.rndBits = 32
		if b, err := readProc("/proc/sys/vm/mmap_rnd_bits", 64); err == nil {
			var v uint64
			if _, err := fmt.Sscan(strings.TrimSpace(string(b)), &v); err == nil && v <= 32 {
				p.rndBits = v
			}
		}
	})
	return p.stack, p.rndBits, p.stackErr == nil
}

// lowestMmap is the lowest address the mmap area can reach, mmap_base
// (arch/x86/mm/mmap.c) at its lowest less mmapSlack. An unlimited or huge
// stack limit clamps the gap to 5/6 of the window, which puts the mmap
// area below any PIE: then there is no gap above the program to speak
// of.
func lowestMmap(stack, rndBits uint64) uint64 {
	gap := stack
	if pad := uint64(stackRandomMax + stackGuardMax); gap+pad > gap {
		gap += pad
	} else {
		gap = ^uint64(0)
	}
	gap = min(max(gap, 128<<20), defaultMapWindow/6*5)
	rnd := uint64(1) << (rndBits + 12)
	if gap+rnd+mmapSlack >= defaultMapWindow {
		return 0
	}
	return defaultMapWindow - gap - rnd - mmapSlack
}

// pastProgramHeap says whether the link-time address x of a PIE program
// is, wherever the kernel loads it, above the program's heap and below
// anything the mmap area or the stack can hold: nothing is mapped there
// before main, nor at exit unless the program's own code mapped it. The
// answer holds for this machine's vm.mmap_rnd_bits and this process's
// stack limit. A program run by ld.so as a command (mapped in the mmap
// area) is not this case; check replays exec.
func (r *relocator) pastProgramHeap(def *linkMap, x uint64) bool {
	f := def.f
	if r.c.dlopen || !def.main || f.Type != elf.ET_DYN || f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 || taskSize(f) == 0 {
		return false
	}
	stack, rndBits, ok := layoutKnobs()
	if !ok {
		return false
	}
	low, high := lowestLoad(f), uint64(0)
	for _, p := range f.ProgsOfType(elf.PT_LOAD) {
		end, ok := addNoOverflow(p.Vaddr, p.Memsz)
		if !ok {
			return false
		}
		high = max(high, end)
	}
	if high <= low || x < low {
		return false
	}
	// The load address of the lowest segment's page is
	// ELF_ET_DYN_BASE plus the randomisation, at most.
	off, span := x-low, high-low
	top, ok := addNoOverflow(elfETDynBase+uint64(1)<<(rndBits+12), off)
	return ok && off >= span+heapMax && top < lowestMmap(stack, rndBits)
}

// pastHeapState says, for people, why pastProgramHeap's address is
// unmapped.
func pastHeapState() string {
	stack, rndBits, _ := layoutKnobs()
	limit := "unlimited"
	if stack != ^uint64(0) {
		limit = fmt.Sprintf("%d KiB", stack>>10)
	}
	return fmt.Sprintf("above the program's heap and below the lowest address this machine's layout can give the mmap area or the stack (vm.mmap_rnd_bits %d, stack limit %s), where nothing is mapped", rndBits, limit)
}
