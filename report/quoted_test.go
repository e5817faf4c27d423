package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
)

// TestCheckNextQuoted: a command the loader's advice quotes in
// backquotes is code in Markdown and HTML and keeps its backquotes in
// text; Markdown once showed it as escaped backquotes.
func TestCheckNextQuoted(t *testing.T) {
	r := &loader.CheckResult{Path: "/x/prog", Outcome: loader.OutcomeCrash, Findings: []loader.Finding{{
		Severity: loader.SeverityFatal, Stage: loader.StageReloc, Code: "reloc-fault", Object: "/x/prog", Outcome: loader.OutcomeCrash,
		Summary: "ld.so faults", Next: "compare with the pristine file using `elfdoctor diff`",
	}}}
	render := func(f Format) string {
		var b bytes.Buffer
		if err := Check(&b, r, Options{Format: f}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	if out := render(Text); !strings.Contains(out, "Compare with the pristine file using `elfdoctor diff`.") {
		t.Errorf("text lost the command's backquotes:\n%s", out)
	}
	if out := render(HTML); !strings.Contains(out, "using <code>elfdoctor diff</code>.") {
		t.Errorf("HTML does not set the command as code:\n%s", out)
	}
	src := []byte(render(Markdown))
	if bytes.Contains(src, []byte("\\`")) {
		t.Errorf("Markdown escapes backquotes:\n%s", src)
	}
	var spans []string
	root := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(text.NewReader(src))
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if c, ok := n.(*ast.CodeSpan); ok && entering {
			spans = append(spans, nodeText(c, src))
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	found := false
	for _, s := range spans {
		found = found || s == "elfdoctor diff"
	}
	if !found {
		t.Errorf("no code span %q in Markdown (spans %q):\n%s", "elfdoctor diff", spans, src)
	}
}

// TestQuotedMarkNotForged: the mark that keeps a literal's backquotes
// in text cannot come from a file: clean() escapes it like any control
// character, and an odd backquote leaves the sentence as it is.
func TestQuotedMarkNotForged(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"name \x01x", `name \x01x`},
		{code("\x01x") + " and " + code("y"), `\x01x and y`},
		{ticks("run `a \x01b` now"), "run `a \\x01b` now"},
		{ticks("version `GLIBC_2.38' not found"), "version `GLIBC_2.38' not found"},
	} {
		if got := plainText(tc.in); got != tc.want {
			t.Errorf("plainText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
