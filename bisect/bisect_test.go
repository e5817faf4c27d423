package bisect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The images scripts/build-images makes.
const (
	imgHost     = "elfdoctor-test/host:1"
	imgBookworm = "elfdoctor-test/bookworm:1"
	imgBullseye = "elfdoctor-test/bullseye:1"
)

// needEngine connects to the Docker engine: a failure under CI, a skip
// elsewhere. The images must exist too.
func needEngine(t *testing.T, images ...string) *DockerRunner {
	t.Helper()
	fail := t.Skipf
	if os.Getenv("CI") != "" {
		fail = t.Fatalf
	}
	r, err := NewDockerRunner(context.Background())
	if err != nil {
		fail("%v (scripts/install-test-deps starts one)", err)
		return nil
	}
	t.Cleanup(func() { r.Close() })
	for _, im := range images {
		if err := r.cli.imageInspect(context.Background(), im); err != nil {
			fail("image %s: %v (scripts/build-images builds it)", im, err)
		}
	}
	return r
}

func newCache(t *testing.T, dir string) *Cache {
	t.Helper()
	return &Cache{Dir: dir}
}

// maxRuns is the bound on runs per image of a search with one regression
// among n versions: both ends, then a binary search.
func maxRuns(n int) int { return int(math.Ceil(math.Log2(float64(n)))) + 2 }

func TestCompareVersions(t *testing.T) {
	in := []string{"10.0.0", "2.0.0", "1.0.0-rc.1", "1.0.0", "v1.2", "1.0.0-alpha", "1.0.0-alpha.2", "1.0.0-alpha.10", "nightly", "1.0.0-beta", "1.0.0+build.5"}
	want := []string{"1.0.0-alpha", "1.0.0-alpha.2", "1.0.0-alpha.10", "1.0.0-beta", "1.0.0-rc.1", "1.0.0", "1.0.0+build.5", "v1.2", "2.0.0", "10.0.0", "nightly"}
	got := SortVersions(in)
	if !slices.Equal(got, want) {
		t.Errorf("SortVersions(%v) = %v, want %v", in, got, want)
	}
	if got := Range([]string{"1", "2", "3", "10", "11"}, "2", "10"); !slices.Equal(got, []string{"2", "3", "10"}) {
		t.Errorf("Range(2, 10) = %v", got)
	}
}

// TestHostRunnerClasses runs real binaries on this host, one subtest per
// kind of outcome.
func TestHostRunnerClasses(t *testing.T) {
	needTool(t, "patchelf")
	dir := t.TempDir()
	good := build(t, 1, false, false, 0)
	broken := filepath.Join(dir, "broken")
	copyFile(t, good, broken)
	if b, err := exec.Command("patchelf", "--set-interpreter", "/nonexistent/ld.so", broken).CombinedOutput(); err != nil {
		t.Fatalf("patchelf: %v\n%s", err, b)
	}
	noLib := filepath.Join(dir, "nolib")
	copyFile(t, good, noLib)
	if b, err := exec.Command("patchelf", "--add-needed", "libelfdoctor-missing.so.1", noLib).CombinedOutput(); err != nil {
		t.Fatalf("patchelf: %v\n%s", err, b)
	}
	notELF := filepath.Join(dir, "garbage")
	if err := os.WriteFile(notELF, []byte("\x7fELF garbage, not a program"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		spec    RunSpec
		class   Class
		summary string
	}{
		{"ok", RunSpec{Binary: good}, ClassOK, "ok"},
		{"crash", RunSpec{Binary: build(t, 8, false, true, 0)}, ClassSignal, "SIGSEGV"},
		{"exit", RunSpec{Binary: "/bin/sh", Args: []string{"-c", "exit 3"}}, ClassExit, "exit 3"},
		{"timeout", RunSpec{Binary: "/bin/sh", Args: []string{"-c", "sleep 30"}, Timeout: 300 * time.Millisecond}, ClassTimeout, "timeout"},
		{"interpreter", RunSpec{Binary: broken}, ClassExecFailed, "exec-failed: interpreter missing: /nonexistent/ld.so"},
		{"loader", RunSpec{Binary: noLib}, ClassLoaderError, "loader-error: libelfdoctor-missing.so.1: cannot open shared object file: No such file or directory"},
		{"format", RunSpec{Binary: notELF}, ClassExecFailed, "exec-failed: exec format error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := HostRunner{}.Run(context.Background(), tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if o.Class != tt.class || o.Summary() != tt.summary {
				t.Errorf("Run(%s) = %s (%q), want %s (%q); stderr %q", tt.name, o.Class, o.Summary(), tt.class, tt.summary, o.Stderr)
			}
		})
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestHostSweep runs every version on the host, four at a time, from a
// directory of versions.
func TestHostSweep(t *testing.T) {
	dir := t.TempDir()
	for v, p := range releases(t, crashFrom8) {
		if err := os.MkdirAll(filepath.Join(dir, v), 0o755); err != nil {
			t.Fatal(err)
		}
		copyFile(t, p, filepath.Join(dir, v, "app"))
	}
	res, err := Run(context.Background(), Config{Source: &DirSource{Dir: dir}, Runner: HostRunner{}, Images: []string{"host"}, All: true, Jobs: 4})
	if err != nil {
		t.Fatal(err)
	}
	ir := res.PerImage[0]
	if ir.Status != "regression" || ir.FirstBad != "8" || ir.LastGood != "7" || ir.Runs != 12 {
		t.Errorf("sweep = %+v, want a regression at 8 after 7 in 12 runs", ir)
	}
	if res.Verdict.Kind != UpstreamRegression || res.Verdict.FirstBad != "8" {
		t.Errorf("verdict = %+v, want upstream regression at 8", res.Verdict)
	}
}

// TestDockerRegression bisects releases served over HTTP in three images:
// every image finds 8 within the run budget, a second bisection downloads
// nothing, and one with a results file runs nothing.
func TestDockerRegression(t *testing.T) {
	r := needEngine(t, imgHost, imgBookworm, imgBullseye)
	srv, requests := releaseServer(t, releases(t, crashFrom8))
	cacheDir := t.TempDir()
	cfg := Config{
		Runner:   r,
		Images:   []string{imgHost, imgBookworm, imgBullseye},
		Versions: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"},
		Jobs:     2,
	}
	cache := newCache(t, cacheDir)
	cfg.Source = &URLSource{Template: srv.URL + "/releases/{version}/app", List: cfg.Versions, Cache: cache, Insecure: true}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict.Kind != UpstreamRegression || res.Verdict.FirstBad != "8" || len(res.Verdict.Images) != 3 {
		t.Fatalf("verdict = %+v, want upstream regression at 8 in 3 images", res.Verdict)
	}
	if !strings.HasPrefix(res.Verdict.Sentence, "Upstream regression: first bad version 8 (SIGSEGV) in "+imgHost) {
		t.Errorf("sentence = %q", res.Verdict.Sentence)
	}
	for _, ir := range res.PerImage {
		t.Run(filepath.Base(ir.Image), func(t *testing.T) {
			if ir.FirstBad != "8" || ir.LastGood != "7" || ir.Failure == nil || ir.Failure.Signal != "SIGSEGV" {
				t.Errorf("%+v, want first bad 8 (SIGSEGV) after 7", ir)
			}
			if ir.Runs > maxRuns(12) {
				t.Errorf("%d runs, want at most %d", ir.Runs, maxRuns(12))
			}
		})
	}
	if c, ok := res.Cell(imgBookworm, "7", false); !ok || c.Outcome.Stdout != "app 7\n" {
		t.Errorf("cell (bookworm, 7) = %+v, want stdout \"app 7\\n\"", c)
	}
	if n := cache.Downloads(); n == 0 || n > 12 {
		t.Errorf("first run: %d downloads, want 1..12", n)
	}

	t.Run("second run downloads nothing", func(t *testing.T) {
		before := requests.Load()
		cache2 := newCache(t, cacheDir)
		cfg2 := cfg
		cfg2.Source = &URLSource{Template: srv.URL + "/releases/{version}/app", List: cfg.Versions, Cache: cache2, Insecure: true}
		res2, err := Run(context.Background(), cfg2)
		if err != nil {
			t.Fatal(err)
		}
		if cache2.Downloads() != 0 || requests.Load() != before {
			t.Errorf("second run: %d downloads, %d requests, want none", cache2.Downloads(), requests.Load()-before)
		}
		if res2.Verdict.Sentence != res.Verdict.Sentence {
			t.Errorf("second verdict %q, first %q", res2.Verdict.Sentence, res.Verdict.Sentence)
		}
	})

	t.Run("results file resumes", func(t *testing.T) {
		store := filepath.Join(t.TempDir(), "results.json")
		s, err := OpenStore(store)
		if err != nil {
			t.Fatal(err)
		}
		cfg3 := cfg
		cfg3.Source = &URLSource{Template: srv.URL + "/releases/{version}/app", List: cfg.Versions, Cache: &Cache{Dir: cacheDir, Offline: true}, Insecure: true}
		cfg3.Store = s
		first, err := Run(context.Background(), cfg3)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := OpenStore(store)
		if err != nil {
			t.Fatal(err)
		}
		cfg3.Store = s2
		again, err := Run(context.Background(), cfg3)
		if err != nil {
			t.Fatal(err)
		}
		if again.RunsExecuted != 0 || again.RunsReused != first.RunsExecuted {
			t.Errorf("resumed: %d executed, %d reused; want 0 and %d", again.RunsExecuted, again.RunsReused, first.RunsExecuted)
		}
		if again.Verdict.Sentence != first.Verdict.Sentence {
			t.Errorf("resumed verdict %q, want %q", again.Verdict.Sentence, first.Verdict.Sentence)
		}
	})
}

// TestDockerEnvironmentSpecific bisects an npm package whose versions from
// 5 on need GLIBC_2.34: they fail only in bullseye (glibc 2.31).
func TestDockerEnvironmentSpecific(t *testing.T) {
	r := needEngine(t, imgHost, imgBookworm, imgBullseye)
	reg := newNPMRegistry(t, "app-linux-x64", releases(t, glibcFrom5))
	registry, err := NPMRegistry(context.Background(), func(k string) string {
		if k == "NPM_CONFIG_REGISTRY" {
			return reg.URL
		}
		return ""
	})
	if err != nil || registry != reg.URL {
		t.Fatalf("NPMRegistry = %q, %v; want %q", registry, err, reg.URL)
	}
	src := &NPMSource{Package: "app-linux-x64", Registry: registry, Cache: newCache(t, t.TempDir())}
	res, err := Run(context.Background(), Config{Source: src, Runner: r, Images: []string{imgHost, imgBookworm, imgBullseye}, Jobs: 3})
	if err != nil {
		t.Fatal(err)
	}
	v := res.Verdict
	if v.Kind != EnvironmentSpecific || v.FirstBad != "5.0.0" || !slices.Equal(v.Images, []string{imgBullseye}) {
		t.Fatalf("verdict = %+v, want environment-specific from 5.0.0 in bullseye", v)
	}
	if !strings.Contains(v.Sentence, "version `GLIBC_2.34' not found") {
		t.Errorf("sentence %q does not name the missing symbol version", v.Sentence)
	}
	for _, ir := range res.PerImage {
		want := "all-good"
		if ir.Image == imgBullseye {
			want = "regression"
		}
		if ir.Status != want {
			t.Errorf("%s: %s, want %s", ir.Image, ir.Status, want)
		}
		if ir.Runs > maxRuns(12) {
			t.Errorf("%s: %d runs, want at most %d", ir.Image, ir.Runs, maxRuns(12))
		}
	}
	if n := reg.downloads.Load(); n > 12 {
		t.Errorf("%d tarball downloads for 12 versions", n)
	}
}

// TestDockerLocalDamage runs a copy of 6.0.0 whose interpreter patchelf
// pointed at a file that does not exist, beside the pristine 6.0.0.
func TestDockerLocalDamage(t *testing.T) {
	needTool(t, "patchelf")
	r := needEngine(t, imgHost, imgBookworm)
	rel := releases(t, glibcFrom5)
	local := filepath.Join(t.TempDir(), "app")
	copyFile(t, rel["6"], local)
	if b, err := exec.Command("patchelf", "--set-interpreter", "/nonexistent/ld-linux-x86-64.so.2", local).CombinedOutput(); err != nil {
		t.Fatalf("patchelf: %v\n%s", err, b)
	}
	reg := newNPMRegistry(t, "app", rel)
	src := &NPMSource{Package: "app:bin/app", Registry: reg.URL, Cache: newCache(t, t.TempDir())}
	src.Package, src.Path, _ = strings.Cut(src.Package, ":")
	// Both images, and this machine itself.
	res, err := Run(context.Background(), Config{
		Source: src, Runner: AlsoOnHost(r), Images: []string{imgHost, imgBookworm, HostImage}, Jobs: 2,
		Local: local, LocalVersion: "6.0.0", Getenv: func(string) string { return "" },
	})
	if err != nil {
		t.Fatal(err)
	}
	v := res.Verdict
	if v.Kind != LocalDamage || len(v.Images) != 3 {
		t.Fatalf("verdict = %+v, want local damage in both images and on the host", v)
	}
	if !strings.HasPrefix(v.Sentence, "Local damage: the pristine 6.0.0 runs in "+imgHost+", "+imgBookworm+", host, but your copy fails there (exec-failed: interpreter missing: /nonexistent/ld-linux-x86-64.so.2)") {
		t.Errorf("sentence = %q", v.Sentence)
	}
	if res.Local.Diff == nil || !res.Local.Diff.Different() {
		t.Errorf("diff = %+v, want differences", res.Local.Diff)
	}
	if res.Local.Check == nil || res.Local.Check.Fatal() == nil {
		t.Errorf("check of the local copy predicts no failure: %+v", res.Local.Check)
	}
}

// TestDockerLocalDamagePartial: patchelf points the local copy's
// interpreter at the merged-/usr path Debian userlands have and the
// host-files image does not: it fails only there, and the verdict says the
// damage depends on the environment.
func TestDockerLocalDamagePartial(t *testing.T) {
	needTool(t, "patchelf")
	r := needEngine(t, imgHost, imgBookworm)
	rel := releases(t, glibcFrom5)
	local := filepath.Join(t.TempDir(), "app")
	copyFile(t, rel["6"], local)
	if b, err := exec.Command("patchelf", "--set-interpreter", "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", local).CombinedOutput(); err != nil {
		t.Fatalf("patchelf: %v\n%s", err, b)
	}
	reg := newNPMRegistry(t, "app", rel)
	src := &NPMSource{Package: "app", Path: "bin/app", Registry: reg.URL, Cache: newCache(t, t.TempDir())}
	res, err := Run(context.Background(), Config{
		Source: src, Runner: r, Images: []string{imgHost, imgBookworm}, Jobs: 2,
		Local: local, LocalVersion: "6.0.0", Getenv: func(string) string { return "" },
	})
	if err != nil {
		t.Fatal(err)
	}
	v := res.Verdict
	if v.Kind != LocalDamage || len(v.Images) != 1 || v.Images[0] != imgHost {
		t.Fatalf("verdict = %+v, want local damage in %s only", v, imgHost)
	}
	if !strings.HasPrefix(v.Sentence, "Local damage that depends on the environment: ") || !strings.Contains(v.Sentence, "but runs in "+imgBookworm) {
		t.Errorf("sentence = %q", v.Sentence)
	}
}

// TestDockerCancel cancels a bisection while its containers sleep: Run
// returns the context's error and no container with its label is left.
func TestDockerCancel(t *testing.T) {
	r := needEngine(t, imgBookworm)
	dir := t.TempDir()
	for v := 1; v <= 4; v++ {
		copyFile(t, build(t, v, true, false, 60), filepath.Join(dir, string(rune('0'+v))))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var started atomic.Bool
	go func() {
		// Cancel once the first containers are surely running.
		for !started.Load() {
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(1500 * time.Millisecond)
		cancel()
	}()
	_, err := Run(ctx, Config{Source: &DirSource{Dir: dir}, Runner: r, Images: []string{imgBookworm}, All: true, Jobs: 4,
		Progress: func(e Event) {
			if e.Kind == "fetch" {
				started.Store(true)
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel = %v, want context.Canceled", err)
	}
	left, err := r.Leftovers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("containers left behind: %v", left)
	}
}

// TestCacheRefusesBadDownloads: a tarball whose sha512 does not match is
// not cached, and --offline then finds nothing.
func TestCacheRefusesBadDownloads(t *testing.T) {
	reg := newNPMRegistry(t, "app", map[string]string{"1": build(t, 1, true, false, 0)})
	reg.corrupt.Store(true)
	dir := t.TempDir()
	src := &NPMSource{Package: "app", Registry: reg.URL, Cache: newCache(t, dir)}
	if _, err := src.Binary(context.Background(), "1.0.0"); !errors.Is(err, ErrChecksum) {
		t.Fatalf("Binary with a corrupt tarball = %v, want ErrChecksum", err)
	}
	// Only the registry document may be cached, not the tarball, and no
	// partial file may be left.
	blobs, _ := filepath.Glob(filepath.Join(dir, "blobs", "sha256", "*"))
	tmps, _ := filepath.Glob(filepath.Join(dir, "tmp", "*"))
	if len(blobs) != 1 || len(tmps) != 0 {
		t.Errorf("cache after a bad download holds %v %v, want only the registry document", blobs, tmps)
	}
	off := &NPMSource{Package: "app", Registry: reg.URL, Cache: &Cache{Dir: dir, Offline: true}}
	if _, err := off.Binary(context.Background(), "1.0.0"); !errors.Is(err, ErrNotCached) {
		t.Errorf("offline Binary = %v, want ErrNotCached", err)
	}
	reg.corrupt.Store(false)
	p, err := src.Binary(context.Background(), "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Binary(context.Background(), "2.0.0"); !errors.Is(err, ErrVersionNotFound) {
		t.Errorf("Binary(2.0.0) = %v, want ErrVersionNotFound", err)
	}
	o, err := HostRunner{}.Run(context.Background(), RunSpec{Binary: p})
	if err != nil || o.Stdout != "app 1\n" {
		t.Errorf("the extracted binary printed %q (%v), want \"app 1\\n\"", o.Stdout, err)
	}
}

// TestDockerRunnerClasses runs real binaries in a container, one subtest
// per kind of outcome the other tests do not reach, and checks each
// container is gone afterwards.
func TestDockerRunnerClasses(t *testing.T) {
	needTool(t, "patchelf")
	r := needEngine(t, imgBookworm)
	dir := t.TempDir()
	// A copy whose interpreter is at a path only an extra mount provides.
	moved := filepath.Join(dir, "moved")
	copyFile(t, build(t, 3, false, false, 0), moved)
	if b, err := exec.Command("patchelf", "--set-interpreter", "/opt/loader/ld.so", moved).CombinedOutput(); err != nil {
		t.Fatalf("patchelf: %v\n%s", err, b)
	}
	ldso, err := filepath.EvalSymlinks("/lib64/ld-linux-x86-64.so.2")
	if err != nil {
		t.Fatal(err)
	}
	type runCase struct {
		name    string
		spec    RunSpec
		summary string
		stdout  string
	}
	tests := []runCase{
		{"exit", RunSpec{Binary: "/bin/sh", Args: []string{"-c", "echo out; echo err >&2; exit 3"}}, "exit 3", "out\n"},
		{"timeout", RunSpec{Binary: build(t, 1, true, false, 60), Timeout: time.Second}, "timeout", ""},
		{"mount missing", RunSpec{Binary: moved}, "exec-failed: interpreter missing: /opt/loader/ld.so", ""},
		{"mount given", RunSpec{Binary: moved, Mounts: []Mount{{Source: ldso, Target: "/opt/loader/ld.so"}}}, "ok", "app 3\n"},
	}
	hog := filepath.Join(dir, "hog")
	if err := os.WriteFile(hog+".c", []byte(hogC), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("gcc", "-static", "-o", hog, hog+".c").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, b)
	}
	tests = append(tests, runCase{"oom", RunSpec{Binary: hog}, "oom: exceeded the memory limit of 64 MiB", ""})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.spec.Image = imgBookworm
			if tt.name == "oom" {
				defer func(m int64) { r.Memory = m }(r.Memory)
				r.Memory = 64 << 20
			}
			o, err := r.Run(context.Background(), tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if o.Summary() != tt.summary || o.Stdout != tt.stdout {
				t.Errorf("Run = %q, stdout %q, want %q, %q (stderr %q)", o.Summary(), o.Stdout, tt.summary, tt.stdout, o.Stderr)
			}
			if left, err := r.Leftovers(context.Background()); err != nil || len(left) != 0 {
				t.Errorf("containers left: %v, %v", left, err)
			}
		})
	}
}

// TestHostMissingRelease: versions the server does not have are recorded
// as such and skipped, and the search still finds 8.
func TestHostMissingRelease(t *testing.T) {
	srv, _ := releaseServer(t, releases(t, crashFrom8))
	vs := []string{"1", "2", "3", "4", "5", "6", "6.5", "7", "8", "9", "10", "11", "12", "13"}
	cache := newCache(t, t.TempDir())
	var mu sync.Mutex
	last := map[string][2]int64{}
	cache.Progress = func(url string, done, total int64) {
		mu.Lock()
		defer mu.Unlock()
		last[url] = [2]int64{done, total}
	}
	res, err := Run(context.Background(), Config{
		Source: &URLSource{Template: srv.URL + "/releases/{version}/app", List: vs, Cache: cache, Insecure: true},
		Runner: HostRunner{}, Images: []string{"host"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ir := res.PerImage[0]
	if ir.FirstBad != "8" || ir.LastGood != "7" {
		t.Errorf("search = %+v, want first bad 8 after 7", ir)
	}
	c, ok := res.Cell("host", "13", false)
	if !ok || c.Outcome.Class != ClassNoRelease {
		t.Errorf("cell 13 = %+v, want no-release", c)
	}
	if len(last) != int(cache.Downloads()) || len(last) == 0 {
		t.Errorf("progress for %d downloads, want %d", len(last), cache.Downloads())
	}
	for u, p := range last {
		if p[0] != p[1] || p[1] <= 0 {
			t.Errorf("%s: last progress %d of %d, want complete", u, p[0], p[1])
		}
	}
}

// TestDockerContext follows a docker context to its endpoint, as the
// docker CLI does: one that names the engine's socket works, one that
// names a missing socket is an EngineError that says where it looked.
func TestDockerContext(t *testing.T) {
	needEngine(t)
	t.Setenv("DOCKER_HOST", "")
	for _, tt := range []struct{ name, host string }{
		{"engine", "unix:///var/run/docker.sock"},
		{"nowhere", "unix:///nonexistent/docker.sock"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("DOCKER_CONFIG", dir)
			t.Setenv("DOCKER_CONTEXT", "")
			writeContext(t, dir, "elfdoctor-"+tt.name, tt.host)
			if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"currentContext": "elfdoctor-`+tt.name+`"}`), 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := NewDockerRunner(context.Background())
			var ee *EngineError
			switch {
			case tt.name == "engine" && err != nil:
				t.Fatalf("NewDockerRunner = %v", err)
			case tt.name == "engine":
				r.Close()
			case !errors.As(err, &ee) || ee.Host != tt.host || !errors.Is(err, ErrNoEngine):
				t.Errorf("NewDockerRunner = %v, want an EngineError at %s", err, tt.host)
			}
		})
	}
}

func writeContext(t *testing.T, dir, name, host string) {
	t.Helper()
	sum := sha256.Sum256([]byte(name))
	d := filepath.Join(dir, "contexts", "meta", hex.EncodeToString(sum[:]))
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	meta := `{"Name":"` + name + `","Metadata":{},"Endpoints":{"docker":{"Host":"` + host + `","SkipTLSVerify":false}}}`
	if err := os.WriteFile(filepath.Join(d, "meta.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
}

// eventLog records, in order, what a search asks of its source and runner.
type eventLog struct {
	mu     sync.Mutex
	events []string
}

func (l *eventLog) add(e string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *eventLog) index(e string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Index(l.events, e)
}

// logSource serves versions 1..12 and logs every fetch.
type logSource struct{ log *eventLog }

func (logSource) Describe() string { return "log" }
func (logSource) Versions(context.Context) ([]string, error) {
	var vs []string
	for i := 1; i <= 12; i++ {
		vs = append(vs, strconv.Itoa(i))
	}
	return vs, nil
}
func (s logSource) Binary(_ context.Context, v string) (string, error) {
	s.log.add("fetch " + v)
	return "/releases/" + v, nil
}

// slowRunner takes 50 ms a run; 8 and later fail.
type slowRunner struct{ log *eventLog }

func (slowRunner) Environment(image string) string { return image }
func (r slowRunner) Run(_ context.Context, s RunSpec) (Outcome, error) {
	v, _ := strconv.Atoi(strings.TrimPrefix(s.Binary, "/releases/"))
	time.Sleep(50 * time.Millisecond)
	r.log.add("ran " + strconv.Itoa(v))
	if v >= 8 {
		return Outcome{Class: ClassSignal, Signal: "SIGSEGV", Bad: true}, nil
	}
	return Outcome{Class: ClassOK}, nil
}

// TestPrefetch: while a midpoint runs, both versions the search can go to
// next are already being fetched, so a slow download overlaps a run.
func TestPrefetch(t *testing.T) {
	log := &eventLog{}
	res, err := Run(context.Background(), Config{Source: logSource{log}, Runner: slowRunner{log}, Images: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict.FirstBad != "8" {
		t.Fatalf("verdict %+v, want first bad 8", res.Verdict)
	}
	// 12 versions: the ends, then 6 (between 1 and 12); while 6 runs,
	// 3 and 9 are fetched.
	end6 := log.index("ran 6")
	for _, v := range []string{"3", "9"} {
		if i := log.index("fetch " + v); i < 0 || i > end6 {
			t.Errorf("fetch %s at %d, after the run of 6 ended (%d): %v", v, i, end6, log.events)
		}
	}
}
