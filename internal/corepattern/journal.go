package corepattern

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SystemdCoredump makes systemd-coredump answer with scripts/systemd-coredump
// (journald, the socket, the unpacked package) and returns the directory
// holding its files: usr/bin/coredumpctl is there. scripts is the path of
// the repository's scripts directory from the test's package. It needs
// root; without it, or when the script fails, the test fails under CI and
// is skipped elsewhere.
func SystemdCoredump(t testing.TB, scripts string) (root string) {
	t.Helper()
	fail := t.Skipf
	if os.Getenv("CI") != "" {
		fail = t.Fatalf
	}
	if os.Geteuid() != 0 {
		fail("the journal tests point kernel.core_pattern at systemd-coredump, which needs root")
	}
	if _, err := exec.LookPath("journalctl"); err != nil {
		fail("journalctl not installed (scripts/install-test-deps installs systemd): %v", err)
	}
	out, err := exec.Command(filepath.Join(scripts, "systemd-coredump")).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			fail("scripts/systemd-coredump: %v\n%s", err, ee.Stderr)
		}
		fail("scripts/systemd-coredump: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// CrashToJournal runs exe with core_pattern pointing at systemd-coredump,
// as Debian's systemd-coredump package sets it, restores the pattern, and
// returns the PID once the journal has the entry. conf, when not empty, is
// a coredump.conf [Coredump] drop-in in force for this crash. feed, when
// not nil, runs while the program can read its stdin; closing stdin
// afterwards lets a program that waits on it crash.
func CrashToJournal(t testing.TB, exe, conf string, feed func()) int {
	t.Helper()
	const dropIn = "/run/systemd/coredump.conf.d/elfdoctor-test.conf"
	if conf != "" {
		if err := os.MkdirAll(filepath.Dir(dropIn), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dropIn, []byte("[Coredump]\n"+conf+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(dropIn)
	}

	unlock := Exclusive(t)
	const patternFile = "/proc/sys/kernel/core_pattern"
	old, err := os.ReadFile(patternFile)
	if err != nil {
		unlock()
		t.Fatal(err)
	}
	restore := func() {
		if err := os.WriteFile(patternFile, old, 0o644); err != nil {
			t.Errorf("restore core_pattern %q: %v", old, err)
		}
		unlock()
	}
	// %c passes RLIMIT_CORE, so programs crashing elsewhere on the machine
	// meanwhile, without a core size limit of their own, are not stored.
	// The helper is named through scripts/systemd-coredump's short link:
	// the kernel keeps at most 127 bytes of the pattern.
	pattern := "|/run/elfdoctor/systemd-coredump %P %u %g %s %t %c %h %d"
	if err := os.WriteFile(patternFile, []byte(pattern), 0o644); err != nil {
		restore()
		t.Fatalf("set core_pattern: %v", err)
	}
	// Only entries written after this start count: PIDs are reused, and an
	// older crash's entry with the same PID must not pass for this one.
	since := "--since=@" + strconv.FormatInt(time.Now().Unix()-1, 10)
	cmd := exec.Command("sh", "-c", "ulimit -c unlimited && exec \"$0\"", exe)
	cmd.Dir = t.TempDir()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		restore()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		restore()
		t.Fatal(err)
	}
	if feed != nil {
		feed()
	}
	stdin.Close()
	err = cmd.Wait()
	restore()
	if err == nil {
		t.Fatalf("%s did not crash", exe)
	}
	pid := cmd.Process.Pid

	// systemd-coredump finishes after the process is gone: wait for the
	// entry, asked the way a person would.
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := exec.Command("journalctl", "--no-pager", "--quiet", "-o", "cat", "-n", "1", since,
			"MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1", "COREDUMP_PID="+strconv.Itoa(pid)).Output()
		if err == nil && len(bytes.TrimSpace(out)) > 0 {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("no journal entry for PID %d after 60 s (%v); see ~/.cache/elfdoctor/coredump-socket.log", pid, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
