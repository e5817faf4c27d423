package reality

import (
	"os/exec"
	"path"
	"strings"
	"testing"
)

// BenchmarkObserve is the cost of one real run of a pristine program in a
// glibc root, with a network namespace made for the run, and from a thread
// already in an empty one (what the fuzzer does).
func BenchmarkObserve(b *testing.B) {
	f := setup(b)
	in, root := f.Inputs[0], f.Roots[1]
	dir := "/c/bench"
	if err := f.writeCase(root, dir, in, f.bytes[in.Path], nil); err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, lim Limits) {
		o, err := Observe(b.Context(), root.Root, dir, path.Join(dir, in.Name), lim)
		if err != nil || o.Class != ClassStarts {
			b.Fatalf("%v %v", o, err)
		}
	}
	b.Run("netns-per-run", func(b *testing.B) {
		for b.Loop() {
			run(b, f.Limits)
		}
	})
	b.Run("netns-per-thread", func(b *testing.B) {
		th, err := OnEmptyNetwork()
		if err != nil {
			b.Fatal(err)
		}
		defer close(th)
		lim := f.Limits
		lim.InNetns = true
		for b.Loop() {
			done := make(chan struct{})
			th <- func() { defer close(done); run(b, lim) }
			<-done
		}
	})
}

// TestOnEmptyNetwork: a program run from the runner thread sees no
// network interface but the loopback, which a new namespace has down.
func TestOnEmptyNetwork(t *testing.T) {
	need(t, "ip")
	th, err := OnEmptyNetwork()
	if err != nil {
		t.Fatal(err)
	}
	defer close(th)
	done := make(chan struct{})
	var out []byte
	th <- func() {
		defer close(done)
		out, err = exec.Command("ip", "-o", "link").Output()
	}
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "lo:") {
		t.Errorf("ip -o link on the runner thread lists %q, want only lo", out)
	}
}
