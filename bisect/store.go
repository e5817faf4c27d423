package bisect

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/elfdoctor/elfdoctor/internal/safeopen"
)

// Store is a results file: every run, keyed by environment, binary and
// arguments, so that a later bisection resumes without re-running. It is
// rewritten (atomically) after each run, so an interrupted bisection keeps
// what it finished. A nil *Store stores nothing.
type Store struct {
	path string
	mu   sync.Mutex
	runs map[string]Outcome
}

type storeFile struct {
	SchemaVersion int                `json:"schema_version"`
	Runs          map[string]Outcome `json:"runs"`
}

// OpenStore reads the results file at path; a missing file is empty.
func OpenStore(path string) (*Store, error) {
	s := &Store{path: path, runs: map[string]Outcome{}}
	f, err := readStoreFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	} else if err != nil {
		return nil, err
	}
	if f.Runs != nil {
		s.runs = f.Runs
	}
	return s, nil
}

func readStoreFile(path string) (*storeFile, error) {
	r, err := safeopen.Regular(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("results file: %w", err)
	}
	defer r.Close()
	var f storeFile
	if err := json.NewDecoder(r).Decode(&f); err != nil {
		return nil, fmt.Errorf("results file %s: %w; remove it to start afresh", path, err)
	}
	if f.SchemaVersion != 1 {
		return nil, fmt.Errorf("results file %s: schema version %d, want 1; remove it to start afresh", path, f.SchemaVersion)
	}
	return &f, nil
}

// Len is the number of stored runs.
func (s *Store) Len() int {
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.runs)
}

// key identifies a run. The binary is named by path, size and mtime, not
// hashed: cached releases live at their digest already, and hashing a
// local copy of hundreds of megabytes per run would cost more than it
// saves.
func (s *Store) key(env, binary string, args []string) string {
	if s == nil {
		return ""
	}
	st, err := os.Stat(binary)
	var size, mtime int64
	if err == nil {
		size, mtime = st.Size(), st.ModTime().UnixNano()
	}
	return strings.Join([]string{env, binary, strconv.FormatInt(size, 10), strconv.FormatInt(mtime, 10), strings.Join(args, "\x1f")}, "\x1e")
}

func (s *Store) get(key string) (Outcome, bool) {
	if s == nil {
		return Outcome{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.runs[key]
	return o, ok
}

// put adds a run and rewrites the file under an exclusive lock on
// PATH.lock, merging the runs another bisection sharing the file added
// meanwhile, so that two bisections lose neither's runs.
func (s *Store) put(key string, o Outcome) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs[key] = o
	unlock, err := lockFile(s.path + ".lock")
	if err != nil {
		return fmt.Errorf("results file: %w", err)
	}
	defer unlock()
	if f, err := readStoreFile(s.path); err == nil {
		for k, v := range f.Runs {
			if _, ok := s.runs[k]; !ok {
				s.runs[k] = v
			}
		}
	}
	b, err := json.MarshalIndent(storeFile{SchemaVersion: 1, Runs: s.runs}, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(s.path, b, 0o644); err != nil {
		return fmt.Errorf("results file: %w", err)
	}
	return nil
}

// lockFile takes an exclusive flock on name, creating it, and returns
// its release.
func lockFile(name string) (func(), error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	return func() { f.Close() }, nil
}
