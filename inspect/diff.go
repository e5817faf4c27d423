package inspect

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Verdicts of a Diff, from least to most alarming.
const (
	VerdictIdentical     = "identical"
	VerdictSameLayout    = "same layout"
	VerdictLayoutChanged = "layout changed"
	VerdictLocallyEdited = "looks locally modified"
)

// Diff is what changed between two files, most important first.
type Diff struct {
	A, B    *Summary `json:"-"`
	PathA   string   `json:"a"`
	PathB   string   `json:"b"`
	Verdict string   `json:"verdict"`
	// Headline says the verdict in a sentence.
	Headline string    `json:"headline"`
	Changes  []Change  `json:"changes"`
	Segments []SegDiff `json:"segments"`
	Pointers []PtrDiff `json:"pointers"`
	Sections []SecDiff `json:"sections_moved"`
}

// Change is one difference in plain words.
type Change struct {
	Area    string `json:"area"` // interpreter, segments, dynamic, versions, pointers, sections, runtime, notes, file
	Message string `json:"message"`
	rank    int
}

// SegDiff pairs a segment of A with its counterpart in B (matched by role
// and contents, not index). A or B is nil for added or removed segments.
type SegDiff struct {
	Role    string   `json:"role"`
	A       *Segment `json:"a,omitempty"`
	B       *Segment `json:"b,omitempty"`
	Changed bool     `json:"changed"`
}

// PtrDiff shows where one dynamic-table pointer lands in A and in B.
type PtrDiff struct {
	Tag     string      `json:"tag"`
	A       *PointerSum `json:"a,omitempty"`
	B       *PointerSum `json:"b,omitempty"`
	Changed bool        `json:"changed"`
}

// SecDiff is a section whose address or file offset moved.
type SecDiff struct {
	Name string          `json:"name"`
	A    *SectionSummary `json:"a,omitempty"`
	B    *SectionSummary `json:"b,omitempty"`
}

// Different reports whether the files differ at all.
func (d *Diff) Different() bool { return d.Verdict != VerdictIdentical }

// Compare diffs two files. pathA and pathB are used in messages.
func Compare(a, b *File, pathA, pathB string) (*Diff, error) {
	same, err := sameBytes(a, b)
	if err != nil {
		return nil, err
	}
	return CompareKnowing(Summarize(a, pathA), Summarize(b, pathB), same), nil
}

// CompareKnowing diffs two summaries whose files are already known to be
// byte-identical or not (by a hash, say), without reading them again.
func CompareKnowing(a, b *Summary, same bool) *Diff {
	d := CompareSummaries(a, b)
	if same {
		d.Verdict = VerdictIdentical
		d.Headline = "The files are identical, byte for byte."
		d.Changes = nil
	} else if len(d.Changes) == 0 {
		d.Changes = append(d.Changes, Change{Area: "file", Message: fmt.Sprintf("contents differ (sizes %s and %s) but no header, segment, dynamic entry or version table does", SizeString(uint64(a.Size)), SizeString(uint64(b.Size)))})
	}
	return d
}

// sameBytes compares the two files in 1 MiB pieces, stopping at the first
// difference; files with different sizes are not read at all.
func sameBytes(a, b *File) (bool, error) {
	if a.size != b.size {
		return false, nil
	}
	const chunk = 1 << 20
	ba, bb := make([]byte, chunk), make([]byte, chunk)
	for off := int64(0); off < a.size; off += chunk {
		n := min(chunk, a.size-off)
		if _, err := a.r.ReadAt(ba[:n], off); err != nil && err != io.EOF {
			return false, fmt.Errorf("read at 0x%x: %w", off, err)
		}
		if _, err := b.r.ReadAt(bb[:n], off); err != nil && err != io.EOF {
			return false, fmt.Errorf("read at 0x%x: %w", off, err)
		}
		if !bytes.Equal(ba[:n], bb[:n]) {
			return false, nil
		}
	}
	return true, nil
}

// Ranks order changes: what explains a loader crash first.
const (
	rankInterp = 10 + iota*10
	rankPayload
	rankHeader
	rankSegAddRemove
	rankZeroFill
	rankSegFlags
	rankSegSize
	rankSearchPath
	rankNeeded
	rankVersions
	rankPointers
	rankSections
	rankNotes
)

// CompareSummaries diffs two summaries structurally. The verdict can only
// be "identical" when the caller has compared the bytes (see Compare).
func CompareSummaries(a, b *Summary) *Diff {
	d := &Diff{A: a, B: b, PathA: a.Path, PathB: b.Path, Changes: []Change{}, Segments: []SegDiff{}, Pointers: []PtrDiff{}, Sections: []SecDiff{}}
	add := func(rank int, area, format string, args ...any) {
		d.Changes = append(d.Changes, Change{Area: area, Message: fmt.Sprintf(format, args...), rank: rank})
	}

	// Interpreter.
	switch {
	case a.HasInterp && !b.HasInterp:
		add(rankInterp, "interpreter", "interpreter removed (was %s): B is a static executable or a shared library", a.Interp)
	case !a.HasInterp && b.HasInterp:
		add(rankInterp, "interpreter", "interpreter added: %s", b.Interp)
	case a.Interp != b.Interp:
		add(rankInterp, "interpreter", "interpreter %s → %s", a.Interp, b.Interp)
	}

	// Header fields a loader cares about.
	if a.Class != b.Class || a.Machine != b.Machine || a.Endian != b.Endian {
		add(rankHeader, "header", "different kind of file: %s %s %s → %s %s %s", a.Class, a.Endian, a.Machine, b.Class, b.Endian, b.Machine)
	}
	if a.Type != b.Type {
		add(rankHeader, "header", "type %s → %s", a.Type, b.Type)
	}
	if a.Entry != b.Entry {
		add(rankHeader, "header", "entry point %s → %s", a.Entry, b.Entry)
	}

	d.diffSegments(add)
	d.diffDynamic(add)
	d.diffVersions(add)
	d.diffPointers(add)
	d.diffSections(add)
	d.diffRuntime(add)

	if a.BuildID != b.BuildID {
		add(rankNotes, "notes", "build-id %s → %s: a different build", orNone(a.BuildID), orNone(b.BuildID))
	}

	sort.SliceStable(d.Changes, func(i, j int) bool { return d.Changes[i].rank < d.Changes[j].rank })
	d.decide()
	return d
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func (d *Diff) decide() {
	newSigns := newOnly(d.B.RewriteSigns, d.A.RewriteSigns)
	oldSigns := newOnly(d.A.RewriteSigns, d.B.RewriteSigns)
	layout := false
	for _, c := range d.Changes {
		if c.Area == "segments" || c.Area == "sections" || c.Area == "interpreter" {
			layout = true
		}
	}
	switch {
	case len(newSigns) > 0:
		d.Verdict = VerdictLocallyEdited
		d.Headline = fmt.Sprintf("%s looks locally modified (rewritten after linking, as patchelf does): %s.", d.PathB, newSigns[0])
	case len(oldSigns) > 0:
		d.Verdict = VerdictLocallyEdited
		d.Headline = fmt.Sprintf("%s looks locally modified (rewritten after linking, as patchelf does): %s.", d.PathA, oldSigns[0])
	case d.sameBuild() && len(d.Changes) > 0:
		// One build-id on both sides means one link: whatever differs
		// was done to the file afterwards, so the vendor is not to blame.
		d.Verdict = VerdictLocallyEdited
		if lost := strippedSections(d.A, d.B); len(lost) > 0 {
			d.Headline = fmt.Sprintf("%s looks locally modified (strip/objcopy): it has the build-id of %s but lacks %s, which strip and objcopy remove; %s.",
				d.PathB, d.PathA, listNames(lost, 4), d.Changes[0].Message)
		} else {
			d.Headline = fmt.Sprintf("%s looks locally modified: it has the build-id of %s, so it is the same build changed after linking; %s.", d.PathB, d.PathA, d.Changes[0].Message)
		}
	case layout:
		d.Verdict = VerdictLayoutChanged
		d.Headline = "The layout changed: " + d.Changes[0].Message + "."
	case len(d.Changes) > 0:
		d.Verdict = VerdictSameLayout
		d.Headline = "Same layout, different contents: " + d.Changes[0].Message + "."
	default:
		d.Verdict = VerdictSameLayout
		d.Headline = "Same layout; the bytes have not been compared."
	}
}

// newOnly returns the signs in x that are not in y.
func newOnly(x, y []string) []string {
	var out []string
	for _, s := range x {
		if !slices.Contains(y, s) {
			out = append(out, s)
		}
	}
	return out
}

func (d *Diff) diffSegments(add func(int, string, string, ...any)) {
	pairs := matchSegments(d.A.Segments, d.B.Segments)
	for _, p := range pairs {
		sd := SegDiff{A: p[0], B: p[1]}
		switch {
		case p[0] == nil:
			s := p[1]
			sd.Role, sd.Changed = baseRole(s), true
			add(rankSegAddRemove, "segments", "%s segment added (program header %d): offset %s, vaddr %s, FileSiz %s%s",
				baseRole(s), s.Index, s.Offset, s.Vaddr, SizeString(s.Filesz), holding(s))
		case p[1] == nil:
			s := p[0]
			sd.Role, sd.Changed = baseRole(s), true
			add(rankSegAddRemove, "segments", "%s segment removed (was program header %d): offset %s, vaddr %s, FileSiz %s%s",
				baseRole(s), s.Index, s.Offset, s.Vaddr, SizeString(s.Filesz), holding(s))
		default:
			sa, sb := p[0], p[1]
			sd.Role = baseRole(sa)
			sd.Changed = segChanged(sa, sb)
			diffSegment(sd.Role, sa, sb, add)
		}
		d.Segments = append(d.Segments, sd)
	}
}

func holding(s *Segment) string {
	if len(s.Sections) == 0 {
		return ""
	}
	names := s.Sections
	more := ""
	if len(names) > 6 {
		names, more = names[:6], fmt.Sprintf(" and %d more", len(s.Sections)-6)
	}
	return ", holding " + strings.Join(names, " ") + more
}

func baseRole(s *Segment) string {
	if s.Type == "LOAD" {
		return s.Flags + " LOAD"
	}
	return s.Type
}

func segChanged(a, b *Segment) bool {
	return a.Type != b.Type || a.Flags != b.Flags || a.Offset != b.Offset || a.Vaddr != b.Vaddr ||
		a.Filesz != b.Filesz || a.Memsz != b.Memsz || a.Align != b.Align
}

// zeroFillNoise is how much zero-fill may change between two builds before
// diff calls it a change of layout rather than of .bss size.
const zeroFillNoise = 64 << 10

func diffSegment(role string, a, b *Segment, add func(int, string, string, ...any)) {
	sizesSaid := false
	switch {
	case a.ZeroFill > 0 && b.ZeroFill == 0 && b.Memsz > 0:
		add(rankZeroFill, "segments", "%s: zero-fill gone: FileSiz %s → %s = MemSiz; the segment is now all on disk",
			role, SizeString(a.Filesz), SizeString(b.Filesz))
		sizesSaid = true
	case a.ZeroFill == 0 && b.ZeroFill > 0 && a.Memsz > 0:
		add(rankZeroFill, "segments", "%s: zero-fill appeared: FileSiz %s → %s, MemSiz %s; %s now comes from zero-fill instead of the file",
			role, SizeString(a.Filesz), SizeString(b.Filesz), SizeString(b.Memsz), HumanSize(b.ZeroFill))
		sizesSaid = true
	case a.ZeroFill+zeroFillNoise < b.ZeroFill:
		add(rankZeroFill, "segments", "%s: zero-fill grew from %s to %s: FileSiz %s → %s, MemSiz %s → %s; %s that was on disk now comes from zero-fill",
			role, HumanSize(a.ZeroFill), HumanSize(b.ZeroFill), SizeString(a.Filesz), SizeString(b.Filesz),
			SizeString(a.Memsz), SizeString(b.Memsz), HumanSize(b.ZeroFill-a.ZeroFill))
		sizesSaid = true
	case b.ZeroFill+zeroFillNoise < a.ZeroFill:
		add(rankZeroFill, "segments", "%s: zero-fill shrank from %s to %s: FileSiz %s → %s, MemSiz %s → %s; %s of it is now on disk",
			role, HumanSize(a.ZeroFill), HumanSize(b.ZeroFill), SizeString(a.Filesz), SizeString(b.Filesz),
			SizeString(a.Memsz), SizeString(b.Memsz), HumanSize(a.ZeroFill-b.ZeroFill))
		sizesSaid = true
	}
	// Everything else about the pair goes in one line, so a moved
	// segment reads as one change, not four.
	var parts []string
	rank := rankSegSize
	if a.Flags != b.Flags {
		parts = append(parts, fmt.Sprintf("permissions %s → %s", a.Flags, b.Flags))
		rank = rankSegFlags
	}
	if !sizesSaid && (a.Filesz != b.Filesz || a.Memsz != b.Memsz) {
		p := fmt.Sprintf("FileSiz %s → %s", SizeString(a.Filesz), SizeString(b.Filesz))
		if a.Memsz != a.Filesz || b.Memsz != b.Filesz || a.Memsz != b.Memsz && a.Filesz == b.Filesz {
			p += fmt.Sprintf(", MemSiz %s → %s", SizeString(a.Memsz), SizeString(b.Memsz))
		} else {
			p += " (= MemSiz)"
		}
		if a.ZeroFill != 0 || b.ZeroFill != 0 {
			p += fmt.Sprintf(", zero-fill %s → %s", HumanSize(a.ZeroFill), HumanSize(b.ZeroFill))
		}
		parts = append(parts, p)
	}
	if a.Offset != b.Offset {
		parts = append(parts, fmt.Sprintf("file offset %s → %s", a.Offset, b.Offset))
	}
	if a.Vaddr != b.Vaddr {
		parts = append(parts, fmt.Sprintf("vaddr %s → %s", a.Vaddr, b.Vaddr))
	}
	if a.Align != b.Align {
		parts = append(parts, fmt.Sprintf("alignment 0x%x → 0x%x", a.Align, b.Align))
	}
	if len(parts) > 0 {
		add(rank, "segments", "%s: %s", role, strings.Join(parts, "; "))
	}
}

// matchSegments pairs segments by type and permissions, and among
// several candidates by the sections they hold, so an inserted segment
// does not shift every later pair.
//
// Scoring every pair of a group costs the product of its sizes, so it is
// done while the sum of those products stays under maxCands; a group
// past that (a hostile file can have 65,535 program headers of one kind)
// is paired by order within the group, which costs its size. The whole
// match is O(n log n).
func matchSegments(as, bs []Segment) [][2]*Segment {
	key := func(s *Segment) string { return s.Type + "/" + s.Flags }
	rankA, rankB := groupRanks(as, key), groupRanks(bs, key)
	groupB := map[string][]int{}
	for j := range bs {
		k := key(&bs[j])
		groupB[k] = append(groupB[k], j)
	}
	var keys []string
	groupA := map[string][]int{}
	for i := range as {
		k := key(&as[i])
		if groupA[k] == nil {
			keys = append(keys, k)
		}
		groupA[k] = append(groupA[k], i)
	}
	usedB := make([]bool, len(bs))
	pairOf := make([]int, len(as))
	for i := range as {
		pairOf[i] = -1
	}
	type cand struct {
		i, j  int
		score float64
	}
	var cands []cand
	const maxCands = 1 << 14
	budget := maxCands
	for _, k := range keys {
		ga, gb := groupA[k], groupB[k]
		if len(ga)*len(gb) > budget {
			for r := range min(len(ga), len(gb)) {
				cands = append(cands, cand{ga[r], gb[r], 0})
			}
			continue
		}
		budget -= len(ga) * len(gb)
		for _, i := range ga {
			for _, j := range gb {
				cands = append(cands, cand{i, j, overlapScore(as[i].Sections, bs[j].Sections)})
			}
		}
	}
	sort.SliceStable(cands, func(x, y int) bool {
		if cands[x].score != cands[y].score {
			return cands[x].score > cands[y].score
		}
		// Same rank in its group is the better match.
		return abs(rankA[cands[x].i]-rankB[cands[x].j]) < abs(rankA[cands[y].i]-rankB[cands[y].j])
	})
	for _, c := range cands {
		if pairOf[c.i] == -1 && !usedB[c.j] {
			pairOf[c.i] = c.j
			usedB[c.j] = true
		}
	}
	var out [][2]*Segment
	for i := range as {
		if pairOf[i] >= 0 {
			out = append(out, [2]*Segment{&as[i], &bs[pairOf[i]]})
		} else {
			out = append(out, [2]*Segment{&as[i], nil})
		}
	}
	for j := range bs {
		if !usedB[j] {
			out = append(out, [2]*Segment{nil, &bs[j]})
		}
	}
	return out
}

// groupRanks gives each segment its position among those with its key.
func groupRanks(ss []Segment, key func(*Segment) string) []int {
	seen := map[string]int{}
	r := make([]int, len(ss))
	for i := range ss {
		k := key(&ss[i])
		r[i] = seen[k]
		seen[k]++
	}
	return r
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func overlapScore(a, b []string) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 0.5
	}
	// A set for the longer list keeps this linear: a hostile file can
	// put every section into every segment.
	if len(a) > len(b) {
		a, b = b, a
	}
	inB := make(map[string]bool, len(b))
	for _, x := range b {
		inB[x] = true
	}
	common := 0
	for _, x := range a {
		if inB[x] {
			common++
		}
	}
	return float64(common) / float64(len(a)+len(b)-common)
}

func (d *Diff) diffDynamic(add func(int, string, string, ...any)) {
	da, db := d.A.Dynamic, d.B.Dynamic
	if da == nil && db == nil {
		return
	}
	if da == nil || db == nil {
		add(rankNeeded, "dynamic", "dynamic table present in only one file (A: %t, B: %t)", da != nil, db != nil)
		return
	}
	path := func(p []string) string {
		if p == nil {
			return "(none)"
		}
		return strings.Join(p, ":")
	}
	if !slices.Equal(da.Rpath, db.Rpath) {
		add(rankSearchPath, "dynamic", "RPATH %s → %s", path(da.Rpath), path(db.Rpath))
	}
	if !slices.Equal(da.Runpath, db.Runpath) {
		add(rankSearchPath, "dynamic", "RUNPATH %s → %s", path(da.Runpath), path(db.Runpath))
	}
	for _, n := range newOnly(db.Needed, da.Needed) {
		add(rankNeeded, "dynamic", "NEEDED %s added", n)
	}
	for _, n := range newOnly(da.Needed, db.Needed) {
		add(rankNeeded, "dynamic", "NEEDED %s removed", n)
	}
	if len(newOnly(db.Needed, da.Needed)) == 0 && len(newOnly(da.Needed, db.Needed)) == 0 && !slices.Equal(da.Needed, db.Needed) {
		add(rankNeeded, "dynamic", "NEEDED order changed: %s → %s", strings.Join(da.Needed, " "), strings.Join(db.Needed, " "))
	}
	if da.Soname != db.Soname {
		add(rankNeeded, "dynamic", "SONAME %s → %s", orNone(da.Soname), orNone(db.Soname))
	}
	if !slices.Equal(da.Flags, db.Flags) {
		add(rankNeeded, "dynamic", "dynamic flags %s → %s", path(da.Flags), path(db.Flags))
	}
}

func versionSet(v *VerSummary) []string {
	var out []string
	if v == nil {
		return nil
	}
	for _, n := range v.Need {
		for _, a := range n.Versions {
			out = append(out, n.File+" "+a.Name)
		}
	}
	return out
}

func defSet(v *VerSummary) []string {
	var out []string
	if v == nil {
		return nil
	}
	for _, d := range v.Def {
		out = append(out, d.Name)
	}
	return out
}

func (d *Diff) diffVersions(add func(int, string, string, ...any)) {
	na, nb := versionSet(d.A.Versions), versionSet(d.B.Versions)
	for _, x := range newOnly(nb, na) {
		f, v, _ := strings.Cut(x, " ")
		add(rankVersions, "versions", "requires %s of %s (added)", v, f)
	}
	for _, x := range newOnly(na, nb) {
		f, v, _ := strings.Cut(x, " ")
		add(rankVersions, "versions", "no longer requires %s of %s", v, f)
	}
	da, db := defSet(d.A.Versions), defSet(d.B.Versions)
	for _, x := range newOnly(db, da) {
		add(rankVersions, "versions", "defines version %s (added)", x)
	}
	for _, x := range newOnly(da, db) {
		add(rankVersions, "versions", "no longer defines version %s", x)
	}
}

func (d *Diff) diffPointers(add func(int, string, string, ...any)) {
	var pa, pb []PointerSum
	if d.A.Dynamic != nil {
		pa = d.A.Dynamic.Pointers
	}
	if d.B.Dynamic != nil {
		pb = d.B.Dynamic.Pointers
	}
	var tags []string
	for _, p := range append(append([]PointerSum{}, pa...), pb...) {
		if !slices.Contains(tags, p.Tag) {
			tags = append(tags, p.Tag)
		}
	}
	find := func(ps []PointerSum, tag string) *PointerSum {
		for i := range ps {
			if ps[i].Tag == tag {
				return &ps[i]
			}
		}
		return nil
	}
	for _, t := range tags {
		x, y := find(pa, t), find(pb, t)
		pd := PtrDiff{Tag: t, A: x, B: y}
		switch {
		case x == nil || y == nil:
			pd.Changed = true
		default:
			pd.Changed = x.Addr != y.Addr || x.Section != y.Section || x.Backing != y.Backing
			if x.Section != y.Section || x.Backing != y.Backing {
				add(rankPointers, "pointers", "%s lands in %s in A but in %s in B (vaddr %s → %s)",
					t, where(x), where(y), x.Addr, y.Addr)
			}
		}
		d.Pointers = append(d.Pointers, pd)
	}
}

func where(p *PointerSum) string {
	s := p.Section
	if s == "" {
		s = "no section"
	}
	if p.Backing != "file" {
		s += ", " + p.Backing
	}
	return s
}

func (d *Diff) diffSections(add func(int, string, string, ...any)) {
	index := func(ss []SectionSummary) map[string]*SectionSummary {
		m := map[string]*SectionSummary{}
		seen := map[string]int{}
		for i := range ss {
			k := ss[i].Name
			if seen[k]++; seen[k] > 1 {
				k = fmt.Sprintf("%s#%d", k, seen[k])
			}
			m[k] = &ss[i]
		}
		return m
	}
	ma, mb := index(d.A.Sections), index(d.B.Sections)
	var moved []string
	for _, s := range d.A.Sections {
		name := s.Name
		x, y := ma[name], mb[name]
		if x == nil || y == nil {
			continue
		}
		var how []string
		if x.Offset != y.Offset {
			how = append(how, fmt.Sprintf("offset %s → %s", x.Offset, y.Offset))
		}
		if x.Addr != y.Addr {
			how = append(how, fmt.Sprintf("vaddr %s → %s", x.Addr, y.Addr))
		}
		if len(how) > 0 {
			d.Sections = append(d.Sections, SecDiff{Name: name, A: x, B: y})
			moved = append(moved, fmt.Sprintf("%s (%s)", name, strings.Join(how, ", ")))
		}
	}
	if len(moved) > 0 {
		more := ""
		if len(moved) > 5 {
			more = fmt.Sprintf(" and %d more", len(moved)-5)
			moved = moved[:5]
		}
		add(rankSections, "sections", "%d sections moved: %s%s", len(d.Sections), strings.Join(moved, ", "), more)
	}
	for _, name := range slices.Sorted(maps.Keys(mb)) {
		if ma[name] == nil {
			add(rankSections, "sections", "section %s added", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(ma)) {
		if mb[name] == nil {
			add(rankSections, "sections", "section %s removed", name)
		}
	}
}

// diffRuntime compares the embedded runtimes: a different build of the
// same version is exactly what a vendor's quiet re-release looks like, and
// a payload that became unreachable is what breaks a patched copy.
func (d *Diff) diffRuntime(add func(int, string, string, ...any)) {
	ra, rb := d.A.Runtime, d.B.Runtime
	if ra == nil || rb == nil {
		return
	}
	for i := range rb.Runtimes {
		b := &rb.Runtimes[i]
		a := ra.Runtime(b.Kind)
		if a == nil {
			add(rankNotes, "runtime", "%s runtime only in B (%s %s)", b.Name, b.Name, orNone(b.Version))
			continue
		}
		switch {
		case a.Version != b.Version:
			add(rankNotes, "runtime", "%s %s → %s (commit %s → %s)", b.Name, orNone(a.Version), orNone(b.Version), orNone(a.Commit), orNone(b.Commit))
		case a.Commit != b.Commit:
			add(rankNotes, "runtime", "%s %s: same version, different build: commit %s → %s", b.Name, b.Version, orNone(a.Commit), orNone(b.Commit))
		}
		if va, vb := strings.Join(a.Variants, ","), strings.Join(b.Variants, ","); va != vb {
			add(rankNotes, "runtime", "%s variant %s → %s", b.Name, orNone(va), orNone(vb))
		}
		pa, pb := a.Payload, b.Payload
		switch {
		case pa != nil && pa.Reachable && (pb == nil || !pb.Reachable):
			why := "B carries none"
			if pb != nil {
				why = pb.Problem
			}
			add(rankPayload, "runtime", "%s payload reachable in A, not in B: %s", b.Name, why)
		case pa != nil && pb != nil && pa.Format != pb.Format:
			add(rankNotes, "runtime", "%s payload format %s → %s", b.Name, pa.Format, pb.Format)
		}
	}
	for i := range ra.Runtimes {
		if a := &ra.Runtimes[i]; rb.Runtime(a.Kind) == nil {
			add(rankNotes, "runtime", "%s runtime only in A (%s %s)", a.Name, a.Name, orNone(a.Version))
		}
	}
}

// sameBuild reports whether both files carry one GNU build-id: the linker
// derives it from the linked contents, and rewriters (patchelf, strip,
// objcopy) keep the note, so equal build-ids mean one build.
func (d *Diff) sameBuild() bool {
	return d.A.BuildID != "" && d.A.BuildID == d.B.BuildID
}

// strippedSections lists the sections of a that b lacks and that have no
// place in memory (.symtab, .strtab, .debug_*, .comment, ...): what strip
// and objcopy --strip-* remove.
func strippedSections(a, b *Summary) []string {
	have := map[string]bool{}
	for _, s := range b.Sections {
		have[s.Name] = true
	}
	var lost []string
	for _, s := range a.Sections {
		if !strings.Contains(s.Flags, "A") && s.Type != "NULL" && s.Name != ".shstrtab" && !have[s.Name] {
			lost = append(lost, s.Name)
		}
	}
	return lost
}

func listNames(names []string, max int) string {
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:max], ", "), len(names)-max)
}
