package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/bisect"
)

// fakeSource and fakeRunner stand in for releases and Docker so that the
// renderer's goldens come from a real search and verdict without an
// engine: version N is at "/releases/N"; from 8 on it segfaults; in the
// "old-glibc" image, from 5 on the loader refuses it.
type fakeSource struct{}

func (fakeSource) Describe() string { return "https://releases.example/{version}/app" }
func (fakeSource) Versions(context.Context) ([]string, error) {
	var vs []string
	for i := 12; i >= 1; i-- {
		vs = append(vs, strconv.Itoa(i))
	}
	return vs, nil
}
func (fakeSource) Binary(_ context.Context, v string) (string, error) { return "/releases/" + v, nil }

type fakeRunner struct{}

func (fakeRunner) Environment(image string) string { return image }
func (fakeRunner) Run(_ context.Context, s bisect.RunSpec) (bisect.Outcome, error) {
	v, err := strconv.Atoi(strings.TrimPrefix(s.Binary, "/releases/"))
	if err != nil {
		// The local copy: patchelf pointed its interpreter elsewhere.
		return bisect.Outcome{Class: bisect.ClassExecFailed, ExitCode: 1, Detail: "interpreter missing: /nonexistent/ld.so"}, nil
	}
	switch {
	case s.Image == "old-glibc" && v >= 5:
		return bisect.Outcome{Class: bisect.ClassLoaderError, ExitCode: 1, Detail: "/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found (required by /elfdoctor/app)",
			Stderr: "/elfdoctor/app: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found (required by /elfdoctor/app)\n"}, nil
	case v >= 8:
		return bisect.Outcome{Class: bisect.ClassSignal, ExitCode: 139, Signal: "SIGSEGV", Stdout: fmt.Sprintf("app %d\n", v), Stderr: "about to crash\n"}, nil
	}
	return bisect.Outcome{Class: bisect.ClassOK, Stdout: fmt.Sprintf("app %d\n", v)}, nil
}

func bisectFixtures(t *testing.T) map[string]*bisect.Result {
	t.Helper()
	out := map[string]*bisect.Result{}
	run := func(name string, cfg bisect.Config) {
		cfg.Source, cfg.Runner = fakeSource{}, fakeRunner{}
		r, err := bisect.Run(context.Background(), cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = r
	}
	run("bisect-regression", bisect.Config{Images: []string{"debian-12", "old-glibc"}})
	run("bisect-environment", bisect.Config{Images: []string{"debian-12", "old-glibc"}, Versions: []string{"1", "2", "3", "4", "5", "6", "7"}})
	run("bisect-inconclusive", bisect.Config{Images: []string{"debian-12"}, Versions: []string{"9", "10"}, All: true})
	return out
}

func TestBisectGolden(t *testing.T) {
	for name, r := range bisectFixtures(t) {
		t.Run(name, func(t *testing.T) {
			for _, gf := range goldenFormats {
				var buf bytes.Buffer
				if err := Bisect(&buf, r, Options{Format: gf.f, Version: "test"}); err != nil {
					t.Fatal(err)
				}
				checkGolden(t, filepath.Join("bisect", name+"."+gf.ext), buf.Bytes())
			}
		})
	}
}

// TestBisectJSON checks the envelope and that the verdict comes first in
// text, as the issue asks: the sentence is the second line.
func TestBisectJSON(t *testing.T) {
	r := bisectFixtures(t)["bisect-regression"]
	var buf bytes.Buffer
	if err := Bisect(&buf, r, Options{Format: JSON, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	var env struct {
		SchemaVersion int    `json:"schema_version"`
		Command       string `json:"command"`
		Result        struct {
			Verdict  bisect.Verdict       `json:"verdict"`
			PerImage []bisect.ImageResult `json:"per_image"`
			Cells    []bisect.Cell        `json:"cells"`
		} `json:"result"`
	}
	if err := json.Unmarshal(buf.Bytes(), &env); err != nil {
		t.Fatal(err)
	}
	if env.SchemaVersion != SchemaVersion || env.Command != "bisect" || env.Result.Verdict.Kind != bisect.UpstreamRegression || env.Result.Verdict.FirstBad != "8" {
		t.Errorf("envelope = %+v", env)
	}
	buf.Reset()
	if err := Bisect(&buf, r, Options{Format: Text}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	if len(lines) < 2 || !strings.Contains(lines[1], r.Verdict.Sentence) {
		t.Errorf("second line %q, want the verdict %q", lines[1], r.Verdict.Sentence)
	}
}
