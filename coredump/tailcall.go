package coredump

import (
	"debug/dwarf"
)

// Tail calls leave no return address: when f jumps to g, g returns to f's
// caller and f's frame is gone. gdb puts such frames back from the
// compiler's call-site information (dwarf2/loc.c call_site_find_chain,
// dwarf2/frame-tailcall.c): the caller's DW_TAG_call_site at the return
// address names the function it called; when that is not the callee's
// function, the callee was reached through tail calls
// (DW_AT_call_tail_call), and a chain of them from the called function to
// the callee is the frames in between. gdb shows the part of the chain
// every possible path shares; so does this.

// GNU's DWARF 4 forms of the DWARF 5 call-site entries.
const (
	tagGNUCallSite      dwarf.Tag  = 0x4109
	attrGNUTailCall     dwarf.Attr = 0x2115
	attrGNUCallSiteTgt  dwarf.Attr = 0x2113
	maxTailDepth                   = 8  // tail calls in one chain
	maxTailChains                  = 16 // chains kept before giving up on a unique one
	maxCallSitesVisited            = 256
)

// callSite is one DW_TAG_call_site of a function.
type callSite struct {
	ret    uint64 // link-time return address (DW_AT_call_return_pc)
	tail   bool
	target uint64 // link-time address of the called function, 0 if unknown
}

// tailLink is a function of a tail-call chain and where it tail-called.
type tailLink struct {
	entry, site uint64 // link-time
}

// tailCalls returns the frames gdb shows between a callee whose function
// starts at calleeEntry (runtime) and its caller, which resumes at ret
// (runtime), innermost first.
func (a *analyzer) tailCalls(calleeEntry, ret uint64) []Frame {
	m := a.moduleAt(ret - 1)
	if m == nil || calleeEntry == 0 || !m.Contains(calleeEntry) {
		return nil
	}
	callee := calleeEntry - m.Bias
	sub, _ := m.scope(ret - 1)
	if sub.d == nil {
		return nil
	}
	var target uint64
	found := false
	for _, cs := range m.callSites(sub) {
		if cs.ret == ret-m.Bias {
			target, found = cs.target, true
			break
		}
	}
	if !found || target == 0 || target == callee {
		return nil
	}
	var chains [][]tailLink
	visited := 0
	var walk func(fn uint64, path []tailLink)
	walk = func(fn uint64, path []tailLink) {
		if len(chains) > maxTailChains || len(path) >= maxTailDepth || visited >= maxCallSitesVisited {
			return
		}
		for _, p := range path {
			if p.entry == fn {
				return // a cycle
			}
		}
		visited++
		s, _ := m.scope(fn + m.Bias)
		if s.d == nil || s.entry != fn {
			return
		}
		for _, cs := range m.callSites(s) {
			if !cs.tail || cs.target == 0 {
				continue
			}
			p := append(append([]tailLink(nil), path...), tailLink{entry: fn, site: cs.ret})
			if cs.target == callee {
				chains = append(chains, p)
				continue
			}
			walk(cs.target, p)
		}
	}
	walk(target, nil)
	if len(chains) == 0 || len(chains) > maxTailChains {
		return nil
	}
	// The links every chain shares: a prefix from the caller's side and a
	// suffix from the callee's.
	pre, suf := len(chains[0]), len(chains[0])
	for _, c := range chains[1:] {
		pre = min(pre, commonPrefix(chains[0], c))
		suf = min(suf, commonSuffix(chains[0], c))
	}
	if len(chains) > 1 {
		shortest := len(chains[0])
		for _, c := range chains {
			shortest = min(shortest, len(c))
		}
		if pre+suf > shortest {
			suf = shortest - pre
		}
	} else {
		suf = 0
	}
	c := chains[0]
	links := append(append([]tailLink(nil), c[:pre]...), c[len(c)-suf:]...)
	// gdb shows one frame for each, named after the innermost function
	// at the jump: __pthread_kill_internal, inlined into __pthread_kill
	// where it tail-calls __pthread_kill_implementation.
	var out []Frame
	for i := len(links) - 1; i >= 0; i-- {
		pc := links[i].site + m.Bias
		f := a.framesAt(pc, pc-1, ByTailCall)[0]
		f.TailCall, f.Inlined = true, false
		out = append(out, f)
	}
	return out
}

func commonPrefix(a, b []tailLink) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func commonSuffix(a, b []tailLink) int {
	n := 0
	for n < len(a) && n < len(b) && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return n
}

// callSites returns the call sites in a function's entry and its
// children (inlined code and lexical blocks hold theirs).
func (m *Module) callSites(sub dwarfFunc) (out []callSite) {
	defer func() {
		if recover() != nil {
			out = nil
		}
	}()
	r := sub.d.Reader()
	r.Seek(sub.die)
	e, err := r.Next()
	if err != nil || e == nil || !e.Children {
		return nil
	}
	depth := 1
	for n := 0; depth > 0 && n < maxDIEs; n++ {
		e, err := r.Next()
		if err != nil || e == nil {
			break
		}
		if e.Tag == 0 {
			depth--
			continue
		}
		if e.Tag == dwarf.TagCallSite || e.Tag == tagGNUCallSite {
			cs := callSite{}
			ret, ok := e.Val(dwarf.AttrCallReturnPC).(uint64)
			if !ok {
				ret, ok = e.Val(dwarf.AttrLowpc).(uint64)
			}
			if ok {
				cs.ret = ret
				cs.tail, _ = e.Val(dwarf.AttrCallTailCall).(bool)
				if !cs.tail {
					cs.tail, _ = e.Val(attrGNUTailCall).(bool)
				}
				off, ok := e.Val(dwarf.AttrCallOrigin).(dwarf.Offset)
				if !ok {
					off, ok = e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset)
				}
				if ok {
					cs.target = m.functionAddr(sub.d, off)
				}
				out = append(out, cs)
			}
		}
		if e.Children {
			depth++
		}
	}
	return out
}

// functionAddr returns the link-time entry of the function the entry at
// off (a definition or a declaration) names: its own low_pc, else the
// symbol of its name, as gdb resolves a call site's target by name.
func (m *Module) functionAddr(d *dwarf.Data, off dwarf.Offset) uint64 {
	var e *dwarf.Entry
	if m.units != nil {
		d, e = m.units.follow(d, off)
	} else {
		r := d.Reader()
		r.Seek(off)
		e, _ = r.Next()
	}
	if e == nil {
		return 0
	}
	if lo, ok := e.Val(dwarf.AttrLowpc).(uint64); ok && lo != 0 {
		return lo
	}
	name := m.originName(d, e)
	if name == "" {
		return 0
	}
	if addr, ok := m.symbolAddr(name); ok {
		return addr - m.Bias
	}
	return 0
}
