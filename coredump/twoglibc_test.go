package coredump

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// TestDebugDirsTwoGlibcs: two debug-file directories holding different
// glibc builds' debug files, the host's (Debian bookworm's libc6-dbg,
// glibc 2.36, in /usr/lib/debug) and trixie's (libc6-dbg 2.41, unpacked
// from apt's mirror beside trixie's libc6), serve two real cores in one
// run: one of a program run under the host's glibc, one of the same
// program run under trixie's ld.so and libc. Whatever the order of the
// directories, and whether they are given colon-separated or repeated,
// each core's libc and ld.so frames are named from the debug file of its
// own build, found by build-id, and agree with gdb given the same
// debug-file-directory. With one directory left out, the other build's
// frames lose the names only its debug files hold.
func TestDebugDirsTwoGlibcs(t *testing.T) {
	needLoaderSymbols(t)
	needTool(t, "gdb")
	trixie := reality.RootWithDebug(t, "trixie")
	const hostDebug = "/usr/lib/debug"
	trixieDebug := trixie.DebugDir()

	dir := t.TempDir()
	compile(t, "gcc", "libabort.c", dir, "libinit.so", "-O1", "-shared", "-fPIC")
	exe := compile(t, "gcc", "useinit.c", dir, "useinit", "-O1", "-L"+dir, "-linit", "-Wl,-rpath,$ORIGIN")

	type build struct {
		name       string
		core, exe  string // exe is what gdb is given: the process's executable
		debugDir   string
		libc, ldso string // the files the process loaded
	}
	hostLd, err := filepath.EvalSymlinks("/lib64/ld-linux-x86-64.so.2")
	if err != nil {
		t.Fatal(err)
	}
	host := build{name: "host", core: makeCore(t, mkdir(t, dir, "host"), exe), exe: exe,
		debugDir: hostDebug, libc: libcPath(t), ldso: hostLd}
	// trixie's loader run as a program, as one runs a program under
	// another glibc without installing it.
	tld := filepath.Join(trixie.Root, "lib64", "ld-linux-x86-64.so.2")
	tlib := filepath.Join(trixie.Root, "lib", "x86_64-linux-gnu")
	tcore := makeCoreEnv(t, mkdir(t, dir, "trixie"), tld, nil, "--library-path", tlib, exe)
	other := build{name: "trixie", core: tcore, exe: tld, debugDir: trixieDebug,
		libc: mustEval(t, filepath.Join(tlib, "libc.so.6")), ldso: mustEval(t, tld)}

	// The two builds differ in every file this test looks up.
	for _, f := range [][2]string{{host.libc, other.libc}, {host.ldso, other.ldso}} {
		a, b := fileBuildID(f[0]), fileBuildID(f[1])
		if a == "" || b == "" || a == b {
			t.Fatalf("build-ids %q (%s) and %q (%s): want two different builds", a, f[0], b, f[1])
		}
	}

	for _, tc := range []struct {
		name string
		dirs []string
		has  map[string]bool // the build whose debug files are reachable
	}{
		{"A:B", []string{hostDebug + ":" + trixieDebug}, map[string]bool{"host": true, "trixie": true}},
		{"B:A", []string{trixieDebug + ":" + hostDebug}, map[string]bool{"host": true, "trixie": true}},
		{"A then B", []string{hostDebug, trixieDebug}, map[string]bool{"host": true, "trixie": true}},
		{"B then A", []string{trixieDebug, hostDebug}, map[string]bool{"host": true, "trixie": true}},
		{"only A", []string{hostDebug}, map[string]bool{"host": true}},
		{"only B", []string{trixieDebug}, map[string]bool{"trixie": true}},
	} {
		for _, b := range []build{host, other} {
			t.Run(tc.name+"/"+b.name, func(t *testing.T) {
				a, err := Analyze(context.Background(), b.core, Options{NoCheck: true, DebugDirs: tc.dirs, CacheDir: t.TempDir(), Getenv: func(string) string { return "" }})
				if err != nil {
					t.Fatal(err)
				}
				checkDebugSources(t, a, b.libc, b.ldso, b.debugDir, tc.has[b.name])
				if !tc.has[b.name] {
					return
				}
				gdb := gdbBacktraceWith(t, b.exe, b.core, "set debug-file-directory "+strings.Join(tc.dirs, ":"))
				ours := ourNames(a)
				if !slices.Contains(ours, "_dl_start_user") || len(gdb) < len(ours) {
					t.Fatalf("elfdoctor %v, gdb %v: want both down to _dl_start_user", ours, gdb)
				}
				for i := range ours {
					if g, o := normalise(gdb[i]), normalise(ours[i]); g != o {
						t.Errorf("frame %d: gdb says %s, elfdoctor %s", i, g, o)
					}
				}
			})
		}
	}
}

// checkDebugSources requires libc's and ld.so's modules to take their
// names from the debug file whose build-id is the file's, under debugDir,
// and every frame in them named from a file to be named from that one,
// when found is set; otherwise from no debug file, and without the static
// functions only a debug file names. (Inlined and tail-call frames come
// from the same module's DWARF and say so instead of a path.)
func checkDebugSources(t *testing.T, a *Analysis, libc, ldso, debugDir string, found bool) {
	t.Helper()
	want := map[string]string{}
	for _, f := range []string{libc, ldso} {
		id := fileBuildID(f)
		want[f] = filepath.Join(debugDir, ".build-id", id[:2], id[2:]+".debug")
	}
	realPath := func(p string) string {
		r, err := filepath.EvalSymlinks(p)
		if err != nil {
			return p
		}
		return r
	}
	modules := 0
	for _, m := range a.Modules {
		debug, ok := want[realPath(m.Path)]
		if !ok {
			continue
		}
		modules++
		hasDebug := slices.ContainsFunc(m.Symbols, func(s string) bool { return strings.HasSuffix(s, ".debug") })
		if found && !slices.Contains(m.Symbols, debug) || !found && hasDebug {
			t.Errorf("%s: names from %q, want the debug file %s = %v", m.Path, m.Symbols, debug, found)
		}
	}
	if modules != 2 {
		t.Errorf("%d of libc and ld.so among the modules, want both", modules)
	}
	fromDebug := map[string]bool{}
	for _, f := range a.Threads[0].Frames {
		debug, ok := want[realPath(f.Module)]
		if !ok || !strings.HasPrefix(f.From, "/") {
			continue
		}
		if f.From != debug {
			t.Errorf("%s in %s named from %q, want %s", f.Function, f.Module, f.From, debug)
		}
		fromDebug[realPath(f.Module)] = true
	}
	if found && len(fromDebug) != 2 {
		t.Errorf("frames named from a debug file in %d of libc and ld.so, want both: %s", len(fromDebug), describe(a.Threads[0].Frames))
	}
	got := strings.Join(functions(a.Threads[0].Frames), " ")
	for _, static := range []string{"__pthread_kill_implementation", "call_init"} {
		if has := strings.Contains(got, static); has != found {
			t.Errorf("%s named = %v, want %v: frames %s", static, has, found, got)
		}
	}
}

func mkdir(t *testing.T, parent, name string) string {
	t.Helper()
	d := filepath.Join(parent, name)
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

func mustEval(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
