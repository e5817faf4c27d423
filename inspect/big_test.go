package inspect

import (
	"os"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/bigfixture"
)

// TestBigFixture builds the big fixtures and prints where they are, for
// scripts/bench.
func TestBigFixture(t *testing.T) {
	ondisk, zerofill := bigfixture.Paths(t)
	st, err := os.Stat(ondisk)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() < bigfixture.Payload {
		t.Fatalf("%s is %d bytes, want more than %d", ondisk, st.Size(), bigfixture.Payload)
	}
	t.Logf("big fixture: %s", ondisk)
	t.Logf("big fixture: %s", zerofill)
}

// Memory must not grow with the file: summarising, comparing and checking
// a 200 MB file allocates about what a 16 KB one does.
func TestBigFileMemory(t *testing.T) {
	ondisk, zerofill := bigfixture.Paths(t)
	a, err := Open(ondisk)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(zerofill)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var d *Diff
	for name, fn := range map[string]func(){
		"Summarize": func() { Summarize(a, ondisk) },
		"Compare":   func() { d, _ = Compare(a, b, ondisk, zerofill) },
	} {
		if n := allocs(fn); n > 8<<20 {
			t.Errorf("%s of a %d MiB file allocated %d bytes, want < 8 MiB", name, bigfixture.Payload>>20, n)
		}
	}
	// And the diff says what happened to the segment, in words.
	found := false
	for _, c := range d.Changes {
		if c.Area == "segments" && strings.Contains(c.Message, "RW LOAD") && strings.Contains(c.Message, "zero-fill grew from 8 B to 200 MiB") {
			found = true
		}
	}
	if !found {
		t.Errorf("Compare(ondisk, zerofill).Changes = %+v, want the RW LOAD's zero-fill to appear", d.Changes)
	}
	rev, err := Compare(b, a, zerofill, ondisk)
	if err != nil {
		t.Fatal(err)
	}
	if len(rev.Changes) == 0 || !strings.Contains(rev.Changes[0].Message, "zero-fill shrank from 200 MiB to 8 B") {
		t.Errorf("Compare(zerofill, ondisk).Changes[0] = %+v, want the zero-fill to shrink first", rev.Changes)
	}
	// Comparing the file with an identical copy reads it all, in pieces.
	if n := allocs(func() { Compare(a, a, ondisk, ondisk) }); n > 8<<20 {
		t.Errorf("Compare(ondisk, ondisk) allocated %d bytes, want < 8 MiB", n)
	}
}

func BenchmarkSummarizeBig(b *testing.B) {
	ondisk, _ := bigfixture.Paths(b)
	b.ReportAllocs()
	for b.Loop() {
		f, err := Open(ondisk)
		if err != nil {
			b.Fatal(err)
		}
		Summarize(f, ondisk)
		f.Close()
	}
}

func BenchmarkCompareBig(b *testing.B) {
	ondisk, zerofill := bigfixture.Paths(b)
	b.ReportAllocs()
	for b.Loop() {
		x, _ := Open(ondisk)
		y, _ := Open(zerofill)
		if _, err := Compare(x, y, ondisk, zerofill); err != nil {
			b.Fatal(err)
		}
		x.Close()
		y.Close()
	}
}
