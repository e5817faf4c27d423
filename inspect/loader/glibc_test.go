package loader_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// otherSuite is the Debian release whose glibc is paired with the host's.
const otherSuite = "trixie"

var otherGlibcOnce struct {
	sync.Once
	dir string // the extracted libc6 package's library directory
	err error
}

// otherGlibc returns the library directory of another Debian release's
// libc6 (ld-linux-x86-64.so.2 and libc.so.6 from a different build than
// the host's). The package is fetched once with apt-get from the mirror
// apt is configured with, the suite swapped, and kept under the user cache
// directory.
func otherGlibc(t *testing.T) string {
	t.Helper()
	reality.NeedTools(t, "apt-get", "dpkg-deb")
	otherGlibcOnce.Do(func() { otherGlibcOnce.dir, otherGlibcOnce.err = fetchOtherGlibc() })
	if err := otherGlibcOnce.err; err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("fetching %s's libc6: %v", otherSuite, err)
		}
		t.Skipf("fetching %s's libc6: %v", otherSuite, err)
	}
	return otherGlibcOnce.dir
}

func fetchOtherGlibc() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	base := filepath.Join(cache, "elfdoctor", "glibc-"+otherSuite)
	lib := filepath.Join(base, "root", "usr", "lib", "x86_64-linux-gnu")
	if _, err := os.Stat(filepath.Join(lib, "libc.so.6")); err == nil {
		return lib, nil
	}
	uri, signedBy, err := reality.AptMirror()
	if err != nil {
		return "", err
	}
	parts := filepath.Join(base, "apt", "sources.list.d")
	for _, d := range []string{parts, filepath.Join(base, "apt", "lists", "partial"), filepath.Join(base, "apt", "cache", "archives", "partial"), filepath.Join(base, "debs")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
	}
	src := fmt.Sprintf("Types: deb\nURIs: %s\nSuites: %s\nComponents: main\n", uri, otherSuite)
	if signedBy != "" {
		src += "Signed-By: " + signedBy + "\n"
	}
	if err := os.WriteFile(filepath.Join(parts, otherSuite+".sources"), []byte(src), 0o644); err != nil {
		return "", err
	}
	apt := []string{
		"-o", "Dir::Etc::SourceList=/dev/null",
		"-o", "Dir::Etc::SourceParts=" + parts,
		"-o", "Dir::State::Lists=" + filepath.Join(base, "apt", "lists"),
		"-o", "Dir::Cache=" + filepath.Join(base, "apt", "cache"),
		"-o", "APT::Sandbox::User=root",
		"-qq",
	}
	run := func(dir string, args ...string) error {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := run(base, append(append([]string{"apt-get"}, apt...), "update")...); err != nil {
		return "", err
	}
	debs := filepath.Join(base, "debs")
	if err := run(debs, append(append([]string{"apt-get"}, apt...), "download", "libc6")...); err != nil {
		return "", err
	}
	found, _ := filepath.Glob(filepath.Join(debs, "libc6_*.deb"))
	if len(found) == 0 {
		return "", errors.New("apt-get download left no libc6 package")
	}
	tmp := filepath.Join(base, "root.tmp")
	os.RemoveAll(tmp)
	if err := run(base, "dpkg-deb", "-x", found[0], tmp); err != nil {
		return "", err
	}
	os.RemoveAll(filepath.Join(base, "root"))
	if err := os.Rename(tmp, filepath.Join(base, "root")); err != nil {
		return "", err
	}
	return lib, nil
}

// TestCheckGlibcMismatch runs the host's programs with a loader and a libc
// from different glibc builds, both ways round, and compares with Check.
func TestCheckGlibcMismatch(t *testing.T) {
	inputs := reality.Inputs(t)
	other := otherGlibc(t)
	otherLD := filepath.Join(other, "ld-linux-x86-64.so.2")
	hostLD := "/lib64/ld-linux-x86-64.so.2"
	reality.NeedTools(t, "patchelf")
	var sum reality.Summary
	for _, in := range inputs {
		if in.Big || in.M32 || in.Lib != "" {
			continue
		}
		pristine := reality.MustRead(t, in.Path)
		// The host's loader with the other libc, as `ld.so --library-path`
		// and as LD_LIBRARY_PATH: the same search slot.
		t.Run(in.Name+"/host-ld-"+otherSuite+"-libc", func(t *testing.T) {
			p := reality.Place(t, in, pristine, nil)
			opts := loader.CheckOptions{LibraryPath: []string{other}}
			name := in.Name + "/host-ld+" + otherSuite + "-libc"
			res, real := reality.RunCase(t, reality.Case{Name: name, Dir: filepath.Dir(p), Path: p, Opts: opts,
				Argv: []string{hostLD, "--library-path", other, p}})
			sum.Add(name, res, real)
			name += " (LD_LIBRARY_PATH)"
			res, real = reality.RunCase(t, reality.Case{Name: name, Dir: filepath.Dir(p), Path: p, Opts: opts,
				Env: []string{"LD_LIBRARY_PATH=" + other}})
			sum.Add(name, res, real)
		})
		// The other loader with the host's libc: the file patched to use
		// it, and the pristine file run through it.
		t.Run(in.Name+"/"+otherSuite+"-ld-host-libc", func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, in.Name)
			if err := damage.Patchelf(in.Path, p, []string{"--set-interpreter", otherLD}); err != nil {
				t.Fatal(err)
			}
			name := in.Name + "/" + otherSuite + "-ld+host-libc"
			res, real := reality.RunCase(t, reality.Case{Name: name, Dir: dir, Path: p})
			sum.Add(name, res, real)
			orig := filepath.Join(dir, "pristine")
			if err := os.WriteFile(orig, pristine, 0o755); err != nil {
				t.Fatal(err)
			}
			real2, err := damage.Run(t.Context(), dir, reality.Timeout, nil, otherLD, orig)
			if err != nil {
				t.Fatal(err)
			}
			if v := reality.Verdict(res, real2); v != "" {
				t.Errorf("%s run as `%s FILE`: %s", name, otherLD, v)
			}
		})
		// Both from the other release: must start.
		t.Run(in.Name+"/"+otherSuite+"-ld-"+otherSuite+"-libc", func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, in.Name)
			if err := damage.Patchelf(in.Path, p, []string{"--set-interpreter", otherLD, "--set-rpath", other}); err != nil {
				t.Fatal(err)
			}
			name := in.Name + "/" + otherSuite + "-ld+" + otherSuite + "-libc"
			res, real := reality.RunCase(t, reality.Case{Name: name, Dir: dir, Path: p})
			sum.Add(name, res, real)
		})
	}
	t.Cleanup(func() { sum.Log(t) })
}
