// Package pastetest checks the commands elfdoctor prints the way people
// use them: pasted into a real bash. The programs a command names are
// replaced by stub scripts that record their argv (and LD_DEBUG), so a
// test sees exactly the words bash made of a line, and whether anything
// else ran: the hostile inputs the tests use are file names, paths and
// journal fields such as `app;touch X` or `$(touch X)`, and a file X
// appearing in the working directory means a pasted line ran a command.
//
// It is a test helper, imported only by _test.go files.
package pastetest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Call is one run of a stub: the program as bash started it, its
// arguments, and LD_DEBUG as it saw it ("" when unset).
type Call struct {
	Prog    string
	Args    []string
	LDDebug string
}

// String is the call in one comparable line.
func (c Call) String() string {
	return strings.Join(append([]string{c.Prog, "LD_DEBUG=" + c.LDDebug}, c.Args...), "\x00")
}

// Shell is a working directory, a PATH of stubs and a log of calls.
type Shell struct {
	t   *testing.T
	Dir string // the working directory of every pasted line
	bin string
	log string
}

// New makes a shell whose PATH starts with stubs of programs (by name,
// e.g. "elfdoctor", "gdb"). It needs bash, and fails without it.
func New(t *testing.T, dir string, programs ...string) *Shell {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatal("bash is needed to paste the printed commands: ", err)
	}
	s := &Shell{t: t, Dir: dir, bin: t.TempDir(), log: t.TempDir()}
	for _, p := range programs {
		s.Stub(filepath.Join(s.bin, p))
	}
	return s
}

// Stub writes a recording script at path (an absolute path: the program
// a command runs by its path, such as the inspected file or its
// interpreter), replacing whatever is there.
func (s *Shell) Stub(path string) {
	s.t.Helper()
	// Each call writes its own file, NUL-separated: $0, LD_DEBUG, "$@".
	script := "#!/bin/bash\nf=$(mktemp " + quote(s.log) + "/call.XXXXXX)\nprintf '%s\\0' \"$0\" \"${LD_DEBUG-}\" \"$@\" > \"$f\"\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		s.t.Fatal(err)
	}
}

// Paste runs one line in bash -c, in Dir, and returns the calls the
// stubs recorded. It fails the test when the line created X in Dir.
func (s *Shell) Paste(line string) []Call {
	s.t.Helper()
	cmd := exec.Command("bash", "-c", line)
	cmd.Dir = s.Dir
	cmd.Env = []string{"PATH=" + s.bin + ":/usr/bin:/bin", "HOME=" + s.Dir, "LC_ALL=C"}
	out, err := cmd.CombinedOutput()
	if _, serr := os.Stat(filepath.Join(s.Dir, "X")); serr == nil {
		s.t.Fatalf("pasting %q ran a command: X was created (output %q)", line, out)
	} else if !errors.Is(serr, os.ErrNotExist) {
		s.t.Fatal(serr)
	}
	if err != nil {
		s.t.Errorf("bash -c %q: %v\n%s", line, err, out)
	}
	ents, err := os.ReadDir(s.log)
	if err != nil {
		s.t.Fatal(err)
	}
	var calls []Call
	for _, e := range ents {
		p := filepath.Join(s.log, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			s.t.Fatal(err)
		}
		os.Remove(p)
		f := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
		if len(f) < 2 {
			s.t.Fatalf("stub log %q", b)
		}
		c := Call{Prog: f[0], LDDebug: f[1], Args: slices.Clone(f[2:])}
		if filepath.Dir(c.Prog) == s.bin {
			c.Prog = filepath.Base(c.Prog)
		}
		calls = append(calls, c)
	}
	return calls
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
