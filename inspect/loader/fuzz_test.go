package loader

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// fuzzSeeds are the committed fixtures small enough to mutate quickly.
func fuzzSeeds(f *testing.F) [][]byte {
	files, _ := filepath.Glob("../../testdata/bin/*")
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

func FuzzLDCache(f *testing.F) {
	if b, err := os.ReadFile("/etc/ld.so.cache"); err == nil && len(b) < 1<<20 {
		f.Add(b[:min(len(b), 4096)])
	}
	f.Add([]byte(ldCacheNewMagic + "\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseLDCache(b)
		if err == nil {
			c.Lookup("libc.so.6", &inspect.File{})
		}
	})
}

// FuzzBinfmt parses a binfmt_misc entry and matches it against a file's
// first bytes: neither may panic, whatever offset or mask the entry has.
func FuzzBinfmt(f *testing.F) {
	f.Add("enabled\ninterpreter /usr/bin/qemu-aarch64\nflags: F\noffset 0\nmagic 7f454c460201010000000000000000000200b700\nmask ffffffffffffff00fffffffffffffffffeffffff\n", []byte("\x7fELF\x02\x01\x01"))
	f.Add("enabled\ninterpreter /usr/bin/wine\nextension .exe\n", []byte("MZ"))
	f.Add("enabled\noffset -5\nmagic 00\n", []byte{0})
	f.Add("enabled\noffset 9223372036854775807\nmagic 0000\n", []byte{0, 0})
	f.Fuzz(func(t *testing.T, text string, head []byte) {
		e := parseBinfmtEntry("fuzz", text)
		binfmtMatch([]binfmtEntry{e}, "prog.exe", head)
	})
}

// FuzzCheckKernelStage runs check on damaged fixtures with their e_ident
// changed the ways the kernel ignores (EI_CLASS, EI_DATA), so the headers
// are read as the kernel reads them (openAsKernel), and the kernel stage,
// ld.so's reading of the program headers at AT_PHDR and the library
// mapping checks meet arbitrary headers. check recovers from a panic
// into an internal-error finding; the target fails on one.
func FuzzCheckKernelStage(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		f.Add(b, byte(0), byte(0))
		f.Add(b, byte(0x80), byte(0xfe))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte, class, data byte) {
		if len(b) > 6 {
			b = append([]byte(nil), b...)
			b[4] ^= class
			b[5] ^= data
		}
		p := filepath.Join(dir, "prog")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := Check(p, CheckOptions{Getenv: func(string) string { return "" }})
		if err != nil {
			return
		}
		for _, fd := range res.Findings {
			if fd.Code == inspect.CodeInternalError {
				t.Fatalf("%s", fd.Summary)
			}
		}
	})
}

// FuzzWrappedProgs reads program headers the way ld.so takes them when
// e_phoff wraps around into its first buffer, whatever the header says
// (the seeds have e_phoff moved just before the file's first byte).
func FuzzWrappedProgs(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		f.Add(b, uint64(1))
		f.Add(b, uint64(0x38))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte, back uint64) {
		if len(b) >= 64 {
			b = append([]byte(nil), b...)
			binary.LittleEndian.PutUint64(b[32:], -back)
		}
		p := filepath.Join(dir, "lib")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, class := range []elf.Class{elf.ELFCLASS32, elf.ELFCLASS64} {
			progs, _, ok := wrappedProgs(p, class, binary.LittleEndian)
			if !ok && progs != nil {
				t.Fatalf("wrappedProgs gave %d headers without ok", len(progs))
			}
		}
	})
}

// FuzzCheckAsCommand runs check on damaged fixtures as programs started
// as the host loader's command (CheckOptions.Loader): ld.so's open_verify
// of the program itself, its mapping by _dl_map_object_from_fd and the
// headers at l_phdr meet arbitrary bytes. The target fails on an
// internal-error finding (a recovered panic).
func FuzzCheckAsCommand(f *testing.F) {
	const ld = "/lib64/ld-linux-x86-64.so.2"
	fuzzCheckWith(f, ld, "prog", CheckOptions{Loader: ld})
}

// FuzzCheckLoadedBy checks damaged files as --loaded-by's process
// dlopens them, whatever their headers say: dlopen's own reading of the
// headers comes before anything inspect reads.
func FuzzCheckLoadedBy(f *testing.F) {
	const host = "/bin/true"
	fuzzCheckWith(f, host, "lib.so", CheckOptions{LoadedBy: host})
}

// fuzzCheckWith fuzzes Check with opts on the fixtures written as name;
// need is the host file opts names, whose absence fails the target in CI.
func fuzzCheckWith(f *testing.F, need, name string, opts CheckOptions) {
	if _, err := os.Stat(need); err != nil {
		if os.Getenv("CI") != "" {
			f.Fatalf("no %s: %v", need, err)
		}
		f.Skipf("no %s: %v", need, err)
	}
	for _, b := range fuzzSeeds(f) {
		f.Add(b)
	}
	dir := f.TempDir()
	opts.Getenv = func(string) string { return "" }
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := Check(p, opts)
		if err != nil {
			return
		}
		for _, fd := range res.Findings {
			if fd.Code == inspect.CodeInternalError {
				t.Fatalf("%s", fd.Summary)
			}
		}
	})
}

// FuzzABITag walks a note segment the way open_verify looks for the ABI
// tag, whatever the notes' sizes say: it must stay inside the segment
// and end.
func FuzzABITag(f *testing.F) {
	tag := []byte{4, 0, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0, 'G', 'N', 'U', 0, 0, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0}
	f.Add(tag, uint8(4))
	f.Add(append([]byte{4, 0, 0, 0, 20, 0, 0, 0, 3, 0, 0, 0, 'G', 'N', 'U', 0}, append(make([]byte, 20), tag...)...), uint8(4))
	f.Add(make([]byte, 64), uint8(8))
	f.Fuzz(func(t *testing.T, b []byte, a uint8) {
		align := uint64(4)
		if a&1 != 0 {
			align = 8
		}
		if len(b) < 32 {
			return // open_verify looks only at notes of 32 bytes or more
		}
		r := &boundedReader{b: b}
		abiTagIn(r, 0, uint64(len(b)), align, binary.LittleEndian)
		if r.outside {
			t.Fatalf("read outside the %d-byte segment", len(b))
		}
	})
}

// boundedReader is a segment that records a read outside it.
type boundedReader struct {
	b       []byte
	outside bool
}

func (r *boundedReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(r.b)) {
		r.outside = true
	}
	return bytes.NewReader(r.b).ReadAt(p, off)
}
