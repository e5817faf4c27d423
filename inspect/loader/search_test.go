package loader_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// TestCheckSearchReality puts what ld.so finds for uses-libdemo's
// libdemo.so in its way, and runs it: a file that is not an ELF object
// stops the search (open_verify's "lose"), a library of the other class
// is skipped and named at the end, and a glibc-hwcaps subdirectory comes
// before the directory itself.
func TestCheckSearchReality(t *testing.T) {
	reality.NeedTools(t, "gcc")
	var in reality.Input
	for _, i := range reality.Inputs(t) {
		if i.Name == "uses-libdemo" {
			in = i
		}
	}
	good := reality.MustRead(t, in.Lib)
	src := filepath.Join(t.TempDir(), "demo.c")
	if err := os.WriteFile(src, []byte("int demo_one(void) { return 1; }\nint demo_two(void) { return 2; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lib32 := filepath.Join(filepath.Dir(src), "libdemo32.so")
	if out, err := exec.Command("gcc", "-m32", "-shared", "-fPIC", "-o", lib32, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc -m32 (gcc-multilib): %v\n%s", err, out)
	}
	notELF := []byte(strings.Repeat("this is not an ELF file. ", 8))
	cases := []struct {
		name    string
		lib     []byte            // libdemo.so beside the program ($ORIGIN, its RUNPATH)
		extra   map[string][]byte // more files, relative to the program's directory
		libPath string            // LD_LIBRARY_PATH, relative to the program's directory
		outcome string
		phrase  string
		fifo    string // a named pipe made there, relative to the program's directory
	}{
		{"wrong-class-only", reality.MustRead(t, lib32), nil, "", damage.LoaderError, "wrong ELF class: ELFCLASS32", ""},
		{"file-too-short", make([]byte, 10), nil, "", damage.LoaderError, "file too short", ""},
		{"not-elf", notELF, nil, "", damage.LoaderError, "invalid ELF header", ""},
		{"not-elf-before-good", good, map[string][]byte{"bad/libdemo.so": notELF}, "bad", damage.LoaderError, "invalid ELF header", ""},
		{"wrong-class-before-good", good, map[string][]byte{"bad/libdemo.so": reality.MustRead(t, lib32)}, "bad", damage.Starts, "", ""},
		{"hwcaps-before-dir", notELF, map[string][]byte{"glibc-hwcaps/x86-64-v2/libdemo.so": good}, "", damage.Starts, "", ""},
		// open_verify's open of a FIFO waits for a writer: ld.so never
		// reaches the good library after it (check once skipped it).
		{"fifo-before-good", good, nil, "bad", damage.Timeout, "", "bad/libdemo.so"},
		// A library linked to /dev/null (to disable it) reads as empty.
		{"dev-null-before-good", good, nil, "bad", damage.LoaderError, "file too short", ""},
		{"dev-zero-before-good", good, nil, "bad", damage.LoaderError, "invalid ELF header", ""},
		// open(2) of a socket fails (ENXIO), which open_path passes over.
		{"socket-before-good", good, nil, "bad", damage.Starts, "", ""},
	}
	var sum reality.Summary
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := reality.Place(t, in, reality.MustRead(t, in.Path), tc.lib)
			dir := filepath.Dir(p)
			for rel, b := range tc.extra {
				full := filepath.Join(dir, rel)
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(full, b, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if dev, ok := strings.CutPrefix(tc.name, "dev-"); ok {
				dev, _, _ = strings.Cut(dev, "-")
				full := filepath.Join(dir, "bad", "libdemo.so")
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink("/dev/"+dev, full); err != nil {
					t.Fatal(err)
				}
			}
			if tc.name == "socket-before-good" {
				full := filepath.Join(dir, "bad", "libdemo.so")
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				l, err := net.Listen("unix", full)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { l.Close() })
			}
			if tc.fifo != "" {
				full := filepath.Join(dir, tc.fifo)
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := syscall.Mkfifo(full, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			c := reality.Case{Name: "uses-libdemo/" + tc.name, Dir: dir, Path: p}
			if tc.libPath != "" {
				lp := filepath.Join(dir, tc.libPath)
				c.Env = []string{"LD_LIBRARY_PATH=" + lp}
				c.Opts.LibraryPath = []string{lp}
			}
			res, real := reality.RunCase(t, c)
			sum.Add(c.Name, res, real)
			if real.Class != tc.outcome || !strings.Contains(real.Stderr, tc.phrase) {
				t.Fatalf("the set-up no longer does what this case is about: want %s %q, really %s", tc.outcome, tc.phrase, real)
			}
		})
	}
	t.Cleanup(func() { sum.Log(t) })
}

// TestSearchedUnderRoot checks the list of files ld.so tried for a
// library it cannot find under a usr-merged root (bullseye's, where /lib
// is a link to usr/lib): each is named as ld.so names it, under the
// root, not as the link resolves, which named one file twice.
func TestSearchedUnderRoot(t *testing.T) {
	reality.NeedTools(t, "gcc", "apt-get", "dpkg-deb", "ldconfig")
	g, err := reality.DebianRoot(t.Context(), "bullseye", reality.RootPackages)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("fetching bullseye's glibc: %v", err)
		}
		t.Skipf("fetching bullseye's glibc: %v", err)
	}
	dir := t.TempDir()
	reality.WriteSource(t, dir, "gone.c", "int gone(void) { return 0; }\n")
	reality.WriteSource(t, dir, "main.c", "int gone(void);\nint main(void) { return gone(); }\n")
	for _, args := range [][]string{
		{"-shared", "-fPIC", "-Wl,-soname,libgone.so.1", "-o", "libgone.so.1", "gone.c"},
		{"-o", "prog", "main.c", "-L.", "-l:libgone.so.1"},
	} {
		cmd := exec.Command("gcc", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gcc %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	res, err := loader.Check(filepath.Join(dir, "prog"), loader.CheckOptions{Root: g.Root, Getenv: reality.NoEnv})
	if err != nil {
		t.Fatal(err)
	}
	fd := res.Fatal()
	if fd == nil || fd.Code != "lib-missing" || len(fd.Evidence) == 0 {
		t.Fatalf("want lib-missing, got\n%s", reality.Describe(res))
	}
	tried := strings.Split(strings.TrimPrefix(fd.Evidence[0], "searched: "), ", ")
	want := filepath.Join(g.Root, "lib/x86_64-linux-gnu/libgone.so.1")
	seen := map[string]bool{}
	for _, p := range tried {
		if seen[p] {
			t.Errorf("%s is listed twice: %s", p, fd.Evidence[0])
		}
		seen[p] = true
	}
	if !seen[want] {
		t.Errorf("%s is not listed: %s", want, fd.Evidence[0])
	}
}
