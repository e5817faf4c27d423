package inspect

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"strings"
	"testing"
)

// goInfoSeed is Go 1.18+ build information as the linker lays it out: the
// header, then the version and the module information as varint-length
// strings, the latter framed by 16-byte sentinels.
func goInfoSeed(version, mod string) []byte {
	b := make([]byte, 32)
	copy(b, goInfoMagic)
	b[14], b[15] = 8, 2
	b = binary.AppendUvarint(b, uint64(len(version)))
	b = append(b, version...)
	// mod ends in a newline, which is what the reader checks for
	// before the closing sentinel.
	framed := strings.Repeat("0", 16) + mod + strings.Repeat("1", 16)
	b = binary.AppendUvarint(b, uint64(len(framed)))
	return append(b, framed...)
}

// goInfoBase returns gcc-pie and the file offset and size of its first
// writable, non-executable PT_LOAD, where goBuildInfo looks without a
// .go.buildinfo section.
func goInfoBase(tb testing.TB) ([]byte, int, int) {
	b, err := os.ReadFile("../testdata/bin/gcc-pie")
	if err != nil {
		tb.Fatal(err)
	}
	f, err := NewFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		tb.Fatal(err)
	}
	for _, p := range f.ProgsOfType(elf.PT_LOAD) {
		if p.Flags&(elf.PF_X|elf.PF_W) == elf.PF_W {
			return b, int(p.Offset), int(p.Filesz)
		}
	}
	tb.Fatal("gcc-pie has no RW PT_LOAD")
	return nil, 0, 0
}

// FuzzGoBuildInfo mutates the bytes goBuildInfo reads through the loader's
// view: the start of the data segment of a real file.
func FuzzGoBuildInfo(f *testing.F) {
	base, off, size := goInfoBase(f)
	f.Add(goInfoSeed("go1.26.8", "path\texample.com/marker\nmod\texample.com/marker\t(devel)\t\nbuild\tGOARCH=amd64\n"))
	old := make([]byte, 48)
	copy(old, goInfoMagic)
	old[14] = 8
	binary.LittleEndian.PutUint64(old[16:], 0x3dd0+32)
	binary.LittleEndian.PutUint64(old[24:], 0x3dd0+32)
	f.Add(old)
	f.Fuzz(func(t *testing.T, data []byte) {
		b := bytes.Clone(base)
		copy(b[off:off+size], data)
		file, err := NewFile(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("the base file stopped parsing: %v", err)
		}
		info, _, err := file.goBuildInfo(nil)
		if err == nil && info.GoVersion == "" {
			t.Fatal("build information without a Go version")
		}
		Identify(file)
	})
}

// TestGoBuildInfoSeed keeps the fuzz seed honest: goBuildInfo reads it
// back through the loader's view.
func TestGoBuildInfoSeed(t *testing.T) {
	base, off, _ := goInfoBase(t)
	b := bytes.Clone(base)
	copy(b[off:], goInfoSeed("go1.26.8", "path\texample.com/marker\nmod\texample.com/marker\t(devel)\t\n"))
	file, err := NewFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	info, _, err := file.goBuildInfo(nil)
	if err != nil {
		t.Fatal(err)
	}
	if info.GoVersion != "go1.26.8" || info.Path != "example.com/marker" {
		t.Errorf("goBuildInfo(seed) = %s %s, want go1.26.8 example.com/marker", info.GoVersion, info.Path)
	}
}
