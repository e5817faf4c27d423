package reality

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/elfdoctor/elfdoctor/internal/damage"
)

// Class is what happened when a file was executed for real, in the order
// of start-up: the kernel refused it, ld.so gave up with a message, a
// signal killed it before or after main ran, or it ran and exited.
type Class string

const (
	ClassStarts      Class = "starts"             // main ran, exit status 0
	ClassExecFails   Class = "exec-fails"         // execve returned an error
	ClassLoaderError Class = "loader-error"       // exited non-zero before main ran
	ClassSignal      Class = "signal-before-main" // killed by a signal before main ran
	ClassSignalAfter Class = "signal-after-main"  // main ran, then a signal (finalisers, exit)
	ClassExitAfter   Class = "exit-after-main"    // main ran, then a non-zero exit status
	ClassNoMain      Class = "exit-0-without-main"
	ClassTimeout     Class = "timeout"
)

// MainMarker is what every test program writes (and flushes) from main,
// so "main ran" is observed, not inferred from the exit status: the same
// marker as the harness's programs (testdata/src spells it out).
const MainMarker = damage.Marker

// Observation is one real run.
type Observation struct {
	Class  Class
	Errno  syscall.Errno // for ClassExecFails
	Exit   int           // exit status; -1 when killed
	Signal string        // "SIGSEGV", ... when killed
	Main   bool          // main ran: MainMarker is on stdout
	Stdout string
	Stderr string
}

func (o Observation) String() string {
	switch o.Class {
	case ClassExecFails:
		return fmt.Sprintf("%s (%s)", o.Class, errnoName(o.Errno))
	case ClassSignal, ClassSignalAfter:
		return fmt.Sprintf("%s (%s)", o.Class, o.Signal)
	case ClassTimeout:
		return string(o.Class)
	}
	s := fmt.Sprintf("%s (exit %d", o.Class, o.Exit)
	if e := strings.TrimSpace(o.Stderr); e != "" {
		s += fmt.Sprintf(", stderr %q", short(e))
	}
	return s + ")"
}

// Limits bound one real run.
type Limits struct {
	Timeout time.Duration // killed (the whole process group) after this
	Output  int           // bytes kept of stdout and of stderr each
	// Env is added to the run's environment (PATH and LC_ALL).
	Env []string
	// InNetns says the calling goroutine is locked to a thread that is
	// already in an empty network namespace (OnEmptyNetwork), so the run
	// needs no namespace of its own.
	InNetns bool
	// Args are the program's arguments; Marker, when set, is what it
	// prints once its main has run instead of MainMarker (a vendor
	// program's version, for a run with --version).
	Args   []string
	Marker string
}

// Observe executes prog (a path inside root) as the kernel runs it after
// `chroot root`, in dir (also inside root), with an environment of PATH,
// LC_ALL and lim.Env only, no network (a fresh network namespace with nothing in it),
// and classifies what happened. Tests run as root; chroot needs it.
func Observe(ctx context.Context, root, dir, prog string, lim Limits) (Observation, error) {
	ctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	var err error
	var o Observation
	// A file just written may still be open for writing in a child that
	// another goroutine is forking (golang.org/issue/22315): execve says
	// ETXTBSY until that child has exec'd. Retry, briefly.
	for try := 0; try < 20; try++ {
		o, err = observeOnce(ctx, root, dir, prog, lim)
		if err != nil || o.Class != ClassExecFails || o.Errno != syscall.ETXTBSY {
			break
		}
		time.Sleep(time.Duration(try+1) * 5 * time.Millisecond)
	}
	return o, err
}

func observeOnce(ctx context.Context, root, dir, prog string, lim Limits) (Observation, error) {
	cmd := exec.CommandContext(ctx, prog, lim.Args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "LC_ALL=C"}, lim.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Setpgid: true, Cloneflags: syscall.CLONE_NEWNET}
	if lim.InNetns {
		cmd.SysProcAttr.Cloneflags = 0
	}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	stdout, stderr := &capped{max: lim.Output}, &capped{max: lim.Output}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	o := Observation{Exit: -1, Stdout: string(stdout.b), Stderr: string(stderr.b)}
	marker := MainMarker
	if lim.Marker != "" {
		marker = lim.Marker
	}
	o.Main = strings.Contains(o.Stdout, marker)
	if ctx.Err() == context.DeadlineExceeded {
		o.Class = ClassTimeout
		return o, nil
	}
	var ee *exec.ExitError
	var errno syscall.Errno
	switch {
	case err == nil:
		o.Exit = 0
	case errors.As(err, &ee):
		ws, ok := ee.Sys().(syscall.WaitStatus)
		if !ok {
			return o, err
		}
		if ws.Signaled() {
			o.Signal = signalName(ws.Signal())
			o.Class = ClassSignal
			if o.Main {
				o.Class = ClassSignalAfter
			}
			return o, nil
		}
		o.Exit = ws.ExitStatus()
	case errors.As(err, &errno):
		o.Class, o.Errno = ClassExecFails, errno
		return o, nil
	default:
		return o, err
	}
	switch {
	case o.Exit == 0 && o.Main:
		o.Class = ClassStarts
	case o.Exit == 0:
		o.Class = ClassNoMain
	case o.Main:
		o.Class = ClassExitAfter
	default:
		o.Class = ClassLoaderError
	}
	return o, nil
}

// OnEmptyNetwork runs each function sent on the returned channel on an
// OS thread of its own that has left the process's network namespace for
// a new, empty one, until the channel is closed. A child forked from that
// thread inherits the namespace, so Observe with Limits.InNetns spares
// the namespace a run would otherwise create (half the cost of a run).
// The thread is never returned to the Go scheduler: the goroutine exits
// locked, which ends the thread. It reports the unshare error, if any,
// before running anything.
func OnEmptyNetwork() (chan<- func(), error) {
	ch := make(chan func())
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := syscall.Unshare(syscall.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("unshare(CLONE_NEWNET): %w", err)
			return
		}
		errc <- nil
		for fn := range ch {
			fn()
		}
	}()
	if err := <-errc; err != nil {
		return nil, err
	}
	return ch, nil
}

// capped keeps the first max bytes written and discards the rest, so a
// damaged program that loops printing cannot fill memory.
type capped struct {
	b   []byte
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - len(c.b); room > 0 {
		c.b = append(c.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGSEGV:
		return "SIGSEGV"
	case syscall.SIGBUS:
		return "SIGBUS"
	case syscall.SIGILL:
		return "SIGILL"
	case syscall.SIGABRT:
		return "SIGABRT"
	case syscall.SIGKILL:
		return "SIGKILL"
	case syscall.SIGFPE:
		return "SIGFPE"
	case syscall.SIGTRAP:
		return "SIGTRAP"
	case syscall.SIGSYS:
		return "SIGSYS"
	}
	return fmt.Sprintf("signal %d", int(s))
}

// errnoName is the C name of the errors execve returns.
func errnoName(e syscall.Errno) string {
	switch e {
	case syscall.ENOEXEC:
		return "ENOEXEC"
	case syscall.ENOENT:
		return "ENOENT"
	case syscall.EACCES:
		return "EACCES"
	case syscall.ELIBBAD:
		return "ELIBBAD"
	case syscall.EINVAL:
		return "EINVAL"
	case syscall.ENOMEM:
		return "ENOMEM"
	case syscall.EIO:
		return "EIO"
	case syscall.EISDIR:
		return "EISDIR"
	case syscall.ETXTBSY:
		return "ETXTBSY"
	case syscall.E2BIG:
		return "E2BIG"
	case syscall.EPERM:
		return "EPERM"
	case syscall.EFAULT:
		return "EFAULT"
	case syscall.ENOTDIR:
		return "ENOTDIR"
	case syscall.ELOOP:
		return "ELOOP"
	}
	return fmt.Sprintf("errno %d (%v)", int(e), e)
}

func short(s string) string {
	if len(s) > 200 {
		s = s[:200] + " ..."
	}
	return s
}

// WorkRoot is a private copy of a cached root that cases are written
// into and run in: hard links to the cached files (nothing run in it
// writes to them), its own case directory, and /proc mounted, because
// ld.so finds the main program's $ORIGIN through /proc/self/exe.
type WorkRoot struct {
	Glibc
	Cache string // the cached root it was copied from
}

// NewWorkRoot copies g's root into dir and mounts /proc in it. Close
// unmounts it.
func NewWorkRoot(g Glibc, dir string) (*WorkRoot, error) {
	if err := linkTree(g.Root, dir); err != nil {
		return nil, fmt.Errorf("copying %s: %w", g.Root, err)
	}
	w := &WorkRoot{Glibc: g, Cache: g.Root}
	w.Root = dir
	if err := os.MkdirAll(filepath.Join(dir, "c"), 0o755); err != nil {
		return nil, err
	}
	if err := syscall.Mount("proc", filepath.Join(dir, "proc"), "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
		return nil, fmt.Errorf("mounting /proc in %s (the tests run as root): %w", dir, err)
	}
	return w, nil
}

// Close unmounts /proc; the caller removes the directory.
func (w *WorkRoot) Close() error {
	return syscall.Unmount(filepath.Join(w.Root, "proc"), syscall.MNT_DETACH)
}

// linkTree recreates src's tree at dst with hard links to its files
// (copies where the two are on different file systems).
func linkTree(src, dst string) error {
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		switch {
		case info.IsDir():
			return os.MkdirAll(to, 0o755)
		case info.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case info.Mode().IsRegular():
			if err := os.Link(p, to); err == nil {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(to, b, info.Mode().Perm())
		}
		return nil
	})
}
