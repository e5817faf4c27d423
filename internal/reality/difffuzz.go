package reality

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/shellquote"
)

// The differential fuzzer: small real programs and a versioned library,
// damaged at random in the bytes the kernel and ld.so read, predicted
// with check and run for real under four glibc builds. A divergence is a
// case where the prediction and the run disagree on what happened: the
// class (exec fails, loader error, signal before or after main, starts),
// the errno, the exit status, the signal, and the loader's message.

// FuzzCase is one damaged copy: which input, whether the damage is to the
// program or to the library it loads, and the mutations. A seed makes the
// same case on every machine with the same inputs; the mutations name
// fields, not offsets, so a recorded case keeps its meaning.
type FuzzCase struct {
	Seed      uint64
	Input     string
	Library   bool
	Mutations []Mutation
	// LibraryPath runs the case with LD_LIBRARY_PATH naming its own
	// directory, so the library is found before RUNPATH $ORIGIN is read:
	// the other search path ld.so takes to the same library.
	LibraryPath bool
	// ViaLoader runs the program as a command of its root's loader,
	// `ld.so [--library-path DIR] PROGRAM`, the way fix's wrappers start
	// one: ld.so, not the kernel, opens and maps it. Never set by
	// Generate (Fuzzer.ViaLoader sets it), so a seed keeps its case.
	ViaLoader bool
	// Dlopen checks the damaged library as dlopen loads it into the
	// input's DlopenHost and runs that program with the library's path,
	// the way Node.js loads an addon. Made by Fuzzer.Dlopen's Generate.
	Dlopen bool
	// Patchelf names the patchelf release (a key of Fuzzer.Patchelfs)
	// that rewrote the damaged file, one run for each of Rewrites,
	// before Mutations were applied to what it wrote. Made by
	// Fuzzer.Patchelf's Generate.
	Patchelf string
	Rewrites [][]string
	// rewritten is the file after Rewrites, kept by Generate; genErr is
	// why Generate could not make the case.
	rewritten []byte
	genErr    error
}

func (c FuzzCase) String() string {
	target := "program"
	if c.Library {
		target = "library"
	}
	var ms []string
	for _, args := range c.Rewrites {
		if len(args) > 0 && args[0] == stripTool {
			ms = append(ms, shellquote.Command(args...))
			continue
		}
		ms = append(ms, c.Patchelf+" "+shellquote.Command(args...))
	}
	for _, m := range c.Mutations {
		ms = append(ms, m.String())
	}
	if c.LibraryPath {
		target += " (LD_LIBRARY_PATH)"
	}
	if c.ViaLoader {
		target += " (run as LOADER PROGRAM)"
	}
	if c.Dlopen {
		target += " (dlopen'ed by dlopen-host)"
	}
	return fmt.Sprintf("%s %s: %s", c.Input, target, strings.Join(ms, "; "))
}

// Fuzzer holds the pristine inputs and the roots every case runs in.
type Fuzzer struct {
	Inputs []FuzzInput
	Roots  []*WorkRoot
	Limits Limits
	// ViaLoader makes every generated case a FuzzCase.ViaLoader one.
	ViaLoader bool
	// Dlopen makes every generated case a FuzzCase.Dlopen one, of an
	// input that has a library.
	Dlopen bool
	// Patchelf makes every generated case a rewrite by one of Patchelfs
	// (release name to argv prefix, as Patchelfs returns them).
	Patchelf  bool
	Patchelfs map[string][]string
	bytes     map[string][]byte
	lay       map[string]*layout
	n         atomic.Int64
	// runners run Observe on threads already in an empty network
	// namespace; nil when they could not be made (each run then gets a
	// namespace of its own).
	runners []chan<- func()
	next    atomic.Int64
}

// Close stops the fuzzer's runner threads.
func (f *Fuzzer) Close() {
	for _, r := range f.runners {
		close(r)
	}
	f.runners = nil
}

// NewFuzzer reads the inputs. The roots must be work roots (NewWorkRoot):
// the fuzzer writes each case into a directory of its own inside them.
func NewFuzzer(inputs []FuzzInput, roots []*WorkRoot) (*Fuzzer, error) {
	f := &Fuzzer{Inputs: inputs, Roots: roots, Limits: Limits{Timeout: 5 * time.Second, Output: 16 << 10},
		bytes: map[string][]byte{}, lay: map[string]*layout{}}
	for _, in := range inputs {
		if in.DlopenHost != "" && f.bytes[in.DlopenHost] == nil {
			b, err := os.ReadFile(in.DlopenHost)
			if err != nil {
				return nil, err
			}
			f.bytes[in.DlopenHost] = b
		}
		for _, p := range append([]string{in.Path, in.Lib}, in.Extra...) {
			if p == "" || f.bytes[p] != nil {
				continue
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			l, err := newLayout(b)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			f.bytes[p], f.lay[p] = b, l
		}
	}
	for i := 0; i < 2; i++ {
		r, err := OnEmptyNetwork()
		if err != nil {
			f.Close()
			break
		}
		f.runners = append(f.runners, r)
	}
	return f, nil
}

func (f *Fuzzer) input(name string) (FuzzInput, bool) {
	for _, in := range f.Inputs {
		if in.Name == name {
			return in, true
		}
	}
	return FuzzInput{}, false
}

// Generate makes the case of seed: an input, the program or (a third of
// the time, when there is one) its library, and one mutation, or two a
// quarter of the time.
func (f *Fuzzer) Generate(seed uint64) FuzzCase {
	if f.Patchelf {
		c, err := f.generateRewrite(seed)
		c.genErr = err
		return c
	}
	if f.Dlopen {
		return f.generateDlopen(seed)
	}
	r := rand.New(rand.NewPCG(seed, 0x656c66646f63746f))
	in := f.Inputs[r.IntN(len(f.Inputs))]
	c := FuzzCase{Seed: seed, Input: in.Name, Library: in.Lib != "" && r.IntN(3) == 0}
	l := f.lay[in.Path]
	if c.Library {
		l = f.lay[in.Lib]
	}
	n := 1
	if r.IntN(4) == 0 {
		n = 2
	}
	for i := 0; i < n; i++ {
		if m, ok := l.randomMutation(r, ""); ok {
			c.Mutations = append(c.Mutations, m)
		}
	}
	// Drawn last, so earlier seeds keep their mutations.
	c.LibraryPath = in.Lib != "" && r.IntN(2) == 0
	c.ViaLoader = f.ViaLoader
	return c
}

// generateDlopen makes the case of seed for dlopen: an input with a
// library, whose library takes one mutation, or two a quarter of the
// time. A stream of its own, so the other modes' seeds keep their cases.
func (f *Fuzzer) generateDlopen(seed uint64) FuzzCase {
	r := rand.New(rand.NewPCG(seed, 0x646c6f70656e2121))
	var withLib []FuzzInput
	for _, in := range f.Inputs {
		if in.Lib != "" && in.DlopenHost != "" {
			withLib = append(withLib, in)
		}
	}
	if len(withLib) == 0 {
		return FuzzCase{Seed: seed}
	}
	in := withLib[r.IntN(len(withLib))]
	c := FuzzCase{Seed: seed, Input: in.Name, Library: true, Dlopen: true}
	n := 1
	if r.IntN(4) == 0 {
		n = 2
	}
	for i := 0; i < n; i++ {
		if m, ok := f.lay[in.Lib].randomMutation(r, ""); ok {
			c.Mutations = append(c.Mutations, m)
		}
	}
	return c
}

// Result is one case under one glibc.
type Result struct {
	Glibc      string
	Predicted  *loader.CheckResult
	Observed   Observation
	Divergence string // "" when prediction and reality agree
}

// damaged returns c's input and its program and library, one of them
// damaged as c says.
func (f *Fuzzer) damaged(c FuzzCase) (in FuzzInput, prog, lib []byte, err error) {
	in, ok := f.input(c.Input)
	if !ok {
		return in, nil, nil, fmt.Errorf("case %d: no input %q", c.Seed, c.Input)
	}
	if c.genErr != nil {
		return in, nil, nil, fmt.Errorf("case %d: %w", c.Seed, c.genErr)
	}
	prog, lib = f.bytes[in.Path], f.bytes[in.Lib]
	target := &prog
	if c.Library {
		target = &lib
	}
	if c.Patchelf != "" {
		b := c.rewritten
		if b == nil {
			var kept int
			if b, kept, err = f.rewrite(c, *target); err == nil && kept < len(c.Rewrites) {
				err = fmt.Errorf("round %d was not applied", kept+1)
			}
			if err != nil {
				return in, nil, nil, fmt.Errorf("case %d (%s): %w", c.Seed, c, err)
			}
		}
		*target = b
	}
	// A rewritten file is damaged only by its mutations: patchelf's
	// layouts need not be ones newLayout reads.
	if c.Patchelf == "" || len(c.Mutations) > 0 {
		*target, err = Apply(*target, c.Mutations)
	}
	if err != nil {
		return in, nil, nil, fmt.Errorf("case %d (%s): %w", c.Seed, c, err)
	}
	return in, prog, lib, nil
}

// Run predicts and runs c under every root.
func (f *Fuzzer) Run(ctx context.Context, c FuzzCase) ([]Result, error) {
	in, prog, lib, err := f.damaged(c)
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, root := range f.Roots {
		var r Result
		var err error
		if c.Dlopen {
			r, err = f.runDlopen(ctx, root, in, lib)
		} else {
			r, err = f.runIn(ctx, root, in, prog, lib, c.LibraryPath, c.ViaLoader)
		}
		if err != nil {
			return nil, fmt.Errorf("case %d (%s) under %s: %w", c.Seed, c, root, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func (f *Fuzzer) runIn(ctx context.Context, root *WorkRoot, in FuzzInput, prog, lib []byte, libraryPath, viaLoader bool) (Result, error) {
	rel := fmt.Sprintf("/c/%d", f.n.Add(1))
	defer os.RemoveAll(filepath.Join(root.Root, rel))
	if err := f.writeCase(root, rel, in, prog, lib); err != nil {
		return Result{}, err
	}
	host := filepath.Join(root.Root, rel, in.Name)
	res := Result{Glibc: root.String()}
	// The run's working directory is the case's own (Observe), where a
	// relative PT_INTERP is looked for.
	opts := loader.CheckOptions{Root: root.Root, Dir: rel, Executed: true, Getenv: func(string) string { return "" }}
	lim := f.Limits
	run := path.Join(rel, in.Name)
	if libraryPath {
		opts.LibraryPath = []string{rel}
		lim.Env = []string{"LD_LIBRARY_PATH=" + rel}
	}
	if viaLoader {
		// rtld.c ignores LD_LIBRARY_PATH for its own --library-path.
		const ld = "/lib64/ld-linux-x86-64.so.2"
		opts.Loader = filepath.Join(root.Root, ld)
		lim.Env, lim.Args = nil, nil
		if libraryPath {
			lim.Args = []string{"--library-path", rel}
		}
		lim.Args = append(lim.Args, run)
		run = ld
	}
	pred, err := loader.Check(host, opts)
	obs, oerr := f.observe(ctx, root, rel, run, lim)
	if oerr != nil {
		return Result{}, oerr
	}
	res.Predicted, res.Observed = pred, obs
	if err != nil {
		res.Divergence = fmt.Sprintf("check gave no prediction (%v), really %s", err, obs)
		return res, nil
	}
	res.Divergence = Compare(inChroot(pred, root.Root), obs)
	return res, nil
}

// runDlopen checks lib as dlopen loads it into in's DlopenHost
// (CheckOptions.LoadedBy) and runs that program with the library's
// absolute path in the root, as Node.js passes an addon's.
func (f *Fuzzer) runDlopen(ctx context.Context, root *WorkRoot, in FuzzInput, lib []byte) (Result, error) {
	rel := fmt.Sprintf("/c/%d", f.n.Add(1))
	dir := filepath.Join(root.Root, rel)
	defer os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Result{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, in.LibName), lib, 0o755); err != nil {
		return Result{}, err
	}
	if err := f.writeExtra(dir, in); err != nil {
		return Result{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, "dlopen-host"), f.bytes[in.DlopenHost], 0o755); err != nil {
		return Result{}, err
	}
	opts := loader.CheckOptions{Root: root.Root, Dir: rel, LoadedBy: filepath.Join(dir, "dlopen-host"), Getenv: func(string) string { return "" }}
	lim := f.Limits
	lim.Args = []string{path.Join(rel, in.LibName)}
	pred, err := loader.Check(filepath.Join(dir, in.LibName), opts)
	obs, oerr := f.observe(ctx, root, rel, path.Join(rel, "dlopen-host"), lim)
	if oerr != nil {
		return Result{}, oerr
	}
	res := Result{Glibc: root.String(), Predicted: pred, Observed: obs}
	if err != nil {
		res.Divergence = fmt.Sprintf("check gave no prediction (%v), really %s", err, obs)
		return res, nil
	}
	// The host calls nothing in the library: a failure predicted at the
	// first call of one of its functions never comes.
	if pred.Outcome == loader.OutcomeFirstCall && obs.Class == ClassStarts {
		return res, nil
	}
	// dlerror() names the library dlopen was given before what stopped
	// it, which a prediction's message leaves out (it is the file
	// checked); a dependency's name stays.
	// A name of relocated bytes is matched in the whole message first,
	// whose words include the library's path (seed 2113176).
	o := obs
	p := inChroot(pred, root.Root)
	o.Stderr = strings.ReplaceAll(relocatedSpans(p, o.Stderr), path.Join(rel, in.LibName)+": ", "")
	res.Divergence = Compare(p, o)
	return res, nil
}

// observe runs one case on a runner thread when there are any.
func (f *Fuzzer) observe(ctx context.Context, root *WorkRoot, rel, run string, lim Limits) (obs Observation, err error) {
	if len(f.runners) == 0 {
		return Observe(ctx, root.Root, rel, run, lim)
	}
	lim.InNetns = true
	done := make(chan struct{})
	f.runners[int(f.next.Add(1))%len(f.runners)] <- func() {
		defer close(done)
		obs, err = Observe(ctx, root.Root, rel, run, lim)
	}
	<-done
	return obs, err
}

// writeCase writes the program, and the library and what it needs beside
// it, into the directory rel of the root.
func (f *Fuzzer) writeCase(root *WorkRoot, rel string, in FuzzInput, prog, lib []byte) error {
	dir := filepath.Join(root.Root, rel)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, in.Name), prog, 0o755); err != nil {
		return err
	}
	if lib == nil {
		return nil
	}
	if err := os.WriteFile(filepath.Join(dir, in.LibName), lib, 0o755); err != nil {
		return err
	}
	return f.writeExtra(dir, in)
}

// writeExtra writes the libraries in's library needs (FuzzInput.Extra)
// into dir, as they were built.
func (f *Fuzzer) writeExtra(dir string, in FuzzInput) error {
	for _, e := range in.Extra {
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(e)), f.bytes[e], 0o755); err != nil {
			return err
		}
	}
	return nil
}

// inChroot rewrites the host paths in a prediction's messages to the
// paths ld.so sees inside the chroot, which is what it prints.
func inChroot(res *loader.CheckResult, root string) *loader.CheckResult {
	r := *res
	r.Findings = append([]loader.Finding(nil), res.Findings...)
	for i := range r.Findings {
		r.Findings[i].Message = strings.ReplaceAll(r.Findings[i].Message, root, "")
		r.Findings[i].Summary = strings.ReplaceAll(r.Findings[i].Summary, root, "")
	}
	return &r
}

// Compare says how a prediction differs from a real run, or "" when they
// agree on the class, whether main ran, the errno, the exit status, the
// signal and the loader's message.
func Compare(res *loader.CheckResult, o Observation) string {
	o.Stderr = relocatedSpans(res, o.Stderr)
	for _, f := range res.Findings {
		if f.Code == "internal-error" {
			return fmt.Sprintf("check failed inside (%s); really %s", f.Summary, o)
		}
	}
	fatal := res.Fatal()
	if res.Outcome == loader.OutcomeUndetermined {
		return compareUndetermined(res, o)
	}
	if res.Outcome == loader.OutcomeFirstCall {
		return compareFirstCall(res, fatal, o)
	}
	want := expected(res)
	if o.Class != want {
		return fmt.Sprintf("predicted %s, really %s", describePrediction(res), o)
	}
	lines := strings.Split(strings.TrimSpace(o.Stderr), "\n")
	switch o.Class {
	case ClassExecFails:
		if !strings.HasPrefix(strings.ToLower(fatal.Message), o.Errno.Error()) {
			return fmt.Sprintf("predicted execve error %q, really %s (%v)", fatal.Message, errnoName(o.Errno), o.Errno)
		}
		return ""
	case ClassSignal:
		if fatal.Signal != "" && fatal.Signal != o.Signal {
			return fmt.Sprintf("predicted %s before main, really %s (stderr %q)", fatal.Signal, o.Signal, short(o.Stderr))
		}
		return ""
	case ClassSignalAfter:
		if fatal.Signal != "" && fatal.Signal != o.Signal {
			return fmt.Sprintf("predicted %s at exit, really %s (stderr %q)", fatal.Signal, o.Signal, short(o.Stderr))
		}
		return ""
	case ClassLoaderError:
		exit := predictedExit(fatal)
		if o.Exit != exit {
			return fmt.Sprintf("predicted ld.so to exit %d (%s), really %s", exit, fatal.Message, o)
		}
		last := lines[len(lines)-1]
		lines = lines[:len(lines)-1]
		key := loaderKey(last)
		if key == "" {
			// A message of a form not listed: all of it after the
			// program's name must be predicted.
			_, key, _ = strings.Cut(last, ": ")
		}
		said := lastLoaderLine(res, fatal)
		if !says(said, key) {
			return fmt.Sprintf("predicted message %q lacks %q; ld.so printed %q", said, key, short(o.Stderr))
		}
	case ClassNoMain:
		return ""
	}
	// What ld.so printed before it stopped, or while it went on (a weak
	// version, a missing version for a library without versions), must
	// be predicted too.
	for _, line := range lines {
		key := loaderKey(line)
		if key == "" {
			continue
		}
		found := false
		for _, f := range res.Findings {
			found = found || says(f.Message, key) || says(f.Summary, key)
		}
		if !found {
			return fmt.Sprintf("ld.so printed %q; no finding predicts it (predicted %s)", line, describePrediction(res))
		}
	}
	return ""
}

// compareFirstCall compares a failure predicted at the first call of a
// lazily bound function. The prediction says the program has started and
// which error ld.so reports; when the function is first called (before
// the program's marker, as getenv in main, or after it, as
// __cxa_finalize at exit) is the program's own order of calls, which
// check does not replay, so both sides of the marker agree with it. The
// signal, exit status and message must still be the predicted ones.
func compareFirstCall(res *loader.CheckResult, fatal *loader.Finding, o Observation) string {
	lines := strings.Split(strings.TrimSpace(o.Stderr), "\n")
	switch {
	case fatal.Signal != "":
		if (o.Class != ClassSignal && o.Class != ClassSignalAfter) || o.Signal != fatal.Signal {
			return fmt.Sprintf("predicted %s, really %s", describePrediction(res), o)
		}
	case o.Class == ClassLoaderError || o.Class == ClassExitAfter:
		if o.Exit != fatal.ExitStatus {
			return fmt.Sprintf("predicted ld.so to exit %d at the first call (%s), really %s", fatal.ExitStatus, fatal.Message, o)
		}
		if key := loaderKey(lines[len(lines)-1]); key == "" || !says(fatal.Message, key) {
			return fmt.Sprintf("predicted message %q lacks %q; ld.so printed %q", fatal.Message, key, short(o.Stderr))
		}
	default:
		return fmt.Sprintf("predicted %s, really %s", describePrediction(res), o)
	}
	return ""
}

// compareUndetermined compares a prediction that stopped at a read it
// cannot know (check's undetermined outcome) with a run: they agree when
// what happened is one of the outcomes the prediction left open. Only the
// kind of outcome is compared, since the prediction names kinds and no
// signal, status or message: those depend on the bytes ld.so read, which
// is what the prediction says it does not know. A run is of the kinds
// observedOutcomes gives for its class, the same correspondence Compare
// and compareFirstCall use for predictions that are determined.
func compareUndetermined(res *loader.CheckResult, o Observation) string {
	for _, got := range observedOutcomes(o) {
		if slices.Contains(res.Possible, got) {
			return ""
		}
	}
	return fmt.Sprintf("predicted undetermined (possible %v), really %s", res.Possible, o)
}

// observedOutcomes are the outcome kinds a run can be the result of: a
// failure at a lazily bound function's first call shows as a loader
// error, a signal or a non-zero exit, before or after main's marker.
func observedOutcomes(o Observation) []loader.Outcome {
	switch o.Class {
	case ClassStarts:
		return []loader.Outcome{loader.OutcomeStarts}
	case ClassExecFails:
		return []loader.Outcome{loader.OutcomeExecFails}
	case ClassLoaderError:
		return []loader.Outcome{loader.OutcomeLoaderError, loader.OutcomeFirstCall, loader.OutcomeDlopenFails}
	case ClassSignal:
		return []loader.Outcome{loader.OutcomeCrash, loader.OutcomeFirstCall}
	case ClassSignalAfter:
		return []loader.Outcome{loader.OutcomeExitCrash, loader.OutcomeFirstCall}
	case ClassExitAfter:
		return []loader.Outcome{loader.OutcomeRuntimeFails, loader.OutcomeFirstCall}
	case ClassNoMain:
		return []loader.Outcome{loader.OutcomeBareRuntime, loader.OutcomeExitsEarly}
	case ClassTimeout:
		return []loader.Outcome{loader.OutcomeHangs}
	}
	return nil
}

// continuable are the findings of errors glibc raises with
// _dl_signal_cerror from _dl_check_map_versions: ld.so reports each as
// "PROG: OBJ: MESSAGE", goes on, and exits 1 at the end. Every other error
// it reports ends start-up at once with exit status 127. The prediction
// carries no exit status of its own yet, so the fuzzer reads it from the
// finding's code (a typed field, not its text).
var continuable = map[string]bool{"version-missing": true, "verdef-version": true}

// lastLoaderLine is the message check predicts as ld.so's last line.
// After version errors ld.so has printed every message of the version
// check in order, errors and warnings, and then exits 1: its last line
// is the last of them predicted, and the others are compared with the
// lines before it.
func lastLoaderLine(res *loader.CheckResult, fatal *loader.Finding) string {
	said := fatal.Message
	if fatal.Continues {
		for _, f := range res.Findings {
			if printedByVersionCheck[f.Code] && f.Message != "" {
				said = f.Message
			}
		}
	}
	return said
}

// printedByVersionCheck are the findings of what _dl_check_map_versions
// prints and goes on after: the continuable errors, and the warnings
// match_symbol prints in verbose mode, which rtld always uses.
var printedByVersionCheck = map[string]bool{"version-missing": true, "verdef-version": true, "no-verdef": true, "weak-version-missing": true}

func predictedExit(f *loader.Finding) int {
	if continuable[f.Code] || f.Outcome == loader.OutcomeDlopenFails {
		// (dlopen-host exits 1 when dlopen fails.)
		return 1
	}
	return 127
}

// expected is the class of run a prediction stands for.
func expected(res *loader.CheckResult) Class {
	switch res.Outcome {
	case loader.OutcomeExecFails:
		return ClassExecFails
	case loader.OutcomeLoaderError, loader.OutcomeDlopenFails:
		return ClassLoaderError
	case loader.OutcomeCrash:
		return ClassSignal
	case loader.OutcomeExitCrash:
		return ClassSignalAfter
	case loader.OutcomeBareRuntime:
		return ClassNoMain
	case loader.OutcomeRuntimeFails:
		return ClassExitAfter
	case loader.OutcomeHangs:
		return ClassTimeout
	}
	return ClassStarts
}

func describePrediction(res *loader.CheckResult) string {
	f := res.Fatal()
	if f == nil {
		s := string(res.Outcome)
		for _, w := range res.Findings {
			if w.Severity == loader.SeverityWarning {
				s += " (warning " + w.Code + ")"
			}
		}
		return s
	}
	s := fmt.Sprintf("%s [%s/%s]", res.Outcome, f.Stage, f.Code)
	if f.Signal != "" {
		s += " " + f.Signal
	} else if f.Message != "" {
		s += fmt.Sprintf(" %q", short(f.Message))
	}
	return s
}

// sharedLibError is how ld.so reports a library it cannot load: the
// reason after the library's name is the part to predict.
var sharedLibError = regexp.MustCompile(`error while loading shared libraries: (.*)$`)

// loaderKey returns the part of one line of ld.so's output a prediction
// must contain, or "" for a line that is not ld.so's: the harness's key
// phrase, else the reason after a library's name, else what follows the
// last colon of a line ld.so signed.
func loaderKey(line string) string {
	if k := KeyPhrase(line); k != "" {
		return k
	}
	if m := sharedLibError.FindStringSubmatch(line); m != nil {
		return m[1]
	}
	if i := strings.LastIndex(line, ": "); i >= 0 && strings.Contains(line, "ld.so") {
		return line[i+2:]
	}
	return ""
}
