package inspect

import (
	"errors"
	"fmt"
)

// ErrNotELF is returned by Open and NewFile when the input does not start
// with the ELF magic, so that a caller can try another reader.
var ErrNotELF = errors.New("inspect: not an ELF file")

// A FormatError reports a malformed structure at a file offset (or, for
// structures reached through the loader's view, a virtual address).
type FormatError struct {
	Off    int64  // file offset of the structure, or -1 when only Addr is known
	Addr   uint64 // virtual address, when the structure was reached through memory
	InMem  bool   // Addr is meaningful
	Struct string // what was being read, e.g. "program header 3"
	Msg    string // what is wrong with it
	Val    any    // the offending value, if any
	// Fault is what a real process gets when it reads the structure
	// through the loader's view: nothing (FaultNone, the structure is
	// merely wrong), SIGSEGV or SIGBUS. Callers decide on this field,
	// never on Msg.
	Fault Fault
}

// Fault is the signal a read of unmapped or unbacked memory raises.
type Fault int

const (
	FaultNone     Fault = iota
	FaultUnmapped       // no PT_LOAD maps the address: SIGSEGV
	FaultPastEOF        // a file page wholly past the end of the file: SIGBUS
)

// Signal names the signal a process receives for the fault, or "".
func (k Fault) Signal() string {
	switch k {
	case FaultUnmapped:
		return "SIGSEGV"
	case FaultPastEOF:
		return "SIGBUS"
	}
	return ""
}

func (e *FormatError) Error() string {
	where := ""
	switch {
	case e.InMem && e.Off >= 0:
		where = fmt.Sprintf(" at 0x%x (vaddr 0x%x)", e.Off, e.Addr)
	case e.InMem:
		where = fmt.Sprintf(" at vaddr 0x%x", e.Addr)
	case e.Off >= 0:
		where = fmt.Sprintf(" at 0x%x", e.Off)
	}
	msg := e.Struct + where + ": " + e.Msg
	if e.Val != nil {
		switch v := e.Val.(type) {
		case uint64, uint32, uint16, int64, int:
			msg += fmt.Sprintf(" (0x%x)", v)
		default:
			msg += fmt.Sprintf(" (%v)", v)
		}
	}
	return msg
}

func errAt(off int64, what, msg string, val any) *FormatError {
	return &FormatError{Off: off, Struct: what, Msg: msg, Val: val}
}

func errMem(addr uint64, what, msg string, val any) *FormatError {
	return &FormatError{Off: -1, Addr: addr, InMem: true, Struct: what, Msg: msg, Val: val}
}

// An InternalError is a panic in elfdoctor's own code, recovered at a
// parser's boundary so that one malformed structure costs its part of the
// report and not the whole run. It is never a property of the input: a
// fuzz target that meets one has found a bug, and fails.
type InternalError struct {
	What  string // the parser that panicked, e.g. "symbol versions"
	Value any    // what panic was called with
}

func (e *InternalError) Error() string {
	return fmt.Sprintf("%s: internal error while parsing: %v", e.What, e.Value)
}

// IsInternal reports whether err is or wraps an *InternalError.
func IsInternal(err error) bool {
	var ie *InternalError
	return errors.As(err, &ie)
}

// testHook, when set by a test build, is called at named points inside
// the parsers, so that a test can inject a panic where a real bug would
// be and prove that the fuzz targets notice it.
var testHook func(where string)

func hook(where string) {
	if testHook != nil {
		testHook(where)
	}
}
