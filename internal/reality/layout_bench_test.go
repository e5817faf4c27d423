package reality

import (
	"os"
	"testing"
)

// BenchmarkLayout measures the header walk on a committed fixture: the
// fuzzer walks each pristine input once, the fuzz target once per input.
func BenchmarkLayout(b *testing.B) {
	buf, err := os.ReadFile("../../testdata/bin/gcc-pie")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := newLayout(buf); err != nil {
			b.Fatal(err)
		}
	}
}
