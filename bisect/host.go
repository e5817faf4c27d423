package bisect

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// HostRunner runs binaries on this machine, as this user. It isolates
// nothing: no network or file-system separation, only a time limit and a
// process group killed at the end. Use it where no Docker engine is
// available, on binaries you would run anyway.
type HostRunner struct{}

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
	cmd := exec.CommandContext(rctx, bin, s.Args...)
	cmd.Dir = "/"
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
