package inspect

import (
	"debug/elf"
	"errors"
	"fmt"
	"slices"

	"strconv"
	"strings"
)

// Hex is an address or offset; it is written as a "0x…" string in JSON so
// that 64-bit values survive JavaScript readers.
type Hex uint64

func (h Hex) String() string { return "0x" + strconv.FormatUint(uint64(h), 16) }

func (h Hex) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

func (h *Hex) UnmarshalText(b []byte) error {
	v, err := strconv.ParseUint(strings.TrimPrefix(string(b), "0x"), 16, 64)
	*h = Hex(v)
	return err
}

// Summary is what `elfdoctor inspect` reports: the file in the loader's
// view, plus the file view where it helps people. It is built from a File
// and holds no reference to it, so it can be rendered or compared freely.
type Summary struct {
	Path      string       `json:"path"`
	Size      int64        `json:"size"`
	Class     string       `json:"class"`
	Endian    string       `json:"endian"`
	Type      string       `json:"type"`
	Machine   string       `json:"machine"`
	OSABI     string       `json:"osabi"`
	Entry     Hex          `json:"entry"`
	Interp    string       `json:"interpreter,omitempty"`
	HasInterp bool         `json:"has_interpreter"`
	BuildID   string       `json:"build_id,omitempty"`
	Segments  []Segment    `json:"segments"`
	Overlaps  []SegOverlap `json:"overlaps,omitempty"`
	// OverlapCount is how many pairs of PT_LOADs overlap; Overlaps lists
	// the first inspect.MaxOverlaps of them by address.
	OverlapCount uint64           `json:"overlap_count,omitempty"`
	Dynamic      *DynSummary      `json:"dynamic,omitempty"`
	Versions     *VerSummary      `json:"versions,omitempty"`
	Notes        []NoteSummary    `json:"notes,omitempty"`
	Sections     []SectionSummary `json:"sections,omitempty"`
	// RewriteSigns are traces that a tool such as patchelf rewrote the
	// file after the linker wrote it.
	RewriteSigns []string  `json:"rewrite_signs,omitempty"`
	Problems     []Problem `json:"problems,omitempty"`
	// Runtime is the embedded runtime and toolchain (see Identify).
	Runtime *Fingerprint `json:"runtime,omitempty"`
}

// Segment is a program header with what the loader makes of it.
type Segment struct {
	Index    int      `json:"index"`
	Type     string   `json:"type"`
	Flags    string   `json:"flags"`
	Offset   Hex      `json:"offset"`
	Vaddr    Hex      `json:"vaddr"`
	Paddr    Hex      `json:"paddr"`
	Filesz   uint64   `json:"filesz"`
	Memsz    uint64   `json:"memsz"`
	ZeroFill uint64   `json:"zero_fill"`
	Align    uint64   `json:"align"`
	Role     string   `json:"role"`
	Sections []string `json:"sections"`
}

// SegOverlap is a page range two PT_LOADs both map.
type SegOverlap struct {
	Start       Hex    `json:"start"`
	End         Hex    `json:"end"`
	Earlier     int    `json:"earlier"`
	Later       int    `json:"later"`
	EarlierPerm string `json:"earlier_flags"`
	LaterPerm   string `json:"later_flags"`
}

// DynSummary is the dynamic table.
type DynSummary struct {
	Addr     Hex           `json:"addr"`
	Needed   []string      `json:"needed"`
	Soname   string        `json:"soname,omitempty"`
	Rpath    []string      `json:"rpath,omitempty"`
	Runpath  []string      `json:"runpath,omitempty"`
	Flags    []string      `json:"flags,omitempty"`
	Entries  []DynEntrySum `json:"entries"`
	Pointers []PointerSum  `json:"pointers"`
}

// DynEntrySum is one dynamic entry; Str is set for string-valued tags.
type DynEntrySum struct {
	Tag   string `json:"tag"`
	Value Hex    `json:"value"`
	Str   string `json:"string,omitempty"`
}

// PointerSum is an address from the dynamic table in both views.
type PointerSum struct {
	Tag     string `json:"tag"`
	Addr    Hex    `json:"addr"`
	Backing string `json:"backing"` // file, zero-fill, unmapped, ...
	Segment int    `json:"segment"` // program header index, -1 if unmapped
	Flags   string `json:"flags,omitempty"`
	Offset  *Hex   `json:"offset,omitempty"` // file offset the loader reads, when file-backed
	Section string `json:"section,omitempty"`
}

// VerSummary is the symbol-version information.
type VerSummary struct {
	Need    []VerNeedSum `json:"needed,omitempty"`
	Def     []VerDefSum  `json:"defined,omitempty"`
	Versyms uint64       `json:"versym_count"`
}

type VerNeedSum struct {
	Addr     Hex         `json:"addr"`
	File     string      `json:"file"`
	Versions []VerAuxSum `json:"versions"`
}

type VerAuxSum struct {
	Name   string `json:"name"`
	Hash   Hex    `json:"hash"`
	Index  int    `json:"index"`
	Weak   bool   `json:"weak,omitempty"`
	Hidden bool   `json:"hidden,omitempty"`
}

type VerDefSum struct {
	Addr    Hex      `json:"addr"`
	Index   int      `json:"index"`
	Name    string   `json:"name"`
	Parents []string `json:"parents,omitempty"`
	Base    bool     `json:"base,omitempty"`
	Hash    Hex      `json:"hash"`
}

type NoteSummary struct {
	Owner string `json:"owner"`
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

type SectionSummary struct {
	Index  int    `json:"index"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	Flags  string `json:"flags"`
	Addr   Hex    `json:"addr"`
	Offset Hex    `json:"offset"`
	Size   uint64 `json:"size"`
}

// Problem is a structure that could not be read, in a stable form.
type Problem struct {
	Structure string `json:"structure,omitempty"`
	Offset    *Hex   `json:"offset,omitempty"`
	Addr      *Hex   `json:"addr,omitempty"`
	Message   string `json:"message"`
	// Code is "internal-error" for a bug of elfdoctor's (a recovered
	// panic) rather than a property of the file.
	Code string `json:"code,omitempty"`
}

// CodeInternalError marks a Problem (and a check Finding) that is a
// recovered panic in elfdoctor, not a property of the input.
const CodeInternalError = "internal-error"

// ProblemOf turns an error into a Problem, keeping offsets when the error
// is a FormatError.
func ProblemOf(err error) Problem {
	var fe *FormatError
	if errors.As(err, &fe) {
		p := Problem{Structure: fe.Struct, Message: err.Error()}
		if fe.Off >= 0 {
			h := Hex(fe.Off)
			p.Offset = &h
		}
		if fe.InMem {
			h := Hex(fe.Addr)
			p.Addr = &h
		}
		return p
	}
	if IsInternal(err) {
		return Problem{Message: err.Error(), Code: CodeInternalError}
	}
	return Problem{Message: err.Error()}
}

// FlagString renders segment permissions as readelf does, "R E" style
// compressed to "RX".
func FlagString(fl elf.ProgFlag) string {
	var b strings.Builder
	if fl&elf.PF_R != 0 {
		b.WriteByte('R')
	}
	if fl&elf.PF_W != 0 {
		b.WriteByte('W')
	}
	if fl&elf.PF_X != 0 {
		b.WriteByte('X')
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

// ptGNUProperty is PT_GNU_PROPERTY, missing from debug/elf.
const ptGNUProperty elf.ProgType = 0x6474e553

// ProgTypeName names a program header type, including the GNU ones
// debug/elf does not know.
func ProgTypeName(t elf.ProgType) string {
	switch t {
	case ptGNUProperty:
		return "GNU_PROPERTY"
	case 0x6474e554:
		return "GNU_SFRAME"
	}
	s := t.String()
	return strings.TrimPrefix(s, "PT_")
}

// DynTagName names a dynamic tag, including ones debug/elf does not know.
func DynTagName(t elf.DynTag) string {
	switch t {
	case dtRELR:
		return "DT_RELR"
	case 35:
		return "DT_RELRSZ"
	case 37:
		return "DT_RELRENT"
	}
	return t.String()
}

func typeString(f *File, hasInterp bool) string {
	switch f.Type {
	case elf.ET_EXEC:
		return "EXEC (executable)"
	case elf.ET_DYN:
		if hasInterp {
			return "DYN (position-independent executable)"
		}
		if d, _ := f.Dynamic(); d != nil && d.Flags1&elf.DF_1_PIE != 0 {
			return "DYN (position-independent executable)"
		}
		return "DYN (shared object)"
	case elf.ET_REL:
		return "REL (relocatable)"
	case elf.ET_CORE:
		return "CORE (core file)"
	}
	return f.Type.String()
}

// Summarize builds the inspect view of f. It never fails: what cannot be
// read becomes a Problem.
func Summarize(f *File, path string) *Summary {
	s := &Summary{
		Path:    path,
		Size:    f.size,
		Class:   strings.TrimPrefix(f.Class.String(), "ELFCLASS"),
		Endian:  map[elf.Data]string{elf.ELFDATA2LSB: "little", elf.ELFDATA2MSB: "big"}[f.Data],
		Machine: strings.TrimPrefix(f.Machine.String(), "EM_"),
		OSABI:   strings.TrimPrefix(f.OSABI.String(), "ELFOSABI_"),
		Entry:   Hex(f.Entry),
	}
	s.Class = "ELF" + s.Class
	for _, err := range f.Problems {
		s.Problems = append(s.Problems, ProblemOf(err))
	}
	interp, has, err := f.Interp()
	s.Interp, s.HasInterp = interp, has
	if err != nil {
		s.Problems = append(s.Problems, ProblemOf(err))
	}
	s.Type = typeString(f, has)

	for _, err := range f.SegmentProblems() {
		s.Problems = append(s.Problems, ProblemOf(err))
	}
	roles := SegmentRoles(f)
	for i := range f.Progs {
		p := &f.Progs[i]
		sec := f.SectionsIn(p)
		if sec == nil {
			sec = []string{}
		}
		s.Segments = append(s.Segments, Segment{
			Index: p.Index, Type: ProgTypeName(p.Type), Flags: FlagString(p.Flags),
			Offset: Hex(p.Offset), Vaddr: Hex(p.Vaddr), Paddr: Hex(p.Paddr),
			Filesz: p.Filesz, Memsz: p.Memsz, ZeroFill: p.ZeroFill(), Align: p.Align,
			Role: roles[p.Index], Sections: sec,
		})
	}
	s.OverlapCount = f.Image().OverlapCount()
	for _, o := range f.Image().Overlaps() {
		s.Overlaps = append(s.Overlaps, SegOverlap{Hex(o.Start), Hex(o.End), o.Earlier, o.Later,
			FlagString(o.EarlierPerm), FlagString(o.LaterPerm)})
	}

	d, err := f.Dynamic()
	if err != nil {
		s.Problems = append(s.Problems, ProblemOf(err))
	}
	if d != nil {
		s.Dynamic = summarizeDynamic(f, d)
		for _, e := range d.Problems {
			s.Problems = append(s.Problems, ProblemOf(e))
		}
		v, err := f.Versions(d)
		if err != nil {
			s.Problems = append(s.Problems, ProblemOf(err))
		}
		if v != nil {
			s.Versions = summarizeVersions(v)
			for _, e := range v.Problems {
				s.Problems = append(s.Problems, ProblemOf(e))
			}
		}
	}

	notes, probs := f.Notes()
	for _, n := range notes {
		s.Notes = append(s.Notes, NoteSummary{Owner: n.Name, Kind: n.Kind, Value: n.Value})
	}
	for _, e := range probs {
		s.Problems = append(s.Problems, ProblemOf(e))
	}
	s.BuildID = BuildID(notes)

	s.Runtime = Identify(f)
	for _, p := range s.Runtime.Problems {
		s.Problems = append(s.Problems, p)
	}
	if r := s.Runtime.Unreachable(); r != nil {
		s.Problems = append(s.Problems, Problem{Structure: r.Payload.Format, Offset: hexPtr(r.Payload.Off),
			Message: fmt.Sprintf("%s payload not reachable: %s", r.Name, r.Payload.Problem)})
	}

	for _, sec := range f.Sections {
		if sec.Index == 0 {
			continue
		}
		s.Sections = append(s.Sections, SectionSummary{
			Index: sec.Index, Name: sec.Name, Type: strings.TrimPrefix(sec.Type.String(), "SHT_"),
			Flags: sectionFlags(sec.Flags), Addr: Hex(sec.Addr), Offset: Hex(sec.Offset), Size: sec.Size,
		})
	}
	s.RewriteSigns = RewriteSigns(f, d)
	return s
}

func sectionFlags(fl elf.SectionFlag) string {
	var b strings.Builder
	for _, c := range []struct {
		f elf.SectionFlag
		c byte
	}{{elf.SHF_WRITE, 'W'}, {elf.SHF_ALLOC, 'A'}, {elf.SHF_EXECINSTR, 'X'}, {elf.SHF_MERGE, 'M'},
		{elf.SHF_STRINGS, 'S'}, {elf.SHF_INFO_LINK, 'I'}, {elf.SHF_LINK_ORDER, 'L'}, {elf.SHF_GROUP, 'G'},
		{elf.SHF_TLS, 'T'}, {elf.SHF_COMPRESSED, 'C'}} {
		if fl&c.f != 0 {
			b.WriteByte(c.c)
		}
	}
	return b.String()
}

func summarizeDynamic(f *File, d *Dynamic) *DynSummary {
	ds := &DynSummary{Addr: Hex(d.Addr), Needed: d.Needed, Soname: d.Soname, Rpath: d.Rpath, Runpath: d.Runpath}
	if ds.Needed == nil {
		ds.Needed = []string{}
	}
	strtab, _ := d.Tag(elf.DT_STRTAB)
	strsz, _ := d.Tag(elf.DT_STRSZ)
	for _, e := range d.Entries {
		es := DynEntrySum{Tag: DynTagName(e.Tag), Value: Hex(e.Val)}
		switch e.Tag {
		case elf.DT_NEEDED, elf.DT_SONAME, elf.DT_RPATH, elf.DT_RUNPATH:
			es.Str, _ = DynString(f.Image(), strtab, strsz, e.Val, "")
		case elf.DT_FLAGS:
			ds.Flags = append(ds.Flags, flagNames(uint64(e.Val), dfNames)...)
		case elf.DT_FLAGS_1:
			ds.Flags = append(ds.Flags, flagNames(uint64(e.Val), df1Names)...)
		}
		ds.Entries = append(ds.Entries, es)
	}
	ds.Pointers = []PointerSum{}
	for _, p := range f.Pointers(d) {
		ps := PointerSum{Tag: DynTagName(p.Tag), Addr: Hex(p.Addr), Backing: p.Loc.Backing(), Segment: p.Loc.Prog, Section: p.Section}
		if p.Loc.Mapped {
			ps.Flags = FlagString(p.Loc.Perm)
		}
		if p.Loc.File {
			h := Hex(p.Loc.Off)
			ps.Offset = &h
		}
		ds.Pointers = append(ds.Pointers, ps)
	}
	return ds
}

var dfNames = []string{"ORIGIN", "SYMBOLIC", "TEXTREL", "BIND_NOW", "STATIC_TLS"}

var df1Names = []string{"NOW", "GLOBAL", "GROUP", "NODELETE", "LOADFLTR", "INITFIRST", "NOOPEN", "ORIGIN",
	"DIRECT", "TRANS", "INTERPOSE", "NODEFLIB", "NODUMP", "CONFALT", "ENDFILTEE", "DISPRELDNE", "DISPRELPND",
	"NODIRECT", "IGNMULDEF", "NOKSYMS", "NOHDR", "EDITED", "NORELOC", "SYMINTPOSE", "GLOBAUDIT", "SINGLETON",
	"STUB", "PIE"}

func flagNames(v uint64, names []string) []string {
	var out []string
	for i, n := range names {
		if v&(1<<i) != 0 {
			out = append(out, n)
			v &^= 1 << i
		}
	}
	if v != 0 {
		out = append(out, fmt.Sprintf("0x%x", v))
	}
	return out
}

func summarizeVersions(v *Versions) *VerSummary {
	vs := &VerSummary{}
	if v.Versym != nil {
		vs.Versyms = v.Versym.Count
	}
	for _, n := range v.Need {
		ns := VerNeedSum{Addr: Hex(n.Addr), File: n.File, Versions: []VerAuxSum{}}
		for _, a := range n.Aux {
			ns.Versions = append(ns.Versions, VerAuxSum{Name: a.Name, Hash: Hex(a.Hash), Index: int(a.Other & 0x7fff),
				Weak: a.Weak(), Hidden: a.Other&0x8000 != 0})
		}
		vs.Need = append(vs.Need, ns)
	}
	for _, d := range v.Def {
		ds := VerDefSum{Addr: Hex(d.Addr), Index: int(d.Ndx & 0x7fff), Base: d.Flags&VerFlagBase != 0, Hash: Hex(d.Hash)}
		if len(d.Names) > 0 {
			ds.Name = d.Names[0]
			ds.Parents = d.Names[1:]
		}
		vs.Def = append(vs.Def, ds)
	}
	return vs
}

// SegmentRoles names each program header by what it is for, so that two
// files can be compared segment by segment even when one has an extra
// segment: "LOAD RW", "LOAD RX", "DYNAMIC", "LOAD R #2".
func SegmentRoles(f *File) map[int]string {
	roles := map[int]string{}
	seen := map[string]int{}
	for i := range f.Progs {
		p := &f.Progs[i]
		base := ProgTypeName(p.Type)
		if p.Type == elf.PT_LOAD {
			base += " " + FlagString(p.Flags)
		}
		seen[base]++
		if n := seen[base]; n > 1 {
			roles[p.Index] = fmt.Sprintf("%s #%d", base, n)
		} else {
			roles[p.Index] = base
		}
	}
	return roles
}

// RewriteSigns looks for traces that the file was rewritten after linking,
// as patchelf and similar tools do. Linkers lay out a file so that
// allocated sections appear in address order, the program headers follow
// the ELF header, and .interp and .dynstr come early; rewriters move them
// to the end.
func RewriteSigns(f *File, d *Dynamic) []string {
	var signs []string
	ehsize := uint64(64)
	if f.Class == elf.ELFCLASS32 {
		ehsize = 52
	}
	if len(f.Progs) > 0 && f.Phoff != ehsize {
		signs = append(signs, fmt.Sprintf("program headers at 0x%x, not right after the ELF header (0x%x): moved by a rewriter", f.Phoff, ehsize))
	}
	// Linkers put .dynamic in the writable data segment and .interp and
	// .dynstr in the first read-only one; patchelf moves all of them into
	// one new segment it appends (or, for ET_EXEC, prepends).
	for i := range f.Progs {
		p := &f.Progs[i]
		// Only a writable segment: on MIPS the linker itself puts a
		// read-only .dynamic beside .dynstr in the first PT_LOAD.
		if p.Type != elf.PT_LOAD || p.Flags&elf.PF_W == 0 {
			continue
		}
		in := f.SectionsIn(p)
		if slices.Contains(in, ".dynamic") && (slices.Contains(in, ".interp") || slices.Contains(in, ".dynstr")) {
			signs = append(signs, fmt.Sprintf("PT_LOAD %d (offset 0x%x) holds .dynamic together with .interp or .dynstr, which linkers keep apart: a rewriter moved them into a segment of its own", p.Index, p.Offset))
			break
		}
	}
	// Linkers start the image with a read-only (or code) segment; patchelf
	// growing an ET_EXEC's headers prepends a writable one for the tables
	// it moves.
	var first *Prog
	for _, p := range f.ProgsOfType(elf.PT_LOAD) {
		if first == nil || p.Vaddr < first.Vaddr {
			first = p
		}
	}
	if first != nil && first.Flags&elf.PF_W != 0 && len(f.ProgsOfType(elf.PT_LOAD)) > 1 {
		signs = append(signs, fmt.Sprintf("PT_LOAD %d, the lowest in memory (vaddr 0x%x), is writable: linkers start with a read-only segment, so a rewriter put it there", first.Index, first.Vaddr))
	}
	// Allocated sections out of address order in the section table.
	// .tbss takes no memory of its own (the next section may share its
	// address), so it says nothing about order. Bun's .bun section is
	// moved to the end of memory by `bun build --compile` itself, the
	// vendor's own build step, so its place says nothing about a local
	// rewrite (every pristine Bun 1.3 application has it out of order).
	var alloc []Section
	for _, s := range f.Sections {
		tbss := s.Type == elf.SHT_NOBITS && s.Flags&elf.SHF_TLS != 0
		if s.Flags&elf.SHF_ALLOC != 0 && s.Type != elf.SHT_NULL && !tbss && s.Name != ".bun" {
			alloc = append(alloc, s)
		}
	}
	for i := 1; i < len(alloc); i++ {
		if alloc[i].Addr < alloc[i-1].Addr {
			signs = append(signs, fmt.Sprintf("section %s (0x%x) comes after %s (0x%x) in the section table but lies below it in memory: sections were moved",
				alloc[i].Name, alloc[i].Addr, alloc[i-1].Name, alloc[i-1].Addr))
			break
		}
	}
	// .interp or .dynstr placed after the code.
	byName := map[string]Section{}
	for _, s := range f.Sections {
		if _, ok := byName[s.Name]; !ok {
			byName[s.Name] = s
		}
	}
	if text, ok := byName[".text"]; ok {
		for _, n := range []string{".dynstr", ".dynsym", ".gnu.version_r"} {
			if s, ok := byName[n]; ok && s.Offset > text.Offset && s.Flags&elf.SHF_ALLOC != 0 {
				signs = append(signs, fmt.Sprintf("%s at file offset 0x%x lies after .text (0x%x); linkers put it before the code", n, s.Offset, text.Offset))
			}
		}
	}
	if p, ok := staleProperty(f); ok {
		signs = append(signs, fmt.Sprintf("PT_GNU_PROPERTY (program header %d) points at offset 0x%x, where there is no GNU property note: the note moved and the header was left stale, as patchelf 0.14 does", p.Index, p.Offset))
	}
	if interp, ok, _ := f.Interp(); ok && strings.HasPrefix(interp, "/nix/store/") {
		signs = append(signs, "interpreter is in /nix/store: the file was built for Nix or rewritten to run there")
	}
	return signs
}

// staleProperty reports a PT_GNU_PROPERTY that does not point at a GNU
// property note. ld.so and (on arm64) the kernel read the note through
// this header, never through the section headers.
func staleProperty(f *File) (*Prog, bool) {
	for _, p := range f.ProgsOfType(ptGNUProperty) {
		b, err := f.readFull(int64(p.Offset), min(p.Filesz, 16), "PT_GNU_PROPERTY")
		if err != nil || len(b) < 16 {
			return p, true
		}
		o := f.order
		if o.Uint32(b) != 4 || o.Uint32(b[8:]) != ntGNUProperty || string(b[12:16]) != "GNU\x00" {
			return p, true
		}
	}
	return nil, false
}

// SegmentProblems checks every program header's ranges: file bytes inside
// the file, addresses that do not wrap around. The kernel maps what it is
// told; bytes past the end of the file fault with SIGBUS when touched.
func (f *File) SegmentProblems() []error {
	var errs []error
	for i := range f.Progs {
		p := &f.Progs[i]
		what := fmt.Sprintf("program header %d", p.Index)
		if end, ok := addNoOverflow(p.Offset, p.Filesz); !ok {
			errs = append(errs, errAt(p.Off, what, fmt.Sprintf("p_offset 0x%x + p_filesz 0x%x overflows", p.Offset, p.Filesz), nil))
		} else if end > uint64(f.size) && p.Filesz > 0 {
			errs = append(errs, errAt(p.Off, what, fmt.Sprintf("p_offset+p_filesz 0x%x past end of file (0x%x)", end, f.size), nil))
		}
		if _, ok := addNoOverflow(p.Vaddr, p.Memsz); !ok {
			errs = append(errs, errAt(p.Off, what, fmt.Sprintf("p_vaddr 0x%x + p_memsz 0x%x wraps around the address space", p.Vaddr, p.Memsz), nil))
		} else if p.Type == elf.PT_LOAD && p.Memsz > 1<<47 {
			errs = append(errs, errAt(p.Off, what, fmt.Sprintf("p_memsz %s is larger than a user address space", SizeString(p.Memsz)), nil))
		}
	}
	return errs
}

func hexPtr(h Hex) *Hex { return &h }
