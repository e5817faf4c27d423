package fix

import (
	"errors"
	"fmt"
)

// ErrWrapperRefused is returned by WriteWrapper for a program that would
// not run its application when started through the loader.
var ErrWrapperRefused = errors.New("fix: a launch through the loader breaks this program; use nix-ld")

// selfExe asks SelfExeSensitive (selfexe.go) what starting the program
// as `LOADER --library-path DIRS FILE` costs it: /proc/self/exe and
// AT_EXECFN then name the loader. A runtime that reads its application
// back through them refuses the wrapper (nix-ld starts FILE itself, so
// it keeps both); one that only reports the loader as its own path gets
// a note.
func (p *Result) selfExe(abs string) {
	s, err := SelfExeSensitive(abs)
	if err != nil {
		p.Notes = append(p.Notes, fmt.Sprintf("what a launch through the loader costs this file is not known: %v", err))
		return
	}
	p.SelfExe = &s
	switch {
	case s.RefusesWrapper():
		p.WrapperRefused = s.Reason
	case s.Risk == SelfExeIdentity:
		p.Notes = append(p.Notes, "under the wrapper, "+s.Reason)
	}
}
