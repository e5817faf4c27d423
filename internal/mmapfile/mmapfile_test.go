package mmapfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func mapped(t *testing.T, data []byte) (*File, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	m, err := Map(fh, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, p
}

func TestReadAt(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1000)
	m, _ := mapped(t, data)
	p := make([]byte, 10)
	if n, err := m.ReadAt(p, 5); n != 10 || err != nil || !bytes.Equal(p, data[5:15]) {
		t.Errorf("ReadAt(10 at 5) = %d, %v, %q", n, err, p)
	}
	if n, err := m.ReadAt(p, int64(len(data))-4); n != 4 || err != io.EOF {
		t.Errorf("ReadAt over the end = %d, %v, want 4, EOF", n, err)
	}
	if _, err := m.ReadAt(p, int64(len(data))); err != io.EOF {
		t.Errorf("ReadAt at the end = %v, want EOF", err)
	}
	if _, err := m.ReadAt(p, -1); err == nil {
		t.Error("ReadAt at -1 succeeded")
	}
	if err := m.Do(int64(len(data))-4, 5, func([]byte) {}); err == nil {
		t.Error("Do past the end succeeded")
	}
}

// A file cut short after it was mapped raises SIGBUS when its lost pages
// are touched; that must be an error, not the end of the process.
func TestTruncatedWhileMapped(t *testing.T) {
	data := bytes.Repeat([]byte{'x'}, 64<<10)
	m, p := mapped(t, data)
	if err := os.Truncate(p, 4096); err != nil {
		t.Fatal(err)
	}
	var seen int
	err := m.Do(0, int64(len(data)), func(b []byte) {
		for i := range b {
			seen += int(b[i]) & 1
		}
	})
	if !errors.Is(err, ErrChanged) {
		t.Fatalf("Do over a truncated file = %v, want ErrChanged", err)
	}
	q := make([]byte, 16)
	if _, err := m.ReadAt(q, 32<<10); !errors.Is(err, ErrChanged) {
		t.Errorf("ReadAt past the new end = %v, want ErrChanged", err)
	}
	if _, err := m.ReadAt(q, 0); err != nil {
		t.Errorf("ReadAt before the new end = %v", err)
	}
}

// Only faults inside the mapping are turned into errors.
func TestOtherPanicsGoOn(t *testing.T) {
	m, _ := mapped(t, []byte("abc"))
	defer func() {
		if r := recover(); r != "boom" {
			t.Errorf("recovered %v, want boom", r)
		}
	}()
	_ = m.Do(0, 3, func([]byte) { panic("boom") })
	t.Error("Do returned")
}

func TestClosed(t *testing.T) {
	m, _ := mapped(t, []byte("abc"))
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.ReadAt(make([]byte, 1), 0); !errors.Is(err, os.ErrClosed) {
		t.Errorf("ReadAt after Close = %v", err)
	}
	if err := m.Do(0, 1, func([]byte) {}); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Do after Close = %v", err)
	}
}

func TestMapRefuses(t *testing.T) {
	p := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if _, err := Map(fh, 0); err == nil {
		t.Error("Map of an empty file succeeded")
	}
}
