package report

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/elfdoctor/elfdoctor/coredump"
	"github.com/elfdoctor/elfdoctor/inspect/loader"
)

// GitHubLimit is the most characters GitHub accepts in an issue body.
const GitHubLimit = 65536

// BugOptions control how a Bug is written.
type BugOptions struct {
	Format  Format // Markdown when empty
	Version string // recorded in the JSON envelope
	// Redact, when set, replaces the home directory, user and host
	// names with placeholders in the output.
	Redact *Redactor
	// Limit caps a Markdown report, in characters; 0 means GitHubLimit.
	Limit int
}

// BugReport writes b as one document: Markdown for an issue (evidence in
// <details> blocks, cut to fit the limit with a note), a self-contained
// HTML page with a map of the address space, or JSON.
func BugReport(w io.Writer, b *Bug, o BugOptions) error {
	if b == nil || b.Summary == nil || b.Check == nil {
		return errors.New("report: incomplete bug report")
	}
	if o.Format == "" {
		o.Format = Markdown
	}
	c := *b
	c.Redacted = o.Redact != nil
	if o.Redact != nil && c.Core != nil {
		// The command line's arguments leave the report, and wherever
		// else they appear (an abort message, a path) they are replaced.
		var keep []string
		if ws := strings.Fields(c.Core.Process.Args); len(ws) > 0 {
			keep = append(keep, ws[0], baseName(ws[0]))
		}
		keep = append(keep, c.Exe.Path, baseName(c.Exe.Path), c.Core.Process.Name)
		lines := []string{c.Core.Process.Args}
		if j := c.Core.Journal; j != nil {
			lines = append(lines, j.Cmdline)
		}
		o.Redact = o.Redact.withCommand(lines, keep)
		c.Core = redactCore(c.Core)
	}
	var buf bytes.Buffer
	switch o.Format {
	case JSON:
		if err := writeJSON(&buf, "report", o.Version, &c); err != nil {
			return err
		}
	case Markdown:
		limit := o.Limit
		if limit == 0 {
			limit = GitHubLimit
		}
		// The limit applies to what is written, so markdown measures the
		// redacted text (placeholders can be longer than the names).
		buf.WriteString(c.markdown(limit, o.Redact))
	case HTML:
		buf.WriteString(c.html())
	default:
		return fmt.Errorf("report: the report command writes markdown, json or html, not %q", o.Format)
	}
	out := buf.Bytes()
	if o.Format != Markdown { // markdown redacted itself, to measure the result
		out = o.Redact.Apply(out, o.Format)
	}
	_, err := w.Write(out)
	return err
}

// bugPart is one section of evidence. prio orders what a Markdown report
// cuts first when it is too long: higher goes first.
type bugPart struct {
	title  string
	prio   int
	render func(d doc)
}

func (b *Bug) parts() []bugPart {
	var ps []bugPart
	ps = append(ps, bugPart{"Check: " + b.Check.Headline, 1, func(d doc) { checkDoc(d, b.Check) }})
	if b.Core != nil {
		ps = append(ps, bugPart{"Crash: " + b.Core.Crash.Summary, 1, func(d doc) { coredumpDoc(d, b.Core) }})
	}
	if b.Bisect != nil {
		ps = append(ps, bugPart{"Bisect: " + b.Bisect.Verdict.Sentence, 1, func(d doc) { bisectDoc(d, b.Bisect) }})
	}
	if b.Diff != nil {
		ps = append(ps, bugPart{"Differences from the pristine copy: " + b.Diff.Headline, 2, func(d doc) { diffDoc(d, b.Diff) }})
	}
	if b.PCheck != nil {
		ps = append(ps, bugPart{"Check of the pristine copy: " + b.PCheck.Headline, 4, func(d doc) { checkDoc(d, b.PCheck) }})
	}
	if fp := b.Summary.Runtime; fp != nil && (len(fp.Runtimes) > 0 || len(fp.Toolchain) > 0) {
		title := "Runtime and toolchain"
		if b.Runtime != nil {
			title = "Runtime: " + RuntimeLine(b.Runtime)
		}
		ps = append(ps, bugPart{title, 3, func(d doc) { runtimeDoc(d, b.Exe.Path, fp, b.Env.X86Level) }})
	}
	ps = append(ps, bugPart{"Environment: " + b.Env.line(), 3, func(d doc) { b.envDoc(d) }})
	ps = append(ps, bugPart{"Reproduce", 2, func(d doc) {
		d.heading("Reproduce")
		d.para("These commands show the same evidence; the files' SHA-256 identify the exact builds.", false)
		var items []string
		for _, c := range b.Repro {
			items = append(items, code(c))
		}
		d.list(items, false)
	}})
	ps = append(ps, bugPart{"The file in the loader's view: " + b.Exe.Path, 5, func(d doc) { inspectDoc(d, b.Summary, Options{}) }})
	if b.PSummary != nil {
		ps = append(ps, bugPart{"The pristine copy in the loader's view: " + b.Pristine.Path, 6, func(d doc) { inspectDoc(d, b.PSummary, Options{}) }})
	}
	return ps
}

// head is what every format shows first and Markdown never cuts: the
// verdict, the facts that identify the files and the machine, and what
// to do next.
func (b *Bug) head(d doc) {
	d.literals(b.Exe.Path)
	d.title("elfdoctor report: " + code(baseName(b.Exe.Path)))
	d.para(clean(b.Verdict), true) // the verdict quotes the input; its backticks are not ours
	kv := [][2]string{{"file", fileLine(b.Exe)}}
	if b.Runtime != nil {
		kv = append(kv, [2]string{"runtime", clean(RuntimeLine(b.Runtime))})
	}
	kv = append(kv, [2]string{"prediction", predictionLine(b.Check)})
	if b.Pristine != nil {
		kv = append(kv, [2]string{"pristine", fileLine(*b.Pristine)}, [2]string{"pristine prediction", predictionLine(b.PCheck)})
	}
	kv = append(kv, [2]string{"machine", clean(b.Env.line())})
	d.kv(kv)
	var next []string
	for _, n := range b.Next {
		if c := b.Core; c != nil && n == c.Crash.Next && c.Crash.Kind == coredump.KindNoCore {
			// Advice for a crash without a core quotes the journal's
			// words for the shell; their backticks are not spans. The
			// other kinds' advice is fixed text.
			next = append(next, clean(n))
			continue
		}
		next = append(next, ticks(n))
	}
	d.next(next)
}

// ticks turns `quoted` spans of a plain sentence into quoted literals:
// code in Markdown and HTML, still in backquotes in plain text.
func ticks(s string) string {
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 {
		return clean(s) // unbalanced: leave as it is
	}
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 {
			b.WriteString(quoted(p))
		} else {
			b.WriteString(clean(p))
		}
	}
	return b.String()
}

func fileLine(f FileFacts) string {
	return code(f.Path) + ", " + size(uint64(f.Size)) + ", sha256 " + code(f.SHA256)
}

func predictionLine(r *loader.CheckResult) string {
	s := clean(outcomeWords[r.Outcome])
	if f := r.Fatal(); f != nil {
		s += " — " + clean(f.Summary)
	}
	return s
}

// line is the machine in one line.
func (e Env) line() string {
	parts := []string{e.Kernel, e.Machine, e.Distribution}
	if e.LoaderGlibc != "" {
		parts = append(parts, "loader "+e.LoaderGlibc)
	}
	if e.X86Level != "" {
		parts = append(parts, "x86-64-"+e.X86Level)
	}
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ", ")
}

func (b *Bug) envDoc(d doc) {
	e := b.Env
	d.heading("Environment")
	kv := [][2]string{
		{"kernel", clean(e.Kernel + " " + e.Machine)},
		{"distribution", clean(e.Distribution)},
		{"loader", codeOr(e.Loader, "(none found)")},
		{"loader glibc", clean(orDash(e.LoaderGlibc))},
		{"libc glibc", clean(orDash(e.LibcGlibc))},
		{"cpu", clean(orDash(e.CPU))},
		{"cpu features", clean(orDash(strings.Join(e.CPUFlags, " ")))},
	}
	if e.X86Level != "" {
		kv = append(kv, [2]string{"x86-64 level", clean(e.X86Level)})
	}
	d.kv(kv)
	if e.X86Level == "v1" || e.X86Level == "v2" {
		d.para("This CPU has no AVX2: builds for x86-64-v3 (Bun's default, as opposed to -baseline) die here with SIGILL.", false)
	}
}

// markdown renders the report within limit characters, cutting the
// least important sections first and saying so where it cut.
func (b *Bug) markdown(limit int, r *Redactor) string {
	head := &mdDoc{}
	b.head(head)
	headText := strings.Join(head.blocks, "\n\n")
	ps := b.parts()
	bodies := make([]string, len(ps))
	for i, p := range ps {
		d := &mdDoc{}
		p.render(d)
		bodies[i] = demote(strings.Join(d.blocks, "\n\n"))
	}
	wrap := func(i int) string {
		return "<details>\n<summary><b>" + html.EscapeString(plainText(ps[i].title)) + "</b></summary>\n\n" + bodies[i] + "\n\n</details>"
	}
	assemble := func() string {
		out := []string{headText}
		for i := range ps {
			out = append(out, wrap(i))
		}
		return string(r.Apply([]byte(strings.Join(out, "\n\n")+"\n"), Markdown))
	}
	s := assemble()
	for prio := 6; prio >= 1 && utf8.RuneCountInString(s) > limit; prio-- {
		for i := range ps {
			over := utf8.RuneCountInString(s) - limit
			if ps[i].prio != prio || over <= 0 {
				continue
			}
			bodies[i] = cut(bodies[i], over)
			s = assemble()
		}
	}
	return s
}

// cutNote ends a section that had to be shortened.
const cutNote = "*Shortened to fit GitHub's 65,536-character limit (%d characters left out); `elfdoctor report --format json` has everything.*"

// cut shortens a Markdown body by at least over characters, at a line
// boundary, and says how much it left out.
func cut(body string, over int) string {
	n := utf8.RuneCountInString(body)
	keep := n - over - len(cutNote) - 16
	lines := strings.Split(body, "\n")
	var b strings.Builder
	used := 0
	for _, l := range lines {
		ln := utf8.RuneCountInString(l) + 1
		if used+ln > keep {
			break
		}
		b.WriteString(l + "\n")
		used += ln
	}
	kept := strings.TrimRight(b.String(), "\n")
	note := fmt.Sprintf(cutNote, n-utf8.RuneCountInString(kept))
	if kept == "" {
		return note
	}
	return kept + "\n\n" + note
}

// demote turns a section's own headings into lower levels, so that they
// sit under the <details> summary.
func demote(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "### "):
			lines[i] = "##### " + l[4:]
		case strings.HasPrefix(l, "## "):
			lines[i] = "#### " + l[3:]
		}
	}
	return strings.Join(lines, "\n")
}

// html renders the report as one page: the head, the address-space map,
// and every section open.
func (b *Bug) html() string {
	head := &htmlDoc{}
	b.head(head)
	var body strings.Builder
	body.WriteString(head.body())
	body.WriteString(addressMap(b.PSummary, b.Summary))
	for _, p := range b.parts() {
		d := &htmlDoc{}
		p.render(d)
		body.WriteString("<details open>\n<summary>" + html.EscapeString(plainText(p.title)) + "</summary>\n" + d.body() + "</details>\n")
	}
	return htmlPage(head.first, body.String())
}
