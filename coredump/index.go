package coredump

import "sort"

// spanIndex finds, by address, which of a list of ranges holds it in
// O(log n): a core may have 65,535 PT_LOADs and as many NT_FILE entries,
// and the unwinder reads memory for each of up to 16,384 threads, so a
// linear scan per read costs hours on a 189 KB core.
//
// The kernel writes ranges that never overlap. A hostile core's may; the
// index then keeps, for each address, the range that starts lowest (the
// first in file order among equal starts), clipping later ones to what
// is left, so a lookup still answers in one binary search and the same
// address always has the same answer.
type spanIndex struct {
	pieces []piece
}

type piece struct {
	start, end uint64 // [start, end)
	ref        int    // index into the caller's list
}

func newSpanIndex(n int, span func(i int) (start, end uint64)) *spanIndex {
	ps := make([]piece, 0, n)
	for i := 0; i < n; i++ {
		s, e := span(i)
		if s < e {
			ps = append(ps, piece{s, e, i})
		}
	}
	sort.SliceStable(ps, func(a, b int) bool { return ps[a].start < ps[b].start })
	out := ps[:0]
	var covered uint64 // end of what the kept pieces cover
	for _, p := range ps {
		if len(out) > 0 {
			if p.end <= covered {
				continue
			}
			p.start = max(p.start, covered)
		}
		out = append(out, p)
		covered = p.end
	}
	return &spanIndex{pieces: out}
}

// find returns the piece holding addr, or nil.
func (x *spanIndex) find(addr uint64) *piece {
	i := sort.Search(len(x.pieces), func(i int) bool { return x.pieces[i].end > addr })
	if i < len(x.pieces) && x.pieces[i].start <= addr {
		return &x.pieces[i]
	}
	return nil
}
