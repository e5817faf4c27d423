package inspect_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/internal/damage"
)

// The reality tests build small programs with the machine's own gcc and
// clang/lld, damage copies of them the ways files are damaged in the
// wild, and compare what inspect.Check predicts with what the kernel and
// ld.so really do when the copy is executed.

// needTools skips the test when a tool is missing, or fails it when CI is
// set: there a missing tool is a broken machine, not a reason to skip.
func needTools(tb testing.TB, tools ...string) {
	tb.Helper()
	for _, t := range tools {
		if _, err := exec.LookPath(t); err != nil {
			if os.Getenv("CI") != "" {
				tb.Fatalf("%s not installed (scripts/install-test-deps installs it): %v", t, err)
			}
			tb.Skipf("%s not installed (scripts/install-test-deps installs it): %v", t, err)
		}
	}
}

// Sources of the test programs. Every program prints damage.Marker from
// main, so "starts" is observed, not assumed.
var checkSources = map[string]string{
	"hello.c": `#include <stdio.h>
int main(void) { puts("` + damage.Marker + `"); return 0; }
`,
	// A library with a real Verdef table: two versions, a symbol at each.
	"demo.c": `int demo_one(void) { return 1; }
int demo_two(void) { return 2; }
`,
	"demo.map": `DEMO_1.0 { global: demo_one; local: *; };
DEMO_2.0 { global: demo_two; } DEMO_1.0;
`,
	"uses-demo.c": `#include <stdio.h>
int demo_one(void);
int demo_two(void);
int main(void) { if (demo_one() + demo_two() == 3) puts("` + damage.Marker + `"); return 0; }
`,
	// The layout of a Bun single-file executable: a big initialised
	// payload at the end of the RW segment, so FileSiz == MemSiz and
	// there is no zero-fill and no slack after the segment.
	"bunlike.c": `#include <stdio.h>
__attribute__((section(".bun"), used)) char payload[PAYLOAD] = {1};
int main(void) { if (payload[0] == 1) puts("` + damage.Marker + `"); return 0; }
`,
	"bunlike.ld": "SECTIONS { .bun : { KEEP(*(.bun)) } } INSERT AFTER .bss;\n",
}

// checkInput is one pristine program the damage is applied to.
type checkInput struct {
	Name string
	Path string
	Lib  string // a library that must sit beside the program ($ORIGIN)
	Big  bool   // 64 MiB: only patchelf'd, not damaged every way
	M32  bool
}

type buildStep struct {
	out  string
	cmd  []string
	opt  bool // the toolchain may not support it (gcc -m32 without multilib)
	big  bool
	m32  bool
	lib  string
	skip bool // a library, not a program
}

var checkBuilds = []buildStep{
	{out: "gcc-pie", cmd: []string{"gcc", "-O1", "-o", "gcc-pie", "hello.c"}},
	{out: "gcc-nopie", cmd: []string{"gcc", "-O1", "-fno-pie", "-no-pie", "-o", "gcc-nopie", "hello.c"}},
	{out: "clang-lld", cmd: []string{"clang", "-O1", "-fuse-ld=lld", "-o", "clang-lld", "hello.c"}},
	{out: "clang-lld-nopie", cmd: []string{"clang", "-O1", "-fuse-ld=lld", "-fno-pie", "-no-pie", "-o", "clang-lld-nopie", "hello.c"}},
	{out: "gcc-m32", cmd: []string{"gcc", "-m32", "-O1", "-o", "gcc-m32", "hello.c"}, opt: true, m32: true},
	{out: "libdemo.so", cmd: []string{"gcc", "-O1", "-fPIC", "-shared", "-Wl,-soname,libdemo.so", "-Wl,--version-script=demo.map", "-o", "libdemo.so", "demo.c"}, skip: true},
	{out: "uses-libdemo", cmd: []string{"gcc", "-O1", "-o", "uses-libdemo", "uses-demo.c", "-L.", "-ldemo", "-Wl,-rpath,$ORIGIN"}, lib: "libdemo.so"},
	{out: "uses-libdemo-lld", cmd: []string{"clang", "-O1", "-fuse-ld=lld", "-o", "uses-libdemo-lld", "uses-demo.c", "-L.", "-ldemo", "-Wl,-rpath,$ORIGIN"}, lib: "libdemo.so"},
	// The Bun layout, small enough to damage every way, and 64 MiB.
	{out: "nozerofill-gcc", cmd: []string{"gcc", "-O1", "-DPAYLOAD=16384", "-o", "nozerofill-gcc", "bunlike.c", "-Wl,-T,bunlike.ld"}},
	{out: "nozerofill-lld", cmd: []string{"clang", "-O1", "-fuse-ld=lld", "-DPAYLOAD=16384", "-o", "nozerofill-lld", "bunlike.c", "-Wl,-T,bunlike.ld"}},
	{out: "bunlike-gcc", cmd: []string{"gcc", "-O1", "-DPAYLOAD=(64<<20)", "-o", "bunlike-gcc", "bunlike.c", "-Wl,-T,bunlike.ld"}, big: true},
	{out: "bunlike-lld", cmd: []string{"clang", "-O1", "-fuse-ld=lld", "-DPAYLOAD=(64<<20)", "-o", "bunlike-lld", "bunlike.c", "-Wl,-T,bunlike.ld"}, big: true},
}

var inputsOnce struct {
	sync.Once
	inputs []checkInput
	err    error
}

// checkInputs builds the pristine programs once per machine and toolchain:
// they are cached under the user cache directory, keyed by the sources,
// the commands and the compilers' versions.
func checkInputs(tb testing.TB) []checkInput {
	tb.Helper()
	needTools(tb, "gcc", "clang", "ld.lld")
	inputsOnce.Do(func() { inputsOnce.inputs, inputsOnce.err = buildInputs() })
	if inputsOnce.err != nil {
		tb.Fatal(inputsOnce.err)
	}
	return inputsOnce.inputs
}

func buildInputs() ([]checkInput, error) {
	h := sha256.New()
	for _, name := range []string{"hello.c", "demo.c", "demo.map", "uses-demo.c", "bunlike.c", "bunlike.ld"} {
		fmt.Fprintf(h, "%s\x00%s\x00", name, checkSources[name])
	}
	for _, s := range checkBuilds {
		fmt.Fprintf(h, "%q\x00", s.cmd)
	}
	for _, tool := range []string{"gcc", "clang"} {
		out, _ := exec.Command(tool, "--version").Output()
		h.Write(out)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "elfdoctor", "check-inputs-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(dir, "done")); err != nil {
		if err := build(dir); err != nil {
			return nil, err
		}
		// Inputs built by other versions of this test are stale.
		old, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), "check-inputs-*"))
		for _, o := range old {
			if o != dir {
				os.RemoveAll(o)
			}
		}
	}
	var inputs []checkInput
	for _, s := range checkBuilds {
		if s.skip {
			continue
		}
		p := filepath.Join(dir, s.out)
		if _, err := os.Stat(p); err != nil {
			if s.opt && os.Getenv("CI") == "" {
				continue
			}
			return nil, fmt.Errorf("%s was not built (scripts/install-test-deps installs what it needs)", p)
		}
		in := checkInput{Name: s.out, Path: p, Big: s.big, M32: s.m32}
		if s.lib != "" {
			in.Lib = filepath.Join(dir, s.lib)
		}
		inputs = append(inputs, in)
	}
	return inputs, nil
}

// build compiles everything into a fresh directory and renames it into
// place, so a half-built cache is never used.
func build(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "building-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for name, text := range checkSources {
		if err := os.WriteFile(filepath.Join(tmp, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	for _, s := range checkBuilds {
		cmd := exec.Command(s.cmd[0], s.cmd[1:]...)
		cmd.Dir = tmp
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		if out, err := cmd.CombinedOutput(); err != nil {
			if s.opt {
				continue
			}
			return fmt.Errorf("%s: %v\n%s", strings.Join(s.cmd, " "), err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, "done"), nil, 0o644); err != nil {
		return err
	}
	os.RemoveAll(dir)
	return os.Rename(tmp, dir)
}

// realityCase is one file to predict and run.
type realityCase struct {
	name string // input/damage
	dir  string // where it runs
	path string
	argv []string // what to execute; default: path
	env  []string
	opts inspect.CheckOptions
}

// timeout bounds every real run.
const timeout = 10 * time.Second

// noEnv keeps the host's NIX_LD and friends out of predictions.
func noEnv(string) string { return "" }

// loaderPhrases are the key phrases of ld.so's messages, most specific
// first. A real loader error must contain one, and the prediction must
// contain the same one.
var loaderPhrases = []*regexp.Regexp{
	regexp.MustCompile(`unsupported version \d+ of Verneed record`),
	regexp.MustCompile(`unsupported version \d+ of Verdef record`),
	regexp.MustCompile("weak version `[^']+' not found"),
	regexp.MustCompile("version `[^']+' not found"),
	regexp.MustCompile(`[^ :]+: cannot open shared object file`),
	regexp.MustCompile("Assertion `[^']+' failed"),
	regexp.MustCompile(`undefined symbol: [^ ,]+(, version [^ \n]+)?`),
	regexp.MustCompile(`no version information available`),
}

// keyPhrase returns the first of loaderPhrases found in s.
func keyPhrase(s string) string {
	for _, re := range loaderPhrases {
		if m := re.FindString(s); m != "" {
			return m
		}
	}
	return ""
}

// verdict compares a prediction with reality and returns what is wrong,
// or "" when they agree. The loader's last line is the error that stopped
// it; every line before it (warnings, or further version errors) must be
// predicted by some finding too.
func verdict(res *inspect.CheckResult, real damage.Result) string {
	// An embedded runtime that does not find its application runs as
	// itself: it starts and exits without the application's output.
	if res.Outcome == inspect.OutcomeBareRuntime {
		if real.Class == damage.Starts && !real.Marker {
			return ""
		}
		return fmt.Sprintf("predicted the bare runtime without its application, really %s", real)
	}
	if string(res.Outcome) != real.Class {
		return fmt.Sprintf("predicted %s, really %s", res.Outcome, real)
	}
	fatal := res.Fatal()
	lines := strings.Split(strings.TrimSpace(real.Stderr), "\n")
	switch real.Class {
	case damage.LoaderError:
		last := lines[len(lines)-1]
		lines = lines[:len(lines)-1]
		want := keyPhrase(last)
		if want == "" {
			return fmt.Sprintf("the loader's message %q has no known key phrase; add it to loaderPhrases", last)
		}
		if !strings.Contains(fatal.Message, want) {
			return fmt.Sprintf("predicted message %q lacks %q, which the loader printed: %q", fatal.Message, want, real.Stderr)
		}
	case damage.Crash:
		if fatal.Signal != "" && fatal.Signal != real.Signal {
			return fmt.Sprintf("predicted %s, really %s (stderr %q)", fatal.Signal, real.Signal, real.Stderr)
		}
		return ""
	}
	// A program that started but did not print its marker misbehaved:
	// something must have been predicted.
	if real.Class == damage.Starts && !real.Marker {
		warned := false
		for _, f := range res.Findings {
			warned = warned || f.Severity == inspect.SeverityWarning
		}
		if !warned {
			return fmt.Sprintf("the program started but misbehaved (%s), and no warning predicts it", real)
		}
	}
	for _, line := range lines {
		want := keyPhrase(line)
		if want == "" {
			continue
		}
		found := false
		for _, f := range res.Findings {
			found = found || strings.Contains(f.Message, want)
		}
		if !found {
			return fmt.Sprintf("ld.so printed %q; no finding predicts it", line)
		}
	}
	return ""
}

// runCase predicts and runs one case and fails the test when they differ.
// It returns both, for the summary.
func runCase(t *testing.T, c realityCase) (*inspect.CheckResult, damage.Result) {
	t.Helper()
	if c.opts.Getenv == nil {
		c.opts.Getenv = noEnv
	}
	res, err := inspect.Check(c.path, c.opts)
	if err != nil {
		t.Fatalf("Check(%s): %v", c.path, err)
	}
	argv := c.argv
	if argv == nil {
		argv = []string{c.path}
	}
	real, err := damage.Run(context.Background(), c.dir, timeout, c.env, argv...)
	if err != nil {
		t.Fatalf("running %s: %v", c.path, err)
	}
	if v := verdict(res, real); v != "" {
		t.Errorf("Check(%s): %s\n%s", c.name, v, describe(res))
	}
	return res, real
}

// describe prints a prediction's findings for a failure message.
func describe(res *inspect.CheckResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "prediction: %s: %s\n", res.Outcome, res.Headline)
	for _, f := range res.Findings {
		fmt.Fprintf(&b, "  %s %s %s: %s", f.Severity, f.Stage, f.Code, f.Summary)
		if f.Message != "" {
			fmt.Fprintf(&b, " [%s]", f.Message)
		}
		if f.Signal != "" {
			fmt.Fprintf(&b, " [%s]", f.Signal)
		}
		b.WriteString("\n")
		for _, e := range f.Evidence {
			fmt.Fprintf(&b, "      %s\n", e)
		}
	}
	return b.String()
}

// summary collects one line per case for the log.
type summary struct {
	mu    sync.Mutex
	lines []string
}

func (s *summary) add(name string, res *inspect.CheckResult, real damage.Result) {
	pred := string(res.Outcome)
	if f := res.Fatal(); f != nil {
		pred += " " + f.Signal + " [" + f.Code + "]"
	} else {
		for _, f := range res.Findings {
			if f.Severity == inspect.SeverityWarning {
				pred += " (" + f.Code + ")"
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, fmt.Sprintf("%-45s predicted %-40s really %s", name, pred, real))
}

func (s *summary) log(t *testing.T) {
	t.Logf("%d cases:\n%s", len(s.lines), strings.Join(s.lines, "\n"))
}

// place writes b as name in a fresh directory, with the input's library
// beside it, and returns the path.
func place(t *testing.T, in checkInput, b []byte, lib []byte) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, in.Name)
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if in.Lib != "" {
		if lib == nil {
			lib = mustRead(t, in.Lib)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(in.Lib)), lib, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// hostRunsI386 says whether this kernel executes 32-bit x86 programs, the
// way check finds out.
func hostRunsI386(t *testing.T) bool {
	t.Helper()
	res, err := inspect.Check("../testdata/bin/gcc-m32", inspect.CheckOptions{Getenv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	f := res.Fatal()
	return f == nil || f.Code != "no-ia32"
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCheckAgainstReality damages real gcc and clang/lld programs every
// way in damage.Kinds, predicts each with Check and runs it: the
// predicted outcome must be what happens.
func TestCheckAgainstReality(t *testing.T) {
	inputs := checkInputs(t)
	var sum summary
	for _, in := range inputs {
		pristine := mustRead(t, in.Path)
		t.Run(in.Name+"/pristine", func(t *testing.T) {
			p := place(t, in, pristine, nil)
			res, real := runCase(t, realityCase{name: in.Name + "/pristine", dir: filepath.Dir(p), path: p})
			sum.add(in.Name+"/pristine", res, real)
			if in.M32 && res.Fatal() != nil && res.Fatal().Code == "no-ia32" {
				return // this kernel cannot run it, and check said so
			}
			if real.Class != damage.Starts || !real.Marker {
				t.Fatalf("the pristine %s does not start: %s", in.Name, real)
			}
		})
		if in.Big {
			continue // damaged only by patchelf, in TestCheckPatchelfReality
		}
		if in.M32 && !hostRunsI386(t) {
			// Every damaged copy would fail the same way as the pristine
			// one, telling nothing about the damage.
			continue
		}
		for _, k := range damage.Kinds {
			name := in.Name + "/" + k.Name
			t.Run(name, func(t *testing.T) {
				src := pristine
				if k.Library {
					if in.Lib == "" {
						t.Skipf("%s loads no library of its own", in.Name)
					}
					src = mustRead(t, in.Lib)
				}
				b, err := k.Apply(src)
				if err != nil {
					t.Skipf("%s does not apply to %s: %v", k.Name, in.Name, err)
				}
				if bytes.Equal(b, src) {
					t.Fatalf("%s left %s unchanged", k.Name, in.Name)
				}
				var p string
				if k.Library {
					p = place(t, in, pristine, b)
				} else {
					p = place(t, in, b, nil)
				}
				res, real := runCase(t, realityCase{name: name, dir: filepath.Dir(p), path: p})
				sum.add(name, res, real)
			})
		}
	}
	sum.log(t)
}
