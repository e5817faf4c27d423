package loader

import (
	"debug/elf"
	"fmt"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// undefined64 are the one-byte opcodes that raise #UD in 64-bit mode
// (Intel SDM vol. 2, appendix A: the legacy forms marked "i64"), and
// invalid2 the two-byte ones that are undefined in every mode (UD0,
// UD1, UD2). The CPU raises SIGILL at the first of them it meets.
var undefined64 = map[byte]bool{
	0x06: true, 0x07: true, 0x0e: true, 0x16: true, 0x17: true, 0x1e: true, 0x1f: true,
	0x27: true, 0x2f: true, 0x37: true, 0x3f: true, 0x60: true, 0x61: true, 0x82: true,
	0x9a: true, 0xce: true, 0xd4: true, 0xd5: true, 0xd6: true, 0xea: true,
}

var invalid2 = map[byte]bool{0x0b: true, 0xb9: true, 0xff: true}

// undefinedAt says whether the instruction at addr of an x86-64 program
// is one the CPU refuses outright, so that a call or jump there raises a
// signal before anything else happens, and which: SIGILL for an undefined
// opcode, SIGTRAP for int3, SIGSEGV for the privileged hlt. Only the first instruction is
// judged: what a valid one goes on to do depends on registers the replay
// does not model.
func undefinedAt(f *inspect.File, addr uint64) (why, signal string) {
	if f.Machine != elf.EM_X86_64 || f.Class != elf.ELFCLASS64 {
		return "", ""
	}
	var b [16]byte
	if f.Image().ReadAt(b[:], addr, "instruction") != nil {
		return "", ""
	}
	return undefinedIn(b[:])
}

// undefinedIn judges the first instruction of b (16 bytes, the longest
// an x86 instruction can be).
func undefinedIn(b []byte) (why, signal string) {
	i := 0
	for i < len(b)-2 && legacyPrefix(b[i]) {
		i++
	}
	if b[i] >= 0x40 && b[i] <= 0x4f { // REX comes last, before the opcode
		i++
	}
	switch {
	case b[i] == 0xcc:
		return "the byte there is 0xcc, int3 (a linker's padding between functions)", "SIGTRAP"
	case b[i] == 0xf4:
		return "the byte there is 0xf4, hlt, which a program may not run", "SIGSEGV"
	case undefined64[b[i]]:
		return fmt.Sprintf("the byte there, 0x%02x, is an opcode x86-64 does not define", b[i]), "SIGILL"
	case b[i] == 0x0f && i+1 < len(b) && invalid2[b[i+1]]:
		return fmt.Sprintf("the bytes there, 0f %02x, are an undefined instruction", b[i+1]), "SIGILL"
	}
	return "", ""
}

func legacyPrefix(c byte) bool {
	switch c {
	case 0x66, 0x67, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x64, 0x65, 0x36:
		return true
	}
	return false
}
