package reality

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
)

// A field is a run of bytes the kernel or ld.so reads, named by where it
// is reached from the file's own headers: "phdr[2].p_filesz",
// "dyn[DT_VERNEED#0].d_val", "verneed[0].aux[1].vna_name",
// "str(DT_NEEDED#0)[3]". Names, not offsets, are what a case records, so
// a case still means the same damage when a toolchain update moves the
// tables.
type field struct {
	Name     string
	Category string
	Off      uint64
	Size     int // 1, 2, 4 or 8
}

// Categories of loader-visible bytes the fuzzer damages.
var Categories = []string{
	"ehdr", "phdr", "dynamic", "interp", "strings", "verneed", "vernaux",
	"verdef", "verdaux", "versym", "gnu-hash", "sysv-hash", "rela", "jmprel",
	"dynsym", "init-fini",
}

// layout lists the loader-visible fields of a 64-bit little-endian ELF
// file, found through its headers as the kernel and ld.so find them
// (PT_DYNAMIC, then the tables its entries point to through the PT_LOADs),
// with section headers used only to count .dynsym's entries, which no
// header the loader reads states.
type layout struct {
	b      []byte
	fields map[string]field
	byCat  map[string][]string
}

// maxEntries bounds every table walk: the inputs are small programs, and
// the walk is over a file the fuzzer itself built.
const maxEntries = 4096

func newLayout(b []byte) (*layout, error) {
	if len(b) < 64 || !bytes.HasPrefix(b, []byte("\x7fELF")) || b[4] != 2 || b[5] != 1 {
		return nil, errors.New("not a 64-bit little-endian ELF file")
	}
	l := &layout{b: b, fields: map[string]field{}, byCat: map[string][]string{}}
	o := binary.LittleEndian
	for _, f := range []struct {
		name string
		off  uint64
		size int
	}{{"e_ident[EI_CLASS]", 4, 1}, {"e_ident[EI_DATA]", 5, 1}, {"e_ident[EI_VERSION]", 6, 1}, {"e_ident[EI_OSABI]", 7, 1},
		{"e_ident[EI_ABIVERSION]", 8, 1}, {"e_ident[EI_PAD]", 9, 1},
		{"e_type", 16, 2}, {"e_machine", 18, 2}, {"e_version", 20, 4}, {"e_entry", 24, 8}, {"e_phoff", 32, 8},
		{"e_ehsize", 52, 2}, {"e_phentsize", 54, 2}, {"e_phnum", 56, 2}} {
		l.add("ehdr", "ehdr."+f.name, f.off, f.size)
	}
	phoff, phnum := o.Uint64(b[32:]), uint64(o.Uint16(b[56:]))
	if phoff > uint64(len(b)) || phnum*56 > uint64(len(b))-phoff {
		return nil, errors.New("program headers past the end of the file")
	}
	type ph struct{ typ, off, vaddr, filesz, memsz uint64 }
	var phs []ph
	for i := uint64(0); i < phnum; i++ {
		at := phoff + i*56
		for _, f := range []struct {
			name string
			off  uint64
			size int
		}{{"p_type", 0, 4}, {"p_flags", 4, 4}, {"p_offset", 8, 8}, {"p_vaddr", 16, 8}, {"p_paddr", 24, 8}, {"p_filesz", 32, 8}, {"p_memsz", 40, 8}, {"p_align", 48, 8}} {
			l.add("phdr", fmt.Sprintf("phdr[%d].%s", i, f.name), at+f.off, f.size)
		}
		phs = append(phs, ph{uint64(o.Uint32(b[at:])), o.Uint64(b[at+8:]), o.Uint64(b[at+16:]), o.Uint64(b[at+32:]), o.Uint64(b[at+40:])})
	}
	offOf := func(vaddr uint64) (uint64, bool) {
		for _, p := range phs {
			if elf.ProgType(p.typ) == elf.PT_LOAD && vaddr >= p.vaddr && vaddr-p.vaddr < p.filesz {
				off := p.off + vaddr - p.vaddr
				return off, off < uint64(len(b))
			}
		}
		return 0, false
	}
	var dynOff, dynSize uint64
	for _, p := range phs {
		switch elf.ProgType(p.typ) {
		case elf.PT_INTERP:
			for i := uint64(0); i < p.filesz && p.off+i < uint64(len(b)); i++ {
				l.add("interp", fmt.Sprintf("interp[%d]", i), p.off+i, 1)
			}
		case elf.PT_DYNAMIC:
			dynOff, dynSize = p.off, p.filesz
		}
	}
	// The dynamic table up to DT_NULL, as ld.so reads it.
	dyn := map[elf.DynTag][]uint64{}
	seen := map[elf.DynTag]int{}
	for i := uint64(0); i < min(dynSize/16, maxEntries) && dynOff+i*16+16 <= uint64(len(b)); i++ {
		at := dynOff + i*16
		tag := elf.DynTag(o.Uint64(b[at:]))
		n := seen[tag]
		seen[tag]++
		ref := fmt.Sprintf("dyn[%v#%d]", tag, n)
		l.add("dynamic", ref+".d_tag", at, 8)
		l.add("dynamic", ref+".d_val", at+8, 8)
		if tag == elf.DT_NULL {
			break
		}
		dyn[tag] = append(dyn[tag], o.Uint64(b[at+8:]))
	}
	one := func(t elf.DynTag) (uint64, bool) {
		if v := dyn[t]; len(v) > 0 {
			return v[len(v)-1], true
		}
		return 0, false
	}
	strOff, hasStr := uint64(0), false
	if v, ok := one(elf.DT_STRTAB); ok {
		strOff, hasStr = offOf(v)
	}
	str := func(cat, name string, idx uint64) {
		if !hasStr || strOff+idx >= uint64(len(b)) {
			return
		}
		s := b[strOff+idx:]
		n := bytes.IndexByte(s, 0)
		if n < 0 || n > 256 {
			return
		}
		// The terminating NUL too: overwriting it runs the string on.
		for i := 0; i <= n; i++ {
			l.add(cat, fmt.Sprintf("str(%s)[%d]", name, i), strOff+idx+uint64(i), 1)
		}
	}
	for _, t := range []elf.DynTag{elf.DT_NEEDED, elf.DT_RUNPATH, elf.DT_RPATH, elf.DT_SONAME} {
		for i, v := range dyn[t] {
			str("strings", fmt.Sprintf("%v#%d", t, i), v)
		}
	}
	// Arrays of fixed-size entries the dynamic table points to.
	table := func(cat, prefix string, addrTag, sizeTag elf.DynTag, ent uint64, fields []struct {
		name string
		off  uint64
		size int
	}) {
		addr, ok1 := one(addrTag)
		size, ok2 := one(sizeTag)
		if !ok1 || !ok2 {
			return
		}
		off, ok := offOf(addr)
		if !ok {
			return
		}
		for i := uint64(0); i < min(size/ent, maxEntries) && off+(i+1)*ent <= uint64(len(b)); i++ {
			for _, f := range fields {
				name := fmt.Sprintf("%s[%d]", prefix, i)
				if f.name != "" {
					name += "." + f.name
				}
				l.add(cat, name, off+i*ent+f.off, f.size)
			}
		}
	}
	relaFields := []struct {
		name string
		off  uint64
		size int
	}{{"r_offset", 0, 8}, {"r_info.type", 8, 4}, {"r_info.sym", 12, 4}, {"r_addend", 16, 8}}
	table("rela", "rela", elf.DT_RELA, elf.DT_RELASZ, 24, relaFields)
	table("jmprel", "jmprel", elf.DT_JMPREL, elf.DT_PLTRELSZ, 24, relaFields)
	word := []struct {
		name string
		off  uint64
		size int
	}{{"", 0, 8}}
	table("init-fini", "init_array", elf.DT_INIT_ARRAY, elf.DT_INIT_ARRAYSZ, 8, word)
	table("init-fini", "fini_array", elf.DT_FINI_ARRAY, elf.DT_FINI_ARRAYSZ, 8, word)
	// .dynsym: how many entries, from the section header (ld.so never
	// needs the count).
	nsyms := uint64(0)
	if ef, err := elf.NewFile(bytes.NewReader(b)); err == nil {
		if s := ef.Section(".dynsym"); s != nil {
			nsyms = min(s.Size/24, maxEntries)
		}
	}
	if v, ok := one(elf.DT_SYMTAB); ok {
		if off, ok := offOf(v); ok {
			for i := uint64(0); i < nsyms && off+(i+1)*24 <= uint64(len(b)); i++ {
				at := off + i*24
				for _, f := range []struct {
					name string
					off  uint64
					size int
				}{{"st_name", 0, 4}, {"st_info", 4, 1}, {"st_other", 5, 1}, {"st_shndx", 6, 2}, {"st_value", 8, 8}, {"st_size", 16, 8}} {
					l.add("dynsym", fmt.Sprintf("dynsym[%d].%s", i, f.name), at+f.off, f.size)
				}
			}
		}
	}
	if v, ok := one(elf.DT_VERSYM); ok {
		if off, ok := offOf(v); ok {
			for i := uint64(0); i < nsyms && off+(i+1)*2 <= uint64(len(b)); i++ {
				l.add("versym", fmt.Sprintf("versym[%d]", i), off+i*2, 2)
			}
		}
	}
	if v, ok := one(elf.DT_GNU_HASH); ok {
		if off, ok := offOf(v); ok && off+16 <= uint64(len(b)) {
			nb, symoff, bloom := uint64(o.Uint32(b[off:])), uint64(o.Uint32(b[off+4:])), uint64(o.Uint32(b[off+8:]))
			for i, n := range []string{"nbuckets", "symoffset", "bloom_size", "bloom_shift"} {
				l.add("gnu-hash", "gnu_hash."+n, off+uint64(i)*4, 4)
			}
			at := off + 16
			for i := uint64(0); i < min(bloom, maxEntries) && at+8 <= uint64(len(b)); i, at = i+1, at+8 {
				l.add("gnu-hash", fmt.Sprintf("gnu_hash.bloom[%d]", i), at, 8)
			}
			for i := uint64(0); i < min(nb, maxEntries) && at+4 <= uint64(len(b)); i, at = i+1, at+4 {
				l.add("gnu-hash", fmt.Sprintf("gnu_hash.bucket[%d]", i), at, 4)
			}
			for i := uint64(0); symoff+i < nsyms && at+4 <= uint64(len(b)); i, at = i+1, at+4 {
				l.add("gnu-hash", fmt.Sprintf("gnu_hash.chain[%d]", i), at, 4)
			}
		}
	}
	if v, ok := one(elf.DT_HASH); ok {
		if off, ok := offOf(v); ok && off+8 <= uint64(len(b)) {
			nb, nc := uint64(o.Uint32(b[off:])), uint64(o.Uint32(b[off+4:]))
			l.add("sysv-hash", "hash.nbucket", off, 4)
			l.add("sysv-hash", "hash.nchain", off+4, 4)
			at := off + 8
			for i := uint64(0); i < min(nb, maxEntries) && at+4 <= uint64(len(b)); i, at = i+1, at+4 {
				l.add("sysv-hash", fmt.Sprintf("hash.bucket[%d]", i), at, 4)
			}
			for i := uint64(0); i < min(nc, maxEntries) && at+4 <= uint64(len(b)); i, at = i+1, at+4 {
				l.add("sysv-hash", fmt.Sprintf("hash.chain[%d]", i), at, 4)
			}
		}
	}
	// Version requirements, by vn_next and vna_next as
	// _dl_check_map_versions walks them.
	if v, ok := one(elf.DT_VERNEED); ok {
		if off, ok := offOf(v); ok {
			for i := 0; i < 64 && off+16 <= uint64(len(b)); i++ {
				p := fmt.Sprintf("verneed[%d]", i)
				for _, f := range []struct {
					name string
					off  uint64
					size int
				}{{"vn_version", 0, 2}, {"vn_cnt", 2, 2}, {"vn_file", 4, 4}, {"vn_aux", 8, 4}, {"vn_next", 12, 4}} {
					l.add("verneed", p+"."+f.name, off+f.off, f.size)
				}
				str("strings", p+".vn_file", uint64(o.Uint32(b[off+4:])))
				aux := off + uint64(o.Uint32(b[off+8:]))
				for j := 0; j < 64 && aux+16 <= uint64(len(b)); j++ {
					q := fmt.Sprintf("%s.aux[%d]", p, j)
					for _, f := range []struct {
						name string
						off  uint64
						size int
					}{{"vna_hash", 0, 4}, {"vna_flags", 4, 2}, {"vna_other", 6, 2}, {"vna_name", 8, 4}, {"vna_next", 12, 4}} {
						l.add("vernaux", q+"."+f.name, aux+f.off, f.size)
					}
					str("strings", q+".vna_name", uint64(o.Uint32(b[aux+8:])))
					next := uint64(o.Uint32(b[aux+12:]))
					if next == 0 {
						break
					}
					aux += next
				}
				next := uint64(o.Uint32(b[off+12:]))
				if next == 0 {
					break
				}
				off += next
			}
		}
	}
	if v, ok := one(elf.DT_VERDEF); ok {
		if off, ok := offOf(v); ok {
			for i := 0; i < 64 && off+20 <= uint64(len(b)); i++ {
				p := fmt.Sprintf("verdef[%d]", i)
				for _, f := range []struct {
					name string
					off  uint64
					size int
				}{{"vd_version", 0, 2}, {"vd_flags", 2, 2}, {"vd_ndx", 4, 2}, {"vd_cnt", 6, 2}, {"vd_hash", 8, 4}, {"vd_aux", 12, 4}, {"vd_next", 16, 4}} {
					l.add("verdef", p+"."+f.name, off+f.off, f.size)
				}
				aux := off + uint64(o.Uint32(b[off+12:]))
				for j := 0; j < 16 && aux+8 <= uint64(len(b)); j++ {
					q := fmt.Sprintf("%s.aux[%d]", p, j)
					l.add("verdaux", q+".vda_name", aux, 4)
					l.add("verdaux", q+".vda_next", aux+4, 4)
					str("strings", q+".vda_name", uint64(o.Uint32(b[aux:])))
					next := uint64(o.Uint32(b[aux+4:]))
					if next == 0 {
						break
					}
					aux += next
				}
				next := uint64(o.Uint32(b[off+16:]))
				if next == 0 {
					break
				}
				off += next
			}
		}
	}
	for c := range l.byCat {
		sort.Strings(l.byCat[c])
	}
	return l, nil
}

func (l *layout) add(cat, name string, off uint64, size int) {
	if off+uint64(size) > uint64(len(l.b)) {
		return
	}
	if _, dup := l.fields[name]; dup {
		return
	}
	l.fields[name] = field{Name: name, Category: cat, Off: off, Size: size}
	l.byCat[cat] = append(l.byCat[cat], name)
}

func (l *layout) get(f field) uint64 {
	switch f.Size {
	case 1:
		return uint64(l.b[f.Off])
	case 2:
		return uint64(binary.LittleEndian.Uint16(l.b[f.Off:]))
	case 4:
		return uint64(binary.LittleEndian.Uint32(l.b[f.Off:]))
	}
	return binary.LittleEndian.Uint64(l.b[f.Off:])
}

func put(b []byte, f field, v uint64) {
	switch f.Size {
	case 1:
		b[f.Off] = byte(v)
	case 2:
		binary.LittleEndian.PutUint16(b[f.Off:], uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(b[f.Off:], uint32(v))
	default:
		binary.LittleEndian.PutUint64(b[f.Off:], v)
	}
}

// Mutation is one change to one field: Op is "set" (the field becomes
// Arg), "add" (Arg is added, two's complement, so it may subtract) or
// "xor" (bits flipped).
type Mutation struct {
	Field string
	Op    string
	Arg   uint64
}

func (m Mutation) String() string {
	switch m.Op {
	case "add":
		if int64(m.Arg) < 0 {
			return fmt.Sprintf("%s -= %#x", m.Field, -int64(m.Arg))
		}
		return fmt.Sprintf("%s += %#x", m.Field, m.Arg)
	case "xor":
		return fmt.Sprintf("%s ^= %#x", m.Field, m.Arg)
	}
	return fmt.Sprintf("%s = %#x", m.Field, m.Arg)
}

// ParseMutation reads what Mutation.String writes.
func ParseMutation(s string) (Mutation, error) {
	f := strings.Fields(s)
	if len(f) != 3 {
		return Mutation{}, fmt.Errorf("mutation %q: want FIELD OP VALUE", s)
	}
	v, err := strconv.ParseUint(f[2], 0, 64)
	if err != nil {
		return Mutation{}, fmt.Errorf("mutation %q: %w", s, err)
	}
	m := Mutation{Field: f[0], Arg: v}
	switch f[1] {
	case "=":
		m.Op = "set"
	case "+=":
		m.Op = "add"
	case "-=":
		m.Op, m.Arg = "add", uint64(-int64(v))
	case "^=":
		m.Op = "xor"
	default:
		return Mutation{}, fmt.Errorf("mutation %q: unknown operator %q", s, f[1])
	}
	return m, nil
}

// ErrNotApplicable says a mutation names a field the file does not have.
var ErrNotApplicable = errors.New("the file has no such field")

// Apply returns a damaged copy of b; the fields are located in b as it
// was before any of ms is applied.
func Apply(b []byte, ms []Mutation) ([]byte, error) {
	l, err := newLayout(b)
	if err != nil {
		return nil, err
	}
	out := bytes.Clone(b)
	for _, m := range ms {
		f, ok := l.fields[m.Field]
		if !ok {
			return nil, fmt.Errorf("%s: %w", m.Field, ErrNotApplicable)
		}
		v := (&layout{b: out}).get(f)
		switch m.Op {
		case "set":
			v = m.Arg
		case "add":
			v += m.Arg
		case "xor":
			v ^= m.Arg
		default:
			return nil, fmt.Errorf("%s: unknown operation %q", m.Field, m.Op)
		}
		put(out, f, v)
	}
	return out, nil
}

// randomMutation picks a field of category cat (any category when cat is
// empty) and a change to it that damage in the wild makes: a bit flip, a
// small or page-sized shift (a table moved without its pointer), zero,
// all ones, a pointer far out of the image, the value of a sibling field,
// or for strings a changed or removed character.
func (l *layout) randomMutation(r *rand.Rand, cat string) (Mutation, bool) {
	if cat == "" {
		var cats []string
		for _, c := range Categories {
			if len(l.byCat[c]) > 0 {
				cats = append(cats, c)
			}
		}
		if len(cats) == 0 {
			return Mutation{}, false
		}
		cat = cats[r.IntN(len(cats))]
	}
	names := l.byCat[cat]
	if len(names) == 0 {
		return Mutation{}, false
	}
	f := l.fields[names[r.IntN(len(names))]]
	bits := uint(f.Size * 8)
	mask := uint64(1)<<bits - 1
	if bits == 64 {
		mask = ^uint64(0)
	}
	m := Mutation{Field: f.Name, Op: "set"}
	if f.Size == 1 && (cat == "strings" || cat == "interp") {
		switch r.IntN(3) {
		case 0:
			m.Arg = 0
		case 1:
			m.Arg = uint64("x/._-9$"[r.IntN(7)])
		default:
			m.Op, m.Arg = "xor", 1<<r.IntN(8)
		}
		return m, true
	}
	switch r.IntN(9) {
	case 0:
		m.Op, m.Arg = "xor", 1<<r.IntN(int(bits))
	case 1:
		m.Op, m.Arg = "add", uint64(r.IntN(16)+1)
	case 2:
		m.Op, m.Arg = "add", uint64(-int64(r.IntN(16)+1))
	case 3:
		// A page (or, for fields narrower than a page offset, the top
		// bit).
		m.Op, m.Arg = "add", uint64(1)<<min(bits-1, 12)
		if r.IntN(2) == 0 {
			m.Arg = -m.Arg & mask
		}
	case 4:
		m.Arg = 0
	case 5:
		m.Arg = mask
	case 6:
		// Far out of any mapping, for addresses and offsets.
		m.Op, m.Arg = "add", (uint64(1)<<min(bits-1, 40))&mask
	case 7:
		m.Arg = r.Uint64() & mask
	default:
		// A sibling's value: a pointer or index left over from a table
		// that moved.
		sib := l.fields[names[r.IntN(len(names))]]
		m.Arg = l.get(sib) & mask
	}
	if m.Op == "add" {
		m.Arg &= mask
	}
	return m, true
}
