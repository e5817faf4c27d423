package report

import (
	"bytes"
	"io"
	"sort"
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
	// width is the terminal's width: tables are fitted to it. 0 in a
	// pipe or with --wide: full lines.
	width int
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
		rows = append(rows, cells)
	}
	if d.width > 0 {
		fitPaths(header, rows, d.width-len(tableIndent))
	}
	for i, r := range t.rows {
		if r.changed {
			for j := range rows[i] {
				rows[i][j] = d.paint(rows[i][j], ansiYellow)
			}
		}
	}
	d.buf.WriteString(renderTextTable(header, rows, d.width))
}

// tableIndent puts tables under their heading, like every other block.
const tableIndent = "  "

// renderTextTable lays a table out with tablewriter: no borders, columns
// two spaces apart, one rule under the header. With width > 0 (a
// terminal) and a table wider than that, the prose columns (findings,
// messages) wrap at spaces so that the table fits; columns of numbers,
// names and paths never wrap, so a table of numbers that cannot fit
// stays whole and the terminal folds it. In a pipe (width 0) every row
// is one line, for grep.
func renderTextTable(header []string, rows [][]string, width int) string {
	var configure func(*tablewriter.Config)
	if limits := proseLimits(header, rows, width-len(tableIndent)); len(limits) > 0 {
		configure = func(cfg *tablewriter.Config) {
			cfg.Row.Formatting.AutoWrap = tw.WrapNormal
			cfg.Row.ColMaxWidths.PerColumn = limits
		}
	}
	text, err := textTable.render(configure, header, rows)
	if err != nil {
		return tableIndent + "(table not rendered: " + err.Error() + ")\n"
	}
	var out strings.Builder
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		out.WriteString(strings.TrimRight(tableIndent+line, " ") + "\n")
	}
	return out.String()
}

// textTable is the text layout: no borders, columns two spaces apart, one
// rule under the header, nothing wrapped unless configured per table.
var textTable tableLayout = func(w io.Writer) *tablewriter.Table {
	return tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: textSymbols,
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.On, BetweenRows: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.On},
			},
		})),
		tablewriter.WithPadding(tw.Padding{Overwrite: true}),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAutoWrap(tw.WrapNone))
}

// proseLimits chooses how narrow the prose columns must become for the
// table to fit in width, widest first, none narrower than 20 columns.
// It returns nil when the table fits or has no prose to wrap.
func proseLimits(header []string, rows [][]string, width int) tw.Mapper[int, int] {
	if width <= 0 {
		return nil
	}
	widths := columnWidths(header, rows)
	total := 2 * (len(widths) - 1)
	for _, w := range widths {
		total += w
	}
	over := total - width
	if over <= 0 {
		return nil
	}
	var prose []int
	for i := range widths {
		if isProse(rows, i) {
			prose = append(prose, i)
		}
	}
	sort.Slice(prose, func(a, b int) bool { return widths[prose[a]] > widths[prose[b]] })
	limits := tw.NewMapper[int, int]()
	for _, i := range prose {
		if over <= 0 {
			break
		}
		w := max(widths[i]-over, 20)
		if w >= widths[i] {
			continue
		}
		limits.Set(i, w)
		over -= widths[i] - w
	}
	if len(limits) == 0 {
		return nil
	}
	return limits
}

// isProse says whether a column holds sentences: some cell has four words
// or more. Numbers with their human size ("0x2d8 (728 B)") and names do
// not, and are never wrapped.
func isProse(rows [][]string, col int) bool {
	for _, r := range rows {
		if col < len(r) && len(strings.Fields(ansiCode().ReplaceAllString(r[col], ""))) >= 4 {
			return true
		}
	}
	return false
}

var textSymbols = tw.NewSymbolCustom("elfdoctor").WithRow(rule).WithColumn("  ").WithCenter(rule + rule).WithMidLeft(rule).WithMidRight(rule)

// fitPaths shortens, in the middle, cells that are one long path (Nix
// store paths make check's tables 300 columns wide), keeping the first
// directory and the file name, until the widest row fits in width or no
// path is left to shorten. Prose and numbers are left to wrapping.
func fitPaths(header []string, rows [][]string, width int) {
	for {
		widths := columnWidths(header, rows)
		total := 0
		for _, w := range widths {
			total += w + 2
		}
		if total-2 <= width {
			return
		}
		// The column that most needs it: the widest one holding a path.
		col, best := -1, 0
		for i, w := range widths {
			if w > best && columnHasPath(rows, i, w) {
				col, best = i, w
			}
		}
		if col < 0 {
			shortenPathWords(rows, 40)
			return
		}
		target := max(best-(total-2-width), 24)
		if target >= best {
			return
		}
		for _, r := range rows {
			if col < len(r) && visibleWidth(r[col]) > target && isPath(r[col]) {
				r[col] = shortenPath(r[col], target)
			}
		}
	}
}

// shortenPathWords shortens path words longer than n inside prose cells
// ("the interpreter /nix/store/…/ld-linux-x86-64.so.2 does not exist"):
// a word cannot wrap, so a long path would keep the table wide.
func shortenPathWords(rows [][]string, n int) {
	for _, r := range rows {
		for i, c := range r {
			if !strings.Contains(c, " ") || strings.Contains(c, "\x1b") {
				continue
			}
			words := strings.Split(c, " ")
			for j, w := range words {
				if utf8.RuneCountInString(w) > n && isPath(w) {
					words[j] = shortenPath(w, n)
				}
			}
			r[i] = strings.Join(words, " ")
		}
	}
}

func columnHasPath(rows [][]string, col, width int) bool {
	for _, r := range rows {
		if col < len(r) && visibleWidth(r[col]) == width && isPath(r[col]) {
			return true
		}
	}
	return false
}

func isPath(s string) bool {
	return strings.Contains(s, "/") && !strings.ContainsAny(s, " \t\x1b")
}

// shortenPath keeps the start of p and its last element, joined by "…",
// in at most n runes; the file name is kept whole even when that is
// longer.
func shortenPath(p string, n int) string {
	r := []rune(p)
	if len(r) <= n {
		return p
	}
	base := []rune(p[strings.LastIndex(p, "/"):])
	keep := n - len(base) - 1
	if keep < 1 {
		return "…" + string(base)
	}
	return string(r[:keep]) + "…" + string(base)
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
