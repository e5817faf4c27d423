package coredump

import (
	"bytes"
	"cmp"
	"debug/elf"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/go-delve/delve/pkg/dwarf/frame"
	"github.com/ianlancetaylor/demangle"
)

const (
	maxFrames    = 64
	maxScanWords = 4096 // 32 KiB of stack for the last-resort scan
)

// How a frame was found, from most to least trustworthy.
const (
	ByRegisters = "registers"     // the thread's own PC
	ByCFI       = "cfi"           // .eh_frame call frame information
	ByFramePtr  = "frame pointer" // the saved frame-pointer chain
	ByTailCall  = "tail call"     // a function that tail-called the next frame's, from DWARF call sites
	BySignal    = "signal frame"  // registers the kernel saved in a signal frame
	ByStackScan = "stack scan"    // a word on the stack that looks like a return address; may be stale
)

// Frame is one frame of a thread's stack.
type Frame struct {
	PC       uint64 `json:"pc"`
	Module   string `json:"module,omitempty"`
	Function string `json:"function,omitempty"` // demangled
	Offset   uint64 `json:"offset"`
	From     string `json:"symbols_from,omitempty"`
	File     string `json:"file,omitempty"` // from DWARF line tables
	Line     int    `json:"line,omitempty"`
	Method   string `json:"method"`
	// Inlined frames are functions the compiler inlined into the next
	// frame: they share its PC and have no stack frame of their own.
	Inlined bool `json:"inlined,omitempty"`
	// Clone is the suffix of a compiler's copy of Function (".cold",
	// ".isra.0", ".constprop.0", ".part.0"); gdb shows such a frame as
	// the function itself.
	Clone string `json:"clone,omitempty"`
	// SignalFrame marks the kernel's signal trampoline, whose Function
	// is SignalHandlerCalled.
	SignalFrame bool `json:"signal_frame,omitempty"`
	// TailCall marks a frame put back from DWARF call-site information:
	// its function tail-called the one of the frame above, so nothing
	// of it is on the stack. PC is just after its jump.
	TailCall bool `json:"tail_call,omitempty"`

	entry uint64 // the runtime address of the function's first instruction, from DWARF
}

// regSet holds registers by DWARF number, which is how CFI names them.
type regSet struct {
	v  map[uint64]uint64
	pc uint64
}

// dwarfRegs maps x86-64 DWARF register numbers to user_regs_struct names.
var dwarfRegsAMD64 = []string{"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"}

func (a *analyzer) initialRegs(t Thread) regSet {
	rs := regSet{v: map[uint64]uint64{}}
	if a.core.Machine == elf.EM_AARCH64 {
		for i := 0; i <= 30; i++ {
			rs.v[uint64(i)], _ = t.Regs.Get(fmt.Sprintf("x%d", i))
		}
		rs.v[31], _ = t.Regs.Get("sp")
		rs.pc, _ = t.Regs.Get("pc")
		return rs
	}
	if a.core.Machine == elf.EM_386 {
		for i, n := range dwarfRegs386 {
			rs.v[uint64(i)], _ = t.Regs.Get(n)
		}
		rs.pc, _ = t.Regs.Get("eip")
		return rs
	}
	for i, n := range dwarfRegsAMD64 {
		rs.v[uint64(i)], _ = t.Regs.Get(n)
	}
	rs.pc, _ = t.Regs.Get("rip")
	return rs
}

// dwarfRegs386 maps i386 DWARF register numbers to user_regs_struct names.
var dwarfRegs386 = []string{"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"}

// addrMask wraps address arithmetic to the process's pointer size.
func (a *analyzer) addrMask() uint64 {
	if a.core.ptrSize() == 4 {
		return 0xffffffff
	}
	return ^uint64(0)
}

func (a *analyzer) spReg() uint64 {
	switch a.core.Machine {
	case elf.EM_AARCH64:
		return 31
	case elf.EM_386:
		return 4
	}
	return 7
}

func (a *analyzer) fpReg() uint64 {
	switch a.core.Machine {
	case elf.EM_AARCH64:
		return 29
	case elf.EM_386:
		return 5
	}
	return 6
}

// isCode reports whether addr is in an executable mapping of the process.
func (a *analyzer) isCode(addr uint64) bool {
	l := a.core.LoadAt(addr)
	return l != nil && l.Flags&elf.PF_X != 0
}

// unwind walks a thread's stack: through the kernel's signal frames,
// then CFI, then frame pointers, then a scan of the stack whose frames are
// marked as guesses. It stops after the function holding the program's
// entry point, as gdb does.
func (a *analyzer) unwind(t Thread) []Frame {
	rs := a.initialRegs(t)
	sig := a.sigtramp(rs.pc)
	frames := a.framesFor(rs.pc, rs.pc, ByRegisters, sig)
	// exact: rs.pc is the instruction to name (frame 0, or the one a
	// signal interrupted), not a return address just after a call.
	exact := true
	for len(frames) < maxFrames && (sig || !a.entryFunction(rs.pc, exact)) {
		var (
			next   regSet
			ok     bool
			method string
		)
		if sig {
			next, ok = a.stepSignal(rs)
			method = BySignal
		} else {
			// A return address points after the call; look up the call itself.
			lookPC := rs.pc
			if !exact {
				lookPC--
			}
			var outermost bool
			next, ok, outermost = a.stepCFI(rs, lookPC)
			if outermost {
				break
			}
			method = ByCFI
			if !ok {
				next, ok = a.stepFP(rs)
				method = ByFramePtr
			}
			if !ok {
				frames = append(frames, a.scan(rs.v[a.spReg()], maxFrames-len(frames))...)
				break
			}
		}
		if next.pc == 0 || !a.isCode(next.pc) {
			break // end of the stack, or garbage: stop rather than invent frames
		}
		// The stack pointer must grow towards the caller. A leaf
		// function without a frame leaves it unchanged, which is only
		// possible where the PC is exact. A signal frame may return to
		// any stack (sigaltstack).
		if nsp, sp := next.v[a.spReg()], rs.v[a.spReg()]; !sig && (nsp < sp || nsp == sp && (!exact || next.pc == rs.pc)) {
			break
		}
		callee := frames[len(frames)-1]
		if !sig {
			frames = append(frames, a.tailCalls(callee.entry, next.pc)...)
		}
		// Go's signal handler makes a fault look like a call of
		// runtime.sigpanic from the faulting instruction, pushing its
		// address: that is the instruction itself, as Go's own
		// traceback reads it (gdb takes it for a return address and
		// often prints ?? there).
		rs, exact = next, sig || callee.Function == "runtime.sigpanic"
		sig = a.sigtramp(rs.pc)
		lookPC := rs.pc
		if !exact {
			lookPC--
		}
		frames = append(frames, a.framesFor(rs.pc, lookPC, method, sig)...)
	}
	return frames
}

// framesFor is framesAt, or the one frame gdb shows for a signal
// trampoline.
func (a *analyzer) framesFor(pc, lookPC uint64, method string, sig bool) []Frame {
	if !sig {
		return a.framesAt(pc, lookPC, method)
	}
	f := Frame{PC: pc, Function: SignalHandlerCalled, Method: method, SignalFrame: true}
	if m := a.moduleAt(pc); m != nil {
		f.Module = m.Path
	} else if a.vdso(pc) {
		f.Module = "[vdso]"
	}
	return []Frame{f}
}

// SignalHandlerCalled is the name of the frame of the kernel's signal
// trampoline, as gdb prints it: the frames above it ran in a signal
// handler, the frame below it is the code the signal interrupted.
const SignalHandlerCalled = "<signal handler called>"

// entryFunction reports whether pc is in the function that holds the
// executable's entry point (_start): gdb stops there ("backtrace
// past-entry" is off), since what lies above is the kernel's stack.
func (a *analyzer) entryFunction(pc uint64, exact bool) bool {
	entry := a.core.Auxv.Entry
	m := a.moduleAt(pc)
	if entry == 0 || m == nil || !m.Contains(entry) {
		return false
	}
	if !exact {
		pc--
	}
	s, ok1 := m.funcStart(pc)
	e, ok2 := m.funcStart(entry)
	return ok1 && ok2 && s == e
}

// Linux's sigreturn trampolines, recognised by their code as gdb does
// (amd64_linux_sigtramp_p, aarch64_linux_sigtramp_frame): glibc's
// __restore_rt and Go's runtime.sigreturn__sigaction on x86-64 are
// "mov $15, %rax; syscall" (rt_sigreturn); aarch64's vDSO
// __kernel_rt_sigreturn is "mov x8, #139; svc #0".
var (
	sigreturnAMD64 = []byte{0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05}
	sigreturnARM64 = []byte{0x68, 0x11, 0x80, 0xd2, 0x01, 0x00, 0x00, 0xd4}
	// i386 has two (i386_linux_sigtramp_p): glibc's __restore for a
	// handler without SA_SIGINFO, "pop %eax; mov $119, %eax; int $0x80"
	// (sigreturn), and __restore_rt, "mov $173, %eax; int $0x80"
	// (rt_sigreturn).
	sigreturn386   = []byte{0x58, 0xb8, 0x77, 0x00, 0x00, 0x00, 0xcd, 0x80}
	rtSigreturn386 = []byte{0xb8, 0xad, 0x00, 0x00, 0x00, 0xcd, 0x80}
)

// sigtramp386 tells the two i386 trampolines apart by their code.
func (a *analyzer) sigtramp386(pc uint64) (tramp, rt bool) {
	b := make([]byte, len(sigreturn386))
	if _, err := a.readCode(b, pc); err != nil {
		// __restore_rt is one byte shorter and may end a mapping.
		b = b[:len(rtSigreturn386)]
		if _, err := a.readCode(b, pc); err != nil {
			return false, false
		}
	}
	switch {
	case bytes.HasPrefix(b, rtSigreturn386):
		return true, true
	case bytes.Equal(b, sigreturn386):
		return true, false
	}
	return false, false
}

// sigtramp reports whether pc is the start of a sigreturn trampoline:
// the return address the kernel gives a signal handler. The code decides;
// an FDE whose CIE has the 'S' augmentation (glibc marks __restore_rt so)
// decides too.
func (a *analyzer) sigtramp(pc uint64) bool {
	var want []byte
	switch a.core.Machine {
	case elf.EM_X86_64:
		want = sigreturnAMD64
	case elf.EM_AARCH64:
		want = sigreturnARM64
	case elf.EM_386:
		// The code alone decides: the layout of the saved registers
		// depends on which of the two trampolines it is.
		tramp, _ := a.sigtramp386(pc)
		return tramp
	default:
		return false
	}
	b := make([]byte, len(want))
	if _, err := a.readCode(b, pc); err == nil && string(b) == string(want) {
		return true
	}
	if m := a.moduleAt(pc); m != nil {
		if fde, err := a.fdes(m).FDEForPC(pc); err == nil && fde.CIE != nil && strings.ContainsRune(fde.CIE.Augmentation, 'S') {
			return true
		}
	}
	return false
}

// vdso reports whether addr is in the vDSO, which NT_FILE does not list.
func (a *analyzer) vdso(addr uint64) bool {
	var v uint64
	for _, kv := range a.core.Auxv.Raw {
		if kv[0] == 33 { // AT_SYSINFO_EHDR
			v = kv[1]
		}
	}
	return v != 0 && addr >= v && addr-v < 1<<20 && a.core.MappingAt(addr) == nil && a.isCode(addr)
}

// Where the kernel saves the interrupted registers, from the stack
// pointer of the trampoline's frame (the handler has returned into it):
// x86-64's rt_sigframe is the return address the handler popped, then
// struct ucontext, whose uc_mcontext (struct sigcontext) follows
// uc_flags, uc_link and uc_stack (arch/x86/include/uapi/asm/sigcontext.h):
// r8-r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip. aarch64's is
// struct siginfo (128 bytes), then struct ucontext with uc_mcontext at
// 176, whose sigcontext starts with fault_address, then x0-x30, sp, pc
// (arch/arm64/include/uapi/asm/sigcontext.h).
const (
	sigcontextAMD64 = 40
	sigcontextARM64 = 128 + 176 + 8
)

// sigcontextOrderAMD64 is struct sigcontext's register order as DWARF
// register numbers; 16 is the rip column.
var sigcontextOrderAMD64 = []uint64{8, 9, 10, 11, 12, 13, 14, 15, 5, 4, 6, 3, 1, 0, 2, 7, 16}

// i386's struct sigcontext_32 (arch/x86/include/uapi/asm/sigcontext.h;
// gdb's i386_linux_sc_reg_offset): gs, fs, es, ds, then edi, esi, ebp,
// esp, ebx, edx, ecx, eax, trapno, err, eip. The offsets of the general
// registers by DWARF number (eax, ecx, edx, ebx, esp, ebp, esi, edi), and
// of eip.
var sigcontext386 = []uint64{44, 40, 36, 32, 28, 24, 20, 16}

const (
	sigcontextEIP386 = 56
	// uc_mcontext in i386's struct ucontext, after uc_flags, uc_link
	// and the 12-byte uc_stack.
	ucMcontext386 = 20
)

// sigcontextAddr386 is where the registers are saved, from the stack
// pointer at the trampoline's first instruction (the handler has popped
// the return address, pretcode): sigreturn's struct sigframe has sig
// there and the sigcontext after it; rt_sigreturn's struct rt_sigframe
// has sig, pinfo and puc, a pointer to the ucontext (gdb's
// i386_linux_sigcontext_addr).
func (a *analyzer) sigcontextAddr386(sp uint64, rt bool) (uint64, bool) {
	if !rt {
		return sp + 4, true
	}
	uc, ok := a.core.readWord(sp + 8)
	return uc + ucMcontext386, ok
}

// stepSignal reads the registers the signal interrupted from the frame
// the kernel built on the stack.
func (a *analyzer) stepSignal(rs regSet) (regSet, bool) {
	sp := rs.v[a.spReg()]
	next := regSet{v: map[uint64]uint64{}}
	if a.core.Machine == elf.EM_AARCH64 {
		base := sp + sigcontextARM64
		for i := uint64(0); i <= 32; i++ {
			w, ok := a.core.readWord(base + 8*i)
			if !ok {
				return rs, false
			}
			if i == 32 {
				next.pc = w
			} else {
				next.v[i] = w
			}
		}
		return next, true
	}
	if a.core.Machine == elf.EM_386 {
		_, rt := a.sigtramp386(rs.pc)
		sc, ok := a.sigcontextAddr386(sp, rt)
		if !ok {
			return rs, false
		}
		for reg, off := range sigcontext386 {
			w, ok := a.core.readWord(sc + off)
			if !ok {
				return rs, false
			}
			next.v[uint64(reg)] = w
		}
		if next.pc, ok = a.core.readWord(sc + sigcontextEIP386); !ok {
			return rs, false
		}
		return next, true
	}
	for i, reg := range sigcontextOrderAMD64 {
		w, ok := a.core.readWord(sp + sigcontextAMD64 + 8*uint64(i))
		if !ok {
			return rs, false
		}
		if reg == 16 {
			next.pc = w
		} else {
			next.v[reg] = w
		}
	}
	return next, true
}

// framesAt is the frame at pc preceded by the functions inlined there,
// innermost first, as gdb shows them: the innermost takes the line table's
// file:line, each outer one the call site of the function it inlined.
func (a *analyzer) framesAt(pc, lookPC uint64, method string) []Frame {
	f := a.frame(pc, lookPC, method)
	m := a.moduleAt(pc)
	if m == nil || method == ByStackScan {
		return []Frame{f}
	}
	sub, chain := m.scope(lookPC)
	if sub.name != "" {
		a.nameFromDWARF(&f, m, sub, lookPC)
	}
	inlinedFrom := "DWARF (inlined)"
	if sub.from != "" {
		inlinedFrom = sub.from + " (inlined)"
	}
	if len(chain) == 0 {
		return []Frame{f}
	}
	out := make([]Frame, 0, len(chain)+1)
	file, line := f.File, f.Line
	for i := len(chain) - 1; i >= 0; i-- {
		out = append(out, Frame{PC: pc, Module: f.Module, Function: demangle.Filter(chain[i].name), From: inlinedFrom,
			File: file, Line: line, Method: method, Inlined: true})
		file, line = chain[i].callFile, chain[i].callLine
	}
	f.File, f.Line = file, line
	return append(out, f)
}

// nameFromDWARF names f after the debug information's function, as gdb
// does, keeping a clone suffix of the symbol's name (foo.isra.0 for the
// function foo) as a detail.
func (a *analyzer) nameFromDWARF(f *Frame, m *Module, sub dwarfFunc, lookPC uint64) {
	name := demangle.Filter(sub.name)
	if f.Clone == "" && f.Function != name {
		if s, ok := m.lookup(lookPC); ok {
			if base, clone := splitClone(s.Name); clone != "" && demangle.Filter(base) == name {
				f.Clone = clone
			}
		}
	}
	f.Function, f.From, f.entry = name, cmp.Or(sub.from, m.dwarfFrom), sub.entry+m.Bias
	if v := lookPC - m.Bias; v >= sub.entry {
		f.Offset = v - sub.entry + (f.PC - lookPC)
	}
}

// cloneSuffix matches what GCC appends to a function it specialised
// (.isra.N, .constprop.N, .part.N), split (.cold) or localised in LTO.
// It is compiled when first used: every elfdoctor command, coredump or
// not, would pay for it at start-up.
var cloneSuffix = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?:\.(?:cold|isra|part|constprop|lto_priv|localalias)(?:\.[0-9]+)?)+$`)
})

// splitClone separates a clone suffix from a symbol name.
func splitClone(name string) (base, clone string) {
	loc := cloneSuffix().FindStringIndex(name)
	if loc == nil || loc[0] == 0 {
		return name, ""
	}
	return name[:loc[0]], name[loc[0]:]
}

func (a *analyzer) frame(pc, lookPC uint64, method string) Frame {
	f := Frame{PC: pc, Method: method}
	if m := a.moduleAt(pc); m != nil {
		f.Module = m.Path
		if g, ok := m.goFrameAt(lookPC); ok {
			// A Go program's own table; framesAt adds the inlined calls.
			f.Function, f.Offset, f.From = g.fn.name, lookPC-m.Bias-g.fn.entry+(pc-lookPC), ".gopclntab"
			f.File, f.Line, f.entry = g.file, g.line, g.fn.entry+m.Bias
			return f
		}
		if s, ok := m.lookup(lookPC); ok {
			base, clone := splitClone(s.Name)
			f.Function, f.Clone, f.Offset, f.From = demangle.Filter(base), clone, s.Offset+(pc-lookPC), s.From
		}
		f.File, f.Line = m.line(lookPC)
	}
	return f
}

func (a *analyzer) fdes(m *Module) frame.FrameDescriptionEntries {
	if m.fdesDone || m.file == nil {
		return m.fdes
	}
	m.fdesDone = true
	m.ensureDebugFile() // whose .debug_frame counts
	// .eh_frame is what the process itself unwinds with; .debug_frame
	// (in the file or its debug file) covers code built without
	// unwind tables, e.g. -fno-asynchronous-unwind-tables.
	var all frame.FrameDescriptionEntries
	for _, src := range []struct {
		f    *elf.File
		name string
	}{{m.file, ".eh_frame"}, {m.file, ".debug_frame"}, {m.debugFile, ".debug_frame"}} {
		all = append(all, parseFrames(src.f, src.name, m.Bias)...)
	}
	// FDEForPC binary-searches; Parse returns FDEs in file order.
	sortFDEs(all)
	m.fdes = all
	return m.fdes
}

// parseFrames parses one CFI section; a malformed one yields nothing.
func parseFrames(f *elf.File, name string, bias uint64) (out frame.FrameDescriptionEntries) {
	if f == nil {
		return nil
	}
	defer func() {
		if recover() != nil {
			out = nil
		}
	}()
	s := f.Section(name)
	if s == nil || s.Type == elf.SHT_NOBITS || s.Size > 64<<20 {
		return nil
	}
	b, err := s.Data()
	if err != nil {
		return nil
	}
	ehAddr := uint64(0)
	if name == ".eh_frame" {
		ehAddr = s.Addr
	}
	ptrSize := 8
	if f.Class == elf.ELFCLASS32 {
		ptrSize = 4
	}
	fdes, err := frame.Parse(b, f.ByteOrder, bias, ptrSize, ehAddr)
	if err != nil {
		return nil
	}
	return fdes
}

// stepCFI computes the caller's registers from the CFI row for pc.
// outermost is set when the CFI says there is no caller: the return
// address column is undefined, as in _start and a thread's clone.
func (a *analyzer) stepCFI(rs regSet, pc uint64) (next regSet, ok, outermost bool) {
	defer func() {
		if recover() != nil {
			ok, outermost = false, false
		}
	}()
	m := a.moduleAt(pc)
	if m == nil {
		return rs, false, false
	}
	fde, err := a.fdes(m).FDEForPC(pc)
	if err != nil {
		return rs, false, false
	}
	fc, err := fde.EstablishFrame(pc)
	if err != nil {
		return rs, false, false
	}
	if r, set := fc.Regs[fc.RetAddrReg]; set && r.Rule == frame.RuleUndefined {
		return rs, false, true
	}
	mask := a.addrMask()
	var cfa uint64
	switch fc.CFA.Rule {
	case frame.RuleCFA:
		base, have := rs.v[fc.CFA.Reg]
		if !have {
			return rs, false, false
		}
		cfa = uint64(int64(base)+fc.CFA.Offset) & mask
	case frame.RuleExpression:
		// A realigned frame: gcc's i386 main says CFA = *(ebp-4).
		v, ok := a.cfiExpr(fc.CFA.Expression, rs, nil)
		if !ok {
			return rs, false, false
		}
		cfa = v
	default:
		return rs, false, false
	}
	next = regSet{v: map[uint64]uint64{}}
	for k, v := range rs.v {
		next.v[k] = v
	}
	next.v[a.spReg()] = cfa
	for reg, rule := range fc.Regs {
		switch rule.Rule {
		case frame.RuleOffset:
			w, ok := a.core.readWord(uint64(int64(cfa)+rule.Offset) & mask)
			if !ok {
				return rs, false, false
			}
			next.v[reg] = w
		case frame.RuleValOffset:
			next.v[reg] = uint64(int64(cfa)+rule.Offset) & mask
		case frame.RuleRegister:
			next.v[reg] = rs.v[rule.Reg]
		case frame.RuleExpression, frame.RuleValExpression:
			// The expression starts with the CFA pushed (DWARF 5,
			// 6.4.2.3); DW_CFA_expression gives the address the
			// register is saved at, DW_CFA_val_expression its value.
			v, ok := a.cfiExpr(rule.Expression, rs, &cfa)
			if !ok {
				return rs, false, false
			}
			if rule.Rule == frame.RuleExpression {
				if v, ok = a.core.readWord(v); !ok {
					return rs, false, false
				}
			}
			next.v[reg] = v
		}
	}
	ra, have := next.v[fc.RetAddrReg]
	if _, set := fc.Regs[fc.RetAddrReg]; !set || !have {
		// On aarch64 the return address is a real register, x30, and a
		// leaf function's CFI leaves it alone: its value is the caller's
		// return point. On x86-64 the column is a pseudo-register and an
		// FDE without a rule for it is broken.
		if !have || a.core.Machine != elf.EM_AARCH64 {
			return rs, false, false
		}
	}
	next.pc = ra
	return next, true, false
}

// maxExprStack bounds the stack of a CFI expression.
const maxExprStack = 16

// cfiExpr evaluates the DWARF expressions compilers put in CFI for
// frames whose stack was realigned (i386's main: DW_OP_breg5 -4;
// DW_OP_deref for the CFA, DW_OP_breg5 0 for where ebp is saved):
// register plus offset, literals and constants, dereference, plus,
// minus and plus_uconst, with pushed, when non-nil, first. Any other
// operation fails the step rather than guess.
func (a *analyzer) cfiExpr(expr []byte, rs regSet, pushed *uint64) (uint64, bool) {
	var st []uint64
	if pushed != nil {
		st = append(st, *pushed)
	}
	mask := a.addrMask()
	uleb := func() (uint64, bool) {
		var v uint64
		for shift := uint(0); len(expr) > 0 && shift < 64; shift += 7 {
			b := expr[0]
			expr = expr[1:]
			v |= uint64(b&0x7f) << shift
			if b&0x80 == 0 {
				return v, true
			}
		}
		return 0, false
	}
	sleb := func() (int64, bool) {
		var v int64
		for shift := uint(0); len(expr) > 0 && shift < 64; shift += 7 {
			b := expr[0]
			expr = expr[1:]
			v |= int64(b&0x7f) << shift
			if b&0x80 == 0 {
				if shift+7 < 64 && b&0x40 != 0 {
					v |= -1 << (shift + 7)
				}
				return v, true
			}
		}
		return 0, false
	}
	for len(expr) > 0 {
		op := expr[0]
		expr = expr[1:]
		switch {
		case op >= 0x70 && op <= 0x8f: // DW_OP_breg0..31
			off, ok := sleb()
			r, have := rs.v[uint64(op-0x70)]
			if !ok || !have {
				return 0, false
			}
			st = append(st, uint64(int64(r)+off)&mask)
		case op >= 0x30 && op <= 0x4f: // DW_OP_lit0..31
			st = append(st, uint64(op-0x30))
		case op == 0x08 || op == 0x0a || op == 0x0c: // DW_OP_const1u, const2u, const4u
			n := map[byte]int{0x08: 1, 0x0a: 2, 0x0c: 4}[op]
			if len(expr) < n {
				return 0, false
			}
			var v uint64
			for i := n - 1; i >= 0; i-- {
				v = v<<8 | uint64(expr[i])
			}
			expr = expr[n:]
			st = append(st, v)
		case op == 0x06: // DW_OP_deref
			if len(st) == 0 {
				return 0, false
			}
			w, ok := a.core.readWord(st[len(st)-1])
			if !ok {
				return 0, false
			}
			st[len(st)-1] = w
		case op == 0x23: // DW_OP_plus_uconst
			v, ok := uleb()
			if !ok || len(st) == 0 {
				return 0, false
			}
			st[len(st)-1] = (st[len(st)-1] + v) & mask
		case op == 0x22 || op == 0x1c: // DW_OP_plus, DW_OP_minus
			if len(st) < 2 {
				return 0, false
			}
			x, y := st[len(st)-2], st[len(st)-1]
			st = st[:len(st)-1]
			if op == 0x22 {
				st[len(st)-1] = (x + y) & mask
			} else {
				st[len(st)-1] = (x - y) & mask
			}
		default:
			return 0, false
		}
		if len(st) > maxExprStack {
			return 0, false
		}
	}
	if len(st) == 0 {
		return 0, false
	}
	return st[len(st)-1], true
}

// stepFP follows the frame-pointer chain: [fp] is the caller's fp and
// the next word the return address, when the frame pointer points into
// the stack above the stack pointer.
func (a *analyzer) stepFP(rs regSet) (regSet, bool) {
	fp, sp := rs.v[a.fpReg()], rs.v[a.spReg()]
	w := uint64(a.core.ptrSize())
	// fp == sp is a frame that saved the frame pointer and has no
	// locals, which -O0 leaf functions are.
	if fp < sp || fp-sp > 1<<24 || fp%w != 0 {
		return rs, false
	}
	saved, ok1 := a.core.readWord(fp)
	ra, ok2 := a.core.readWord(fp + w)
	if !ok1 || !ok2 || !a.isCode(ra) {
		return rs, false
	}
	next := regSet{v: map[uint64]uint64{}, pc: ra}
	for k, v := range rs.v {
		next.v[k] = v
	}
	next.v[a.fpReg()], next.v[a.spReg()] = saved, fp+2*w
	return next, true
}

// scan reports words on the stack that point just after a call
// instruction in executable memory. They are candidates, not proof: old
// return addresses stay on the stack after their frames are gone.
func (a *analyzer) scan(sp uint64, limit int) []Frame {
	var out []Frame
	size := uint64(a.core.ptrSize())
	for i := uint64(0); i < maxScanWords && len(out) < limit; i++ {
		w, ok := a.core.readWord(sp + i*size)
		if !ok {
			break
		}
		if w > 8 && a.isCode(w) && a.afterCall(w) {
			out = append(out, a.frame(w, w-1, ByStackScan))
		}
	}
	return out
}

// afterCall reports whether the bytes before ra end in a call.
func (a *analyzer) afterCall(ra uint64) bool {
	if a.core.Machine == elf.EM_AARCH64 {
		w, ok := a.core.readWord(ra - 8)
		insn := uint32(w >> 32)
		return ok && (insn&0xfc000000 == 0x94000000 || insn&0xfffffc1f == 0xd63f0000) // BL, BLR
	}
	var b [7]byte
	if _, err := a.core.ReadMemory(b[:], ra-7); err != nil {
		return false
	}
	if b[2] == 0xe8 { // call rel32
		return true
	}
	// call r/m64: FF /2, with a ModRM of 2 to 7 bytes before ra.
	for k := 0; k <= 5; k++ {
		if b[k] == 0xff && (b[k+1]>>3)&7 == 2 {
			return true
		}
	}
	return false
}
