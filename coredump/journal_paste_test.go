package coredump

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/pastetest"
)

// TestJournalAdvicePastes reads journal entries whose COREDUMP_COMM and
// COREDUMP_EXE would run commands if the advice did not quote them (a
// process may name itself anything), pastes the two commands of the
// advice for a crash without a core into bash with elfdoctor replaced by
// a recording stub, and checks that nothing ran and elfdoctor got the
// words meant.
func TestJournalAdvicePastes(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ comm, exe string }{
		{"app;touch X", "/opt/app;touch X"},
		{"`touch X`", "/opt/`touch X`/app"},
		{"$(touch X)", "/opt/$(touch X) it's/app"},
		{"-x\"$(touch X)\"", "-rel/app\n$(touch X)"},
	} {
		line, err := json.Marshal(map[string]any{"COREDUMP_PID": "4242", "COREDUMP_SIGNAL": "11", "COREDUMP_SIGNAL_NAME": "SIGSEGV",
			"COREDUMP_COMM": c.comm, "COREDUMP_EXE": c.exe, "MESSAGE_ID": coredumpMessageID})
		if err != nil {
			t.Fatal(err)
		}
		e, err := parseJournalEntry(line)
		if err != nil {
			t.Fatal(err)
		}
		next := noCore(e, "Storage=none").Crash.Next
		_, rest, ok1 := strings.Cut(next, "then run `")
		journal, rest, ok2 := strings.Cut(rest, "`. Meanwhile `")
		check, _, ok3 := strings.Cut(rest, "` predicts")
		if !ok1 || !ok2 || !ok3 {
			t.Fatalf("advice without its two commands: %q", next)
		}
		exe := c.exe
		if strings.HasPrefix(exe, "-") {
			exe = "./" + exe
		}
		sh := pastetest.New(t, dir, "elfdoctor")
		for _, p := range []struct {
			line string
			want []string
		}{{journal, []string{"coredump", "--journal", c.comm}}, {check, []string{"check", exe}}} {
			calls := sh.Paste(p.line)
			if len(calls) != 1 || calls[0].Prog != "elfdoctor" {
				t.Errorf("pasting %q ran %q, want elfdoctor once", p.line, calls)
				continue
			}
			args := slices.DeleteFunc(calls[0].Args, func(a string) bool { return a == "--" })
			if !slices.Equal(args, p.want) {
				t.Errorf("pasting %q gave elfdoctor %q, want %q", p.line, args, p.want)
			}
		}
	}
}
