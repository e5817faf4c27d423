package fix_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// The packages a Debian root is unpacked with for these tests: glibc,
// and the GCC runtime libraries of the same release (libstdc++ of GCC 10
// in bullseye, 12 in bookworm, 14 in trixie).
var rootPackages = []string{"libc6", "libgcc-s1", "libstdc++6"}

var roots sync.Map // suite -> reality.Glibc

// debian returns suite's unpacked root (reality.DebianRoot: apt's
// configured mirror, the suite swapped, cached).
func debian(t testing.TB, suite string) reality.Glibc {
	t.Helper()
	reality.NeedTools(t, "apt-get", "dpkg-deb", "ldconfig")
	if g, ok := roots.Load(suite); ok {
		return g.(reality.Glibc)
	}
	g, err := reality.DebianRoot(context.Background(), suite, rootPackages)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("unpacking %s's %v: %v", suite, rootPackages, err)
		}
		t.Skipf("unpacking %s's %v: %v", suite, rootPackages, err)
	}
	roots.Store(suite, g)
	return g
}

// multiarch is where Debian puts the libraries in a root.
func multiarch(g reality.Glibc) string {
	return filepath.Join(g.Root, "usr", "lib", "x86_64-linux-gnu")
}

// store is a directory laid out like a Nix store: one directory per
// package, named HASH-NAME, with the libraries in its lib/. The files are
// copies, as in a real store, not links into the cache.
type store struct {
	t    testing.TB
	root string // the store directory, to pass as --lib-root
}

func newStore(t testing.TB) *store {
	root := filepath.Join(t.TempDir(), "nix", "store")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	return &store{t: t, root: root}
}

// nixBase32 is the alphabet of Nix store hashes.
const nixBase32 = "0123456789abcdfghijklmnpqrsvwxyz"

// pkg makes the directory of a package whose hash sorts as rank says:
// the walk meets lower ranks first.
func (s *store) pkg(rank int, name string) string {
	lib := filepath.Join(s.root, strings.Repeat(nixBase32[rank:rank+1], 32)+"-"+name, "lib")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		s.t.Fatal(err)
	}
	return lib
}

// copyLib copies a library into dir, as a file of its real name with the
// link ld.so opens beside it when the source is a link.
func (s *store) copyLib(src, dir string) {
	s.t.Helper()
	real, err := filepath.EvalSymlinks(src)
	if err != nil {
		s.t.Fatal(err)
	}
	b, err := os.ReadFile(real)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, filepath.Base(real)), b, 0o755); err != nil {
		s.t.Fatal(err)
	}
	if filepath.Base(real) != filepath.Base(src) {
		if err := os.Symlink(filepath.Base(real), filepath.Join(dir, filepath.Base(src))); err != nil {
			s.t.Fatal(err)
		}
	}
}

// glibcFiles are what Nix's glibc package holds in lib/ that programs use.
var glibcFiles = []string{"ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libresolv.so.2", "libutil.so.1"}

// glibc adds a glibc package made from a Debian release's libc6 and
// returns its lib directory.
func (s *store) glibc(rank int, suite string) string {
	g := debian(s.t, suite)
	lib := s.pkg(rank, "glibc-"+g.Version)
	for _, f := range glibcFiles {
		s.copyLib(filepath.Join(multiarch(g), f), lib)
	}
	return lib
}

// gccLib adds a GCC runtime package (libstdc++ and libgcc_s, as Nix's
// gcc-N-lib) made from a Debian release's and returns its lib directory.
func (s *store) gccLib(rank int, suite, name string) string {
	g := debian(s.t, suite)
	lib := s.pkg(rank, name)
	for _, f := range []string{"libstdc++.so.6", "libgcc_s.so.1"} {
		s.copyLib(filepath.Join(multiarch(g), f), lib)
	}
	return lib
}

// cxxProgram builds testdata/cxx-new.cc with the host's g++ (GCC 12): it
// requires GLIBCXX_3.4.30 and GLIBC_2.34, and prints damage.Marker.
func cxxProgram(t *testing.T) string {
	t.Helper()
	return cxxProgramWith(t, "g++")
}

// cxxProgramWith builds it with g++, or with clang++ linking with lld
// against the same libstdc++.
func cxxProgramWith(t *testing.T, compiler string) string {
	t.Helper()
	args := []string{"-O1", "-o", filepath.Join(t.TempDir(), "cxx-new"), "testdata/cxx-new.cc"}
	if compiler == "clang++" {
		reality.NeedTools(t, "clang++", "ld.lld")
		args = append(args, "-fuse-ld=lld")
	} else {
		reality.NeedTools(t, compiler)
	}
	if b, err := exec.Command(compiler, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", compiler, err, b)
	}
	return args[2]
}

// run runs argv for real and returns what happened.
func run(t *testing.T, env []string, argv ...string) damage.Result {
	t.Helper()
	r, err := damage.Run(context.Background(), t.TempDir(), 20*time.Second, env, argv...)
	if err != nil {
		t.Fatalf("running %q: %v", argv, err)
	}
	return r
}
