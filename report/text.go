package report

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"
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
	widths := columnWidths(header, rows)
	lines := []string{textRow(header, widths)}
	width := utf8.RuneCountInString(lines[0])
	for _, r := range rows {
		line := textRow(r, widths)
		width = max(width, utf8.RuneCountInString(ansiCode().ReplaceAllString(line, "")))
		lines = append(lines, line)
	}
	d.buf.WriteString(lines[0] + "\n")
	d.buf.WriteString("  " + strings.Repeat(rule, max(width-2, 1)) + "\n")
	for _, line := range lines[1:] {
		d.buf.WriteString(line + "\n")
	}
}

// textRow lays out one row: indented, columns two spaces apart, padded
// to their width in visible characters, no trailing blanks.
func textRow(cells []string, widths []int) string {
	var b strings.Builder
	b.WriteString(" ")
	for i, c := range cells {
		b.WriteString(" ")
		b.WriteString(c)
		if i < len(cells)-1 {
			b.WriteString(strings.Repeat(" ", widths[i]-visibleWidth(c)+1))
		}
	}
	return strings.TrimRight(b.String(), " ")
}

// columnWidths is the widest cell of each column, in visible characters:
// every rune counts as one column whatever the locale, and colour codes
// count as nothing, so output does not depend on LANG or on colour.
func columnWidths(header []string, rows [][]string) []int {
	w := make([]int, len(header))
	for _, r := range append([][]string{header}, rows...) {
		for i, c := range r {
			if i < len(w) {
				w[i] = max(w[i], visibleWidth(c))
			}
		}
	}
	return w
}

func visibleWidth(s string) int {
	if strings.Contains(s, "\x1b") {
		s = ansiCode().ReplaceAllString(s, "")
	}
	return utf8.RuneCountInString(s)
}

// rule is the character of the line under a table header.
const rule = "─"

var ansiCode = lazyRegexp("\x1b\\[[0-9;]*m")

func (d *textDoc) flush(w io.Writer) error {
	_, err := w.Write(d.buf.Bytes())
	return err
}
