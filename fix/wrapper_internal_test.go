package fix

import "testing"

func TestGlibcMinor(t *testing.T) {
	for build, want := range map[string]int{
		"Debian GLIBC 2.36-9+deb12u14, 2.36":  36,
		"Debian GLIBC 2.31-13+deb11u11, 2.31": 31,
		"GNU libc, 2.40":                      40,
		"":                                    0,
		"odd, 3.1":                            0,
	} {
		if got := glibcMinor(build); got != want {
			t.Errorf("glibcMinor(%q) = %d, want %d", build, got, want)
		}
	}
}
