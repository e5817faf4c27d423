package reality

import (
	"strings"
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

// A name spelled loader.RelocatedBytes stands for any bytes, newlines
// included, where the message's other words are.
func TestRelocatedSpans(t *testing.T) {
	msg := "symbol lookup error: ./p: undefined symbol: " + loader.RelocatedBytes + ", version " + loader.RelocatedBytes
	res := &loader.CheckResult{Findings: []loader.Finding{{Message: msg}}}
	warn := "./p: ./p: no version information available (required by ./p)\n"
	for _, c := range []struct {
		stderr string
		want   bool // the message is found, and made the prediction's words
	}{
		{warn + "./p: symbol lookup error: ./p: undefined symbol: 8^iOV, version OV\n", true},
		{"./p: symbol lookup error: ./p: undefined symbol: \x98\n V, ver, version \n\n", true},
		{"./p: symbol lookup error: ./p: undefined symbol: puts\n", false},
		{"./p: symbol lookup error: ./q: undefined symbol: x, version y\n", false},
	} {
		got := relocatedSpans(res, c.stderr)
		if found := strings.Contains(got, msg); found != c.want {
			t.Errorf("relocatedSpans(%q) = %q: message found %v, want %v", c.stderr, got, found, c.want)
		}
		if c.want && !strings.HasPrefix(got, c.stderr[:strings.Index(c.stderr, "symbol lookup")]) {
			t.Errorf("relocatedSpans(%q) = %q: changed what came before the message", c.stderr, got)
		}
	}
}
