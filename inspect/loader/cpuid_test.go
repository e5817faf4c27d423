package loader

import (
	"regexp"
	"strconv"
	"testing"
)

// TestHostX86AgreesWithLoader holds hostX86 to the host's own loader,
// which computes the same from CPUID and says what it computed: `ld.so
// --help` (glibc 2.33 and later) marks the glibc-hwcaps levels this CPU
// supports, and before 2.37 the legacy platform directory (AT_PLATFORM).
// The test runs the host's loader, never an input.
func TestHostX86AgreesWithLoader(t *testing.T) {
	ld, out := hostLoaderHelp(t)
	level, platform := hostX86()
	levels := regexp.MustCompile(`(?m)^\s+x86-64-v(\d) \(supported`).FindAllSubmatch(out, -1)
	if len(levels) == 0 && !regexp.MustCompile(`(?m)^\s+x86-64-v\d`).Match(out) {
		t.Skipf("%s --help lists no glibc-hwcaps subdirectories (before glibc 2.33):\n%s", ld, out)
	}
	want := 1
	for _, m := range levels {
		want = max(want, int(m[1][0]-'0'))
	}
	if level != want {
		t.Errorf("hostX86() level = %d, %s --help says x86-64-v%d:\n%s", level, ld, want, out)
	}
	if m := regexp.MustCompile(`(?m)^\s+(\S+) \(AT_PLATFORM`).FindSubmatch(out); m != nil {
		got := platform
		if got == "" {
			got = "x86_64"
		}
		if got != string(m[1]) {
			t.Errorf("hostX86() platform = %q, %s --help says %q", got, ld, m[1])
		}
	}
	t.Logf("x86-64-v%s, platform %q", strconv.Itoa(level), platform)
}
