package loader_test

import (
	"runtime"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/bigfixture"
)

// Checking a 200 MB file allocates about what checking a 16 KB one does:
// the replay reads the structures ld.so reads, not the file.
func TestCheckBigFileMemory(t *testing.T) {
	ondisk, zerofill := bigfixture.Paths(t)
	for _, p := range []string{ondisk, zerofill} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if _, err := loader.Check(p, loader.CheckOptions{}); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 8<<20 {
			t.Errorf("Check of a %d MiB file allocated %d bytes, want < 8 MiB", bigfixture.Payload>>20, n)
		}
	}
}

func BenchmarkCheckBig(b *testing.B) {
	ondisk, _ := bigfixture.Paths(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := loader.Check(ondisk, loader.CheckOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
