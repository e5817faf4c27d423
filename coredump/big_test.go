package coredump

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/damage"
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

// TestBenchLoaderCrashCore makes the core scripts/bench measures for a
// big vendor binary crashing in ld.so: the executable named by
// ELFDOCTOR_BENCH_EXE (the 230 MB Bun application scripts/bench builds),
// with its first Vernaux's vna_name pointing 2 GiB past .dynstr, dies in
// _dl_check_map_versions before main. It prints the damaged copy and its
// core into ELFDOCTOR_BENCH_DIR, and checks the analysis names the crash.
func TestBenchLoaderCrashCore(t *testing.T) {
	src, dir := os.Getenv("ELFDOCTOR_BENCH_EXE"), os.Getenv("ELFDOCTOR_BENCH_DIR")
	if src == "" || dir == "" {
		t.Skip("a helper of scripts/bench: set ELFDOCTOR_BENCH_EXE and ELFDOCTOR_BENCH_DIR")
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if b, err = damage.VnaNameUnmapped(b); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "app.damaged")
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	core := makeCore(t, dir, exe)
	a, err := Analyze(context.Background(), core, Options{NoCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(a.Threads[0].Frames, func(f Frame) bool { return f.Function == "_dl_check_map_versions" }) {
		t.Fatalf("frames %+v: no _dl_check_map_versions", a.Threads[0].Frames)
	}
	t.Logf("bench exe: %s", exe)
	t.Logf("bench core: %s", core)
}
