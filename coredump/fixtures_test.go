package coredump

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/corepattern"
)

// needTool fails when CI is set and skips elsewhere when a tool is
// missing: CI must never pass because a real dependency was absent.
func needTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed (scripts/install-test-deps installs it): %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
}

// compile builds testdata/src/src into dir/out with the given compiler.
func compile(t testing.TB, cc, src, dir, out string, flags ...string) string {
	t.Helper()
	needTool(t, cc)
	exe := filepath.Join(dir, out)
	args := append([]string{"-o", exe, filepath.Join("testdata", "src", src)}, flags...)
	if b, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", cc, args, err, b)
	}
	return exe
}

// makeCore runs exe in dir with an unlimited core size and returns the
// core the kernel wrote there. It needs core_pattern to be a plain file
// name, which is the kernel's default.
func makeCore(t testing.TB, dir, exe string) string {
	t.Helper()
	return makeCoreEnv(t, dir, exe, nil)
}

// makeCoreEnv is makeCore with variables added to the environment and
// arguments for the program.
func makeCoreEnv(t testing.TB, dir, exe string, env []string, args ...string) string {
	t.Helper()
	// The journal tests swap core_pattern under the exclusive lock: read
	// it under the shared one.
	unlock := corepattern.Shared(t)
	defer unlock()
	pat, err := os.ReadFile("/proc/sys/kernel/core_pattern")
	if err != nil || len(pat) == 0 || pat[0] == '|' || pat[0] == '/' {
		if os.Getenv("CI") != "" {
			t.Fatalf("kernel.core_pattern is %q; these tests need a plain file name such as core", pat)
		}
		t.Skipf("kernel.core_pattern is %q; cores go elsewhere", pat)
	}
	// RLIMIT_CORE is inherited; set it in a child shell so the test
	// process's own limit is untouched.
	cmd := exec.Command("sh", append([]string{"-c", "ulimit -c unlimited && exec \"$0\" \"$@\"", exe}, args...)...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("%s did not crash: %v", exe, err)
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || !ws.CoreDump() {
		t.Fatalf("%s: %v, no core dumped", exe, err)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "core*"))
	if len(matches) != 1 {
		t.Fatalf("want one core in %s, found %v", dir, matches)
	}
	return matches[0]
}

var littleEndian = binary.LittleEndian

func machine(m uint16) elf.Machine { return elf.Machine(m) }

// needLoaderSymbols requires the separate debug file of this machine's
// ld.so (Debian's libc6-dbg): its .dynsym names almost none of the
// functions a loader crash runs through.
func needLoaderSymbols(t testing.TB) {
	t.Helper()
	const ld = "/lib64/ld-linux-x86-64.so.2"
	id := fileBuildID(ld)
	if id == "" {
		t.Skipf("no build-id in %s", ld)
	}
	p := filepath.Join("/usr/lib/debug/.build-id", id[:2], id[2:]+".debug")
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing: install libc6-dbg (scripts/install-test-deps does)", p)
		}
		t.Skipf("%s missing: install libc6-dbg", p)
	}
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }

// textOf returns the .text bytes of an object file.
func textOf(t *testing.T, obj string) []byte {
	t.Helper()
	f, err := elf.Open(obj)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := f.Section(".text")
	if s == nil {
		t.Fatalf("%s has no .text", obj)
	}
	b, err := s.Data()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
