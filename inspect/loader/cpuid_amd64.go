package loader

import "sync"

// cpuid and xgetbv0 are the instructions glibc's init_cpu_features
// executes (sysdeps/x86/cpu-features.c): CPUID leaf, subleaf; XGETBV of
// XCR0, the register states the kernel enabled.
func cpuid(leaf, sub uint32) (a, b, c, d uint32)
func xgetbv0() (lo uint32)

// hostX86 is the x86-64 ISA level ld.so computes for this CPU
// (get_isa_level, sysdeps/x86/get-isa-level.h), which picks the
// glibc-hwcaps subdirectories it searches, and the legacy platform
// init_cpu_features sets ("haswell" on Intel, "" for the kernel's
// AT_PLATFORM). It asks the CPU as ld.so does, with CPUID and XGETBV, not
// /proc/cpuinfo: the kernel's flags can differ (clearcpuid= hides a
// flag from /proc but not from CPUID). Only the features' usability the
// levels need is replayed (update_active): AVX and what depends on it
// needs OSXSAVE and the XMM and YMM states in XCR0, AVX-512 the opmask
// and ZMM states too. GLIBC_TUNABLES' glibc.cpu.hwcaps masks are not.
var hostX86 = sync.OnceValues(func() (level int, platform string) {
	max, b0, c0, d0 := cpuid(0, 0)
	intel := b0 == 0x756e6547 && d0 == 0x49656e69 && c0 == 0x6c65746e // "GenuineIntel"
	bit := func(r uint32, n uint) bool { return r>>n&1 != 0 }
	var c1, b7 uint32
	if max >= 1 {
		_, _, c1, _ = cpuid(1, 0)
	}
	if max >= 7 {
		_, b7, _, _ = cpuid(7, 0)
	}
	var cx1 uint32
	if maxExt, _, _, _ := cpuid(0x80000000, 0); maxExt >= 0x80000001 {
		_, _, cx1, _ = cpuid(0x80000001, 0)
	}
	var avx, avx2, fma, f16c, avx512f, avx512cd, avx512bw, avx512dq, avx512vl, avx512er, avx512pf bool
	if bit(c1, 27) { // OSXSAVE: XGETBV may be executed
		if xcr0 := xgetbv0(); xcr0&6 == 6 { // XMM and YMM state
			if bit(c1, 28) {
				avx = true
				avx2, fma, f16c = bit(b7, 5), bit(c1, 12), bit(c1, 29)
			}
			if xcr0&0xe0 == 0xe0 && bit(b7, 16) { // opmask, ZMM0-15 high, ZMM16-31; AVX512F
				avx512f = true
				avx512dq, avx512cd, avx512bw, avx512vl = bit(b7, 17), bit(b7, 28), bit(b7, 30), bit(b7, 31)
				avx512er, avx512pf = bit(b7, 27), bit(b7, 26)
			}
		}
	}
	var (
		cx16, popcnt, sse3, ssse3 = bit(c1, 13), bit(c1, 23), bit(c1, 0), bit(c1, 9)
		sse41, sse42, movbe       = bit(c1, 19), bit(c1, 20), bit(c1, 22)
		lahf, lzcnt               = bit(cx1, 0), bit(cx1, 5)
		bmi1, bmi2                = bit(b7, 3), bit(b7, 8)
	)
	level = 1
	if cx16 && lahf && popcnt && sse3 && ssse3 && sse41 && sse42 {
		level = 2
		// glibc 2.33 to 2.35 did not ask for BMI1 and BMI2 here; no
		// CPU has AVX2 without them.
		if avx && avx2 && bmi1 && bmi2 && f16c && fma && lzcnt && movbe {
			level = 3
			if avx512f && avx512bw && avx512cd && avx512dq && avx512vl {
				level = 4
			}
		}
	}
	switch {
	case !intel:
	case avx512cd && avx512er && avx512pf:
		platform = "xeon_phi"
	case avx2 && fma && bmi1 && bmi2 && lzcnt && movbe && popcnt:
		platform = "haswell"
	}
	return level, platform
})

// hostExecOnly says whether the kernel enabled protection keys (CPUID
// leaf 7's OSPKE, CR4.PKE), with which Linux maps a PROT_EXEC-only
// segment execute-only (do_mmap's execute_only_pkey): code runs there,
// reads fault. A soak on an AMD EPYC with them found it (seed
// 9998308832: a first PT_LOAD made X alone, ld.so's read of .dynsym
// faults).
var hostExecOnly = sync.OnceValue(func() bool {
	max, _, _, _ := cpuid(0, 0)
	if max < 7 {
		return false
	}
	_, _, c7, _ := cpuid(7, 0)
	return c7>>4&1 != 0
})
