package coredump

import (
	"fmt"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// cutSegments returns the PT_LOAD segments whose bytes run past the end
// of the file, and the size the program headers say the file has: what a
// core cut short (a full disk, systemd-coredump's ProcessSizeMax, an
// interrupted copy) has lost.
func (c *Core) cutSegments() (cut []Load, want uint64) {
	for _, l := range c.Loads {
		end := l.Offset + l.Filesz
		if l.Filesz == 0 || end < l.Offset {
			continue
		}
		want = max(want, end)
		if end > uint64(c.size) {
			cut = append(cut, l)
		}
	}
	return cut, want
}

// maxCutListed bounds the segments a warning lists by address.
const maxCutListed = 4

// warnTruncated says what a truncated core lacks, once per analysis.
func (a *analyzer) warnTruncated() {
	cut, want := a.core.cutSegments()
	if len(cut) == 0 {
		return
	}
	var spans []string
	for i, l := range cut {
		if i == maxCutListed {
			spans = append(spans, fmt.Sprintf("and %d more", len(cut)-i))
			break
		}
		kept := uint64(0)
		if l.Offset < uint64(a.core.size) {
			kept = uint64(a.core.size) - l.Offset
		}
		s := fmt.Sprintf("%#x-%#x", l.Vaddr, l.Vaddr+l.Filesz)
		if kept > 0 {
			s += fmt.Sprintf(" (only its first %s)", inspect.HumanSize(kept))
		}
		spans = append(spans, s)
	}
	a.warn(fmt.Sprintf("the core is truncated: the file is %s but its program headers describe %s; %d of its %d memory segments are missing or cut short: %s. Memory there cannot be read, and frames and values that need it are missing.",
		inspect.HumanSize(uint64(a.core.size)), inspect.HumanSize(want), len(cut), len(a.core.Loads), strings.Join(spans, ", ")))
}

// warnCutFrames says which frames of a thread the truncation affects,
// after an unwind that needed memory the file no longer holds.
func (a *analyzer) warnCutFrames(pid int, frames []Frame) {
	last := "no frame"
	if n := len(frames); n > 0 {
		f := frames[n-1]
		name := f.Function
		if name == "" {
			name = fmt.Sprintf("%#x", f.PC)
		}
		last = fmt.Sprintf("frame #%d (%s)", n-1, name)
	}
	a.warn(fmt.Sprintf("thread %d: the unwind needed the stack at %#x, which is cut from the truncated core; the frames after %s are not known (%d shown)", pid, a.core.cutAddr, last, len(frames)))
}
