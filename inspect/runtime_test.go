package inspect_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// bunReleases span Bun's payload formats: 24-byte Offsets with 32- and
// 36-byte file records (1.0, 1.1), 32-byte Offsets (1.2), the .bun
// section with a 16 KiB slot (late 1.3) and with an 8-byte one (1.4). The baseline build is the same code without AVX2;
// the canary's banner carries its commit in the version ("1.4.0-canary.1+
// 184d0371a"). Damage tests run on the four releases.
var bunReleases = []struct {
	version, variant string
	damage           bool
}{
	{"1.0.36", "", true},
	{"1.1.45", "", true},
	{"1.2.23", "", true},
	{"1.3.14", "", true},
	{"1.3.14", "baseline", false},
	{"1.3.14-canary.20260519.1", "", false},
	{"1.4.5", "", true},
}

func identify(t *testing.T, path string) *inspect.Fingerprint {
	t.Helper()
	f, err := inspect.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fp := inspect.Identify(f)
	for _, p := range fp.Problems {
		t.Logf("Identify(%s): problem: %s", filepath.Base(path), p.Message)
	}
	return fp
}

// TestRuntimeBunIdentity checks what Identify reads from real Bun builds
// against what the same Bun says about itself.
func TestRuntimeBunIdentity(t *testing.T) {
	for _, rel := range bunReleases {
		name := rel.version
		if rel.variant != "" {
			name += "-" + rel.variant
		}
		t.Run(name, func(t *testing.T) {
			b := reality.BunCompiled(t, rel.version, rel.variant)
			wantVersion, wantCommit, _ := strings.Cut(b.Revision, "+")
			for _, path := range []string{b.Bun, b.App} {
				fp := identify(t, path)
				r := fp.Runtime(inspect.RuntimeBun)
				if r == nil {
					t.Fatalf("Identify(%s) found no Bun: %+v", path, fp)
				}
				if r.Version != wantVersion || r.Commit != wantCommit {
					t.Errorf("Identify(%s) = Bun %s (%s), want %s (%s)", filepath.Base(path), r.Version, r.Commit, wantVersion, wantCommit)
				}
				if got := slices.Contains(r.Variants, "baseline"); got != (rel.variant == "baseline") {
					t.Errorf("Identify(%s) variants %v, want baseline=%v", filepath.Base(path), r.Variants, rel.variant == "baseline")
				}
				if canary := strings.Contains(wantVersion, "canary"); slices.Contains(r.Variants, "canary") != canary {
					t.Errorf("Identify(%s) variants %v, want canary=%v", filepath.Base(path), r.Variants, canary)
				}
				if r.Platform != "Linux x64" {
					t.Errorf("Identify(%s) platform %q, want Linux x64", filepath.Base(path), r.Platform)
				}
				if path == b.Bun {
					if r.Payload != nil {
						t.Errorf("Identify(bun itself) found a payload: %+v", r.Payload)
					}
					continue
				}
				p := r.Payload
				if p == nil || !p.Reachable {
					t.Fatalf("Identify(app) payload = %+v, want reachable", p)
				}
				if p.Entry != "/$bunfs/root/app" || p.Files != 1 {
					t.Errorf("Identify(app) entry %q, %d files; want /$bunfs/root/app, 1", p.Entry, p.Files)
				}
				_, hasSection := sectionNamed(t, b.App, ".bun")
				if want := map[bool]string{true: "bun .bun section", false: "bun appended graph"}[hasSection]; p.Format != want {
					t.Errorf("Identify(app) format %q, want %q", p.Format, want)
				}
			}
		})
	}
}

// TestRuntimeBunDamage damages real Bun executables with real tools and
// runs them: check must agree with every run, and runtime must blame the
// payload exactly when the application did not run although ld.so did
// its part.
func TestRuntimeBunDamage(t *testing.T) {
	reality.NeedTools(t, "patchelf", "strip")
	type tool struct {
		name string
		do   func(t *testing.T, src, dst, dir string)
	}
	copyThen := func(fn func(t *testing.T, dst, dir string)) func(t *testing.T, src, dst, dir string) {
		return func(t *testing.T, src, dst, dir string) {
			copyFile(t, src, dst)
			if fn != nil {
				fn(t, dst, dir)
			}
		}
	}
	tools := []tool{
		{"pristine", copyThen(nil)},
		// NixOS users' fix for the interpreter path.
		{"patchelf-nixos", func(t *testing.T, src, dst, dir string) {
			if err := damage.Patchelf(src, dst, []string{"--set-interpreter", reality.NixLoader(t, dir), "--set-rpath", reality.NixRpath}); err != nil {
				t.Fatal(err)
			}
		}},
		// Packagers strip everything they install.
		{"strip", copyThen(func(t *testing.T, dst, _ string) { run(t, "strip", dst) })},
		// Signing and self-update tools append to the file.
		{"appended", copyThen(func(t *testing.T, dst, _ string) {
			fh, err := os.OpenFile(dst, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer fh.Close()
			if _, err := fh.Write(bytes.Repeat([]byte("signature "), 410)); err != nil {
				t.Fatal(err)
			}
		})},
		// An interrupted download.
		{"truncated", copyThen(func(t *testing.T, dst, _ string) {
			st, err := os.Stat(dst)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(dst, st.Size()-8192); err != nil {
				t.Fatal(err)
			}
		})},
	}
	var sum reality.Summary
	t.Cleanup(func() { sum.Log(t) })
	for _, rel := range bunReleases {
		if !rel.damage {
			continue
		}
		for _, tl := range tools {
			name := "bun-" + rel.version + "/" + tl.name
			t.Run(name, func(t *testing.T) {
				b := reality.BunCompiled(t, rel.version, rel.variant)
				dir := t.TempDir()
				p := filepath.Join(dir, "app")
				tl.do(t, b.App, p, dir)
				res, real := reality.RunCase(t, reality.Case{Name: name, Dir: dir, Path: p})
				sum.Add(name, res, real)
				// The runtime command must blame the payload exactly when
				// check does.
				fp := identify(t, p)
				blamed := fp.Unreachable() != nil
				if want := res.Fatal() != nil && res.Fatal().Stage == loader.StageRuntime; blamed != want {
					t.Errorf("Identify(%s): payload unreachable = %v, but check's runtime stage says %v", name, blamed, want)
				}
			})
		}
	}
}

// TestRuntimeNodeSEA builds a Node.js single executable application with
// this machine's node and postject, damages it with real tools, and runs
// it: check must agree, and Identify must find the blob exactly where
// Node does.
func TestRuntimeNodeSEA(t *testing.T) {
	reality.NeedTools(t, "node", "npm", "strip", "patchelf")
	app := seaApp(t)
	fp := identify(t, app)
	r := fp.Runtime(inspect.RuntimeNode)
	if r == nil || r.Payload == nil || !r.Payload.Reachable {
		t.Fatalf("Identify(SEA app) = %+v, want Node with a reachable payload", fp)
	}
	out, err := exec.Command("node", "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimPrefix(strings.TrimSpace(string(out)), "v"); r.Version != want {
		t.Errorf("Identify(SEA app) version %q, want %q (node --version)", r.Version, want)
	}
	// Node's official builds carry annobin's GNU build attributes; when
	// this machine's does, Identify must name the compiler from them.
	if _, ok := sectionNamed(t, app, ".gnu.build.attributes"); ok {
		found := false
		for _, tl := range fp.Toolchain {
			found = found || tl.Source == ".gnu.build.attributes" && tl.Version != ""
		}
		if !found {
			t.Errorf("Identify(SEA app): .gnu.build.attributes present but no tool read from it: %+v", fp.Toolchain)
		}
	}
	var sum reality.Summary
	t.Cleanup(func() { sum.Log(t) })
	cases := []struct {
		name string
		do   func(t *testing.T, dst, dir string)
	}{
		{"pristine", nil},
		{"strip", func(t *testing.T, dst, _ string) { run(t, "strip", dst) }},
		{"patchelf-rpath", func(t *testing.T, dst, _ string) { run(t, "patchelf", "--set-rpath", reality.NixRpath, dst) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "app")
			copyFile(t, app, p)
			if c.do != nil {
				c.do(t, p, dir)
			}
			res, real := reality.RunCase(t, reality.Case{Name: "sea/" + c.name, Dir: dir, Path: p})
			sum.Add("sea/"+c.name, res, real)
		})
	}
}

var seaOnce struct {
	sync.Once
	app string
	err error
}

// seaApp builds a SEA with the machine's node, cached per node version
// like the Bun builds.
func seaApp(t *testing.T) string {
	t.Helper()
	seaOnce.Do(func() { seaOnce.app, seaOnce.err = buildSEA() })
	if seaOnce.err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(seaOnce.err)
		}
		t.Skip(seaOnce.err)
	}
	return seaOnce.app
}

func buildSEA() (string, error) {
	out, err := exec.Command("../scripts/fetch-npm", "install", "postject@1.0.0-alpha.6", "postject").Output()
	if err != nil {
		return "", fmt.Errorf("fetch postject: %w", err)
	}
	postject := strings.TrimSpace(string(out))
	node, err := exec.LookPath("node")
	if err != nil {
		return "", err
	}
	ver, err := exec.Command(node, "--version").Output()
	if err != nil {
		return "", err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	final := filepath.Join(cache, "elfdoctor", "sea", strings.TrimSpace(string(ver)))
	if _, err := os.Stat(filepath.Join(final, "app")); err == nil {
		return filepath.Join(final, "app"), nil
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(filepath.Dir(final), "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	files := map[string]string{
		"app.js":   `console.log("` + damage.Marker + `")` + "\n",
		"sea.json": `{"main":"app.js","output":"prep.blob","disableExperimentalSEAWarning":true}`,
	}
	for n, s := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644); err != nil {
			return "", err
		}
	}
	steps := [][]string{
		{node, "--experimental-sea-config", "sea.json"},
		{"cp", node, "app"},
		{postject, "app", "NODE_SEA_BLOB", "prep.blob", "--sentinel-fuse", "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2"},
	}
	for _, s := range steps {
		cmd := exec.Command(s[0], s[1:]...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("%s: %v\n%s", strings.Join(s, " "), err, out)
		}
	}
	// Built completely, then moved into reality.Place: a half-built cache is
	// never used.
	if err := os.Rename(dir, final); err != nil {
		return "", err
	}
	return filepath.Join(final, "app"), nil
}

// versionAtLeast reports whether the dotted version v is major.minor or
// later.
func versionAtLeast(v string, major, minor int) bool {
	var a, b int
	fmt.Sscanf(v, "%d.%d", &a, &b)
	return a > major || a == major && b >= minor
}

// TestRuntimeDeno identifies real `deno compile` output, for each Deno
// CLI release the rewrite tests use. Deno 2 fetches the runtime it embeds
// (denort) from its own servers, which this machine cannot reach, so
// DENORT_BIN points at deno itself: the payload and its SUI note are laid
// out by Deno's real code, and the runtime embedded is the CLI, which
// does not look for an application. The result is run: it starts the
// CLI's REPL, and runtime and check must predict exactly that.
func TestRuntimeDeno(t *testing.T) {
	reality.NeedTools(t, "npm")
	for _, v := range denoCLIs {
		t.Run(v, func(t *testing.T) {
			deno := reality.NpmFile(t, "@deno/linux-x64-glibc@"+v, "package/deno")
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "app.ts"), []byte(`console.log("`+damage.Marker+`")`+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(deno, "compile", "--no-check", "-o", "app", "app.ts")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "DENORT_BIN="+deno, "DENO_DIR="+filepath.Join(dir, "cache"), "DENO_NO_UPDATE_CHECK=1")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("deno compile: %v\n%s", err, out)
			}
			app := filepath.Join(dir, "app")
			fp := identify(t, app)
			r := fp.Runtime(inspect.RuntimeDeno)
			// 2.9 puts the application in a SUI note; 2.4 and 2.8 append it,
			// framed by its length at the very end.
			want := "deno appended"
			if versionAtLeast(v, 2, 9) {
				want = "deno SUI note"
			}
			if r == nil || r.Payload == nil || r.Payload.Format != want {
				t.Fatalf("Identify(deno %s app) = %+v, want Deno with payload format %q", v, fp, want)
			}
			if r.Payload.Reachable || r.Payload.Effect != inspect.EffectBareRuntime {
				t.Errorf("Identify(deno app built on the CLI) payload reachable=%v effect=%q, want the bare CLI", r.Payload.Reachable, r.Payload.Effect)
			}
			if r.Version != v {
				t.Errorf("Identify(deno app) version %q, want %s", r.Version, v)
			}
			if fp.Runtime(inspect.RuntimeNode) != nil {
				t.Errorf("Identify(deno app) also reports Node.js (Deno exports Node's addon ABI): %+v", fp.Runtimes)
			}
			res, real := reality.RunCase(t, reality.Case{Name: "deno-" + v + "/compile-on-cli", Dir: dir, Path: app, Env: []string{"DENO_DIR=" + filepath.Join(dir, "cache"), "DENO_NO_UPDATE_CHECK=1"}})
			if res.Outcome != loader.OutcomeBareRuntime || real.Marker {
				t.Errorf("Check(deno app) = %s, really %s; want the bare runtime both", res.Outcome, real)
			}
		})
	}
}

// TestRuntimeGo builds a Go program in a git repository and compares what
// Identify reads with what the toolchain and git say.
func TestRuntimeGo(t *testing.T) {
	reality.NeedTools(t, "go", "git")
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/hello\n\ngo 1.22\n")
	write("main.go", "package main\n\nfunc main() { println(\"hi\") }\n")
	env := append(os.Environ(), "GOFLAGS=-buildvcs=true", "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
	for _, s := range [][]string{{"git", "init", "-q"}, {"git", "add", "."}, {"git", "commit", "-qm", "x"}, {"go", "build", "-o", "hello", "."}} {
		cmd := exec.Command(s[0], s[1:]...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", s, err, out)
		}
	}
	head, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	goVer, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		t.Fatal(err)
	}
	fp := identify(t, filepath.Join(dir, "hello"))
	r := fp.Runtime(inspect.RuntimeGo)
	if r == nil {
		t.Fatalf("Identify(go binary) = %+v, want Go", fp)
	}
	if want := strings.TrimPrefix(strings.TrimSpace(string(goVer)), "go"); r.Version != want {
		t.Errorf("Go version %q, want %q", r.Version, want)
	}
	if want := strings.TrimSpace(string(head)); r.Commit != want {
		t.Errorf("Go vcs.revision %q, want %q", r.Commit, want)
	}
	if want := "linux " + runtime.GOARCH; r.Platform != want {
		t.Errorf("Go platform %q, want %q", r.Platform, want)
	}
}

// TestRuntimePyInstaller appends a PyInstaller archive cookie to a real
// executable. PyInstaller itself comes from PyPI, which this machine
// cannot reach, so the archive is synthesized from the bootloader's
// documented layout (see docs/decisions.md).
func TestRuntimePyInstaller(t *testing.T) {
	host := "../testdata/bin/gcc-pie"
	cases := []struct {
		name       string
		pkgLen     uint32
		wantReach  bool
		wantPython string
	}{
		{"consistent", 4096 + 88, true, "Python 3.11"},
		{"longer-than-file", 1 << 30, false, "Python 3.11"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := reality.MustRead(t, host)
			b = append(b, make([]byte, 4096)...)
			cookie := make([]byte, 88)
			copy(cookie, "MEI\014\013\012\013\016")
			binary.BigEndian.PutUint32(cookie[8:], c.pkgLen)
			binary.BigEndian.PutUint32(cookie[12:], 16)
			binary.BigEndian.PutUint32(cookie[16:], 64)
			binary.BigEndian.PutUint32(cookie[20:], 311)
			copy(cookie[24:], "libpython3.11.so.1.0")
			b = append(b, cookie...)
			p := filepath.Join(t.TempDir(), "app")
			if err := os.WriteFile(p, b, 0o755); err != nil {
				t.Fatal(err)
			}
			r := identify(t, p).Runtime(inspect.RuntimePyInstaller)
			if r == nil || r.Payload == nil {
				t.Fatalf("Identify found no PyInstaller archive")
			}
			if r.Payload.Reachable != c.wantReach || r.Version != c.wantPython {
				t.Errorf("Identify = %s reachable=%v (%s), want %s reachable=%v", r.Version, r.Payload.Reachable, r.Payload.Problem, c.wantPython, c.wantReach)
			}
		})
	}
}

// TestToolchain compiles with gcc and clang and compares the .comment
// versions with what the compilers say about themselves.
func TestToolchain(t *testing.T) {
	reality.NeedTools(t, "gcc", "clang")
	dir := t.TempDir()
	src := filepath.Join(dir, "m.c")
	if err := os.WriteFile(src, []byte("int main(void){return 0;}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cc := range []struct{ cc, tool, versionArg string }{
		{"gcc", "GCC", "-dumpfullversion"},
		{"clang", "clang", "-dumpversion"},
	} {
		t.Run(cc.cc, func(t *testing.T) {
			out := filepath.Join(dir, cc.cc)
			run(t, cc.cc, "-o", out, src)
			v, err := exec.Command(cc.cc, cc.versionArg).Output()
			if err != nil {
				t.Fatal(err)
			}
			want := strings.TrimSpace(string(v))
			found := false
			for _, tl := range identify(t, out).Toolchain {
				found = found || tl.Name == cc.tool && tl.Version == want
			}
			if !found {
				t.Errorf("Identify(%s).Toolchain lacks %s %s: %+v", cc.cc, cc.tool, want, identify(t, out).Toolchain)
			}
		})
	}
}

func sectionNamed(t *testing.T, path, name string) (inspect.Section, bool) {
	t.Helper()
	f, err := inspect.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, s := range f.Sections {
		if s.Name == name {
			return s, true
		}
	}
	return inspect.Section{}, false
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	run(t, "cp", src, dst)
}

func run(t *testing.T, argv ...string) {
	t.Helper()
	cmd := exec.CommandContext(context.Background(), argv[0], argv[1:]...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
}

// BenchmarkIdentifyBun is the library's share of `elfdoctor runtime` on a
// real Bun executable, without process start-up.
func BenchmarkIdentifyBun(b *testing.B) {
	build := reality.BunCompiled(b, "1.3.14", "")
	for b.Loop() {
		f, err := inspect.Open(build.App)
		if err != nil {
			b.Fatal(err)
		}
		if inspect.Identify(f).Unreachable() != nil {
			b.Fatal("payload unreachable")
		}
		f.Close()
	}
}

// TestRuntimeDiff: diff names a runtime upgrade, and a payload that a
// real tool made unreachable, before anything else the rewrite changed.
func TestRuntimeDiff(t *testing.T) {
	reality.NeedTools(t, "strip")
	older, newer := reality.BunCompiled(t, "1.2.23", ""), reality.BunCompiled(t, "1.3.14", "")
	stripped := filepath.Join(t.TempDir(), "app")
	copyFile(t, newer.App, stripped)
	run(t, "strip", stripped)
	cases := []struct {
		a, b, want string
		first      bool
	}{
		{older.App, newer.App, "Bun 1.2.23 → 1.3.14", false},
		{newer.App, stripped, "Bun payload reachable in A, not in B: the graph is at vaddr", true},
	}
	for _, c := range cases {
		fa, err := inspect.Open(c.a)
		if err != nil {
			t.Fatal(err)
		}
		fb, err := inspect.Open(c.b)
		if err != nil {
			t.Fatal(err)
		}
		d, err := inspect.Compare(fa, fb, "a", "b")
		fa.Close()
		fb.Close()
		if err != nil {
			t.Fatal(err)
		}
		found := -1
		for i, ch := range d.Changes {
			if ch.Area == "runtime" && strings.Contains(ch.Message, c.want) {
				found = i
			}
		}
		switch {
		case found < 0:
			t.Errorf("Compare(%s, %s) lacks %q: %+v", c.a, c.b, c.want, d.Changes)
		case c.first && found != 0:
			t.Errorf("Compare(%s, %s): %q is change %d, want it first: %+v", c.a, c.b, c.want, found, d.Changes)
		}
	}
}
