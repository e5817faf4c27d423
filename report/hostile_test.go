package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"

	"github.com/elfdoctor/elfdoctor/bisect"
	"github.com/elfdoctor/elfdoctor/coredump"
	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/inspect/loader"
)

// needTool finds a program a test cannot do without: missing, the test
// skips on a developer's machine and fails in CI, where
// scripts/install-test-deps installs it.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed (scripts/install-test-deps installs it): %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, out)
	}
}

// The hostile strings of the Markdown test: each would become an HTML
// element on GitHub if it escaped its code span or its escaping.
const (
	mdImg  = "``<img src=x onerror=alert(1)>``"
	mdLink = `<a href="https://evil.example/">click</a>`
	mdWWW  = "www.evil.example"
)

// hostileRPATH is an RPATH that holds the three, so that a span built
// with a fixed fence of two backticks closes early.
var hostileRPATH = strings.Join([]string{"$ORIGIN/" + mdImg, mdLink, "/opt/a`b ``c```d | e", mdWWW}, ":")

// hostileFiles copies the gcc-pie fixture twice and has the real patchelf
// rewrite one: interpreter and RPATH set to hostileRPATH's strings, the
// file named like one of them. It returns the pristine and the patched
// copy.
func hostileFiles(t *testing.T, dir string) (pristine, patched string) {
	t.Helper()
	patchelf := needTool(t, "patchelf")
	pristine = filepath.Join(dir, "pristine <a href=x>")
	patched = filepath.Join(dir, "app "+mdImg)
	copyFile(t, filepath.Join(binDir, "gcc-pie"), pristine, 0o755)
	copyFile(t, pristine, patched, 0o755)
	run(t, patchelf, "--set-rpath", hostileRPATH, "--set-interpreter", filepath.Join(dir, "ld "+mdImg+".so"), patched)
	return pristine, patched
}

// hostileBisect runs a real bisection with the host runner over two
// releases, shell scripts in a version directory; the second writes the
// hostile strings to stderr and dies of SIGSEGV, so the vendor's stderr
// in the result is what a real process wrote.
func hostileBisect(t *testing.T, dir string) *bisect.Result {
	t.Helper()
	needTool(t, "sh")
	vs := filepath.Join(dir, "versions")
	if err := os.Mkdir(vs, 0o755); err != nil {
		t.Fatal(err)
	}
	scripts := map[string]string{
		"1": "#!/bin/sh\necho ok\n",
		"2": "#!/bin/sh\nprintf '%s\\n' '" + mdImg + " " + mdLink + " " + mdWWW + "' >&2\nkill -SEGV $$\n",
	}
	for v, s := range scripts {
		if err := os.WriteFile(filepath.Join(vs, v), []byte(s), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r, err := bisect.Run(context.Background(), bisect.Config{Source: &bisect.DirSource{Dir: vs}, Runner: bisect.HostRunner{}, Images: []string{"host"}})
	if err != nil {
		t.Fatalf("bisect over %s: %v", vs, err)
	}
	return r
}

// TestMarkdownHostileInput renders every Markdown document elfdoctor
// writes for files, a bisection and a core that carry HTML and backtick
// runs, parses each with goldmark's GitHub-flavoured Markdown (the
// CommonMark and GFM rules GitHub applies) and requires that nothing of
// the input became an element: no <img>, no <a>, no link or image node,
// no raw HTML but the report's own <details> markup; and that each
// hostile string is still shown, whole, as text.
func TestMarkdownHostileInput(t *testing.T) {
	dir := t.TempDir()
	pristine, patched := hostileFiles(t, dir)
	bis := hostileBisect(t, dir)
	core := &coredump.Analysis{Core: filepath.Join(dir, "core "+mdImg),
		Process:    coredump.Process{Pid: 7, Name: "app " + mdImg, Args: "app --token " + mdLink},
		SignalName: "SIGABRT",
		Crash:      coredump.Crash{Kind: coredump.KindAbort, Summary: "app aborted: " + mdImg, Message: mdImg + " " + mdLink}}

	docs := map[string][]byte{}
	for _, p := range []string{pristine, patched} {
		var buf bytes.Buffer
		if err := Inspect(&buf, summarize(t, p), Options{Format: Markdown, Sections: true}); err != nil {
			t.Fatal(err)
		}
		docs["inspect "+filepath.Base(p)] = buf.Bytes()
	}
	var buf bytes.Buffer
	if err := Diff(&buf, compareFiles(t, pristine, patched), Options{Format: Markdown}); err != nil {
		t.Fatal(err)
	}
	docs["diff"] = bytes.Clone(buf.Bytes())
	buf.Reset()
	if err := Bisect(&buf, bis, Options{Format: Markdown}); err != nil {
		t.Fatal(err)
	}
	docs["bisect"] = bytes.Clone(buf.Bytes())
	buf.Reset()
	if err := Coredump(&buf, core, Options{Format: Markdown}); err != nil {
		t.Fatal(err)
	}
	docs["coredump"] = bytes.Clone(buf.Bytes())
	b, err := Gather(BugInput{Exe: patched, Pristine: pristine, Env: &testEnv, Bisect: bis, Core: core,
		Check: loader.CheckOptions{Getenv: func(string) string { return "" }}})
	if err != nil {
		t.Fatal(err)
	}
	docs["report"] = renderBug(t, b, BugOptions{Format: Markdown})

	md := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	own := regexp.MustCompile(`^(</?(details|summary|b)>)+$`)
	for name, src := range docs {
		t.Run(name, func(t *testing.T) {
			root := md.Parser().Parse(text.NewReader(src))
			var codes []string
			err := ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
				if !entering {
					return ast.WalkContinue, nil
				}
				switch n := n.(type) {
				case *ast.Link, *ast.Image, *ast.AutoLink:
					t.Errorf("the input became a %s: %q", n.Kind(), nodeText(n, src))
				case *ast.RawHTML:
					if raw := string(n.Segments.Value(src)); !own.MatchString(raw) {
						t.Errorf("raw HTML from the input: %q", raw)
					}
				case *ast.HTMLBlock:
					var lines []string
					for i := 0; i < n.Lines().Len(); i++ {
						seg := n.Lines().At(i)
						lines = append(lines, strings.TrimSpace(string(seg.Value(src))))
					}
					for _, l := range lines {
						// The only HTML blocks are the report's folds, whose
						// summary text is escaped.
						l = regexp.MustCompile(`</?(details|summary|b)>`).ReplaceAllString(l, "")
						if strings.ContainsAny(l, "<>") {
							t.Errorf("HTML block line with markup from the input: %q", l)
						}
					}
				case *ast.CodeSpan:
					codes = append(codes, nodeText(n, src))
				}
				return ast.WalkContinue, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := md.Convert(src, &out); err != nil {
				t.Fatal(err)
			}
			low := strings.ToLower(out.String())
			for _, bad := range []string{"<img", "<a ", "<a>"} {
				if strings.Contains(low, bad) {
					t.Errorf("GitHub would render an element %s…; the document:\n%s", bad, src)
				}
			}
			// The input is still there, escaped, not dropped, and a
			// code span holding backtick runs shows them whole.
			want, shown := mdImg, "&lt;img src=x onerror=alert(1)&gt;"
			if name == "inspect "+filepath.Base(pristine) {
				want, shown = "pristine <a href=x>", "&lt;a href=x&gt;"
			}
			if !strings.Contains(out.String(), shown) {
				t.Errorf("%s is not shown as text:\n%s", want, out.String())
			}
			whole := false
			for _, c := range codes {
				whole = whole || strings.Contains(c, want)
			}
			if !whole {
				t.Errorf("no code span holds %q whole; code spans: %q", want, codes)
			}
		})
	}
	// The RPATH, set by patchelf, is one code span in inspect's table.
	root := md.Parser().Parse(text.NewReader(docs["inspect "+filepath.Base(patched)]))
	found := false
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if c, ok := n.(*ast.CodeSpan); ok && entering && strings.Contains(nodeText(c, docs["inspect "+filepath.Base(patched)]), "/opt/a`b ``c```d | e") {
			found = true
		}
		return ast.WalkContinue, nil
	})
	if !found {
		t.Errorf("the RPATH entry with backtick runs and a pipe is not one code span:\n%s", docs["inspect "+filepath.Base(patched)])
	}
}

// nodeText is the text of a node's inline children, as rendered.
func nodeText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if t, ok := c.(*ast.Text); ok && entering {
			b.Write(t.Segment.Value(src))
		}
		if s, ok := c.(*ast.String); ok && entering {
			b.Write(s.Value)
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// compareFiles is inspect.Compare on two paths, named by their full paths
// as the diff command names them.
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

// FuzzMarkdownCode holds mdCode to what GitHub's Markdown makes of it:
// whatever the string, in a paragraph and in a table cell, it renders as
// exactly one code span showing the string, and nothing else becomes
// markup.
func FuzzMarkdownCode(f *testing.F) {
	for _, s := range []string{"a", "`", "``", "a``b", mdImg, mdLink, " a ", "   ", "|", `\|`, `a\\|b`, "`a|b`", hostileRPATH, "*x* _y_ [z](w)"} {
		f.Add(s)
	}
	md := goldmark.New(goldmark.WithExtensions(extension.GFM))
	f.Fuzz(func(t *testing.T, s string) {
		s = clean(s)
		if s == "" || len(s) > 4096 {
			return
		}
		for _, doc := range []string{"x " + mdCode(s, false) + " y", "| h |\n|:--|\n| " + mdCode(s, true) + " |"} {
			src := []byte(doc)
			root := md.Parser().Parse(text.NewReader(src))
			var spans []string
			_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
				if !entering {
					return ast.WalkContinue, nil
				}
				switch n := n.(type) {
				case *ast.CodeSpan:
					spans = append(spans, nodeText(n, src))
					return ast.WalkSkipChildren, nil
				case *ast.RawHTML, *ast.HTMLBlock, *ast.Link, *ast.Image, *ast.AutoLink, *ast.Emphasis:
					t.Errorf("%q in %q became a %s", s, doc, n.Kind())
				}
				return ast.WalkContinue, nil
			})
			if len(spans) != 1 || spans[0] != s {
				t.Errorf("%q rendered as code spans %q (document %q)", s, spans, doc)
			}
		}
	})
}

// FuzzMarkdownProse holds the escaping of plain text to the same rule:
// a message from the input, with or without words set as code, never
// becomes HTML, a link or an image.
func FuzzMarkdownProse(f *testing.F) {
	for _, s := range []string{mdImg + " " + mdLink + " " + mdWWW, "see https://x.example/a", "mail a@b.example", "<b>x</b>", "&lt;img&gt;", "![a](b)", "[a]: b", "a `b` c", "x <http://y>"} {
		f.Add(s)
	}
	md := goldmark.New(goldmark.WithExtensions(extension.GFM))
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 4096 {
			return
		}
		for _, auto := range []bool{false, true} {
			doc := mdInline(s, nil, auto, false)
			src := []byte(doc)
			_ = ast.Walk(md.Parser().Parse(text.NewReader(src)), func(n ast.Node, entering bool) (ast.WalkStatus, error) {
				switch n.(type) {
				case *ast.RawHTML, *ast.HTMLBlock, *ast.Link, *ast.Image, *ast.AutoLink:
					if entering {
						t.Errorf("%q (auto %v) became a %s: %q", s, auto, n.Kind(), doc)
					}
				}
				return ast.WalkContinue, nil
			})
		}
	})
}
