package loader

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// TestInfoSlotFor checks elf_get_dynamic_info's index arithmetic
// (elf/get-dynamic-info.h with elf.h's DT_*TAGIDX macros) on the tags the
// differential fuzzer turned up: a tag ld.so does not know is dropped
// whatever it was, DT_EXTRATAGIDX looks only at the low 32 bits, and the
// RELR tags exist only from glibc 2.36.
func TestInfoSlotFor(t *testing.T) {
	g31 := glibcModel{minor: 31, machine: elf.EM_X86_64, class: elf.ELFCLASS64}
	g36 := glibcModel{minor: 36, machine: elf.EM_X86_64, class: elf.ELFCLASS64}
	g32 := glibcModel{minor: 36, machine: elf.EM_386, class: elf.ELFCLASS32}
	tests := []struct {
		g    glibcModel
		tag  elf.DynTag
		slot elf.DynTag
		ok   bool
	}{
		{g36, elf.DT_STRTAB, elf.DT_STRTAB, true},
		{g36, elf.DT_NEEDED + 0x10, elf.DT_REL, true},                 // needed-tag-lost
		{g36, elf.DynTag(-0x0701ddf3be48c085), 0, false},              // symtab-tag-lost: 0xf8fe220c41b73f7b
		{g36, elf.DynTag(-1), elf.DynTag(dtFilterTag), true},          // all ones: DT_FILTER's slot
		{g36, elf.DynTag(0x123456787ffffffd), elf.DT_AUXILIARY, true}, // low 32 bits only
		{g36, dtRELR, dtRELR, true},
		{g31, dtRELR, 0, false}, // DT_NUM was 35
		{g31, elf.DT_SYMTAB_SHNDX, elf.DT_SYMTAB_SHNDX, true},
		{g36, elf.DT_VERDEF - 6, elf.DT_VERDEF - 6, true}, // a version-range slot nothing reads
		{g36, elf.DT_GNU_HASH, elf.DT_GNU_HASH, true},
		{g36, elf.DT_FLAGS_1, elf.DT_FLAGS_1, true},
		{g36, elf.DynTag(0x370), 0, false},
		{g36, elf.DT_LOPROC, 0, false}, // DT_THISPROCNUM was 0 on x86-64 before 2.39
		{glibcModel{minor: 41, machine: elf.EM_X86_64, class: elf.ELFCLASS64}, elf.DT_LOPROC + 3, elf.DT_LOPROC + 3, true},
		{glibcModel{minor: 41, machine: elf.EM_X86_64, class: elf.ELFCLASS64}, elf.DT_LOPROC + 4, 0, false},
		{glibcModel{minor: 31, machine: elf.EM_AARCH64, class: elf.ELFCLASS64}, elf.DT_LOPROC + 5, elf.DT_LOPROC + 5, true},
		{g32, elf.DynTag(int32(-3)), elf.DT_AUXILIARY, true},
		{g32, elf.DT_STRSZ, elf.DT_STRSZ, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d/%#x", tt.g.minor, uint64(tt.tag)), func(t *testing.T) {
			slot, ok := tt.g.infoSlotFor(tt.tag)
			if ok != tt.ok || slot != tt.slot {
				t.Errorf("infoSlotFor(%#x) = %#x, %v; want %#x, %v", uint64(tt.tag), uint64(slot), ok, uint64(tt.slot), tt.ok)
			}
		})
	}
}

// TestRelocationTablesRead checks which relocation tables the modelled
// ld.so reads at all (ELF_MACHINE_NO_REL, ELF_MACHINE_NO_RELA).
func TestRelocationTablesRead(t *testing.T) {
	for _, tt := range []struct {
		g             glibcModel
		noRel, noRela bool
	}{
		{glibcModel{minor: 31, machine: elf.EM_X86_64}, true, false},
		{glibcModel{minor: 41, machine: elf.EM_AARCH64}, true, false},
		{glibcModel{minor: 36, machine: elf.EM_386}, false, false},
		{glibcModel{minor: 37, machine: elf.EM_386}, false, true},
	} {
		if tt.g.noRel() != tt.noRel || tt.g.noRela() != tt.noRela {
			t.Errorf("%v 2.%d: noRel %v noRela %v, want %v %v", tt.g.machine, tt.g.minor, tt.g.noRel(), tt.g.noRela(), tt.noRel, tt.noRela)
		}
	}
}

// tinyELF is an x86-64 ELF file with one PT_LOAD mapping its first 0x200
// bytes at address 0, with body copied at offset 0x100.
func tinyELF(t *testing.T, body []byte) *inspect.File {
	t.Helper()
	b := make([]byte, 0x200)
	copy(b, "\x7fELF\x02\x01\x01")
	le := binary.LittleEndian
	le.PutUint16(b[16:], uint16(elf.ET_DYN))
	le.PutUint16(b[18:], uint16(elf.EM_X86_64))
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[32:], 64) // e_phoff
	le.PutUint16(b[52:], 64) // e_ehsize
	le.PutUint16(b[54:], 56) // e_phentsize
	le.PutUint16(b[56:], 1)  // e_phnum
	ph := b[64:]
	le.PutUint32(ph[0:], uint32(elf.PT_LOAD))
	le.PutUint32(ph[4:], uint32(elf.PF_R))
	le.PutUint64(ph[32:], 0x200) // p_filesz
	le.PutUint64(ph[40:], 0x200) // p_memsz
	le.PutUint64(ph[48:], 0x1000)
	copy(b[0x100:], body)
	f, err := inspect.NewFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestVersionOf checks the version relocation hands to symbol lookup
// (do-rel.h, RESOLVE_MAP): &l_versions[versym & 0x7fff], NULL-based when
// no version index was in use, and a hash of 0 meaning no version.
func TestVersionOf(t *testing.T) {
	// versym: symbol 0 index 0, 1 index 2, 2 index 3 (hidden bit set), 3 index 1.
	f := tinyELF(t, []byte{0, 0, 2, 0, 3, 0x80, 1, 0})
	dyn := &inspect.Dynamic{Entries: []inspect.DynEntry{{Tag: elf.DT_VERSYM, Val: 0x100}}}
	o := &loadedObj{f: f, dyn: dyn}
	c := &checker{res: &CheckResult{}, path: "tiny"}
	r := &relocator{c: c, word: 8, notes: map[string]bool{}}
	// version replays machineRel's read of the DT_VERSYM entry, then
	// versionOf.
	version := func(symidx uint64) (*foundVersion, uint16, error) {
		lm := &linkMap{obj: o, f: f, d: dyn, m: memOf(f), versym: 0x100, hasVersym: true, versions: foundVersions(o, memOf(f))}
		raw, err := lm.versymAt(symidx)
		if err != nil {
			return nil, 0, err
		}
		ndx := raw & 0x7fff
		v, fail := r.versionOf(lm, &reloc{sym: symidx}, true, ndx)
		if fail != nil {
			return nil, ndx, fail.err
		}
		return v, ndx, nil
	}

	// ndx_high was 0: l_versions is NULL.
	if v, _, err := version(0); v != nil || err != nil {
		t.Errorf("NULL l_versions, index 0: %v, %v; want an unversioned lookup", v, err)
	}
	var fe *inspect.FormatError
	if _, ndx, err := version(1); !errors.As(err, &fe) || fe.Addr != 2*24+8 || fe.Fault != inspect.FaultUnmapped {
		t.Errorf("NULL l_versions, index %d: err %v; want a fault reading &l_versions[2].hash at 0x38", ndx, err)
	}

	o.lVersions = []lVersion{{}, {}, {hash: 0x0d696910, hasName: true}}
	if v, _, err := version(1); err != nil || v == nil || v.hash != 0x0d696910 {
		t.Errorf("index 2: %v, %v; want l_versions[2]", v, err)
	}
	var pv *pastVersionsRead
	if v, ndx, err := version(2); !errors.As(err, &pv) || v != nil || ndx != 3 || pv.entries != 3 || pv.sym != 2 || pv.off != 0x104 {
		t.Errorf("index 3 of 3 entries: %v, %d, %v; want a read past the array, of DT_VERSYM entry 2 at file offset 0x104", v, ndx, err)
	}
	if v, _, err := version(3); err != nil || v != nil {
		t.Errorf("index 1, never filled (hash 0): %v, %v; want an unversioned lookup", v, err)
	}
	// versym[0x1000] is past the mapped page: the read of versym faults.
	if _, _, err := version(0x1000); !errors.As(err, &fe) || fe.Fault != inspect.FaultUnmapped {
		t.Errorf("versym read past the mapping: %v, want a fault", err)
	}
	// On a 32-bit machine struct r_found_version is 16 bytes, the hash at 4.
	o.lVersions = nil
	r.word = 4
	if _, _, err := version(1); !errors.As(err, &fe) || fe.Addr != 2*16+4 {
		t.Errorf("NULL l_versions on a 32-bit machine, index 2: %v; want a fault at 0x24", err)
	}
}

// TestPastVersionsUndetermined checks that a version index past
// l_versions ends the replay with an undetermined outcome, the outcomes
// still possible and the DT_VERSYM entry's file offset, at start-up and
// at a lazy binding's first call.
func TestPastVersionsUndetermined(t *testing.T) {
	f := tinyELF(t, []byte{0, 0, 2, 0, 7, 0})
	dyn := &inspect.Dynamic{Entries: []inspect.DynEntry{{Tag: elf.DT_VERSYM, Val: 0x100}}}
	o := &loadedObj{f: f, dyn: dyn, name: "/x/libtiny.so", lVersions: []lVersion{{}, {}, {hash: 1, hasName: true}}}
	for _, lazy := range []bool{false, true} {
		c := &checker{res: &CheckResult{}, path: "tiny"}
		r := &relocator{c: c, word: 8, notes: map[string]bool{}}
		lm := &linkMap{obj: o, f: f, d: dyn, m: memOf(f), versym: 0x100, hasVersym: true, versions: foundVersions(o, memOf(f))}
		_, fail := r.versionOf(lm, &reloc{sym: 2, table: "DT_RELA"}, true, 7)
		if fail == nil {
			t.Fatalf("lazy=%v: index 7 of 3 entries read no further; want the replay to stop", lazy)
		}
		c.add(r.finding(fail, lazy))
		c.res.finish()
		want := openBeforeMain()
		if lazy {
			want = []Outcome{OutcomeStarts, OutcomeFirstCall}
		}
		if !c.stop || c.res.Outcome != OutcomeUndetermined || !slices.Equal(c.res.Possible, want) {
			t.Errorf("lazy=%v: stop %v, outcome %s, possible %v; want undetermined, %v", lazy, c.stop, c.res.Outcome, c.res.Possible, want)
		}
		fd := c.res.Fatal()
		if !strings.Contains(strings.Join(fd.Evidence, "\n"), "file offset 0x104") || !strings.Contains(fd.Next, "file offset 0x104") ||
			!strings.HasPrefix(fd.Summary, "undetermined: ") {
			t.Errorf("lazy=%v: finding %+v; want it to say it is undetermined and name file offset 0x104", lazy, fd)
		}
	}
}
