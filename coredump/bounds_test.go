package coredump

import (
	"bytes"
	"compress/zlib"
	"context"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// rawPhdr is one program header of a core built by a test.
type rawPhdr struct {
	typ                       elf.ProgType
	off, vaddr, filesz, memsz uint64
}

// buildCoreWith writes an x86-64 core with the given program headers
// followed by data, which starts at dataOff (returned by layout).
func buildCoreWith(phdrs []rawPhdr, data []byte) []byte {
	le := binary.LittleEndian
	n := len(phdrs)
	hdr := make([]byte, 64)
	copy(hdr, elf.ELFMAG)
	hdr[elf.EI_CLASS], hdr[elf.EI_DATA], hdr[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), 1
	le.PutUint16(hdr[16:], uint16(elf.ET_CORE))
	le.PutUint16(hdr[18:], uint16(elf.EM_X86_64))
	le.PutUint32(hdr[20:], 1)
	le.PutUint64(hdr[32:], 64)
	le.PutUint16(hdr[52:], 64)
	le.PutUint16(hdr[54:], 56)
	var b bytes.Buffer
	if n >= 0xffff {
		le.PutUint16(hdr[56:], 0xffff)
		le.PutUint64(hdr[40:], uint64(64+56*n)) // section 0 after the table
		le.PutUint16(hdr[58:], 64)
		le.PutUint16(hdr[60:], 1)
	} else {
		le.PutUint16(hdr[56:], uint16(n))
	}
	b.Write(hdr)
	for _, p := range phdrs {
		ph := make([]byte, 56)
		le.PutUint32(ph, uint32(p.typ))
		le.PutUint32(ph[4:], 6)
		le.PutUint64(ph[8:], p.off)
		le.PutUint64(ph[16:], p.vaddr)
		le.PutUint64(ph[32:], p.filesz)
		le.PutUint64(ph[40:], p.memsz)
		b.Write(ph)
	}
	if n >= 0xffff {
		s0 := make([]byte, 64)
		le.PutUint32(s0[44:], uint32(n))
		b.Write(s0)
	}
	b.Write(data)
	return b.Bytes()
}

// dataOff is where buildCoreWith puts data for n program headers.
func dataOff(n int) uint64 {
	if n >= 0xffff {
		return uint64(64 + 56*n + 64)
	}
	return uint64(64 + 56*n)
}

// A core with 65,000 PT_LOADs and 16,384 threads, each thread's stack
// pointer in a different one, is analysed in seconds: memory is found by
// a sorted index, not a scan of every PT_LOAD per read (about 3 h before).
func TestManyLoadsAndThreads(t *testing.T) {
	const loads, threads = 65000, 16384
	le := binary.LittleEndian
	var notes []byte
	for i := range threads {
		pr := make([]byte, prRegOffset+27*8+8)
		le.PutUint16(pr[12:], 11)
		le.PutUint32(pr[32:], uint32(1000+i))
		sp := uint64(0x10000000) + uint64(i%loads)*0x1000 + 0x800
		le.PutUint64(pr[prRegOffset+19*8:], sp)      // rsp
		le.PutUint64(pr[prRegOffset+4*8:], sp+0x100) // rbp
		le.PutUint64(pr[prRegOffset+16*8:], 0x1234)  // rip, unmapped
		notes = append(notes, coreNote(1, pr)...)
	}
	n := loads + 1
	base := dataOff(n)
	page := base + uint64(len(notes))
	phdrs := []rawPhdr{{typ: elf.PT_NOTE, off: base, filesz: uint64(len(notes))}}
	for i := range loads {
		// Every PT_LOAD is dumped from the same page of the core.
		phdrs = append(phdrs, rawPhdr{typ: elf.PT_LOAD, off: page, vaddr: 0x10000000 + uint64(i)*0x1000, filesz: 0x1000, memsz: 0x1000})
	}
	b := buildCoreWith(phdrs, append(notes, make([]byte, 0x1000)...))
	start := time.Now()
	c, err := NewCore(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Loads) != loads || len(c.Threads) != threads {
		t.Fatalf("%d loads, %d threads, want %d and %d", len(c.Loads), len(c.Threads), loads, threads)
	}
	a, err := AnalyzeCore(context.Background(), c, Options{NoCheck: true, Getenv: func(string) string { return "" }})
	el := time.Since(start)
	t.Logf("%d-byte core with %d loads and %d threads analysed in %v", len(b), loads, threads, el)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Threads) != threads {
		t.Errorf("%d threads analysed, want %d", len(a.Threads), threads)
	}
	if el > 60*time.Second {
		t.Errorf("analysis took %v", el)
	}
}

// The index answers as a scan of the ranges in order would, for ranges
// that do not overlap (what the kernel writes).
func TestSpanIndex(t *testing.T) {
	c := &Core{}
	for i := range 100 {
		v := uint64(i) * 0x3000
		c.Loads = append(c.Loads, Load{Vaddr: v, Memsz: 0x2000, Filesz: 0x1000 * uint64(i%3)})
	}
	for addr := uint64(0); addr < 100*0x3000+0x10; addr += 0x7f {
		var want *Load
		for i := range c.Loads {
			if addr >= c.Loads[i].Vaddr && addr-c.Loads[i].Vaddr < c.Loads[i].Memsz {
				want = &c.Loads[i]
				break
			}
		}
		if got := c.LoadAt(addr); got != want {
			t.Fatalf("LoadAt(%#x) = %+v, want %+v", addr, got, want)
		}
	}
}

// Many PT_NOTE headers naming the same note cost one read of it; more
// note bytes than the file holds are refused; NT_FILE entries are capped
// over all notes, not per note.
func TestNoteTotals(t *testing.T) {
	le := binary.LittleEndian
	pr := coreNote(1, make([]byte, prRegOffset+27*8+8))
	t.Run("one note, 65,535 headers", func(t *testing.T) {
		n := 65535
		var phdrs []rawPhdr
		for range n {
			phdrs = append(phdrs, rawPhdr{typ: elf.PT_NOTE, off: dataOff(n), filesz: uint64(len(pr))})
		}
		b := buildCoreWith(phdrs, pr)
		c, err := NewCore(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Threads) != 1 {
			t.Errorf("%d threads from one note named %d times, want 1", len(c.Threads), n)
		}
	})
	t.Run("overlapping notes", func(t *testing.T) {
		// 40 notes, and a header for every run of them: 820 distinct
		// segments that together name 11,480 notes in a 60 KB file.
		notes := bytes.Repeat(pr, 40)
		var phdrs []rawPhdr
		for k := range 40 {
			for m := 1; m <= 40-k; m++ {
				phdrs = append(phdrs, rawPhdr{typ: elf.PT_NOTE, off: dataOff(820) + uint64(k*len(pr)), filesz: uint64(m * len(pr))})
			}
		}
		b := buildCoreWith(phdrs, notes)
		_, err := NewCore(bytes.NewReader(b), int64(len(b)))
		var fe *FormatError
		if !errors.As(err, &fe) || !strings.Contains(fe.Msg, "more bytes than the file") {
			t.Fatalf("NewCore = %v, want a FormatError about overlapping notes", err)
		}
	})
	t.Run("NT_FILE entries over all notes", func(t *testing.T) {
		files := func(count int) []byte {
			d := le.AppendUint64(nil, uint64(count))
			d = le.AppendUint64(d, 4096)
			for i := range count {
				d = le.AppendUint64(le.AppendUint64(le.AppendUint64(d, uint64(i)<<12), uint64(i+1)<<12), 0)
			}
			return append(d, make([]byte, count)...) // empty names
		}
		notes := append(append([]byte(nil), pr...), coreNote(ntFile, files(maxFiles/2+1))...)
		notes = append(notes, coreNote(ntFile, files(maxFiles/2+1))...)
		b := buildCoreWith([]rawPhdr{{typ: elf.PT_NOTE, off: dataOff(1), filesz: uint64(len(notes))}}, notes)
		_, err := NewCore(bytes.NewReader(b), int64(len(b)))
		var fe *FormatError
		if !errors.As(err, &fe) || !strings.Contains(fe.Msg, "NT_FILE entries in all notes") {
			t.Fatalf("NewCore = %v, want a FormatError about the NT_FILE total", err)
		}
	})
}

// coreNaming builds a core whose NT_FILE maps path at 0x400000 as the
// executable (AT_ENTRY in it), with the faulting thread's pc there.
func coreNaming(path string) []byte {
	le := binary.LittleEndian
	pr := make([]byte, prRegOffset+27*8+8)
	le.PutUint16(pr[12:], 11)
	le.PutUint64(pr[prRegOffset+16*8:], 0x401000) // rip
	aux := []byte{}
	for _, kv := range [][2]uint64{{9, 0x401000}, {0, 0}} {
		aux = le.AppendUint64(le.AppendUint64(aux, kv[0]), kv[1])
	}
	files := le.AppendUint64(nil, 1)
	files = le.AppendUint64(files, 4096)
	files = le.AppendUint64(le.AppendUint64(le.AppendUint64(files, 0x400000), 0x402000), 0)
	files = append(append(files, path...), 0)
	notes := append(coreNote(1, pr), coreNote(ntAuxv, aux)...)
	notes = append(notes, coreNote(ntFile, files)...)
	return buildCoreWith([]rawPhdr{{typ: elf.PT_NOTE, off: dataOff(1), filesz: uint64(len(notes))}}, notes)
}

// Paths a core names are opened only if they are regular ELF files: a
// FIFO does not block the analysis, and no byte of a file that is not
// ELF (a core may name /etc/shadow) reaches the output.
func TestCoreNamesHostilePaths(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "shadow")
	if err := os.WriteFile(secret, []byte("root:$6$SECRETHASH:19000:0:99999:7:::\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, secret, "/dev/zero"} {
		t.Run(filepath.Base(p), func(t *testing.T) {
			b := coreNaming(p)
			c, err := NewCore(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan *Analysis, 1)
			go func() {
				a, err := AnalyzeCore(context.Background(), c, Options{NoCheck: true, Getenv: func(string) string { return "" }})
				if err != nil {
					t.Error(err)
				}
				done <- a
			}()
			var a *Analysis
			select {
			case a = <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("analysis of a core naming %s did not return", p)
			}
			if a == nil {
				return
			}
			out, err := json.Marshal(a)
			if err != nil {
				t.Fatal(err)
			}
			for _, leak := range []string{"root", "SECRET", "0x72 0x6f", "[114 111"} {
				if strings.Contains(string(out), leak) {
					t.Errorf("analysis shows %q from %s:\n%s", leak, p, out)
				}
			}
			var mod *Module
			for _, m := range a.Modules {
				if m.Path == p {
					mod = m
				}
			}
			if mod == nil || mod.Err == "" {
				t.Errorf("module %s = %+v, want an error saying why it was not read", p, mod)
			} else {
				t.Logf("%s: %s", p, mod.Err)
			}
		})
	}
}

// symtabBomb writes an ELF file whose .symtab is SHF_COMPRESSED: n zero
// bytes deflated to about n/1000, with an honest compression header.
func symtabBomb(t *testing.T, n int) string {
	return sectionBomb(t, ".symtab", elf.SHT_SYMTAB, n)
}

// sectionBomb is symtabBomb for a section of any name and type; a name
// starting with .zdebug gets the older "ZLIB" header instead of
// SHF_COMPRESSED.
func sectionBomb(t *testing.T, name string, typ elf.SectionType, n int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bomb")
	if err := os.WriteFile(p, sectionBombBytes(name, typ, n), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func sectionBombBytes(name string, typ elf.SectionType, n int) []byte {
	le := binary.LittleEndian
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zero := make([]byte, 1<<20)
	for left := n; left > 0; left -= len(zero) {
		zw.Write(zero[:min(left, len(zero))])
	}
	zw.Close()
	chdr := make([]byte, 24)
	le.PutUint32(chdr, uint32(elf.COMPRESS_ZLIB))
	le.PutUint64(chdr[8:], uint64(n))
	le.PutUint64(chdr[16:], 8)
	flags := uint64(elf.SHF_COMPRESSED)
	if strings.HasPrefix(name, ".zdebug") {
		chdr = append([]byte("ZLIB"), binary.BigEndian.AppendUint64(nil, uint64(n))...)
		flags = 0
	}
	symtab := append(chdr, z.Bytes()...)
	strtab := []byte("\x00")
	// Names padded to .symtab's length keep the offsets below fixed.
	shstr := []byte("\x00" + fmt.Sprintf("%-7s", name)[:max(7, len(name))] + "\x00.strtab\x00.shstrtab\x00")
	nameLen := max(7, len(name))
	var b bytes.Buffer
	b.Write(make([]byte, 64))
	symOff := b.Len()
	b.Write(symtab)
	strOff := b.Len()
	b.Write(strtab)
	shstrOff := b.Len()
	b.Write(shstr)
	for b.Len()%8 != 0 {
		b.WriteByte(0)
	}
	shoff := b.Len()
	sh := func(name, typ uint32, flags uint64, off, size int, link uint32, entsize uint64) {
		s := make([]byte, 64)
		le.PutUint32(s, name)
		le.PutUint32(s[4:], typ)
		le.PutUint64(s[8:], flags)
		le.PutUint64(s[24:], uint64(off))
		le.PutUint64(s[32:], uint64(size))
		le.PutUint32(s[40:], link)
		le.PutUint64(s[56:], entsize)
		b.Write(s)
	}
	sh(0, 0, 0, 0, 0, 0, 0)
	sh(1, uint32(typ), flags, symOff, len(symtab), 2, 24)
	sh(uint32(nameLen+2), uint32(elf.SHT_STRTAB), 0, strOff, len(strtab), 0, 0)
	sh(uint32(nameLen+10), uint32(elf.SHT_STRTAB), 0, shstrOff, len(shstr), 0, 0)
	out := b.Bytes()
	copy(out, "\x7fELF\x02\x01\x01")
	le.PutUint16(out[16:], uint16(elf.ET_DYN))
	le.PutUint16(out[18:], uint16(elf.EM_X86_64))
	le.PutUint32(out[20:], 1)
	le.PutUint64(out[40:], uint64(shoff))
	le.PutUint16(out[52:], 64)
	le.PutUint16(out[54:], 56)
	le.PutUint16(out[58:], 64)
	le.PutUint16(out[60:], 4)
	le.PutUint16(out[62:], 3)
	return out
}

// A compressed .symtab is inflated only up to a claim proportional to
// its bytes: a 40 KB file whose symbols inflate to 40 MB (and to 190 MB
// of elf.Symbol) is refused before debug/elf reads it.
func TestCompressedSectionBomb(t *testing.T) {
	for _, tc := range []struct {
		name string
		typ  elf.SectionType
	}{{".symtab", elf.SHT_SYMTAB}, {".debug_frame", elf.SHT_PROGBITS}, {".debug_str", elf.SHT_PROGBITS}, {".zdebug_info", elf.SHT_PROGBITS}} {
		t.Run(tc.name, func(t *testing.T) { testBomb(t, sectionBomb(t, tc.name, tc.typ, 40<<20)) })
	}
}

func testBomb(t *testing.T, p string) {
	st, _ := os.Stat(p)
	a := &analyzer{ctx: context.Background(), res: &Analysis{}, core: &Core{}}
	m := &Module{Path: p}
	var err error
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	err = a.openModule(m, p)
	runtime.ReadMemStats(&ms)
	n := ms.TotalAlloc - before
	m.close()
	t.Logf("%d-byte file: openModule allocated %d bytes: %v", st.Size(), n, err)
	if err == nil || !strings.Contains(err.Error(), "claims") {
		t.Errorf("openModule = %v, want the compressed section refused", err)
	}
	if n > 4<<20 {
		t.Errorf("openModule allocated %d bytes for a %d-byte file", n, st.Size())
	}
}

// BenchmarkReadMemoryManyLoads: one word read among 65,000 PT_LOADs.
func BenchmarkReadMemoryManyLoads(b *testing.B) {
	const loads = 65000
	var phdrs []rawPhdr
	pr := coreNote(1, make([]byte, prRegOffset+27*8+8))
	base := dataOff(loads + 1)
	phdrs = append(phdrs, rawPhdr{typ: elf.PT_NOTE, off: base, filesz: uint64(len(pr))})
	for i := range loads {
		phdrs = append(phdrs, rawPhdr{typ: elf.PT_LOAD, off: base + uint64(len(pr)), vaddr: 0x10000000 + uint64(i)*0x1000, filesz: 0x1000, memsz: 0x1000})
	}
	raw := buildCoreWith(phdrs, append(pr, make([]byte, 0x1000)...))
	c, err := NewCore(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		c.readWord(0x10000000 + uint64(i%loads)*0x1000 + 8)
		i += 7919
	}
}

// FuzzCompressedClaims: whatever the section headers and compression
// headers say, the check returns without panicking, and what it accepts
// is within the caps.
func FuzzCompressedClaims(f *testing.F) {
	for _, name := range []string{".symtab", ".zdebug_info"} {
		f.Add(sectionBombBytes(name, elf.SHT_PROGBITS, 1<<16))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		total, err := compressedClaims(bytes.NewReader(b), int64(len(b)))
		if err == nil && total > max(minInflateFile, maxInflateRatio*uint64(len(b))) {
			t.Fatalf("accepted claims of %d bytes for a %d-byte file", total, len(b))
		}
	})
}

// FuzzCoreExtent: the size a decompressed core may reach, read from its
// first bytes, is never more than maxDecompressed.
func FuzzCoreExtent(f *testing.F) {
	pr := coreNote(1, make([]byte, prRegOffset+27*8+8))
	f.Add(buildCoreWith([]rawPhdr{{typ: elf.PT_NOTE, off: dataOff(1), filesz: uint64(len(pr))}}, pr))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := coreExtent(bytes.NewReader(b), int64(len(b)))
		if err == nil && (n < 0 || n > maxDecompressed) {
			t.Fatalf("coreExtent = %d", n)
		}
	})
}

// The compressed sections of all the files one analysis opens share one
// budget: a file within its own caps is refused once the budget is spent.
func TestInflateBudget(t *testing.T) {
	p := filepath.Join(t.TempDir(), "small")
	if err := os.WriteFile(p, sectionBombBytes(".debug_str", elf.SHT_PROGBITS, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	a := &analyzer{ctx: context.Background(), res: &Analysis{}, core: &Core{}}
	osf, _, err := a.openELF(p)
	if err != nil {
		t.Fatalf("a 1 MiB claim within every cap: %v", err)
	}
	osf.Close()
	if a.inflated != 1<<20 {
		t.Errorf("budget spent %d, want %d", a.inflated, 1<<20)
	}
	a.inflated = inflateBudget - 1000
	if _, _, err := a.openELF(p); err == nil || !strings.Contains(err.Error(), "budget") {
		t.Errorf("openELF with the budget spent = %v, want a refusal naming the budget", err)
	}
}
