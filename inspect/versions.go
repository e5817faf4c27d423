package inspect

import (
	"debug/elf"
	"fmt"
)

// maxVerEntries bounds every Verneed/Vernaux/Verdef/Verdaux chain. glibc
// itself has no bound: it follows *_next until it finds 0 or faults. The
// largest real tables (glibc's own libc.so.6) have under 100 entries.
const maxVerEntries = 1 << 14

// Flag bits of vna_flags / vd_flags.
const (
	VerFlagBase = 0x1
	VerFlagWeak = 0x2
)

// VerNeed is one Elf_Verneed record: the versions required of one file.
type VerNeed struct {
	Addr    uint64 // where ld.so reads it
	Version uint16
	Cnt     uint16 // vn_cnt: readelf walks by this; ld.so ignores it
	FileIdx uint32
	File    string
	AuxOff  uint32
	Next    uint32
	Aux     []VerNaux
}

// VerNaux is one Elf_Vernaux record: one required version.
type VerNaux struct {
	Addr    uint64
	Hash    uint32
	Flags   uint16
	Other   uint16 // the version index; bit 15 is "hidden"
	NameIdx uint32
	Name    string
	Next    uint32
}

// Weak reports whether the requirement is weak: missing is a warning.
func (a *VerNaux) Weak() bool { return a.Flags&VerFlagWeak != 0 }

// VerDef is one Elf_Verdef record with the names from its Verdaux chain.
type VerDef struct {
	Addr    uint64
	Version uint16
	Flags   uint16
	Ndx     uint16
	Cnt     uint16
	Hash    uint32
	AuxOff  uint32
	Next    uint32
	Names   []string // first is the version defined, the rest its parents
}

// Versions is the symbol-version information reached from the dynamic
// table, walked the way glibc's _dl_check_map_versions walks it: through
// memory, following vn_next/vna_next/vd_next, ignoring vn_cnt and the
// DT_VERNEEDNUM/DT_VERDEFNUM counts.
type Versions struct {
	Need    []VerNeed
	Def     []VerDef
	NeedNum uint64 // DT_VERNEEDNUM, 0 if absent
	DefNum  uint64 // DT_VERDEFNUM
	// NdxHigh is the highest version index ld.so will size its table for.
	NdxHigh int
	// Versym summarises .gnu.version as reached through DT_VERSYM.
	Versym   *Versym
	Problems []error
}

// Versym describes the DT_VERSYM array.
type Versym struct {
	Addr  uint64
	Count uint64 // number of dynamic symbols, from DT_HASH or DT_GNU_HASH
	// BadIndex holds (symbol index, version index) pairs whose version
	// index is neither local/global nor defined or required by the file.
	BadIndex [][2]uint64
}

// Versions walks DT_VERNEED and DT_VERDEF. It returns nil, nil when the
// file has neither.
func (f *File) Versions(d *Dynamic) (v *Versions, err error) {
	defer catchPanic(&err, "symbol versions")
	if d == nil {
		return nil, nil
	}
	need, hasNeed := d.Tag(elf.DT_VERNEED)
	def, hasDef := d.Tag(elf.DT_VERDEF)
	vsym, hasVersym := d.Tag(elf.DT_VERSYM)
	if !hasNeed && !hasDef && !hasVersym {
		return nil, nil
	}
	v = &Versions{}
	v.NeedNum, _ = d.Tag(elf.DT_VERNEEDNUM)
	v.DefNum, _ = d.Tag(elf.DT_VERDEFNUM)
	strtab, _ := d.Tag(elf.DT_STRTAB)
	strsz, _ := d.Tag(elf.DT_STRSZ)
	st := strReader{im: f.Image(), strtab: strtab, strsz: strsz, v: v}
	if hasNeed {
		v.walkNeed(f, need, &st)
	}
	if hasDef {
		v.walkDef(f, def, &st)
	}
	if hasVersym {
		v.readVersym(f, d, vsym)
	}
	return v, nil
}

// strReader reads version names the way ld.so does, strtab+idx with no
// bound, and notes indexes that fall outside DT_STRSZ.
type strReader struct {
	im            *Image
	strtab, strsz uint64
	v             *Versions
}

// get reads the string at idx; what names it in a problem, and is
// called only for one: a walk over a library's versions reads a name per
// record.
func (s *strReader) get(idx uint32, what func() string) string {
	if uint64(idx) >= s.strsz {
		s.v.Problems = append(s.v.Problems, errMem(s.strtab+uint64(idx), what(),
			fmt.Sprintf("string index 0x%x past DT_STRSZ 0x%x", idx, s.strsz), nil))
	}
	str, err := s.im.CString(s.strtab+uint64(idx), maxNameLen, "")
	if err != nil {
		s.v.Problems = append(s.v.Problems, named(err, what))
	}
	return str
}

// named gives a read's error the name of the structure read, made only
// now that it is needed.
func named(err error, what func() string) error {
	if fe, ok := err.(*FormatError); ok {
		fe.Struct = what()
	}
	return err
}

func (v *Versions) walkNeed(f *File, addr uint64, st *strReader) {
	hook("walkNeed")
	im := f.Image()
	o := f.order
	var b [16]byte
	count := 0
	for i := 0; ; i++ {
		what := func() string { return fmt.Sprintf("Verneed record %d", i) }
		if err := im.ReadAt(b[:], addr, ""); err != nil {
			v.Problems = append(v.Problems, named(err, what))
			return
		}
		n := VerNeed{Addr: addr, Version: o.Uint16(b[0:]), Cnt: o.Uint16(b[2:]),
			FileIdx: o.Uint32(b[4:]), AuxOff: o.Uint32(b[8:]), Next: o.Uint32(b[12:])}
		if n.Version != 1 {
			// ld.so checks only the first record and stops there;
			// later ones are not checked at all.
			v.Problems = append(v.Problems, errMem(addr, what(), "unsupported version of Verneed record", uint64(n.Version)))
			if i == 0 {
				v.Need = append(v.Need, n)
				return
			}
		}
		n.File = st.get(n.FileIdx, func() string { return what() + " vn_file" })
		aaddr := addr + uint64(n.AuxOff)
		for j := 0; ; j++ {
			count++
			if count > maxVerEntries {
				v.Problems = append(v.Problems, errMem(aaddr, what(), fmt.Sprintf("more than %d Vernaux entries: the chain does not end", maxVerEntries), nil))
				v.Need = append(v.Need, n)
				return
			}
			awhat := func() string { return fmt.Sprintf("Vernaux %d of Verneed record %d", j, i) }
			if err := im.ReadAt(b[:], aaddr, ""); err != nil {
				v.Problems = append(v.Problems, named(err, awhat))
				break
			}
			a := VerNaux{Addr: aaddr, Hash: o.Uint32(b[0:]), Flags: o.Uint16(b[4:]), Other: o.Uint16(b[6:]),
				NameIdx: o.Uint32(b[8:]), Next: o.Uint32(b[12:])}
			a.Name = st.get(a.NameIdx, func() string { return awhat() + " vna_name" })
			n.Aux = append(n.Aux, a)
			if ndx := int(a.Other & 0x7fff); ndx > v.NdxHigh {
				v.NdxHigh = ndx
			}
			if a.Next == 0 {
				break
			}
			aaddr += uint64(a.Next)
		}
		v.Need = append(v.Need, n)
		if n.Next == 0 {
			break
		}
		if len(v.Need) >= maxVerEntries {
			v.Problems = append(v.Problems, errMem(addr, what(), fmt.Sprintf("more than %d Verneed records: the chain does not end", maxVerEntries), nil))
			return
		}
		addr += uint64(n.Next)
	}
	if v.NeedNum != 0 && uint64(len(v.Need)) != v.NeedNum {
		v.Problems = append(v.Problems, errMem(v.Need[0].Addr, "Verneed chain",
			fmt.Sprintf("vn_next chain has %d records but DT_VERNEEDNUM says %d", len(v.Need), v.NeedNum), nil))
	}
	for _, n := range v.Need {
		if int(n.Cnt) != len(n.Aux) {
			v.Problems = append(v.Problems, errMem(n.Addr, "Verneed record for "+n.File,
				fmt.Sprintf("vna_next chain has %d entries but vn_cnt says %d", len(n.Aux), n.Cnt), nil))
		}
	}
}

func (v *Versions) walkDef(f *File, addr uint64, st *strReader) {
	im := f.Image()
	o := f.order
	var b [20]byte
	count := 0
	for i := 0; ; i++ {
		what := func() string { return fmt.Sprintf("Verdef record %d", i) }
		if err := im.ReadAt(b[:], addr, ""); err != nil {
			v.Problems = append(v.Problems, named(err, what))
			return
		}
		d := VerDef{Addr: addr, Version: o.Uint16(b[0:]), Flags: o.Uint16(b[2:]), Ndx: o.Uint16(b[4:]),
			Cnt: o.Uint16(b[6:]), Hash: o.Uint32(b[8:]), AuxOff: o.Uint32(b[12:]), Next: o.Uint32(b[16:])}
		if d.Version != 1 {
			// Other objects that require a version of this one stop
			// with "unsupported version of Verdef record".
			v.Problems = append(v.Problems, errMem(addr, what(), "unsupported version of Verdef record", uint64(d.Version)))
		}
		if ndx := int(d.Ndx & 0x7fff); ndx > v.NdxHigh {
			v.NdxHigh = ndx
		}
		aaddr := addr + uint64(d.AuxOff)
		// ld.so reads only the first Verdaux; the others name parents,
		// which we keep for people. Bound the walk by vd_cnt as well.
		for j := 0; j < int(max(d.Cnt, 1)); j++ {
			count++
			if count > maxVerEntries {
				v.Problems = append(v.Problems, errMem(aaddr, what(), fmt.Sprintf("more than %d Verdaux entries", maxVerEntries), nil))
				v.Def = append(v.Def, d)
				return
			}
			awhat := func() string { return fmt.Sprintf("Verdaux %d of Verdef record %d", j, i) }
			var ab [8]byte
			if err := im.ReadAt(ab[:], aaddr, ""); err != nil {
				v.Problems = append(v.Problems, named(err, awhat))
				break
			}
			d.Names = append(d.Names, st.get(o.Uint32(ab[0:]), func() string { return awhat() + " vda_name" }))
			next := o.Uint32(ab[4:])
			if next == 0 {
				break
			}
			aaddr += uint64(next)
		}
		v.Def = append(v.Def, d)
		if d.Next == 0 {
			break
		}
		if len(v.Def) >= maxVerEntries {
			v.Problems = append(v.Problems, errMem(addr, what(), fmt.Sprintf("more than %d Verdef records: the chain does not end", maxVerEntries), nil))
			return
		}
		addr += uint64(d.Next)
	}
	if v.DefNum != 0 && uint64(len(v.Def)) != v.DefNum {
		v.Problems = append(v.Problems, errMem(v.Def[0].Addr, "Verdef chain",
			fmt.Sprintf("vd_next chain has %d records but DT_VERDEFNUM says %d", len(v.Def), v.DefNum), nil))
	}
}

// maxBadIndex caps how many bad versym entries are kept as evidence.
const maxBadIndex = 16

func (v *Versions) readVersym(f *File, d *Dynamic, addr uint64) {
	n, err := f.DynSymCount(d)
	vs := &Versym{Addr: addr, Count: n}
	v.Versym = vs
	if err != nil {
		v.Problems = append(v.Problems, err)
		return
	}
	// The indexes the tables define, by index: a few dozen at most in
	// linked files, where a map would cost a lookup per symbol.
	var defined []bool
	def := func(x uint16) {
		x &= 0x7fff
		if int(x) >= len(defined) {
			defined = append(defined, make([]bool, int(x)+1-len(defined))...)
		}
		defined[x] = true
	}
	def(0)
	def(1)
	for _, nd := range v.Need {
		for _, a := range nd.Aux {
			def(a.Other)
		}
	}
	for _, df := range v.Def {
		def(df.Ndx)
	}
	im := f.Image()
	// A fresh page costs a short-lived process more than filling it: no
	// larger than the table.
	buf := make([]byte, 2*min(n, 4096))
	for i := uint64(0); i < n; i += 4096 {
		k := min(4096, n-i)
		if err := im.ReadAt(buf[:2*k], addr+2*i, fmt.Sprintf("versym entry %d", i)); err != nil {
			v.Problems = append(v.Problems, err)
			return
		}
		for j := uint64(0); j < k; j++ {
			x := f.order.Uint16(buf[2*j:]) & 0x7fff
			if (int(x) >= len(defined) || !defined[x]) && len(vs.BadIndex) < maxBadIndex {
				vs.BadIndex = append(vs.BadIndex, [2]uint64{i + j, uint64(x)})
			}
		}
	}
}

// maxDynSyms bounds the symbol count derived from hash tables.
const maxDynSyms = 1 << 20

// DynSymCount returns the number of dynamic symbols the way the loader
// can know it: nchain of DT_HASH, or one past the last symbol reachable
// from DT_GNU_HASH.
func (f *File) DynSymCount(d *Dynamic) (uint64, error) {
	im := f.Image()
	// ld.so uses DT_GNU_HASH when both are there; a stale DT_HASH beside
	// it is harmless, so it is only the fallback here too.
	if _, gnu := d.Tag(elf.DT_GNU_HASH); gnu {
		return f.gnuHashSymCount(d)
	}
	if h, ok := d.Tag(elf.DT_HASH); ok {
		b, err := im.Read(h, 8, "DT_HASH header")
		if err != nil {
			return 0, err
		}
		n := uint64(f.order.Uint32(b[4:]))
		if n > maxDynSyms {
			return 0, errMem(h, "DT_HASH header", "nchain too large", n)
		}
		return n, nil
	}
	return 0, errMem(d.Addr, "dynamic table", "neither DT_HASH nor DT_GNU_HASH: symbol count unknown", nil)
}

// gnuHashSymCount is one past the last symbol reachable from DT_GNU_HASH.
func (f *File) gnuHashSymCount(d *Dynamic) (uint64, error) {
	im := f.Image()
	h, _ := d.Tag(elf.DT_GNU_HASH)
	const what = "DT_GNU_HASH"
	b, err := im.Read(h, 16, what+" header")
	if err != nil {
		return 0, err
	}
	o := f.order
	nbuckets, symoff, bloomSize := uint64(o.Uint32(b)), uint64(o.Uint32(b[4:])), uint64(o.Uint32(b[8:]))
	if nbuckets > maxDynSyms || bloomSize > maxDynSyms {
		return 0, errMem(h, what, "bucket or bloom count too large", max(nbuckets, bloomSize))
	}
	word := uint64(8)
	if f.Class == elf.ELFCLASS32 {
		word = 4
	}
	buckets := h + 16 + bloomSize*word
	var last uint64
	buf := make([]byte, 4*min(nbuckets, 4096))
	for i := uint64(0); i < nbuckets; i += 4096 {
		k := min(4096, nbuckets-i)
		if err := im.ReadAt(buf[:4*k], buckets+4*i, what+" buckets"); err != nil {
			return 0, err
		}
		for j := uint64(0); j < k; j++ {
			last = max(last, uint64(o.Uint32(buf[4*j:])))
		}
	}
	if last < symoff {
		return symoff, nil
	}
	chain := buckets + 4*nbuckets
	var cb [4]byte
	for i := last; ; i++ {
		if i-symoff > maxDynSyms {
			return 0, errMem(chain, what, "hash chain does not end", nil)
		}
		if err := im.ReadAt(cb[:], chain+4*(i-symoff), what+" chain"); err != nil {
			return 0, err
		}
		if o.Uint32(cb[:])&1 != 0 {
			return i + 1, nil
		}
	}
}
