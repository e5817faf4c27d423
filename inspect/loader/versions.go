package loader

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// versions replays _dl_check_all_versions (elf/dl-version.c): for every
// loaded object, in load order, _dl_check_map_versions. Version errors
// are continuable there: ld.so prints each one and goes on, then exits
// with status 1 once every object has been checked.
func (c *checker) versions() {
	for _, obj := range c.loaded {
		if c.stop {
			return
		}
		if c.dlopen && obj.preloaded {
			c.startupVersions(obj)
			continue
		}
		c.checkMapVersions(obj)
	}
	for _, f := range c.res.Findings {
		if f.Severity == SeverityFatal && f.Continues {
			c.stop = true
		}
	}
}

// startupVersions gives an object already in the process (dlopen mode)
// the l_versions _dl_check_map_versions built for it when the process
// started, which lookups into it read. What that check reported belongs
// to the start of the process, not to dlopen, and is dropped.
func (c *checker) startupVersions(obj *loadedObj) {
	findings, trace, stop := len(c.res.Findings), len(c.res.Trace), c.stop
	c.checkMapVersions(obj)
	c.res.Findings, c.res.Trace, c.stop = c.res.Findings[:findings], c.res.Trace[:trace], stop
}

// display names an object the way ld.so does in its messages.
func (c *checker) display(o *loadedObj) string {
	if o == c.loaded[0] {
		return c.path
	}
	return c.shown(o.path)
}

// maxVerChain bounds the walks over vn_next, vna_next and vd_next. The
// offsets only go forward, so a real chain ends or faults; the bound only
// stops a walk through a huge mapping in small steps.
const maxVerChain = 1 << 16

// chainTooLong notes where the walk gave up at maxVerChain: ld.so would
// go on, so what follows is not predicted.
func (c *checker) chainTooLong(obj *loadedObj, what, link string) {
	c.add(Finding{Severity: SeverityWarning, Stage: StageVersions, Code: "versions-chain-long", Object: obj.name,
		Summary: fmt.Sprintf("more than %d %s: elfdoctor stopped following %s", maxVerChain, what, link)})
}

// Layout of the version records (elf.h); the same for both classes.
const (
	vnVersion, vnFile, vnAux, vnNext           = 0, 4, 8, 12
	vnaHash, vnaFlags, vnaOther, vnaName, vnaN = 0, 4, 6, 8, 12
	vdVersion, vdFlags, vdNdx, vdHash, vdAux   = 0, 2, 4, 8, 12
	vdNext                                     = 16
	verFlgBase, verFlgWeak                     = 0x1, 0x2
)

// mem reads an object's memory the way ld.so dereferences it: every read
// goes through the loader's view, and a failed read is where the real
// loader faults.
type mem struct {
	f    *inspect.File
	mask uint64 // pointer arithmetic wraps at the class's word size
}

func memOf(f *inspect.File) mem {
	if f.Class == elf.ELFCLASS32 {
		return mem{f, 0xffffffff}
	}
	return mem{f, ^uint64(0)}
}

func (m mem) add(a, b uint64) uint64 { return (a + b) & m.mask }

func (m mem) u16(addr uint64, what string) (uint16, error) {
	var b [2]byte
	if err := m.f.Image().ReadAt(b[:], addr, what); err != nil {
		return 0, err
	}
	return get16(m.f, b[:]), nil
}

func (m mem) u32(addr uint64, what string) (uint32, error) {
	var b [4]byte
	if err := m.f.Image().ReadAt(b[:], addr, what); err != nil {
		return 0, err
	}
	return get32(m.f, b[:]), nil
}

// get16, get32 and get64 decode in f's byte order without the
// binary.ByteOrder interface, through which the arrays the replay reads
// words into, thousands per check, would be moved to the heap.
func get16(f *inspect.File, b []byte) uint16 {
	if f.Data == elf.ELFDATA2MSB {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func get32(f *inspect.File, b []byte) uint32 {
	if f.Data == elf.ELFDATA2MSB {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func get64(f *inspect.File, b []byte) uint64 {
	if f.Data == elf.ELFDATA2MSB {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}

// maxVerName bounds a version or file name read as a C string.
const maxVerName = 4096

// cstr is a C string as far as it could be read: the bytes before the
// NUL, or before the fault (err) that stopped the read.
type cstr struct {
	s   string
	err error
}

func (m mem) cstring(addr uint64, what string) cstr {
	var out []byte
	var buf [64]byte
	im := m.f.Image()
	for len(out) < maxVerName {
		a := m.add(addr, uint64(len(out)))
		// Readability is decided page by page, so a chunk that stays in
		// one page reads whole or not at all; a failed chunk is read
		// byte by byte to fault where strcmp would.
		n := min(uint64(len(buf)), uint64(maxVerName-len(out)), im.PageSize-a%im.PageSize)
		if err := im.ReadAt(buf[:n], a, what); err != nil {
			for i := range n {
				if err := im.ReadAt(buf[:1], m.add(a, i), what); err != nil {
					return cstr{string(out), err}
				}
				if buf[0] == 0 {
					return cstr{string(out), nil}
				}
				out = append(out, buf[0])
			}
			continue
		}
		if i := bytes.IndexByte(buf[:n], 0); i >= 0 {
			if out == nil {
				return cstr{string(buf[:i]), nil} // the usual name, in one chunk
			}
			return cstr{string(append(out, buf[:i]...)), nil}
		}
		out = append(out, buf[:n]...)
	}
	return cstr{string(out), nil}
}

// strcmpFault compares two C strings byte by byte as strcmp does and
// returns whether they are equal, or the fault strcmp hits first.
func strcmpFault(a, b cstr) (bool, error) {
	for i := 0; ; i++ {
		if i == len(a.s) && a.err != nil {
			return false, a.err
		}
		if i == len(b.s) && b.err != nil {
			return false, b.err
		}
		var ca, cb byte
		if i < len(a.s) {
			ca = a.s[i]
		}
		if i < len(b.s) {
			cb = b.s[i]
		}
		if ca != cb {
			return false, nil
		}
		if ca == 0 {
			return true, nil
		}
	}
}

// versionFault reports a read of _dl_check_map_versions or match_symbol
// that faults: the real loader dereferences the same pointers unchecked.
func (c *checker) versionFault(obj *loadedObj, err error, what string) {
	if c.pastMapping(obj, err, what) {
		return
	}
	ev := []string{err.Error()}
	if f, ferr := obj.file(); ferr == nil {
		for _, t := range []elf.DynTag{elf.DT_VERNEED, elf.DT_VERDEF} {
			if v, ok := obj.dyn.Tag(t); ok {
				sec := "no section"
				if s := f.SectionAt(v); s != nil {
					sec = s.Name
				}
				ev = append(ev, fmt.Sprintf("%s = 0x%x: %s in the loader's view, %s in the file view", inspect.DynTagName(t), v, f.Image().Lookup(v).Backing(), sec))
			}
		}
	}
	sig := faultSignal(err)
	c.add(Finding{Severity: SeverityFatal, Stage: StageVersions, Code: "versions-fault", Object: obj.name,
		Summary:  fmt.Sprintf("the symbol version tables of %s lead ld.so into memory that is not mapped (%s)", filepath.Base(obj.name), what),
		Evidence: ev, Outcome: OutcomeCrash, Signal: sig,
		Message: sig + " in ld.so while checking symbol versions (_dl_check_map_versions), before main",
		Next:    "a rewrite (patchelf?) left DT_VERNEED/DT_VERDEF pointing at moved tables: compare with the pristine file using `elfdoctor diff`, and run the pristine file unmodified (nix-ld, or the loader with --library-path)"})
}

// checkMapVersions replays _dl_check_map_versions for one object, read by
// read in ld.so's order: the Verneed chain (vn_version of the first
// record only, then vn_file, vn_aux and each Vernaux, with match_symbol
// against the needed object), then the object's own Verdef chain by
// vd_ndx and vd_next, then, for entries without VER_FLG_BASE only, their
// first Verdaux's vda_name. It returns after a fault or an error that
// stops ld.so; continuable version errors are added and the walk goes on.
func (c *checker) checkMapVersions(obj *loadedObj) {
	if obj.dyn == nil {
		return
	}
	strtab, ok := obj.dyn.Tag(elf.DT_STRTAB)
	if !ok {
		return // "If we don't have a string table, we must be ok."
	}
	need, hasNeed := obj.dyn.Tag(elf.DT_VERNEED)
	def, hasDef := obj.dyn.Tag(elf.DT_VERDEF)
	if !hasNeed && !hasDef {
		return
	}
	f, err := obj.file()
	if err != nil {
		return // reported when the object was loaded
	}
	m := memOf(f)
	who := c.display(obj)
	ndxHigh := 0
	relrRef := false
	if hasNeed {
		ent := need
		v, err := m.u16(ent, "vn_version of the first Verneed record")
		if err != nil {
			c.versionFault(obj, err, "vn_version")
			return
		}
		if v != 1 {
			c.add(Finding{Severity: SeverityFatal, Stage: StageVersions, Code: "verneed-version", Object: obj.name,
				Summary:  fmt.Sprintf("the first Verneed record of %s has vn_version %d; ld.so only knows version 1", filepath.Base(obj.name), v),
				Evidence: []string{fmt.Sprintf("DT_VERNEED = 0x%x: vn_version %d there", ent, v)},
				Outcome:  OutcomeLoaderError, ExitStatus: 127,
				Message: fmt.Sprintf("error while loading shared libraries: %s: unsupported version %d of Verneed record", who, v),
				Next:    "DT_VERNEED points at something that is not a Verneed table: compare with the pristine file using `elfdoctor diff`"})
			return
		}
		for n := 0; ; n++ {
			if n == maxVerChain {
				c.chainTooLong(obj, "Verneed records", "vn_next")
				return
			}
			fileIdx, err := m.u32(m.add(ent, vnFile), "vn_file")
			if err != nil {
				c.versionFault(obj, err, "vn_file")
				return
			}
			name := m.cstring(m.add(strtab, uint64(fileIdx)), "vn_file string")
			if name.err != nil {
				c.versionFault(obj, name.err, "the library name vn_file points to")
				return
			}
			needed := c.findNeeded(name.s, obj)
			c.trace("checking for versions required by file=%s from file=%s", who, name.s)
			if needed == nil && c.missing(name.s) {
				// Only a library is checked past a missing dependency
				// (its loader may provide it): nothing to match against.
				next, err := m.u32(m.add(ent, vnNext), "vn_next")
				if err != nil {
					c.versionFault(obj, err, "vn_next")
					return
				}
				if next == 0 {
					break
				}
				ent = m.add(ent, uint64(next))
				continue
			}
			if needed == nil {
				c.add(Finding{Severity: SeverityFatal, Stage: StageVersions, Code: "verneed-file-unknown", Object: obj.name,
					Summary:  fmt.Sprintf("%s requires versions of %q, which is not among the objects it loaded", filepath.Base(obj.name), name.s),
					Evidence: []string{fmt.Sprintf("Verneed record at vaddr 0x%x: vn_file 0x%x = %q", ent, fileIdx, name.s)},
					Outcome:  OutcomeLoaderError, ExitStatus: 127,
					Message: "Inconsistency detected by ld.so: dl-version.c: _dl_check_map_versions: Assertion `needed != NULL' failed!",
					Next:    "the version table names a library that DT_NEEDED does not: the string table was moved or damaged; compare with the pristine file using `elfdoctor diff`"})
				return
			}
			auxOff, err := m.u32(m.add(ent, vnAux), "vn_aux")
			if err != nil {
				c.versionFault(obj, err, "vn_aux")
				return
			}
			aux := m.add(ent, uint64(auxOff))
			for k := 0; ; k++ {
				if k == maxVerChain {
					c.chainTooLong(obj, "Vernaux entries", "vna_next")
					return
				}
				var vals [4]uint32
				for i, fld := range []struct {
					off  uint64
					size int
					what string
				}{{vnaHash, 4, "vna_hash"}, {vnaName, 4, "vna_name"}, {vnaFlags, 2, "vna_flags"}, {vnaOther, 2, "vna_other"}} {
					var v uint32
					if fld.size == 4 {
						v, err = m.u32(m.add(aux, fld.off), fld.what)
					} else {
						var h uint16
						h, err = m.u16(m.add(aux, fld.off), fld.what)
						v = uint32(h)
					}
					if err != nil {
						c.versionFault(obj, err, fld.what)
						return
					}
					vals[i] = v
				}
				req := versionReq{hash: vals[0], nameAddr: m.add(strtab, uint64(vals[1])), weak: vals[2]&verFlgWeak != 0, other: uint16(vals[3]), addr: aux}
				if !c.matchSymbol(obj, m, needed, req) {
					return
				}
				// 2.36: a Vernaux with the hash of GLIBC_ABI_DT_RELR has
				// its name compared with it.
				if c.model().atLeast(36) && req.hash == hashABIDTRelr {
					name := m.cstring(req.nameAddr, "vna_name string")
					if eq, err := strcmpFault(name, cstr{s: "GLIBC_ABI_DT_RELR"}); err != nil {
						c.versionFault(obj, err, "the name of a required version")
						return
					} else if eq {
						relrRef = true
					}
				}
				if ndx := int(req.other & 0x7fff); ndx > ndxHigh {
					ndxHigh = ndx
				}
				next, err := m.u32(m.add(aux, vnaN), "vna_next")
				if err != nil {
					c.versionFault(obj, err, "vna_next")
					return
				}
				if next == 0 {
					break
				}
				aux = m.add(aux, uint64(next))
			}
			next, err := m.u32(m.add(ent, vnNext), "vn_next")
			if err != nil {
				c.versionFault(obj, err, "vn_next")
				return
			}
			if next == 0 {
				break
			}
			ent = m.add(ent, uint64(next))
		}
	}
	if hasDef {
		ent := def
		for n := 0; ; n++ {
			if n == maxVerChain {
				c.chainTooLong(obj, "Verdef records", "vd_next")
				return
			}
			ndx, err := m.u16(m.add(ent, vdNdx), "vd_ndx")
			if err != nil {
				c.versionFault(obj, err, "vd_ndx of its own Verdef")
				return
			}
			if int(ndx&0x7fff) > ndxHigh {
				ndxHigh = int(ndx & 0x7fff)
			}
			next, err := m.u32(m.add(ent, vdNext), "vd_next")
			if err != nil {
				c.versionFault(obj, err, "vd_next of its own Verdef")
				return
			}
			if next == 0 {
				break
			}
			ent = m.add(ent, uint64(next))
		}
	}
	if ndxHigh > 0 && !c.buildLVersions(obj, m, strtab, ndxHigh, hasNeed, need, hasDef, def) {
		return
	}
	if hasNeed && !relrRef && !c.relrWithoutABI(obj, m, strtab) {
		return
	}
	c.verdefEvidence(obj)
}

// hashABIDTRelr is _dl_elf_hash("GLIBC_ABI_DT_RELR").
const hashABIDTRelr = 0xfd0e42

// relrWithoutABI replays the check glibc 2.36 added at the end of
// _dl_check_map_versions: an object with DT_VERNEED, DT_NEEDED and
// DT_RELR that needs libc.so.* but not the version GLIBC_ABI_DT_RELR is
// refused. It returns false after a fatal finding.
func (c *checker) relrWithoutABI(obj *loadedObj, m mem, strtab uint64) bool {
	if !c.model().atLeast(36) || !obj.info.has(elf.DT_NEEDED) || !obj.info.has(dtRELR) {
		return true
	}
	for i, e := range obj.dyn.Entries {
		if e.Tag != elf.DT_NEEDED {
			continue
		}
		name := m.cstring(m.add(strtab, e.Val), fmt.Sprintf("DT_NEEDED name (dynamic entry %d)", i))
		n := min(len(name.s), 8)
		if name.s[:n] != "libc.so."[:n] {
			continue // strncmp stops at the first difference
		}
		if n < 8 && name.err != nil {
			c.versionFault(obj, name.err, "the name of a needed library")
			return false
		}
		if n < 8 {
			continue
		}
		c.add(Finding{Severity: SeverityFatal, Stage: StageVersions, Code: "relr-without-abi", Object: obj.name,
			Summary:  fmt.Sprintf("%s has DT_RELR relocations but does not require the version GLIBC_ABI_DT_RELR of libc, which ld.so demands since glibc 2.36", filepath.Base(obj.name)),
			Evidence: []string{fmt.Sprintf("DT_NEEDED %q", name.s)},
			Outcome:  OutcomeLoaderError, ExitStatus: 127,
			Message: fmt.Sprintf("error while loading shared libraries: %s: DT_RELR without GLIBC_ABI_DT_RELR dependency", c.display(obj)),
			Next:    "the version requirements were damaged or the file was linked with -z pack-relative-relocs by a linker that did not add the version: compare with the pristine file using `elfdoctor diff`"})
		return false
	}
	return true
}

// lVersion is one entry of an object's l_versions (struct
// r_found_version) as _dl_check_map_versions fills it. Entries no
// version table names stay as calloc left them: hash 0, no name.
type lVersion struct {
	hash   uint32
	hidden bool // vna_other's 0x8000 bit, for a version the object requires
	// name is the address of the version's name (&strtab[vna_name] or
	// &strtab[vda_name]), valid when hasName: symbol lookup reads it.
	name    uint64
	hasName bool
	// filename is &strtab[vn_file] for a required version; a version
	// the object defines has none (NULL).
	filename    uint64
	hasFilename bool
}

// buildLVersions replays the second half of _dl_check_map_versions: with
// ndx_high the highest version index in use, l_versions gets ndx_high+1
// entries, l_versyms is read from l_info[DT_VERSYM], then the Verneed
// chain is walked again to store each Vernaux under vna_other & 0x7fff,
// and the Verdef chain to store, for the entries without VER_FLG_BASE,
// vd_hash and the first Verdaux's name under vd_ndx & 0x7fff. The result
// is left on obj for symbol lookup. It returns false after a fatal
// finding.
func (c *checker) buildLVersions(obj *loadedObj, m mem, strtab uint64, ndxHigh int, hasNeed bool, need uint64, hasDef bool, def uint64) bool {
	// l_versyms is read from l_info[DT_VERSYM] without checking it is
	// there.
	versyms, ok := obj.dyn.Tag(elf.DT_VERSYM)
	if obj.info != nil {
		versyms, ok = obj.info.get(elf.DT_VERSYM)
	}
	if !ok {
		c.add(Finding{Severity: SeverityFatal, Stage: StageVersions, Code: "versym-missing", Object: obj.name,
			Summary:  fmt.Sprintf("%s has version tables (highest index %d) but no DT_VERSYM: ld.so reads the missing entry through a null pointer", filepath.Base(obj.name), ndxHigh),
			Evidence: []string{"_dl_check_map_versions sets l_versyms from l_info[DT_VERSYM] once any version index is in use"},
			Outcome:  OutcomeCrash, Signal: "SIGSEGV",
			Message: "SIGSEGV in ld.so while checking symbol versions (_dl_check_map_versions), before main",
			Next:    "the dynamic table lost its DT_VERSYM entry: compare with the pristine file using `elfdoctor diff`"})
		return false
	}
	vs := make([]lVersion, ndxHigh+1) // ndx_high is at most 0x7fff
	if hasNeed {
		ent := need
		for n := 0; n < maxVerChain; n++ {
			auxOff, err := m.u32(m.add(ent, vnAux), "vn_aux")
			if err != nil {
				c.versionFault(obj, err, "vn_aux")
				return false
			}
			aux := m.add(ent, uint64(auxOff))
			for k := 0; k < maxVerChain; k++ {
				other, err := m.u16(m.add(aux, vnaOther), "vna_other")
				if err != nil {
					c.versionFault(obj, err, "vna_other")
					return false
				}
				if ndx := int(other & 0x7fff); ndx < len(vs) {
					hash, err1 := m.u32(m.add(aux, vnaHash), "vna_hash")
					name, err2 := m.u32(m.add(aux, vnaName), "vna_name")
					file, err3 := m.u32(m.add(ent, vnFile), "vn_file")
					if err := errors.Join(err1, err2, err3); err != nil {
						c.versionFault(obj, err, "a Vernaux entry")
						return false
					}
					vs[ndx] = lVersion{hash: hash, hidden: other&0x8000 != 0,
						name: m.add(strtab, uint64(name)), hasName: true,
						filename: m.add(strtab, uint64(file)), hasFilename: true}
				}
				next, err := m.u32(m.add(aux, vnaN), "vna_next")
				if err != nil {
					c.versionFault(obj, err, "vna_next")
					return false
				}
				if next == 0 {
					break
				}
				aux = m.add(aux, uint64(next))
			}
			next, err := m.u32(m.add(ent, vnNext), "vn_next")
			if err != nil {
				c.versionFault(obj, err, "vn_next")
				return false
			}
			if next == 0 {
				break
			}
			ent = m.add(ent, uint64(next))
		}
	}
	if hasDef {
		ent := def
		for n := 0; n < maxVerChain; n++ {
			auxOff, err := m.u32(m.add(ent, vdAux), "vd_aux")
			if err != nil {
				c.versionFault(obj, err, "vd_aux of its own Verdef")
				return false
			}
			flags, err := m.u16(m.add(ent, vdFlags), "vd_flags")
			if err != nil {
				c.versionFault(obj, err, "vd_flags of its own Verdef")
				return false
			}
			if flags&verFlgBase == 0 {
				ndx, err1 := m.u16(m.add(ent, vdNdx), "vd_ndx")
				hash, err2 := m.u32(m.add(ent, vdHash), "vd_hash")
				if err := errors.Join(err1, err2); err != nil {
					c.versionFault(obj, err, "vd_hash of its own Verdef")
					return false
				}
				name, err := m.u32(m.add(ent, uint64(auxOff)), "vda_name of the first Verdaux")
				if err != nil {
					c.versionFault(obj, err, "the first Verdaux of a version it defines")
					return false
				}
				// vd_ndx was bounded by the walk that computed ndx_high.
				if i := int(ndx & 0x7fff); i < len(vs) {
					vs[i].hash, vs[i].name, vs[i].hasName = hash, m.add(strtab, uint64(name)), true
					vs[i].filename, vs[i].hasFilename = 0, false
				}
			}
			next, err := m.u32(m.add(ent, vdNext), "vd_next")
			if err != nil || next == 0 {
				break // read without fault by the walk above
			}
			ent = m.add(ent, uint64(next))
		}
	}
	obj.lVersions, obj.versyms = vs, versyms
	return true
}

// versionReq is one Vernaux entry as match_symbol receives it.
type versionReq struct {
	hash     uint32
	nameAddr uint64 // strtab + vna_name in the requiring object
	weak     bool
	other    uint16
	addr     uint64 // the Vernaux entry
}

// matchSymbol replays match_symbol (elf/dl-version.c): the needed
// object's Verdef chain by vd_version, vd_hash and vd_next, and for a
// hash that matches, the first Verdaux's name compared with strcmp. It
// reports what ld.so prints and returns false when the walk faulted.
func (c *checker) matchSymbol(obj *loadedObj, om mem, needed *loadedObj, req versionReq) bool {
	who := c.display(obj)
	want := om.cstring(req.nameAddr, "vna_name string")
	c.trace("checking for version `%s' in file %s required by file %s", want.s, needed.path, who)
	if needed.dyn == nil {
		return true
	}
	// match_symbol's first read is the needed object's string table,
	// D_PTR (map, l_info[DT_STRTAB]), taken before it looks for
	// DT_VERDEF: without the slot that is a read through NULL.
	if needed.info != nil && !needed.info.has(elf.DT_STRTAB) {
		c.add(Finding{Severity: SeverityFatal, Stage: StageVersions, Code: "versions-strtab-missing", Object: needed.name,
			Summary:  fmt.Sprintf("%s requires version %s of %s, whose dynamic table has no DT_STRTAB: ld.so reads that library's string table through a null pointer", filepath.Base(obj.name), want.s, filepath.Base(c.shown(needed.path))),
			Evidence: []string{fmt.Sprintf("the dynamic table ld.so read for %s (%d entries before DT_NULL) has no DT_STRTAB", c.shown(needed.path), len(needed.dyn.Entries))},
			Outcome:  OutcomeCrash, Signal: "SIGSEGV",
			Message: "SIGSEGV in ld.so while checking symbol versions (match_symbol), before main",
			Next:    "the library's dynamic table was lost (zeroed by a damaged segment, or cut short): compare it with a pristine copy using `elfdoctor diff`"})
		return false
	}
	def, hasDef := needed.dyn.Tag(elf.DT_VERDEF)
	if !hasDef {
		// dlopen checks versions quietly (verbose 0): no message, and
		// the name is never read.
		if c.dlopen {
			return true
		}
		c.add(Finding{Severity: SeverityWarning, Stage: StageVersions, Code: "no-verdef", Object: obj.name,
			Summary: fmt.Sprintf("%s defines no versions, but %s requires %s of it", c.shown(needed.path), filepath.Base(obj.name), want.s),
			Message: fmt.Sprintf("%s: %s: no version information available (required by %s)", c.path, c.shown(needed.path), who)})
		return true
	}
	if def == 0 {
		// match_symbol asserts def_offset != 0 before reading anything.
		line := 87
		if m := c.model().minor; m != 0 && m < 36 {
			line = 88 // glibc 2.31's file, as bullseye's ld.so prints it
		}
		c.add(Finding{Severity: SeverityFatal, Stage: StageVersions, Code: "verdef-zero", Object: needed.name,
			Summary:  fmt.Sprintf("%s requires version %s of %s, whose DT_VERDEF is 0: ld.so asserts that it is not", filepath.Base(obj.name), want.s, filepath.Base(c.shown(needed.path))),
			Evidence: []string{"match_symbol (elf/dl-version.c) tests the offset before it reads a Verdef record"},
			Outcome:  OutcomeLoaderError, ExitStatus: 127,
			Message: fmt.Sprintf("Inconsistency detected by ld.so: dl-version.c: %d: match_symbol: Assertion `def_offset != 0' failed!", line),
			Next:    "the library's DT_VERDEF entry was damaged: compare it with a pristine copy using `elfdoctor diff`"})
		return false
	}
	nf, err := needed.file()
	if err != nil {
		return true
	}
	nm := memOf(nf)
	nstrtab, hasStrtab := needed.dyn.Tag(elf.DT_STRTAB)
	ent := def
	for n := 0; n < maxVerChain; n++ {
		v, err := nm.u16(nm.add(ent, vdVersion), "vd_version")
		if err != nil {
			c.versionFault(needed, err, "vd_version, looking up "+want.s)
			return false
		}
		if v != 1 {
			c.add(Finding{Severity: SeverityFatal, Stage: StageVersions, Code: "verdef-version", Object: needed.name,
				Summary:  fmt.Sprintf("a Verdef record of %s has vd_version %d; ld.so only knows version 1", c.shown(needed.path), v),
				Evidence: []string{fmt.Sprintf("Verdef record at vaddr 0x%x, read while looking up a version %s requires", ent, filepath.Base(obj.name))},
				Outcome:  OutcomeLoaderError, ExitStatus: 1, Continues: true,
				Message: fmt.Sprintf("%s: %s: unsupported version %d of Verdef record", c.path, c.shown(needed.path), v),
				Next:    "DT_VERDEF of that library points at something that is not a Verdef table: compare it with a pristine copy using `elfdoctor diff`"})
			return true
		}
		hash, err := nm.u32(nm.add(ent, vdHash), "vd_hash")
		if err != nil {
			c.versionFault(needed, err, "vd_hash, looking up "+want.s)
			return false
		}
		if hash == req.hash {
			auxOff, err := nm.u32(nm.add(ent, vdAux), "vd_aux")
			if err != nil {
				c.versionFault(needed, err, "vd_aux, looking up "+want.s)
				return false
			}
			nameIdx, err := nm.u32(nm.add(ent, uint64(auxOff)), "vda_name of the first Verdaux")
			if err != nil {
				c.versionFault(needed, err, "the first Verdaux of the version "+want.s)
				return false
			}
			if !hasStrtab {
				// strtab is D_PTR of a null l_info[DT_STRTAB].
				c.versionFault(needed, errMem(8, "l_info[DT_STRTAB]", "no DT_STRTAB: ld.so reads the version name through a null pointer", nil), "the name of the version "+want.s)
				return false
			}
			have := nm.cstring(nm.add(nstrtab, uint64(nameIdx)), "vda_name string")
			eq, err := strcmpFault(want, have)
			if err != nil {
				// The name required is read in the requiring object's
				// memory, the one defined in the needed object's.
				in := needed
				if want.err != nil && err == want.err {
					in = obj
				}
				c.versionFault(in, err, "the name of the version "+want.s)
				return false
			}
			if eq {
				return true
			}
		}
		next, err := nm.u32(nm.add(ent, vdNext), "vd_next")
		if err != nil {
			c.versionFault(needed, err, "vd_next, looking up "+want.s)
			return false
		}
		if next == 0 {
			break
		}
		ent = nm.add(ent, uint64(next))
	}
	// Not found. Under dlopen (verbose 0) a weak one is passed over
	// without a word, the name unread.
	if req.weak && c.dlopen {
		if obj.weakMissing == nil {
			obj.weakMissing = map[uint16]string{}
		}
		obj.weakMissing[req.other&0x7fff] = want.s
		return true
	}
	// Otherwise the message prints the name, reading the whole string.
	if want.err != nil {
		c.versionFault(obj, want.err, "the name of a required version")
		return false
	}
	if req.weak {
		c.add(Finding{Severity: SeverityWarning, Stage: StageVersions, Code: "weak-version-missing", Object: obj.name,
			Summary: fmt.Sprintf("weak version %s not found in %s", want.s, c.shown(needed.path)),
			Message: fmt.Sprintf("%s: %s: weak version `%s' not found (required by %s)", c.path, c.shown(needed.path), want.s, who)})
		if obj.weakMissing == nil {
			obj.weakMissing = map[uint16]string{}
		}
		obj.weakMissing[req.other&0x7fff] = want.s
		return true
	}
	ev := []string{fmt.Sprintf("Vernaux at vaddr 0x%x: vna_hash 0x%x = %q", req.addr, req.hash, want.s)}
	if dv := needed.versions(); dv != nil {
		ev = append(ev, "defined there: "+defNames(dv))
	}
	c.add(Finding{Severity: SeverityFatal, Stage: StageVersions, Code: "version-missing", Object: obj.name,
		Summary:  fmt.Sprintf("%s requires version %s of %s, which does not define it", filepath.Base(obj.name), want.s, c.shown(needed.path)),
		Evidence: ev, Outcome: OutcomeLoaderError, ExitStatus: 1, Continues: true,
		Message: fmt.Sprintf("%s: %s: version `%s' not found (required by %s)", c.path, c.shown(needed.path), want.s, who),
		Next:    versionNext(want.s)})
	return true
}

// verdefEvidence tells people about an object's own Verdef table that is
// not one (a stale DT_VERDEF): ld.so does not read vd_version there, so
// this is a warning, taken from the people-facing model, deciding nothing.
func (c *checker) verdefEvidence(obj *loadedObj) {
	v := obj.versions()
	if v == nil {
		return
	}
	who := c.display(obj)
	if len(v.Def) > 0 && v.Def[0].Version != 1 {
		d := v.Def[0]
		ev := []string{fmt.Sprintf("DT_VERDEF = 0x%x: vd_version %d, vd_cnt %d, vd_next 0x%x there", d.Addr, d.Version, d.Cnt, d.Next)}
		if f, err := obj.file(); err == nil {
			for _, sec := range f.Sections {
				if sec.Type == elf.SHT_GNU_VERDEF && sec.Addr != d.Addr {
					ev = append(ev, fmt.Sprintf("the .gnu.version_d section is at 0x%x: the table was moved and DT_VERDEF was not updated", sec.Addr))
				}
			}
		}
		c.add(Finding{Severity: SeverityWarning, Stage: StageVersions, Code: "verdef-stale", Object: obj.name,
			Summary:  fmt.Sprintf("DT_VERDEF of %s does not point at a Verdef table: the program starts, but any library that requires one of its versions stops with \"unsupported version %d of Verdef record\"", filepath.Base(obj.name), d.Version),
			Evidence: ev,
			Message:  fmt.Sprintf("%s: unsupported version %d of Verdef record", who, d.Version),
			Next:     "a rewrite (patchelf) moved .gnu.version_d without updating the dynamic table: run the pristine file unmodified (nix-ld, or the loader with --library-path)"})
		return
	}
	if v.Versym != nil && len(v.Versym.BadIndex) > 0 {
		b := v.Versym.BadIndex[0]
		c.add(Finding{Severity: SeverityWarning, Stage: StageVersions, Code: "versym-index", Object: obj.name,
			Summary: fmt.Sprintf(".gnu.version gives symbol %d version index %d, which neither Verneed nor Verdef defines", b[0], b[1])})
	}
}

// findNeeded replays find_needed (elf/dl-version.c): the loaded objects
// in order, matched by the names they were loaded under. The program is
// named "" there, so an empty vn_file names the program. A library
// dlopen'ed by its path is not matched by its soname (seed 8140002618:
// libchain.so's Verneed naming libchain.so, an assertion under dlopen,
// "version not found" when the program needs it by that name).
func (c *checker) findNeeded(name string, from *loadedObj) *loadedObj {
	if c.dlopen && name == "" {
		return c.processProgram() // its l_name is ""
	}
	for _, i := range c.namespaceOrder() {
		o := c.loaded[i]
		if o.rtld && !c.rtldNeeded && !c.dlopen && !c.model().atLeast(41) {
			// Needed by nothing, ld.so was taken out of the chain
			// before the versions are checked (rtld.c); from 2.41 it
			// is put back at the end whatever (glibc commit 8f8dd904c4,
			// "rtld_multiple_ref is always true").
			continue
		}
		if i == 0 && !c.dlopen {
			// Its l_name is "", and its DT_SONAME is a name of it once a
			// DT_NEEDED matched that (seed 8310002060: a DT_NEEDED made
			// DT_SONAME "libc.so.6", which libstdc++'s request for libc
			// then found, so the program's Verneed of libc.so.6 finds
			// the program, which defines no versions).
			if name == "" || (o.sonameAdded && o.soname != "" && o.soname == name) {
				return o
			}
			continue
		}
		if o.matchesName(name) {
			return o
		}
	}
	return nil
}

// matchesName is _dl_name_match_p for a library: the name it was
// loaded under, or its soname once a request matched that. An object
// already in the process was loaded under a name the replay does not
// know, its soname as a DT_NEEDED gives it.
func (o *loadedObj) matchesName(name string) bool {
	return o.nameMatch(name) || ((o.sonameAdded || o.preloaded) && o.soname != "" && o.soname == name)
}

// nameMatch is _dl_name_match_p without the soname: l_name and the
// names in l_libname.
func (o *loadedObj) nameMatch(name string) bool {
	return o.name == name || (o.realName != "" && o.realName == name) || slices.Contains(o.names, name)
}

func defNames(v *inspect.Versions) string {
	var names []string
	for _, d := range v.Def {
		if len(d.Names) > 0 && d.Flags&inspect.VerFlagBase == 0 {
			names = append(names, d.Names[0])
		}
	}
	if len(names) > 8 {
		names = append([]string{"…"}, names[len(names)-8:]...)
	}
	return strings.Join(names, " ")
}

func versionNext(v string) string {
	if strings.HasPrefix(v, "GLIBC_") {
		return "the program was built against a newer glibc than the one it finds: run it where glibc provides " + v + " (check with `ldd --version`), or point the loader at a newer glibc"
	}
	return "the library found is older than the one the program was built against: check which copy the search path picks (`elfdoctor check --trace`)"
}

func (c *checker) missing(name string) bool {
	for _, o := range c.res.Objects {
		if !o.Found && o.Name == name {
			return true
		}
	}
	return false
}

// versions returns the object's version tables, read once.
func (o *loadedObj) versions() *inspect.Versions {
	v, _ := o.versionsErr()
	return v
}

// versionsErr returns the object's version tables and the error that
// stopped reading them: from the shared cache for a library.
func (o *loadedObj) versionsErr() (*inspect.Versions, error) {
	if !o.versDone {
		switch {
		case o.lib != nil:
			o.vers, o.versErr = o.lib.vers, o.lib.versErr
		case o.f != nil:
			o.vers, o.versErr = o.f.Versions(o.dyn)
		}
		o.versDone = true
	}
	return o.vers, o.versErr
}

// neighbourSlack is what may be mapped beside the objects ld.so loads,
// besides those objects: the vDSO and its data pages, rtld's minimal
// malloc pages, the mapped ld.so.cache.
const neighbourSlack = 1 << 20

// span is the address range an object's PT_LOADs reserve, at link time.
func span(progs []inspect.Prog) (lo, hi uint64, ok bool) {
	lo = ^uint64(0)
	for _, p := range progs {
		if p.Type != elf.PT_LOAD || p.Memsz == 0 {
			continue
		}
		end, fits := addNoOverflow(p.Vaddr, p.Memsz)
		if !fits {
			return 0, 0, false
		}
		lo, hi, ok = min(lo, p.Vaddr&^0xfff), max(hi, roundUp(end, 0x1000)), true
	}
	return lo, hi, ok
}

// pastMapping turns a version read of _dl_check_map_versions that
// finds nothing, in a library, into its undetermined finding when the
// read is past the library's pages (pastMappingFinding), and adds it.
func (c *checker) pastMapping(obj *loadedObj, err error, what string) bool {
	fd, ok := c.pastMappingFinding(obj, err, what, StageVersions, "checking symbol versions", false)
	if ok {
		c.add(fd)
	}
	return ok
}

// readIn names the object whose memory a failed read was of, for reads
// made while walking several objects (a symbol lookup's scope).
type readIn struct {
	obj *loadedObj
	err error
}

func (e *readIn) Error() string { return e.err.Error() }
func (e *readIn) Unwrap() error { return e.err }

// pastMappingFinding replays what is known of a read ld.so makes in a
// library past the pages that library reserves: it lands in another
// mapping or in a gap, as the process's layout has it (besideObject),
// which no file decides: the outcome is undetermined
// (docs/decisions.md). Beyond everything that can be mapped there, on
// either side, the read faults, and a read within the library's own
// span that finds nothing is a PROT_NONE hole (_dl_map_segments
// protects them): both stay faults, and ok is false. firstCall is a
// read in a lazy binding, after the program has started.
func (c *checker) pastMappingFinding(obj *loadedObj, err error, what string, stage Stage, during string, firstCall bool) (Finding, bool) {
	var in *readIn
	if errors.As(err, &in) {
		obj = in.obj
	}
	var fe *inspect.FormatError
	if obj == nil || !errors.As(err, &fe) || !fe.InMem || fe.Fault != inspect.FaultUnmapped {
		return Finding{}, false
	}
	progs, class, ok := c.mappedAmongOthers(obj)
	if !ok {
		return Finding{}, false
	}
	return c.pastMappingOf(obj, progs, class, fe, err, what, stage, during, firstCall)
}

// mappedAmongOthers gives the program headers and class of obj when
// ld.so or dlopen mapped it next to the process's other mappings. The
// kernel maps a program apart from everything else; ld.so, started
// with the program as its command, maps it next to itself and the
// libraries, as it maps a library, and dlopen maps a library below the
// objects the process has. A preloaded object is not judged.
func (c *checker) mappedAmongOthers(obj *loadedObj) ([]inspect.Prog, elf.Class, bool) {
	switch {
	case obj.preloaded:
		return nil, 0, false
	case len(c.loaded) > 0 && obj == c.loaded[0]:
		if c.opts.Loader == "" && !c.dlopen {
			return nil, 0, false
		}
		return c.f.Progs, c.f.Class, true
	case obj.lib == nil:
		return nil, 0, false
	default:
		return obj.lib.progs, obj.lib.class, true
	}
}

// mainPastMapping is pastMappingFinding for a read of the program's own
// memory before its object is among those loaded (ld.so's start-up).
func (c *checker) mainPastMapping(err error, what string, stage Stage, during string) (Finding, bool) {
	var fe *inspect.FormatError
	if (c.opts.Loader == "" && !c.dlopen) || !errors.As(err, &fe) || !fe.InMem || fe.Fault != inspect.FaultUnmapped {
		return Finding{}, false
	}
	return c.pastMappingOf(&loadedObj{name: c.path, path: c.path}, c.f.Progs, c.f.Class, fe, err, what, stage, during, false)
}

// pastMappingOf is pastMappingFinding for the object obj, whose program
// headers are progs, and the fault fe of the read err.
func (c *checker) pastMappingOf(obj *loadedObj, progs []inspect.Prog, class elf.Class, fe *inspect.FormatError, err error, what string, stage Stage, during string, firstCall bool) (Finding, bool) {
	near, ok := c.besideObject(obj, progs, class, fe.Addr)
	if !ok {
		return Finding{}, false
	}
	addr := fe.Addr
	base := filepath.Base(obj.path)
	fd := Finding{Severity: SeverityFatal, Stage: stage, Code: "read-past-mapping", Object: obj.name,
		Outcome:  OutcomeUndetermined,
		Possible: openBeforeMain(),
		Summary: fmt.Sprintf("undetermined: %s, ld.so reads memory of %s at 0x%x (%s), outside the pages %s reserves, where the process has other mappings (ld.so, the vDSO, rtld's heap, other libraries) or none, as its layout has it: the read may fault, or give bytes that lead to an error or let it go on, and nothing in the files says which",
			during, base, addr, what, base),
		Evidence: []string{
			err.Error(),
			fmt.Sprintf("%s reserves 0x%x-0x%x at link time; the read is %s: a linker puts every table and string ld.so reads of an object inside the object", base, near.lo, near.hi, near.side),
			near.others(),
		},
		Next: fmt.Sprintf("%s is damaged where its tables point outside it: compare it with a pristine copy using `elfdoctor diff`; a run tells only what one process's layout gave", base)}
	if near.onlyBelow {
		fd.Evidence[1] = fmt.Sprintf("%s starts at 0x%x at link time (where it ends is not known: a PT_LOAD's p_vaddr + p_memsz wraps around); the read is %s: a linker puts every table and string ld.so reads of an object inside the object", base, near.lo, near.side)
	}
	if stage == StageVersions {
		fd.Code = "versions-past-mapping"
	}
	switch {
	case firstCall:
		fd.Code += "-at-first-call"
		fd.Possible = []Outcome{OutcomeStarts, OutcomeFirstCall}
	case c.dlopen:
		fd.Possible = openInDlopen()
	}
	return fd, true
}

// beside is where an address outside an object's pages lies, for
// people: its span (lo, hi, or only lo when its end wraps), which side
// of it, and how much of the process's other mappings may lie above
// and below it.
type beside struct {
	lo, hi, above, below uint64
	side                 string
	onlyBelow            bool
}

// others is the evidence of what may be mapped beside the object.
func (b beside) others() string {
	return fmt.Sprintf("up to 0x%x bytes above and 0x%x below it can belong to other mappings of the process (the objects loaded with it, and 1 MiB for the vDSO, rtld's malloc and ld.so.cache)", b.above, b.below)
}

// besideObject says whether addr, a link-time address of obj (program
// headers progs), lies outside obj's pages but where another mapping
// of the process may be: ld.so maps libraries with mmap, top down, each
// below those mapped before it (ld.so itself, the vDSO, rtld's malloc
// pages, the libraries loaded earlier) and above those loaded after
// it. Within obj's own span (a PROT_NONE hole), and beyond everything
// that can be mapped on either side, ok is false.
func (c *checker) besideObject(obj *loadedObj, progs []inspect.Prog, class elf.Class, addr uint64) (beside, bool) {
	lo, hi, ok := span(progs)
	onlyBelow := false
	if !ok {
		// A segment's end wraps around (a damaged p_memsz), which ld.so
		// maps all the same, in wrapping arithmetic: where the object
		// ends is not known, but it starts at its first PT_LOAD's page,
		// and an address below that is still judged.
		first := -1
		for i := range progs {
			if progs[i].Type == elf.PT_LOAD {
				first = i
				break
			}
		}
		if first < 0 {
			return beside{}, false
		}
		lo = progs[first].Vaddr &^ 0xfff
		hi, onlyBelow = lo, true
	}
	var above, below uint64 = neighbourSlack, neighbourSlack
	mine := false
	for _, o := range c.loaded {
		if o == obj {
			mine = true
			continue
		}
		if o.lib == nil {
			continue
		}
		l, h, ok := span(o.lib.progs)
		if !ok {
			continue
		}
		if mine && !o.preloaded {
			below += h - l
		} else {
			above += h - l
		}
	}
	// Addresses are link-time ones, which the load address moves as a
	// whole: an address "below 0" is below the object's first page, in
	// wrapping arithmetic of the class's word.
	mask := ^uint64(0)
	if class == elf.ELFCLASS32 {
		mask = 0xffffffff
	}
	var side string
	switch {
	case onlyBelow && (addr == lo || (lo-addr)&mask > below):
		return beside{}, false
	case addr >= lo && addr < hi:
		return beside{}, false
	case (addr-hi)&mask < above:
		side = fmt.Sprintf("0x%x bytes past its end (0x%x)", (addr-hi)&mask, hi)
	case (lo-addr)&mask <= below:
		side = fmt.Sprintf("0x%x bytes before its start (0x%x)", (lo-addr)&mask, lo)
	default:
		return beside{}, false
	}
	return beside{lo: lo, hi: hi, above: above, below: below, side: side, onlyBelow: onlyBelow}, true
}
