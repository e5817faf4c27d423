package loader_test

import (
	"fmt"
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

// a64Exit is an aarch64 program that prints the marker and exits 0,
// without libc.
const a64Exit = `	.globl _start
	.text
_start:
	mov x0, #1
	adr x1, msg
	mov x2, #%d
	mov x8, #64
	svc #0
	mov x0, #0
	mov x8, #93
	svc #0
msg:
	.ascii "%s\n"
`

// TestCheckBinfmtReality runs a static aarch64 program on this x86-64
// kernel twice: with no binfmt_misc handler for it the kernel refuses it
// (ENOEXEC), and with qemu-aarch64 registered for exactly this file the
// program runs. The handler's magic includes a signature written into the
// file's e_ident padding, so no other file on the machine matches it.
func TestCheckBinfmtReality(t *testing.T) {
	reality.NeedTools(t, "clang", "ld.lld", "qemu-aarch64")
	qemu, _ := exec.LookPath("qemu-aarch64")
	dir := t.TempDir()
	src := filepath.Join(dir, "a64.S")
	if err := os.WriteFile(src, []byte(fmt.Sprintf(a64Exit, len(damage.Marker)+1, damage.Marker)), 0o644); err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(dir, "a64")
	if out, err := exec.Command("clang", "--target=aarch64-linux-gnu", "-nostdlib", "-static", "-fuse-ld=lld", "-o", prog, src).CombinedOutput(); err != nil {
		t.Fatalf("clang aarch64: %v\n%s", err, out)
	}
	b := reality.MustRead(t, prog)
	sig := fmt.Sprintf("ED%05d", os.Getpid()%100000) // 7 bytes of e_ident padding
	copy(b[9:16], sig)
	if err := os.WriteFile(prog, b, 0o755); err != nil {
		t.Fatal(err)
	}

	t.Run("no-handler", func(t *testing.T) {
		res, real := reality.RunCase(t, reality.Case{Name: "a64/no-handler", Dir: dir, Path: prog})
		if real.Class != damage.ExecFails || real.Errno != syscall.ENOEXEC {
			t.Fatalf("the kernel ran the aarch64 program without a handler: %s", real)
		}
		if f := res.Fatal(); f == nil || f.Code != "wrong-machine" {
			t.Errorf("Check = %+v, want wrong-machine", res.Fatal())
		}
	})

	t.Run("qemu-registered", func(t *testing.T) {
		misc := "/proc/sys/fs/binfmt_misc"
		if _, err := os.Stat(filepath.Join(misc, "register")); err != nil {
			if err := syscall.Mount("binfmt_misc", misc, "binfmt_misc", 0, ""); err != nil {
				if os.Getenv("CI") != "" {
					t.Fatalf("binfmt_misc is not mounted and cannot be (needs root): %v", err)
				}
				t.Skipf("binfmt_misc is not mounted and cannot be (needs root): %v", err)
			}
			t.Cleanup(func() { syscall.Unmount(misc, 0) }) // as it was
		}
		name := "elfdoctor-test-" + strings.ToLower(sig)
		magic := `\x7fELF\x02\x01\x01`
		mask := `\xff\xff\xff\xff\xff\xff\xff`
		for i := 0; i < 2; i++ { // EI_OSABI, EI_ABIVERSION: anything
			magic += `\x00`
			mask += `\x00`
		}
		for _, c := range []byte(sig) {
			magic += fmt.Sprintf(`\x%02x`, c)
			mask += `\xff`
		}
		rule := fmt.Sprintf(":%s:M:0:%s:%s:%s:", name, magic, mask, qemu)
		if err := os.WriteFile(filepath.Join(misc, "register"), []byte(rule), 0o200); err != nil {
			t.Fatalf("registering %s: %v", rule, err)
		}
		t.Cleanup(func() { os.WriteFile(filepath.Join(misc, name), []byte("-1"), 0o200) })
		res, real := reality.RunCase(t, reality.Case{Name: "a64/qemu-registered", Dir: dir, Path: prog})
		if real.Class != damage.Starts || !real.Marker {
			t.Fatalf("qemu-aarch64 registered for the file, but it did not run: %s", real)
		}
		found := false
		for _, f := range res.Findings {
			found = found || (f.Code == "binfmt-misc" && strings.Contains(f.Summary, qemu))
		}
		if !found || res.Outcome != loader.OutcomeStarts {
			t.Errorf("Check does not say the program runs under %s:\n%s", qemu, reality.Describe(res))
		}
	})
}
