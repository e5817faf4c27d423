package coredump

import (
	"cmp"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// symTable is one source of names for a module, sorted by address.
type symTable struct {
	from   string
	syms   []elf.Symbol
	closer io.Closer
}

// Symbol is a name found for an address.
type Symbol struct {
	Name   string `json:"name"`
	Offset uint64 `json:"offset"` // from the start of the symbol
	From   string `json:"from"`   // .symtab, .dynsym or the debug file's path
}

// loadSymbols fills m.tables in lookup order: .symtab, .dynsym, then a
// separate debug file found by build-id, .gnu_debuglink or debuginfod.
// A lookup falls through to the next table when an address is not inside
// any symbol of the earlier one, which is what stripped ld.so needs: its
// .dynsym names a handful of exported functions, its debug file the rest.
func (a *analyzer) loadSymbols(m *Module) {
	if s, err := m.file.Symbols(); err == nil && len(s) > 0 {
		m.addTable(".symtab", s, nil)
	}
	if s, err := m.file.DynamicSymbols(); err == nil && len(s) > 0 {
		m.addTable(".dynsym", s, nil)
	}
	if path := a.findDebugFile(m); path != "" {
		func() {
			defer func() { _ = recover() }() // a hostile debug file loses its names, not the analysis
			osf, f, err := a.openELF(path)
			if err != nil {
				a.warn(fmt.Sprintf("debug file %s of %s not read: %v", path, filepath.Base(m.Path), err))
				return
			}
			s, err := f.Symbols()
			if err != nil || len(s) == 0 {
				osf.Close()
				return
			}
			m.addTable(path, s, osf)
			m.debugFile, m.debugPath = f, path
		}()
	}
}

func (m *Module) addTable(from string, syms []elf.Symbol, c io.Closer) {
	var idx []int
	for i, s := range syms {
		t := elf.ST_TYPE(s.Info)
		if s.Section == elf.SHN_UNDEF || s.Name == "" || (t != elf.STT_FUNC && t != elf.STT_OBJECT && t != elf.STT_GNU_IFUNC && t != elf.STT_NOTYPE) {
			continue
		}
		idx = append(idx, i)
	}
	// Within one address, globals sort first so that lookups prefer the
	// exported name over a local alias; ties keep the file's order. The
	// sort moves indices: sort.SliceStable moving libc's 8,000 symbols
	// (88 bytes each) took 15 ms, more than half of an analysis.
	slices.SortFunc(idx, func(i, j int) int {
		return cmp.Or(cmp.Compare(syms[i].Value, syms[j].Value), cmp.Compare(rank(syms[i]), rank(syms[j])), cmp.Compare(i, j))
	})
	keep := make([]elf.Symbol, len(idx))
	for k, i := range idx {
		keep[k] = syms[i]
	}
	m.tables = append(m.tables, symTable{from: from, syms: keep, closer: c})
	m.Symbols = append(m.Symbols, from)
}

func rank(s elf.Symbol) int {
	switch elf.ST_BIND(s.Info) {
	case elf.STB_GLOBAL:
		return 0
	case elf.STB_WEAK:
		return 1
	}
	return 2
}

// lookup names the runtime address: the symbol that starts at or before
// it and whose size covers it. A symbol of size zero — an assembler label
// such as ld.so's _start — covers only the bytes up to the next symbol and
// at most maxLabelSpan, and only when no sized symbol covers the address,
// so an address past the end of a function is not given its name.
func (m *Module) lookup(addr uint64) (Symbol, bool) {
	m.ensureSymbols()
	v := addr - m.Bias
	for _, t := range m.tables {
		last := sort.Search(len(t.syms), func(i int) bool { return t.syms[i].Value > v }) - 1
		// Walk back over a bounded number of lower symbols: nested or
		// overlapping symbols are rare.
		for i, k := last, 0; i >= 0 && k < 16; i, k = i-1, k+1 {
			s := t.syms[i]
			if v-s.Value < s.Size {
				// Step back to the first (global-preferred) entry at this address.
				for i > 0 && t.syms[i-1].Value == s.Value && t.syms[i-1].Size > 0 {
					i--
					s = t.syms[i]
				}
				return Symbol{Name: s.Name, Offset: v - s.Value, From: t.from}, true
			}
		}
		if last >= 0 {
			i := last
			for i > 0 && t.syms[i-1].Value == t.syms[last].Value {
				i--
			}
			if s := t.syms[i]; s.Size == 0 && v-s.Value < maxLabelSpan {
				return Symbol{Name: s.Name, Offset: v - s.Value, From: t.from}, true
			}
		}
	}
	return Symbol{}, false
}

const maxLabelSpan = 256

// symbolAddr returns the runtime address of a named symbol.
func (m *Module) symbolAddr(name string) (uint64, bool) {
	m.ensureSymbols()
	for _, t := range m.tables {
		for _, s := range t.syms {
			if s.Name == name {
				return s.Value + m.Bias, true
			}
		}
	}
	return 0, false
}

// findDebugFile looks for a separate debug file: by build-id under the
// debug directory, by .gnu_debuglink beside the file, then debuginfod.
func (a *analyzer) findDebugFile(m *Module) string {
	dirs := a.debugDirs()
	if len(m.BuildID) > 2 {
		for _, d := range dirs {
			p := filepath.Join(buildIDDir(d), m.BuildID[:2], m.BuildID[2:]+".debug")
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if s := m.file.Section(".gnu_debuglink"); s != nil && s.Size < 4096 {
		if b, err := s.Data(); err == nil {
			name := cstr(b)
			d := filepath.Dir(m.Path)
			// gdb's order: beside the file, in .debug beside it, then
			// under each debug directory by the file's own directory.
			cands := []string{filepath.Join(d, name), filepath.Join(d, ".debug", name)}
			for _, dd := range dirs {
				cands = append(cands, filepath.Join(strings.TrimSuffix(dd, "/.build-id"), d, name))
			}
			for _, p := range cands {
				if name != "" && p != m.Path {
					if _, err := os.Stat(p); err == nil {
						return p
					}
				}
			}
		}
	}
	if m.BuildID != "" {
		if p, err := a.debuginfod(m.BuildID); err == nil {
			return p
		} else if err != errNoServers {
			a.warn(fmt.Sprintf("debuginfod for %s: %v", filepath.Base(m.Path), err))
		}
	}
	return ""
}

// debugDirs are the debug-file directories in the order gdb searches
// them: the ones given (or /usr/lib/debug), then NIX_DEBUG_INFO_DIRS.
func (a *analyzer) debugDirs() []string {
	var dirs []string
	add := func(list string) {
		for _, d := range strings.Split(list, ":") {
			if d = filepath.Clean(d); d != "." && !slices.Contains(dirs, d) {
				dirs = append(dirs, d)
			}
		}
	}
	for _, l := range a.opts.DebugDirs {
		add(l)
	}
	if len(dirs) == 0 {
		add("/usr/lib/debug")
	}
	add(a.getenv("NIX_DEBUG_INFO_DIRS"))
	return dirs
}

// buildIDDir is where build-id files are under a debug directory; a
// .build-id directory given itself is taken as it is, as elfdoctor's
// --debug-dir used to require.
func buildIDDir(d string) string {
	if filepath.Base(d) == ".build-id" {
		return d
	}
	return filepath.Join(d, ".build-id")
}

var errNoServers = fmt.Errorf("no debuginfod servers")

// debuginfod fetches /buildid/ID/debuginfo from the servers in
// DEBUGINFOD_URLS (space-separated, tried in order) into a cache under
// the user's cache directory, so each file is downloaded once.
func (a *analyzer) debuginfod(id string) (string, error) {
	urls := strings.Fields(a.getenv("DEBUGINFOD_URLS"))
	if len(urls) == 0 {
		return "", errNoServers
	}
	for _, c := range id {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return "", fmt.Errorf("build-id %q is not hex", id)
		}
	}
	cache := a.opts.CacheDir
	if cache == "" {
		if d := a.getenv("XDG_CACHE_HOME"); d != "" {
			cache = filepath.Join(d, "elfdoctor", "debuginfod")
		} else if d, err := os.UserCacheDir(); err == nil {
			cache = filepath.Join(d, "elfdoctor", "debuginfod")
		} else {
			return "", err
		}
	}
	dest := filepath.Join(cache, id, "debuginfo")
	if _, err := os.Stat(dest); err == nil {
		return dest, nil
	}
	// Servers that all said "not found" are not asked again for a day:
	// a core names dozens of libraries, most of them never published.
	miss := filepath.Join(cache, id, "missing")
	if st, err := os.Stat(miss); err == nil && time.Since(st.ModTime()) < missTTL {
		return "", fmt.Errorf("build-id %s: not on the debuginfod servers (remembered since %s)", id, st.ModTime().Format(time.RFC3339))
	}
	client := a.opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 60 * time.Second}
	}
	var last error
	missing := 0
	for _, u := range urls {
		if err := fetchDebuginfo(a.ctx, client, strings.TrimRight(u, "/")+"/buildid/"+id+"/debuginfo", dest); err != nil {
			if errors.Is(err, errNotFound) {
				missing++
			}
			last = err
			continue
		}
		// A server's answer is trusted only if it is the file asked for.
		if got := fileBuildID(dest); got != id {
			os.Remove(dest)
			last = fmt.Errorf("%s answered build-id %s with a file whose build-id is %q", u, id, got)
			continue
		}
		return dest, nil
	}
	if missing == len(urls) && os.MkdirAll(filepath.Dir(miss), 0o755) == nil {
		os.WriteFile(miss, nil, 0o644)
	}
	return "", last
}

// missTTL is how long a build-id every server said it does not have is
// not asked for again.
const missTTL = 24 * time.Hour

// errNotFound is a server's 404: it does not have the file, which is worth
// remembering, unlike a network error.
var errNotFound = errors.New("not found")

func fetchDebuginfo(ctx context.Context, client *http.Client, url, dest string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("GET %s: %s: %w", url, resp.Status, errNotFound)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".part-*")
	if err != nil {
		return err
	}
	// Streamed to disk and renamed into place, so a cut-off download
	// never becomes a cached file.
	if _, err := io.Copy(tmp, io.LimitReader(resp.Body, 4<<30)); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("GET %s: %w", url, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), dest)
}

func fileBuildID(path string) (id string) {
	defer func() {
		if recover() != nil {
			id = ""
		}
	}()
	f, err := elf.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	return buildID(f)
}
