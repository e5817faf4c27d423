package loader

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// TestLookupFindsEveryExport looks up every symbol the machine's libc
// exports, with the version debug/elf (the file view, an independent
// reader) says it has, through libc's own hash table as ld.so walks it,
// and requires the walk to land on that very symbol. A wrong hash
// function, bloom filter, bucket or chain step, or check_match version
// rule misses symbols here.
func TestLookupFindsEveryExport(t *testing.T) {
	libc := "/lib/x86_64-linux-gnu/libc.so.6"
	if _, err := os.Stat(libc); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: %v (the CI machine is x86-64 Debian)", libc, err)
		}
		t.Skip(err)
	}
	real, err := filepath.EvalSymlinks(libc)
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.Open(real)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	syms, err := ef.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	f, d := openDynamic(t, real)
	// l_versions is built by _dl_check_map_versions, which matches
	// libc's requirements against ld.so's definitions.
	ldso, err := filepath.EvalSymlinks("/lib64/ld-linux-x86-64.so.2")
	if err != nil {
		t.Fatal(err)
	}
	lf, err := inspect.Open(ldso)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	ld, err := lf.Dynamic()
	if err != nil || ld == nil {
		t.Fatalf("dynamic table of %s: %v", ldso, err)
	}
	obj := &loadedObj{name: libc, path: real, f: f, dyn: d}
	c := &checker{res: &CheckResult{}, loaded: []*loadedObj{obj, {name: "ld-linux-x86-64.so.2", path: ldso, f: lf, dyn: ld}},
		gm: &glibcModel{minor: loaderMinor(ldso), machine: f.Machine, class: f.Class}}
	c.checkMapVersions(obj)
	if len(c.res.Findings) > 0 {
		t.Fatalf("checking libc's versions: %+v", c.res.Findings)
	}
	lm, err := c.newLinkMap(obj, false)
	if err != nil {
		t.Fatal(err)
	}
	if lm.versions == nil {
		t.Fatal("libc has no version array")
	}
	r := &relocator{c: c, scope: []*linkMap{lm}, notes: map[string]bool{}}
	checked := 0
	for i, s := range syms {
		if s.Section == elf.SHN_UNDEF || elf.ST_BIND(s.Info) == elf.STB_LOCAL || (s.Value == 0 && elf.ST_TYPE(s.Info) != elf.STT_TLS) || s.Version == "" {
			continue
		}
		if v := elf.ST_VISIBILITY(s.Other); v == elf.STV_HIDDEN || v == elf.STV_INTERNAL {
			continue
		}
		var want *foundVersion
		for k := range lm.versions {
			if lm.versions[k].set && lm.versions[k].name == s.Version && lm.versions[k].filename == "" {
				want = &lm.versions[k]
			}
		}
		if want == nil {
			t.Fatalf("%s@%s: version not in l_versions", s.Name, s.Version)
		}
		res, err := r.lookupSymbol(s.Name, nil, want, 0)
		if err != nil {
			t.Fatalf("lookup %s@%s: %v", s.Name, s.Version, err)
		}
		// debug/elf drops the null symbol: its index i is symtab[i+1].
		if res == nil || res.s.index != uint64(i+1) {
			got := "nothing"
			if res != nil {
				got = fmt.Sprintf("symbol %d", res.s.index)
			}
			t.Errorf("lookup %s@%s found %s, want symbol %d", s.Name, s.Version, got, i+1)
		}
		checked++
	}
	if checked < 1000 {
		t.Fatalf("only %d exported symbols checked; libc exports thousands", checked)
	}
}

// TestHashFunctions pins the two hash functions to values computed by
// hand from their definitions (elf/dl-hash.h, elf/dl-new-hash.h).
func TestHashFunctions(t *testing.T) {
	for _, tc := range []struct {
		s        string
		gnu, elf uint32
	}{
		{"", 5381, 0},
		{"a", 5381*33 + 'a', 'a'},
		{"ab", (5381*33+'a')*33 + 'b', 'a'<<4 + 'b'},
	} {
		if got := dlNewHash(tc.s); got != tc.gnu {
			t.Errorf("dlNewHash(%q) = %#x, want %#x", tc.s, got, tc.gnu)
		}
		if got := dlElfHash(tc.s); got != tc.elf {
			t.Errorf("dlElfHash(%q) = %#x, want %#x", tc.s, got, tc.elf)
		}
	}
}

// TestAddrSet holds the relocation writes' set to a map's answers,
// across page boundaries and the top of the address space.
func TestAddrSet(t *testing.T) {
	var s addrSet
	want := map[uint64]bool{}
	for _, a := range []uint64{0, 1, 63, 64, 4095, 4096, 0x3de0, 0x3de8, 1 << 40, ^uint64(0), ^uint64(0) - 4096} {
		s.add(a)
		want[a] = true
	}
	for _, a := range []uint64{0, 1, 2, 62, 63, 64, 65, 4094, 4095, 4096, 4097, 0x3de0, 0x3de1, 0x3de8, 1 << 40, 1<<40 + 1, ^uint64(0), ^uint64(0) - 1, ^uint64(0) - 4096} {
		if got := s.has(a); got != want[a] {
			t.Errorf("has(0x%x) = %v, want %v", a, got, want[a])
		}
	}
	if (&addrSet{}).has(0x1000) {
		t.Error("an empty set has 0x1000")
	}
}

// openDynamic opens path for a test, with its dynamic table, closed when
// the test ends.
func openDynamic(t *testing.T, path string) (*inspect.File, *inspect.Dynamic) {
	t.Helper()
	f, err := inspect.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	d, err := f.Dynamic()
	if err != nil || d == nil {
		t.Fatalf("dynamic table of %s: %v", path, err)
	}
	return f, d
}
