package loader_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// TestCheckPIEDependencyReality runs a program whose RUNPATH finds a
// position-independent executable under the name of the library it
// needs (a program installed where the library should be): ld.so maps
// it, reads DF_1_PIE in its DT_FLAGS_1 and refuses it, whatever its
// other headers say; only the program ld.so runs may be a PIE. Executed,
// and as the other release's loader's command, where the program itself
// (a PIE) is allowed and its dependency still is not.
func TestCheckPIEDependencyReality(t *testing.T) {
	reality.NeedTools(t, "gcc")
	other := otherGlibc(t)
	otherLD := filepath.Join(other, "ld-linux-x86-64.so.2")
	dir := t.TempDir()
	gcc := func(args ...string) {
		cmd := exec.Command("gcc", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gcc %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	reality.WriteSource(t, dir, "dep.c", "int dep(void) { return 1; }\n")
	reality.WriteSource(t, dir, "uses.c", "#include <stdio.h>\nint dep(void);\nint main(void) { puts(\"main\"); return dep() - 1; }\n")
	reality.WriteSource(t, dir, "main.c", "int main(void) { return 0; }\n")
	gcc("-O1", "-fPIC", "-shared", "-Wl,-soname,libdep.so", "-o", "libdep.so", "dep.c")
	gcc("-O1", "-o", "uses", "uses.c", "-L.", "-ldep", "-Wl,-rpath,$ORIGIN/installed")
	if err := os.Mkdir(filepath.Join(dir, "installed"), 0o755); err != nil {
		t.Fatal(err)
	}
	gcc("-O1", "-fPIE", "-pie", "-o", "installed/libdep.so", "main.c")
	prog := filepath.Join(dir, "uses")
	const phrase = "libdep.so: cannot dynamically load position-independent executable"
	for _, tc := range []struct {
		name string
		argv []string
		opts loader.CheckOptions
	}{
		{"executed", nil, loader.CheckOptions{}},
		{otherSuite + "-ld", []string{otherLD, "--library-path", other, prog}, loader.CheckOptions{Loader: otherLD, LibraryPath: []string{other}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, real := reality.RunCase(t, reality.Case{Name: tc.name, Dir: dir, Path: prog, Argv: tc.argv, Opts: tc.opts})
			if !strings.Contains(real.Stderr, phrase) || real.Exit != 127 {
				t.Fatalf("the set-up no longer does what this case is about: %s", real)
			}
			if f := res.Fatal(); res.Outcome != loader.OutcomeLoaderError || f == nil || !strings.Contains(f.Message, phrase) {
				t.Errorf("Check(%s) = %s, want ld.so's %q\n%s", tc.name, res.Outcome, phrase, reality.Describe(res))
			}
		})
	}
}
