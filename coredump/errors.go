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

// An InternalError is a panic recovered at a parser's boundary: in
// debug/elf (which has unfixed panics on hostile files) or in our own
// code. It is a bug to fix, not a property of the input, and the fuzz
// targets fail on it.
type InternalError struct {
	What  string
	Value any
}

func (e *InternalError) Error() string {
	return fmt.Sprintf("coredump: %s: internal error on malformed input: %v", e.What, e.Value)
}

// IsInternal reports whether err is or wraps an *InternalError.
func IsInternal(err error) bool {
	var ie *InternalError
	return errors.As(err, &ie)
}

// catchPanic turns a panic during parsing into an *InternalError; a
// hostile file must not take the caller down.
func catchPanic(err *error, what string) {
	if r := recover(); r != nil {
		*err = &InternalError{What: what, Value: r}
	}
}
