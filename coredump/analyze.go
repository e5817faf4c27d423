package coredump

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
)

// Options control an analysis. The zero value is usable.
type Options struct {
	// Exe is the executable to use instead of the path NT_FILE names.
	Exe string
	// DebugDirs are where separate debug files are, as gdb's
	// debug-file-directory: each DIR is searched by build-id in
	// DIR/.build-id/xx/rest.debug and by .gnu_debuglink in DIR/<the
	// file's directory>/. An element may be a colon-separated list, or a
	// .build-id directory itself. Empty means /usr/lib/debug. The
	// directories in NIX_DEBUG_INFO_DIRS (Nix's convention) are searched
	// after them, and debuginfod last.
	DebugDirs []string
	// CacheDir holds debuginfod downloads; empty means elfdoctor's
	// directory under the XDG cache directory.
	CacheDir string
	// Getenv reads DEBUGINFOD_URLS and XDG_CACHE_HOME; nil means the
	// real environment.
	Getenv     func(string) string
	HTTPClient *http.Client
	// NoCheck skips running loader.Check on the executable.
	NoCheck bool
	// Root is the file system the process ran in (a container's or a
	// chroot's root, as gdb's sysroot): the paths the core names are
	// read under it, its usr/lib/debug is searched first, and the
	// executable is checked against it. Empty means /.
	Root string
	// Journalctl and Coredumpctl are the programs AnalyzeJournal runs;
	// empty means the ones in PATH.
	Journalctl, Coredumpctl string

	// journal is the systemd-coredump entry the core was found by, which
	// dates the crash for looking up a signal's sender.
	journal *JournalEntry
}

// Analysis is everything Analyze found, in the order a report shows it.
type Analysis struct {
	Core    string   `json:"core"`
	Machine string   `json:"machine"`
	Process Process  `json:"process"`
	Signal  *Siginfo `json:"signal,omitempty"`
	// SignalName is e.g. "SIGSEGV", CodeName e.g. "SEGV_ACCERR".
	SignalName string       `json:"signal_name,omitempty"`
	CodeName   string       `json:"code_name,omitempty"`
	Auxv       AuxvInfo     `json:"auxv"`
	Crash      Crash        `json:"crash"`
	Fault      *Fault       `json:"fault,omitempty"`
	Threads    []ThreadInfo `json:"threads"`
	Modules    []*Module    `json:"modules"`
	// Check is the loader-view finding on the executable that explains
	// the crash, when the executable could be checked.
	Check *loader.Finding `json:"check,omitempty"`
	// Journal is what systemd-coredump recorded about the crash, when
	// the core was found through the journal.
	Journal  *JournalEntry `json:"journal,omitempty"`
	Warnings []string      `json:"warnings,omitempty"`
}

// AuxvInfo is the part of the auxiliary vector the analysis uses.
type AuxvInfo struct {
	Base   uint64 `json:"at_base"`
	Entry  uint64 `json:"at_entry"`
	Phdr   uint64 `json:"at_phdr"`
	Execfn string `json:"at_execfn,omitempty"`
}

// ThreadInfo is one thread with its unwound stack.
type ThreadInfo struct {
	Pid      int     `json:"pid"`
	Faulting bool    `json:"faulting,omitempty"`
	Frames   []Frame `json:"frames"`
}

type analyzer struct {
	ctx     context.Context
	opts    Options
	core    *Core
	modules []*Module
	res     *Analysis
	// inflated is what the compressed sections of the files opened so
	// far may inflate to, against inflateBudget.
	inflated uint64
	// deadServers are debuginfod servers that stalled or failed to
	// connect; they are not asked again during this analysis.
	deadServers map[string]bool
}

func (a *analyzer) getenv(k string) string {
	if a.opts.Getenv != nil {
		return a.opts.Getenv(k)
	}
	return os.Getenv(k)
}

func (a *analyzer) warn(s string) { a.res.Warnings = append(a.res.Warnings, s) }

// Analyze opens the core at path (compressed or not) and explains the
// crash.
func Analyze(ctx context.Context, path string, opts Options) (res *Analysis, err error) {
	c, err := OpenContext(ctx, path)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	res, err = AnalyzeCore(ctx, c, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}

// AnalyzeCore explains the crash in an opened core.
func AnalyzeCore(ctx context.Context, c *Core, opts Options) (res *Analysis, err error) {
	defer catchPanic(&err, "analyse core")
	if ctx == nil {
		ctx = context.Background()
	}
	a := &analyzer{ctx: ctx, opts: opts, core: c}
	c.root = opts.Root
	a.res = &Analysis{Core: c.Path, Machine: c.Machine.String(), Process: c.Process, Signal: c.Signal,
		Auxv: AuxvInfo{Base: c.Auxv.Base, Entry: c.Auxv.Entry, Phdr: c.Auxv.Phdr}}
	if c.Auxv.Execfn != 0 {
		a.res.Auxv.Execfn, _ = c.CString(c.Auxv.Execfn, 4096)
	}
	defer func() {
		for _, m := range a.modules {
			m.close()
		}
	}()
	a.buildModules()
	a.res.Modules = a.modules
	for _, m := range a.modules {
		if m.Mismatch != "" {
			a.warn(m.Mismatch)
		}
	}
	if c.Signal != nil {
		a.res.SignalName, a.res.CodeName = signalName(c.Signal.Signo), codeName(c.Signal.Signo, c.Signal.Code)
	} else if len(c.Threads) > 0 && c.Threads[0].Signal != 0 {
		a.res.SignalName = signalName(c.Threads[0].Signal)
	}
	a.warnTruncated()
	for i, t := range c.Threads {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c.cutReads = 0
		frames := a.unwind(t)
		a.res.Threads = append(a.res.Threads, ThreadInfo{Pid: t.Pid, Faulting: i == 0, Frames: frames})
		if c.cutReads > 0 {
			a.warnCutFrames(t.Pid, frames)
		}
	}
	c.cutReads = 0
	// A signal a process sent interrupted whatever instruction was next:
	// there is no faulting instruction to decode.
	if !c.Signal.sent() {
		a.res.Fault = a.decodeFault(c.Threads[0])
		if c.cutReads > 0 && a.res.Fault.Instruction == "" {
			a.warn(fmt.Sprintf("the memory at the faulting PC %#x is cut from the truncated core: the instruction is not decoded", a.res.Fault.PC))
		}
	}
	a.classify()
	return a.res, nil
}

// exePath is the executable on disk: --exe, else the module AT_PHDR or
// AT_ENTRY lies in, else AT_EXECFN.
func (a *analyzer) exePath() string {
	if a.opts.Exe != "" {
		return a.opts.Exe
	}
	for _, m := range a.modules {
		if m.Executable {
			return m.Path
		}
	}
	if p := a.res.Auxv.Execfn; p != "" && filepath.IsAbs(p) {
		return p
	}
	return ""
}

func (a *analyzer) exeModule() *Module {
	for _, m := range a.modules {
		if m.Executable {
			return m
		}
	}
	return nil
}
