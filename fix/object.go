package fix

import (
	"debug/elf"
	"fmt"
	"path/filepath"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// maxNeeds bounds the version requirements kept per object; libxul has
// a few hundred.
const maxNeeds = 1 << 14

// need is one version an object requires of a library (a Vernaux of its
// DT_VERNEED), as _dl_check_map_versions reads it.
type need struct {
	file    string // vn_file: the library, by the name it was loaded under
	version string
	weak    bool
}

// object is what the solver knows of the program, the loader or a
// candidate library: only what ld.so reads to load it and check its
// versions.
type object struct {
	path string // as found: the path ld.so opens
	real string // symbolic links resolved: what is hashed, and the glibc directory rule
	dir  string // filepath.Dir(path): the directory put on the library path

	class   elf.Class
	data    elf.Data
	machine elf.Machine
	typ     elf.Type

	soname string
	needed []string
	// runpath is DT_RUNPATH as written ($ORIGIN unexpanded): ld.so
	// searches it after --library-path for this object's own needs.
	runpath []string
	// rpath is DT_RPATH as written, nil when the object has a
	// DT_RUNPATH, which makes ld.so ignore it (elf_get_dynamic_info).
	// hasRunpath says whether it has one: ld.so then searches no
	// DT_RPATH at all for this object's needs (_dl_map_object).
	rpath      []string
	hasRunpath bool
	// defs are the version names the object defines (DT_VERDEF); nil
	// when it has none, which ld.so accepts with a warning.
	defs  map[string]bool
	needs []need
	// private marks an object of a glibc build: one that defines or
	// requires GLIBC_PRIVATE, the interface glibc's own objects share
	// with each other and nobody else.
	private bool
	// dlopenable marks an ET_DYN with PT_DYNAMIC that is not a PIE
	// (DF_1_PIE): what dlopen accepts, so without PT_INTERP a library.
	dlopenable bool
}

// readObject opens path and reads what the solver needs. Every error
// names the file; a FormatError inside keeps its offset.
func readObject(path string) (*object, error) {
	f, err := inspect.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		real = path
	}
	o := &object{path: path, real: real, dir: filepath.Dir(path),
		class: f.Class, data: f.Data, machine: f.Machine, typ: f.Type}
	d, err := f.Dynamic()
	if err != nil {
		return nil, fmt.Errorf("%s: dynamic table: %w", path, err)
	}
	if d == nil {
		return o, nil
	}
	o.dlopenable = f.Type == elf.ET_DYN && d.Flags1&elf.DF_1_PIE == 0
	o.soname, o.needed, o.runpath = d.Soname, d.Needed, d.Runpath
	if _, ok := d.Tag(elf.DT_RUNPATH); ok {
		o.hasRunpath = true
	} else {
		o.rpath = d.Rpath
	}
	v, err := f.Versions(d)
	if err != nil {
		return nil, fmt.Errorf("%s: symbol versions: %w", path, err)
	}
	if v == nil {
		return o, nil
	}
	if len(v.Def) > 0 {
		o.defs = map[string]bool{}
		for _, def := range v.Def {
			// match_symbol (elf/dl-version.c) compares the required
			// name with each definition's first name only.
			if len(def.Names) > 0 {
				o.defs[def.Names[0]] = true
				if def.Names[0] == "GLIBC_PRIVATE" {
					o.private = true
				}
			}
		}
	}
	for _, n := range v.Need {
		for _, a := range n.Aux {
			if len(o.needs) >= maxNeeds {
				return nil, &inspect.FormatError{Off: -1, Addr: a.Addr, InMem: true, Struct: "Vernaux",
					Msg: fmt.Sprintf("more than %d version requirements", maxNeeds)}
			}
			o.needs = append(o.needs, need{file: n.File, version: a.Name, weak: a.Weak()})
			if a.Name == "GLIBC_PRIVATE" {
				o.private = true
			}
		}
	}
	return o, nil
}

// answersTo reports whether ld.so matches name against o once loaded
// under loadedAs: _dl_name_match_p compares with the name it was loaded
// under and with its DT_SONAME.
func (o *object) answersTo(name, loadedAs string) bool {
	return name == loadedAs || (o.soname != "" && name == o.soname)
}
