package bisect

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Class is what happened when a binary was run once.
type Class string

const (
	ClassOK          Class = "ok"           // exit status 0
	ClassExit        Class = "exit"         // another exit status
	ClassSignal      Class = "signal"       // killed by a signal
	ClassTimeout     Class = "timeout"      // still running at the time limit
	ClassOOM         Class = "oom"          // killed for exceeding the memory limit
	ClassLoaderError Class = "loader-error" // ld.so refused: a library or symbol version missing
	ClassExecFailed  Class = "exec-failed"  // the kernel refused: interpreter missing, exec format error
	ClassNoRelease   Class = "no-release"   // the source has no such version
	ClassError       Class = "error"        // the runner could not run it at all
)

// Environmental reports whether the class is about the environment the
// binary ran in rather than about the program's own behaviour: the
// loader or kernel refused before the program's code ran.
func (c Class) Environmental() bool {
	return c == ClassLoaderError || c == ClassExecFailed
}

// Outcome is one run, classified.
type Outcome struct {
	Class    Class  `json:"class"`
	ExitCode int    `json:"exit_code"`
	Signal   string `json:"signal,omitempty"`
	// Detail is the loader's or kernel's complaint, or why the run failed.
	Detail   string        `json:"detail,omitempty"`
	Stdout   string        `json:"stdout,omitempty"`
	Stderr   string        `json:"stderr,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	// Bad is the verdict of the Criteria on this run.
	Bad bool `json:"bad"`
}

// Summary says the outcome in a few words, for tables.
func (o Outcome) Summary() string {
	switch o.Class {
	case ClassOK:
		return "ok"
	case ClassExit:
		return fmt.Sprintf("exit %d", o.ExitCode)
	case ClassSignal:
		return o.Signal
	case ClassLoaderError, ClassExecFailed, ClassNoRelease, ClassError, ClassOOM:
		if o.Detail != "" {
			return string(o.Class) + ": " + o.Detail
		}
	}
	return string(o.Class)
}

// Mount is an extra read-only bind mount.
type Mount struct {
	Source string `json:"source"`
	Target string `json:"target"`
}

// RunSpec is one run of one binary.
type RunSpec struct {
	Binary string   // path on this machine
	Name   string   // the file name the program sees as its own; default "app"
	Args   []string // arguments after the program name
	Image  string   // the Docker image; ignored by the host runner
	Mounts []Mount
	// Timeout bounds the run; zero means DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout is how long a run may take when RunSpec.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// OutputLimit is how much of each of stdout and stderr is kept.
const OutputLimit = 64 << 10

// A Runner runs a binary once. Its error is for trouble with the runner
// itself (the engine went away, the context was cancelled); everything the
// binary does, including failing to start, is in the Outcome.
type Runner interface {
	Run(ctx context.Context, s RunSpec) (Outcome, error)
	// Environment names where the binary runs, for reports.
	Environment(image string) string
}

var (
	// Compiled on first use: package-level regular expressions are
	// compiled at start-up by every command, bisect or not.
	loaderRe  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`error while loading shared libraries: ([^\n]*)`) })
	versionRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile("[^\\s:]+: version `[^']+' not found \\(required by [^)]*\\)")
	})
)

// classify turns an exit into an Outcome. status is the exit status, sig
// the signal that killed the process (0 if none).
func classify(status int, sig syscall.Signal, stdout, stderr string) Outcome {
	o := Outcome{ExitCode: status, Stdout: stdout, Stderr: stderr}
	switch {
	case sig != 0:
		o.Class, o.Signal = ClassSignal, signalName(sig)
	case status == 0:
		o.Class = ClassOK
	// ld.so exits 127 for a missing library but 1 for a missing symbol
	// version, so the status alone does not tell.
	case loaderRe().MatchString(stderr):
		o.Class, o.Detail = ClassLoaderError, strings.TrimSpace(loaderRe().FindStringSubmatch(stderr)[1])
	case versionRe().MatchString(stderr):
		o.Class, o.Detail = ClassLoaderError, versionRe().FindString(stderr)
	default:
		o.Class = ClassExit
	}
	return o
}

func signalName(sig syscall.Signal) string {
	if n := unix.SignalName(sig); n != "" {
		return n
	}
	return fmt.Sprintf("signal %d", int(sig))
}

// execFailure explains why the kernel would not start binary, for runners
// that only learn "no such file or directory" although the file is there:
// that is the kernel's word for a missing PT_INTERP target.
func execFailure(binary, runtimeMsg string) string {
	low := strings.ToLower(runtimeMsg)
	switch {
	case strings.Contains(low, "exec format error"):
		return "exec format error"
	case strings.Contains(low, "no such file or directory"):
		if _, err := os.Stat(binary); err != nil {
			return "the binary itself is missing: " + err.Error()
		}
		if f, err := elf.Open(binary); err == nil {
			defer f.Close()
			for _, p := range f.Progs {
				if p.Type != elf.PT_INTERP {
					continue
				}
				b := make([]byte, min(p.Filesz, 4096))
				if _, err := p.ReadAt(b, 0); err == nil {
					return "interpreter missing: " + string(bytes.TrimRight(b, "\x00"))
				}
			}
		}
		return "no such file or directory"
	case strings.Contains(low, "permission denied"):
		return "permission denied"
	}
	return strings.TrimSpace(runtimeMsg)
}

// limitedBuffer keeps the first n bytes written and drops the rest, so a
// chatty binary cannot fill memory.
type limitedBuffer struct {
	n         int
	buf       bytes.Buffer
	truncated bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	room := b.n - b.buf.Len()
	if room < len(p) {
		b.truncated = true
		if room > 0 {
			b.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *limitedBuffer) String() string {
	if b.truncated {
		return b.buf.String() + "\n[output truncated]"
	}
	return b.buf.String()
}
