package coredump

import (
	"bytes"
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/go-delve/delve/pkg/dwarf/frame"
)

// maxModules bounds the distinct files we open for one core.
const maxModules = 1024

// Module is one mapped ELF file, built from NT_FILE and the auxiliary
// vector: the loader's r_debug list is not consulted, because it does
// not exist yet when ld.so itself crashes, except for a core that has no
// NT_FILE (linkMapModules).
type Module struct {
	Path       string `json:"path"`
	Start      uint64 `json:"start"`
	End        uint64 `json:"end"`
	Bias       uint64 `json:"bias"` // runtime address minus link-time address
	Executable bool   `json:"executable,omitempty"`
	Loader     bool   `json:"loader,omitempty"`
	BuildID    string `json:"build_id,omitempty"`
	// Symbols names where names came from: ".symtab", ".dynsym", a debug
	// file's path, or "" when the file could not be read.
	Symbols []string `json:"symbol_sources,omitempty"`
	// Mismatch is set when the bytes the core holds for the file's first
	// page differ from the file on disk: the file was replaced or patched
	// since the crash, even if the build-id still matches.
	Mismatch string `json:"mismatch,omitempty"`
	Err      string `json:"error,omitempty"`
	// Data is set for a mapped file that is not ELF (a locale archive, a
	// gconv cache): mapped as data, holding no code or symbols.
	Data bool `json:"data,omitempty"`

	file     *elf.File
	osf      *os.File
	tables   []symTable
	fdes     frame.FrameDescriptionEntries
	fdesDone bool
	sections []elf.SectionHeader

	debugFile *elf.File
	dwarf     *dwarf.Data
	dwarfDone bool
	units     *unitDWARF // a system library's debug file, read by unit
	symLoader func()
	// debugLoader finds and opens the separate debug file, which
	// CFI and DWARF need without the symbol tables.
	debugLoader func()
	debugSyms   []elf.Symbol
	debugOsf    *os.File
	debugPath   string
	dwarfFrom   string // where m.dwarf or m.units came from
	cuIndex     map[cuKey][]cuFunc
	scopes      map[uint64]scopeResult
	lineTables  map[cuKey]*lineTables

	goTab     *goTable // a Go program's .gopclntab, when it is read
	goTabDone bool
	goUsed    bool // .gopclntab named a frame: listed in Symbols
	goFrames  map[uint64]goFrameResult
}

// Contains reports whether addr is in one of the module's mappings' span.
func (m *Module) Contains(addr uint64) bool { return addr >= m.Start && addr < m.End }

func (m *Module) close() {
	for _, t := range m.tables {
		if t.closer != nil {
			t.closer.Close()
		}
	}
	if m.debugOsf != nil && m.debugSyms != nil {
		m.debugOsf.Close() // opened, but its symbols never became a table
	}
	if m.osf != nil {
		m.osf.Close()
	}
}

// buildModules groups NT_FILE entries by path and opens every ELF file.
func (a *analyzer) buildModules() {
	byPath := map[string]*Module{}
	for _, fm := range a.core.Files {
		m := byPath[fm.Path]
		if m == nil {
			if len(a.modules) >= maxModules {
				break
			}
			m = &Module{Path: fm.Path, Start: fm.Start, End: fm.End}
			byPath[fm.Path] = m
			a.modules = append(a.modules, m)
		}
		m.Start, m.End = min(m.Start, fm.Start), max(m.End, fm.End)
	}
	aux := a.core.Auxv
	for _, m := range a.modules {
		m.Loader = aux.Base != 0 && m.Contains(aux.Base)
		m.Executable = (aux.Phdr != 0 && m.Contains(aux.Phdr)) || (aux.Entry != 0 && m.Contains(aux.Entry))
	}
	a.auxModules()
	if len(a.core.Files) == 0 {
		a.linkMapModules()
	}
	for _, m := range a.modules {
		if m.file != nil {
			continue // opened by auxModules or linkMapModules
		}
		path := underRoot(a.opts.Root, m.Path)
		if m.Executable && a.opts.Exe != "" {
			path = a.opts.Exe
		}
		err := a.openModule(m, path)
		// A file deleted or replaced while the process ran is named
		// "PATH (deleted)" in NT_FILE. The file now at PATH is still the
		// best source of names when it is the same build, which the
		// first-page comparison below tells.
		if trimmed, ok := strings.CutSuffix(m.Path, " (deleted)"); err != nil && ok && path != a.opts.Exe {
			trimmed = underRoot(a.opts.Root, trimmed)
			if err = a.openModule(m, trimmed); err == nil {
				a.warn(fmt.Sprintf("%s was deleted or replaced while the process ran; names and code are read from the file now at %s", m.Path, trimmed))
			}
		}
		if errors.Is(err, errNotELF) && !m.Executable && !m.Loader {
			// Locale archives, gconv caches, fonts: files a process maps
			// as data. They are listed as such, not as failures.
			m.Data = true
			continue
		}
		if err != nil {
			m.Err = err.Error()
			continue
		}
		m.checkBytes(a.core)
	}
}

func (a *analyzer) openModule(m *Module, path string) (err error) {
	defer catchPanic(&err, path)
	f, ef, err := a.openELF(path)
	if err != nil {
		return err
	}
	m.osf, m.file = f, ef
	for _, s := range ef.Sections {
		m.sections = append(m.sections, s.SectionHeader)
	}
	m.Bias = a.bias(m, ef)
	m.BuildID = buildID(ef)
	// Symbols are read when a frame or a structure is looked up in the
	// module, not for every file the process mapped: sorting a 230 MB
	// executable's .symtab, or asking debuginfod for a library no frame
	// is in, costs more than the rest of the analysis.
	m.symLoader = func() { a.loadSymbols(m) }
	m.debugLoader = func() { a.loadDebugFile(m) }
	return nil
}

// ensureSymbols reads the module's symbol tables and finds its debug
// file, once.
func (m *Module) ensureSymbols() {
	if f := m.symLoader; f != nil {
		m.symLoader = nil
		f()
	}
}

// ensureDebugFile finds and opens the module's separate debug file, once,
// without reading any symbol table into memory: a Go program's frames
// are named from .gopclntab and need only its CFI.
func (m *Module) ensureDebugFile() {
	if f := m.debugLoader; f != nil {
		m.debugLoader = nil
		f()
	}
}

// auxModules adds the executable and the loader from the auxiliary vector
// when NT_FILE did not name them: cores written by qemu-user and some
// other dumpers have no NT_FILE note. The executable is --exe, placed by
// AT_PHDR; the loader is the executable's PT_INTERP, placed at AT_BASE.
func (a *analyzer) auxModules() {
	aux := a.core.Auxv
	var exe, ld *Module
	for _, m := range a.modules {
		if m.Executable {
			exe = m
		}
		if m.Loader {
			ld = m
		}
	}
	if exe == nil && a.opts.Exe != "" && aux.Phdr != 0 {
		m := &Module{Path: a.opts.Exe, Executable: true}
		if err := a.openModule(m, a.opts.Exe); err == nil && a.placeByAux(m) {
			a.modules = append(a.modules, m)
			exe = m
		} else {
			m.close()
		}
	}
	if ld == nil && exe != nil && exe.file != nil && aux.Base != 0 {
		for _, p := range exe.file.Progs {
			if p.Type != elf.PT_INTERP || p.Filesz == 0 || p.Filesz > 4096 {
				continue
			}
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				break
			}
			path := string(bytes.TrimRight(b, "\x00"))
			m := &Module{Path: path, Loader: true}
			if err := a.openModule(m, underRoot(a.opts.Root, path)); err == nil && a.placeByAux(m) {
				a.modules = append(a.modules, m)
			} else {
				m.close()
			}
			break
		}
	}
}

// maxDynamic bounds the .dynamic entries read looking for DT_DEBUG.
const maxDynamic = 4096

// linkMapModules adds the shared libraries of a core without NT_FILE
// (qemu-user's) from the loader's list of loaded objects, as gdb's
// solib-svr4 does for such a core: DT_DEBUG in the executable's .dynamic
// as the core holds it points to struct r_debug, whose r_map (after the
// int r_version, padded to a pointer) starts the chain of struct
// link_map: l_addr (the load bias), l_name, l_ld, l_next. The list only
// exists once ld.so has mapped the libraries, so a crash before that
// (inside ld.so, before DT_DEBUG is set) names no library, as gdb does
// not either; NT_FILE, where there is one, is always preferred.
func (a *analyzer) linkMapModules() {
	exe := a.exeModule()
	if exe == nil || exe.file == nil {
		return
	}
	ptr := uint64(a.core.ptrSize())
	var rdebug uint64
	for _, p := range exe.file.Progs {
		if p.Type != elf.PT_DYNAMIC {
			continue
		}
		for i := uint64(0); i < p.Memsz/(2*ptr) && i < maxDynamic; i++ {
			at := p.Vaddr + exe.Bias + i*2*ptr
			tag, ok1 := a.core.readWord(at)
			val, ok2 := a.core.readWord(at + ptr)
			if !ok1 || !ok2 || tag == uint64(elf.DT_NULL) {
				break
			}
			if tag == uint64(elf.DT_DEBUG) {
				rdebug = val
				break
			}
		}
	}
	if rdebug == 0 {
		return
	}
	lm, ok := a.core.readWord(rdebug + ptr)
	seen := map[uint64]bool{}
	for n := 0; ok && lm != 0 && !seen[lm] && n < maxModules && len(a.modules) < maxModules; n++ {
		seen[lm] = true
		bias, ok1 := a.core.readWord(lm)
		namePtr, ok2 := a.core.readWord(lm + ptr)
		next, ok3 := a.core.readWord(lm + 3*ptr)
		if !ok1 || !ok2 || !ok3 {
			break
		}
		lm = next
		name, _ := a.core.CString(namePtr, 4096)
		// The executable's entry has no name, the vDSO's is not a path
		// (linux-gate.so.1), and the loader is already placed by
		// AT_BASE.
		if !strings.HasPrefix(name, "/") || slices.ContainsFunc(a.modules, func(m *Module) bool { return m.Path == name || m.Contains(bias) && bias != 0 }) {
			continue
		}
		m := &Module{Path: name}
		if err := a.openModule(m, underRoot(a.opts.Root, name)); err != nil {
			m.close()
			m.Err = err.Error()
			a.modules = append(a.modules, m)
			continue
		}
		if !a.placeByBias(m, bias) {
			m.close()
			continue
		}
		a.modules = append(a.modules, m)
	}
}

// placeByBias sets a module's span from its PT_LOADs and the load bias
// the link map gives.
func (a *analyzer) placeByBias(m *Module, bias uint64) bool {
	var lo, hi uint64 = ^uint64(0), 0
	for _, p := range m.file.Progs {
		if p.Type == elf.PT_LOAD {
			lo, hi = min(lo, p.Vaddr), max(hi, p.Vaddr+p.Memsz)
		}
	}
	if hi == 0 {
		return false
	}
	page := a.pageSize()
	m.Bias = bias
	m.Start, m.End = (lo&^(page-1)+bias)&a.addrMask(), ((hi+page-1)&^(page-1)+bias)&a.addrMask()
	m.Symbols = append(m.Symbols, "placed by the loader's link map (no NT_FILE entry)")
	return true
}

// placeByAux sets a module's bias and span from the auxiliary vector:
// AT_PHDR is where the executable's program headers are, AT_BASE where
// the loader's lowest segment starts.
func (a *analyzer) placeByAux(m *Module) bool {
	aux := a.core.Auxv
	ef := m.file
	var lo, hi uint64 = ^uint64(0), 0
	var phdr uint64
	havePhdr := false
	for _, p := range ef.Progs {
		switch p.Type {
		case elf.PT_LOAD:
			lo, hi = min(lo, p.Vaddr), max(hi, p.Vaddr+p.Memsz)
			if p.Off == 0 && !havePhdr {
				phdr = p.Vaddr + m.phoff()
			}
		case elf.PT_PHDR:
			phdr, havePhdr = p.Vaddr, true
		}
	}
	if hi == 0 {
		return false
	}
	page := a.pageSize()
	switch {
	case m.Executable:
		m.Bias = aux.Phdr - phdr
	case m.Loader:
		m.Bias = aux.Base - lo&^(page-1)
	default:
		return false
	}
	m.Start, m.End = lo&^(page-1)+m.Bias, (hi+page-1)&^(page-1)+m.Bias
	m.Symbols = append(m.Symbols, "placed by the auxiliary vector (no NT_FILE entry)")
	return true
}

// phoff reads e_phoff, which debug/elf does not export, from the file
// header. Rewriters such as patchelf move the program headers, so it is
// not always right after the ELF header.
func (m *Module) phoff() uint64 {
	ef := m.file
	var b [8]byte
	if ef.Class == elf.ELFCLASS32 {
		if _, err := m.osf.ReadAt(b[:4], 28); err != nil {
			return 0
		}
		return uint64(ef.ByteOrder.Uint32(b[:4]))
	}
	if _, err := m.osf.ReadAt(b[:], 32); err != nil {
		return 0
	}
	return ef.ByteOrder.Uint64(b[:])
}

// bias finds the load bias from the lowest-offset mapping of the file and
// the PT_LOAD that covers that file offset.
func (a *analyzer) bias(m *Module, ef *elf.File) uint64 {
	page := a.pageSize()
	var first *FileMapping
	for i := range a.core.Files {
		fm := &a.core.Files[i]
		if fm.Path == m.Path && (first == nil || fm.Offset < first.Offset) {
			first = fm
		}
	}
	if first == nil {
		return 0
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_LOAD && p.Off&^(page-1) == first.Offset {
			return first.Start - p.Vaddr&^(page-1)
		}
	}
	return first.Start
}

func (a *analyzer) pageSize() uint64 {
	if a.core.Machine == elf.EM_AARCH64 {
		return 4096 // the common configuration; NT_FILE's page size is the kernel's
	}
	return 4096
}

// checkBytes compares the first page of the file, which the kernel dumps
// for every ELF mapping, with the file on disk.
func (m *Module) checkBytes(c *Core) {
	var start uint64
	found := false
	for _, fm := range c.Files {
		if fm.Path == m.Path && fm.Offset == 0 {
			start, found = fm.Start, true
			break
		}
	}
	if !found {
		return
	}
	l := c.LoadAt(start)
	if l == nil || start-l.Vaddr >= l.Filesz {
		return // not dumped; nothing to compare
	}
	n := min(uint64(4096), l.Filesz-(start-l.Vaddr))
	inCore := make([]byte, n)
	if _, err := c.r.ReadAt(inCore, int64(l.Offset+start-l.Vaddr)); err != nil {
		return
	}
	onDisk := make([]byte, n)
	k, _ := m.osf.ReadAt(onDisk, 0)
	i := firstDiff(inCore, onDisk[:k])
	if i < 0 {
		return
	}
	// The process's own build-id, from the headers and notes the core
	// holds, tells a file patched after the crash (same build) from
	// another build at the same path: a core made in a container or a
	// chroot names files inside it, and the host's files at those paths
	// are its own builds. Another build's symbols, unwind tables and
	// code would name and explain the crash wrongly, so none is read.
	if core := pageBuildID(inCore); core != "" && m.BuildID != "" && core != m.BuildID {
		m.Mismatch = fmt.Sprintf("%s is another build than the one the process mapped (build-id %s on disk, %s in the core): no name, unwind table or code is read from it; a core made in a container or chroot names the files inside it: give that file system with --root", underRoot(c.root, m.Path), m.BuildID, core)
		m.Err = fmt.Sprintf("another build: build-id %s on disk, %s in the core", m.BuildID, core)
		m.BuildID = core
		m.detach()
		c.refuseFile(m.Path, fmt.Errorf("%s is %s", m.Path, m.Err))
		return
	}
	m.Mismatch = fmt.Sprintf("byte %#x of the file's first page differs between the core and %s; the file was changed after the crash, so names and code read from it may be wrong", i, m.Path)
}

// detach forgets the module's file: nothing is read from it any more.
func (m *Module) detach() {
	if m.osf != nil {
		m.osf.Close()
	}
	m.osf, m.file, m.sections, m.Bias = nil, nil, nil, 0
	m.symLoader, m.debugLoader = nil, nil
}

// pageBuildID reads the GNU build-id from an ELF file's first page as the
// core holds it: the ELF header, the program headers and the notes that
// lie inside the page. It returns "" when they do not.
func pageBuildID(b []byte) string {
	if len(b) < 52 || string(b[:4]) != elf.ELFMAG {
		return ""
	}
	var bo binary.ByteOrder
	switch elf.Data(b[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		bo = binary.BigEndian
	default:
		return ""
	}
	var phoff, phent, phnum uint64
	switch elf.Class(b[elf.EI_CLASS]) {
	case elf.ELFCLASS64:
		if len(b) < 64 {
			return ""
		}
		phoff, phent, phnum = bo.Uint64(b[32:]), uint64(bo.Uint16(b[54:])), uint64(bo.Uint16(b[56:]))
	case elf.ELFCLASS32:
		phoff, phent, phnum = uint64(bo.Uint32(b[28:])), uint64(bo.Uint16(b[42:])), uint64(bo.Uint16(b[44:]))
	default:
		return ""
	}
	is64 := elf.Class(b[elf.EI_CLASS]) == elf.ELFCLASS64
	size := uint64(len(b))
	for i := uint64(0); i < phnum; i++ {
		at := phoff + i*phent
		if phent < 32 || at > size || size-at < phent || (is64 && phent < 56) {
			return ""
		}
		h := b[at:]
		var off, filesz uint64
		if is64 {
			if elf.ProgType(bo.Uint32(h)) != elf.PT_NOTE {
				continue
			}
			off, filesz = bo.Uint64(h[8:]), bo.Uint64(h[32:])
		} else {
			if elf.ProgType(bo.Uint32(h)) != elf.PT_NOTE {
				continue
			}
			off, filesz = uint64(bo.Uint32(h[4:])), uint64(bo.Uint32(h[16:]))
		}
		if off > size || filesz > size-off {
			continue
		}
		if id := noteBuildID(b[off:off+filesz], bo); id != "" {
			return id
		}
	}
	return ""
}

func firstDiff(a, b []byte) int {
	if bytes.Equal(a, b) {
		return -1
	}
	for i := range a {
		if i >= len(b) || a[i] != b[i] {
			return i
		}
	}
	return len(a)
}

// buildID returns the GNU build-id note of f in hex, or "".
func buildID(f *elf.File) string {
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE || p.Filesz > 1<<20 {
			continue
		}
		b := make([]byte, p.Filesz)
		if _, err := p.ReadAt(b, 0); err != nil {
			continue
		}
		if id := noteBuildID(b, f.ByteOrder); id != "" {
			return id
		}
	}
	return ""
}

// noteBuildID finds the NT_GNU_BUILD_ID note among the notes in b.
func noteBuildID(b []byte, bo binary.ByteOrder) string {
	for pos := 0; pos+12 <= len(b); {
		namesz, descsz, typ := uint64(bo.Uint32(b[pos:])), uint64(bo.Uint32(b[pos+4:])), bo.Uint32(b[pos+8:])
		name := uint64(pos) + 12
		desc := name + (namesz+3)&^3
		if desc > uint64(len(b)) || descsz > uint64(len(b))-desc {
			break
		}
		if typ == 3 && namesz == 4 && string(b[name:name+4]) == "GNU\x00" {
			return hex.EncodeToString(b[desc : desc+descsz])
		}
		pos = int(desc + (descsz+3)&^3)
	}
	return ""
}

// moduleAt returns the module whose mappings span addr.
func (a *analyzer) moduleAt(addr uint64) *Module {
	for _, m := range a.modules {
		if m.Contains(addr) {
			return m
		}
	}
	return nil
}

// sectionAt names the module's section holding the runtime address.
func (m *Module) sectionAt(addr uint64) string {
	v := addr - m.Bias
	best := ""
	for _, s := range m.sections {
		if s.Flags&elf.SHF_ALLOC != 0 && s.Size > 0 && v >= s.Addr && v-s.Addr < s.Size {
			best = s.Name
		}
	}
	return best
}

func sortFDEs(f frame.FrameDescriptionEntries) {
	sort.Slice(f, func(i, j int) bool { return f[i].Begin() < f[j].Begin() })
}
