package coredump

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestBigCoreMemory analyses a core of more than 100 MB, plain and
// zstd-compressed, and requires the analysis to allocate a small fraction
// of it: the core is read through ReaderAt with bounded buffers and a
// compressed one is streamed to a temporary file, never into memory.
func TestBigCoreMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 160 MB core")
	}
	dir := t.TempDir()
	exe := compile(t, "gcc", "big.c", dir, "big", "-O1")
	core := makeCore(t, dir, exe)
	st, err := os.Stat(core)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() < 100<<20 {
		t.Fatalf("core is %d bytes, want more than 100 MB", st.Size())
	}
	zst := filepath.Join(dir, "core.zst")
	compressTo(t, "zst", core, zst)
	for _, p := range []string{core, zst} {
		t.Run(filepath.Base(p), func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			a, err := Analyze(context.Background(), p, Options{NoCheck: true})
			if err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			if a.Threads[0].Frames[0].Function != "main" {
				t.Errorf("frame 0 = %+v, want main", a.Threads[0].Frames[0])
			}
			const limit = 48 << 20
			if got := after.TotalAlloc - before.TotalAlloc; got > limit {
				t.Errorf("analysis of a %d-byte core allocated %d bytes, want under %d", st.Size(), got, limit)
			} else {
				t.Logf("allocated %d bytes for a %d-byte core", got, st.Size())
			}
		})
	}
}
