package reality

import (
	"path"
	"testing"
)

// BenchmarkObserve is the cost of one real run of a pristine program in a
// glibc root, with and without the fresh network namespace every case
// gets: the fuzzer's rate is bounded by it.
func BenchmarkObserve(b *testing.B) {
	f := setup(b)
	in, root := f.Inputs[0], f.Roots[1]
	dir := "/c/bench"
	if err := writeCase(root, dir, in, f.bytes[in.Path], nil); err != nil {
		b.Fatal(err)
	}
	for _, netns := range []bool{true, false} {
		name := "netns"
		if !netns {
			name = "shared-net"
		}
		b.Run(name, func(b *testing.B) {
			lim := f.Limits
			lim.sharedNet = !netns
			for b.Loop() {
				o, err := Observe(b.Context(), root.Root, dir, path.Join(dir, in.Name), lim)
				if err != nil || o.Class != ClassStarts {
					b.Fatalf("%v %v", o, err)
				}
			}
		})
	}
}
