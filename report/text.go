package report

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// textDoc renders for a terminal: headings at the left margin, everything
// under them indented by two spaces, tables without borders and with one
// light rule under the header, so that a program header table fits in 120
// columns.
type textDoc struct {
	buf   bytes.Buffer
	color bool
}

func (d *textDoc) paint(s, style string) string {
	if !d.color || s == "" {
		return s
	}
	return style + s + ansiReset
}

func (d *textDoc) title(s string) {
	d.buf.WriteString(d.paint(plainText(s), ansiBold) + "\n")
}

func (d *textDoc) kv(rows [][2]string) {
	w := 0
	for _, r := range rows {
		w = max(w, len(plainText(r[0])))
	}
	for _, r := range rows {
		k := plainText(r[0])
		d.buf.WriteString("  " + k + strings.Repeat(" ", w-len(k)+2) + plainText(r[1]) + "\n")
	}
}

func (d *textDoc) heading(s string) {
	if d.buf.Len() > 0 {
		d.buf.WriteString("\n")
	}
	d.buf.WriteString(plainText(s) + "\n")
}

func (d *textDoc) para(s string, strong bool) {
	s = plainText(s)
	if strong {
		s = d.paint(s, ansiBold)
	}
	d.buf.WriteString("  " + s + "\n")
}

func (d *textDoc) list(items []string, problem bool) {
	for _, it := range items {
		s := plainText(it)
		if problem {
			s = d.paint(s, ansiRed)
		}
		d.buf.WriteString("  - " + s + "\n")
	}
}

func (d *textDoc) next(items []string) {
	if len(items) == 0 {
		return
	}
	d.buf.WriteString("\n")
	if len(items) == 1 {
		d.buf.WriteString("Next: " + plainText(items[0]) + "\n")
		return
	}
	d.buf.WriteString("Next:\n")
	d.list(items, false)
}

func (d *textDoc) literals(...string) {}

func (d *textDoc) table(t table) {
	header := t.header
	if t.marks {
		header = append([]string{""}, header...)
	}
	var rows [][]string
	for _, r := range t.rows {
		var cells []string
		if t.marks {
			m := ""
			if r.changed {
				m = "*"
			}
			cells = append(cells, m)
		}
		for _, c := range r.cells {
			cells = append(cells, plainText(c))
		}
		if r.changed {
			for i := range cells {
				cells[i] = d.paint(cells[i], ansiYellow)
			}
		}
		rows = append(rows, cells)
	}
	var b bytes.Buffer
	tbl := tablewriter.NewTable(&b,
		append([]tablewriter.Option{tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleLight),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.On},
			},
		}))}, tableOptions...)...,
	)
	tbl.Header(header)
	if err := tbl.Bulk(rows); err != nil {
		d.buf.WriteString("  (table: " + err.Error() + ")\n")
		return
	}
	if err := tbl.Render(); err != nil {
		d.buf.WriteString("  (table: " + err.Error() + ")\n")
		return
	}
	// Indent by one more column, drop trailing blanks, and draw the rule
	// under the header as wide as the widest row, from where cells start
	// (tablewriter counts colour codes into the rule's width).
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	width := 0
	for i, line := range lines {
		lines[i] = strings.TrimRight(" "+line, " ")
		if !isRule(line) {
			width = max(width, utf8.RuneCountInString(ansiCode().ReplaceAllString(lines[i], "")))
		}
	}
	for _, line := range lines {
		if isRule(line) {
			line = "  " + strings.Repeat(rule, max(width-2, 1))
		}
		d.buf.WriteString(line + "\n")
	}
}

// rule is the character of the line under a table header.
const rule = "─"

var ansiCode = lazyRegexp("\x1b\\[[0-9;]*m")

func isRule(line string) bool {
	line = strings.TrimSpace(line)
	return line != "" && strings.Trim(line, rule) == ""
}

func (d *textDoc) flush(w io.Writer) error {
	_, err := w.Write(d.buf.Bytes())
	return err
}

// tableOptions are shared by the text and Markdown tables: left-aligned,
// never wrapped or re-cased, and every character measured as one column
// whatever the locale, so output does not depend on LANG.
var tableOptions = []tablewriter.Option{
	tablewriter.WithEastAsian(tw.Off),
	tablewriter.WithHeaderAutoFormat(tw.Off),
	tablewriter.WithHeaderAlignment(tw.AlignLeft),
	tablewriter.WithRowAlignment(tw.AlignLeft),
	tablewriter.WithHeaderAutoWrap(tw.WrapNone),
	tablewriter.WithRowAutoWrap(tw.WrapNone),
}
