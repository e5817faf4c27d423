package inspect

import (
	"cmp"
	"debug/elf"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// sparseELF writes a 64-bit little-endian ELF header into a sparse file
// of size bytes and returns it opened; edit fills the header's fields.
func sparseELF(t *testing.T, size int64, edit func(h []byte, f *os.File)) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hostile")
	fh, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if err := fh.Truncate(size); err != nil {
		t.Fatal(err)
	}
	h := make([]byte, 64)
	copy(h, "\x7fELF\x02\x01\x01")
	binary.LittleEndian.PutUint16(h[16:], 3)  // ET_DYN
	binary.LittleEndian.PutUint16(h[18:], 62) // EM_X86_64
	binary.LittleEndian.PutUint32(h[20:], 1)
	binary.LittleEndian.PutUint16(h[52:], 64)
	edit(h, fh)
	if _, err := fh.WriteAt(h, 0); err != nil {
		t.Fatal(err)
	}
	return p
}

// Header tables are read in chunks and their entry sizes capped: a
// 256 MiB file whose section table is all of it (made Open allocate
// 327 MB) costs what its entries need, not a buffer of its size.
func TestHeaderTablesBounded(t *testing.T) {
	const size = 256 << 20
	le := binary.LittleEndian
	cases := []struct {
		name    string
		edit    func(h []byte, f *os.File)
		refused string // structure named when the file is refused
		limit   uint64 // bytes Open may allocate
	}{
		{"e_shentsize 65535 over 256 MiB", func(h []byte, f *os.File) {
			le.PutUint64(h[40:], 64)     // e_shoff
			le.PutUint16(h[58:], 0xffff) // e_shentsize
			le.PutUint16(h[60:], 4095)   // e_shnum
		}, "section header table", 1 << 20},
		{"e_phentsize 1024, 65535 entries", func(h []byte, f *os.File) {
			le.PutUint64(h[32:], 64)     // e_phoff
			le.PutUint16(h[54:], 1024)   // e_phentsize
			le.PutUint16(h[56:], 0xfffe) // e_phnum
		}, "", 8 << 20},
		{"e_shentsize 1024, 262,000 sections", func(h []byte, f *os.File) {
			le.PutUint64(h[40:], 64)   // e_shoff
			le.PutUint16(h[58:], 1024) // e_shentsize
			le.PutUint16(h[60:], 0)    // e_shnum: the count is in section 0
			s0 := make([]byte, 64)
			le.PutUint64(s0[32:], 262000) // sh_size
			if _, err := f.WriteAt(s0, 64); err != nil {
				t.Fatal(err)
			}
		}, "", 40 << 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := sparseELF(t, size, tc.edit)
			var err error
			var f *File
			n := allocs(func() { f, err = Open(p) })
			t.Logf("Open allocated %d bytes for a %d-byte file", n, size)
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
			if tc.refused != "" {
				// Section headers are not the loader's business: the file
				// opens, with the table named as a problem.
				var fe *FormatError
				if len(f.Problems) == 0 || !errors.As(f.Problems[0], &fe) || fe.Struct != tc.refused {
					t.Fatalf("Open: problems %v, want a FormatError naming %s", f.Problems, tc.refused)
				}
			}
			if n > tc.limit {
				t.Errorf("Open allocated %d bytes, want at most %d", n, tc.limit)
			}
		})
	}
}

// manyLoads builds an ELF file with n PT_LOADs; vaddr(i) gives each its
// address, all one page long, so the caller decides how they overlap.
func manyLoads(n int, vaddr func(i int) uint64) []byte {
	le := binary.LittleEndian
	phoff, shoff := 64, 64+56*n
	b := make([]byte, max(shoff+64, 4096))
	copy(b, "\x7fELF\x02\x01\x01")
	le.PutUint16(b[16:], 3)
	le.PutUint16(b[18:], 62)
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[32:], uint64(phoff))
	le.PutUint64(b[40:], uint64(shoff))
	le.PutUint16(b[52:], 64)
	le.PutUint16(b[54:], 56)
	le.PutUint16(b[58:], 64)
	le.PutUint16(b[60:], 1)
	if n >= 0xffff {
		le.PutUint16(b[56:], 0xffff) // PN_XNUM: the count is in section 0
		le.PutUint32(b[shoff+44:], uint32(n))
	} else {
		le.PutUint16(b[56:], uint16(n))
	}
	for i := range n {
		p := b[phoff+56*i:]
		le.PutUint32(p[0:], 1)               // PT_LOAD
		le.PutUint32(p[4:], 4|uint32(i%2)*2) // R, RW alternately
		le.PutUint64(p[16:], vaddr(i))
		le.PutUint64(p[32:], 0x1000)
		le.PutUint64(p[40:], 0x1000)
		le.PutUint64(p[48:], 0x1000)
	}
	return b
}

// Overlaps are listed up to a cap and counted in all: 65,535 PT_LOADs on
// one page are 2,147,450,880 pairs (24 GB before the cap).
func TestOverlapsBounded(t *testing.T) {
	const n = 65535
	f, err := open(manyLoads(n, func(int) uint64 { return 0x10000 }))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Progs) != n {
		t.Fatalf("%d program headers, want %d", len(f.Progs), n)
	}
	var s *Summary
	start := time.Now()
	a := allocs(func() { s = Summarize(f, "many") })
	t.Logf("Summarize: %v, %d bytes allocated", time.Since(start), a)
	if want := uint64(n) * (n - 1) / 2; s.OverlapCount != want {
		t.Errorf("OverlapCount = %d, want %d", s.OverlapCount, want)
	}
	if len(s.Overlaps) != MaxOverlaps {
		t.Errorf("%d overlaps listed, want %d", len(s.Overlaps), MaxOverlaps)
	}
	// 65,535 segments cost some 30 MB of summary; pairs must not add to it.
	if a > 128<<20 {
		t.Errorf("Summarize allocated %d bytes", a)
	}
}

// The sweep lists and counts exactly what comparing every pair finds.
func TestOverlapsMatchAllPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		n := 1 + rng.IntN(40)
		f, err := open(manyLoads(n, func(int) uint64 { return uint64(rng.IntN(24)) * 0x800 }))
		if err != nil {
			t.Fatal(err)
		}
		im := f.NewImage(0x1000)
		var want []Overlap
		for i := range im.Maps {
			for j := i + 1; j < len(im.Maps); j++ {
				a, b := &im.Maps[i], &im.Maps[j]
				if s, e := max(a.Start, b.Start), min(a.End, b.End); s < e {
					want = append(want, Overlap{s, e, a.Prog.Index, b.Prog.Index, a.Prog.Flags, b.Prog.Flags})
				}
			}
		}
		slices.SortFunc(want, func(x, y Overlap) int {
			return cmp.Or(cmp.Compare(x.Start, y.Start), cmp.Compare(x.Earlier, y.Earlier), cmp.Compare(x.Later, y.Later))
		})
		if im.OverlapCount() != uint64(len(want)) {
			t.Fatalf("trial %d: OverlapCount = %d, want %d", trial, im.OverlapCount(), len(want))
		}
		if got := im.Overlaps(); !slices.Equal(got, want[:min(len(want), MaxOverlaps)]) {
			t.Fatalf("trial %d: Overlaps = %+v, want %+v", trial, got, want)
		}
	}
}

// diff pairs 8,192 segments of one kind by order instead of scoring
// 67 million pairs (6.6 s before on the 2-core test machine, 10 ms
// after; the bound leaves room for a loaded machine).
func TestDiffManySegments(t *testing.T) {
	const n = 8192
	a, err := open(manyLoads(n, func(i int) uint64 { return uint64(i) << 12 }))
	if err != nil {
		t.Fatal(err)
	}
	b, err := open(manyLoads(n, func(i int) uint64 { return uint64(i+1) << 12 }))
	if err != nil {
		t.Fatal(err)
	}
	sa, sb := Summarize(a, "a"), Summarize(b, "b")
	start := time.Now()
	d := CompareSummaries(sa, sb)
	el := time.Since(start)
	t.Logf("CompareSummaries of %d segments: %v, verdict %s, %d changes", n, el, d.Verdict, len(d.Changes))
	if el > 2*time.Second {
		t.Errorf("CompareSummaries took %v", el)
	}
	if !d.Different() {
		t.Error("files with every segment moved compare as identical")
	}
}

// BenchmarkOverlaps: 65,535 PT_LOADs on one page, listed and counted.
func BenchmarkOverlaps(b *testing.B) {
	f, err := open(manyLoads(65535, func(int) uint64 { return 0x10000 }))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		im := f.NewImage(0x1000)
		im.Overlaps()
		im.OverlapCount()
	}
}

// A library PT_LOAD after the first whose p_vaddr + p_filesz wraps
// around is mapped as ld.so's _dl_map_segments maps it: nothing from the
// file; the zero-fill clears the page its wrapped end falls in from there
// on and leaves that whole page with the segment's protection, and maps
// anonymous zeros to its end. The kernel's view of an executable is left as it was.
func TestWrappedFileszImage(t *testing.T) {
	b := manyLoads(3, func(i int) uint64 { return uint64(i) << 12 })
	b = append(b, make([]byte, 3<<12-len(b))...)
	le := binary.LittleEndian
	for i := range 3 {
		p := b[64+56*i:]
		le.PutUint32(p[4:], uint32(elf.PF_R))
		le.PutUint64(p[8:], uint64(i)<<12) // p_offset
		le.PutUint64(p[32:], 0x200)        // p_filesz
		le.PutUint64(p[40:], 0x200)        // p_memsz
	}
	// The second segment's p_filesz less 0x1000: p_vaddr + p_filesz
	// wraps around to 0x200, in the first segment's page.
	p1 := b[64+56:]
	le.PutUint32(p1[4:], uint32(elf.PF_R|elf.PF_X))
	le.PutUint64(p1[32:], 0x200-0x1000+1<<64-1+1)
	f, err := open(b)
	if err != nil {
		t.Fatal(err)
	}
	im := f.NewImage(0x1000)
	for _, c := range []struct {
		addr uint64
		file bool
		perm elf.ProgFlag
	}{
		{0x100, true, elf.PF_R | elf.PF_X},  // before the wrapped end: file bytes, the page re-protected
		{0x200, false, elf.PF_R | elf.PF_X}, // cleared, with the wrapped segment's protection
		{0xfff, false, elf.PF_R | elf.PF_X},
		{0x1000, false, elf.PF_R | elf.PF_X}, // the segment itself: anonymous zeros
		{0x2000, true, elf.PF_R},             // the next segment is mapped as usual
	} {
		l := im.Lookup(c.addr)
		if !l.Mapped || l.File != c.file || l.Perm != c.perm {
			t.Errorf("Lookup(0x%x) = mapped %v, file %v, perm %v; want file %v, perm %v", c.addr, l.Mapped, l.File, l.Perm, c.file, c.perm)
		}
	}
	if n := im.OverlapCount(); n != 0 {
		t.Errorf("OverlapCount = %d, want 0: ld.so's zero-fill is no PT_LOAD", n)
	}
	f.MapAsKernel()
	if l := f.Image().Lookup(0x200); !l.File {
		t.Errorf("kernel view: Lookup(0x200) is not file-backed: only ld.so's mapping is changed")
	}
}

// A first PT_LOAD whose end, rounded up to a page, wraps around to its
// own start leaves ld.so taking the segments as having holes: everything
// from there to the last segment's first page is PROT_NONE, and the
// later segments are mapped over it as usual.
func TestWrappedFirstFileszImage(t *testing.T) {
	b := manyLoads(3, func(i int) uint64 { return uint64(i) << 12 })
	b = append(b, make([]byte, 3<<12-len(b))...)
	le := binary.LittleEndian
	for i := range 3 {
		p := b[64+56*i:]
		le.PutUint64(p[8:], uint64(i)<<12)
		le.PutUint64(p[32:], 0x200)
		le.PutUint64(p[40:], 0x200)
	}
	le.PutUint64(b[64+32:], 0x200-0x1000+1<<64-1+1) // the first segment's p_filesz less 0x1000
	f, err := open(b)
	if err != nil {
		t.Fatal(err)
	}
	im := f.NewImage(0x1000)
	if l := im.Lookup(0x100); !l.Mapped || l.Perm != 0 {
		t.Errorf("Lookup(0x100) = mapped %v, perm %v; want PROT_NONE", l.Mapped, l.Perm)
	}
	if err := im.ReadAt(make([]byte, 4), 0x100, "hash table"); err == nil {
		t.Error("a read in the PROT_NONE page succeeded")
	}
	for _, a := range []uint64{0x1000, 0x2000} {
		if l := im.Lookup(a); !l.File || l.Perm == 0 {
			t.Errorf("Lookup(0x%x) = file %v, perm %v; want the segment's file bytes", a, l.File, l.Perm)
		}
	}
}

// A view shifted by a skew that is not a page multiple reads, at each
// address, the byte the kernel's mapping holds skew further on, page
// rounding included.
func TestMapAsKernelShifted(t *testing.T) {
	base, err := Open(filepath.Join("..", "testdata", "bin", "gcc-nopie"))
	if err != nil {
		t.Fatal(err)
	}
	defer base.Close()
	base.MapAsKernel()
	for _, skew := range []uint64{0x10, ^uint64(0x10) + 1, 0x1008} {
		view, err := Open(filepath.Join("..", "testdata", "bin", "gcc-nopie"))
		if err != nil {
			t.Fatal(err)
		}
		if !view.MapAsKernelShifted(base, skew) {
			t.Fatalf("skew %#x: refused", skew)
		}
		for _, m := range base.Image().Maps {
			for _, a := range []uint64{m.Start, m.Start + 1, m.FileEnd - 1, m.End - 1} {
				var want, got [1]byte
				werr := base.Image().ReadAt(want[:], a, "base")
				gerr := view.Image().ReadAt(got[:], a-skew, "view")
				if (werr == nil) != (gerr == nil) || want != got {
					t.Errorf("skew %#x: view at %#x = %v (%v), base at %#x = %v (%v)", skew, a-skew, got, gerr, a, want, werr)
				}
			}
		}
		view.Close()
	}
}

// A segment whose only flag is PF_X is readable on x86 unless protection
// keys make it execute-only (SetExecOnly), as Linux maps PROT_EXEC alone
// on a CPU whose keys the kernel enabled; W and R stay readable, and no
// flags at all never is.
func TestExecOnlyImage(t *testing.T) {
	b := manyLoads(3, func(i int) uint64 { return uint64(i) << 12 })
	b = append(b, make([]byte, 3<<12-len(b))...)
	le := binary.LittleEndian
	flags := []elf.ProgFlag{elf.PF_X, elf.PF_W | elf.PF_X, 0}
	for i := range 3 {
		p := b[64+56*i:]
		le.PutUint32(p[4:], uint32(flags[i]))
		le.PutUint64(p[8:], uint64(i)<<12) // p_offset
		le.PutUint64(p[32:], 0x200)        // p_filesz
		le.PutUint64(p[40:], 0x200)        // p_memsz
	}
	for _, execOnly := range []bool{false, true} {
		f, err := open(b)
		if err != nil {
			t.Fatal(err)
		}
		f.SetExecOnly(execOnly)
		for i, want := range []bool{!execOnly, true, false} {
			var buf [8]byte
			err := f.Image().ReadAt(buf[:], uint64(i)<<12+0x10, "test")
			if (err == nil) != want {
				t.Errorf("exec-only %v: reading segment %d (p_flags %v): err %v, want readable %v", execOnly, i, flags[i], err, want)
			}
			if l := f.Image().Lookup(uint64(i) << 12); f.Readable(l) != want {
				t.Errorf("exec-only %v: Readable(segment %d) = %v, want %v", execOnly, i, !want, want)
			}
			var fe *FormatError
			if err != nil && (!errors.As(err, &fe) || fe.Fault != FaultUnmapped) {
				t.Errorf("exec-only %v: segment %d: %v, want a FaultUnmapped FormatError", execOnly, i, err)
			}
		}
	}
}
