package loader

import (
	"bytes"
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
