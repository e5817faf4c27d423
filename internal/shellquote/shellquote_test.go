package shellquote

import (
	"os/exec"
	"strings"
	"testing"
)

// TestWordRoundTrip hands the quoted words to a real bash and checks that
// each comes back as one argument, byte for byte, and that nothing ran.
func TestWordRoundTrip(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is needed to prove the quoting: ", err)
	}
	dir := t.TempDir()
	words := []string{
		"plain", "a b", "app;touch " + dir + "/X", "`touch " + dir + "/X`", "$(touch " + dir + "/X)",
		"$ORIGIN/../lib", "it's", `back\slash`, "new\nline", "*", "~", "!x", "-n", "",
		"\x1b[31mred", "tab\there", "ünïcode",
	}
	script := "printf '%s\\0' " + Command(words...)
	out, err := exec.Command(bash, "-c", script).Output()
	if err != nil {
		t.Fatalf("bash -c %q: %v", script, err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(got) != len(words) {
		t.Fatalf("bash saw %d words, want %d: %q", len(got), len(words), got)
	}
	for i := range words {
		if got[i] != words[i] {
			t.Errorf("word %d: bash read %q, want %q (quoted as %s)", i, got[i], words[i], Word(words[i]))
		}
	}
	if out, _ := exec.Command("ls", dir).Output(); len(out) != 0 {
		t.Fatalf("pasting the quoted words ran a command: %s", out)
	}
}

// TestPOSIXWordRoundTrip is TestWordRoundTrip for POSIXWord, read back
// by dash, Debian's /bin/sh, which knows no $'...'.
func TestPOSIXWordRoundTrip(t *testing.T) {
	dash, err := exec.LookPath("dash")
	if err != nil {
		t.Fatal("dash is needed to prove the quoting: ", err)
	}
	dir := t.TempDir()
	words := []string{
		"plain", "a b", "app;touch " + dir + "/X", "`touch " + dir + "/X`", "$(touch " + dir + "/X)",
		"$ORIGIN/../lib", "it's", `back\slash`, "new\nline", "*", "~", "!x", "-n", "",
		"\x1b[31mred", "tab\there", "ünïcode", "\xff\xfe",
	}
	var q []string
	for _, w := range words {
		q = append(q, POSIXWord(w))
	}
	script := "for w in " + strings.Join(q, " ") + "; do printf '%s' \"$w\"; printf '\\000'; done"
	out, err := exec.Command(dash, "-c", script).Output()
	if err != nil {
		t.Fatalf("dash -c %q: %v", script, err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(got) != len(words) {
		t.Fatalf("dash saw %d words, want %d: %q", len(got), len(words), got)
	}
	for i := range words {
		if got[i] != words[i] {
			t.Errorf("word %d: dash read %q, want %q (quoted as %s)", i, got[i], words[i], POSIXWord(words[i]))
		}
	}
	if out, _ := exec.Command("ls", dir).Output(); len(out) != 0 {
		t.Fatalf("pasting the quoted words ran a command: %s", out)
	}
}
