package loader

import (
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/bigfixture"
)

// forgetShared empties the caches Check shares between calls in one
// process, so that a benchmark measures what one `elfdoctor check` run
// does: it opens every object and reads every table once.
func forgetShared() {
	for _, m := range []*sync.Map{&libCache, &ldCacheShared, &loaderInfoCache, &glibcBuildCache, &loaderBytesCache} {
		m.Clear()
	}
	libCached.Store(0)
	loaderBytesCached.Store(0)
}

// BenchmarkCheckBigCold is `elfdoctor check` on the 200 MB fixture as a
// process runs it, without the start-up: nothing cached from an earlier
// Check.
func BenchmarkCheckBigCold(b *testing.B) {
	ondisk, _ := bigfixture.Paths(b)
	b.ReportAllocs()
	for b.Loop() {
		forgetShared()
		if _, err := Check(ondisk, CheckOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// LoaderRelease is the glibc 2.x release and search path check reads
// from a loader, for the tests outside the package.
func LoaderRelease(hostPath string) (minor int, dirs []string) {
	return loaderMinor(hostPath), loaderBytesOf(hostPath).dirs
}

// A process's Check, with nothing cached, allocates what ld.so's reads
// need, not the file nor the system's libraries whole: every fresh page
// is a page fault in a process that lives 40 ms, and about 3 MB of heap
// (with start-up's 1.4 MB) is where the first garbage collection starts.
func TestCheckBigColdMemory(t *testing.T) {
	ondisk, _ := bigfixture.Paths(t)
	forgetShared()
	scratch.Lock()
	scratch.b = nil
	scratch.Unlock()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, err := Check(ondisk, CheckOptions{}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 2<<20 {
		t.Errorf("a cold Check of the %d MiB fixture allocated %d bytes, want < 2 MiB", bigfixture.Payload>>20, n)
	}
}

// BenchmarkCheckLLVMCold is a cold Check of this machine's clang, whose
// libLLVM and libclang-cpp carry hundreds of thousands of relocations
// and symbols: the replay's cost grows with the libraries, not with the
// program's size. clang is one of the test dependencies.
func BenchmarkCheckLLVMCold(b *testing.B) {
	clang, err := filepath.EvalSymlinks("/usr/bin/clang")
	if err != nil {
		b.Skipf("no clang: %v", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		forgetShared()
		if _, err := Check(clang, CheckOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
