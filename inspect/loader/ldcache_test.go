package loader

import (
	"debug/elf"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// ldconfig is the oracle for reading ld.so.cache: for every soname it
// lists for x86-64, in the cache's order, Lookup finds the path of the
// first such entry, and it finds nothing for a name the cache lacks.
func TestLDCacheAgreesWithLdconfig(t *testing.T) {
	const path = "/etc/ld.so.cache"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no %s: %v", path, err)
	}
	out, err := exec.Command("ldconfig", "-p", "-C", path).Output()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ldconfig -p: %v", err)
		}
		t.Skipf("ldconfig -p: %v", err)
	}
	c, err := ReadLDCache(path)
	if err != nil {
		t.Fatal(err)
	}
	x8664 := &inspect.File{Header: inspect.Header{Machine: elf.EM_X86_64, Class: elf.ELFCLASS64}}
	want := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), " (libc6,x86-64) => ")
		if !ok {
			continue
		}
		if _, seen := want[name]; !seen {
			want[name] = rest
		}
	}
	if len(want) == 0 {
		t.Fatalf("ldconfig -p lists no x86-64 library:\n%s", out)
	}
	for name, p := range want {
		if got, ok := c.Lookup(name, x8664); !ok || got != p {
			t.Errorf("Lookup(%s) = %q, %v; ldconfig -p says %q", name, got, ok, p)
		}
	}
	if got, ok := c.Lookup("libnot-in-any-cache.so.7", x8664); ok {
		t.Errorf("Lookup(libnot-in-any-cache.so.7) = %q, want nothing", got)
	}
}
