package loader

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/internal/safeopen"
)

// LDCache is /etc/ld.so.cache as ld.so reads it: a map from sonames to
// paths, with flags saying which ABI each library is for. Names and paths
// stay in the file's bytes until a lookup asks for one, as they stay in
// ld.so's mapping of the file: a lookup wants a few of a thousand.
type LDCache struct {
	table   []byte // the new-format table, from its magic on
	entries []ldCacheEntry
}

// ldCacheEntry is one library in the cache; name and path are offsets of
// NUL-terminated strings in the table, checked when the file is parsed.
type ldCacheEntry struct {
	flags      int32
	name, path uint32
	hwcap      uint64
}

const (
	ldCacheOldMagic = "ld.so-1.7.0"
	ldCacheNewMagic = "glibc-ld.so.cache1.1"
	maxLDCache      = 64 << 20
	maxLDCacheLibs  = 1 << 20
)

// Flag values of ld.so.cache entries (glibc's dl-cache.h).
const (
	ldFlagTypeMask   = 0x00ff
	ldFlagELFLibc6   = 0x0003
	ldFlagRequired   = 0xff00
	ldFlagX8664Lib64 = 0x0300
	ldFlagAArch64    = 0x0a00
	ldFlagX8664X32   = 0x0800
)

// ReadLDCache parses an ld.so.cache file. Both the new format and the old
// format with a new one appended are understood.
func ReadLDCache(path string) (*LDCache, error) {
	fh, err := safeopen.Regular(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > maxLDCache {
		return nil, fmt.Errorf("%s: %d bytes, larger than any real ld.so.cache", path, st.Size())
	}
	b := make([]byte, st.Size())
	if _, err := io.ReadFull(fh, b); err != nil {
		return nil, err
	}
	c, err := ParseLDCache(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseLDCache parses the bytes of an ld.so.cache file.
func ParseLDCache(b []byte) (c *LDCache, err error) {
	defer catchPanic(&err, "ld.so.cache")
	start := 0
	if bytes.HasPrefix(b, []byte(ldCacheOldMagic)) {
		if len(b) < 16 {
			return nil, errAt(0, "ld.so.cache", "old-format header truncated", nil)
		}
		n := binary.LittleEndian.Uint32(b[12:])
		if uint64(n)*12 > uint64(len(b)) {
			return nil, errAt(12, "ld.so.cache", "old-format entry count past end of file", uint64(n))
		}
		start = int(roundUp(16+uint64(n)*12, 8))
		if start > len(b) {
			return nil, errAt(0, "ld.so.cache", "no new-format table after the old one", nil)
		}
	}
	h := b[start:]
	if !bytes.HasPrefix(h, []byte(ldCacheNewMagic)) {
		return nil, errAt(int64(start), "ld.so.cache", "unknown format (no glibc-ld.so.cache1.1 magic)", nil)
	}
	if len(h) < 48 {
		return nil, errAt(int64(start), "ld.so.cache", "header truncated", nil)
	}
	// The cache is written in the host's byte order; flags byte 0x2 means
	// little-endian, 0x3 big-endian, 0 unknown (assume little).
	var o binary.ByteOrder = binary.LittleEndian
	if h[28] == 3 {
		o = binary.BigEndian
	}
	nlibs := o.Uint32(h[20:])
	if nlibs > maxLDCacheLibs || uint64(nlibs)*24 > uint64(len(h)-48) {
		return nil, errAt(int64(start+20), "ld.so.cache", "library count past end of file", uint64(nlibs))
	}
	c = &LDCache{table: h, entries: make([]ldCacheEntry, 0, nlibs)}
	for i := uint32(0); i < nlibs; i++ {
		e := h[48+int(i)*24:]
		key, val := o.Uint32(e[4:]), o.Uint32(e[8:])
		// New-format string offsets are from the start of the new header.
		_, err1 := cacheString(h, key)
		_, err2 := cacheString(h, val)
		if err1 != nil || err2 != nil {
			return nil, errAt(int64(start+48+int(i)*24), fmt.Sprintf("ld.so.cache entry %d", i), "string offset out of range", nil)
		}
		c.entries = append(c.entries, ldCacheEntry{flags: int32(o.Uint32(e)), name: key, path: val, hwcap: o.Uint64(e[16:])})
	}
	return c, nil
}

// cacheString is the NUL-terminated string at off in b, without a copy.
func cacheString(b []byte, off uint32) ([]byte, error) {
	if uint64(off) >= uint64(len(b)) {
		return nil, io.ErrUnexpectedEOF
	}
	end := bytes.IndexByte(b[off:], 0)
	if end < 0 {
		return nil, io.ErrUnexpectedEOF
	}
	return b[off : int(off)+end], nil
}

// Lookup finds name for a file of the given kind, as ld.so's
// _dl_load_cache_lookup does: first entry whose name matches and whose
// flags are for this ABI. Entries for glibc-hwcaps subdirectories are
// skipped; ld.so would prefer them only on CPUs that support them.
func (c *LDCache) Lookup(name string, f *inspect.File) (string, bool) {
	if c == nil {
		return "", false
	}
	want := cacheFlagsFor(f)
	for _, e := range c.entries {
		if e.flags&ldFlagTypeMask != ldFlagELFLibc6 {
			continue
		}
		if n, _ := cacheString(c.table, e.name); string(n) != name {
			continue
		}
		if int32(e.flags)&ldFlagRequired != want {
			continue
		}
		if e.hwcap&(1<<62) != 0 { // DL_CACHE_HWCAP_EXTENSION: a glibc-hwcaps entry
			continue
		}
		p, _ := cacheString(c.table, e.path)
		return string(p), true
	}
	return "", false
}

func cacheFlagsFor(f *inspect.File) int32 {
	switch {
	case f.Machine == elf.EM_X86_64 && f.Class == elf.ELFCLASS64:
		return ldFlagX8664Lib64
	case f.Machine == elf.EM_X86_64:
		return ldFlagX8664X32
	case f.Machine == elf.EM_AARCH64:
		return ldFlagAArch64
	}
	return 0
}
