package reality

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/damage"
)

// TestInitfiniOrder compares the order in which check relocates objects
// and calls their initialisers (its trace's "relocation processing:" and
// "calling init:" lines) with the order the real ld.so prints under
// LD_DEBUG=libs,reloc, under every glibc build. The orders come from
// l_initfini, the search list sorted by dependencies: glibc 2.31 sorts
// with _dl_sort_maps_original, 2.35 and later depth-first, and the two
// disagree on cycles. The graphs are made by real tools: the libraries
// are built with the sysroot's gcc and their dependencies added with
// patchelf --add-needed, which puts a new DT_NEEDED first.
func TestInitfiniOrder(t *testing.T) {
	f := setup(t)
	need(t, "patchelf")
	dir := t.TempDir()
	gcc := sysrootGCC(t)
	libs := []string{"liba.so", "libb.so", "libc3.so", "libd.so", "libtop.so"}
	for _, l := range libs {
		name := strings.TrimSuffix(strings.TrimPrefix(l, "lib"), ".so")
		src := fmt.Sprintf("#include <unistd.h>\n__attribute__((constructor)) static void init_%s(void) { write(1, \"%s\\n\", %d); }\nint %s_value(void) { return 1; }\n", name, name, len(name)+1, name)
		if err := os.WriteFile(filepath.Join(dir, name+".c"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := run(t.Context(), dir, append(append([]string(nil), gcc...), "-shared", "-fPIC", "-O2", "-Wl,-soname,"+l, "-Wl,-rpath,$ORIGIN", "-o", l, name+".c")...); err != nil {
			t.Fatal(err)
		}
	}
	var host []byte
	for _, in := range f.Inputs {
		if in.DlopenHost != "" {
			host = MustRead(t, in.DlopenHost)
			break
		}
	}
	if host == nil {
		t.Fatal("no fuzz input has a dlopen host")
	}
	main := "#include <stdio.h>\nint main(void) { puts(\"" + damage.Marker + "\"); fflush(stdout); return 0; }\n"
	if err := os.WriteFile(filepath.Join(dir, "main.c"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(t.Context(), dir, append(append([]string(nil), gcc...), "-O2", "-o", "prog", "main.c", "-Wl,-rpath,$ORIGIN")...); err != nil {
		t.Fatal(err)
	}
	// Each graph: a file and the names patchelf adds to its DT_NEEDED,
	// in the order given (each one first when added).
	graphs := []struct {
		name  string
		edges map[string][]string
	}{
		// The program needs liba, then libb, which needs liba: load
		// order has liba before libb, l_initfini after it.
		{"reorder", map[string][]string{"prog": {"libb.so", "liba.so"}, "libb.so": {"liba.so"}}},
		// A cycle of three, entered from two of its members.
		{"cycle", map[string][]string{"prog": {"liba.so", "libc3.so"}, "liba.so": {"libb.so"}, "libb.so": {"libc3.so"}, "libc3.so": {"liba.so"}}},
		// Two libraries that need each other, and a third that needs
		// both and is needed last.
		{"mutual", map[string][]string{"prog": {"libd.so", "libb.so", "liba.so"}, "liba.so": {"libb.so"}, "libb.so": {"liba.so"}, "libd.so": {"libb.so", "liba.so"}}},
	}
	for _, g := range graphs {
		files := map[string][]byte{}
		gdir := filepath.Join(dir, g.name)
		if err := os.MkdirAll(gdir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, file := range append([]string{"prog"}, libs...) {
			b := MustRead(t, filepath.Join(dir, file))
			if err := os.WriteFile(filepath.Join(gdir, file), b, 0o755); err != nil {
				t.Fatal(err)
			}
			edges := g.edges[file]
			if file == "libtop.so" {
				edges = g.edges["prog"] // what dlopen loads it with
			}
			for _, n := range edges {
				if err := run(t.Context(), gdir, "patchelf", "--add-needed", n, file); err != nil {
					t.Fatal(err)
				}
			}
			files[file] = MustRead(t, filepath.Join(gdir, file))
		}
		for _, root := range f.Roots {
			t.Run("dlopen/"+g.name+"/"+root.String(), func(t *testing.T) {
				rel := "/c/initfini-dlopen-" + g.name
				cdir := writeFiles(t, root, rel, files)
				if err := os.WriteFile(filepath.Join(cdir, "dlopen-host"), host, 0o755); err != nil {
					t.Fatal(err)
				}
				pred, err := loader.Check(filepath.Join(cdir, "libtop.so"), loader.CheckOptions{Root: root.Root, Dir: rel, LoadedBy: filepath.Join(cdir, "dlopen-host"), Trace: true, Getenv: NoEnv})
				if err != nil {
					t.Fatal(err)
				}
				obs, err := Observe(t.Context(), root.Root, rel, rel+"/dlopen-host", Limits{Timeout: 10 * time.Second, Output: 256 << 10, Env: []string{"LD_DEBUG=libs,reloc"}, Args: []string{rel + "/libtop.so"}})
				if err != nil {
					t.Fatal(err)
				}
				if d := Compare(inChroot(pred, root.Root), obs); d != "" || !obs.Main {
					t.Fatalf("the pristine graph does not load as predicted: %s (%s)", d, obs)
				}
				// Only the case's own objects: the host's start-up comes
				// first in LD_DEBUG's output.
				want := slices.DeleteFunc(walkLines(strings.Split(obs.Stderr, "\n"), rel+"/"), func(s string) bool {
					return strings.HasSuffix(s, "/dlopen-host (lazy)") || strings.HasSuffix(s, "/dlopen-host")
				})
				got := walkLines(pred.Trace, root.Root+rel+"/")
				for i := range got {
					got[i] = strings.ReplaceAll(got[i], root.Root, "")
				}
				if !slices.Equal(got, want) {
					t.Errorf("check's order differs from ld.so's under dlopen\ncheck:\n  %s\nld.so:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
				}
			})
			t.Run(g.name+"/"+root.String(), func(t *testing.T) {
				rel := "/c/initfini-" + g.name
				cdir := writeFiles(t, root, rel, files)
				pred, err := loader.Check(filepath.Join(cdir, "prog"), loader.CheckOptions{Root: root.Root, Dir: rel, Executed: true, Trace: true, Getenv: NoEnv})
				if err != nil {
					t.Fatal(err)
				}
				obs, err := Observe(t.Context(), root.Root, rel, rel+"/prog", Limits{Timeout: 10 * time.Second, Output: 256 << 10, Env: []string{"LD_DEBUG=libs,reloc"}})
				if err != nil {
					t.Fatal(err)
				}
				if d := Compare(inChroot(pred, root.Root), obs); d != "" || !obs.Main {
					t.Fatalf("the pristine graph does not start as predicted: %s (%s)", d, obs)
				}
				var want []string
				for _, line := range strings.Split(obs.Stderr, "\n") {
					if _, s, ok := strings.Cut(line, "relocation processing: "); ok {
						want = append(want, "relocation processing: "+s)
					} else if _, s, ok := strings.Cut(line, "calling init: "); ok {
						want = append(want, "calling init: "+s)
					}
				}
				// ld.so relocates itself again, and calls its own
				// initialiser, outside the walk check replays.
				want = slices.DeleteFunc(want, func(s string) bool { return strings.Contains(s, "/ld-linux-x86-64.so.2") })
				var got []string
				for _, line := range pred.Trace {
					if strings.HasPrefix(line, "relocation processing: ") || strings.HasPrefix(line, "calling init: ") {
						got = append(got, strings.ReplaceAll(line, root.Root, ""))
					}
				}
				if !slices.ContainsFunc(want, func(s string) bool { return strings.HasPrefix(s, "relocation processing: "+rel+"/prog") }) {
					t.Fatalf("LD_DEBUG=reloc printed no line for the program: %q", want)
				}
				if !slices.Equal(got, want) {
					t.Errorf("check's order differs from ld.so's\ncheck:\n  %s\nld.so:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
				}
				// The constructors' own output says the same.
				var ran []string
				for _, line := range strings.Split(obs.Stdout, "\n") {
					if line == damage.Marker {
						break
					}
					ran = append(ran, "calling init: "+rel+"/lib"+line+".so")
				}
				var inits []string
				for _, s := range want {
					if strings.HasPrefix(s, "calling init: "+rel+"/") {
						inits = append(inits, s)
					}
				}
				if !slices.Equal(ran, inits) {
					t.Errorf("the constructors ran as %q, LD_DEBUG said %q", ran, inits)
				}
			})
		}
	}
}

// walkLines picks, in order, the "relocation processing:" and "calling
// init:" lines of LD_DEBUG's output or check's trace that name a path
// starting with prefix.
func walkLines(lines []string, prefix string) []string {
	var out []string
	for _, line := range lines {
		for _, tag := range []string{"relocation processing: ", "calling init: "} {
			if _, s, ok := strings.Cut(line, tag); ok && strings.HasPrefix(s, prefix) {
				out = append(out, tag+s)
			}
		}
	}
	return out
}

// writeFiles writes files into the directory rel of root, removed when
// the test ends, and returns its host path.
func writeFiles(t *testing.T, root *WorkRoot, rel string, files map[string][]byte) string {
	t.Helper()
	dir := filepath.Join(root.Root, rel)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
