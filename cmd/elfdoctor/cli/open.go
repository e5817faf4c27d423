package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// openELF opens path for inspection. Every failure is an exit-2 error
// whose message names the path once and says what is wrong with it.
func openELF(path string) (*inspect.File, error) {
	st, err := os.Stat(path)
	if err == nil && st.IsDir() {
		return nil, &exitError{code: exitTrouble, msg: path + ": is a directory, not an ELF file"}
	}
	f, err := inspect.Open(path)
	if err == nil {
		return f, nil
	}
	var pe *fs.PathError
	switch {
	case errors.Is(err, inspect.ErrNotELF):
		return nil, &exitError{code: exitTrouble, msg: path + ": not an ELF file"}
	case errors.As(err, &pe):
		return nil, &exitError{code: exitTrouble, msg: fmt.Sprintf("%s: %v", path, pe.Err)}
	}
	detail := strings.TrimPrefix(err.Error(), path+": ")
	return nil, &exitError{code: exitTrouble,
		msg: fmt.Sprintf("%s: cannot read the ELF headers (truncated or damaged file?): %s", path, detail)}
}

// statInput checks that path names a file, for commands whose library opens
// it; kind is what it should be ("an ELF file", "a core file"). Failures are
// exit-2 errors naming the path once.
func statInput(path, kind string) error {
	st, err := os.Stat(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return &exitError{code: exitTrouble, msg: path + ": " + pe.Err.Error()}
		}
		return &exitError{code: exitTrouble, msg: err.Error()}
	}
	if st.IsDir() {
		return &exitError{code: exitTrouble, msg: path + ": is a directory, not " + kind}
	}
	return nil
}
