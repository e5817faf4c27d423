package report

import (
	"fmt"
	"html"
	"math"
	"sort"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// addressMap draws the PT_LOAD segments of the pristine copy and of the
// local one side by side on one address scale: file-backed bytes solid,
// zero-fill hatched, pages two segments both map outlined in red, and
// .dynamic marked, in red when it lands in a read-only page (ld.so writes
// DT_DEBUG there and crashes). Addresses are spaced by the logarithm of
// the gaps between them, so a 4 KiB segment beside a 60 MiB one is still
// visible. pristine may be nil.
func addressMap(pristine, local *inspect.Summary) string {
	cols := []*inspect.Summary{local}
	names := []string{"this copy"}
	if pristine != nil {
		cols = []*inspect.Summary{pristine, local}
		names = []string{"pristine", "this copy"}
	}
	var bounds []uint64
	for _, s := range cols {
		for _, g := range loads(s) {
			bounds = append(bounds, uint64(g.Vaddr), uint64(g.Vaddr)+g.Filesz, uint64(g.Vaddr)+g.Memsz)
		}
	}
	if len(bounds) == 0 {
		return ""
	}
	// An unmapped pointer gets a place on the scale too, so that its mark
	// stands where it points instead of at an edge.
	for _, s := range cols {
		for _, m := range pointerMarks(s) {
			bounds = append(bounds, m.addr)
		}
	}
	if len(bounds) == 0 {
		return ""
	}
	sort.Slice(bounds, func(i, j int) bool { return bounds[i] < bounds[j] })
	uniq := bounds[:1]
	for _, v := range bounds[1:] {
		if v != uniq[len(uniq)-1] {
			uniq = append(uniq, v)
		}
	}
	// gap holds the labels of the pointer marks beside each column; two
	// columns and the axis fit a 1280-pixel window.
	const top, left, colW, gap = 40.0, 110.0, 260.0, 170.0
	ys := make([]float64, len(uniq))
	ys[0] = top
	for i := 1; i < len(uniq); i++ {
		span := float64(uniq[i] - uniq[i-1])
		h := 12 + 7*math.Log2(1+span/4096)
		ys[i] = ys[i-1] + math.Min(math.Max(h, 10), 90)
	}
	y := func(a uint64) float64 {
		i := sort.Search(len(uniq), func(i int) bool { return uniq[i] >= a })
		switch {
		case i == len(uniq):
			return ys[len(ys)-1]
		case uniq[i] == a || i == 0:
			return ys[i]
		}
		f := float64(a-uniq[i-1]) / float64(uniq[i]-uniq[i-1])
		return ys[i-1] + f*(ys[i]-ys[i-1])
	}
	height := ys[len(ys)-1] + 90
	width := left + float64(len(cols))*(colW+gap) + 10

	var b strings.Builder
	fmt.Fprintf(&b, `<figure><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="address space map" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f">`+"\n", width, height, width, height)
	b.WriteString(`<title>PT_LOAD segments in the loader's view</title>` + "\n")
	b.WriteString(`<defs><pattern id="zerofill" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#9aa4b2" stroke-width="2"/></pattern></defs>` + "\n")
	last := -100.0
	for i, a := range uniq {
		if ys[i]-last < 12 {
			continue
		}
		last = ys[i]
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end" fill="#57606a">0x%x</text>`+"\n", left-8, ys[i]+4, a)
		fmt.Fprintf(&b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#eaeef2"/>`+"\n", left-4, ys[i], width-10, ys[i])
	}
	for c, s := range cols {
		x := left + float64(c)*(colW+gap)
		fmt.Fprintf(&b, `<text class="column" x="%.0f" y="24" font-weight="bold">%s</text>`+"\n", x, html.EscapeString(names[c]))
		for _, g := range loads(s) {
			v := uint64(g.Vaddr)
			label := fmt.Sprintf("#%d %s: %s file", g.Index, g.Flags, inspect.HumanSize(g.Filesz))
			if g.ZeroFill > 0 {
				label += " + " + inspect.HumanSize(g.ZeroFill) + " zero-fill"
			}
			y0, y1, y2 := y(v), y(v+g.Filesz), y(v+g.Memsz)
			fmt.Fprintf(&b, `<g class="segment"><title>%s, vaddr 0x%x–0x%x</title>`, html.EscapeString(label), v, v+g.Memsz)
			if y1 > y0 {
				fmt.Fprintf(&b, `<rect class="file" x="%.0f" y="%.1f" width="%.0f" height="%.1f" fill="%s" stroke="#57606a"/>`, x, y0, colW, y1-y0, permColor(g.Flags))
			}
			if y2 > y1 {
				fmt.Fprintf(&b, `<rect class="zerofill" x="%.0f" y="%.1f" width="%.0f" height="%.1f" fill="url(#zerofill)" stroke="#57606a"/>`, x, y1, colW, y2-y1)
			}
			if y2-y0 >= 12 {
				fmt.Fprintf(&b, `<text x="%.0f" y="%.1f">%s</text>`, x+5, y0+12, html.EscapeString(label))
			}
			b.WriteString("</g>\n")
		}
		for _, o := range s.Overlaps {
			fmt.Fprintf(&b, `<rect class="overlap" x="%.0f" y="%.1f" width="%.0f" height="%.1f" fill="#d1242f" fill-opacity="0.25" stroke="#d1242f" stroke-width="2"><title>pages 0x%x–0x%x mapped by program headers %d and %d; the later wins (%s)</title></rect>`+"\n",
				x, y(uint64(o.Start)), colW, math.Max(y(uint64(o.End))-y(uint64(o.Start)), 3), uint64(o.Start), uint64(o.End), o.Earlier, o.Later, html.EscapeString(o.LaterPerm))
		}
		if s.Dynamic != nil {
			a := uint64(s.Dynamic.Addr)
			ro := !writable(s, a)
			color, what := "#0969da", ".dynamic"
			if ro {
				color, what = "#d1242f", ".dynamic in a read-only page: ld.so's DT_DEBUG write faults"
			}
			cls := "dynamic"
			if ro {
				cls = "dynamic readonly"
			}
			// The label goes inside the column, right-aligned, so it
			// never runs into the next column or off the picture.
			fmt.Fprintf(&b, `<g class="%s"><title>%s at 0x%x</title><rect x="%.0f" y="%.1f" width="%.0f" height="4" fill="%s"/><text x="%.0f" y="%.1f" text-anchor="end" fill="%s" font-weight="bold">%s 0x%x</text></g>`+"\n",
				cls, html.EscapeString(what), a, x, y(a)-2, colW, color, x+colW-4, y(a)-4, color, html.EscapeString(shortDyn(ro)), a)
		}
		drawPointerMarks(&b, s, x+colW, y)
	}
	ly := height - 50
	fmt.Fprintf(&b, `<g class="legend"><rect x="%.0f" y="%.0f" width="14" height="10" fill="%s" stroke="#57606a"/><text x="%.0f" y="%.0f">file-backed (R, RX, RW)</text>`, left, ly, permColor("R"), left+20, ly+9)
	fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="14" height="10" fill="url(#zerofill)" stroke="#57606a"/><text x="%.0f" y="%.0f">zero-fill (MemSiz beyond FileSiz)</text>`, left+190, ly, left+210, ly+9)
	fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="14" height="10" fill="#d1242f" fill-opacity="0.25" stroke="#d1242f"/><text x="%.0f" y="%.0f">overlapping mappings</text>`, left, ly+18, left+20, ly+27)
	fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="14" height="4" fill="%s"/><text x="%.0f" y="%.0f">a pointer ld.so follows</text>`, left+190, ly+21, markColor, left+210, ly+27)
	fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="14" height="4" fill="%s"/><text x="%.0f" y="%.0f">a pointer into nothing or into the wrong table</text></g>`+"\n", left+400, ly+21, badMarkColor, left+420, ly+27)
	b.WriteString("</svg>\n<figcaption>PT_LOAD segments in the loader's view, addresses spaced logarithmically.</figcaption></figure>\n")
	return b.String()
}

func shortDyn(readonly bool) string {
	if readonly {
		return ".dynamic READ-ONLY"
	}
	return ".dynamic"
}

func loads(s *inspect.Summary) []inspect.Segment {
	if s == nil {
		return nil
	}
	var out []inspect.Segment
	for _, g := range s.Segments {
		if g.Type == "LOAD" && g.Memsz > 0 {
			out = append(out, g)
		}
	}
	return out
}

// writable reports whether the page holding a is writable, judged by the
// last PT_LOAD that maps it, as the kernel's later mapping wins.
func writable(s *inspect.Summary, a uint64) bool {
	w := false
	for _, g := range loads(s) {
		start := uint64(g.Vaddr) &^ 0xfff
		end := (uint64(g.Vaddr) + g.Memsz + 0xfff) &^ 0xfff
		if a >= start && a < end {
			w = strings.Contains(g.Flags, "W")
		}
	}
	return w
}

func permColor(flags string) string {
	switch {
	case strings.Contains(flags, "X"):
		return "#ffd8a8"
	case strings.Contains(flags, "W"):
		return "#c3f0c8"
	}
	return "#cfe3ff"
}

// Colours of the pointer marks. badMarkColor is used for nothing else on
// the page, so a test can find a bad mark in a screenshot.
const (
	markColor    = "#6e7781"
	badMarkColor = "#e5101f"
)

// pointerMark is an address ld.so follows from the dynamic table, or the
// DT_DEBUG slot it writes, with why it is drawn red, if it is.
type pointerMark struct {
	label string
	addr  uint64
	bad   string // empty when the mark is not red
	title string
}

// pointerMarks lists what ld.so follows from the dynamic table: every
// pointer tag (DT_STRTAB, DT_SYMTAB, the hash tables, DT_VERSYM,
// DT_VERNEED, DT_VERDEF, the relocation tables, ...) at the address it
// holds, and the DT_DEBUG slot, which ld.so writes. A mark is red when the
// address is mapped by no PT_LOAD, when it lands in another table than
// the section headers put there (the stale pointer a rewrite leaves), or,
// for DT_DEBUG, when the slot is in a read-only page.
func pointerMarks(s *inspect.Summary) []pointerMark {
	if s == nil || s.Dynamic == nil {
		return nil
	}
	var out []pointerMark
	for _, p := range s.Dynamic.Pointers {
		m := pointerMark{label: p.Tag, addr: uint64(p.Addr)}
		where := "mapped " + p.Backing
		if p.Section != "" {
			where += ", in " + p.Section
		}
		misplaced, homes := s.Misplaced(p)
		switch {
		case p.Backing == "unmapped":
			m.bad = "no PT_LOAD maps it: ld.so reads unmapped memory"
		case misplaced:
			in := "no section"
			if p.Section != "" {
				in = p.Section
			}
			m.bad = fmt.Sprintf("it lands in %s, not in %s where the section headers put the table: a stale pointer", in, strings.Join(homes, " or "))
		}
		m.title = fmt.Sprintf("%s = 0x%x (%s)", p.Tag, m.addr, where)
		if m.bad != "" {
			m.title += ": " + m.bad
		}
		out = append(out, m)
	}
	ent := uint64(16)
	if s.Class == "ELF32" {
		ent = 8
	}
	for i, e := range s.Dynamic.Entries {
		if e.Tag != "DT_DEBUG" {
			continue
		}
		a := uint64(s.Dynamic.Addr) + uint64(i)*ent
		m := pointerMark{label: "DT_DEBUG slot", addr: a, title: fmt.Sprintf("the DT_DEBUG slot of .dynamic at 0x%x, which ld.so writes", a)}
		if !writable(s, a) {
			m.bad = "the page is read-only: ld.so's write faults"
			m.title += ": " + m.bad
		}
		out = append(out, m)
	}
	return out
}

// drawPointerMarks draws each mark as a tick on the column's right edge at
// its address, with its label in the gap beside the column; labels that
// would overlap are pushed down and joined to their tick by a line.
func drawPointerMarks(b *strings.Builder, s *inspect.Summary, edge float64, y func(uint64) float64) {
	marks := pointerMarks(s)
	sort.SliceStable(marks, func(i, j int) bool { return marks[i].addr < marks[j].addr })
	next := -1e9
	for _, m := range marks {
		ty := y(m.addr)
		ly := math.Max(ty, next)
		next = ly + 12
		color, cls := markColor, "pointer"
		if m.bad != "" {
			color, cls = badMarkColor, "pointer bad"
		}
		fmt.Fprintf(b, `<g class="%s"><title>%s</title><rect x="%.0f" y="%.1f" width="40" height="4" fill="%s"/><line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="%s"/><text x="%.0f" y="%.1f" fill="%s">%s</text></g>`+"\n",
			cls, html.EscapeString(m.title), edge-40, ty-2, color, edge, ty, edge+8, ly, color, edge+10, ly+4, color, html.EscapeString(m.label))
	}
}
