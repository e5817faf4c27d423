package coredump

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"

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

// maxDecompressed bounds a decompressed core; systemd-coredump's default
// ProcessSizeMax is 32 GiB, so anything larger is hostile.
const maxDecompressed = 64 << 30

// openMaybeCompressed opens path, and when its first bytes are a zstd,
// lz4 or xz magic (systemd-coredump's formats, whatever the file is
// called), streams it into a temporary file and opens that instead: the
// core is then read at random offsets without holding it in memory.
func openMaybeCompressed(path string) (*os.File, string, error) {
	f, err := safeopen.Regular(path)
	if err != nil {
		return nil, "", err
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
		return f, "", nil
	}
	defer f.Close()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, "", err
	}
	switch kind {
	case "zstd":
		// A small window limit keeps memory bounded whatever the frame
		// header asks for; systemd writes with the default window.
		z, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(64<<20), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, "", fmt.Errorf("%s: zstd: %w", path, err)
		}
		defer z.Close()
		dec = z
	case "lz4":
		dec = lz4.NewReader(br)
	case "xz":
		cfg := xz.ReaderConfig{DictCap: 64 << 20}
		x, err := cfg.NewReader(br)
		if err != nil {
			return nil, "", fmt.Errorf("%s: xz: %w", path, err)
		}
		dec = x
	}
	tmp, err := os.CreateTemp("", "elfdoctor-core-*")
	if err != nil {
		return nil, "", fmt.Errorf("decompress %s: %w", path, err)
	}
	n64, err := io.Copy(tmp, io.LimitReader(dec, maxDecompressed+1))
	if err == nil && n64 > maxDecompressed {
		err = fmt.Errorf("more than %d bytes decompressed", int64(maxDecompressed))
	}
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, "", fmt.Errorf("%s: %s: %w", path, kind, err)
	}
	return tmp, tmp.Name(), nil
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
