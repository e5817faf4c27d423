package loader_test

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// TestCheckDynamicLastWins turns uses-libdemo's DT_DEBUG, which follows
// its DT_RUNPATH ($ORIGIN), into a second DT_RUNPATH naming a directory
// without libdemo.so. elf_get_dynamic_info keeps the last entry of a tag,
// so ld.so searches only the second one and stops; reading the first
// (as check once did) predicts a start.
func TestCheckDynamicLastWins(t *testing.T) {
	var in reality.Input
	for _, i := range reality.Inputs(t) {
		if i.Name == "uses-libdemo" {
			in = i
		}
	}
	b := reality.MustRead(t, in.Path)
	f, err := inspect.NewFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.Dynamic()
	if err != nil || d == nil {
		t.Fatalf("dynamic table: %v", err)
	}
	off := int(f.Image().Lookup(d.Addr).Off)
	runpath, debug, libc := -1, -1, uint64(0)
	for i, e := range d.Entries {
		switch e.Tag {
		case elf.DT_RUNPATH:
			runpath = i
		case elf.DT_DEBUG:
			debug = i
		case elf.DT_NEEDED:
			libc = e.Val // the name of a needed library doubles as a directory name
		}
	}
	if runpath < 0 || debug < runpath {
		t.Fatalf("uses-libdemo has no DT_DEBUG after its DT_RUNPATH (entries %v)", d.Entries)
	}
	le := binary.LittleEndian
	le.PutUint64(b[off+16*debug:], uint64(elf.DT_RUNPATH))
	le.PutUint64(b[off+16*debug+8:], libc)
	p := reality.Place(t, in, b, nil)
	res, real := reality.RunCase(t, reality.Case{Name: "uses-libdemo/runpath-twice", Dir: filepath.Dir(p), Path: p})
	if real.Class != damage.LoaderError || !strings.Contains(real.Stderr, "cannot open shared object file") {
		t.Fatalf("the damage no longer does what this case is about: ld.so %s", real)
	}
	if f := res.Fatal(); f == nil || f.Code != "lib-missing" {
		t.Errorf("Check = %+v, want lib-missing", res.Fatal())
	}
}
