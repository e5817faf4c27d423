package coredump

import (
	"errors"
	"fmt"
)

// ErrNotCore is returned when the input is not an ELF core file (an ELF
// file of another type, or not ELF at all), so that a caller can try
// another reader.
var ErrNotCore = errors.New("coredump: not an ELF core file")

// FormatError is malformed input in a core: the offset in the
// (decompressed) core where the structure is, what is wrong, and the
// offending value when there is one.
type FormatError struct {
	Off int64
	Msg string
	Val any
}

func (e *FormatError) Error() string {
	s := fmt.Sprintf("coredump: %s at offset %#x", e.Msg, e.Off)
	if e.Val != nil {
		s += fmt.Sprintf(" (value %#x)", e.Val)
	}
	return s
}

// catchPanic turns a panic during parsing into an error; debug/elf and
// our own slicing of hostile data must not take the caller down.
func catchPanic(err *error, what string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("coredump: %s: internal error on malformed input: %v", what, r)
	}
}
