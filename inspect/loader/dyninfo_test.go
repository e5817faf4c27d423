package loader

import (
	"debug/elf"
	"fmt"
	"testing"
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
		{g36, elf.DT_LOPROC, 0, false}, // DT_THISPROCNUM is 0 on x86-64
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
