package inspect

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func open(b []byte) (*File, error) { return NewFile(bytes.NewReader(b), int64(len(b))) }

// Every fixture cut at every header boundary and at a sweep of other
// lengths either opens (and every accessor works on it) or fails with a
// FormatError or ErrNotELF. A panic fails the test by itself.
func TestTruncatedFixtures(t *testing.T) {
	files, _ := filepath.Glob("../testdata/bin/*")
	for _, p := range files {
		full := mustRead(t, p)
		if !bytes.HasPrefix(full, []byte("\x7fELF")) {
			continue
		}
		t.Run(filepath.Base(p), func(t *testing.T) {
			f, err := open(full)
			if err != nil {
				t.Fatal(err)
			}
			cuts := []int{0, 1, 3, 4, 15, 16, 51, 52, 63, 64}
			for _, pr := range f.Progs {
				cuts = append(cuts, int(pr.Off), int(pr.Off)+1, int(pr.Offset), int(pr.Offset+pr.Filesz)-1)
			}
			for i := 1; i < 50; i++ {
				cuts = append(cuts, len(full)*i/50)
			}
			for _, n := range cuts {
				if n < 0 || n > len(full) {
					continue
				}
				g, err := open(full[:n])
				if err != nil {
					var fe *FormatError
					if !errors.Is(err, ErrNotELF) && !errors.As(err, &fe) {
						t.Errorf("NewFile(%s[:%d]) error %v is neither ErrNotELF nor a *FormatError", p, n, err)
					}
					continue
				}
				exercise(t, g)
			}
		})
	}
}

// Errors name the structure and where it is.
func TestTruncationMessages(t *testing.T) {
	full := mustRead(t, "../testdata/bin/gcc-pie")
	for _, tc := range []struct {
		n    int
		want string
	}{
		{40, "ELF header at 0x0: 64 bytes past end of file (size 0x28)"},
		{100, "program header table at 0x40: 13 entries of 56 bytes extend past end of file (size 0x64)"},
	} {
		_, err := open(full[:tc.n])
		if err == nil || err.Error() != tc.want {
			t.Errorf("NewFile(gcc-pie[:%d]) error = %v, want %q", tc.n, err, tc.want)
		}
	}
	// Past the program headers the file opens, and what the loader
	// would map past the end is reported with the structure's name.
	f, err := open(full[:4096])
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(f, "short")
	found := false
	for _, p := range s.Problems {
		if strings.Contains(p.Message, "past end of file") && p.Structure != "" {
			found = true
		}
	}
	if !found {
		t.Errorf("Summarize(gcc-pie[:4096]).Problems = %+v, want a named structure past end of file", s.Problems)
	}
}

func le64(b []byte, off int, v uint64) { binary.LittleEndian.PutUint64(b[off:], v) }
func le32(b []byte, off int, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }
func le16(b []byte, off int, v uint16) { binary.LittleEndian.PutUint16(b[off:], v) }

// allocs runs fn and returns the bytes it allocated.
func allocs(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// Hostile values must be refused or bounded before they choose an
// allocation size or a loop count.
func TestHostileHeaders(t *testing.T) {
	base := mustRead(t, "../testdata/bin/gcc-pie")
	f0, err := open(base)
	if err != nil {
		t.Fatal(err)
	}
	secOff := func(name string) (Section, bool) {
		for _, s := range f0.Sections {
			if s.Name == name {
				return s, true
			}
		}
		return Section{}, false
	}
	dynEntry := func(b []byte, tag int64) int {
		s, _ := secOff(".dynamic")
		for off := int(s.Offset); off+16 <= int(s.Offset+s.Size); off += 16 {
			if int64(binary.LittleEndian.Uint64(b[off:])) == tag {
				return off
			}
		}
		t.Fatalf("no dynamic tag %#x", tag)
		return 0
	}
	cases := []struct {
		name  string
		edit  func(b []byte)
		named string // expected structure named in an error or problem
	}{
		{"phnum 0xffff with huge extended count", func(b []byte) {
			le16(b, 56, 0xffff)
			le32(b, int(f0.Shoff)+44, 0xfffffff0) // section 0 sh_info
		}, "program header table"},
		{"shnum huge", func(b []byte) { le16(b, 60, 0xfff0) }, "section header table"},
		{"phentsize tiny", func(b []byte) { le16(b, 54, 8) }, "program header table"},
		{"filesz and offset near 2^64", func(b []byte) {
			ph := int(f0.Progs[3].Off) // a PT_LOAD
			le64(b, ph+8, ^uint64(0)-10)
			le64(b, ph+32, ^uint64(0)-10)
		}, "program header 3 at 0xe8: p_offset"},
		{"memsz huge", func(b []byte) {
			for _, p := range f0.Progs {
				if p.Type == 1 {
					le64(b, int(p.Off)+40, ^uint64(0)>>1)
				}
			}
		}, "larger than a user address space"},
		{"strsz huge", func(b []byte) { le64(b, dynEntry(b, 10)+8, ^uint64(0)>>4) }, ""},
		{"vna_next loops onto itself", func(b []byte) {
			s, _ := secOff(".gnu.version_r")
			aux := int(s.Offset) + int(binary.LittleEndian.Uint32(b[s.Offset+8:]))
			le32(b, aux+12, 0) // ends, then
			le32(b, int(s.Offset)+12, 0)
			le32(b, aux+12, 1) // small step: walks byte by byte until the bound
		}, "Vernaux"},
		{"vd_next and vn_next small and endless", func(b []byte) {
			s, _ := secOff(".gnu.version_r")
			le32(b, int(s.Offset)+12, 1)
		}, ""},
		{"gnu hash nbuckets huge", func(b []byte) {
			s, _ := secOff(".gnu.hash")
			le32(b, int(s.Offset), 0xffffffff)
		}, "DT_GNU_HASH"},
		{"note descsz huge", func(b []byte) {
			s, _ := secOff(".note.gnu.build-id")
			le32(b, int(s.Offset)+4, 0xfffffff0)
		}, "note"},
		{"dynamic table without DT_NULL", func(b []byte) {
			s, _ := secOff(".dynamic")
			for off := int(s.Offset); off+16 <= int(s.Offset+s.Size); off += 16 {
				if binary.LittleEndian.Uint64(b[off:]) == 0 {
					le64(b, off, 0x6fffffff) // an unknown but harmless tag
				}
			}
		}, "PT_DYNAMIC"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := append([]byte(nil), base...)
			tc.edit(b)
			var msgs []string
			n := allocs(func() {
				f, err := open(b)
				if err != nil {
					var fe *FormatError
					if !errors.As(err, &fe) {
						t.Errorf("error %v is not a *FormatError", err)
					}
					msgs = append(msgs, err.Error())
					return
				}
				s := Summarize(f, "hostile")
				for _, p := range s.Problems {
					msgs = append(msgs, p.Message)
				}
				exercise(t, f)
			})
			// The file is 16 KiB; whatever it claims, reading it must stay
			// within a few MiB.
			if n > 8<<20 {
				t.Errorf("allocated %d bytes for a %d-byte file", n, len(b))
			}
			t.Logf("allocated %d bytes; messages: %q", n, msgs)
			if tc.named != "" && !strings.Contains(strings.Join(msgs, "\n"), tc.named) {
				t.Errorf("messages %q do not name %q", msgs, tc.named)
			}
		})
	}
}

// A file cut short after Open mapped it: the reads past its new end fail
// with an error, where touching the lost pages would raise SIGBUS.
func TestShrunkAfterOpen(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "testdata", "bin", "gcc-pie"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "app")
	if err := os.WriteFile(p, src, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.mapped == nil {
		t.Fatal("Open did not map the file")
	}
	if err := os.Truncate(p, 64); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Dynamic(); err == nil {
		t.Error("Dynamic() of a file cut to 64 bytes after Open succeeded")
	}
	b := make([]byte, 16)
	if err := f.ReadInto(b, int64(len(src))-16, "tail"); err == nil || !strings.Contains(err.Error(), "shrank") {
		t.Errorf("ReadInto past the new end = %v, want an error saying the file shrank", err)
	}
	var sum int
	if err := f.View(0, uint64(len(src)), "whole file", func(b []byte) {
		sum = bytes.Count(b, []byte{0x90})
	}); err == nil {
		t.Errorf("View over the lost pages succeeded (%d bytes 0x90)", sum)
	}
}
