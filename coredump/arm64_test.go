package coredump

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/corepattern"
)

// arm64Regs is a register file for the effective-address tests: x1 is a
// base, x2 a small index, w3 is -4, w4 is 0x10 under garbage in the high
// half, x5 is -2, x6 is x1 with a pointer tag in its top byte.
func arm64Regs() Regs {
	r := Regs{Names: regNames(elf.EM_AARCH64)}
	r.Values = make([]uint64, len(r.Names))
	set := map[string]uint64{"x1": 0x10000, "x2": 5, "x3": 0xfffffffc, "x4": 0xffffffff00000010,
		"x5": 0xfffffffffffffffe, "x6": 0xb400000000010000, "sp": 0x7fff0000}
	for i, n := range r.Names {
		r.Values[i] = 0x1111 * uint64(i+1)
		if v, ok := set[n]; ok {
			r.Values[i] = v
		}
	}
	return r
}

// TestArm64EffectiveAddr decodes what LLVM's assembler encodes, one
// instruction per line, and checks the text against llvm-objdump's and the
// address each load or store accesses first against the architecture's
// rule, worked out by hand for the registers of arm64Regs.
func TestArm64EffectiveAddr(t *testing.T) {
	needTool(t, "llvm-mc")
	needTool(t, "llvm-objdump")
	const pc0 = 0x400000
	cases := []struct {
		asm     string
		operand string // "" when the instruction accesses no memory
		addr    uint64
		pcRel   int64 // for PC-relative loads, instead of addr
	}{
		{"ldr x0, [x1, #16]", "[x1, #16]", 0x10010, 0},
		{"ldr x0, [x1]", "[x1]", 0x10000, 0},
		{"ldr x0, [x1, #-8]!", "[x1, #-8]!", 0xfff8, 0},     // pre-index: base+imm
		{"ldr x0, [x1], #16", "[x1], #16", 0x10000, 0},      // post-index: the base, before write-back
		{"ldur w0, [x1, #-3]", "[x1, #-3]", 0xfffd, 0},      // unscaled
		{"ldrh w0, [x1, #4094]", "[x1, #4094]", 0x10ffe, 0}, // scaled by 2
		{"str xzr, [sp, #8]", "[sp, #8]", 0x7fff0008, 0},    // SP as base
		{"ldr q0, [x1, #32]", "[x1, #32]", 0x10020, 0},      // SIMD&FP register
		{"ldr x0, [x1, x2, lsl #3]", "[x1, x2, lsl #3]", 0x10028, 0},
		{"ldr x0, [x1, x2]", "[x1, x2]", 0x10005, 0},
		{"ldr w0, [x1, w3, sxtw #2]", "[x1, w3, sxtw #2]", 0xfff0, 0},  // -4*4
		{"ldr w0, [x1, w4, uxtw #2]", "[x1, w4, uxtw #2]", 0x10040, 0}, // the high half of x4 ignored
		{"ldrsw x0, [x1, w3, sxtw]", "[x1, w3, sxtw]", 0xfffc, 0},
		{"ldrh w0, [x1, x5, sxtx #1]", "[x1, x5, sxtx #1]", 0xfffc, 0},
		{"ldrb w0, [x1, x2, lsl #0]", "[x1, x2, lsl #0]", 0x10005, 0}, // byte: "#0" written, no shift
		{"ldrb w0, [x1, xzr]", "[x1, xzr]", 0x10000, 0},
		{"stp x0, x2, [x1]", "[x1]", 0x10000, 0},
		{"stp x29, x30, [sp, #-32]!", "[sp, #-32]!", 0x7ffeffe0, 0},
		{"ldp x0, x2, [x1], #16", "[x1], #16", 0x10000, 0},
		{"ldp q0, q1, [x1, #-64]", "[x1, #-64]", 0xffc0, 0},
		{"ldnp d0, d1, [x1, #8]", "[x1, #8]", 0x10008, 0},
		{"stxp w3, x0, x2, [x1]", "[x1]", 0x10000, 0},
		{"ldaxr w0, [sp]", "[sp]", 0x7fff0000, 0},
		{"ld1 {v0.16b, v1.16b}, [x1], x2", "[x1], x2", 0x10000, 0},
		{"ld1 {v0.4s}, [x1], #16", "[x1], #16", 0x10000, 0},
		{"prfm pldl1keep, [x1, #8]", "[x1, #8]", 0x10008, 0},
		{"ldr x0, . + 4096", "pc+0x1000", 0, 4096},
		{"ldr w0, . - 8", "pc-0x8", 0, -8},
		{"ldrsw x0, . + 16", "pc+0x10", 0, 16},
		// Armv8.1+ loads and stores arm64asm does not know.
		{"ldadd x2, x0, [x1]", "[x1]", 0x10000, 0},
		{"ldaddal w2, w0, [sp]", "[sp]", 0x7fff0000, 0},
		{"stadd x2, [x1]", "[x1]", 0x10000, 0},
		{"stsetlb w2, [x1]", "[x1]", 0x10000, 0},
		{"swpal x2, x0, [x1]", "[x1]", 0x10000, 0},
		{"ldumaxlh w2, w0, [x1]", "[x1]", 0x10000, 0},
		{"cas x2, x0, [x1]", "[x1]", 0x10000, 0},
		{"casalb w2, w0, [x1]", "[x1]", 0x10000, 0},
		{"casp x2, x3, x4, x5, [x1]", "[x1]", 0x10000, 0},
		{".inst 0x0822fc3f", "", 0, 0}, // CASPL with an odd Rt, unallocated: not decoded
		{"ldapr x0, [x1]", "[x1]", 0x10000, 0},
		{"ldaprb w0, [x1]", "[x1]", 0x10000, 0},
		{"ldapur x0, [x1, #-8]", "[x1, #-8]", 0xfff8, 0},
		{"stlur w0, [x1, #3]", "[x1, #3]", 0x10003, 0},
		{"ldapursw x0, [x1, #4]", "[x1, #4]", 0x10004, 0},
		{"ldapursh w0, [x1]", "[x1]", 0x10000, 0},
		// No memory access.
		{"add x0, x1, x2", "", 0, 0},
		{"b . + 8", "", 0, 0},
		{"udf #0", "", 0, 0},
		{"add z0.s, z0.s, z0.s", "", 0, 0}, // SVE: ".inst 0x04a00000"
	}
	dir := t.TempDir()
	var src strings.Builder
	for _, c := range cases {
		src.WriteString(c.asm + "\n")
	}
	s, obj := filepath.Join(dir, "i.s"), filepath.Join(dir, "i.o")
	if err := writeFile(s, src.String()); err != nil {
		t.Fatal(err)
	}
	attrs := "-mattr=+lse,+rcpc,+rcpc-immo,+sve"
	if out, err := exec.Command("llvm-mc", "-triple=aarch64-linux-gnu", attrs, "-filetype=obj", "-o", obj, s).CombinedOutput(); err != nil {
		t.Fatalf("llvm-mc: %v\n%s", err, out)
	}
	code := textOf(t, obj)
	if len(code) != 4*len(cases) {
		t.Fatalf("%d bytes of code for %d instructions", len(code), len(cases))
	}
	// Without +sve, llvm-objdump prints the SVE word as <unknown>, as the
	// decoder does.
	dis := objdumpText(t, obj, "--adjust-vma="+strconv.Itoa(pc0), "--mattr=+lse,+rcpc,+rcpc-immo")
	regs := arm64Regs()
	for i, c := range cases {
		pc := uint64(pc0 + 4*i)
		d := decodeARM64(code[4*i:], pc)
		want := normInsn(dis[pc])
		word := binary.LittleEndian.Uint32(code[4*i:])
		if want == "<unknown>" {
			want = fmt.Sprintf(".inst 0x%08x", word)
		}
		if got := normInsn(d.text); got != want {
			t.Errorf("%q: text %q, llvm-objdump %q", c.asm, got, want)
		}
		if d.operand != c.operand {
			t.Errorf("%q: operand %q, want %q", c.asm, d.operand, c.operand)
		}
		if c.operand == "" {
			continue
		}
		wantAddr := c.addr
		if c.pcRel != 0 {
			wantAddr = pc + uint64(c.pcRel)
		}
		if got, ok := d.mem.addr(regs); !ok || got != wantAddr {
			t.Errorf("%q: address %#x (%v), want %#x", c.asm, got, ok, wantAddr)
		}
	}

	// A tagged pointer: the top byte is not part of the address, and
	// Linux leaves it out of si_addr.
	tagged := decodeARM64(binary.LittleEndian.AppendUint32(nil, 0xf94008c0), 0) // ldr x0, [x6, #16]
	v, ok := tagged.mem.addr(regs)
	if !ok || v != 0xb400000000010010 || !sameDataAddr(v, 0x10010) || sameDataAddr(v, 0x10018) {
		t.Errorf("tagged %q: %#x %v; want 0xb400000000010010, the same data address as 0x10010", tagged.text, v, ok)
	}
}

// objdumpText disassembles a file with llvm-objdump: instruction text by
// address, as it prints it.
func objdumpText(t *testing.T, file string, flags ...string) map[uint64]string {
	t.Helper()
	args := append([]string{"-d", "--no-show-raw-insn"}, flags...)
	return disassembly(t, "llvm-objdump", append(args, file)...)
}

// disassembly runs an objdump (GNU's or LLVM's) and returns its
// instruction text by address.
func disassembly(t *testing.T, tool string, args ...string) map[uint64]string {
	t.Helper()
	out, err := exec.Command(tool, args...).Output()
	if err != nil {
		t.Fatalf("%s %v: %v", tool, args, err)
	}
	m := map[uint64]string{}
	line := regexp.MustCompile(`^\s*([0-9a-f]+):\s+(.*)$`)
	for _, l := range strings.Split(string(out), "\n") {
		if sm := line.FindStringSubmatch(l); sm != nil {
			pc, _ := strconv.ParseUint(sm[1], 16, 64)
			m[pc] = sm[2]
		}
	}
	return m
}

// normInsn makes llvm-objdump's text and the decoder's comparable: one
// space between fields, no "<symbol+off>" annotation, no padding in
// register lists.
func normInsn(s string) string {
	if i := strings.Index(s, " <"); i >= 0 {
		s = s[:i]
	}
	s = strings.NewReplacer("{ ", "{", " }", "}").Replace(s)
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// TestArm64DecodeHostile feeds the decoder truncated code and a million
// arbitrary words plus every word of the classes it decodes by hand: it
// must never panic, must say what it could not decode, and must compute
// an address, or refuse to, without a register file.
func TestArm64DecodeHostile(t *testing.T) {
	for n := 0; n < 4; n++ {
		if d := decodeARM64(make([]byte, n), 0x1000); d != (arm64Inst{}) {
			t.Errorf("%d bytes decoded as %+v", n, d)
		}
	}
	regs := arm64Regs()
	check := func(w uint32) {
		code := binary.LittleEndian.AppendUint32(nil, w)
		d := decodeARM64(append(code, 0xff, 0xff), ^uint64(0)-3) // at the top of the address space
		if d.text == "" {
			t.Fatalf("%#08x: no text", w)
		}
		if d.operand == "" {
			return
		}
		d.mem.addr(regs)
		if _, ok := d.mem.addr(Regs{}); ok && d.mem.base != pcRelative {
			t.Fatalf("%#08x %q: an address without registers", w, d.text)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1 << 20 {
		check(r.Uint32())
	}
	for _, class := range []struct{ mask, val uint32 }{
		{0x3f200c00, 0x38200000}, {0x3fa07c00, 0x08a07c00}, {0xbfa07c00, 0x08207c00}, {0x3f200c00, 0x19000000},
	} {
		// 65536 values of the bits the class leaves free, spread over
		// them by a multiplicative hash.
		free := ^class.mask
		for i := range uint32(1 << 16) {
			check(class.val | (i*0x9e3779b9)&free)
		}
	}
	for _, w := range []uint32{0, 0xffffffff, 0xd4200000, 0x04a00000, 0xd503201f} {
		check(w)
	}
}

// buildArm64Fault compiles testdata/src/arm64fault.c for aarch64, without
// libc.
func buildArm64Fault(t *testing.T, dir string, flags ...string) string {
	t.Helper()
	for _, tool := range []string{"clang", "ld.lld", "qemu-aarch64", "llvm-objdump"} {
		needTool(t, tool)
	}
	return compile(t, "clang", "arm64fault.c", dir, "arm64fault", append([]string{
		"--target=aarch64-linux-gnu", "-nostdlib", "-static", "-fuse-ld=lld", "-O1"}, flags...)...)
}

// qemuAarch64Core runs the fixture's case under qemu-aarch64 in a
// directory of its own and returns the guest core qemu writes there and
// what the program wrote to stderr. qemu then dies of the signal itself,
// and the kernel writes a core of qemu as core_pattern says; the test
// takes the shared core_pattern lock so that core is not sent to a
// systemd-coredump another test set up.
func qemuAarch64Core(t *testing.T, exe, cpu, arg string) (core, stderr string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", "ulimit -c unlimited && exec qemu-aarch64 -cpu \"$0\" \"$1\" \"$2\"", cpu, exe, arg)
	cmd.Dir = dir
	var errb strings.Builder
	cmd.Stderr = &errb
	unlock := corepattern.Shared(t)
	err := cmd.Run()
	unlock()
	if err == nil {
		t.Fatalf("arm64fault %s ran to the end under qemu-aarch64 -cpu %s", arg, cpu)
	}
	cores, _ := filepath.Glob(filepath.Join(dir, "qemu_arm64fault_*.core"))
	if len(cores) != 1 {
		t.Fatalf("qemu wrote no guest core in %s (%v)\n%s", dir, err, errb.String())
	}
	return cores[0], errb.String()
}

// reportedSiginfo parses the "siginfo SIGNO CODE ADDR" line the fixture's
// SIGSEGV handler writes.
func reportedSiginfo(t *testing.T, stderr string) (signo, code int32, addr uint64) {
	t.Helper()
	for _, l := range strings.Split(stderr, "\n") {
		f := strings.Fields(l)
		if len(f) != 4 || f[0] != "siginfo" {
			continue
		}
		var v [3]uint64
		for i := range v {
			var err error
			if v[i], err = strconv.ParseUint(strings.TrimPrefix(f[i+1], "0x"), 16, 64); err != nil {
				t.Fatalf("%q: %v", l, err)
			}
		}
		return int32(v[0]), int32(v[1]), v[2]
	}
	t.Fatalf("the handler reported no siginfo: %q", stderr)
	return 0, 0, 0
}

// addSiginfo gives a qemu guest core the NT_SIGINFO note the kernel
// writes and qemu 7 leaves out, holding the siginfo qemu delivered to the
// program: the notes are copied to the end of the file with the new one
// after them, and the PT_NOTE header points there. A core that has the
// note already is left alone.
func addSiginfo(t *testing.T, path string, signo, code int32, addr uint64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCore(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if c.Signal != nil {
		return
	}
	le := binary.LittleEndian
	// Elf64 or, for an i386 core, Elf32 headers; siginfo's union is at
	// 16 or 12.
	l, union := layout64, siAddrOffset
	if c.Class == elf.ELFCLASS32 {
		l, union = layout32, 12
	}
	phoff, phnum := c.word(b[l.phoff:]), uint64(le.Uint16(b[l.phnum:]))
	put := func(p []byte, v uint64) {
		if c.Class == elf.ELFCLASS32 {
			le.PutUint32(p, uint32(v))
		} else {
			le.PutUint64(p, v)
		}
	}
	for i := range phnum {
		ph := phoff + uint64(l.entsize)*i
		if elf.ProgType(le.Uint32(b[ph:])) != elf.PT_NOTE {
			continue
		}
		off, size := c.word(b[ph+uint64(l.off):]), c.word(b[ph+uint64(l.filesz):])
		si := make([]byte, 128)
		le.PutUint32(si, uint32(signo))
		le.PutUint32(si[8:], uint32(code))
		put(si[union:], addr)
		notes := append(append([]byte(nil), b[off:off+size]...), coreNote(ntSiginfo, si)...)
		for len(b)%8 != 0 {
			b = append(b, 0)
		}
		put(b[ph+uint64(l.off):], uint64(len(b)))
		put(b[ph+uint64(l.filesz):], uint64(len(notes)))
		b = append(b, notes...)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("%s has no PT_NOTE", path)
}

// symbolAt names the .symtab function containing pc.
func symbolAt(t *testing.T, exe string, pc uint64) string {
	t.Helper()
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && pc >= s.Value && pc < s.Value+s.Size {
			return s.Name
		}
	}
	return ""
}

// checkFrames wants the faulting function from the registers, then run
// and _start by CFI, all from the executable's .symtab.
func checkFrames(t *testing.T, a *Analysis, exe, fn string) {
	t.Helper()
	fr := a.Threads[0].Frames
	want := []struct{ fn, method string }{{fn, ByRegisters}, {"run", ByCFI}, {"_start", ByCFI}}
	if len(fr) < len(want) {
		t.Fatalf("frames %+v: want %v", fr, want)
	}
	for i, w := range want {
		if fr[i].Function != w.fn || fr[i].Method != w.method || fr[i].Module != exe || fr[i].From != ".symtab" {
			t.Errorf("frame %d = %s via %s in %s from %s, want %s via %s from .symtab", i, fr[i].Function, fr[i].Method, fr[i].Module, fr[i].From, w.fn, w.method)
		}
	}
}

// TestArm64Fault crashes a static aarch64 program under qemu-aarch64 once
// per addressing mode and reads qemu's guest core: the faulting
// instruction must be the one llvm-objdump shows at the PC, its memory
// operand computed from the core's registers must be si_addr — the
// address the program used, which the test knows, and which qemu
// delivered to the program's handler — and the stack must unwind by CFI
// through run to _start. qemu's cores have no NT_SIGINFO; given the one
// the kernel would write, the analysis must say that the operand is the
// fault address, and that it is unmapped.
func TestArm64Fault(t *testing.T) {
	dir := t.TempDir()
	exe := buildArm64Fault(t, dir)
	dis := objdumpText(t, exe, "--mattr=+lse")
	cases := []struct {
		arg, fn, operand string
		addr             uint64 // 0: 256 KiB past the PC
	}{
		{"i", "load_imm", "[x0, #16]", 0x10000010},
		{"r", "load_reg", "[x0, x1, lsl #3]", 0x10000028},
		{"w", "load_sxtw", "[x0, w1, sxtw #2]", 0x100000f0},
		{"p", "store_pair", "[x19, #-32]!", 0x10000020},
		{"o", "load_pair_post", "[x0], #16", 0x10000200},
		{"l", "load_literal", "pc+0x40000", 0},
		{"a", "atomic_add", "[x0]", 0x10000300},
		// A leaf function: its caller is found through x30, which its
		// CFI leaves alone, with the stack pointer unchanged.
		{"f", "leaf_load", "[x0, #8]", 0x10000408},
	}
	for _, c := range cases {
		t.Run(c.fn, func(t *testing.T) {
			core, stderr := qemuAarch64Core(t, exe, "max", c.arg)
			signo, code, siAddr := reportedSiginfo(t, stderr)
			a, err := Analyze(context.Background(), core, Options{Exe: exe, NoCheck: true})
			if err != nil {
				t.Fatal(err)
			}
			f := a.Fault
			if a.Machine != elf.EM_AARCH64.String() || a.SignalName != "SIGSEGV" || signo != 11 || f == nil {
				t.Fatalf("machine %s, %s (handler: signal %d), fault %+v: want an aarch64 SIGSEGV", a.Machine, a.SignalName, signo, f)
			}
			want := c.addr
			if want == 0 {
				want = f.PC + 0x40000
			}
			if siAddr != want {
				t.Errorf("si_addr = %#x, want %#x", siAddr, want)
			}
			if fn := symbolAt(t, exe, f.PC); fn != c.fn {
				t.Errorf("PC %#x is in %q, want %s", f.PC, fn, c.fn)
			}
			if got, objdump := normInsn(f.Instruction), normInsn(dis[f.PC]); got != objdump || got == "" {
				t.Errorf("instruction at %#x = %q, llvm-objdump says %q", f.PC, f.Instruction, dis[f.PC])
			}
			if f.Operand != c.operand || f.Computed != siAddr {
				t.Errorf("operand %q = %#x; want %q = si_addr %#x", f.Operand, f.Computed, c.operand, siAddr)
			}
			if f.ISA != nil {
				t.Errorf("ISA = %+v on aarch64", f.ISA)
			}
			// qemu does not dump an executable mapping that starts with an
			// ELF header, and lld's layout puts .text in the first page.
			if f.CodeFrom != FromFile {
				t.Errorf("code from the %s, want the file on disk", f.CodeFrom)
			}
			checkFrames(t, a, exe, c.fn)
			if ev := strings.Join(a.Crash.Evidence, "\n"); !strings.Contains(ev, "faulting instruction at") || !strings.Contains(ev, "no NT_SIGINFO") {
				t.Errorf("evidence without NT_SIGINFO lacks the decoded instruction:\n%s", ev)
			}

			addSiginfo(t, core, signo, code, siAddr)
			a, err = Analyze(context.Background(), core, Options{Exe: exe, NoCheck: true})
			if err != nil {
				t.Fatal(err)
			}
			f = a.Fault
			if a.Signal == nil || a.Signal.Addr != siAddr || a.CodeName != "SEGV_MAPERR" || f.Addr != siAddr || !f.Matches || f.Computed != siAddr {
				t.Errorf("with NT_SIGINFO: signal %+v %s, fault addr %#x computed %#x matches %v; want si_addr %#x matched", a.Signal, a.CodeName, f.Addr, f.Computed, f.Matches, siAddr)
			}
			if f.Where == nil || f.Where.Perm != "unmapped" {
				t.Errorf("where = %+v, want unmapped", f.Where)
			}
			ev := strings.Join(a.Crash.Evidence, "\n")
			if !strings.Contains(ev, "equal to the fault address") {
				t.Errorf("evidence lacks the operand proof:\n%s", ev)
			}
			t.Logf("%s: pc %#x %q (code from the %s), %s = %#x, si_addr %#x; frames %s, %s, %s", c.fn, f.PC, f.Instruction, f.CodeFrom, f.Operand, f.Computed, siAddr,
				a.Threads[0].Frames[0].Function, a.Threads[0].Frames[1].Function, a.Threads[0].Frames[2].Function)
		})
	}
}

// TestArm64SIGILL runs an SVE instruction on a CPU without SVE (qemu's
// cortex-a57) and the permanently undefined instruction: the cores must
// show the instruction at the PC honestly — the SVE word undecoded, as
// ".inst", with no extension or level invented for it — and the function.
// The program is linked with .text on pages of its own, which qemu dumps:
// the instruction comes from the core.
func TestArm64SIGILL(t *testing.T) {
	dir := t.TempDir()
	exe := buildArm64Fault(t, dir, "-Wl,-z,separate-code")
	dis := objdumpText(t, exe, "--mattr=+sve")
	cases := []struct{ arg, fn, insn, objdump, next string }{
		{"s", "sve_add", ".inst 0x04a00000", "add z0.s, z0.s, z0.s", "-march=armv8-a"},
		// udf is aarch64's ud2: a trap on purpose, not a missing feature.
		{"u", "undefined", "udf #0", "udf #0", "trap"},
	}
	for _, c := range cases {
		t.Run(c.fn, func(t *testing.T) {
			core, _ := qemuAarch64Core(t, exe, "cortex-a57", c.arg)
			a, err := Analyze(context.Background(), core, Options{Exe: exe, NoCheck: true})
			if err != nil {
				t.Fatal(err)
			}
			f := a.Fault
			if a.SignalName != "SIGILL" || a.Crash.Kind != KindSigill || f == nil {
				t.Fatalf("%s, crash %s: want SIGILL", a.SignalName, a.Crash.Kind)
			}
			if fn := symbolAt(t, exe, f.PC); fn != c.fn {
				t.Errorf("PC %#x in %q, want %s", f.PC, fn, c.fn)
			}
			if normInsn(dis[f.PC]) != c.objdump {
				t.Errorf("llvm-objdump at %#x: %q, want %q", f.PC, dis[f.PC], c.objdump)
			}
			if f.Instruction != c.insn || f.Operand != "" || f.ISA != nil || f.CodeFrom != FromCore {
				t.Errorf("fault %q from the %s, operand %q, ISA %+v; want %q from the core, no operand, no ISA", f.Instruction, f.CodeFrom, f.Operand, f.ISA, c.insn)
			}
			checkFrames(t, a, exe, c.fn)
			if !strings.Contains(a.Crash.Summary, c.insn) {
				t.Errorf("summary %q does not name %q", a.Crash.Summary, c.insn)
			}
			if !strings.Contains(a.Crash.Next, c.next) || strings.Contains(a.Crash.Next, "x86") {
				t.Errorf("next %q: want %q and nothing about x86", a.Crash.Next, c.next)
			}
			t.Logf("%s: pc %#x %q (llvm-objdump: %q); %s %s", c.fn, f.PC, f.Instruction, dis[f.PC], a.Crash.Summary, a.Crash.Next)
		})
	}
}

// FuzzDecodeARM64: the bytes at a crashed PC are whatever the core or the
// file holds. Decoding them, and computing the operand from the test's
// register set, must not panic, and always says something.
func FuzzDecodeARM64(f *testing.F) {
	for _, w := range []uint32{0xf9400813, 0xf8617813, 0xa9be0a61, 0x04a00000, 0xd4200000, 0xf8e10013, 0x58200013} {
		f.Add(binary.LittleEndian.AppendUint32(nil, w), uint64(0x210000))
	}
	f.Fuzz(func(t *testing.T, code []byte, pc uint64) {
		d := decodeARM64(code, pc)
		if len(code) >= 4 && d.text == "" {
			t.Fatalf("% x: no text", code[:4])
		}
		d.mem.addr(arm64Regs())
	})
}

// TestArm64SignalFrame: a SIGSEGV handler faults itself. The stack runs
// from the handler through the sigreturn trampoline ("mov x8, #139;
// svc #0", as the vDSO's __kernel_rt_sigreturn is) into the frame the
// kernel built — struct rt_sigframe: siginfo, then ucontext — whose saved
// registers lead back to the interrupted load_imm, then run and _start.
func TestArm64SignalFrame(t *testing.T) {
	dir := t.TempDir()
	exe := buildArm64Fault(t, dir)
	core, _ := qemuAarch64Core(t, exe, "max", "h")
	a, err := Analyze(context.Background(), core, Options{Exe: exe, NoCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ fn, method string }{{"fault_again", ByRegisters}, {SignalHandlerCalled, ByCFI},
		{"load_imm", BySignal}, {"run", ByCFI}, {"_start", ByCFI}}
	fr := a.Threads[0].Frames
	if len(fr) < len(want) {
		t.Fatalf("frames %s: want %v", describe(fr), want)
	}
	for i, w := range want {
		if fr[i].Function != w.fn || fr[i].Method != w.method {
			t.Errorf("frame %d = %s via %s, want %s via %s", i, fr[i].Function, fr[i].Method, w.fn, w.method)
		}
	}
	if !fr[1].SignalFrame {
		t.Errorf("frame 1 %+v is not marked as the signal frame", fr[1])
	}
	// The interrupted frame's PC is the faulting load itself.
	if fn := symbolAt(t, exe, fr[2].PC); fn != "load_imm" {
		t.Errorf("interrupted PC %#x is in %q, want load_imm", fr[2].PC, fn)
	}
}
