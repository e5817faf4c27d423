package loader

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/elfdoctor/elfdoctor/internal/safeopen"
)

// loaderBytes is what check learns from the whole file of an
// interpreter: glibc's SYSTEM_DIRS, its 2.x release and whether it is
// nix-ld's shim. The three questions used to read the file three times
// each Check; a `check` process spent more time reading and searching
// ld.so than reading the program.
type loaderBytes struct {
	read   bool     // the file was read; the rest are its answers
	dirs   []string // nil when not found or the file is unreadable
	minor  int      // the release glibc's banner names,
	banner bool     // when there is one (from 2.34 on)
	shim   bool
}

// Caps on the interpreter's size: a loader is about 200 KiB, nix-ld's
// shim far less.
const (
	maxLoaderBytes = 16 << 20
	maxShimBytes   = 8 << 20
	// maxLoaderBytesCached bounds the cache: a system has a handful of
	// interpreters, a sweep over hostile files may name many.
	maxLoaderBytesCached = 1 << 10
)

var (
	loaderBytesCache  sync.Map // statKey → *loaderBytes
	loaderBytesCached atomic.Int64
)

// loaderBytesOf reads an interpreter once per version of the file. An
// unreadable file, or one over the cap, yields the zero answers.
func loaderBytesOf(hostPath string) *loaderBytes {
	key, ok := statKey(hostPath)
	if ok {
		if v, ok := loaderBytesCache.Load(key); ok {
			return v.(*loaderBytes)
		}
	}
	lb := &loaderBytes{}
	if b, err := readCapped(hostPath, maxLoaderBytes); err == nil {
		lb.read = true
		lb.dirs = systemDirsIn(b)
		lb.minor, lb.banner = glibcReleaseIn(b)
		lb.shim = len(b) <= maxShimBytes && bytes.Contains(b, []byte("NIX_LD_LIBRARY_PATH"))
		giveScratch(b)
	}
	if ok && loaderBytesCached.Add(1) < maxLoaderBytesCached {
		loaderBytesCache.Store(key, lb)
	}
	return lb
}

// glibcBannerLead is the most a glibcBuildRE match holds before its
// " release version ": "(", 80 bytes of build name, ") development".
const glibcBannerLead = 1 + 80 + len(") development")

// findGlibcBuild is glibcBuildRE().FindSubmatch(b), with the same
// result: every match contains " release version " and starts at most
// glibcBannerLead bytes before it, and the expression has no assertion
// that looks outside its match, so the leftmost match in b is the
// leftmost in b from there. A bytes.Index finds that place ten times
// faster than the expression scans libc's .rodata or all of ld.so.
func findGlibcBuild(b []byte) [][]byte {
	i := bytes.Index(b, []byte(" release version "))
	if i < 0 {
		return nil
	}
	return glibcBuildRE().FindSubmatch(b[max(0, i-glibcBannerLead):])
}

// readCapped reads a whole file named by the input, refusing anything
// but a regular file (a FIFO would block) and anything over max bytes.
// The bytes are scratch memory: the caller hands them back with
// giveScratch and keeps no slice of them.
func readCapped(path string, max int64) ([]byte, error) {
	fh, err := safeopen.Regular(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	b := takeScratch(int(st.Size()))
	if _, err := fh.ReadAt(b, 0); err != nil {
		giveScratch(b)
		return nil, err
	}
	return b, nil
}

// scratch is the buffer of the whole-file and whole-section reads (the
// interpreter, .rodata of ld.so and libc.so.6): one check makes three of
// them, 150 to 250 KiB each, and uses each only while it searches it.
// Fresh memory costs a short-lived process a page fault per 4 KiB and
// brings its first garbage collection closer; one buffer serves all
// three. A buffer over maxScratchKept is not kept, so a process that
// checked one huge interpreter does not hold its size for good.
var scratch struct {
	sync.Mutex
	b []byte
}

const maxScratchKept = 1 << 20

// takeScratch returns n bytes of scratch memory, reused when possible.
func takeScratch(n int) []byte {
	scratch.Lock()
	b := scratch.b
	scratch.b = nil
	scratch.Unlock()
	if cap(b) < n {
		b = make([]byte, n)
	}
	return b[:n]
}

// giveScratch hands back memory from takeScratch; b must not be used
// afterwards.
func giveScratch(b []byte) {
	if cap(b) > maxScratchKept {
		return
	}
	scratch.Lock()
	if cap(b) > cap(scratch.b) {
		scratch.b = b
	}
	scratch.Unlock()
}
