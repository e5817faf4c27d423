package fix

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/shellquote"
)

// PlanOptions say what to plan for.
type PlanOptions struct {
	// File is the program to start, unmodified.
	File string
	// LibRoots are the directories searched for libraries and loaders,
	// in preference order: a Nix store, /usr/lib, a vendor's lib/.
	LibRoots []string
	// Loader, when set, is the loader to use; otherwise one is chosen
	// among the files under LibRoots named like the program's PT_INTERP.
	Loader string
	// LoadedBy is, when File is a shared library (a Node-API addon, a
	// plugin), the program whose process dlopens it: the plan is then
	// that program's launch (addon.go). Empty for a library means a
	// process running the system's ld.so and libc, as check assumes.
	LoadedBy string
}

// Result is the plan: how to start File without rewriting it, or why
// there is no way.
type Result struct {
	File     string   `json:"file"`
	LibRoots []string `json:"lib_roots"`
	// OK is true when a consistent set was found and the replay predicts
	// a start. Problems say why not otherwise.
	OK          bool      `json:"ok"`
	Loader      string    `json:"loader,omitempty"`
	Glibc       string    `json:"glibc_build,omitempty"`
	LibraryPath []string  `json:"library_path"`
	Libraries   []Library `json:"libraries"`
	// Refused are the candidates passed over, with the first reason.
	Refused  []Refusal `json:"refused"`
	Problems []Problem `json:"problems"`
	Replay   *Replay   `json:"replay,omitempty"`
	// Fingerprint is every file the plan relies on.
	Fingerprint []Fingerprint `json:"fingerprint"`
	NixLD       *NixLD        `json:"nix_ld,omitempty"`
	// Command is the plan as one command line, quoted for a shell.
	Command string `json:"command,omitempty"`
	// Searched says how much of the roots was looked at.
	Searched Searched `json:"searched"`
	// Notes are what a reader should know about a plan that holds: a
	// bound that cut the walk, warnings of the replay.
	Notes []string `json:"notes,omitempty"`
	// Wrapper is where the wrapper was written, when it was.
	Wrapper string `json:"wrapper,omitempty"`
	// SelfExe is what a launch through the loader costs the program
	// (SelfExeSensitive); WrapperRefused, when set, is why the wrapper is
	// refused for it: nix-ld is the way then.
	SelfExe        *Sensitivity `json:"self_exe,omitempty"`
	WrapperRefused string       `json:"wrapper_refused,omitempty"`
	// Host is set when File is a shared library: the process the plan
	// loads it into. HostReplay is what check predicts for the host's
	// own start under the plan's command; Replay is then the dlopen.
	Host       *Host   `json:"host,omitempty"`
	HostReplay *Replay `json:"host_replay,omitempty"`
}

// Library is one library the plan chose.
type Library struct {
	Name     string `json:"name"` // as DT_NEEDED names it
	Path     string `json:"path"`
	NeededBy string `json:"needed_by"`
	Soname   string `json:"soname,omitempty"`
	// Via is "RUNPATH of OBJECT" for a library ld.so finds through that
	// object's DT_RUNPATH, after the library path, "RPATH of OBJECT" for
	// one it takes from a DT_RPATH before the library path; empty for
	// one on it.
	Via string `json:"via,omitempty"`
	// Versions are the versions required of it, all defined by it.
	Versions []string `json:"versions,omitempty"`
}

// Refusal is a candidate the plan did not take and why.
type Refusal struct {
	// Loader is the loader the candidate was refused under: a library
	// wrong for one glibc may be right for another.
	Loader string `json:"loader,omitempty"`
	Name   string `json:"name"`
	Path   string `json:"path,omitempty"`
	Reason string `json:"reason"`
}

// Problem is why a plan was refused.
type Problem struct {
	// Code is one of: no-loader, no-consistent-set, search-bound,
	// replay-fails, replay-undetermined, replay-differs.
	Code     string   `json:"code"`
	Summary  string   `json:"summary"`
	Evidence []string `json:"evidence,omitempty"`
}

// Replay is what loader.Check predicts for the plan's command.
type Replay struct {
	Outcome  loader.Outcome   `json:"outcome"`
	Headline string           `json:"headline"`
	Findings []loader.Finding `json:"findings"`
	Objects  []loader.Object  `json:"objects"`
}

// Searched counts the walk of the roots.
type Searched struct {
	Entries int `json:"entries"`
	// Cut lists roots whose walk a bound stopped.
	Cut []string `json:"cut,omitempty"`
	// Steps is the number of partial choices the search tried.
	Steps int `json:"steps"`
}

// NixLD is the plan as nix-ld's variables.
type NixLD struct {
	NixLD            string `json:"NIX_LD"`
	NixLDLibraryPath string `json:"NIX_LD_LIBRARY_PATH"`
	// Command runs File once with them, quoted for a shell.
	Command string `json:"command"`
	// Applies is false when File's PT_INTERP is not the path nix-ld's
	// shim is installed at, so nix-ld never sees it; Note says why.
	Applies bool   `json:"applies"`
	Note    string `json:"note,omitempty"`
}

// ErrNotDynamic is Plan's error for a file without PT_INTERP that is not
// a library dlopen loads either: a static program, which no loader
// command starts.
var ErrNotDynamic = errors.New("fix: the file is not a dynamically linked program: there is no loader to choose")

// Plan finds a loader and library path that start opts.File
// unmodified, proves them with loader.Check and fingerprints the files
// they rely on. The error is for files and roots that cannot be read; a
// plan that cannot be made is a Result with OK false and Problems.
func Plan(ctx context.Context, opts PlanOptions) (*Result, error) {
	p := &Result{File: opts.File, LibRoots: opts.LibRoots, LibraryPath: []string{}, Libraries: []Library{},
		Refused: []Refusal{}, Problems: []Problem{}, Fingerprint: []Fingerprint{}}
	abs, err := filepath.Abs(opts.File)
	if err != nil {
		return nil, err
	}
	prog, err := readObject(abs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.File, err)
	}
	prog.path = opts.File
	interp, err := interpName(abs, prog)
	var ad *addon
	switch {
	case errors.Is(err, ErrNotDynamic) && prog.dlopenable:
		if ad, err = newAddon(opts, abs, prog); err != nil {
			return nil, err
		}
		interp = ad.interp
		p.Host = &Host{Program: opts.LoadedBy}
	case err != nil:
		return nil, fmt.Errorf("%s: %w", opts.File, err)
	case opts.LoadedBy != "":
		return nil, fmt.Errorf("%s: %w", opts.File, ErrLoadedByProgram)
	}
	var roots []string
	for _, r := range opts.LibRoots {
		a, err := filepath.Abs(r)
		if err != nil {
			return nil, err
		}
		st, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("--lib-root %s: %w", r, err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("--lib-root %s: not a directory", r)
		}
		roots = append(roots, a)
	}
	ix, err := buildIndex(ctx, roots)
	if err != nil {
		return nil, err
	}
	p.Searched.Entries, p.Searched.Cut = ix.entries, ix.cut
	walkCut := ""
	if len(ix.cut) > 0 {
		walkCut = fmt.Sprintf("the walk of the roots stopped after %d entries (cut in %s): files beyond were not considered", maxWalkEntries, strings.Join(ix.cut, ", "))
	}

	s := &solver{ix: ix, prog: prog, roots: []*object{prog}, origins: map[*object]string{prog: filepath.Dir(abs)},
		cache: map[string]*object{}, errs: map[string]error{},
		refused: map[string][]Refusal{}, seen: map[string]bool{}, viaRunpath: map[string]*object{}, viaRpath: map[string]*object{}}
	var loaders []*object
	if ad != nil {
		why := ad.setup(s)
		p.Host.Assumed = ad.assumed
		if why != nil {
			p.Problems = append(p.Problems, *why)
			return p, nil
		}
		// Without a host, the assumed process's loader: nothing to choose.
		loaders = ad.loaders
	}
	switch {
	case loaders != nil:
	case opts.Loader != "":
		a, err := filepath.Abs(opts.Loader)
		if err != nil {
			return nil, err
		}
		o, err := readObject(a)
		if err != nil {
			return nil, fmt.Errorf("--loader %s: %w", opts.Loader, err)
		}
		loaders = []*object{o}
	default:
		loaders = s.candidates(interp, nil)
		if len(loaders) == 0 {
			p.Problems = append(p.Problems, Problem{Code: "no-loader",
				Summary: fmt.Sprintf("no loader: no usable file named %s (the program's PT_INTERP) under the --lib-root directories", interp)})
			if walkCut != "" {
				p.Problems = append(p.Problems, Problem{Code: "search-bound", Summary: walkCut})
			}
			p.Refused = append(p.Refused, s.refused[""]...)
			return p, nil
		}
	}

	var dirs []string
	var assign assignment
	found := false
	for _, ld := range loaders {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s.loader = ld
		s.loaderNames = map[string]bool{interp: true}
		if ld.soname != "" {
			s.loaderNames[ld.soname] = true
		}
		if ld.class != prog.class || ld.machine != prog.machine || ld.data != prog.data {
			s.refuse(interp, ld.path, fmt.Sprintf("the loader is %s %s, the program %s %s", ld.class, ld.machine, prog.class, prog.machine))
			continue
		}
		// What the program requires of the loader itself (ld.so defines
		// GLIBC_2.3's __tls_get_addr, 2.35's _dl_find_object, ...).
		if why := s.loaderMissing(); why != "" {
			s.refuse(interp, ld.path, why)
			continue
		}
		assign = assignment{}
		if dirs, found = s.solve(assign); found || s.exhausted {
			break
		}
	}
	p.Searched.Steps = s.steps
	if !found {
		if walkCut != "" {
			p.Problems = append(p.Problems, Problem{Code: "search-bound", Summary: walkCut})
		}
		if s.exhausted {
			p.Problems = append(p.Problems, Problem{Code: "search-bound",
				Summary: fmt.Sprintf("no consistent set found within %d steps: the search stopped", maxSteps)})
		}
		p.Refused = append(p.Refused, s.refused[""]...)
		for _, ld := range loaders {
			p.Refused = append(p.Refused, s.refused[ld.path]...)
		}
		p.capRefused()
		// The refusals are the evidence; they are listed once, in Refused.
		p.Problems = append(p.Problems, Problem{Code: "no-consistent-set", Summary: noSetSummary(s, loaders)})
		return p, nil
	}

	ld := s.loader
	p.Loader = ld.path
	p.Glibc = glibcBuild(ld.real)
	p.LibraryPath = dirs
	p.Refused = append(p.Refused, s.refused[""]...)
	for _, l := range loaders {
		p.Refused = append(p.Refused, s.refused[l.path]...)
	}
	for _, n := range s.loadOrder(assign) {
		o := assign[n]
		lib := Library{Name: n, Path: o.path, Soname: o.soname, NeededBy: neededBy(s, assign, n)}
		switch by := s.viaRunpath[o.path]; {
		case s.viaRpath[o.path] != nil:
			lib.Via = "RPATH of " + s.viaRpath[o.path].path
		case by != nil:
			lib.Via = "RUNPATH of " + by.path
		case s.process != nil && o.dir == s.implicitDir && contains(s.process.needed, n):
			lib.Via = "already in the process"
		case s.process != nil && o.dir == s.implicitDir:
			lib.Via = "the process's own search (ld.so.cache, default directories)"
		}
		lib.Versions = requiredOf(s, assign, o, n)
		p.Libraries = append(p.Libraries, lib)
	}
	if ad != nil {
		if err := ad.finish(ctx, p, s, assign); err != nil {
			return nil, err
		}
	} else {
		p.Command = shellquote.Command(ld.path, "--library-path", strings.Join(dirs, ":"), abs)
		p.NixLD = nixLD(ld.path, dirs, abs, prog)
		res, err := p.replay(abs, loader.CheckOptions{Loader: p.Loader, LibraryPath: p.LibraryPath}, assign,
			"the replay of the plan's command predicts it will not start: ", "the replay of the plan's command cannot tell whether it will start: ")
		if err != nil {
			return nil, err
		}
		p.Replay = res
		fp, err := fingerprint(ctx, abs, "", ld, assign)
		if err != nil {
			return nil, err
		}
		p.Fingerprint = fp
		p.selfExe(abs)
	}
	p.capRefused()
	if walkCut != "" {
		p.Notes = append(p.Notes, walkCut)
	}
	p.OK = len(p.Problems) == 0
	return p, nil
}

// capRefused keeps the report readable when a big store offers many
// builds: the first maxReasons refusals, and a note of the rest.
func (p *Result) capRefused() {
	if n := len(p.Refused); n > maxReasons {
		p.Refused = p.Refused[:maxReasons]
		p.Notes = append(p.Notes, fmt.Sprintf("%d more candidates were refused; the first %d are listed", n-maxReasons, maxReasons))
	}
}

// String says a refusal in one line.
func (r Refusal) String() string {
	switch {
	case r.Path != "" && strings.HasPrefix(r.Reason, r.Path):
		return r.Reason
	case r.Path != "":
		return r.Path + ": " + r.Reason
	}
	return r.Reason
}

// noSetSummary says in a sentence why nothing fits: the last requirement
// refused under the last loader tried is where the search ended.
func noSetSummary(s *solver, loaders []*object) string {
	for i := len(loaders) - 1; i >= 0; i-- {
		rs := s.refused[loaders[i].path]
		if len(rs) > 0 {
			return "no consistent set of libraries: " + rs[len(rs)-1].String()
		}
	}
	return "no consistent set of libraries"
}

// interpName is the file name the loader is looked for by: PT_INTERP's.
func interpName(path string, prog *object) (string, error) {
	f, err := readInterp(path)
	if err != nil {
		return "", err
	}
	if f == "" {
		return "", ErrNotDynamic
	}
	return filepath.Base(f), nil
}

// neededBy names the first object whose DT_NEEDED pulls name in: a
// root by its path, a library by the name it was chosen for.
func neededBy(s *solver, assign assignment, name string) string {
	out := ""
	s.walk(assign, func(n string, from, _ *object) bool {
		if n != name {
			return true
		}
		if s.isRoot(from) {
			out = from.path
			return false
		}
		for _, c := range s.loadOrder(assign) {
			if assign[c] == from {
				out = c
				return false
			}
		}
		return false
	})
	return out
}

// requiredOf lists the versions the program and the chosen libraries
// require of o, sorted.
func requiredOf(s *solver, assign assignment, o *object, name string) []string {
	set := map[string]bool{}
	add := func(from *object) {
		for _, n := range from.needs {
			if o.answersTo(n.file, name) {
				set[n.version] = true
			}
		}
	}
	for _, r := range s.roots {
		add(r)
	}
	for _, c := range assign {
		add(c)
	}
	var out []string
	for v := range set {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

var glibcBuilds sync.Map

// glibcBuild is loader.GlibcBuild, once per file.
func glibcBuild(path string) string {
	if v, ok := glibcBuilds.Load(path); ok {
		return v.(string)
	}
	b := loader.GlibcBuild(path)
	glibcBuilds.Store(path, b)
	return b
}

// replay runs loader.Check as the plan's command will run: the chosen
// loader, --library-path, nothing from the environment (opts, with
// Getenv set here). Anything but a start refuses the plan (fails, or
// unknown for an undetermined replay, begins the problem's summary), and
// so does a library ld.so would take from somewhere else than the plan
// says.
func (p *Result) replay(abs string, opts loader.CheckOptions, assign assignment, fails, unknown string) (*Replay, error) {
	opts.Getenv = func(string) string { return "" }
	res, err := loader.Check(abs, opts)
	if err != nil {
		return nil, err
	}
	r := &Replay{Outcome: res.Outcome, Headline: res.Headline, Findings: res.Findings, Objects: res.Objects}
	if r.Findings == nil {
		r.Findings = []loader.Finding{}
	}
	warned := 0
	for _, f := range res.Findings {
		switch {
		case f.Code == "loaded-by-fails" || f.Code == "loaded-by-unreadable":
			// check fell back to another process than the planned one:
			// its prediction is not the plan's.
			p.Problems = append(p.Problems, Problem{Code: "replay-fails", Summary: fails + f.Summary})
			return r, nil
		case f.Severity == loader.SeverityWarning:
			// An addon checked without its host warns once per symbol
			// the host must define (napi_*: a hundred): a few say it.
			if warned++; warned <= maxReplayNotes {
				p.Notes = append(p.Notes, "the replay warns: "+f.Summary)
			}
		}
	}
	if warned > maxReplayNotes {
		p.Notes = append(p.Notes, fmt.Sprintf("and %d more warnings of the replay (all in the JSON's replay.findings)", warned-maxReplayNotes))
	}
	if f := res.Fatal(); f != nil {
		ev := append([]string{}, f.Evidence...)
		if f.Message != "" {
			ev = append(ev, "ld.so would say: "+f.Message)
		}
		pr := Problem{Code: "replay-fails", Summary: fails + f.Summary, Evidence: ev}
		if f.Outcome == loader.OutcomeUndetermined {
			// Not knowing whether it starts is no ground for a plan.
			pr = Problem{Code: "replay-undetermined", Summary: unknown + f.Summary, Evidence: ev}
		}
		p.Problems = append(p.Problems, pr)
		return r, nil
	}
	for _, o := range res.Objects {
		c, ok := assign[o.Name]
		if !ok || o.Needed == "" {
			continue
		}
		got := o.Path
		if r, err := filepath.EvalSymlinks(o.Path); err == nil {
			got = r
		}
		if !o.Found || got != c.real {
			p.Problems = append(p.Problems, Problem{Code: "replay-differs",
				Summary: fmt.Sprintf("ld.so would take %s from %s (via %s), not the chosen %s", o.Name, orNone(o.Path), o.Via, c.path),
				Evidence: []string{"an RPATH or RUNPATH of the program or a library, or a glibc-hwcaps subdirectory, comes first: " +
					"start from a root without that copy, or name the directory with --lib-root first"}})
		}
	}
	return r, nil
}

// maxReplayNotes is how many of the replay's warnings become notes.
const maxReplayNotes = 5

func orNone(s string) string {
	if s == "" {
		return "nowhere"
	}
	return s
}

// nixLD is the plan as nix-ld's variables. nix-ld's shim stands at the
// path generic programs name in PT_INTERP; a program whose PT_INTERP is
// elsewhere never reaches it.
func nixLD(ld string, dirs []string, abs string, prog *object) *NixLD {
	n := &NixLD{NixLD: ld, NixLDLibraryPath: strings.Join(dirs, ":"), Applies: true}
	n.Command = "NIX_LD=" + shellquote.Word(n.NixLD) + " NIX_LD_LIBRARY_PATH=" + shellquote.Word(n.NixLDLibraryPath) + " " + shellquote.Word(abs)
	full, _ := readInterp(abs)
	if std := loader.StandardInterp(prog.machine, prog.class); std != "" && full != std {
		n.Applies = false
		n.Note = fmt.Sprintf("PT_INTERP is %s, not %s where nix-ld's shim is installed: nix-ld never runs this file (use the wrapper)", full, std)
	}
	return n
}
