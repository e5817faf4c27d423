package loader

import "github.com/elfdoctor/elfdoctor/inspect"

// GlibcBuild returns the build string glibc compiles into both its ld.so
// and its libc.so.6 ("Debian GLIBC 2.36-9+deb12u14, 2.36"), read from the
// file's .rodata as the replay reads it, or "" when there is none.
func GlibcBuild(path string) string {
	f, err := inspect.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	return glibcBuild(f, path)
}
