package loader

import (
	"debug/elf"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// versions replays _dl_check_all_versions: for every loaded object, in
// load order, walk its Verneed chain through memory and look each
// required version up in the Verdef of the object that provides it.
func (c *checker) versions() {
	for _, obj := range c.loaded {
		if c.stop {
			return
		}
		c.checkObjectVersions(obj)
	}
}

// display names an object the way ld.so does in its messages.
func (c *checker) display(o *loadedObj) string {
	if o == c.loaded[0] {
		return c.path
	}
	return o.path
}

func (c *checker) checkObjectVersions(obj *loadedObj) {
	if obj.dyn == nil {
		return
	}
	v, err := obj.versionsErr()
	if err != nil {
		c.add(Finding{Severity: SeverityFatal, Stage: StageVersions, Code: "versions-unreadable", Object: obj.name,
			Summary: "the symbol version tables cannot be walked", Evidence: []string{err.Error()},
			Outcome: OutcomeCrash, Signal: "SIGSEGV", Message: "SIGSEGV in ld.so while checking symbol versions (_dl_check_map_versions), before main"})
		return
	}
	if v == nil {
		return
	}
	who := c.display(obj)
	// A walk that stopped on unreadable memory is where the real loader
	// faults: it dereferences the same pointers without checking them.
	if fe := firstMemFault(v.Problems); fe != nil {
		ev := []string{fe.Error()}
		if need, ok := obj.dyn.Tag(0x6ffffffe); ok { // DT_VERNEED
			if f, err := obj.file(); err == nil {
				l := f.Image().Lookup(need)
				sec := "no section"
				if s := f.SectionAt(need); s != nil {
					sec = s.Name
				}
				ev = append(ev, fmt.Sprintf("DT_VERNEED = 0x%x: %s in the loader's view, %s in the file view", need, l.Backing(), sec))
			}
		}
		c.add(Finding{Severity: SeverityFatal, Stage: StageVersions, Code: "versions-fault", Object: obj.name,
			Summary:  fmt.Sprintf("the symbol version tables of %s lead ld.so into memory that is not mapped", filepath.Base(obj.name)),
			Evidence: ev, Outcome: OutcomeCrash, Signal: faultSignal(fe),
			Message: faultSignal(fe) + " in ld.so while checking symbol versions (_dl_check_map_versions), before main",
			Next:    "a rewrite (patchelf?) left DT_VERNEED/DT_VERDEF pointing at moved tables: compare with the pristine file using `elfdoctor diff`, and run the pristine file unmodified (nix-ld, or the loader with --library-path)"})
		return
	}
	if len(v.Need) > 0 && v.Need[0].Version != 1 {
		n := v.Need[0]
		c.add(Finding{Severity: SeverityFatal, Stage: StageVersions, Code: "verneed-version", Object: obj.name,
			Summary:  fmt.Sprintf("the first Verneed record of %s has vn_version %d; ld.so only knows version 1", filepath.Base(obj.name), n.Version),
			Evidence: []string{fmt.Sprintf("Verneed record at vaddr 0x%x: vn_version %d, vn_cnt %d, vn_file 0x%x, vn_aux 0x%x, vn_next 0x%x", n.Addr, n.Version, n.Cnt, n.FileIdx, n.AuxOff, n.Next)},
			Outcome:  OutcomeLoaderError,
			Message:  fmt.Sprintf("error while loading shared libraries: %s: unsupported version %d of Verneed record", who, n.Version),
			Next:     "DT_VERNEED points at something that is not a Verneed table: compare with the pristine file using `elfdoctor diff`"})
		return
	}
	for _, n := range v.Need {
		needed := c.findNeeded(n.File, obj)
		c.trace("checking for versions required by file=%s from file=%s", who, n.File)
		if needed == nil && c.missing(n.File) {
			continue // already reported as a missing library
		}
		if needed == nil {
			c.add(Finding{Severity: SeverityFatal, Stage: StageVersions, Code: "verneed-file-unknown", Object: obj.name,
				Summary:  fmt.Sprintf("%s requires versions of %q, which is not among the objects it loaded", filepath.Base(obj.name), n.File),
				Evidence: []string{fmt.Sprintf("Verneed record at vaddr 0x%x: vn_file 0x%x = %q", n.Addr, n.FileIdx, n.File)},
				Outcome:  OutcomeLoaderError,
				Message:  "Inconsistency detected by ld.so: dl-version.c: _dl_check_map_versions: Assertion `needed != NULL' failed!",
				Next:     "the version table names a library that DT_NEEDED does not: the string table was moved or damaged; compare with the pristine file using `elfdoctor diff`"})
			return
		}
		dv := needed.versions()
		for _, a := range n.Aux {
			c.trace("checking for version `%s' in file %s required by file %s", a.Name, needed.path, who)
			if dv == nil || len(dv.Def) == 0 {
				c.add(Finding{Severity: SeverityWarning, Stage: StageVersions, Code: "no-verdef", Object: obj.name,
					Summary: fmt.Sprintf("%s defines no versions, but %s requires %s of it", needed.path, filepath.Base(obj.name), a.Name),
					Message: fmt.Sprintf("%s: no version information available (required by %s)", needed.path, who)})
				break
			}
			bad, found := matchVersion(dv, a)
			if bad != nil {
				c.add(Finding{Severity: SeverityFatal, Stage: StageVersions, Code: "verdef-version", Object: needed.name,
					Summary: fmt.Sprintf("a Verdef record of %s has vd_version %d; ld.so only knows version 1", needed.path, bad.Version),
					Outcome: OutcomeLoaderError,
					Message: fmt.Sprintf("error while loading shared libraries: %s: unsupported version %d of Verdef record", needed.path, bad.Version)})
				return
			}
			if found {
				continue
			}
			if a.Weak() {
				c.add(Finding{Severity: SeverityWarning, Stage: StageVersions, Code: "weak-version-missing", Object: obj.name,
					Summary: fmt.Sprintf("weak version %s not found in %s", a.Name, needed.path),
					Message: fmt.Sprintf("%s: weak version `%s' not found (required by %s)", needed.path, a.Name, who)})
				if obj.weakMissing == nil {
					obj.weakMissing = map[uint16]string{}
				}
				obj.weakMissing[a.Other&0x7fff] = a.Name
				continue
			}
			c.add(Finding{Severity: SeverityFatal, Stage: StageVersions, Code: "version-missing", Object: obj.name,
				Summary:  fmt.Sprintf("%s requires version %s of %s, which %s does not define", filepath.Base(obj.name), a.Name, n.File, needed.path),
				Evidence: []string{fmt.Sprintf("Vernaux at vaddr 0x%x: vna_hash 0x%x, vna_name 0x%x = %q", a.Addr, a.Hash, a.NameIdx, a.Name), "defined there: " + defNames(dv)},
				Outcome:  OutcomeLoaderError,
				Message:  fmt.Sprintf("%s: %s: version `%s' not found (required by %s)", c.path, needed.path, a.Name, who),
				Next:     versionNext(a.Name)})
			return
		}
	}
	// ld.so never checks vd_version of an object's own Verdef table; it
	// does when another object requires one of its versions.
	if len(v.Def) > 0 && v.Def[0].Version != 1 {
		d := v.Def[0]
		ev := []string{fmt.Sprintf("DT_VERDEF = 0x%x: vd_version %d, vd_cnt %d, vd_next 0x%x there", d.Addr, d.Version, d.Cnt, d.Next)}
		if f, err := obj.file(); err == nil {
			for _, sec := range f.Sections {
				if sec.Type == elf.SHT_GNU_VERDEF && sec.Addr != d.Addr {
					ev = append(ev, fmt.Sprintf("the .gnu.version_d section is at 0x%x: the table was moved and DT_VERDEF was not updated", sec.Addr))
				}
			}
		}
		c.add(Finding{Severity: SeverityWarning, Stage: StageVersions, Code: "verdef-stale", Object: obj.name,
			Summary:  fmt.Sprintf("DT_VERDEF of %s does not point at a Verdef table: the program starts, but any library that requires one of its versions stops with \"unsupported version %d of Verdef record\"", filepath.Base(obj.name), d.Version),
			Evidence: ev,
			Message:  fmt.Sprintf("%s: unsupported version %d of Verdef record", who, d.Version),
			Next:     "a rewrite (patchelf) moved .gnu.version_d without updating the dynamic table: run the pristine file unmodified (nix-ld, or the loader with --library-path)"})
		return
	}
	if v.Versym != nil && len(v.Versym.BadIndex) > 0 {
		b := v.Versym.BadIndex[0]
		c.add(Finding{Severity: SeverityWarning, Stage: StageVersions, Code: "versym-index", Object: obj.name,
			Summary: fmt.Sprintf(".gnu.version gives symbol %d version index %d, which neither Verneed nor Verdef defines", b[0], b[1])})
	}
}

func firstMemFault(ps []error) *inspect.FormatError {
	for _, p := range ps {
		var fe *inspect.FormatError
		if !errors.As(p, &fe) {
			continue
		}
		// _dl_check_map_versions keeps &strtab[vda_name] for an object's
		// own version definitions without reading the string; only a
		// symbol lookup that compares the name would.
		if strings.HasSuffix(fe.Struct, " vda_name") {
			continue
		}
		// Nor does it read the symbol count or .gnu.version: those are
		// for symbol lookup, which uses DT_GNU_HASH when there is one.
		if strings.HasPrefix(fe.Struct, "DT_HASH") || strings.HasPrefix(fe.Struct, "DT_GNU_HASH") || strings.HasPrefix(fe.Struct, "versym") {
			continue
		}
		if strings.Contains(fe.Msg, "not mapped") || strings.Contains(fe.Msg, "unmapped") || strings.Contains(fe.Msg, "SIGBUS") {
			return fe
		}
	}
	return nil
}

func (c *checker) findNeeded(name string, from *loadedObj) *loadedObj {
	for _, o := range c.loaded {
		if o == c.loaded[0] && o != from {
			continue
		}
		if o.name == name || (o.soname != "" && o.soname == name) {
			return o
		}
	}
	return nil
}

// matchVersion looks a requirement up the way match_symbol does: by hash
// first, then by name of the first Verdaux.
func matchVersion(dv *inspect.Versions, a inspect.VerNaux) (bad *inspect.VerDef, found bool) {
	for i := range dv.Def {
		d := &dv.Def[i]
		if d.Version != 1 {
			return d, false
		}
		if d.Hash == a.Hash && len(d.Names) > 0 && d.Names[0] == a.Name {
			return nil, true
		}
	}
	return nil, false
}

func defNames(v *inspect.Versions) string {
	var names []string
	for _, d := range v.Def {
		if len(d.Names) > 0 && d.Flags&inspect.VerFlagBase == 0 {
			names = append(names, d.Names[0])
		}
	}
	if len(names) > 8 {
		names = append([]string{"…"}, names[len(names)-8:]...)
	}
	return strings.Join(names, " ")
}

func versionNext(v string) string {
	if strings.HasPrefix(v, "GLIBC_") {
		return "the program was built against a newer glibc than the one it finds: run it where glibc provides " + v + " (check with `ldd --version`), or point the loader at a newer glibc"
	}
	return "the library found is older than the one the program was built against: check which copy the search path picks (`elfdoctor check --trace`)"
}

func (c *checker) missing(name string) bool {
	for _, o := range c.res.Objects {
		if !o.Found && o.Name == name {
			return true
		}
	}
	return false
}

// versions returns the object's version tables, read once.
func (o *loadedObj) versions() *inspect.Versions {
	v, _ := o.versionsErr()
	return v
}

// versionsErr returns the object's version tables and the error that
// stopped reading them: from the shared cache for a library.
func (o *loadedObj) versionsErr() (*inspect.Versions, error) {
	if !o.versDone {
		switch {
		case o.lib != nil:
			o.vers, o.versErr = o.lib.vers, o.lib.versErr
		case o.f != nil:
			o.vers, o.versErr = o.f.Versions(o.dyn)
		}
		o.versDone = true
	}
	return o.vers, o.versErr
}
