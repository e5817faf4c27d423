package coredump

import (
	"cmp"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/elfdoctor/elfdoctor/internal/safeopen"
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
	m.ensureDebugFile()
	if m.debugSyms != nil {
		m.addTable(m.debugPath, m.debugSyms, m.debugOsf)
		m.debugSyms = nil
	}
}

// loadDebugFile finds the module's separate debug file and opens it when
// it has a symbol table, the mark of a real debug file rather than a
// stripped copy.
func (a *analyzer) loadDebugFile(m *Module) {
	path := a.findDebugFile(m)
	if path == "" {
		return
	}
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
	m.debugFile, m.debugPath, m.debugOsf, m.debugSyms = f, path, osf, s
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

// symbolAddr returns the runtime address of a named symbol. When the
// module's tables have not been read (no frame is in it), the name is
// looked for in the raw tables instead of reading, sorting and keeping
// all of a big program's symbols for one name.
func (m *Module) symbolAddr(name string) (uint64, bool) {
	if m.symLoader != nil {
		if m.file == nil {
			return 0, false
		}
		for _, s := range []string{".symtab", ".dynsym"} {
			if v, ok := rawSymbol(m.file, m.osf, m.file.Section(s), name); ok {
				return v + m.Bias, true
			}
		}
		m.ensureDebugFile()
		if m.debugFile != nil {
			if v, ok := rawSymbol(m.debugFile, m.debugOsf, m.debugFile.Section(".symtab"), name); ok {
				return v + m.Bias, true
			}
		}
		return 0, false
	}
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
		var size int64
		if m.osf != nil {
			if st, err := m.osf.Stat(); err == nil {
				size = st.Size()
			}
		}
		if p, err := a.debuginfod(m.BuildID, size); err == nil {
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
		if a.opts.Root != "" && a.opts.Root != "/" {
			add(filepath.Join(a.opts.Root, "usr", "lib", "debug"))
		}
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

// Bounds on debuginfod. A server is untrusted: it may stall, trickle,
// redirect elsewhere or answer with a bomb.
// debuginfodIdle is how long a server may send nothing (while
// connecting, before its headers, or in the body) before it is given up
// on; it is then not asked again during this analysis, so a stalled
// server costs seconds once, not a minute per module. A variable only so
// that tests can wait less.
var debuginfodIdle = 10 * time.Second

const (
	// debuginfodTotal bounds one download of a trickling server.
	debuginfodTotal = 2 * time.Minute
	// A debug file holds the DWARF and symbols of its module: a few
	// times the module's size for C, up to about ten times for C++ or
	// Go. The cap is 16 times the module, at least 64 MiB and at most
	// 1 GiB.
	debuginfoRatio = 16
	minDebuginfo   = 64 << 20
	maxDebuginfo   = 1 << 30
)

// debuginfoCap is the largest debug file accepted for a module of
// moduleSize bytes.
func debuginfoCap(moduleSize int64) int64 {
	return min(max(debuginfoRatio*moduleSize, minDebuginfo), maxDebuginfo)
}

// debuginfod fetches /buildid/ID/debuginfo from the servers in
// DEBUGINFOD_URLS (space-separated, tried in order) into a cache under
// the user's cache directory, so each file is downloaded once. A file
// enters the cache only after its build-id and its compressed sections
// have been checked.
func (a *analyzer) debuginfod(id string, moduleSize int64) (string, error) {
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
	client := a.debuginfodClient(urls)
	var last error
	missing := 0
	for _, u := range urls {
		if a.deadServers[u] {
			last = fmt.Errorf("%s: not asked again after it failed earlier in this analysis", u)
			continue
		}
		url := strings.TrimRight(u, "/") + "/buildid/" + id + "/debuginfo"
		err := fetchDebuginfo(a.ctx, client, url, dest, id, debuginfoCap(moduleSize))
		if err == nil {
			return dest, nil
		}
		last = err
		switch {
		case errors.Is(err, errNotFound):
			missing++
		case errors.Is(err, errServerDown):
			if a.deadServers == nil {
				a.deadServers = map[string]bool{}
			}
			a.deadServers[u] = true
		}
	}
	if missing == len(urls) && os.MkdirAll(filepath.Dir(miss), 0o755) == nil {
		os.WriteFile(miss, nil, 0o644)
	}
	return "", last
}

// debuginfodClient is the caller's client, or one with short dial and
// handshake timeouts, that follows a redirect only to a server the URL
// list names (scheme and host), at most five times.
func (a *analyzer) debuginfodClient(urls []string) *http.Client {
	var c http.Client
	if a.opts.HTTPClient != nil {
		c = *a.opts.HTTPClient
	} else {
		c.Transport = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: debuginfodIdle}).DialContext,
			TLSHandshakeTimeout:   debuginfodIdle,
			ResponseHeaderTimeout: debuginfodIdle,
		}
	}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return fmt.Errorf("more than 5 redirects")
		}
		for _, u := range urls {
			if p, err := neturl.Parse(u); err == nil && p.Scheme == req.URL.Scheme && p.Host == req.URL.Host {
				return nil
			}
		}
		return fmt.Errorf("%w to %s://%s, which DEBUGINFOD_URLS does not name", errRedirect, req.URL.Scheme, req.URL.Host)
	}
	return &c
}

// missTTL is how long a build-id every server said it does not have is
// not asked for again.
const missTTL = 24 * time.Hour

// errNotFound is a server's 404: it does not have the file, which is worth
// remembering, unlike a network error.
var errNotFound = errors.New("not found")

// errRedirect is a redirect to a server the URL list does not name.
var errRedirect = errors.New("redirect refused")

// errServerDown is a server that did not answer in time or at all.
var errServerDown = errors.New("server not answering")

// fetchDebuginfo downloads url into dest: streamed to a temporary file
// beside it, at most limit bytes, and renamed into place only when it is
// an ELF file with build-id id whose compressed sections are within the
// caps, so neither a cut-off download nor a hostile answer is cached.
func fetchDebuginfo(ctx context.Context, client *http.Client, url, dest, id string, limit int64) error {
	ctx, cancel := context.WithTimeout(ctx, debuginfodTotal)
	defer cancel()
	// The watchdog cancels the request when nothing has arrived for
	// debuginfodIdle, whichever step the server stalls in.
	idle := time.AfterFunc(debuginfodIdle, cancel)
	defer idle.Stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *neturl.Error
		if ctx.Err() != nil || errors.As(err, &ue) && ue.Timeout() {
			return fmt.Errorf("GET %s: no answer within %v: %w", url, debuginfodIdle, errServerDown)
		}
		if errors.Is(err, errRedirect) {
			return fmt.Errorf("GET %s: %w", url, err)
		}
		return fmt.Errorf("GET %s: %v: %w", url, err, errServerDown)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("GET %s: %s: %w", url, resp.Status, errNotFound)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if resp.ContentLength > limit {
		return fmt.Errorf("GET %s: %d bytes, more than the %d a debug file of this module can be", url, resp.ContentLength, limit)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".part-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	body := &idleReader{r: resp.Body, t: idle}
	n, err := io.Copy(tmp, io.LimitReader(body, limit+1))
	if err == nil && n > limit {
		err = fmt.Errorf("more than the %d bytes a debug file of this module can be", limit)
	}
	if err != nil {
		tmp.Close()
		if ctx.Err() != nil {
			return fmt.Errorf("GET %s: stalled after %d bytes: %w", url, n, errServerDown)
		}
		return fmt.Errorf("GET %s: %w", url, err)
	}
	// A server's answer is trusted only if it is the file asked for and
	// its compressed sections are not a bomb.
	ef, _, err := checkedELF(tmp)
	if err == nil {
		if got := buildID(ef); got != id {
			err = fmt.Errorf("a file whose build-id is %q", got)
		}
	}
	if cerr := tmp.Close(); err == nil && cerr != nil {
		return cerr
	}
	if err != nil {
		return fmt.Errorf("%s answered build-id %s with %w", url, id, err)
	}
	return os.Rename(tmp.Name(), dest)
}

// idleReader restarts the idle watchdog whenever bytes arrive.
type idleReader struct {
	r io.Reader
	t *time.Timer
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.t.Reset(debuginfodIdle)
	}
	return n, err
}

func fileBuildID(path string) (id string) {
	defer func() {
		if recover() != nil {
			id = ""
		}
	}()
	f, err := safeopen.Regular(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	ef, _, err := checkedELF(f)
	if err != nil {
		return ""
	}
	return buildID(ef)
}
