package bisect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/inspect/loader"
)

// Criteria decide whether a run is bad. A run that was killed by a signal,
// timed out, ran out of memory, or was refused by the loader or the kernel
// is always bad; for the rest, the exit status and the output decide.
type Criteria struct {
	// GoodExit are the exit statuses that count as good; nil means {0}.
	GoodExit []int
	// BadOutput, when set, makes a run whose stdout or stderr matches bad.
	BadOutput *regexp.Regexp
	// GoodOutput, when set, makes a run whose output does not match bad.
	GoodOutput *regexp.Regexp
}

// Bad judges one outcome.
func (c Criteria) Bad(o Outcome) bool {
	switch o.Class {
	case ClassNoRelease:
		return false // nothing ran: neither good nor bad, and skipped
	case ClassOK, ClassExit:
	default:
		return true
	}
	good := c.GoodExit
	if good == nil {
		good = []int{0}
	}
	if !slices.Contains(good, o.ExitCode) {
		return true
	}
	out := o.Stdout + "\n" + o.Stderr
	if c.BadOutput != nil && c.BadOutput.MatchString(out) {
		return true
	}
	return c.GoodOutput != nil && !c.GoodOutput.MatchString(out)
}

// Config is one bisection.
type Config struct {
	Source Source
	Runner Runner
	// Images are the environments, one search each; the host runner takes
	// one entry, "host".
	Images []string
	// Versions restricts the search; nil means every version of Source.
	Versions []string
	Name     string   // the program's own name inside the container
	Args     []string // arguments to every run, e.g. --version
	Mounts   []Mount
	Timeout  time.Duration
	Criteria Criteria
	// All runs every version in every image instead of searching.
	All bool
	// Jobs is how many runs may go at once; below 1 means 1.
	Jobs int
	// Local is the user's own copy; LocalVersion the release it claims to
	// be, whose pristine binary it is compared with.
	Local        string
	LocalVersion string
	// Store, if not nil, holds earlier runs: they are reused, not re-run,
	// and new ones are added.
	Store *Store
	// Progress, if not nil, is told about each step; it may be called from
	// several goroutines at once.
	Progress func(Event)
	// Getenv is the environment for the static check of the local copy;
	// nil means the real one.
	Getenv func(string) string
}

// Event is a step of the bisection, for progress displays.
type Event struct {
	Kind    string // "versions", "fetch", "run", "skip"
	Image   string
	Version string
	Local   bool
	Outcome *Outcome
	Reused  bool
	Err     error
	Total   int // for "versions": how many
}

// Cell is one run in the table of versions × images.
type Cell struct {
	Image   string  `json:"image"`
	Version string  `json:"version"`
	Local   bool    `json:"local,omitempty"`
	Outcome Outcome `json:"outcome"`
	Reused  bool    `json:"reused,omitempty"`
}

// ImageResult is what the search found in one image.
type ImageResult struct {
	Image string `json:"image"`
	// Status is "regression" (FirstBad is the first bad version after
	// LastGood), "all-good", "all-bad" (the oldest version is already
	// bad) or "error".
	Status   string `json:"status"`
	LastGood string `json:"last_good,omitempty"`
	FirstBad string `json:"first_bad,omitempty"`
	// Failure is the first bad run's outcome.
	Failure *Outcome `json:"failure,omitempty"`
	Runs    int      `json:"runs"`
	Error   string   `json:"error,omitempty"`
}

// LocalResult is the user's copy beside the pristine of its version.
type LocalResult struct {
	Path     string              `json:"path"`
	Version  string              `json:"version"`
	Pristine string              `json:"pristine,omitempty"`
	Diff     *inspect.Diff       `json:"diff,omitempty"`
	Check    *loader.CheckResult `json:"check,omitempty"`
	// Problems are why the diff or the check could not be made.
	Problems []string `json:"problems,omitempty"`
}

// Result is a finished bisection.
type Result struct {
	Source   string        `json:"source"`
	Versions []string      `json:"versions"`
	Images   []string      `json:"images"`
	Mode     string        `json:"mode"` // "bisect" or "all"
	Cells    []Cell        `json:"cells"`
	PerImage []ImageResult `json:"per_image"`
	Local    *LocalResult  `json:"local,omitempty"`
	Verdict  Verdict       `json:"verdict"`
	// RunsExecuted were run now; RunsReused came from the Store.
	RunsExecuted int `json:"runs_executed"`
	RunsReused   int `json:"runs_reused"`
}

// FailureFound reports whether any run was bad.
func (r *Result) FailureFound() bool {
	for _, c := range r.Cells {
		if c.Outcome.Bad {
			return true
		}
	}
	return false
}

// Cell returns the run of version in image, if there was one.
func (r *Result) Cell(image, version string, local bool) (Cell, bool) {
	for _, c := range r.Cells {
		if c.Image == image && c.Version == version && c.Local == local {
			return c, true
		}
	}
	return Cell{}, false
}

// bisector holds the state shared by the searches of one Run.
type bisector struct {
	cfg Config
	sem chan struct{}
	// fetchSem bounds parallel downloads.
	fetchSem chan struct{}
	mu       sync.Mutex
	res      *Result
	fetch    map[string]*fetched

	prefetchCtx context.Context
	prefetches  sync.WaitGroup
}

type fetched struct {
	done chan struct{}
	path string
	err  error
}

// Run bisects. Its error is for trouble that stops the whole bisection (no
// versions, a cancelled context, a runner that fails); a binary that does
// not run is a result, not an error.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if len(cfg.Images) == 0 {
		return nil, errors.New("no images to run in")
	}
	vs := cfg.Versions
	if vs == nil {
		all, err := cfg.Source.Versions(ctx)
		if err != nil {
			return nil, fmt.Errorf("list versions of %s: %w", cfg.Source.Describe(), err)
		}
		vs = all
	}
	vs = SortVersions(vs)
	if len(vs) == 0 {
		return nil, fmt.Errorf("%s: no versions to bisect", cfg.Source.Describe())
	}
	jobs := max(cfg.Jobs, 1)
	b := &bisector{cfg: cfg, sem: make(chan struct{}, jobs), fetchSem: make(chan struct{}, 4), fetch: map[string]*fetched{}}
	var stopPrefetch context.CancelFunc
	b.prefetchCtx, stopPrefetch = context.WithCancel(ctx)
	defer b.prefetches.Wait()
	defer stopPrefetch()
	b.res = &Result{Source: cfg.Source.Describe(), Versions: vs, Mode: "bisect", Cells: []Cell{}}
	if cfg.All {
		b.res.Mode = "all"
	}
	for _, im := range cfg.Images {
		b.res.Images = append(b.res.Images, cfg.Runner.Environment(im))
	}
	b.progress(Event{Kind: "versions", Total: len(vs)})

	per := make([]ImageResult, len(cfg.Images))
	errs := make([]error, len(cfg.Images))
	var wg sync.WaitGroup
	for i, im := range cfg.Images {
		wg.Go(func() {
			if cfg.All {
				per[i], errs[i] = b.sweep(ctx, im, vs)
			} else {
				per[i], errs[i] = b.search(ctx, im, vs)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	b.res.PerImage = per
	if cfg.Local != "" {
		if err := b.local(ctx); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(b.res.Cells, func(x, y Cell) int {
		if c := CompareVersions(x.Version, y.Version); c != 0 {
			return c
		}
		if x.Local != y.Local {
			if x.Local {
				return 1
			}
			return -1
		}
		return slices.Index(b.res.Images, x.Image) - slices.Index(b.res.Images, y.Image)
	})
	b.res.Verdict = decide(b.res)
	// Whatever the verdict, a release that was not checked against a
	// published checksum may not be the vendor's: the sentence says so.
	if u, ok := cfg.Source.(interface{ Unverified() string }); ok {
		if why := u.Unverified(); why != "" {
			b.res.Verdict.Unverified = why
			b.res.Verdict.Sentence += " Not verified: " + why + "."
		}
	}
	return b.res, nil
}

func (b *bisector) progress(e Event) {
	if b.cfg.Progress != nil {
		b.cfg.Progress(e)
	}
}

// binary fetches version once for all searches; prefetches share it.
func (b *bisector) binary(ctx context.Context, v string) (string, error) {
	b.mu.Lock()
	f, ok := b.fetch[v]
	if !ok {
		f = &fetched{done: make(chan struct{})}
		b.fetch[v] = f
		b.mu.Unlock()
		// A bounded number of downloads at once: a sweep over a hundred
		// versions should not open a hundred connections.
		select {
		case b.fetchSem <- struct{}{}:
			b.progress(Event{Kind: "fetch", Version: v})
			f.path, f.err = b.cfg.Source.Binary(ctx, v)
			<-b.fetchSem
		case <-ctx.Done():
			f.err = ctx.Err()
		}
		close(f.done)
	} else {
		b.mu.Unlock()
	}
	select {
	case <-f.done:
		return f.path, f.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// prefetch starts downloading versions in the background. Run stops
// and waits for prefetches before it returns, so none outlives it (a
// download cut short leaves nothing in the cache).
func (b *bisector) prefetch(_ context.Context, vs ...string) {
	for _, v := range vs {
		b.prefetches.Go(func() { _, _ = b.binary(b.prefetchCtx, v) })
	}
}

// runVersion runs the pristine binary of v in image (or reuses a stored
// run) and records the cell.
func (b *bisector) runVersion(ctx context.Context, image, v string) (Outcome, error) {
	p, err := b.binary(ctx, v)
	if errors.Is(err, ErrVersionNotFound) {
		o := Outcome{Class: ClassNoRelease, Detail: err.Error()}
		b.record(Cell{Image: b.cfg.Runner.Environment(image), Version: v, Outcome: o})
		return o, nil
	} else if err != nil {
		return Outcome{}, fmt.Errorf("version %s: %w", v, err)
	}
	return b.runBinary(ctx, image, v, p, false)
}

func (b *bisector) runBinary(ctx context.Context, image, v, path string, local bool) (Outcome, error) {
	env := b.cfg.Runner.Environment(image)
	key := b.cfg.Store.key(env, path, b.cfg.Args)
	if o, ok := b.cfg.Store.get(key); ok {
		o.Bad = b.cfg.Criteria.Bad(o)
		b.record(Cell{Image: env, Version: v, Local: local, Outcome: o, Reused: true})
		b.progress(Event{Kind: "run", Image: env, Version: v, Local: local, Outcome: &o, Reused: true})
		return o, nil
	}
	select {
	case b.sem <- struct{}{}:
	case <-ctx.Done():
		return Outcome{}, ctx.Err()
	}
	o, err := b.cfg.Runner.Run(ctx, RunSpec{Binary: path, Name: b.cfg.Name, Args: b.cfg.Args, Image: image, Mounts: b.cfg.Mounts, Timeout: b.cfg.Timeout})
	<-b.sem
	if err != nil {
		return Outcome{}, fmt.Errorf("run %s in %s: %w", v, env, err)
	}
	o.Bad = b.cfg.Criteria.Bad(o)
	if err := b.cfg.Store.put(key, o); err != nil {
		return Outcome{}, err
	}
	b.record(Cell{Image: env, Version: v, Local: local, Outcome: o})
	b.progress(Event{Kind: "run", Image: env, Version: v, Local: local, Outcome: &o})
	return o, nil
}

func (b *bisector) record(c Cell) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c.Reused {
		b.res.RunsReused++
	} else if c.Outcome.Class != ClassNoRelease {
		b.res.RunsExecuted++
	}
	b.res.Cells = append(b.res.Cells, c)
}

// search checks both ends of vs in image, then bisects between the last
// good and the first bad, as mozregression does. Versions without a
// release are dropped from the list as they are met.
func (b *bisector) search(ctx context.Context, image string, vs []string) (ImageResult, error) {
	ir := ImageResult{Image: b.cfg.Runner.Environment(image)}
	vs = slices.Clone(vs)
	run := func(i int) (Outcome, bool, error) {
		o, err := b.runVersion(ctx, image, vs[i])
		if err != nil {
			return o, false, err
		}
		if o.Class == ClassNoRelease {
			return o, false, nil
		}
		ir.Runs++
		return o, true, nil
	}
	// The ends, skipping versions with no release.
	var lo, hi int
	var loOut, hiOut Outcome
	for {
		if len(vs) == 0 {
			ir.Status, ir.Error = "error", "no version has a release"
			return ir, nil
		}
		if len(vs) > 1 {
			b.prefetch(ctx, vs[len(vs)-1])
		}
		o, ok, err := run(0)
		if err != nil {
			return ir, err
		}
		if !ok {
			vs = vs[1:]
			continue
		}
		loOut = o
		break
	}
	if loOut.Bad {
		ir.Status, ir.FirstBad, ir.Failure = "all-bad", vs[0], &loOut
		return ir, nil
	}
	for {
		hi = len(vs) - 1
		if hi == 0 {
			ir.Status, ir.LastGood = "all-good", vs[0]
			return ir, nil
		}
		o, ok, err := run(hi)
		if err != nil {
			return ir, err
		}
		if !ok {
			vs = vs[:hi]
			continue
		}
		hiOut = o
		break
	}
	if !hiOut.Bad {
		ir.Status, ir.LastGood = "all-good", vs[hi]
		return ir, nil
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		// While mid runs, fetch both places the search can go next.
		b.prefetch(ctx, vs[lo+(mid-lo)/2], vs[mid+(hi-mid)/2])
		o, ok, err := run(mid)
		if err != nil {
			return ir, err
		}
		switch {
		case !ok:
			vs = slices.Delete(vs, mid, mid+1)
			hi--
		case o.Bad:
			hi, hiOut = mid, o
		default:
			lo = mid
		}
	}
	ir.Status, ir.LastGood, ir.FirstBad, ir.Failure = "regression", vs[lo], vs[hi], &hiOut
	return ir, nil
}

// sweep runs every version in image, Jobs at a time, and reports the first
// bad version after the last good one that precedes it.
func (b *bisector) sweep(ctx context.Context, image string, vs []string) (ImageResult, error) {
	ir := ImageResult{Image: b.cfg.Runner.Environment(image)}
	outs := make([]Outcome, len(vs))
	errs := make([]error, len(vs))
	var wg sync.WaitGroup
	for i, v := range vs {
		wg.Go(func() { outs[i], errs[i] = b.runVersion(ctx, image, v) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return ir, err
	}
	// The first bad run after a good one; bad at the oldest is "all-bad",
	// as in search, whatever later versions do.
	prev := ""
	for i, o := range outs {
		if o.Class == ClassNoRelease {
			continue
		}
		ir.Runs++
		switch {
		case ir.Status != "":
		case o.Bad && prev == "":
			ir.Status, ir.FirstBad, ir.Failure = "all-bad", vs[i], &outs[i]
		case o.Bad:
			ir.Status, ir.LastGood, ir.FirstBad, ir.Failure = "regression", prev, vs[i], &outs[i]
		default:
			prev = vs[i]
		}
	}
	switch {
	case ir.Runs == 0:
		ir.Status, ir.Error = "error", "no version has a release"
	case ir.Status == "":
		ir.Status, ir.LastGood = "all-good", prev
	}
	return ir, nil
}

// local runs the user's copy in every image, the pristine of its version
// beside it, and compares the two files.
func (b *bisector) local(ctx context.Context) error {
	lr := &LocalResult{Path: b.cfg.Local, Version: b.cfg.LocalVersion}
	b.res.Local = lr
	if _, err := os.Stat(b.cfg.Local); err != nil {
		return fmt.Errorf("local copy: %w", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2*len(b.cfg.Images))
	for i, im := range b.cfg.Images {
		wg.Go(func() { _, errs[2*i] = b.runBinary(ctx, im, localLabel(lr.Version), b.cfg.Local, true) })
		if lr.Version != "" {
			wg.Go(func() {
				env := b.cfg.Runner.Environment(im)
				if _, ok := b.res.Cell(env, lr.Version, false); ok {
					return
				}
				_, errs[2*i+1] = b.runVersion(ctx, im, lr.Version)
			})
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if lr.Version == "" {
		lr.Problems = append(lr.Problems, "the local copy's version is unknown (give --local-version): no pristine to compare it with")
	} else if p, err := b.binary(ctx, lr.Version); err != nil {
		lr.Problems = append(lr.Problems, fmt.Sprintf("no pristine %s: %v", lr.Version, err))
	} else {
		lr.Pristine = p
		d, err := diffFiles(p, b.cfg.Local, lr.Version)
		if err != nil {
			lr.Problems = append(lr.Problems, "diff: "+err.Error())
		}
		lr.Diff = d
	}
	c, err := loader.Check(b.cfg.Local, loader.CheckOptions{Getenv: b.cfg.Getenv})
	if err != nil {
		lr.Problems = append(lr.Problems, "check: "+err.Error())
	}
	lr.Check = c
	return nil
}

// localLabel is the Version of the local copy's cells.
func localLabel(v string) string {
	if v == "" {
		return "local"
	}
	return v
}

func diffFiles(pristine, local, version string) (*inspect.Diff, error) {
	a, err := inspect.Open(pristine)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	l, err := inspect.Open(local)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	return inspect.Compare(a, l, "pristine "+version, local)
}
