package report

import (
	"bytes"
	"io"

	"github.com/mattn/go-runewidth"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// tableLayout makes a tablewriter.Table of one layout. Every table gets
// a fresh one: tablewriter v1.0.9's NewTable allocates a few small maps
// (v1.1's made a 10,240-entry LRU map each time, see docs/decisions.md),
// and its Markdown renderer keeps the previous table's column alignments,
// so a Table reused for a table with more columns indexes past them.
type tableLayout func(io.Writer) *tablewriter.Table

// render lays out header and rows, after configure (when not nil) has
// changed the layout's configuration for this table.
func (l tableLayout) render(configure func(*tablewriter.Config), header []string, rows [][]string) (string, error) {
	narrowWidths()
	var buf bytes.Buffer
	tab := l(&buf)
	if configure != nil {
		tab.Configure(configure)
	}
	tab.Header(header)
	for _, row := range rows {
		// Append fails only for values it cannot turn into strings.
		_ = tab.Append(row)
	}
	if err := tab.Render(); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// narrowWidths has tablewriter measure characters of ambiguous width
// (box drawing, "…") as one column, as the rest of report does
// (fitPaths, proseLimits), and empties its width memo. tablewriter
// v1.0.9 takes go-runewidth's guess from the locale: under
// LANG=ja_JP.UTF-8 it counted "─" as two columns and drew the rule under
// a header at half its length, in a pipe too (v1.1.5 did the same unless
// TERM named a modern terminal). The memo keeps the width of every
// string ever measured in one process-wide map that never shrinks, so a
// program rendering report after report would keep every cell it
// printed; SetCondition is v1.0.9's only way to empty it, and within one
// table the memo pays (each cell is measured several times).
func narrowWidths() {
	c := runewidth.NewCondition()
	c.EastAsianWidth = false
	twwidth.SetCondition(c)
}
