package inspect

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// bigPayload is the size of the initialised data in the big fixtures, the
// common case for single-file runtimes (Bun's payload lives in its RW
// segment, FileSiz == MemSiz, about 124 MiB in the original report).
const bigPayload = 200 << 20

var bigOnce struct {
	sync.Once
	dir string
	err error
}

// bigFixtures builds, once per machine, two real ~200 MB executables with
// gcc and as: "ondisk" has the payload in .data (no zero-fill), "zerofill"
// has it in .bss (MemSiz ≫ FileSiz). They are cached outside the
// repository because they are too big to commit and take seconds to make.
func bigFixtures(tb testing.TB) (ondisk, zerofill string) {
	tb.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("gcc not installed: %v", err)
		}
		tb.Skipf("gcc not installed: %v", err)
	}
	bigOnce.Do(func() {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		dir := filepath.Join(cache, "elfdoctor", "big-v1")
		bigOnce.dir = dir
		if _, err := os.Stat(filepath.Join(dir, "zerofill")); err == nil {
			return
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			bigOnce.err = err
			return
		}
		main := "#include <stdio.h>\nextern char payload[];\nint main(void) { printf(\"%d\\n\", payload[0]); return 0; }\n"
		srcs := map[string]string{
			"main.c":     main,
			"ondisk.s":   ".section .data\n.globl payload\npayload:\n.fill 209715200,1,0x5a\n.section .note.GNU-stack,\"\",@progbits\n",
			"zerofill.s": ".section .bss\n.globl payload\npayload:\n.skip 209715200\n.section .note.GNU-stack,\"\",@progbits\n",
		}
		for name, text := range srcs {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				bigOnce.err = err
				return
			}
		}
		for _, v := range []string{"ondisk", "zerofill"} {
			tmp := filepath.Join(dir, v+".tmp")
			cmd := exec.Command("gcc", "-O1", "-o", tmp, "main.c", v+".s")
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				bigOnce.err = fmt.Errorf("gcc %s in %s: %v\n%s", v, dir, err, out)
				return
			}
			// Rename last: a half-built cache entry is never used.
			if err := os.Rename(tmp, filepath.Join(dir, v)); err != nil {
				bigOnce.err = err
				return
			}
		}
	})
	if bigOnce.err != nil {
		tb.Fatal(bigOnce.err)
	}
	return filepath.Join(bigOnce.dir, "ondisk"), filepath.Join(bigOnce.dir, "zerofill")
}

// TestBigFixture builds the big fixtures and prints where they are, for
// scripts/bench.
func TestBigFixture(t *testing.T) {
	ondisk, zerofill := bigFixtures(t)
	st, err := os.Stat(ondisk)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() < bigPayload {
		t.Fatalf("%s is %d bytes, want more than %d", ondisk, st.Size(), bigPayload)
	}
	t.Logf("big fixture: %s", ondisk)
	t.Logf("big fixture: %s", zerofill)
}

// Memory must not grow with the file: summarising, comparing and checking
// a 200 MB file allocates about what a 16 KB one does.
func TestBigFileMemory(t *testing.T) {
	ondisk, zerofill := bigFixtures(t)
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
		"Check":     func() { Check(ondisk, CheckOptions{}) },
	} {
		if n := allocs(fn); n > 8<<20 {
			t.Errorf("%s of a %d MiB file allocated %d bytes, want < 8 MiB", name, bigPayload>>20, n)
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
	ondisk, _ := bigFixtures(b)
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
	ondisk, zerofill := bigFixtures(b)
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

func BenchmarkCheckBig(b *testing.B) {
	ondisk, _ := bigFixtures(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Check(ondisk, CheckOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
