package cli

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/elfdoctor/elfdoctor/report"
)

// runOnTerminal runs elfdoctor as if its standard output were a terminal
// of the given width.
func runOnTerminal(t *testing.T, width int, args ...string) string {
	t.Helper()
	g := &globalOpts{format: formatValue{report.Text}, version: "test", getenv: func(string) string { return "" },
		isTerminal: func(io.Writer) bool { return true }, termWidth: func(io.Writer) int { return width }}
	root := newRootCmd(g, "")
	var out bytes.Buffer
	root.SetArgs(append([]string{"--no-color"}, args...))
	root.SetOut(&out)
	root.SetErr(io.Discard)
	_ = root.ExecuteContext(context.Background())
	return out.String()
}

// TestTablesFitTheTerminal: check's tables on a copy patched to a Nix
// store loader, with a Nix RUNPATH, are far wider than a terminal in
// full. On an 80-column terminal every table line fits, long paths keep
// their file name, and the findings wrap; tables of numbers are never
// cut (diff's segment table keeps "0x2d8 (728 B)" whole); --wide and
// pipes keep the full lines.
func TestTablesFitTheTerminal(t *testing.T) {
	patched := filepath.Join(binDir, "gcc-pie.patched")
	full := runOnTerminal(t, 80, "--wide", "check", patched)
	if longest(full) <= 80 {
		t.Fatalf("the full output is only %d columns wide; the test proves nothing", longest(full))
	}
	fitted := runOnTerminal(t, 80, "check", patched)
	inTable := false
	for _, line := range strings.Split(fitted, "\n") {
		// Tables are what is fitted; prose lines are the terminal's to
		// fold.
		if strings.HasPrefix(strings.TrimSpace(line), rule) {
			inTable = true
		}
		if line == "" {
			inTable = false
		}
		if inTable && utf8.RuneCountInString(line) > 80 {
			t.Errorf("table line of %d columns on an 80-column terminal:\n%s", utf8.RuneCountInString(line), line)
		}
	}
	if !strings.Contains(fitted, "…/ld-linux-x86-64.so.2") {
		t.Errorf("the Nix loader's path was not shortened in the middle keeping its file name:\n%s", fitted)
	}
	diff := runOnTerminal(t, 80, "diff", filepath.Join(binDir, "gcc-pie"), patched)
	if !strings.Contains(diff, "0x2d8 (728 B)") {
		t.Errorf("a number was cut on an 80-column terminal:\n%s", diff)
	}
	// Through a pipe, a table row is one line with every value whole.
	var out bytes.Buffer
	Main(context.Background(), []string{"check", patched}, &out, io.Discard)
	if !strings.Contains(out.String(), "/nix/store/8hpdq3yzmp2yy7x0a4w2pcn4s8g2k9l1-glibc-2.40-66/lib/ld-linux-x86-64.so.2") || strings.Contains(out.String(), "…") {
		t.Error("in a pipe, paths must stay whole")
	}
}

const rule = "─"

func longest(s string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		n = max(n, utf8.RuneCountInString(l))
	}
	return n
}
