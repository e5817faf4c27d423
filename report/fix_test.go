package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/fix"
	"github.com/elfdoctor/elfdoctor/inspect/loader"
)

// TestFixRendersEveryFormat: a refused plan and a plan that holds, in
// every format; JSON keeps the lists the schema promises as arrays, and
// text from the file (a path with an escape sequence) is escaped.
func TestFixRendersEveryFormat(t *testing.T) {
	refused := &fix.Result{File: "app\x1b[31m", LibRoots: []string{"/nix/store"}, LibraryPath: []string{}, Libraries: []fix.Library{},
		Refused:  []fix.Refusal{{Name: "libc.so.6", Path: "/nix/store/x-glibc-2.36/lib/libc.so.6", Reason: "version `GLIBC_2.38' not found (required by libstdc++.so.6 from /nix/store/y/lib/libstdc++.so.6)"}},
		Problems: []fix.Problem{{Code: "no-consistent-set", Summary: "no consistent set of libraries"}}, Fingerprint: []fix.Fingerprint{}}
	holds := &fix.Result{File: "app", OK: true, Loader: "/nix/store/x-glibc/lib/ld-linux-x86-64.so.2", LibraryPath: []string{"/nix/store/x-glibc/lib"},
		Libraries: []fix.Library{{Name: "libc.so.6", Path: "/nix/store/x-glibc/lib/libc.so.6", NeededBy: "app", Versions: []string{"GLIBC_2.34"}}},
		Refused:   []fix.Refusal{}, Problems: []fix.Problem{},
		Fingerprint: []fix.Fingerprint{{Role: "program", Path: "/app", Size: 10}, {Role: "loader", Path: "/nix/store/x-glibc/lib/ld-linux-x86-64.so.2", Size: 20, SHA256: "ab"}},
		NixLD:       &fix.NixLD{NixLD: "/l", NixLDLibraryPath: "/d", Command: "NIX_LD=/l NIX_LD_LIBRARY_PATH=/d /app", Applies: true},
		Command:     "/l --library-path /d /app"}
	for _, p := range []*fix.Result{refused, holds} {
		for _, f := range Formats {
			var b bytes.Buffer
			if err := Fix(&b, p, FixView{NixLD: true}, Options{Format: f}); err != nil {
				t.Fatalf("Fix(%s, ok=%v): %v", f, p.OK, err)
			}
			out := b.String()
			if strings.Contains(out, "\x1b[31m") {
				t.Errorf("Fix(%s): the escape sequence from the path reached the output", f)
			}
			if f == JSON {
				var env struct {
					SchemaVersion int            `json:"schema_version"`
					Command       string         `json:"command"`
					Result        map[string]any `json:"result"`
				}
				if err := json.Unmarshal(b.Bytes(), &env); err != nil || env.SchemaVersion != SchemaVersion || env.Command != "fix" {
					t.Fatalf("Fix JSON: %v %+v", err, env)
				}
				for _, k := range []string{"library_path", "libraries", "refused", "problems", "fingerprint"} {
					if _, ok := env.Result[k].([]any); !ok {
						t.Errorf("Fix JSON: %s is %v, want an array", k, env.Result[k])
					}
				}
				continue
			}
			want := "GLIBC_2.38"
			if p.OK {
				want = "NIX_LD_LIBRARY_PATH"
			}
			if !strings.Contains(out, want) {
				t.Errorf("Fix(%s, ok=%v) lacks %q:\n%s", f, p.OK, want, out)
			}
		}
	}
}

// TestFixRendersAddon: an addon's plan names the process it loads into,
// the host's launch or the process assumed, and both replays; a refused
// one says it cannot be loaded, not started.
func TestFixRendersAddon(t *testing.T) {
	replay := &fix.Replay{Outcome: "starts", Findings: []loader.Finding{}}
	base := func() *fix.Result {
		return &fix.Result{File: "watcher.node", OK: true, Loader: "/s/glibc/lib/ld-linux-x86-64.so.2", LibraryPath: []string{"/s/glibc/lib", "/s/gcc/lib"},
			Libraries: []fix.Library{}, Refused: []fix.Refusal{}, Problems: []fix.Problem{}, Replay: replay,
			Fingerprint: []fix.Fingerprint{{Role: "program", Path: "/bin/bun", Size: 1}, {Role: "addon", Path: "/m/watcher.node", Size: 2, SHA256: "cd"}}}
	}
	hosted := base()
	hosted.Host, hosted.HostReplay = &fix.Host{Program: "bun\x1b[31m"}, replay
	hosted.Command = "/s/glibc/lib/ld-linux-x86-64.so.2 --library-path /s/glibc/lib:/s/gcc/lib /bin/bun"
	assumed := base()
	assumed.Loader, assumed.LibraryPath = "/lib64/ld-linux-x86-64.so.2", []string{}
	assumed.Host = &fix.Host{Assumed: "a process running this system's ld.so (/lib64/ld-linux-x86-64.so.2) and its libc"}
	refused := base()
	refused.OK, refused.Loader, refused.Replay = false, "", nil
	refused.Host = &fix.Host{Program: "bun"}
	refused.Problems = []fix.Problem{{Code: "no-consistent-set", Summary: "no consistent set of libraries"}}
	for _, tc := range []struct {
		p    *fix.Result
		want []string
	}{
		{hosted, []string{"loads unmodified into", "started with", "host replay", "dlopen replay", "predicted to load", "once, as the wrapper does"}},
		{assumed, []string{"loads unmodified into a process running", "this system's ld.so", "--loaded-by EXE"}},
		{refused, []string{"cannot be loaded unmodified into", "bun"}},
	} {
		for _, f := range Formats {
			var b bytes.Buffer
			if err := Fix(&b, tc.p, FixView{}, Options{Format: f}); err != nil {
				t.Fatalf("Fix(%s): %v", f, err)
			}
			out := b.String()
			if strings.Contains(out, "\x1b[31m") {
				t.Errorf("Fix(%s): the escape sequence from the host's path reached the output", f)
			}
			if f == JSON {
				if !strings.Contains(out, `"host": {`) {
					t.Errorf("Fix JSON lacks the host:\n%s", out)
				}
				continue
			}
			if f != Text {
				continue
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("Fix(%s, %s) lacks %q:\n%s", f, tc.p.File, w, out)
				}
			}
			if tc.p == assumed && strings.Contains(out, "Start it") {
				t.Errorf("a plan without a host shows a command to start:\n%s", out)
			}
		}
	}
}
