package loader

import (
	"debug/elf"
	"os"
	"path/filepath"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// TestIdentOrder holds open_verify's order over a library's e_ident and
// e_machine for both builds check tells apart: upstream glibc stops on a
// bad ident before it looks at the machine; Debian's (and Ubuntu's)
// skips a library of another machine first, as the named cases
// lib-other-machine-* show with Debian's three loaders. The real runs
// are those cases; this pins the upstream order, which no loader on the
// test machine has.
func TestIdentOrder(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := inspect.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := os.ReadFile("/lib/x86_64-linux-gnu/libc.so.6")
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	lib := func(name string, edit func([]byte)) string {
		c := append([]byte(nil), b[:4096]...)
		edit(c)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, c, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	otherMachine := func(c []byte) { c[18] = byte(elf.EM_AARCH64) }
	badABI := func(c []byte) { c[elf.EI_OSABI] = 0x9e }
	for _, tc := range []struct {
		name   string
		edit   []func([]byte)
		debian bool
		want   candidateVerdict
		msg    string
	}{
		{"bad-abi/upstream", []func([]byte){badABI}, false, candidateStop, "ELF file OS ABI invalid"},
		{"bad-abi/debian", []func([]byte){badABI}, true, candidateStop, "ELF file OS ABI invalid"},
		{"bad-abi-other-machine/upstream", []func([]byte){badABI, otherMachine}, false, candidateStop, "ELF file OS ABI invalid"},
		{"bad-abi-other-machine/debian", []func([]byte){badABI, otherMachine}, true, candidateSkip, ""},
		{"other-machine/upstream", []func([]byte){otherMachine}, false, candidateSkip, ""},
		{"padding/upstream", []func([]byte){func(c []byte) { c[elf.EI_PAD] = 1 }}, false, candidateStop, "nonzero padding in e_ident"},
		{"abi-version/upstream", []func([]byte){func(c []byte) { c[elf.EI_OSABI], c[elf.EI_ABIVERSION] = byte(elf.ELFOSABI_NONE), 1 }}, false, candidateStop, "ELF file ABI version invalid"},
		{"gnu-abi-version/upstream", []func([]byte){func(c []byte) { c[elf.EI_OSABI], c[elf.EI_ABIVERSION] = byte(elf.ELFOSABI_LINUX), 1 }}, false, candidateOK, ""},
	} {
		p := lib(filepath.Base(tc.name)+"-"+filepath.Dir(tc.name), func(c []byte) {
			for _, e := range tc.edit {
				e(c)
			}
		})
		c := &checker{f: f, li: &loaderInfo{debian: tc.debian}}
		v, msg := c.verifyCandidate(p)
		// An accepted ident goes on to the rest of the header and the
		// program headers, of which the first page holds what libc's
		// need: the verdict is then libc's own.
		if tc.want == candidateOK {
			if v != candidateOK {
				t.Errorf("%s: %v %q, want the ident accepted", tc.name, v, msg)
			}
			continue
		}
		if v != tc.want || msg != tc.msg {
			t.Errorf("%s: %v %q, want %v %q", tc.name, v, msg, tc.want, tc.msg)
		}
	}
}
