package loader_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// damagedSeeds returns every damage kind applied to the small inputs, by
// name, for the robustness test and the fuzz corpus.
func damagedSeeds(tb testing.TB) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	for _, in := range reality.Inputs(tb) {
		if in.Big {
			continue
		}
		b, err := os.ReadFile(in.Path)
		if err != nil {
			tb.Fatal(err)
		}
		out[in.Name+"/pristine"] = b
		for _, k := range damage.Kinds {
			src := b
			if k.Library {
				if in.Lib == "" {
					continue
				}
				if src, err = os.ReadFile(in.Lib); err != nil {
					tb.Fatal(err)
				}
			}
			if d, err := k.Apply(src); err == nil {
				out[in.Name+"/"+k.Name] = d
			}
		}
	}
	return out
}

// checkBounded runs Check and fails if it panics past its own recovery,
// reports an internal error, or does not return within a few seconds.
func checkBounded(t *testing.T, name, path string, opts loader.CheckOptions) {
	t.Helper()
	type ret struct {
		res *loader.CheckResult
		err error
		pan any
	}
	done := make(chan ret, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- ret{pan: r}
			}
		}()
		res, err := loader.Check(path, opts)
		done <- ret{res: res, err: err}
	}()
	select {
	case r := <-done:
		if r.pan != nil {
			t.Fatalf("Check(%s) panicked: %v", name, r.pan)
		}
		if inspect.IsInternal(r.err) {
			t.Fatalf("Check(%s): %v", name, r.err)
		}
		if r.err != nil {
			return // unreadable files are errors, not predictions
		}
		if r.res.Outcome == "" {
			t.Errorf("Check(%s) predicted no outcome", name)
		}
		for _, f := range r.res.Findings {
			if f.Code == inspect.CodeInternalError {
				t.Errorf("Check(%s): %s", name, f.Summary)
			}
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("Check(%s) did not return in 10s", name)
	}
}

// mutate returns a copy of b with n random bytes overwritten, half of
// them in the first 4 KiB where the headers and loader tables are, and
// sometimes cut short.
func mutate(r *rand.Rand, b []byte, n int) []byte {
	m := bytes.Clone(b)
	for range n {
		limit := len(m)
		if r.IntN(2) == 0 {
			limit = min(limit, 4096)
		}
		m[r.IntN(limit)] = byte(r.UintN(256))
	}
	if r.IntN(4) == 0 {
		m = m[:r.IntN(len(m))]
	}
	return m
}

// TestCheckHostile runs Check on every damaged file and on randomly
// mutated copies of them: it must neither panic nor hang.
func TestCheckHostile(t *testing.T) {
	seeds := damagedSeeds(t)
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	opts := loader.CheckOptions{Getenv: reality.NoEnv, Trace: true}
	n := 0
	for name, b := range seeds {
		p := filepath.Join(dir, "f")
		for i := range 6 {
			data, what := b, name
			if i > 0 {
				data, what = mutate(r, b, 1<<i), fmt.Sprintf("%s (mutation %d)", name, i)
			}
			if err := os.WriteFile(p, data, 0o755); err != nil {
				t.Fatal(err)
			}
			checkBounded(t, what, p, opts)
			n++
		}
	}
	t.Logf("%d hostile files checked", n)
}

// FuzzCheckDamaged runs the whole prediction on mutations of the
// committed fixtures and of every kind of damage, with a root that holds
// nothing, so no real library is opened and no loader is run.
// FuzzCheckRelocated is FuzzCheckDamaged against this machine's own
// loader and libc instead of an empty root: the damaged programs find
// their libraries, so the relocation replay, the first calls and the
// marks read after it (relmem.go, leftout.go, varslot.go, renamed.go)
// read the fuzzer's bytes too.
func FuzzCheckRelocated(f *testing.F) {
	for name, b := range damagedSeeds(f) {
		if !strings.HasPrefix(name, "uses-") { // libdemo.so is not beside the fuzz input
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "prog")
		if err := os.WriteFile(p, b, 0o755); err != nil {
			t.Fatal(err)
		}
		checkBounded(t, "fuzz input", p, loader.CheckOptions{Getenv: reality.NoEnv, Trace: true})
	})
}

func FuzzCheckDamaged(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/bin/*")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) <= 64<<10 && bytes.HasPrefix(b, []byte("\x7fELF")) {
			f.Add(b)
		}
	}
	for _, b := range damagedSeeds(f) {
		f.Add(b)
	}
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "prog")
		if err := os.WriteFile(p, b, 0o755); err != nil {
			t.Fatal(err)
		}
		checkBounded(t, "fuzz input", p, loader.CheckOptions{Root: root, Getenv: reality.NoEnv, Trace: true})
	})
}
