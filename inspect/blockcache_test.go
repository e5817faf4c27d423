package inspect

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"
)

// failingReader fails every read that touches the byte at badOff.
type failingReader struct {
	r      io.ReaderAt
	badOff int64
}

func (f failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off <= f.badOff && f.badOff < off+int64(len(p)) {
		return 0, errors.New("injected read error")
	}
	return f.r.ReadAt(p, off)
}

// Small reads through the block cache return the file's bytes wherever
// they fall (across block boundaries, at the short last block, after
// evictions), the cache never holds more than blockCount blocks, and a
// failed read leaves no block claiming bytes it does not hold.
func TestBlockCache(t *testing.T) {
	data := make([]byte, 100*blockSize+123)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	bad := int64(7*blockSize + 5)
	f := &File{r: failingReader{bytes.NewReader(data), bad}, size: int64(len(data))}
	buf := make([]byte, smallReadTo)
	for i := 0; i < 20000; i++ {
		n := 1 + rng.IntN(smallReadTo)
		off := rng.Int64N(int64(len(data) - n + 1))
		p := buf[:n]
		err := f.readAt(p, off)
		// Blocks are read whole: a read anywhere in the failing byte's
		// block fails.
		badBlock := bad &^ (blockSize - 1)
		touchesBad := off < badBlock+blockSize && badBlock < off+int64(n)
		switch {
		case touchesBad && err == nil:
			t.Fatalf("readAt(%d bytes at 0x%x) over the failing block succeeded", n, off)
		case !touchesBad && err != nil:
			t.Fatalf("readAt(%d bytes at 0x%x): %v", n, off, err)
		case !touchesBad && !bytes.Equal(p, data[off:off+int64(n)]):
			t.Fatalf("readAt(%d bytes at 0x%x) returned other bytes than the file's", n, off)
		}
		if len(f.cache.blocks) > blockCount {
			t.Fatalf("the cache holds %d blocks, want at most %d", len(f.cache.blocks), blockCount)
		}
		for _, b := range f.cache.blocks {
			if b.off >= 0 && !bytes.Equal(b.data[:b.n], data[b.off:b.off+int64(b.n)]) {
				t.Fatalf("block at 0x%x holds other bytes than the file's", b.off)
			}
		}
	}
}

// A file that is read in two places costs two blocks, not the whole
// cache: check opens a dozen files in a process that lives 30 ms.
func TestBlockCacheAllocatesOnUse(t *testing.T) {
	data := make([]byte, 64*blockSize)
	var p [16]byte
	const runs = 10
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f := &File{r: bytes.NewReader(data), size: int64(len(data))}
		f.readAt(p[:], 0)
		f.readAt(p[:], 40*blockSize)
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 3*blockSize {
		t.Errorf("a file read in two blocks allocated %d bytes, want at most %d", per, 3*blockSize)
	}
	f := &File{r: bytes.NewReader(data), size: int64(len(data))}
	f.readAt(p[:], 0)
	f.readAt(p[:], 40*blockSize)
	if n := len(f.cache.blocks); n != 2 {
		t.Errorf("reading two blocks filled %d, want 2", n)
	}
}
