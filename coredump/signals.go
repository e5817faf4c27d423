package coredump

import (
	"encoding/binary"
	"fmt"
)

var signalNames = map[int]string{1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT",
	7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM",
	15: "SIGTERM", 24: "SIGXCPU", 25: "SIGXFSZ", 31: "SIGSYS"}

func signalName(n int) string {
	if s, ok := signalNames[n]; ok {
		return s
	}
	return fmt.Sprintf("signal %d", n)
}

// si_code values from user space (include/uapi/asm-generic/siginfo.h);
// the kernel's own codes are positive.
const (
	siUser    = 0
	siQueue   = -1
	siTimer   = -2
	siMesgq   = -3
	siAsyncio = -4
	siSigio   = -5
	siTkill   = -6
	siKernel  = 0x80
)

// codeName names si_code for the signals whose codes say something.
func codeName(sig, code int) string {
	switch code {
	case siUser:
		return "SI_USER"
	case siQueue:
		return "SI_QUEUE"
	case siTimer:
		return "SI_TIMER"
	case siMesgq:
		return "SI_MESGQ"
	case siAsyncio:
		return "SI_ASYNCIO"
	case siSigio:
		return "SI_SIGIO"
	case siTkill:
		return "SI_TKILL"
	case siKernel:
		return "SI_KERNEL"
	}
	names := map[int][]string{
		11: {"", "SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR", "SEGV_PKUERR"},
		7:  {"", "BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR", "BUS_MCEERR_AR", "BUS_MCEERR_AO"},
		4:  {"", "ILL_ILLOPC", "ILL_ILLOPN", "ILL_ILLADR", "ILL_ILLTRP", "ILL_PRVOPC", "ILL_PRVREG", "ILL_COPROC", "ILL_BADSTK"},
		8:  {"", "FPE_INTDIV", "FPE_INTOVF", "FPE_FLTDIV", "FPE_FLTOVF", "FPE_FLTUND", "FPE_FLTRES", "FPE_FLTINV", "FPE_FLTSUB"},
	}
	if n, ok := names[sig]; ok && code > 0 && code < len(n) {
		return n[code]
	}
	return fmt.Sprintf("code %d", code)
}

// Sender is the process that sent a signal with kill, sigqueue, tgkill
// or mq_notify: siginfo's _kill and _rt members, which overlay si_addr.
type Sender struct {
	Pid int `json:"pid"`
	Uid int `json:"uid"`
}

// faultCode reports whether si_code says the kernel raised the signal for
// an instruction (a fault or a trap), which is when si_addr is an address.
// SI_KERNEL is the kernel too, but it sets si_addr to 0: a general
// protection fault (a non-canonical address, a misaligned SSE access)
// has no faulting address to report.
func faultCode(code int) bool { return code > 0 && code != siKernel }

// parseSiginfo reads NT_SIGINFO, a siginfo_t as the kernel copies it to
// user space: si_signo, si_errno, si_code, then a union that starts at
// the next pointer-aligned offset (16 on LP64, 12 on ILP32). Which member
// of the union holds data depends on si_code, and the fields are filled
// by that alone: si_addr for a fault, pid and uid for a sent signal.
func parseSiginfo(desc []byte, o binary.ByteOrder, ptrSize int) (*Siginfo, bool) {
	union := 16
	if ptrSize == 4 {
		union = 12
	}
	if len(desc) < union+8 {
		return nil, false
	}
	s := &Siginfo{Signo: int(int32(o.Uint32(desc))), Errno: int(int32(o.Uint32(desc[4:]))), Code: int(int32(o.Uint32(desc[8:])))}
	switch {
	case s.Code == siUser || s.Code == siQueue || s.Code == siTkill || s.Code == siMesgq:
		s.Sender = &Sender{Pid: int(int32(o.Uint32(desc[union:]))), Uid: int(o.Uint32(desc[union+4:]))}
	case faultCode(s.Code) && hasAddr(s.Signo):
		if ptrSize == 4 {
			s.Addr = uint64(o.Uint32(desc[union:]))
		} else {
			s.Addr = o.Uint64(desc[union:])
		}
	}
	return s, true
}

// hasAddr reports whether the signal's faults carry an address.
func hasAddr(sig int) bool { return sig == 4 || sig == 7 || sig == 8 || sig == 11 }

// faultAddr reports whether si_addr is an address: a fault signal the
// kernel raised for an instruction.
func (s *Siginfo) faultAddr() bool { return s != nil && faultCode(s.Code) && hasAddr(s.Signo) }
