package coredump

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestDebuginfod strips a program, serves its debug file from an
// in-process debuginfod and expects the names back, downloaded once.
func TestDebuginfod(t *testing.T) {
	needTool(t, "objcopy")
	dir := t.TempDir()
	exe := compile(t, "gcc", "segv.c", dir, "segv", "-O1", "-g", "-Wl,--build-id")
	debug := exe + ".debug"
	for _, args := range [][]string{{"--only-keep-debug", exe, debug}, {"--strip-all", exe}} {
		if b, err := exec.Command("objcopy", args...).CombinedOutput(); err != nil {
			t.Fatalf("objcopy %v: %v\n%s", args, err, b)
		}
	}
	core := makeCore(t, dir, exe)
	id := fileBuildID(exe)
	if id == "" {
		t.Fatal("no build-id in the fixture")
	}
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/buildid/") || !strings.HasSuffix(r.URL.Path, "/debuginfo") {
			http.NotFound(w, r)
			return
		}
		if strings.Contains(r.URL.Path, "/"+id+"/") {
			hits.Add(1)
		}
		http.ServeFile(w, r, debug)
	}))
	defer srv.Close()
	cache := t.TempDir()
	opts := Options{NoCheck: true, DebugDirs: []string{t.TempDir()}, CacheDir: cache,
		Getenv: func(k string) string {
			if k == "DEBUGINFOD_URLS" {
				return srv.URL
			}
			return ""
		}}
	for run := 1; run <= 2; run++ {
		a, err := Analyze(context.Background(), core, opts)
		if err != nil {
			t.Fatal(err)
		}
		f := a.Threads[0].Frames[0]
		if f.Function != "store" || !strings.HasPrefix(f.From, cache) {
			t.Errorf("run %d: frame 0 = %+v, want store from the debuginfod cache", run, f)
		}
	}
	// libc and ld.so are asked for too and get the wrong file, which
	// must be refused rather than cached under their build-ids.
	for _, m := range a0(t, core, opts).Modules {
		if !m.Executable && len(m.Symbols) > 0 && strings.HasPrefix(m.Symbols[len(m.Symbols)-1], cache) {
			t.Errorf("%s took names from the wrong debug file", m.Path)
		}
	}
	first := hits.Load()
	if first == 0 {
		t.Fatal("debuginfod server never asked")
	}
	if _, err := Analyze(context.Background(), core, opts); err != nil {
		t.Fatal(err)
	}
	if first != 1 || hits.Load() != first {
		t.Errorf("debuginfod asked %d times after the cache was filled by %d", hits.Load(), first)
	}
}

// TestPatchedFileWarns changes the executable after the crash: the
// build-id still matches, the bytes do not, and the analysis says so.
func TestPatchedFileWarns(t *testing.T) {
	dir := t.TempDir()
	exe := compile(t, "gcc", "segv.c", dir, "segv", "-O1")
	core := makeCore(t, dir, exe)
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	b[12] ^= 0xff // EI_PAD: the loader ignores it, the comparison must not
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	a, err := Analyze(context.Background(), core, Options{NoCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	var m *Module
	for _, x := range a.Modules {
		if x.Executable {
			m = x
		}
	}
	if m == nil || !strings.Contains(m.Mismatch, "0xc") {
		t.Fatalf("executable module = %+v, want a mismatch at byte 0xc", m)
	}
	for _, x := range a.Modules {
		if x != m && x.Mismatch != "" {
			t.Errorf("%s: unexpected mismatch %s", filepath.Base(x.Path), x.Mismatch)
		}
	}
}

func BenchmarkAnalyze(b *testing.B) {
	dir := b.TempDir()
	exe := compile(b, "gcc", "threads.c", dir, "threads", "-O1", "-pthread")
	core := makeCore(b, dir, exe)
	st, _ := os.Stat(core)
	b.SetBytes(st.Size())
	for b.Loop() {
		if _, err := Analyze(context.Background(), core, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func a0(t *testing.T, core string, opts Options) *Analysis {
	t.Helper()
	a, err := Analyze(context.Background(), core, opts)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestDebuginfodRemembersMisses: libraries no server has are asked for
// once, not on every analysis.
func TestDebuginfodRemembersMisses(t *testing.T) {
	dir := t.TempDir()
	exe := compile(t, "gcc", "segv.c", dir, "segv", "-O1", "-Wl,--build-id")
	core := makeCore(t, dir, exe)
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		http.NotFound(w, r)
	}))
	defer srv.Close()
	opts := Options{NoCheck: true, DebugDirs: []string{t.TempDir()}, CacheDir: t.TempDir(),
		Getenv: func(k string) string {
			if k == "DEBUGINFOD_URLS" {
				return srv.URL
			}
			return ""
		}}
	if _, err := Analyze(context.Background(), core, opts); err != nil {
		t.Fatal(err)
	}
	first := asked.Load()
	if first == 0 {
		t.Fatal("the server was never asked")
	}
	if _, err := Analyze(context.Background(), core, opts); err != nil {
		t.Fatal(err)
	}
	if again := asked.Load() - first; again != 0 {
		t.Errorf("the second analysis asked %d more times for files the server does not have", again)
	}
}
