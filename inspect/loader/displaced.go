package loader

import (
	"debug/elf"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// Code and constants mapped from bytes that are not theirs. A linker
// lays every allocated section out at one file offset and one address,
// and the PT_LOAD that holds it maps exactly that offset there (the
// section table records both). When a damaged p_offset, or a p_filesz
// that no longer covers the section, makes the kernel or ld.so map other
// file bytes, or zero-fill, where the section's bytes belong, the
// program's code runs, or reads its constants from, bytes that were
// never linked there. Nothing of the loader notices: ld.so reads only
// its own tables through the mapping, which the replay already does. What
// that code then does depends on the bytes and on registers no file
// holds, so such a file's outcome is undetermined from the point the
// code is entered (docs/decisions.md).

const (
	// displacedWindow bounds the bytes compared per stretch of a
	// section: enough to see a displacement, never the whole of a
	// runtime's 60 MB .text.
	displacedWindow = 64 << 10
	// displacedBudget bounds the bytes compared per file.
	displacedBudget = 1 << 20
	// transferWindow is how much of the code at a control transfer's
	// target is compared: the first few instructions.
	transferWindow = 32
)

// displacement is the first byte of a section that the mapping does not
// take from where the linker put it.
type displacement struct {
	sec  *inspect.Section
	addr uint64 // the first address whose byte differs
	prog int    // the program header that maps it
	ph   *inspect.Prog
	zero bool   // it is zero-fill, not file bytes
	from uint64 // the file offset it is mapped from, when !zero
	// got and want are the byte in memory and the byte the linker put.
	got, want byte
}

// linkedOff is the file offset the section table gives for addr.
func (d displacement) linkedOff() uint64 { return d.sec.Offset + (d.addr - d.sec.Addr) }

// evidence says, for people, where the bytes come from and why that is
// damage.
func (d displacement) evidence() []string {
	s := d.sec
	ev := []string{fmt.Sprintf("section %s (0x%x-0x%x) is at file offset 0x%x in the section table: the linker put the byte for 0x%x at file offset 0x%x", s.Name, s.Addr, s.Addr+s.Size, s.Offset, d.addr, d.linkedOff())}
	p := d.ph
	switch {
	case d.zero && p != nil:
		ev = append(ev, fmt.Sprintf("program header %d (p_offset 0x%x, p_vaddr 0x%x, p_filesz 0x%x, p_memsz 0x%x) maps 0x%x as zero-fill: its file bytes end before the section's", d.prog, p.Offset, p.Vaddr, p.Filesz, p.Memsz, d.addr))
	case d.zero:
		ev = append(ev, fmt.Sprintf("0x%x is mapped as zero-fill", d.addr))
	case p != nil:
		ev = append(ev, fmt.Sprintf("program header %d (p_offset 0x%x, p_vaddr 0x%x) maps 0x%x from file offset 0x%x", d.prog, p.Offset, p.Vaddr, d.addr, d.from))
	default:
		ev = append(ev, fmt.Sprintf("0x%x is mapped from file offset 0x%x", d.addr, d.from))
	}
	return append(ev, fmt.Sprintf("the byte at 0x%x is 0x%02x in memory and 0x%02x where the linker put it: a linker maps every section from its own file offset, so the segment table was damaged", d.addr, d.got, d.want))
}

func progByIndex(f *inspect.File, i int) *inspect.Prog {
	if i < 0 || i >= len(f.Progs) {
		return nil
	}
	return &f.Progs[i]
}

// readByCode says whether a section holds what an object's own code runs
// or reads: code, constants, initialised data. The loader's tables are
// left out (ld.so reads them through the mapping, as the replay does), as
// are the GOT (ld.so writes it), the interpreter's name, the init and
// fini arrays (read through the mapping where ld.so and libc call them)
// and the unwinder's tables, which a program reads only when it unwinds.
func readByCode(s *inspect.Section) bool {
	if s.Flags&elf.SHF_ALLOC == 0 || s.Type != elf.SHT_PROGBITS || s.Size == 0 {
		return false
	}
	switch s.Name {
	case ".interp", ".got", ".got.plt", ".eh_frame", ".eh_frame_hdr", ".gcc_except_table":
		return false
	}
	return !strings.HasPrefix(s.Name, ".note")
}

// displaced finds, for each section f's code reads that judge accepts
// (all when nil), the first byte the mapping (f's image: the kernel's
// for the program, ld.so's for a library) takes from somewhere else than
// where the linker put it, and that differs from what the linker put
// there. written, when set, says a relocation ld.so applied wrote at an
// address, whose word then holds the relocated value either way. An
// unmapped byte is not judged here (the replay faults on it where
// something reads it). A section mapped from another file offset while
// another section the same program header maps is where the linker put
// it is taken as a damaged section header, not a displaced segment, and
// is not judged either.
func displaced(f *inspect.File, judge func(*inspect.Section) *inspect.Section, written func(uint64) bool) []displacement {
	im := f.Image()
	size := uint64(f.Size())
	type piece struct {
		lo, hi uint64
		loc    inspect.Loc
	}
	type cand struct {
		sec    *inspect.Section // the section, for people
		part   *inspect.Section // the bytes judged: the section, or a window of it
		pieces []piece
	}
	var cands []cand
	linkedIn := map[int]bool{} // program headers that map some section where it was linked
	for i := range f.Sections {
		s := &f.Sections[i]
		if s.Flags&elf.SHF_ALLOC == 0 || s.Type == elf.SHT_NOBITS || s.Size == 0 {
			continue
		}
		// Every allocated section tells whether its program header maps
		// it where it was linked; only those the code reads are judged.
		var part *inspect.Section
		if readByCode(s) {
			part = s
			if judge != nil {
				part = judge(s)
			}
		}
		end, ok1 := addNoOverflow(s.Addr, s.Size)
		fend, ok2 := addNoOverflow(s.Offset, s.Size)
		if !ok1 || !ok2 || fend > size {
			continue // a section the file does not hold says nothing
		}
		var off []piece
		for a := s.Addr; a < end; {
			l := im.Lookup(a)
			b := nextBoundary(im, a, end)
			switch {
			case !l.Mapped:
			case l.File && l.Off == s.Offset+(a-s.Addr):
				linkedIn[l.Prog] = true
			case part != nil && b > part.Addr && a < part.Addr+part.Size:
				off = append(off, piece{max(a, part.Addr), min(b, part.Addr+part.Size), l})
			}
			a = b
		}
		if len(off) > 0 {
			cands = append(cands, cand{s, part, off})
		}
	}
	var out []displacement
	budget := uint64(displacedBudget)
	for _, c := range cands {
		s := c.sec
	pieces:
		for _, p := range c.pieces {
			if p.loc.File && linkedIn[p.loc.Prog] {
				continue
			}
			n := min(p.hi-p.lo, displacedWindow, budget)
			if n == 0 {
				break
			}
			budget -= n
			got, err := im.Read(p.lo, n, s.Name)
			if err != nil {
				continue // past the end of the file: the replay's SIGBUS rules judge it
			}
			want, err := f.ReadFull(int64(s.Offset+(p.lo-s.Addr)), n, s.Name)
			if err != nil {
				continue
			}
			for i := range got {
				a := p.lo + uint64(i)
				if got[i] == want[i] || (written != nil && coveredByWrite(written, a)) {
					continue
				}
				d := displacement{sec: s, addr: a, prog: p.loc.Prog, ph: progByIndex(f, p.loc.Prog), zero: !p.loc.File, got: got[i], want: want[i]}
				if p.loc.File {
					d.from = p.loc.Off + (a - p.lo)
				}
				out = append(out, d)
				break pieces
			}
		}
	}
	return out
}

// coveredByWrite says whether a relocation's word (at most 8 bytes)
// covers addr.
func coveredByWrite(written func(uint64) bool, addr uint64) bool {
	for k := uint64(0); k < 8 && k <= addr; k++ {
		if written(addr - k) {
			return true
		}
	}
	return false
}

// nextBoundary is the first address after a, below end, where the image
// may take its bytes from somewhere else: a mapping's start, end or end
// of file pages, or a segment's p_vaddr, end of file bytes or end.
func nextBoundary(im *inspect.Image, a, end uint64) uint64 {
	next := end
	for _, m := range im.Maps {
		p := m.Prog
		for _, b := range []uint64{m.Start, m.End, m.FileEnd, p.Vaddr, p.Vaddr + p.Filesz, p.Vaddr + p.Memsz} {
			if b > a && b < next {
				next = b
			}
		}
	}
	return next
}

// displacedAt says whether the code at a control transfer's target, in
// one of f's code sections, is not the code the linker put there: its
// first transferWindow bytes are compared.
func displacedAt(f *inspect.File, target uint64) *displacement {
	var sec *inspect.Section
	for i := range f.Sections {
		s := &f.Sections[i]
		if s.Flags&elf.SHF_EXECINSTR != 0 && readByCode(s) && target >= s.Addr && target-s.Addr < s.Size {
			sec = s
			break
		}
	}
	if sec == nil {
		return nil
	}
	im := f.Image()
	end := min(sec.Addr+sec.Size, target+transferWindow)
	first, last := im.Lookup(target), im.Lookup(end-1)
	if first.File && first.Off == sec.Offset+(target-sec.Addr) && last.File && last.Off == sec.Offset+(end-1-sec.Addr) && first.Prog == last.Prog {
		return nil // the usual case: no read at all
	}
	window := *sec
	window.Addr, window.Offset, window.Size = target, sec.Offset+(target-sec.Addr), end-target
	ds := displaced(f, func(s *inspect.Section) *inspect.Section {
		if s == sec {
			return &window
		}
		return nil
	}, nil)
	if len(ds) == 0 {
		return nil
	}
	return &ds[0]
}

// displacedSummary is the summary of a control transfer (jumps.go) into
// code the mapping took from other bytes.
func (j *jumpInto) displacedSummary() string {
	d := j.displaced
	where := fmt.Sprintf("from file offset 0x%x", d.from)
	if d.zero {
		where = "as zero-fill"
	}
	return fmt.Sprintf("undetermined: %s jumps to 0x%x in %s, in section %s, whose bytes there are not the code the linker put there: they are mapped %s, not from file offset 0x%x; code that was never linked there runs, and what it does depends on those bytes and on registers no file decides",
		j.what, j.target, filepath.Base(j.obj), d.sec.Name, where, d.linkedOff())
}

// displacedFinding is given once ld.so has handed over: an object's code
// or constants (what its own code runs and reads) are not the bytes the
// linker put there, so what the program does is not replayed. Like the
// relocation damage it stands beside (relmem.go), it decides only over a
// start or a failure at exit (addAfterHandOver); a failure the replay
// determined before main, or at a lazily bound slot's first call, stands.
func (c *checker) displacedFinding() {
	if len(c.loaded) == 0 || !c.openAfterHandOver() {
		return
	}
	var found []displacement
	var obj string
	for i, o := range c.loaded {
		if (i > 0 && o.dyn == nil) || o.preloaded {
			continue
		}
		f := c.program()
		if i > 0 {
			var err error
			if f, err = o.file(); err != nil {
				continue
			}
		}
		var written func(uint64) bool
		if c.reloc != nil {
			if lm := c.reloc.linkMapOf(o); lm != nil {
				written = func(a uint64) bool { return lm.written.has(a) }
			}
		}
		if found = displaced(f, nil, written); len(found) > 0 {
			obj = o.name
			break
		}
	}
	if len(found) == 0 {
		return
	}
	d := found[0]
	base := filepath.Base(obj)
	code, kind := "constants-displaced", "constants"
	if d.sec.Flags&elf.SHF_EXECINSTR != 0 {
		code, kind = "code-displaced", "code"
	}
	fd := Finding{Severity: SeverityFatal, Stage: StageInit, Code: code, Object: obj, Outcome: OutcomeUndetermined,
		Summary: fmt.Sprintf("undetermined: ld.so starts the program, but the %s of %s in section %s are not the bytes the linker put there: the kernel or ld.so mapped other bytes at their addresses; what the code does with them is not replayed, and nothing in the files says: it may run as built, print something else, exit early, hang or be killed by a signal",
			kind, base, d.sec.Name),
		Evidence: d.evidence(),
		// ld.so has handed over: exec failures and its own errors are
		// past, and every lazily bound slot was judged without failure.
		Possible: []Outcome{OutcomeStarts, OutcomeCrash, OutcomeExitCrash, OutcomeExitsEarly, OutcomeHangs},
		Next:     fmt.Sprintf("compare %s with the pristine file using `elfdoctor diff`: its segment table is damaged at program header %d; a run tells only what the code did with those bytes", base, d.prog)}
	if len(inspect.IdentifyQuick(c.f).Runtimes) > 0 {
		fd.Possible = append(fd.Possible, OutcomeBareRuntime, OutcomeRuntimeFails)
	}
	for _, o := range found[1:] {
		if len(fd.Evidence) >= 6 {
			break
		}
		fd.Evidence = append(fd.Evidence, fmt.Sprintf("also: section %s differs from 0x%x on", o.sec.Name, o.addr))
	}
	c.addAfterHandOver(fd, "if main gets past that")
}

// openAfterHandOver says whether the replay's outcome leaves room for a
// finding about the program's own code: it predicts a start, or a
// failure at exit, after main.
func (c *checker) openAfterHandOver() bool {
	f := c.res.Fatal()
	// An open read at a lazily bound call's first call comes when main's
	// code makes it, which may be after it meets the displaced bytes.
	openFirstCall := f != nil && f.Outcome == OutcomeUndetermined && f.Stage == StageReloc && slices.Contains(f.Possible, OutcomeFirstCall)
	return f == nil || openFirstCall || (!f.Continues && f.Stage == StageExit && (f.Outcome == OutcomeExitCrash || f.Outcome == OutcomeUndetermined))
}

// addAfterHandOver adds an undetermined finding about what the program's
// own code meets once ld.so has handed over (displacedFinding,
// boundFinding). Over a start it decides; over a failure the replay
// found at exit, which main's code may not reach, it comes first, and
// the outcomes left are a crash before main's output, a hang, or what
// that exit finding leaves.
func (c *checker) addAfterHandOver(fd Finding, past string) {
	exit := c.res.Fatal()
	if exit == nil {
		c.add(fd)
		return
	}
	at := 0
	for i := range c.res.Findings {
		if &c.res.Findings[i] == exit {
			at = i
		}
	}
	fd.Possible = []Outcome{OutcomeCrash, OutcomeHangs}
	if exit.Outcome == OutcomeFirstCall {
		// Another slot's first call fails, if the program gets to it.
		fd.Possible = append(fd.Possible, OutcomeExitsEarly, OutcomeFirstCall)
		fd.Evidence = append(fd.Evidence, past+", another lazily bound call fails: "+exit.Summary)
		c.res.Findings = append(c.res.Findings[:at], append([]Finding{fd}, c.res.Findings[at:]...)...)
		return
	}
	if exit.Outcome == OutcomeUndetermined {
		// A harmless finaliser lets a main that stopped early exit 0.
		fd.Possible = append(fd.Possible, OutcomeExitsEarly)
		for _, o := range exit.Possible {
			if !slices.Contains(fd.Possible, o) {
				fd.Possible = append(fd.Possible, o)
			}
		}
		when := ", at exit: "
		if exit.Stage != StageExit {
			when = ", at a lazily bound call: "
		}
		fd.Evidence = append(fd.Evidence, past+when+exit.Summary)
	} else {
		fd.Possible = append(fd.Possible, OutcomeExitCrash)
		fd.Evidence = append(fd.Evidence, past+", the program crashes at exit: "+exit.Summary)
	}
	c.res.Findings = append(c.res.Findings[:at], append([]Finding{fd}, c.res.Findings[at:]...)...)
}
