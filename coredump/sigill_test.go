package coredump

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/arch/x86/x86asm"
)

// TestSIGILLOnOlderCPU runs programs built for newer CPUs on older ones,
// which qemu-user emulates (-cpu Nehalem has no AVX; its TCG has no
// AVX-512), and reads the guest cores qemu writes: the classification must
// name the extension, the x86-64 level and the function. qemu's cores have
// no NT_FILE note, so the modules come from --exe and the auxiliary
// vector. The same program runs on this machine's CPU, which has the
// extensions: the build is fine, the CPU is not.
func TestSIGILLOnOlderCPU(t *testing.T) {
	needTool(t, "qemu-x86_64")
	cases := []struct {
		src, cpu, flag, feature, level, fn string
	}{
		{"avx2.c", "Nehalem", "-mavx2", "AVX", "x86-64-v3", "sum8"},
		{"avx512.c", "max", "-mavx512f", "AVX-512", "x86-64-v4", "sum16"},
	}
	for _, c := range cases {
		t.Run(c.feature, func(t *testing.T) {
			dir := t.TempDir()
			exe := compile(t, "gcc", c.src, dir, "prog", "-O1", c.flag)
			cmd := exec.Command("sh", "-c", "ulimit -c unlimited && exec qemu-x86_64 -cpu \"$0\" ./prog", c.cpu)
			cmd.Dir = dir
			if err := cmd.Run(); err == nil {
				t.Fatalf("prog ran under qemu -cpu %s; it needs %s", c.cpu, c.feature)
			}
			cores, _ := filepath.Glob(filepath.Join(dir, "qemu_prog_*.core"))
			if len(cores) != 1 {
				t.Fatalf("qemu wrote no guest core in %s", dir)
			}
			a, err := Analyze(context.Background(), cores[0], Options{Exe: exe, NoCheck: true})
			if err != nil {
				t.Fatal(err)
			}
			if a.Crash.Kind != KindSigill || a.Fault == nil || a.Fault.ISA == nil {
				t.Fatalf("crash %s, fault %+v: want a classified SIGILL", a.Crash.Kind, a.Fault)
			}
			if got := a.Fault.ISA; got.Feature != c.feature || got.Level != c.level {
				t.Errorf("ISA = %+v, want %s (%s)", got, c.feature, c.level)
			}
			if !strings.Contains(a.Crash.Summary, c.level) || !strings.Contains(a.Crash.Summary, c.fn) {
				t.Errorf("summary %q lacks %s or %s", a.Crash.Summary, c.level, c.fn)
			}
			if len(a.Threads) == 0 || len(a.Threads[0].Frames) == 0 || a.Threads[0].Frames[0].Function != c.fn {
				t.Errorf("frame 0 is not %s: %+v", c.fn, a.Threads[0].Frames)
			}
		})
	}
}

// TestISAOf judges instructions the assembler encodes, one per line.
func TestISAOf(t *testing.T) {
	needTool(t, "as")
	cases := []struct{ asm, feature string }{
		{"vpaddd %ymm1, %ymm0, %ymm0", "AVX2"},
		{"vmovdqu (%rdi), %ymm0", "AVX"},
		{"vzeroupper", "AVX"},
		{"vpaddd %zmm1, %zmm0, %zmm0", "AVX-512"},
		{"vfmadd231ps %ymm2, %ymm1, %ymm0", "FMA"},
		{"popcnt %rbx, %rax", "POPCNT"},
		{"andn %rcx, %rbx, %rax", "BMI1"},
		{"shlx %rcx, %rbx, %rax", "BMI2"},
		{"movbe (%rdi), %eax", "MOVBE"},
		{"crc32q %rbx, %rax", "SSE4.2"},
		{"addq %rbx, %rax", ""},
		{"ud2", ""},
	}
	dir := t.TempDir()
	for _, c := range cases {
		src, obj := filepath.Join(dir, "i.s"), filepath.Join(dir, "i.o")
		if err := writeFile(src, ".text\n"+c.asm+"\n"); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("as", "-o", obj, src).CombinedOutput(); err != nil {
			t.Fatalf("as %q: %v\n%s", c.asm, err, out)
		}
		code := textOf(t, obj)
		ins := decodeText(code)
		isa, ok := isaOf(code, ins)
		if got := map[bool]string{true: isa.Feature, false: ""}[ok]; got != c.feature {
			t.Errorf("isaOf(%q, decoded %q) = %q, want %q", c.asm, ins, got, c.feature)
		}
	}
}

// decodeText is the instruction at the start of code in Intel syntax, as
// the fault decoder prints it, or "" when x86asm does not know it.
func decodeText(code []byte) string {
	inst, err := x86asm.Decode(code, 64)
	if err != nil {
		return ""
	}
	return x86asm.IntelSyntax(inst, 0, nil)
}

// TestBunBaselineOnOldCPU: Bun's default build dies with SIGILL on a CPU
// without AVX (qemu's Nehalem), and the analysis says it needs
// x86-64-v3 and that the -baseline build is the one to use; the baseline
// build of the same release runs there. Both come from the registry npm
// is configured with (scripts/fetch-bun).
func TestBunBaselineOnOldCPU(t *testing.T) {
	needTool(t, "qemu-x86_64")
	needTool(t, "npm")
	fetch := func(variant string) string {
		args := []string{"1.3.14"}
		if variant != "" {
			args = append(args, variant)
		}
		out, err := exec.Command("../scripts/fetch-bun", args...).Output()
		if err != nil {
			t.Fatalf("fetch-bun %v: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	dir := t.TempDir()
	cmd := exec.Command("sh", "-c", "ulimit -c unlimited && exec qemu-x86_64 -cpu Nehalem \"$0\" --version", fetch(""))
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("Bun's default build ran on an emulated Nehalem: %s", out)
	}
	cores, _ := filepath.Glob(filepath.Join(dir, "qemu_*.core"))
	if len(cores) != 1 {
		t.Fatalf("qemu wrote no guest core in %s", dir)
	}
	a, err := Analyze(context.Background(), cores[0], Options{Exe: fetch(""), NoCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.Crash.Kind != KindSigill || a.Fault.ISA == nil || a.Fault.ISA.Level != "x86-64-v3" ||
		!strings.Contains(a.Crash.Summary, "-baseline") {
		t.Errorf("crash %s %q, ISA %+v: want SIGILL needing x86-64-v3 with the -baseline advice", a.Crash.Kind, a.Crash.Summary, a.Fault.ISA)
	}
	out, err := exec.Command("qemu-x86_64", "-cpu", "Nehalem", fetch("baseline"), "--version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "1.3.14" {
		t.Errorf("the baseline build on an emulated Nehalem: %v, %q", err, out)
	}
}
