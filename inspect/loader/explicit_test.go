package loader_test

import (
	"path/filepath"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// TestCheckExplicitLoader runs the pristine programs as `LOADER
// --library-path DIRS FILE`, the way fix's wrappers start them, with
// CheckOptions.Loader predicting each run: the other release's loader
// with its own libc (starts), and with no library path, so that libc.so.6
// is the host's (another glibc build: fails). PT_INTERP names the host's
// loader throughout and must play no part.
func TestCheckExplicitLoader(t *testing.T) {
	inputs := reality.Inputs(t)
	other := otherGlibc(t)
	otherLD := filepath.Join(other, "ld-linux-x86-64.so.2")
	var sum reality.Summary
	for _, in := range inputs {
		if in.Big || in.M32 || in.Lib != "" {
			continue
		}
		pristine := reality.MustRead(t, in.Path)
		for _, tc := range []struct {
			name string
			dirs []string
			want loader.Outcome
		}{
			{otherSuite + "-ld+" + otherSuite + "-libc", []string{other}, loader.OutcomeStarts},
			{otherSuite + "-ld+host-libc", nil, ""},
		} {
			name := in.Name + "/explicit/" + tc.name
			t.Run(name, func(t *testing.T) {
				p := reality.Place(t, in, pristine, nil)
				argv := []string{otherLD}
				if tc.dirs != nil {
					argv = append(argv, "--library-path", tc.dirs[0])
				}
				res, real := reality.RunCase(t, reality.Case{Name: name, Dir: filepath.Dir(p), Path: p,
					Opts: loader.CheckOptions{Loader: otherLD, LibraryPath: tc.dirs}, Argv: append(argv, p)})
				sum.Add(name, res, real)
				if tc.want != "" && res.Outcome != tc.want {
					t.Errorf("Check(%s) = %s, want %s", name, res.Outcome, tc.want)
				}
				if tc.want == "" && res.Outcome == loader.OutcomeStarts {
					t.Errorf("Check(%s) predicts a start with two glibc builds", name)
				}
				if len(res.Objects) == 0 || res.Objects[0].Path != otherLD {
					t.Errorf("Check(%s): the loader is %+v, want %s", name, res.Objects, otherLD)
				}
			})
		}
	}
	t.Cleanup(func() { sum.Log(t) })
}
