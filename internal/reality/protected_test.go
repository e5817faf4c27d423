package reality

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/damage"
)

// TestProtectedDataCopy: a program linked (non-PIE, so with a COPY
// relocation) against a library whose variable was later made protected,
// as a library update can do. glibc 2.35 and later warn about the copy
// relocation (_dl_check_protected_symbol), and refuse it when the
// library was built with -mno-direct-extern-access
// (GNU_PROPERTY_1_NEEDED_INDIRECT_EXTERN_ACCESS); 2.31 says nothing.
// check's prediction is compared with each real run under the four
// glibc builds, and the warning must be predicted exactly where ld.so
// prints it. The program and libraries are built here: a linker refuses
// to make the copy against the protected build itself.
func TestProtectedDataCopy(t *testing.T) {
	f := setup(t)
	dir := t.TempDir()
	src := map[string]string{
		"lib.c":      "__attribute__((visibility(\"protected\"))) int pd = 1;\nint *lib_pd(void) { return &pd; }\n",
		"linkwith.c": "int pd = 1;\nint *lib_pd(void) { return &pd; }\n",
		"main.c": "#include <stdio.h>\nextern int pd;\nint *lib_pd(void);\n" +
			"int main(void) { puts(\"" + damage.Marker + "\"); puts(lib_pd() == &pd ? \"same\" : \"different\"); fflush(stdout); return 0; }\n",
	}
	for name, s := range src {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gcc := sysrootGCC(t)
	for _, argv := range [][]string{
		{"-shared", "-fPIC", "-O2", "-Wl,-soname,libprot.so", "-o", "link/libprot.so", "linkwith.c"},
		{"-shared", "-fPIC", "-O2", "-Wl,-soname,libprot.so", "-o", "direct/libprot.so", "lib.c"},
		{"-shared", "-fPIC", "-O2", "-mno-direct-extern-access", "-Wl,-soname,libprot.so", "-o", "indirect/libprot.so", "lib.c"},
		{"-no-pie", "-O2", "-o", "prog", "main.c", "-Llink", "-lprot", "-Wl,-rpath,$ORIGIN"},
	} {
		if out := argv[len(argv)-2]; strings.Contains(out, "/") {
			if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(out)), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := run(t.Context(), dir, append(append([]string(nil), gcc...), argv...)...); err != nil {
			t.Fatal(err)
		}
	}
	prog := MustRead(t, filepath.Join(dir, "prog"))
	const warning = "warning: copy relocation against non-copyable protected symbol `pd' in `"
	for _, lib := range []string{"direct", "indirect"} {
		libBytes := MustRead(t, filepath.Join(dir, lib, "libprot.so"))
		in := FuzzInput{Name: "prog", LibName: "libprot.so"}
		for _, root := range f.Roots {
			t.Run(lib+"/"+root.String(), func(t *testing.T) {
				r, err := f.runIn(t.Context(), root, in, prog, libBytes, false, false)
				if err != nil {
					t.Fatal(err)
				}
				if r.Divergence != "" {
					t.Errorf("%s", r.Divergence)
				}
				checks := !versionLess(root.Version, "2.35")
				if printed := strings.Contains(r.Observed.Stderr, warning); printed != checks {
					t.Fatalf("ld.so printed the warning: %v, want %v (glibc %s); stderr %q", printed, checks, root.Version, r.Observed.Stderr)
				}
				predicted := false
				for _, fd := range inChroot(r.Predicted, root.Root).Findings {
					if strings.HasPrefix(fd.Message, warning) {
						predicted = true
						if !strings.Contains(r.Observed.Stderr, fd.Message) {
							t.Errorf("predicted %q; ld.so printed %q", fd.Message, r.Observed.Stderr)
						}
					}
				}
				if predicted != checks {
					t.Errorf("warning predicted: %v, ld.so printed it: %v", predicted, checks)
				}
				refused := checks && lib == "indirect"
				if got := r.Predicted.Outcome == loader.OutcomeLoaderError; got != refused {
					t.Errorf("predicted %s; want a loader error: %v (really %s)", r.Predicted.Outcome, refused, r.Observed)
				}
			})
		}
	}
}

// sysrootGCC is gcc building against the oldest root's glibc, so that
// what it links starts under every build.
func sysrootGCC(t *testing.T) []string {
	t.Helper()
	sysroot, err := DebianRoot(t.Context(), Suites[0], append(append([]string(nil), RootPackages...), DevPackages...))
	if err != nil {
		t.Fatal(err)
	}
	return compilers(sysroot.Root)["GCC"]
}
