package reality

import (
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
)

// A prediction's run-time digits match any eight hex digits ld.so prints
// there, and nothing else of the phrase.
func TestSays(t *testing.T) {
	ph := "error while loading shared libraries: unexpected PLT reloc type 0x" + loader.RunTimeDigits
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
	} {
		if got := says(c.msg, c.key); got != c.want {
			t.Errorf("says(%q, %q) = %v, want %v", c.msg, c.key, got, c.want)
		}
	}
}
