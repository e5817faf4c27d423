package loader

import (
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
)

// i386Probe caches whether this machine's kernel executes 32-bit x86
// programs. A kernel can be built without IA32 emulation, booted with
// ia32_emulation=0, or run under a hypervisor whose guests cannot enter
// 32-bit mode (seen on a PVM guest whose kernel config says
// CONFIG_IA32_EMULATION=y). Nothing in /proc says which, so check asks
// the kernel: it runs, once per process, a 93-byte i386 program that only
// calls exit(0), written by elfdoctor itself into a private temporary
// directory. The user's file, its interpreter and anything under --root
// are never run.
var i386Probe struct {
	sync.Once
	ok    bool
	known bool
	err   error
}

// kernelRunsI386 reports whether i386 programs run here; known is false
// when the probe could not tell (no temporary directory, noexec /tmp).
func kernelRunsI386() (ok, known bool, err error) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		return false, false, nil
	}
	i386Probe.Do(func() {
		i386Probe.ok, i386Probe.known, i386Probe.err = probeI386()
	})
	return i386Probe.ok, i386Probe.known, i386Probe.err
}

func probeI386() (ok, known bool, err error) {
	// A directory of our own (0700), so nobody else can put another
	// program where the probe is about to be run.
	dir, err := os.MkdirTemp("", "elfdoctor-i386-probe-")
	if err != nil {
		return false, false, err
	}
	defer os.RemoveAll(dir)
	probe := filepath.Join(dir, "exit0")
	if err := os.WriteFile(probe, i386Exit0(), 0o700); err != nil {
		return false, false, err
	}
	err = exec.Command(probe).Run()
	var errno syscall.Errno
	switch {
	case err == nil:
		return true, true, nil
	case errors.As(err, &errno) && errno == syscall.ENOEXEC:
		return false, true, nil
	default:
		// EACCES from a noexec mount, or anything else: no answer.
		return false, false, err
	}
}

// i386Exit0 is the smallest i386 ELF executable: the ELF header, one
// PT_LOAD for the whole file, and mov eax,1; xor ebx,ebx; int 0x80.
func i386Exit0() []byte {
	const base, hdr = 0x08048000, 52 + 32
	code := []byte{0xb8, 0x01, 0x00, 0x00, 0x00, 0x31, 0xdb, 0xcd, 0x80}
	b := make([]byte, hdr, hdr+len(code))
	copy(b, "\x7fELF\x01\x01\x01")
	le := binary.LittleEndian
	le.PutUint16(b[16:], 2) // ET_EXEC
	le.PutUint16(b[18:], 3) // EM_386
	le.PutUint32(b[20:], 1)
	le.PutUint32(b[24:], base+hdr) // e_entry
	le.PutUint32(b[28:], 52)       // e_phoff
	le.PutUint16(b[40:], 52)       // e_ehsize
	le.PutUint16(b[42:], 32)       // e_phentsize
	le.PutUint16(b[44:], 1)        // e_phnum
	p := b[52:]
	le.PutUint32(p[0:], 1) // PT_LOAD
	le.PutUint32(p[8:], base)
	le.PutUint32(p[12:], base)
	le.PutUint32(p[16:], uint32(hdr+len(code)))
	le.PutUint32(p[20:], uint32(hdr+len(code)))
	le.PutUint32(p[24:], 5) // R+X
	le.PutUint32(p[28:], 0x1000)
	return append(b, code...)
}
