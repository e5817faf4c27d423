package damage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Outcome classes of a real run. They have the same spelling as
// loader.Outcome so tests can compare them directly.
const (
	Starts      = "starts"       // the program ran and exited 0
	ExecFails   = "exec-fails"   // execve itself returned an error
	LoaderError = "loader-error" // exited non-zero without reaching main
	Crash       = "crash"        // killed by a signal
	Timeout     = "timeout"      // still running when the time was up
)

// Marker is what the test programs print from main.
const Marker = "elfdoctor-started"

// Result is what happened when a file was executed for real.
type Result struct {
	Class  string
	Errno  syscall.Errno // for ExecFails
	Exit   int           // exit status, -1 when killed
	Signal string        // "SIGSEGV", "SIGBUS", ... for Crash
	Marker bool          // main ran and printed Marker
	Stdout string
	Stderr string
}

func (r Result) String() string {
	switch r.Class {
	case ExecFails:
		return fmt.Sprintf("%s (%v)", r.Class, r.Errno)
	case Crash:
		return fmt.Sprintf("%s (%s)", r.Class, r.Signal)
	}
	if r.Class == Starts && !r.Marker {
		return fmt.Sprintf("%s, but did not print %q (stdout %q, stderr %q)", r.Class, Marker, firstLine(r.Stdout), firstLine(r.Stderr))
	}
	return fmt.Sprintf("%s (exit %d, stderr %q)", r.Class, r.Exit, strings.TrimSpace(r.Stderr))
}

// Run executes argv[0] with argv[1:] in dir, with an environment holding
// only PATH and env, and classifies what happened. timeout bounds the run.
func Run(ctx context.Context, dir string, timeout time.Duration, env []string, argv ...string) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := Result{Exit: -1, Stdout: stdout.String(), Stderr: stderr.String()}
	if ctx.Err() == context.DeadlineExceeded {
		r.Class = Timeout
		return r, nil
	}
	var errno syscall.Errno
	var ee *exec.ExitError
	switch {
	case err == nil:
		r.Exit = 0
	case errors.As(err, &ee):
		ws, ok := ee.Sys().(syscall.WaitStatus)
		if !ok {
			return r, err
		}
		if ws.Signaled() {
			// Whether main ran tells a crash at exit (a finaliser) from
			// one before main.
			r.Class, r.Signal = Crash, SignalName(ws.Signal())
			r.Marker = strings.Contains(r.Stdout, Marker)
			return r, nil
		}
		r.Exit = ws.ExitStatus()
	case errors.As(err, &errno):
		r.Class, r.Errno = ExecFails, errno
		return r, nil
	default:
		return r, err
	}
	// ld.so exits 127 (or 1 after version errors) when it gives up; the
	// programs exit 0. One that exits 0 without printing Marker started
	// and then misbehaved.
	r.Marker = strings.Contains(r.Stdout, Marker)
	if r.Exit == 0 {
		r.Class = Starts
	} else {
		r.Class = LoaderError
	}
	return r, nil
}

// SignalName is the C name of a signal.
func SignalName(s syscall.Signal) string {
	names := map[syscall.Signal]string{
		syscall.SIGSEGV: "SIGSEGV", syscall.SIGBUS: "SIGBUS", syscall.SIGILL: "SIGILL",
		syscall.SIGABRT: "SIGABRT", syscall.SIGKILL: "SIGKILL", syscall.SIGFPE: "SIGFPE",
		syscall.SIGTRAP: "SIGTRAP",
	}
	if n, ok := names[s]; ok {
		return n
	}
	return fmt.Sprintf("signal %d", int(s))
}

// Patchelf runs patchelf on a copy of src written to dst, once for each
// argument list in runs: the rewrite NixOS users apply to vendor binaries
// (--set-interpreter, --set-rpath, --add-needed, --replace-needed), and
// with several runs the rewrite of a file that was already rewritten, as
// when an installer patches again after every update.
func Patchelf(src, dst string, runs ...[]string) error {
	return PatchelfWith([]string{"patchelf"}, src, dst, runs...)
}

// PatchelfWith is Patchelf with another patchelf: prog is the argv
// prefix that runs it (another release, under its own loader).
func PatchelfWith(prog []string, src, dst string, runs ...[]string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		return err
	}
	for _, args := range runs {
		argv := append(append(append([]string(nil), prog[1:]...), args...), dst)
		out, err := exec.Command(prog[0], argv...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s %s %s: %w\n%s", prog[len(prog)-1], strings.Join(args, " "), dst, err, out)
		}
	}
	return nil
}

// firstLine shortens program output for one-line summaries.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " ..."
	}
	if len(s) > 120 {
		s = s[:120] + " ..."
	}
	return s
}
