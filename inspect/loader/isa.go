package loader

import (
	"debug/elf"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// The x86 GNU properties ld.so reads (sysdeps/x86/dl-prop.h), and the
// ISA-level bits of GNU_PROPERTY_X86_ISA_1_NEEDED.
const (
	gnuPropertyX86Feature1And = 0xc0000002
	gnuPropertyX86ISA1Needed  = 0xc0008002
	// maxPropertyNotes bounds a walk over a note segment; a real one
	// holds a handful.
	maxPropertyNotes = 1 << 12
)

// isaNeed is l_x86_isa_1_needed of one object, with where it was read.
type isaNeed struct {
	bits uint32
	at   uint64 // the property's address in the object
	prog int    // the program header that led to it
}

// isaNeeded replays how ld.so of glibc 2.minor sets l_x86_isa_1_needed
// when it maps an object (rtld.c for the program, _dl_map_object_from_fd
// for a library): the program headers scanned backwards, a PT_NOTE
// handed to _dl_process_property_note, and from 2.37 on a
// PT_GNU_PROPERTY to _dl_process_pt_gnu_property, whose x86 hook did
// nothing before (the releases from 2.37 to 2.40 are not claimed). The
// first GNU property note seen decides; the NT_GNU_PROPERTY_TYPE_0 walk
// of a PT_NOTE gives up on a second one, as an older linker could leave.
// Only notes that can be read are looked at: a fault there is judged
// where ld.so reads them (noteWalk, propertyNote).
func isaNeeded(f *inspect.File, minor int) (isaNeed, bool) {
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 {
		return isaNeed{}, false
	}
	seen := false // l_property is no longer lc_property_unknown
	for i := len(f.Progs) - 1; i >= 0 && !seen; i-- {
		p := &f.Progs[i]
		switch {
		case p.Type == elf.PT_GNU_PROPERTY && (minor == 0 || minor >= 37):
			need, valid, done := propertyWalk(f, p, false)
			seen = done
			if valid {
				return need, true
			}
		case p.Type == elf.PT_NOTE:
			need, valid, done := propertyWalk(f, p, true)
			seen = done
			if valid {
				return need, true
			}
		}
	}
	return isaNeed{}, false
}

// propertyWalk walks the notes of segment p for the first
// NT_GNU_PROPERTY_TYPE_0 note named "GNU" and reads its properties in
// ascending order up to GNU_PROPERTY_X86_ISA_1_NEEDED. note says the walk
// is _dl_process_property_note's (a PT_NOTE), which goes on to the
// following notes and applies nothing if it meets a second property
// note; otherwise it is _dl_process_pt_gnu_property's, which stops at the
// first. seen reports that ld.so now counts the object's properties as
// known, so no later segment is read; valid that the ISA bits are set.
func propertyWalk(f *inspect.File, p *inspect.Prog, note bool) (need isaNeed, valid, seen bool) {
	if p.Align != 8 {
		return isaNeed{}, false, false
	}
	im, bo := f.Image(), f.ByteOrder()
	var h [16]byte
	found := false
	pos := p.Vaddr
	for step := 0; pos+12-p.Vaddr < p.Memsz && pos >= p.Vaddr; step++ {
		if step == maxPropertyNotes || im.ReadAt(h[:], pos, "note header") != nil {
			return isaNeed{}, false, false
		}
		namesz, descsz, typ := bo.Uint32(h[:]), bo.Uint32(h[4:]), bo.Uint32(h[8:])
		if namesz == 4 && typ == ntGNUPropertyType0 && string(h[12:]) == "GNU\x00" {
			if found {
				return isaNeed{}, false, true // a second one: nothing is applied
			}
			found, seen = true, true
			if descsz < 8 || descsz%8 != 0 {
				return isaNeed{}, false, true
			}
			need, valid = propertyArray(f, pos+16, uint64(descsz), p.Index)
			if !note {
				return need, valid, true
			}
		}
		pos += (12 + uint64(namesz) + 7) &^ 7
		pos += (uint64(descsz) + 7) &^ 7
	}
	return need, valid, seen
}

// propertyArray reads the properties of one GNU property note, at addr
// with size bytes, as _dl_check_gnu_property does: types in ascending
// order, each within the note, 4-byte data for the three x86 ones, and
// the scan over once GNU_PROPERTY_X86_ISA_1_NEEDED or a later type is met.
func propertyArray(f *inspect.File, addr, size uint64, prog int) (isaNeed, bool) {
	im, bo := f.Image(), f.ByteOrder()
	var h [8]byte
	last := uint32(0)
	for off := uint64(0); size-off >= 8; {
		if im.ReadAt(h[:], addr+off, "GNU property") != nil {
			return isaNeed{}, false
		}
		typ, datasz := bo.Uint32(h[:]), uint64(bo.Uint32(h[4:]))
		if typ < last || datasz > size-off-8 {
			return isaNeed{}, false
		}
		last = typ
		switch {
		case typ == gnuPropertyX86ISA1Needed:
			if datasz != 4 || im.ReadAt(h[:4], addr+off+8, "GNU_PROPERTY_X86_ISA_1_NEEDED") != nil {
				return isaNeed{}, false
			}
			bits := bo.Uint32(h[:4])
			return isaNeed{bits: bits, at: addr + off, prog: prog}, bits != 0
		case typ == gnuPropertyX86Feature1And || typ == gnuProperty1Needed:
			if datasz != 4 {
				return isaNeed{}, false
			}
		case typ > gnuPropertyX86ISA1Needed:
			return isaNeed{}, false
		}
		off += 8 + (datasz+7)&^7
	}
	return isaNeed{}, false
}

// isaLevel replays dl_isa_level_check (sysdeps/x86/dl-prop.h, glibc 2.33
// and later), which _rtld_main_check runs once the versions are checked
// and the first thread's TLS is allocated, before any relocation (and
// _dl_open_check for dlopen): every object but ld.so, in the reverse of
// the initialisation order, must need no ISA level this CPU lacks. The
// first that does stops ld.so with "NAME: CPU ISA level is lower than
// required" (the program's own path for the program), exit status 127.
// The CPU's levels are get_isa_level's, from CPUID (hostX86).
func (c *checker) isaLevel() {
	if c.li == nil || (c.li.minor != 0 && c.li.minor < 33) || runtime.GOARCH != "amd64" || len(c.loaded) == 0 {
		return
	}
	have := uint32(1)<<HostISALevel() - 1
	order := c.initfini()
	for j := len(order) - 1; j >= 0; j-- {
		i := order[j]
		o := c.loaded[i]
		if o.preloaded {
			continue // ld.so itself, and what already runs in a dlopen host
		}
		f := c.f
		if i > 0 {
			var err error
			if f, err = o.file(); err != nil {
				continue
			}
		}
		need, ok := isaNeeded(f, c.li.minor)
		if !ok || need.bits&have == need.bits {
			continue
		}
		name := c.display(o)
		c.add(Finding{Severity: SeverityFatal, Stage: StageStartup, Code: "isa-level-too-low", Object: o.name,
			Summary: fmt.Sprintf("%s is marked as needing %s, and this CPU provides %s: ld.so refuses to start it before running any of its code",
				filepath.Base(name), isaLevels(need.bits), isaLevels(have)),
			Evidence: []string{
				fmt.Sprintf("the GNU property note that program header %d leads to says GNU_PROPERTY_X86_ISA_1_NEEDED = 0x%x (at 0x%x)", need.prog, need.bits, need.at),
				fmt.Sprintf("this CPU's x86-64 level, as ld.so computes it from CPUID (get_isa_level): %s", isaLevels(have)),
			},
			Outcome: OutcomeLoaderError, ExitStatus: 127,
			Message: fmt.Sprintf("%s: CPU ISA level is lower than required", name),
			Next:    "run it on a CPU that has the level it needs, or install the build made for older CPUs (many vendors ship a \"baseline\" build); the marker comes from the linker (-z x86-64-vN, or objects compiled with -march=x86-64-vN), not from the code that actually runs"})
		return
	}
}

// isaLevels names the x86-64 levels of a GNU_PROPERTY_X86_ISA_1_NEEDED
// bit set.
func isaLevels(bits uint32) string {
	names := []string{"x86-64-baseline", "x86-64-v2", "x86-64-v3", "x86-64-v4"}
	var out []string
	for i, n := range names {
		if bits&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	if rest := bits &^ 0xf; rest != 0 {
		out = append(out, fmt.Sprintf("unknown bits 0x%x", rest))
	}
	if len(out) == 0 {
		return "no level"
	}
	return strings.Join(out, ", ")
}

// HostISALevel is the x86-64 level (1 for the baseline to 4) ld.so
// computes for this CPU from CPUID, as the ISA-level check compares
// against it; 0 on another architecture.
func HostISALevel() int {
	if runtime.GOARCH != "amd64" {
		return 0
	}
	level, _ := hostX86()
	return level
}
