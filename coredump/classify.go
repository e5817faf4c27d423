package coredump

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/inspect/loader"
)

// Crash kinds.
const (
	KindLoader    = "loader-crash" // in ld.so before AT_ENTRY
	KindAbort     = "abort"        // abort(), assert or a fortify/stack-protector failure
	KindSigill    = "sigill"       // an instruction the CPU does not have
	KindTruncated = "sigbus-truncated-file"
	KindCrash     = "crash" // an ordinary crash in the program or a library
	KindNoSignal  = "no-signal"
	// KindKilled is a signal another process sent (kill, sigqueue,
	// tgkill): not a crash, whatever the signal.
	KindKilled = "killed"
	// KindSelfSignal is a signal other than SIGABRT the program sent
	// itself (raise, kill or tgkill of its own pid).
	KindSelfSignal    = "self-signal"
	KindStackOverflow = "stack-overflow" // a fault in the guard gap below a stack
	KindSigfpe        = "sigfpe"         // an arithmetic trap: integer division by zero or overflow
)

// Crash is the classification: a sentence for people, the evidence, and
// what to do next.
type Crash struct {
	Kind     string   `json:"kind"`
	Summary  string   `json:"summary"`
	Stage    string   `json:"stage,omitempty"`   // for loader crashes: version check, relocation...
	Message  string   `json:"message,omitempty"` // an abort's message
	Evidence []string `json:"evidence,omitempty"`
	Next     string   `json:"next,omitempty"`
}

// loaderStages maps loader functions to the start-up stage they run,
// innermost match first.
var loaderStages = []struct{ fn, stage string }{
	{"_dl_check_map_versions", "the symbol-version check"},
	{"_dl_check_all_versions", "the symbol-version check"},
	{"match_symbol", "the symbol-version check"},
	{"_dl_relocate_object", "relocation"},
	{"_dl_lookup_symbol_x", "relocation"},
	{"elf_machine_rela", "relocation"},
	{"call_init", "a library's initialiser"},
	{"_dl_init", "a library's initialiser"},
	{"_dl_map_object", "loading the needed libraries"},
	{"elf_get_dynamic_info", "reading the dynamic table"},
	{"_dl_setup_hash", "reading the dynamic table"},
}

func (a *analyzer) classify() {
	r := a.res
	c := &r.Crash
	if r.Signal == nil && r.SignalName == "" {
		*c = Crash{Kind: KindNoSignal, Summary: "The core records no signal; it was probably written on request (gcore) rather than by a crash."}
		return
	}
	frames := r.Threads[0].Frames
	top := frames[0]
	where := describeFrame(top)
	if top.Inlined { // its offset is the outer function's, shown there
		for _, f := range frames[1:] {
			if !f.Inlined {
				where = top.Function + ", inlined into " + describeFrame(f)
				break
			}
		}
	}
	ev := []string{fmt.Sprintf("thread %d received %s%s", r.Threads[0].Pid, r.SignalName, paren(r.CodeName))}
	if r.Signal.sent() {
		a.classifySent(c, ev, frames, where)
		return
	}
	// For a signal sent by a call (abort's tgkill) the instruction at the
	// PC is just where the thread was; it is evidence only for faults.
	// Cores without NT_SIGINFO (qemu-user's) have the signal in
	// NT_PRSTATUS only, and no fault address to compare with.
	faultSig := r.Signal != nil && hasAddr(r.Signal.Signo) || r.Signal == nil && len(a.core.Threads) > 0 && hasAddr(a.core.Threads[0].Signal)
	if f := r.Fault; f != nil && f.Instruction != "" && faultSig {
		ev = append(ev, fmt.Sprintf("faulting instruction at %#x: %s (bytes from the %s)", f.PC, f.Instruction, f.CodeFrom))
		signo := a.core.Threads[0].Signal
		if r.Signal != nil {
			signo = r.Signal.Signo
		}
		switch si := r.Signal; {
		case !dataFault(signo):
			// SIGILL's and SIGFPE's si_addr is the instruction's
			// address; a memory operand there is an input, not the
			// address of a failed access.
			if si.faultAddr() && si.Addr == f.PC {
				ev = append(ev, fmt.Sprintf("si_addr %#x is the instruction's own address, as the kernel reports for %s", si.Addr, r.SignalName))
			} else if si.faultAddr() {
				ev = append(ev, fmt.Sprintf("si_addr %#x is not the thread's PC %#x", si.Addr, f.PC))
			}
		case f.Operand == "":
		case si == nil:
			ev = append(ev, fmt.Sprintf("its memory operand %s = %#x (the core has no NT_SIGINFO note to compare it with the fault address)", f.Operand, f.Computed))
		case si.Code == siKernel:
			s := fmt.Sprintf("its memory operand %s = %#x; the kernel reports no fault address (SI_KERNEL): a general-protection fault", f.Operand, f.Computed)
			switch {
			case a.core.Machine != elf.EM_X86_64:
			case !canonical(f.Computed, 57):
				s += fmt.Sprintf(", and %#x is a non-canonical address (bits 63 to 56 differ), which no x86-64 access may use", f.Computed)
			case !canonical(f.Computed, 48):
				s += fmt.Sprintf(", and %#x is a non-canonical address with 4-level paging (bits 63 to 47 differ), which no access may use unless the CPU has 5-level paging", f.Computed)
			}
			ev = append(ev, s)
		case f.Matches:
			ev = append(ev, fmt.Sprintf("its memory operand %s = %#x, equal to the fault address", f.Operand, f.Computed))
		default:
			ev = append(ev, fmt.Sprintf("its memory operand %s = %#x; the fault address is %#x", f.Operand, f.Computed, f.Addr))
		}
	}
	if f := r.Fault; f != nil && f.Where != nil {
		s := fmt.Sprintf("fault address %#x: %s", f.Addr, describeLoc(f.Where))
		if f.Addr < 0x10000 && f.Where.Module == "" {
			// The kernel never maps the first 64 KiB (vm.mmap_min_addr).
			s += fmt.Sprintf("; that is a NULL pointer plus %#x", f.Addr)
		}
		ev = append(ev, s)
	}
	exe := a.exeModule()
	loader := a.moduleAt(top.PC)
	sig := 0
	if r.Signal != nil {
		sig = r.Signal.Signo
	} else {
		sig = a.core.Threads[0].Signal
	}
	switch {
	case a.beforeEntry(frames, exe) && (loader != nil && loader.Loader || a.inLibraryInit(frames)):
		c.Kind = KindLoader
		c.Stage = "start-up"
		// A fault in the program's .dynamic tells the stage better than
		// the function (elf_get_dynamic_info, or dl_main when that is all
		// the debug file names): ld.so writes it twice at start-up,
		// relocating its d_ptr entries in place and storing r_debug's
		// address in DT_DEBUG.
		if f := r.Fault; f != nil && f.Where != nil && f.Where.Section == ".dynamic" {
			c.Stage = "dynamic-table setup (ld.so writes DT_DEBUG and relocates the d_ptr entries of .dynamic in place)"
			if strings.Contains(f.Where.Structure, "DT_DEBUG") {
				c.Stage = "DT_DEBUG setup (ld.so stores the address of r_debug in the program's .dynamic)"
			}
			goto found
		}
		for _, fr := range frames {
			if m := a.moduleAt(fr.PC); m == nil || !m.Loader {
				continue
			}
			for _, s := range loaderStages {
				if strings.Contains(fr.Function, s.fn) {
					c.Stage = s.stage
					goto found
				}
			}
		}
	found:
		c.Summary = fmt.Sprintf("The dynamic loader crashed %s, before the program reached its entry point %#x; the program itself never ran. It died in %s.", "during "+c.Stage, r.Auxv.Entry, where)
		ev = append(ev, fmt.Sprintf("ld.so was loaded at %#x (AT_BASE); no frame is in the program or past __libc_start_main", r.Auxv.Base))
		c.Next = "The executable (or a library it needs) is malformed in a way the loader trusts; run `elfdoctor check` on it, and rebuild or re-link it rather than patching it."
		if loader == nil || !loader.Loader {
			c.Stage = "a library's initialiser"
			c.Summary = fmt.Sprintf("A library's initialiser crashed in %s while ld.so was starting the program, before its entry point %#x; main never ran.", where, r.Auxv.Entry)
			c.Next = "The crash is in that library's constructor (or an ELF constructor it calls), not in the program: debug or update the library."
		}
	case sig == 6:
		a.classifyAbort(c, frames)
	case sig == 4:
		c.Kind = KindSigill
		ins := ""
		if r.Fault != nil {
			ins = r.Fault.Instruction
		}
		if strings.HasPrefix(ins, "ud2") || strings.HasPrefix(ins, "ud1") || strings.HasPrefix(ins, "ud0") || strings.HasPrefix(ins, "udf ") {
			// Compilers emit ud2 on purpose: __builtin_trap, unreachable
			// code, -fsanitize=...-trap. It is not a CPU feature problem.
			c.Summary = fmt.Sprintf("The program executed %s, the trap compilers emit for __builtin_trap() and code they consider unreachable, in %s.", ins, where)
			c.Next = "Look at the source of that function for a trap or undefined behaviour the compiler turned into one (rebuild with -fsanitize=undefined to be told which)."
			break
		}
		if isa := r.Fault.isa(); isa != nil {
			bun := ""
			if isa.Level == "x86-64-v3" {
				bun = " (for Bun, the default build rather than -baseline)"
			}
			c.Summary = fmt.Sprintf("The CPU refused %q, an %s instruction, in %s: the code was built for %s CPUs and the CPU that ran it lacks %s — a build for newer CPUs%s on an older one.",
				ins, isa.Feature, where, isa.Level, isa.Feature, bun)
			ev = append(ev, fmt.Sprintf("%s needs %s (cpuinfo flag %q), part of %s", ins, isa.Feature, isa.CPUFlag, isa.Level))
			if has, ok := cpuHas(isa.CPUFlag); ok && has {
				ev = append(ev, fmt.Sprintf("this machine's CPU has %s, so the crash happened on another CPU (or under an emulator) without it", isa.CPUFlag))
			} else if ok {
				ev = append(ev, fmt.Sprintf("this machine's CPU lacks %s too", isa.CPUFlag))
			}
			c.Next = fmt.Sprintf("Install the baseline build (for Bun: the -baseline package), or rebuild for an older level (-march=x86-64-v2 or below); `grep -wo %s /proc/cpuinfo` on the crashing machine prints nothing when its CPU lacks it.", isa.CPUFlag)
			break
		}
		c.Summary = fmt.Sprintf("The CPU refused the instruction %q in %s: the code was built for a CPU with features this one lacks (a non-baseline build), or it is not code.", ins, where)
		ev = append(ev, fmt.Sprintf("AT_HWCAP %#x, AT_HWCAP2 %#x", a.core.Auxv.HWCap, a.core.Auxv.HWCap2))
		c.Next = "Rebuild for the baseline (-march=x86-64) or install the build for this CPU; compare with `grep flags /proc/cpuinfo`."
		if a.core.Machine == elf.EM_AARCH64 {
			// AT_HWCAP's bits are the kernel's list of the CPU's
			// extensions (SVE, SVE2, LSE atomics...).
			c.Next = "Rebuild for the baseline (-march=armv8-a) or install the build for this CPU; compare the extensions the code needs with the Features line of /proc/cpuinfo on the crashing machine."
		}
	case sig == 7 && a.truncated(c, &ev):
	case sig == 8:
		a.classifyFPE(c, &ev, where)
	case sig == 11 && a.stackOverflow(c, &ev, frames):
	default:
		c.Kind = KindCrash
		c.Summary = fmt.Sprintf("The program crashed with %s in %s.", r.SignalName, where)
		c.Next = "Open the core in a debugger with the same binaries to inspect variables: `gdb EXE CORE`."
	}
	if a.exeFinding(c.Kind == KindLoader) {
		ev = append(ev, "elfdoctor check on the executable: "+r.Check.Summary)
	}
	c.Evidence = ev
}

// classifyAbort explains abort(): assert, the fortify checks and the
// stack protector leave their message in __abort_msg.
func (a *analyzer) classifyAbort(c *Crash, frames []Frame) {
	c.Kind = KindAbort
	c.Message = strings.TrimSpace(a.abortMessage())
	if c.Message != "" {
		c.Summary = fmt.Sprintf("The program aborted itself with the message %q, in %s.", strings.TrimSpace(c.Message), a.firstUserFrame(frames))
	} else {
		c.Summary = fmt.Sprintf("The program called abort() in %s; no message was recorded.", a.firstUserFrame(frames))
	}
	if strings.Contains(c.Message, "stack smashing") {
		c.Next = "A buffer on the stack was overrun; build with -fsanitize=address to find the write."
	} else {
		c.Next = "Read the message and the frames below abort(): the program decided it could not go on."
	}
}

// beforeEntry reports whether no frame of the faulting stack is in the
// program or in libc's start-up: the program's entry point never ran.
func (a *analyzer) beforeEntry(frames []Frame, exe *Module) bool {
	for _, f := range frames {
		if exe != nil && exe.Contains(f.PC) && f.Method != ByStackScan {
			return false
		}
		if strings.Contains(f.Function, "__libc_start_main") || f.Function == "main" {
			return false
		}
	}
	return true
}

// inLibraryInit reports whether ld.so's _dl_init (or call_init) is on the
// stack below the faulting frame: a constructor run by the loader.
func (a *analyzer) inLibraryInit(frames []Frame) bool {
	for _, f := range frames {
		if m := a.moduleAt(f.PC); m != nil && m.Loader && (f.Function == "_dl_init" || f.Function == "call_init") {
			return true
		}
	}
	return false
}

// selfSendCalls are libc's ways to send a signal, which a program that
// signals itself calls: its own frame is below them.
var selfSendCalls = map[string]bool{"syscall": true, "kill": true, "tgkill": true, "tkill": true, "gsignal": true, "sigqueue": true}

func (a *analyzer) firstUserFrame(frames []Frame) string {
	for _, f := range frames {
		// Frames carry the debug information's names, glibc's internal
		// ones among them (__GI_abort, __GI_raise, __GI___sigqueue).
		fn := strings.TrimPrefix(f.Function, "__GI_")
		if fn == "" || strings.HasPrefix(fn, "__pthread_kill") || strings.Contains(fn, "raise") ||
			fn == "abort" || strings.Contains(fn, "assert") || strings.Contains(fn, "__libc_message") ||
			strings.Contains(fn, "fortify_fail") || strings.Contains(fn, "stack_chk_fail") || strings.HasPrefix(fn, "pthread_kill") ||
			selfSendCalls[fn] || selfSendCalls[strings.TrimPrefix(fn, "__")] {
			continue
		}
		return describeFrame(f)
	}
	return describeFrame(frames[0])
}

// abortMessage reads glibc's __abort_msg, which assert, the fortify
// checks and the stack protector set before abort(): a pointer to
// struct abort_msg_s { unsigned int size; char msg[]; }.
func (a *analyzer) abortMessage() string {
	for _, m := range a.modules {
		p, ok := m.symbolAddr("__abort_msg")
		if !ok {
			continue
		}
		ptr, ok := a.core.readWord(p)
		if !ok || ptr == 0 {
			continue
		}
		s, _ := a.core.CString(ptr+4, 4096)
		return s
	}
	return ""
}

// truncated recognises SIGBUS on a mapped file whose backing page is past
// the end of the file on disk.
func (a *analyzer) truncated(c *Crash, ev *[]string) bool {
	r := a.res
	if r.Signal == nil {
		return false
	}
	fm := a.core.MappingAt(r.Signal.Addr)
	if fm == nil {
		return false
	}
	off := fm.Offset + (r.Signal.Addr - fm.Start)
	st, err := os.Stat(fm.Path)
	if err != nil || uint64(st.Size()) > off {
		return false
	}
	c.Kind = KindTruncated
	c.Summary = fmt.Sprintf("The program read a mapped file past its end: %s is %s now, and the access was at file offset %#x.", fm.Path, inspect.HumanSize(uint64(st.Size())), off)
	*ev = append(*ev, fmt.Sprintf("%s mapped at %#x-%#x from offset %#x", fm.Path, fm.Start, fm.End, fm.Offset))
	c.Next = "The file was truncated or replaced while mapped; install it again (do not copy over a running binary or library)."
	return true
}

// exeFinding runs the loader-view check on the executable and keeps its
// fatal finding, which explains a loader crash.
func (a *analyzer) exeFinding(loaderCrash bool) bool {
	if a.opts.NoCheck {
		return false
	}
	path := a.exePath()
	if path == "" {
		return false
	}
	opts := loader.CheckOptions{Getenv: a.getenv, Root: a.opts.Root}
	if a.opts.Exe == "" {
		path = underRoot(a.opts.Root, path)
	}
	res, err := loader.Check(path, opts)
	if err != nil {
		a.warn(fmt.Sprintf("check %s: %v", path, err))
		return false
	}
	f := res.Fatal()
	// A kernel-stage finding is about this machine's kernel refusing the
	// exec (an i386 program without IA32 emulation, another machine's
	// code); the core proves the kernel where it crashed ran it.
	if f != nil && f.Stage == loader.StageKernel {
		if loaderCrash {
			a.warn(fmt.Sprintf("elfdoctor check stops at this machine's kernel (%s), so it cannot check %s's loader view here; run it where the program ran", f.Summary, path))
		}
		return false
	}
	if f == nil {
		if loaderCrash {
			a.warn("elfdoctor check finds nothing fatal in " + path + "; the damage may be in a library or the file changed since the crash")
		}
		return false
	}
	a.res.Check = f
	return true
}

func describeFrame(f Frame) string {
	if f.Function != "" {
		return fmt.Sprintf("%s+%#x (%s)", f.Function, f.Offset, filepath.Base(f.Module))
	}
	if f.Module != "" {
		return fmt.Sprintf("%#x in %s (no symbol)", f.PC, filepath.Base(f.Module))
	}
	return fmt.Sprintf("%#x (no module)", f.PC)
}

func describeLoc(l *Location) string {
	if l.Module == "" {
		return "in no mapped file (" + l.Perm + ")"
	}
	s := filepath.Base(l.Module)
	if l.Structure != "" {
		s += ", " + l.Structure
	}
	return s + " [" + l.Perm + "]"
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}
