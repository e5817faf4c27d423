package inspect

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
)

// Bun (`bun build --compile`) copies its own executable and adds the
// application as a "standalone module graph": the files, a table of
// them, an Offsets record and the trailer "\n---- Bun! ----\n". Two eras
// put it in different places:
//
//   - up to 1.3.0 at least, appended to the end of the file, followed by
//     the file's total size as a u64; Bun reads its last 4096 bytes
//     through /proc/self/exe and gives up silently (starting as the plain
//     bun CLI) when the trailer is not exactly there;
//   - in later 1.3 releases, in memory: the runtime's 16 KiB `.bun`
//     section holds a pointer to a copy of the section moved to the end
//     of the RW segment, which starts with the graph's length. That is
//     why such files have an RW PT_LOAD with FileSiz == MemSiz: the .bss
//     before the moved section became file bytes.
//
// The Offsets record grew from 24 bytes (byte_count, modules_ptr,
// entry_point_id) to 32 (compile_exec_argv_ptr, flags), and the per-file
// record from 32 bytes to 36 and then 52. Neither carries a version, so
// the parser tries the known sizes and keeps the one whose file names all
// resolve to Bun's virtual root.
const bunTrailer = "\n---- Bun! ----\n"

var bunRoots = []string{"/$bunfs/", "B:/~BUN/"}

// bunModuleSizes are the sizes of CompiledModuleGraphFile seen so far,
// newest first.
var bunModuleSizes = []uint64{52, 36, 32}

// maxBunGraph is the runtime's own sanity limit on the graph.
const maxBunGraph = 1 << 32

func (id *identifier) bun() {
	f := id.f
	r := Runtime{Kind: RuntimeBun, Name: "Bun"}
	loaderDef, sectionDef, verName := id.bunVerdef(&r)
	sec := f.section(".bun")
	trailerAtEnd := len(id.tailBuf) >= 24 && string(id.tailBuf[len(id.tailBuf)-24:len(id.tailBuf)-8]) == bunTrailer
	// .bun_builtins (1.4) holds Bun's own JavaScript; like .bun it only
	// says where to look: any program can name a section so.
	builtins := f.section(".bun_builtins") != nil
	if !loaderDef && !sectionDef && !trailerAtEnd && sec == nil && !builtins {
		return
	}
	graphInSec := false
	if sec != nil {
		_, graphInSec = bunGraphAt(f.Image(), sec.Addr)
	}
	if !id.quick {
		id.bunVersion(&r)
	}
	// Any program can name a section .bun; Bun's own marks are its
	// symbol versions, its banner, its trailer and a graph.
	bun := loaderDef || sectionDef || r.Version != "" || trailerAtEnd || graphInSec
	if !bun {
		return
	}
	if trailerAtEnd {
		r.Marks = append(r.Marks, Mark{Name: "module graph trailer at the end of the file", State: MarkFound, Where: fmt.Sprintf("0x%x", f.size-24)})
	}
	if sec != nil {
		r.Marks = append(r.Marks, Mark{Name: ".bun section header", State: MarkFound, Where: fmt.Sprintf("vaddr 0x%x", sec.Addr)})
	}
	if interp, ok, _ := f.Interp(); ok && strings.Contains(interp, "musl") {
		r.Variants = append(r.Variants, "musl")
	}
	switch {
	case sec != nil:
		r.Payload = id.bunSection(sec)
		if r.Payload == nil && trailerAtEnd {
			r.Payload = id.bunAppended()
		}
	case trailerAtEnd:
		r.Payload = id.bunAppended()
	default:
		// Without section headers (cut off with the end of the file),
		// the runtime still finds a .bun graph through its pointer.
		if sec := id.bunSlotless(); sec != nil {
			r.Payload = id.bunSection(sec)
		} else {
			r.Payload = id.bunDisplaced()
		}
	}
	switch {
	case r.Payload != nil:
	case len(f.Sections) == 0:
		r.Warning = "this Bun runtime carries no application, and the file has lost its section headers, which usually sit near its end: if it should run an application, the file was probably truncated and the application cut off with them"
	case f.section(".symtab") == nil && sec == nil && verName != "" && verName != "BUN_1.0":
		r.Payload = id.bunStripped(verName)
	case f.section(".symtab") == nil:
		// Releases that define BUN_1.0 (up to 1.1.0 at least) ship
		// stripped, so nothing tells a stripped application from them.
		r.Warning = "this Bun runtime carries no application and was stripped: if it should run an application, strip (or objcopy) deleted it, because those tools drop bytes that no section describes"
	}
	id.add(r)
}

// bunStripped is the prediction for a stripped Bun that appends its
// graph (every release before the .bun slot, 1.3.12): the releases that
// define BUN_1.1 or later keep their symbol table (1.1.45 to 1.4.5 seen),
// and strip deletes the bytes after the section header table, which is
// exactly where `bun build --compile` put the application. What remains
// is byte for byte the runtime, so it starts as the plain bun CLI
// whatever it was meant to run.
func (id *identifier) bunStripped(verName string) *Payload {
	return &Payload{Format: "bun appended graph", Access: "reads its own file (/proc/self/exe), last 4096 bytes",
		Off:      Hex(id.f.size),
		Effect:   EffectBareRuntime,
		Problem:  "this Bun was stripped and carries no application: Bun's releases keep their symbol table, and strip (or objcopy) deletes the bytes after the section headers, where this Bun appends a compiled application, so it starts as the plain bun CLI",
		Evidence: []string{fmt.Sprintf("no .symtab section (the releases that define %s have one)", verName), fmt.Sprintf("no %q trailer in the last 24 bytes and no .bun section", bunTrailer)}}
}

// bunVerdef reads Bun's symbol version definition (BUN_1.x) in two
// independent places: as ld.so reads it, through DT_VERDEF in the
// loader's view, and through the .gnu.version_d section header. patchelf
// moves the table when it grows .dynstr and updates the section header,
// but some releases leave DT_VERDEF pointing at the old place: the
// runtime is still Bun, and the stale pointer is damage worth reporting
// (ld.so reads whatever is there now).
func (id *identifier) bunVerdef(r *Runtime) (loader, section bool, version string) {
	f := id.f
	var dtVerdef uint64
	hasDT := false
	read := "nothing"
	if d, err := f.Dynamic(); err == nil && d != nil {
		dtVerdef, hasDT = d.Tag(elf.DT_VERDEF)
		if v, err := f.Versions(d); err == nil && v != nil {
			var names []string
			for _, def := range v.Def {
				if len(def.Names) == 0 {
					continue
				}
				if strings.HasPrefix(def.Names[0], "BUN_") {
					loader, version = true, def.Names[0]
					r.Evidence = append(r.Evidence, fmt.Sprintf("defines symbol version %s (Verdef at vaddr 0x%x)", def.Names[0], def.Addr))
					r.Marks = append(r.Marks, Mark{Name: "BUN_ symbol version through DT_VERDEF (as ld.so reads it)", State: MarkFound, Where: fmt.Sprintf("vaddr 0x%x", def.Addr)})
					break
				}
				names = append(names, fmt.Sprintf("%q", def.Names[0]))
			}
			switch {
			case len(v.Problems) > 0:
				read = v.Problems[0].Error()
			case len(names) > 0:
				read = "Verdef records naming " + strings.Join(names, ", ")
			}
		}
	}
	name, addr, ok := f.sectionVerdef("BUN_")
	if !ok {
		return loader, false, version
	}
	r.Marks = append(r.Marks, Mark{Name: "BUN_ symbol version through the .gnu.version_d section header", State: MarkFound, Where: fmt.Sprintf("vaddr 0x%x", addr)})
	if loader {
		return true, true, version
	}
	m := Mark{Name: "BUN_ symbol version through DT_VERDEF (as ld.so reads it)", State: MarkDamaged}
	if hasDT {
		m.Where = fmt.Sprintf("vaddr 0x%x", dtVerdef)
		m.Problem = fmt.Sprintf("DT_VERDEF points at vaddr 0x%x, but the table that defines %s (.gnu.version_d) is at vaddr 0x%x: a rewrite (patchelf) moved the table and left DT_VERDEF stale; ld.so walks whatever is there now, which read as Verdef gives: %s", dtVerdef, name, addr, read)
		m.Rewriter = "patchelf"
	} else {
		m.Problem = fmt.Sprintf("the dynamic table has no DT_VERDEF, although .gnu.version_d at vaddr 0x%x defines %s: ld.so does not see Bun's symbol versions", addr, name)
	}
	r.Marks = append(r.Marks, m)
	return false, true, name
}

// sectionVerdef walks the Verdef table the .gnu.version_d section header
// describes, with the string table its sh_link names, and returns the
// first version defined that starts with prefix, and the table's address.
func (f *File) sectionVerdef(prefix string) (name string, addr uint64, ok bool) {
	var sec *Section
	for i := range f.Sections {
		if f.Sections[i].Type == elf.SHT_GNU_VERDEF {
			sec = &f.Sections[i]
			break
		}
	}
	if sec == nil || sec.Addr == 0 || int(sec.Link) >= len(f.Sections) {
		return "", 0, false
	}
	strs := f.Sections[sec.Link]
	if strs.Type != elf.SHT_STRTAB || strs.Addr == 0 {
		return "", 0, false
	}
	v := &Versions{}
	v.walkDef(f, sec.Addr, &strReader{im: f.Image(), strtab: strs.Addr, strsz: strs.Size, v: v})
	for _, d := range v.Def {
		if len(d.Names) > 0 && strings.HasPrefix(d.Names[0], prefix) {
			return d.Names[0], sec.Addr, true
		}
	}
	return "", 0, false
}

// bunVersion reads the version banner Bun prints in crash reports,
// "Bun v1.3.14 (0d9b296a) Linux x64 (baseline)", and the full revision
// "1.3.14+0d9b296af" that `bun --revision` prints.
func (id *identifier) bunVersion(r *Runtime) {
	f := id.f
	ro := f.rodata()
	hits := 0
	err := f.scan(ro, []byte("Bun v"), 128, func(off int64, b []byte) bool {
		hits++
		v, commit, platform, ok := parseBunBanner(b)
		if ok && (r.Version == "" || commit != "") {
			r.Version, r.Platform = v, platform
			if commit != "" {
				r.Commit = commit
			}
			r.Evidence = append(r.Evidence, fmt.Sprintf("banner %q at 0x%x", cstr(b), off))
			if len(r.Marks) == 0 || r.Marks[len(r.Marks)-1].Name != "version banner" {
				r.Marks = append(r.Marks, Mark{Name: "version banner", State: MarkFound, Where: fmt.Sprintf("0x%x", off)})
			}
		}
		// The banner with the commit is the one the crash reporter uses;
		// once it is found there is nothing more to learn.
		return r.Commit == "" && hits < 256
	})
	if err != nil {
		id.problem(err)
	}
	if r.Version == "" {
		return
	}
	if strings.HasSuffix(r.Platform, "baseline") || strings.HasSuffix(r.Platform, "(baseline)") {
		r.Variants = append(r.Variants, "baseline")
		r.Platform = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(r.Platform, "(baseline)"), "baseline"))
	}
	for _, v := range []string{"canary", "debug"} {
		if strings.Contains(r.Version, v) {
			r.Variants = append(r.Variants, v)
		}
	}
	// `bun --revision` prints nine hex digits of the commit; a banner
	// that already carries nine (1.4) saves a second scan of .rodata,
	// which is 20 MB in 1.4.
	if len(r.Commit) >= 9 {
		return
	}
	short := r.Commit
	err = f.scan(ro, []byte(r.Version+"+"), 64, func(off int64, b []byte) bool {
		rest := b[len(r.Version)+1:]
		n := 0
		for n < len(rest) && n < 40 && isHex(rest[n]) {
			n++
		}
		if n < 7 || (short != "" && !strings.HasPrefix(string(rest[:n]), short)) {
			return true
		}
		r.Commit = string(rest[:n])
		r.Evidence = append(r.Evidence, fmt.Sprintf("revision %q at 0x%x", r.Version+"+"+r.Commit, off))
		r.Marks = append(r.Marks, Mark{Name: "revision string", State: MarkFound, Where: fmt.Sprintf("0x%x", off)})
		return false
	})
	if err != nil {
		id.problem(err)
	}
}

// parseBunBanner parses "Bun vVERSION (COMMIT) PLATFORM", "Bun vVERSION
// (PLATFORM)" and the canary form "Bun vVERSION+COMMIT (PLATFORM)" at the
// start of b.
func parseBunBanner(b []byte) (version, commit, platform string, ok bool) {
	s := cstr(b)
	s = strings.TrimPrefix(s, "Bun v")
	version = leadingVersion(s)
	if version == "" {
		return "", "", "", false
	}
	s = s[len(version):]
	if strings.HasPrefix(s, "+") {
		n := 1
		for n < len(s) && isHex(s[n]) {
			n++
		}
		commit, s = s[1:n], s[n:]
	}
	if !strings.HasPrefix(s, " (") {
		return "", "", "", false
	}
	s = s[2:]
	close := strings.IndexByte(s, ')')
	if close < 0 {
		return "", "", "", false
	}
	inner := s[:close]
	if commit == "" && len(inner) >= 7 && strings.Trim(inner, "0123456789abcdef") == "" {
		commit = inner
		platform = strings.TrimSpace(s[close+1:])
		// Old releases format the variant in later: "Linux x64 {s}".
		platform = strings.TrimSpace(strings.TrimSuffix(platform, "{s}"))
	} else {
		platform = inner
	}
	if platform == "" || strings.ContainsAny(platform, "{}") || !strings.Contains(platform, " ") {
		return "", "", "", false
	}
	return version, commit, platform, true
}

// cstr returns b up to its first NUL or newline.
func cstr(b []byte) string {
	if i := bytes.IndexAny(b, "\x00\n"); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// bunSource reads graph bytes by position relative to where the runtime
// finds them: the file for the appended format, memory for .bun.
type bunSource struct {
	read func(p []byte, pos uint64, what string) error
	// where describes a position for evidence: "0x5a28008 (vaddr ...)".
	where func(pos uint64) string
}

// bunAppended follows what Bun does at start-up with an appended graph:
// the u64 at the very end is the file size it expects, the trailer comes
// before it, the Offsets before that, and the graph's byte_count bytes
// before those.
func (id *identifier) bunAppended() *Payload {
	f := id.f
	p := &Payload{Format: "bun appended graph", Access: "reads its own file (/proc/self/exe), last 4096 bytes"}
	if f.size < tailSize {
		p.Problem = fmt.Sprintf("the file is %s, shorter than the 4096 bytes Bun reads from its end: Bun starts as the plain bun CLI", HumanSize(uint64(f.size)))
		p.Effect = EffectBareRuntime
		return p
	}
	t := id.tailBuf
	total := binary.LittleEndian.Uint64(t[len(t)-8:])
	trailerOff := uint64(f.size) - 24
	p.Evidence = append(p.Evidence, fmt.Sprintf("trailer %q at 0x%x; recorded file size 0x%x (%s), actual 0x%x", bunTrailer, trailerOff, total, HumanSize(total), f.size))
	if total > maxBunGraph-1 || total < tailSize {
		p.Problem = fmt.Sprintf("the size recorded after the trailer (0x%x) fails Bun's sanity check (4 KiB to 4 GiB): Bun ignores the payload and starts as the plain bun CLI", total)
		p.Effect = EffectBareRuntime
		return p
	}
	src := bunSource{
		read: func(b []byte, pos uint64, what string) error {
			if pos > uint64(f.size) || uint64(len(b)) > uint64(f.size)-pos {
				return errAt(int64(pos), what, "past end of file", nil)
			}
			if err := f.readAt(b, int64(pos)); err != nil {
				return errAt(int64(pos), what, "read: "+err.Error(), nil)
			}
			return nil
		},
		where: func(pos uint64) string { return fmt.Sprintf("0x%x", pos) },
	}
	g, err := parseBunGraph(src, trailerOff, total, 0)
	p.Evidence = append(p.Evidence, g.evidence...)
	if err != nil {
		p.Problem = err.Error() + ": Bun finds no usable module graph and starts as the plain bun CLI, or crashes reading it"
		return p
	}
	p.Off, p.Size, p.Entry, p.Files = Hex(g.start), Hex(trailerOff+24-g.start), g.entry, g.files
	if total != uint64(f.size) {
		p.Evidence = append(p.Evidence, fmt.Sprintf("the recorded size differs from the file size by %d bytes; Bun does not compare them", int64(f.size)-int64(total)))
	}
	p.Reachable = true
	return p
}

// bunSection follows the pointer in the `.bun` slot the runtime was linked
// with to the graph, through the loader's view, as the runtime reads it.
// It returns nil for the runtime itself, with nothing compiled in.
func (id *identifier) bunSection(sec *Section) *Payload {
	f := id.f
	im := f.Image()
	p := &Payload{Format: "bun .bun section", Access: "reads its own memory, through the pointer in .bun"}
	p.Evidence = append(p.Evidence, fmt.Sprintf(".bun section header: vaddr 0x%x, offset 0x%x, size 0x%x (%s)", sec.Addr, sec.Offset, sec.Size, HumanSize(sec.Size)))
	// After `bun build --compile` the section header describes the
	// moved graph: its length, then the graph ending in the trailer.
	movedLen, moved := bunGraphAt(im, sec.Addr)
	slot, how, found := id.bunSlot(sec)
	if !found {
		if moved {
			p.Addr, p.Off, p.Size = Hex(sec.Addr), Hex(sec.Offset), Hex(movedLen)
			p.Effect = EffectBareRuntime
			p.Problem = fmt.Sprintf("the graph is at vaddr 0x%x but nothing points to it any more: the runtime's pointer in its original .bun slot was cleared (strip and objcopy zero bytes no section header describes), so Bun starts as the plain bun CLI", sec.Addr)
			p.Rewriter = "strip or objcopy"
			p.Evidence = append(p.Evidence, "no word of the RW segment outside the section headers (where 1.3 keeps its 16 KiB slot and 1.4 its 8-byte one) holds the graph's address, and .symtab has no .bun section symbol")
			return p
		}
		slot, how = sec.Addr, "the section header"
	}
	p.Evidence = append(p.Evidence, fmt.Sprintf("the runtime's .bun slot is at vaddr 0x%x (%s)", slot, how))
	if ok, l := im.fileBacked(slot, 8); !ok {
		if !moved && slot == sec.Addr {
			return nil
		}
		p.Addr = Hex(slot)
		p.Effect = EffectBareRuntime
		p.Problem = fmt.Sprintf("the .bun slot at vaddr 0x%x is %s in the loader's view, so the runtime reads a null pointer: it starts as the plain bun CLI", slot, l.Backing())
		return p
	}
	var w [8]byte
	if err := im.ReadAt(w[:], slot, ".bun slot"); err != nil {
		p.Problem = err.Error()
		return p
	}
	ptr := f.order.Uint64(w[:])
	if ptr == 0 {
		if !moved && slot == sec.Addr {
			return nil // the runtime itself, with no application compiled in
		}
		p.Addr = Hex(slot)
		p.Effect = EffectBareRuntime
		p.Problem = fmt.Sprintf("the .bun slot at vaddr 0x%x holds a null pointer although a graph is at 0x%x: the runtime starts as the plain bun CLI", slot, sec.Addr)
		return p
	}
	p.Addr = Hex(ptr)
	p.Evidence = append(p.Evidence, fmt.Sprintf("slot holds pointer 0x%x", ptr))
	if ptr != sec.Addr {
		p.Evidence = append(p.Evidence, fmt.Sprintf("the .bun section header says 0x%x; the runtime follows the pointer", sec.Addr))
	}
	if ok, l := im.fileBacked(ptr, 8); !ok {
		p.Effect = EffectCrash
		p.Problem = fmt.Sprintf("the pointer in .bun leads to vaddr 0x%x, which is %s in the loader's view: the runtime reads its graph length from there and crashes or finds nothing", ptr, l.Backing())
		return p
	}
	if err := im.ReadAt(w[:], ptr, ".bun graph length"); err != nil {
		p.Problem = err.Error()
		return p
	}
	n := f.order.Uint64(w[:])
	p.Size = Hex(n)
	if loc := im.Lookup(ptr); loc.File {
		p.Off = Hex(loc.Off)
	}
	p.Evidence = append(p.Evidence, fmt.Sprintf("graph length 0x%x (%s) at vaddr 0x%x", n, HumanSize(n), ptr))
	if n < 24 || n >= maxBunGraph {
		p.Problem = fmt.Sprintf("the graph length at vaddr 0x%x is 0x%x, not a plausible module graph: the runtime finds no application", ptr, n)
		return p
	}
	base := ptr + 8
	if ok, l := im.fileBacked(base, n); !ok {
		p.Problem = fmt.Sprintf("the graph (vaddr 0x%x, %s) is not all file bytes in the loader's view: at vaddr 0x%x it is %s, so the runtime reads zeros there", base, HumanSize(n), l.Addr, l.Backing())
		return p
	}
	src := bunSource{
		read: func(b []byte, pos uint64, what string) error { return im.ReadAt(b, base+pos, what) },
		where: func(pos uint64) string {
			l := im.Lookup(base + pos)
			return fmt.Sprintf("0x%x (vaddr 0x%x)", l.Off, base+pos)
		},
	}
	g, err := parseBunGraph(src, n-16, 0, n)
	p.Evidence = append(p.Evidence, g.evidence...)
	if err != nil {
		p.Problem = err.Error() + ": the runtime finds no usable module graph"
		return p
	}
	p.Entry, p.Files = g.entry, g.files
	p.Reachable = true
	return p
}

// bunSlotless finds a .bun graph without section headers: a word of the
// RW segment that points at a length-prefixed graph. Bun writes the
// graph at a page-aligned address, which keeps the candidates few. It
// returns a section describing the graph, or nil.
func (id *identifier) bunSlotless() *Section {
	var found *Section
	im := id.f.Image()
	page := PageSizeFor(id.f.Machine)
	id.eachRWWord(nil, maxBunSlotScan, func(a, v uint64) bool {
		if v == 0 || v == a || v%page != 0 {
			return true
		}
		if _, ok := bunGraphAt(im, v); !ok {
			return true
		}
		found = &Section{Index: -1, Name: ".bun", Addr: v}
		if l := im.Lookup(v); l.File {
			found.Offset = l.Off
		}
		return false
	})
	return found
}

// maxBunSlotScan bounds how many bytes of RW segments are read looking
// for the slot: a late-1.3 application moved its graph into the RW
// segment, so the segment can be hundreds of megabytes, and the slot is
// always in front of the graph.
const maxBunSlotScan = 64 << 20

// eachRWWord calls fn with the address and value of every 8-aligned word
// of the writable PT_LOADs' file bytes, in address order, until fn
// returns false or limit bytes have been read. With within set, only
// words inside those vaddr ranges are visited.
func (id *identifier) eachRWWord(within []addrRange, limit uint64, fn func(addr, val uint64) bool) {
	f := id.f
	im := f.Image()
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	read := uint64(0)
	for _, p := range f.ProgsOfType(elf.PT_LOAD) {
		if p.Flags&elf.PF_W == 0 {
			continue
		}
		// A segment has no more file bytes than the file.
		end, ok := addNoOverflow(p.Vaddr, min(p.Filesz, uint64(f.size)))
		if !ok {
			continue
		}
		ranges := within
		if ranges == nil {
			ranges = []addrRange{{p.Vaddr, end}}
		}
		for _, rg := range ranges {
			lo, hi := roundUp(max(rg.lo, p.Vaddr), 8), min(rg.hi, end)
			for a := lo; a+8 <= hi && a >= lo; {
				if read >= limit {
					return
				}
				n := min(uint64(chunk), (hi-a)&^7)
				if im.ReadAt(buf[:n], a, "RW segment") != nil {
					break
				}
				read += n
				for i := uint64(0); i < n; i += 8 {
					if !fn(a+i, f.order.Uint64(buf[i:])) {
						return
					}
				}
				a += n
			}
		}
	}
}

// addrRange is a half-open range of virtual addresses.
type addrRange struct{ lo, hi uint64 }

// undescribedRW returns the ranges of the writable PT_LOADs that no
// allocated section header other than skip covers.
func (f *File) undescribedRW(skip *Section) []addrRange {
	var covered []addrRange
	for i := range f.Sections {
		s := &f.Sections[i]
		if s.Flags&elf.SHF_ALLOC == 0 || s.Type == elf.SHT_NOBITS || s.Size == 0 || (skip != nil && s.Index == skip.Index) {
			continue
		}
		if end, ok := addNoOverflow(s.Addr, s.Size); ok {
			covered = append(covered, addrRange{s.Addr, end})
		}
	}
	sort.Slice(covered, func(i, j int) bool { return covered[i].lo < covered[j].lo })
	var gaps []addrRange
	for _, p := range f.ProgsOfType(elf.PT_LOAD) {
		if p.Flags&elf.PF_W == 0 {
			continue
		}
		end, ok := addNoOverflow(p.Vaddr, p.Filesz)
		if !ok {
			continue
		}
		pos := p.Vaddr
		for _, c := range covered {
			if c.hi <= pos || c.lo >= end {
				continue
			}
			if c.lo > pos {
				gaps = append(gaps, addrRange{pos, c.lo})
			}
			pos = max(pos, c.hi)
		}
		if pos < end {
			gaps = append(gaps, addrRange{pos, end})
		}
	}
	return gaps
}

// bunGraphAt reports whether a length-prefixed graph ending in Bun's
// trailer starts at addr, and its length.
func bunGraphAt(im *Image, addr uint64) (uint64, bool) {
	var w [8]byte
	if ok, _ := im.fileBacked(addr, 8); !ok || im.ReadAt(w[:], addr, ".bun") != nil {
		return 0, false
	}
	n := im.f.order.Uint64(w[:])
	if n < 24 || n >= maxBunGraph {
		return 0, false
	}
	var t [16]byte
	end := addr + 8 + n
	if ok, _ := im.fileBacked(end-16, 16); !ok || im.ReadAt(t[:], end-16, "bun trailer") != nil {
		return 0, false
	}
	return n, string(t[:]) == bunTrailer
}

// bunSlot finds BUN_COMPILED, the word the runtime was linked to read its
// graph's address from: Bun__getStandaloneModuleGraphELFVaddr returns its
// address, a link-time constant, and a zero there means "no application".
// `bun build --compile` points the .bun section header at the graph it
// wrote, so the header no longer names the slot. What is left is where
// the linker put it and what it holds: a 16 KiB object aligned to 16 KiB
// (1.3.12 to 1.3.14), or an 8-byte one right after the section before it
// in link order (1.4: after .data.rel.ro in 1.4.5, .data in 1.4.6). Either
// way it is now a word of the RW segment that no section header
// describes, holding the graph's address; those words are tried first.
// The section symbol in .symtab keeps the original address too, but
// patchelf rewrites section symbols to the section's new address, so it
// is only the last choice.
func (id *identifier) bunSlot(sec *Section) (slot uint64, how string, found bool) {
	// The slot is linked in before the graph is written behind
	// everything, and a late-1.3 graph inside the RW segment can be
	// hundreds of megabytes: only words below the graph are candidates.
	var gaps []addrRange
	for _, g := range id.f.undescribedRW(sec) {
		if g.hi = min(g.hi, sec.Addr); g.lo < g.hi {
			gaps = append(gaps, g)
		}
	}
	match := func(a, v uint64) bool {
		if v == sec.Addr && a != sec.Addr {
			slot, found = a, true
			return false
		}
		return true
	}
	if len(gaps) > 0 {
		id.eachRWWord(gaps, maxBunSlotScan, match)
		if found {
			return slot, "the word in the RW segment that no section header describes any more and that points at the graph", true
		}
	}
	if v, ok := id.f.sectionSymbol(sec.Index); ok && v != sec.Addr {
		return v, ".symtab section symbol", true
	}
	return 0, "", false
}

// maxSymtabScan bounds how many .symtab entries are read to find a
// section symbol. Linkers put section symbols first, right after the
// null symbol and the file symbols.
const maxSymtabScan = 4096

// sectionSymbol returns the value of the STT_SECTION symbol for the
// section with header index shndx.
func (f *File) sectionSymbol(shndx int) (uint64, bool) {
	st := f.section(".symtab")
	if st == nil || st.Type != elf.SHT_SYMTAB {
		return 0, false
	}
	entsz := uint64(24)
	if f.Class == elf.ELFCLASS32 {
		entsz = 16
	}
	n := min(st.Size/entsz, maxSymtabScan)
	b, err := f.readFull(int64(st.Offset), n*entsz, ".symtab")
	if err != nil {
		return 0, false
	}
	o := f.order
	for i := uint64(1); i < n; i++ {
		e := b[i*entsz:]
		var info byte
		var sh uint16
		var val uint64
		if entsz == 24 {
			info, sh, val = e[4], o.Uint16(e[6:]), o.Uint64(e[8:])
		} else {
			info, sh, val = e[12], o.Uint16(e[14:]), uint64(o.Uint32(e[4:]))
		}
		if elf.ST_TYPE(info) == elf.STT_SECTION && int(sh) == shndx {
			return val, true
		}
	}
	return 0, false
}

type bunGraph struct {
	start    uint64 // source position of the graph's first byte
	entry    string
	files    int
	evidence []string
}

// parseBunGraph validates the Offsets record that ends at trailerPos and
// the file table it points to. total is the recorded file size for the
// appended format (0 otherwise); length is the graph length for the
// section format (0 otherwise).
func parseBunGraph(src bunSource, trailerPos, total, length uint64) (g bunGraph, err error) {
	var t [16]byte
	if err := src.read(t[:], trailerPos, "bun trailer"); err != nil {
		return g, err
	}
	if string(t[:]) != bunTrailer {
		return g, fmt.Errorf("no %q trailer at %s", bunTrailer, src.where(trailerPos))
	}
	var lastErr error
	for _, osize := range []uint64{32, 24} {
		if trailerPos < osize {
			continue
		}
		offPos := trailerPos - osize
		var ob [32]byte
		if err := src.read(ob[:osize], offPos, "bun Offsets"); err != nil {
			return g, err
		}
		le := binary.LittleEndian
		byteCount := le.Uint64(ob[0:])
		modOff, modLen := uint64(le.Uint32(ob[8:])), uint64(le.Uint32(ob[12:]))
		entryID := uint64(le.Uint32(ob[16:]))
		if byteCount > offPos || (total != 0 && byteCount >= total) || (length != 0 && byteCount+osize+16 != length) {
			lastErr = fmt.Errorf("bun Offsets at %s: byte_count 0x%x does not fit before it", src.where(offPos), byteCount)
			continue
		}
		if modLen == 0 || modOff+modLen > byteCount {
			lastErr = fmt.Errorf("bun Offsets at %s: file table (offset 0x%x, 0x%x bytes) outside the 0x%x-byte graph", src.where(offPos), modOff, modLen, byteCount)
			continue
		}
		start := offPos - byteCount
		if modLen > 16<<20 {
			return g, fmt.Errorf("bun file table at %s: 0x%x bytes, more than elfdoctor reads", src.where(start+modOff), modLen)
		}
		table := make([]byte, modLen)
		if err := src.read(table, start+modOff, "bun file table"); err != nil {
			return g, err
		}
		for _, msize := range bunModuleSizes {
			if modLen%msize != 0 {
				continue
			}
			count := modLen / msize
			if entryID >= count {
				lastErr = fmt.Errorf("bun Offsets at %s: entry point %d but only %d files", src.where(offPos), entryID, count)
				continue
			}
			names, ok := bunNames(src, start, byteCount, table, msize, entryID)
			if !ok {
				lastErr = fmt.Errorf("bun file table at %s: file names do not resolve into the graph", src.where(start+modOff))
				continue
			}
			g = bunGraph{start: start, entry: names, files: int(count)}
			g.evidence = append(g.evidence, fmt.Sprintf("graph at %s: 0x%x bytes (%s), %d file(s), %d-byte Offsets, %d-byte file records",
				src.where(start), byteCount, HumanSize(byteCount), count, osize, msize))
			return g, nil
		}
	}
	if lastErr == nil {
		lastErr = fmt.Errorf("bun Offsets before %s: not a module graph", src.where(trailerPos))
	}
	return g, lastErr
}

// maxBunNames bounds how many file names are checked; the entry point is
// always checked.
const maxBunNames = 64

// bunNames checks that file names resolve to Bun's virtual root and
// returns the entry point's.
func bunNames(src bunSource, start, byteCount uint64, table []byte, msize, entryID uint64) (string, bool) {
	le := binary.LittleEndian
	count := uint64(len(table)) / msize
	entry := ""
	for i := uint64(0); i < count; i++ {
		if i >= maxBunNames && i != entryID {
			continue
		}
		rec := table[i*msize:]
		off, n := uint64(le.Uint32(rec[0:])), uint64(le.Uint32(rec[4:]))
		if n == 0 || off+n > byteCount {
			return "", false
		}
		b := make([]byte, min(n, 512))
		if src.read(b, start+off, "bun file name") != nil {
			return "", false
		}
		name := string(b)
		rooted := false
		for _, r := range bunRoots {
			rooted = rooted || strings.HasPrefix(name, r)
		}
		if !rooted {
			return "", false
		}
		if i == entryID {
			entry = name
		}
	}
	return entry, true
}

// bunDisplaced looks for a graph that is no longer at the end of the
// file: a rewrite that appends its own data after Bun's (patchelf puts
// its new headers and tables there) pushes the trailer away from where
// Bun reads it. Only bytes that no header describes are scanned.
func (id *identifier) bunDisplaced() *Payload {
	f := id.f
	var at int64 = -1
	for _, g := range f.undescribed() {
		err := f.scan(g, []byte(bunTrailer), len(bunTrailer), func(off int64, _ []byte) bool {
			at = off
			return true // keep the last one
		})
		if err != nil {
			id.problem(err)
		}
	}
	if at < 0 {
		return id.bunOrphanGraph()
	}
	p := &Payload{Format: "bun appended graph", Access: "reads its own file (/proc/self/exe), last 4096 bytes", Off: Hex(at)}
	p.Problem = fmt.Sprintf("Bun's trailer is at 0x%x, %s before the end of the file instead of in its last 24 bytes where Bun looks: data was added after the application, and Bun starts as the plain bun CLI", at, HumanSize(uint64(f.size-at)))
	p.Rewriter = "a rewrite that appends to the file (patchelf does)"
	p.Effect = EffectBareRuntime
	p.Evidence = append(p.Evidence, fmt.Sprintf("%q found at 0x%x, in bytes no ELF header describes; file size 0x%x (%s)", bunTrailer, at, f.size, HumanSize(uint64(f.size))))
	return p
}

// bunOrphanGraph finds the file names of an appended graph whose trailer
// is gone, as after an interrupted download: the names start with Bun's
// virtual root, in bytes no ELF header describes.
func (id *identifier) bunOrphanGraph() *Payload {
	f := id.f
	var at int64 = -1
	for _, g := range f.undescribed() {
		for _, root := range bunRoots {
			err := f.scan(g, []byte(root), len(root), func(off int64, _ []byte) bool {
				at = off
				return false
			})
			if err != nil {
				id.problem(err)
			}
			if at >= 0 {
				break
			}
		}
		if at >= 0 {
			break
		}
	}
	if at < 0 {
		return nil
	}
	return &Payload{Format: "bun appended graph", Access: "reads its own file (/proc/self/exe), last 4096 bytes", Off: Hex(at),
		Effect:   EffectBareRuntime,
		Problem:  fmt.Sprintf("an application's files are at 0x%x, but the trailer Bun looks for in the last 24 bytes of the file is missing (a truncated download, or a tool that cut the end of the file): Bun starts as the plain bun CLI", at),
		Evidence: []string{fmt.Sprintf("a %q file name at 0x%x, in bytes no ELF header describes; no %q trailer after it", bunRoots[0], at, bunTrailer)}}
}

// undescribed returns the ranges of the file that no program header,
// section header or header table covers: where appended data lives.
func (f *File) undescribed() []fileRange {
	size := uint64(f.size)
	covered := []fileRange{{0, int64(min(uint64(f.Ehsize), size))}}
	add := func(off, n uint64) {
		if off >= size || n == 0 {
			return
		}
		covered = append(covered, fileRange{int64(off), int64(off + min(n, size-off))})
	}
	add(f.Phoff, uint64(f.Phnum)*uint64(f.phdrSize()))
	add(f.Shoff, uint64(f.Shnum)*uint64(f.shdrSize()))
	for _, p := range f.Progs {
		add(p.Offset, p.Filesz)
	}
	for _, s := range f.Sections {
		if s.Type != elf.SHT_NOBITS {
			add(s.Offset, s.Size)
		}
	}
	sort.Slice(covered, func(i, j int) bool { return covered[i].lo < covered[j].lo })
	var gaps []fileRange
	pos := int64(0)
	for _, c := range covered {
		if c.lo > pos {
			gaps = append(gaps, fileRange{pos, c.lo})
		}
		pos = max(pos, c.hi)
	}
	if pos < f.size {
		gaps = append(gaps, fileRange{pos, f.size})
	}
	return gaps
}
