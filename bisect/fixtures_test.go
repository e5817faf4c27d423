package bisect

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// The fixture program: version N prints its version; versions from 8 on
// (built with -DCRASH) write through a NULL pointer, a real SIGSEGV.
const progC = `#include <stdio.h>
#include <unistd.h>
int main(void) {
#ifdef SLEEP
	sleep(SLEEP);
#endif
	printf("app %d\n", VERSION);
	fflush(stdout);
#ifdef CRASH
	volatile int *p = 0;
	*p = VERSION;
#endif
	return 0;
}
`

// hogC allocates and touches 1 GiB, 16 MiB at a time.
const hogC = `#include <stdlib.h>
#include <string.h>
int main(void) {
	for (int i = 0; i < 64; i++) {
		char *p = malloc(16 << 20);
		if (!p)
			return 2;
		memset(p, 1, 16 << 20);
	}
	return 0;
}
`

// needTool fails under CI and skips elsewhere when a tool is missing:
// CI must never pass because a real dependency was absent.
func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed (scripts/install-test-deps installs it): %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
}

// fixtureSet names a set of twelve releases.
type fixtureSet string

const (
	// crashFrom8: all static (they run in any image); 8..12 crash.
	crashFrom8 fixtureSet = "crash-from-8"
	// glibcFrom5: 1..4 static, 5..12 dynamic, linked on this host and so
	// needing __libc_start_main@GLIBC_2.34, which bullseye's 2.31 lacks.
	// None crashes.
	glibcFrom5 fixtureSet = "glibc-from-5"
)

var (
	buildMu    sync.Mutex
	buildDir   string
	buildCache = map[string]string{}
)

// build compiles the fixture program once per test binary and returns its
// path.
func build(t *testing.T, version int, static, crash bool, sleep int) string {
	t.Helper()
	needTool(t, "gcc")
	buildMu.Lock()
	defer buildMu.Unlock()
	key := fmt.Sprint(version, static, crash, sleep)
	if p, ok := buildCache[key]; ok {
		return p
	}
	if buildDir == "" {
		d, err := os.MkdirTemp("", "elfdoctor-bisect-fixtures-")
		if err != nil {
			t.Fatal(err)
		}
		buildDir = d
		if err := os.WriteFile(filepath.Join(d, "prog.c"), []byte(progC), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(buildDir, strings.ReplaceAll(key, " ", "-"))
	args := []string{"-O0", "-o", out, filepath.Join(buildDir, "prog.c"), "-DVERSION=" + strconv.Itoa(version)}
	if static {
		args = append(args, "-static")
	}
	if crash {
		args = append(args, "-DCRASH")
	}
	if sleep > 0 {
		args = append(args, "-DSLEEP="+strconv.Itoa(sleep))
	}
	if b, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		t.Fatalf("gcc %v: %v\n%s", args, err, b)
	}
	buildCache[key] = out
	return out
}

// releases builds the twelve versions of set, keyed "1".."12".
func releases(t *testing.T, set fixtureSet) map[string]string {
	t.Helper()
	m := map[string]string{}
	for v := 1; v <= 12; v++ {
		switch set {
		case crashFrom8:
			m[strconv.Itoa(v)] = build(t, v, true, v >= 8, 0)
		case glibcFrom5:
			m[strconv.Itoa(v)] = build(t, v, v < 5, false, 0)
		}
	}
	return m
}

// releaseServer serves files[v] at /releases/{v}/app and counts requests.
func releaseServer(t *testing.T, files map[string]string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		if len(parts) != 3 || parts[0] != "releases" || parts[2] != "app" {
			http.NotFound(w, r)
			return
		}
		p, ok := files[parts[1]]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, p)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// npmRegistry is a double of an npm registry: a registry document for pkg
// whose versions are "N.0.0", with .tgz tarballs holding package.json, a
// README and bin/app, and their real sha512 integrity.
type npmRegistry struct {
	*httptest.Server
	tarballs  map[string][]byte
	corrupt   atomic.Bool // serve every tarball with its last byte changed
	downloads atomic.Int64
}

func newNPMRegistry(t *testing.T, pkg string, files map[string]string) *npmRegistry {
	t.Helper()
	reg := &npmRegistry{tarballs: map[string][]byte{}}
	type dist struct {
		Tarball   string `json:"tarball"`
		Integrity string `json:"integrity"`
	}
	type ver struct {
		Version string `json:"version"`
		Dist    dist   `json:"dist"`
	}
	mux := http.NewServeMux()
	reg.Server = httptest.NewServer(mux)
	t.Cleanup(reg.Close)
	doc := struct {
		Name     string         `json:"name"`
		Versions map[string]ver `json:"versions"`
	}{Name: pkg, Versions: map[string]ver{}}
	for v, p := range files {
		sv := v + ".0.0"
		tgz := makeTarball(t, sv, p)
		sum := sha512.Sum512(tgz)
		name := fmt.Sprintf("%s-%s.tgz", pkg, sv)
		reg.tarballs[name] = tgz
		doc.Versions[sv] = ver{Version: sv, Dist: dist{Tarball: reg.URL + "/" + pkg + "/-/" + name, Integrity: "sha512-" + base64.StdEncoding.EncodeToString(sum[:])}}
	}
	body, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc("/"+pkg, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	mux.HandleFunc("/"+pkg+"/-/", func(w http.ResponseWriter, r *http.Request) {
		b, ok := reg.tarballs[filepath.Base(r.URL.Path)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		reg.downloads.Add(1)
		if reg.corrupt.Load() {
			b = append(bytes.Clone(b[:len(b)-1]), b[len(b)-1]^0xff)
		}
		w.Write(b)
	})
	return reg
}

func makeTarball(t *testing.T, version, binary string) []byte {
	t.Helper()
	bin, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	add := func(name string, mode int64, data []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	add("package/package.json", 0o644, []byte(`{"name":"app","version":"`+version+`"}`))
	add("package/README.md", 0o644, []byte("# app\n"))
	// An executable script beside the binary: the default PATH must pick
	// the ELF file, not any executable.
	add("package/bin/postinstall.sh", 0o755, []byte("#!/bin/sh\nexit 0\n"))
	add("package/bin/app", 0o755, bin)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
