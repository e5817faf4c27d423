package safeopen

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestRegular(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "reg")
	if err := os.WriteFile(reg, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(reg, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{reg, true},
		{link, true}, // the loader follows links; so do we
		{fifo, false},
		{dir, false},
		{"/dev/null", false},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				f, err := Regular(tc.path)
				if err == nil {
					f.Close()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if tc.ok && err != nil {
					t.Fatalf("Regular(%s) = %v, want success", tc.path, err)
				}
				if !tc.ok && !errors.Is(err, ErrNotRegular) {
					t.Fatalf("Regular(%s) = %v, want ErrNotRegular", tc.path, err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("Regular(%s) blocked", tc.path)
			}
		})
	}
}
