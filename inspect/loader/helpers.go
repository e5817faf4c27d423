package loader

import (
	"debug/elf"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// dtRELR is not in debug/elf yet (glibc 2.36 added support).
const dtRELR elf.DynTag = 36

func errAt(off int64, what, msg string, val any) *inspect.FormatError {
	return &inspect.FormatError{Off: off, Struct: what, Msg: msg, Val: val}
}

func errMem(addr uint64, what, msg string, val any) *inspect.FormatError {
	return &inspect.FormatError{Off: -1, Addr: addr, InMem: true, Struct: what, Msg: msg, Val: val}
}

// catchPanic turns a panic in a parser into an *inspect.InternalError.
// Parsers are written not to panic; this is the last line of defence, not
// the first, and the typed error lets every fuzz target fail on it.
func catchPanic(err *error, what string) {
	if r := recover(); r != nil {
		*err = &inspect.InternalError{What: what, Value: r}
	}
}

func addNoOverflow(a, b uint64) (uint64, bool) {
	s := a + b
	return s, s >= a
}

func roundUp(v, align uint64) uint64 {
	if align == 0 {
		return v
	}
	r := (v + align - 1) &^ (align - 1)
	if r < v {
		return ^uint64(0) &^ (align - 1)
	}
	return r
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
