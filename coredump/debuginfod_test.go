package coredump

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// debuginfodFixture compiles a program with a build-id, keeps its debug
// file, strips it and makes a real core of it.
func debuginfodFixture(t *testing.T) (core, exe, debug, id string) {
	t.Helper()
	needTool(t, "objcopy")
	dir := t.TempDir()
	exe = compile(t, "gcc", "segv.c", dir, "segv", "-O1", "-g", "-Wl,--build-id")
	debug = exe + ".debug"
	for _, args := range [][]string{{"--only-keep-debug", exe, debug}, {"--strip-all", exe}} {
		if b, err := exec.Command("objcopy", args...).CombinedOutput(); err != nil {
			t.Fatalf("objcopy %v: %v\n%s", args, err, b)
		}
	}
	core = makeCore(t, dir, exe)
	if id = fileBuildID(exe); id == "" {
		t.Fatal("no build-id in the fixture")
	}
	return core, exe, debug, id
}

func serverOpts(t *testing.T, urls string) Options {
	return Options{NoCheck: true, DebugDirs: []string{t.TempDir()}, CacheDir: t.TempDir(),
		Getenv: func(k string) string {
			if k == "DEBUGINFOD_URLS" {
				return urls
			}
			return ""
		}}
}

// A hostile debuginfod answer is checked before it enters the cache: the
// right build-id with a .debug_str bomb (made by objcopy from 40 MB of
// zeros, 46 KB compressed) is refused, not cached and re-loaded.
func TestDebuginfodBomb(t *testing.T) {
	core, _, debug, id := debuginfodFixture(t)
	dir := filepath.Dir(debug)
	zeros := filepath.Join(dir, "zeros")
	if err := os.WriteFile(zeros, make([]byte, 40<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	bomb := filepath.Join(dir, "bomb.debug")
	for _, args := range [][]string{{"--update-section", ".debug_str=" + zeros, debug, bomb + ".tmp"}, {"--compress-debug-sections=zlib", bomb + ".tmp", bomb}} {
		if b, err := exec.Command("objcopy", args...).CombinedOutput(); err != nil {
			t.Fatalf("objcopy %v: %v\n%s", args, err, b)
		}
	}
	if got := fileBuildID(bomb); got != "" {
		t.Logf("bomb's build-id as read by fileBuildID: %q", got)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Path, "/"+id+"/") {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, bomb)
	}))
	defer srv.Close()
	opts := serverOpts(t, srv.URL)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	a, err := Analyze(context.Background(), core, opts)
	runtime.ReadMemStats(&ms)
	t.Logf("analysis allocated %d bytes", ms.TotalAlloc-before)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(opts.CacheDir, id, "debuginfo")); err == nil {
		t.Error("the bomb was cached")
	}
	if w := strings.Join(a.Warnings, "\n"); !strings.Contains(w, "claims") {
		t.Errorf("warnings %q do not say the answer was refused", w)
	}
	if n := ms.TotalAlloc - before; n > 64<<20 {
		t.Errorf("analysis allocated %d bytes", n)
	}
	ents, _ := os.ReadDir(filepath.Join(opts.CacheDir, id))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".part-") {
			t.Errorf("partial download %s left in the cache", e.Name())
		}
	}
}

// A redirect to a host DEBUGINFOD_URLS does not name is not followed.
func TestDebuginfodRedirect(t *testing.T) {
	core, _, debug, id := debuginfodFixture(t)
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		http.ServeFile(w, r, debug)
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	}))
	defer srv.Close()
	a, err := Analyze(context.Background(), core, serverOpts(t, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if elsewhere.Load() != 0 {
		t.Errorf("the redirect to %s was followed %d times", other.URL, elsewhere.Load())
	}
	if w := strings.Join(a.Warnings, "\n"); !strings.Contains(w, "DEBUGINFOD_URLS does not name") {
		t.Errorf("warnings %q do not name the refused redirect", w)
	}
	// Listed, the same server is followed to and gives the names.
	a, err = Analyze(context.Background(), core, serverOpts(t, srv.URL+" "+other.URL))
	if err != nil {
		t.Fatal(err)
	}
	if f := a.Threads[0].Frames[0]; f.Function != "store" {
		t.Errorf("with both servers listed, frame 0 = %+v, want store", f)
	}
	_ = id
}

// A server that accepts and then says nothing costs one idle period for
// the whole analysis, not one per module; a stalled body likewise.
func TestDebuginfodStalls(t *testing.T) {
	core, _, _, _ := debuginfodFixture(t)
	old := debuginfodIdle
	debuginfodIdle = time.Second
	defer func() { debuginfodIdle = old }()
	for _, tc := range []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request, stop <-chan struct{})
	}{
		{"no headers", func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			select {
			case <-stop:
			case <-r.Context().Done():
			}
		}},
		{"body stalls", func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			w.Header().Set("Content-Length", "100000")
			w.Write(make([]byte, 1000))
			w.(http.Flusher).Flush()
			select {
			case <-stop:
			case <-r.Context().Done():
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var asked atomic.Int32
			stop := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				asked.Add(1)
				tc.handler(w, r, stop)
			}))
			defer srv.Close()
			defer close(stop)
			start := time.Now()
			a, err := Analyze(context.Background(), core, serverOpts(t, srv.URL))
			el := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d modules, server asked %d times, analysis took %v", len(a.Modules), asked.Load(), el)
			if asked.Load() != 1 {
				t.Errorf("the stalled server was asked %d times, want once", asked.Load())
			}
			if el > 5*debuginfodIdle {
				t.Errorf("analysis took %v with an idle limit of %v", el, debuginfodIdle)
			}
		})
	}
}

// The download is capped relative to the module: a server streaming
// more than a debug file of it can be is cut off and nothing is cached.
func TestDebuginfodSizeCap(t *testing.T) {
	core, exe, _, id := debuginfodFixture(t)
	st, err := os.Stat(exe)
	if err != nil {
		t.Fatal(err)
	}
	limit := debuginfoCap(st.Size())
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Path, "/"+id+"/") {
			http.NotFound(w, r)
			return
		}
		chunk := make([]byte, 1<<20)
		for sent.Load() < 2*limit {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			sent.Add(int64(len(chunk)))
		}
	}))
	defer srv.Close()
	opts := serverOpts(t, srv.URL)
	a, err := Analyze(context.Background(), core, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cap %d bytes for a %d-byte module; server sent %d", limit, st.Size(), sent.Load())
	if limit >= 4<<30 || limit > maxDebuginfo {
		t.Errorf("cap %d", limit)
	}
	if _, err := os.Stat(filepath.Join(opts.CacheDir, id, "debuginfo")); err == nil {
		t.Error("an oversized answer was cached")
	}
	if w := strings.Join(a.Warnings, "\n"); !strings.Contains(w, "a debug file of this module can be") {
		t.Errorf("warnings %q do not name the cap", w)
	}
}
