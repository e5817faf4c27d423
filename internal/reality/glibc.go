package reality

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
)

// Glibc is one real glibc build, unpacked from a Debian release's
// packages into a minimal root file system: what `chroot Root /prog`
// runs a program with, so that PT_INTERP and every library resolve
// inside that root exactly as they would on a machine of that release.
type Glibc struct {
	Suite   string // Debian release: bullseye, bookworm, trixie, forky
	Version string // glibc's upstream version, from the libc6 package: 2.31
	Package string // the libc6 package's full version: 2.31-13+deb11u11
	Root    string // the unpacked root, under the user cache directory
}

func (g Glibc) String() string { return g.Suite + "-" + g.Version }

// Suites are the Debian releases whose glibc the differential fuzzer runs
// every case under: the oldest still served by the mirror, the host's,
// the newest stable one, and testing (forky: glibc 2.43 in December
// 2026, the newest release anywhere), whose glibc moves with Debian.
var Suites = []string{"bullseye", "bookworm", "trixie", "forky"}

// RootPackages are what the test programs need besides libc6: libgcc_s
// (glibc dlopens it to unwind on pthread_cancel; gcc links it as needed,
// g++ for every program that throws) and libstdc++ (the C++ input).
var RootPackages = []string{"libc6", "libgcc-s1", "libstdc++6"}

// DevPackages turn a root into a sysroot that gcc and clang can build
// against, so that programs built here need no newer glibc than that
// root's (Debian's libc6-dev, kernel headers).
var DevPackages = []string{"libc6-dev", "linux-libc-dev"}

// DebugPackages hold the detached debug files of a root's glibc (libc6-dbg:
// its .build-id tree under usr/lib/debug, for libc, ld.so and the other
// libraries of the libc6 package), for tests that name the frames of a
// core made under that root's loader.
var DebugPackages = []string{"libc6-dbg"}

// DebugDir is the root's debug-file directory, as gdb's
// debug-file-directory names /usr/lib/debug on the machine itself.
func (g Glibc) DebugDir() string { return filepath.Join(g.Root, "usr", "lib", "debug") }

// RootWithDebug is DebianRoot of suite with RootPackages and
// DebugPackages, for a test: it fails when CI is set and the root cannot
// be had, and skips elsewhere (apt's mirror unreachable).
func RootWithDebug(tb testing.TB, suite string) Glibc {
	tb.Helper()
	NeedTools(tb, "apt-get", "dpkg-deb", "ldconfig")
	pkgs := append(append([]string(nil), RootPackages...), DebugPackages...)
	g, err := DebianRoot(tb.Context(), suite, pkgs)
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s's glibc with its debug files: %v", suite, err)
		}
		tb.Skipf("%s's glibc with its debug files (apt's mirror unreachable?): %v", suite, err)
	}
	return g
}

// DebianRoot returns the root file system of suite with pkgs (and
// nothing they depend on: the list is what is unpacked) installed,
// fetched with apt-get from the mirror apt is configured with, the suite
// swapped, and cached under the user cache directory. The root is built
// in a temporary directory and renamed into place, so a half-built root is
// never used; concurrent callers wait on a lock.
//
// Nothing from the packages is executed: they are unpacked with
// dpkg-deb --fsys-tarfile and Go's tar reader, and ld.so.cache is written
// by the host's ldconfig.
func DebianRoot(ctx context.Context, suite string, pkgs []string) (Glibc, error) {
	return debianRoot(ctx, suite, pkgs, false)
}

// debianRoot is DebianRoot; with absolute set, symbolic links keep the
// absolute targets Debian ships (/lib64/ld-linux-x86-64.so.2 ->
// /lib/x86_64-linux-gnu/ld-2.31.so), which resolve outside the root for
// any reader but the chrooted kernel.
func debianRoot(ctx context.Context, suite string, pkgs []string, absolute bool) (Glibc, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return Glibc{}, err
	}
	h := sha256.New()
	fmt.Fprintf(h, "root-v2\x00%s\x00%q", suite, pkgs)
	if absolute {
		fmt.Fprintf(h, "\x00absolute")
	}
	key := hex.EncodeToString(h.Sum(nil))[:12]
	base := filepath.Join(cache, "elfdoctor", "glibc-roots")
	root := filepath.Join(base, suite+"-"+key)
	if err := os.MkdirAll(base, 0o755); err != nil {
		return Glibc{}, err
	}
	unlock, err := lockFile(filepath.Join(base, "lock-"+suite))
	if err != nil {
		return Glibc{}, err
	}
	defer unlock()
	if g, err := readRoot(suite, root); err == nil {
		return g, nil
	}
	apt, err := aptFor(base, suite)
	if err != nil {
		return Glibc{}, err
	}
	if err := run(ctx, base, append(append([]string{"apt-get"}, apt...), "update")...); err != nil {
		return Glibc{}, err
	}
	tmp, err := os.MkdirTemp(base, "building-"+suite+"-")
	if err != nil {
		return Glibc{}, err
	}
	defer os.RemoveAll(tmp)
	debs := filepath.Join(tmp, "debs")
	tree := filepath.Join(tmp, "root")
	if err := os.MkdirAll(debs, 0o755); err != nil {
		return Glibc{}, err
	}
	if err := run(ctx, debs, append(append([]string{"apt-get"}, apt...), append([]string{"download"}, pkgs...)...)...); err != nil {
		return Glibc{}, err
	}
	if err := skeleton(tree); err != nil {
		return Glibc{}, err
	}
	var versions []string
	for _, p := range pkgs {
		found, _ := filepath.Glob(filepath.Join(debs, p+"_*.deb"))
		if len(found) != 1 {
			return Glibc{}, fmt.Errorf("apt-get download %s (%s) left %d packages", p, suite, len(found))
		}
		if err := unpackDeb(ctx, found[0], tree, absolute); err != nil {
			return Glibc{}, fmt.Errorf("unpacking %s: %w", filepath.Base(found[0]), err)
		}
		versions = append(versions, strings.TrimSuffix(filepath.Base(found[0]), ".deb"))
	}
	// Debian's libc-bin ships /etc/ld.so.conf with this one line; the
	// libc6 package ships the multiarch directory's .conf.
	if err := os.WriteFile(filepath.Join(tree, "etc", "ld.so.conf"), []byte("include /etc/ld.so.conf.d/*.conf\n"), 0o644); err != nil {
		return Glibc{}, err
	}
	if err := run(ctx, tmp, "ldconfig", "-r", tree); err != nil {
		return Glibc{}, err
	}
	if err := os.WriteFile(filepath.Join(tree, ".elfdoctor-packages"), []byte(strings.Join(versions, "\n")+"\n"), 0o644); err != nil {
		return Glibc{}, err
	}
	os.RemoveAll(root)
	if err := os.Rename(tree, root); err != nil {
		return Glibc{}, err
	}
	return readRoot(suite, root)
}

var libc6Version = regexp.MustCompile(`^libc6_(([0-9]+\.[0-9]+)[^_]*)_`)

// readRoot describes a finished root from the package list it keeps.
func readRoot(suite, root string) (Glibc, error) {
	b, err := os.ReadFile(filepath.Join(root, ".elfdoctor-packages"))
	if err != nil {
		return Glibc{}, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if m := libc6Version.FindStringSubmatch(line); m != nil {
			return Glibc{Suite: suite, Version: m[2], Package: strings.ReplaceAll(m[1], "%3a", ":"), Root: root}, nil
		}
	}
	return Glibc{}, fmt.Errorf("%s: no libc6 among the unpacked packages", root)
}

// skeleton makes the directories of a merged-/usr Debian system: the
// top-level lib, lib64, bin and sbin are links into /usr, as base-files
// makes them, so PT_INTERP's /lib64/ld-linux-x86-64.so.2 resolves whichever
// of the two paths a release's libc6 ships it under.
func skeleton(tree string) error {
	for _, d := range []string{"usr/bin", "usr/sbin", "usr/lib", "usr/lib64", "etc", "proc", "tmp", "dev"} {
		if err := os.MkdirAll(filepath.Join(tree, d), 0o755); err != nil {
			return err
		}
	}
	for _, d := range mergedUsr {
		if err := os.Symlink("usr/"+d, filepath.Join(tree, d)); err != nil {
			return err
		}
	}
	return nil
}

var mergedUsr = []string{"bin", "sbin", "lib", "lib64"}

// unpackDeb extracts a package's files into tree, mapping /lib, /lib64,
// /bin and /sbin into /usr (the merge base-files does on a real system).
func unpackDeb(ctx context.Context, deb, tree string, absolute bool) error {
	cmd := exec.CommandContext(ctx, "dpkg-deb", "--fsys-tarfile", deb)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	uerr := untar(out, tree, absolute)
	io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("dpkg-deb --fsys-tarfile: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return uerr
}

// usrMerged maps a path relative to the root into merged /usr.
func usrMerged(name string) string {
	first, _, _ := strings.Cut(name, "/")
	for _, d := range mergedUsr {
		if first == d {
			return "usr/" + name
		}
	}
	return name
}

// relativeLink turns an absolute symbolic link target into one relative
// to the link, so that it resolves inside the root for a reader outside
// the chroot too (the linker's --sysroot, check's --root), as it does for
// the kernel after chroot. A root with Debian's absolute links is kept as
// a named case of its own (see TestAbsoluteLinks).
func relativeLink(name, target string) string {
	if !path.IsAbs(target) {
		return target
	}
	to := usrMerged(strings.TrimPrefix(path.Clean(target), "/"))
	rel, err := filepath.Rel(path.Dir(name), to)
	if err != nil {
		return target
	}
	return filepath.ToSlash(rel)
}

func untar(r io.Reader, tree string, absolute bool) error {
	tr := tar.NewReader(r)
	for {
		hd, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean(strings.TrimPrefix(hd.Name, "./"))
		if name == "." || name == ".." || strings.HasPrefix(name, "../") || path.IsAbs(name) {
			continue
		}
		name = usrMerged(name)
		dst := filepath.Join(tree, filepath.FromSlash(name))
		switch hd.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, os.FileMode(hd.Mode)&0o755|0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			os.Remove(dst)
			target := hd.Linkname
			if !absolute {
				target = relativeLink(name, target)
			}
			if err := os.Symlink(target, dst); err != nil {
				return err
			}
		case tar.TypeLink:
			target := usrMerged(path.Clean(strings.TrimPrefix(hd.Linkname, "./")))
			os.Remove(dst)
			if err := os.Link(filepath.Join(tree, filepath.FromSlash(target)), dst); err != nil {
				return err
			}
		}
	}
}

// aptFor returns apt-get options that read and write only a state
// directory of suite's own under base, with the configured mirror's
// address and keyring and the suite swapped: the host's apt state is
// neither read nor changed.
func aptFor(base, suite string) ([]string, error) {
	uri, signedBy, err := AptMirror()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(base, "apt-"+suite)
	parts := filepath.Join(dir, "sources.list.d")
	for _, d := range []string{parts, filepath.Join(dir, "lists", "partial"), filepath.Join(dir, "cache", "archives", "partial")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	src := fmt.Sprintf("Types: deb\nURIs: %s\nSuites: %s\nComponents: main\n", uri, suite)
	if signedBy != "" {
		src += "Signed-By: " + signedBy + "\n"
	}
	if err := os.WriteFile(filepath.Join(parts, suite+".sources"), []byte(src), 0o644); err != nil {
		return nil, err
	}
	return []string{
		"-o", "Dir::Etc::SourceList=/dev/null",
		"-o", "Dir::Etc::SourceParts=" + parts,
		"-o", "Dir::State::Lists=" + filepath.Join(dir, "lists"),
		"-o", "Dir::Cache=" + filepath.Join(dir, "cache"),
		// The host's installed versions must not be the candidates: an
		// older release's packages are never "newer" than them.
		"-o", "Dir::State::status=/dev/null",
		"-o", "APT::Sandbox::User=root",
		"-qq",
	}, nil
}

// AptMirror returns the Debian mirror apt is configured with, and its
// keyring, from the deb822 sources or the one-line sources.list: the
// reading inspect/loader's trixie libc6 test (glibc_test.go) does, which
// can use this one.
func AptMirror() (uri, signedBy string, err error) {
	if b, err := os.ReadFile("/etc/apt/sources.list.d/debian.sources"); err == nil {
		for _, stanza := range strings.Split(string(b), "\n\n") {
			fields := map[string]string{}
			sc := bufio.NewScanner(strings.NewReader(stanza))
			for sc.Scan() {
				if k, v, ok := strings.Cut(sc.Text(), ":"); ok && !strings.HasPrefix(k, "#") {
					fields[strings.TrimSpace(k)] = strings.TrimSpace(v)
				}
			}
			if fields["URIs"] != "" && !strings.Contains(fields["Suites"], "security") {
				return strings.Fields(fields["URIs"])[0], fields["Signed-By"], nil
			}
		}
	}
	if b, err := os.ReadFile("/etc/apt/sources.list"); err == nil {
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) >= 3 && f[0] == "deb" && !strings.Contains(sc.Text(), "security") {
				for _, w := range f[1:] {
					if strings.Contains(w, "://") {
						return w, "", nil
					}
				}
			}
		}
	}
	return "", "", errors.New("no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list")
}

func run(ctx context.Context, dir string, args ...string) error {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// lockFile takes an exclusive flock on p, shared by every process that
// builds roots, and returns its release.
func lockFile(p string) (func(), error) {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// sortedGlibcs orders builds oldest first.
func sortedGlibcs(gs []Glibc) {
	sort.Slice(gs, func(i, j int) bool { return versionLess(gs[i].Version, gs[j].Version) })
}

func versionLess(a, b string) bool {
	var a1, a2, b1, b2 int
	fmt.Sscanf(a, "%d.%d", &a1, &a2)
	fmt.Sscanf(b, "%d.%d", &b1, &b2)
	return a1 < b1 || a1 == b1 && a2 < b2
}
