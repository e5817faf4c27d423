package reality

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLayout feeds the mutator's header walk arbitrary files: it must not
// panic, must list only fields inside the file, and a mutation of any field
// it lists must apply and keep the file's length.
func FuzzLayout(f *testing.F) {
	seeds, _ := filepath.Glob("../../testdata/bin/*")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil && len(b) < 1<<20 {
			f.Add(b, uint64(1))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte, seed uint64) {
		l, err := newLayout(b)
		if err != nil {
			return
		}
		for name, fd := range l.fields {
			if fd.Off+uint64(fd.Size) > uint64(len(b)) {
				t.Fatalf("%s at 0x%x+%d is past the end (%d bytes)", name, fd.Off, fd.Size, len(b))
			}
		}
		r := rand.New(rand.NewPCG(seed, 0))
		m, ok := l.randomMutation(r, "")
		if !ok {
			return
		}
		out, err := Apply(b, []Mutation{m})
		if err != nil {
			t.Fatalf("Apply(%s): %v", m, err)
		}
		if len(out) != len(b) {
			t.Fatalf("Apply(%s) changed the length %d -> %d", m, len(b), len(out))
		}
		back, err := ParseMutation(m.String())
		if err != nil || back != m {
			t.Fatalf("ParseMutation(%q) = %+v, %v; want %+v", m.String(), back, err, m)
		}
	})
}
