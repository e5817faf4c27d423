package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// missing fills the cells of the side of a diff that has no counterpart.
const missing = "—"

// diffDoc describes the diff report: verdict and headline, the changes in
// order of importance, the evidence (segments, dynamic-table pointers,
// moved sections), and what to do next.
func diffDoc(d doc, df *inspect.Diff) {
	d.literals(df.PathA, df.PathB)
	d.title("Verdict: " + clean(df.Verdict))
	d.para(clean(df.Headline), true)
	d.kv([][2]string{{"A", code(df.PathA)}, {"B", code(df.PathB)}})

	if len(df.Changes) > 0 {
		d.heading("Changes (most important first)")
		var items []string
		for _, c := range df.Changes {
			items = append(items, clean(c.Message))
		}
		d.list(items, false)
	}

	if df.Verdict != inspect.VerdictIdentical {
		if len(df.Segments) > 0 {
			d.heading("Segments")
			d.para("Program headers of A and B, paired by role; changed pairs are marked.", false)
			d.table(segDiffTable(df.Segments))
		}
		if len(df.Pointers) > 0 {
			d.heading("Dynamic-table pointers")
			d.para("Where the loader reads each table in A and in B; changed rows are marked.", false)
			d.table(ptrDiffTable(df.Pointers))
		}
		if len(df.Sections) > 0 {
			d.heading("Sections moved")
			d.table(secDiffTable(df.Sections))
		}
	}

	d.next(diffNext(df))
}

func segDiffTable(sds []inspect.SegDiff) table {
	t := table{header: []string{"ROLE", "SIDE", "#", "OFFSET", "VADDR", "FILESIZ", "MEMSIZ", "ZERO-FILL"}, marks: true}
	vals := func(s *inspect.Segment) []string {
		if s == nil {
			return []string{missing, missing, missing, missing, missing, missing}
		}
		return []string{strconv.Itoa(s.Index), code(s.Offset.String()), code(s.Vaddr.String()),
			size(s.Filesz), size(s.Memsz), sizeOrDash(s.ZeroFill)}
	}
	for _, sd := range sds {
		role := clean(sd.Role)
		va, vb := vals(sd.A), vals(sd.B)
		if !sd.Changed && sd.A != nil && sd.B != nil {
			cells := append([]string{role, "A, B"}, va...)
			if sd.A.Index != sd.B.Index {
				cells[2] = fmt.Sprintf("%d, %d", sd.A.Index, sd.B.Index)
			}
			t.rows = append(t.rows, tableRow{cells: cells})
			continue
		}
		ra := tableRow{cells: append([]string{role, "A"}, va...), changed: true}
		rb := tableRow{cells: append([]string{"", "B"}, vb...), changed: true}
		if sd.A != nil && sd.B != nil {
			// Both sides exist: highlight the values that differ, except
			// the program header index, which says nothing by itself.
			ra.hl, rb.hl = differing(ra.cells, rb.cells, 3), differing(ra.cells, rb.cells, 3)
		}
		t.rows = append(t.rows, ra, rb)
	}
	return t
}

// differing marks the cells from index from on that differ between a and b.
func differing(a, b []string, from int) []bool {
	hl := make([]bool, len(a))
	for i := from; i < len(a) && i < len(b); i++ {
		hl[i] = a[i] != b[i]
	}
	return hl
}

func ptrDiffTable(pds []inspect.PtrDiff) table {
	t := table{header: []string{"TAG", "A ADDR", "A SECTION", "A BACKING", "B ADDR", "B SECTION", "B BACKING"}, marks: true}
	side := func(p *inspect.PointerSum) []string {
		if p == nil {
			return []string{missing, missing, missing}
		}
		return []string{code(p.Addr.String()), codeOr(p.Section, "-"), clean(p.Backing)}
	}
	for _, pd := range pds {
		a, b := side(pd.A), side(pd.B)
		r := tableRow{cells: append(append([]string{clean(pd.Tag)}, a...), b...), changed: pd.Changed}
		if pd.A != nil && pd.B != nil {
			r.hl = append(append([]bool{true}, differing(a, b, 0)...), differing(a, b, 0)...)
		}
		t.rows = append(t.rows, r)
	}
	return t
}

func secDiffTable(sds []inspect.SecDiff) table {
	t := table{header: []string{"NAME", "A OFFSET", "A ADDR", "B OFFSET", "B ADDR"}}
	side := func(s *inspect.SectionSummary) []string {
		if s == nil {
			return []string{missing, missing}
		}
		return []string{code(s.Offset.String()), code(s.Addr.String())}
	}
	for _, sd := range sds {
		cells := append([]string{code(sd.Name)}, side(sd.A)...)
		t.rows = append(t.rows, tableRow{cells: append(cells, side(sd.B)...)})
	}
	return t
}

func diffNext(df *inspect.Diff) []string {
	switch df.Verdict {
	case inspect.VerdictIdentical:
		return nil
	case inspect.VerdictLocallyEdited:
		return modifiedNext(df)
	case inspect.VerdictLayoutChanged:
		return layoutNext(df)
	}
	return []string{fmt.Sprintf("The loader sees the same layout in both. If only one of them fails, compare the libraries and versions they need: %s and %s.",
		code(command("elfdoctor inspect", argWord(df.PathA))), code(command("elfdoctor inspect", argWord(df.PathB))))}
}

// modifiedNext suggests running the pristine file as it is. The modified
// side is the one with rewrite signs the other lacks (B unless only A has
// them, matching the headline).
func modifiedNext(df *inspect.Diff) []string {
	pristine, modified := df.PathA, df.PathB
	ps, ms := df.A, df.B
	if ps != nil && ms != nil && !hasNew(ms.RewriteSigns, ps.RewriteSigns) && hasNew(ps.RewriteSigns, ms.RewriteSigns) {
		pristine, modified = modified, pristine
		ps, ms = ms, ps
	}
	return []string{
		fmt.Sprintf("Run the pristine binary %s unmodified instead of the rewritten copy %s: the rewrite moved structures the loader reads.",
			code(pristine), code(modified)),
		fmt.Sprintf("On NixOS, enable nix-ld (%s) so the unmodified binary finds a loader, or exec the Nix loader directly, rather than patchelf: %s.",
			code("programs.nix-ld.enable = true"), code(loaderCommand(ms, ps, argWord(pristine)))),
	}
}

func hasNew(x, y []string) bool {
	for _, s := range x {
		if !slices.Contains(y, s) {
			return true
		}
	}
	return false
}

// layoutNext points at the zero-fill slack of the changed PT_LOADs: a
// rewriter that grows a segment into its zero-fill turns what the program
// expects to be zeroed memory into file bytes, or the reverse.
func layoutNext(df *inspect.Diff) []string {
	var slack []string
	for _, sd := range df.Segments {
		if !sd.Changed || sd.B == nil || sd.B.Type != "LOAD" {
			continue
		}
		z := "no zero-fill"
		if sd.B.ZeroFill > 0 {
			z = inspect.SizeString(sd.B.ZeroFill) + " of zero-fill"
		}
		slack = append(slack, fmt.Sprintf("%s (program header %d) has %s", clean(sd.Role), sd.B.Index, z))
	}
	var out []string
	if df.A != nil && df.B != nil && df.A.BuildID != "" && df.B.BuildID != "" && df.A.BuildID != df.B.BuildID {
		out = append(out, "A and B are different builds (their build-ids differ), so a different layout is expected; to find a local modification, compare "+
			code(df.PathB)+" with the release it came from.")
	}
	msg := "Before rewriting " + code(df.PathB) + ", check whether the changed segment still has zero-fill slack (ZERO-FILL in " +
		code(command("elfdoctor inspect", argWord(df.PathB))) + ")"
	if len(slack) > 0 {
		msg += ": in B, " + strings.Join(slack, "; ")
	}
	return append(out, msg+".")
}
