package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const (
	binDir    = "../testdata/bin"
	goldenDir = "../testdata/golden"
)

// diffPairs are the comparisons with golden output: pristine against
// rewritten copies, two different builds, and a file against itself.
var diffPairs = [][2]string{
	{"gcc-pie", "gcc-pie.patched"},
	{"gcc-pie", "gcc-pie.patched-interp"},
	{"gcc-pie", "gcc-pie.patched-rpath"},
	{"gcc-nopie", "gcc-nopie.patched"},
	{"clang-lld", "clang-lld.patched"},
	{"gcc-m32", "gcc-m32.patched"},
	{"gcc-pie", "gcc-nopie"},
	{"gcc-pie", "gcc-pie"},
}

// fixtures lists the ELF files in testdata/bin; sources and build
// scripts beside them are skipped.
func fixtures(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir(binDir)
	if err != nil {
		t.Fatalf("fixtures: %v (the ELF fixtures are committed in testdata/bin)", err)
	}
	var out []string
	for _, e := range ents {
		p := filepath.Join(binDir, e.Name())
		if !e.Type().IsRegular() || !isELF(p) {
			continue
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		t.Fatalf("no ELF fixtures in %s", binDir)
	}
	return out
}

func isELF(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	_, err = f.Read(magic[:])
	return err == nil && string(magic[:]) == "\x7fELF"
}

func summarize(t *testing.T, path string) *inspect.Summary {
	t.Helper()
	f, err := inspect.Open(path)
	if err != nil {
		t.Fatalf("inspect.Open(%s): %v", path, err)
	}
	defer f.Close()
	return inspect.Summarize(f, filepath.Base(path))
}

func compare(t *testing.T, a, b string) *inspect.Diff {
	t.Helper()
	fa, err := inspect.Open(filepath.Join(binDir, a))
	if err != nil {
		t.Fatalf("inspect.Open(%s): %v", a, err)
	}
	defer fa.Close()
	fb, err := inspect.Open(filepath.Join(binDir, b))
	if err != nil {
		t.Fatalf("inspect.Open(%s): %v", b, err)
	}
	defer fb.Close()
	d, err := inspect.Compare(fa, fb, a, b)
	if err != nil {
		t.Fatalf("inspect.Compare(%s, %s): %v", a, b, err)
	}
	return d
}

var goldenFormats = []struct {
	f   Format
	ext string
}{{Text, "txt"}, {JSON, "json"}, {Markdown, "md"}}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Fatalf("golden file %s is missing; run `go test ./report -update` and review the new file", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run `go test ./report -update` if the change is intended):\n%s", path, lineDiff(want, got))
	}
}

// lineDiff shows the first lines that differ, enough to see what changed.
func lineDiff(want, got []byte) string {
	wl := strings.Split(string(want), "\n")
	gl := strings.Split(string(got), "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(wl), len(gl)) && shown < 20; i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			fmt.Fprintf(&b, "line %d:\n  want %q\n  got  %q\n", i+1, w, g)
			shown++
		}
	}
	if len(wl) != len(gl) {
		fmt.Fprintf(&b, "want %d lines, got %d\n", len(wl), len(gl))
	}
	return b.String()
}

func opts(f Format) Options { return Options{Format: f, Version: "test"} }

func TestInspectGolden(t *testing.T) {
	for _, path := range fixtures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			s := summarize(t, path)
			// The goldens are only worth reviewing if the fixtures say
			// what their names say: rewritten copies show signs of it,
			// linker output does not.
			if patched := strings.Contains(s.Path, ".patched"); patched != (len(s.RewriteSigns) > 0) {
				t.Errorf("%s: RewriteSigns = %q; want signs: %t", s.Path, s.RewriteSigns, patched)
			}
			for _, gf := range goldenFormats {
				var buf bytes.Buffer
				if err := Inspect(&buf, s, opts(gf.f)); err != nil {
					t.Fatalf("Inspect(%s, %s): %v", s.Path, gf.f, err)
				}
				checkGolden(t, filepath.Join("inspect", s.Path+"."+gf.ext), buf.Bytes())
			}
		})
	}
}

func TestDiffGolden(t *testing.T) {
	for _, p := range diffPairs {
		t.Run(p[0]+"__"+p[1], func(t *testing.T) {
			d := compare(t, p[0], p[1])
			for _, gf := range goldenFormats {
				var buf bytes.Buffer
				if err := Diff(&buf, d, opts(gf.f)); err != nil {
					t.Fatalf("Diff(%s, %s, %s): %v", p[0], p[1], gf.f, err)
				}
				checkGolden(t, filepath.Join("diff", p[0]+"__"+p[1]+"."+gf.ext), buf.Bytes())
			}
		})
	}
}

// runtimeFixtures have runtime goldens: no runtime, but a toolchain each
// (GCC, clang and LLD, a static GCC build).
var runtimeFixtures = []string{"gcc-pie", "clang-lld", "gcc-static"}

func TestRuntimeGolden(t *testing.T) {
	for _, name := range runtimeFixtures {
		t.Run(name, func(t *testing.T) {
			s := summarize(t, filepath.Join(binDir, name))
			for _, gf := range goldenFormats {
				var buf bytes.Buffer
				if err := Runtime(&buf, name, s.Runtime, opts(gf.f)); err != nil {
					t.Fatalf("Runtime(%s, %s): %v", name, gf.f, err)
				}
				checkGolden(t, filepath.Join("runtime", name+"."+gf.ext), buf.Bytes())
			}
		})
	}
}

// TestGoldenFilesUsed catches goldens left behind when a fixture or a pair
// is removed.
func TestGoldenFilesUsed(t *testing.T) {
	if *update {
		t.Skip("-update writes goldens; stale ones are reported without it")
	}
	want := map[string]bool{}
	for _, path := range fixtures(t) {
		for _, gf := range goldenFormats {
			want[filepath.Join("inspect", filepath.Base(path)+"."+gf.ext)] = true
		}
	}
	for _, p := range diffPairs {
		for _, gf := range goldenFormats {
			want[filepath.Join("diff", p[0]+"__"+p[1]+"."+gf.ext)] = true
		}
	}
	for _, name := range runtimeFixtures {
		for _, gf := range goldenFormats {
			want[filepath.Join("runtime", name+"."+gf.ext)] = true
		}
	}
	for _, c := range bugCases {
		for _, ext := range []string{"md", "json", "html"} {
			want[filepath.Join("report", c.name+"."+ext)] = true
		}
	}
	for _, name := range []string{"bisect-regression", "bisect-environment", "bisect-inconclusive"} {
		for _, gf := range goldenFormats {
			want[filepath.Join("bisect", name+"."+gf.ext)] = true
		}
	}
	for name := range coredumpCases {
		for _, gf := range goldenFormats {
			want[filepath.Join("coredump", name+"."+gf.ext)] = true
		}
	}
	for _, dir := range []string{"inspect", "diff", "runtime", "report", "bisect", "coredump"} {
		ents, _ := os.ReadDir(filepath.Join(goldenDir, dir))
		for _, e := range ents {
			if name := filepath.Join(dir, e.Name()); !want[name] {
				t.Errorf("golden file %s belongs to no fixture or pair; delete it", name)
			}
		}
	}
}

// envelope is Envelope with a typed result, as a consumer would decode it.
type envelope[T any] struct {
	SchemaVersion    *int   `json:"schema_version"`
	Command          string `json:"command"`
	ElfdoctorVersion string `json:"elfdoctor_version"`
	Result           *T     `json:"result"`
}

func decodeStrict[T any](t *testing.T, b []byte) envelope[T] {
	t.Helper()
	var e envelope[T]
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("decode: %v\n%s", err, b)
	}
	if e.SchemaVersion == nil || *e.SchemaVersion != SchemaVersion || SchemaVersion != 1 {
		t.Fatalf("schema_version = %v, want 1", e.SchemaVersion)
	}
	if e.ElfdoctorVersion != "test" {
		t.Errorf("elfdoctor_version = %q, want %q", e.ElfdoctorVersion, "test")
	}
	if e.Result == nil {
		t.Fatal("result is missing")
	}
	return e
}

func TestInspectJSON(t *testing.T) {
	for _, path := range fixtures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			s := summarize(t, path)
			var buf bytes.Buffer
			if err := Inspect(&buf, s, opts(JSON)); err != nil {
				t.Fatal(err)
			}
			e := decodeStrict[inspect.Summary](t, buf.Bytes())
			if e.Command != "inspect" {
				t.Errorf("command = %q, want inspect", e.Command)
			}
			// Decoding into inspect.Summary and encoding again gives the
			// same bytes: every field survives the round trip.
			var again bytes.Buffer
			if err := writeJSON(&again, "inspect", "test", e.Result); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again.Bytes(), buf.Bytes()) {
				t.Errorf("re-encoded summary differs:\n%s", lineDiff(buf.Bytes(), again.Bytes()))
			}
			r := e.Result
			if r.Path != s.Path || r.Interp != s.Interp || r.Entry != s.Entry || r.Size != s.Size ||
				len(r.Segments) != len(s.Segments) || len(r.Problems) != len(s.Problems) ||
				!reflect.DeepEqual(r.RewriteSigns, s.RewriteSigns) || (r.Dynamic == nil) != (s.Dynamic == nil) {
				t.Errorf("decoded summary does not match: got %+v, want %+v", r, s)
			}
			if s.Dynamic != nil && !reflect.DeepEqual(r.Dynamic.Pointers, s.Dynamic.Pointers) {
				t.Errorf("pointers: got %+v, want %+v", r.Dynamic.Pointers, s.Dynamic.Pointers)
			}
			// Lists are arrays, never null.
			var raw struct {
				Result map[string]json.RawMessage `json:"result"`
			}
			if err := json.Unmarshal(buf.Bytes(), &raw); err != nil {
				t.Fatal(err)
			}
			if string(raw.Result["segments"]) == "null" {
				t.Errorf("result.segments is null")
			}
		})
	}
}

func TestDiffJSON(t *testing.T) {
	for _, p := range diffPairs {
		t.Run(p[0]+"__"+p[1], func(t *testing.T) {
			d := compare(t, p[0], p[1])
			var buf bytes.Buffer
			if err := Diff(&buf, d, opts(JSON)); err != nil {
				t.Fatal(err)
			}
			e := decodeStrict[inspect.Diff](t, buf.Bytes())
			if e.Command != "diff" {
				t.Errorf("command = %q, want diff", e.Command)
			}
			r := e.Result
			if r.Verdict != d.Verdict || r.Headline != d.Headline || r.PathA != p[0] || r.PathB != p[1] {
				t.Errorf("round trip: got verdict %q headline %q paths %q %q, want %q %q %q %q",
					r.Verdict, r.Headline, r.PathA, r.PathB, d.Verdict, d.Headline, p[0], p[1])
			}
			if r.Changes == nil || r.Segments == nil || r.Pointers == nil || r.Sections == nil {
				t.Errorf("a list in the diff decoded as null: %+v", r)
			}
			// Re-encoding what was decoded gives the same bytes: no field
			// is lost or renamed on the way.
			var again bytes.Buffer
			if err := writeJSON(&again, "diff", "test", r); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again.Bytes(), buf.Bytes()) {
				t.Errorf("re-encoded diff differs:\n%s", lineDiff(buf.Bytes(), again.Bytes()))
			}
		})
	}
}

// TestDiffVerdicts pins down what the goldens are about, so that an
// -update that changes a verdict does not go unnoticed.
func TestDiffVerdicts(t *testing.T) {
	for _, tc := range []struct {
		a, b, verdict string
	}{
		{"gcc-pie", "gcc-pie", inspect.VerdictIdentical},
		{"gcc-pie", "gcc-pie.patched", inspect.VerdictLocallyEdited},
		{"gcc-nopie", "gcc-nopie.patched", inspect.VerdictLocallyEdited},
		{"clang-lld", "clang-lld.patched", inspect.VerdictLocallyEdited},
		{"gcc-m32", "gcc-m32.patched", inspect.VerdictLocallyEdited},
	} {
		t.Run(tc.a+"__"+tc.b, func(t *testing.T) {
			d := compare(t, tc.a, tc.b)
			if d.Verdict != tc.verdict {
				t.Fatalf("Compare(%s, %s).Verdict = %q, want %q", tc.a, tc.b, d.Verdict, tc.verdict)
			}
			var buf bytes.Buffer
			if err := Diff(&buf, d, opts(Text)); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if !strings.HasPrefix(out, "Verdict: "+tc.verdict+"\n") {
				t.Errorf("text diff does not start with the verdict:\n%s", out)
			}
			hasNext := strings.Contains(out, "\nNext")
			if wantNext := tc.verdict != inspect.VerdictIdentical; hasNext != wantNext {
				t.Errorf("text diff has a Next block: %t, want %t:\n%s", hasNext, wantNext, out)
			}
			if tc.verdict == inspect.VerdictLocallyEdited && !strings.Contains(out, "nix-ld") {
				t.Errorf("locally modified diff does not suggest nix-ld:\n%s", out)
			}
		})
	}
}
