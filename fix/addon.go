package fix

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/shellquote"
)

// A shared library without PT_INTERP (a Node-API addon, a plugin) is
// never started: a program's process dlopens it. Its plan is therefore
// the launch of that host process, `LOADER --library-path DIRS HOST`,
// chosen so that the host starts and the library, dlopen'ed after the
// host's start-up, finds its closure: the host's loader and libc are the
// ones it gets (docs/decisions.md, "fix: an addon is planned as its
// host's launch").

// Host is the process an addon plan loads the addon into.
type Host struct {
	// Program is the program named with --loaded-by, whose launch the
	// plan is; empty when none was named.
	Program string `json:"program,omitempty"`
	// Assumed, when no program was named, says which process the plan
	// assumes: one running the system's ld.so and libc, as check assumes.
	Assumed string `json:"assumed,omitempty"`
}

// ErrLoadedByProgram is Plan's error for LoadedBy with a program: only a
// shared library is loaded into another program's process.
var ErrLoadedByProgram = errors.New("fix: --loaded-by is for a shared library (an addon dlopen loads); this file is a program, started by its own loader")

// ErrLoaderNeedsHost is Plan's error for Loader with a shared library and
// no LoadedBy: the loader is the host's, and no host was named.
var ErrLoaderNeedsHost = errors.New("fix: the loader of a shared library is its host's: name the program that loads it with --loaded-by")

// ErrHostNotDynamic is Plan's error for a LoadedBy without PT_INTERP: a
// library, which is no program, or a static program, whose own dlopen
// fix does not model.
var ErrHostNotDynamic = errors.New("fix: the program that loads the library has no PT_INTERP: a static program or a library, whose launch fix does not plan")

// ErrNoHost is returned when asked for a wrapper of an addon plan made
// without a host: a wrapper starts a program, and none was named.
var ErrNoHost = errors.New("fix: a wrapper starts the program that loads the library: name it with --loaded-by")

// assumedInterp is the loader of the process assumed without a host: the
// machine's standard PT_INTERP, as check assumes it. Tests point it at a
// nix-ld shim.
var assumedInterp = loader.StandardInterp

// addon is what Plan needs beyond a program's plan for a shared library.
type addon struct {
	abs  string
	lib  *object
	host *object // nil without LoadedBy
	// hostAbs is the host's absolute path.
	hostAbs string
	// interp is the file name the loader is looked for by: the host's
	// PT_INTERP, or the system's loader's name.
	interp  string
	assumed string
	// loaders, without a host, is the assumed process's loader: the
	// system's, nothing to choose.
	loaders []*object
}

func newAddon(opts PlanOptions, abs string, lib *object) (*addon, error) {
	a := &addon{abs: abs, lib: lib}
	if opts.LoadedBy == "" {
		if opts.Loader != "" {
			return nil, ErrLoaderNeedsHost
		}
		a.interp = filepath.Base(assumedInterp(lib.machine, lib.class))
		return a, nil
	}
	hostAbs, err := filepath.Abs(opts.LoadedBy)
	if err != nil {
		return nil, err
	}
	host, err := readObject(hostAbs)
	if err != nil {
		return nil, fmt.Errorf("--loaded-by %s: %w", opts.LoadedBy, err)
	}
	host.path = opts.LoadedBy
	interp, err := interpName(hostAbs, host)
	if errors.Is(err, ErrNotDynamic) {
		return nil, fmt.Errorf("--loaded-by %s: %w", opts.LoadedBy, ErrHostNotDynamic)
	}
	if err != nil {
		return nil, fmt.Errorf("--loaded-by %s: %w", opts.LoadedBy, err)
	}
	a.host, a.hostAbs, a.interp = host, hostAbs, interp
	return a, nil
}

// setup makes the solver start from the host's closure, then the
// addon's (dlopen after start-up); without a host, from a process that
// has the system's loader and libc. A Problem says why no plan can be
// made at all.
func (a *addon) setup(s *solver) *Problem {
	s.rpath = true
	if h := a.host; h != nil {
		if h.class != a.lib.class || h.data != a.lib.data || h.machine != a.lib.machine {
			return &Problem{Code: "wrong-host", Summary: fmt.Sprintf("%s is %s %s %s, the program that loads it (%s) %s %s %s: dlopen refuses it (wrong ELF class or machine)",
				a.lib.path, a.lib.class, a.lib.data, a.lib.machine, h.path, h.class, h.data, h.machine)}
		}
		s.prog = h
		s.roots = []*object{h, a.lib}
		s.origins[h] = filepath.Dir(a.hostAbs)
		return nil
	}
	std := assumedInterp(a.lib.machine, a.lib.class)
	if std == "" {
		return &Problem{Code: "no-loader", Summary: fmt.Sprintf("no loader is standard for %s %s: name the program that loads %s with --loaded-by", a.lib.class, a.lib.machine, a.lib.path)}
	}
	ld, err := readObject(std)
	if err != nil {
		return &Problem{Code: "no-loader", Summary: fmt.Sprintf("the process assumed (this system's ld.so and libc) cannot be modelled: %s: %v; name the program that loads %s with --loaded-by", std, err, a.lib.path)}
	}
	if !ld.private {
		// glibc's ld.so defines GLIBC_PRIVATE; what else stands at the
		// standard path (nix-ld's shim on NixOS) only starts programs.
		return &Problem{Code: "no-loader", Summary: fmt.Sprintf("the process assumed cannot be modelled: %s is not glibc's ld.so (nix-ld's shim?); name the program that loads %s with --loaded-by", std, a.lib.path)}
	}
	// The process has run ld.so's start-up: libc.so.6 is in it before
	// dlopen, as check's dlopen mode has it.
	proc := &object{path: "the process", class: a.lib.class, data: a.lib.data, machine: a.lib.machine, needed: []string{"libc.so.6"}}
	s.roots = []*object{proc, a.lib}
	s.process = proc
	s.implicitDir = filepath.Dir(ld.real)
	a.loaders = []*object{ld}
	a.assumed = fmt.Sprintf("a process running this system's ld.so (%s) and its libc, as check assumes without --loaded-by", std)
	return nil
}

// finish writes the host's launch, proves it with check's engine (the
// host's start under the plan's command, then dlopen of the addon in
// that process) and fingerprints it.
func (a *addon) finish(ctx context.Context, p *Result, s *solver, assign assignment) error {
	ld := s.loader
	dirs := p.LibraryPath
	if a.host == nil {
		r, err := p.replay(a.abs, loader.CheckOptions{LibraryPath: dirs}, assign,
			"the replay of dlopen in the process assumed predicts it fails: ", "the replay of dlopen in the process assumed cannot tell whether it succeeds: ")
		if err != nil {
			return err
		}
		p.Replay = r
		if p.Fingerprint, err = fingerprint(ctx, "", a.abs, ld, assign); err != nil {
			return err
		}
		if len(dirs) == 0 {
			p.Notes = append(p.Notes, "the process assumed finds every library the addon needs by itself: nothing to add to its library path")
		} else {
			p.Notes = append(p.Notes, fmt.Sprintf("start the program that loads the addon as %s PROGRAM, or with LD_LIBRARY_PATH set to %s; that program's own libraries are not planned: name it with --loaded-by for a launch proven with it, and a wrapper",
				shellquote.Command(ld.path, "--library-path", strings.Join(dirs, ":")), shellquote.Word(strings.Join(dirs, ":"))))
		}
		return nil
	}
	p.Command = shellquote.Command(ld.path, "--library-path", strings.Join(dirs, ":"), a.hostAbs)
	p.NixLD = nixLD(ld.path, dirs, a.hostAbs, a.host)
	opts := loader.CheckOptions{Loader: ld.path, LibraryPath: dirs}
	r, err := p.replay(a.hostAbs, opts, assign, "the replay of the host's start under the plan's command predicts it will not start: ",
		"the replay of the host's start under the plan's command cannot tell whether it will start: ")
	if err != nil {
		return err
	}
	p.HostReplay = r
	if len(p.Problems) == 0 {
		opts.LoadedBy = a.hostAbs
		if p.Replay, err = p.replay(a.abs, opts, assign, "the replay of dlopen in the host's process predicts it fails: ",
			"the replay of dlopen in the host's process cannot tell whether it succeeds: "); err != nil {
			return err
		}
	}
	if p.Fingerprint, err = fingerprint(ctx, a.hostAbs, a.abs, ld, assign); err != nil {
		return err
	}
	p.selfExe(a.hostAbs)
	return nil
}
