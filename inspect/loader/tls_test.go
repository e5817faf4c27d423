package loader

import "testing"

// TestTLSRequest holds the lower bound of init_tls's allocation to
// _dl_determine_tlsoffset's arithmetic, and to refusing to claim where
// ld.so's size_t arithmetic wraps.
func TestTLSRequest(t *testing.T) {
	for _, tc := range []struct {
		name string
		tls  mainTLS
		want uint64
		ok   bool
	}{
		{"ordinary block", mainTLS{vaddr: 0x3de0, memsz: 0x10, align: 8}, 0x18, true},
		// firstbyte is -(vaddr & (align-1)) & (align-1), 0x20: the offset is
		// roundup(0x100 - 0x20, 0x40) + 0x20, the static size at least
		// that rounded up to 0x40.
		{"block not at its alignment", mainTLS{vaddr: 0x3e20, memsz: 0x100, align: 0x40}, 0x140 + 0x40, true},
		// The grown e_phnum of seed 9100002304.
		{"odd huge alignment", mainTLS{vaddr: 0x4008, memsz: 0x4010, align: 0x400000007}, 0x80000000e, true},
		// 8 - 0xfff wraps, and adding align - 1 wraps back: roundup is 0,
		// the offset 0xfff, as in ld.so.
		{"firstbyte past the block", mainTLS{vaddr: 0x4001, memsz: 0x8, align: 0x1000}, 0x1000 + 0x1000, true},
		// Seed 9999987061: the same wrap with an odd alignment near 2^62
		// puts the block at 0x2a4a9136f2324080 and asks for twice the
		// alignment, which no machine commits ("cannot allocate TLS data
		// structures for initial thread" under the four builds).
		{"odd alignment, firstbyte wraps", mainTLS{vaddr: 0x3db4, memsz: 4, align: 0x2a4a9136f23274cb}, 2 * 0x2a4a9136f23274cb, true},
		{"roundup wraps", mainTLS{vaddr: 0, memsz: 0x10, align: 1 << 63}, 0, false},
		{"request wraps", mainTLS{vaddr: 0, memsz: 1<<63 + 1, align: 1<<63 - 1}, 0, false},
	} {
		got, ok := tlsRequest(&tc.tls)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("%s: tlsRequest(%+v) = 0x%x, %v; want 0x%x, %v", tc.name, tc.tls, got, ok, tc.want, tc.ok)
		}
	}
}

// TestTLSStatic holds the placement of several modules' blocks to
// _dl_determine_tlsoffset's loop, the reuse of an alignment's gap
// included.
func TestTLSStatic(t *testing.T) {
	for _, tc := range []struct {
		name   string
		blocks []tlsBlock
		want   uint64
		ok     bool
	}{
		// The program's 8 bytes go at 0x1000 (their alignment), leaving
		// 0xff8 bytes below; the library's 16 fit there, at 0x10.
		{"second block in the first one's gap", []tlsBlock{{memsz: 8, align: 0x1000}, {memsz: 0x10, align: 8}}, 0x1000 + 0x1000, true},
		// Too big for the gap: placed after, at roundup(0x1000 + 0x1000, 8).
		{"second block after the first", []tlsBlock{{memsz: 8, align: 0x1000}, {memsz: 0x1000, align: 8}}, 0x2000 + 0x1000, true},
		// Seed 592: a library's p_memsz with bit 61 flipped, after the
		// program's none.
		{"huge library block", []tlsBlock{{vaddr: 0x3df8, memsz: 1<<61 | 8, align: 4}}, 1<<61 | 8 + 4, true},
		{"offsets wrap", []tlsBlock{{memsz: 1 << 63, align: 8}, {memsz: 1 << 63, align: 8}}, 0, false},
		// The surplus and TCB ld.so adds to 3 × 2^62 + 3 × 2^62 may wrap.
		{"surplus may wrap", []tlsBlock{{memsz: 3 << 62, align: 3 << 62}}, 0, false},
	} {
		got, ok := tlsStatic(tc.blocks)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("%s: tlsStatic = 0x%x, %v; want 0x%x, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
