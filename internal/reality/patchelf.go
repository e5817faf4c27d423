package reality

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/damage"
)

var trixie struct {
	sync.Once
	argv []string
	err  error
}

// Patchelfs are the two patchelf releases NixOS users meet, as argv
// prefixes: this machine's (Debian bookworm's 0.14.3) and trixie's 0.18.0.
func Patchelfs(tb testing.TB) map[string][]string {
	tb.Helper()
	NeedTools(tb, "patchelf")
	return map[string][]string{"patchelf-0.14": {"patchelf"}, "patchelf-0.18": TrixiePatchelf(tb)}
}

// TrixiePatchelf is the argv prefix that runs trixie's patchelf 0.18. It
// needs glibc 2.38 and trixie's libstdc++, so it runs under trixie's own
// ld.so with its libraries, all unpacked by scripts/fetch-deb from apt's
// configured mirror, nothing installed.
func TrixiePatchelf(tb testing.TB) []string {
	tb.Helper()
	NeedTools(tb, "apt-get", "dpkg-deb")
	trixie.Do(func() {
		fetch := func(pkg, file string) string {
			if trixie.err != nil {
				return ""
			}
			out, err := exec.Command(RepoPath(tb, "scripts/fetch-deb"), "trixie", pkg, file).Output()
			if err != nil {
				if ee, ok := err.(*exec.ExitError); ok {
					err = fmt.Errorf("%w: %s", err, ee.Stderr)
				}
				trixie.err = fmt.Errorf("fetch-deb trixie %s: %w", pkg, err)
			}
			return strings.TrimSpace(string(out))
		}
		pe := fetch("patchelf", "usr/bin/patchelf")
		libc := fetch("libc6", "usr/lib/x86_64-linux-gnu/libc.so.6")
		cxx := fetch("libstdc++6", "usr/lib/x86_64-linux-gnu/libstdc++.so.6")
		gcc := fetch("libgcc-s1", "usr/lib/x86_64-linux-gnu/libgcc_s.so.1")
		if trixie.err != nil {
			return
		}
		dirs := []string{filepath.Dir(libc), filepath.Dir(cxx), filepath.Dir(gcc)}
		argv := []string{filepath.Join(dirs[0], "ld-linux-x86-64.so.2"), "--library-path", strings.Join(dirs, ":"), pe}
		out, err := exec.Command(argv[0], append(argv[1:], "--version")...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "patchelf 0.18") {
			trixie.err = fmt.Errorf("trixie's patchelf --version: %v: %s", err, out)
			return
		}
		trixie.argv = argv
	})
	if trixie.err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatal(trixie.err)
		}
		tb.Skip(trixie.err)
	}
	return trixie.argv
}

// NpmFile returns the host path of FILE from the npm package SPEC
// (PACKAGE@VERSION), fetched by scripts/fetch-npm from the registry npm
// is configured with and cached. It fails when CI is set and the package
// cannot be had, and skips otherwise.
func NpmFile(tb testing.TB, spec, file string) string {
	tb.Helper()
	NeedTools(tb, "npm")
	return fetched(tb, "scripts/fetch-npm", "pack", spec, file)
}

// DebFile returns the host path of FILE from the Debian package PKG of
// SUITE, unpacked by scripts/fetch-deb from apt's configured mirror with
// the suite swapped and cached, nothing installed; it fails or skips as
// NpmFile does.
func DebFile(tb testing.TB, suite, pkg, file string) string {
	tb.Helper()
	NeedTools(tb, "apt-get", "dpkg-deb")
	return fetched(tb, "scripts/fetch-deb", suite, pkg, file)
}

// fetched runs one of the repository's fetch scripts and returns the path
// it prints.
func fetched(tb testing.TB, script string, args ...string) string {
	tb.Helper()
	out, err := exec.Command(RepoPath(tb, script), args...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			err = fmt.Errorf("%w: %s", err, ee.Stderr)
		}
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s %s: %v", filepath.Base(script), strings.Join(args, " "), err)
		}
		tb.Skipf("%s %s: %v", filepath.Base(script), strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// Rewritten copies src to dst and applies runs with the patchelf of
// argv prefix pe, as damage.PatchelfWith does. A patchelf that dies of
// a signal is part of what users meet (0.18 has been seen to abort on
// the third round of a repatch): the file is then as the rounds before
// left it, and died says so. Any other failure fails the test.
func Rewritten(tb testing.TB, pe []string, src, dst string, runs [][]string) (died bool) {
	tb.Helper()
	var ee *exec.ExitError
	err := damage.PatchelfWith(pe, src, dst, runs...)
	if errors.As(err, &ee) && !ee.Exited() {
		tb.Logf("%v; the file is as the rounds before left it", err)
		return true
	}
	if err != nil {
		tb.Fatal(err)
	}
	return false
}
