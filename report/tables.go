package report

import (
	"bytes"
	"reflect"
	"sync"

	"github.com/olekukonko/tablewriter"
)

// reusedTable is one tablewriter.Table kept for the life of the process
// and used for every table of one layout, one at a time. Each
// tablewriter.NewTable (v1.1.5) allocates and clears a 10,240-entry LRU
// map for its stringer cache, a feature we do not use: about 0.4 MB per
// table, which made `inspect`'s five text tables cost 4 ms more than the
// whole JSON output. Reset then gives the table back its first
// configuration; its stringer cache is a no-op, so Reset does not make
// the map again either.
type reusedTable struct {
	mu   sync.Mutex
	new  func(*bytes.Buffer) *tablewriter.Table
	tab  *tablewriter.Table
	buf  bytes.Buffer
	base tablewriter.Config
}

// render lays out header and rows, after configure (when not nil) has
// changed the table's first configuration for this table only.
func (r *reusedTable) render(configure func(*tablewriter.Config), header []string, rows [][]string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tab == nil {
		r.tab = r.new(&r.buf)
		r.tab.Options(tablewriter.WithStringerCacheCustom(noStringerCache{}))
		r.base = r.tab.Config()
	} else {
		r.tab.Reset()
		r.tab.Configure(func(c *tablewriter.Config) { *c = r.base })
	}
	r.buf.Reset()
	if configure != nil {
		r.tab.Configure(configure)
	}
	r.tab.Header(header)
	for _, row := range rows {
		// Append fails only for values it cannot turn into strings.
		_ = r.tab.Append(row)
	}
	if err := r.tab.Render(); err != nil {
		return "", err
	}
	return r.buf.String(), nil
}

// noStringerCache caches nothing: the tables are given strings.
type noStringerCache struct{}

func (noStringerCache) Add(reflect.Type, reflect.Value) bool        { return false }
func (noStringerCache) Get(reflect.Type) (v reflect.Value, ok bool) { return v, false }
func (noStringerCache) Purge()                                      {}
