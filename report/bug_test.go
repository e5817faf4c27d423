package report

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/elfdoctor/elfdoctor/bisect"
	"github.com/elfdoctor/elfdoctor/coredump"
	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/corepattern"
	"github.com/elfdoctor/elfdoctor/internal/damage"
)

// bugCases are report goldens: a copy patched to a Nix loader against
// its pristine build (local damage), the same without the pristine copy,
// and a clean program.
var bugCases = []struct {
	name, exe, pristine, kind string
	bisect                    string // a bisectFixtures result
}{
	{"local-damage", "gcc-pie.patched", "gcc-pie", KindLocalDamage, ""},
	{"predicted-failure", "gcc-nopie.patched", "", KindPredictedFailure, ""},
	{"clean", "clang-lld", "", KindClean, ""},
	// A bisection that found the vendor's regression leads the report.
	{"upstream-regression", "clang-lld", "", bisect.UpstreamRegression, "bisect-regression"},
}

// testEnv stands for the machine, so goldens do not depend on the host.
var testEnv = Env{Kernel: "Linux 6.1.0-test", Machine: "x86_64", Distribution: "Debian GNU/Linux 12 (bookworm)",
	CPU: "Test CPU", CPUFlags: []string{"sse4_2", "popcnt", "avx", "avx2", "bmi1", "bmi2", "fma", "movbe"}, X86Level: "v3"}

func gather(t testing.TB, exe, pristine string) *Bug { return gatherWith(t, exe, pristine, nil) }

func gatherWith(t testing.TB, exe, pristine string, bis *bisect.Result) *Bug {
	t.Helper()
	in := BugInput{Exe: filepath.Join(binDir, exe), Env: &testEnv, Bisect: bis,
		Check: loader.CheckOptions{Getenv: func(string) string { return "" }}}
	if pristine != "" {
		in.Pristine = filepath.Join(binDir, pristine)
	}
	b, err := Gather(in)
	if err != nil {
		t.Fatalf("Gather(%s, %s): %v", exe, pristine, err)
	}
	// Which libraries the host has, and the glibc build of its loader,
	// differ from machine to machine; the check goldens cover neither.
	for _, c := range []*loader.CheckResult{b.Check, b.PCheck} {
		if c != nil {
			c.Objects = nil
		}
	}
	b.Env.Loader, b.Env.LoaderGlibc, b.Env.LibcGlibc = "/lib64/ld-linux-x86-64.so.2", "2.36", "2.36"
	return b
}

func renderBug(t testing.TB, b *Bug, o BugOptions) []byte {
	t.Helper()
	o.Version = "test"
	var buf bytes.Buffer
	if err := BugReport(&buf, b, o); err != nil {
		t.Fatalf("BugReport(%s): %v", o.Format, err)
	}
	return buf.Bytes()
}

// bugCase gathers one of bugCases.
func bugCase(t *testing.T, i int) *Bug {
	t.Helper()
	c := bugCases[i]
	var bis *bisect.Result
	if c.bisect != "" {
		bis = bisectFixtures(t)[c.bisect]
	}
	return gatherWith(t, c.exe, c.pristine, bis)
}

func TestBugGolden(t *testing.T) {
	for i, c := range bugCases {
		t.Run(c.name, func(t *testing.T) {
			b := bugCase(t, i)
			if b.Kind != c.kind {
				t.Errorf("Kind = %s, want %s (verdict %q)", b.Kind, c.kind, b.Verdict)
			}
			for _, f := range []struct {
				f   Format
				ext string
			}{{Markdown, "md"}, {JSON, "json"}, {HTML, "html"}} {
				checkGolden(t, filepath.Join("report", c.name+"."+f.ext), renderBug(t, b, BugOptions{Format: f.f}))
			}
		})
	}
}

// TestBugVerdictFirst: the first thing a Markdown report says is the
// verdict, in bold, and a local-damage verdict names the rewrite and the
// loader's failure.
func TestBugVerdictFirst(t *testing.T) {
	b := gather(t, "gcc-pie.patched", "gcc-pie")
	md := string(renderBug(t, b, BugOptions{Format: Markdown}))
	lines := strings.Split(md, "\n")
	if !strings.HasPrefix(lines[0], "## elfdoctor report: ") || !strings.HasPrefix(lines[2], "**Local damage: ") {
		t.Fatalf("report does not open with the title and the verdict:\n%s", strings.Join(lines[:4], "\n"))
	}
	for _, want := range []string{"rewritten after linking", "does not exist on this system"} {
		if !strings.Contains(lines[2], want) {
			t.Errorf("verdict lacks %q: %s", want, lines[2])
		}
	}
}

// TestBugSchema validates real reports against docs/report.schema.json.
func TestBugSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	sch, err := c.Compile("../docs/report.schema.json")
	if err != nil {
		t.Fatalf("compile docs/report.schema.json: %v", err)
	}
	for i, bc := range bugCases {
		t.Run(bc.name, func(t *testing.T) {
			out := renderBug(t, bugCase(t, i), BugOptions{Format: JSON, Redact: &Redactor{Homes: []string{"/nonexistent"}}})
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(v); err != nil {
				t.Errorf("report does not match the schema: %v", err)
			}
		})
	}
	// And the schema is not vacuous: a report without a verdict fails.
	var doc map[string]any
	out := renderBug(t, gather(t, "clang-lld", ""), BugOptions{Format: JSON})
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc["result"].(map[string]any), "verdict")
	b, _ := json.Marshal(doc)
	v, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if sch.Validate(v) == nil {
		t.Error("a report without a verdict passes the schema")
	}
}

// TestBugSizeLimit inflates a real report far past GitHub's limit: the
// Markdown must fit, keep its head whole, and say where it cut.
func TestBugSizeLimit(t *testing.T) {
	b := gather(t, "gcc-pie.patched", "gcc-pie")
	f := b.Check.Findings[0]
	for len(b.Check.Findings) < 3000 {
		b.Check.Findings = append(b.Check.Findings, f)
	}
	for i := 0; i < 2000; i++ {
		b.Summary.Sections = append(b.Summary.Sections, inspect.SectionSummary{Name: ".filler", Type: "SHT_PROGBITS"})
	}
	md := string(renderBug(t, b, BugOptions{Format: Markdown}))
	if n := utf8.RuneCountInString(md); n >= GitHubLimit {
		t.Fatalf("report is %d characters, GitHub takes fewer than %d", n, GitHubLimit)
	}
	if !strings.Contains(md, "Shortened to fit GitHub's 65,536-character limit") {
		t.Error("the report was cut without a note")
	}
	if !strings.Contains(md, "**Local damage: ") || !strings.Contains(md, "### Next") {
		t.Error("the head (verdict, next steps) was cut")
	}
	if strings.Count(md, "<details>") != strings.Count(md, "</details>") {
		t.Error("a <details> block was left open")
	}
	// Without the inflation nothing is cut.
	small := string(renderBug(t, gather(t, "gcc-pie.patched", "gcc-pie"), BugOptions{Format: Markdown}))
	if strings.Contains(small, "Shortened to fit") {
		t.Error("a small report was cut")
	}
}

// TestBugHTMLInChromium opens the HTML report in a real headless Chromium:
// the page must load offline, show the verdict and the address-space map,
// and render it (the screenshot has the colours of file-backed and
// zero-fill segments).
func TestBugHTMLInChromium(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium not installed (scripts/install-test-deps installs it): %v", err)
		}
		t.Skip("chromium not installed")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	b := gather(t, "gcc-pie.patched", "gcc-pie")
	if err := os.WriteFile(page, renderBug(t, b, BugOptions{Format: HTML}), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "shot.png")
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + filepath.Join(dir, "profile"), "--window-size=1280,1600"}
	dom, err := chromiumCmd(t, chromium, append(base, "--dump-dom", "file://"+page)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	for _, want := range []string{"Local damage: the pristine copy", "<svg", `class="zerofill"`, `class="file"`, "this copy", "pristine", "Reproduce"} {
		if !bytes.Contains(dom, []byte(want)) {
			t.Errorf("the page Chromium loaded lacks %q", want)
		}
	}
	if out, err := chromiumCmd(t, chromium, append(base, "--screenshot="+shot, "file://"+page)...).CombinedOutput(); err != nil {
		t.Fatalf("chromium --screenshot: %v\n%s", err, out)
	}
	fh, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	// The RW segments' fill, #c3f0c8, must be on screen: the map was drawn.
	found := false
	bnd := img.Bounds()
	for y := bnd.Min.Y; y < bnd.Max.Y && !found; y += 2 {
		for x := bnd.Min.X; x < bnd.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 == 0xc3 && g>>8 == 0xf0 && bl>>8 == 0xc8 {
				found = true
				break
			}
		}
	}
	if !found {
		t.Errorf("the screenshot %s shows no RW segment: the map was not rendered", shot)
		if os.Getenv("ELFDOCTOR_KEEP") != "" {
			t.Logf("kept in %s", dir)
		}
	}
	if keep := os.Getenv("ELFDOCTOR_SCREENSHOT"); keep != "" {
		data, _ := os.ReadFile(shot)
		os.WriteFile(keep, data, 0o644)
	}
}

// TestBugWithRealCore damages a real program so that ld.so crashes before
// main, lets the kernel dump a core, and reports with the core and the
// pristine copy: local damage, confirmed by the core, whose loader frames
// and check finding are in the report.
func TestBugWithRealCore(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "app")
	b, err := os.ReadFile(filepath.Join(binDir, "gcc-pie"))
	if err != nil {
		t.Fatal(err)
	}
	b, err = damage.DynamicReadOnly(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", "ulimit -c unlimited; exec ./app")
	cmd.Dir = dir
	unlock := corepattern.Shared(t)
	err = cmd.Run()
	unlock()
	if err == nil {
		t.Fatal("the damaged program ran")
	}
	core := filepath.Join(dir, "core")
	if _, err := os.Stat(core); err != nil {
		pattern, _ := os.ReadFile("/proc/sys/kernel/core_pattern")
		t.Fatalf("no core written (core_pattern %q must be a plain file name): %v", strings.TrimSpace(string(pattern)), err)
	}
	a, err := coredump.Analyze(context.Background(), core, coredump.Options{Exe: exe})
	if err != nil {
		t.Fatal(err)
	}
	bug, err := Gather(BugInput{Exe: exe, Pristine: filepath.Join(binDir, "gcc-pie"), Env: &testEnv, Core: a,
		Check: loader.CheckOptions{Getenv: func(string) string { return "" }}})
	if err != nil {
		t.Fatal(err)
	}
	if bug.Kind != KindLocalDamage || !strings.Contains(bug.Verdict, "The core file shows the crash: ") {
		t.Errorf("verdict %s: %q", bug.Kind, bug.Verdict)
	}
	md := string(renderBug(t, bug, BugOptions{Format: Markdown}))
	for _, want := range []string{"<summary><b>Crash: ", "dynamic loader", "_dl_start", "elfdoctor coredump --exe "} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	c := jsonschema.NewCompiler()
	sch, err := c.Compile("../docs/report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(renderBug(t, bug, BugOptions{Format: JSON})))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("report with a core does not match the schema: %v", err)
	}
}

// TestBugKilledCore: a core of a process another one killed is no crash
// the loader's view explains, even when check predicts a failure.
func TestBugKilledCore(t *testing.T) {
	for _, c := range bugCases[:2] {
		t.Run(c.name, func(t *testing.T) {
			b := gather(t, c.exe, c.pristine)
			b.Core = killed()
			b.conclude()
			if strings.Contains(b.Verdict, "explains it") || strings.Contains(b.Verdict, "shows the crash") || !strings.Contains(b.Verdict, "sent by pid 15661") {
				t.Errorf("verdict %q: want the kill, not a crash the loader explains", b.Verdict)
			}
		})
	}
}
