package report

import (
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// mdDoc renders GitHub-flavoured Markdown: a "##" title, a "###" heading
// per block, pipe tables, and code spans for paths, addresses and names.
type mdDoc struct {
	blocks []string
	known  map[string]bool
}

// inline renders text the report wrote itself; prose renders messages
// that may mention paths, addresses and names without marking them.
func (d *mdDoc) inline(s string) string { return mdInline(s, d.known, false, false) }

func (d *mdDoc) prose(s string) string { return mdInline(s, d.known, true, false) }

func (d *mdDoc) add(s string) { d.blocks = append(d.blocks, s) }

func (d *mdDoc) title(s string) { d.add("## " + d.inline(s)) }

func (d *mdDoc) kv(rows [][2]string) {
	var b strings.Builder
	for i, r := range rows {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("- **" + mdEscape(plainText(r[0])) + ":** " + d.inline(r[1]))
	}
	d.add(b.String())
}

func (d *mdDoc) heading(s string) { d.add("### " + d.inline(s)) }

func (d *mdDoc) para(s string, strong bool) {
	if strong {
		d.add("**" + d.prose(s) + "**")
		return
	}
	d.add(d.prose(s))
}

func (d *mdDoc) list(items []string, _ bool) {
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("- " + d.prose(it))
	}
	d.add(b.String())
}

func (d *mdDoc) next(items []string) {
	if len(items) == 0 {
		return
	}
	d.heading("Next")
	d.list(items, false)
}

func (d *mdDoc) literals(words ...string) {
	if d.known == nil {
		d.known = map[string]bool{}
	}
	for _, w := range words {
		if w != "" {
			d.known[clean(w)] = true
		}
	}
}

func (d *mdDoc) table(t table) {
	header := make([]string, len(t.header))
	for i, h := range t.header {
		header[i] = mdEscape(plainText(h))
	}
	var rows [][]string
	for _, r := range t.rows {
		cells := make([]string, len(r.cells))
		for i, c := range r.cells {
			s := mdInline(c, d.known, false, true)
			if r.changed && s != "" && (i == 0 || r.hl == nil || (i < len(r.hl) && r.hl[i])) {
				s = "**" + s + "**"
			}
			cells[i] = s
		}
		rows = append(rows, cells)
	}
	text, err := markdownTable.render(nil, header, rows)
	if err != nil {
		d.add("(table not rendered: " + mdEscape(err.Error()) + ")")
		return
	}
	d.add(strings.TrimRight(text, "\n"))
}

// markdownTable is the Markdown layout.
var markdownTable tableLayout = func(w io.Writer) *tablewriter.Table {
	return tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewMarkdown()),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAutoWrap(tw.WrapNone))
}

func (d *mdDoc) flush(w io.Writer) error {
	_, err := io.WriteString(w, strings.Join(d.blocks, "\n\n")+"\n")
	return err
}
