package bisect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// HostRunner runs binaries on this machine, as this user. It isolates
// nothing: no network or file-system separation, only a time limit and a
// process group killed at the end. Use it where no Docker engine is
// available, on binaries you would run anyway.
//
// Processes that leave the group (setsid, a daemon's double fork) are
// found too: this process becomes a child subreaper
// (PR_SET_CHILD_SUBREAPER), so they are re-parented to it when their
// parent exits, and each run's are killed when the run ends, recognised
// by a variable in the environment every run passes down
// (ELFDOCTOR_BISECT_RUN). One that clears its environment before it
// escapes is not recognised; a cgroup would be, and needs privileges
// bisect does not assume.
type HostRunner struct{}

// runEnv is the environment variable that marks a run's processes.
const runEnv = "ELFDOCTOR_BISECT_RUN"

var (
	subreaperOnce sync.Once
	subreaperErr  error
	runSeq        atomic.Int64
)

func (HostRunner) Environment(string) string { return "host" }

func (HostRunner) Run(ctx context.Context, s RunSpec) (Outcome, error) {
	if err := ctx.Err(); err != nil {
		return Outcome{}, err
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	bin, err := filepath.Abs(s.Binary)
	if err != nil {
		return Outcome{}, err
	}
	subreaperOnce.Do(func() { subreaperErr = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) })
	if subreaperErr != nil {
		return Outcome{}, fmt.Errorf("become a child subreaper: %w", subreaperErr)
	}
	token := fmt.Sprintf("%d-%d", os.Getpid(), runSeq.Add(1))
	defer killEscaped(token)
	cmd := exec.CommandContext(rctx, bin, s.Args...)
	cmd.Dir = "/"
	cmd.Env = append(os.Environ(), runEnv+"="+token)
	var stdout, stderr limitedBuffer
	stdout.n, stderr.n = OutputLimit, OutputLimit
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Its own process group, so that children die with it on timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	start := time.Now()
	err = cmd.Run()
	d := time.Since(start)
	if ctx.Err() != nil {
		return Outcome{}, ctx.Err()
	}
	if rctx.Err() != nil {
		return Outcome{Class: ClassTimeout, Duration: d, Detail: "still running after " + timeout.String(), Stdout: stdout.String(), Stderr: stderr.String()}, nil
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
	default:
		// The kernel refused the exec itself.
		return Outcome{Class: ClassExecFailed, Detail: execFailure(s.Binary, err.Error()), ExitCode: -1, Duration: d}, nil
	}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	var sig syscall.Signal
	if ws.Signaled() {
		sig = ws.Signal()
	}
	o := classify(ws.ExitStatus(), sig, stdout.String(), stderr.String())
	o.Duration = d
	return o, nil
}

// killEscaped kills and reaps the processes of run token that were
// re-parented to this process, round after round, since killing one
// re-parents its children in turn. Only processes that carry the token
// are touched: the others are not this run's to kill.
func killEscaped(token string) {
	me := os.Getpid()
	mark := []byte(runEnv + "=" + token + "\x00")
	for range 64 {
		ents, err := os.ReadDir("/proc")
		if err != nil {
			return
		}
		killed := 0
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			f, ok := procStat(pid)
			if !ok || len(f) < 2 || f[1] != strconv.Itoa(me) || f[0] == "Z" {
				continue
			}
			env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
			if err != nil || !bytes.Contains(env, mark) {
				continue
			}
			if unix.Kill(pid, unix.SIGKILL) == nil {
				var ws unix.WaitStatus
				_, _ = unix.Wait4(pid, &ws, 0, nil)
				killed++
			}
		}
		if killed == 0 {
			return
		}
	}
}

// HostImage is the image name that AlsoOnHost sends to the host runner.
const HostImage = "host"

// AlsoOnHost returns a runner that runs the image HostImage on this
// machine, with HostRunner, and every other image with r: the local copy
// can then be compared with the pristine releases both in clean images
// and where it actually crashes.
func AlsoOnHost(r Runner) Runner { return alsoHost{r} }

type alsoHost struct{ Runner }

func (a alsoHost) Run(ctx context.Context, s RunSpec) (Outcome, error) {
	if s.Image == HostImage {
		return HostRunner{}.Run(ctx, s)
	}
	return a.Runner.Run(ctx, s)
}

func (a alsoHost) Environment(image string) string {
	if image == HostImage {
		return HostImage
	}
	return a.Runner.Environment(image)
}
