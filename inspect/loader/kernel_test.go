package loader

import (
	"bufio"
	"debug/elf"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect"
)

func TestKernelRead(t *testing.T) {
	for _, tc := range []struct {
		size   int64
		off, n uint64
		want   syscall.Errno
	}{
		{0x1000, 0x318, 0x1c, 0},
		{0x1000, 0xff0, 0x1c, syscall.EIO},                 // short read
		{0x1000, 0x10000000318, 0x1c, syscall.EIO},         // past the end
		{0x1000, 0xccd345b7127b95a4, 0x1c, syscall.EINVAL}, // negative loff_t
		{0x1000, 0x7ffffffffffffff0, 0x20, syscall.EINVAL}, // end overflows loff_t
		{0x1000, 0, 0x1000, 0},
	} {
		if got := kernelRead(tc.size, tc.off, tc.n); got != tc.want {
			t.Errorf("kernelRead(size 0x%x, off 0x%x, n 0x%x) = %v, want %v", tc.size, tc.off, tc.n, got, tc.want)
		}
	}
}

func TestMapObjectError(t *testing.T) {
	load := func(off, vaddr, align uint64) inspect.Prog {
		return inspect.Prog{Type: elf.PT_LOAD, Offset: off, Vaddr: vaddr, Filesz: 0x10, Memsz: 0x10, Align: align}
	}
	dyn := inspect.Prog{Type: elf.PT_DYNAMIC, Vaddr: 0x3e00, Filesz: 0x100, Memsz: 0x100}
	for _, tc := range []struct {
		name  string
		progs []inspect.Prog
		typ   elf.Type
		minor int
		want  string
	}{
		{"fine", []inspect.Prog{load(0, 0, 0x1000), dyn}, elf.ET_DYN, 36, ""},
		{"no loads", []inspect.Prog{dyn}, elf.ET_DYN, 36, "object file has no loadable segments"},
		{"executable", []inspect.Prog{load(0, 0x400000, 0x1000), dyn}, elf.ET_EXEC, 36, "cannot dynamically load executable"},
		{"no dynamic", []inspect.Prog{load(0, 0, 0x1000)}, elf.ET_DYN, 41, "object file has no dynamic section"},
		{"page misaligned", []inspect.Prog{load(0x900, 0x3908, 0x1000), dyn}, elf.ET_DYN, 36, "ELF load command address/offset not page-aligned"},
		// glibc before 2.35 also checks p_align, and the offset against it.
		{"align zero 2.31", []inspect.Prog{load(0x900, 0x3900, 0), dyn}, elf.ET_DYN, 31, "ELF load command address/offset not properly aligned"},
		{"align zero 2.36", []inspect.Prog{load(0x900, 0x3900, 0), dyn}, elf.ET_DYN, 36, ""},
		{"align odd 2.31", []inspect.Prog{load(0, 0, 0x1001), dyn}, elf.ET_DYN, 31, "ELF load command alignment not page-aligned"},
	} {
		if got := mapObjectError(tc.progs, tc.typ, tc.minor); got != tc.want {
			t.Errorf("%s: mapObjectError = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestUndefinedOpcode(t *testing.T) {
	for _, tc := range []struct {
		code []byte
		want string
	}{
		{[]byte{0x1f, 0x00, 0xc3}, "SIGILL"},       // pop %ds: not in 64-bit mode
		{[]byte{0x48, 0x06}, "SIGILL"},             // REX, then push %es
		{[]byte{0x0f, 0x0b}, "SIGILL"},             // ud2
		{[]byte{0xcc, 0xcc}, "SIGTRAP"},            // int3 padding
		{[]byte{0xf4}, "SIGSEGV"},                  // hlt
		{[]byte{0xf3, 0x0f, 0x1e, 0xfa}, ""},       // endbr64
		{[]byte{0x48, 0x83, 0xec, 0x08}, ""},       // sub $8,%rsp
		{[]byte{0x66, 0x2e, 0x0f, 0x1f, 0x84}, ""}, // nopw
	} {
		b := make([]byte, 16)
		copy(b, tc.code)
		if _, got := undefinedIn(b); got != tc.want {
			t.Errorf("undefinedIn(% x) = %q, want %q", tc.code, got, tc.want)
		}
	}
}

// TestFiveLevel compares fiveLevel, which taskSize asks, with the
// kernel's own word: its la57 flag in /proc/cpuinfo, which it shows only
// when it runs with 5-level paging. The flags are read line by line:
// /proc files report size 0, and a reader sized by stat once saw no
// flags at all. Every x86-64 CPU reports sse2.
func TestFiveLevel(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("reads the flags of an x86-64 Linux host")
	}
	fh, err := os.Open("/proc/cpuinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	flags := map[string]bool{}
	lines := bufio.NewScanner(fh)
	lines.Buffer(make([]byte, 0, 4096), 1<<20)
	for lines.Scan() {
		if k, v, ok := strings.Cut(lines.Text(), ":"); ok && strings.TrimSpace(k) == "flags" {
			for _, f := range strings.Fields(v) {
				flags[f] = true
			}
			break
		}
	}
	if err := lines.Err(); err != nil || !flags["sse2"] {
		t.Fatalf("/proc/cpuinfo: %d flags, without sse2 (%v)", len(flags), err)
	}
	if got := fiveLevel(); got != flags["la57"] {
		t.Errorf("fiveLevel() = %v, the kernel's la57 flag %v", got, flags["la57"])
	}
	want := uint64(1<<47 - 0x1000)
	if flags["la57"] {
		want = 1<<56 - 0x1000
	}
	if got := taskSize(&inspect.File{Header: inspect.Header{Class: elf.ELFCLASS64}}); got != want {
		t.Errorf("taskSize = %#x, want %#x (la57 %v)", got, want, flags["la57"])
	}
}

// TestMmapMinAddr reads vm.mmap_min_addr as the kernel reports it: a
// stat-sized read once saw nothing in this size-0 file, and the replay
// then assumed 4096 on every machine.
func TestMmapMinAddr(t *testing.T) {
	b, err := readProc("/proc/sys/vm/mmap_min_addr", 64)
	if err != nil {
		t.Fatalf("read /proc/sys/vm/mmap_min_addr: %v", err)
	}
	var want uint64
	if _, err := fmt.Sscan(string(b), &want); err != nil {
		t.Fatalf("readProc gave %q: %v", b, err)
	}
	if got := mmapMinAddr(); got != max(want, 4096) {
		t.Errorf("mmapMinAddr() = %d, want %d", got, max(want, 4096))
	}
}
