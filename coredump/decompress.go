package coredump

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"

	"github.com/elfdoctor/elfdoctor/internal/safeopen"
)

var (
	magicZstd = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicLZ4  = []byte{0x04, 0x22, 0x4d, 0x18}
	magicXZ   = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
)

// maxDecompressed bounds a decompressed core whatever its headers say;
// systemd-coredump's default ProcessSizeMax is 32 GiB.
const maxDecompressed = 64 << 30

// inflateSlack is what a decompressed core may hold past the end of the
// last structure its headers name.
const inflateSlack = 1 << 20

// openMaybeCompressed opens path, and when its first bytes are a zstd,
// lz4 or xz magic (systemd-coredump's formats, whatever the file is
// called), streams it into a temporary file in $TMPDIR and opens that
// instead: the core is then read at random offsets without holding it in
// memory.
//
// The temporary file is unlinked as soon as it is created, so it is gone
// on every exit path, a crash or SIGKILL included; its space is freed
// when the returned file is closed. Inflating stops with ctx, and at the
// size the core's own program headers give it (the end of the last
// segment, plus inflateSlack), so a small bomb cannot fill the disk; that
// size must also fit in $TMPDIR's free space.
func openMaybeCompressed(ctx context.Context, path string) (*os.File, error) {
	f, err := safeopen.Regular(path)
	if err != nil {
		return nil, err
	}
	head := make([]byte, 6)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	var (
		dec  io.Reader
		kind string
	)
	br := bufio.NewReaderSize(f, 1<<16)
	if kind = compression(head); kind == "" {
		return f, nil
	}
	defer f.Close()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	switch kind {
	case "zstd":
		// A small window limit keeps memory bounded whatever the frame
		// header asks for; systemd writes with the default window.
		z, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(64<<20), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, fmt.Errorf("%s: zstd: %w", path, err)
		}
		defer z.Close()
		dec = z
	case "lz4":
		dec = lz4.NewReader(br)
	case "xz":
		cfg := xz.ReaderConfig{DictCap: 64 << 20}
		x, err := cfg.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: xz: %w", path, err)
		}
		dec = x
	}
	tmp, err := os.CreateTemp("", "elfdoctor-core-*")
	if err != nil {
		return nil, fmt.Errorf("decompress %s: %w", path, err)
	}
	os.Remove(tmp.Name())
	if err := inflateCore(ctx, tmp, dec); err != nil {
		tmp.Close()
		if errors.Is(err, ErrNotCore) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %s: %w", path, kind, err)
	}
	return tmp, nil
}

// inflateCore copies dec into tmp, reading the ELF and program headers
// as they arrive to learn how large the core can be.
func inflateCore(ctx context.Context, tmp *os.File, dec io.Reader) error {
	buf := make([]byte, 1<<20)
	var written, limit int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, rerr := dec.Read(buf)
		if n > 0 {
			if limit > 0 && written+int64(n) > limit {
				return fmt.Errorf("more than the %d bytes the core's program headers account for", limit)
			}
			if _, err := tmp.Write(buf[:n]); err != nil {
				return err
			}
			written += int64(n)
			if limit == 0 {
				l, err := coreExtent(tmp, written)
				if err != nil {
					return err
				}
				if l > 0 {
					limit = l
					if free, ok := freeSpace(tmp); ok && uint64(limit-written) > free {
						return fmt.Errorf("the core needs up to %d bytes, more than the %d free in $TMPDIR (%s)", limit, free, os.TempDir())
					}
				}
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// coreExtent reads the headers in the first written bytes of f and
// returns where the last structure they name ends, plus inflateSlack, at
// most maxDecompressed; 0 while the headers have not all arrived.
func coreExtent(f io.ReaderAt, written int64) (int64, error) {
	if written < 64 {
		return 0, nil
	}
	h := make([]byte, 64)
	if _, err := f.ReadAt(h, 0); err != nil {
		return 0, err
	}
	c := &Core{Class: elf.Class(h[elf.EI_CLASS]), Order: binary.LittleEndian}
	if h[elf.EI_DATA] == byte(elf.ELFDATA2MSB) {
		c.Order = binary.BigEndian
	}
	l := layout64
	if c.Class == elf.ELFCLASS32 {
		l = layout32
	}
	if !bytes.HasPrefix(h, []byte(elf.ELFMAG)) || (c.Class != elf.ELFCLASS64 && c.Class != elf.ELFCLASS32) || elf.Type(c.Order.Uint16(h[16:])) != elf.ET_CORE {
		return 0, ErrNotCore
	}
	phoff, shoff := c.word(h[l.phoff:]), c.word(h[l.shoff:])
	phnum := uint64(c.Order.Uint16(h[l.phnum:]))
	es := uint64(l.entsize)
	end := uint64(64)
	if phnum == 0xffff {
		if shoff > maxDecompressed {
			return maxDecompressed, nil
		}
		if written < int64(shoff)+int64(l.shsize) {
			return 0, nil
		}
		s0 := make([]byte, l.shsize)
		if _, err := f.ReadAt(s0, int64(shoff)); err != nil {
			return 0, err
		}
		phnum = uint64(c.Order.Uint32(s0[l.shinfo:]))
		end = shoff + uint64(l.shsize)
	}
	if phoff > maxDecompressed || phnum > maxPhnum {
		return maxDecompressed, nil
	}
	tableEnd := phoff + phnum*es
	if written < int64(tableEnd) {
		return 0, nil
	}
	ph := make([]byte, phnum*es)
	if _, err := f.ReadAt(ph, int64(phoff)); err != nil {
		return 0, err
	}
	end = max(end, tableEnd)
	for i := uint64(0); i < phnum; i++ {
		p := ph[i*es:]
		off, filesz := c.word(p[l.off:]), c.word(p[l.filesz:])
		if off > maxDecompressed || filesz > maxDecompressed {
			return maxDecompressed, nil
		}
		end = max(end, off+filesz)
	}
	return int64(min(end+inflateSlack, maxDecompressed)), nil
}

// freeSpace is what an unprivileged writer may still put in f's file
// system.
func freeSpace(f *os.File) (uint64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Fstatfs(int(f.Fd()), &st); err != nil {
		return 0, false
	}
	return st.Bavail * uint64(st.Bsize), true
}

// compression names the format whose magic starts head: "zstd", "lz4",
// "xz", or "" for none.
func compression(head []byte) string {
	switch {
	case bytes.HasPrefix(head, magicZstd):
		return "zstd"
	case bytes.HasPrefix(head, magicLZ4):
		return "lz4"
	case bytes.HasPrefix(head, magicXZ):
		return "xz"
	}
	return ""
}
