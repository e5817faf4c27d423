package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/elfdoctor/elfdoctor/internal/safeopen"
)

// fileArgs is cobra.ExactArgs(n) with an error that says what the files
// are, instead of "accepts 2 arg(s), received 1".
func fileArgs(need string, n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		got := "none"
		if len(args) > 0 {
			got = fmt.Sprintf("%d: %q", len(args), args)
		}
		return fmt.Errorf("%s needs %s (got %s)", cmd.Name(), need, got)
	}
}

// flagPath checks a file or directory a flag names before any work starts,
// so that a typo is an exit-2 error naming the flag instead of a finding
// about a file that was never there ("check --root /nonexistent" must not
// predict that the program will not start).
func flagPath(flag, path string, wantDir bool) error {
	st, err := os.Stat(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return &exitError{code: exitTrouble, msg: fmt.Sprintf("--%s %s: %v", flag, path, err)}
	}
	switch {
	case wantDir && !st.IsDir():
		return &exitError{code: exitTrouble, msg: fmt.Sprintf("--%s %s: not a directory", flag, path)}
	case !wantDir && !st.Mode().IsRegular():
		return &exitError{code: exitTrouble, msg: fmt.Sprintf("--%s %s: a %s, not a file", flag, path, safeopen.Kind(st.Mode()))}
	}
	return nil
}

// secondsValue is a duration flag that also takes a plain number as
// seconds: "--timeout 5" is what people type, and time.ParseDuration's
// "missing unit in duration" teaches nothing.
type secondsValue struct{ d *time.Duration }

func newSecondsValue(d *time.Duration, def time.Duration) *secondsValue {
	*d = def
	return &secondsValue{d}
}

func (v *secondsValue) String() string { return v.d.String() }
func (v *secondsValue) Type() string   { return "duration" }
func (v *secondsValue) Set(s string) error {
	if d, err := time.ParseDuration(s); err == nil {
		*v.d = d
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > float64(1<<62)/float64(time.Second) {
		return fmt.Errorf("%q is not a duration: write it like 30s, 2m or 1m30s", s)
	}
	*v.d = time.Duration(f * float64(time.Second))
	return nil
}

// rootDir checks a --root directory and makes it absolute.
func rootDir(root string) (string, error) {
	if err := flagPath("root", root, true); err != nil {
		return "", err
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", &exitError{code: exitTrouble, msg: "--root: " + err.Error()}
	}
	return abs, nil
}
