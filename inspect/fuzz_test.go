package inspect

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds are the committed fixtures small enough to mutate quickly.
func fuzzSeeds(f *testing.F) [][]byte {
	files, _ := filepath.Glob("../testdata/bin/*")
	var seeds [][]byte
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil || len(b) > 64<<10 || !bytes.HasPrefix(b, []byte("\x7fELF")) {
			continue
		}
		seeds = append(seeds, b)
	}
	if len(seeds) == 0 {
		f.Fatal("no fixtures in testdata/bin to seed from")
	}
	return seeds
}

// exercise calls every accessor on a file, as a command would.
func exercise(f *File) {
	f.Interp()
	im := f.Image()
	for _, p := range f.Progs {
		im.Lookup(p.Vaddr)
		var b [64]byte
		im.ReadAt(b[:], p.Vaddr, "fuzz")
		im.CString(p.Vaddr, 256, "fuzz")
	}
	im.Overlaps()
	d, _ := f.Dynamic()
	f.Pointers(d)
	if d != nil {
		f.Versions(d)
		f.DynSymCount(d)
	}
	f.Notes()
	s := Summarize(f, "fuzz")
	CompareSummaries(s, s)
}

func FuzzOpen(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := NewFile(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		exercise(file)
		if _, err := Compare(file, file, "a", "b"); err != nil {
			t.Fatalf("Compare of a file with itself: %v", err)
		}
	})
}

// FuzzVersions keeps the file's headers intact and mutates only the
// version tables, where the loader crashes in the original story.
func FuzzVersions(f *testing.F) {
	base, err := os.ReadFile("../testdata/bin/uses-libdemo")
	if err != nil {
		f.Fatal(err)
	}
	file, err := NewFile(bytes.NewReader(base), int64(len(base)))
	if err != nil {
		f.Fatal(err)
	}
	var off, size uint64
	for _, s := range file.Sections {
		if s.Name == ".gnu.version_r" {
			off, size = s.Offset, s.Size
		}
	}
	if size == 0 {
		f.Fatal("uses-libdemo has no .gnu.version_r")
	}
	f.Add(base[off : off+size])
	f.Fuzz(func(t *testing.T, patch []byte) {
		b := append([]byte(nil), base...)
		copy(b[off:off+size], patch)
		file, err := NewFile(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("headers were not touched, yet: %v", err)
		}
		d, err := file.Dynamic()
		if err != nil || d == nil {
			t.Fatalf("dynamic table was not touched, yet: %v", err)
		}
		file.Versions(d)
	})
}

func FuzzLDCache(f *testing.F) {
	if b, err := os.ReadFile("/etc/ld.so.cache"); err == nil && len(b) < 1<<20 {
		f.Add(b[:min(len(b), 4096)])
	}
	f.Add([]byte(ldCacheNewMagic + "\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseLDCache(b)
		if err == nil {
			c.Lookup("libc.so.6", &File{})
		}
	})
}

// FuzzCheck runs the whole loader replay on mutated files, with a root
// that holds nothing, so no real library is opened.
func FuzzCheck(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "prog")
		if err := os.WriteFile(p, b, 0o755); err != nil {
			t.Fatal(err)
		}
		r, err := Check(p, CheckOptions{Root: root, Getenv: func(string) string { return "" }})
		if err == nil && r.Outcome == "" {
			t.Fatal("Check returned no outcome")
		}
	})
}
