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
		// roundup(0x100 - 0x20, 0x40) + 0x20.
		{"block not at its alignment", mainTLS{vaddr: 0x3e20, memsz: 0x100, align: 0x40}, 0x120 + 0x40, true},
		// The grown e_phnum of seed 9100002304.
		{"odd huge alignment", mainTLS{vaddr: 0x4008, memsz: 0x4010, align: 0x400000007}, 0x80000000e, true},
		{"firstbyte past the block", mainTLS{vaddr: 0x4001, memsz: 0x8, align: 0x1000}, 0, false},
		{"roundup wraps", mainTLS{vaddr: 0, memsz: 0x10, align: 1 << 63}, 0, false},
		{"request wraps", mainTLS{vaddr: 0, memsz: 1<<63 + 1, align: 1<<63 - 1}, 0, false},
	} {
		got, ok := tlsRequest(&tc.tls)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("%s: tlsRequest(%+v) = 0x%x, %v; want 0x%x, %v", tc.name, tc.tls, got, ok, tc.want, tc.ok)
		}
	}
}
