package coredump

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/corepattern"
)

// coreOf runs a shell script in dir with an unlimited core size, which
// must leave exactly one core there, and returns it with what the script
// printed.
func coreOf(t *testing.T, dir, script string, args ...string) (core, stdout string) {
	t.Helper()
	pat, err := os.ReadFile("/proc/sys/kernel/core_pattern")
	if err != nil || len(pat) == 0 || pat[0] == '|' || pat[0] == '/' {
		if os.Getenv("CI") != "" {
			t.Fatalf("kernel.core_pattern is %q; these tests need a plain file name such as core", pat)
		}
		t.Skipf("kernel.core_pattern is %q; cores go elsewhere", pat)
	}
	cmd := exec.Command("sh", append([]string{"-c", "ulimit -c unlimited && " + script, "sh"}, args...)...)
	cmd.Dir = dir
	unlock := corepattern.Shared(t)
	out, err := cmd.Output()
	unlock()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s: %v", script, err)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "core*"))
	if len(matches) != 1 {
		t.Fatalf("want one core in %s after %q, found %v (output %q)", dir, script, matches, out)
	}
	return matches[0], string(out)
}

// crashCore runs exe with args and returns the core of its crash.
func crashCore(t *testing.T, dir, exe string, args ...string) string {
	t.Helper()
	core, _ := coreOf(t, dir, `"$@"; echo $?`, append([]string{exe}, args...)...)
	return core
}

// TestSignalSentFromOutside: kill -SEGV and kill -ABRT of a running
// program are not crashes. si_addr holds the sender's pid and uid, which
// must be reported as such, with no instruction decoded and no NULL
// pointer invented from the pid.
func TestSignalSentFromOutside(t *testing.T) {
	cases := []struct {
		name, sig string
		// child: the kill comes from a shell of its own, not from the
		// program's parent.
		child bool
	}{
		{"kill-segv-by-parent", "SEGV", false},
		{"kill-abrt-by-other", "ABRT", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			compile(t, "gcc", "sleeper.c", dir, "sleeper", "-O1", "-g")
			kill := `kill -` + c.sig + ` $p; echo $$`
			if c.child {
				kill = `sh -c 'kill -` + c.sig + ` "$1"; echo $$' sh $p`
			}
			// The program's parent is this shell; the script prints the
			// pid of the shell that sends the signal.
			core, out := coreOf(t, dir, `./sleeper >ready & p=$!
while ! [ -s ready ]; do sleep 0.01; done
`+kill+`
wait $p; echo $p`)
			lines := strings.Fields(out)
			if len(lines) != 2 {
				t.Fatalf("script printed %q", out)
			}
			sender, _ := strconv.Atoi(lines[0])
			victim, _ := strconv.Atoi(lines[1])
			a, err := Analyze(context.Background(), core, Options{NoCheck: true})
			if err != nil {
				t.Fatal(err)
			}
			wantKind(t, a, KindKilled)
			si := a.Signal
			if si == nil || si.Sender == nil || si.Sender.Pid != sender || si.Sender.Uid != os.Getuid() || si.Addr != 0 || a.CodeName != "SI_USER" {
				t.Fatalf("signal %+v %s, want SI_USER from pid %d uid %d and no address", si, a.CodeName, sender, os.Getuid())
			}
			if a.Process.Pid != victim {
				t.Errorf("process pid %d, want %d", a.Process.Pid, victim)
			}
			want := "killed by SIG" + c.sig + " sent by pid " + strconv.Itoa(sender) + " (uid " + strconv.Itoa(os.Getuid()) + ")"
			if !strings.Contains(a.Crash.Summary, want) {
				t.Errorf("summary %q lacks %q", a.Crash.Summary, want)
			}
			if parent := strings.Contains(a.Crash.Summary, "parent"); parent == c.child {
				t.Errorf("summary %q: parent named %v, want %v", a.Crash.Summary, parent, !c.child)
			}
			all := a.Crash.Summary + strings.Join(a.Crash.Evidence, "\n")
			if a.Fault != nil || strings.Contains(all, "NULL") || strings.Contains(all, "faulting instruction") || strings.Contains(all, "abort") {
				t.Errorf("fault %+v; evidence:\n%s\nwant no instruction, no NULL, no abort", a.Fault, all)
			}
			if !inOrder(functions(a.Threads[0].Frames), []string{"wait_for_work", "main"}) {
				t.Errorf("frames %v, want wait_for_work then main", functions(a.Threads[0].Frames))
			}
			t.Logf("%s\n%s", a.Crash.Summary, strings.Join(a.Crash.Evidence, "\n"))
		})
	}
}

// TestSelfSentSignals: a program that tgkills itself with SIGSEGV sent
// itself a signal (no fault), and abort() — SI_TKILL from its own pid —
// stays an abort.
func TestSelfSentSignals(t *testing.T) {
	t.Run("tgkill-segv", func(t *testing.T) {
		dir := t.TempDir()
		exe := compile(t, "gcc", "selfkill.c", dir, "selfkill", "-O1", "-g")
		a, err := Analyze(context.Background(), crashCore(t, dir, exe), Options{NoCheck: true})
		if err != nil {
			t.Fatal(err)
		}
		wantKind(t, a, KindSelfSignal)
		if a.CodeName != "SI_TKILL" || a.Signal.Sender == nil || a.Signal.Sender.Pid != a.Process.Pid || a.Fault != nil {
			t.Errorf("signal %+v %s, fault %+v: want SI_TKILL from the process itself, no fault", a.Signal, a.CodeName, a.Fault)
		}
		if !strings.Contains(a.Crash.Summary, "sent itself SIGSEGV") || !strings.Contains(a.Crash.Summary, "give_up") || strings.Contains(a.Crash.Summary, "NULL") {
			t.Errorf("summary %q: want the program sending itself SIGSEGV in give_up", a.Crash.Summary)
		}
	})
	t.Run("abort", func(t *testing.T) {
		dir := t.TempDir()
		exe := compile(t, "gcc", "assert.c", dir, "assert", "-O1")
		a, err := Analyze(context.Background(), crashCore(t, dir, exe), Options{NoCheck: true})
		if err != nil {
			t.Fatal(err)
		}
		wantKind(t, a, KindAbort)
		if a.CodeName != "SI_TKILL" || a.Signal.Sender == nil || a.Signal.Sender.Pid != a.Process.Pid {
			t.Errorf("signal %+v %s: want SI_TKILL from the process itself", a.Signal, a.CodeName)
		}
		if !strings.Contains(a.Crash.Message, "balance went negative") {
			t.Errorf("message %q", a.Crash.Message)
		}
	})
}

// TestStackOverflow: unbounded recursion at -O0 runs off the main
// thread's stack. The faulting access is addressed below the frame
// pointer or the stack pointer; its operand must be shown with a
// negative displacement and computed to si_addr, and the verdict must be
// a stack overflow in descend.
func TestStackOverflow(t *testing.T) {
	dir := t.TempDir()
	exe := compile(t, "gcc", "recurse.c", dir, "recurse", "-O0", "-g", "-fno-stack-protector")
	a, err := Analyze(context.Background(), crashCore(t, dir, exe), Options{NoCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	f := a.Fault
	t.Logf("%s\n%s\nfault %+v", a.Crash.Summary, strings.Join(a.Crash.Evidence, "\n"), f)
	wantKind(t, a, KindStackOverflow)
	if f == nil || f.Operand == "" || !f.Matches || f.Computed != a.Signal.Addr {
		t.Fatalf("fault %+v: want a memory operand computed to si_addr %#x", f, a.Signal.Addr)
	}
	if strings.Contains(f.Operand, "+0xf") || strings.Contains(f.Instruction, "+0xf") {
		t.Errorf("operand %q in %q: a negative displacement shown unsigned", f.Operand, f.Instruction)
	}
	if !strings.Contains(a.Crash.Summary, "descend calls itself") {
		t.Errorf("summary %q does not name the recursion in descend", a.Crash.Summary)
	}
	if a.Crash.Summary == "" || strings.Contains(strings.Join(a.Crash.Evidence, " "), "NULL") {
		t.Errorf("evidence calls it a NULL dereference")
	}
}

// TestNegativeDisplacement decodes what the assembler encodes for
// memory operands below a register and checks the text and the address
// computed from a register file.
func TestNegativeDisplacement(t *testing.T) {
	needTool(t, "as")
	cases := []struct {
		asm, operand string
		want         uint64
	}{
		{"movl %edi, -0xd4(%rbp)", "[rbp-0xd4]", 0x7fff0b433010 - 0xd4},
		{"movq -8(%rsp), %rax", "[rsp-0x8]", 0x7fff0b432f00 - 8},
		{"movl 0x7ffffff0(%rbp), %eax", "[rbp+0x7ffffff0]", 0x7fff0b433010 + 0x7ffffff0},
		{"movl -0x80000000(%rbp,%rcx,4), %eax", "[rbp+4*rcx-0x80000000]", 0x7fff0b433010 + 12 - 0x80000000},
		{"movl -0x10(%ebp), %eax", "[ebp-0x10]", 0x0b433000},
	}
	regs := Regs{Names: regNames(0x3e)}
	regs.Values = make([]uint64, len(regs.Names))
	for i, n := range regs.Names {
		switch n {
		case "rbp":
			regs.Values[i] = 0x7fff0b433010
		case "rsp":
			regs.Values[i] = 0x7fff0b432f00
		case "rcx":
			regs.Values[i] = 3
		}
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
		a := &analyzer{core: &Core{Machine: 0x3e, Class: 2}}
		f := &Fault{PC: 0x1000}
		a.decodeX86Bytes(Thread{Regs: regs}, f, textOf(t, obj))
		if f.Operand != c.operand || f.Computed != c.want {
			t.Errorf("%q: operand %q = %#x, want %q = %#x", c.asm, f.Operand, f.Computed, c.operand, c.want)
		}
	}
}
