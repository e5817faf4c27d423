package loader

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	securejoin "github.com/cyphar/filepath-securejoin"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/internal/safeopen"
)

// Severity of a check finding.
type Severity string

const (
	SeverityFatal   Severity = "fatal"   // the program will not reach main
	SeverityWarning Severity = "warning" // the loader complains or may misbehave
	SeverityNote    Severity = "note"    // unusual, handled by the loader
)

// Stage is the step of program start-up a finding belongs to, in the
// order the kernel and ld.so perform them.
type Stage string

const (
	StageKernel   Stage = "kernel"
	StageMapping  Stage = "mapping"
	StageStartup  Stage = "ld.so startup"
	StageDeps     Stage = "dependencies"
	StageVersions Stage = "versions"
	StageReloc    Stage = "relocation"
	// StageInit is the initialisers ld.so and libc call after relocation
	// and before main (DT_PREINIT_ARRAY, DT_INIT, DT_INIT_ARRAY).
	StageInit Stage = "initialisers"
	// StageExit is after main: the finalisers run at exit (DT_FINI_ARRAY,
	// DT_FINI).
	StageExit Stage = "exit"
	// StageRuntime is after main: an embedded runtime (Bun, Node.js SEA,
	// Deno) looking for the application it carries.
	StageRuntime Stage = "runtime"
)

// Outcome is what check predicts will happen when the file is executed.
type Outcome string

const (
	OutcomeStarts      Outcome = "starts"       // reaches the program's entry point
	OutcomeExecFails   Outcome = "exec-fails"   // execve returns an error; nothing runs
	OutcomeLoaderError Outcome = "loader-error" // ld.so prints an error and exits (127; 1 after version errors)
	OutcomeCrash       Outcome = "crash"        // killed by a signal before main, or in an embedded runtime's start-up
	// OutcomeExitCrash: main runs, and the process is killed by a signal
	// at exit, in a finaliser (DT_FINI_ARRAY, DT_FINI).
	OutcomeExitCrash Outcome = "crash-at-exit"
	// OutcomeBareRuntime: the loader starts the program, but the embedded
	// runtime does not find its application and runs as itself (bun's or
	// node's own command line).
	OutcomeBareRuntime  Outcome = "bare-runtime"
	OutcomeRuntimeFails Outcome = "runtime-fails" // the embedded runtime stops with an error
	// OutcomeDlopenFails: a shared library that dlopen refuses to load;
	// Message is what dlerror() returns.
	OutcomeDlopenFails Outcome = "dlopen-fails"
	// OutcomeFirstCall: the loader starts the program, and ld.so stops
	// it when a lazily bound function is first called (_dl_fixup): exit
	// 127 with "symbol lookup error", or a signal. Whether that call
	// comes before or after the program's own first output is the
	// program's business, which check does not replay.
	OutcomeFirstCall Outcome = "fails-at-first-call"
	// OutcomeUndetermined: the replay reaches a read ld.so makes whose
	// result does not come from the files (memory past one of its own
	// allocations), or code entered where it was not built to start, so
	// it cannot say what happens; Possible lists the outcomes still open.
	// The file is damaged all the same.
	OutcomeUndetermined Outcome = "undetermined"
	// OutcomeExitsEarly: the program exits with status 0 without
	// main's output: its own code called something else than it was
	// linked to (a damaged relocation), which ended the process, or ran
	// on bytes other than those linked there (displaced.go) and printed
	// something else. Only an undetermined prediction lists it, among
	// its possible outcomes.
	OutcomeExitsEarly Outcome = "exits-early"
	// OutcomeHangs: ld.so blocks before main and does not go on by
	// itself: a candidate on the library path is a named pipe, and
	// open(2) of a FIFO waits for a writer. Among an undetermined
	// finding's Possible, a process that does not end by itself.
	OutcomeHangs Outcome = "hangs"
)

// openBeforeMain is what may follow a step before main that the files do
// not decide, where the replay stops: ld.so may stop with an error or
// crash, or go on and start a program whose later steps and remaining
// damage are not replayed, which can then do whatever a started program
// can (fail at a first call, crash at exit, end early, never end).
// openInDlopen is what a library dlopen loads may still do when a read
// is open: load, fail dlopen, crash inside it, or load and then crash at
// exit or fail at a lazily bound call, in its finalisers or in a call the
// process makes.
func openInDlopen() []Outcome {
	return []Outcome{OutcomeStarts, OutcomeDlopenFails, OutcomeCrash, OutcomeExitCrash, OutcomeFirstCall, OutcomeHangs}
}

func openBeforeMain() []Outcome {
	return []Outcome{OutcomeStarts, OutcomeLoaderError, OutcomeCrash, OutcomeFirstCall, OutcomeExitCrash, OutcomeExitsEarly, OutcomeHangs}
}

// Finding is one thing check found, in plain words with its evidence.
type Finding struct {
	Severity Severity `json:"severity"`
	Stage    Stage    `json:"stage"`
	Code     string   `json:"code"`
	Object   string   `json:"object"` // the file it is about
	Summary  string   `json:"summary"`
	Evidence []string `json:"evidence,omitempty"`
	// Outcome and Message are the predicted result of a fatal finding:
	// the loader's own message where it prints one, or the signal.
	Outcome Outcome `json:"outcome,omitempty"`
	Message string  `json:"message,omitempty"`
	Signal  string  `json:"signal,omitempty"`
	// ExitStatus is the loader's exit status for a loader error: 127 when
	// ld.so stops at once, 1 after version errors, which it reports all
	// of before exiting. 0 means not predicted.
	ExitStatus int `json:"exit_status,omitempty"`
	// Continues marks a fatal error after which ld.so goes on checking
	// (a version error): more findings of the same step follow it, and
	// a later error that stops ld.so at once decides the outcome.
	Continues bool `json:"continues,omitempty"`
	// Possible is, for an undetermined finding, the outcomes the replay
	// still considers possible after the read it cannot know.
	Possible []Outcome `json:"possible,omitempty"`
	Next     string    `json:"next,omitempty"`
}

// CheckOptions set the environment the prediction is made for.
type CheckOptions struct {
	// Root is the directory treated as / when looking for the
	// interpreter and libraries. Empty means "/".
	Root string
	// Dir is the working directory the program is started from, inside
	// Root: the kernel and ld.so resolve a relative path (a PT_INTERP of
	// "lib64/ld-linux-x86-64.so.2", an LD_LIBRARY_PATH entry "lib")
	// against it. Empty means elfdoctor's own working directory without
	// Root, and Root's / with one.
	Dir string
	// Executed says the file is run as a program (execve) even when its
	// headers look like a shared library's (ET_DYN without PT_INTERP,
	// and no DF_1_PIE), which is otherwise checked as dlopen loads it.
	Executed bool
	// LibraryPath is LD_LIBRARY_PATH, already split.
	LibraryPath []string
	// Getenv reads NIX_LD and NIX_LD_LIBRARY_PATH for nix-ld shims, and
	// LD_BIND_NOW and LD_WARN as ld.so reads them; nil means the real
	// environment.
	Getenv func(string) string
	// Trace records the walk the way LD_DEBUG=versions,libs,reloc would print it.
	Trace bool
	// LoadedBy is the program into whose process the file is loaded
	// with dlopen: its loader, libraries and RPATH are the ones the
	// library meets. Empty means a process that runs the system's ld.so
	// and libc, for a file whose headers look like a library's. Set, the
	// file is checked as dlopen loads it whatever its headers say (dlopen
	// refuses a position-independent executable and an ET_EXEC), unless
	// Executed is set too.
	LoadedBy string
	// Loader, when set, is the host path of a loader the program is
	// started with as a command, `LOADER --library-path DIRS FILE`: the
	// kernel runs the loader, which never reads PT_INTERP, and nix-ld's
	// variables play no part; ld.so opens and maps the program as it
	// does a library (open_verify, _dl_map_object_from_fd), an ET_EXEC
	// allowed. FILE is taken as a path: ld.so would search for a bare
	// name as for a library. LibraryPath is then --library-path, which
	// rtld.c puts in the slot LD_LIBRARY_PATH would fill (the environment
	// variable is ignored).
	Loader string
}

// CheckResult is the prediction for one file.
type CheckResult struct {
	Path    string  `json:"path"`
	Root    string  `json:"root"`
	Outcome Outcome `json:"outcome"`
	// Possible is set when Outcome is undetermined: the outcomes the
	// replay could not rule out.
	Possible []Outcome `json:"possible,omitempty"`
	Headline string    `json:"headline"`
	Findings []Finding `json:"findings"`
	Objects  []Object  `json:"objects,omitempty"`
	Trace    []string  `json:"trace,omitempty"`
	// Runtime is the embedded runtime, when the file carries one.
	Runtime *inspect.Runtime `json:"runtime,omitempty"`
	// Dlopen says the file was checked as dlopen loads it into a
	// running process (a shared library), not as a program exec'd:
	// OutcomeStarts is then dlopen returning it loaded.
	Dlopen bool `json:"dlopen,omitempty"`
}

// Object is a file ld.so would load, in load order.
type Object struct {
	Name   string `json:"name"`                // as named by DT_NEEDED or PT_INTERP
	Path   string `json:"path,omitempty"`      // where it was found, under Root
	Via    string `json:"via,omitempty"`       // RPATH, LD_LIBRARY_PATH, RUNPATH, ld.so.cache, default path
	Needed string `json:"needed_by,omitempty"` // the object whose DT_NEEDED named it
	Found  bool   `json:"found"`
	Soname string `json:"soname,omitempty"`
	Glibc  string `json:"glibc_build,omitempty"` // for the loader and libc.so.6
}

// Fatal returns the fatal finding that decides the outcome, or nil: the
// first one that stops the loader at once, or else the first of the
// errors it reports and goes on after (version errors).
func (r *CheckResult) Fatal() *Finding {
	var first *Finding
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Severity != SeverityFatal {
			continue
		}
		if !f.Continues {
			return f
		}
		if first == nil {
			first = f
		}
	}
	return first
}

type checker struct {
	opts CheckOptions
	pool *filePool // the files opened, until the check ends
	// firstCallRel are the relocations whose first call the replay
	// found failing (firstCalls).
	firstCallRel []reloc
	// named maps a host path under --root that links led to back to
	// the path ld.so opened (underRoot, shown).
	named map[string]string
	res   *CheckResult
	f     *inspect.File
	path  string
	dyn   *inspect.Dynamic
	stop  bool // a fatal finding ends the replay, as it ends the real start-up
	// underEmulator is the binfmt_misc interpreter that runs a foreign
	// program, "" when the kernel runs it natively.
	underEmulator string
	// dlopen is set for a shared library, checked as dlopen loads it into
	// a process running the system's ld.so and libc: errors are dlopen's
	// (the first one fails it, version errors included).
	dlopen bool
	loaded []*loadedObj
	// rtldAt is how many objects were loaded when a DT_NEEDED first named
	// ld.so (rtldNeeded): _dl_map_object_deps puts it in the search list
	// there, behind libc, though it was mapped first.
	rtldAt     int
	rtldNeeded bool
	// rtldID is the running ld.so's file; ldCopy is a second copy of it,
	// mapped because a DT_NEEDED found that file under a name ld.so
	// does not answer to (it gives itself no file id), and
	// ldCopyFirst says the copy entered the search list before ld.so.
	rtldID      fileID
	ldCopy      *loadedObj
	ldCopyFirst bool
	// realNames maps the host path of each file search found to the
	// name ld.so opened it by (loadedObj.realName).
	realNames map[string]string
	// li is the modelled ld.so, once dependencies has found it; info is
	// the program's l_info (dyninfo.go).
	li   *loaderInfo
	info *lInfo
	gm   *glibcModel
	// libcMapped is set once a library named libc.so.6 by its DT_SONAME
	// is mapped (GL(dl_ns)[].libc_map).
	libcMapped bool
	// libcIsProgram: the program's DT_SONAME is libc.so.6, and ld.so
	// takes it for the namespace's libc (search.go).
	libcIsProgram bool
	// order is the main map's l_initfini as indices of loaded, once
	// initfini has sorted it.
	order []int
	// ident is EI_CLASS and EI_DATA as the file has them; f is read with
	// the kernel's, which may differ (openAsKernel).
	ident [2]byte
	// mainTLS is the program's PT_TLS as rtld reads it (mainMap).
	mainTLS *mainTLS
	// execOnly is set when they differ: ld.so refuses such an ident, so
	// the file is checked as executed even if it looks like a library.
	execOnly bool
	// interpHost is where the kernel found the interpreter; "" when the
	// kernel runs the program without one.
	interpHost string
	// kf is the program as the kernel mapped it, when ld.so addresses it
	// at another load address (mainMap); f is then ld.so's view.
	kf *inspect.File
	// rtldName is where ld.so reads its own name: PT_INTERP's p_vaddr
	// in the headers it read (mainMap).
	rtldName uint64
	// rtldNameSet: mainMap found it (a --loaded-by host's replay skips
	// that step).
	rtldNameSet bool
	// phdrFault is a failed read of the program's headers at l_phdr, for
	// a program ld.so maps as its command. From glibc 2.33
	// _dl_map_object_from_fd reads them after elf_get_dynamic_info and
	// before _dl_setup_hash (phdrAgain); before 2.33 dl_main is the
	// first to, after both. startup reports it at that point.
	phdrFault *Finding
	reloc     *relocator // the relocation replay, kept for the lazy bindings at first call
	// dataFault is the program's first read of its constants or data
	// faulting (programData), held until the first calls are judged:
	// main may make a failing one before that read.
	dataFault *Finding
	// hostScope: the process a library is dlopen'ed into is replayed
	// (--loaded-by), so its global scope, where the library's symbols
	// are looked up first, is known.
	hostScope bool
	// hostObjs and hostInterp are hostProcess's result once hostDone.
	hostObjs   []*loadedObj
	hostInterp string
	hostDone   bool
	// dlopenRef memoises dlopenHost, which opens --loaded-by's program.
	dlopenRef *dlopenRefMemo
	// oracles are the function-start oracles of the objects a control
	// transfer was judged in (funcstart.go).
	oracles map[*inspect.File]*funcOracle
}

func (c *checker) add(f Finding) {
	if f.Object == "" {
		f.Object = c.path
	}
	if c.dlopen && f.Outcome == OutcomeLoaderError && !strings.HasPrefix(f.Message, "Inconsistency detected by ld.so") {
		// dlopen returns NULL at the first error, with this message from
		// dlerror(); the process decides what happens next. An assertion
		// of ld.so's is no error it signals: it ends the process (exit
		// 127), inside dlopen as at start-up.
		f.Outcome, f.Continues, f.ExitStatus = OutcomeDlopenFails, false, 0
		// rtld's own words for a fatal error ("error while loading
		// shared libraries", "symbol lookup error") are not dlerror()'s:
		// that is the object's name and the error.
		f.Message = strings.TrimPrefix(f.Message, c.path+": ")
		for _, rtld := range []string{"error while loading shared libraries: ", "symbol lookup error: "} {
			f.Message = strings.TrimPrefix(f.Message, rtld)
		}
	}
	c.res.Findings = append(c.res.Findings, f)
	if f.Severity == SeverityFatal && !f.Continues {
		c.stop = true
	}
}

// killedAfterCommit is a kernel failure after begin_new_exec: the old
// program is gone, so the kernel can only kill the process.
func killedAfterCommit(code, summary string, ev []string, next string) Finding {
	return Finding{Severity: SeverityFatal, Stage: StageKernel, Code: code, Summary: summary,
		Evidence: ev, Outcome: OutcomeCrash, Signal: "SIGSEGV",
		Message: "the kernel kills the process with SIGSEGV after it has committed to the new program",
		Next:    next}
}

func (c *checker) trace(format string, args ...any) {
	if c.opts.Trace {
		c.res.Trace = append(c.res.Trace, fmt.Sprintf(format, args...))
	}
}

// Check predicts what the kernel and ld.so will do when path is executed,
// replaying their steps in order without running anything. It returns an
// error only when path cannot be read at all.
func Check(path string, opts CheckOptions) (res *CheckResult, err error) {
	if opts.Root == "" {
		opts.Root = "/"
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	// The kernel reads an executable's headers by its e_machine, not by
	// EI_CLASS and EI_DATA; ld.so's open_verify checks both and refuses a
	// library whose ident is not its own, so such a file is only ever
	// executed, whatever its headers look like.
	if opts.Loader != "" {
		// ld.so, not the kernel, opens the program, by its ident.
		if res, refused := commandRefused(path, opts); refused {
			return res, nil
		}
	} else if opts.LoadedBy != "" && !opts.Executed {
		// So does dlopen, before it reads anything else: headers it
		// cannot read are its refusal, not the kernel's.
		if res, refused := dlopenRefused(path, opts); refused {
			return res, nil
		}
	}
	if opts.Loader == "" {
		if kf, closer, found, kerr := openAsKernel(path); kerr == nil && kf != nil {
			defer closer.Close()
			hostMemory(kf)
			return checkFileIdent(kf, path, opts, found), nil
		}
	}
	f, err := openELF(path)
	if err != nil {
		if errors.Is(err, inspect.ErrNotELF) {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		var fe *inspect.FormatError
		if !errors.As(err, &fe) {
			return nil, err
		}
		// Unreadable headers are a finding, not an I/O error: the
		// kernel refuses such a file.
		res = &CheckResult{Path: path, Root: opts.Root}
		c := &checker{opts: opts, res: res, path: path, dlopen: opts.Loader == "" && opts.LoadedBy != "" && !opts.Executed}
		if opts.Loader != "" || c.dlopen {
			c.unreadableHeaders(fe)
			res.Dlopen = c.dlopen
			res.finish()
			return res, nil
		}
		fd := Finding{Severity: SeverityFatal, Stage: StageKernel, Code: "bad-headers",
			Summary:  "the ELF or program headers cannot be read, so the kernel refuses the file",
			Evidence: []string{fe.Error()}, Outcome: OutcomeExecFails, Message: "Exec format error",
			Next: "the file is truncated or damaged: download it again and compare with `elfdoctor diff`"}
		if typeIsDyn(path) {
			// ET_DYN is a PIE's type and a library's: what would tell
			// them apart (PT_INTERP, DF_1_PIE) is in the headers that
			// cannot be read, so the file is judged as executed, and
			// the reader is told how to ask about loading it.
			fd.Evidence = append(fd.Evidence, "e_type is ET_DYN, a position-independent program's or a shared library's: the headers that would say which cannot be read, so this is what executing it does")
			fd.Next += "; if it is a shared library, `elfdoctor check --loaded-by PROGRAM FILE` says what loading it into PROGRAM does"
		}
		c.add(fd)
		res.finish()
		return res, nil
	}
	defer f.Close()
	return checkFile(f, path, opts), nil
}

func checkFile(f *inspect.File, path string, opts CheckOptions) (res *CheckResult) {
	return checkFileIdent(f, path, opts, [2]byte{byte(f.Class), byte(f.Data)})
}

// checkFileIdent checks a file whose e_ident holds the class and data
// encoding found, which differ from f's when the kernel reads the headers
// otherwise (openAsKernel).
func checkFileIdent(f *inspect.File, path string, opts CheckOptions, found [2]byte) (res *CheckResult) {
	res = &CheckResult{Path: path, Root: opts.Root, Findings: []Finding{}}
	c := &checker{opts: opts, res: res, f: f, path: path, ident: found}
	c.execOnly = found != [2]byte{byte(f.Class), byte(f.Data)}
	if c.execOnly && c.looksLibrary() {
		c.add(Finding{Severity: SeverityNote, Stage: StageKernel, Code: "ident-refused",
			Summary: fmt.Sprintf("the headers look like a shared library's (ET_DYN without PT_INTERP), but ld.so refuses the file's e_ident (EI_CLASS %d, EI_DATA %d), so no program can load it: what follows is what executing it does, with the headers read as the kernel reads them (by e_machine)", found[0], found[1]),
			Next:    "the ELF header was damaged: compare with the pristine file using `elfdoctor diff`"})
	}
	c.dlopen = c.isLibrary()
	if !c.dlopen && opts.Loader == "" {
		// Started as its loader's command, the program is mapped by
		// ld.so, as a library is, and the default image is that.
		f.MapAsKernel()
	}
	defer func() {
		c.closeAll()
		if r := recover(); r != nil {
			c.add(Finding{Severity: SeverityWarning, Stage: StageKernel, Code: inspect.CodeInternalError,
				Summary: fmt.Sprintf("elfdoctor could not finish the check: %v", r)})
		}
		c.rewriteNote()
		res.Dlopen = c.dlopen
		res.finish()
	}()
	for _, step := range []func(){c.kernel, c.mapping, c.mainMap, c.rtldSonameCompare, c.startup, c.loaderItself, c.rtldNameRead, c.dependencies, c.versions, c.prelink, c.staticTLS, c.isaLevel, c.relocations, c.rtldCopy, c.tlsImages, c.glibcMatch, c.entryCode, c.initialisers, c.firstCalls, c.payload, c.finalisers} {
		if c.stop {
			break
		}
		step()
	}
	// Relocation damage leaves values the program's code reads: it
	// decides over outcomes the replay put after that code.
	c.relocDamageFinding()
	// So do a slot bound to a function symbol outside the code, and code
	// and constants mapped from other bytes (boundcode.go, displaced.go).
	c.boundFinding()
	c.displacedFinding()
	return res
}

// rewriteNote adds to a prediction that something goes wrong the traces
// that a tool rewrote the file after linking (inspect.RewriteSigns): the
// damage found may be the rewrite's, not the vendor's, and the pristine
// file may start as it is. A note: nothing in it decides an outcome.
// "Interpreter in /nix/store" alone is how Nix builds programs.
func (c *checker) rewriteNote() {
	fd := c.res.Fatal()
	if c.f == nil || fd == nil || fd.Code == "interp-missing" {
		// (A missing interpreter already says what the rewrite did.)
		return
	}
	signs := inspect.RewriteSigns(c.f, c.dyn)
	if len(signs) == 0 || (len(signs) == 1 && strings.HasPrefix(signs[0], "interpreter is in /nix/store")) {
		return
	}
	c.res.Findings = append(c.res.Findings, Finding{Severity: SeverityNote, Stage: StageKernel, Code: "rewritten",
		Summary:  "the file was rewritten after it was linked (by patchelf or a similar tool): the damage above may be the rewrite's, not the vendor's",
		Evidence: signs,
		Next:     "check the pristine file the same way (`elfdoctor check PRISTINE`, `elfdoctor diff PRISTINE FILE`); if it is sound, start it without rewriting it: `elfdoctor fix` plans how"})
}

func (r *CheckResult) finish() {
	r.Outcome = OutcomeStarts
	what := "The loader is predicted to start this program"
	if r.Dlopen {
		what = "dlopen is predicted to load this library"
	}
	r.Headline = what + "."
	if f := r.Fatal(); f != nil {
		r.Outcome = f.Outcome
		r.Headline = f.Summary
		if f.Outcome == OutcomeUndetermined {
			r.Possible = f.Possible
		}
	} else if n := r.count(SeverityWarning); n > 0 {
		r.Headline = fmt.Sprintf("%s, with %d warning(s).", what, n)
	}
}

func (r *CheckResult) count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// underRoot maps a path inside the target system to the host; a relative
// one is taken from the working directory (CheckOptions.Dir) first.
// Symbolic links are followed the way the target system (or a chroot
// into it) follows them: an absolute link points into the root, not at
// the host's file of that name. Debian's /lib64/ld-linux-x86-64.so.2 is
// such a link; joined naively, a bullseye root checked on a bookworm host
// would borrow the host's loader. filepath-securejoin resolves with
// lstat and readlink only, so it never opens (or blocks on) a file.
func (c *checker) underRoot(p string) string {
	if c.opts.Dir != "" && !path.IsAbs(p) {
		p = path.Join(c.opts.Dir, p)
	}
	if c.opts.Root == "/" || c.opts.Root == "" {
		return p
	}
	lexical := filepath.Join(c.opts.Root, p)
	if j, err := securejoin.SecureJoin(c.opts.Root, p); err == nil {
		if j != lexical {
			if c.named == nil {
				c.named = map[string]string{}
			}
			if _, ok := c.named[j]; !ok {
				c.named[j] = lexical
			}
		}
		return j
	}
	return lexical
}

// shown is a host path as ld.so names the file in its messages: the
// path it opened (l_name), under the root, not where the root's links
// lead (bullseye's ld.so says /lib/x86_64-linux-gnu/libc.so.6, a link
// to /usr/lib/x86_64-linux-gnu/libc-2.31.so).
func (c *checker) shown(host string) string {
	if n, ok := c.named[host]; ok {
		return n
	}
	return host
}

// kernelAccepts says whether this kernel's binfmt_elf runs the file
// natively: an x86-64 kernel runs x86-64 and (in compat mode, see
// kernel32.go) i386; an arm64 kernel runs aarch64. Anything else goes to
// binfmt_misc.
func kernelAccepts(f *inspect.File) bool {
	if f.Data != elf.ELFDATA2LSB {
		return false
	}
	switch runtime.GOARCH {
	case "amd64":
		return (f.Machine == elf.EM_X86_64 && f.Class == elf.ELFCLASS64) || (f.Machine == elf.EM_386 && f.Class == elf.ELFCLASS32)
	case "arm64":
		return f.Machine == elf.EM_AARCH64 && f.Class == elf.ELFCLASS64
	}
	return false
}

// binfmt finds the binfmt_misc handler the kernel would use for the file.
func (c *checker) binfmt() *binfmtEntry {
	head := make([]byte, 256)
	fh, err := safeopen.Regular(c.path)
	if err != nil {
		return nil
	}
	defer fh.Close()
	n, _ := io.ReadFull(fh, head)
	return binfmtMatch(binfmtHandlers(), c.path, head[:n])
}

// kernel replays fs/binfmt_elf.c load_elf_binary up to the point where it
// hands control to the interpreter.
func (c *checker) kernel() {
	f := c.f
	if c.ident != [2]byte{byte(f.Class), byte(f.Data)} {
		c.add(Finding{Severity: SeverityNote, Stage: StageKernel, Code: "ident-not-read",
			Summary: fmt.Sprintf("e_ident gives class %s and data encoding %s, which neither the kernel nor ld.so reads for a program: the kernel reads the headers as %s %s by e_machine (%s)",
				elf.Class(c.ident[0]), elf.Data(c.ident[1]), f.Class, f.Data, f.Machine),
			Next: "a library with this e_ident would be refused by ld.so; compare with the pristine file using `elfdoctor diff`"})
	}
	if c.dlopen {
		// dlopen opens the library by its path with open_verify, in a
		// process that already runs: the kernel never sees it.
		if !c.dlopenVerify() {
			return
		}
	} else if c.opts.Loader == "" && !c.execHeaders() {
		return
	}
	page := inspect.PageSizeFor(f.Machine)
	if !c.dlopen {
		// dlopen never reads PT_INTERP: only the kernel does.
		c.interp()
	}
	if c.stop {
		return
	}
	// From here on the kernel has committed to the new program
	// (begin_new_exec): a failure kills the process with SIGSEGV.
	loads := f.ProgsOfType(elf.PT_LOAD)
	for _, p := range loads {
		ev := []string{fmt.Sprintf("program header %d at 0x%x: offset 0x%x, vaddr 0x%x, FileSiz %s, MemSiz %s, align 0x%x",
			p.Index, p.Off, p.Offset, p.Vaddr, inspect.SizeString(p.Filesz), inspect.SizeString(p.Memsz), p.Align)}
		if c.dlopen || c.opts.Loader != "" {
			// dlopen maps a library, and ld.so started as a command the
			// program, with ld.so's rules (mapping), not the kernel's.
			c.loadPastEOF(p, ev)
			continue
		}
		// Since Linux 6.7 elf_load maps a segment with no file bytes
		// as anonymous memory only (vm_brk_flags), never from the file:
		// its p_offset is not read (seed 9300012249). Before, elf_map
		// asked mmap for the file at p_offset all the same.
		anon := p.Filesz == 0
		if old, known := kernelBefore(6, 7); !known || old {
			anon = false
		}
		if !anon && p.Offset%page != p.Vaddr%page {
			c.add(killedAfterCommit("load-misaligned", fmt.Sprintf("PT_LOAD %d is misaligned: p_offset and p_vaddr differ modulo the page size (0x%x), so mmap fails", p.Index, page),
				ev, "the segment table was damaged by a rewrite: compare with the pristine file using `elfdoctor diff`"))
			return
		}
		if why := c.beyondTaskSize(p, loads); why != "" {
			c.add(killedAfterCommit("load-beyond-task-size", fmt.Sprintf("PT_LOAD %d does not fit in a process's address space: %s", p.Index, why),
				ev, "the segment table was damaged: compare with the pristine file using `elfdoctor diff`"))
			return
		}
		if why := c.offsetUnmappable(p, loads); why != "" && !anon {
			c.add(killedAfterCommit("load-offset-unmappable", fmt.Sprintf("PT_LOAD %d cannot be mapped from its file offset: %s", p.Index, why),
				ev, "the segment table was damaged: compare with the pristine file using `elfdoctor diff`"))
			return
		}
		if p.Filesz > p.Memsz {
			c.add(Finding{Severity: SeverityFatal, Stage: StageKernel, Code: "filesz-gt-memsz",
				Summary:  fmt.Sprintf("PT_LOAD %d has FileSiz larger than MemSiz", p.Index),
				Evidence: ev, Outcome: OutcomeCrash, Signal: "SIGSEGV",
				Message: "the kernel refuses the mapping after the point of no return",
				Next:    "the segment table was damaged: compare with the pristine file using `elfdoctor diff`"})
			return
		}
		// Before it returns, the kernel clears the rest of the last file
		// page of a segment with zero-fill (padzero in elf_load). When
		// that page lies wholly past the end of a truncated file the
		// write faults, and exec fails after the point of no return:
		// the process dies with SIGSEGV before ld.so runs. Linux
		// ignores the fault for segments that are not writable.
		if p.Memsz > p.Filesz && p.Filesz > 0 && p.Flags&elf.PF_W != 0 && (p.Vaddr+p.Filesz)%page != 0 {
			if end, ok := addNoOverflow(p.Offset, p.Filesz); !ok || end&^(page-1) >= uint64(f.Size()) {
				c.add(Finding{Severity: SeverityFatal, Stage: StageKernel, Code: "zero-fill-past-eof",
					Summary: fmt.Sprintf("PT_LOAD %d ends past the end of the file (size %s), on a page the kernel must clear before the zero-fill: the clearing faults and exec fails after the point of no return",
						p.Index, inspect.SizeString(uint64(f.Size()))),
					Evidence: append(ev, fmt.Sprintf("the page at file offset 0x%x, which holds the segment's last file byte, is past the end of the file", end&^(page-1))),
					Outcome:  OutcomeCrash, Signal: "SIGSEGV",
					Message: "the kernel kills the process with SIGSEGV before ld.so runs",
					Next:    "the file is truncated: download it again, and compare sizes with the pristine file"})
				return
			}
		}
		if n := zeroFillPages(p, page); n > 0 {
			if limit, why := commitLimit(); limit > 0 && n > limit {
				c.add(killedAfterCommit("zero-fill-too-large", fmt.Sprintf("PT_LOAD %d asks for %s of zero-fill, more than this machine lets one mapping commit: the kernel's vm_brk fails with ENOMEM after the point of no return", p.Index, inspect.HumanSize(n)),
					append(ev, why), "the segment's MemSiz was damaged: compare with the pristine file using `elfdoctor diff`"))
				return
			}
		}
		c.loadPastEOF(p, ev)
	}
	// Without an interpreter the kernel starts the program at its entry
	// point itself, PT_LOADs or not (load_elf_binary refuses neither).
	if c.interpHost == "" && c.underEmulator == "" && !c.isLibrary() {
		c.entry("the kernel starts the program there: it has no PT_INTERP")
		if c.stop {
			return
		}
		c.unrelocatedStart()
		if c.stop {
			return
		}
	}
	for _, p := range f.ProgsOfType(elf.PT_GNU_STACK) {
		if p.Flags&elf.PF_X != 0 {
			c.add(Finding{Severity: SeverityNote, Stage: StageKernel, Code: "exec-stack",
				Summary: "PT_GNU_STACK asks for an executable stack; recent glibc refuses to dlopen such libraries"})
		}
	}
}

// execHeaders replays load_elf_binary's checks of the ELF header and the
// program header table, before it reads PT_INTERP; false when the kernel
// stops there (or hands the file to binfmt_misc, whose run is replayed).
func (c *checker) execHeaders() bool {
	f := c.f
	nexec := "`elfdoctor inspect` shows the headers; compare with the pristine file using `elfdoctor diff`"
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		c.add(Finding{Severity: SeverityFatal, Stage: StageKernel, Code: "not-executable",
			Summary: fmt.Sprintf("the file is of type %s, which the kernel does not execute", f.Type),
			Outcome: OutcomeExecFails, Message: "Exec format error", Next: nexec})
		return false
	}
	if !kernelAccepts(f) {
		// binfmt_elf refuses the file; the kernel then asks binfmt_misc,
		// where qemu-user registers itself for foreign machines.
		if e := c.binfmt(); e != nil {
			if _, err := os.Stat(e.interpreter); err != nil {
				c.add(Finding{Severity: SeverityFatal, Stage: StageKernel, Code: "binfmt-interpreter-missing",
					Summary: fmt.Sprintf("the file is for %s; binfmt_misc handler %s would run it with %s, which does not exist", f.Machine, e.name, e.interpreter),
					Outcome: OutcomeExecFails, Message: "No such file or directory",
					Next: "reinstall the emulator (qemu-user-binfmt or qemu-user-static), or remove the stale binfmt_misc entry"})
				return false
			}
			c.add(Finding{Severity: SeverityNote, Stage: StageKernel, Code: "binfmt-misc",
				Summary:  fmt.Sprintf("the file is for %s, which this kernel does not run natively: binfmt_misc handler %s runs it under %s", f.Machine, e.name, e.interpreter),
				Evidence: []string{fmt.Sprintf("%s/%s matches the file's first bytes", binfmtDir, e.name)},
				Next:     "the rest of this prediction replays the program's own loader as the emulator will run it; the emulator's own behaviour is not modelled"})
			c.underEmulator = e.interpreter
			c.interp()
			return false
		}
		c.add(Finding{Severity: SeverityFatal, Stage: StageKernel, Code: "wrong-machine",
			Summary: fmt.Sprintf("the file is for %s (%s, %s), which this %s kernel does not run", f.Machine, f.Class, f.Data, runtime.GOARCH),
			Outcome: OutcomeExecFails, Message: "Exec format error",
			Evidence: []string{"no enabled binfmt_misc handler matches it (" + binfmtDir + ")"},
			Next:     "run it on a matching machine, or under qemu-user (qemu-user-binfmt registers it with binfmt_misc)"})
		return false
	}
	if f.Machine == elf.EM_386 && f.Class == elf.ELFCLASS32 {
		if ok, known, _ := kernelRunsI386(); known && !ok {
			c.add(Finding{Severity: SeverityFatal, Stage: StageKernel, Code: "no-ia32",
				Summary:  "this kernel does not run 32-bit x86 programs (no IA32 emulation)",
				Evidence: []string{"a 93-byte i386 program that only calls exit(0) was refused with ENOEXEC on this machine"},
				Outcome:  OutcomeExecFails, Message: "Exec format error",
				Next: "run it on a kernel with IA32 emulation (CONFIG_IA32_EMULATION, not booted with ia32_emulation=0), or use a 64-bit build"})
			return false
		}
	}
	if f.Phentsize != f.PhdrSize() {
		c.add(Finding{Severity: SeverityFatal, Stage: StageKernel, Code: "bad-phentsize",
			Summary: fmt.Sprintf("e_phentsize is %d, not %d: the kernel refuses the program headers", f.Phentsize, f.PhdrSize()),
			Outcome: OutcomeExecFails, Message: "Exec format error", Next: nexec})
		return false
	}
	// load_elf_phdrs reads the whole table in one go, and refuses one of
	// no entries or of more than 64 KiB, and before Linux 6.17 one of
	// more than a page (ELF_MIN_ALIGN). e_phnum is taken as it is: the
	// kernel does not follow PN_XNUM.
	phnum, err := rawPhnum(f)
	if err != nil {
		phnum = f.Phnum
	}
	page := inspect.PageSizeFor(f.Machine)
	limit, why := uint64(65536), "64 KiB"
	if old, known := kernelBefore(6, 17); known && old {
		limit, why = page, "a page, on this kernel before Linux 6.17"
	}
	if size := uint64(phnum) * uint64(f.Phentsize); size == 0 || size > limit {
		c.add(Finding{Severity: SeverityFatal, Stage: StageKernel, Code: "bad-phnum",
			Summary: fmt.Sprintf("%d program headers (%d bytes): the kernel reads 1 to %d bytes of them (%s)", phnum, size, limit, why),
			Outcome: OutcomeExecFails, Message: "Exec format error", Next: nexec})
		return false
	}
	return true
}

// loadPastEOF warns of a PT_LOAD whose file bytes reach past the end of
// the file: a fault only where something reads them.
func (c *checker) loadPastEOF(p *inspect.Prog, ev []string) {
	if end, ok := addNoOverflow(p.Offset, p.Filesz); !ok || end > uint64(c.f.Size()) {
		c.add(Finding{Severity: SeverityWarning, Stage: StageKernel, Code: "load-past-eof",
			Summary:  fmt.Sprintf("PT_LOAD %d reaches past the end of the file (size %s): the pages beyond it raise SIGBUS when touched", p.Index, inspect.SizeString(uint64(c.f.Size()))),
			Evidence: ev, Next: "the file is truncated: download it again"})
	}
}

// interp checks PT_INTERP as the kernel reads it and opens the file.
func (c *checker) interp() {
	f := c.f
	interp, has, errno, why := kernelInterp(f)
	if c.opts.Loader != "" {
		interp, has, errno, why = c.opts.Loader, true, 0, ""
	}
	if !has {
		// The kernel starts such a program at its own entry point, and
		// nothing loads its libraries or relocates it (a PIE too).
		if d, _ := f.Dynamic(); d != nil && !c.isLibrary() && len(d.Needed) > 0 {
			c.add(Finding{Severity: SeverityFatal, Stage: StageKernel, Code: "no-interp",
				Summary: "the executable needs shared libraries but has no PT_INTERP: nothing will load them",
				Outcome: OutcomeCrash, Signal: "SIGSEGV", Message: "crashes at the first call into a library"})
		}
		return
	}
	if errno != 0 {
		sum := "PT_INTERP is malformed, so the kernel refuses the file"
		next := "restore the interpreter with the pristine file, or run the loader directly: `LOADER --library-path DIRS FILE`"
		if errno == syscall.EIO {
			sum = "the kernel cannot read the interpreter's name: PT_INTERP lies past the end of the file, and the short read fails exec with EIO"
			next = "the file is truncated (or PT_INTERP was damaged): download it again and compare with `elfdoctor diff`"
		}
		c.add(Finding{Severity: SeverityFatal, Stage: StageKernel, Code: "bad-interp",
			Summary: sum, Evidence: []string{why}, Outcome: OutcomeExecFails, Message: execErrno(errno), Next: next})
		return
	}
	c.res.Objects = append(c.res.Objects, Object{Name: interp})
	obj := &c.res.Objects[len(c.res.Objects)-1]
	host := c.underRoot(interp)
	if c.opts.Loader != "" {
		host = c.opts.Loader
	}
	fi, err := os.Stat(host)
	if err != nil && c.underEmulator != "" {
		// The emulator, not the kernel, opens the interpreter (under its
		// own prefix, QEMU_LD_PREFIX, which is not modelled).
		c.add(Finding{Severity: SeverityFatal, Stage: StageKernel, Code: "interp-missing",
			Summary:  fmt.Sprintf("the interpreter %s does not exist on this system, so %s cannot load the program", interp, filepath.Base(c.underEmulator)),
			Evidence: []string{fmt.Sprintf("PT_INTERP asks for %s; %v", interp, err)},
			Outcome:  OutcomeLoaderError, Message: fmt.Sprintf("Could not open '%s': No such file or directory", interp),
			Next: "install the foreign machine's libc (e.g. libc6:arm64), or set QEMU_LD_PREFIX to a directory that holds its root"})
		return
	}
	if err != nil {
		c.add(Finding{Severity: SeverityFatal, Stage: StageKernel, Code: "interp-missing",
			Summary:  fmt.Sprintf("the interpreter %s does not exist on this system", interp),
			Evidence: []string{fmt.Sprintf("PT_INTERP asks for %s; %v", interp, err)},
			Outcome:  OutcomeExecFails, Message: "No such file or directory (bash: cannot execute: required file not found)",
			Next: c.interpNext(interp)})
		return
	}
	// open_exec (fs/exec.c) opens the interpreter for execution: may_open
	// refuses a directory with EACCES, and do_open_execat anything else
	// that is not a regular file. Nothing is read from it.
	if !fi.Mode().IsRegular() {
		c.add(Finding{Severity: SeverityFatal, Stage: StageKernel, Code: "interp-not-regular",
			Summary:  fmt.Sprintf("the interpreter %s is a %s, not a regular file, so the kernel refuses to open it", interp, safeopen.Kind(fi.Mode())),
			Evidence: []string{fmt.Sprintf("PT_INTERP asks for %s", interp)},
			Outcome:  OutcomeExecFails, Message: "Permission denied",
			Next: c.interpNext(interp)})
		return
	}
	obj.Path, obj.Found = host, true
	c.interpHost = host
	lf, err := c.filePool().open(host)
	if err != nil {
		c.add(Finding{Severity: SeverityFatal, Stage: StageKernel, Code: "interp-bad",
			Summary:  fmt.Sprintf("the interpreter %s is not a usable ELF file", interp),
			Evidence: []string{err.Error()}, Outcome: OutcomeExecFails, Message: "Accessing a corrupted shared library"})
		return
	}
	if lf.Machine != f.Machine || lf.Class != f.Class {
		c.add(Finding{Severity: SeverityFatal, Stage: StageKernel, Code: "interp-wrong-machine",
			Summary: fmt.Sprintf("the interpreter %s is %s %s but the program is %s %s", interp, lf.Class, lf.Machine, f.Class, f.Machine),
			Outcome: OutcomeExecFails, Message: "Accessing a corrupted shared library"})
		return
	}
	obj.Glibc = glibcBuild(lf, host)
}

func (c *checker) interpNext(interp string) string {
	if strings.HasPrefix(interp, "/nix/store/") {
		return "the Nix store path the file was patched to no longer exists (garbage-collected, or the file came from another machine): run the pristine file through nix-ld instead of rewriting it"
	}
	return "on NixOS enable programs.nix-ld; elsewhere install the loader, or run `LOADER --library-path DIRS FILE` with a loader you have"
}

// mapping builds the memory image and reports pages whose permissions a
// later PT_LOAD changed.
func (c *checker) mapping() {
	switch {
	case c.dlopen:
		// _dl_map_object_from_fd refuses the library before it maps
		// anything, as it refuses a dependency (mapObject): a separate
		// debuginfo file's PT_DYNAMIC has no file bytes. The rules are
		// those of the loading process's ld.so.
		li := describeLoader(c.underRoot(standardInterp(c.f)), c.f)
		if r, _, ok := c.dlopenHost(); ok && r.li != nil && c.opts.LoadedBy != "" {
			li = r.li
		}
		msg, fault, mapped := mapObjectStop(c.f.Progs, c.f.Type, li.minor, uint64(c.f.Size()), false)
		if (msg == "" || mapped) && c.f.Type == elf.ET_DYN {
			// A segment mapped past the reservation lands on what the
			// process has mapped above it, as a dependency's does.
			if fd, ok := c.pastReservationOf(c.f.Progs, c.path, c.path, "library", fault); ok {
				fd.Stage = StageMapping
				c.add(fd)
				return
			}
		}
		if fault != nil {
			fd := fault.finding(c.path, uint64(c.f.Size()))
			fd.Stage, fd.Message = StageMapping, "SIGBUS in dlopen, in the process that calls it"
			c.add(fd)
			return
		}
		if msg != "" {
			c.add(Finding{Severity: SeverityFatal, Stage: StageMapping, Code: "lib-unmappable",
				Summary:  fmt.Sprintf("dlopen refuses to map %s: %s", c.path, msg),
				Evidence: []string{fmt.Sprintf("%d program headers read from the file at e_phoff", len(c.f.Progs))},
				Outcome:  OutcomeLoaderError, Message: c.path + ": " + msg,
				Next: "a separate debuginfo file (its sections are NOBITS) is not a library: load the file it was split from; otherwise the headers are damaged: compare with a pristine copy using `elfdoctor diff`"})
			return
		}
	case c.opts.Loader != "" && c.interpHost != "":
		if !c.commandMapping() {
			return
		}
	}
	im := c.f.Image()
	for _, o := range im.Overlaps() {
		sev := SeverityNote
		sum := fmt.Sprintf("PT_LOAD %d and %d both map pages 0x%x-0x%x; the later one (%s) replaces the earlier (%s) there",
			o.Earlier, o.Later, o.Start, o.End, inspect.FlagString(o.LaterPerm), inspect.FlagString(o.EarlierPerm))
		if o.EarlierPerm&elf.PF_W != 0 && o.LaterPerm&elf.PF_W == 0 {
			sev = SeverityWarning
			sum += ": writable data there becomes read-only"
		}
		c.add(Finding{Severity: sev, Stage: StageMapping, Code: "load-overlap", Summary: sum})
	}
}

// commandMapping replays _dl_map_object_from_fd's mapping of a program
// started as its loader's command: the rules of a library's, less the
// refusal of an ET_EXEC, which is mapped at its own addresses (the
// kernel mapped only the loader). It returns false when ld.so stops.
func (c *checker) commandMapping() bool {
	li := describeLoader(c.interpHost, c.f)
	if hdr, _ := mapObjectHeaders(c.f.Progs, c.f.Type, li.minor, true); c.f.Type == elf.ET_EXEC && hdr == "" {
		// Refusals of the headers come first (mapObjectStop below);
		// then each segment is mapped at its own address.
		msg, unknown := fixedMapping(c.f)
		if msg != "" {
			c.add(c.programUnmappable(msg, " (a segment ends past the address space)"))
			return false
		}
		if unknown == "" && li.minor != 0 && li.minor < 35 {
			for _, p := range c.f.ProgsOfType(elf.PT_DYNAMIC) {
				if p.Filesz == 0 {
					unknown = fmt.Sprintf("glibc 2.%d skips PT_DYNAMIC (program header %d), which has no file bytes, and what rtld then makes of a program without l_ld is not replayed", li.minor, p.Index)
				}
			}
		}
		if unknown != "" {
			c.add(Finding{Severity: SeverityFatal, Stage: StageMapping, Code: "program-map-unknown", Outcome: OutcomeUndetermined,
				Possible: openBeforeMain(),
				Summary:  "undetermined: ld.so maps the program at the addresses its headers give, and what that does is not in the files: " + unknown,
				Next:     "the program headers are damaged: compare with a pristine copy using `elfdoctor diff`"})
			return false
		}
	}
	msg, fault, mapped := mapObjectStop(c.f.Progs, c.f.Type, li.minor, uint64(c.f.Size()), true)
	if (msg == "" || mapped) && c.f.Type == elf.ET_DYN {
		if fd, ok := c.pastReservationOf(c.f.Progs, c.path, c.path, "program", fault); ok {
			fd.Stage, fd.Code = StageMapping, "program-map-past-reservation"
			c.add(fd)
			return false
		}
	}
	if fault != nil {
		fd := fault.finding(c.path, uint64(c.f.Size()))
		fd.Stage, fd.Message = StageMapping, "SIGBUS in ld.so while it maps the program, before main"
		c.add(fd)
		return false
	}
	if msg != "" {
		c.add(c.programUnmappable(msg, ""))
		return false
	}
	return c.preferredAddress()
}

// preferredAddress replays where _dl_map_segments asks the kernel to put
// a position-independent program ld.so maps as its command: at its first
// segment's page as a hint (ELF_PREFERRED_ADDRESS; glibc 2.31 too, whose
// dl_use_load_bias is not yet set then). A PIE's is 0, no hint. Any other
// is honoured when that range is free, as it is in a process that holds
// only ld.so, the vDSO and the stack, placed high: the program is then
// loaded at its own addresses (l_addr 0), and the rest of the replay
// reads it so. A hint below vm.mmap_min_addr is moved up to it, and one
// near the process's own mappings may or may not be free: undetermined.
// It returns false after a finding that ends the replay.
func (c *checker) preferredAddress() bool {
	const page = 0x1000
	loads := c.f.ProgsOfType(elf.PT_LOAD)
	if c.f.Type != elf.ET_DYN || len(loads) == 0 || loads[0].Vaddr&^(page-1) == 0 {
		return true
	}
	mapstart := loads[0].Vaddr &^ (page - 1)
	last := loads[len(loads)-1]
	end, ok := addNoOverflow(last.Vaddr, last.Memsz)
	const near = uint64(processMapsNear)
	why := ""
	switch {
	case !ok || end <= mapstart:
	case mapstart < mmapMinAddr():
		why = fmt.Sprintf("its first segment's page 0x%x is below vm.mmap_min_addr (0x%x), where the kernel moves the hint up to", mapstart, mmapMinAddr())
	case end > near:
		why = fmt.Sprintf("its pages 0x%x-0x%x reach where the process's own mappings (ld.so, the vDSO, the stack) may lie", mapstart, end)
	default:
		sf, err := sameBytesAs(c.f, elf.ET_EXEC)
		if err != nil {
			return true
		}
		c.trace("ld.so maps %s at its own addresses 0x%x-0x%x (its first segment's page as the hint)", c.path, mapstart, end)
		c.f = sf // Check closes the file it opened
		return true
	}
	if why == "" {
		return true
	}
	c.add(Finding{Severity: SeverityFatal, Stage: StageMapping, Code: "program-map-unknown", Outcome: OutcomeUndetermined,
		Possible: openBeforeMain(),
		Summary:  "undetermined: ld.so asks the kernel to map the position-independent program at its own addresses, and whether it gets them, and so where the program is loaded, is not in the files: " + why,
		Next:     "the program headers are damaged: compare with a pristine copy using `elfdoctor diff`"})
	return false
}

// sameBytesAs is f read with another e_type: a program loaded at its own
// addresses is, to everything after its mapping, what an ET_EXEC is.
func sameBytesAs(f *inspect.File, typ elf.Type) (*inspect.File, error) {
	b := make([]byte, 2)
	f.ByteOrder().PutUint16(b, uint16(typ))
	nf, err := inspect.NewFile(vaddrShifted{r: fileReader{f}, fields: []int64{16}, vals: [][]byte{b}}, f.Size())
	if err == nil {
		hostMemory(nf)
	}
	return nf, err
}

// programUnmappable is ld.so's refusal, msg, of the program it was
// started with as its command; why adds to the summary.
func (c *checker) programUnmappable(msg, why string) Finding {
	return Finding{Severity: SeverityFatal, Stage: StageMapping, Code: "program-unmappable",
		Summary:  fmt.Sprintf("the loader refuses to map the program %s: %s%s", c.path, msg, why),
		Evidence: []string{fmt.Sprintf("%d program headers read from the file at e_phoff", len(c.f.Progs))},
		Outcome:  OutcomeLoaderError, ExitStatus: 127,
		Message: fmt.Sprintf("error while loading shared libraries: %s: %s", c.path, msg),
		Next:    "the program headers are damaged: compare with a pristine copy using `elfdoctor diff`"}
}

// startup replays what ld.so does with the main program before loading
// anything else: read the dynamic table, record r_debug in DT_DEBUG,
// relocate the table's pointers, and look at its tables.
func (c *checker) startup() {
	f := c.f
	d, err := f.Dynamic()
	if dyns := f.ProgsOfType(elf.PT_DYNAMIC); c.dlopen && !c.model().atLeast(35) && len(dyns) > 1 && dyns[len(dyns)-1].Filesz == 0 {
		// Before 2.35 _dl_map_object_from_fd skips a PT_DYNAMIC without
		// file bytes: l_ld is the last one with bytes, as for a
		// dependency (libEntry.pre35).
		for i := len(dyns) - 2; i >= 0; i-- {
			if dyns[i].Filesz != 0 {
				d, err = f.DynamicOf(dyns[i])
				break
			}
		}
	}
	if err != nil {
		if fd, ok := c.mainPastMapping(err, "its dynamic table", StageStartup, "reading the program's dynamic table"); ok {
			c.add(fd)
			return
		}
		c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "dynamic-unreadable",
			Summary:  "ld.so cannot read the dynamic table",
			Evidence: []string{err.Error()}, Outcome: OutcomeCrash, Signal: faultSignal(err), Message: faultSignal(err) + " in ld.so before main",
			Next: "compare with the pristine file using `elfdoctor diff`"})
		return
	}
	if d == nil {
		if c.phdrFault != nil {
			c.add(*c.phdrFault)
		}
		return
	}
	im := f.Image()
	entSize := uint64(16)
	if f.Class == elf.ELFCLASS32 {
		entSize = 8
	}
	// A file truncated inside the dynamic table reads zeros past its
	// end, and a zero entry is DT_NULL: ld.so sees the table cut short.
	// Whatever came after the cut is lost; without any relocation table
	// nothing fills the GOT, and the first call through it (in _start)
	// jumps to 0.
	end := d.Addr + uint64(len(d.Entries))*entSize
	if l := im.Lookup(end); l.Mapped && l.File && l.Off >= uint64(f.Size()) {
		_, strtab := d.Tag(elf.DT_STRTAB)
		_, needs := d.Tag(elf.DT_NEEDED)
		relocs := false
		for _, t := range []elf.DynTag{elf.DT_RELA, elf.DT_REL, elf.DT_JMPREL, dtRELR} {
			_, ok := d.Tag(t)
			relocs = relocs || ok
		}
		ev := []string{fmt.Sprintf("ld.so reads %d entries, then a DT_NULL at vaddr 0x%x that is file offset 0x%x, past the end of the file (size 0x%x, %s)", len(d.Entries), end, l.Off, f.Size(), inspect.HumanSize(uint64(f.Size())))}
		if needs && (!strtab || !relocs) {
			lost := "DT_STRTAB"
			if strtab {
				lost = "every relocation table"
			}
			c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "dynamic-cut",
				Summary:  fmt.Sprintf("the file ends inside the dynamic table: ld.so sees only its first %d entries, without %s", len(d.Entries), lost),
				Evidence: ev, Outcome: OutcomeCrash, Signal: "SIGSEGV",
				Message: "SIGSEGV before main: ld.so or _start follows a pointer the lost entries would have set",
				Next:    "the file is truncated: download it again"})
			return
		}
		c.add(Finding{Severity: SeverityWarning, Stage: StageStartup, Code: "dynamic-cut",
			Summary:  fmt.Sprintf("the file ends inside the dynamic table: ld.so sees only its first %d entries", len(d.Entries)),
			Evidence: ev, Next: "the file is truncated: download it again"})
	}
	c.dyn = d
	if d.Fault != nil {
		sig := faultSignal(d.Fault)
		c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "dynamic-unterminated",
			Summary:  fmt.Sprintf("the dynamic table has no DT_NULL before unreadable memory: ld.so reads %d entries, then faults on the next", len(d.Entries)),
			Evidence: []string{d.Fault.Error(), fmt.Sprintf("PT_DYNAMIC (program header %d) at vaddr 0x%x, p_memsz 0x%x", d.Prog.Index, d.Addr, d.Prog.Memsz)},
			Outcome:  OutcomeCrash, Signal: sig, Message: sig + " in ld.so before main (elf_get_dynamic_info)",
			Next: "the dynamic table was cut or overwritten: compare with the pristine file using `elfdoctor diff`"})
		return
	}
	// dl_main: elf_get_dynamic_info (which rebases the table's pointers
	// in place), _dl_setup_hash, then r_debug's address into the
	// DT_DEBUG entry, all before anything else is loaded.
	if c.info = c.getDynamicInfo(f, d, ""); c.info == nil || (c.dlopen && (!c.loadable(c.info, "", c.path) || !c.execStackRefused(f.Progs, f.Machine, "", c.path) || !c.selfPhdrAgain(f))) {
		return
	}
	if c.phdrFault != nil && c.model().atLeast(33) {
		c.add(*c.phdrFault)
		return
	}
	if !c.setupHash(f, c.info, "", nil) {
		return
	}
	if c.phdrFault != nil {
		c.add(*c.phdrFault)
		return
	}
	if !c.dlopen && !c.initPaths(f) {
		return
	}
	// Since glibc 2.32 dl_main looks for DT_AUDIT and DT_DEPAUDIT next
	// (audit_list_add_dynamic_tag), and reads the string table's address
	// before it tests whether either is there: Debian's 2.36 and 2.41
	// builds load it unconditionally, so a program without DT_STRTAB
	// faults there whatever else its table has.
	if !c.dlopen && c.model().atLeast(32) && !c.info.has(elf.DT_STRTAB) {
		c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "strtab-missing",
			Summary:  "the program's dynamic table has no DT_STRTAB: ld.so reads the string table's address through a null pointer when it looks for audit libraries (DT_AUDIT), whether or not the program names any",
			Evidence: []string{fmt.Sprintf("%d dynamic entries read before DT_NULL at vaddr 0x%x; none is DT_STRTAB", len(d.Entries), d.Addr)},
			Outcome:  OutcomeCrash, Signal: "SIGSEGV", Message: "SIGSEGV in ld.so before main (audit_list_add_dynamic_tag, in dl_main)",
			Next: "the dynamic table was cut short (a truncated file?), overwritten, or is read from the wrong place (see the findings above): compare with the pristine file using `elfdoctor diff`"})
		return
	}
	if !c.dlopen && c.model().atLeast(32) && !c.auditTags(f) {
		return
	}
	if s, ok := c.info.slot[elf.DT_DEBUG]; ok && !c.dynamicWrite(f, d, s, "") {
		return
	}
	if !c.info.has(elf.DT_STRTAB) {
		for _, e := range d.Entries {
			if e.Tag == elf.DT_NEEDED || (c.dlopen && (e.Tag == elf.DT_RPATH || e.Tag == elf.DT_RUNPATH)) {
				c.strtabMissing(d, e.Tag)
				return
			}
		}
	}
	for _, e := range d.Problems {
		c.add(Finding{Severity: SeverityWarning, Stage: StageStartup, Code: "dynamic-problem", Summary: e.Error()})
	}
}

// initPaths replays what _dl_init_paths (elf/dl-load.c) reads of the
// program, right after _dl_setup_hash: its DT_RUNPATH string, or else
// its DT_RPATH one (the last entry of the tag, as l_info keeps it), which
// decompose_rpath copies with strdup at start-up whether or not a library
// is ever looked for there. A string ld.so cannot read is a fault.
func (c *checker) initPaths(f *inspect.File) bool {
	tag := elf.DT_RUNPATH
	off, ok := c.info.get(tag)
	if !ok {
		tag = elf.DT_RPATH
		if off, ok = c.info.get(tag); !ok {
			return true
		}
	}
	strtab, ok := c.info.get(elf.DT_STRTAB)
	if !ok {
		c.strtabMissing(c.dyn, tag)
		return false
	}
	m := memOf(f)
	addr := m.add(strtab, off)
	s := m.cstring(addr, inspect.DynTagName(tag)+" string")
	if s.err == nil {
		return true
	}
	if fd, ok := c.mainPastMapping(s.err, "its "+inspect.DynTagName(tag)+" string", StageStartup, "setting up its search paths"); ok {
		c.add(fd)
		return false
	}
	sig := faultSignal(s.err)
	c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "search-path-unreadable",
		Summary:  fmt.Sprintf("ld.so copies the program's %s string (DT_STRTAB 0x%x + 0x%x) when it sets up its search paths, and cannot read it", inspect.DynTagName(tag), strtab, off),
		Evidence: []string{s.err.Error()},
		Outcome:  OutcomeCrash, Signal: sig, Message: sig + " in ld.so before main (_dl_init_paths)",
		Next: "the dynamic table's " + inspect.DynTagName(tag) + " entry was damaged: compare with the pristine file using `elfdoctor diff`"})
	return false
}

// strtabMissing is ld.so's read of a name through l_info[DT_STRTAB]
// when the table has no DT_STRTAB: _dl_init_paths for the program's
// RUNPATH or RPATH, _dl_map_object_deps for its DT_NEEDED names. Both
// come after elf_get_dynamic_info's assertions and _dl_setup_hash, which
// can stop ld.so first (a DT_STRTAB whose tag became DT_RELAENT is that
// assertion, not this fault).
func (c *checker) strtabMissing(d *inspect.Dynamic, tag elf.DynTag) {
	c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "strtab-missing",
		Summary:  fmt.Sprintf("the dynamic table has %s but no DT_STRTAB: ld.so reads the name through a null pointer", inspect.DynTagName(tag)),
		Evidence: []string{fmt.Sprintf("%d dynamic entries read before DT_NULL at vaddr 0x%x", len(d.Entries), d.Addr)},
		Outcome:  OutcomeCrash, Signal: "SIGSEGV", Message: "SIGSEGV in ld.so before main",
		Next: "the dynamic table was cut short (a truncated file?) or overwritten: compare with the pristine file using `elfdoctor diff`"})
}

// isLibrary reports whether the file is checked as dlopen loads it
// rather than as the kernel executes it: its headers look like a shared
// library's (ET_DYN with neither PT_INTERP nor DF_1_PIE), or LoadedBy
// says a process dlopens it, whatever they say.
func (c *checker) isLibrary() bool {
	return !c.execOnly && !c.opts.Executed && (c.opts.LoadedBy != "" || c.looksLibrary())
}

// looksLibrary is isLibrary by the headers alone.
func (c *checker) looksLibrary() bool {
	f := c.f
	if f.Type != elf.ET_DYN {
		return false
	}
	if _, has, _ := f.Interp(); has {
		return false
	}
	// dlopen refuses an object without PT_DYNAMIC ("object file has no
	// dynamic section"): such a file is only ever executed.
	d, _ := f.Dynamic()
	if len(f.ProgsOfType(elf.PT_DYNAMIC)) == 0 || (d != nil && d.Flags1&elf.DF_1_PIE != 0) {
		return false
	}
	return true
}

// patchelfFiller is what patchelf writes over the old place of a section
// it moved: 'X' bytes, which on x86 are "pop %rax" and on no machine a
// useful program. A run of fillerRun of them outside every section is
// patchelf's mark.
const (
	patchelfFiller = 'X'
	fillerRun      = 16
	maxGapScan     = 1 << 20 // bytes of section gaps read per file
)

// fillerRange is a stretch of patchelf's filler in the loader's view.
type fillerRange struct {
	start, end uint64 // virtual addresses
	prog       int
	perm       elf.ProgFlag
}

// fillerRanges finds patchelf's filler in the file bytes of the PT_LOADs
// that no allocated section covers: where a section was before patchelf
// moved it. Linkers leave only alignment padding there.
func (c *checker) fillerRanges() []fillerRange {
	f := c.f
	type span struct{ lo, hi uint64 }
	var covered []span
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC != 0 && s.Type != elf.SHT_NOBITS && s.Size > 0 {
			covered = append(covered, span{s.Offset, s.Offset + s.Size})
		}
	}
	if len(covered) == 0 {
		return nil // no section table: nothing says where the gaps are
	}
	covered = append(covered, span{0, uint64(f.Phoff) + uint64(f.Phnum)*uint64(f.Phentsize)})
	sort.Slice(covered, func(i, j int) bool { return covered[i].lo < covered[j].lo })
	var out []fillerRange
	budget := uint64(maxGapScan)
	run := bytes.Repeat([]byte{patchelfFiller}, fillerRun)
	for _, p := range f.ProgsOfType(elf.PT_LOAD) {
		lo, hi := p.Offset, min(p.Offset+p.Filesz, uint64(f.Size()))
		for _, cv := range covered {
			if budget == 0 || lo >= hi {
				break
			}
			if cv.hi <= lo {
				continue
			}
			gapEnd := min(cv.lo, hi)
			if gapEnd > lo && gapEnd-lo >= fillerRun {
				n := min(gapEnd-lo, budget)
				budget -= n
				if b, err := f.ReadFull(int64(lo), n, "gap between sections"); err == nil {
					if i := bytes.Index(b, run); i >= 0 {
						j := i
						for j < len(b) && b[j] == patchelfFiller {
							j++
						}
						start := p.Vaddr + (lo + uint64(i) - p.Offset)
						out = append(out, fillerRange{start: start, end: start + uint64(j-i), prog: p.Index, perm: p.Flags})
					}
				}
			}
			lo = max(lo, cv.hi)
		}
	}
	return out
}

// entryCode looks at the first code the program runs once ld.so is done,
// the entry point and DT_INIT, and at the gaps between sections. patchelf
// 0.14, rewriting a file it already rewrote, can move .text or .rodata to
// a new segment and fill their old place with 'X', while the code still
// uses the old addresses.
func (c *checker) entryCode() {
	if c.isLibrary() {
		return
	}
	f := c.program()
	type target struct {
		what string
		addr uint64
	}
	targets := []target{{"the entry point", f.Entry}}
	if v, ok := c.dyn.Tag(elf.DT_INIT); ok {
		targets = append(targets, target{"DT_INIT", v})
	}
	moved := func() []string {
		var ev []string
		for _, s := range f.Sections {
			if s.Flags&elf.SHF_EXECINSTR != 0 && s.Size > 0 {
				if l := f.Image().Lookup(s.Addr); !l.Mapped || l.Perm&elf.PF_X == 0 {
					ev = append(ev, fmt.Sprintf("section %s (code) is now at 0x%x, in memory that is not executable", s.Name, s.Addr))
				}
			}
		}
		return ev
	}
	for _, t := range targets {
		var b [fillerRun]byte
		if f.Image().ReadAt(b[:], t.addr, t.what) != nil || !bytes.Equal(b[:], bytes.Repeat([]byte{patchelfFiller}, fillerRun)) {
			continue
		}
		c.add(Finding{Severity: SeverityFatal, Stage: StageReloc, Code: "code-overwritten",
			Summary:  fmt.Sprintf("%s (0x%x) holds patchelf's filler bytes, not code: a rewrite moved the code away and left the old place filled with 'X'", t.what, t.addr),
			Evidence: append([]string{fmt.Sprintf("the bytes at 0x%x are %q", t.addr, b[:])}, moved()...),
			Outcome:  OutcomeCrash, Signal: "SIGSEGV",
			Message: "SIGSEGV when ld.so hands over to the program",
			Next:    "patchelf damaged the file (rewriting an already rewritten file can move .text): start again from the pristine file, or run it unmodified through nix-ld"})
		return
	}
	// patchelf fills the old place of every section it moves, the loader
	// tables too, which is harmless: ld.so finds them through the updated
	// dynamic table. Sections the program's own code addresses (.text,
	// .rodata, .eh_frame) are another matter. Every linker places them
	// before the program's writable data (.init_array, .got, .data),
	// which no rewrite moves; found after it, they were moved.
	var dataAddr uint64
	found := false
	for _, s := range f.Sections {
		switch s.Type {
		case elf.SHT_PROGBITS, elf.SHT_INIT_ARRAY, elf.SHT_FINI_ARRAY, elf.SHT_PREINIT_ARRAY, elf.SHT_NOBITS:
		default:
			continue
		}
		if s.Flags&elf.SHF_ALLOC != 0 && s.Flags&elf.SHF_WRITE != 0 && s.Size > 0 && (!found || s.Addr < dataAddr) {
			dataAddr, found = s.Addr, true
		}
	}
	var movedSecs []string
	for _, s := range f.Sections {
		if found && s.Type == elf.SHT_PROGBITS && s.Flags&elf.SHF_ALLOC != 0 && s.Flags&elf.SHF_WRITE == 0 &&
			s.Name != ".interp" && s.Size > 0 && s.Addr > dataAddr {
			movedSecs = append(movedSecs, fmt.Sprintf("%s is at 0x%x, after the program's writable data (from 0x%x), where no linker puts it", s.Name, s.Addr, dataAddr))
		}
	}
	if len(movedSecs) == 0 {
		return
	}
	rs := c.fillerRanges()
	if len(rs) == 0 {
		return
	}
	ev := movedSecs
	for _, r := range rs {
		ev = append(ev, fmt.Sprintf("0x%x-0x%x in PT_LOAD %d (%s): 'X' filler where no section is", r.start, r.end, r.prog, inspect.FlagString(r.perm)))
	}
	c.add(Finding{Severity: SeverityWarning, Stage: StageReloc, Code: "sections-moved",
		Summary:  "a rewrite (patchelf) moved sections the program's code addresses directly and filled their old place with 'X': the program starts, but reads 'X' where its constants or code were",
		Evidence: append(ev, moved()...),
		Next:     "start again from the pristine file, or run it unmodified through nix-ld"})
}

// payload follows an embedded runtime's pointers to the application it
// carries, the way the runtime will once ld.so has handed it control.
func (c *checker) payload() {
	fp := inspect.IdentifyQuick(c.f)
	for _, p := range fp.Problems {
		c.trace("runtime: %s", p.Message)
	}
	if len(fp.Runtimes) == 0 {
		return
	}
	bad := fp.Unreachable()
	if bad == nil {
		r := fp.Runtimes[0]
		c.res.Runtime = &r
		if r.Warning != "" {
			c.add(Finding{Severity: SeverityWarning, Stage: StageRuntime, Code: "runtime-without-payload",
				Summary: fmt.Sprintf("the embedded %s runtime may start without an application: %s", r.Name, r.Warning),
				Next:    "compare with the pristine download (`elfdoctor diff PRISTINE FILE`)"})
		}
		if p := r.Payload; p != nil {
			c.trace("runtime: %s payload (%s) reachable at 0x%x", r.Name, p.Format, uint64(p.Off))
		}
		return
	}
	r := *bad
	c.res.Runtime = &r
	p := r.Payload
	fd := Finding{Severity: SeverityFatal, Stage: StageRuntime, Code: "payload-unreachable",
		Summary:  fmt.Sprintf("ld.so starts the embedded %s runtime, but it will not find the application: %s", r.Name, p.Problem),
		Evidence: p.Evidence,
		Next:     "compare with the pristine download (`elfdoctor diff PRISTINE FILE`); run the pristine file through its loader or nix-ld instead of rewriting it"}
	switch p.Effect {
	case inspect.EffectBareRuntime:
		fd.Outcome = OutcomeBareRuntime
		fd.Message = fmt.Sprintf("%s's own command line (usage text or REPL) instead of the application", r.Name)
	case inspect.EffectCrash:
		fd.Outcome, fd.Signal = OutcomeCrash, "SIGSEGV"
		fd.Message = fmt.Sprintf("SIGSEGV in the %s runtime while it looks for its application", r.Name)
	default:
		fd.Outcome = OutcomeRuntimeFails
		fd.Message = fmt.Sprintf("an error from the %s runtime about its application", r.Name)
	}
	c.add(fd)
}

// Tags of elf.h that debug/elf does not name.
const (
	dtAudit    elf.DynTag = 0x6ffffefc
	dtDepAudit elf.DynTag = 0x6ffffefb
)

// auditTags replays what glibc 2.32 and later do with the program's
// DT_AUDIT and DT_DEPAUDIT (rtld.c): audit_list_add_dynamic_tag reads
// the first byte of each string at once (an empty one loads nothing),
// and load_audit_modules then reads each whole, splits it at colons and
// dlmopens every name as an audit library before any DT_NEEDED is
// loaded. What an audit library does is not replayed: a string that can
// be read leaves the outcome open (a name that cannot be loaded is only
// "cannot be loaded as audit interface ...; ignored"). It returns false
// when the replay stops.
func (c *checker) auditTags(f *inspect.File) bool {
	strtab, ok := c.info.get(elf.DT_STRTAB)
	if !ok {
		return true // judged before (strtab-missing)
	}
	m := memOf(f)
	type audit struct {
		tag  elf.DynTag
		name string
		addr uint64
	}
	var list []audit
	fault := func(a audit, err error, fn string) bool {
		sig := faultSignal(err)
		c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "audit-name-unreadable",
			Summary:  fmt.Sprintf("the program's %s names an audit library at DT_STRTAB 0x%x + 0x%x, where ld.so cannot read: it reads the name before loading anything", a.name, strtab, a.addr-strtab),
			Evidence: []string{err.Error(), "glibc 2.32 and later read the program's DT_AUDIT and DT_DEPAUDIT strings at start-up; linkers write them only for -Wl,--audit and --depaudit"},
			Outcome:  OutcomeCrash, Signal: sig, Message: sig + " in ld.so before main (" + fn + ")",
			Next: "the dynamic table's " + a.name + " entry was damaged, or another entry's tag became it: compare with the pristine file using `elfdoctor diff`"})
		return false
	}
	for _, tag := range []elf.DynTag{dtAudit, dtDepAudit} {
		off, ok := c.info.get(tag)
		if !ok {
			continue
		}
		a := audit{tag: tag, name: "DT_AUDIT", addr: m.add(strtab, off)}
		if tag == dtDepAudit {
			a.name = "DT_DEPAUDIT"
		}
		var b [1]byte
		if err := f.Image().ReadAt(b[:], a.addr, a.name+" string"); err != nil {
			return fault(a, err, "audit_list_add_string")
		}
		if b[0] != 0 {
			list = append(list, a)
		}
	}
	if len(list) == 0 {
		return true
	}
	var names []string
	for _, a := range list {
		s := m.cstring(a.addr, a.name+" string")
		if s.err != nil {
			return fault(a, s.err, "audit_list_next")
		}
		names = append(names, fmt.Sprintf("%s %q", a.name, s.s))
	}
	c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "audit-not-replayed", Outcome: OutcomeUndetermined,
		Possible: []Outcome{OutcomeStarts, OutcomeLoaderError, OutcomeCrash, OutcomeExitsEarly},
		Summary:  fmt.Sprintf("undetermined: ld.so loads the program's audit libraries (%s) before anything else, and what they do is not replayed; a name it cannot load is only reported (\"cannot be loaded as audit interface\") and ignored", strings.Join(names, ", ")),
		Evidence: []string{"linkers write DT_AUDIT and DT_DEPAUDIT only for -Wl,--audit and --depaudit; a damaged tag can make another entry one"},
		Next:     "if the program was not linked with an audit library, its dynamic table was damaged: compare with the pristine file using `elfdoctor diff`"})
	return false
}

// Prelink's tags (elf.h), which debug/elf does not name.
const (
	dtGNULiblist   elf.DynTag = 0x6ffffef9
	dtGNULiblistSz elf.DynTag = 0x6ffffdf7
)

// prelink replays dl_main's check of a prelinked program (glibc before
// 2.36, which dropped prelink): with DT_GNU_LIBLIST it asserts that
// DT_GNU_LIBLISTSZ is there too, right after the version checks. The
// list itself is compared with the loaded libraries only where one is
// loaded at 0, which no library is.
func (c *checker) prelink() {
	if c.info == nil || c.dlopen || c.li == nil || c.li.minor == 0 || c.li.minor >= 36 {
		return
	}
	if !c.info.has(dtGNULiblist) || c.info.has(dtGNULiblistSz) {
		return
	}
	where := "rtld.c: dl_main"
	if c.li.minor == 31 {
		where = "rtld.c: 2169: dl_main" // Debian's bullseye build, as it prints
	}
	c.add(Finding{Severity: SeverityFatal, Stage: StageVersions, Code: "prelink-assertion",
		Summary:  "the program's dynamic table has DT_GNU_LIBLIST (prelink's list of libraries) without DT_GNU_LIBLISTSZ: ld.so before glibc 2.36 asserts that both are there",
		Evidence: []string{"glibc 2.36 dropped prelink support and no longer reads DT_GNU_LIBLIST"},
		Outcome:  OutcomeLoaderError, ExitStatus: 127,
		Message: fmt.Sprintf("Inconsistency detected by ld.so: %s: Assertion `main_map->l_info[VALIDX (DT_GNU_LIBLISTSZ)] != NULL' failed!", where),
		Next:    "the program was not prelinked: a damaged dynamic tag became DT_GNU_LIBLIST; compare with the pristine file using `elfdoctor diff`"})
}
