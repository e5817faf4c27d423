package fix_test

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/fix"
	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// watcherVersion is the @parcel/watcher prebuilt the addon tests load.
// Of the prebuilt Node-API addons examined, its watcher.node needs the
// most from the library path and nothing else: libstdc++.so.6
// (GLIBCXX_3.4.22, CXXABI_1.3.9) and libgcc_s.so.1 besides glibc, so
// the GCC runtime chosen decides whether dlopen succeeds. bufferutil's
// needs only libc; sharp's finds its libvips in a second package through
// a DT_RPATH, a search fix leaves to the replay.
const watcherVersion = "2.5.6"

// parcelWatcher fetches the addon from npm's registry (scripts/fetch-npm,
// cached) and copies it where npm would install it.
func parcelWatcher(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	return npmFile(t, "@parcel/watcher-linux-x64-glibc@"+watcherVersion, "package/watcher.node",
		filepath.Join(dir, "node_modules", "@parcel", "watcher-linux-x64-glibc", "watcher.node"))
}

// npmFile copies FILE of the package spec (scripts/fetch-npm pack,
// cached) to dst and returns dst.
func npmFile(t testing.TB, spec, file, dst string) string {
	t.Helper()
	b, err := os.ReadFile(reality.NpmFile(t, spec, file))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}

// watcherScript loads the addon (argv[2]) and calls into its C++: a
// snapshot of the directory (argv[3]), a file created, and the events
// since the snapshot, which must name it. It prints damage.Marker when
// they do, and dlopen's error with exit 3 when the addon does not load.
const watcherScript = `const fs = require("fs");
let w;
try { w = require(process.argv[2]); } catch (e) { console.error("dlopen failed: " + e.message); process.exit(3); }
const dir = process.argv[3], snap = dir + ".snapshot";
w.writeSnapshot(dir, snap, {})
	.then(() => { fs.writeFileSync(dir + "/created", "x"); return w.getEventsSince(dir, snap, {}); })
	.then(ev => {
		if (ev.some(e => e.type === "create" && e.path === dir + "/created")) { console.log("` + damage.Marker + `"); }
		else { console.error("events: " + JSON.stringify(ev)); process.exit(4); }
	}, e => { console.error("watcher: " + e.message); process.exit(5); });
`

func writeScript(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "watch.js")
	if err := os.WriteFile(p, []byte(watcherScript), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPlanAddonBun plans a real Node-API addon (@parcel/watcher's
// watcher.node) for the real Bun that loads it, with stores whose first
// libstdc++.so.6 is GCC 14's, which needs GLIBC_2.38. With glibc 2.36
// only, the plan passes over it for GCC 12's; with 2.41 too, it takes
// 2.41 for Bun and the addon both (the host's glibc is the addon's); with
// GCC 14's alone there is no plan, in ld.so's words. Every plan's wrapper
// starts Bun, which loads the addon and calls into it; every refusal, and
// the naive library path of each plan, fails for real with dlopen's
// error.
func TestPlanAddonBun(t *testing.T) {
	bun := reality.BunCompiled(t, "1.3.14", "").Bun
	addon := parcelWatcher(t)
	script := writeScript(t)
	for _, tc := range []struct {
		name string
		// glibc lists the suites of the glibc packages, in the store
		// after GCC 14's runtime.
		glibc []string
		gcc12 bool // GCC 12's runtime last in the store
		// want is the suite of the loader chosen, "" for no plan.
		want string
	}{
		{"gcc12-passes-gcc14", []string{"bookworm"}, true, "bookworm"},
		{"newest-glibc-for-both", []string{"bookworm", "trixie"}, false, "trixie"},
		{"gcc14-refused", []string{"bookworm"}, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Each run creates a file in a directory of its own: the
			// addon must report it as created.
			watched := func() string { return t.TempDir() }
			s := newStore(t)
			gcc14 := s.gccLib(0, "trixie", "gcc-14.2.0-lib")
			glibc := map[string]string{}
			for i, suite := range tc.glibc {
				glibc[suite] = s.glibc(1+i, suite)
			}
			gcc12 := ""
			if tc.gcc12 {
				gcc12 = s.gccLib(1+len(tc.glibc), "bookworm", "gcc-12.2.0-lib")
			}
			p := plan(t, fix.PlanOptions{File: addon, LoadedBy: bun, LibRoots: []string{s.root}})
			g236 := glibc["bookworm"]
			// The naive choice: the store's order, GCC 14's runtime first,
			// with glibc 2.36's loader.
			naive := run(t, nil, filepath.Join(g236, ldName), "--library-path", gcc14+":"+g236, bun, script, addon, watched())
			ldWords := filepath.Join(g236, "libc.so.6") + ": version `GLIBC_2.38' not found (required by "
			if naive.Exit != 3 || !strings.Contains(naive.Stderr, "dlopen failed: "+ldWords+filepath.Join(gcc14, "libstdc++.so.6")) {
				t.Fatalf("the set-up no longer does what this case is about: Bun under glibc 2.36 with GCC 14's libstdc++: %s", naive)
			}
			if !refusedFor(p, gcc14, ldWords+"libstdc++.so.6 from "+gcc14) {
				t.Errorf("GCC 14's libstdc++ is not refused under glibc 2.36 in ld.so's words:\n%s", describe(p))
			}
			if tc.want == "" {
				if p.OK || len(p.Problems) == 0 || p.Problems[0].Code != "no-consistent-set" || !strings.Contains(p.Problems[0].Summary, "GLIBC_2.38") {
					t.Fatalf("a plan with GCC 14's runtime under glibc 2.36:\n%s", describe(p))
				}
				return
			}
			want := glibc[tc.want]
			if !p.OK || p.Loader != filepath.Join(want, ldName) || chosen(p, "libc.so.6") != filepath.Join(want, "libc.so.6") {
				t.Fatalf("plan:\n%s\nwant the loader and libc of %s", describe(p), want)
			}
			if gcc12 != "" && chosen(p, "libstdc++.so.6") != filepath.Join(gcc12, "libstdc++.so.6") {
				t.Errorf("libstdc++.so.6 = %s, want GCC 12's", chosen(p, "libstdc++.so.6"))
			}
			if p.Host == nil || p.Host.Program != bun || p.HostReplay == nil || p.HostReplay.Outcome != loader.OutcomeStarts ||
				p.Replay == nil || p.Replay.Outcome != loader.OutcomeStarts || !strings.HasSuffix(p.Command, " "+bun) {
				t.Errorf("the plan is not Bun's launch proven by both replays: host %+v, command %s\n%s", p.Host, p.Command, describe(p))
			}
			if roleOf(p, addon) != "addon" || roleOf(p, bun) != "program" {
				t.Errorf("fingerprint %+v: want the addon and Bun", p.Fingerprint)
			}
			w := filepath.Join(t.TempDir(), "bun")
			if err := fix.WriteWrapper(p, w, []string{"elfdoctor", "fix", "--wrapper", w, addon, "--loaded-by", bun}); err != nil {
				t.Fatal(err)
			}
			if r := run(t, nil, w, script, addon, watched()); r.Class != damage.Starts || !r.Marker {
				t.Fatalf("Bun through the plan's wrapper did not load the addon and call it: %s\n%s", r, describe(p))
			}
		})
	}
}

func roleOf(p *fix.Result, path string) string {
	for _, f := range p.Fingerprint {
		if f.Path == path {
			return f.Role
		}
	}
	return ""
}

// TestPlanAddonAssumedProcess: without --loaded-by, a plugin that needs
// DEMO_2.0 of libdemo.so.1 is planned for a process running this
// system's ld.so and libc. The store's first libdemo.so.1 is an older
// build without DEMO_2.0: it is refused, in ld.so's words, and the
// library path holds the newer one's directory only. A real process of
// that kind (a C program that dlopens the plugin) loads it with that
// library path, and fails with dlopen's version error with the naive one;
// the plan is printed, not written as a wrapper, since no host is named.
func TestPlanAddonAssumedProcess(t *testing.T) {
	reality.NeedTools(t, "gcc")
	dir := t.TempDir()
	gcc := func(args ...string) {
		t.Helper()
		cmd := exec.Command("gcc", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gcc %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	s := newStore(t)
	old := s.pkg(0, "libdemo-1.0")
	cur := s.pkg(1, "libdemo-2.0")
	os.WriteFile(filepath.Join(dir, "old.c"), []byte("int demo_one(void) { return 1; }\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "old.map"), []byte("DEMO_1.0 { global: demo_one; local: *; };\n"), 0o644)
	gcc("-O1", "-fPIC", "-shared", "-Wl,-soname,libdemo.so.1", "-Wl,--version-script=old.map", "-o", filepath.Join(old, "libdemo.so.1"), "old.c")
	s.copyLib(reality.RepoPath(t, "testdata/bin/libdemo.so.1"), cur)
	os.WriteFile(filepath.Join(dir, "plugin.c"), []byte("int demo_two(void);\nint plugin(void) { return demo_two(); }\n"), 0o644)
	gcc("-O1", "-fPIC", "-shared", "-o", "plugin.so", "plugin.c", reality.RepoPath(t, "testdata/bin/libdemo.so.1"))
	os.WriteFile(filepath.Join(dir, "host.c"), []byte(dlopenHost), 0o644)
	gcc("-O1", "-o", "host", "host.c")
	plugin, host := filepath.Join(dir, "plugin.so"), filepath.Join(dir, "host")

	p := plan(t, fix.PlanOptions{File: plugin, LibRoots: []string{s.root}})
	if !p.OK || chosen(p, "libdemo.so.1") != filepath.Join(cur, "libdemo.so.1") || strings.Join(p.LibraryPath, ":") != cur {
		t.Fatalf("plan:\n%s\nwant %s's libdemo.so.1 and only its directory on the path", describe(p), cur)
	}
	if !refusedFor(p, old, "version `DEMO_2.0' not found (required by "+plugin+")") {
		t.Errorf("the old libdemo.so.1 is not refused for DEMO_2.0:\n%s", describe(p))
	}
	if p.Host == nil || p.Host.Program != "" || !strings.Contains(p.Host.Assumed, "this system's ld.so") || p.Command != "" || p.Replay == nil || p.Replay.Outcome != loader.OutcomeStarts {
		t.Errorf("the plan does not say which process it assumes: host %+v, command %q\n%s", p.Host, p.Command, describe(p))
	}
	if err := fix.WriteWrapper(p, filepath.Join(dir, "w"), nil); !errors.Is(err, fix.ErrNoHost) {
		t.Errorf("WriteWrapper without a host: %v, want ErrNoHost", err)
	}
	env := func(dirs ...string) []string { return []string{"LD_LIBRARY_PATH=" + strings.Join(dirs, ":")} }
	if r := run(t, env(p.LibraryPath...), host, plugin); r.Class != damage.Starts || !r.Marker {
		t.Errorf("dlopen with the plan's library path: %s", r)
	}
	if r := run(t, nil, "/lib64/ld-linux-x86-64.so.2", "--library-path", strings.Join(p.LibraryPath, ":"), host, plugin); r.Class != damage.Starts || !r.Marker {
		t.Errorf("dlopen from a host started as the plan's note says: %s", r)
	}
	if r := run(t, env(old, cur), host, plugin); r.Marker || !strings.Contains(r.Stderr, "version `DEMO_2.0' not found (required by "+plugin+")") {
		t.Errorf("dlopen with the old libdemo.so.1 first: %s; want dlopen's version error", r)
	}
}

// dlopenHost loads argv[1] with dlopen, as Node.js loads an addon, and
// prints dlerror() when it fails.
const dlopenHost = `#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
	void *h = dlopen(argv[1], RTLD_NOW);
	if (!h) { fprintf(stderr, "%s\n", dlerror()); return 1; }
	puts("` + damage.Marker + `"); fflush(stdout); return 0;
}
`

// TestPlanAddonWrongHost: a 64-bit program cannot dlopen a 32-bit
// library. The plan says so and makes none; the real host fails with
// dlopen's wrong-class error.
func TestPlanAddonWrongHost(t *testing.T) {
	reality.NeedTools(t, "gcc")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "host.c"), []byte(dlopenHost), 0o644)
	os.WriteFile(filepath.Join(dir, "lib.c"), []byte("int lib(void) { return 1; }\n"), 0o644)
	host, lib := filepath.Join(dir, "host"), filepath.Join(dir, "lib32.so")
	for _, args := range [][]string{{"-O1", "-o", host, "host.c"}, {"-m32", "-O1", "-fPIC", "-shared", "-o", lib, "lib.c"}} {
		cmd := exec.Command("gcc", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gcc %s (gcc -m32 needs gcc-multilib, scripts/install-test-deps): %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	p := plan(t, fix.PlanOptions{File: lib, LoadedBy: host, LibRoots: []string{dir}})
	if p.OK || len(p.Problems) != 1 || p.Problems[0].Code != "wrong-host" || !strings.Contains(p.Problems[0].Summary, "ELFCLASS32") {
		t.Fatalf("plan for a 32-bit library in a 64-bit process:\n%s", describe(p))
	}
	if r := run(t, nil, host, lib); r.Marker || !strings.Contains(r.Stderr, "wrong ELF class: ELFCLASS32") {
		t.Errorf("the host: %s; want dlopen's wrong ELF class", r)
	}
}

// TestPlanLoadedByProgram: --loaded-by is for a library; a program with
// it is an error, and so is a library with --loader but no host.
func TestPlanLoadedByProgram(t *testing.T) {
	bin := func(f string) string { return reality.RepoPath(t, "testdata/bin/"+f) }
	_, err := fix.Plan(t.Context(), fix.PlanOptions{File: bin("uses-libdemo"), LoadedBy: bin("gcc-pie"), LibRoots: []string{t.TempDir()}})
	if !errors.Is(err, fix.ErrLoadedByProgram) {
		t.Errorf("a program with LoadedBy: %v, want ErrLoadedByProgram", err)
	}
	_, err = fix.Plan(t.Context(), fix.PlanOptions{File: bin("libdemo.so.1"), Loader: "/lib64/ld-linux-x86-64.so.2", LibRoots: []string{t.TempDir()}})
	if !errors.Is(err, fix.ErrLoaderNeedsHost) {
		t.Errorf("a library with Loader and no host: %v, want ErrLoaderNeedsHost", err)
	}
	_, err = fix.Plan(t.Context(), fix.PlanOptions{File: bin("libdemo.so.1"), LoadedBy: bin("libdemo.so"), LibRoots: []string{t.TempDir()}})
	if !errors.Is(err, fix.ErrHostNotDynamic) {
		t.Errorf("a host that is a library: %v, want ErrHostNotDynamic", err)
	}
	_, err = fix.Plan(t.Context(), fix.PlanOptions{File: bin("gcc-static-pie"), LibRoots: []string{t.TempDir()}})
	if !errors.Is(err, fix.ErrNotDynamic) {
		t.Errorf("a static PIE: %v, want ErrNotDynamic (a PIE is not dlopen'ed)", err)
	}
}

// TestPlanAddonSharpRpath: sharp's addon finds its libvips through a
// DT_RPATH ($ORIGIN/../../sharp-libvips-linux-x64/lib, the package npm
// installs beside it), which ld.so searches before the library path and
// takes whatever it finds there: the plan takes that file, keeps its
// folder off the path, and chooses for libvips' own needs (libstdc++
// with GLIBCXX_3.4.22, libresolv) among the store's, passing over GCC
// 14's runtime for glibc 2.36. Bun, started by the wrapper, loads sharp
// and asks libvips its version and formats; with GCC 14's first, dlopen
// fails for real.
func TestPlanAddonSharpRpath(t *testing.T) {
	bun := reality.BunCompiled(t, "1.3.14", "").Bun
	nm := filepath.Join(t.TempDir(), "node_modules", "@img")
	addon := npmFile(t, "@img/sharp-linux-x64@0.35.6", "package/lib/sharp-linux-x64-0.35.6.node",
		filepath.Join(nm, "sharp-linux-x64", "lib", "sharp-linux-x64-0.35.6.node"))
	vips := npmFile(t, "@img/sharp-libvips-linux-x64@1.3.5", "package/lib/libvips-cpp.so.8.18.8",
		filepath.Join(nm, "sharp-libvips-linux-x64", "lib", "libvips-cpp.so.8.18.8"))
	s := newStore(t)
	gcc14 := s.gccLib(0, "trixie", "gcc-14.2.0-lib")
	glibc := s.glibc(1, "bookworm")
	gcc12 := s.gccLib(2, "bookworm", "gcc-12.2.0-lib")
	script := filepath.Join(t.TempDir(), "sharp.js")
	if err := os.WriteFile(script, []byte(`let s;
try { s = require(process.argv[2]); } catch (e) { console.error("dlopen failed: " + e.message); process.exit(3); }
const v = s.libvipsVersion(), f = s.format();
if (v.semver === "8.18.8" && f.jpeg && f.png) { console.log("`+damage.Marker+`"); } else { console.error(JSON.stringify(v)); process.exit(4); }
`), 0o644); err != nil {
		t.Fatal(err)
	}

	p := plan(t, fix.PlanOptions{File: addon, LoadedBy: bun, LibRoots: []string{s.root}})
	if !p.OK || chosen(p, "libvips-cpp.so.8.18.8") != vips || chosen(p, "libstdc++.so.6") != filepath.Join(gcc12, "libstdc++.so.6") || contains(p.LibraryPath, filepath.Dir(vips)) {
		t.Fatalf("plan:\n%s\nwant libvips from the addon's RPATH, off the path, and GCC 12's libstdc++", describe(p))
	}
	for _, l := range p.Libraries {
		if l.Name == "libvips-cpp.so.8.18.8" && l.Via != "RPATH of "+addon {
			t.Errorf("libvips via %q, want the addon's RPATH", l.Via)
		}
	}
	if !refusedFor(p, gcc14, "version `GLIBC_2.38' not found (required by libstdc++.so.6 from "+gcc14) {
		t.Errorf("GCC 14's libstdc++ is not refused for GLIBC_2.38:\n%s", describe(p))
	}
	w := filepath.Join(t.TempDir(), "bun")
	if err := fix.WriteWrapper(p, w, nil); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, w, script, addon); r.Class != damage.Starts || !r.Marker {
		t.Fatalf("Bun through the plan's wrapper did not load sharp and call libvips: %s\n%s", r, describe(p))
	}
	naive := run(t, nil, filepath.Join(glibc, ldName), "--library-path", gcc14+":"+glibc, bun, script, addon)
	if naive.Exit != 3 || !strings.Contains(naive.Stderr, "version `GLIBC_2.38' not found (required by "+filepath.Join(gcc14, "libstdc++.so.6")) {
		t.Errorf("Bun under glibc 2.36 with GCC 14's libstdc++ first: %s; want dlopen's version error", naive)
	}
}

// TestPlanAddonNode: Node.js already has libstdc++.so.6 loaded when it
// loads the addon, so the addon gets Node's: it must meet the addon's
// GLIBCXX_3.4.22 too. The store's first libstdc++ is a GCC 5-era runtime
// (GLIBCXX_3.4.21 at most; no release the machines reach ships one, so
// bullseye's stands in with its GLIBCXX_3.4.22 definition renamed),
// enough for Node alone: a plan for Node takes it. The addon's plan
// passes over it, in ld.so's words, for GCC 10's; Node, started by the
// wrapper, loads the addon and calls it. With the old runtime Node
// really starts, and its dlopen of the addon fails.
func TestPlanAddonNode(t *testing.T) {
	reality.NeedTools(t, "node")
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal(err)
	}
	addon := parcelWatcher(t)
	script := writeScript(t)
	s := newStore(t)
	gcc5 := s.pkg(0, "gcc-5.4.0-lib")
	b := reality.MustRead(t, filepath.Join(multiarch(debian(t, "bullseye")), "libstdc++.so.6"))
	if err := renameVerdef(b, "GLIBCXX_3.4.22", "GLIBCXX_9.9.22"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(gcc5, "libstdc++.so.6"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	s.copyLib(filepath.Join(multiarch(debian(t, "bullseye")), "libgcc_s.so.1"), gcc5)
	g231 := s.glibc(1, "bullseye")
	gcc10 := s.gccLib(2, "bullseye", "gcc-10.2.1-lib")

	alone := plan(t, fix.PlanOptions{File: node, LibRoots: []string{s.root}})
	if !alone.OK || chosen(alone, "libstdc++.so.6") != filepath.Join(gcc5, "libstdc++.so.6") {
		t.Fatalf("the plan for Node alone does not take the old runtime, so this case shows nothing:\n%s", describe(alone))
	}
	p := plan(t, fix.PlanOptions{File: addon, LoadedBy: node, LibRoots: []string{s.root}})
	if !p.OK || p.Loader != filepath.Join(g231, ldName) || chosen(p, "libstdc++.so.6") != filepath.Join(gcc10, "libstdc++.so.6") {
		t.Fatalf("plan:\n%s\nwant glibc 2.31 and GCC 10's libstdc++", describe(p))
	}
	for _, l := range p.Libraries {
		if l.Name == "libstdc++.so.6" && l.NeededBy != node {
			t.Errorf("libstdc++.so.6 needed by %s, want Node: it is in the process before the addon", l.NeededBy)
		}
	}
	if !refusedFor(p, gcc5, "version `GLIBCXX_3.4.22' not found (required by "+addon+")") {
		t.Errorf("the old libstdc++ is not refused for the addon's GLIBCXX_3.4.22:\n%s", describe(p))
	}
	w := filepath.Join(t.TempDir(), "node")
	if err := fix.WriteWrapper(p, w, nil); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, w, script, addon, t.TempDir()); r.Class != damage.Starts || !r.Marker {
		t.Fatalf("Node through the plan's wrapper did not load the addon and call it: %s\n%s", r, describe(p))
	}
	naive := []string{filepath.Join(g231, ldName), "--library-path", strings.Join(alone.LibraryPath, ":"), node}
	if r := run(t, nil, append(naive, "-e", "console.log('"+damage.Marker+"')")...); r.Class != damage.Starts || !r.Marker {
		t.Fatalf("Node alone under its own plan: %s", r)
	}
	r := run(t, nil, append(naive, script, addon, t.TempDir())...)
	if r.Exit != 3 || !strings.Contains(r.Stderr, filepath.Join(gcc5, "libstdc++.so.6")+": version `GLIBCXX_3.4.22' not found (required by "+addon+")") {
		t.Errorf("Node with the old runtime loading the addon: %s; want dlopen's version error", r)
	}
}

// renameVerdef renames a version a library defines, in place in its
// .dynstr: the definition's vd_hash stays the old name's, so ld.so's
// match_symbol, which compares hash and name, finds it no more.
func renameVerdef(b []byte, from, to string) error {
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return err
	}
	sec := f.Section(".dynstr")
	if sec == nil || sec.Offset+sec.Size > uint64(len(b)) {
		return errors.New("no .dynstr")
	}
	str := b[sec.Offset : sec.Offset+sec.Size]
	old := []byte("\x00" + from + "\x00")
	if bytes.Count(str, old) != 1 {
		return fmt.Errorf("%s is in .dynstr %d times, want once", from, bytes.Count(str, old))
	}
	copy(str[bytes.Index(str, old)+1:], to)
	return nil
}
