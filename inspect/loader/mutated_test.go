package loader_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// buildProgram writes main.c into dir, builds it with argv (run in dir,
// writing "healthy") and returns the program's bytes.
func buildProgram(t *testing.T, dir, src string, argv ...string) []byte {
	t.Helper()
	reality.WriteSource(t, dir, "main.c", src)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", argv[0], err, out)
	}
	return reality.MustRead(t, filepath.Join(dir, "healthy"))
}

// writeMutated writes b with one mutation (reality.ParseMutation's form)
// applied to dir/name and returns its path.
func writeMutated(t *testing.T, dir string, b []byte, name, m string) string {
	t.Helper()
	mu, err := reality.ParseMutation(m)
	if err != nil {
		t.Fatal(err)
	}
	out, err := reality.Apply(b, []reality.Mutation{mu})
	if err != nil {
		t.Fatalf("%s: %v", m, err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, out, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// markCase is one program of a test of a mark: what check must say, by
// its fatal finding's code ("" for none), and whether the real run goes
// normally (main's marker, exit 0). A damaged copy that runs normally
// proves nothing about its mark, so the run is checked too.
type markCase struct {
	name, path string
	outcome    loader.Outcome
	code       string
	runs       bool
}

func runMarkCases(t *testing.T, dir string, cases []markCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, real := reality.RunCase(t, reality.Case{Name: tc.name, Dir: dir, Path: tc.path})
			if res.Outcome != tc.outcome {
				t.Errorf("predicted %s, want %s\n%s", res.Outcome, tc.outcome, reality.Describe(res))
			}
			if f := res.Fatal(); tc.code != "" && (f == nil || f.Code != tc.code) {
				t.Errorf("want the fatal finding %s\n%s", tc.code, reality.Describe(res))
			}
			if runs := real.Marker && real.Exit == 0; runs != tc.runs {
				t.Errorf("the run was %s; want it to run normally: %v", real, tc.runs)
			}
		})
	}
}
