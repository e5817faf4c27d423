package inspect

import (
	"bytes"
	"os"
	"testing"
)

// TestScanBoundaries places a pattern across and beside every chunk
// boundary a scan reads at: each occurrence must be reported once, with
// its context, whatever piece it straddles.
func TestScanBoundaries(t *testing.T) {
	base, err := os.ReadFile("../testdata/bin/gcc-pie")
	if err != nil {
		t.Fatal(err)
	}
	pat := []byte("Bun v1.2.3 (Linux x64)")
	body := make([]byte, 3*scanChunk+1000)
	var want []int64
	for _, at := range []int{0, scanChunk - 2*len(pat), scanChunk - 3, 2 * scanChunk, 3*scanChunk - 1, 3*scanChunk + 1000 - len(pat)} {
		copy(body[at:], pat)
		want = append(want, int64(len(base)+at))
	}
	b := append(append([]byte(nil), base...), body...)
	f, err := NewFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	err = f.scan(fileRange{int64(len(base)), int64(len(b))}, []byte("Bun v"), len(pat), func(off int64, ctx []byte) bool {
		got = append(got, off)
		if !bytes.Equal(ctx, pat) {
			t.Errorf("context at 0x%x = %q, want %q", off, ctx, pat)
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("scan found %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("occurrence %d at 0x%x, want 0x%x", i, got[i], want[i])
		}
	}
}
