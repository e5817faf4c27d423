package loader

import (
	"debug/elf"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// dlopenHost is the reference open_verify holds a dlopen'ed library
// against: the class, byte order and machine of the process that loads
// it (--loaded-by's program, or else this machine's own), with what is
// known of that process's ld.so. ok is false on a machine whose native
// process is not modelled.
func (c *checker) dlopenHost() (r verifyRef, ok bool) {
	if p := c.opts.LoadedBy; p != "" {
		// An unreadable --loaded-by is reported where its process is
		// replayed (hostProcess); here the machine's own stands in.
		if hf, err := inspect.Open(p); err == nil {
			defer hf.Close()
			r = verifyRef{class: hf.Class, data: hf.Data, machine: hf.Machine}
			if interp, has, _ := hf.Interp(); has {
				r.li = describeLoader(c.underRoot(interp), hf)
			}
			return r, true
		}
	}
	switch runtime.GOARCH {
	case "amd64":
		r = verifyRef{class: elf.ELFCLASS64, data: elf.ELFDATA2LSB, machine: elf.EM_X86_64}
	case "arm64":
		r = verifyRef{class: elf.ELFCLASS64, data: elf.ELFDATA2LSB, machine: elf.EM_AARCH64}
	default:
		return r, false
	}
	host := &inspect.File{Header: inspect.Header{Class: r.class, Data: r.data, Machine: r.machine}}
	if interp := c.underRoot(StandardInterp(r.machine, r.class)); interp != "" && isFile(interp) {
		r.li = describeLoader(interp, host)
	}
	return r, true
}

// dlopenVerify replays open_verify (elf/dl-load.c) on the library itself,
// which dlopen opens by the path it is given: a library of another class
// is "wrong ELF class", one of another machine is passed over as if the
// file did not exist (errno ENOENT, so dlerror() says "No such file or
// directory" of a file that is there), and a damaged header stops with
// ld.so's words. It returns false when dlopen stops there.
func (c *checker) dlopenVerify() bool {
	r, ok := c.dlopenHost()
	if !ok {
		return true
	}
	v, msg := c.openVerify(c.path, r)
	host := "a " + machineWords(r.machine, r.class) + " process"
	if c.opts.LoadedBy != "" {
		host = fmt.Sprintf("%s, a %s program,", c.opts.LoadedBy, machineWords(r.machine, r.class))
	}
	fd := Finding{Severity: SeverityFatal, Stage: StageMapping, Code: "dlopen-refused", Outcome: OutcomeLoaderError,
		Evidence: []string{fmt.Sprintf("the library's ELF header: %s %s %s, type %s", c.f.Class, c.f.Data, c.f.Machine, c.f.Type)},
		Next:     "the ELF header was damaged: compare with a pristine copy using `elfdoctor diff`"}
	switch v {
	case candidateOK:
		return true
	case candidateOtherClass:
		other := "ELFCLASS32"
		if r.class == elf.ELFCLASS32 {
			other = "ELFCLASS64"
		}
		fd.Code, msg = "dlopen-wrong-class", "wrong ELF class: "+other
		fd.Summary = fmt.Sprintf("the library is %s and %s cannot load it: ld.so refuses a library of the other class", machineWords(c.f.Machine, c.f.Class), host)
		fd.Next = fmt.Sprintf("use the library's %s build (for a Node-API addon, the package's variant for this platform)", machineWords(r.machine, r.class))
	case candidateSkip:
		fd.Code, msg = "dlopen-wrong-machine", "cannot open shared object file: No such file or directory"
		fd.Summary = fmt.Sprintf("the library is for %s and %s cannot load it: ld.so passes over a file of another machine as if it were not there, so dlopen says \"No such file or directory\" of a file that exists", machineWords(c.f.Machine, c.f.Class), host)
		fd.Next = fmt.Sprintf("use the library's %s build (for a Node-API addon, the package's variant for this platform), or run the program on a %s machine", machineWords(r.machine, r.class), machineWords(c.f.Machine, c.f.Class))
	case candidateStop:
		fd.Summary = fmt.Sprintf("dlopen refuses the library as it reads its headers: %s", msg)
	default:
		return true
	}
	fd.Message = c.path + ": " + msg
	fd.Evidence = append(fd.Evidence, fmt.Sprintf("the process: %s %s %s, as open_verify compares", r.class, r.data, r.machine))
	c.add(fd)
	return false
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// machineWords names a machine as people do ("64-bit x86-64").
func machineWords(m elf.Machine, class elf.Class) string {
	bits := "64-bit"
	if class == elf.ELFCLASS32 {
		bits = "32-bit"
	} else if class != elf.ELFCLASS64 {
		bits = class.String()
	}
	name := strings.TrimPrefix(m.String(), "EM_")
	switch m {
	case elf.EM_X86_64:
		name = "x86-64"
	case elf.EM_386:
		name = "i386"
	case elf.EM_AARCH64:
		name = "AArch64 (arm64)"
	}
	return bits + " " + name
}
