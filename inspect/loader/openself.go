package loader

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/internal/safeopen"
)

// dlopenHost is the reference open_verify holds a dlopen'ed library
// against: the class, byte order and machine of the process that loads
// it, with what is known of that process's ld.so, and that process in
// words: --loaded-by's program; else a process of the library's own kind
// when this kernel runs such programs (an i386 one only with IA32
// emulation) and the root has their loader (an i386 library on a
// multilib x86-64 system), as the rest of the replay assumes; else this
// machine's own kind. ok is false on a machine whose native process is
// not modelled.
func (c *checker) dlopenHost() (verifyRef, string, bool) {
	if m := c.dlopenRef; m != nil {
		return m.r, m.host, m.ok
	}
	r, host, ok := c.findDlopenHost()
	c.dlopenRef = &dlopenRefMemo{r, host, ok}
	return r, host, ok
}

type dlopenRefMemo struct {
	r    verifyRef
	host string
	ok   bool
}

func (c *checker) findDlopenHost() (r verifyRef, host string, ok bool) {
	if p := c.opts.LoadedBy; p != "" {
		// An unreadable --loaded-by is reported where its process is
		// replayed (hostProcess); here the machine's own stands in.
		if hf, err := openELF(p); err == nil {
			defer hf.Close()
			r = verifyRef{class: hf.Class, data: hf.Data, machine: hf.Machine}
			if interp, has, _ := hf.Interp(); has {
				r.li = describeLoader(c.underRoot(interp), hf)
			}
			return r, fmt.Sprintf("%s, a %s program,", p, machineWords(r.machine, r.class)), true
		}
	}
	// Headers that cannot be read (c.f nil) say nothing of a kind.
	ownKind := c.f != nil && kernelAccepts(c.f)
	if ownKind && c.f.Machine == elf.EM_386 {
		// Without IA32 emulation no i386 process exists here.
		if ok, known, _ := kernelRunsI386(); known && !ok {
			ownKind = false
		}
	}
	if ownKind {
		if interp := c.underRoot(standardInterp(c.f)); interp != "" && isFile(interp) {
			r = verifyRef{class: c.f.Class, data: c.f.Data, machine: c.f.Machine, li: describeLoader(interp, c.f)}
			return r, "a " + machineWords(r.machine, r.class) + " process", true
		}
	}
	switch runtime.GOARCH {
	case "amd64":
		r = verifyRef{class: elf.ELFCLASS64, data: elf.ELFDATA2LSB, machine: elf.EM_X86_64}
	case "arm64":
		r = verifyRef{class: elf.ELFCLASS64, data: elf.ELFDATA2LSB, machine: elf.EM_AARCH64}
	default:
		return r, "", false
	}
	hf := &inspect.File{Header: inspect.Header{Class: r.class, Data: r.data, Machine: r.machine}}
	if interp := c.underRoot(StandardInterp(r.machine, r.class)); interp != "" && isFile(interp) {
		r.li = describeLoader(interp, hf)
	}
	return r, "a " + machineWords(r.machine, r.class) + " process", true
}

// dlopenVerify replays open_verify (elf/dl-load.c) on the library itself,
// which dlopen opens by the path it is given: a library of another class
// is "wrong ELF class", one of another machine is passed over as if the
// file did not exist (errno ENOENT, so dlerror() says "No such file or
// directory" of a file that is there), and a damaged header stops with
// ld.so's words. It returns false when dlopen stops there.
func (c *checker) dlopenVerify() bool {
	r, host, ok := c.dlopenHost()
	if !ok {
		return true
	}
	return c.openSelf(r, host, "dlopen", identOf(c.f))
}

// commandRefused replays open_verify on a program started as a command
// of its loader (CheckOptions.Loader), before anything else is read:
// rtld.c maps it with _dl_map_object, whose open_verify holds it against
// the loader's own class and machine and may take an ET_EXEC
// (__RTLD_OPENEXEC); the kernel only ran the loader. It returns the
// result when ld.so stops there.
func commandRefused(path string, opts CheckOptions) (*CheckResult, bool) {
	lf, err := openELF(opts.Loader)
	if err != nil {
		return nil, false // interp says what is wrong with the loader
	}
	defer lf.Close()
	res := &CheckResult{Path: path, Root: opts.Root, Findings: []Finding{}}
	c := &checker{opts: opts, res: res, path: path}
	r := verifyRef{class: lf.Class, data: lf.Data, machine: lf.Machine, li: describeLoader(opts.Loader, lf), openExec: true}
	host := fmt.Sprintf("the loader %s, a %s program,", opts.Loader, machineWords(r.machine, r.class))
	// open_verify may also stop the replay undetermined (its ABI-note
	// search over a wrapped PT_NOTE, abiNoteWraps).
	if c.openSelf(r, host, "ld.so", readIdent(path)) && !c.stop {
		return nil, false
	}
	res.Objects = []Object{{Name: opts.Loader, Path: opts.Loader, Found: true, Glibc: glibcBuild(lf, opts.Loader)}}
	res.finish()
	return res, true
}

// dlopenRefused replays open_verify on a file LoadedBy's process loads
// with dlopen, before anything else is read: dlopen refuses headers it
// cannot read ("cannot read file data") whether or not they would make a
// library, and the kernel never sees the file. It returns the result
// when dlopen stops there.
func dlopenRefused(path string, opts CheckOptions) (*CheckResult, bool) {
	res := &CheckResult{Path: path, Root: opts.Root, Findings: []Finding{}}
	c := &checker{opts: opts, res: res, path: path, dlopen: true}
	if hf, err := openELF(opts.LoadedBy); err != nil {
		c.loadedByUnreadable(err)
	} else {
		hf.Close()
	}
	r, host, ok := c.dlopenHost()
	if !ok || (c.openSelf(r, host, "dlopen", readIdent(path)) && !c.stop) {
		return nil, false
	}
	res.Dlopen = true
	res.finish()
	return res, true
}

// fileIdent is what a file's ELF header says it is, read as it stands.
type fileIdent struct {
	class   elf.Class
	data    elf.Data
	machine elf.Machine
	typ     elf.Type
}

func identOf(f *inspect.File) fileIdent {
	return fileIdent{class: f.Class, data: f.Data, machine: f.Machine, typ: f.Type}
}

// readIdent reads the ELF header's ident, type and machine from the file,
// in the byte order it claims; what cannot be read stays zero.
func readIdent(path string) fileIdent {
	var id fileIdent
	fh, err := safeopen.Regular(path)
	if err != nil {
		return id
	}
	defer fh.Close()
	var h [20]byte
	if n, _ := io.ReadFull(fh, h[:]); n < len(h) {
		return id
	}
	id.class, id.data = elf.Class(h[elf.EI_CLASS]), elf.Data(h[elf.EI_DATA])
	o := id.order()
	id.typ, id.machine = elf.Type(o.Uint16(h[16:])), elf.Machine(o.Uint16(h[18:]))
	return id
}

// openSelf reports what open_verify, held against r, refuses in the
// checked file itself (whose header says id), which by (dlopen, or ld.so
// started as a command) opens by its path; host names the process or
// loader in the summary. It returns false when the file is refused.
func (c *checker) openSelf(r verifyRef, host, by string, id fileIdent) bool {
	v, msg := c.openVerify(c.path, r)
	what, code := "library", "dlopen"
	if by == "ld.so" {
		what, code = "program", "loader"
	}
	fd := Finding{Severity: SeverityFatal, Stage: StageMapping, Code: code + "-refused", Outcome: OutcomeLoaderError,
		Evidence: []string{fmt.Sprintf("the %s's ELF header: %s %s %s, type %s", what, id.class, id.data, id.machine, id.typ)},
		Next:     "the ELF header was damaged: compare with a pristine copy using `elfdoctor diff`"}
	switch v {
	case candidateOK:
		return true
	case candidateOtherClass:
		other := "ELFCLASS32"
		if r.class == elf.ELFCLASS32 {
			other = "ELFCLASS64"
		}
		fd.Code, msg = code+"-wrong-class", "wrong ELF class: "+other
		fd.Summary = fmt.Sprintf("the %s is %s and %s cannot load it: ld.so refuses an object of the other class", what, machineWords(id.machine, id.class), host)
		fd.Next = fmt.Sprintf("use the %s's %s build (for a Node-API addon, the package's variant for this platform)", what, machineWords(r.machine, r.class))
	case candidateSkip:
		fd.Code, msg = code+"-wrong-machine", "cannot open shared object file: No such file or directory"
		fd.Summary = fmt.Sprintf("the %s is for %s and %s cannot load it: ld.so passes over a file of another machine as if it were not there, so it says \"No such file or directory\" of a file that exists", what, machineWords(id.machine, id.class), host)
		fd.Next = fmt.Sprintf("use the %s's %s build (for a Node-API addon, the package's variant for this platform), or run it on a %s machine", what, machineWords(r.machine, r.class), machineWords(id.machine, id.class))
	case candidateStop:
		fd.Summary = fmt.Sprintf("%s refuses the %s as it reads its headers: %s", by, what, msg)
	default:
		return true
	}
	fd.Evidence = append(fd.Evidence, fmt.Sprintf("%s: %s %s %s, as open_verify compares", strings.TrimSuffix(host, ","), r.class, r.data, r.machine))
	if by == "ld.so" {
		fd.Message, fd.ExitStatus = fmt.Sprintf("error while loading shared libraries: %s: %s", c.path, msg), 127
	} else {
		fd.Message = c.path + ": " + msg
	}
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

// unreadableHeaders is what ld.so, started with the program as its
// command, or dlopen in --loaded-by's process, does with a file whose
// headers inspect cannot read (err), once open_verify has passed it:
// open_verify takes the headers from the first bytes it read when e_phoff
// plus their size wraps around into them (wrappedProgs), and
// _dl_map_object_from_fd may refuse what it finds there. Anything else is
// left open.
func (c *checker) unreadableHeaders(err error) {
	id := readIdent(c.path)
	what, code, possible, as := "program", "program-unmappable", []Outcome{OutcomeStarts, OutcomeLoaderError, OutcomeCrash, OutcomeExitsEarly}, "started with the program as its command"
	var li *loaderInfo
	if c.dlopen {
		what, code, possible, as = "library", "lib-unmappable", openInDlopen(), "when dlopen loads the file"
		if r, _, ok := c.dlopenHost(); ok {
			li = r.li
		}
	} else {
		li = describeLoader(c.opts.Loader, &inspect.File{Header: inspect.Header{Class: id.class, Data: id.data, Machine: id.machine}})
	}
	if progs, typ, ok := wrappedProgs(c.path, id.class, id.order()); ok && li != nil {
		if msg, _, _ := mapObjectStop(progs, typ, li.minor, 0, !c.dlopen); msg != "" {
			c.add(Finding{Severity: SeverityFatal, Stage: StageMapping, Code: code,
				Summary:  fmt.Sprintf("the loader refuses to map the %s %s: %s", what, c.path, msg),
				Evidence: []string{err.Error(), fmt.Sprintf("e_phoff plus the program headers' size wraps around: ld.so takes %d headers from the first bytes it read", len(progs))},
				Outcome:  OutcomeLoaderError, ExitStatus: 127,
				Message: fmt.Sprintf("error while loading shared libraries: %s: %s", c.path, msg),
				Next:    "the ELF header was damaged (e_phoff): compare with a pristine copy using `elfdoctor diff`"})
			return
		}
	}
	c.add(Finding{Severity: SeverityFatal, Stage: StageMapping, Code: "headers-unreadable", Outcome: OutcomeUndetermined,
		Possible: possible,
		Summary:  fmt.Sprintf("undetermined: the %s's headers cannot be read as the file stands, and what ld.so makes of them, %s, is not replayed", what, as),
		Evidence: []string{err.Error()},
		Next:     "the file is truncated or damaged: download it again and compare with `elfdoctor diff`"})
}

// order is the byte order the ident claims, as open_verify reads it.
func (id fileIdent) order() binary.ByteOrder { return verifyRef{data: id.data}.order() }
