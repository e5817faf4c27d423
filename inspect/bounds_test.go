package inspect

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
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
