package loader

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/elfdoctor/elfdoctor/internal/mmapfile"
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
	// debian: the loader was built by Debian or Ubuntu (its bug-report
	// address, in every release), whose open_verify differs (search.go).
	debian bool
	// ifuncCircular: the loader has elf_machine_rela's message for an
	// IFUNC the executable defines and an earlier object binds
	// (upstream 2.33, backported to Debian's 2.31).
	ifuncCircular bool
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
	var got loaderBytes
	if err := viewFile(hostPath, maxLoaderBytes, func(b []byte) {
		got.read = true
		got.dirs = systemDirsIn(b)
		got.minor, got.banner = glibcReleaseIn(b)
		got.shim = len(b) <= maxShimBytes && bytes.Contains(b, []byte("NIX_LD_LIBRARY_PATH"))
		got.ifuncCircular = bytes.Contains(b, []byte("creates an unsatisfiable circular dependency"))
		got.debian = bytes.Contains(b, []byte("://www.debian.org/Bugs/")) || bytes.Contains(b, []byte("://bugs.launchpad.net/ubuntu/"))
	}); err == nil {
		*lb = got
	}
	if ok && loaderBytesCached.Add(1) < maxLoaderBytesCached {
		loaderBytesCache.Store(key, lb)
	}
	return lb
}

// glibcBannerLead is the most a banner match holds before its
// " release version ": "(", 80 bytes of build name, ") development".
const glibcBannerLead = 1 + 80 + len(") development")

var releaseVersion = []byte(" release version ")

// findGlibcBuild finds glibc's banner as the expression
//
//	\(([^)\x00]{1,80})\) (?:stable|development) release version ([0-9][0-9.]*[0-9])
//
// would (glibcBuildRE in the tests; FuzzFindGlibcBuild holds the two to
// the same bytes at the same places): the leftmost match, the whole of
// it, the build name and the version. It is written out because
// compiling the expression cost a `check` process more than the search.
// Every match contains " release version " at most glibcBannerLead bytes
// after its start, so only a "(" that near the next one is tried.
func findGlibcBuild(b []byte) [][]byte {
	k := bytes.Index(b, releaseVersion)
	if k < 0 {
		return nil
	}
	s := max(0, k-glibcBannerLead)
	for {
		j := bytes.IndexByte(b[s:], '(')
		if j < 0 {
			return nil
		}
		s += j
		if k < s {
			j := bytes.Index(b[s:], releaseVersion)
			if j < 0 {
				return nil
			}
			k = s + j
		}
		if k-s > glibcBannerLead {
			s = k - glibcBannerLead
			continue
		}
		if m := glibcBannerAt(b, s); m != nil {
			return m
		}
		s++
	}
}

// glibcBannerAt matches the banner expression at b[s], a "(": the build
// name runs to the first ")" (no NUL, 1 to 80 bytes), and the version is
// the longest run of digits and dots that starts and ends with a digit.
func glibcBannerAt(b []byte, s int) [][]byte {
	rest := b[s+1:]
	p := bytes.IndexByte(rest[:min(len(rest), 81)], ')')
	if p < 1 || bytes.IndexByte(rest[:p], 0) >= 0 {
		return nil
	}
	after := rest[p+1:]
	var n int
	switch {
	case bytes.HasPrefix(after, []byte(" stable release version ")):
		n = len(" stable release version ")
	case bytes.HasPrefix(after, []byte(" development release version ")):
		n = len(" development release version ")
	default:
		return nil
	}
	v := after[n:]
	if len(v) == 0 || !isDigit(v[0]) {
		return nil
	}
	last := 0
	for i := 1; i < len(v) && (isDigit(v[i]) || v[i] == '.'); i++ {
		if isDigit(v[i]) {
			last = i
		}
	}
	if last == 0 {
		return nil
	}
	end := s + 1 + p + 1 + n + last + 1
	return [][]byte{b[s:end], rest[:p], v[:last+1]}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// viewFile calls fn with the whole of a file named by the input,
// refusing anything but a regular file and anything over max bytes. The
// file is mapped when it can be: a search of ld.so then costs a few page
// faults instead of a copy of the file into fresh memory. fn must keep
// no slice of b, and its results are void when viewFile fails (a file
// that shrinks under the search stops it).
func viewFile(path string, max int64, fn func(b []byte)) error {
	fh, err := safeopen.Regular(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return err
	}
	if st.Size() > max {
		return fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	if m, err := mmapfile.Map(fh, st.Size()); err == nil {
		defer m.Close()
		return m.Do(0, m.Len(), fn)
	}
	b := takeScratch(int(st.Size()))
	defer giveScratch(b)
	if _, err := fh.ReadAt(b, 0); err != nil {
		return err
	}
	fn(b)
	return nil
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
