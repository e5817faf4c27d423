package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/corepattern"
)

// TestCoredumpJournal: a crash that went through the real systemd-coredump
// is found with --journal by PID, by command name and as the newest crash,
// in text and JSON; a crash whose core was not kept still exits 1 and says
// how to keep the next one.
func TestCoredumpJournal(t *testing.T) {
	root := corepattern.SystemdCoredump(t, "../../../scripts")
	t.Setenv("PATH", filepath.Join(root, "usr/bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	dir := t.TempDir()
	exe := filepath.Join(dir, "clijournal")
	src := filepath.Join("..", "..", "..", "coredump", "testdata", "src", "segv.c")
	if out, err := exec.Command("gcc", "-g", "-O1", "-o", exe, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	pid := corepattern.CrashToJournal(t, exe, "", nil)

	code, out, errOut := run("coredump", "--no-check", "--journal", strconv.Itoa(pid))
	if code != 1 {
		t.Fatalf("coredump --journal %d: exit %d, want 1\n%s%s", pid, code, out, errOut)
	}
	for _, want := range []string{"killed by SIGSEGV", "What systemd-coredump recorded", "PID " + strconv.Itoa(pid) + " (clijournal)", "/var/lib/systemd/coredump/core.clijournal.", "store"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = run("--format", "json", "coredump", "--no-check", "--journal", "clijournal")
	var doc struct {
		Result struct {
			Journal struct {
				PID     int    `json:"pid"`
				Storage string `json:"storage"`
			} `json:"journal"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 1 {
		t.Fatalf("json: exit %d, %v\n%s", code, err, out)
	}
	if doc.Result.Journal.PID != pid || doc.Result.Journal.Storage != "file" {
		t.Errorf("journal in JSON = %+v, want PID %d stored in a file", doc.Result.Journal, pid)
	}

	// The newest crash: whichever it is, it is systemd-coredump's.
	if code, out, errOut = run("coredump", "--no-check", "--journal"); code != 1 || !strings.Contains(out, "What systemd-coredump recorded") {
		t.Errorf("coredump --journal: exit %d\n%s%s", code, out, errOut)
	}

	pid = corepattern.CrashToJournal(t, exe, "Storage=none", nil)
	code, out, errOut = run("coredump", "--journal", strconv.Itoa(pid))
	if code != 1 || !strings.Contains(out, "there is no core to explain it") || !strings.Contains(out, "Storage=external") {
		t.Errorf("no core kept: exit %d\n%s%s", code, out, errOut)
	}

	if code, _, errOut = run("coredump", "--journal", "no-such-program-crashed"); code != 2 || !strings.Contains(errOut, "no systemd-coredump entry in the journal matches COREDUMP_COMM=no-such-program-crashed") {
		t.Errorf("unknown name: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut = run("coredump", "--journal", "a", "b"); code != 2 {
		t.Errorf("two arguments: exit %d, stderr %q", code, errOut)
	}
}
