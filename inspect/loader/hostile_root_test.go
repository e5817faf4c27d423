package loader_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// trapLoader builds, with the real gcc, a file that looks to every reader
// like glibc's x86-64 loader (ET_DYN, soname ld-linux-x86-64.so.2, but no
// SYSTEM_DIRS string) and that, when executed in any way, creates mark.
// It returns the file's path.
func trapLoader(t *testing.T, dir, mark string) string {
	t.Helper()
	src := filepath.Join(dir, "trap.S")
	text := fmt.Sprintf(`	.globl _start
	.text
_start:
	leaq path(%%rip), %%rdi
	movl $0x41, %%esi /* O_WRONLY|O_CREAT */
	movl $0644, %%edx
	movl $2, %%eax /* open */
	syscall
	movl $60, %%eax /* exit(0) */
	xorl %%edi, %%edi
	syscall
path:
	.asciz %q
	.section .note.GNU-stack,"",@progbits
`, mark)
	if err := os.WriteFile(src, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "ld-linux-x86-64.so.2")
	cmd := exec.Command("gcc", "-nostdlib", "-shared", "-fPIC", "-Wl,-soname,ld-linux-x86-64.so.2", "-Wl,-e,_start", "-o", out, src)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gcc trap loader: %v\n%s", err, b)
	}
	return out
}

// Issue 15 item 8: check reads the interpreter and whatever --root holds,
// and runs none of it. The trap is proved to fire when executed (with
// --help, as check once did), then a check of programs that name it, by
// --root and by an absolute PT_INTERP, must leave no mark.
func TestCheckRunsNothingFromInput(t *testing.T) {
	reality.NeedTools(t, "gcc", "patchelf")
	dir := t.TempDir()
	mark := filepath.Join(dir, "executed")
	root := filepath.Join(dir, "root")
	lib64 := filepath.Join(root, "lib64")
	if err := os.MkdirAll(lib64, 0o755); err != nil {
		t.Fatal(err)
	}
	trap := trapLoader(t, dir, mark)
	if err := os.Rename(trap, filepath.Join(lib64, "ld-linux-x86-64.so.2")); err != nil {
		t.Fatal(err)
	}
	trap = filepath.Join(lib64, "ld-linux-x86-64.so.2")

	// The control: executed, the trap leaves its mark.
	if out, err := exec.Command(trap, "--help").CombinedOutput(); err != nil {
		t.Fatalf("the trap loader does not run (%v: %s): the test would prove nothing", err, out)
	}
	if _, err := os.Stat(mark); err != nil {
		t.Fatalf("the trap loader ran but left no mark: the test would prove nothing: %v", err)
	}
	if err := os.Remove(mark); err != nil {
		t.Fatal(err)
	}

	prog := reality.RepoPath(t, "testdata/bin/gcc-pie")
	byPath := filepath.Join(dir, "by-path")
	if err := damage.Patchelf(prog, byPath, []string{"--set-interpreter", trap}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		path string
		opts loader.CheckOptions
	}{
		{"root", prog, loader.CheckOptions{Root: root, Getenv: reality.NoEnv}},
		{"pt-interp", byPath, loader.CheckOptions{Getenv: reality.NoEnv}},
		{"library", reality.RepoPath(t, "testdata/bin/libdemo.so"), loader.CheckOptions{Root: root, Getenv: reality.NoEnv}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := loader.Check(tc.path, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(mark); err == nil {
				os.Remove(mark)
				t.Fatalf("Check(%s) executed the interpreter: %s exists\n%s", tc.name, mark, reality.Describe(res))
			}
		})
	}
}

// A --root whose loader, ld.so.cache and libraries are FIFOs: opening one
// for reading would wait for a writer forever. Check must refuse them
// and finish.
func TestCheckFIFOsUnderRoot(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{"lib64/ld-linux-x86-64.so.2", "etc/ld.so.cache", "lib/x86_64-linux-gnu/libc.so.6", "usr/lib/libc.so.6", "lib/libc.so.6", "lib64/libc.so.6"} {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mkfifo(full, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan *loader.CheckResult, 1)
	go func() {
		res, err := loader.Check(reality.RepoPath(t, "testdata/bin/gcc-pie"), loader.CheckOptions{Root: root, Getenv: reality.NoEnv})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	select {
	case res := <-done:
		if res != nil && res.Outcome == loader.OutcomeStarts {
			t.Errorf("Check with FIFOs for the loader and libc predicts a start:\n%s", reality.Describe(res))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Check blocked on a FIFO under --root")
	}
}

// An interpreter that is a directory or a FIFO: the kernel refuses both
// with EACCES before reading a byte (fs/exec.c open_exec), and check must
// say so without opening a FIFO it would block on.
func TestCheckInterpNotRegular(t *testing.T) {
	reality.NeedTools(t, "patchelf")
	for _, kind := range []string{"directory", "fifo"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			interp := filepath.Join(dir, "ld.so")
			var err error
			if kind == "directory" {
				err = os.Mkdir(interp, 0o755)
			} else {
				err = syscall.Mkfifo(interp, 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, "prog")
			if err := damage.Patchelf(reality.RepoPath(t, "testdata/bin/gcc-pie"), p, []string{"--set-interpreter", interp}); err != nil {
				t.Fatal(err)
			}
			res, real := reality.RunCase(t, reality.Case{Name: "interp-" + kind, Dir: dir, Path: p})
			if f := res.Fatal(); f == nil || f.Code != "interp-not-regular" || !strings.Contains(real.Stderr+real.String(), "ermission denied") {
				t.Errorf("interpreter is a %s: predicted %+v, really %s (stderr %q)", kind, res.Fatal(), real, real.Stderr)
			}
		})
	}
}
