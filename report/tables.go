package report

import (
	"bytes"
	"io"

	"github.com/olekukonko/tablewriter"
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
	if err := tab.Render(); err != nil {
		return "", err
	}
	return buf.String(), nil
}
