package coredump

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// zstdCore writes a zstd-compressed core whose headers account for
// claim bytes (one PT_LOAD ending there) and whose stream is really
// total bytes long (the tail zeros), and returns its path.
func zstdCore(t testing.TB, dir string, claim, total int64) string {
	t.Helper()
	pr := coreNote(1, make([]byte, prRegOffset+27*8+8))
	base := dataOff(2)
	hdr := buildCoreWith([]rawPhdr{
		{typ: elf.PT_NOTE, off: base, filesz: uint64(len(pr))},
		{typ: elf.PT_LOAD, off: 0x1000, vaddr: 0x10000, filesz: uint64(claim - 0x1000), memsz: uint64(claim - 0x1000)},
	}, pr)
	p := filepath.Join(dir, "core.zst")
	out, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w, err := zstd.NewWriter(out, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		t.Fatal(err)
	}
	w.Write(hdr)
	zero := make([]byte, 1<<20)
	for left := total - int64(len(hdr)); left > 0; left -= int64(len(zero)) {
		w.Write(zero[:min(left, int64(len(zero)))])
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// tmpEntries lists what $TMPDIR holds.
func tmpEntries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// A compressed core is inflated no further than its program headers
// account for: a stream of 512 MiB behind headers that name 8 MiB stops
// at 9 MiB (1 MiB of slack), and nothing is left in $TMPDIR.
func TestCompressedCoreCap(t *testing.T) {
	src := t.TempDir()
	p := zstdCore(t, src, 8<<20, 512<<20)
	st, _ := os.Stat(p)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	start := time.Now()
	_, err := Open(p)
	t.Logf("%d-byte .zst: %v after %v", st.Size(), err, time.Since(start))
	if err == nil || !strings.Contains(err.Error(), "program headers account for") {
		t.Fatalf("Open = %v, want the inflation stopped at the headers' size", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprint(8<<20+inflateSlack)) {
		t.Errorf("error %q does not name the cap %d", err, 8<<20+inflateSlack)
	}
	if left := tmpEntries(t, tmp); len(left) > 0 {
		t.Errorf("$TMPDIR holds %v after a refused core", left)
	}
	// The same headers with the stream they name open.
	q := zstdCore(t, t.TempDir(), 8<<20, 8<<20)
	c, err := Open(q)
	if err != nil {
		t.Fatal(err)
	}
	if left := tmpEntries(t, tmp); len(left) > 0 {
		t.Errorf("$TMPDIR holds %v while the core is open: the copy is not unlinked", left)
	}
	c.Close()
}

// Inflating stops when the context is cancelled (Ctrl-C).
func TestCompressedCoreCancel(t *testing.T) {
	p := zstdCore(t, t.TempDir(), 4<<30, 4<<30)
	t.Setenv("TMPDIR", t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := OpenContext(ctx, p)
	el := time.Since(start)
	t.Logf("cancelled after 200ms: returned after %v: %v", el, err)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("OpenContext = %v, want context.Canceled", err)
	}
	if el > 3*time.Second {
		t.Errorf("OpenContext returned %v after it was cancelled at 200ms", el)
	}
}

// inflateHelperEnv makes the test binary a process that opens the named
// compressed core and stays in the middle of it, to be killed.
const inflateHelperEnv = "ELFDOCTOR_TEST_INFLATE"

func TestMain(m *testing.M) {
	if p := os.Getenv(inflateHelperEnv); p != "" {
		fmt.Println("inflating")
		_, err := Open(p)
		fmt.Println(err)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Killed while inflating, by SIGTERM or SIGKILL, the process leaves
// nothing in $TMPDIR: the copy is unlinked when it is created.
func TestCompressedCoreKilled(t *testing.T) {
	p := zstdCore(t, t.TempDir(), 4<<30, 4<<30)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			tmp := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run", "^$")
			cmd.Env = append(os.Environ(), inflateHelperEnv+"="+p, "TMPDIR="+tmp)
			stdout, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line := make([]byte, 10)
			io.ReadFull(stdout, line)
			// Wait until the copy is being written: the helper holds a
			// deleted file in $TMPDIR open.
			deadline := time.Now().Add(10 * time.Second)
			for !holdsDeleted(cmd.Process.Pid, tmp) {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatal("the helper never opened its copy")
				}
				time.Sleep(20 * time.Millisecond)
			}
			if left := tmpEntries(t, tmp); len(left) > 0 {
				t.Errorf("$TMPDIR holds %v while inflating", left)
			}
			cmd.Process.Signal(sig)
			cmd.Wait()
			if left := tmpEntries(t, tmp); len(left) > 0 {
				t.Errorf("$TMPDIR holds %v after %v", left, sig)
			}
		})
	}
}

func holdsDeleted(pid int, dir string) bool {
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(l, dir) && strings.HasSuffix(l, "(deleted)") {
			return true
		}
	}
	return false
}

// An i386 core (ELFCLASS32 headers) is sized from its own layout.
func TestCompressedCore32(t *testing.T) {
	raw := buildCore32(coreNote(1, make([]byte, 72+17*4+4)))
	p := filepath.Join(t.TempDir(), "core32.zst")
	out, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := zstd.NewWriter(out)
	w.Write(raw)
	w.Close()
	out.Close()
	c, err := Open(p)
	if err != nil {
		t.Fatalf("Open(compressed i386 core) = %v", err)
	}
	defer c.Close()
	if c.Class != elf.ELFCLASS32 || len(c.Threads) != 1 {
		t.Errorf("class %v, %d threads; want ELFCLASS32 and 1", c.Class, len(c.Threads))
	}
	if n, err := coreExtent(bytes.NewReader(raw), int64(len(raw))); err != nil || n > int64(len(raw))+inflateSlack {
		t.Errorf("coreExtent = %d, %v; want at most %d", n, err, len(raw)+inflateSlack)
	}
}
