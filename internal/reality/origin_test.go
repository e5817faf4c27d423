package reality

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
)

// TestLoaderOriginSymlink runs a program whose RUNPATH is $ORIGIN, the
// library beside it, through a symlink in another directory: started
// by the kernel (whose /proc/self/exe resolves the link) and as its
// loader's command, the way fix's wrappers and nix-ld-less NixOS users
// start one. Before glibc 2.42 ld.so run as a command takes $ORIGIN
// from the path it was given, as text, and does not find the library
// beside the real file; 2.42 resolves the path first (BZ 25263). check
// resolved it for every release.
func TestLoaderOriginSymlink(t *testing.T) {
	f := setup(t)
	in, ok := f.input("uses-libdemo")
	if !ok {
		t.Fatal("no uses-libdemo input")
	}
	if r := f.bytes[in.Path]; !strings.Contains(string(r), "$ORIGIN") {
		t.Fatal("the set-up no longer does what this test is about: uses-libdemo has no $ORIGIN")
	}
	// The same program asking for a version libdemo lacks: where the
	// library is found, ld.so names the program in "(required by ...)"
	// by the path it was given, 2.43 too (its l_name; only l_origin is
	// resolved), and the prediction must say the same.
	renamed := []byte(strings.Replace(string(f.bytes[in.Path]), "DEMO_2.0", "DEMO_9.0", 1))
	if string(renamed) == string(f.bytes[in.Path]) {
		t.Fatal("the set-up no longer does what this test is about: uses-libdemo does not name DEMO_2.0")
	}
	const ld = "/lib64/ld-linux-x86-64.so.2"
	for _, root := range f.Roots {
		for _, tc := range []struct {
			viaLoader bool
			prog      []byte
			what      string
		}{{false, f.bytes[in.Path], "executed"}, {true, f.bytes[in.Path], "as-loader-command"}, {true, renamed, "as-loader-command-version-missing"}} {
			viaLoader := tc.viaLoader
			name := fmt.Sprintf("%s/%s", root, tc.what)
			t.Run(name, func(t *testing.T) {
				base := fmt.Sprintf("/c/origin-%d", f.n.Add(1))
				host := filepath.Join(root.Root, base)
				defer os.RemoveAll(host)
				for _, d := range []string{"real", "link"} {
					if err := os.MkdirAll(filepath.Join(host, d), 0o755); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.WriteFile(filepath.Join(host, "real", in.Name), tc.prog, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(host, "real", in.LibName), f.bytes[in.Lib], 0o755); err != nil {
					t.Fatal(err)
				}
				// Relative, so that it resolves alike on the host and
				// inside the root.
				if err := os.Symlink(path.Join("..", "real", in.Name), filepath.Join(host, "link", "prog")); err != nil {
					t.Fatal(err)
				}
				rel := path.Join(base, "link")
				opts := loader.CheckOptions{Root: root.Root, Dir: rel, Executed: true, Getenv: NoEnv}
				lim := Limits{Timeout: Timeout, Output: 4096}
				run := path.Join(rel, "prog")
				if viaLoader {
					opts.Loader = filepath.Join(root.Root, ld)
					lim.Args = []string{run}
					run = ld
				}
				pred, err := loader.Check(filepath.Join(host, "link", "prog"), opts)
				if err != nil {
					t.Fatal(err)
				}
				obs, err := Observe(t.Context(), root.Root, rel, run, lim)
				if err != nil {
					t.Fatal(err)
				}
				pred = inChroot(pred, root.Root)
				if div := Compare(pred, obs); div != "" {
					t.Errorf("%s\n%s", div, Describe(pred))
				}
				if fatal := pred.Fatal(); fatal != nil && strings.Contains(obs.Stderr, "required by ") {
					by := obs.Stderr[strings.Index(obs.Stderr, "required by "):]
					by = strings.TrimSpace(by)
					if !strings.Contains(fatal.Message, by) {
						t.Errorf("ld.so says %q, the prediction %q", by, fatal.Message)
					}
				}
				t.Logf("%s: predicted %s, really %s", name, pred.Outcome, obs)
			})
		}
	}
}
