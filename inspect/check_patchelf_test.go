package inspect_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/damage"
)

// nixRpath has the shape of the RPATH a NixOS user writes: long store
// paths, none of which exist here, then the program's own directory.
const nixRpath = "/nix/store/x4yg3j8c1mnm2dsq9f4w6jmh4v1c5f7b-zlib-1.3.1/lib:" +
	"/nix/store/0c9rhbk1v9w9dfk6v3d6g2r0yjv0rd3a-gcc-13.3.0-lib/lib:" +
	"/nix/store/5sz2bkj7m5nqqx09xh1f3r2m6p6ns3y8-openssl-3.3.2/lib:$ORIGIN"

// repatchRuns is an installer that patches again after every update:
// three rounds of rewrites on the same file, as patchelf invocations.
// The --replace-needed of each round drops the libm.so.6 the round added,
// and with it any libm a program needed.
func repatchRuns(ld string) [][]string {
	var runs [][]string
	for i := 1; i <= 3; i++ {
		runs = append(runs,
			[]string{"--set-interpreter", ld},
			[]string{"--set-rpath", fmt.Sprintf("%s:/nix/store/round%d/lib", nixRpath, i)},
			[]string{"--add-needed", "libm.so.6"},
			[]string{"--add-rpath", fmt.Sprintf("/nix/store/extra%d/lib", i)},
			[]string{"--replace-needed", "libm.so.6", "libdl.so.2"},
			[]string{"--add-needed", "libpthread.so.0"})
	}
	return runs
}

// nixLoader makes a Nix-store-shaped directory under dir holding a link
// to the host's loader, so a copy patched to use it really runs, and
// returns the loader's path there: longer than /lib64/ld-linux-x86-64.so.2,
// so patchelf has to make room for it.
func nixLoader(t *testing.T, dir string) string {
	t.Helper()
	lib := filepath.Join(dir, "nix/store/8hpdq3yzmp2yy7x0a4w2pcn4s8g2k9l1-glibc-2.36-elfdoctor/lib")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	ld := filepath.Join(lib, "ld-linux-x86-64.so.2")
	if err := os.Symlink("/lib64/ld-linux-x86-64.so.2", ld); err != nil {
		t.Fatal(err)
	}
	return ld
}

// TestCheckPatchelfReality rewrites gcc, clang/lld, non-PIE and Bun-like
// programs (64 MiB initialised RW segment, FileSiz == MemSiz) the way
// NixOS users do with the machine's patchelf, and compares Check's
// prediction with a real run of each copy.
func TestCheckPatchelfReality(t *testing.T) {
	needTools(t, "patchelf")
	inputs := checkInputs(t)
	if _, err := os.Stat("/lib64/ld-linux-x86-64.so.2"); err != nil {
		t.Skipf("no x86-64 loader at /lib64: %v", err)
	}
	one := func(args ...string) [][]string { return [][]string{args} }
	ops := []struct {
		name string
		runs func(ld string) [][]string
	}{
		{"set-interpreter-long", func(ld string) [][]string { return one("--set-interpreter", ld) }},
		{"set-rpath-long", func(string) [][]string { return one("--set-rpath", nixRpath) }},
		{"nixos", func(ld string) [][]string { return one("--set-interpreter", ld, "--set-rpath", nixRpath) }},
		{"force-rpath", func(ld string) [][]string {
			return one("--set-interpreter", ld, "--force-rpath", "--set-rpath", nixRpath)
		}},
		{"add-needed", func(string) [][]string { return one("--add-needed", "libm.so.6") }},
		{"replace-needed-abs", func(string) [][]string {
			return one("--replace-needed", "libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6")
		}},
		// What the user sees when the store path is garbage-collected, and
		// when a library is renamed to one that is not there.
		{"interpreter-gone", func(ld string) [][]string {
			return one("--set-interpreter", strings.Replace(ld, "glibc-2.36", "glibc-0.00", 1))
		}},
		{"replace-needed-missing", func(string) [][]string { return one("--replace-needed", "libc.so.6", "libc.so.5") }},
		// An installer that patches again after every update: three
		// rounds of rewrites on the same file.
		{"repatched", repatchRuns},
	}
	var sum summary
	for _, in := range inputs {
		if in.M32 {
			continue // patched to the 64-bit loader it would not run
		}
		for _, op := range ops {
			name := in.Name + "/patchelf-" + op.name
			t.Run(name, func(t *testing.T) {
				if in.Big {
					t.Parallel()
				}
				dir := t.TempDir()
				ld := nixLoader(t, dir)
				p := filepath.Join(dir, in.Name)
				if err := damage.Patchelf(in.Path, p, op.runs(ld)...); err != nil {
					t.Fatal(err)
				}
				if in.Lib != "" {
					if err := os.WriteFile(filepath.Join(dir, filepath.Base(in.Lib)), mustRead(t, in.Lib), 0o755); err != nil {
						t.Fatal(err)
					}
				}
				res, real := runCase(t, realityCase{name: name, dir: dir, path: p})
				sum.add(name, res, real)
			})
		}
	}
	t.Cleanup(func() { sum.log(t) })
}
