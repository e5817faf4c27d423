package damage

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestElfHash(t *testing.T) {
	// Values as glibc's own version tables hold them.
	for name, want := range map[string]uint32{"GLIBC_2.2.5": 0x09691a75, "GLIBC_2.34": 0x069691b4, "": 0} {
		if got := ElfHash(name); got != want {
			t.Errorf("ElfHash(%q) = 0x%x, want 0x%x", name, got, want)
		}
	}
}

// TestKinds applies every kind to a program gcc builds here and checks,
// with debug/elf, that the damage is there and nothing else broke the
// headers.
func TestKinds(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "p.c")
	os.WriteFile(src, []byte("#include <stdio.h>\nint main(void){puts(\"x\");return 0;}\n"), 0o644)
	bin := filepath.Join(dir, "p")
	if out, err := exec.Command("gcc", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	orig := bytes.Clone(b)
	for _, k := range Kinds {
		if k.Library || k.Name == "hash-unmapped-beside-gnu-hash" { // gcc writes no DT_HASH
			continue
		}
		d, err := k.Apply(b)
		if err != nil {
			t.Errorf("%s: %v", k.Name, err)
			continue
		}
		if !bytes.Equal(b, orig) {
			t.Fatalf("%s modified its input", k.Name)
		}
		if bytes.Equal(d, b) {
			t.Errorf("%s changed nothing", k.Name)
		}
	}
	// The renamed version is in the string table with its hash.
	d, err := MissingVersion(b)
	if err != nil {
		t.Fatal(err)
	}
	im, err := parse(d)
	if err != nil {
		t.Fatal(err)
	}
	vn, err := im.verneeds()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range vn {
		for _, a := range n.Aux {
			if a.Str == "GLIBC_9.99" {
				found = a.Hash == ElfHash("GLIBC_9.99")
			}
		}
	}
	if !found {
		t.Errorf("MissingVersion: no Vernaux GLIBC_9.99 with its hash in %+v", vn)
	}
	// DynamicReadOnly adds a read-only PT_LOAD over PT_DYNAMIC.
	d, _ = DynamicReadOnly(b)
	ef, err := elf.NewFile(bytes.NewReader(d))
	if err != nil {
		t.Fatal(err)
	}
	var dyn, last *elf.Prog
	for _, p := range ef.Progs {
		switch p.Type {
		case elf.PT_DYNAMIC:
			dyn = p
		case elf.PT_LOAD:
			last = p
		}
	}
	if dyn == nil || last == nil || last.Vaddr != dyn.Vaddr || last.Flags != elf.PF_R {
		t.Errorf("DynamicReadOnly: last PT_LOAD %+v does not cover PT_DYNAMIC %+v read-only", last, dyn)
	}
}
