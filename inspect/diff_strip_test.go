package inspect_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

func compareFiles(t *testing.T, a, b string) *inspect.Diff {
	t.Helper()
	fa, err := inspect.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	defer fa.Close()
	fb, err := inspect.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	d, err := inspect.Compare(fa, fb, a, b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDiffStripped: a copy that strip made is the same build changed
// after linking, so diff blames the copy ("looks locally modified
// (strip/objcopy)"), not the vendor ("layout changed"), even when what the
// strip broke (Bun's payload pointer) is the first change listed; two
// different releases are never called locally modified.
func TestDiffStripped(t *testing.T) {
	reality.NeedTools(t, "strip")
	dir := t.TempDir()
	stripped := func(src, name string) string {
		out := filepath.Join(dir, name)
		if b, err := exec.Command("strip", "-o", out, src).CombinedOutput(); err != nil {
			t.Fatalf("strip %s: %v\n%s", src, err, b)
		}
		return out
	}
	older, newer := reality.BunCompiled(t, "1.2.23", ""), reality.BunCompiled(t, "1.3.14", "")
	gcc := reality.RepoPath(t, "testdata/bin/gcc-pie")
	for _, tc := range []struct {
		name, a, b string
		local      bool
		phrase     string
	}{
		{"bun-1.3.14-strip", newer.App, stripped(newer.App, "bun13"), true, "(strip/objcopy)"},
		{"bun-1.2.23-strip", older.App, stripped(older.App, "bun12"), true, "(strip/objcopy)"},
		{"gcc-strip", gcc, stripped(gcc, "gcc"), true, "lacks .symtab, .strtab"},
		{"two-releases", older.App, newer.App, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := compareFiles(t, tc.a, tc.b)
			if got := d.Verdict == inspect.VerdictLocallyEdited; got != tc.local {
				t.Fatalf("Verdict = %q (%s), want locally modified = %v", d.Verdict, d.Headline, tc.local)
			}
			if !strings.Contains(d.Headline, tc.phrase) {
				t.Errorf("Headline = %q, want it to say %q", d.Headline, tc.phrase)
			}
		})
	}
}

// TestPristineBunNoRewriteSigns: `bun build --compile` moves its .bun
// section itself; a pristine application must not look rewritten, or
// every comparison of two releases would blame the user.
func TestPristineBunNoRewriteSigns(t *testing.T) {
	for _, v := range []string{"1.1.45", "1.2.23", "1.3.14"} {
		t.Run(v, func(t *testing.T) {
			app := reality.BunCompiled(t, v, "").App
			f, err := inspect.Open(app)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if s := inspect.Summarize(f, app); len(s.RewriteSigns) > 0 {
				t.Errorf("pristine Bun %s application: RewriteSigns = %q, want none", v, s.RewriteSigns)
			}
		})
	}
}
