package report

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/elfdoctor/elfdoctor/coredump"
)

// Coredump writes the explanation of one core.
func Coredump(w io.Writer, a *coredump.Analysis, o Options) error {
	if a == nil {
		return errors.New("report: nil core analysis")
	}
	if o.Format == JSON {
		return writeJSON(w, "coredump", o.Version, a)
	}
	d, err := newDoc(o)
	if err != nil {
		return err
	}
	coredumpDoc(d, a)
	return d.flush(w)
}

// coredumpDoc is one screen: the verdict in a sentence, the evidence, the
// faulting thread's frames, the loader-view finding, the other threads in
// a line each, the modules, and what to do next.
func coredumpDoc(d doc, a *coredump.Analysis) {
	var lits []string
	for _, m := range a.Modules {
		lits = append(lits, m.Path)
	}
	d.literals(lits...)
	title := "Core: " + code(a.Process.Name)
	if a.SignalName != "" {
		title += " killed by " + a.SignalName
	}
	d.title(title)
	d.para(clean(a.Crash.Summary), true)
	kv := [][2]string{{"kind", clean(a.Crash.Kind)}}
	if a.Crash.Stage != "" {
		kv = append(kv, [2]string{"loader stage", clean(a.Crash.Stage)})
	}
	if a.Crash.Message != "" {
		kv = append(kv, [2]string{"message", code(a.Crash.Message)})
	}
	if si := a.Signal; si != nil && si.Sender != nil {
		// The sender is a fact of the signal, not of the crash: a
		// reader scanning the table must not miss that nothing faulted.
		kv = append(kv, [2]string{"sent by", clean(fmt.Sprintf("pid %d (uid %d), %s", si.Sender.Pid, si.Sender.Uid, a.CodeName))})
	}
	if a.Process.Args != "" {
		kv = append(kv, [2]string{"command", code(a.Process.Args)})
	}
	if a.Machine != "" {
		kv = append(kv, [2]string{"machine", clean(a.Machine)},
			[2]string{"entry", fmt.Sprintf("%#x (AT_ENTRY)", a.Auxv.Entry)})
	}
	if a.Auxv.Base != 0 {
		kv = append(kv, [2]string{"ld.so at", fmt.Sprintf("%#x (AT_BASE)", a.Auxv.Base)})
	}
	d.kv(kv)

	if j := a.Journal; j != nil {
		d.heading("What systemd-coredump recorded")
		d.kv(journalKV(j))
	}
	if len(a.Crash.Evidence) > 0 {
		d.heading("Evidence")
		var items []string
		for _, e := range a.Crash.Evidence {
			items = append(items, clean(e))
		}
		d.list(items, false)
	}
	if len(a.Threads) > 0 {
		head := "Faulting thread %d"
		if a.Crash.Kind == coredump.KindKilled || a.Crash.Kind == coredump.KindSelfSignal {
			head = "Thread %d, which received the signal" // nothing faulted
		}
		d.heading(fmt.Sprintf(head, a.Threads[0].Pid))
		d.table(framesTable(a.Threads[0].Frames))
	}
	if c := a.Check; c != nil {
		d.heading("What elfdoctor check finds in the executable")
		d.para(clean(c.Summary), false)
		var items []string
		for _, e := range c.Evidence {
			items = append(items, clean(e))
		}
		d.list(items, false)
	}
	if len(a.Threads) > 1 {
		d.heading("Other threads")
		var items []string
		for _, t := range a.Threads[1:] {
			s := fmt.Sprintf("thread %d: no frames", t.Pid)
			if len(t.Frames) > 0 {
				s = fmt.Sprintf("thread %d in %s", t.Pid, frameName(t.Frames[0]))
			}
			items = append(items, clean(s))
		}
		d.list(items, false)
	}
	if len(a.Modules) > 0 {
		d.heading(modulesHeading(a.Modules))
		d.table(modulesTable(a.Modules))
	}
	if len(a.Warnings) > 0 {
		d.heading("Warnings")
		var items []string
		for _, w := range a.Warnings {
			items = append(items, clean(w))
		}
		d.list(items, true)
	}
	var next []string
	if a.Crash.Next != "" {
		next = append(next, clean(a.Crash.Next))
	}
	if a.Check != nil && a.Check.Next != "" {
		next = append(next, clean(upperFirst(a.Check.Next))+".")
	}
	d.next(next)
}

// journalKV is the journal entry: who crashed, when, and where the core is.
func journalKV(j *coredump.JournalEntry) [][2]string {
	kv := [][2]string{{"process", clean(fmt.Sprintf("PID %d (%s), uid %d, gid %d", j.PID, j.Comm, j.UID, j.GID))}}
	if j.SignalName != "" {
		kv = append(kv, [2]string{"signal", clean(fmt.Sprintf("%s (%d)", j.SignalName, j.Signal))})
	}
	if !j.Time.IsZero() {
		kv = append(kv, [2]string{"time", clean(j.Time.Format("2006-01-02 15:04:05 MST"))})
	}
	if j.Exe != "" {
		exe := code(j.Exe)
		if m := j.Mapped; m != nil {
			exe += clean(fmt.Sprintf(" (device %s, inode %d", m.Dev, m.Inode))
			if m.Deleted {
				exe += clean(", deleted while running")
			}
			exe += ")"
		}
		kv = append(kv, [2]string{"executable", exe})
	}
	if j.Cmdline != "" {
		kv = append(kv, [2]string{"command line", code(j.Cmdline)})
	}
	if j.Unit != "" {
		kv = append(kv, [2]string{"unit", code(j.Unit)})
	}
	if j.Package != "" {
		kv = append(kv, [2]string{"package", clean(j.Package)})
	}
	if j.Hostname != "" {
		kv = append(kv, [2]string{"host", clean(j.Hostname)})
	}
	core := "not kept"
	switch j.Storage {
	case coredump.StorageFile:
		core = code(j.CoreFile)
	case coredump.StorageJournal:
		core = clean("inside the journal entry (taken out with coredumpctl dump)")
	case coredump.StorageMissing:
		core = code(j.CoreFile) + clean(" (gone)")
	}
	if j.Truncated {
		core += clean(" (truncated: bigger than ProcessSizeMax)")
	}
	return append(kv, [2]string{"core", core})
}

func modulesTable(mods []*coredump.Module) table {
	t := table{header: []string{"START", "END", "FILE", "ROLE", "NAMES FROM"}}
	for _, m := range mods {
		role := ""
		switch {
		case m.Executable:
			role = "executable"
		case m.Loader:
			role = "ld.so"
		case m.Data:
			role = "data"
		}
		names := "-"
		if len(m.Symbols) > 0 {
			names = clean(strings.Join(m.Symbols, ", "))
		}
		if m.Err != "" {
			names = clean("unreadable: " + m.Err)
		}
		t.rows = append(t.rows, tableRow{cells: []string{fmt.Sprintf("%#x", m.Start), fmt.Sprintf("%#x", m.End), code(m.Path), role, names},
			changed: m.Mismatch != "" || m.Err != ""})
	}
	return t
}

func framesTable(fs []coredump.Frame) table {
	t := table{header: []string{"#", "PC", "FUNCTION", "MODULE", "FOUND BY"}}
	lines := false
	for _, f := range fs {
		lines = lines || f.File != ""
	}
	if lines {
		t.header = append(t.header, "SOURCE")
	}
	for i, f := range fs {
		cells := []string{fmt.Sprint(i), fmt.Sprintf("%#x", f.PC), code(frameName(f)), codeOr(baseOf(f.Module), "-"), clean(f.Method)}
		if lines {
			src := "-"
			if f.File != "" {
				src = code(fmt.Sprintf("%s:%d", baseOf(f.File), f.Line))
			}
			cells = append(cells, src)
		}
		t.rows = append(t.rows, tableRow{cells: cells, changed: f.Method == coredump.ByStackScan})
	}
	return t
}

func frameName(f coredump.Frame) string {
	name := f.Function
	if f.Clone != "" {
		name += " [clone " + f.Clone + "]"
	}
	switch {
	case f.Function == "":
		return "??"
	case f.SignalFrame:
		return f.Function
	case f.Inlined:
		return name + " (inlined)"
	case f.TailCall:
		return name + " (tail call)"
	}
	return fmt.Sprintf("%s+%#x", name, f.Offset)
}

func baseOf(p string) string {
	if p == "" {
		return ""
	}
	return filepath.Base(p)
}

// modulesHeading says where the module list came from: a core without
// NT_FILE (qemu-user's) has its libraries from the loader's link map.
func modulesHeading(ms []*coredump.Module) string {
	for _, m := range ms {
		for _, s := range m.Symbols {
			if strings.Contains(s, "link map") {
				return "Modules (from the auxiliary vector and the loader's link map: the core has no NT_FILE)"
			}
		}
	}
	return "Modules (from NT_FILE and the auxiliary vector)"
}
