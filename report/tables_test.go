package report

import (
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// tablePackages are tablewriter and what it brings into every process.
var tablePackages = regexp.MustCompile(`olekukonko|mattn/go-runewidth|rivo/uniseg|clipperhouse|fatih/color`)

// TestTablewriterInitMemory holds the memory tablewriter's packages
// allocate at start-up, which every command pays whether it prints a
// table or not. tablewriter v1.1 made an 8,192-entry width cache at init
// (663 KB, about 2 ms on the test machine), and rivo/uniseg v0.2.0
// (which tablewriter v1.0.9 asks for) a grapheme transition map (small,
// but 0.3–0.5 ms); a `go get` that brings either back fails here. The
// figure is the runtime's own count (GODEBUG=inittrace=1) of this test
// binary, which links the same packages as elfdoctor.
func TestTablewriterInitMemory(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s -test.run=^$: %v\n%s", os.Args[0], err, out)
	}
	// init github.com/olekukonko/errors @0.4 ms, 0.25 ms clock, 65936 bytes, 101 allocs
	line := regexp.MustCompile(`(?m)^init (\S+) @.* clock, (\d+) bytes,`)
	total, seen := 0, 0
	var each []string
	for _, m := range line.FindAllStringSubmatch(string(out), -1) {
		if !tablePackages.MatchString(m[1]) {
			continue
		}
		if strings.Contains(m[1], "rivo/uniseg") {
			t.Errorf("%s has init work (v0.2.0 builds its transition map); require v0.4.7 or later", m[1])
		}
		n, _ := strconv.Atoi(m[2])
		total += n
		seen++
		each = append(each, m[1]+" "+m[2])
	}
	if seen == 0 {
		t.Fatalf("no init line of tablewriter's packages in the test binary's inittrace:\n%s", out)
	}
	// Today about 88 KB, 66 KB of it olekukonko/errors' pool of errors.
	const budget = 128 << 10
	if total > budget {
		t.Errorf("tablewriter's packages allocate %d bytes at init, budget %d:\n%s", total, budget, strings.Join(each, "\n"))
	}
}

// TestTableMemory holds what one small table costs: tablewriter v1.1's
// NewTable made a 10,240-entry map for a stringer cache we do not use
// (about 0.4 MB per table), and report makes a Table per table.
func TestTableMemory(t *testing.T) {
	header := []string{"Type", "Offset", "Size"}
	rows := [][]string{{"LOAD", "0x0", "0x2d8 (728 B)"}, {"DYNAMIC", "0x2df0", "0x1e0 (480 B)"}}
	render := func() {
		if _, err := textTable.render(nil, header, rows); err != nil {
			t.Fatal(err)
		}
		if _, err := markdownTable.render(nil, header, rows); err != nil {
			t.Fatal(err)
		}
	}
	render()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const n = 10
	for range n {
		render()
	}
	runtime.ReadMemStats(&after)
	perTable := (after.TotalAlloc - before.TotalAlloc) / (2 * n)
	if perTable > 64<<10 {
		t.Errorf("a three-column, two-row table allocates %d bytes, want under 64 KB", perTable)
	}
	t.Logf("%d bytes per table", perTable)
}

// TestTablesRetainNothing: tablewriter v1.0.9 memoises the width of
// every string it measures in a process-wide map that never shrinks, so
// a program that renders report after report would keep every cell it
// ever printed. After many tables of distinct cells the heap is back
// where it started.
func TestTablesRetainNothing(t *testing.T) {
	header := []string{"Path", "Finding"}
	cell := strings.Repeat("x", 200)
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	start := heap()
	for i := range 2000 {
		rows := [][]string{{cell + strconv.Itoa(i), strconv.Itoa(i) + cell}, {"/lib/" + strconv.Itoa(i), "fine"}}
		if _, err := textTable.render(nil, header, rows); err != nil {
			t.Fatal(err)
		}
	}
	if grown := int64(heap()) - int64(start); grown > 256<<10 {
		t.Errorf("after 2,000 tables of distinct 200-byte cells the heap has grown by %d bytes", grown)
	}
}

// TestTablesInCJKLocale: under a CJK locale go-runewidth guesses that
// ambiguous characters are two columns wide; the tables keep measuring
// them as one, like the rest of report, so the rule under the header is
// as long as the header. The locale is read at package init, so the
// table is rendered by this test binary started again under it.
func TestTablesInCJKLocale(t *testing.T) {
	if os.Getenv("ELFDOCTOR_TABLE_CHILD") == "1" {
		out, err := textTable.render(nil, []string{"Type", "Offset…"}, [][]string{{"LOAD", "0x0"}})
		if err != nil {
			t.Fatal(err)
		}
		os.Stdout.WriteString(out)
		return
	}
	for _, lang := range []string{"C.UTF-8", "ja_JP.UTF-8", "zh_CN.UTF-8"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTablesInCJKLocale$")
		cmd.Env = append(os.Environ(), "ELFDOCTOR_TABLE_CHILD=1", "LANG="+lang, "LC_ALL=", "LC_CTYPE=", "RUNEWIDTH_EASTASIAN=")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("LANG=%s: %v\n%s", lang, err, out)
		}
		lines := strings.Split(string(out), "\n")
		if len(lines) < 3 {
			t.Fatalf("LANG=%s: no table:\n%s", lang, out)
		}
		header, ruleLine := strings.TrimRight(lines[0], " "), strings.TrimRight(lines[1], " ")
		if utf8.RuneCountInString(ruleLine) != utf8.RuneCountInString(header) {
			t.Errorf("LANG=%s: the rule is %d columns under a %d-column header:\n%s", lang, utf8.RuneCountInString(ruleLine), utf8.RuneCountInString(header), out)
		}
	}
}

// BenchmarkTextTable is one small text table, as `check` prints three.
func BenchmarkTextTable(b *testing.B) {
	header := []string{"NAME", "FOUND AT", "VIA", "NEEDED BY"}
	rows := [][]string{{"/lib64/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2", "PT_INTERP", "-"}, {"libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6", "ld.so.cache", "app"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := textTable.render(nil, header, rows); err != nil {
			b.Fatal(err)
		}
	}
}
