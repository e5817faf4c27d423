package cli

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/elfdoctor/elfdoctor/internal/corepattern"
	"github.com/elfdoctor/elfdoctor/report"
)

// TestMain lets the scripts run elfdoctor, and a small helper, from the
// test binary itself.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"elfdoctor": func() { os.Exit(Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) },
		// truncate FILE N cuts FILE to N bytes, to make damaged ELF files.
		"truncate": func() {
			if len(os.Args) != 3 {
				fmt.Fprintln(os.Stderr, "usage: truncate FILE N")
				os.Exit(2)
			}
			n, err := strconv.ParseInt(os.Args[2], 10, 64)
			if err == nil {
				err = os.Truncate(os.Args[1], n)
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "truncate:", err)
				os.Exit(1)
			}
		},
		// mkfifo PATH makes a named pipe, which elfdoctor must refuse
		// at once instead of blocking on it.
		"mkfifo": func() {
			if len(os.Args) != 2 {
				fmt.Fprintln(os.Stderr, "usage: mkfifo PATH")
				os.Exit(2)
			}
			if err := syscall.Mkfifo(os.Args[1], 0o644); err != nil {
				fmt.Fprintln(os.Stderr, "mkfifo:", err)
				os.Exit(1)
			}
		},
	})
}

const (
	binDir    = "../../../testdata/bin"
	scriptDir = "../../../testdata/script"
)

// TestScripts runs testdata/script/*.txtar. $BIN is the absolute path of
// the ELF fixtures. Besides the usual commands, scripts can say
//
//	status N command args...
//
// to run a command and require exit status N (stdout and stderr can then
// be checked as after exec).
func TestScripts(t *testing.T) {
	bin, err := filepath.Abs(binDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(bin, "gcc-pie")); err != nil {
		t.Fatalf("fixtures missing: %v", err)
	}
	testscript.Run(t, testscript.Params{
		Dir: scriptDir,
		Setup: func(e *testscript.Env) error {
			e.Setenv("BIN", bin)
			// Scripts that make cores hold this with flock -s (see corepattern).
			e.Setenv("CORELOCK", corepattern.Path())
			e.Setenv("NO_COLOR", "")
			// bisect's download cache, private to each script.
			e.Setenv("XDG_CACHE_HOME", e.WorkDir+"/cache")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status": cmdStatus,
			"mkpyi":  cmdMkpyi,
			"poke":   cmdPoke,
			// tlsserve DIR: see bisect_test.go.
			"tlsserve": cmdTLSServe,
			// glibcroot VAR SUITE, debugfile VAR DIR FILE: see
			// debugdirs_test.go.
			"glibcroot": cmdGlibcRoot,
			"debugfile": cmdDebugFile,
		},
	})
}

// cmdPoke FILE OFFSET BYTE overwrites one byte of FILE, as the damage a
// transcript predicts (offsets are hex, as readelf prints them for the
// committed fixtures).
func cmdPoke(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: poke FILE OFFSET BYTE")
	}
	off, err := strconv.ParseUint(args[1], 0, 32)
	ts.Check(err)
	v, err := strconv.ParseUint(args[2], 0, 8)
	ts.Check(err)
	p := ts.MkAbs(args[0])
	b, err := os.ReadFile(p)
	ts.Check(err)
	if off >= uint64(len(b)) {
		ts.Fatalf("poke: offset %#x past the end of %s", off, args[0])
	}
	b[off] = byte(v)
	ts.Check(os.WriteFile(p, b, 0o755))
}

// cmdMkpyi OUT IN LEN writes IN followed by a 4 KiB archive and a
// PyInstaller cookie that claims LEN bytes of archive. PyInstaller comes
// from PyPI, which the test machines cannot reach, so this is the one
// runtime fixture that is synthesized (inspect's runtime tests use real
// Bun, Node and Deno output).
func cmdMkpyi(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: mkpyi OUT IN LEN")
	}
	n, err := strconv.ParseUint(args[2], 10, 32)
	ts.Check(err)
	b, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	b = append(b, make([]byte, 4096)...)
	cookie := make([]byte, 88)
	copy(cookie, "MEI\014\013\012\013\016")
	binary.BigEndian.PutUint32(cookie[8:], uint32(n))
	binary.BigEndian.PutUint32(cookie[12:], 16)
	binary.BigEndian.PutUint32(cookie[16:], 64)
	binary.BigEndian.PutUint32(cookie[20:], 311)
	copy(cookie[24:], "libpython3.11.so.1.0")
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), append(b, cookie...), 0o755))
}

func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("usage: status N command [args...] (no !)")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: status N command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("status: bad exit status %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// run calls Main in this process.
func run(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Main(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func TestMainInProcess(t *testing.T) {
	pie := filepath.Join(binDir, "gcc-pie")
	dir := t.TempDir()
	notELF := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notELF, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args       []string
		code       int
		out, errRE string
	}{
		{[]string{"inspect", pie}, 0, "Program headers", ""},
		{[]string{"--format", "json", "inspect", pie}, 0, `"schema_version": 1`, ""},
		{[]string{"inspect", "--format=markdown", pie}, 0, "### Program headers", ""},
		{[]string{"diff", pie, pie}, 0, "Verdict: identical", ""},
		{[]string{"diff", pie, pie + ".patched"}, 1, "Verdict: looks locally modified", ""},
		{[]string{"inspect", notELF}, 2, "", notELF + ": not an ELF file"},
		{[]string{"inspect", filepath.Join(dir, "missing")}, 2, "", filepath.Join(dir, "missing") + ": no such file or directory"},
		{[]string{"inspect", dir}, 2, "", "is a directory"},
		{[]string{"diff", pie}, 2, "", "diff needs two files"},
		{[]string{"--format", "yaml", "inspect", pie}, 2, "", `unknown format "yaml"`},
		{[]string{"inspect", "--bogus", pie}, 2, "", "unknown flag: --bogus"},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"--version"}, 0, "elfdoctor ", ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := run(tc.args...)
			if code != tc.code {
				t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out, tc.out) {
				t.Errorf("stdout does not contain %q:\n%s", tc.out, out)
			}
			if tc.errRE != "" && !strings.Contains(errOut, tc.errRE) {
				t.Errorf("stderr does not contain %q:\n%s", tc.errRE, errOut)
			}
			if tc.code == 2 && tc.out == "" && out != "" {
				t.Errorf("error wrote to stdout:\n%s", out)
			}
			if tc.code == 2 && !strings.HasPrefix(errOut, "elfdoctor: ") {
				t.Errorf("stderr does not start with \"elfdoctor: \": %q", errOut)
			}
		})
	}
}

func TestInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	pie := filepath.Join(binDir, "gcc-pie")
	var o, e bytes.Buffer
	if code := Main(ctx, []string{"diff", pie, pie}, &o, &e); code != 2 {
		t.Errorf("diff with a cancelled context: exit %d, want 2 (stderr %q)", code, e.String())
	}
}

func TestColorChoice(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "NO_COLOR" {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name     string
		format   report.Format
		noColor  bool
		noColEnv string
		tty      bool
		want     bool
	}{
		{"terminal", report.Text, false, "", true, true},
		{"pipe", report.Text, false, "", false, false},
		{"NO_COLOR", report.Text, false, "1", true, false},
		{"--no-color", report.Text, true, "", true, false},
		{"json on a terminal", report.JSON, false, "", true, false},
		{"markdown on a terminal", report.Markdown, false, "", true, false},
	} {
		g := &globalOpts{format: formatValue{tc.format}, noColor: tc.noColor, getenv: env(tc.noColEnv),
			isTerminal: func(io.Writer) bool { return tc.tty }}
		if got := g.options(io.Discard).Color; got != tc.want {
			t.Errorf("%s: Color = %t, want %t", tc.name, got, tc.want)
		}
	}
	// A buffer is never a terminal.
	if isTerminal(&bytes.Buffer{}) {
		t.Error("isTerminal(buffer) = true")
	}
}

func TestVersion(t *testing.T) {
	v := Version()
	if v == "" || strings.ContainsAny(v, " \n") {
		t.Errorf("Version() = %q, want one non-empty word", v)
	}
	code, out, _ := run("--version")
	if code != 0 || out != "elfdoctor "+v+"\n" {
		t.Errorf("--version: exit %d, output %q; want 0, %q", code, out, "elfdoctor "+v+"\n")
	}
	// The JSON envelope carries the same version.
	_, js, _ := run("--format", "json", "inspect", filepath.Join(binDir, "gcc-pie"))
	if !strings.Contains(js, `"elfdoctor_version": "`+v+`"`) {
		t.Errorf("JSON does not carry version %q", v)
	}
}
