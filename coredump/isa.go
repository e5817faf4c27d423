package coredump

import (
	"os"
	"strings"
)

// ISA is the instruction-set extension an instruction needs, and the
// x86-64 micro-architecture level that first includes it: what decides
// whether a build for newer CPUs dies with SIGILL on an older one.
type ISA struct {
	Feature string `json:"feature"` // e.g. "AVX2", "AVX-512", "BMI2"
	Level   string `json:"level"`   // "x86-64-v2", "x86-64-v3", "x86-64-v4"
	// CPUFlag is the /proc/cpuinfo flag that says a CPU has it.
	CPUFlag string `json:"cpu_flag"`
}

// mnemonicISA maps instruction mnemonics (as x86asm prints them, lower
// case) to the extension they belong to, for the extensions that separate
// the x86-64 levels. Vector instructions are judged by their encoding and
// registers instead (see isaOf).
var mnemonicISA = map[string]ISA{
	"popcnt":    {"POPCNT", "x86-64-v2", "popcnt"},
	"crc32":     {"SSE4.2", "x86-64-v2", "sse4_2"},
	"pcmpestri": {"SSE4.2", "x86-64-v2", "sse4_2"}, "pcmpestrm": {"SSE4.2", "x86-64-v2", "sse4_2"},
	"pcmpistri": {"SSE4.2", "x86-64-v2", "sse4_2"}, "pcmpistrm": {"SSE4.2", "x86-64-v2", "sse4_2"},
	"pshufb": {"SSSE3", "x86-64-v2", "ssse3"}, "palignr": {"SSSE3", "x86-64-v2", "ssse3"},
	"pmulld": {"SSE4.1", "x86-64-v2", "sse4_1"}, "pblendvb": {"SSE4.1", "x86-64-v2", "sse4_1"},
	"ptest": {"SSE4.1", "x86-64-v2", "sse4_1"}, "pextrq": {"SSE4.1", "x86-64-v2", "sse4_1"},
	"pinsrq": {"SSE4.1", "x86-64-v2", "sse4_1"}, "roundsd": {"SSE4.1", "x86-64-v2", "sse4_1"},
	"movbe": {"MOVBE", "x86-64-v3", "movbe"},
	"lzcnt": {"LZCNT", "x86-64-v3", "abm"},
	"tzcnt": {"BMI1", "x86-64-v3", "bmi1"}, "andn": {"BMI1", "x86-64-v3", "bmi1"},
	"bextr": {"BMI1", "x86-64-v3", "bmi1"}, "blsi": {"BMI1", "x86-64-v3", "bmi1"},
	"blsmsk": {"BMI1", "x86-64-v3", "bmi1"}, "blsr": {"BMI1", "x86-64-v3", "bmi1"},
	"bzhi": {"BMI2", "x86-64-v3", "bmi2"}, "pdep": {"BMI2", "x86-64-v3", "bmi2"},
	"pext": {"BMI2", "x86-64-v3", "bmi2"}, "rorx": {"BMI2", "x86-64-v3", "bmi2"},
	"sarx": {"BMI2", "x86-64-v3", "bmi2"}, "shlx": {"BMI2", "x86-64-v3", "bmi2"},
	"shrx": {"BMI2", "x86-64-v3", "bmi2"}, "mulx": {"BMI2", "x86-64-v3", "bmi2"},
}

// isaOf says which extension the instruction at the start of code needs.
// ins is its text when it could be decoded, "" otherwise; an instruction
// the decoder does not know is still judged by its prefix bytes. ok is
// false for instructions of the x86-64 baseline (or unknown ones).
func isaOf(code []byte, ins string) (ISA, bool) {
	if len(code) == 0 {
		return ISA{}, false // the bytes at PC could not be read
	}
	op := strings.ToLower(strings.Fields(ins + " ")[0])
	if isa, ok := mnemonicISA[op]; ok {
		return isa, true
	}
	// Skip legacy prefixes to reach a VEX or EVEX prefix.
	i := 0
	for i < len(code) && i < 4 && strings.IndexByte("\x66\xf2\xf3\x2e\x3e\x26\x64\x65\x36\x67\xf0", code[i]) >= 0 {
		i++
	}
	if i >= len(code) {
		return ISA{}, false
	}
	lower := strings.ToLower(ins)
	switch code[i] {
	case 0x62: // EVEX (BOUND does not exist in 64-bit mode)
		return ISA{"AVX-512", "x86-64-v4", "avx512f"}, true
	case 0xc4, 0xc5: // VEX
		switch {
		case strings.Contains(lower, "zmm"):
			return ISA{"AVX-512", "x86-64-v4", "avx512f"}, true
		case strings.HasPrefix(op, "vfmadd") || strings.HasPrefix(op, "vfmsub") || strings.HasPrefix(op, "vfnmadd") || strings.HasPrefix(op, "vfnmsub"):
			return ISA{"FMA", "x86-64-v3", "fma"}, true
		case strings.Contains(lower, "ymm") && strings.HasPrefix(op, "vp"), strings.HasPrefix(op, "vperm"), strings.HasPrefix(op, "vpbroadcast"), strings.HasPrefix(op, "vinserti128"), strings.HasPrefix(op, "vextracti128"), strings.HasPrefix(op, "vpgather"):
			// Integer operations on 256-bit registers are AVX2; AVX had
			// only floating point ones.
			return ISA{"AVX2", "x86-64-v3", "avx2"}, true
		case strings.Contains(lower, "ymm") && (strings.HasPrefix(op, "vmovdq") || strings.HasPrefix(op, "vlddqu")):
			return ISA{"AVX", "x86-64-v3", "avx"}, true
		}
		return ISA{"AVX", "x86-64-v3", "avx"}, true
	}
	return ISA{}, false
}

func (f *Fault) isa() *ISA {
	if f == nil {
		return nil
	}
	return f.ISA
}

// cpuinfo is where cpuHas reads the CPU's flags; tests point it elsewhere.
var cpuinfo = "/proc/cpuinfo"

// cpuHas reports whether this machine's CPU has the flag; ok is false when
// /proc/cpuinfo cannot be read.
func cpuHas(flag string) (has, ok bool) {
	b, err := os.ReadFile(cpuinfo)
	if err != nil {
		return false, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, found := strings.Cut(line, ":"); found && strings.TrimSpace(k) == "flags" {
			for _, f := range strings.Fields(v) {
				if f == flag {
					return true, true
				}
			}
			return false, true
		}
	}
	return false, false
}
