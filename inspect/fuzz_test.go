package inspect

import (
	"bytes"
	"encoding/binary"
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

// exercise calls every accessor on a file, as a command would, and fails
// on any internal error (a recovered panic) one of them reports: those
// are elfdoctor's bugs, never the input's.
func exercise(tb testing.TB, f *File) {
	tb.Helper()
	internal := func(what string, err error) {
		tb.Helper()
		if IsInternal(err) {
			tb.Fatalf("%s: %v", what, err)
		}
	}
	_, _, err := f.Interp()
	internal("Interp", err)
	im := f.Image()
	for _, p := range f.Progs {
		im.Lookup(p.Vaddr)
		var b [64]byte
		im.ReadAt(b[:], p.Vaddr, "fuzz")
		im.CString(p.Vaddr, 256, "fuzz")
	}
	im.Overlaps()
	d, err := f.Dynamic()
	internal("Dynamic", err)
	f.Pointers(d)
	if d != nil {
		for _, e := range d.Problems {
			internal("Dynamic", e)
		}
		v, err := f.Versions(d)
		internal("Versions", err)
		if v != nil {
			for _, e := range v.Problems {
				internal("Versions", e)
			}
		}
		f.DynSymCount(d)
	}
	_, probs := f.Notes()
	for _, e := range probs {
		internal("Notes", e)
	}
	for _, fp := range []*Fingerprint{Identify(f), identify(f, true)} {
		for _, p := range fp.Problems {
			if p.Code == CodeInternalError {
				tb.Fatalf("Identify: %s", p.Message)
			}
		}
	}
	s := Summarize(f, "fuzz")
	for _, p := range s.Problems {
		if p.Code == CodeInternalError {
			tb.Fatalf("Summarize: %s", p.Message)
		}
	}
	CompareSummaries(s, s)
}

func FuzzOpen(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	// The hostile shapes of bounds_test.go, small: PT_LOADs all on one
	// page, and a section table of padded entries.
	f.Add(manyLoads(64, func(int) uint64 { return 0x10000 }))
	f.Add(manyLoads(40, func(i int) uint64 { return uint64(i%7) * 0x800 }))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := NewFile(bytes.NewReader(b), int64(len(b)))
		if IsInternal(err) {
			t.Fatal(err)
		}
		if err != nil {
			return
		}
		exercise(t, file)
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
		v, err := file.Versions(d)
		if IsInternal(err) {
			t.Fatal(err)
		}
		if v != nil {
			for _, e := range v.Problems {
				if IsInternal(e) {
					t.Fatal(e)
				}
			}
		}
	})
}

// appendedGraph builds a Bun module graph in the appended format of the
// given era (Offsets and file-record sizes), for a file of base bytes.
func appendedGraph(base int, osize, msize int) []byte {
	name, contents := "/$bunfs/root/app\x00", "console.log(1)\x00"
	var g []byte
	g = append(g, name...)
	g = append(g, contents...)
	modOff := len(g)
	rec := make([]byte, msize)
	le := binary.LittleEndian
	le.PutUint32(rec[0:], 0)
	le.PutUint32(rec[4:], uint32(len(name)-1))
	le.PutUint32(rec[8:], uint32(len(name)))
	le.PutUint32(rec[12:], uint32(len(contents)-1))
	g = append(g, rec...)
	offs := make([]byte, osize)
	le.PutUint64(offs[0:], uint64(len(g)))
	le.PutUint32(offs[8:], uint32(modOff))
	le.PutUint32(offs[12:], uint32(msize))
	g = append(g, offs...)
	g = append(g, bunTrailer...)
	total := make([]byte, 8)
	le.PutUint64(total, uint64(base+len(g)+8))
	return append(g, total...)
}

// FuzzIdentify mutates what runtimes append to an executable: Bun's
// graph and trailer, Deno's trailer, PyInstaller's cookie, after a real
// ELF file whose headers stay intact.
func FuzzIdentify(f *testing.F) {
	base, err := os.ReadFile("../testdata/bin/gcc-pie")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(appendedGraph(len(base), 24, 32))
	f.Add(appendedGraph(len(base), 24, 36))
	f.Add(appendedGraph(len(base), 32, 36))
	f.Add(appendedGraph(len(base), 32, 52))
	deno := make([]byte, 64)
	copy(deno[40:], denoMagic)
	binary.BigEndian.PutUint64(deno[48:], uint64(len(base)))
	binary.BigEndian.PutUint64(deno[56:], uint64(len(base)+16))
	f.Add(deno)
	cookie := make([]byte, 4096+pyiCookieSize)
	copy(cookie[4096:], pyiMagic)
	binary.BigEndian.PutUint32(cookie[4096+8:], uint32(len(cookie)))
	f.Add(cookie)
	f.Fuzz(func(t *testing.T, tail []byte) {
		b := append(append([]byte(nil), base...), tail...)
		file, err := NewFile(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("the base file stopped parsing: %v", err)
		}
		fp := Identify(file)
		for _, r := range fp.Runtimes {
			if p := r.Payload; p != nil && !p.Reachable && p.Problem == "" {
				t.Fatalf("unreachable %s payload without a reason: %+v", r.Name, p)
			}
		}
		for _, p := range fp.Problems {
			if p.Code == CodeInternalError {
				t.Fatalf("Identify panicked: %s", p.Message)
			}
		}
	})
}

// TestAppendedGraphSeeds keeps the fuzz seeds honest: each is a graph
// Identify accepts, so mutations start from the interesting path.
func TestAppendedGraphSeeds(t *testing.T) {
	base, err := os.ReadFile("../testdata/bin/gcc-pie")
	if err != nil {
		t.Fatal(err)
	}
	for _, era := range [][2]int{{24, 32}, {24, 36}, {32, 36}, {32, 52}} {
		b := append(append([]byte(nil), base...), appendedGraph(len(base), era[0], era[1])...)
		file, err := NewFile(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		r := Identify(file).Runtime(RuntimeBun)
		if r == nil || r.Payload == nil || !r.Payload.Reachable || r.Payload.Entry != "/$bunfs/root/app" {
			t.Errorf("Identify(graph with %d-byte Offsets, %d-byte records) = %+v, want a reachable payload", era[0], era[1], r)
		}
	}
}
