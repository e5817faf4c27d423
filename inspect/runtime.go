package inspect

import (
	"bytes"
	"debug/elf"
	"fmt"
	"sort"
	"strings"
)

// RuntimeKind names a language runtime that ships programs as one file.
type RuntimeKind string

const (
	RuntimeBun         RuntimeKind = "bun"
	RuntimeNode        RuntimeKind = "node"
	RuntimeDeno        RuntimeKind = "deno"
	RuntimeGo          RuntimeKind = "go"
	RuntimePyInstaller RuntimeKind = "pyinstaller"
)

// Runtime is one embedded runtime found in an executable: which build it
// is, and the application payload it carries, if any.
type Runtime struct {
	Kind    RuntimeKind `json:"kind"`
	Name    string      `json:"name"` // for people: "Bun", "Node.js"
	Version string      `json:"version,omitempty"`
	// Commit is the build commit as the runtime prints it; its length
	// varies between releases, so it is never cut or padded.
	Commit   string `json:"commit,omitempty"`
	Platform string `json:"platform,omitempty"` // as the runtime names it, e.g. "Linux x64"
	// Variants are build flavours that matter when it crashes: baseline
	// (no AVX2), canary, debug, musl.
	Variants []string `json:"variants,omitempty"`
	Details  []Detail `json:"details,omitempty"`
	// Warning is a caveat in plain words, such as a runtime that may have
	// lost its application without leaving a trace.
	Warning string `json:"warning,omitempty"`
	// Evidence says where each fact was read, with file offsets.
	Evidence []string `json:"evidence,omitempty"`
	// Marks are the runtime's independent signs, each read in its own
	// place, so that a rewrite that damages one does not lose the
	// runtime: which were found intact and which were damaged.
	Marks   []Mark   `json:"marks,omitempty"`
	Payload *Payload `json:"payload,omitempty"`
}

// Mark is one sign of a runtime, such as Bun's symbol version or its
// version banner.
type Mark struct {
	Name  string    `json:"name"`
	State MarkState `json:"state"`
	// Where it was read: a file offset or a vaddr, as people look it up.
	Where string `json:"where,omitempty"`
	// Problem says, for a damaged mark, what is wrong and what a reader
	// of it (ld.so, the runtime) gets instead.
	Problem string `json:"problem,omitempty"`
	// Rewriter names the tool whose known behaviour leaves this damage
	// ("patchelf"), when the damage tells; advice names it.
	Rewriter string `json:"rewriter,omitempty"`
}

// MarkState says whether a mark was found intact.
type MarkState string

const (
	MarkFound   MarkState = "found"
	MarkDamaged MarkState = "damaged"
)

// Damaged returns the runtime's damaged marks.
func (r *Runtime) Damaged() []Mark {
	var out []Mark
	for _, m := range r.Marks {
		if m.State == MarkDamaged {
			out = append(out, m)
		}
	}
	return out
}

// Detail is one more named fact about a runtime, such as Go's main module.
type Detail struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Payload is the application a runtime carries, found by following the
// runtime's own pointers to it the way the runtime does at start-up.
type Payload struct {
	Format string `json:"format"` // e.g. "bun .bun section"
	// How the runtime reaches it: through its own memory, or by reading
	// its own file (/proc/self/exe).
	Access string `json:"access"`
	Off    Hex    `json:"offset"`
	Addr   Hex    `json:"vaddr,omitempty"`
	Size   Hex    `json:"size"`
	Entry  string `json:"entry,omitempty"` // the module the runtime starts
	Files  int    `json:"files,omitempty"`
	// Reachable is true when the runtime will find a consistent payload.
	// When false, Problem says why in plain words and Effect what the
	// runtime does instead.
	Reachable bool     `json:"reachable"`
	Problem   string   `json:"problem,omitempty"`
	Effect    Effect   `json:"effect,omitempty"`
	Evidence  []string `json:"evidence,omitempty"`
	// Rewriter names the kind of tool whose known behaviour explains an
	// unreachable payload ("strip or objcopy", "patchelf"), when the
	// damage tells; advice names it.
	Rewriter string `json:"rewriter,omitempty"`
}

// Effect is what a runtime does when it cannot use its payload.
type Effect string

const (
	// EffectBareRuntime: it starts as the plain runtime (bun's or node's
	// own command line) and the application never runs.
	EffectBareRuntime Effect = "bare-runtime"
	// EffectCrash: it is killed by a signal reading the payload.
	EffectCrash Effect = "crash"
	// EffectFails: it stops with an error, or misbehaves in a way
	// elfdoctor has not pinned down.
	EffectFails Effect = "fails"
)

// Tool is one toolchain component that left its name in the file.
type Tool struct {
	Name    string `json:"name"` // GCC, clang, rustc, LLD, Zig, Go, annobin
	Version string `json:"version,omitempty"`
	Raw     string `json:"raw"`
	Source  string `json:"source"` // .comment, .gnu.build.attributes
}

// Fingerprint is everything Identify learned about how a file was built
// and what it runs.
type Fingerprint struct {
	Runtimes  []Runtime `json:"runtimes"`
	Toolchain []Tool    `json:"toolchain,omitempty"`
	// Truncated is set when the file ends before what its own headers
	// describe: the missing part can hold a runtime or its application.
	Truncated *Truncation `json:"truncated,omitempty"`
	Problems  []Problem   `json:"problems,omitempty"`
}

// Truncation says where a file ends, where its headers say it should, and
// what the missing part held.
type Truncation struct {
	Size     Hex `json:"size"`     // the file's size
	Expected Hex `json:"expected"` // the end the headers describe
	// Hides lists what lies past the end, in plain words: "PT_LOAD 4
	// (RW): 1.2 MiB of its file bytes", "the section header table".
	Hides []string `json:"hides"`
}

// HasProblem reports whether anything found makes the runtime answer
// uncertain or wrong: a payload the runtime will not reach, a damaged
// mark, or a truncated file.
func (fp *Fingerprint) HasProblem() bool {
	if fp.Unreachable() != nil || fp.Truncated != nil {
		return true
	}
	for i := range fp.Runtimes {
		if len(fp.Runtimes[i].Damaged()) > 0 {
			return true
		}
	}
	return false
}

// Runtime returns the runtime of the given kind, or nil.
func (fp *Fingerprint) Runtime(k RuntimeKind) *Runtime {
	for i := range fp.Runtimes {
		if fp.Runtimes[i].Kind == k {
			return &fp.Runtimes[i]
		}
	}
	return nil
}

// Unreachable returns the first runtime whose payload the runtime will
// not find, or nil.
func (fp *Fingerprint) Unreachable() *Runtime {
	for i := range fp.Runtimes {
		if p := fp.Runtimes[i].Payload; p != nil && !p.Reachable {
			return &fp.Runtimes[i]
		}
	}
	return nil
}

// Identify finds the runtimes embedded in f and checks that their payloads
// are where the runtimes will look. It reads what each format points at —
// sections, notes, trailers at the end of the file — and scans only a
// bounded range of read-only data, and only when a structural mark has
// said which runtime to look for.
func Identify(f *File) *Fingerprint { return identify(f, false) }

// IdentifyQuick learns only what decides whether the payloads are
// reachable, without the scans for version strings: what check needs.
func IdentifyQuick(f *File) *Fingerprint { return identify(f, true) }

// identify with quick set learns only what decides whether payloads are
// reachable, skipping the scans for version strings: check's use.
func identify(f *File, quick bool) (fp *Fingerprint) {
	fp = &Fingerprint{Runtimes: []Runtime{}}
	defer func() {
		if r := recover(); r != nil {
			fp.Problems = append(fp.Problems, ProblemOf(&InternalError{What: "runtime", Value: r}))
		}
	}()
	id := &identifier{f: f, fp: fp, quick: quick}
	fp.Truncated = f.truncation()
	id.tail()
	for _, probe := range []func(){id.bun, id.deno, id.node, id.golang, id.pyinstaller} {
		probe()
	}
	if !quick {
		fp.Toolchain = append(f.comment(fp), f.buildAttributes(fp)...)
	}
	for i := range fp.Runtimes {
		if p := fp.Runtimes[i].Payload; p != nil && !p.Reachable && p.Effect == "" {
			p.Effect = EffectFails
		}
	}
	return fp
}

// maxHides bounds the list of what a truncation hides.
const maxHides = 8

// truncation compares the file's size with the end its own headers
// describe: the file bytes of every PT_LOAD, the section header table,
// and the sections' bytes. A file cut after its headers (an interrupted
// download or copy) loses what the runtime probes read, so "no runtime"
// would be a guess; this says what is gone instead.
func (f *File) truncation() *Truncation {
	size := uint64(f.size)
	t := &Truncation{Size: Hex(size), Expected: Hex(size)}
	more := 0
	hide := func(off, n uint64, what string) {
		end, ok := addNoOverflow(off, n)
		if !ok || end <= size || n == 0 {
			return
		}
		t.Expected = max(t.Expected, Hex(end))
		if len(t.Hides) >= maxHides {
			more++
			return
		}
		missing := end - max(off, size)
		t.Hides = append(t.Hides, fmt.Sprintf("%s: %s of %s at 0x%x", what, HumanSize(missing), HumanSize(n), off))
	}
	for _, p := range f.ProgsOfType(elf.PT_LOAD) {
		what := fmt.Sprintf("PT_LOAD %d (%s", p.Index, FlagString(p.Flags))
		if names := f.SectionsIn(p); len(names) > 4 {
			what += ": " + strings.Join(names[:4], " ") + fmt.Sprintf(" +%d", len(names)-4)
		} else if len(names) > 0 {
			what += ": " + strings.Join(names, " ")
		}
		hide(p.Offset, p.Filesz, what+")")
	}
	if f.Shoff != 0 && f.Shnum > 0 {
		hide(f.Shoff, uint64(f.Shnum)*uint64(f.shdrSize()),
			fmt.Sprintf("the section header table (%d headers, which name .rodata, .bun, .gnu.version_d and the symbol tables the runtime probes read)", f.Shnum))
	}
	for _, s := range f.Sections {
		if s.Type != elf.SHT_NOBITS && s.Flags&elf.SHF_ALLOC == 0 {
			hide(s.Offset, s.Size, "section "+s.Name)
		}
	}
	if t.Expected == Hex(size) {
		return nil
	}
	if more > 0 {
		t.Hides = append(t.Hides, fmt.Sprintf("and %d more", more))
	}
	return t
}

// identifier carries what several probes share: the end of the file,
// where three formats keep their trailers.
type identifier struct {
	f       *File
	fp      *Fingerprint
	quick   bool
	tailOff int64
	tailBuf []byte

	noteList     []loaderNote
	noteProblems []error
	notesRead    bool
}

// notes walks the PT_NOTE segments once for all the probes that need them.
func (id *identifier) notes() ([]loaderNote, []error) {
	if !id.notesRead {
		id.noteList, id.noteProblems = id.f.loaderNotes()
		id.notesRead = true
	}
	return id.noteList, id.noteProblems
}

// tailSize is how much of the end of the file the trailer formats need:
// Bun reads exactly its last 4096 bytes.
const tailSize = 4096

func (id *identifier) tail() {
	n := min(id.f.size, tailSize)
	id.tailOff = id.f.size - n
	b, err := id.f.readFull(id.tailOff, uint64(n), "end of file")
	if err != nil {
		id.problem(err)
		return
	}
	id.tailBuf = b
}

func (id *identifier) problem(err error) {
	id.fp.Problems = append(id.fp.Problems, ProblemOf(err))
}

func (id *identifier) add(r Runtime) { id.fp.Runtimes = append(id.fp.Runtimes, r) }

// section returns the named section, or nil.
func (f *File) section(name string) *Section {
	for i := range f.Sections {
		if f.Sections[i].Name == name {
			return &f.Sections[i]
		}
	}
	return nil
}

// fileRange is a half-open range of file offsets.
type fileRange struct{ lo, hi int64 }

// rodata is where a runtime keeps its version strings: .rodata, or without
// section headers the first read-only, non-executable PT_LOAD with bytes.
func (f *File) rodata() fileRange {
	if s := f.section(".rodata"); s != nil && s.Type == elf.SHT_PROGBITS && s.Offset < uint64(f.size) {
		return fileRange{int64(s.Offset), int64(min(s.Offset+min(s.Size, uint64(f.size)), uint64(f.size)))}
	}
	for _, p := range f.ProgsOfType(elf.PT_LOAD) {
		if p.Flags&(elf.PF_X|elf.PF_W) == 0 && p.Filesz > 0 && p.Offset < uint64(f.size) {
			return fileRange{int64(p.Offset), int64(min(p.Offset+min(p.Filesz, uint64(f.size)), uint64(f.size)))}
		}
	}
	return fileRange{0, f.size}
}

// scanChunk is how much a scan reads at a time: large enough that the
// per-read cost is small, small enough to stay in the CPU's caches and
// to cost a short-lived process few page faults.
const scanChunk = 128 << 10

// scan calls fn for each occurrence of pat in [r.lo, r.hi), passing its
// offset and up to ctx bytes starting at it. It reads the file in large
// pieces, bypassing the block cache that serves small random reads, so a
// scan runs at the speed of memory over the page cache. fn returns false
// to stop.
func (f *File) scan(r fileRange, pat []byte, ctx int, fn func(off int64, b []byte) bool) error {
	if len(pat) == 0 {
		return nil
	}
	ctx = max(ctx, len(pat))
	// A short range (.dynstr, a note) needs a buffer of its own size,
	// not a whole chunk.
	buf := f.scanBuf(int(min(int64(scanChunk+ctx), max(r.hi-r.lo, 0))))
	for pos := r.lo; pos < r.hi; {
		n := int64(len(buf))
		n = min(n, r.hi-pos, f.size-pos)
		if n <= 0 {
			return nil
		}
		b := buf[:n]
		if err := readFullAt(f.r, b, pos); err != nil {
			return errAt(pos, "scan", "read: "+err.Error(), nil)
		}
		// Matches must start in the first scanChunk bytes, except in the
		// last piece, so that the overlap is not scanned twice.
		limit := len(b)
		if pos+n < r.hi && limit > scanChunk {
			limit = scanChunk
		}
		for i := 0; i < limit; {
			j := bytes.Index(b[i:], pat)
			if j < 0 || i+j >= limit {
				break
			}
			at := i + j
			end := min(at+ctx, len(b))
			if !fn(pos+int64(at), b[at:end]) {
				return nil
			}
			i = at + 1
		}
		if pos+n >= r.hi {
			return nil
		}
		pos += int64(limit)
	}
	return nil
}

// scanBuf returns a buffer of n bytes, reused by every scan of the file.
func (f *File) scanBuf(n int) []byte {
	if cap(f.scanMem) < n {
		f.scanMem = make([]byte, n)
	}
	return f.scanMem[:n]
}

// comment reads the toolchain names compilers and linkers leave in
// .comment, one NUL-terminated string each.
func (f *File) comment(fp *Fingerprint) []Tool {
	s := f.section(".comment")
	if s == nil || s.Type != elf.SHT_PROGBITS || s.Size == 0 {
		return nil
	}
	const maxComment = 64 << 10
	if s.Size > maxComment {
		fp.Problems = append(fp.Problems, ProblemOf(errAt(int64(s.Offset), ".comment", "larger than 64 KiB; not read", s.Size)))
		return nil
	}
	b, err := f.readFull(int64(s.Offset), s.Size, ".comment")
	if err != nil {
		fp.Problems = append(fp.Problems, ProblemOf(err))
		return nil
	}
	var out []Tool
	seen := map[string]bool{}
	for _, raw := range strings.Split(string(b), "\x00") {
		raw = strings.TrimSpace(raw)
		if raw == "" || seen[raw] {
			continue
		}
		seen[raw] = true
		name, ver := classifyTool(raw)
		out = append(out, Tool{Name: name, Version: ver, Raw: raw, Source: ".comment"})
	}
	return out
}

// classifyTool names the tool behind a .comment string and pulls out its
// version: the last dotted number for GCC ("GCC: (Debian 12.2.0-14)
// 12.2.0"), the one after "version" for clang and rustc, after "LLD"
// for the linker.
func classifyTool(s string) (name, version string) {
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(s, "GCC:"):
		// "GCC: (GNU) 8.5.0 20210514 (Red Hat 8.5.0-28)": the version
		// is the first outside the vendor's parentheses.
		name = "GCC"
		version = firstVersion(withoutParens(s))
	case strings.Contains(lower, "clang version"):
		name = "clang"
		version = versionAfter(s, "version ")
	case strings.HasPrefix(lower, "rustc version"):
		name = "rustc"
		version = versionAfter(s, "version ")
	case strings.Contains(s, "LLD "):
		name = "LLD"
		version = versionAfter(s, "LLD ")
	case strings.Contains(lower, "zig"):
		name = "Zig"
		version = lastVersion(s)
	case strings.HasPrefix(s, "GNU ld") || strings.Contains(s, "GNU gold"):
		name = "GNU ld"
		version = lastVersion(s)
	case strings.HasPrefix(s, "Linker:"):
		name = "linker"
		version = lastVersion(s)
	default:
		name = strings.Fields(s)[0]
		version = lastVersion(s)
	}
	return name, version
}

// versionAfter returns the dotted version that follows marker in s.
func versionAfter(s, marker string) string {
	i := strings.Index(s, marker)
	if i < 0 {
		return ""
	}
	return leadingVersion(s[i+len(marker):])
}

// leadingVersion returns the version at the start of s: digits, dots and
// the pre-release suffix that follows, such as "1.94.0-nightly".
func leadingVersion(s string) string {
	end := 0
	for end < len(s) && (isDigit(s[end]) || s[end] == '.') {
		end++
	}
	if end == 0 || !strings.Contains(s[:end], ".") {
		return ""
	}
	if end < len(s) && s[end] == '-' {
		j := end + 1
		for j < len(s) && (isAlnum(s[j]) || s[j] == '.') {
			j++
		}
		if j > end+1 {
			end = j
		}
	}
	return strings.TrimRight(s[:end], ".")
}

func firstVersion(s string) string {
	for _, w := range strings.Fields(s) {
		if v := leadingVersion(w); v != "" {
			return v
		}
	}
	return ""
}

func withoutParens(s string) string {
	var b strings.Builder
	depth := 0
	for _, c := range s {
		switch {
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(c)
		}
	}
	return b.String()
}

func lastVersion(s string) string {
	fs := strings.Fields(s)
	for i := len(fs) - 1; i >= 0; i-- {
		if v := leadingVersion(strings.Trim(fs[i], "()")); v != "" {
			return v
		}
	}
	return ""
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || 'a' <= c && c <= 'f' }
func isAlnum(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// maxBuildAttrNotes bounds the walk over .gnu.build.attributes, which has
// a few notes per compiled function range.
const maxBuildAttrNotes = 1 << 16

// buildAttributes reads the tool strings annobin records in
// .gnu.build.attributes (name "GA$" + attribute 5, the tool), which say
// which compiler built each part of the program.
func (f *File) buildAttributes(fp *Fingerprint) []Tool {
	s := f.section(".gnu.build.attributes")
	if s == nil || s.Type != elf.SHT_NOTE || s.Size == 0 {
		return nil
	}
	if s.Size > maxNoteBytes {
		fp.Problems = append(fp.Problems, ProblemOf(errAt(int64(s.Offset), ".gnu.build.attributes", "larger than 1 MiB; not read", s.Size)))
		return nil
	}
	b, err := f.readFull(int64(s.Offset), s.Size, ".gnu.build.attributes")
	if err != nil {
		fp.Problems = append(fp.Problems, ProblemOf(err))
		return nil
	}
	seen := map[string]bool{}
	var out []Tool
	o := f.order
	for pos, n := uint64(0), 0; pos+12 <= uint64(len(b)) && n < maxBuildAttrNotes; n++ {
		namesz, descsz := uint64(o.Uint32(b[pos:])), uint64(o.Uint32(b[pos+4:]))
		nameOff := pos + 12
		if namesz > uint64(len(b)) || descsz > uint64(len(b)) || nameOff+namesz > uint64(len(b)) {
			fp.Problems = append(fp.Problems, ProblemOf(errAt(int64(s.Offset+pos), "build attribute note", "runs past the end of .gnu.build.attributes", namesz)))
			break
		}
		name := b[nameOff : nameOff+namesz]
		// GA, a type byte ('$' = string), the attribute byte (5 = tool).
		if len(name) > 4 && name[0] == 'G' && name[1] == 'A' && name[2] == '$' && name[3] == 5 {
			raw := strings.TrimRight(string(name[4:]), "\x00")
			if raw != "" && !seen[raw] {
				seen[raw] = true
				out = append(out, Tool{Name: "annobin", Version: lastVersion(raw), Raw: raw, Source: ".gnu.build.attributes"})
			}
		}
		pos = roundUp(roundUp(nameOff+namesz, 4)+descsz, 4)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Raw < out[j].Raw })
	return out
}

// fileBackedLen returns how many bytes from addr on, up to limit, come
// from the file in the loader's view.
func (im *Image) fileBackedLen(addr, limit uint64) uint64 {
	n := uint64(0)
	for n < limit {
		l := im.Lookup(addr + n)
		if !l.Mapped || !l.File || !l.InSegment || l.Off >= uint64(im.f.size) {
			break
		}
		c := min(im.contiguous(l), limit-n, uint64(im.f.size)-l.Off)
		if c == 0 {
			break
		}
		n += c
	}
	return n
}

// fileBacked reports whether every byte of [addr, addr+n) comes from the
// file in the loader's view, and if not, where the first one that does not
// is and what backs it instead.
func (im *Image) fileBacked(addr, n uint64) (bool, Loc) {
	for n > 0 {
		l := im.Lookup(addr)
		if !l.Mapped || !l.File || !l.InSegment {
			return false, l
		}
		if l.Off >= uint64(im.f.size) {
			return false, l
		}
		c := min(im.contiguous(l), n, uint64(im.f.size)-l.Off)
		if c == 0 {
			return false, l
		}
		addr += c
		n -= c
	}
	return true, Loc{}
}
