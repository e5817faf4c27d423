package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/shell"

	"github.com/elfdoctor/elfdoctor/internal/reality"
)

var updateReadme = flag.Bool("update", false, "rewrite README.md's console examples from the real output")

const readmePath = "../../../README.md"

// consoleBlock is one ```console block of README.md: lines are the block's
// text, start and end its line numbers in the file (the fences excluded).
type consoleBlock struct {
	start, end int
	lines      []string
}

func consoleBlocks(lines []string) []consoleBlock {
	var out []consoleBlock
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```console" {
			continue
		}
		j := i + 1
		for j < len(lines) && strings.TrimSpace(lines[j]) != "```" {
			j++
		}
		out = append(out, consoleBlock{start: i + 1, end: j, lines: lines[i+1 : j]})
		i = j
	}
	return out
}

// step is one "$ command" of a block and the output shown under it, in
// which a line "..." (indented or not) stands for lines left out.
type step struct {
	cmd      string
	expected []string
}

func steps(b consoleBlock) []step {
	var out []step
	for _, l := range b.lines {
		if c, ok := strings.CutPrefix(l, "$ "); ok {
			out = append(out, step{cmd: c})
			continue
		}
		if len(out) > 0 {
			out[len(out)-1].expected = append(out[len(out)-1].expected, l)
		}
	}
	return out
}

func isElision(l string) bool { return strings.TrimSpace(l) == "..." }

// segments splits the shown output at its elisions.
func segments(expected []string) (segs [][]string, openStart, openEnd bool) {
	var cur []string
	for i, l := range expected {
		if isElision(l) {
			if i == 0 {
				openStart = true
			}
			if len(cur) > 0 {
				segs = append(segs, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, l)
	}
	if len(cur) > 0 {
		segs = append(segs, cur)
	}
	openEnd = len(expected) > 0 && isElision(expected[len(expected)-1])
	return segs, openStart, openEnd
}

// matchShown reports whether the shown output, with its elisions, is what
// the command printed: the first run of lines starts the output (unless
// the block starts with "..."), later runs follow in order, and the last
// ends it (unless "..." follows). Trailing blanks are not significant.
func matchShown(expected, got []string) error {
	segs, openStart, openEnd := segments(expected)
	pos := 0
	for si, seg := range segs {
		anchored := si == 0 && !openStart
		found := -1
		for p := pos; p+len(seg) <= len(got); p++ {
			if linesEqual(seg, got[p:p+len(seg)]) {
				found = p
				break
			}
			if anchored {
				break
			}
		}
		if found < 0 {
			return fmt.Errorf("these lines are not in the output where the README shows them:\n  %s", strings.Join(seg, "\n  "))
		}
		pos = found + len(seg)
	}
	if !openEnd && len(segs) > 0 && pos != len(got) {
		return fmt.Errorf("the output goes on after the README's last line with:\n  %s", strings.Join(got[pos:], "\n  "))
	}
	if len(segs) == 0 && !openEnd && !openStart && len(got) > 0 {
		return fmt.Errorf("the README shows no output, the command printed:\n  %s", strings.Join(got, "\n  "))
	}
	return nil
}

func linesEqual(a, b []string) bool {
	for i := range a {
		if strings.TrimRight(a[i], " ") != strings.TrimRight(b[i], " ") {
			return false
		}
	}
	return true
}

// reshow rewrites the shown output from what the command printed,
// keeping the README's shape: as many lines per run as it showed, the
// elisions where they were. A later run is found again by its first
// line's first word; a run that cannot be placed is dropped.
func reshow(expected, got []string) []string {
	segs, openStart, openEnd := segments(expected)
	var out []string
	if openStart {
		out = append(out, expected[0])
	}
	pos := 0
	for si, seg := range segs {
		at := -1
		if si == 0 && !openStart {
			at = 0
		} else {
			key := firstWord(seg[0])
			for p := pos; p < len(got); p++ {
				if firstWord(got[p]) == key {
					at = p
					break
				}
			}
		}
		if at < 0 {
			continue
		}
		n := len(seg)
		if si == len(segs)-1 && !openEnd {
			n = len(got) - at
		}
		end := min(at+n, len(got))
		if si > 0 {
			out = append(out, "...")
		}
		out = append(out, got[at:end]...)
		pos = end
	}
	if openEnd {
		out = append(out, expected[len(expected)-1])
	}
	return out
}

func firstWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// TestReadmeExamples runs every ```console block of README.md as written,
// after the install line, against the committed fixtures, and fails when
// what elfdoctor prints drifts from what the README shows. `go test
// ./cmd/elfdoctor/cli -run TestReadmeExamples -update` rewrites the
// shown output, never by hand.
func TestReadmeExamples(t *testing.T) {
	// Absolute, because the steps change the working directory.
	readme, err := filepath.Abs(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	bin, err := filepath.Abs(binDir)
	if err != nil {
		t.Fatal(err)
	}
	blocks := consoleBlocks(lines)
	if len(blocks) == 0 {
		t.Fatal("README.md has no console examples")
	}
	// The README's reader runs the blocks one after another in one shell:
	// a `cd` in one block holds for the next.
	dir := filepath.Dir(bin)
	dir = filepath.Dir(dir) // the repository's root, where the README starts
	var rewritten [][]string
	for bi, b := range blocks {
		var out []string
		for _, s := range steps(b) {
			out = append(out, "$ "+s.cmd)
			args, err := shell.Fields(s.cmd, nil)
			if err != nil || len(args) == 0 {
				t.Fatalf("README.md:%d: cannot read %q: %v", b.start+1, s.cmd, err)
			}
			var got []string
			switch args[0] {
			case "cd":
				dir = filepath.Join(dir, args[1])
			case "echo":
				// "echo $?" after a command: its exit status, which the
				// previous step recorded.
				got = []string{lastStatus}
			case "elfdoctor":
				if bunApp(s.cmd) {
					t.Chdir(readmeBunDir(t))
				} else {
					t.Chdir(dir)
				}
				var stdout, stderr bytes.Buffer
				code := Main(context.Background(), args[1:], &stdout, &stderr)
				lastStatus = fmt.Sprint(code)
				got = strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n")
			default:
				t.Fatalf("README.md:%d: the test does not know how to run %q", b.start+1, s.cmd)
			}
			if *updateReadme {
				out = append(out, reshow(s.expected, got)...)
				continue
			}
			if err := matchShown(s.expected, got); err != nil {
				t.Errorf("README.md block %d (line %d), $ %s: %v\n(go test ./cmd/elfdoctor/cli -run TestReadmeExamples -update rewrites it)", bi+1, b.start, s.cmd, err)
			}
		}
		rewritten = append(rewritten, out)
	}
	if !*updateReadme {
		return
	}
	var buf []string
	prev := 0
	for i, b := range blocks {
		buf = append(buf, lines[prev:b.start]...)
		buf = append(buf, rewritten[i]...)
		prev = b.end
	}
	buf = append(buf, lines[prev:]...)
	if err := os.WriteFile(readme, []byte(strings.Join(buf, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

var lastStatus string

// bunApp: the README's Bun example runs on ./app, a Bun 1.3.14 single-file
// executable after strip. The test makes exactly that from the real
// release instead of committing 90 MB.
func bunApp(cmd string) bool { return strings.Contains(cmd, "./app") }

func readmeBunDir(t *testing.T) string {
	t.Helper()
	if readmeBun != "" {
		return readmeBun
	}
	reality.NeedTools(t, "strip")
	b := reality.BunCompiled(t, "1.3.14", "")
	dir := t.TempDir()
	app := filepath.Join(dir, "app")
	if out, err := exec.Command("strip", "-o", app, b.App).CombinedOutput(); err != nil {
		t.Fatalf("strip: %v\n%s", err, out)
	}
	readmeBun = dir
	return dir
}

var readmeBun string

// TestMatchShown: the comparison fails on drift, honours elisions, and
// refuses output that goes on where the README shows none.
func TestMatchShown(t *testing.T) {
	got := []string{"a", "b", "c", "d"}
	for _, tc := range []struct {
		shown []string
		ok    bool
	}{
		{[]string{"a", "b", "c", "d"}, true},
		{[]string{"a", "...", "d"}, true},
		{[]string{"a", "b", "..."}, true},
		{[]string{"...", "c", "..."}, true},
		{[]string{"a", "x", "..."}, false},             // drift
		{[]string{"b", "..."}, false},                  // the first line must start the output
		{[]string{"a", "b"}, false},                    // output goes on
		{[]string{"a", "...", "c"}, false},             // "d" follows the last shown line
		{[]string{"a", "...", "b", "...", "a"}, false}, // out of order
	} {
		err := matchShown(tc.shown, got)
		if (err == nil) != tc.ok {
			t.Errorf("matchShown(%q) = %v, want ok=%v", tc.shown, err, tc.ok)
		}
	}
}
