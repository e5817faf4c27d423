package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/internal/shellquote"
)

// A program header row lists at most maxSegSections section names, and no
// more characters of them than leave the table within textWidth columns
// (but at least minSegChars), before it says "+N".
const (
	textWidth      = 120
	maxSegSections = 4
	minSegChars    = 20
)

// inspectDoc describes the inspect report: identity and verdict, problems,
// the loader's view (program headers, overlaps, dynamic table, versions),
// notes, optionally sections, and what to do next.
func inspectDoc(d doc, s *inspect.Summary, o Options) {
	d.literals(s.Path)
	if s.Interp != "" {
		d.literals(s.Interp)
	}
	d.title(code(s.Path) + ": " + describe(s))
	d.kv(identity(s))

	if len(s.Problems) > 0 {
		d.heading("Problems")
		d.para("These structures are malformed; the loader reads them and may crash or refuse the file:", false)
		var items []string
		for _, p := range s.Problems {
			items = append(items, clean(p.Message))
		}
		d.list(items, true)
	}
	if len(s.RewriteSigns) > 0 {
		d.heading("Signs of rewriting")
		d.para("The file was changed after the linker wrote it, as patchelf and similar tools do:", false)
		var items []string
		for _, sg := range s.RewriteSigns {
			items = append(items, clean(sg))
		}
		d.list(items, false)
	}

	d.heading("Program headers")
	if len(s.Segments) == 0 {
		d.para("None: the loader has nothing to map.", false)
	} else {
		d.table(segmentTable(s.Segments))
	}

	if len(s.Overlaps) > 0 {
		d.heading("Overlapping mappings")
		d.para("These pages are mapped by two PT_LOADs. The kernel maps them in order and the later mapping replaces the earlier one's pages (later wins).", false)
		d.table(overlapTable(s.Overlaps))
		if s.OverlapCount > uint64(len(s.Overlaps)) {
			d.para(fmt.Sprintf("%d more overlapping pairs are not listed (%d in all).", s.OverlapCount-uint64(len(s.Overlaps)), s.OverlapCount), false)
		}
	}

	dynamicBlock(d, s.Dynamic)
	versionBlocks(d, s.Versions)

	if len(s.Notes) > 0 {
		d.heading("Notes")
		t := table{header: []string{"OWNER", "KIND", "VALUE"}}
		for _, n := range s.Notes {
			t.rows = append(t.rows, tableRow{cells: []string{clean(n.Owner), clean(n.Kind), clean(n.Value)}})
		}
		d.table(t)
	}

	if o.Sections {
		d.heading("Sections")
		if len(s.Sections) == 0 {
			d.para("No section headers (the loader does not need them).", false)
		} else {
			d.table(sectionTable(s.Sections))
		}
	}

	d.next(inspectNext(s))
}

// describe is the one-line identity: "ELF64 little-endian X86_64, DYN (...)".
func describe(s *inspect.Summary) string {
	out := fmt.Sprintf("%s %s-endian %s, %s", s.Class, s.Endian, s.Machine, s.Type)
	if s.OSABI != "" && s.OSABI != "NONE" {
		out += ", OS/ABI " + s.OSABI
	}
	return clean(out)
}

func identity(s *inspect.Summary) [][2]string {
	interp := "(none)"
	switch {
	case s.HasInterp:
		interp = code(s.Interp)
	case s.Dynamic != nil && strings.HasPrefix(s.Type, "DYN (shared"):
		interp = "(none: a shared library, loaded by another program's loader)"
	case s.Dynamic != nil:
		interp = "(none: self-relocating static executable)"
	case len(s.Segments) > 0:
		interp = "(none: static executable, the kernel jumps straight to the entry point)"
	}
	buildID := "(none)"
	if s.BuildID != "" {
		buildID = code(s.BuildID)
	}
	kv := [][2]string{
		{"interpreter", interp},
		{"entry", code(s.Entry.String())},
		{"build-id", buildID},
		{"size", size(uint64(s.Size))},
	}
	if fp := s.Runtime; fp != nil {
		for i := range fp.Runtimes {
			r := &fp.Runtimes[i]
			line := clean(RuntimeLine(r))
			switch p := r.Payload; {
			case p == nil:
			case p.Reachable:
				line += clean(", payload reachable (" + p.Format + ")")
			default:
				line += clean(", payload NOT reachable (" + p.Format + ")")
			}
			kv = append(kv, [2]string{"runtime", line})
		}
		if tc := toolchainLine(fp.Toolchain); tc != "" {
			kv = append(kv, [2]string{"toolchain", clean(tc)})
		}
	}
	return append(kv, [2]string{"status", status(s)})
}

// toolchainLine names the compilers and linkers in one line, each once.
func toolchainLine(tools []inspect.Tool) string {
	var parts []string
	seen := map[string]bool{}
	for _, t := range tools {
		s := strings.TrimSpace(t.Name + " " + t.Version)
		if t.Source != ".comment" || seen[s] {
			continue
		}
		seen[s] = true
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

func status(s *inspect.Summary) string {
	var parts []string
	if n := len(s.Problems); n > 0 {
		parts = append(parts, plural(n, "problem", "problems")+" found")
	}
	if n := len(s.RewriteSigns); n > 0 {
		parts = append(parts, plural(n, "sign", "signs")+" of rewriting after linking")
	}
	if len(parts) == 0 {
		return "no problems found, no signs of rewriting"
	}
	return strings.Join(parts, "; ")
}

func sizeOrDash(n uint64) string {
	if n == 0 {
		return "-"
	}
	return size(n)
}

// sectionList names the sections of a segment, at most maxSegSections
// names in at most budget characters (always at least one name), then
// "+N" for the rest.
func sectionList(names []string, budget int) string {
	var parts []string
	width := 0
	for i, n := range names {
		n = clean(n)
		more := fmt.Sprintf(" +%d", len(names)-i)
		if i == len(names)-1 {
			more = ""
		}
		if i > 0 && (i == maxSegSections || width+len(n)+len(more) > budget) {
			break
		}
		width += len(n) + 1
		parts = append(parts, code(n))
	}
	out := strings.Join(parts, " ")
	if len(parts) < len(names) {
		out += fmt.Sprintf(" +%d", len(names)-len(parts))
	}
	return out
}

func segmentTable(segs []inspect.Segment) table {
	t := table{header: []string{"#", "TYPE", "FLAGS", "OFFSET", "VADDR", "FILESIZ", "MEMSIZ", "ZERO-FILL", "ALIGN", "SECTIONS"}}
	for _, sg := range segs {
		t.rows = append(t.rows, tableRow{cells: []string{
			strconv.Itoa(sg.Index), clean(sg.Type), clean(sg.Flags), code(sg.Offset.String()), code(sg.Vaddr.String()),
			size(sg.Filesz), size(sg.Memsz), sizeOrDash(sg.ZeroFill), code(hexOf(sg.Align)),
		}})
	}
	budget := max(minSegChars, textWidth-textTableWidth(t))
	for i, sg := range segs {
		t.rows[i].cells = append(t.rows[i].cells, sectionList(sg.Sections, budget))
	}
	return t
}

// textTableWidth is how wide textDoc draws the columns t has so far,
// including the indent and the gap before a further column.
func textTableWidth(t table) int {
	widths := make([]int, len(t.header))
	for i, h := range t.header {
		widths[i] = utf8.RuneCountInString(plainText(h))
	}
	for _, r := range t.rows {
		for i, c := range r.cells {
			if i < len(widths) {
				widths[i] = max(widths[i], utf8.RuneCountInString(plainText(c)))
			}
		}
	}
	total := 2
	for _, w := range widths[:min(len(widths), len(t.rows[0].cells))] {
		total += w + 2
	}
	return total
}

func overlapTable(ovs []inspect.SegOverlap) table {
	t := table{header: []string{"PAGES", "EARLIER", "LATER", "RESULT"}}
	for _, o := range ovs {
		t.rows = append(t.rows, tableRow{cells: []string{
			code(o.Start.String()) + "-" + code(o.End.String()) + " (" + inspect.HumanSize(uint64(o.End-o.Start)) + ")",
			fmt.Sprintf("program header %d (%s)", o.Earlier, clean(o.EarlierPerm)),
			fmt.Sprintf("program header %d (%s)", o.Later, clean(o.LaterPerm)),
			fmt.Sprintf("mapped %s from program header %d", clean(o.LaterPerm), o.Later),
		}})
	}
	return t
}

func dynamicBlock(d doc, dyn *inspect.DynSummary) {
	d.heading("Dynamic")
	if dyn == nil {
		d.para("No dynamic table: ld.so is not involved in loading this file.", false)
		return
	}
	var rows [][2]string
	if len(dyn.Needed) == 0 {
		rows = append(rows, [2]string{"NEEDED", "(none)"})
	}
	for _, n := range dyn.Needed {
		rows = append(rows, [2]string{"NEEDED", code(n)})
	}
	rows = append(rows,
		[2]string{"SONAME", codeOr(dyn.Soname, "(none)")},
		[2]string{"RPATH", codeOr(strings.Join(dyn.Rpath, ":"), "(none)")},
		[2]string{"RUNPATH", codeOr(strings.Join(dyn.Runpath, ":"), "(none)")},
		[2]string{"FLAGS", clean(joinOr(dyn.Flags, " ", "(none)"))},
	)
	d.kv(rows)
	if len(dyn.Pointers) == 0 {
		return
	}
	d.heading("Dynamic-table pointers")
	d.para("Where the loader reads each table the dynamic section points to:", false)
	t := table{header: []string{"TAG", "ADDR", "SEGMENT", "BACKING", "FILE OFFSET", "SECTION"}}
	for _, p := range dyn.Pointers {
		t.rows = append(t.rows, tableRow{cells: []string{
			clean(p.Tag), code(p.Addr.String()), segmentOf(p), clean(p.Backing), offsetOf(p), codeOr(p.Section, ""),
		}})
	}
	d.table(t)
}

func codeOr(s, none string) string {
	if s == "" {
		return none
	}
	return code(s)
}

func segmentOf(p inspect.PointerSum) string {
	if p.Segment < 0 {
		return "-"
	}
	if p.Flags == "" {
		return strconv.Itoa(p.Segment)
	}
	return fmt.Sprintf("%d (%s)", p.Segment, clean(p.Flags))
}

func offsetOf(p inspect.PointerSum) string {
	if p.Offset == nil {
		return "-"
	}
	return code(p.Offset.String())
}

func versionBlocks(d doc, v *inspect.VerSummary) {
	if v == nil || (len(v.Need) == 0 && len(v.Def) == 0) {
		return
	}
	if len(v.Need) > 0 {
		d.heading("Version requirements")
		var items []string
		for _, n := range v.Need {
			var vs []string
			for _, a := range n.Versions {
				attrs := []string{strconv.Itoa(a.Index)}
				if a.Weak {
					attrs = append(attrs, "weak")
				}
				if a.Hidden {
					attrs = append(attrs, "hidden")
				}
				vs = append(vs, code(a.Name)+" ("+strings.Join(attrs, ", ")+")")
			}
			items = append(items, code(n.File)+": "+joinOr(vs, ", ", "(no versions)"))
		}
		d.list(items, false)
	}
	if len(v.Def) > 0 {
		d.heading("Version definitions")
		t := table{header: []string{"INDEX", "NAME", "PARENTS", "BASE"}}
		for _, df := range v.Def {
			var parents []string
			for _, p := range df.Parents {
				parents = append(parents, code(p))
			}
			base := ""
			if df.Base {
				base = "BASE"
			}
			t.rows = append(t.rows, tableRow{cells: []string{strconv.Itoa(df.Index), code(df.Name), strings.Join(parents, " "), base}})
		}
		d.table(t)
	}
	if v.Versyms > 0 {
		d.para(fmt.Sprintf("%s in the symbol version table (%s).", plural(int(v.Versyms), "entry", "entries"), code(".gnu.version")), false)
	}
}

func sectionTable(secs []inspect.SectionSummary) table {
	t := table{header: []string{"#", "NAME", "TYPE", "FLAGS", "ADDR", "OFFSET", "SIZE"}}
	for _, s := range secs {
		t.rows = append(t.rows, tableRow{cells: []string{
			strconv.Itoa(s.Index), code(s.Name), clean(s.Type), clean(s.Flags),
			code(s.Addr.String()), code(s.Offset.String()), size(s.Size),
		}})
	}
	return t
}

func inspectNext(s *inspect.Summary) []string {
	var out []string
	p := code(s.Path)
	if len(s.RewriteSigns) > 0 {
		out = append(out,
			"Compare with the pristine release to see what the rewrite changed: "+code(command("elfdoctor diff PRISTINE", argWord(s.Path)))+".",
			"Run the release unmodified instead of rewriting it: on NixOS through nix-ld ("+code("programs.nix-ld.enable = true")+
				"), or by invoking the loader directly: "+code(loaderCommand(s, nil, "PRISTINE"))+".")
	} else if len(s.Problems) > 0 {
		out = append(out, "The structures above are what ld.so reads; "+p+" is damaged or was rewritten badly. Get a fresh copy, or compare it with a known-good one: "+code(command("elfdoctor diff GOOD", argWord(s.Path)))+".")
	}
	return out
}

// loaderCommand is how to run file through a loader instead of rewriting
// it: the interpreter and search path of the rewritten copy when it has
// them (that is what the rewrite was for), else those of the original.
// file is a path, or a placeholder such as PRISTINE. The RPATH goes in as
// written, $ORIGIN included: quoted, the shell leaves it to ld.so.
func loaderCommand(modified, original *inspect.Summary, file string) string {
	loader, dirs := "LOADER", "DIRS"
	for _, s := range []*inspect.Summary{original, modified} {
		if s == nil {
			continue
		}
		if s.HasInterp && s.Interp != "" {
			loader = progWord(s.Interp)
		}
		if s.Dynamic != nil {
			if p := append(slices.Clone(s.Dynamic.Runpath), s.Dynamic.Rpath...); len(p) > 0 {
				dirs = shellquote.Word(strings.Join(p, ":"))
			}
		}
	}
	return command(loader, "--library-path", dirs, file)
}
