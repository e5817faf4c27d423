package coredump

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/elfdoctor/elfdoctor/internal/corepattern"
)

// journalSetup makes systemd-coredump answer and returns Options that use
// its coredumpctl.
func journalSetup(t *testing.T) Options {
	t.Helper()
	root := corepattern.SystemdCoredump(t, "../scripts")
	return Options{Coredumpctl: filepath.Join(root, "usr/bin/coredumpctl"), NoCheck: true}
}

// TestJournal crashes a program through the real systemd-coredump pipeline
// (kernel → systemd-coredump → its socket → journald) and reads it back
// the way a user would: by PID, by executable, by command name.
func TestJournal(t *testing.T) {
	opts := journalSetup(t)
	needTool(t, "gcc")
	dir := t.TempDir()
	exe := compile(t, "gcc", "segv.c", dir, "jsegv", "-g", "-O1")
	exe, _ = filepath.EvalSymlinks(exe)
	pid := corepattern.CrashToJournal(t, exe, "", nil)
	ctx := context.Background()

	a, err := AnalyzeJournal(ctx, "COREDUMP_PID="+strconv.Itoa(pid), opts)
	if err != nil {
		t.Fatal(err)
	}
	j := a.Journal
	if j == nil || j.PID != pid || j.Exe != exe || j.Signal != 11 || j.SignalName != "SIGSEGV" || j.Comm != "jsegv" {
		t.Fatalf("Journal = %+v, want PID %d, exe %s, SIGSEGV, comm jsegv", j, pid, exe)
	}
	if j.Storage != StorageFile || !strings.HasPrefix(j.CoreFile, "/var/lib/systemd/coredump/core.jsegv.") {
		t.Errorf("Storage %q, CoreFile %q: want the external file systemd-coredump wrote", j.Storage, j.CoreFile)
	}
	if time.Since(j.Time) > 10*time.Minute || j.Time.After(time.Now()) {
		t.Errorf("Time = %v, want the crash a moment ago", j.Time)
	}
	if j.Mapped == nil || j.Mapped.Deleted || j.Mapped.Inode == 0 {
		t.Errorf("Mapped = %+v, want the executable's inode from the maps", j.Mapped)
	}
	checkSegv(t, a)
	if len(a.Warnings) != 0 {
		t.Errorf("warnings %q for an unchanged executable", a.Warnings)
	}
	// The compressed file itself gives the same frames as the journal's
	// way to it, and the journal finds the entry by that file.
	direct, err := Analyze(ctx, j.CoreFile, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := functions(a.Threads[0].Frames), functions(direct.Threads[0].Frames); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("frames through the journal %v, from the file %v", got, want)
	}
	for _, arg := range []string{exe, "jsegv", j.CoreFile, "COREDUMP_PID=" + strconv.Itoa(pid)} {
		e, err := FindInJournal(ctx, JournalMatch(arg), opts)
		if err != nil || e.PID != pid {
			t.Errorf("FindInJournal(JournalMatch(%q)) = %+v, %v; want PID %d", arg, e, err, pid)
		}
	}

	// An update after the crash: a new file under the same name.
	replaceFile(t, exe)
	a, err = AnalyzeJournal(ctx, "COREDUMP_PID="+strconv.Itoa(pid), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !hasWarning(a, "was replaced after the crash: the process ran inode "+strconv.FormatUint(j.Mapped.Inode, 10)) {
		t.Errorf("warnings %q, want the replaced executable named", a.Warnings)
	}
}

// TestJournalStorage covers the two other places a core can be: inside
// the journal entry (Storage=journal; coredumpctl takes it out) and
// nowhere (Storage=none: the crash is known, not explained).
func TestJournalStorage(t *testing.T) {
	opts := journalSetup(t)
	dir := t.TempDir()
	exe := compile(t, "gcc", "segv.c", dir, "jstore", "-g", "-O1")
	ctx := context.Background()

	pid := corepattern.CrashToJournal(t, exe, "Storage=journal", nil)
	a, err := AnalyzeJournal(ctx, "COREDUMP_PID="+strconv.Itoa(pid), opts)
	if err != nil {
		t.Fatal(err)
	}
	if a.Journal.Storage != StorageJournal || a.Journal.CoreFile != "" {
		t.Errorf("Storage %q, CoreFile %q; want the core inside the journal", a.Journal.Storage, a.Journal.CoreFile)
	}
	checkSegv(t, a)

	pid = corepattern.CrashToJournal(t, exe, "Storage=none", nil)
	a, err = AnalyzeJournal(ctx, "COREDUMP_PID="+strconv.Itoa(pid), opts)
	if err != nil {
		t.Fatal(err)
	}
	if a.Journal.Storage != StorageNone || a.Crash.Kind != KindNoCore || a.SignalName != "SIGSEGV" {
		t.Errorf("Storage %q, kind %q, signal %q; want none, %s, SIGSEGV", a.Journal.Storage, a.Crash.Kind, a.SignalName, KindNoCore)
	}
	if !strings.Contains(a.Crash.Summary, "no core") || !strings.Contains(a.Crash.Next, "Storage=external") {
		t.Errorf("summary %q, next %q", a.Crash.Summary, a.Crash.Next)
	}
}

// TestJournalReplacedWhileRunning is the update that lands while the
// program runs: the process keeps the old file mapped, the kernel calls it
// "(deleted)", and the file on disk is not what crashed.
func TestJournalReplacedWhileRunning(t *testing.T) {
	opts := journalSetup(t)
	dir := t.TempDir()
	exe := compile(t, "gcc", "readsegv.c", dir, "jupdate", "-g", "-O1")
	exe, _ = filepath.EvalSymlinks(exe)
	pid := corepattern.CrashToJournal(t, exe, "", func() {
		// The program is blocked in read(2) until stdin closes; wait
		// until it has exec'd, then replace it.
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if b, err := os.ReadFile("/proc/self/status"); err == nil && len(b) > 0 {
				if out, _ := exec.Command("pgrep", "-x", "jupdate").Output(); len(out) > 0 {
					break
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		replaceFile(t, exe)
	})
	a, err := AnalyzeJournal(context.Background(), "COREDUMP_PID="+strconv.Itoa(pid), opts)
	if err != nil {
		t.Fatal(err)
	}
	if a.Journal.Exe != exe || a.Journal.Mapped == nil || !a.Journal.Mapped.Deleted {
		t.Fatalf("Journal exe %q mapped %+v; want %s marked deleted", a.Journal.Exe, a.Journal.Mapped, exe)
	}
	if !hasWarning(a, "deleted or replaced while the process ran") {
		t.Errorf("warnings %q, want the update during the run named", a.Warnings)
	}
	// The new file is the same build, so its names still serve: NT_FILE's
	// "(deleted)" path must not cost the frames.
	if got := functions(a.Threads[0].Frames); !inOrder(got, []string{"crash", "main"}) {
		t.Errorf("frames = %v, want crash, main", got)
	}
}

func TestJournalMatch(t *testing.T) {
	dir := t.TempDir()
	core := filepath.Join(dir, "core.x.zst")
	if err := os.WriteFile(core, append([]byte{}, magicZstd...), 0o644); err != nil {
		t.Fatal(err)
	}
	self, _ := os.Executable()
	self, _ = filepath.EvalSymlinks(self)
	for _, c := range []struct{ arg, want string }{
		{"", ""},
		{"1234", "COREDUMP_PID=1234"},
		{"COREDUMP_UID=1000", "COREDUMP_UID=1000"},
		{"bun", "COREDUMP_COMM=bun"},
		{core, "COREDUMP_FILENAME=" + core},
		{self, "COREDUMP_EXE=" + self},
		{"/opt/gone/app", "COREDUMP_EXE=/opt/gone/app"},
		{"lower=case", "COREDUMP_COMM=lower=case"},
	} {
		if got := JournalMatch(c.arg); got != c.want {
			t.Errorf("JournalMatch(%q) = %q, want %q", c.arg, got, c.want)
		}
	}
}

// TestParseJournalEntry covers the value shapes journalctl's JSON has:
// strings, byte arrays for text that is not UTF-8, repeated fields and
// null for what it would not print.
func TestParseJournalEntry(t *testing.T) {
	line := `{"COREDUMP_PID":"77","COREDUMP_SIGNAL":"6","COREDUMP_EXE":[47,97,112,112,32,40,100,101,108,101,116,101,100,41],` +
		`"COREDUMP_COMM":["first","second"],"COREDUMP_CMDLINE":null,"COREDUMP_TIMESTAMP":"1795422368000000",` +
		`"COREDUMP_PROC_MAPS":"55943738e000-55943738f000 r--p 00000000 fe:00 10018961                   /app (deleted)\n"}`
	e, err := parseJournalEntry([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if e.PID != 77 || e.SignalName != "SIGABRT" || e.Exe != "/app" || e.Comm != "first" || e.Cmdline != "" {
		t.Errorf("entry = %+v", e)
	}
	if e.Mapped == nil || e.Mapped.Dev != "fe:00" || e.Mapped.Inode != 10018961 || !e.Mapped.Deleted {
		t.Errorf("Mapped = %+v", e.Mapped)
	}
	if want := time.Date(2026, 11, 23, 8, 26, 8, 0, time.UTC); !e.Time.Equal(want) {
		t.Errorf("Time = %v, want %v", e.Time, want)
	}
	for _, bad := range []string{`{}`, `{"COREDUMP_PID":"x"}`, `[1,2]`, `{"COREDUMP_PID":`} {
		if _, err := parseJournalEntry([]byte(bad)); err == nil {
			t.Errorf("parseJournalEntry(%s) = nil error", bad)
		}
	}
}

// FuzzJournalEntry: journalctl's output is trusted less than the journal
// itself, since a crashing program chooses its own name and command line.
func FuzzJournalEntry(f *testing.F) {
	f.Add([]byte(`{"COREDUMP_PID":"77","COREDUMP_EXE":"/a","COREDUMP_PROC_MAPS":"0-1 r--p 0 fe:00 5 /a\n"}`))
	f.Add([]byte(`{"COREDUMP_PID":"1","COREDUMP_EXE":[[1,2],[3]],"COREDUMP_SIGNAL":["11","6"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseJournalEntry(b)
	})
}

func replaceFile(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func hasWarning(a *Analysis, s string) bool {
	for _, w := range a.Warnings {
		if strings.Contains(w, s) {
			return true
		}
	}
	return false
}
