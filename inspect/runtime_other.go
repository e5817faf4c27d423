package inspect

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
)

// loaderNote is a note as a runtime finds it at run time: by walking its
// PT_NOTE segments in memory (dl_iterate_phdr), not its section headers.
type loaderNote struct {
	prog     int // program header index of the PT_NOTE
	name     string
	typ      uint32
	addr     uint64 // vaddr of the note header
	descAddr uint64
	descSize uint64
}

// maxNotesPerSegment bounds the walk over one PT_NOTE; real segments hold
// a handful, annobin-rich ones a few thousand.
const maxNotesPerSegment = 1 << 14

// loaderNotes walks every PT_NOTE through the loader's view, reading
// headers and names only, so a note carrying a large payload costs
// nothing to find. A note that runs off its segment or into unmapped
// memory ends the walk of that segment with a problem.
func (f *File) loaderNotes() (out []loaderNote, problems []error) {
	im := f.Image()
	for _, p := range f.ProgsOfType(elf.PT_NOTE) {
		a := uint64(4)
		if p.Align == 8 {
			a = 8
		}
		what := fmt.Sprintf("PT_NOTE (program header %d)", p.Index)
		end := p.Vaddr + p.Filesz
		if end < p.Vaddr {
			problems = append(problems, errAt(p.Off, what, "p_vaddr+p_filesz wraps around", p.Filesz))
			continue
		}
		var hdr [12]byte
		for pos, n := p.Vaddr, 0; pos+12 <= end && n < maxNotesPerSegment; n++ {
			if err := im.ReadAt(hdr[:], pos, what+" note header"); err != nil {
				problems = append(problems, err)
				break
			}
			namesz, descsz, typ := uint64(f.order.Uint32(hdr[0:])), uint64(f.order.Uint32(hdr[4:])), f.order.Uint32(hdr[8:])
			nameAt := pos + 12
			descAt := roundUp(nameAt+namesz, a)
			next := roundUp(descAt+descsz, a)
			if namesz > 256 || descAt+descsz > end || next < pos {
				problems = append(problems, errMem(pos, what+" note", "runs past the end of its segment", descsz))
				break
			}
			name := make([]byte, namesz)
			if err := im.ReadAt(name, nameAt, what+" note name"); err != nil {
				problems = append(problems, err)
				break
			}
			out = append(out, loaderNote{prog: p.Index, name: strings.TrimRight(string(name), "\x00"), typ: typ,
				addr: pos, descAddr: descAt, descSize: descsz})
			pos = next
		}
	}
	return out, problems
}

// fileOffOf names the file offset behind a vaddr, for evidence.
func (im *Image) fileOffOf(addr uint64) string {
	l := im.Lookup(addr)
	if l.Mapped && l.File {
		return fmt.Sprintf("0x%x (vaddr 0x%x)", l.Off, addr)
	}
	return fmt.Sprintf("vaddr 0x%x (%s)", addr, l.Backing())
}

// Node.js single executable applications: postject adds the blob as a
// note named NODE_SEA_BLOB in a PT_NOTE segment, and flips the fuse
// string from ":0" to ":1". At start-up Node checks the fuse first, then
// finds the note through dl_iterate_phdr.
const (
	seaNoteName = "NODE_SEA_BLOB"
	seaFuse     = "NODE_SEA_FUSE_"
	seaMagic    = 0x0143da20
)

func (id *identifier) node() {
	f := id.f
	notes, problems := id.notes()
	var sea *loaderNote
	for i := range notes {
		if notes[i].name == seaNoteName {
			sea = &notes[i]
			break
		}
	}
	// Bun and Deno export Node's addon ABI too, so only a SEA note says
	// Node when one of them has been found.
	if sea == nil && (len(id.fp.Runtimes) > 0 || !f.exportsSymbol("node_module_register")) {
		return
	}
	for _, err := range problems {
		id.problem(err)
	}
	r := Runtime{Kind: RuntimeNode, Name: "Node.js"}
	ro := f.rodata()
	// The fuse sentinel is Node's own: Bun and Deno export Node's addon
	// ABI and Deno even carries Node's release URL, but neither has it.
	fuse, fuseOff := byte(0), int64(-1)
	if err := f.scan(ro, []byte(seaFuse), 64, func(off int64, b []byte) bool {
		i := bytes.IndexByte(b, ':')
		if i < 0 || i+1 >= len(b) || (b[i+1] != '0' && b[i+1] != '1') {
			return true
		}
		fuse, fuseOff = b[i+1], off
		r.Evidence = append(r.Evidence, fmt.Sprintf("fuse %q at 0x%x", string(b[:i+2]), off))
		r.Marks = append(r.Marks, Mark{Name: "single executable application fuse", State: MarkFound, Where: fmt.Sprintf("0x%x", off)})
		return false
	}); err != nil {
		id.problem(err)
	}
	if fuseOff < 0 && sea == nil {
		return
	}
	if sea != nil {
		r.Marks = append(r.Marks, Mark{Name: seaNoteName + " note", State: MarkFound, Where: fmt.Sprintf("vaddr 0x%x", sea.addr)})
	}
	const rel = "/download/release/v"
	if id.quick {
		ro.hi = ro.lo // no version scan: the fuse scan above decides
	}
	if err := f.scan(ro, []byte(rel), 64, func(off int64, b []byte) bool {
		v := leadingVersion(string(b[len(rel):]))
		if v == "" {
			return true
		}
		r.Version = v
		r.Evidence = append(r.Evidence, fmt.Sprintf("release URL %q at 0x%x", cstr(b), off))
		r.Marks = append(r.Marks, Mark{Name: "release URL", State: MarkFound, Where: fmt.Sprintf("0x%x", off)})
		return false
	}); err != nil {
		id.problem(err)
	}
	if sea == nil {
		if fuse == '1' {
			r.Payload = &Payload{Format: "node SEA note", Access: "reads its own memory, through its PT_NOTE segments",
				Off: Hex(fuseOff), Effect: EffectCrash,
				Problem: "the SEA fuse is set but no PT_NOTE segment holds a NODE_SEA_BLOB note: Node starts as a single executable application without its blob, and crashes (SIGSEGV with Node 20)"}
		}
		id.add(r)
		return
	}
	im := f.Image()
	p := &Payload{Format: "node SEA note", Access: "reads its own memory, through its PT_NOTE segments",
		Addr: Hex(sea.descAddr), Size: Hex(sea.descSize)}
	if l := im.Lookup(sea.descAddr); l.File {
		p.Off = Hex(l.Off)
	}
	p.Evidence = append(p.Evidence, fmt.Sprintf("note %s in program header %d at %s, blob %s", seaNoteName, sea.prog, im.fileOffOf(sea.addr), HumanSize(sea.descSize)))
	switch {
	case fuse != '1':
		p.Problem = "the blob is there but the SEA fuse is not set (\":0\"): Node starts as the plain node binary and ignores the application"
		p.Effect = EffectBareRuntime
	default:
		if ok, l := im.fileBacked(sea.descAddr, sea.descSize); !ok {
			p.Problem = fmt.Sprintf("the blob (vaddr 0x%x, %s) is not all file bytes in the loader's view: at vaddr 0x%x it is %s", sea.descAddr, HumanSize(sea.descSize), l.Addr, l.Backing())
			break
		}
		var m [4]byte
		if sea.descSize < 8 || im.ReadAt(m[:], sea.descAddr, "SEA blob") != nil {
			p.Problem = "the blob is too short to be a SEA resource"
			break
		}
		if got := binary.LittleEndian.Uint32(m[:]); got != seaMagic {
			p.Problem = fmt.Sprintf("the blob starts with 0x%08x, not the SEA magic 0x%08x: Node aborts reading it", got, seaMagic)
			break
		}
		p.Evidence = append(p.Evidence, fmt.Sprintf("SEA magic 0x%08x at %s", seaMagic, im.fileOffOf(sea.descAddr)))
		p.Reachable = true
	}
	r.Payload = p
	id.add(r)
}

// exportsSymbol reports whether .dynstr holds name, such as Node's
// module registration, which every Node executable exports for addons
// (and Bun and Deno, which load Node's addons, too). It scans .dynstr and
// nothing else.
func (f *File) exportsSymbol(name string) bool {
	s := f.section(".dynstr")
	if s == nil || s.Type != elf.SHT_STRTAB || s.Offset >= uint64(f.size) {
		return false
	}
	end := int64(s.Offset + min(s.Size, uint64(f.size)-s.Offset))
	found := false
	_ = f.scan(fileRange{int64(s.Offset), end}, []byte("\x00"+name+"\x00"), 0, func(int64, []byte) bool {
		found = true
		return false
	})
	return found
}

// Deno compile: since Deno 2 (libsui), a note named "SUI" in its own
// PT_NOTE segment carries a named section "d3n0l4nd" whose data starts
// and ends with that magic; older releases appended the data and ended
// the file with the magic and two big-endian u64 offsets.
const (
	denoMagic   = "d3n0l4nd"
	suiNoteName = "SUI"
)

func (id *identifier) deno() {
	f := id.f
	notes, _ := id.notes()
	var p *Payload
	for _, n := range notes {
		if n.name == suiNoteName {
			p = id.denoSUI(n)
			break
		}
	}
	if p == nil {
		p = id.denoAppended()
	}
	// Bun exports Node-API too: the CLI probe is for files no other
	// runtime has claimed.
	if p == nil && (id.quick || len(id.fp.Runtimes) > 0 || !f.exportsSymbol("napi_module_register")) {
		return
	}
	r := Runtime{Kind: RuntimeDeno, Name: "Deno", Payload: p}
	if p != nil && p.Reachable {
		id.denoCLIRuntime(&r)
	}
	if id.quick {
		id.add(r)
		return
	}
	if p == nil {
		// The Deno CLI itself, or denort without an application: it
		// carries no payload, so it is known by its own marks, the magic
		// its `deno compile` code frames applications with and its user
		// agent, both in .rodata.
		magic := int64(-1)
		if err := f.scan(f.rodata(), []byte(denoMagic), len(denoMagic), func(off int64, _ []byte) bool {
			magic = off
			return false
		}); err != nil {
			id.problem(err)
		}
		if magic < 0 {
			return
		}
		r.Marks = append(r.Marks, Mark{Name: "standalone magic " + denoMagic, State: MarkFound, Where: fmt.Sprintf("0x%x", magic)})
	}
	best, bestOff := "", int64(-1)
	if err := f.scan(f.rodata(), []byte("Deno/"), 32, func(off int64, b []byte) bool {
		// Several crates put their own "Deno/x.y.z" user agent in; the
		// runtime's is the highest.
		if v := leadingVersion(string(b[5:])); v != "" && versionLess(best, v) {
			best, bestOff = v, off
			r.Evidence = append(r.Evidence, fmt.Sprintf("user agent %q at 0x%x", "Deno/"+v, off))
		}
		return true
	}); err != nil {
		id.problem(err)
	}
	if best == "" && p == nil {
		return
	}
	if best != "" {
		r.Marks = append(r.Marks, Mark{Name: "user agent Deno/" + best, State: MarkFound, Where: fmt.Sprintf("0x%x", bestOff)})
	}
	r.Version = best
	id.add(r)
}

// denoCompileMark is the environment variable `deno compile` reads to
// find the runtime it copies: only the CLI, which builds applications,
// has it; denort, the runtime that runs them, does not.
const denoCompileMark = "DENORT_BIN"

// denoCLIRuntime checks which runtime a Deno application embeds. Since
// Deno 2 the CLI does not look for a compiled application at start-up
// (denort does), so an application built on the CLI (DENORT_BIN pointed
// at deno itself) starts the CLI's REPL: seen with 2.9.6.
func (id *identifier) denoCLIRuntime(r *Runtime) {
	f := id.f
	at := int64(-1)
	if err := f.scan(f.rodata(), []byte(denoCompileMark), 0, func(off int64, _ []byte) bool {
		at = off
		return false
	}); err != nil {
		id.problem(err)
	}
	if at < 0 {
		return
	}
	p := r.Payload
	p.Reachable = false
	p.Effect = EffectBareRuntime
	p.Problem = "the runtime this application embeds is the Deno CLI, not denort: the CLI does not look for a compiled application, so it starts as the plain deno CLI (the REPL, or its usage with arguments)"
	p.Evidence = append(p.Evidence, fmt.Sprintf("%q, which only the CLI's compile command reads, at 0x%x", denoCompileMark, at))
	r.Marks = append(r.Marks, Mark{Name: "deno compile command (" + denoCompileMark + ")", State: MarkFound, Where: fmt.Sprintf("0x%x", at)})
}

func (id *identifier) denoSUI(n loaderNote) *Payload {
	f := id.f
	im := f.Image()
	p := &Payload{Format: "deno SUI note", Access: "reads its own memory, through its PT_NOTE segments", Addr: Hex(n.descAddr), Size: Hex(n.descSize)}
	if l := im.Lookup(n.descAddr); l.File {
		p.Off = Hex(l.Off)
	}
	p.Evidence = append(p.Evidence, fmt.Sprintf("note %s in program header %d at %s, %s", suiNoteName, n.prog, im.fileOffOf(n.addr), HumanSize(n.descSize)))
	if ok, l := im.fileBacked(n.descAddr, n.descSize); !ok {
		p.Problem = fmt.Sprintf("the note's data is not all file bytes in the loader's view: at vaddr 0x%x it is %s", l.Addr, l.Backing())
		return p
	}
	var hdr [2 + 64]byte
	if n.descSize < 2+8+16 {
		p.Problem = "the SUI note is too short to hold Deno's data"
		return p
	}
	h := hdr[:min(uint64(len(hdr)), n.descSize)]
	if err := im.ReadAt(h, n.descAddr, "SUI note"); err != nil {
		p.Problem = err.Error()
		return p
	}
	nl := uint64(binary.LittleEndian.Uint16(h))
	if nl == 0 || 2+nl > uint64(len(h)) {
		p.Problem = fmt.Sprintf("the SUI section name length %d does not fit the note", nl)
		return p
	}
	name := string(h[2 : 2+nl])
	if name != denoMagic {
		return nil // a libsui note, but not Deno's
	}
	data, size := n.descAddr+2+nl, n.descSize-2-nl
	var head, tail [8]byte
	if size < 16 || im.ReadAt(head[:], data, "deno data") != nil || im.ReadAt(tail[:], data+size-8, "deno data") != nil {
		p.Problem = "Deno's data is too short"
		return p
	}
	if string(head[:]) != denoMagic || string(tail[:]) != denoMagic {
		p.Problem = fmt.Sprintf("Deno's data at %s does not start and end with %q: the runtime rejects it", im.fileOffOf(data), denoMagic)
		return p
	}
	p.Evidence = append(p.Evidence, fmt.Sprintf("section %q: %s of data framed by %q", name, HumanSize(size), denoMagic))
	p.Reachable = true
	return p
}

func (id *identifier) denoAppended() *Payload {
	t := id.tailBuf
	if len(t) < 24 || string(t[len(t)-24:len(t)-16]) != denoMagic {
		return nil
	}
	size := uint64(id.f.size)
	eszip := binary.BigEndian.Uint64(t[len(t)-16:])
	meta := binary.BigEndian.Uint64(t[len(t)-8:])
	p := &Payload{Format: "deno appended", Access: "reads its own file (current_exe), last 24 bytes", Off: Hex(eszip)}
	p.Evidence = append(p.Evidence, fmt.Sprintf("%q at 0x%x; eszip at 0x%x, metadata at 0x%x", denoMagic, size-24, eszip, meta))
	if eszip < meta && meta <= size-24 {
		p.Size = Hex(size - eszip)
		p.Reachable = true
		return p
	}
	// Deno 2.4 to 2.8 frame the appended data instead: it starts with the
	// magic, and the file ends with the magic, a u64 and the little-endian
	// length of everything appended (seen in 2.4.4 and 2.8.3 output).
	if total := binary.LittleEndian.Uint64(t[len(t)-8:]); total >= 32 && total <= size {
		start := size - total
		var head [8]byte
		if err := id.f.readAt(head[:], int64(start)); err == nil && string(head[:]) == denoMagic {
			p.Format, p.Access, p.Off, p.Size = "deno appended", "reads its own file (current_exe), last 8 bytes", Hex(start), Hex(total)
			p.Evidence = []string{fmt.Sprintf("%q at 0x%x; %s appended, starting with %q at 0x%x", denoMagic, size-24, HumanSize(total), denoMagic, start)}
			p.Reachable = true
			return p
		}
	}
	p.Problem = fmt.Sprintf("the trailer's offsets (eszip 0x%x, metadata 0x%x) do not fit in the %s file, and it does not give the length of data that starts with %q either", eszip, meta, HumanSize(size), denoMagic)
	return p
}

// versionLess compares dotted versions numerically; "" is the least.
func versionLess(a, b string) bool {
	if a == "" {
		return b != ""
	}
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, _ := strconv.Atoi(strings.SplitN(as[i], "-", 2)[0])
		y, _ := strconv.Atoi(strings.SplitN(bs[i], "-", 2)[0])
		if x != y {
			return x < y
		}
	}
	return len(as) < len(bs)
}

// golang reads Go's build information when the file says it is a Go
// program (a .go.buildinfo section, or the "Go" build-id note).
func (id *identifier) golang() {
	f := id.f
	notes, _ := id.notes()
	var goNote *loaderNote
	for i := range notes {
		if notes[i].name == "Go" {
			goNote = &notes[i]
			break
		}
	}
	sec := f.section(".go.buildinfo")
	if sec == nil && goNote == nil {
		return
	}
	r := Runtime{Kind: RuntimeGo, Name: "Go"}
	if goNote != nil {
		r.Marks = append(r.Marks, Mark{Name: "Go build-id note", State: MarkFound, Where: fmt.Sprintf("vaddr 0x%x", goNote.addr)})
	}
	info, at, err := f.goBuildInfo(sec)
	if err != nil {
		id.problem(fmt.Errorf("go build info: %w", err))
		if goNote == nil {
			return
		}
		// The note alone says Go; without the build information there is
		// no version to give.
		r.Marks = append(r.Marks, Mark{Name: "Go build information", State: MarkDamaged, Problem: err.Error()})
		id.add(r)
		return
	}
	r.Marks = append(r.Marks, Mark{Name: "Go build information", State: MarkFound, Where: fmt.Sprintf("vaddr 0x%x", at)})
	r.Version = strings.TrimPrefix(info.GoVersion, "go")
	r.Details = append(r.Details, Detail{"path", info.Path}, Detail{"main module", strings.TrimSpace(info.Main.Path + " " + info.Main.Version)})
	var goos, goarch string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			r.Commit = s.Value
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		case "vcs.time", "vcs.modified", "-buildmode", "CGO_ENABLED", "vcs":
			r.Details = append(r.Details, Detail{s.Key, s.Value})
		}
	}
	r.Platform = strings.TrimSpace(goos + " " + goarch)
	r.Evidence = append(r.Evidence, fmt.Sprintf("Go build information at %s, read through the PT_LOAD segments", f.Image().fileOffOf(at)))
	id.add(r)
}

// Go's build information: a 32-byte header starting with goInfoMagic, the
// pointer size and flags, then (Go 1.18+) the version and the module
// information as varint-length strings, or (before) pointers to two Go
// string headers.
const (
	goInfoMagic     = "\xff Go buildinf:"
	goInfoAlign     = 16
	goInfoSearch    = 64 << 10 // how far debug/buildinfo searches from the data start
	goInfoMaxString = 1 << 20
)

// goBuildInfo reads Go's build information the way the loader maps the
// file: from the .go.buildinfo section's address, or without one from the
// start of the first writable, non-executable PT_LOAD, through the
// PT_LOAD segments only. debug/buildinfo maps any program header, and its
// Vaddr+Filesz-1 wraps for a TLS header at vaddr 0 that patchelf moved in
// front of the loads, so it calls a patched Go program "not a Go
// executable"; the loader's view has neither problem. It returns the
// information and the vaddr of its header.
func (f *File) goBuildInfo(sec *Section) (*debug.BuildInfo, uint64, error) {
	im := f.Image()
	var start uint64
	found := false
	if sec != nil && sec.Addr != 0 {
		start, found = sec.Addr, true
	} else {
		for _, p := range f.ProgsOfType(elf.PT_LOAD) {
			if p.Flags&(elf.PF_X|elf.PF_W) == elf.PF_W {
				start, found = p.Vaddr, true
				break
			}
		}
	}
	if !found {
		return nil, 0, errors.New("no .go.buildinfo section and no writable PT_LOAD")
	}
	// Read as much of the search window as the loader maps from the file.
	n := im.fileBackedLen(start, goInfoSearch)
	if n < 32 {
		if ok, l := im.fileBacked(start, 32); !ok {
			return nil, 0, errMem(start, "Go build information", "not file bytes in the loader's view: "+l.Backing(), nil)
		}
		n = 32
	}
	data := make([]byte, n)
	if err := im.ReadAt(data, start, "Go build information"); err != nil {
		return nil, 0, err
	}
	off := -1
	for i := 0; i+32 <= len(data); i += goInfoAlign {
		if string(data[i:i+len(goInfoMagic)]) == goInfoMagic {
			off = i
			break
		}
	}
	if off < 0 {
		return nil, 0, errMem(start, "Go build information", fmt.Sprintf("no %q header in the first %s", goInfoMagic, HumanSize(n)), nil)
	}
	at := start + uint64(off)
	hdr := data[off : off+32]
	ptrSize, flags := int(hdr[14]), hdr[15]
	var vers, mod string
	if flags&2 != 0 {
		rest := data[off+32:]
		var err error
		if vers, rest, err = goVarString(rest, at+32); err == nil {
			mod, _, err = goVarString(rest, at+32+uint64(len(data[off+32:])-len(rest)))
		}
		if err != nil {
			return nil, at, err
		}
	} else {
		if ptrSize != 4 && ptrSize != 8 {
			return nil, at, errMem(at+14, "Go build information", "pointer size is neither 4 nor 8", uint64(ptrSize))
		}
		var order binary.ByteOrder = binary.LittleEndian
		if flags&1 != 0 {
			order = binary.BigEndian
		}
		ptr := func(b []byte) uint64 {
			if ptrSize == 4 {
				return uint64(order.Uint32(b))
			}
			return order.Uint64(b)
		}
		str := func(hdrAddr uint64) (string, error) {
			h := make([]byte, 2*ptrSize)
			if err := im.ReadAt(h, hdrAddr, "Go string header"); err != nil {
				return "", err
			}
			p, l := ptr(h), ptr(h[ptrSize:])
			if l > goInfoMaxString {
				return "", errMem(hdrAddr, "Go string header", "length over 1 MiB", l)
			}
			b := make([]byte, l)
			if err := im.ReadAt(b, p, "Go string"); err != nil {
				return "", err
			}
			return string(b), nil
		}
		var err error
		if vers, err = str(ptr(hdr[16:])); err == nil {
			mod, err = str(ptr(hdr[16+ptrSize:]))
		}
		if err != nil {
			return nil, at, err
		}
	}
	if vers == "" {
		return nil, at, errMem(at, "Go build information", "no Go version", nil)
	}
	// The module information is framed by 16-byte sentinels.
	if len(mod) >= 33 && mod[len(mod)-17] == '\n' {
		mod = mod[16 : len(mod)-16]
	} else {
		mod = ""
	}
	info, err := debug.ParseBuildInfo(mod)
	if err != nil {
		return nil, at, errMem(at, "Go module information", err.Error(), nil)
	}
	info.GoVersion = vers
	return info, at, nil
}

// goVarString reads a uvarint-length-prefixed string from b, which starts
// at vaddr addr (for errors).
func goVarString(b []byte, addr uint64) (string, []byte, error) {
	l, n := binary.Uvarint(b)
	if n <= 0 || l > uint64(len(b)-n) || l > goInfoMaxString {
		return "", nil, errMem(addr, "Go build information string", "length runs past what the loader maps", l)
	}
	return string(b[n : n+int(l)]), b[n+int(l):], nil
}

// PyInstaller ends its archive with an 88-byte cookie: the magic, then
// big-endian package length, TOC offset and length, Python version, and
// the Python library's name. The bootloader looks for it at the end of
// its own file, or at the end of a "pydata" section.
const (
	pyiMagic      = "MEI\014\013\012\013\016"
	pyiCookieSize = 88
)

func (id *identifier) pyinstaller() {
	f := id.f
	var cookie []byte
	var cookieOff int64
	where := "the end of the file"
	if s := f.section("pydata"); s != nil && s.Size >= pyiCookieSize && s.Offset+s.Size <= uint64(f.size) {
		off := int64(s.Offset + s.Size - pyiCookieSize)
		if b, err := f.readFull(off, pyiCookieSize, "pydata cookie"); err == nil && string(b[:8]) == pyiMagic {
			cookie, cookieOff, where = b, off, "the end of section pydata"
		}
	}
	if cookie == nil {
		if i := bytes.LastIndex(id.tailBuf, []byte(pyiMagic)); i >= 0 && len(id.tailBuf)-i >= pyiCookieSize {
			cookie, cookieOff = id.tailBuf[i:i+pyiCookieSize], id.tailOff+int64(i)
		}
	}
	if cookie == nil {
		return
	}
	be := binary.BigEndian
	pkgLen, toc, tocLen, pyv := uint64(be.Uint32(cookie[8:])), uint64(be.Uint32(cookie[12:])), uint64(be.Uint32(cookie[16:])), be.Uint32(cookie[20:])
	lib := cstr(cookie[24:])
	r := Runtime{Kind: RuntimePyInstaller, Name: "PyInstaller"}
	if pyv >= 100 {
		r.Version = fmt.Sprintf("Python %d.%d", pyv/100, pyv%100)
	}
	r.Details = append(r.Details, Detail{"python library", lib})
	end := uint64(cookieOff) + pyiCookieSize
	p := &Payload{Format: "pyinstaller archive", Access: "reads its own file", Size: Hex(pkgLen)}
	p.Evidence = append(p.Evidence, fmt.Sprintf("cookie at 0x%x (%s): package 0x%x bytes, TOC at +0x%x (0x%x bytes), Python %d, %s", cookieOff, where, pkgLen, toc, tocLen, pyv, lib))
	switch {
	case pkgLen > end:
		p.Problem = fmt.Sprintf("the cookie says the archive is %s long, more than the 0x%x bytes before it: the bootloader cannot open it", HumanSize(pkgLen), end)
	case toc+tocLen > pkgLen:
		p.Problem = "the table of contents runs past the end of the archive: the bootloader cannot read it"
	default:
		p.Off = Hex(end - pkgLen)
		p.Reachable = true
	}
	r.Payload = p
	id.add(r)
}
