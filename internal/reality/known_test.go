package reality

import (
	"bufio"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

var updateKnown = flag.Bool("update-known", false, "rewrite testdata/known-divergences.txt from this run's divergences")

// knownPath lists, one key a line, the divergences between check and the
// real loaders that are still open. Each is a bug in the replay (issue
// 12), not an accepted behaviour: the list exists so that CI fails on
// any new divergence, or one that comes back, while the replay is fixed
// case by case, and it must only shrink. A listed case that agrees again
// fails too, so that it is taken off the list and stays fixed.
// `go test ./internal/reality -update-known` rewrites it from a run.
const knownPath = "testdata/known-divergences.txt"

type known struct {
	mu   sync.Mutex
	keys map[string]bool
}

var (
	knownOnce sync.Once
	knownSet  *known
	knownErr  error
)

func loadKnown(t *testing.T) *known {
	t.Helper()
	knownOnce.Do(func() {
		knownSet = &known{keys: map[string]bool{}}
		f, err := os.Open(knownPath)
		if os.IsNotExist(err) {
			return
		}
		if err != nil {
			knownErr = err
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
				knownSet.keys[l] = true
			}
		}
		knownErr = sc.Err()
	})
	if knownErr != nil {
		t.Fatal(knownErr)
	}
	return knownSet
}

// compare checks one test's results, key → divergence ("" when check
// agreed), against the list: keys are prefixed by the test's own prefix,
// so that each test owns its lines of the file.
func (k *known) compare(t *testing.T, prefix string, results map[string]string) {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	if *updateKnown {
		for key := range k.keys {
			if strings.HasPrefix(key, prefix+" ") {
				delete(k.keys, key)
			}
		}
		for key, div := range results {
			if div != "" {
				k.keys[key] = true
			}
		}
		if err := k.write(); err != nil {
			t.Fatal(err)
		}
		return
	}
	var fresh, fixed int
	for key, div := range results {
		switch {
		case div != "" && !k.keys[key]:
			fresh++
			t.Errorf("new divergence (not in %s): %s: %s", knownPath, key, div)
		case div == "" && k.keys[key]:
			fixed++
			t.Errorf("%s now agrees with the real loader: take it off %s (-update-known)", key, knownPath)
		}
	}
	open := 0
	for key := range results {
		if k.keys[key] {
			open++
		}
	}
	t.Logf("%s: %d runs, %d open divergences listed in %s, %d new, %d fixed", prefix, len(results), open, knownPath, fresh, fixed)
}

func (k *known) write() error {
	lines := make([]string, 0, len(k.keys))
	for key := range k.keys {
		lines = append(lines, key)
	}
	sort.Strings(lines)
	head := "# Open divergences between elfdoctor check and the real loaders (issue 12).\n" +
		"# Each line is a bug in the replay, or a named case whose Found says why no\n" +
		"# read of the files can decide it; the list must only shrink otherwise.\n" +
		"# Rewritten by go test ./internal/reality -update-known, never by hand.\n"
	if err := os.MkdirAll(filepath.Dir(knownPath), 0o755); err != nil {
		return err
	}
	return os.WriteFile(knownPath, []byte(head+strings.Join(lines, "\n")+"\n"), 0o644)
}
