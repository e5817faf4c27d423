package coredump

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
)

// compressTo writes src compressed with kind to dst.
func compressTo(t testing.TB, kind, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var w io.WriteCloser
	switch kind {
	case "zst":
		w, err = zstd.NewWriter(out)
	case "lz4":
		w = lz4.NewWriter(out)
	case "xz":
		w, err = xz.NewWriter(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(w, in); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestCompressedSameAnswer: systemd-coredump's compressed copies of a core
// give the same analysis as the core itself.
func TestCompressedSameAnswer(t *testing.T) {
	dir := t.TempDir()
	exe := compile(t, "gcc", "segv.c", dir, "segv", "-O1", "-g")
	core := makeCore(t, dir, exe)
	want, err := Analyze(context.Background(), core, Options{NoCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"zst", "lz4", "xz"} {
		t.Run(kind, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "core."+kind)
			compressTo(t, kind, core, p)
			got, err := Analyze(context.Background(), p, Options{NoCheck: true})
			if err != nil {
				t.Fatalf("Analyze(%s): %v", kind, err)
			}
			got.Core, want.Core = "", ""
			if !reflect.DeepEqual(got.Crash, want.Crash) || !reflect.DeepEqual(got.Threads, want.Threads) || !reflect.DeepEqual(got.Fault, want.Fault) {
				t.Errorf("%s analysis differs:\n got %+v\nwant %+v", kind, got.Crash, want.Crash)
			}
		})
	}
}

func TestNotCore(t *testing.T) {
	dir := t.TempDir()
	exe := compile(t, "gcc", "hello.c", dir, "hello")
	text := filepath.Join(dir, "text")
	os.WriteFile(text, []byte("not an ELF file at all, just some text\n"), 0o644)
	for _, p := range []string{exe, text} {
		t.Run(filepath.Base(p), func(t *testing.T) {
			if _, err := Open(p); !errors.Is(err, ErrNotCore) {
				t.Errorf("Open(%s) = %v, want ErrNotCore", p, err)
			}
		})
	}
}

// TestTruncatedCore cuts a real core inside its notes: the error must be a
// *FormatError naming an offset, not a panic or a huge allocation.
func TestTruncatedCore(t *testing.T) {
	dir := t.TempDir()
	exe := compile(t, "gcc", "segv.c", dir, "segv", "-O1")
	b, err := os.ReadFile(makeCore(t, dir, exe))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{100, 64 + 56*2, 2000} {
		if _, err := NewCore(bytes.NewReader(b[:n]), int64(n)); err == nil {
			t.Errorf("NewCore(first %d bytes) = nil error", n)
		} else if fe := (*FormatError)(nil); !errors.As(err, &fe) {
			t.Errorf("NewCore(first %d bytes) = %v, want *FormatError", n, err)
		}
	}
}

// seedCores returns the notes-only prefix of a fresh core (the memory is
// irrelevant to the parser) for the fuzz corpus, or nil without gcc.
func seedCore(f *testing.F) []byte {
	if os.Getenv("CI") == "" {
		if _, err := os.Stat("/usr/bin/gcc"); err != nil {
			return nil
		}
	}
	dir := f.TempDir()
	exe := compile(f, "gcc", "segv.c", dir, "segv", "-O1")
	b, err := os.ReadFile(makeCore(f, dir, exe))
	if err != nil {
		f.Fatal(err)
	}
	c, err := NewCore(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		f.Fatal(err)
	}
	// Keep the headers and notes: everything before the first PT_LOAD's data.
	end := int64(len(b))
	for _, l := range c.Loads {
		if l.Filesz > 0 && int64(l.Offset) < end {
			end = int64(l.Offset)
		}
	}
	return b[:end]
}

func FuzzOpenCore(f *testing.F) {
	if b := seedCore(f); b != nil {
		f.Add(b)
	}
	// Seeds that need no compiler, for both register layouts.
	for _, m := range []elf.Machine{elf.EM_X86_64, elf.EM_AARCH64} {
		f.Add(buildCore(m, coreNote(1, make([]byte, prRegOffset+34*8+8))))
	}
	// i386: a thread, a kill's siginfo (sender, no address) and an
	// NT_FILE of 4-byte words.
	si := make([]byte, 128)
	binary.LittleEndian.PutUint32(si, 11)
	binary.LittleEndian.PutUint32(si[12:], 4000)
	files := []byte{1, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x80, 0x04, 0x08, 0, 0xa0, 0x04, 0x08, 0, 0, 0, 0, '/', 'p', 0}
	f.Add(buildCore32(append(append(coreNote(1, make([]byte, 72+17*4+4)), coreNote(ntSiginfo, si)...), coreNote(ntFile, files)...)))
	// The hostile shapes of bounds_test.go, small: one note named by
	// many PT_NOTE headers, and an NT_FILE entry naming a path.
	pr := coreNote(1, make([]byte, prRegOffset+27*8+8))
	var phdrs []rawPhdr
	for range 100 {
		phdrs = append(phdrs, rawPhdr{typ: elf.PT_NOTE, off: dataOff(100), filesz: uint64(len(pr))})
	}
	f.Add(buildCoreWith(phdrs, pr))
	f.Add(coreNaming("/nonexistent/elfdoctor-fuzz"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := NewCore(bytes.NewReader(b), int64(len(b)))
		if IsInternal(err) {
			t.Fatal(err)
		}
		if err != nil {
			return
		}
		defer c.Close()
		// Every accessor must survive whatever the notes said.
		for _, th := range c.Threads {
			c.pcSPFP(th.Regs)
		}
		var buf [16]byte
		for _, fm := range c.Files {
			c.MappingAt(fm.Start)
		}
		for _, l := range c.Loads {
			c.ReadMemory(buf[:], l.Vaddr)
		}
		c.CString(c.Auxv.Execfn, 256)
		a, err := AnalyzeCore(context.Background(), c, Options{NoCheck: true, Getenv: func(string) string { return "" }})
		if IsInternal(err) {
			t.Fatal(err)
		}
		if err == nil && len(a.Threads) == 0 {
			t.Errorf("analysis without threads")
		}
	})
}

// FuzzNotes feeds a single PT_NOTE segment to the note parser.
func FuzzNotes(f *testing.F) {
	if b := seedCore(f); b != nil {
		if ef, err := elf.NewFile(bytes.NewReader(b)); err == nil {
			for _, p := range ef.Progs {
				if p.Type == elf.PT_NOTE && p.Off+p.Filesz <= uint64(len(b)) {
					f.Add(b[p.Off : p.Off+p.Filesz])
				}
			}
		}
	}
	f.Add([]byte("\x05\x00\x00\x00\x18\x00\x00\x00ELIF\x00\x00\x00CORE\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\x00\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, m := range []uint16{62, 183, 3} { // x86-64, aarch64, i386
			c := &Core{Order: littleEndian, Machine: machine(m), size: int64(len(b)), Class: elf.ELFCLASS64}
			if m == 3 {
				c.Class = elf.ELFCLASS32
			}
			n := 0
			_ = c.parseNotes(b, 0, &n)
			if n > maxNotes+1 {
				t.Fatalf("walked %d notes", n)
			}
		}
	})
}

// TestHostileNotes: counts and sizes in notes that no file of this size
// could hold are refused with the offset of the structure, before any
// allocation they would imply.
func TestHostileNotes(t *testing.T) {
	le := binary.LittleEndian
	note := func(typ uint32, desc []byte) []byte {
		b := le.AppendUint32(nil, 5)
		b = le.AppendUint32(b, uint32(len(desc)))
		b = le.AppendUint32(b, typ)
		b = append(b, "CORE\x00\x00\x00\x00"...)
		return append(b, desc...)
	}
	files := le.AppendUint64(nil, 1<<40) // NT_FILE count
	files = le.AppendUint64(files, 4096)
	tests := []struct {
		name, msg string
		seg       []byte
	}{
		{"nt-file-count", "NT_FILE count does not fit", note(ntFile, files)},
		{"descsz-past-end", "note extends past its segment", append(le.AppendUint32(le.AppendUint32(le.AppendUint32(nil, 5), 0xfffffff0), 1), "CORE\x00\x00\x00\x00"...)},
		{"prstatus-short", "NT_PRSTATUS too short", note(1, make([]byte, 40))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Core{Order: le, Machine: elf.EM_X86_64, size: int64(len(tt.seg))}
			n := 0
			err := c.parseNotes(tt.seg, 0x1000, &n)
			var fe *FormatError
			if !errors.As(err, &fe) || !strings.Contains(fe.Msg, tt.msg) || fe.Off < 0x1000 {
				t.Errorf("parseNotes = %v, want *FormatError %q at an offset from 0x1000", err, tt.msg)
			}
		})
	}
}
