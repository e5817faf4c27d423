package reality

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
)

func TestMain(m *testing.M) {
	// Damaged programs crash by the hundred; their cores would fill the
	// case directories and cost time.
	syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{Cur: 0, Max: 0})
	code := m.Run()
	for _, w := range fixture.roots {
		w.Close()
	}
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

// fixture is what every fuzzer test shares: the four glibc roots, each
// copied once into a work root with /proc mounted, and the inputs built
// against the oldest glibc.
var fixture struct {
	sync.Once
	dir    string
	inputs []FuzzInput
	roots  []*WorkRoot
	err    error
}

func setup(tb testing.TB) *Fuzzer {
	tb.Helper()
	need(tb, "gcc", "clang", "ld.lld", "patchelf", "apt-get", "dpkg-deb", "ldconfig")
	gs := glibcs(tb)
	fixture.Do(func() {
		ctx := context.Background()
		sysroot, err := DebianRoot(ctx, Suites[0], append(append([]string(nil), RootPackages...), DevPackages...))
		if err != nil {
			fixture.err = err
			return
		}
		if fixture.inputs, fixture.err = BuildFuzzInputs(ctx, sysroot); fixture.err != nil {
			return
		}
		removeStaleWorkRoots()
		if fixture.dir, fixture.err = os.MkdirTemp("", fmt.Sprintf("elfdoctor-reality-%d-", os.Getpid())); fixture.err != nil {
			return
		}
		for _, g := range gs {
			w, err := NewWorkRoot(g, filepath.Join(fixture.dir, g.Suite))
			if err != nil {
				fixture.err = err
				return
			}
			fixture.roots = append(fixture.roots, w)
		}
	})
	if fixture.err != nil {
		tb.Fatal(fixture.err)
	}
	f, err := NewFuzzer(fixture.inputs, fixture.roots)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(f.Close)
	return f
}

// removeStaleWorkRoots unmounts /proc in, and removes, the work roots of
// test processes that were killed before TestMain could (a timeout, ^C):
// their directories name their process, which no longer exists.
func removeStaleWorkRoots() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "elfdoctor-reality-*-*"))
	for _, d := range dirs {
		var pid int
		if _, err := fmt.Sscanf(filepath.Base(d), "elfdoctor-reality-%d-", &pid); err != nil || pid <= 0 {
			continue
		}
		if err := syscall.Kill(pid, 0); err == nil || err == syscall.EPERM {
			continue // still running
		}
		procs, _ := filepath.Glob(filepath.Join(d, "*", "proc"))
		clean := true
		for _, p := range procs {
			if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil && err != syscall.EINVAL {
				clean = false
			}
		}
		if clean {
			os.RemoveAll(d)
		}
	}
}

// TestPristine: every input starts under every glibc, executed and run
// as a command of the loader, and check says so. Without this, every
// damaged copy would fail for a reason that has nothing to do with its
// damage.
func TestPristine(t *testing.T) {
	f := setup(t)
	for _, in := range f.Inputs {
		for _, root := range f.Roots {
			for _, viaLoader := range []bool{false, true} {
				r, err := f.runIn(t.Context(), root, in, f.bytes[in.Path], f.bytes[in.Lib], false, viaLoader)
				if err != nil {
					t.Fatal(err)
				}
				want := ClassStarts
				if versionLess(root.Version, in.MinGlibc) {
					want = ClassLoaderError // version `GLIBC_2.34' not found
				}
				if r.Observed.Class != want {
					t.Errorf("%s under %s (as the loader's command: %v): %s, want %s", in.Name, root, viaLoader, r.Observed, want)
				}
				if r.Divergence != "" {
					t.Errorf("%s under %s (as the loader's command: %v): %s", in.Name, root, viaLoader, r.Divergence)
				}
			}
		}
	}
}

// sweepResult is what a sweep found.
type sweepResult struct {
	divs     []string      // every divergence, one line per case and glibc
	diverged int           // cases that diverged under at least one glibc
	classes  map[Class]int // runs by observed class
	results  map[string]string
	// undetermined counts the runs check called undetermined and
	// reality agreed with, apart from those it predicted, so that neither
	// figure hides the other; abstained counts them by the code of the
	// finding that left the outcome open: where check says least.
	undetermined int
	abstained    map[string]int
}

// figures is the one-line account of a sweep of n cases under roots glibc
// builds.
func (s *sweepResult) figures(n, roots int) string {
	runs := n * roots
	codes := make([]string, 0, len(s.abstained))
	for c := range s.abstained {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool {
		if a, b := s.abstained[codes[i]], s.abstained[codes[j]]; a != b {
			return a > b
		}
		return codes[i] < codes[j]
	})
	by := make([]string, len(codes))
	for i, c := range codes {
		by[i] = fmt.Sprintf("%s:%d", c, s.abstained[c])
	}
	return fmt.Sprintf("%d cases diverged (%d runs); runs: agreed=%d undetermined=%d diverged=%d; observed %v; undetermined by finding [%s]",
		s.diverged, len(s.divs), runs-s.undetermined-len(s.divs), s.undetermined, len(s.divs), s.classes, strings.Join(by, " "))
}

// sweep runs the cases of seeds with two workers.
func sweep(t *testing.T, f *Fuzzer, seeds []uint64) *sweepResult {
	s := &sweepResult{classes: map[Class]int{}, results: map[string]string{}, abstained: map[string]int{}}
	var mu sync.Mutex
	start, done := time.Now(), 0
	work := make(chan uint64)
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seed := range work {
				c := f.Generate(seed)
				rs, err := f.Run(t.Context(), c)
				mu.Lock()
				if err != nil {
					t.Errorf("seed %d could not be run: %v", seed, err)
				}
				any := false
				for _, r := range rs {
					s.classes[r.Observed.Class]++
					s.results[fmt.Sprintf("sample seed=%d glibc=%s", seed, r.Glibc)] = r.Divergence
					if r.Divergence == "" && r.Predicted != nil && r.Predicted.Outcome == loader.OutcomeUndetermined {
						s.undetermined++
						if fd := r.Predicted.Fatal(); fd != nil {
							s.abstained[fd.Code]++
						}
					}
					if r.Divergence != "" {
						any = true
						s.divs = append(s.divs, fmt.Sprintf("seed %d [%s] %s: %s", seed, r.Glibc, c, r.Divergence))
					}
				}
				if any {
					s.diverged++
				}
				if done++; done%1000 == 0 {
					t.Logf("%d/%d cases, %.1f cases/s, %d divergent runs so far", done, len(seeds), float64(done)/time.Since(start).Seconds(), len(s.divs))
				}
				mu.Unlock()
			}
		}()
	}
	for _, seed := range seeds {
		work <- seed
	}
	close(work)
	wg.Wait()
	sort.Strings(s.divs)
	return s
}

// ciCases is the size of the seeded sample CI runs.
const ciCases = 500

// TestDifferential is the seeded CI sample: ciCases damaged copies, each
// predicted and run under the four glibc builds. A divergence that is
// not an open one of testdata/known-divergences.txt fails the test, and
// so does a listed one that agrees again; a new kind of divergence
// belongs in namedCases too.
func TestDifferential(t *testing.T) {
	runSample(t, setup(t), 1, ciCases, "", "")
}

// ciLoaderCases is the size of the seeded sample CI runs as the loader's
// command.
const ciLoaderCases = 300

// TestDifferentialViaLoader is TestDifferential for programs started as
// `ld.so [--library-path DIR] PROGRAM`, the way fix's wrappers start
// them: ld.so, not the kernel, opens and maps the program. Its seeds
// follow TestDifferential's, so the two samples differ.
func TestDifferentialViaLoader(t *testing.T) {
	f := setup(t)
	f.ViaLoader = true
	runSample(t, f, ciCases+1, ciLoaderCases, ", run as the loader's command,", "loader-")
}

// ciDlopenCases is the size of the seeded sample CI runs as dlopen loads
// the library.
const ciDlopenCases = 300

// TestDifferentialDlopen is TestDifferential for libraries checked as
// dlopen loads them (--loaded-by): each damaged library is dlopen'ed by
// dlopen-host, as Node.js loads an addon. Its seeds follow
// TestDifferentialViaLoader's.
func TestDifferentialDlopen(t *testing.T) {
	f := setup(t)
	f.Dlopen = true
	runSample(t, f, ciCases+ciLoaderCases+1, ciDlopenCases, ", dlopen'ed,", "dlopen-")
}

// ciPatchelfCases is the size of the seeded sample CI runs of patchelf's
// own rewrites.
const ciPatchelfCases = 300

// TestDifferentialPatchelf is TestDifferential for damage made by the
// real tool: each case is one to three rounds of random patchelf
// rewrites by 0.14.3 or 0.18.0 (rewrite.go), a quarter of them followed
// by one mutation. Its seeds follow TestDifferentialDlopen's.
func TestDifferentialPatchelf(t *testing.T) {
	f := setup(t)
	NeedTools(t, "strip")
	f.Patchelf, f.Patchelfs = true, Patchelfs(t)
	runSample(t, f, ciCases+ciLoaderCases+ciDlopenCases+1, ciPatchelfCases, ", rewritten by patchelf,", "patchelf-")
}

// ciPatchelfModeCases is the size of the seeded samples CI runs of
// patchelf's rewrites as ld.so's command and under dlopen.
const ciPatchelfModeCases = 150

// TestDifferentialPatchelfViaLoader is TestDifferentialPatchelf run as
// `ld.so PROGRAM`; its seeds follow TestDifferentialPatchelf's.
func TestDifferentialPatchelfViaLoader(t *testing.T) {
	f := setup(t)
	NeedTools(t, "strip")
	f.Patchelf, f.Patchelfs, f.ViaLoader = true, Patchelfs(t), true
	first := ciCases + ciLoaderCases + ciDlopenCases + ciPatchelfCases + 1
	runSample(t, f, first, ciPatchelfModeCases, ", rewritten by patchelf, run as the loader's command,", "patchelf-loader-")
}

// TestDifferentialPatchelfDlopen is TestDifferentialPatchelf for
// libraries dlopen'ed by dlopen-host; its seeds follow the one before.
func TestDifferentialPatchelfDlopen(t *testing.T) {
	f := setup(t)
	NeedTools(t, "strip")
	f.Patchelf, f.Patchelfs, f.Dlopen = true, Patchelfs(t), true
	first := ciCases + ciLoaderCases + ciDlopenCases + ciPatchelfCases + ciPatchelfModeCases + 1
	runSample(t, f, first, ciPatchelfModeCases, ", rewritten by patchelf, dlopen'ed,", "patchelf-dlopen-")
}

// runSample sweeps the n seeds from first, logs the figures (how says
// how the cases ran) and holds the results against the known list, each
// key and the list's own prefix led by prefix.
func runSample(t *testing.T, f *Fuzzer, first, n int, how, prefix string) {
	seeds := make([]uint64, n)
	for i := range seeds {
		seeds[i] = uint64(first + i)
	}
	start := time.Now()
	s := sweep(t, f, seeds)
	t.Logf("%d cases × %d glibc builds%s in %v; %s", len(seeds), len(f.Roots), how, time.Since(start).Round(time.Millisecond), s.figures(len(seeds), len(f.Roots)))
	keyed := map[string]string{}
	for k, v := range s.results {
		keyed[prefix+k] = v
	}
	loadKnown(t).compare(t, prefix+"sample", keyed)
}

// TestSoak runs ELFDOCTOR_SOAK cases from seed ELFDOCTOR_SOAK_SEED (or
// one from the clock) and prints every divergence and the rate
// (scripts/soak-loader). ELFDOCTOR_SEEDS, a comma-separated list, runs
// those seeds instead: the way to look again at the cases a sample or a
// soak found.
func TestSoak(t *testing.T) {
	var seeds []uint64
	if list := os.Getenv("ELFDOCTOR_SEEDS"); list != "" {
		for _, s := range strings.Split(list, ",") {
			seed, err := strconv.ParseUint(strings.TrimSpace(s), 0, 64)
			if err != nil {
				t.Fatalf("ELFDOCTOR_SEEDS: %v", err)
			}
			seeds = append(seeds, seed)
		}
	}
	n, _ := strconv.Atoi(os.Getenv("ELFDOCTOR_SOAK"))
	if n <= 0 && len(seeds) == 0 {
		t.Skip("set ELFDOCTOR_SOAK=N (scripts/soak-loader N) or ELFDOCTOR_SEEDS=A,B,...")
	}
	base, err := strconv.ParseUint(os.Getenv("ELFDOCTOR_SOAK_SEED"), 0, 64)
	if err != nil {
		base = uint64(time.Now().UnixNano())
	}
	f := setup(t)
	// ELFDOCTOR_VIA_LOADER=1 runs every case as `ld.so PROGRAM`.
	f.ViaLoader = os.Getenv("ELFDOCTOR_VIA_LOADER") != ""
	// ELFDOCTOR_DLOPEN=1 dlopens every damaged library (dlopen-host).
	f.Dlopen = os.Getenv("ELFDOCTOR_DLOPEN") != ""
	// ELFDOCTOR_PATCHELF=1 makes every case a rewrite by patchelf.
	if os.Getenv("ELFDOCTOR_PATCHELF") != "" {
		NeedTools(t, "strip")
		f.Patchelf, f.Patchelfs = true, Patchelfs(t)
	}
	// ELFDOCTOR_INPUTS=A,B draws every case from those inputs only, to
	// soak one of them at length (a seed then means another case).
	if list := os.Getenv("ELFDOCTOR_INPUTS"); list != "" {
		names := strings.Split(list, ",")
		f.Inputs = slices.DeleteFunc(slices.Clone(f.Inputs), func(in FuzzInput) bool { return !slices.Contains(names, in.Name) })
		if len(f.Inputs) == 0 {
			t.Fatalf("ELFDOCTOR_INPUTS=%s names no input", list)
		}
	}
	if len(seeds) == 0 {
		seeds = make([]uint64, n)
		for i := range seeds {
			seeds[i] = base + uint64(i)
		}
	}
	n = len(seeds)
	span := fmt.Sprintf("seeds %d..%d", base, base+uint64(n)-1)
	if os.Getenv("ELFDOCTOR_SEEDS") != "" {
		span = "seeds listed in ELFDOCTOR_SEEDS"
	}
	// ELFDOCTOR_KEEP=DIR writes each seed's damaged files into DIR/SEED,
	// to look at with elfdoctor and readelf.
	if dir := os.Getenv("ELFDOCTOR_KEEP"); dir != "" {
		for _, seed := range seeds {
			if err := keepCase(f, f.Generate(seed), filepath.Join(dir, strconv.FormatUint(seed, 10))); err != nil {
				t.Fatal(err)
			}
		}
	}
	start := time.Now()
	s := sweep(t, f, seeds)
	el := time.Since(start)
	for _, d := range s.divs {
		t.Log("DIVERGENCE " + d)
	}
	t.Logf("soak: %d cases (%s) × %d glibc builds in %v: %.1f cases/s, %s",
		n, span, len(f.Roots), el.Round(time.Millisecond), float64(n)/el.Seconds(), s.figures(n, len(f.Roots)))
	if len(s.divs) > 0 {
		t.Fail()
	}
}

// keepCase writes c's program and library, damaged as the case damages
// them, into dir, with the case's description in case.txt.
func keepCase(f *Fuzzer, c FuzzCase, dir string) error {
	in, prog, lib, err := f.damaged(c)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string][]byte{in.Name: prog, "case.txt": []byte(c.String() + "\n")}
	if lib != nil {
		files[in.LibName] = lib
	}
	if in.DlopenHost != "" && c.Dlopen {
		files["dlopen-host"] = f.bytes[in.DlopenHost]
	}
	for _, e := range in.Extra {
		files[filepath.Base(e)] = f.bytes[e]
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o755); err != nil {
			return err
		}
	}
	return nil
}
