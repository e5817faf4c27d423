package fix

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/elfdoctor/elfdoctor/internal/shellquote"
)

// ErrNoPlan is returned when asked to write out a plan that was refused.
var ErrNoPlan = errors.New("fix: the plan was refused; nothing to write")

// Wrapper returns the POSIX sh launcher for the plan: it compares the
// size and modification time of every file in the fingerprint with one
// stat(1) call, names what changed or is gone and stops (exit 127, as
// ld.so does when it cannot load), or else execs the loader on the
// unmodified program with --library-path, which, unlike LD_LIBRARY_PATH,
// is not inherited by the program's children. self is the wrapper's own
// path: started through a link of another name, the program is given
// that name as argv[0] (--argv0, when the loader takes it). remake is the command that
// makes the wrapper again, shown when the fingerprint no longer holds.
func Wrapper(p *Result, self string, remake []string) (string, error) {
	if !p.OK {
		return "", ErrNoPlan
	}
	if p.WrapperRefused != "" {
		return "", fmt.Errorf("%w: %s", ErrWrapperRefused, p.WrapperRefused)
	}
	if p.Host != nil && p.Host.Program == "" {
		return "", ErrNoHost
	}
	q := shellquote.POSIXWord
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	b.WriteString("# Written by elfdoctor fix: starts the program below, unmodified, with the\n")
	b.WriteString("# loader and library path the plan proved. It stops and says what changed\n")
	b.WriteString("# when a file the plan relies on was replaced or garbage-collected.\n")
	var paths, want []string
	for _, f := range p.Fingerprint {
		paths = append(paths, q(f.Path))
		want = append(want, fmt.Sprintf("%d %d", f.Size, f.Mtime))
	}
	fmt.Fprintf(&b, "elfdoctor_want=%s\n", q(strings.Join(want, "\n")))
	fmt.Fprintf(&b, "elfdoctor_now=$(stat -L -c '%%s %%Y' -- %s 2>/dev/null)\n", strings.Join(paths, " "))
	b.WriteString("if [ \"$elfdoctor_now\" != \"$elfdoctor_want\" ]; then\n")
	b.WriteString("\tif ! command -v stat >/dev/null 2>&1; then\n")
	b.WriteString("\t\techo 'elfdoctor fix wrapper: stat(1) is not on PATH, so the files the plan relies on cannot be checked' >&2\n")
	b.WriteString("\t\texit 127\n")
	b.WriteString("\tfi\n")
	b.WriteString("\telfdoctor_check() {\n")
	b.WriteString("\t\tif [ ! -e \"$1\" ]; then\n")
	b.WriteString("\t\t\tprintf 'elfdoctor fix wrapper: %s (%s) is gone: garbage-collected or removed\\n' \"$1\" \"$3\" >&2\n")
	b.WriteString("\t\t\treturn\n")
	b.WriteString("\t\tfi\n")
	b.WriteString("\t\tset -- \"$1\" \"$2\" \"$3\" \"$(stat -L -c '%s %Y' -- \"$1\")\"\n")
	b.WriteString("\t\t[ \"$4\" = \"$2\" ] || printf 'elfdoctor fix wrapper: %s (%s) changed: size and mtime were %s, now %s\\n' \"$1\" \"$3\" \"$2\" \"$4\" >&2\n")
	b.WriteString("\t}\n")
	for i, f := range p.Fingerprint {
		fmt.Fprintf(&b, "\telfdoctor_check %s %s %s\n", paths[i], q(want[i]), q(f.Role))
	}
	fmt.Fprintf(&b, "\tprintf 'elfdoctor fix wrapper: the plan no longer holds; make it again with: %%s\\n' %s >&2\n", q(shellquote.Command(remake...)))
	b.WriteString("\texit 127\n")
	b.WriteString("fi\n")
	tail := fmt.Sprintf(" --library-path %s %s \"$@\"\n", q(strings.Join(p.LibraryPath, ":")), q(absFile(p)))
	if glibcMinor(p.Glibc) >= 33 && self != "" {
		// Started through a link named otherwise (a multi-call binary's
		// tool: bfs, ugrep), the program must see that name, as it would
		// through a link to itself: rtld.c takes --argv0 since glibc
		// 2.33. Started by the wrapper's own name, ld.so's argv[0] (the
		// program's path) is kept, for programs that find their files
		// next to argv[0].
		fmt.Fprintf(&b, "case ${0##*/} in\n%s) ;;\n*) exec %s --argv0 \"$0\"%s;;\nesac\n", q(filepath.Base(self)), q(p.Loader), strings.TrimSuffix(tail, "\n"))
	}
	fmt.Fprintf(&b, "exec %s%s", q(p.Loader), tail)
	return b.String(), nil
}

// glibcMinor reads the 2.x release from a glibc build string
// ("Debian GLIBC 2.36-9+deb12u14, 2.36"), 0 when it has none.
func glibcMinor(build string) int {
	i := strings.LastIndex(build, ", 2.")
	if i < 0 {
		return 0
	}
	n := 0
	for _, c := range build[i+4:] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// absFile is the program's absolute path, as fingerprinted.
func absFile(p *Result) string {
	for _, f := range p.Fingerprint {
		if f.Role == "program" {
			return f.Path
		}
	}
	a, _ := filepath.Abs(p.File)
	return a
}

// WriteWrapper writes the wrapper to out atomically, mode 0755: a
// reader never sees half a script, and a failed write leaves any older
// wrapper in place.
//
// A program that would not run its application under the wrapper
// (Result.WrapperRefused) gets none: ErrWrapperRefused.
func WriteWrapper(p *Result, out string, remake []string) error {
	script, err := Wrapper(p, out, remake)
	if err != nil {
		return err
	}
	if st, err := os.Lstat(out); err == nil && st.IsDir() {
		return fmt.Errorf("%s: is a directory", out)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".elfdoctor-wrapper-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(script); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}
