package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/fix"
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
