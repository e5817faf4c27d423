// Package corepattern lets the tests that need the kernel to write a core file
// share kernel.core_pattern with the one test that changes it.
//
// core_pattern is global to the machine, and go test runs packages in
// parallel: coredump/journal_test.go points it at systemd-coredump for the
// moment of one crash, and a core another package expected in its working
// directory would go to the journal instead. Tests that read cores from
// files hold the lock shared; the test that swaps the pattern holds it
// exclusively. The lock is flock(2) on a file, so a test killed mid-way
// releases it with its process, and shell scripts can take it with
// flock(1) (Path names the file).
package corepattern

import (
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
)

// Path is the lock file.
func Path() string { return filepath.Join(os.TempDir(), "elfdoctor-core-pattern.lock") }

// Shared takes the lock shared, for the time between starting a program
// and its core being written: core_pattern does not change meanwhile. The
// caller calls unlock; the end of the test does it too.
func Shared(t testing.TB) (unlock func()) { return lock(t, syscall.LOCK_SH) }

// Exclusive takes the lock exclusively: no other test is between starting
// a program and its core being written.
func Exclusive(t testing.TB) (unlock func()) { return lock(t, syscall.LOCK_EX) }

func lock(t testing.TB, how int) func() {
	t.Helper()
	f, err := os.OpenFile(Path(), os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		t.Fatalf("core_pattern lock: %v", err)
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		t.Fatalf("core_pattern lock %s: %v", Path(), err)
	}
	var once sync.Once
	unlock := func() { once.Do(func() { f.Close() }) }
	t.Cleanup(unlock)
	return unlock
}
