package loader_test

import (
	"path/filepath"
	"strings"
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

// TestCheckExplicitLoaderDamaged runs damaged programs as `LOADER FILE`:
// ld.so, not the kernel, opens and maps them (open_verify and
// _dl_map_object_from_fd, an ET_EXEC allowed), so a header the kernel
// never reads refuses them, and a truncated file faults in ld.so's
// clearing of a segment's last page (SIGBUS), where exec would have
// killed the process with SIGSEGV. Each under the host's loader and the
// other release's.
func TestCheckExplicitLoaderDamaged(t *testing.T) {
	inputs := reality.Inputs(t)
	other := otherGlibc(t)
	loaders := []struct {
		name, ld string
		dirs     []string
	}{
		{"host-ld", "/lib64/ld-linux-x86-64.so.2", nil},
		{otherSuite + "-ld", filepath.Join(other, "ld-linux-x86-64.so.2"), []string{other}},
	}
	dir := t.TempDir()
	var sum reality.Summary
	seen := map[string]bool{}
	for _, in := range inputs {
		if in.Big || in.Lib != "" {
			continue
		}
		pristine := reality.MustRead(t, in.Path)
		type damaged struct {
			name, path string
			want       loader.Outcome
			phrase     string // in the prediction's message, or its signal
		}
		var cases []damaged
		if in.M32 {
			cases = append(cases, damaged{"as-is", in.Path, loader.OutcomeLoaderError, "wrong ELF class: ELFCLASS32"})
		} else {
			cases = append(cases,
				damaged{"osabi", writeMutated(t, dir, pristine, in.Name+"-osabi", "ehdr.e_ident[EI_OSABI] = 0x61"), loader.OutcomeLoaderError, "ELF file OS ABI invalid"},
				damaged{"phentsize", writeMutated(t, dir, pristine, in.Name+"-phentsize", "ehdr.e_phentsize = 0x40"), loader.OutcomeLoaderError, "phentsize not the expected size"})
			// GNU ld starts .bss inside the RW segment's last file page;
			// lld pads the segment to a page.
			if strings.HasPrefix(in.Name, "gcc-") {
				cases = append(cases, damaged{"truncated", writeTruncated(t, dir, pristine, in.Name+"-truncated"), loader.OutcomeCrash, "SIGBUS"})
			}
		}
		for _, d := range cases {
			for _, l := range loaders {
				name := in.Name + "/" + d.name + "/" + l.name
				t.Run(name, func(t *testing.T) {
					argv := []string{l.ld}
					if l.dirs != nil {
						argv = append(argv, "--library-path", l.dirs[0])
					}
					res, real := reality.RunCase(t, reality.Case{Name: name, Dir: dir, Path: d.path,
						Opts: loader.CheckOptions{Loader: l.ld, LibraryPath: l.dirs}, Argv: append(argv, d.path)})
					sum.Add(name, res, real)
					seen[d.name] = true
					f := res.Fatal()
					if res.Outcome != d.want || f == nil || !strings.Contains(f.Message+" "+f.Signal, d.phrase) {
						t.Errorf("Check(%s) = %s, want %s with %q\n%s", name, res.Outcome, d.want, d.phrase, reality.Describe(res))
					}
				})
			}
		}
	}
	for _, d := range []string{"osabi", "phentsize", "truncated"} {
		if !seen[d] {
			t.Errorf("no input was damaged as %s", d)
		}
	}
	t.Cleanup(func() { sum.Log(t) })
}
