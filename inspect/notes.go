package inspect

import (
	"debug/elf"
	"encoding/hex"
	"fmt"
	"strings"
)

// Note is one ELF note with its description decoded where we know it.
type Note struct {
	Off  int64 // file offset of the note header
	Name string
	Type uint32
	// Desc is kept only for small notes (up to maxNoteDesc bytes).
	Desc []byte
	Size uint32 // n_descsz
	// What it means, e.g. "NT_GNU_BUILD_ID" and the hex id.
	Kind  string
	Value string
}

const maxNoteDesc = 256

const (
	ntGNUABITag   = 1
	ntGNUBuildID  = 3
	ntGNUProperty = 5
)

// Notes reads every PT_NOTE segment (or, without program headers, every
// SHT_NOTE section) from the file.
func (f *File) Notes() (notes []Note, problems []error) {
	defer func() {
		if r := recover(); r != nil {
			problems = append(problems, &InternalError{What: "notes", Value: r})
		}
	}()
	type span struct {
		off, size, align uint64
		what             string
	}
	var spans []span
	for _, p := range f.ProgsOfType(elf.PT_NOTE) {
		spans = append(spans, span{p.Offset, p.Filesz, p.Align, fmt.Sprintf("PT_NOTE (program header %d)", p.Index)})
	}
	if len(spans) == 0 {
		for _, s := range f.Sections {
			if s.Type == elf.SHT_NOTE {
				spans = append(spans, span{s.Offset, s.Size, s.Addralign, fmt.Sprintf("note section %s", s.Name)})
			}
		}
	}
	for _, sp := range spans {
		if sp.size > maxNoteBytes {
			problems = append(problems, errAt(int64(sp.off), sp.what, "note segment larger than 1 MiB; not read", sp.size))
			continue
		}
		b, err := f.readFull(int64(sp.off), sp.size, sp.what)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		ns, err := parseNotes(b, int64(sp.off), sp.align, f)
		notes = append(notes, ns...)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", sp.what, err))
		}
	}
	return notes, problems
}

func parseNotes(b []byte, base int64, align uint64, f *File) ([]Note, error) {
	// gABI says 4; GNU property notes in ELF64 use 8, marked by p_align.
	a := uint64(4)
	if align == 8 {
		a = 8
	}
	var out []Note
	o := f.order
	pos := uint64(0)
	for pos+12 <= uint64(len(b)) {
		off := base + int64(pos)
		namesz, descsz, typ := uint64(o.Uint32(b[pos:])), uint64(o.Uint32(b[pos+4:])), o.Uint32(b[pos+8:])
		pos += 12
		nameEnd := pos + namesz
		if nameEnd < pos || nameEnd > uint64(len(b)) {
			return out, errAt(off, "note", "n_namesz past end of note segment", namesz)
		}
		name := strings.TrimRight(string(b[pos:nameEnd]), "\x00")
		pos = roundUp(nameEnd, a)
		descEnd := pos + descsz
		if pos > uint64(len(b)) || descEnd < pos || descEnd > uint64(len(b)) {
			return out, errAt(off, "note "+name, "n_descsz past end of note segment", descsz)
		}
		desc := b[pos:descEnd]
		n := Note{Off: off, Name: name, Type: typ, Size: uint32(descsz)}
		if len(desc) <= maxNoteDesc {
			n.Desc = append([]byte(nil), desc...)
		}
		n.Kind, n.Value = describeNote(name, typ, desc, f)
		out = append(out, n)
		pos = roundUp(descEnd, a)
	}
	return out, nil
}

func describeNote(name string, typ uint32, desc []byte, f *File) (kind, value string) {
	o := f.order
	if name != "GNU" {
		return fmt.Sprintf("type 0x%x", typ), fmt.Sprintf("%d bytes", len(desc))
	}
	switch typ {
	case ntGNUBuildID:
		return "NT_GNU_BUILD_ID", hex.EncodeToString(desc)
	case ntGNUABITag:
		if len(desc) < 16 {
			return "NT_GNU_ABI_TAG", "truncated"
		}
		os := map[uint32]string{0: "Linux", 1: "Hurd", 2: "Solaris", 3: "FreeBSD"}[o.Uint32(desc)]
		if os == "" {
			os = fmt.Sprintf("OS %d", o.Uint32(desc))
		}
		return "NT_GNU_ABI_TAG", fmt.Sprintf("%s %d.%d.%d", os, o.Uint32(desc[4:]), o.Uint32(desc[8:]), o.Uint32(desc[12:]))
	case ntGNUProperty:
		return "NT_GNU_PROPERTY_TYPE_0", describeProperties(desc, f)
	}
	return fmt.Sprintf("GNU type 0x%x", typ), fmt.Sprintf("%d bytes", len(desc))
}

// GNU property types that matter for whether a binary runs on a CPU.
const (
	gnuPropertyStackSize          = 1
	gnuPropertyNoCopyOnProtected  = 2
	gnuPropertyX86ISA1Needed      = 0xc0008002
	gnuPropertyX86Feature1And     = 0xc0000002
	gnuPropertyX86Feature2Used    = 0xc0010001
	gnuPropertyX86ISA1Used        = 0xc0010002
	gnuPropertyAArch64Feature1And = 0xc0000000
)

func describeProperties(desc []byte, f *File) string {
	o := f.order
	align := uint64(8)
	if f.Class == elf.ELFCLASS32 {
		align = 4
	}
	var parts []string
	pos := uint64(0)
	for i := 0; pos+8 <= uint64(len(desc)) && i < 64; i++ {
		typ, sz := o.Uint32(desc[pos:]), uint64(o.Uint32(desc[pos+4:]))
		pos += 8
		if pos+sz > uint64(len(desc)) || pos+sz < pos {
			parts = append(parts, "truncated property")
			break
		}
		data := desc[pos : pos+sz]
		var v uint32
		if len(data) >= 4 {
			v = o.Uint32(data)
		}
		switch typ {
		case gnuPropertyX86ISA1Needed:
			parts = append(parts, "x86 ISA needed: "+x86ISA(v))
		case gnuPropertyX86ISA1Used:
			parts = append(parts, "x86 ISA used: "+x86ISA(v))
		case gnuPropertyX86Feature1And:
			var fs []string
			if v&1 != 0 {
				fs = append(fs, "IBT")
			}
			if v&2 != 0 {
				fs = append(fs, "SHSTK")
			}
			parts = append(parts, "x86 feature: "+strings.Join(fs, ", "))
		case gnuPropertyAArch64Feature1And:
			var fs []string
			if v&1 != 0 {
				fs = append(fs, "BTI")
			}
			if v&2 != 0 {
				fs = append(fs, "PAC")
			}
			parts = append(parts, "AArch64 feature: "+strings.Join(fs, ", "))
		case gnuPropertyStackSize:
			parts = append(parts, fmt.Sprintf("stack size 0x%x (%s)", v, HumanSize(uint64(v))))
		case gnuPropertyNoCopyOnProtected:
			parts = append(parts, "no copy on protected")
		case gnuPropertyX86Feature2Used:
			parts = append(parts, fmt.Sprintf("x86 feature used: 0x%x", v))
		default:
			parts = append(parts, fmt.Sprintf("property 0x%x", typ))
		}
		pos = roundUp(pos+sz, align)
	}
	return strings.Join(parts, "; ")
}

func x86ISA(v uint32) string {
	var out []string
	for i, n := range []string{"x86-64-baseline", "x86-64-v2", "x86-64-v3", "x86-64-v4"} {
		if v&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return fmt.Sprintf("0x%x", v)
	}
	return strings.Join(out, ", ")
}

// BuildID returns the GNU build-id in hex, or "".
func BuildID(notes []Note) string {
	for _, n := range notes {
		if n.Name == "GNU" && n.Type == ntGNUBuildID {
			return n.Value
		}
	}
	return ""
}
