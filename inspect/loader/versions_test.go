package loader_test

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// verdefEntry is one Verdef record of a little-endian file, by file
// offset, for damaging it in place.
type verdefEntry struct {
	off, auxOff uint64 // the record, and its first Verdaux
	flags       uint16
	cnt         uint16
}

func verdefEntries(t *testing.T, b []byte) []verdefEntry {
	t.Helper()
	f, err := inspect.NewFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.Dynamic()
	if err != nil || d == nil {
		t.Fatalf("no dynamic table: %v", err)
	}
	def, ok := d.Tag(elf.DT_VERDEF)
	if !ok {
		t.Fatal("no DT_VERDEF")
	}
	off := f.Image().Lookup(def).Off
	le := binary.LittleEndian
	var out []verdefEntry
	for range 64 {
		e := verdefEntry{off: off, flags: le.Uint16(b[off+2:]), cnt: le.Uint16(b[off+6:]), auxOff: off + uint64(le.Uint32(b[off+12:]))}
		out = append(out, e)
		next := le.Uint32(b[off+16:])
		if next == 0 {
			return out
		}
		off += uint64(next)
	}
	t.Fatal("Verdef chain does not end")
	return nil
}

// far is an offset that takes any record of a small file far past every
// mapping.
const far = 0x7fff0000

// TestCheckVersionsReality damages the version tables of uses-libdemo and
// libdemo.so where ld.so reads them and where it does not, and runs each
// copy: every case is a divergence the replay once had, kept for good.
func TestCheckVersionsReality(t *testing.T) {
	var in reality.Input
	for _, i := range reality.Inputs(t) {
		if i.Name == "uses-libdemo" {
			in = i
		}
	}
	if in.Path == "" {
		t.Fatal("no uses-libdemo input")
	}
	prog, lib := reality.MustRead(t, in.Path), reality.MustRead(t, in.Lib)
	le := binary.LittleEndian
	cases := []struct {
		name    string
		lib     bool // damage the library, not the program
		damage  func(t *testing.T, b []byte) []byte
		outcome string
		phrase  string // in the real stderr, for loader errors
		exit    int
	}{
		// ld.so reads only the first Verdaux of a definition; a second one
		// (DEMO_2.0's parent) that is unmapped is never touched.
		{"second-verdaux-unmapped", true, func(t *testing.T, b []byte) []byte {
			for _, e := range verdefEntries(t, b) {
				if e.cnt > 1 {
					le.PutUint32(b[e.auxOff+4:], far)
					return b
				}
			}
			t.Fatal("no Verdef record with a second Verdaux")
			return nil
		}, damage.Starts, "", 0},
		// The BASE entry's Verdaux is never read: not for matching (its
		// hash is the soname's) and not when the names are stored.
		{"base-verdaux-unmapped", true, func(t *testing.T, b []byte) []byte {
			e := verdefEntries(t, b)[0]
			if e.flags&1 == 0 {
				t.Fatal("first Verdef record is not BASE")
			}
			le.PutUint32(b[e.off+12:], far)
			return b
		}, damage.Starts, "", 0},
		// A non-BASE entry's first Verdaux unmapped: ld.so reads it while
		// matching DEMO_1.0 and faults.
		{"first-verdaux-unmapped", true, func(t *testing.T, b []byte) []byte {
			e := verdefEntries(t, b)[1]
			le.PutUint32(b[e.off+12:], far)
			return b
		}, damage.Crash, "", 0},
		// Two missing versions: both are printed, then ld.so exits 1.
		{"two-versions-missing", false, func(t *testing.T, b []byte) []byte {
			b, err := damage.RenameVersion(b, "DEMO_1.0", "DEMO_1.9", false)
			if err != nil {
				t.Fatal(err)
			}
			if b, err = damage.RenameVersion(b, "DEMO_2.0", "DEMO_2.9", false); err != nil {
				t.Fatal(err)
			}
			return b
		}, damage.LoaderError, "version `DEMO_2.9' not found", 1},
		// A later Verdef record with vd_version 2: match_symbol reports it
		// and goes on; the exit status is 1, not 127.
		{"verdef-version-2", true, func(t *testing.T, b []byte) []byte {
			e := verdefEntries(t, b)[2]
			le.PutUint16(b[e.off:], 2)
			return b
		}, damage.LoaderError, "unsupported version 2 of Verdef record", 1},
	}
	cases = append(cases, struct {
		name    string
		lib     bool
		damage  func(t *testing.T, b []byte) []byte
		outcome string
		phrase  string
		exit    int
	}{
		// Versions in use but no DT_VERSYM: ld.so reads l_info[DT_VERSYM]
		// unchecked. The entry becomes DT_CHECKSUM, which nothing reads.
		"versym-missing", false, func(t *testing.T, b []byte) []byte {
			return setDynTag(t, b, elf.DT_VERSYM, elf.DT_CHECKSUM)
		}, damage.Crash, "", 0})
	var sum reality.Summary
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, l := bytes.Clone(prog), bytes.Clone(lib)
			if tc.lib {
				l = tc.damage(t, l)
			} else {
				p = tc.damage(t, p)
			}
			path := reality.Place(t, in, p, l)
			name := fmt.Sprintf("%s/%s", in.Name, tc.name)
			res, real := reality.RunCase(t, reality.Case{Name: name, Dir: filepath.Dir(path), Path: path})
			sum.Add(name, res, real)
			if real.Class != tc.outcome || (tc.exit != 0 && real.Exit != tc.exit) || !strings.Contains(real.Stderr, tc.phrase) {
				t.Fatalf("the damage no longer does what this case is about: want %s (exit %d, %q), really %s", tc.outcome, tc.exit, tc.phrase, real)
			}
		})
	}
	t.Cleanup(func() { sum.Log(t) })
}
