package loader

import (
	"bytes"
	"debug/elf"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
)

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
				Outcome:  OutcomeLoaderError, ExitStatus: 127,
				Message: fmt.Sprintf("symbol lookup error: %s: undefined symbol: %s, version %s", who, eager.name, eager.version),
				Next:    versionNext(eager.version)})
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
func readDynSym(f *inspect.File, d *inspect.Dynamic, i uint64) (dynSym, error) {
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
	o := f.ByteOrder()
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
	name, err := inspect.DynString(f.Image(), strtab, strsz, uint64(o.Uint32(b[:])), what+" name")
	s.name = name
	return s, err
}

// versymOf reads the version index of symbol i from DT_VERSYM; 1 (global)
// when the object has no version table.
func versymOf(f *inspect.File, d *inspect.Dynamic, i uint64) (uint16, error) {
	vs, ok := d.Tag(elf.DT_VERSYM)
	if !ok {
		return 1, nil
	}
	var b [2]byte
	if err := f.Image().ReadAt(b[:], vs+2*i, fmt.Sprintf("versym entry %d", i)); err != nil {
		return 0, err
	}
	return f.ByteOrder().Uint16(b[:]), nil
}

// maxSymtab bounds the bytes of a symbol or string table read in one go.
const maxSymtab = 16 << 20

// definedNames returns the names of the symbols an object defines in its
// dynamic symbol table, read in two pieces (symbols, strings) through
// memory.
func definedNames(f *inspect.File, d *inspect.Dynamic) (map[string]bool, error) {
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
	o := f.ByteOrder()
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
		f, err := inspect.Open(path)
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
			Outcome:  OutcomeLoaderError, ExitStatus: 127, Message: msg(eager),
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
