package inspect_test

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// These tests identify runtimes in files a rewrite damaged, on real
// releases from the registry npm is configured with, rewritten by real
// tools, and run each file for real: the runtime's own answer (--version,
// or the application's output) is the oracle.

// patchelfs are the rewriters NixOS users meet: this machine's patchelf
// (Debian's 0.14.3) and trixie's 0.18, run from its unpacked package.
func patchelfs(t *testing.T) map[string]func(t *testing.T, args ...string) {
	t.Helper()
	reality.NeedTools(t, "patchelf")
	host := func(t *testing.T, args ...string) { t.Helper(); run(t, append([]string{"patchelf"}, args...)...) }
	return map[string]func(t *testing.T, args ...string){"patchelf-0.14": host, "patchelf-0.18": patchelfTrixie(t)}
}

// patchelfTrixie returns a runner for trixie's patchelf 0.18
// (reality.TrixiePatchelf).
func patchelfTrixie(t *testing.T) func(t *testing.T, args ...string) {
	t.Helper()
	argv := reality.TrixiePatchelf(t)
	return func(t *testing.T, args ...string) {
		t.Helper()
		run(t, append(append([]string{}, argv...), args...)...)
	}
}

// realRun executes argv in dir and returns what happened.
func realRun(t *testing.T, dir string, argv ...string) damage.Result {
	t.Helper()
	res, err := damage.Run(context.Background(), dir, reality.Timeout, nil, argv...)
	if err != nil {
		t.Fatalf("running %v: %v", argv, err)
	}
	return res
}

// bunUsage is the first thing the bun CLI prints when it starts without
// an application and without arguments.
var bunUsage = regexp.MustCompile(`Usage: bun <command>`)

// TestRuntimeBun14 follows Bun 1.4's graph pointer, an 8-byte
// BUN_COMPILED word no longer aligned to 16 KiB, on real 1.4 releases,
// then zeroes that word in a copy and runs it: the bare runtime starts,
// and runtime and check must say so. The slot's file offset comes from
// the pristine runtime's own .bun section header, which is where Bun's
// writer stores the pointer.
func TestRuntimeBun14(t *testing.T) {
	for _, v := range []string{"1.4.0", "1.4.5"} {
		t.Run(v, func(t *testing.T) {
			b := reality.BunCompiled(t, v, "")
			bare, ok := sectionNamed(t, b.Bun, ".bun")
			if !ok {
				t.Fatalf("Bun %s has no .bun section", v)
			}
			if bare.Size != 8 {
				t.Logf("Bun %s: .bun is %d bytes (1.4.5's is 8)", v, bare.Size)
			}
			graph, ok := sectionNamed(t, b.App, ".bun")
			if !ok {
				t.Fatal("the compiled application has no .bun section")
			}
			app := reality.MustRead(t, b.App)
			if int(bare.Offset)+8 > len(app) {
				t.Fatalf("slot offset 0x%x past the application's end", bare.Offset)
			}
			if got := binary.LittleEndian.Uint64(app[bare.Offset:]); got != graph.Addr {
				t.Fatalf("the word at the runtime's slot (0x%x) holds 0x%x, want the graph's vaddr 0x%x", bare.Offset, got, graph.Addr)
			}

			dir := t.TempDir()
			pristine := filepath.Join(dir, "app")
			copyFile(t, b.App, pristine)
			real := realRun(t, dir, pristine)
			if !real.Marker {
				t.Fatalf("the pristine application did not run: %s", real)
			}
			fp := identify(t, pristine)
			r := fp.Runtime(inspect.RuntimeBun)
			if r == nil || r.Payload == nil || !r.Payload.Reachable {
				t.Fatalf("Identify(pristine %s app) = %+v, want a reachable payload (the application ran)", v, fp.Runtimes)
			}
			if uint64(r.Payload.Addr) != graph.Addr || r.Payload.Entry != "/$bunfs/root/app" {
				t.Errorf("Identify(pristine %s app) payload at 0x%x, entry %q; want 0x%x, /$bunfs/root/app", v, uint64(r.Payload.Addr), r.Payload.Entry, graph.Addr)
			}
			res, real2 := reality.RunCase(t, reality.Case{Name: "bun-" + v + "/pristine", Dir: dir, Path: pristine})
			if res.Fatal() != nil {
				t.Errorf("Check(pristine %s app) predicts %s, but it ran (%s)", v, res.Outcome, real2)
			}

			zeroed := filepath.Join(dir, "zeroed")
			z := bytes.Clone(app)
			clear(z[bare.Offset : bare.Offset+8])
			if err := os.WriteFile(zeroed, z, 0o755); err != nil {
				t.Fatal(err)
			}
			real = realRun(t, dir, zeroed)
			if real.Marker || !bunUsage.MatchString(real.Stdout+real.Stderr) {
				t.Fatalf("with the slot zeroed, Bun %s should start as the bare CLI: %s", v, real)
			}
			fp = identify(t, zeroed)
			r = fp.Runtime(inspect.RuntimeBun)
			if r == nil || r.Payload == nil || r.Payload.Reachable || r.Payload.Effect != inspect.EffectBareRuntime {
				t.Fatalf("Identify(zeroed %s app) = %+v, want an unreachable payload, bare runtime", v, fp.Runtimes)
			}
			res, _ = reality.RunCase(t, reality.Case{Name: "bun-" + v + "/zeroed", Dir: dir, Path: zeroed})
			if res.Outcome != loader.OutcomeBareRuntime {
				t.Errorf("Check(zeroed %s app) = %s, want bare-runtime", v, res.Outcome)
			}
		})
	}
}

// TestRuntimeBunStrippedAppended strips a real application whose graph is
// appended (Bun 1.2): strip drops the graph, the file is then the bare
// runtime byte for byte, and it starts as the bun CLI. runtime must
// predict exactly that, and check must make it fatal for the application.
func TestRuntimeBunStrippedAppended(t *testing.T) {
	reality.NeedTools(t, "strip")
	for _, v := range []string{"1.1.45", "1.2.23"} {
		t.Run(v, func(t *testing.T) {
			b := reality.BunCompiled(t, v, "")
			dir := t.TempDir()
			p := filepath.Join(dir, "app")
			copyFile(t, b.App, p)
			run(t, "strip", p)
			real := realRun(t, dir, p)
			if real.Marker || !bunUsage.MatchString(real.Stdout+real.Stderr) {
				t.Fatalf("stripped %s app: want the bare bun CLI, got %s", v, real)
			}
			r := identify(t, p).Runtime(inspect.RuntimeBun)
			if r == nil || r.Payload == nil || r.Payload.Reachable || r.Payload.Effect != inspect.EffectBareRuntime {
				t.Fatalf("Identify(stripped %s app) = %+v, want Bun whose payload is gone (bare runtime)", v, r)
			}
			res, _ := reality.RunCase(t, reality.Case{Name: "bun-" + v + "/strip", Dir: dir, Path: p})
			if f := res.Fatal(); f == nil || f.Stage != loader.StageRuntime {
				t.Errorf("Check(stripped %s app) = %s, want a fatal runtime finding", v, res.Outcome)
			}
		})
	}
}

// TestRuntimeBunPatchelf rewrites plain Bun runtimes (1.1 to 1.4) the way
// NixOS users do, with both patchelf releases, and runs `--version`. The
// runtime must stay Bun with the version and commit the pristine file
// prints; a DT_VERDEF the rewrite left pointing away from .gnu.version_d
// (read independently with debug/elf) must be a damaged mark; and check's
// prediction must match what the run did (some of these crash in ld.so:
// the story elfdoctor was written for).
func TestRuntimeBunPatchelf(t *testing.T) {
	pes := patchelfs(t)
	var sum reality.Summary
	t.Cleanup(func() { sum.Log(t) })
	for _, v := range []string{"1.1.45", "1.2.23", "1.3.14", "1.4.5"} {
		for _, pe := range []string{"patchelf-0.14", "patchelf-0.18"} {
			name := "bun-" + v + "/" + pe
			t.Run(name, func(t *testing.T) {
				b := reality.BunCompiled(t, v, "")
				wantVersion, wantCommit, _ := strings.Cut(b.Revision, "+")
				dir := t.TempDir()
				p := filepath.Join(dir, "bun")
				copyFile(t, b.Bun, p)
				pes[pe](t, "--set-interpreter", reality.NixLoader(t, dir), "--set-rpath", reality.NixRpath, p)

				fp := identify(t, p)
				if n := fp.Runtime(inspect.RuntimeNode); n != nil {
					t.Errorf("Identify(%s) reports Node.js %s", name, n.Version)
				}
				r := fp.Runtime(inspect.RuntimeBun)
				if r == nil {
					t.Fatalf("Identify(%s) lost Bun: %+v", name, fp.Runtimes)
				}
				if r.Version != wantVersion || r.Commit != wantCommit {
					t.Errorf("Identify(%s) = Bun %s (%s), want %s (%s)", name, r.Version, r.Commit, wantVersion, wantCommit)
				}
				if r.Payload != nil {
					t.Errorf("Identify(%s) found a payload in the plain runtime: %+v", name, r.Payload)
				}
				stale := staleVerdef(t, p)
				var state inspect.MarkState
				for _, m := range r.Marks {
					if strings.Contains(m.Name, "DT_VERDEF") {
						state = m.State
					}
				}
				if want := map[bool]inspect.MarkState{true: inspect.MarkDamaged, false: inspect.MarkFound}[stale]; state != want {
					t.Errorf("Identify(%s): DT_VERDEF stale = %v (debug/elf), mark %q, want %q; marks %+v", name, stale, state, want, r.Marks)
				}
				if fp.HasProblem() != stale {
					t.Errorf("Identify(%s).HasProblem() = %v, want %v (stale DT_VERDEF)", name, fp.HasProblem(), stale)
				}

				res, err := loader.Check(p, loader.CheckOptions{Getenv: reality.NoEnv})
				if err != nil {
					t.Fatal(err)
				}
				real := realRun(t, dir, p, "--version")
				sum.Add(name, res, real)
				if string(res.Outcome) != real.Class {
					t.Errorf("Check(%s) = %s, really %s\n%s", name, res.Outcome, real, reality.Describe(res))
				}
				if real.Class == damage.Starts && strings.TrimSpace(real.Stdout) != wantVersion {
					t.Errorf("%s --version printed %q, Identify says %s", name, real.Stdout, wantVersion)
				}
			})
			// The same rewrite of an application compiled with this Bun:
			// the pointer to the graph is followed through the rewritten
			// file, and check must agree with the run.
			if !versionAtLeast(v, 1, 3) {
				continue // appended graphs: TestRuntimeBunDamage
			}
			t.Run(name+"/app", func(t *testing.T) {
				b := reality.BunCompiled(t, v, "")
				dir := t.TempDir()
				p := filepath.Join(dir, "app")
				copyFile(t, b.App, p)
				pes[pe](t, "--set-interpreter", reality.NixLoader(t, dir), "--set-rpath", reality.NixRpath, p)
				r := identify(t, p).Runtime(inspect.RuntimeBun)
				if r == nil || r.Payload == nil || !r.Payload.Reachable {
					t.Fatalf("Identify(%s app) = %+v, want the graph reachable through the rewritten file", name, r)
				}
				res, real := reality.RunCase(t, reality.Case{Name: name + "/app", Dir: dir, Path: p})
				sum.Add(name+"/app", res, real)
			})
		}
	}
}

// staleVerdef says, reading with debug/elf, whether DT_VERDEF differs
// from the .gnu.version_d section's address.
func staleVerdef(t *testing.T, path string) bool {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sec := f.Section(".gnu.version_d")
	vals, err := f.DynValue(elf.DT_VERDEF)
	if err != nil || sec == nil || len(vals) == 0 {
		t.Fatalf("%s: no DT_VERDEF or .gnu.version_d (%v)", path, err)
	}
	return vals[0] != sec.Addr
}

// denoCLIs are Deno releases whose CLI was misread before: 2.4 as no
// runtime, 2.8 as Node.js because Deno carries Node's headers URL.
var denoCLIs = []string{"2.4.4", "2.8.3", "2.9.6"}

// TestRuntimeDenoCLI identifies the Deno CLI itself by its own marks and
// compares the version with what `deno --version` prints.
func TestRuntimeDenoCLI(t *testing.T) {
	reality.NeedTools(t, "npm")
	for _, v := range denoCLIs {
		t.Run(v, func(t *testing.T) {
			deno := reality.NpmFile(t, "@deno/linux-x64-glibc@"+v, "package/deno")
			real := realRun(t, t.TempDir(), deno, "--version")
			m := regexp.MustCompile(`^deno (\S+) `).FindStringSubmatch(real.Stdout)
			if real.Class != damage.Starts || m == nil {
				t.Fatalf("deno --version: %s", real)
			}
			fp := identify(t, deno)
			if n := fp.Runtime(inspect.RuntimeNode); n != nil {
				t.Errorf("Identify(deno %s) reports Node.js %s", v, n.Version)
			}
			r := fp.Runtime(inspect.RuntimeDeno)
			if r == nil {
				t.Fatalf("Identify(deno %s) = %+v, want Deno", v, fp.Runtimes)
			}
			if r.Version != m[1] {
				t.Errorf("Identify(deno %s) version %q, deno --version says %q", v, r.Version, m[1])
			}
			if r.Payload != nil || fp.HasProblem() {
				t.Errorf("Identify(deno %s): payload %+v, problem %v; want the CLI without either", v, r.Payload, fp.HasProblem())
			}
		})
	}
}

// TestRuntimeNodeOwnMarks: a program that carries Node's release URL and
// exports node_module_register, as Deno and Bun do, is not Node; this
// machine's node, with its SEA fuse, is, with the version it prints.
func TestRuntimeNodeOwnMarks(t *testing.T) {
	reality.NeedTools(t, "gcc", "node")
	dir := t.TempDir()
	src := filepath.Join(dir, "mention.c")
	code := `#include <stdio.h>
const char headers[] = "https://nodejs.example/download/release/v21.2.0/node-v21.2.0-headers.tar.gz";
void node_module_register(void *m) { (void)m; }
int main(void) { puts(headers); return 0; }
`
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "mention")
	run(t, "gcc", "-rdynamic", "-o", bin, src)
	if real := realRun(t, dir, bin); !strings.Contains(real.Stdout, "/download/release/v21.2.0") {
		t.Fatalf("the test program does not carry the URL: %s", real)
	}
	if fp := identify(t, bin); len(fp.Runtimes) != 0 {
		t.Errorf("Identify(a program that mentions Node) = %+v, want no runtime", fp.Runtimes)
	}

	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal(err)
	}
	real := realRun(t, dir, node, "--version")
	want := strings.TrimPrefix(strings.TrimSpace(real.Stdout), "v")
	r := identify(t, node).Runtime(inspect.RuntimeNode)
	if r == nil || r.Version != want {
		t.Fatalf("Identify(node) = %+v, want Node.js %s", r, want)
	}
}

// TestRuntimeGoPatchelf builds a dynamically linked Go program, rewrites
// it with both patchelf releases, and compares what Identify reads from
// every copy with `go version -m` on the pristine file. patchelf moves the
// empty PT_TLS header (vaddr 0) in front of the loads, which debug/buildinfo
// (and so `go version`) cannot read past; the loader's view can. Each copy
// is run, and check's prediction compared with the run.
func TestRuntimeGoPatchelf(t *testing.T) {
	reality.NeedTools(t, "go", "gcc")
	pes := patchelfs(t)
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/marker\n\ngo 1.22\n")
	// net with cgo makes a dynamically linked program with an interpreter
	// for patchelf to rewrite.
	write("main.go", "package main\n\nimport (\n\t\"fmt\"\n\t\"net\"\n)\n\nfunc main() {\n\t_, _ = net.LookupPort(\"tcp\", \"http\")\n\tfmt.Println(\""+damage.Marker+"\")\n}\n")
	cmd := exec.Command("go", "build", "-o", "marker", ".")
	cmd.Dir, cmd.Env = dir, append(os.Environ(), "CGO_ENABLED=1", "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	pristine := filepath.Join(dir, "marker")
	out, err := exec.Command("go", "version", "-m", pristine).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && strings.HasSuffix(f[0], ":"):
			want["version"] = strings.TrimPrefix(f[1], "go")
		case len(f) >= 2 && f[0] == "path":
			want["path"] = f[1]
		case len(f) >= 2 && f[0] == "build" && strings.HasPrefix(f[1], "GOARCH="):
			want["platform"] = "linux " + strings.TrimPrefix(f[1], "GOARCH=")
		}
	}
	if want["version"] == "" || want["path"] == "" {
		t.Fatalf("could not read go version -m output:\n%s", out)
	}
	var sum reality.Summary
	t.Cleanup(func() { sum.Log(t) })
	for _, c := range []string{"pristine", "patchelf-0.14", "patchelf-0.18"} {
		t.Run(c, func(t *testing.T) {
			d := t.TempDir()
			p := filepath.Join(d, "marker")
			copyFile(t, pristine, p)
			if c != "pristine" {
				pes[c](t, "--set-interpreter", reality.NixLoader(t, d), "--set-rpath", reality.NixRpath, p)
			}
			fp := identify(t, p)
			r := fp.Runtime(inspect.RuntimeGo)
			if r == nil {
				t.Fatalf("Identify(%s) = %+v (problems %+v), want Go", c, fp.Runtimes, fp.Problems)
			}
			got := map[string]string{"version": r.Version, "platform": r.Platform}
			for _, dt := range r.Details {
				if dt.Key == "path" {
					got["path"] = dt.Value
				}
			}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("Identify(%s) %s = %q, go version -m says %q", c, k, got[k], w)
				}
			}
			res, real := reality.RunCase(t, reality.Case{Name: "go/" + c, Dir: d, Path: p})
			sum.Add("go/"+c, res, real)
			if c == "pristine" && !real.Marker {
				t.Errorf("the pristine Go program did not run: %s", real)
			}
		})
	}
}

// TestRuntimeTruncated cuts a real Bun runtime after its headers, as an
// interrupted download does: runtime must say the file is truncated and
// what the missing part held, never "no runtime".
func TestRuntimeTruncated(t *testing.T) {
	b := reality.BunCompiled(t, "1.2.23", "")
	for _, cut := range []int64{4096, 64 << 10, 1 << 20} {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "bun")
			copyFile(t, b.Bun, p)
			if err := os.Truncate(p, cut); err != nil {
				t.Fatal(err)
			}
			fp := identify(t, p)
			tr := fp.Truncated
			if tr == nil || uint64(tr.Size) != uint64(cut) || len(tr.Hides) == 0 || !fp.HasProblem() {
				t.Fatalf("Identify(bun cut at %d).Truncated = %+v, want the cut and what it hides", cut, tr)
			}
			st, err := os.Stat(b.Bun)
			if err != nil {
				t.Fatal(err)
			}
			if uint64(tr.Expected) > uint64(st.Size()) || uint64(tr.Expected) <= uint64(cut) {
				t.Errorf("Truncated.Expected = 0x%x, want past the cut 0x%x and at most the real size 0x%x", uint64(tr.Expected), cut, st.Size())
			}
			hidesHeaders := false
			for _, h := range tr.Hides {
				hidesHeaders = hidesHeaders || strings.Contains(h, "section header table")
			}
			if !hidesHeaders {
				t.Errorf("Truncated.Hides = %q, want the section header table named", tr.Hides)
			}
		})
	}
}

// BenchmarkIdentifyBun14 is the library's share of `elfdoctor runtime` on
// a Bun 1.4 application: the graph is followed, not read, so the cost is
// the banner scan, 16 MB into .rodata, whatever the application's size
// (scripts/bench compares the process with grep on a 230 MB one).
func BenchmarkIdentifyBun14(b *testing.B) {
	build := reality.BunCompiled(b, "1.4.5", "")
	for b.Loop() {
		f, err := inspect.Open(build.App)
		if err != nil {
			b.Fatal(err)
		}
		if r := inspect.Identify(f).Runtime(inspect.RuntimeBun); r == nil || r.Commit == "" || r.Payload == nil || !r.Payload.Reachable {
			b.Fatalf("Identify(%s) = %+v", build.App, r)
		}
		f.Close()
	}
}
