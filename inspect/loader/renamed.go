package loader

import (
	"bytes"
	"debug/elf"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// A symbol whose name was changed after linking (its st_name now points
// at another string of DT_STRTAB, or the string itself was rewritten)
// binds to another definition than the one the code that uses it was
// built for: printf's PLT slot, renamed fflush, runs fflush with a
// format string for a FILE. ld.so looks the new name up and binds it
// without complaint, so none of its reads tells the damage. The SysV
// hash table does, when the object has one beside DT_GNU_HASH (lld
// writes both; ld.so then reads only DT_GNU_HASH, which does not list
// imports): a linker puts every symbol, imports too, in the chain of the
// bucket its name hashes to. It is a mark, read to withhold a
// prediction, never to make one (docs/decisions.md, "What the start
// files call is evidence").

// sysvHash is an object's SysV hash table: its header, read once, and
// where it puts each symbol, read only when a bound import is missing
// from its name's chain.
type sysvHash struct {
	ok              bool // the object has a table whose header was read
	buckets, chain  uint64
	nbucket, nchain uint32
	placeRead       bool
	// bucketOf is the bucket whose chain holds each symbol, nil when the
	// table is not whole: a chain that loops, leaves the table or meets
	// another, or a symbol in none. Only a whole table says that a
	// symbol outside its name's chain was renamed rather than the table
	// damaged.
	bucketOf []uint32
}

// observeRenamed looks at the name of an import a relocation bound
// (eagerly in elf_machine_rela, or lazily in _dl_fixup). Only imports
// are looked at: they are what the program calls in other objects, and
// a big library's relocations of its own symbols (libLLVM's tens of
// thousands) would each pay a chain walk.
func (r *relocator) observeRenamed(lm *linkMap, rl reloc, s *sym, name cstr) {
	if !r.types.full || lm.f.Machine != elf.EM_X86_64 || rl.sym == 0 || s.shndx != uint16(elf.SHN_UNDEF) || name.err != nil {
		return
	}
	if r.importTwice(lm, rl, name.s) {
		return
	}
	t := r.hashTable(lm)
	if !t.ok || rl.sym >= uint64(t.nchain) {
		return
	}
	m := lm.m
	want := dlElfHash(name.s) % t.nbucket
	idx, err := m.u32(m.add(t.buckets, 4*uint64(want)), "DT_HASH bucket")
	for n := uint32(0); err == nil && idx != 0 && n < t.nchain; n++ {
		if uint64(idx) == rl.sym || r.spend() {
			return
		}
		idx, err = m.u32(m.add(t.chain, 4*uint64(idx)), "DT_HASH chain")
	}
	if err != nil {
		return
	}
	place := r.hashPlaces(lm, t)
	if place == nil {
		return
	}
	got := place[rl.sym]
	// The damage is the symbol's entry, which is where Next points.
	r.damage = append(r.damage, relocDamage{lm: lm, code: "reloc-symbol-renamed", at: m.add(lm.symtab, rl.sym*symSize(lm.f)),
		what: fmt.Sprintf("%s (%s) names symbol %d, now called %s, whose name hashes to bucket %d of DT_HASH; the linker put the symbol in bucket %d's chain, and the table is otherwise whole (each of its %d symbols in one chain): the symbol's name was changed after linking",
			entryAt(lm, rl), typeName(rl.typ), rl.sym, name.s, want, got, t.nchain-1),
		changed: fmt.Sprintf("the word at 0x%x is bound to %s, not to the symbol the code that uses it was built for", rl.off, name.s)})
}

// importTwice marks a bound import whose name and version another
// symbol entry of the object, bound before it, has too, or whose name it
// has without a version where the other has one: GNU ld makes one entry
// per import, so one of the two was renamed onto the other.
// patchelf 0.18's --rename-dynamic-symbols rebuilds the hash tables,
// which then tell nothing, and strip takes .symtab (seed 9320003448:
// printf renamed fflush in a stripped program, whose printf call ran
// fflush with the format string). lld does not merge a versioned
// reference with an unversioned one (Bun 1.4 imports __fxstat twice),
// so only an object whose .comment names no linker, as GNU ld leaves
// it, is judged: none of the 291 such files looked at (this machine's
// and the test material's) has a twin, and 4 of 26 of lld's do.
func (r *relocator) importTwice(lm *linkMap, rl reloc, name string) bool {
	seen := r.seen(lm)
	if !seen.linkerKnown {
		seen.linkerKnown, seen.gnuLD = true, linkedByGNULD(lm.f)
	}
	var v uint16 // without DT_VERSYM, every import is of version 0
	if lm.versym != 0 {
		if x, err := lm.versymAt(rl.sym); err == nil {
			v = x
		}
	}
	key := importName{name, v}
	first, ok := seen.imports[key]
	how := "name and version"
	if !ok {
		// An unversioned import of a name another import has with a
		// version is a twin too: GNU ld binds a name to one definition,
		// versioned or not, so a version was cleared after linking
		// (patchelf --clear-symbol-version fflush, then getenv renamed
		// fflush: seed 9320028451). Two versions of one name are not:
		// .symver asks for them.
		unversioned := func(v uint16) bool { return v&0x7fff <= 1 }
		if other, seenName := seen.importByName[name]; seenName && unversioned(other.v) != unversioned(v) {
			first, ok, how = other.sym, true, "name, one of them with a version and the other without"
		}
	}
	if !ok {
		if seen.imports == nil {
			seen.imports = map[importName]uint64{}
			seen.importByName = map[string]importSym{}
		}
		seen.imports[key] = rl.sym
		if _, dup := seen.importByName[name]; !dup {
			seen.importByName[name] = importSym{rl.sym, v}
		}
		return false
	}
	if first == rl.sym {
		return false
	}
	// lld makes twins of its own (Bun 1.4), so in its output a rename
	// shows by the name it left in DT_STRTAB, which nothing refers to
	// any more (seed 9320010159: printf renamed fflush, then stripped).
	// patchelf's other rewrites leave old strings there too, but file
	// names (libm.so.6, a search path), not a symbol's.
	if !seen.gnuLD && !r.orphanSymbolName(lm) {
		return false
	}
	m := lm.m
	r.damage = append(r.damage, relocDamage{lm: lm, code: "reloc-symbol-renamed", at: m.add(lm.symtab, rl.sym*symSize(lm.f)),
		what: fmt.Sprintf("%s (%s) names symbol %d, %s, and symbol %d, bound before it, is an import of the same %s: a linker makes one symbol entry per import, so one of them was renamed after linking",
			entryAt(lm, rl), typeName(rl.typ), rl.sym, name, first, how),
		changed: fmt.Sprintf("the word at 0x%x is bound to %s, which may not be the function or variable the code that uses it was built for", rl.off, name)})
	return true
}

// linkedByGNULD says the file's .comment names no linker: lld writes
// "Linker: LLD ...", mold "mold ...", GNU ld nothing. A file without a
// .comment, which a rewrite removed (strip -R .comment, seed
// 9300035275), is judged too: the mark then withholds a prediction on a
// file that is rewritten anyway.
func linkedByGNULD(f *inspect.File) bool {
	for i := range f.Sections {
		sec := &f.Sections[i]
		if sec.Name != ".comment" || sec.Type != elf.SHT_PROGBITS {
			continue
		}
		if sec.Size > 64<<10 {
			return false
		}
		b, err := f.ReadFull(int64(sec.Offset), sec.Size, ".comment")
		if err != nil {
			return false
		}
		return !bytes.Contains(b, []byte("Linker:")) && !bytes.Contains(b, []byte("mold "))
	}
	return true
}

// maxOrphanScan bounds the DT_STRTAB orphanSymbolName reads.
const maxOrphanScan = 4 << 20

// orphanSymbolNames are the names shaped like a symbol's (no '/', no
// ".so", no ':' or '$') in the object's DT_STRTAB that nothing of its
// dynamic section refers to: no dynamic symbol, DT_NEEDED, DT_SONAME,
// search path, filtee or version record, whole or as the tail of a
// longer one (linkers share suffixes). Linkers write a string table of
// what they reference (Bun 1.4's has no such string); a rename leaves
// the old name behind. Version records that cannot all be read (a
// stale DT_VERDEF, which patchelf 0.14 leaves in Bun 1.4) leave the
// references unknown, and nothing is said. It is read only once twin
// imports, or a failing slot, are seen.
func (r *relocator) orphanSymbolNames(lm *linkMap) []string {
	seen := r.seen(lm)
	if !seen.orphansRead {
		// Once per object: every failing slot asks.
		seen.orphans, seen.orphansRead = r.readOrphanSymbolNames(lm), true
	}
	return seen.orphans
}

func (r *relocator) readOrphanSymbolNames(lm *linkMap) []string {
	size, ok := lm.d.Tag(elf.DT_STRSZ)
	if !ok || size == 0 || size > maxOrphanScan {
		return nil
	}
	v, err := lm.obj.versionsErr()
	if err != nil || v == nil || len(v.Problems) > 0 {
		return nil
	}
	tab := make([]byte, size)
	if lm.f.Image().ReadAt(tab, lm.strtab, "DT_STRTAB") != nil {
		return nil
	}
	at := func(off uint64) string {
		if off >= size {
			return ""
		}
		b := tab[off:]
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i]
		}
		return string(b)
	}
	var refs, orphans []string
	for i, n := uint64(1), min(r.dynsymCount(lm), maxSymScan); i < n; i++ {
		s, err := lm.readSym(i)
		if err != nil {
			return nil
		}
		refs = append(refs, at(uint64(s.name)))
	}
	for _, e := range lm.d.Entries {
		switch e.Tag {
		case elf.DT_NEEDED, elf.DT_SONAME, elf.DT_RPATH, elf.DT_RUNPATH, elf.DT_AUXILIARY, elf.DT_FILTER:
			refs = append(refs, at(e.Val))
		}
	}
	for _, d := range v.Def {
		refs = append(refs, d.Names...)
	}
	for _, nd := range v.Need {
		refs = append(refs, nd.File)
		for _, a := range nd.Aux {
			refs = append(refs, a.Name)
		}
	}
	// A string is referred to when it ends a referenced one: reversed,
	// it begins one, which binary search over the sorted list finds.
	rev := make([]string, len(refs))
	for i, s := range refs {
		rev[i] = reversed(s)
	}
	sort.Strings(rev)
	for off := uint64(1); off < size; {
		s := at(off)
		off += uint64(len(s)) + 1
		if s == "" || strings.ContainsAny(s, "/:$") || strings.Contains(s, ".so") {
			continue
		}
		want := reversed(s)
		if i := sort.SearchStrings(rev, want); i == len(rev) || !strings.HasPrefix(rev[i], want) {
			if orphans = append(orphans, s); len(orphans) == maxOrphans {
				break
			}
		}
	}
	return orphans
}

// maxOrphans bounds the names orphanSymbolNames gives: a rename leaves
// one.
const maxOrphans = 16

// orphanSymbolName says orphanSymbolNames finds one.
func (r *relocator) orphanSymbolName(lm *linkMap) bool { return len(r.orphanSymbolNames(lm)) > 0 }

func reversed(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

// importSym is the first import of a name importTwice met: its symbol
// index and version index.
type importSym struct {
	sym uint64
	v   uint16
}

// importName is an import by name and version index (importTwice).
type importName struct {
	name    string
	version uint16
}

// hashTable reads the header of lm's SysV hash table once.
func (r *relocator) hashTable(lm *linkMap) *sysvHash {
	seen := r.seen(lm)
	if seen.hash != nil {
		return seen.hash
	}
	t := &sysvHash{}
	seen.hash = t
	h, ok := lm.d.Tag(elf.DT_HASH)
	if !ok {
		return t
	}
	m := lm.m
	nb, err1 := m.u32(h, "DT_HASH nbucket")
	nc, err2 := m.u32(m.add(h, 4), "DT_HASH nchain")
	if err1 != nil || err2 != nil || nb == 0 {
		return t
	}
	t.ok, t.nbucket, t.nchain = true, nb, nc
	t.buckets, t.chain = m.add(h, 8), m.add(h, 8+4*uint64(nb))
	return t
}

// hashPlaces reads the whole table once and says which bucket's chain
// holds each symbol, or nil when the table is not whole. The words are
// read one by one through the object's memory, so the header sizes
// nothing before its last chain word is known to be there.
func (r *relocator) hashPlaces(lm *linkMap, t *sysvHash) []uint32 {
	if t.placeRead {
		return t.bucketOf
	}
	t.placeRead = true
	m, nb, nc := lm.m, t.nbucket, t.nchain
	if _, err := m.u32(m.add(t.chain, 4*uint64(nc-1)), "DT_HASH chain"); err != nil {
		return nil
	}
	// The last chain word is mapped, so nc words are bytes of the file:
	// the table below is no larger than four times the file.
	place := make([]uint32, nc)
	const none = ^uint32(0)
	for i := range place {
		place[i] = none
	}
	placed := uint32(0)
	for b := uint32(0); b < nb; b++ {
		if r.spend() {
			return nil // a table this big is read no further: no mark
		}
		idx, err := m.u32(m.add(t.buckets, 4*uint64(b)), "DT_HASH bucket")
		for err == nil && idx != 0 {
			if idx >= nc || place[idx] != none || r.spend() {
				return nil // leaves the table, loops or meets another chain
			}
			place[idx] = b
			placed++
			idx, err = m.u32(m.add(t.chain, 4*uint64(idx)), "DT_HASH chain")
		}
		if err != nil {
			return nil
		}
	}
	if placed != nc-1 {
		return nil // a symbol in no chain
	}
	t.bucketOf = place
	return place
}

// symtabImports are the names .symtab lists as undefined globals, the
// linker's record of what the object imports, without their versions;
// nil when there are none, or no .symtab.
func (r *relocator) symtabImports(lm *linkMap) map[string]bool {
	if !lm.importsDone {
		lm.imports, lm.importsDone = r.readSymtabImports(lm), true
	}
	return lm.imports
}

func (r *relocator) readSymtabImports(lm *linkMap) map[string]bool {
	var static map[string]bool
	r.eachSymtab(lm, func(t tableSym) bool {
		return t.shndx == uint16(elf.SHN_UNDEF) && elf.ST_BIND(t.info) == elf.STB_GLOBAL
	}, func(_ tableSym, name []byte) bool {
		if i := bytes.IndexByte(name, '@'); i >= 0 {
			name = name[:i]
		}
		if static == nil {
			static = map[string]bool{}
		}
		static[string(name)] = true
		return true
	})
	return static
}

// eachSymtab calls fn with each entry of lm's .symtab that want accepts,
// and its name read from the file (up to 1 KiB, without the NUL), until
// fn returns false. It reports whether the object has a .symtab.
func (r *relocator) eachSymtab(lm *linkMap, want func(tableSym) bool, fn func(t tableSym, name []byte) bool) bool {
	f := lm.f
	var symtab, strtab *inspect.Section
	for i := range f.Sections {
		if s := &f.Sections[i]; s.Type == elf.SHT_SYMTAB && int(s.Link) < len(f.Sections) {
			symtab, strtab = s, &f.Sections[s.Link]
			break
		}
	}
	if symtab == nil {
		return false
	}
	r.c.funcOracle(f).eachSymChunk(symtab, func(_ uint64, syms []tableSym) bool {
		for _, t := range syms {
			if t.nameOff == 0 || uint64(t.nameOff) >= strtab.Size || !want(t) {
				continue
			}
			more := true
			_ = f.View(int64(strtab.Offset+uint64(t.nameOff)), min(strtab.Size-uint64(t.nameOff), 1024), "symbol name", func(b []byte) {
				if i := bytes.IndexByte(b, 0); i >= 0 {
					b = b[:i]
				}
				more = fn(t, b)
			})
			if !more {
				return false
			}
		}
		return true
	})
	return true
}

// dynsymCount is how many .dynsym entries ld.so's tables hold
// (symCount); without a hash table that gives it (GNU ld's DT_GNU_HASH
// of a program that exports nothing only bounds it), the section
// table's .dynsym at DT_SYMTAB, the linker's record too.
func (r *relocator) dynsymCount(lm *linkMap) uint64 {
	n := r.symCount(lm)
	if n == 0 {
		for i := range lm.f.Sections {
			if s := &lm.f.Sections[i]; s.Type == elf.SHT_DYNSYM && s.Addr == lm.symtab {
				n = s.Size / symSize(lm.f)
			}
		}
	}
	return n
}

// eachImport calls fn with every undefined symbol of the first n (at
// most maxSymScan) and its name as ld.so reads it, until fn returns
// false. It reports false when it stopped early: fn said so, or a
// symbol could not be read.
func (r *relocator) eachImport(lm *linkMap, n uint64, fn func(i uint64, s *sym, name cstr) bool) bool {
	for i := uint64(1); i < min(n, maxSymScan); i++ {
		s, err := lm.readSym(i)
		if err != nil {
			return false
		}
		if s.shndx == uint16(elf.SHN_UNDEF) && !fn(i, s, lm.symName(s)) {
			return false
		}
	}
	return true
}

// lostImport names the one function lm imports that no relocation names
// any more, or whose name in .dynsym ld.so cannot read: the function a
// PLT slot was made for when the slot's relocation names another
// symbol, one past the table, or one with an unreadable name. ok is
// false unless exactly one such function is found.
func (r *relocator) lostImport(lm *linkMap) (string, bool) {
	found := r.lostImports(lm)
	if len(found) != 1 {
		return "", false
	}
	return found[0], true
}

// lostImports are the functions lm imports that no relocation names any
// more, or whose name in .dynsym ld.so cannot read (lostImport); nil
// when the tables cannot be walked.
func (r *relocator) lostImports(lm *linkMap) []string {
	named := map[uint64]bool{}
	if eachReloc(lm.f, lm.d, func(rl reloc) bool {
		named[rl.sym] = true
		return true
	}) != nil {
		return nil
	}
	var found []string
	dynamic := map[string]bool{}
	if !r.eachImport(lm, r.dynsymCount(lm), func(i uint64, s *sym, name cstr) bool {
		if name.err == nil {
			dynamic[name.s] = true
			if !named[i] && s.typ() == elf.STT_FUNC && elf.ST_BIND(s.info) == elf.STB_GLOBAL && name.s != "__tls_get_addr" {
				found = append(found, name.s)
			}
		}
		return true
	}) {
		return nil
	}
	// A name .symtab lists that no import of .dynsym has any more (one
	// made unreadable, or changed into another string).
	if static := r.symtabImports(lm); len(static) > 0 {
		for name := range static {
			if !dynamic[name] {
				found = append(found, name)
			}
		}
	}
	sort.Strings(found) // .symtab's names come from a map
	return found
}

// staticImports looks, once lm is relocated, for the mark a renamed
// import leaves in the static symbol table (.symtab), which GNU ld's
// output keeps unless stripped and which has no DT_HASH to tell: the
// linker lists each function and variable the object imports there, as
// an undefined global (versioned, "printf@GLIBC_2.2.5"), from the same
// definition as its dynamic symbol. A global import .symtab lists that
// no undefined dynamic symbol names any more was renamed away. Of the
// 227 files of this machine with both tables, none lacks one (weak
// imports such as _ITM_registerTMCloneTable may be left out of
// .dynsym, and are not counted). Only imports are compared, so a big
// unstripped object reads its .symtab's entries but few of its names.
func (r *relocator) staticImports(lm *linkMap) {
	if !r.types.full || lm.f.Machine != elf.EM_X86_64 || lm.partial || !lm.hasSymtab {
		return
	}
	f := lm.f
	static := r.symtabImports(lm)
	if len(static) == 0 {
		return
	}
	// The dynamic imports, as ld.so reads their names.
	dynamic := map[string]bool{}
	var stranger *sym // an import .symtab does not list
	n := r.dynsymCount(lm)
	if n < 2 {
		return // every import would seem lost
	}
	if !r.eachImport(lm, n, func(_ uint64, s *sym, name cstr) bool {
		if name.err != nil {
			return false
		}
		dynamic[name.s] = true
		if !static[name.s] && stranger == nil && elf.ST_BIND(s.info) == elf.STB_GLOBAL {
			stranger = s
		}
		return true
	}) {
		return
	}
	var lost []string
	for name := range static {
		if !dynamic[name] {
			lost = append(lost, name)
		}
	}
	if len(lost) == 0 {
		r.importUnbound(lm, n, static)
		return
	}
	sort.Strings(lost)
	what := fmt.Sprintf("%s's static symbol table (.symtab) lists %s as an import, which no undefined dynamic symbol names: a linker writes both from one reference, so a dynamic symbol's name was changed after linking", filepath.Base(lm.obj.name), strings.Join(lost[:min(len(lost), 3)], ", "))
	at := lm.symtab
	if stranger != nil {
		what += fmt.Sprintf(" (symbol %d is now called %s, an import .symtab does not list)", stranger.index, lm.symName(stranger).s)
		at = lm.m.add(lm.symtab, stranger.index*symSize(f))
	}
	r.damage = append(r.damage, relocDamage{lm: lm, code: "reloc-symbol-renamed", at: at, what: what,
		changed: fmt.Sprintf("what the code imported as %s is bound to another definition, or to none", lost[0])})
}

// importUnbound looks, in a program whose imports both symbol tables
// agree on, for a function import that no relocation names: a linker
// writes a dynamic import for a reference that needs binding, so a
// function the code calls (.symtab lists it as an import too) that
// nothing binds lost its relocation to another symbol, whose
// definition the calls now reach (printf's PLT slot renamed
// __cxa_finalize: main's output became a call of __cxa_finalize, and
// the program ended early). A program's variables are looked at too
// (gxx-pie's pointer to std::exception's typeinfo bound to another
// symbol: SIGSEGV when the program throws); a library's are not: the
// sanitizer runtimes (libasan, libtsan) import variables nothing
// relocates. A
// library is looked at too when its relocations are few enough to walk
// once more (maxImportWalk): libchain.so's PLT slot of base_value
// renamed chain_value made its constructor call itself until the stack
// ran out (seed 8100000496). Distributions strip their libraries, so
// this is a user's or a vendor's own library.
// maxImportWalk is the most relocations of a library importUnbound walks.
const maxImportWalk = 1 << 14

func (r *relocator) importUnbound(lm *linkMap, n uint64, static map[string]bool) {
	if !lm.main {
		total := uint64(0)
		for _, t := range []elf.DynTag{elf.DT_RELASZ, elf.DT_RELSZ, elf.DT_PLTRELSZ} {
			v, _ := lm.d.Tag(t)
			total += min(v, maxImportWalk*24)
		}
		if total/16 > maxImportWalk {
			return
		}
	}
	named := map[uint64]bool{}
	if eachReloc(lm.f, lm.d, func(rl reloc) bool {
		named[rl.sym] = true
		return true
	}) != nil {
		return
	}
	// The DT_JMPREL entries a first call's _dl_fixup reads past what
	// the tables cover (fixupsBeyondSize, unappliedFixups) bind too.
	for _, fx := range r.fixups {
		if fx.lm == lm && fx.unapplied {
			named[fx.r.sym] = true
		}
	}
	for i := uint64(1); i < min(n, maxSymScan); i++ {
		s, err := lm.readSym(i)
		if err != nil {
			return
		}
		variable := s.typ() == elf.STT_OBJECT && lm.main
		if named[i] || s.shndx != uint16(elf.SHN_UNDEF) || (s.typ() != elf.STT_FUNC && !variable) || elf.ST_BIND(s.info) != elf.STB_GLOBAL {
			continue
		}
		name := lm.symName(s)
		// The linker relaxes a TLS access that calls __tls_get_addr
		// into one that does not, dropping its relocation but keeping
		// the import (Bun, every release).
		if name.err != nil || !static[name.s] || name.s == "__tls_get_addr" {
			continue
		}
		r.damage = append(r.damage, relocDamage{lm: lm, code: "import-not-bound", at: lm.m.add(lm.symtab, i*symSize(lm.f)),
			what:    fmt.Sprintf("symbol %d of %s, %s, is a function the %s imports (its .symtab lists it too), yet no relocation names it: ld.so never binds it, so the slot its calls go through was made to name another symbol after linking", i, filepath.Base(lm.obj.name), name.s, map[bool]string{true: "program", false: "library"}[lm.main]),
			changed: fmt.Sprintf("the calls of %s reach another definition", name.s)})
		return
	}
}
