package coredump

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/internal/safeopen"
)

// Caps on what compressed sections may inflate to. debug/elf inflates a
// section whole, to the size its compression header claims, whenever
// Data, Symbols or DWARF reads it: a 40 KB file claiming gigabytes took
// 3.3 GB. Real debug sections compress 3 to 10 times; zlib cannot do
// better than 1,032, so a claim past maxInflateRatio times the
// compressed bytes is a bomb, not a debug file.
const (
	maxInflateRatio = 128
	// minInflateCap lets a small section inflate to 1 MiB whatever its
	// ratio (a run of zeros compresses far better than 128:1).
	minInflateCap = 1 << 20
	// minInflateFile is the same floor for all of a file's sections.
	minInflateFile = 16 << 20
	// inflateBudget is what all files one analysis opens may claim
	// together: libc's and ld.so's debug files claim about 40 MB.
	inflateBudget = 1 << 30
)

// errNotELF says a file a core names is not ELF. It carries no byte of
// the file: a core may name /etc/shadow.
var errNotELF = errors.New("not an ELF file")

// openELF opens a file a core or the command line named, for debug/elf:
// only a regular file (a FIFO in NT_FILE must not block), only ELF, and
// only when its compressed sections claim no more than the caps allow
// and the analysis's budget still holds. The caller closes the returned
// *os.File after the *elf.File.
func (a *analyzer) openELF(path string) (*os.File, *elf.File, error) {
	f, err := safeopen.Regular(path)
	if err != nil {
		return nil, nil, err
	}
	ef, claimed, err := checkedELF(f)
	if err == nil && claimed > a.inflateLeft() {
		err = fmt.Errorf("%s: compressed sections would inflate to %d bytes, more than the %d left of this analysis's budget", path, claimed, a.inflateLeft())
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	a.inflated += claimed
	return f, ef, nil
}

func (a *analyzer) inflateLeft() uint64 { return inflateBudget - min(a.inflated, inflateBudget) }

// checkedELF checks f's magic and the claims of its compressed sections
// with inspect's bounded parser before debug/elf sees the file, and
// returns debug/elf's view and the bytes its sections may inflate to.
func checkedELF(f *os.File) (*elf.File, uint64, error) {
	var magic [4]byte
	if _, err := f.ReadAt(magic[:], 0); err != nil || !bytes.Equal(magic[:], []byte(elf.ELFMAG)) {
		return nil, 0, errNotELF
	}
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	claimed, err := compressedClaims(f, st.Size())
	if err != nil {
		return nil, 0, err
	}
	ef, err := elf.NewFile(f)
	if err != nil {
		return nil, 0, err
	}
	return ef, claimed, nil
}

// compressedClaims sums what the file's compressed sections (SHF_COMPRESSED,
// and the older .zdebug "ZLIB" form) say they inflate to, refusing a
// section or a file whose claim is out of proportion to its bytes.
func compressedClaims(r io.ReaderAt, size int64) (uint64, error) {
	f, err := inspect.NewFile(r, size)
	if err != nil {
		return 0, err
	}
	var total uint64
	for _, s := range f.Sections {
		if s.Type == elf.SHT_NOBITS || s.Offset > uint64(size) || s.Size > uint64(size)-s.Offset {
			continue // debug/elf reads nothing past the end either
		}
		var claim, hdr uint64
		switch {
		case s.Flags&elf.SHF_COMPRESSED != 0:
			b := make([]byte, 24)
			if f.Class == elf.ELFCLASS32 {
				b = b[:12]
			}
			if s.Size < uint64(len(b)) {
				continue
			}
			if _, err := r.ReadAt(b, int64(s.Offset)); err != nil {
				return 0, fmt.Errorf("section %q at %#x: compression header: %w", s.Name, s.Offset, err)
			}
			hdr = uint64(len(b))
			if f.Class == elf.ELFCLASS32 {
				claim = uint64(f.ByteOrder().Uint32(b[4:]))
			} else {
				claim = f.ByteOrder().Uint64(b[8:])
			}
		case strings.HasPrefix(s.Name, ".zdebug") && s.Size >= 12:
			var b [12]byte
			if _, err := r.ReadAt(b[:], int64(s.Offset)); err != nil || string(b[:4]) != "ZLIB" {
				continue
			}
			hdr, claim = 12, binary.BigEndian.Uint64(b[4:])
		default:
			continue
		}
		if limit := max(minInflateCap, maxInflateRatio*(s.Size-hdr)); claim > limit {
			return 0, fmt.Errorf("section %q at %#x: claims %d bytes inflated from %d, more than %d times its size", s.Name, s.Offset, claim, s.Size-hdr, maxInflateRatio)
		}
		total += claim
		if limit := max(minInflateFile, maxInflateRatio*uint64(size)); total > limit {
			return 0, fmt.Errorf("compressed sections claim more than %d bytes in all, more than %d times the file's size (section %q at %#x)", limit, maxInflateRatio, s.Name, s.Offset)
		}
	}
	return total, nil
}
