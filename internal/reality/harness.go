// Package reality compares elfdoctor's predictions with what really
// happens: it builds small programs with the machine's own gcc and
// clang/lld (and Bun executables from the registry npm is configured
// with), runs copies of them for real, and says where a prediction and
// the run disagree. It is used by tests only; nothing in it is part of
// the elfdoctor command.
package reality

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/damage"
)

// NeedTools skips the test when a tool is missing, or fails it when CI is
// set: there a missing tool is a broken machine, not a reason to skip.
func NeedTools(tb testing.TB, tools ...string) {
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
var sources = map[string]string{
	// The marker is flushed at once: a crash at exit (a finaliser) kills
	// the process before stdio's own flush, and "main ran" must still be
	// seen.
	"hello.c": `#include <stdio.h>
int main(void) { puts("` + damage.Marker + `"); fflush(stdout); return 0; }
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
int main(void) { if (demo_one() + demo_two() == 3) puts("` + damage.Marker + `"); fflush(stdout); return 0; }
`,
	// The layout of a Bun single-file executable: a big initialised
	// payload at the end of the RW segment, so FileSiz == MemSiz and
	// there is no zero-fill and no slack after the segment.
	"bunlike.c": `#include <stdio.h>
__attribute__((section(".bun"), used)) char payload[PAYLOAD] = {1};
int main(void) { if (payload[0] == 1) puts("` + damage.Marker + `"); fflush(stdout); return 0; }
`,
	"bunlike.ld": "SECTIONS { .bun : { KEEP(*(.bun)) } } INSERT AFTER .bss;\n",
}

// Input is one pristine program the damage is applied to.
type Input struct {
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

var builds = []buildStep{
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
	inputs []Input
	err    error
}

// Inputs builds the pristine programs once per machine and toolchain:
// they are cached under the user cache directory, keyed by the sources,
// the commands and the compilers' versions.
func Inputs(tb testing.TB) []Input {
	tb.Helper()
	NeedTools(tb, "gcc", "clang", "ld.lld")
	inputsOnce.Do(func() { inputsOnce.inputs, inputsOnce.err = buildInputs() })
	if inputsOnce.err != nil {
		tb.Fatal(inputsOnce.err)
	}
	return inputsOnce.inputs
}

func buildInputs() ([]Input, error) {
	h := sha256.New()
	for _, name := range []string{"hello.c", "demo.c", "demo.map", "uses-demo.c", "bunlike.c", "bunlike.ld"} {
		fmt.Fprintf(h, "%s\x00%s\x00", name, sources[name])
	}
	for _, s := range builds {
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
		// Inputs built by other versions of this test are stale once
		// nobody has used them for a week; several checkouts (branches)
		// may share the cache and run at once, so never sooner.
		old, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), "check-inputs-*"))
		for _, o := range old {
			if st, err := os.Stat(o); err == nil && o != dir && time.Since(st.ModTime()) > 7*24*time.Hour {
				os.RemoveAll(o)
			}
		}
	}
	var inputs []Input
	for _, s := range builds {
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
		in := Input{Name: s.out, Path: p, Big: s.big, M32: s.m32}
		if s.lib != "" {
			in.Lib = filepath.Join(dir, s.lib)
		}
		inputs = append(inputs, in)
	}
	return inputs, nil
}

// build compiles everything into a fresh directory and renames it into
// Place, so a half-built cache is never used.
func build(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "building-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for name, text := range sources {
		if err := os.WriteFile(filepath.Join(tmp, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	for _, s := range builds {
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
	// Another process may have finished the same inputs meanwhile: its
	// complete directory stays (tests may be reading it), ours goes.
	if _, err := os.Stat(filepath.Join(dir, "done")); err == nil {
		return nil
	}
	os.RemoveAll(dir) // an incomplete leftover
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, "done")); serr == nil {
			return nil
		}
		return err
	}
	return nil
}

// Case is one file to predict and run.
type Case struct {
	Name string // input/damage
	Dir  string // where it runs
	Path string
	Argv []string // what to execute; default: Path
	Env  []string
	Opts loader.CheckOptions
	// Marker is what the program prints once its main has run, when it
	// is not one of the test programs (damage.Marker): a vendor
	// program's version, for a run with --version.
	Marker string
}

// Timeout bounds every real run.
const Timeout = 10 * time.Second

// NoEnv keeps the host's NIX_LD and friends out of predictions.
func NoEnv(string) string { return "" }

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
	regexp.MustCompile(`wrong ELF class: ELFCLASS\d+`),
	regexp.MustCompile(`file too short`),
	regexp.MustCompile(`invalid ELF header`),
	regexp.MustCompile(`ELF file's phentsize not the expected size`),
	regexp.MustCompile(`ELF file [^\n]*(?:not|does not match|invalid)[^\n]*`),
	regexp.MustCompile(`only ET_DYN and ET_EXEC can be loaded`),
	regexp.MustCompile(`cannot dynamically load executable`),
	// _dl_map_object_from_fd's refusal by DT_FLAGS_1 (dyninfo.go).
	regexp.MustCompile(`cannot dynamically load position-independent executable`),
	regexp.MustCompile(`shared object cannot be dlopen\(\)ed`),
	// Found by the differential fuzzer (difffuzz.go): relocation entries
	// of an unknown type, and names lost to a damaged string table.
	regexp.MustCompile(`unexpected (PLT )?reloc type 0x[0-9a-f]+`),
	regexp.MustCompile("version `' not found"),
	regexp.MustCompile(`undefined symbol:`),
	// What elf_machine_rela and _dl_check_protected_symbol print about a
	// symbol's size or visibility (syms.go).
	regexp.MustCompile("Symbol `[^']*' has different size in shared object"),
	regexp.MustCompile("Symbol `[^']*' causes overflow in R_X86_64_32 relocation"),
	regexp.MustCompile("copy relocation against non-copyable protected symbol `[^']*'"),
	regexp.MustCompile("direct reference to protected function `[^']*'"),
	regexp.MustCompile(`error due to GNU_PROPERTY_1_NEEDED_INDIRECT_EXTERN_ACCESS`),
	// dl_isa_level_check (isa.go).
	regexp.MustCompile(`CPU ISA level is lower than required`),
	// elf_machine_rela's refusal to run the program's IFUNC resolver
	// for an object relocated before it (relocs.go).
	regexp.MustCompile(`IFUNC symbol '[^']*' referenced in`),
}

// says reports whether a predicted message holds the key phrase ld.so
// printed. Where the prediction spells a run-time number's digits as
// loader.RunTimeDigits, any eight hex digits in the key match them.
func says(msg, key string) bool {
	if strings.Contains(msg, "0x"+loader.RunTimeDigits) {
		key = runTimeHex.ReplaceAllString(key, "0x"+loader.RunTimeDigits)
	}
	return strings.Contains(msg, key)
}

// relocatedSpans rewrites, in what a loader printed, each message a
// finding predicts with names spelled loader.RelocatedBytes into that
// prediction's words, where the message's other words are there: those
// names are a load address's bytes, which may hold spaces, commas or a
// newline, so no line or key phrase of the real message can be taken
// apart. The last name runs to the end of what was printed (ld.so stops
// after the message).
func relocatedSpans(res *loader.CheckResult, stderr string) string {
	for _, f := range res.Findings {
		if !strings.Contains(f.Message, loader.RelocatedBytes) {
			continue
		}
		parts := strings.Split(f.Message, loader.RelocatedBytes)
		pat := ""
		for i, p := range parts {
			pat += regexp.QuoteMeta(p)
			switch {
			case i == len(parts)-1:
			case i == len(parts)-2 && parts[i+1] == "":
				pat += `(?s:.*)$`
			default:
				pat += `(?s:.*?)`
			}
		}
		re, err := regexp.Compile(pat)
		if err != nil {
			continue
		}
		if loc := re.FindStringIndex(stderr); loc != nil {
			stderr = stderr[:loc[0]] + f.Message + "\n" + stderr[loc[1]:]
		}
	}
	return stderr
}

var runTimeHex = regexp.MustCompile(`0x[0-9a-f]{8}\b`)

// KeyPhrase returns the first of loaderPhrases found in s.
func KeyPhrase(s string) string {
	for _, re := range loaderPhrases {
		if m := re.FindString(s); m != "" {
			return m
		}
	}
	return ""
}

// Verdict compares a prediction with reality and returns what is wrong,
// or "" when they agree. The loader's last line is the error that stopped
// it; every line before it (warnings, or further version errors) must be
// predicted by some finding too.
func Verdict(res *loader.CheckResult, real damage.Result) string {
	real.Stderr = relocatedSpans(res, real.Stderr)
	// An undetermined prediction names the outcomes it leaves open; it
	// agrees with a run of one of those kinds (compareUndetermined).
	if res.Outcome == loader.OutcomeUndetermined {
		for _, got := range resultOutcomes(real) {
			if slices.Contains(res.Possible, got) {
				return ""
			}
		}
		return fmt.Sprintf("predicted undetermined (possible %v), really %s", res.Possible, real)
	}
	// An embedded runtime that does not find its application runs as
	// itself: it starts and exits without the application's output.
	if res.Outcome == loader.OutcomeBareRuntime {
		if real.Class == damage.Starts && !real.Marker {
			return ""
		}
		return fmt.Sprintf("predicted the bare runtime without its application, really %s", real)
	}
	// A crash at exit is a crash after main: the marker was printed.
	if res.Outcome == loader.OutcomeExitCrash {
		if real.Class != damage.Crash || !real.Marker {
			return fmt.Sprintf("predicted a crash at exit after main ran, really %s (main ran: %v)", real, real.Marker)
		}
		if f := res.Fatal(); f.Signal != "" && f.Signal != real.Signal {
			return fmt.Sprintf("predicted %s at exit, really %s", f.Signal, real.Signal)
		}
		return ""
	}
	// A failure at the first call of a lazily bound function: before or
	// after the marker, by the program's order of calls (compareFirstCall).
	if res.Outcome == loader.OutcomeFirstCall {
		f := res.Fatal()
		switch {
		case f.Signal != "" && real.Class == damage.Crash && real.Signal == f.Signal:
			return ""
		case f.Signal == "" && real.Exit == f.ExitStatus && real.Class != damage.Crash &&
			says(f.Message, KeyPhrase(real.Stderr)):
			return ""
		}
		return fmt.Sprintf("predicted %s (%s), really %s", res.Outcome, f.Message, real)
	}
	// A library dlopen refuses: the host reports dlerror()'s text and
	// goes on without it (node's require throws, and node exits 1), so
	// the run is a non-zero exit before the marker, with that text.
	if res.Outcome == loader.OutcomeDlopenFails {
		f := res.Fatal()
		if real.Class == damage.LoaderError && !real.Marker && f.Message != "" && strings.Contains(real.Stderr, f.Message) {
			return ""
		}
		return fmt.Sprintf("predicted dlopen to fail with %q, really %s", f.Message, real)
	}
	// A hang is a run still going when its time was up.
	if res.Outcome == loader.OutcomeHangs {
		if real.Class == damage.Timeout {
			return ""
		}
		return fmt.Sprintf("predicted a hang before main (%s), really %s", res.Fatal().Summary, real)
	}
	if string(res.Outcome) != real.Class {
		return fmt.Sprintf("predicted %s, really %s", res.Outcome, real)
	}
	if res.Outcome == loader.OutcomeCrash && real.Marker {
		return fmt.Sprintf("predicted a crash before main, but main ran and then %s", real)
	}
	fatal := res.Fatal()
	lines := strings.Split(strings.TrimSpace(real.Stderr), "\n")
	switch real.Class {
	case damage.LoaderError:
		last := lines[len(lines)-1]
		lines = lines[:len(lines)-1]
		want := KeyPhrase(last)
		if want == "" {
			return fmt.Sprintf("the loader's message %q has no known key phrase; add it to loaderPhrases", last)
		}
		said := lastLoaderLine(res, fatal)
		if !says(said, want) {
			return fmt.Sprintf("predicted message %q lacks %q, which the loader printed: %q", said, want, real.Stderr)
		}
		if fatal.ExitStatus == 0 {
			return fmt.Sprintf("predicted a loader error without its exit status; the loader exited %d", real.Exit)
		}
		if fatal.ExitStatus != real.Exit {
			return fmt.Sprintf("predicted exit status %d, the loader exited %d (stderr %q)", fatal.ExitStatus, real.Exit, real.Stderr)
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
			warned = warned || f.Severity == loader.SeverityWarning
		}
		if !warned {
			return fmt.Sprintf("the program started but misbehaved (%s), and no warning predicts it", real)
		}
	}
	for _, line := range lines {
		want := KeyPhrase(line)
		if want == "" {
			continue
		}
		found := false
		for _, f := range res.Findings {
			found = found || says(f.Message, want)
		}
		if !found {
			return fmt.Sprintf("ld.so printed %q; no finding predicts it", line)
		}
	}
	return ""
}

// resultOutcomes are the outcome kinds a damage.Run result can be the
// result of (observedOutcomes, for the fuzzer's observations): main's
// marker tells a crash before main from one at exit, and a first-call
// failure can look like any failure.
func resultOutcomes(real damage.Result) []loader.Outcome {
	switch real.Class {
	case damage.Starts:
		if !real.Marker {
			return []loader.Outcome{loader.OutcomeStarts, loader.OutcomeExitsEarly}
		}
		return []loader.Outcome{loader.OutcomeStarts}
	case damage.ExecFails:
		return []loader.Outcome{loader.OutcomeExecFails}
	case damage.LoaderError:
		return []loader.Outcome{loader.OutcomeLoaderError, loader.OutcomeFirstCall}
	case damage.Crash:
		if real.Marker {
			return []loader.Outcome{loader.OutcomeExitCrash, loader.OutcomeFirstCall}
		}
		return []loader.Outcome{loader.OutcomeCrash, loader.OutcomeFirstCall}
	case damage.Timeout:
		return []loader.Outcome{loader.OutcomeHangs}
	}
	return nil
}

// RunCase predicts and runs one case and fails the test when they differ.
// It returns both, for the Summary.
func RunCase(t *testing.T, c Case) (*loader.CheckResult, damage.Result) {
	t.Helper()
	if c.Opts.Getenv == nil {
		c.Opts.Getenv = NoEnv
	}
	res, err := loader.Check(c.Path, c.Opts)
	if err != nil {
		t.Fatalf("Check(%s): %v", c.Path, err)
	}
	argv := c.Argv
	if argv == nil {
		argv = []string{c.Path}
	}
	real, err := damage.Run(context.Background(), c.Dir, Timeout, c.Env, argv...)
	if err != nil {
		t.Fatalf("running %s: %v", c.Path, err)
	}
	if c.Marker != "" {
		real.Marker = strings.Contains(real.Stdout, c.Marker)
	}
	if v := Verdict(res, real); v != "" {
		t.Errorf("Check(%s): %s\n%s", c.Name, v, Describe(res))
	}
	return res, real
}

// Describe prints a prediction's findings for a failure message.
func Describe(res *loader.CheckResult) string {
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

// Summary collects one line per case for the log.
type Summary struct {
	mu    sync.Mutex
	lines []string
}

func (s *Summary) Add(name string, res *loader.CheckResult, real damage.Result) {
	pred := string(res.Outcome)
	if f := res.Fatal(); f != nil {
		pred += " " + f.Signal + " [" + f.Code + "]"
	} else {
		for _, f := range res.Findings {
			if f.Severity == loader.SeverityWarning {
				pred += " (" + f.Code + ")"
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, fmt.Sprintf("%-45s predicted %-40s really %s", name, pred, real))
}

func (s *Summary) Log(t *testing.T) {
	t.Logf("%d cases:\n%s", len(s.lines), strings.Join(s.lines, "\n"))
}

// Place writes b as name in a fresh directory, with the input's library
// beside it, and returns the path.
func Place(t *testing.T, in Input, b []byte, lib []byte) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, in.Name)
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if in.Lib != "" {
		if lib == nil {
			lib = MustRead(t, in.Lib)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(in.Lib)), lib, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func MustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// WriteSource writes a test's source text to dir/name and returns the
// path.
func WriteSource(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// RepoPath returns rel (slash-separated, from the repository root) as a
// path the test can open, whatever package directory it runs in.
func RepoPath(tb testing.TB, rel string) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, filepath.FromSlash(rel))
		}
		up := filepath.Dir(dir)
		if up == dir {
			tb.Fatalf("no go.mod above the test's directory: cannot find %s", rel)
		}
		dir = up
	}
}

// HostRunsI386 says whether this kernel executes 32-bit x86 programs. It
// runs the committed static i386 program internal/reality/testdata/
// i386-exit0 (built by scripts/build-fixtures from testdata/src/
// i386-exit0.S), never
// elfdoctor's own answer: the tests check that answer against this one.
func HostRunsI386(tb testing.TB) bool {
	tb.Helper()
	p := RepoPath(tb, "internal/reality/testdata/i386-exit0")
	err := exec.Command(p).Run()
	var errno syscall.Errno
	switch {
	case err == nil:
		return true
	case errors.As(err, &errno) && errno == syscall.ENOEXEC:
		return false
	}
	tb.Fatalf("running %s says neither yes nor no about i386: %v", p, err)
	return false
}

// NixRpath has the shape of the RPATH a NixOS user writes: long store
// paths, none of which exist here, then the program's own directory.
const NixRpath = "/nix/store/x4yg3j8c1mnm2dsq9f4w6jmh4v1c5f7b-zlib-1.3.1/lib:" +
	"/nix/store/0c9rhbk1v9w9dfk6v3d6g2r0yjv0rd3a-gcc-13.3.0-lib/lib:" +
	"/nix/store/5sz2bkj7m5nqqx09xh1f3r2m6p6ns3y8-openssl-3.3.2/lib:$ORIGIN"

// RepatchRuns is an installer that patches again after every update:
// three rounds of rewrites on the same file, as patchelf invocations.
// The --replace-needed of each round drops the libm.so.6 the round added,
// and with it any libm a program needed.
func RepatchRuns(ld string) [][]string {
	var runs [][]string
	for i := 1; i <= 3; i++ {
		runs = append(runs,
			[]string{"--set-interpreter", ld},
			[]string{"--set-rpath", fmt.Sprintf("%s:/nix/store/round%d/lib", NixRpath, i)},
			[]string{"--add-needed", "libm.so.6"},
			[]string{"--add-rpath", fmt.Sprintf("/nix/store/extra%d/lib", i)},
			[]string{"--replace-needed", "libm.so.6", "libdl.so.2"},
			[]string{"--add-needed", "libpthread.so.0"})
	}
	return runs
}

// NixLoader makes a Nix-store-shaped directory under dir holding a link
// to the host's loader, so a copy patched to use it really runs, and
// returns the loader's path there: longer than /lib64/ld-linux-x86-64.so.2,
// so patchelf has to make room for it.
func NixLoader(tb testing.TB, dir string) string {
	tb.Helper()
	lib := filepath.Join(dir, "nix/store/8hpdq3yzmp2yy7x0a4w2pcn4s8g2k9l1-glibc-2.36-elfdoctor/lib")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		tb.Fatal(err)
	}
	ld := filepath.Join(lib, "ld-linux-x86-64.so.2")
	if err := os.Symlink("/lib64/ld-linux-x86-64.so.2", ld); err != nil {
		tb.Fatal(err)
	}
	return ld
}

var bunBuilds sync.Map // "version-variant" -> *BunBuild

// BunBuild is a Bun release and an application compiled with it.
type BunBuild struct {
	once     sync.Once
	Bun, App string
	Revision string // `bun --revision`: VERSION+COMMIT
	err      error
}

type fetchError struct {
	out string
	err error
}

func (e *fetchError) Error() string { return "bun: " + e.err.Error() + "\n" + e.out }

// BunCompiled returns Bun itself and a single-file executable built with
// it from a script that prints damage.Marker, both cached. Bun comes from
// the registry npm is configured with (scripts/fetch-bun).
func BunCompiled(tb testing.TB, version, variant string) *BunBuild {
	tb.Helper()
	NeedTools(tb, "npm")
	fetch := RepoPath(tb, "scripts/fetch-bun")
	v, _ := bunBuilds.LoadOrStore(version+"-"+variant, &BunBuild{})
	b := v.(*BunBuild)
	b.once.Do(func() { b.err = b.build(fetch, version, variant) })
	if b.err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatal(b.err)
		}
		tb.Skip(b.err)
	}
	return b
}

func (b *BunBuild) build(fetch, version, variant string) error {
	args := []string{version}
	if variant != "" {
		args = append(args, variant)
	}
	out, err := exec.Command(fetch, args...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return &fetchError{string(ee.Stderr), err}
		}
		return err
	}
	b.Bun = strings.TrimSpace(string(out))
	rev, err := exec.Command(b.Bun, "--revision").Output()
	if err != nil {
		return fmt.Errorf("%s --revision: %w", b.Bun, err)
	}
	b.Revision = strings.TrimSpace(string(rev))
	b.App = filepath.Join(filepath.Dir(b.Bun), "app-marker")
	if _, err := os.Stat(b.App); err == nil {
		return nil
	}
	tmp, err := os.MkdirTemp(filepath.Dir(b.Bun), "build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	script := `console.log("` + damage.Marker + `")` + "\n"
	if err := os.WriteFile(filepath.Join(tmp, "app.ts"), []byte(script), 0o644); err != nil {
		return err
	}
	cmd := exec.Command(b.Bun, "build", "--compile", "app.ts", "--outfile", "app")
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "BUN_INSTALL_CACHE_DIR="+filepath.Join(tmp, "cache"), "DO_NOT_TRACK=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return &fetchError{string(out), err}
	}
	return os.Rename(filepath.Join(tmp, "app"), b.App)
}
