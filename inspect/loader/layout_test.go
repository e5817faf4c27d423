package loader

import "testing"

// TestLowestMmap: mmap_base (arch/x86/mm/mmap.c) at its lowest, less
// the slack, for stack limits a shell can have. With the default 8 MiB
// limit it is far above any PIE; an unlimited or huge limit clamps the
// gap to 5/6 of the window and puts the mmap area below the program,
// where pastProgramHeap must not claim the space above it is empty.
func TestLowestMmap(t *testing.T) {
	const tib = 1 << 40
	for _, c := range []struct {
		name           string
		stack, rndBits uint64
		abovePIE       bool
	}{
		{"default", 8 << 20, 28, true},
		{"default-32-bits", 8 << 20, 32, true},
		{"1-TiB-stack", tib, 28, true},
		{"40-TiB-stack", 40 * tib, 28, false},
		{"unlimited", ^uint64(0), 28, false},
		{"just-below-unlimited", ^uint64(0) - 1<<20, 28, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := lowestMmap(c.stack, c.rndBits)
			pieTop := uint64(elfETDynBase) + 1<<(c.rndBits+12)
			if (got > pieTop) != c.abovePIE {
				t.Errorf("lowestMmap(%#x, %d) = %#x; above the highest PIE (%#x): %v, want %v", c.stack, c.rndBits, got, pieTop, got > pieTop, c.abovePIE)
			}
			// The lowest place is never above what the kernel itself
			// computes for the least gap and no randomisation.
			if got >= defaultMapWindow-128<<20 {
				t.Errorf("lowestMmap(%#x, %d) = %#x, above the window less the least gap", c.stack, c.rndBits, got)
			}
		})
	}
	// 8 MiB: the window less 8 MiB, 16 GiB of stack randomisation, the
	// 1 GiB taken for the guard gap, 2^40 of mmap randomisation and the
	// 1 TiB of slack.
	want := uint64(defaultMapWindow - (8<<20 + stackRandomMax + 1<<30) - 1<<40 - 1<<40)
	if got := lowestMmap(8<<20, 28); got != want {
		t.Errorf("lowestMmap(8 MiB, 28) = %#x, want %#x", got, want)
	}
}
