package reality

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/damage"
)

// TestCategoriesApply pins which categories of loader-visible bytes each
// input has. A category that stops applying (a toolchain that no longer
// writes DT_HASH, a library built without versions) would silently shrink
// what the fuzzer covers, so it fails here instead of being skipped.
func TestCategoriesApply(t *testing.T) {
	f := setup(t)
	// What each kind of file lacks, and why.
	absent := map[string]string{
		// GNU ld on Debian writes only DT_GNU_HASH; lld writes DT_HASH
		// too. Programs define no versions.
		"gcc-pie":          "sysv-hash verdaux verdef",
		"gcc-nopie":        "sysv-hash verdaux verdef",
		"gcc-tls":          "sysv-hash verdaux verdef",
		"clang-lld":        "verdaux verdef",
		"clang-lld-nopie":  "verdaux verdef",
		"uses-libdemo":     "sysv-hash verdaux verdef",
		"uses-libdemo-lld": "verdaux verdef",
		"uses-libdemo-now": "sysv-hash verdaux verdef",
		"nozerofill-gcc":   "sysv-hash verdaux verdef",
		"nozerofill-lld":   "verdaux verdef",
		"host-gcc-pie":     "sysv-hash verdaux verdef",
		// patchelf moves the tables, it adds none.
		"nozerofill-gcc.patchelf": "sysv-hash verdaux verdef",
		"nozerofill-lld.patchelf": "verdaux verdef",
		// A C++ program defines no versions either.
		"gxx-pie": "sysv-hash verdaux verdef",
		// The library calls nothing: GNU ld gives it no PLT and no
		// version requirements (lld still writes an empty-ish
		// DT_VERNEED for its libc).
		"uses-libdemo/libdemo.so":     "interp jmprel sysv-hash vernaux verneed",
		"uses-libdemo-lld/libdemo.so": "interp",
		"uses-libdemo-now/libdemo.so": "interp jmprel sysv-hash vernaux verneed",
		// libtls.so calls __tls_get_addr, so it has a PLT and needs
		// GLIBC_2.3.
		"uses-libtls":           "sysv-hash verdaux verdef",
		"uses-libtls/libtls.so": "interp sysv-hash",
		// libifunc.so calls nothing either: its indirect function is
		// resolved inside it.
		"uses-libifunc":             "sysv-hash verdaux verdef",
		"uses-libifunc/libifunc.so": "interp jmprel sysv-hash vernaux verneed",
		// libchain.so calls libbase.so's base_value through its PLT and
		// needs two of its versions.
		"uses-libchain":             "sysv-hash verdaux verdef",
		"uses-libchain/libchain.so": "interp sysv-hash",
	}
	check := func(name, path string) {
		var missing []string
		l := f.lay[path]
		for _, c := range Categories {
			if len(l.byCat[c]) == 0 {
				missing = append(missing, c)
			}
		}
		sort.Strings(missing)
		if got := strings.Join(missing, " "); got != absent[name] {
			t.Errorf("%s lacks categories %q, want %q", name, got, absent[name])
		}
	}
	for _, in := range f.Inputs {
		check(in.Name, in.Path)
		if in.Lib != "" {
			check(in.Name+"/"+in.LibName, in.Lib)
		}
	}
}

// TestDamageKinds applies every kind of internal/damage to every input it
// is meant for and runs the copy under the four glibc builds. A kind that
// stops applying to an input it applied to fails; the kinds that do not
// apply to an input are listed with the reason.
func TestDamageKinds(t *testing.T) {
	f := setup(t)
	results := map[string]string{}
	t.Cleanup(func() { loadKnown(t).compare(t, "damage", results) })
	for _, in := range f.Inputs {
		for _, k := range damage.Kinds {
			name := in.Name + "/" + k.Name
			t.Run(name, func(t *testing.T) {
				src := f.bytes[in.Path]
				if k.Library {
					if in.Lib == "" {
						return // a library kind, and this program loads none of its own
					}
					src = f.bytes[in.Lib]
				}
				b, err := k.Apply(src)
				if why := notApplicable(k.Name, in); why != "" {
					if err == nil {
						t.Fatalf("%s now applies to %s; remove it from notApplicable (%s)", k.Name, in.Name, why)
					}
					return
				}
				if err != nil {
					t.Fatalf("%s no longer applies to %s: %v", k.Name, in.Name, err)
				}
				if bytes.Equal(b, src) {
					t.Fatalf("%s left %s unchanged", k.Name, in.Name)
				}
				prog, lib := b, f.bytes[in.Lib]
				if k.Library {
					prog, lib = f.bytes[in.Path], b
				}
				paths := []bool{false}
				if in.Lib != "" {
					paths = append(paths, true) // and found through LD_LIBRARY_PATH
				}
				for _, libraryPath := range paths {
					for _, root := range f.Roots {
						r, err := f.runIn(t.Context(), root, in, prog, lib, libraryPath, false)
						if err != nil {
							t.Fatal(err)
						}
						results[fmt.Sprintf("damage %s glibc=%s library-path=%v", name, root, libraryPath)] = r.Divergence
						if r.Divergence != "" {
							t.Logf("under %s (LD_LIBRARY_PATH %v): %s", root, libraryPath, r.Divergence)
						}
					}
				}
			})
		}
	}
}

// notApplicable returns why a damage kind does not apply to an input, or
// "" when it must.
func notApplicable(kind string, in FuzzInput) string {
	switch kind {
	case "hash-unmapped-beside-gnu-hash":
		if !strings.Contains(in.Name, "lld") {
			return "GNU ld on Debian writes only DT_GNU_HASH"
		}
	case "version-missing", "weak-version-missing":
		// Most inputs are built against glibc 2.31 so that all three
		// loaders start them.
		if versionLess(in.MinGlibc, "2.34") {
			return "built against glibc " + in.MinGlibc + ": no GLIBC_2.34 requirement to rename"
		}
	}
	return ""
}
