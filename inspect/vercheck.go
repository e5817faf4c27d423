package inspect

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// versions replays _dl_check_all_versions: for every loaded object, in
// load order, walk its Verneed chain through memory and look each
// required version up in the Verdef of the object that provides it.
func (c *checker) versions() {
	for _, obj := range c.loaded {
		if c.stop {
			return
		}
		c.checkObjectVersions(obj)
	}
}

// display names an object the way ld.so does in its messages.
func (c *checker) display(o *loadedObj) string {
	if o == c.loaded[0] {
		return c.path
	}
	return o.path
}

func (c *checker) checkObjectVersions(obj *loadedObj) {
	if obj.dyn == nil {
		return
	}
	v, err := obj.versionsErr()
	if err != nil {
		c.add(Finding{Severity: SeverityFatal, Stage: StageVersions, Code: "versions-unreadable", Object: obj.name,
			Summary: "the symbol version tables cannot be walked", Evidence: []string{err.Error()},
			Outcome: OutcomeCrash, Signal: "SIGSEGV", Message: "SIGSEGV in ld.so while checking symbol versions (_dl_check_map_versions), before main"})
		return
	}
	if v == nil {
		return
	}
	who := c.display(obj)
	// A walk that stopped on unreadable memory is where the real loader
	// faults: it dereferences the same pointers without checking them.
	if fe := firstMemFault(v.Problems); fe != nil {
		ev := []string{fe.Error()}
		if need, ok := obj.dyn.Tag(0x6ffffffe); ok { // DT_VERNEED
			if f, err := obj.file(); err == nil {
				l := f.Image().Lookup(need)
				sec := "no section"
				if s := f.SectionAt(need); s != nil {
					sec = s.Name
				}
				ev = append(ev, fmt.Sprintf("DT_VERNEED = 0x%x: %s in the loader's view, %s in the file view", need, l.Backing(), sec))
			}
		}
		c.add(Finding{Severity: SeverityFatal, Stage: StageVersions, Code: "versions-fault", Object: obj.name,
			Summary:  fmt.Sprintf("the symbol version tables of %s lead ld.so into memory that is not mapped", filepath.Base(obj.name)),
			Evidence: ev, Outcome: OutcomeCrash, Signal: faultSignal(fe),
			Message: faultSignal(fe) + " in ld.so while checking symbol versions (_dl_check_map_versions), before main",
			Next:    "a rewrite (patchelf?) left DT_VERNEED/DT_VERDEF pointing at moved tables: compare with the pristine file using `elfdoctor diff`, and run the pristine file unmodified (nix-ld, or the loader with --library-path)"})
		return
	}
	if len(v.Need) > 0 && v.Need[0].Version != 1 {
		n := v.Need[0]
		c.add(Finding{Severity: SeverityFatal, Stage: StageVersions, Code: "verneed-version", Object: obj.name,
			Summary:  fmt.Sprintf("the first Verneed record of %s has vn_version %d; ld.so only knows version 1", filepath.Base(obj.name), n.Version),
			Evidence: []string{fmt.Sprintf("Verneed record at vaddr 0x%x: vn_version %d, vn_cnt %d, vn_file 0x%x, vn_aux 0x%x, vn_next 0x%x", n.Addr, n.Version, n.Cnt, n.FileIdx, n.AuxOff, n.Next)},
			Outcome:  OutcomeLoaderError,
			Message:  fmt.Sprintf("error while loading shared libraries: %s: unsupported version %d of Verneed record", who, n.Version),
			Next:     "DT_VERNEED points at something that is not a Verneed table: compare with the pristine file using `elfdoctor diff`"})
		return
	}
	for _, n := range v.Need {
		needed := c.findNeeded(n.File, obj)
		c.trace("checking for versions required by file=%s from file=%s", who, n.File)
		if needed == nil && c.missing(n.File) {
			continue // already reported as a missing library
		}
		if needed == nil {
			c.add(Finding{Severity: SeverityFatal, Stage: StageVersions, Code: "verneed-file-unknown", Object: obj.name,
				Summary:  fmt.Sprintf("%s requires versions of %q, which is not among the objects it loaded", filepath.Base(obj.name), n.File),
				Evidence: []string{fmt.Sprintf("Verneed record at vaddr 0x%x: vn_file 0x%x = %q", n.Addr, n.FileIdx, n.File)},
				Outcome:  OutcomeLoaderError,
				Message:  "Inconsistency detected by ld.so: dl-version.c: _dl_check_map_versions: Assertion `needed != NULL' failed!",
				Next:     "the version table names a library that DT_NEEDED does not: the string table was moved or damaged; compare with the pristine file using `elfdoctor diff`"})
			return
		}
		dv := needed.versions()
		for _, a := range n.Aux {
			c.trace("checking for version `%s' in file %s required by file %s", a.Name, needed.path, who)
			if dv == nil || len(dv.Def) == 0 {
				c.add(Finding{Severity: SeverityWarning, Stage: StageVersions, Code: "no-verdef", Object: obj.name,
					Summary: fmt.Sprintf("%s defines no versions, but %s requires %s of it", needed.path, filepath.Base(obj.name), a.Name),
					Message: fmt.Sprintf("%s: no version information available (required by %s)", needed.path, who)})
				break
			}
			bad, found := matchVersion(dv, a)
			if bad != nil {
				c.add(Finding{Severity: SeverityFatal, Stage: StageVersions, Code: "verdef-version", Object: needed.name,
					Summary: fmt.Sprintf("a Verdef record of %s has vd_version %d; ld.so only knows version 1", needed.path, bad.Version),
					Outcome: OutcomeLoaderError,
					Message: fmt.Sprintf("error while loading shared libraries: %s: unsupported version %d of Verdef record", needed.path, bad.Version)})
				return
			}
			if found {
				continue
			}
			if a.Weak() {
				c.add(Finding{Severity: SeverityWarning, Stage: StageVersions, Code: "weak-version-missing", Object: obj.name,
					Summary: fmt.Sprintf("weak version %s not found in %s", a.Name, needed.path),
					Message: fmt.Sprintf("%s: weak version `%s' not found (required by %s)", needed.path, a.Name, who)})
				if obj.weakMissing == nil {
					obj.weakMissing = map[uint16]string{}
				}
				obj.weakMissing[a.Other&0x7fff] = a.Name
				continue
			}
			c.add(Finding{Severity: SeverityFatal, Stage: StageVersions, Code: "version-missing", Object: obj.name,
				Summary:  fmt.Sprintf("%s requires version %s of %s, which %s does not define", filepath.Base(obj.name), a.Name, n.File, needed.path),
				Evidence: []string{fmt.Sprintf("Vernaux at vaddr 0x%x: vna_hash 0x%x, vna_name 0x%x = %q", a.Addr, a.Hash, a.NameIdx, a.Name), "defined there: " + defNames(dv)},
				Outcome:  OutcomeLoaderError,
				Message:  fmt.Sprintf("%s: %s: version `%s' not found (required by %s)", c.path, needed.path, a.Name, who),
				Next:     versionNext(a.Name)})
			return
		}
	}
	// ld.so never checks vd_version of an object's own Verdef table; it
	// does when another object requires one of its versions.
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

func firstMemFault(ps []error) *FormatError {
	for _, p := range ps {
		var fe *FormatError
		if !errors.As(p, &fe) {
			continue
		}
		// _dl_check_map_versions keeps &strtab[vda_name] for an object's
		// own version definitions without reading the string; only a
		// symbol lookup that compares the name would.
		if strings.HasSuffix(fe.Struct, " vda_name") {
			continue
		}
		// Nor does it read the symbol count or .gnu.version: those are
		// for symbol lookup, which uses DT_GNU_HASH when there is one.
		if strings.HasPrefix(fe.Struct, "DT_HASH") || strings.HasPrefix(fe.Struct, "DT_GNU_HASH") || strings.HasPrefix(fe.Struct, "versym") {
			continue
		}
		if strings.Contains(fe.Msg, "not mapped") || strings.Contains(fe.Msg, "unmapped") || strings.Contains(fe.Msg, "SIGBUS") {
			return fe
		}
	}
	return nil
}

func (c *checker) findNeeded(name string, from *loadedObj) *loadedObj {
	for _, o := range c.loaded {
		if o == c.loaded[0] && o != from {
			continue
		}
		if o.name == name || (o.soname != "" && o.soname == name) {
			return o
		}
	}
	return nil
}

// matchVersion looks a requirement up the way match_symbol does: by hash
// first, then by name of the first Verdaux.
func matchVersion(dv *Versions, a VerNaux) (bad *VerDef, found bool) {
	for i := range dv.Def {
		d := &dv.Def[i]
		if d.Version != 1 {
			return d, false
		}
		if d.Hash == a.Hash && len(d.Names) > 0 && d.Names[0] == a.Name {
			return nil, true
		}
	}
	return nil, false
}

func defNames(v *Versions) string {
	var names []string
	for _, d := range v.Def {
		if len(d.Names) > 0 && d.Flags&VerFlagBase == 0 {
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
func (o *loadedObj) versions() *Versions {
	v, _ := o.versionsErr()
	return v
}

// versionsErr returns the object's version tables and the error that
// stopped reading them: from the shared cache for a library.
func (o *loadedObj) versionsErr() (*Versions, error) {
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

// weakSymbols replays the symbol lookups that follow a missing weak
// version. ld.so lets the program start past the version check, but a
// symbol bound with that version is then found nowhere: the first
// relocation that needs one stops start-up with "symbol lookup error".
// Objects are relocated in reverse load order, dependencies first.
func (c *checker) weakSymbols() {
	c.undefinedSymbols()
	for i := len(c.loaded) - 1; i >= 0 && !c.stop; i-- {
		obj := c.loaded[i]
		if len(obj.weakMissing) == 0 || obj.dyn == nil {
			continue
		}
		var u unbound
		f, err := obj.file()
		if err != nil {
			continue
		}
		eachReloc(f, obj.dyn, func(r reloc) bool {
			if r.sym == 0 {
				return true
			}
			var ndx uint16
			ndx, err = versymOf(f, obj.dyn, r.sym)
			if err != nil {
				return false
			}
			ver, ok := obj.weakMissing[ndx&0x7fff]
			if !ok {
				return true
			}
			var s dynSym
			s, err = readDynSym(f, obj.dyn, r.sym)
			if err != nil {
				return false
			}
			if s.shndx != uint16(elf.SHN_UNDEF) || s.bind == elf.STB_WEAK {
				return true
			}
			s.version = ver
			return u.record(r, s)
		})
		eager, lazy := u.eager, u.lazy
		who := c.display(obj)
		switch {
		case eager != nil:
			c.add(Finding{Severity: SeverityFatal, Stage: StageReloc, Code: "symbol-undefined", Object: obj.name,
				Summary:  fmt.Sprintf("%s binds %s with version %s, which no loaded object defines", filepath.Base(obj.name), eager.name, eager.version),
				Evidence: []string{fmt.Sprintf("the weak requirement of %s was not met, so ld.so finds no symbol with that version", eager.version)},
				Outcome:  OutcomeLoaderError,
				Message:  fmt.Sprintf("symbol lookup error: %s: undefined symbol: %s, version %s", who, eager.name, eager.version),
				Next:     versionNext(eager.version)})
			return
		case lazy != nil:
			c.add(Finding{Severity: SeverityWarning, Stage: StageReloc, Code: "symbol-undefined-lazy", Object: obj.name,
				Summary: fmt.Sprintf("%s calls %s with version %s, which no loaded object defines: the program starts, and stops at the first call", filepath.Base(obj.name), lazy.name, lazy.version),
				Message: fmt.Sprintf("symbol lookup error: %s: undefined symbol: %s, version %s", who, lazy.name, lazy.version)})
		case err != nil:
			c.add(Finding{Severity: SeverityWarning, Stage: StageReloc, Code: "symbols-unreadable", Object: obj.name,
				Summary: "the symbols bound with a missing weak version cannot be read", Evidence: []string{err.Error()}})
		}
	}
}

// dynSym is a dynamic symbol as symbol lookup sees it.
type dynSym struct {
	name    string
	bind    elf.SymBind
	shndx   uint16
	version string
}

// readDynSym reads symbol i of an object's DT_SYMTAB through memory.
func readDynSym(f *File, d *Dynamic, i uint64) (dynSym, error) {
	symtab, ok := d.Tag(elf.DT_SYMTAB)
	if !ok {
		return dynSym{}, errMem(d.Addr, "dynamic table", "no DT_SYMTAB", nil)
	}
	size := uint64(24)
	if f.Class == elf.ELFCLASS32 {
		size = 16
	}
	if ent, ok := d.Tag(elf.DT_SYMENT); ok && ent >= size && ent < 1<<10 {
		size = ent
	}
	var b [24]byte
	what := fmt.Sprintf("dynamic symbol %d", i)
	n := uint64(24)
	if f.Class == elf.ELFCLASS32 {
		n = 16
	}
	if err := f.Image().ReadAt(b[:n], symtab+i*size, what); err != nil {
		return dynSym{}, err
	}
	o := f.order
	var s dynSym
	var info byte
	if f.Class == elf.ELFCLASS32 {
		info, s.shndx = b[12], o.Uint16(b[14:])
	} else {
		info, s.shndx = b[4], o.Uint16(b[6:])
	}
	s.bind = elf.ST_BIND(info)
	strtab, _ := d.Tag(elf.DT_STRTAB)
	strsz, _ := d.Tag(elf.DT_STRSZ)
	name, err := DynString(f.Image(), strtab, strsz, uint64(o.Uint32(b[:])), what+" name")
	s.name = name
	return s, err
}

// versymOf reads the version index of symbol i from DT_VERSYM; 1 (global)
// when the object has no version table.
func versymOf(f *File, d *Dynamic, i uint64) (uint16, error) {
	vs, ok := d.Tag(elf.DT_VERSYM)
	if !ok {
		return 1, nil
	}
	var b [2]byte
	if err := f.Image().ReadAt(b[:], vs+2*i, fmt.Sprintf("versym entry %d", i)); err != nil {
		return 0, err
	}
	return f.order.Uint16(b[:]), nil
}

// maxSymtab bounds the bytes of a symbol or string table read in one go.
const maxSymtab = 16 << 20

// definedNames returns the names of the symbols an object defines in its
// dynamic symbol table, read in two pieces (symbols, strings) through
// memory.
func definedNames(f *File, d *Dynamic) (map[string]bool, error) {
	if d == nil {
		return map[string]bool{}, nil
	}
	symtab, ok1 := d.Tag(elf.DT_SYMTAB)
	strtab, ok2 := d.Tag(elf.DT_STRTAB)
	strsz, _ := d.Tag(elf.DT_STRSZ)
	if !ok1 || !ok2 {
		return map[string]bool{}, nil
	}
	n, err := f.DynSymCount(d)
	if err != nil {
		return nil, err
	}
	size := uint64(24)
	if f.Class == elf.ELFCLASS32 {
		size = 16
	}
	if ent, ok := d.Tag(elf.DT_SYMENT); ok && ent >= size && ent < 1<<10 {
		size = ent
	}
	if n*size > maxSymtab || strsz > maxSymtab {
		return nil, errMem(symtab, "dynamic symbol table", "too large to read", n*size)
	}
	im := f.Image()
	syms, err := im.Read(symtab, n*size, "dynamic symbol table")
	if err != nil {
		return nil, err
	}
	strs, err := im.Read(strtab, strsz, "dynamic string table")
	if err != nil {
		return nil, err
	}
	o := f.order
	names := make(map[string]bool, n)
	for i := uint64(1); i < n; i++ {
		b := syms[i*size:]
		var name uint32
		var info byte
		var shndx uint16
		var value uint64
		if f.Class == elf.ELFCLASS32 {
			name, value, info, shndx = o.Uint32(b), uint64(o.Uint32(b[4:])), b[12], o.Uint16(b[14:])
		} else {
			name, info, shndx, value = o.Uint32(b), b[4], o.Uint16(b[6:]), o.Uint64(b[8:])
		}
		if shndx == uint16(elf.SHN_UNDEF) || elf.ST_BIND(info) == elf.STB_LOCAL {
			continue
		}
		if value == 0 && shndx != uint16(elf.SHN_ABS) && elf.ST_TYPE(info) != elf.STT_TLS {
			continue // ld.so skips definitions without a value
		}
		if uint64(name) >= uint64(len(strs)) {
			continue
		}
		end := bytes.IndexByte(strs[name:], 0)
		if end < 0 {
			continue
		}
		names[string(strs[name:int(name)+end])] = true
	}
	return names, nil
}

// names returns the symbols an object defines: from the shared cache
// for a library.
func (o *loadedObj) names() (map[string]bool, error) {
	if o.lib != nil {
		return o.lib.definedNames(o.path)
	}
	return definedNames(o.f, o.dyn)
}

// definedNames reads a library's defined symbol names once.
func (e *libEntry) definedNames(path string) (map[string]bool, error) {
	e.namesOnce.Do(func() {
		f, err := Open(path)
		if err != nil {
			e.namesErr = err
			return
		}
		defer f.Close()
		e.names, e.namesErr = definedNames(f, e.dyn)
	})
	return e.names, e.namesErr
}

// undefinedSymbols replays the symbol lookups of the main program's
// relocations: a symbol that no loaded object defines stops start-up
// with "symbol lookup error: undefined symbol". Relocations of PLT slots
// are bound at the first call when binding is lazy, so a missing one
// only stops the program then (except __libc_start_main, which _start
// calls before main).
func (c *checker) undefinedSymbols() {
	// A library's undefined symbols are often the loading program's
	// (a plugin's); only a program can be judged on its own.
	if c.dyn == nil || len(c.loaded) == 0 || c.isLibrary() {
		return
	}
	main := c.loaded[0]
	var sets []map[string]bool
	for _, o := range c.loaded {
		names, err := o.names()
		if err != nil {
			return // an unreadable table is reported elsewhere
		}
		sets = append(sets, names)
	}
	defined := func(name string) bool {
		for _, s := range sets {
			if s[name] {
				return true
			}
		}
		return false
	}
	verName := map[uint16]string{}
	if v := main.versions(); v != nil {
		for _, n := range v.Need {
			for _, a := range n.Aux {
				verName[a.Other&0x7fff] = a.Name
			}
		}
	}
	seen := map[uint64]bool{}
	var u unbound
	eachReloc(c.f, c.dyn, func(r reloc) bool {
		if r.sym == 0 || seen[r.sym] {
			return true
		}
		seen[r.sym] = true
		s, err := readDynSym(c.f, c.dyn, r.sym)
		if err != nil || s.shndx != uint16(elf.SHN_UNDEF) || s.bind == elf.STB_WEAK || s.name == "" || defined(s.name) {
			return true
		}
		if ndx, err := versymOf(c.f, c.dyn, r.sym); err == nil {
			s.version = verName[ndx&0x7fff]
		}
		return u.record(r, s)
	})
	eager, lazy := u.eager, u.lazy
	who := c.display(main)
	msg := func(s *dynSym) string {
		m := fmt.Sprintf("symbol lookup error: %s: undefined symbol: %s", who, s.name)
		if s.version != "" {
			m += ", version " + s.version
		}
		return m
	}
	switch {
	case eager != nil:
		c.add(Finding{Severity: SeverityFatal, Stage: StageReloc, Code: "symbol-undefined",
			Summary:  fmt.Sprintf("%s needs %s, which none of the objects ld.so loads defines", filepath.Base(c.path), eager.name),
			Evidence: []string{"looked in the program and in " + c.objectNames()},
			Outcome:  OutcomeLoaderError, Message: msg(eager),
			Next: "a DT_NEEDED library is missing or was replaced (patchelf --replace-needed?): compare the libraries with the pristine file's using `elfdoctor diff`"})
	case lazy != nil:
		c.add(Finding{Severity: SeverityWarning, Stage: StageReloc, Code: "symbol-undefined-lazy",
			Summary: fmt.Sprintf("%s calls %s, which none of the objects ld.so loads defines: the program starts, and stops at the first call", filepath.Base(c.path), lazy.name),
			Message: msg(lazy)})
	}
}

func (c *checker) objectNames() string {
	var names []string
	for _, o := range c.loaded[1:] {
		names = append(names, filepath.Base(o.path))
	}
	return strings.Join(names, ", ")
}

// unbound keeps the first undefined symbol ld.so binds before main (eager)
// and the first it binds only on first call (lazy).
type unbound struct{ eager, lazy *dynSym }

// record notes s; it returns false once an eager one ends the walk.
func (u *unbound) record(r reloc, s dynSym) bool {
	// _start calls __libc_start_main before main, so its PLT slot is
	// bound before the program starts, lazily or not.
	if r.lazy && s.name != "__libc_start_main" {
		if u.lazy == nil {
			u.lazy = &s
		}
		return true
	}
	u.eager = &s
	return false
}
