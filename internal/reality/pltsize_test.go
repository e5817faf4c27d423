package reality

import (
	"os"
	"path"
	"path/filepath"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
)

// TestPLTRelSizeCut: a program loaded at 0 (gcc's and lld's non-PIE
// inputs) whose DT_PLTRELSZ covers only its first PLT relocation. Bound
// lazily, the other slots still lead into the PLT as linked, and each
// first call's _dl_fixup reads the DT_JMPREL entry at the index the PLT
// pushes: the program starts. Bound now (LD_BIND_NOW), ld.so sets up no
// lazy binding, and the first call through a left-out slot reaches PLT0,
// which jumps through the file's GOT[2]: SIGSEGV. check is compared with
// both real runs under every glibc build.
func TestPLTRelSizeCut(t *testing.T) {
	f := setup(t)
	for _, name := range []string{"gcc-nopie", "clang-lld-nopie"} {
		in, ok := f.input(name)
		if !ok {
			t.Fatalf("no fuzz input %s", name)
		}
		m, err := ParseMutation("dyn[DT_PLTRELSZ#0].d_val = 0x18")
		if err != nil {
			t.Fatal(err)
		}
		prog, err := Apply(f.bytes[in.Path], []Mutation{m})
		if err != nil {
			t.Fatal(err)
		}
		for _, now := range []bool{false, true} {
			for _, root := range f.Roots {
				t.Run(name+map[bool]string{true: "/bind-now/", false: "/lazy/"}[now]+root.String(), func(t *testing.T) {
					rel := "/c/pltsize-" + name
					dir := filepath.Join(root.Root, rel)
					if err := os.MkdirAll(dir, 0o755); err != nil {
						t.Fatal(err)
					}
					defer os.RemoveAll(dir)
					if err := os.WriteFile(filepath.Join(dir, name), prog, 0o755); err != nil {
						t.Fatal(err)
					}
					env := func(string) string { return "" }
					lim := f.Limits
					if now {
						env = func(k string) string {
							if k == "LD_BIND_NOW" {
								return "1"
							}
							return ""
						}
						lim.Env = []string{"LD_BIND_NOW=1"}
					}
					pred, err := loader.Check(filepath.Join(dir, name), loader.CheckOptions{Root: root.Root, Dir: rel, Executed: true, Getenv: env})
					if err != nil {
						t.Fatal(err)
					}
					obs, err := Observe(t.Context(), root.Root, rel, path.Join(rel, name), lim)
					if err != nil {
						t.Fatal(err)
					}
					if d := Compare(inChroot(pred, root.Root), obs); d != "" {
						t.Error(d)
					}
					if pred.Outcome == loader.OutcomeUndetermined {
						t.Errorf("predicted undetermined (%s); ld.so's steps decide this case", pred.Headline)
					}
					if want := map[bool]Class{false: ClassStarts, true: ClassSignal}[now]; obs.Class != want && !(now && obs.Class == ClassSignalAfter) {
						t.Errorf("really %s; the test expects %s", obs, want)
					}
				})
			}
		}
	}
}
