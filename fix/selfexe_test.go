package fix_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/elfdoctor/elfdoctor/fix"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// The application every runtime in these tests carries: the marker, then
// the path the runtime reports as its own executable.
const execPathScript = `console.log("` + damage.Marker + ` " + process.execPath)` + "\n"

// bunSelfExe spans Bun's two payload eras: appended to the file (1.0 to
// 1.3.11, read back through /proc/self/exe) and the .bun section (1.3.12
// on, read from memory), with both sides of the change.
var bunSelfExe = []string{"1.0.36", "1.1.45", "1.2.23", "1.3.11", "1.3.12", "1.3.14", "1.4.0", "1.4.5"}

// TestSelfExeReal runs real single-file executables directly and as
// `LOADER --library-path DIRS FILE`, and checks that SelfExeSensitive,
// which reads only the file, agrees with what each did: the application
// lost through the loader is SelfExeBreaks, the application run but
// with the loader as its own path is SelfExeIdentity.
func TestSelfExeReal(t *testing.T) {
	ld, libs := hostLoader(t)
	var mu sync.Mutex
	var seen []string
	t.Cleanup(func() { t.Logf("launched directly and through %s:\n%s", ld, strings.Join(seen, "\n")) })
	// try runs app with args (none for an application, an evaluated
	// script for a bare runtime) both ways.
	try := func(t *testing.T, name, app string, args ...string) {
		dir := filepath.Dir(app)
		direct := realRun(t, dir, append([]string{app}, args...)...)
		through := realRun(t, dir, append([]string{ld, "--library-path", libs, app}, args...)...)
		s, err := fix.SelfExeSensitive(app)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%-16s direct: %-40s through the loader: %-50s SelfExeSensitive: %s", name, runSummary(direct), runSummary(through), s.Risk))
		mu.Unlock()
		self, err := filepath.EvalSymlinks(app)
		if err != nil {
			t.Fatal(err)
		}
		if !direct.Marker || execPath(direct) != self {
			t.Fatalf("%s run directly: %s, own path %q; want its application, with %s as its own path", name, direct, execPath(direct), self)
		}
		want := fix.SelfExeNone
		switch {
		case !through.Marker:
			want = fix.SelfExeBreaks
		case execPath(through) != self:
			want = fix.SelfExeIdentity
		}
		if s.Risk != want {
			t.Errorf("SelfExeSensitive(%s) = %s (%s), but through the loader it %s; want %s", name, s.Risk, s.Reason, runSummary(through), want)
		}
		if !s.Observed {
			t.Errorf("SelfExeSensitive(%s).Observed = false, but this test runs it", name)
		}
		if !strings.Contains(s.Reason, s.Runtime) || s.Runtime == "" {
			t.Errorf("SelfExeSensitive(%s): reason %q does not name the runtime %q", name, s.Reason, s.Runtime)
		}
		if want == fix.SelfExeBreaks && s.Effect == "bare-runtime" && (through.Class != damage.Starts || through.Marker) {
			t.Errorf("SelfExeSensitive(%s) predicts the bare runtime through the loader, really %s", name, through)
		}
		if s.RefusesWrapper() != (want == fix.SelfExeBreaks) {
			t.Errorf("SelfExeSensitive(%s).RefusesWrapper() = %v with risk %s", name, s.RefusesWrapper(), s.Risk)
		}
	}
	for _, v := range bunSelfExe {
		t.Run("bun-"+v, func(t *testing.T) {
			b := reality.BunCompiled(t, v, "")
			try(t, "bun "+v, bunApp(t, b.Bun))
		})
	}
	// What identity costs, as in the original story (Claude Code, Bun
	// 1.3.14, runs itself again as its own find and grep): an
	// application that starts itself again through process.execPath.
	t.Run("bun-1.3.14-reexec", func(t *testing.T) {
		b := reality.BunCompiled(t, "1.3.14", "")
		app := bunAppFrom(t, b.Bun, `if (process.argv.includes("child")) { console.log("child ran") } else {
  const r = Bun.spawnSync([process.execPath, "child"]);
  console.log("`+damage.Marker+` " + (r.stdout.toString().includes("child ran") ? "itself again" : "not itself: " + r.stderr.toString().trim()));
}
`)
		ld, libs := hostLoader(t)
		direct := realRun(t, filepath.Dir(app), app)
		through := realRun(t, filepath.Dir(app), ld, "--library-path", libs, app)
		s, err := fix.SelfExeSensitive(app)
		if err != nil {
			t.Fatal(err)
		}
		if execPath(direct) != "itself again" || !strings.HasPrefix(execPath(through), "not itself") || s.Risk != fix.SelfExeIdentity {
			t.Errorf("re-executing itself: directly %q, through the loader %q; SelfExeSensitive = %s, want itself again, then not, and identity", execPath(direct), execPath(through), s.Risk)
		}
		t.Logf("bun 1.3.14 starting itself again: directly %q, through the loader %q", execPath(direct), execPath(through))
	})
	// The bare runtimes carry no application; what they report as their
	// own path is what is left to lose.
	t.Run("bun-1.4.5-bare", func(t *testing.T) {
		b := reality.BunCompiled(t, "1.4.5", "")
		try(t, "bun 1.4.5 bare", b.Bun, "-e", execPathScript)
	})
	t.Run("node-bare", func(t *testing.T) {
		reality.NeedTools(t, "node")
		node, err := exec.LookPath("node")
		if err != nil {
			t.Fatal(err)
		}
		if node, err = filepath.EvalSymlinks(node); err != nil {
			t.Fatal(err)
		}
		try(t, "node bare", node, "-e", execPathScript)
	})
	for _, v := range []string{"2.4.4", "2.9.6"} {
		t.Run("deno-"+v+"-bare", func(t *testing.T) {
			try(t, "deno "+v+" bare", denoCLI(t, v), "eval", strings.Replace(execPathScript, "process.execPath", "Deno.execPath()", 1))
		})
	}
	t.Run("node-sea", func(t *testing.T) {
		reality.NeedTools(t, "node", "npm")
		app := seaApp(t)
		out, err := exec.Command("node", "--version").Output()
		if err != nil {
			t.Fatal(err)
		}
		try(t, "node "+strings.TrimSpace(string(out))+" SEA", app)
	})
	// `deno compile` output cannot be run with its application here:
	// denort is not in the registries, and the CLI embedded in its place
	// ignores the payload. The answer comes from the format alone and
	// must say so.
	for v, want := range map[string]fix.SelfExeRisk{"2.8.3": fix.SelfExeBreaks, "2.9.6": fix.SelfExeIdentity} {
		t.Run("deno-"+v+"-compiled", func(t *testing.T) {
			deno := denoCLI(t, v)
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "app.ts"), []byte(execPathScript), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(deno, "compile", "--no-check", "-o", "app", "app.ts")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "DENORT_BIN="+deno, "DENO_DIR="+filepath.Join(dir, "cache"), "DENO_NO_UPDATE_CHECK=1")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("deno compile: %v\n%s", err, out)
			}
			s, err := fix.SelfExeSensitive(filepath.Join(dir, "app"))
			if err != nil {
				t.Fatal(err)
			}
			if s.Risk != want || s.Observed || !strings.Contains(strings.Join(s.Evidence, "\n"), "not run by elfdoctor's tests") {
				t.Errorf("SelfExeSensitive(deno %s app) = %+v, want %s, not observed, and saying so", v, s, want)
			}
		})
	}
	t.Run("go-cgo", func(t *testing.T) {
		reality.NeedTools(t, "go", "gcc")
		dir := t.TempDir()
		src := map[string]string{
			"go.mod": "module selfexe\n\ngo 1.22\n",
			// cgo gives the program an interpreter, so the loader can
			// be named on the command line.
			"main.go": "package main\n\n// #include <stdlib.h>\nimport \"C\"\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\n" +
				"func main() {\n\tp, _ := os.Executable()\n\tfmt.Println(\"" + damage.Marker + " \" + p)\n\t_ = C.abs(1)\n}\n",
		}
		for n, s := range src {
			if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command("go", "build", "-o", "app", ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		try(t, "go (cgo)", filepath.Join(dir, "app"))
	})
	t.Run("gcc", func(t *testing.T) {
		s, err := fix.SelfExeSensitive(reality.RepoPath(t, "testdata/bin/gcc-pie"))
		if err != nil {
			t.Fatal(err)
		}
		if s.Risk != fix.SelfExeNone || s.RefusesWrapper() {
			t.Errorf("SelfExeSensitive(gcc-pie) = %+v, want none", s)
		}
	})
}

// denoCLI fetches Deno's CLI from npm's registry (scripts/fetch-npm).
func denoCLI(t *testing.T, v string) string {
	t.Helper()
	return reality.NpmFile(t, "@deno/linux-x64-glibc@"+v, "package/deno")
}

// hostLoader returns this machine's x86-64 loader and the directory of
// the libc it belongs to.
func hostLoader(t *testing.T) (ld, libs string) {
	t.Helper()
	ld = "/lib64/ld-linux-x86-64.so.2"
	real, err := filepath.EvalSymlinks(ld)
	if err != nil {
		t.Skipf("no x86-64 loader at %s: %v", ld, err)
	}
	return ld, filepath.Dir(real)
}

func realRun(t *testing.T, dir string, argv ...string) damage.Result {
	t.Helper()
	r, err := damage.Run(context.Background(), dir, reality.Timeout, nil, argv...)
	if err != nil {
		t.Fatalf("running %s: %v", strings.Join(argv, " "), err)
	}
	return r
}

// execPath is the path the application printed after the marker.
func execPath(r damage.Result) string {
	for _, line := range strings.Split(r.Stdout, "\n") {
		if rest, ok := strings.CutPrefix(line, damage.Marker+" "); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}

func runSummary(r damage.Result) string {
	switch {
	case r.Marker:
		return "ran its application as " + execPath(r)
	case r.Class == damage.Starts:
		return "started without its application"
	}
	return r.String()
}

// bunApp compiles execPathScript with bun into a fresh directory.
func bunApp(t *testing.T, bun string) string {
	t.Helper()
	return bunAppFrom(t, bun, execPathScript)
}

func bunAppFrom(t *testing.T, bun, script string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.ts"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bun, "build", "--compile", "app.ts", "--outfile", "app")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "BUN_INSTALL_CACHE_DIR="+filepath.Join(dir, "cache"), "DO_NOT_TRACK=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bun build --compile: %v\n%s", err, out)
	}
	return filepath.Join(dir, "app")
}

// seaApp builds a Node.js single executable application of
// execPathScript with this machine's node and postject (from npm's
// registry, scripts/fetch-npm), cached per node version: built whole in
// a temporary directory of the cache, then renamed into place.
func seaApp(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal(err)
	}
	ver, err := exec.Command(node, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	final := filepath.Join(cache, "elfdoctor", "sea-execpath", strings.TrimSpace(string(ver)))
	if _, err := os.Stat(filepath.Join(final, "app")); err == nil {
		return filepath.Join(final, "app")
	}
	out, err := exec.Command(reality.RepoPath(t, "scripts/fetch-npm"), "install", "postject@1.0.0-alpha.6", "postject").Output()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("fetch postject: %v", err)
		}
		t.Skipf("fetch postject: %v", err)
	}
	postject := strings.TrimSpace(string(out))
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(filepath.Dir(final), "build-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	files := map[string]string{
		"app.js":   execPathScript,
		"sea.json": `{"main":"app.js","output":"prep.blob","disableExperimentalSEAWarning":true}`,
	}
	for n, s := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range [][]string{
		{node, "--experimental-sea-config", "sea.json"},
		{"cp", node, "app"},
		{postject, "app", "NODE_SEA_BLOB", "prep.blob", "--sentinel-fuse", "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2"},
	} {
		cmd := exec.Command(s[0], s[1:]...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(s, " "), err, out)
		}
	}
	// Another test process may have won the race; its copy is as good.
	if err := os.Rename(dir, final); err != nil {
		if _, serr := os.Stat(filepath.Join(final, "app")); serr != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(final, "app")
}

// TestSelfExePyInstallerBootloaders: PyInstaller comes from PyPI, which
// the test machines cannot reach, so its three generations of
// bootloader are stood in for by gcc programs carrying (or not) the
// strings that tell them apart, with an archive cookie appended as in
// inspect's PyInstaller test. What is tested is that the strings are
// found where a bootloader keeps them (read-only data) and decide the
// answer; the answers themselves come from PyInstaller's source and say
// they were not run.
func TestSelfExePyInstallerBootloaders(t *testing.T) {
	reality.NeedTools(t, "gcc")
	cases := []struct {
		name    string
		strings []string
		want    fix.SelfExeRisk
	}{
		{"oldest", nil, fix.SelfExeBreaks},
		{"loader-name", []string{"ld-%64[^.].so.%d"}, fix.SelfExeBreaks},
		{"loader-restart", []string{"ld-%64[^.].so.%d", "LOADER: failed to allocate argv array for execvp!\\n"}, fix.SelfExeIdentity},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			src := "#include <stdio.h>\nint main(int argc, char **argv) {\n"
			for _, s := range c.strings {
				src += "\tif (argc > 5) puts(\"" + s + "\");\n"
			}
			src += "\treturn 0;\n}\n"
			if err := os.WriteFile(filepath.Join(dir, "boot.c"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("gcc", "-O1", "-o", "boot", "boot.c")
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("gcc: %v\n%s", err, out)
			}
			b := reality.MustRead(t, filepath.Join(dir, "boot"))
			b = append(b, make([]byte, 4096)...)
			cookie := make([]byte, 88)
			copy(cookie, "MEI\014\013\012\013\016")
			binary.BigEndian.PutUint32(cookie[8:], 4096+88)
			binary.BigEndian.PutUint32(cookie[12:], 16)
			binary.BigEndian.PutUint32(cookie[16:], 64)
			binary.BigEndian.PutUint32(cookie[20:], 311)
			copy(cookie[24:], "libpython3.11.so.1.0")
			app := filepath.Join(dir, "app")
			if err := os.WriteFile(app, append(b, cookie...), 0o755); err != nil {
				t.Fatal(err)
			}
			s, err := fix.SelfExeSensitive(app)
			if err != nil {
				t.Fatal(err)
			}
			if s.Risk != c.want || s.Observed || !strings.HasPrefix(s.Runtime, "PyInstaller") {
				t.Errorf("SelfExeSensitive(%s bootloader) = %+v, want %s, not observed", c.name, s, c.want)
			}
		})
	}
}
