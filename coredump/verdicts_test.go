package coredump

import (
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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

// TestSelfSentSignals: a program that tgkills or sigqueues itself SIGSEGV
// sent itself a signal (no fault), and abort() — SI_TKILL from its own
// pid — stays an abort.
func TestSelfSentSignals(t *testing.T) {
	for _, c := range []struct{ name, arg, code string }{{"tgkill-segv", "", "SI_TKILL"}, {"sigqueue-segv", "q", "SI_QUEUE"}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			exe := compile(t, "gcc", "selfkill.c", dir, "selfkill", "-O1", "-g")
			var args []string
			if c.arg != "" {
				args = []string{c.arg}
			}
			a, err := Analyze(context.Background(), crashCore(t, dir, exe, args...), Options{NoCheck: true})
			if err != nil {
				t.Fatal(err)
			}
			wantKind(t, a, KindSelfSignal)
			if a.CodeName != c.code || a.Signal.Sender == nil || a.Signal.Sender.Pid != a.Process.Pid || a.Fault != nil {
				t.Errorf("signal %+v %s, fault %+v: want %s from the process itself, no fault", a.Signal, a.CodeName, a.Fault, c.code)
			}
			if !strings.Contains(a.Crash.Summary, "sent itself SIGSEGV") || !strings.Contains(a.Crash.Summary, "give_up") || strings.Contains(a.Crash.Summary, "NULL") {
				t.Errorf("summary %q: want the program sending itself SIGSEGV in give_up", a.Crash.Summary)
			}
		})
	}
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
	for _, c := range []struct{ name, arg, code string }{
		// The main thread grows its stack mapping down to RLIMIT_STACK;
		// below it is the kernel's guard gap, unmapped.
		{"main-thread", "", "SEGV_MAPERR"},
		// A thread's stack is a fixed mapping with glibc's PROT_NONE
		// guard page below it.
		{"thread", "t", "SEGV_ACCERR"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			exe := compile(t, "gcc", "recurse.c", dir, "recurse", "-O0", "-g", "-fno-stack-protector", "-pthread")
			var args []string
			if c.arg != "" {
				args = []string{c.arg}
			}
			a, err := Analyze(context.Background(), crashCore(t, dir, exe, args...), Options{NoCheck: true})
			if err != nil {
				t.Fatal(err)
			}
			f := a.Fault
			t.Logf("%s\n%s", a.Crash.Summary, strings.Join(a.Crash.Evidence, "\n"))
			wantKind(t, a, KindStackOverflow)
			if a.CodeName != c.code {
				t.Errorf("code %s, want %s", a.CodeName, c.code)
			}
			if f == nil || f.Operand == "" || !f.Matches || f.Computed != a.Signal.Addr {
				t.Fatalf("fault %+v: want a memory operand computed to si_addr %#x", f, a.Signal.Addr)
			}
			if strings.Contains(f.Operand, "+0xf") || strings.Contains(f.Instruction, "+0xf") {
				t.Errorf("operand %q in %q: a negative displacement shown unsigned", f.Operand, f.Instruction)
			}
			if !strings.Contains(a.Crash.Summary, "descend calls itself") {
				t.Errorf("summary %q does not name the recursion in descend", a.Crash.Summary)
			}
			if strings.Contains(strings.Join(a.Crash.Evidence, " "), "NULL") {
				t.Errorf("evidence calls it a NULL dereference")
			}
		})
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

// TestInstructionAddressSignals: SIGFPE and SIGILL report the faulting
// instruction's own address in si_addr. It must be named as that, and
// never explained as a data access (into the read-only page that holds
// the code). The divide error is told apart by the divisor: zero, or
// INT_MIN / -1, which x86 refuses with the same FPE_INTDIV.
func TestInstructionAddressSignals(t *testing.T) {
	cases := []struct {
		name, src, arg, kind, code, summary string
		flags                               []string
	}{
		{"divide-by-zero", "divzero.c", "", KindSigfpe, "FPE_INTDIV", "divided an integer by zero in ratio", []string{"-O1", "-g"}},
		{"divide-overflow", "divzero.c", "o", KindSigfpe, "FPE_INTDIV", "integer division overflowed in ratio", []string{"-O1", "-g"}},
		{"divide-by-zero-O0", "divzero.c", "", KindSigfpe, "FPE_INTDIV", "divided an integer by zero in ratio", []string{"-O0", "-g"}},
		{"ud2", "trap.c", "", KindSigill, "ILL_ILLOPN", "unreachable_state", []string{"-O1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			exe := compile(t, "gcc", c.src, dir, "prog", c.flags...)
			var args []string
			if c.arg != "" {
				args = []string{c.arg}
			}
			a, err := Analyze(context.Background(), crashCore(t, dir, exe, args...), Options{NoCheck: true})
			if err != nil {
				t.Fatal(err)
			}
			ev := strings.Join(a.Crash.Evidence, "\n")
			t.Logf("%s\n%s", a.Crash.Summary, ev)
			wantKind(t, a, c.kind)
			if a.CodeName != c.code || a.Fault == nil || a.Signal.Addr != a.Fault.PC {
				t.Fatalf("%s, fault %+v, si_addr %#x: want %s at the PC", a.CodeName, a.Fault, a.Signal.Addr, c.code)
			}
			if !strings.Contains(a.Crash.Summary, c.summary) {
				t.Errorf("summary %q lacks %q", a.Crash.Summary, c.summary)
			}
			if a.Fault.Where != nil || a.Fault.Matches || strings.Contains(ev, "read-only") || strings.Contains(ev, "fault address") || strings.Contains(ev, "NULL") {
				t.Errorf("where %+v, matches %v: the instruction's address explained as a data access:\n%s", a.Fault.Where, a.Fault.Matches, ev)
			}
			if !strings.Contains(ev, "instruction's own address") {
				t.Errorf("evidence does not say si_addr is the instruction's address:\n%s", ev)
			}
		})
	}
}

// TestTruncatedCoreAnalysed cuts a real core the way a full disk or
// systemd-coredump's ProcessSizeMax does: inside the faulting thread's
// stack, keeping the word that holds store's return address, and before
// the stack altogether. The analysis must still name what it can, and
// warn what is missing and which frames that costs.
func TestTruncatedCoreAnalysed(t *testing.T) {
	dir := t.TempDir()
	exe := compile(t, "gcc", "segv.c", dir, "segv", "-O1", "-g")
	full := makeCore(t, dir, exe)
	b, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(full)
	if err != nil {
		t.Fatal(err)
	}
	_, sp, _ := c.pcSPFP(c.Threads[0].Regs)
	stack := c.LoadAt(sp)
	c.Close()
	if stack == nil || stack.Filesz == 0 {
		t.Fatalf("no dumped segment holds the stack pointer %#x", sp)
	}
	cases := []struct {
		name   string
		size   uint64
		frames []string
	}{
		// store is a leaf at -O1: its return address into middle is at
		// [sp]; middle's frame above it is gone.
		{"in-stack", stack.Offset + sp - stack.Vaddr + 8, []string{"store", "middle"}},
		{"before-stack", stack.Offset, []string{"store"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "core")
			if err := os.WriteFile(p, b[:tc.size], 0o644); err != nil {
				t.Fatal(err)
			}
			a, err := Analyze(context.Background(), p, Options{NoCheck: true})
			if err != nil {
				t.Fatalf("Analyze: %v", err)
			}
			w := strings.Join(a.Warnings, "\n")
			t.Logf("%s\n%s", a.Crash.Summary, w)
			if got := functions(a.Threads[0].Frames); !slicesEqual(got, tc.frames) {
				t.Errorf("frames %v, want %v", got, tc.frames)
			}
			wantKind(t, a, KindCrash)
			if a.Fault == nil || !a.Fault.Matches {
				t.Errorf("fault %+v: the instruction and its operand do not need the stack", a.Fault)
			}
			if !strings.Contains(w, "the core is truncated") || !strings.Contains(w, fmt.Sprintf("%#x-", stack.Vaddr)) {
				t.Errorf("warnings do not say the stack segment %#x is cut:\n%s", stack.Vaddr, w)
			}
			last := tc.frames[len(tc.frames)-1]
			if want := fmt.Sprintf("thread %d: the unwind needed the stack", a.Threads[0].Pid); !strings.Contains(w, want) || !strings.Contains(w, "("+last+")") {
				t.Errorf("warnings lack %q naming the last frame %s:\n%s", want, last, w)
			}
		})
	}
}

// TestRlimitCoreTruncated: the kernel itself writes a truncated core when
// RLIMIT_CORE is smaller than the process: it stops writing at the
// limit. The faulting frame and instruction survive; the stack does not.
func TestRlimitCoreTruncated(t *testing.T) {
	dir := t.TempDir()
	compile(t, "gcc", "segv.c", dir, "segv", "-O1", "-g")
	// dash counts RLIMIT_CORE in KiB: the headers, notes and the first
	// mappings fit, the stack (at the highest addresses, so last) does not.
	core, _ := coreOf(t, dir, "ulimit -c 200; exec ./segv")
	a, err := Analyze(context.Background(), core, Options{NoCheck: true})
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	w := strings.Join(a.Warnings, "\n")
	t.Logf("%v\n%s", functions(a.Threads[0].Frames), w)
	if fr := a.Threads[0].Frames; fr[0].Function != "store" || a.Fault == nil || !a.Fault.Matches {
		t.Errorf("frame 0 %s, fault %+v: want store and its decoded store", fr[0].Function, a.Fault)
	}
	if !strings.Contains(w, "the core is truncated") || !strings.Contains(w, fmt.Sprintf("thread %d: the unwind needed the stack", a.Threads[0].Pid)) {
		t.Errorf("warnings do not say the core and the stack are cut:\n%s", w)
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzDecodeX86: the bytes at a crashed PC are whatever the core or the
// file holds. Decoding them in 64- and 32-bit mode, computing the operand
// and reading a divisor must not panic.
func FuzzDecodeX86(f *testing.F) {
	for _, code := range [][]byte{
		{0x89, 0xbd, 0x2c, 0xff, 0xff, 0xff},       // mov [rbp-0xd4], edi
		{0x8b, 0x80, 0x38, 0xff, 0xff, 0xff},       // mov eax, [eax-0xc8]
		{0xf7, 0x7c, 0x24, 0x08},                   // idiv dword ptr [rsp+0x8]
		{0xf7, 0xfe},                               // idiv esi
		{0xa1, 0x00, 0x00, 0x00, 0x80, 0, 0, 0, 0}, // mov eax, moffs
		{0x0f, 0x0b},                               // ud2
	} {
		f.Add(code, uint8(64))
	}
	f.Fuzz(func(t *testing.T, code []byte, mode uint8) {
		m := elf.EM_X86_64
		if mode&1 == 1 {
			m = elf.EM_386
		}
		c := &Core{Machine: m, Class: elf.ELFCLASS64, Order: littleEndian}
		if m == elf.EM_386 {
			c.Class = elf.ELFCLASS32
		}
		regs := Regs{Names: regNames(m)}
		for i := range regs.Names {
			regs.Values = append(regs.Values, uint64(i)*0x1111_1111_1111)
		}
		c.Threads = []Thread{{Regs: regs}}
		a := &analyzer{core: c, res: &Analysis{Threads: []ThreadInfo{{}}}}
		fa := &Fault{PC: 0x401000}
		a.decodeX86Bytes(c.Threads[0], fa, code)
		a.res.Fault = fa
		a.divisor()
	})
}

// TestGeneralProtectionFault: a store through a non-canonical pointer is
// SIGSEGV with SI_KERNEL and si_addr 0. That 0 is not a NULL pointer: the
// evidence must say the kernel gave no address and that the operand's
// value is non-canonical.
func TestGeneralProtectionFault(t *testing.T) {
	dir := t.TempDir()
	exe := compile(t, "gcc", "noncanon.c", dir, "noncanon", "-O1", "-g")
	a, err := Analyze(context.Background(), crashCore(t, dir, exe), Options{NoCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	ev := strings.Join(a.Crash.Evidence, "\n")
	t.Logf("%s\n%s", a.Crash.Summary, ev)
	wantKind(t, a, KindCrash)
	if a.CodeName != "SI_KERNEL" || a.Fault == nil || a.Fault.Computed != 0xdead000000000100 || a.Fault.Where != nil || a.Fault.Matches {
		t.Fatalf("%s, fault %+v: want SI_KERNEL, the operand computed, no fault address", a.CodeName, a.Fault)
	}
	if strings.Contains(ev, "NULL") || !strings.Contains(ev, "non-canonical") || !strings.Contains(ev, "no fault address") {
		t.Errorf("evidence:\n%s\nwant the non-canonical operand and no NULL pointer", ev)
	}
}

// TestJournalNamesSender: a program killed by a process that logged to
// the journal, with its crash recorded by the real systemd-coredump:
// the verdict names the sender's command from the journal's last entry
// of that pid before the crash.
func TestJournalNamesSender(t *testing.T) {
	opts := journalSetup(t)
	needTool(t, "systemd-cat")
	dir := t.TempDir()
	name := "jkill" + strconv.Itoa(os.Getpid()%10000)
	exe := compile(t, "gcc", "sleeper.c", dir, name, "-O1", "-g")
	exe, _ = filepath.EvalSymlinks(exe)
	var sender int
	pid := corepattern.CrashToJournal(t, exe, "", func() {
		victim := waitForComm(t, name)
		cmd := exec.Command("systemd-cat", "-t", "elfdoctor-killer", "sh", "-c", `echo "sending SIGSEGV to $1"; exec kill -SEGV "$1"`, "sh", strconv.Itoa(victim))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("systemd-cat kill: %v\n%s", err, out)
		}
		sender = cmd.Process.Pid
	})
	a, err := AnalyzeJournal(context.Background(), "COREDUMP_PID="+strconv.Itoa(pid), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", a.Crash.Summary)
	wantKind(t, a, KindKilled)
	if a.Signal == nil || a.Signal.Sender == nil || a.Signal.Sender.Pid != sender {
		t.Fatalf("signal %+v, want sent by pid %d", a.Signal, sender)
	}
	// What the journal itself says of that pid.
	out, err := exec.Command("journalctl", "--no-pager", "-o", "cat", "--output-fields=_COMM", "-n", "1", "_PID="+strconv.Itoa(sender)).Output()
	comm := strings.TrimSpace(string(out))
	if err != nil || comm == "" {
		t.Fatalf("journalctl _PID=%d: %v %q", sender, err, out)
	}
	want := fmt.Sprintf("sent by pid %d (uid %d), %s (", sender, os.Getuid(), comm)
	if !strings.Contains(a.Crash.Summary, want) || !strings.Contains(a.Crash.Summary, "as the journal last saw that pid") {
		t.Errorf("summary %q lacks %q", a.Crash.Summary, want)
	}
}

// waitForComm returns the pid of the process whose command name is comm,
// once it runs.
func waitForComm(t *testing.T, comm string) int {
	t.Helper()
	for range 500 {
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			if b, err := os.ReadFile("/proc/" + e.Name() + "/comm"); err == nil && strings.TrimSpace(string(b)) == comm {
				// Let it reach pause().
				time.Sleep(100 * time.Millisecond)
				return pid
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no process %s", comm)
	return 0
}

// TestSenderNamespace: a journal's _PID is a host pid; si_pid is in the
// crashed process's namespace. When the core's pid is not the journal
// entry's, no sender is looked up. The journalctl here answers every
// query with one entry, so only the guard keeps it out.
func TestSenderNamespace(t *testing.T) {
	jc := filepath.Join(t.TempDir(), "journalctl")
	if err := os.WriteFile(jc, []byte("#!/bin/sh\necho '{\"_COMM\":\"watchdog\",\"_EXE\":\"/usr/sbin/watchdog\"}'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		corePid int
		want    string
	}{{100, "watchdog (/usr/sbin/watchdog) as the journal last saw that pid"}, {7, ""}} {
		e := &JournalEntry{PID: 100, BootID: "b", Time: time.Unix(1e9, 0)}
		a := &analyzer{ctx: context.Background(), opts: Options{Journalctl: jc, journal: e}, res: &Analysis{Process: Process{Pid: c.corePid}}}
		if got := a.senderFromJournal(42); got != c.want {
			t.Errorf("core pid %d, journal pid 100: sender %q, want %q", c.corePid, got, c.want)
		}
	}
}
