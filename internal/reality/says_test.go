package reality

import (
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
)

// A prediction's run-time digits match any eight hex digits ld.so prints
// there, and nothing else of the phrase; its relocated bytes match any
// bytes of a line, in the phrase's place.
func TestSays(t *testing.T) {
	ph := "error while loading shared libraries: unexpected PLT reloc type 0x" + loader.RunTimeDigits
	rb := "symbol lookup error: ./p: undefined symbol: " + loader.RelocatedBytes + ", version " + loader.RelocatedBytes
	for _, c := range []struct {
		msg, key string
		want     bool
	}{
		{ph, "unexpected PLT reloc type 0xf8cae2e0", true},
		{ph, "unexpected PLT reloc type 0x0164a2e0", true},
		{ph, "unexpected reloc type 0xf8cae2e0", false},      // not the PLT message
		{ph, "unexpected PLT reloc type 0x07", false},        // two digits are a type the file holds
		{ph, "unexpected PLT reloc type 0xf8cae2e0a", false}, // not eight digits
		{"unexpected PLT reloc type 0x00", "unexpected PLT reloc type 0xf8cae2e0", false},
		{"unexpected PLT reloc type 0xf8cae2e0", "unexpected PLT reloc type 0xf8cae2e0", true},
		// A name and version ld.so read from words it wrote itself.
		{rb, "undefined symbol: 8^iOV, version OV", true},
		{rb, "undefined symbol: \x88\x1d\x989V, version 9V", true},
		{rb, "undefined symbol: puts", false},                                                      // no version
		{rb, "version `GLIBC_2.2.5' not found", false},                                             // another message
		{"undefined symbol: " + loader.RelocatedBytes, "undefined symbol: puts, version X", false}, // the prediction has no version
	} {
		if got := says(c.msg, c.key); got != c.want {
			t.Errorf("says(%q, %q) = %v, want %v", c.msg, c.key, got, c.want)
		}
	}
}
