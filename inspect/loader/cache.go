package loader

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// file opens the object's file, for the rare question the cached
// library entry does not answer.
func (o *loadedObj) file() (*inspect.File, error) {
	if o.f == nil {
		f, err := openELF(o.path)
		if err != nil {
			return nil, err
		}
		o.f = f
	}
	return o.f, nil
}

// filePool keeps the files a check opened by path, open until it ends:
// ld.so and libc are read by the interpreter step, the library search
// and the relocation replay, and each open mapped the file again, whose
// pages then faulted in again. A check and the replay of its --loaded-by
// host share one.
type filePool struct {
	files map[string]*inspect.File
}

func (c *checker) filePool() *filePool {
	if c.pool == nil {
		c.pool = &filePool{}
	}
	return c.pool
}

// open is openELF, once per path.
func (p *filePool) open(path string) (*inspect.File, error) {
	if f, ok := p.files[path]; ok {
		return f, nil
	}
	f, err := openELF(path)
	if err != nil {
		return nil, err
	}
	if p.files == nil {
		p.files = map[string]*inspect.File{}
	}
	p.files[path] = f
	return f, nil
}

// owns says whether f is one of the pool's files, which only close
// closes.
func (p *filePool) owns(f *inspect.File) bool {
	for _, g := range p.files {
		if g == f {
			return true
		}
	}
	return false
}

// close closes every file and empties the pool.
func (p *filePool) close() {
	for path, f := range p.files {
		f.Close()
		delete(p.files, path)
	}
}

// openLib is openLibWith the check's pool.
func (c *checker) openLib(path string) *libEntry {
	return openLibWith(path, c.filePool().open)
}

// statKey names a file's current contents: a library that is replaced
// (new size, time or inode) gets a new key.
func statKey(p string) (string, bool) {
	st, err := os.Stat(p)
	if err != nil {
		return "", false
	}
	ino := uint64(0)
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		ino = sys.Ino
	}
	return fmt.Sprintf("%s|%d|%d|%d", p, st.Size(), st.ModTime().UnixNano(), ino), true
}

// libEntry is what check reads from a library: its dynamic table and
// version tables. Every program on a system loads libc and a few dozen
// other libraries, so entries are shared between Check calls, keyed by
// statKey; they are never modified after they are made.
type libEntry struct {
	err     error
	class   elf.Class
	machine elf.Machine
	typ     elf.Type
	progs   []inspect.Prog // as _dl_map_object_from_fd reads them
	// phnum is e_phnum as ld.so takes it (no PN_XNUM), phoff e_phoff and
	// size the file's size: open_verify reads phnum headers at phoff.
	phnum              int
	phoff, size, phent uint64
	dyn                *inspect.Dynamic
	dynErr             error // why dyn is nil when the library has a PT_DYNAMIC
	vers               *inspect.Versions
	versErr            error
	glibc              string
	// ldNeeded and ldSoname are read the way ld.so reads them
	// (neededNames, ldSoname), not bounded by DT_STRSZ as dyn's are.
	ldNeeded  []neededName
	ldSoname  cstr
	hasSoname bool
	// pre35 is the entry as glibc before 2.35 reads the library, when
	// that differs: _dl_map_object_from_fd skipped a PT_DYNAMIC without
	// file bytes (since 2.27), so l_ld is the last one with bytes, where
	// later releases refuse the object (mapObjectError). nil when the
	// last PT_DYNAMIC has bytes, as in every linked file.
	pre35 *libEntry
}

// forMinor is the entry as ld.so of glibc 2.minor reads it (0: current).
func (e *libEntry) forMinor(minor int) *libEntry {
	if e.pre35 != nil && minor != 0 && minor < 35 {
		return e.pre35
	}
	return e
}

// tables reads what ld.so reads through the dynamic table e.dyn.
func (e *libEntry) tables(lf *inspect.File) {
	e.vers, e.versErr = lf.Versions(e.dyn)
	e.ldNeeded = neededNames(lf, e.dyn)
	e.ldSoname, e.hasSoname = ldSoname(lf, e.dyn)
}

// maxLibCache bounds the shared library cache; a system has a few
// thousand libraries.
const maxLibCache = 1 << 14

// openLibWith reads a library's tables once per version of the file,
// from the file open gives.
func openLibWith(path string, open func(string) (*inspect.File, error)) *libEntry {
	key, ok := statKey(path)
	if ok {
		if v, ok := libCache.Load(key); ok {
			return v.(*libEntry)
		}
	}
	e := &libEntry{}
	lf, err := open(path) // the opener's to close
	if err != nil {
		e.err = err
		return e
	}
	e.class, e.machine, e.typ = lf.Class, lf.Machine, lf.Type
	e.progs = lf.Progs
	e.phnum, _ = rawPhnum(lf)
	e.phoff, e.size, e.phent = lf.Phoff, uint64(lf.Size()), uint64(lf.PhdrSize())
	e.dyn, e.dynErr = lf.Dynamic()
	e.tables(lf)
	if filepath.Base(path) == "libc.so.6" || (e.dyn != nil && e.dyn.Soname == "libc.so.6") {
		e.glibc = glibcBuild(lf, path)
	}
	if dyns := lf.ProgsOfType(elf.PT_DYNAMIC); len(dyns) > 1 && dyns[len(dyns)-1].Filesz == 0 {
		for i := len(dyns) - 2; i >= 0; i-- {
			if dyns[i].Filesz != 0 {
				old := *e
				old.dyn, old.dynErr = lf.DynamicOf(dyns[i])
				old.tables(lf)
				e.pre35 = &old
				break
			}
		}
	}
	if ok && libCached.Add(1) < maxLibCache {
		libCache.Store(key, e)
	}
	return e
}

// ldCacheShared holds parsed ld.so.cache files by statKey: every Check
// reads the same one.
var ldCacheShared sync.Map

func readLDCacheShared(path string) (*LDCache, error) {
	key, ok := statKey(path)
	if !ok {
		return ReadLDCache(path)
	}
	if v, ok := ldCacheShared.Load(key); ok {
		return v.(*LDCache), nil
	}
	c, err := ReadLDCache(path)
	if err == nil {
		ldCacheShared.Store(key, c)
	}
	return c, err
}

var (
	libCache  sync.Map // statKey → *libEntry
	libCached atomic.Int64
)
