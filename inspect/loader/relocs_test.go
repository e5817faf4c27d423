package loader

import (
	"debug/elf"
	"slices"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// TestRelativeSpan checks do-rel.h's pointer arithmetic: `relative +
// nrelative` in 24-byte entries, wrapping modulo 2^64, compared as real
// addresses.
func TestRelativeSpan(t *testing.T) {
	exec, pie := testMaps()
	r := &relocator{}
	for _, tt := range []struct {
		name        string
		lm          *linkMap
		start, nrel uint64
		wantN       uint64
		wantFirst   uint64
		wantKnown   bool
	}{
		{"none", pie, 0x4b8, 0, 0, 0x4b8, true},
		{"three", pie, 0x4b8, 3, 3, 0x4b8 + 72, true},
		// 2^64 - 11 entries of 24 bytes is 264 bytes before the table.
		{"wraps below the table", pie, 0x4b8, ^uint64(0) - 10, 0, 0x4b8 - 264, true},
		// 2^62 entries are 6 * 2^64 bytes: 0 modulo 2^64, no entry.
		{"a multiple of 2^64", exec, 0x400000, 1 << 62, 0, 0x400000, true},
		// Half the address space: past the top for no load address.
		{"huge, not wrapping", exec, 0x400000, 1 << 58, (3 << 61) / 24, 0x400000 + 3<<61, true},
		// 0x600000000000 bytes below the table: whether start + d wraps
		// depends on where a PIE is loaded (from ELF_ET_DYN_BASE,
		// 0x555555554000, to TASK_SIZE).
		{"depends on the load address", pie, 0x4b8, (^uint64(0) - 0x600000000000 + 1) / 24, 0, 0, false},
		// DT_RELA of -1 is the byte before the object, wherever it is
		// loaded: nothing wraps in real addresses.
		{"a table just below the object", pie, ^uint64(0), 3, 3, 71, true},
	} {
		n, first, _, known := r.relativeSpan(tt.lm, tt.start, tt.nrel, 24)
		if known != tt.wantKnown || (known && (n != tt.wantN || first != tt.wantFirst)) {
			t.Errorf("%s: relativeSpan = %d entries, main loop from 0x%x, known %v; want %d, 0x%x, %v", tt.name, n, first, known, tt.wantN, tt.wantFirst, tt.wantKnown)
		}
	}
}

// testMaps are an ET_EXEC program and an ET_DYN object of x86-64, for
// the pointer arithmetic tests.
func testMaps() (exec, pie *linkMap) {
	exec = &linkMap{f: &inspect.File{}}
	exec.f.Type, exec.f.Class, exec.f.Machine = elf.ET_EXEC, elf.ELFCLASS64, elf.EM_X86_64
	exec.m = memOf(exec.f)
	pie = &linkMap{f: &inspect.File{}}
	pie.f.Type, pie.f.Class, pie.f.Machine = elf.ET_DYN, elf.ELFCLASS64, elf.EM_X86_64
	pie.m = memOf(pie.f)
	return exec, pie
}

// TestWrapsAt checks when ld.so's `reladdr + relsize` wraps past the top
// of memory: in real addresses, with the load address added.
func TestWrapsAt(t *testing.T) {
	exec, pie := testMaps()
	r := &relocator{}
	for _, tt := range []struct {
		name         string
		lm           *linkMap
		start, n     uint64
		wraps, known bool
	}{
		{"a normal table", pie, 0x4b8, 0xa8, false, true},
		{"a normal table, at 0", exec, 0x4b8, 0xa8, false, true},
		// The byte before the object: -1 + 0xa8 wraps in link-time
		// addresses, never in real ones.
		{"just below the object", pie, ^uint64(0), 0xa8, false, true},
		{"just below 0", exec, ^uint64(0), 0xa8, true, true},
		// A size of nearly 2^64 wraps wherever the object is.
		{"a huge size", pie, 0x4b8, ^uint64(0) - 0xff, true, true},
		// Ends between ELF_ET_DYN_BASE and TASK_SIZE below 2^64: wraps
		// for a high load address only.
		{"depends on the load address", pie, 0x4b8, ^uint64(0) - 0x600000000000 + 1, false, false},
		{"nothing", pie, 0x4b8, 0, false, true},
	} {
		w, k := r.wrapsAt(tt.lm, tt.start, tt.n)
		if w != tt.wraps || k != tt.known {
			t.Errorf("%s: wrapsAt(0x%x, 0x%x) = %v, known %v; want %v, %v", tt.name, tt.start, tt.n, w, k, tt.wraps, tt.known)
		}
	}
}

// TestMapSegmentsError checks _dl_map_segments' refusal of a last
// segment that starts below the first one's file-backed end, by release.
func TestMapSegmentsError(t *testing.T) {
	load := func(vaddr, filesz uint64) inspect.Prog {
		return inspect.Prog{Type: elf.PT_LOAD, Vaddr: vaddr, Offset: vaddr, Filesz: filesz, Memsz: filesz, Align: 0x1000}
	}
	normal := []inspect.Prog{load(0, 0x510), load(0x1000, 0x111), load(0x2000, 0xb4), load(0x3e28, 0x1e0)}
	grown := []inspect.Prog{load(0, 0x10000000510), load(0x1000, 0x111), load(0x2000, 0xb4), load(0x3e28, 0x1e0)}
	contiguous := []inspect.Prog{load(0, 0x10000000510)}
	moved := []inspect.Prog{load(0x1000000000000000, 0x510), load(0x1000, 0x111), load(0x3e28, 0x1e0)}
	for _, tt := range []struct {
		name  string
		progs []inspect.Prog
		minor int
		want  string
	}{
		{"normal", normal, 36, ""},
		{"first grown, 2.36", grown, 36, "ELF load command address/offset not page-aligned"},
		{"first grown, 2.41", grown, 41, "ELF load command address/offset not page-aligned"},
		{"first grown, 2.31", grown, 31, "cannot change memory protections"},
		{"one segment has no holes", contiguous, 36, ""},
		// The reservation, from the first page to the last end, wraps.
		{"first moved past the last", moved, 36, "failed to map segment from shared object"},
		{"first moved past the last, 2.31", moved, 31, "failed to map segment from shared object"},
	} {
		if got, _ := mapSegments(tt.progs, tt.minor, 0, false); got != tt.want {
			t.Errorf("%s: mapSegments = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestSlotValueNull checks which bound words crti.o's _init treats as no
// __gmon_start__ at all.
func TestSlotValueNull(t *testing.T) {
	exec := &linkMap{f: &inspect.File{}}
	exec.f.Type = elf.ET_EXEC
	pie := &linkMap{f: &inspect.File{}}
	pie.f.Type = elf.ET_DYN
	undef := &sym{}
	for _, tt := range []struct {
		name string
		v    slotValue
		want bool
	}{
		{"weak undefined", slotValue{}, true},
		{"weak undefined plus an addend", slotValue{addend: 0x1000}, false},
		{"the null symbol of a program at 0", slotValue{def: &lookupResult{s: undef, lm: exec}}, true},
		{"the null symbol of a PIE: its load address", slotValue{def: &lookupResult{s: undef, lm: pie}}, false},
	} {
		if got := tt.v.null(); got != tt.want {
			t.Errorf("%s: null() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestMangledRange rebuilds GOT slots that later misaligned writes
// covered in part, as ld.so left them (little-endian, in its order).
func TestMangledRange(t *testing.T) {
	lib := &linkMap{f: &inspect.File{}}
	lib.f.Type = elf.ET_DYN
	prog := &linkMap{f: &inspect.File{}}
	prog.f.Type = elf.ET_EXEC
	inLib := &lookupResult{s: &sym{value: 0x29dc0}, lm: lib}
	inProg := &lookupResult{s: &sym{value: 0x401136}, lm: prog}
	type write struct {
		at uint64
		v  slotValue
	}
	const slot = 0x3fc8
	for _, tt := range []struct {
		name   string
		writes []write // in ld.so's order, the first at slot
		lo, hi uint64
		ok     bool
	}{
		{"a weak undefined symbol's 0 over the top six bytes", []write{{slot, slotValue{def: inLib}}, {slot + 2, slotValue{}}}, 0, 0xffff, true},
		{"over the top five bytes", []write{{slot, slotValue{def: inLib}}, {slot + 3, slotValue{}}}, 0, 0xffffff, true},
		{"the slot written last is whole again", []write{{slot + 2, slotValue{}}, {slot, slotValue{def: inLib}}}, 0, ^uint64(0), true},
		{"a program's address is known byte for byte", []write{{slot, slotValue{}}, {slot - 4, slotValue{def: inProg}}}, 0, 0, true},
		{"an addend glibc added", []write{{slot, slotValue{def: inLib}}, {slot + 4, slotValue{addend: 0x7f}}}, 0x7f00000000, 0x7fffffffff, true},
	} {
		lm := &linkMap{f: lib.f, written: &addrSet{}, values: map[uint64]slotValue{}}
		var v slotValue
		for i, w := range tt.writes {
			w.v.seq = i + 1
			lm.written.add(w.at)
			lm.values[w.at] = w.v
			if w.at == slot {
				v = w.v
			}
		}
		r := &relocator{}
		lo, hi, ok := r.mangledRange(lm, slot, v)
		if lo != tt.lo || hi != tt.hi || ok != tt.ok {
			t.Errorf("%s: mangledRange = 0x%x, 0x%x, %v; want 0x%x, 0x%x, %v", tt.name, lo, hi, ok, tt.lo, tt.hi, tt.ok)
		}
	}
	// A write whose value was not recorded (a RELATIVE) leaves it unknown.
	lm := &linkMap{f: lib.f, written: &addrSet{}, values: map[uint64]slotValue{slot: {def: inLib, seq: 1}}}
	lm.written.add(slot)
	lm.written.add(slot + 3)
	if _, _, ok := (&relocator{}).mangledRange(lm, slot, lm.values[slot]); ok {
		t.Errorf("a word an unrecorded write covered in part: mangledRange ok, want not")
	}
}

// ld.so is mapped first but looked up where the search list meets it: a
// symbol both it and libc define (GLIBC_2.2.5, and malloc in 2.31) binds
// to libc's, as LD_DEBUG=bindings shows.
func TestSearchOrder(t *testing.T) {
	objs := func() []*loadedObj {
		return []*loadedObj{{name: "prog"}, {name: "ld.so", rtld: true}, {name: "libfoo"}, {name: "libc"}, {name: "libbar"}}
	}
	for _, c := range []struct {
		name string
		c    checker
		want []int
	}{
		{"needed by libc", checker{rtldNeeded: true, rtldAt: 4}, []int{0, 2, 3, 1, 4}},
		{"needed by the last", checker{rtldNeeded: true, rtldAt: 5}, []int{0, 2, 3, 4, 1}},
		{"needed by nothing", checker{}, []int{0, 2, 3, 4}},
		{"dlopen keeps load order", checker{dlopen: true, rtldNeeded: true, rtldAt: 4}, []int{0, 1, 2, 3, 4}},
	} {
		c.c.loaded = objs()
		if got := c.c.searchOrder(); !slices.Equal(got, c.want) {
			t.Errorf("%s: searchOrder() = %v, want %v", c.name, got, c.want)
		}
	}
}
