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
	err := tab.Render()
	forgetWidths()
	if err != nil {
		return "", err
	}
	return buf.String(), nil
}

// forgetWidths empties tablewriter's width memo. v1.0.9 keeps the width
// of every string it ever measured in one process-wide map that never
// shrinks (SetCondition is its only way to clear it), so a program
// rendering report after report would keep every cell it printed. Within
// one table the memo pays: each cell is measured several times. The
// condition is the one twwidth's init made, from the same environment.
func forgetWidths() {
	twwidth.SetCondition(runewidth.NewCondition())
}
