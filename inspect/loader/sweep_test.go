package loader_test

import (
	"context"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// sweepDirs hold the machine's own programs and libraries. Every one of
// them starts (or loads) on this machine, so a fatal prediction for any of
// them is a false alarm.
var sweepDirs = []string{"/usr/bin", "/usr/sbin", "/usr/lib/x86_64-linux-gnu"}

// elfKind reads just enough of p to tell an ELF executable or shared
// object (ET_EXEC, ET_DYN) from everything else.
func elfKind(p string) (elf.Type, bool) {
	fh, err := os.Open(p)
	if err != nil {
		return 0, false
	}
	defer fh.Close()
	var h [18]byte
	if _, err := fh.ReadAt(h[:], 0); err != nil || string(h[:4]) != elf.ELFMAG {
		return 0, false
	}
	var o binary.ByteOrder = binary.LittleEndian
	if elf.Data(h[elf.EI_DATA]) == elf.ELFDATA2MSB {
		o = binary.BigEndian
	}
	t := elf.Type(o.Uint16(h[16:]))
	return t, t == elf.ET_EXEC || t == elf.ET_DYN
}

// TestCheckSweepSystem runs Check over every ELF executable and shared
// library of the system directories and fails on any fatal finding. It
// logs how many files it checked and how fast; it does not fail on speed.
func TestCheckSweepSystem(t *testing.T) {
	var files []string
	for _, dir := range sweepDirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if d != nil && d.IsDir() && p != dir {
					return fs.SkipDir // unreadable subdirectory
				}
				return nil
			}
			if !d.Type().IsRegular() { // symlinks would count files twice
				return nil
			}
			if _, ok := elfKind(p); ok {
				files = append(files, p)
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	if len(files) == 0 {
		t.Fatal("no ELF executables or libraries in the system directories")
	}
	type result struct {
		path     string
		fatal    *loader.Finding
		err      error
		warnings []string
	}
	results := make([]result, len(files))
	work := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				r := result{path: files[i]}
				res, err := loader.Check(files[i], loader.CheckOptions{Getenv: reality.NoEnv})
				if err != nil {
					r.err = err
				} else {
					r.fatal = res.Fatal()
					for _, f := range res.Findings {
						if f.Severity == loader.SeverityWarning {
							r.warnings = append(r.warnings, f.Code)
						}
					}
				}
				results[i] = r
			}
		}()
	}
	for i := range files {
		work <- i
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)

	warnings := map[string]int{}
	dlopened := 0
	for _, r := range results {
		switch {
		case r.err != nil:
			t.Errorf("Check(%s): %v", r.path, r.err)
		case r.fatal != nil && r.fatal.Outcome == loader.OutcomeDlopenFails:
			// A private library (systemd's, loaded through its programs'
			// RUNPATH) that a bare dlopen cannot load: reality decides.
			dlopened++
			if real := dlopenReally(t, r.path); real.Class == damage.Starts || !strings.Contains(real.Stderr, r.fatal.Message) {
				t.Errorf("Check(%s) = dlopen fails (%s), but dlopen really: %s", r.path, r.fatal.Message, real)
			}
		case r.fatal != nil:
			t.Errorf("Check(%s) = fatal %s (%s): %s; this file works on this machine", r.path, r.fatal.Code, r.fatal.Stage, r.fatal.Summary)
		}
		for _, w := range r.warnings {
			warnings[w]++
		}
	}
	var ws []string
	for w, n := range warnings {
		ws = append(ws, fmt.Sprintf("%s ×%d", w, n))
	}
	sort.Strings(ws)
	t.Logf("checked %d ELF files in %s with %d goroutines: %.0f files/s; %d private libraries a bare dlopen refuses, confirmed by dlopen; warnings: %s",
		len(files), elapsed.Round(time.Millisecond), runtime.GOMAXPROCS(0), float64(len(files))/elapsed.Seconds(), dlopened, strings.Join(ws, ", "))
}

var dlopenHostOnce struct {
	sync.Once
	path string
	err  error
}

// dlopenReally loads lib with dlopen from a program built with the
// machine's gcc (dlopenHost), and returns what happened.
func dlopenReally(t *testing.T, lib string) damage.Result {
	t.Helper()
	reality.NeedTools(t, "gcc")
	dlopenHostOnce.Do(func() {
		dir, err := os.MkdirTemp("", "elfdoctor-dlopen-host-")
		if err != nil {
			dlopenHostOnce.err = err
			return
		}
		src := filepath.Join(dir, "host.c")
		if err := os.WriteFile(src, []byte(dlopenHost), 0o644); err != nil {
			dlopenHostOnce.err = err
			return
		}
		dlopenHostOnce.path = filepath.Join(dir, "host")
		if out, err := exec.Command("gcc", "-O1", "-o", dlopenHostOnce.path, src).CombinedOutput(); err != nil {
			dlopenHostOnce.err = fmt.Errorf("gcc: %v\n%s", err, out)
		}
	})
	if dlopenHostOnce.err != nil {
		t.Fatal(dlopenHostOnce.err)
	}
	real, err := damage.Run(context.Background(), filepath.Dir(dlopenHostOnce.path), reality.Timeout, nil, dlopenHostOnce.path, lib)
	if err != nil {
		t.Fatal(err)
	}
	return real
}
