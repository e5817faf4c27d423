package inspect

import "io"

// Walks over version tables, string tables and hash chains issue many
// reads of 4 to 64 bytes that land on the same few pages. A pread per
// read dominated `check` on real systems. A file Open maps is read from
// its mapping (internal/mmapfile); for any other reader, small reads go
// through a tiny cache of file blocks. Its size is fixed, whatever the
// file, and a block is allocated only when first filled: check opens a
// dozen files and touches a few blocks of each, and a short-lived
// process that allocated the whole cache per file paid for it in page
// faults and a garbage collection.
const (
	blockSize   = 4096
	blockCount  = 32
	smallReadTo = 1024
)

type block struct {
	off  int64 // file offset of the block
	n    int   // valid bytes (short at end of file)
	data [blockSize]byte
	used uint64
}

type blockCache struct {
	blocks []*block // at most blockCount
	clock  uint64
}

// readAt reads len(p) bytes at off; the caller has checked the range
// against the file size.
//
// p does not escape: the replay reads most words into arrays on its
// stack, thousands of them per check, which a slice handed to an
// io.ReaderAt would move to the heap. A large read from a reader that
// is not a mapping goes through a buffer of its own for that reason.
func (f *File) readAt(p []byte, off int64) error {
	if f.mapped != nil {
		n, err := f.mapped.ReadAt(p, off)
		if n == len(p) {
			return nil
		}
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	if len(p) > smallReadTo {
		b := make([]byte, len(p))
		if err := readFullAt(f.r, b, off); err != nil {
			return err
		}
		copy(p, b)
		return nil
	}
	if f.cache == nil {
		f.cache = &blockCache{}
	}
	for len(p) > 0 {
		b, err := f.cache.get(f, off&^(blockSize-1))
		if err != nil {
			return err
		}
		k := copy(p, b.data[off-b.off:b.n])
		if k == 0 {
			return errAt(off, "read", "short read", nil)
		}
		p = p[k:]
		off += int64(k)
	}
	return nil
}

func (c *blockCache) get(f *File, off int64) (*block, error) {
	c.clock++
	var victim *block
	for _, b := range c.blocks {
		if b.off == off {
			b.used = c.clock
			return b, nil
		}
		if victim == nil || b.used < victim.used {
			victim = b
		}
	}
	n := int64(blockSize)
	if rest := f.size - off; rest < n {
		n = rest
	}
	if len(c.blocks) < blockCount {
		victim = &block{}
		if err := readFullAt(f.r, victim.data[:n], off); err != nil {
			return nil, err
		}
		c.blocks = append(c.blocks, victim)
	} else {
		// Forget the block before refilling it, so that a failed read
		// leaves no block claiming bytes it does not hold.
		victim.off, victim.n = -1, 0
		if err := readFullAt(f.r, victim.data[:n], off); err != nil {
			return nil, err
		}
	}
	victim.off, victim.n, victim.used = off, int(n), c.clock
	return victim, nil
}

// readFullAt is ReadAt that accepts io.EOF with a full read, as ReaderAt
// implementations may return it at the end of the file.
func readFullAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}
