package bisect

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Regression tests for issue 15, items 6, 12 and 13: each builds its
// hostile input here and asserts a bound on time, disk or memory.

// tarHeader is a ustar header block, written by hand because
// archive/tar's writer will not write the PAX sparse records an attacker
// does.
func tarHeader(name string, typ byte, size int64) []byte {
	b := make([]byte, 512)
	copy(b[0:100], name)
	copy(b[100:108], "0000755\x00")
	copy(b[108:116], "0000000\x00")
	copy(b[116:124], "0000000\x00")
	copy(b[124:136], fmt.Sprintf("%011o\x00", size))
	copy(b[136:148], "00000000000\x00")
	b[156] = typ
	copy(b[257:265], "ustar\x0000")
	copy(b[148:156], "        ")
	sum := 0
	for _, c := range b {
		sum += int(c)
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

func paxRecord(k, v string) string {
	s := " " + k + "=" + v + "\n"
	for n := len(s); ; {
		t := strconv.Itoa(n) + s
		if len(t) == n {
			return t
		}
		n = len(t)
	}
}

func pad512(b []byte) []byte {
	if r := len(b) % 512; r != 0 {
		b = append(b, make([]byte, 512-r)...)
	}
	return b
}

// sparseTarball is a gzipped npm tarball whose package/bin/app is a PAX
// 1.0 sparse file that declares `declared` bytes: the ELF magic, then a
// hole. A few hundred bytes on the wire.
func sparseTarball(declared int64) []byte {
	var t []byte
	pj := []byte(`{"name":"app","version":"1.0.0"}`)
	t = append(t, tarHeader("package/package.json", '0', int64(len(pj)))...)
	t = append(t, pad512(pj)...)
	pax := paxRecord("GNU.sparse.major", "1") + paxRecord("GNU.sparse.minor", "0") +
		paxRecord("GNU.sparse.name", "package/bin/app") + paxRecord("GNU.sparse.realsize", strconv.FormatInt(declared, 10))
	t = append(t, tarHeader("package/bin/PaxHeaders/app", 'x', int64(len(pax)))...)
	t = append(t, pad512([]byte(pax))...)
	data := append(pad512([]byte("1\n0\n4\n")), "\x7fELF"...)
	t = append(t, tarHeader("package/bin/GNUSparseFile.0/app", '0', int64(len(data)))...)
	t = append(t, pad512(data)...)
	t = append(t, make([]byte, 1024)...)
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(t)
	zw.Close()
	return buf.Bytes()
}

// oneTarballRegistry serves a registry document for "app" with version
// 1.0.0 whose tarball is tgz; unpacked is dist.unpackedSize (0: absent).
func oneTarballRegistry(t *testing.T, tgz []byte, unpacked int64) *httptest.Server {
	t.Helper()
	sum := sha512.Sum512(tgz)
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".tgz") {
			w.Write(tgz)
			return
		}
		dist := map[string]any{"tarball": srv.URL + "/app/-/app-1.0.0.tgz", "integrity": "sha512-" + base64.StdEncoding.EncodeToString(sum[:])}
		if unpacked > 0 {
			dist["unpackedSize"] = unpacked
		}
		json.NewEncoder(w).Encode(map[string]any{"name": "app", "versions": map[string]any{"1.0.0": map[string]any{"dist": dist}}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// diskUse is the bytes of regular files under dir.
func diskUse(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if st, err := d.Info(); err == nil {
				n += st.Size()
			}
		}
		return nil
	})
	return n
}

// TestSparseTarball: a sparse member declaring 16 GiB is refused before a
// byte of it is written (before the fix: 2 GB written in 10 s, on its way
// to filling the disk).
func TestSparseTarball(t *testing.T) {
	tgz := sparseTarball(16 << 30)
	t.Logf("tarball: %d bytes, declaring 16 GiB", len(tgz))
	for _, tt := range []struct {
		name     string
		path     string
		unpacked int64
		limit    int64
	}{
		{"default cap, the one ELF", "", 0, DefaultMaxSize},
		{"default cap, named path", "bin/app", 0, DefaultMaxSize},
		{"unpackedSize", "bin/app", 4096, 4096},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := oneTarballRegistry(t, tgz, tt.unpacked)
			dir := t.TempDir()
			src := &NPMSource{Package: "app", Path: tt.path, Registry: srv.URL, Cache: &Cache{Dir: dir}}
			start := time.Now()
			_, err := src.Binary(context.Background(), "1.0.0")
			d := time.Since(start)
			var se *SizeError
			if !errors.As(err, &se) || se.Size != 16<<30 || se.Limit != tt.limit {
				t.Fatalf("Binary = %v, want a SizeError of 16 GiB over %d", err, tt.limit)
			}
			if d > 5*time.Second {
				t.Errorf("refusing took %v, want under 5 s", d)
			}
			n := diskUse(t, dir)
			t.Logf("refused in %v; %d bytes in the cache", d, n)
			if n > 1<<20 {
				t.Errorf("the cache holds %d bytes after the refusal, want under 1 MiB", n)
			}
		})
	}
}

// TestUnpackedSizeCapsMember: a real member larger than the registry's
// dist.unpackedSize is refused while it is copied.
func TestUnpackedSizeCapsMember(t *testing.T) {
	bin := build(t, 1, true, false, 0)
	srv := oneTarballRegistry(t, makeTarball(t, "1.0.0", bin), 10000)
	dir := t.TempDir()
	src := &NPMSource{Package: "app", Registry: srv.URL, Cache: &Cache{Dir: dir}}
	_, err := src.Binary(context.Background(), "1.0.0")
	var se *SizeError
	if !errors.As(err, &se) || se.Limit != 10000 {
		t.Fatalf("Binary = %v, want a SizeError over 10000", err)
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, "tmp", "*")); len(tmps) != 0 {
		t.Errorf("temporary files left: %v", tmps)
	}
}

// TestDownloadCap: a Content-Length over the cap is refused before the
// body is read, and a body without one is cut at the cap; neither leaves
// anything in the cache.
func TestDownloadCap(t *testing.T) {
	const limit = 1 << 20
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/declared" {
			w.Header().Set("Content-Length", strconv.Itoa(1<<40))
		}
		chunk := make([]byte, 64<<10)
		for i := 0; i < 1<<14; i++ { // 1 GiB at most
			n, err := w.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	for _, p := range []string{"/declared", "/chunked"} {
		t.Run(p, func(t *testing.T) {
			sent.Store(0)
			dir := t.TempDir()
			c := &Cache{Dir: dir, MaxSize: limit}
			_, err := c.Fetch(context.Background(), "k", srv.URL+p, "")
			var se *SizeError
			if !errors.As(err, &se) || se.Limit != limit {
				t.Fatalf("Fetch = %v, want a SizeError over %d", err, limit)
			}
			if n := diskUse(t, dir); n > 0 {
				t.Errorf("the cache holds %d bytes, want none", n)
			}
			// The server keeps writing into socket buffers for a moment.
			if n := sent.Load(); n > 64<<20 {
				t.Errorf("the server sent %d bytes before the client stopped reading", n)
			}
		})
	}
}

// TestStalledServer: a server that sends no header, or stops in the
// middle of the body, costs the idle timeout, not forever (before: the
// download waited as long as the caller's context).
func TestStalledServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/body" {
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(http.StatusOK)
			w.Write([]byte("x"))
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	}))
	defer srv.Close()
	for _, p := range []string{"/header", "/body"} {
		t.Run(p, func(t *testing.T) {
			c := &Cache{Dir: t.TempDir(), IdleTimeout: time.Second}
			start := time.Now()
			_, err := c.Fetch(context.Background(), "k", srv.URL+p, "")
			d := time.Since(start)
			if !errors.Is(err, errIdle) {
				t.Errorf("Fetch = %v, want the idle error", err)
			}
			if d > 4*time.Second {
				t.Errorf("a stalled server cost %v, want about 1 s", d)
			}
		})
	}
}

// peakHeap samples the heap in use while f runs.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	f()
	close(done)
	wg.Wait()
	return peak.Load()
}

// TestNPMDocumentStreamed: a 250 MiB registry document, as one huge
// string or as many versions, is refused at the document cap with
// bounded memory (before: 566 MiB of heap and 21 s, then accepted).
func TestNPMDocumentStreamed(t *testing.T) {
	const size = 250 << 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var chunk []byte
		if r.URL.Path == "/string" {
			w.Write([]byte(`{"name":"app","readme":"`))
			chunk = bytes.Repeat([]byte("a"), 1<<20)
		} else {
			w.Write([]byte(`{"name":"app","versions":{`))
			var b bytes.Buffer
			for b.Len() < 1<<20 {
				fmt.Fprintf(&b, `"%d.%d.0":{"dist":{"tarball":"x","integrity":"y"}},`, len(r.URL.Path), b.Len())
			}
			chunk = b.Bytes()
		}
		for sent := 0; sent < size; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	for _, p := range []string{"string", "versions"} {
		t.Run(p, func(t *testing.T) {
			dir := t.TempDir()
			src := &NPMSource{Package: p, Registry: srv.URL, Cache: &Cache{Dir: dir}}
			var err error
			start := time.Now()
			peak := peakHeap(func() { _, err = src.Versions(context.Background()) })
			d := time.Since(start)
			t.Logf("%s: %v, peak heap %d MiB", p, d, peak>>20)
			var se *SizeError
			switch {
			case p == "versions" && err != nil && strings.Contains(err.Error(), "more than 100000 versions"):
			case !errors.As(err, &se) || se.Limit != maxDocument:
				t.Fatalf("Versions = %v, want a SizeError over %d", err, maxDocument)
			}
			if d > 20*time.Second {
				t.Errorf("refusing took %v, want under 20 s", d)
			}
			if peak > 3*maxDocument {
				t.Errorf("peak heap %d MiB, want under %d", peak>>20, 3*maxDocument>>20)
			}
			if n := diskUse(t, dir); n > 0 {
				t.Errorf("%d bytes of a refused document kept", n)
			}
		})
	}
}

// TestTruncatedCachedPristine: a cached release cut in half (a full disk,
// a killed copy) is never run as the release. Before the fix the verdict
// was "Upstream regression: first bad version 2 (SIGSEGV)".
func TestTruncatedCachedPristine(t *testing.T) {
	rel := releases(t, crashFrom8)
	srv, _ := releaseServer(t, map[string]string{"1": rel["1"], "2": rel["2"]})
	dir := t.TempDir()
	tmpl := srv.URL + "/releases/{version}/app"
	cfg := func(c *Cache) Config {
		return Config{Source: &URLSource{Template: tmpl, List: []string{"1", "2"}, Cache: c, Insecure: true}, Runner: HostRunner{}, Images: []string{"host"}}
	}
	res, err := Run(context.Background(), cfg(&Cache{Dir: dir}))
	if err != nil {
		t.Fatal(err)
	}
	if res.FailureFound() {
		t.Fatalf("pristine releases fail: %s", res.Verdict.Sentence)
	}
	p, ok := (&Cache{Dir: dir}).Lookup("url:" + strings.ReplaceAll(tmpl, "{version}", "2"))
	if !ok {
		t.Fatal("release 2 not cached")
	}
	truncate := func() {
		// Every subtest starts from an intact cache.
		if _, err := Run(context.Background(), cfg(&Cache{Dir: dir})); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, st.Size()/2); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("online fetches again", func(t *testing.T) {
		truncate()
		c := &Cache{Dir: dir}
		res, err := Run(context.Background(), cfg(c))
		if err != nil {
			t.Fatal(err)
		}
		if res.FailureFound() || c.Downloads() != 1 {
			t.Errorf("verdict %q after %d downloads, want no failure after 1", res.Verdict.Sentence, c.Downloads())
		}
	})
	t.Run("offline refuses", func(t *testing.T) {
		truncate()
		_, err := Run(context.Background(), cfg(&Cache{Dir: dir, Offline: true}))
		var ce *CorruptError
		if !errors.As(err, &ce) {
			t.Fatalf("Run offline with a truncated release = %v, want a CorruptError", err)
		}
	})
	t.Run("same size, times restored", func(t *testing.T) {
		// A write that keeps size and mtime still moves ctime, which the
		// stamp covers.
		if _, err := Run(context.Background(), cfg(&Cache{Dir: dir})); err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(p)
		b, _ := os.ReadFile(p)
		b[len(b)/2] ^= 0xff
		os.WriteFile(p, b, 0o755)
		os.Chtimes(p, st.ModTime(), st.ModTime())
		if _, ok := (&Cache{Dir: dir, Offline: true}).Lookup("url:" + strings.ReplaceAll(tmpl, "{version}", "2")); ok {
			t.Error("Lookup accepted a blob changed in place")
		}
	})
	t.Run("--verify re-hashes under a forged stamp", func(t *testing.T) {
		c := &Cache{Dir: dir}
		if _, err := Run(context.Background(), cfg(c)); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		b[len(b)/2] ^= 0xff
		os.WriteFile(p, b, 0o755)
		digest := filepath.Base(p)
		st, _ := os.Stat(p)
		s, err := c.stamp(digest, st)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(c.stampPath(digest), s, 0o644)
		key := "url:" + strings.ReplaceAll(tmpl, "{version}", "2")
		if _, ok := (&Cache{Dir: dir}).Lookup(key); !ok {
			t.Fatal("without --verify a valid stamp is trusted; the test no longer tests --verify")
		}
		if _, ok := (&Cache{Dir: dir, Verify: true}).Lookup(key); ok {
			t.Error("Lookup with Verify accepted a changed blob")
		}
	})
}

// TestDeadTempsRemoved: the partial download of a killed bisection is
// removed by the next one; one still being written is not.
func TestDeadTempsRemoved(t *testing.T) {
	dir := t.TempDir()
	tmp := filepath.Join(dir, "tmp")
	os.MkdirAll(tmp, 0o755)
	dead, live := filepath.Join(tmp, "dl-dead"), filepath.Join(tmp, "dl-live")
	for _, p := range []string{dead, live} {
		if err := os.WriteFile(p, make([]byte, 1<<20), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(dead, old, old)
	if _, err := (&Cache{Dir: dir}).Put("k", strings.NewReader("x"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); err == nil {
		t.Error("a partial download untouched for two hours is still there")
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a partial download being written was removed: %v", err)
	}
}

// TestKeyFileNames: a key file must hold a digest, nothing that leads out
// of the cache.
func TestKeyFileNames(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(dir, "outside")
	os.WriteFile(outside, []byte("secret"), 0o644)
	c := &Cache{Dir: filepath.Join(dir, "cache")}
	for _, content := range []string{"../../outside", "../../../../../../" + outside, strings.Repeat("0", 64), "", strings.Repeat("a", 200)} {
		if err := writeFileAtomic(c.keyPath("k"), []byte(content+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if p, ok := c.Lookup("k"); ok {
			t.Errorf("key file %q: Lookup = %s", content, p)
		}
	}
	if b, _ := os.ReadFile(outside); string(b) != "secret" {
		t.Errorf("the file outside the cache changed: %q", b)
	}
}

// TestResultsFileLocked: two bisections writing one results file at once
// lose neither's runs.
func TestResultsFileLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	var wg sync.WaitGroup
	for w := range 2 {
		s, err := OpenStore(path)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for i := range 50 {
				if err := s.put(fmt.Sprintf("w%d-%d", w, i), Outcome{Class: ClassOK}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 100 {
		t.Errorf("results file holds %d runs, want 100", s.Len())
	}
}

// tlsReleases serves releases over TLS at /releases/{v}/app, their
// SHA256SUMS beside them and a JSON manifest at /manifest/{v}.json; wrong
// makes both manifests lie about version 2.
func tlsReleases(t *testing.T, files map[string]string) (*httptest.Server, *http.Client) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/releases/{v}/{f}", func(w http.ResponseWriter, r *http.Request) {
		p, ok := files[r.PathValue("v")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		b, _ := os.ReadFile(p)
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:])
		if r.PathValue("v") == "2" {
			h = strings.Repeat("0", 64)
		}
		switch r.PathValue("f") {
		case "app":
			w.Write(b)
		case "SHA256SUMS":
			fmt.Fprintf(w, "%s  other\n%s *app\n", strings.Repeat("1", 64), h)
		case "manifest.json":
			fmt.Fprintf(w, `{"version":%q,"platforms":{"linux-x64":{"checksum":%q,"size":%d},"darwin-arm64":{"checksum":%q}}}`, r.PathValue("v"), h, len(b), strings.Repeat("2", 64))
		default:
			http.NotFound(w, r)
		}
	})
	mux.HandleFunc("/plain/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:9/app", http.StatusFound)
	})
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return srv, NewHTTPClient(pool)
}

// TestURLSourceVerified: https only unless --insecure, no redirect down
// to http, releases checked against --sha256, SHA256SUMS or a JSON
// manifest, and the verdict says when nothing was checked.
func TestURLSourceVerified(t *testing.T) {
	rel := releases(t, crashFrom8)
	srv, cl := tlsReleases(t, map[string]string{"1": rel["1"], "2": rel["2"]})
	b1, _ := os.ReadFile(rel["1"])
	sum1 := sha256.Sum256(b1)
	tmpl := srv.URL + "/releases/{version}/app"
	src := func(s URLSource) *URLSource {
		s.Cache = &Cache{Dir: t.TempDir(), Client: cl}
		if s.Template == "" {
			s.Template = tmpl
		}
		return &s
	}
	tests := []struct {
		name    string
		src     *URLSource
		version string
		want    error // nil: the release
		errText string
	}{
		{"plain http refused", src(URLSource{Template: "http://127.0.0.1:9/{version}/app"}), "1", nil, "is plain http"},
		{"file refused", src(URLSource{Template: "file:///etc/{version}"}), "1", nil, "want an https URL"},
		{"redirect to http", src(URLSource{Template: srv.URL + "/plain/{version}"}), "1", nil, "refusing to leave https"},
		{"unverified", src(URLSource{}), "1", nil, ""},
		{"--sha256", src(URLSource{SHA256: map[string]string{"1": hex.EncodeToString(sum1[:])}}), "1", nil, ""},
		{"--sha256 wrong", src(URLSource{SHA256: map[string]string{"": strings.Repeat("ab", 32)}}), "1", ErrChecksum, ""},
		{"SHA256SUMS", src(URLSource{Checksums: srv.URL + "/releases/{version}/SHA256SUMS"}), "1", nil, ""},
		{"SHA256SUMS wrong", src(URLSource{Checksums: srv.URL + "/releases/{version}/SHA256SUMS"}), "2", ErrChecksum, ""},
		{"JSON manifest", src(URLSource{Checksums: srv.URL + "/releases/{version}/manifest.json", ChecksumName: "linux-x64"}), "1", nil, ""},
		{"JSON manifest wrong", src(URLSource{Checksums: srv.URL + "/releases/{version}/manifest.json", ChecksumName: "linux-x64"}), "2", ErrChecksum, ""},
		{"JSON manifest, no platform named", src(URLSource{Checksums: srv.URL + "/releases/{version}/manifest.json"}), "1", nil, "name one with --checksum-name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.src.Binary(context.Background(), tt.version)
			switch {
			case tt.errText != "":
				if err == nil || !strings.Contains(err.Error(), tt.errText) {
					t.Errorf("Binary = %v, want an error with %q", err, tt.errText)
				}
			case tt.want != nil:
				if !errors.Is(err, tt.want) {
					t.Errorf("Binary = %v, want %v", err, tt.want)
				}
				blobs, _ := filepath.Glob(filepath.Join(tt.src.Cache.Dir, "blobs", "sha256", "*"))
				for _, b := range blobs {
					if got, _ := os.ReadFile(b); bytes.Equal(got, b1) || len(got) > 4096 {
						t.Errorf("a release that failed its checksum is in the cache: %s", b)
					}
				}
			case err != nil:
				t.Errorf("Binary = %v", err)
			default:
				if got, _ := os.ReadFile(p); !bytes.Equal(got, b1) {
					t.Errorf("Binary gave %d bytes, not release 1", len(got))
				}
			}
		})
	}
	t.Run("verdict", func(t *testing.T) {
		for _, tt := range []struct {
			src        *URLSource
			unverified bool
		}{{src(URLSource{Insecure: true}), true}, {src(URLSource{SHA256: map[string]string{"": hex.EncodeToString(sum1[:])}}), false}} {
			tt.src.List = []string{"1"}
			res, err := Run(context.Background(), Config{Source: tt.src, Runner: HostRunner{}, Images: []string{"host"}})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(res.Verdict.Sentence, "Not verified: no checksum was given") && res.Verdict.Unverified != ""; got != tt.unverified {
				t.Errorf("verdict %q (unverified %q), want unverified %v", res.Verdict.Sentence, res.Verdict.Unverified, tt.unverified)
			}
		}
	})
}

// FuzzNPMDoc: the streaming parser agrees with encoding/json on every
// document encoding/json accepts, and never panics on the rest.
func FuzzNPMDoc(f *testing.F) {
	f.Add([]byte(`{"name":"app","readme":"x\"y\\u0041","versions":{"1.0.0":{"name":"app","dist":{"tarball":"https://r/app-1.0.0.tgz","integrity":"sha512-AAAA","unpackedSize":1234,"fileCount":3}},"2.0.0":{"dist":{"tarball":["odd"],"integrity":{"x":1}}}},"time":{"1.0.0":"2020"}}`))
	f.Add([]byte(`{"versions":{"1":null}}`))
	f.Add([]byte(`{"versions":{"1":{"dist":{"unpackedSize":1e99}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parseNPMDoc(bytes.NewReader(b))
		var want struct {
			Versions map[string]json.RawMessage `json:"versions"`
		}
		if json.Unmarshal(b, &want) != nil || err != nil {
			return
		}
		if len(got.Versions) != len(want.Versions) {
			t.Fatalf("%d versions, encoding/json finds %d", len(got.Versions), len(want.Versions))
		}
		for v, raw := range want.Versions {
			// Keys are matched exactly, as JSON.parse does, not
			// case-insensitively as encoding/json's struct fields are.
			var rel map[string]json.RawMessage
			var dist map[string]any
			if json.Unmarshal(raw, &rel) == nil {
				json.Unmarshal(rel["dist"], &dist)
			}
			for k, got := range map[string]string{"tarball": got.Versions[v].Dist.Tarball, "integrity": got.Versions[v].Dist.Integrity} {
				s, _ := dist[k].(string)
				if len(s) >= maxJSONString {
					continue // cut by shortStrings, on purpose
				}
				if got != s {
					t.Errorf("version %q: %s %q, encoding/json says %q", v, k, got, s)
				}
			}
		}
	})
}

// FuzzManifest: a checksum manifest yields a valid digest or an error.
func FuzzManifest(f *testing.F) {
	f.Add([]byte(strings.Repeat("a", 64)+"  app\n"), "app")
	f.Add([]byte(`{"platforms":{"linux-x64":{"checksum":"`+strings.Repeat("b", 64)+`"}}}`), "linux-x64")
	f.Add([]byte(`{"linux-x64":"sha256:`+strings.Repeat("c", 64)+`"}`), "")
	f.Fuzz(func(t *testing.T, b []byte, name string) {
		h, err := manifestSum(b, name, name == "")
		if err == nil && !validDigest(h) {
			t.Errorf("manifestSum = %q, not a digest", h)
		}
	})
}

// FuzzTarball walks arbitrary gzipped tarballs under a small cap: it
// never panics, and never hands fn a member over the cap.
func FuzzTarball(f *testing.F) {
	f.Add(sparseTarball(16 << 30))
	f.Add(sparseTarball(100))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "t.tgz")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		const limit = 1 << 16
		_ = eachRegular(p, limit, func(h *tar.Header, r io.Reader) (bool, error) {
			if h.Size > limit {
				t.Errorf("member %s of %d bytes passed a cap of %d", h.Name, h.Size, limit)
			}
			n, _ := io.Copy(io.Discard, r)
			if n > limit {
				t.Errorf("member %s yielded %d bytes over a cap of %d", h.Name, n, limit)
			}
			return false, nil
		})
	})
}

// BenchmarkCacheLookup is what checking a cached 200 MB release costs on
// each use: by its stamp, and re-hashed (--verify).
func BenchmarkCacheLookup(b *testing.B) {
	dir := b.TempDir()
	c := &Cache{Dir: dir}
	blob := make([]byte, 200<<20)
	for i := range blob {
		blob[i] = byte(i * 7)
	}
	if _, err := c.Put("k", bytes.NewReader(blob), 0); err != nil {
		b.Fatal(err)
	}
	for _, verify := range []bool{false, true} {
		b.Run(fmt.Sprintf("verify=%v", verify), func(b *testing.B) {
			c := &Cache{Dir: dir, Verify: verify}
			for b.Loop() {
				if _, ok := c.Lookup("k"); !ok {
					b.Fatal("not cached")
				}
			}
		})
	}
}
