package coredump

import (
	"debug/elf"
	"fmt"
	"strings"

	"golang.org/x/arch/x86/x86asm"
)

// sent reports whether the signal came from a process rather than from an
// instruction: si_code <= 0 is the kernel's SI_FROMUSER (kill, sigqueue,
// tgkill, raise, abort, timers), and then si_addr is not an address.
func (s *Siginfo) sent() bool { return s != nil && s.Code <= 0 }

// classifySent explains a signal that a process sent. Nothing faulted, so
// no instruction is decoded and no address is explained: the PC is only
// where the thread happened to be. SIGABRT the program sent itself is
// abort() and keeps its own explanation.
func (a *analyzer) classifySent(c *Crash, ev []string, frames []Frame, where string) {
	r := a.res
	si := r.Signal
	who, self := a.sender(si)
	switch {
	case self && si.Signo == 6:
		ev = append(ev, fmt.Sprintf("si_code %s from %s: sent with %s", r.CodeName, who, sendCall(si.Code)))
		a.classifyAbort(c, frames)
	case self:
		c.Kind = KindSelfSignal
		c.Summary = fmt.Sprintf("The program sent itself %s (%s) in %s; no instruction faulted.", r.SignalName, r.CodeName, a.firstUserFrame(frames))
		ev = append(ev, fmt.Sprintf("the signal was sent by %s with %s (si_code %s), not raised by the CPU", who, sendCall(si.Code), r.CodeName))
		c.Next = fmt.Sprintf("Find the call that sends %s in the frames below (raise, kill, pthread_kill, tgkill): the program chose to die, usually on a check of its own.", r.SignalName)
	default:
		c.Kind = KindKilled
		c.Summary = fmt.Sprintf("The process was killed by %s sent by %s; it did not crash: no instruction faulted. It was in %s when the signal arrived.", r.SignalName, who, where)
		ev = append(ev, fmt.Sprintf("si_code %s: the signal was sent with %s, so siginfo holds the sender's pid and uid, not a fault address", r.CodeName, sendCall(si.Code)))
		c.Next = fmt.Sprintf("Find out why %s sent %s (a supervisor, a watchdog, a test harness, a person); the program's own code is not the cause, and a debugger would show only where it was waiting.", senderPid(si), r.SignalName)
	}
	// A loader-view finding cannot explain a signal another process
	// sent to a program that was running; an abort keeps it, as before.
	if c.Kind == KindAbort && a.exeFinding(false) {
		ev = append(ev, "elfdoctor check on the executable: "+r.Check.Summary)
	}
	c.Evidence = ev
}

// senderPid is the sender as a pid, for a sentence that needs it short.
func senderPid(si *Siginfo) string {
	if si.Sender == nil || si.Sender.Pid == 0 {
		return "the sender"
	}
	return fmt.Sprintf("pid %d", si.Sender.Pid)
}

// sendCall names what sends a signal with a given si_code.
func sendCall(code int) string {
	switch code {
	case siUser:
		return "kill"
	case siQueue:
		return "sigqueue"
	case siTkill:
		return "tgkill or tkill (raise, abort and pthread_kill use it)"
	case siMesgq:
		return "a message-queue notification (mq_notify)"
	case siTimer:
		return "a POSIX timer's expiry (timer_create)"
	case siAsyncio:
		return "an asynchronous I/O completion"
	case siSigio:
		return "a queued SIGIO (F_SETSIG)"
	}
	return fmt.Sprintf("a user-space sender (si_code %d)", code)
}

// sender describes the sender of a signal from what the core knows: the
// process itself or one of its threads, its parent (NT_PRPSINFO's
// pr_ppid), or a pid the core does not name; self is true when the
// program sent the signal to itself.
func (a *analyzer) sender(si *Siginfo) (who string, self bool) {
	s := si.Sender
	if s == nil {
		// Timers, asynchronous I/O and SIGIO are set up by the process
		// itself; their siginfo names no sender.
		return "the kernel, on the program's own request", true
	}
	p := a.res.Process
	switch {
	case s.Pid == p.Pid && p.Pid != 0:
		return fmt.Sprintf("the process itself (pid %d, uid %d)", s.Pid, s.Uid), true
	case s.Pid == 0:
		// The kernel writes 0 when the sender is outside the receiver's
		// pid namespace.
		return fmt.Sprintf("a process outside the crashed process's pid namespace (si_pid 0, uid %d)", s.Uid), false
	}
	for _, t := range a.core.Threads {
		if t.Pid == s.Pid {
			return fmt.Sprintf("thread %d of the process itself (uid %d)", s.Pid, s.Uid), true
		}
	}
	who = fmt.Sprintf("pid %d (uid %d)", s.Pid, s.Uid)
	if s.Pid == p.PPid {
		who += ", the process's parent"
	}
	if cmd := a.senderFromJournal(s.Pid); cmd != "" {
		who += ", " + cmd
	}
	return who, false
}

// classifyFPE explains an arithmetic trap. On x86 the CPU raises the same
// divide error (#DE, FPE_INTDIV) for a zero divisor and for a quotient
// too large for its register (INT_MIN / -1), so the divisor is read from
// the registers or memory to tell the two apart.
func (a *analyzer) classifyFPE(c *Crash, ev *[]string, where string) {
	r := a.res
	c.Kind = KindSigfpe
	c.Next = "Look at the division in that function: check the divisor (and, for signed division, INT_MIN / -1) before dividing."
	desc := "an arithmetic trap"
	if r.CodeName != "" && !strings.HasPrefix(r.CodeName, "code ") {
		desc += " (" + r.CodeName + ")"
	}
	if v, text, ok := a.divisor(); ok {
		if v == 0 {
			c.Summary = fmt.Sprintf("The program divided an integer by zero in %s.", where)
			*ev = append(*ev, fmt.Sprintf("the divisor %s is 0", text))
			return
		}
		val := fmt.Sprintf("%#x", v)
		if f := r.Fault; f.inst.Op == x86asm.IDIV {
			bits := 8 * uint(f.inst.MemBytes)
			if _, isReg := f.inst.Args[0].(x86asm.Reg); isReg || bits == 0 {
				bits = uint(f.inst.DataSize)
			}
			if bits > 0 && bits < 64 {
				val = fmt.Sprint(int64(v<<(64-bits)) >> (64 - bits)) // IDIV divides signed numbers
			}
		}
		c.Summary = fmt.Sprintf("The program's integer division overflowed in %s: the divisor %s is %s, not zero, so the quotient did not fit its register (e.g. INT_MIN / -1).", where, text, val)
		*ev = append(*ev, fmt.Sprintf("the divisor %s is %s; x86 raises the same divide error for a quotient too large as for a zero divisor", text, val))
		return
	}
	c.Summary = fmt.Sprintf("The program was stopped by %s in %s.", desc, where)
}

// divisor reads the divisor of the faulting DIV or IDIV: its register,
// or the memory its operand names, of the operand's size.
func (a *analyzer) divisor() (uint64, string, bool) {
	f := a.res.Fault
	if f == nil || f.inst == nil || (f.inst.Op != x86asm.DIV && f.inst.Op != x86asm.IDIV) || len(a.res.Threads) == 0 {
		return 0, "", false
	}
	regs := a.core.Threads[0].Regs
	size := f.inst.MemBytes
	if size <= 0 || size > 8 {
		size = f.inst.DataSize / 8
	}
	switch arg := f.inst.Args[0].(type) {
	case x86asm.Reg:
		name := strings.ToLower(arg.String())
		var mask uint64
		switch {
		case arg >= x86asm.AL && arg <= x86asm.R15B:
			mask = 0xff
		case arg >= x86asm.AX && arg <= x86asm.R15W:
			mask = 0xffff
		case arg >= x86asm.EAX && arg <= x86asm.R15L:
			mask = 0xffffffff
		case arg >= x86asm.RAX && arg <= x86asm.R15:
			mask = ^uint64(0)
		default:
			return 0, "", false
		}
		if arg == x86asm.AH || arg == x86asm.CH || arg == x86asm.DH || arg == x86asm.BH {
			return 0, "", false
		}
		var full string
		if a.core.Machine == elf.EM_X86_64 {
			full = widen64(name)
		} else {
			full = widen32(name)
		}
		v, ok := regs.Get(full)
		return v & mask, name, ok
	case x86asm.Mem:
		v, ok := a.effectiveAddr(a.core.Threads[0], arg, f.PC+uint64(f.inst.Len))
		if !ok {
			return 0, "", false
		}
		var b [8]byte
		if _, err := a.core.ReadMemory(b[:size], v); err != nil {
			return 0, "", false
		}
		o := a.core.Order
		text := fmt.Sprintf("%s (at %#x)", f.Operand, v)
		switch size {
		case 1:
			return uint64(b[0]), text, true
		case 2:
			return uint64(o.Uint16(b[:])), text, true
		case 4:
			return uint64(o.Uint32(b[:])), text, true
		case 8:
			return o.Uint64(b[:]), text, true
		}
	}
	return 0, "", false
}

// widen64 names the 64-bit register an 8-, 16- or 32-bit one is part of.
func widen64(n string) string {
	switch {
	case len(n) == 2 && n[1] == 'l': // al, bl, cl, dl
		return "r" + n[:1] + "x"
	case len(n) == 2 && n[1] == 'x' || n == "si" || n == "di" || n == "bp" || n == "sp":
		return "r" + n
	case n == "sil" || n == "dil" || n == "bpl" || n == "spl":
		return "r" + n[:2]
	case strings.HasPrefix(n, "e"):
		return "r" + n[1:]
	case strings.HasPrefix(n, "r"):
		return strings.TrimRight(n, "bwld")
	}
	return n
}

// widen32 names the i386 register an 8- or 16-bit one is part of.
func widen32(n string) string {
	switch {
	case len(n) == 2 && n[1] == 'l':
		return "e" + n[:1] + "x"
	case len(n) == 2:
		return "e" + n
	}
	return n
}

// canonical reports whether an x86-64 address is canonical for a CPU with
// the given number of virtual-address bits (48 with 4-level paging, 57
// with 5-level): bits 63 down to bits-1 all equal.
func canonical(v uint64, bits uint) bool {
	top := v >> (bits - 1)
	return top == 0 || top == 1<<(65-bits)-1
}

// stackGuardGap is the kernel's default stack_guard_gap: 256 pages it
// keeps unmapped below a stack that grows down.
const stackGuardGap = 256 << 12

// maxBelowSP is how far from the stack pointer an overflowing access may
// be: a frame's locals, the 128-byte red zone, a stack-clash probe a page
// below.
const maxBelowSP = 64 << 10

// stackOverflow recognises a fault in the guard gap below a stack: the
// address is in no accessible mapping, within stackGuardGap below a
// writable anonymous mapping, and within 64 KiB of the thread's stack
// pointer. That is the main thread running past RLIMIT_STACK, or a
// thread into its PROT_NONE guard page.
func (a *analyzer) stackOverflow(c *Crash, ev *[]string, frames []Frame) bool {
	r := a.res
	if r.Signal == nil || !r.Signal.faultAddr() || len(a.core.Threads) == 0 {
		return false
	}
	addr := r.Signal.Addr
	guard := a.core.LoadAt(addr)
	if guard != nil && guard.Flags&(elf.PF_R|elf.PF_W) != 0 {
		return false
	}
	var stack *Load
	for i := range a.core.Loads {
		l := &a.core.Loads[i]
		if l.Vaddr > addr && l.Flags&elf.PF_W != 0 && (stack == nil || l.Vaddr < stack.Vaddr) {
			stack = l
		}
	}
	if stack == nil || stack.Vaddr-addr > stackGuardGap || a.core.MappingAt(stack.Vaddr) != nil {
		return false
	}
	// The access must be near the stack pointer, which is at the bottom
	// of the stack or already below it: an access far below a shallow
	// stack pointer is a wild pointer into the gap, not an overflow.
	_, sp, _ := a.core.pcSPFP(a.core.Threads[0].Regs)
	near := sp-addr <= maxBelowSP || addr-sp <= maxBelowSP
	if !near || sp >= stack.Vaddr+stack.Memsz {
		return false
	}
	c.Kind = KindStackOverflow
	fn, n := recursion(frames)
	where := describeFrame(frames[0])
	if n > 1 {
		c.Summary = fmt.Sprintf("The stack overflowed: %s calls itself (%d of the %d frames unwound are %s), and the thread ran off the end of its stack in %s.", fn, n, len(frames), fn, where)
		c.Next = fmt.Sprintf("Find why the recursion in %s does not stop (a missing base case, or input deeper than the stack allows); make it iterative or give the thread a bigger stack.", fn)
	} else {
		c.Summary = fmt.Sprintf("The stack overflowed in %s: the thread ran off the end of its stack.", where)
		c.Next = "Look for deep recursion or large local arrays (alloca, variable-length arrays) on this thread; give it a bigger stack (ulimit -s, pthread_attr_setstacksize) only once the depth is understood."
	}
	// Below the main thread's stack the kernel keeps a gap unmapped;
	// thread libraries map an inaccessible guard page instead.
	gap := "in the guard gap the kernel keeps unmapped below a stack"
	if guard != nil {
		gap = fmt.Sprintf("in the inaccessible guard mapping %#x-%#x that a thread library puts below a thread's stack", guard.Vaddr, guard.Vaddr+guard.Memsz)
	}
	*ev = append(*ev, fmt.Sprintf("fault address %#x is %d bytes below the stack mapping %#x-%#x, %s; the stack pointer is %#x", addr, stack.Vaddr-addr, stack.Vaddr, stack.Vaddr+stack.Memsz, gap, sp))
	return true
}

// recursion returns the function that appears most often among the
// frames, and how often.
func recursion(frames []Frame) (string, int) {
	count := map[string]int{}
	best, n := "", 0
	for _, f := range frames {
		if f.Function == "" || f.Method == ByStackScan {
			continue
		}
		count[f.Function]++
		if count[f.Function] > n {
			best, n = f.Function, count[f.Function]
		}
	}
	return best, n
}
