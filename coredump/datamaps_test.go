package coredump

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestDataMappings: a real core of a program that mapped locale data
// (C.UTF-8's LC_* files, not ELF) lists them as data, quietly, never as
// "unreadable: ...".
func TestDataMappings(t *testing.T) {
	dir := t.TempDir()
	exe := compile(t, "gcc", "locale.c", dir, "locale", "-O1")
	core := makeCore(t, dir, exe)
	a, err := Analyze(context.Background(), core, Options{NoCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	data := 0
	for _, m := range a.Modules {
		if strings.Contains(m.Path, "/locale/") {
			if !m.Data || m.Err != "" {
				t.Errorf("module %s: data %v, error %q; want data and no error", m.Path, m.Data, m.Err)
			}
			data++
		}
	}
	if data == 0 {
		var b bytes.Buffer
		for _, m := range a.Modules {
			b.WriteString(m.Path + "\n")
		}
		t.Fatalf("the core maps no locale file; the test proves nothing. Modules:\n%s", b.String())
	}
}
