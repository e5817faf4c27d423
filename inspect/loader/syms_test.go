package loader

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// TestOneNeededFixtures: the committed gcc fixtures carry one GNU
// property note (the x86 ISA level, no GNU_PROPERTY_1_NEEDED) that a
// PT_NOTE and PT_GNU_PROPERTY both cover; the lld ones carry none. Both
// are the shape glibc's releases agree on, with l_1_needed 0.
// TestProtectedDataCopy (internal/reality) covers a library that needs
// indirect external access, against the real loaders.
func TestOneNeededFixtures(t *testing.T) {
	for _, name := range []string{"gcc-pie", "gcc-nopie", "gcc-static", "clang-lld", "libdemo.so"} {
		t.Run(name, func(t *testing.T) {
			f, err := inspect.Open(filepath.Join("../../testdata/bin", name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r := &relocator{}
			needed, ok := r.oneNeeded(&linkMap{f: f, m: memOf(f)})
			if !ok || needed != 0 {
				t.Errorf("oneNeeded(%s) = %#x, %v; want 0, true", name, needed, ok)
			}
		})
	}
}

// FuzzOneNeeded walks the notes of arbitrary files: bounded, no panic,
// and the same answer twice.
func FuzzOneNeeded(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := inspect.NewFile(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		r := &relocator{}
		lm := &linkMap{f: file, m: memOf(file)}
		n1, ok1 := r.oneNeeded(lm)
		n2, ok2 := r.oneNeeded(lm)
		if n1 != n2 || ok1 != ok2 {
			t.Fatalf("oneNeeded gave %#x, %v then %#x, %v", n1, ok1, n2, ok2)
		}
	})
}

// TestCopiedByProgram builds, with the machine's gcc, a program that
// copies a library's variable (non-PIE, so a COPY relocation) and reads
// its DT_RELA as glibc before 2.36's do_lookup_x does for the second
// search of a protected data reference: the copied name is found, a name
// the program only calls is not.
func TestCopiedByProgram(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("gcc is needed: %v", err)
		}
		t.Skip("gcc not installed")
	}
	dir := t.TempDir()
	for name, src := range map[string]string{
		"lib.c":  "int pd = 1;\nint *lib_pd(void) { return &pd; }\n",
		"main.c": "extern int pd;\nint *lib_pd(void);\nint main(void) { return lib_pd() != &pd; }\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, argv := range [][]string{
		{"gcc", "-shared", "-fPIC", "-o", "libp.so", "lib.c"},
		{"gcc", "-no-pie", "-o", "prog", "main.c", "-L.", "-lp"},
	} {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir = dir
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", argv, err, b)
		}
	}
	f, d := openDynamic(t, filepath.Join(dir, "prog"))
	obj := &loadedObj{name: "prog", path: filepath.Join(dir, "prog"), f: f, dyn: d}
	c := &checker{res: &CheckResult{}, loaded: []*loadedObj{obj}, gm: &glibcModel{machine: f.Machine, class: f.Class}}
	lm, err := c.newLinkMap(obj, true)
	if err != nil {
		t.Fatal(err)
	}
	r := &relocator{c: c, types: typesFor(f.Machine), notes: map[string]bool{}}
	for name, want := range map[string]bool{"pd": true, "lib_pd": false, "p": false} {
		got, err := r.copiedByProgram(lm, name)
		if err != nil || got != want {
			t.Errorf("copiedByProgram(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
}
