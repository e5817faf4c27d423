package loader

import (
	"debug/elf"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// linkMap is what ld.so keeps about one loaded object for relocation and
// symbol lookup (struct link_map): the table pointers elf_get_dynamic_info
// stored in l_info, the hash table fields _dl_setup_hash computed, and the
// version array _dl_check_map_versions built. Every field is read through
// the object's memory the way ld.so dereferences it.
type linkMap struct {
	// rebasedDyn are the words of .dynamic elf_get_dynamic_info rebased
	// (lInfo.rebased).
	rebasedDyn []uint64
	// relroNoExec are code pages PT_GNU_RELRO made read-only
	// (relroOverCode), empty when none.
	relroNoExec [2]uint64
	// relocated is l_relocated: _dl_relocate_object finished with it.
	relocated bool
	// imports is symtabImports' answer, once asked: staticImports asks
	// for every object, a failing first call again (lostImport).
	imports     map[string]bool
	importsDone bool
	// partial says the replay did not apply every relocation ld.so
	// applies (a bound, a size that wraps or not by the load address).
	partial bool
	obj     *loadedObj
	f       *inspect.File
	d       *inspect.Dynamic
	m       mem
	main    bool
	// l_info: a tag that is absent is a null pointer in ld.so, so the
	// first read through it faults.
	symtab, strtab, versym          uint64
	hasSymtab, hasStrtab, hasVersym bool
	// versions is l_versions, nil when _dl_check_map_versions found no
	// version index in use (then l_versyms is null too).
	versions []foundVersion
	// Hash table (_dl_setup_hash), read on first lookup.
	hashRead bool
	hashErr  error
	gnu      bool
	nbuckets uint32
	// GNU: l_gnu_bitmask_idxbits, l_gnu_shift, l_gnu_bitmask,
	// l_gnu_buckets, l_gnu_chain_zero. SysV: l_buckets, l_chain.
	idxbits, shift          uint32
	bitmask, buckets, chain uint64
	relroAddr, relroSize    uint64
	hasRelro, spanMapped    bool
	// written are the addresses ld.so's relocations wrote.
	written *addrSet
	// okPage is the last page a write to was found mapped and writable.
	okPage struct {
		page        uint64
		textrel, ok bool
	}
	// values are the words relocations wrote whose content startCall
	// may need, by address (relocs.go).
	values map[uint64]slotValue
	// setup is where elf_machine_runtime_setup stored the link map and
	// _dl_runtime_resolve (GOT[1], GOT[2]), when it did; touched says a
	// relocation wrote over either word since (badTypeFromSetup).
	setup struct {
		got1        uint64
		ok, touched bool
		// plt and gotplt are l_mach.plt and l_mach.gotplt, set when
		// GOT[1] held a value as the setup read it (prelink's record
		// of the PLT, or whatever a moved DT_PLTGOT finds there), as
		// link-time addresses: a lazy slot is then set from them
		// instead of rebased (elf_machine_lazy_rel).
		plt, gotplt uint64
		hasPLT      bool
		// over is an initialiser's or finaliser's dynamic value the
		// setup wrote over, which is read only when they are called.
		over []*setupDynamic
	}
}

// foundVersion is one entry of l_versions (struct r_found_version).
type foundVersion struct {
	name     string
	nameAt   uint64 // where ld.so reads the name when it prints it
	nameErr  error
	hash     uint32
	hidden   bool
	filename string
	set      bool
}

// Symbol table entries as ld.so reads them: it ignores DT_SYMENT and
// indexes DT_SYMTAB by sizeof (ElfW(Sym)).
func symSize(f *inspect.File) uint64 {
	if f.Class == elf.ELFCLASS32 {
		return 16
	}
	return 24
}

// sym is one ElfW(Sym) read from memory.
type sym struct {
	index         uint64
	name          uint32
	info, other   byte
	shndx         uint16
	value, size   uint64
	lm            *linkMap
	nameS         cstr
	nameRead      bool
	versymV       uint16
	versymErr     error
	versymRead    bool
	versymPresent bool
}

func (s *sym) bind() elf.SymBind { return elf.ST_BIND(s.info) }
func (s *sym) typ() elf.SymType  { return elf.ST_TYPE(s.info) }

// bindsLocal is dl_symbol_visibility_binds_local_p: hidden and internal
// symbols are never bound from outside the object.
func (s *sym) bindsLocal() bool {
	v := elf.ST_VISIBILITY(s.other)
	return v == elf.STV_HIDDEN || v == elf.STV_INTERNAL
}

// nullRead is the fault of a read through a null l_info entry: ld.so
// reads d_un.d_ptr of a DT_* entry that is not there.
func nullRead(tag elf.DynTag) error {
	return &inspect.FormatError{Off: -1, Addr: 8, InMem: true, Struct: inspect.DynTagName(tag),
		Msg: "the dynamic table has no such entry: ld.so reads it through a null pointer", Fault: inspect.FaultUnmapped}
}

// newLinkMap records what ld.so keeps of an object.
func (c *checker) newLinkMap(o *loadedObj, main bool) (*linkMap, error) {
	f, err := o.file()
	if err != nil {
		return nil, err
	}
	lm := &linkMap{obj: o, f: f, d: o.dyn, m: memOf(f), main: main, written: &addrSet{}, values: map[uint64]slotValue{}}
	if info := o.info; info != nil {
		lm.rebasedDyn = info.rebased
	} else if main && c.info != nil {
		lm.rebasedDyn = c.info.rebased
	}
	lm.symtab, lm.hasSymtab = o.dyn.Tag(elf.DT_SYMTAB)
	lm.strtab, lm.hasStrtab = o.dyn.Tag(elf.DT_STRTAB)
	lm.versym, lm.hasVersym = o.dyn.Tag(elf.DT_VERSYM)
	for _, p := range f.ProgsOfType(elf.PT_GNU_RELRO) {
		lm.relroAddr, lm.relroSize, lm.hasRelro = p.Vaddr, p.Memsz, true
	}
	// ld.so maps a library as one reservation spanning all its
	// PT_LOADs and makes the holes PROT_NONE, and so a position-
	// independent program it was started with as its command; the
	// kernel maps only the program's segments.
	lm.spanMapped = !main || (c.opts.Loader != "" && f.Type == elf.ET_DYN)
	lm.versions = foundVersions(o, lm.m)
	return lm, nil
}

// foundVersions is l_versions as _dl_check_map_versions built it
// (buildLVersions, versions.go), with each entry's name and file name
// read for symbol lookup, which compares and prints them. A name that
// cannot be read keeps its fault, which decides an outcome only where
// ld.so reads that name.
func foundVersions(o *loadedObj, m mem) []foundVersion {
	if o.lVersions == nil {
		return nil
	}
	vs := make([]foundVersion, len(o.lVersions)) // ndx_high+1, at most 0x8000
	for i, v := range o.lVersions {
		if !v.hasName {
			continue // no record has this index
		}
		fv := foundVersion{hash: v.hash, hidden: v.hidden, set: true, nameAt: v.name}
		n := m.cstring(v.name, "version name")
		fv.name, fv.nameErr = n.s, n.err
		if v.hasFilename {
			fv.filename = m.cstring(v.filename, "version file name").s
		}
		vs[i] = fv
	}
	return vs
}

// readSym reads symtab[i] as ld.so does: &symtab[i] with no bound.
func (lm *linkMap) readSym(i uint64) (*sym, error) {
	if !lm.hasSymtab {
		return nil, nullRead(elf.DT_SYMTAB)
	}
	n := symSize(lm.f)
	var b [24]byte
	addr := lm.m.add(lm.symtab, i*n)
	if err := lm.f.Image().ReadAt(b[:n], addr, "dynamic symbol"); err != nil {
		var fe *inspect.FormatError
		if errors.As(err, &fe) {
			fe.Struct = fmt.Sprintf("dynamic symbol %d", i) // made only for an error
		}
		return nil, err
	}
	f := lm.f
	s := &sym{index: i, lm: lm, name: get32(f, b[:])}
	if n == 16 {
		s.value, s.size, s.info, s.other, s.shndx = uint64(get32(f, b[4:])), uint64(get32(f, b[8:])), b[12], b[13], get16(f, b[14:])
	} else {
		s.info, s.other, s.shndx, s.value, s.size = b[4], b[5], get16(f, b[6:]), get64(f, b[8:]), get64(f, b[16:])
	}
	return s, nil
}

// symName reads strtab + st_name as a C string, as far as ld.so can.
func (lm *linkMap) symName(s *sym) cstr {
	if !s.nameRead {
		s.nameRead = true
		if !lm.hasStrtab {
			s.nameS = cstr{err: nullRead(elf.DT_STRTAB)}
		} else {
			// The label is made only for an error: a big library's
			// symbols are many, and read ones are the rule.
			s.nameS = lm.m.cstring(lm.m.add(lm.strtab, uint64(s.name)), "name of a dynamic symbol")
			var fe *inspect.FormatError
			if errors.As(s.nameS.err, &fe) {
				fe.Struct = fmt.Sprintf("name of dynamic symbol %d", s.index)
			}
		}
	}
	return s.nameS
}

// versymOf reads l_versyms[i] (DT_VERSYM) of symbol i.
func (lm *linkMap) versymAt(i uint64) (uint16, error) {
	v, err := lm.m.u16(lm.m.add(lm.versym, 2*i), "DT_VERSYM entry")
	if err != nil {
		// Only here: errors.As's target would otherwise cost every
		// read an allocation.
		var fe *inspect.FormatError
		if errors.As(err, &fe) {
			fe.Struct = fmt.Sprintf("DT_VERSYM entry %d", i)
		}
	}
	return v, err
}

// setupHash reads the hash table header as _dl_setup_hash
// (elf/dl-setup_hash.c) did when the object was mapped: DT_GNU_HASH when
// there is one, else DT_HASH.
func (lm *linkMap) setupHash() error {
	if lm.hashRead {
		return lm.hashErr
	}
	lm.hashRead = true
	m := lm.m
	if h, ok := lm.d.Tag(elf.DT_GNU_HASH); ok {
		var w [4]uint32
		for i := range w {
			v, err := m.u32(m.add(h, uint64(4*i)), "DT_GNU_HASH header")
			if err != nil {
				lm.hashErr = err
				return err
			}
			w[i] = v
		}
		word := uint64(8)
		if lm.f.Class == elf.ELFCLASS32 {
			word = 4
		}
		lm.gnu, lm.nbuckets = true, w[0]
		symbias, nwords := w[1], w[2]
		lm.idxbits, lm.shift = nwords-1, w[3]
		lm.bitmask = m.add(h, 16)
		lm.buckets = m.add(lm.bitmask, uint64(nwords)*word)
		lm.chain = m.add(lm.buckets, 4*uint64(lm.nbuckets)-4*uint64(symbias))
		return nil
	}
	h, ok := lm.d.Tag(elf.DT_HASH)
	if !ok {
		return nil // l_nbuckets stays 0: the object is never searched
	}
	nb, err := m.u32(h, "DT_HASH nbucket")
	if err != nil {
		lm.hashErr = err
		return err
	}
	lm.nbuckets = nb
	lm.buckets = m.add(h, 8)
	lm.chain = m.add(lm.buckets, 4*uint64(nb))
	return nil
}

// dlNewHash is _dl_new_hash (the GNU hash, djb2).
func dlNewHash(s string) uint32 {
	h := uint32(5381)
	for i := 0; i < len(s); i++ {
		h = h*33 + uint32(s[i])
	}
	return h
}

// dlElfHash is _dl_elf_hash (the SysV hash).
func dlElfHash(s string) uint32 {
	var h uint32
	for i := 0; i < len(s); i++ {
		h = (h << 4) + uint32(s[i])
		if g := h & 0xf0000000; g != 0 {
			h ^= g >> 24
		}
		h &^= 0xf0000000
	}
	return h
}

// stbGNUUnique is STB_GNU_UNIQUE, which debug/elf does not name.
const stbGNUUnique elf.SymBind = 10

// Type classes of elf_machine_type_class (ELF_RTYPE_CLASS_*).
const (
	classPLT  = 1
	classCopy = 2
	// classExternProtected is ELF_RTYPE_CLASS_EXTERN_PROTECTED_DATA, the
	// class x86's glibc gave GLOB_DAT until 2.35 (DL_EXTERN_PROTECTED_DATA).
	classExternProtected = 4
)

// maxHashChain bounds a walk of one hash chain. A real loader follows a
// chain without a bound (a SysV chain can even loop); the replay stops
// and says so.
const maxHashChain = 1 << 20

// chainLoopAfter is the length from which a SysV chain walk watches for
// an index it met before: linkers' chains are a few entries long.
const chainLoopAfter = 64

// hashChainLoop is a DT_HASH chain that comes back to a symbol it already
// looked at, none of them a match: do_lookup_x's walk never ends.
type hashChainLoop struct {
	obj, name string
	bucket    uint32
	index     uint32 // the first index met twice
}

func (e *hashChainLoop) Error() string {
	return fmt.Sprintf("looking up %s, the DT_HASH chain of bucket %d of %s comes back to symbol %d, none of whose symbols is a match: the walk never ends", e.name, e.bucket, filepath.Base(e.obj), e.index)
}

// errChainLong is returned when a hash chain walk hits maxHashChain.
var errChainLong = errors.New("hash chain longer than elfdoctor follows, or the replay's budget is spent")

// lookupResult is what _dl_lookup_symbol_x found.
type lookupResult struct {
	s  *sym
	lm *linkMap
}

// lookupSymbol replays _dl_lookup_symbol_x (elf/dl-lookup.c): do_lookup_x
// over the scope in order, each object's hash table, check_match on each
// candidate. It returns the definition, or nil when none was found, or
// the fault or assertion a read hit.
func (r *relocator) lookupSymbol(name string, ref *sym, version *foundVersion, typeClass int) (*lookupResult, error) {
	res, err := r.search(name, ref, version, typeClass)
	if err != nil || res == nil || ref == nil || elf.ST_VISIBILITY(ref.other) != elf.STV_PROTECTED {
		return res, err
	}
	// A reference with protected visibility: for a PLT relocation, a
	// definition in another object is replaced by the reference itself
	// in its own object; otherwise a second search as a PLT relocation
	// decides the same. glibc before 2.36 on x86 searches an STT_OBJECT
	// reference of a GLOB_DAT again as ELF_RTYPE_CLASS_EXTERN_PROTECTED_DATA,
	// skipping the program's definition when the program copies it.
	if typeClass&classPLT == 0 {
		second := classPLT
		if ref.typ() == elf.STT_OBJECT && typeClass == classExternProtected {
			if r.minor == 0 {
				r.note(ref.lm, fmt.Sprintf("%s is referenced with protected visibility as data: how it is bound depends on the glibc release, which is not known", orNone(name)))
				return res, nil
			}
			second = classExternProtected
		}
		// Unless the second search finds a definition in another object,
		// the first search's stands.
		again, err := r.searchIn(name, ref, version, second, true)
		if err != nil {
			return nil, err
		}
		if again != nil && again.lm != ref.lm {
			return &lookupResult{s: ref, lm: ref.lm}, nil
		}
		return res, nil
	}
	if res.lm != ref.lm {
		return &lookupResult{s: ref, lm: ref.lm}, nil
	}
	return res, nil
}

// search is do_lookup_x over the scope in order, as _dl_lookup_symbol_x
// runs it, before its handling of a protected reference.
func (r *relocator) search(name string, ref *sym, version *foundVersion, typeClass int) (*lookupResult, error) {
	return r.searchIn(name, ref, version, typeClass, false)
}

// searchIn is search; protected is the second search _dl_lookup_symbol_x
// makes for a protected reference, with undef_map NULL, in which glibc
// before 2.36 skips a definition in the program that a COPY relocation of
// the program fills (do_lookup_x).
func (r *relocator) searchIn(name string, ref *sym, version *foundVersion, typeClass int, protected bool) (_ *lookupResult, err error) {
	newHash := dlNewHash(name)
	oldHash, haveOld := uint32(0), false
	// Every read below is of the object being searched: a failure names
	// it (readIn), for a read past its pages (pastMappingFinding).
	var cur *loadedObj
	defer func() {
		if err != nil && cur != nil {
			err = &readIn{obj: cur, err: err}
		}
	}()
	for _, lm := range r.scope {
		cur = lm.obj
		if typeClass&classCopy != 0 && lm.main {
			continue // a copy relocation is never resolved to the executable
		}
		if err := lm.setupHash(); err != nil {
			return nil, err
		}
		if lm.nbuckets == 0 {
			continue
		}
		m := lm.m
		var found *sym
		var versioned *sym
		numVersions := 0
		match := func(idx uint64) (bool, error) {
			s, err := r.checkMatch(name, ref, version, typeClass, lm, idx, &versioned, &numVersions)
			if err != nil {
				return false, err
			}
			if s != nil {
				found = s
				return true, nil
			}
			return false, nil
		}
		if lm.gnu {
			wbits := uint32(64)
			word := uint64(8)
			if lm.f.Class == elf.ELFCLASS32 {
				wbits, word = 32, 4
			}
			var bw uint64
			addr := m.add(lm.bitmask, uint64((newHash/wbits)&lm.idxbits)*word)
			if word == 8 {
				var b [8]byte
				if err := lm.f.Image().ReadAt(b[:], addr, "DT_GNU_HASH bloom filter word"); err != nil {
					return nil, err
				}
				bw = get64(lm.f, b[:])
			} else {
				v, err := m.u32(addr, "DT_GNU_HASH bloom filter word")
				if err != nil {
					return nil, err
				}
				bw = uint64(v)
			}
			// x86 shifts by the count modulo the operand's width: 32
			// from glibc 2.36, whose new_hash is an unsigned int;
			// before, new_hash was a uint_fast32_t, 64 bits on x86-64,
			// so a count of 32 to 63 shifts every bit out.
			h1, h2 := newHash&(wbits-1), (newHash>>(lm.shift&31))&(wbits-1)
			if word == 8 && r.minor != 0 && r.minor < 36 {
				h2 = uint32((uint64(newHash) >> (lm.shift & 63)) & uint64(wbits-1))
			}
			if (bw>>h1)&(bw>>h2)&1 != 0 {
				bucket, err := m.u32(m.add(lm.buckets, 4*uint64(newHash%lm.nbuckets)), "DT_GNU_HASH bucket")
				if err != nil {
					return nil, err
				}
				if bucket != 0 {
					p := m.add(lm.chain, 4*uint64(bucket))
					for n := 0; ; n++ {
						if n == maxHashChain || r.spend() {
							return nil, errChainLong
						}
						v, err := m.u32(p, "DT_GNU_HASH chain")
						if err != nil {
							return nil, err
						}
						if (v^newHash)>>1 == 0 {
							idx := (p - lm.chain) & m.mask / 4
							if ok, err := match(idx); err != nil {
								return nil, err
							} else if ok {
								break
							}
						}
						if v&1 != 0 {
							break
						}
						p = m.add(p, 4)
					}
				}
			}
		} else {
			if !haveOld {
				oldHash, haveOld = dlElfHash(name), true
			}
			idx, err := m.u32(m.add(lm.buckets, 4*uint64(oldHash%lm.nbuckets)), "DT_HASH bucket")
			if err != nil {
				return nil, err
			}
			var walked map[uint32]bool
			for n := 0; idx != 0; n++ {
				if n == maxHashChain || r.spend() {
					return nil, errChainLong
				}
				if n >= chainLoopAfter {
					// A chain this long may loop; a symbol index met
					// twice without a match will be met forever, and so
					// does ld.so's walk, which has no bound.
					if walked == nil {
						walked = map[uint32]bool{}
					}
					if walked[idx] {
						return nil, &hashChainLoop{obj: lm.obj.name, name: name, bucket: oldHash % lm.nbuckets, index: idx}
					}
					walked[idx] = true
				}
				if ok, err := match(uint64(idx)); err != nil {
					return nil, err
				} else if ok {
					break
				}
				if idx, err = m.u32(m.add(lm.chain, 4*uint64(idx)), "DT_HASH chain"); err != nil {
					return nil, err
				}
			}
		}
		if found == nil && numVersions == 1 {
			found = versioned
		}
		if found != nil && protected && typeClass == classExternProtected && lm.main {
			copied, err := r.copiedByProgram(lm, name)
			if err != nil {
				return nil, err
			}
			if copied {
				continue
			}
		}
		if found == nil || found.bindsLocal() {
			continue
		}
		if !protected {
			if err := r.checkProtected(name, ref, found, lm, typeClass); err != nil {
				return nil, err
			}
		}
		switch found.bind() {
		case elf.STB_WEAK, elf.STB_GLOBAL, stbGNUUnique:
			return &lookupResult{s: found, lm: lm}, nil
		}
	}
	return nil, nil
}

// checkMatch replays check_match (elf/dl-lookup.c) on symtab[idx] of lm.
func (r *relocator) checkMatch(name string, ref *sym, version *foundVersion, typeClass int, lm *linkMap, idx uint64, versioned **sym, numVersions *int) (*sym, error) {
	s, err := lm.readSym(idx)
	if err != nil {
		return nil, err
	}
	if e := r.symFromWritten(lm, idx); e != nil {
		return nil, e
	}
	stt := s.typ()
	if (s.value == 0 && s.shndx != uint16(elf.SHN_ABS) && stt != elf.STT_TLS) ||
		(typeClass&classPLT != 0 && s.shndx == uint16(elf.SHN_UNDEF)) {
		return nil, nil
	}
	switch stt {
	case elf.STT_NOTYPE, elf.STT_OBJECT, elf.STT_FUNC, elf.STT_COMMON, elf.STT_TLS, elf.STT_GNU_IFUNC:
	default:
		return nil, nil
	}
	if !(ref != nil && ref.lm == lm && ref.index == idx) {
		eq, err := strcmpFault(lm.symName(s), cstr{s: name})
		if err != nil {
			return nil, err
		}
		if !eq {
			return nil, nil
		}
	}
	if version != nil {
		if lm.versions == nil {
			// glibc before 2.41 asserts that an object without
			// version information is not the one the version was
			// required from; 2.41 accepts the symbol.
			if r.minor != 0 && r.minor < 41 && version.filename != "" && r.nameMatch(version.filename, lm) {
				return nil, &assertion{file: "dl-lookup.c", fn: "check_match",
					expr: "version->filename == NULL || ! _dl_name_match_p (version->filename, map)"}
			}
			return s, nil
		}
		vs, err := lm.versymAt(idx)
		if err != nil {
			return nil, err
		}
		var lv foundVersion
		ndx := int(vs & 0x7fff)
		if ndx >= len(lm.versions) {
			return nil, r.pastVersions(lm, idx, ndx)
		}
		lv = lm.versions[ndx]
		differs := lv.hash != version.hash
		if !differs {
			eq, err := strcmpFault(cstr{s: lv.name, err: lv.nameErr}, cstr{s: version.name, err: version.nameErr})
			if err != nil {
				return nil, err
			}
			differs = !eq
		}
		if !differs {
			return s, nil
		}
		if r.minor == 0 || r.minor >= 41 {
			// glibc 2.42 (bug 29190, backported to the 2.39, 2.40 and
			// 2.41 branches: Debian's 2.41 has it, bookworm's 2.36 not)
			// tells the global default version by its empty name, not
			// its hash of 0, and takes it only as a fallback: the
			// symbol is used when the chain holds no exact match and no
			// other fallback. An index no record has names "" now, and
			// a version whose hash was made 0 is no longer taken for
			// the default.
			if version.hidden {
				return nil, nil
			}
			if lv.nameErr != nil {
				return nil, lv.nameErr // name[0] is read
			}
			if lv.name == "" && vs&0x8000 == 0 {
				if *numVersions == 0 {
					*versioned = s
				}
				*numVersions++
			}
			return nil, nil
		}
		if version.hidden || lv.hash != 0 || vs&0x8000 != 0 {
			return nil, nil
		}
		return s, nil
	}
	if lm.versions != nil {
		vs, err := lm.versymAt(idx)
		if err != nil {
			return nil, err
		}
		if vs&0x7fff >= 3 {
			if vs&0x8000 == 0 {
				if *numVersions == 0 {
					*versioned = s
				}
				*numVersions++
			}
			return nil, nil
		}
	}
	return s, nil
}

// nameMatch is _dl_name_match_p (matchesName).
func (r *relocator) nameMatch(name string, lm *linkMap) bool {
	return lm.obj.matchesName(name)
}

// assertion is an assert() in ld.so that fails: it prints "Inconsistency
// detected by ld.so" and exits 127.
type assertion struct{ file, fn, expr string }

func (a *assertion) Error() string {
	return fmt.Sprintf("Inconsistency detected by ld.so: %s: %s: Assertion `%s' failed!", a.file, a.fn, a.expr)
}

// addrSet is a set of addresses, kept as a bitmap per 4 KiB page: a big
// library has hundreds of thousands of relocations, and ld.so's writes
// cluster in its data pages, where a map of every address cost more
// than the rest of the replay.
// relocatedString returns the first word a relocation wrote under a C
// string of lm at addr, n bytes as the file has them and their
// terminator. l_versions and the symbol table keep pointers into the
// string table, and ld.so reads the bytes when it prints them, after
// relocations have run and elf_get_dynamic_info rebased its pointers in
// .dynamic: a string table moved onto such words makes its names that
// value's bytes, for a load address another every run.
func (lm *linkMap) relocatedString(addr uint64, n int) (uint64, bool) {
	word := uint64(8)
	if lm.f.Class == elf.ELFCLASS32 {
		word = 4
	}
	for i := uint64(0); i <= uint64(n); i++ {
		b := lm.m.add(addr, i)
		for k := uint64(0); k < word; k++ {
			if w := lm.m.add(b, -k); lm.written.has(w) || slices.Contains(lm.rebasedDyn, w) {
				return w, true
			}
		}
	}
	return 0, false
}

type addrSet struct {
	pages    map[uint64]*[64]uint64
	lastPage uint64
	last     *[64]uint64
	// missPage is the last page looked up and found empty (missed):
	// a relocation table is read entry by entry from pages nothing
	// wrote (entryFromWritten).
	missPage uint64
	missed   bool
}

func (s *addrSet) bits(a uint64, grow bool) *[64]uint64 {
	p := a >> 12
	if s.last != nil && s.lastPage == p {
		return s.last
	}
	if !grow && s.missed && s.missPage == p {
		return nil
	}
	b := s.pages[p]
	if b == nil {
		if !grow {
			s.missPage, s.missed = p, true
			return nil
		}
		if s.missed && s.missPage == p {
			s.missed = false
		}
		if s.pages == nil {
			s.pages = map[uint64]*[64]uint64{}
		}
		b = new([64]uint64)
		s.pages[p] = b
	}
	s.lastPage, s.last = p, b
	return b
}

func (s *addrSet) add(a uint64) {
	b := s.bits(a, true)
	b[a>>6&63] |= 1 << (a & 63)
}

// onPage says whether the set holds any address on a's page.
func (s *addrSet) onPage(a uint64) bool {
	return s.bits(a, false) != nil
}

func (s *addrSet) has(a uint64) bool {
	b := s.bits(a, false)
	return b != nil && b[a>>6&63]&(1<<(a&63)) != 0
}

// first returns the lowest address of the set in [lo, hi], stepping over
// pages that hold none: a symbol or version entry read on a page no
// relocation wrote costs two map reads, not one per byte.
func (s *addrSet) first(lo, hi uint64) (uint64, bool) {
	for a := lo; a <= hi; {
		b := s.bits(a, false)
		if b == nil {
			next := (a | 0xfff) + 1
			if next == 0 {
				break
			}
			a = next
			continue
		}
		if b[a>>6&63]&(1<<(a&63)) != 0 {
			return a, true
		}
		if a == hi {
			break
		}
		a++
	}
	return 0, false
}

// wroteUnder returns a word ld.so itself wrote (a relocation, or a
// .dynamic pointer ADJUST_DYN_INFO rebased) that covers part of the n
// bytes at addr, word being the object's word size. What ld.so reads
// there is then a piece of a load address, another every run.
func (lm *linkMap) wroteUnder(addr, n, word uint64) (uint64, bool) {
	if n == 0 {
		return 0, false
	}
	lo, hi := addr-min(addr, word-1), addr+n-1
	if hi < addr {
		hi = ^uint64(0)
	}
	at, found := lm.written.first(lo, hi)
	for _, w := range lm.rebasedDyn {
		if w >= lo && w <= hi && (!found || w < at) {
			at, found = w, true
		}
	}
	return at, found
}
