package reality

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/elfdoctor/elfdoctor/internal/damage"
)

// The fuzzer's second source of damage is patchelf itself, the tool of
// the original report: random sequences of the rewrites users and
// installers apply (a new interpreter or RPATH of any length, libraries
// added, removed and renamed, symbol versions cleared, symbols renamed),
// by bookworm's patchelf 0.14.3 or trixie's 0.18.0, now and then the
// machine's strip, one to three rounds on the same file, a quarter of the time followed by one random
// mutation of what patchelf wrote. The files are what the real tools
// make, so every layout patchelf can produce (a new segment for moved
// tables, a replaced PT_PHDR, rounds stacked on each other) meets the
// replay and the four loaders.

// stripTool, first in a round, runs the machine's strip (binutils) on the
// file instead of the case's patchelf.
const stripTool = "strip"

// renameArg marks the argument of --rename-dynamic-symbols in a case: the
// map file's one line ("OLD NEW"), written to a file when the case is
// made, so a case stays a list of words.
const renameArg = "--rename-dynamic-symbols"

// rewriteNames are the names a rewrite of one file draws from, read from
// the pristine file.
type rewriteNames struct {
	needed  []string // DT_NEEDED
	imports []string // undefined dynamic symbols
	exports []string // defined global dynamic symbols
	soname  bool     // ET_DYN: patchelf gives it a DT_SONAME
}

func namesOf(b []byte) (rewriteNames, error) {
	var n rewriteNames
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return n, err
	}
	n.soname = f.Type == elf.ET_DYN
	n.needed, _ = f.DynString(elf.DT_NEEDED)
	syms, _ := f.DynamicSymbols()
	for _, s := range syms {
		bind := elf.ST_BIND(s.Info)
		if s.Name == "" || (bind != elf.STB_GLOBAL && bind != elf.STB_WEAK) {
			continue
		}
		if s.Section == elf.SHN_UNDEF {
			n.imports = append(n.imports, s.Name)
		} else {
			n.exports = append(n.exports, s.Name)
		}
	}
	return n, nil
}

// nixHash is a store path's hash: 32 characters of Nix's base-32.
func nixHash(r *rand.Rand) string {
	const alphabet = "0123456789abcdfghijklmnpqrsvwxyz"
	b := make([]byte, 32)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

func oneOf(r *rand.Rand, s ...string) string { return s[r.IntN(len(s))] }

// interpreter is a PT_INTERP a rewrite sets: mostly the roots' loader by
// a path of any length ("./" repeated, as a long store path makes the
// string grow), sometimes another of its names, sometimes a store path
// that is not there.
func interpreter(r *rand.Rand) string {
	switch r.IntN(8) {
	case 0:
		return "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
	case 1:
		return "/nix/store/" + nixHash(r) + "-glibc-2.40-66/lib/ld-linux-x86-64.so.2"
	case 2:
		return "/lib64/ld-linux-x86-64.so.2"
	}
	n := 1 + r.IntN(30)
	if r.IntN(3) == 0 {
		n = 30 + r.IntN(600)
	}
	return "/lib64/" + strings.Repeat("./", n) + "ld-linux-x86-64.so.2"
}

// rpath is an RPATH or RUNPATH a rewrite sets: one to four entries, with
// $ORIGIN in its spellings, store paths that are not there, system
// directories, the dynamic string tokens, an empty entry (the working
// directory) and long ones.
func rpath(r *rand.Rand) string {
	n := 1 + r.IntN(4)
	es := make([]string, n)
	for i := range es {
		switch r.IntN(12) {
		case 0, 1, 2:
			es[i] = "$ORIGIN"
		case 3:
			es[i] = "${ORIGIN}"
		case 4:
			es[i] = "$ORIGIN/" + strings.Repeat("./", r.IntN(200))
		case 5, 6:
			es[i] = "/nix/store/" + nixHash(r) + "-" + oneOf(r, "gcc-13.3.0-lib", "glibc-2.40-66", "zlib-1.3.1") + "/lib"
		case 7:
			es[i] = oneOf(r, "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/lib64")
		case 8:
			es[i] = oneOf(r, "", ".", "lib")
		case 9:
			es[i] = oneOf(r, "$LIB", "/$LIB", "$PLATFORM", "/usr/$LIB")
		case 10:
			es[i] = "$ORIGIN/" + oneOf(r, "lib", "../lib", "..")
		default:
			es[i] = "/" + strings.Repeat("x", 1+r.IntN(400))
		}
	}
	return strings.Join(es, ":")
}

// randomRewrites draws one to three rounds of patchelf arguments for a
// file with names, the library when lib; release is the patchelf that
// applies them (0.18 has options 0.14 lacks).
func randomRewrites(r *rand.Rand, in FuzzInput, names rewriteNames, lib bool, release string) [][]string {
	rounds := 1
	if x := r.IntN(20); x >= 17 {
		rounds = 3
	} else if x >= 12 {
		rounds = 2
	}
	newer := release == "patchelf-0.18"
	needs := []string{"libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libutil.so.1",
		"libnothere.so.1", "libc.so.6", "ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libm.so.6"}
	if in.LibName != "" {
		needs = append(needs, "$ORIGIN/"+in.LibName, "./"+in.LibName, in.LibName)
	}
	symbols := append(slices.Clone(names.imports), names.exports...)
	op := func() []string {
		for {
			switch r.IntN(20) {
			case 0, 1, 2, 3:
				if lib {
					continue // a library has no PT_INTERP; patchelf refuses
				}
				args := []string{"--set-interpreter", interpreter(r)}
				if r.IntN(6) == 0 {
					args = append([]string{"--page-size", oneOf(r, "16384", "65536")}, args...)
				}
				return args
			case 4, 5, 6:
				if r.IntN(4) == 0 {
					return []string{"--force-rpath", "--set-rpath", rpath(r)}
				}
				return []string{"--set-rpath", rpath(r)}
			case 7:
				return []string{"--add-rpath", rpath(r)}
			case 8:
				return []string{"--remove-rpath"}
			case 9, 10:
				return []string{"--add-needed", oneOf(r, needs...)}
			case 11:
				if len(names.needed) == 0 {
					continue
				}
				return []string{"--remove-needed", oneOf(r, names.needed...)}
			case 12, 13:
				if len(names.needed) == 0 {
					continue
				}
				old := oneOf(r, names.needed...)
				return []string{"--replace-needed", old, oneOf(r, "libnothere.so.1", "libm.so.6", "$ORIGIN/"+old,
					"/lib/x86_64-linux-gnu/"+old, "/usr/lib/x86_64-linux-gnu/"+old, old+".1", "./"+old)}
			case 14:
				return []string{"--no-default-lib"}
			case 15:
				if !names.soname {
					continue
				}
				return []string{"--set-soname", oneOf(r, "libdemo.so.1", "libc.so.6", "libx.so", in.LibName, "libm.so.6")}
			case 16:
				if len(symbols) == 0 {
					continue
				}
				return []string{"--clear-symbol-version", oneOf(r, symbols...)}
			case 17:
				if !newer || len(symbols) == 0 {
					continue
				}
				// Renamed to a name of its own, or swapped for another
				// symbol of the file.
				old := oneOf(r, symbols...)
				return []string{renameArg, old + " " + oneOf(r, old+"_r", oneOf(r, symbols...))}
			case 18:
				if !newer {
					continue
				}
				return []string{oneOf(r, "--add-debug-tag", "--set-execstack", "--clear-execstack")}
			default:
				if !newer {
					continue
				}
				return []string{"--set-os-abi", oneOf(r, "freebsd", "gnu", "sysv", "netbsd")}
			}
		}
	}
	var runs [][]string
	for i := 0; i < rounds; i++ {
		args := op()
		if r.IntN(4) == 0 {
			args = append(args, op()...)
		}
		runs = append(runs, args)
	}
	return runs
}

// withStrip puts a round of binutils' strip among runs a sixth of the
// time, before or after any of them, as users strip before or after
// patchelf (it rewrites the section table and drops what only sections
// describe). Drawn from a stream of its own, so a case without it is
// the one the seed made before strip rounds were added.
func withStrip(seed uint64, runs [][]string) [][]string {
	r := rand.New(rand.NewPCG(seed, 0x7374726970))
	if r.IntN(6) != 0 {
		return runs
	}
	round := []string{stripTool, oneOf(r, "--strip-all", "--strip-unneeded", "--strip-debug",
		"--remove-section=.comment", "--remove-section=.note.gnu.build-id", "--remove-section=.gnu_debuglink")}
	return slices.Insert(runs, r.IntN(len(runs)+1), round)
}

// generateRewrite makes the case of seed for Fuzzer.Patchelf: an input,
// its program or library (always the library under Fuzzer.Dlopen),
// a patchelf release and its rounds, and a quarter of the time one
// mutation of the rewritten file. A stream of its own, so the other
// modes' seeds keep their cases. Rounds after one patchelf refuses (or
// dies in) are dropped: the file is what the rounds before made, as for
// a script that stops at the first error.
func (f *Fuzzer) generateRewrite(seed uint64) (FuzzCase, error) {
	r := rand.New(rand.NewPCG(seed, 0x7061746368656c66))
	ins := f.Inputs
	if f.Dlopen {
		ins = slices.DeleteFunc(slices.Clone(ins), func(in FuzzInput) bool { return in.Lib == "" || in.DlopenHost == "" })
	}
	if len(ins) == 0 {
		return FuzzCase{Seed: seed}, errors.New("no input to rewrite")
	}
	in := ins[r.IntN(len(ins))]
	c := FuzzCase{Seed: seed, Input: in.Name, Dlopen: f.Dlopen}
	c.Library = f.Dlopen || (in.Lib != "" && r.IntN(3) == 0)
	target := in.Path
	if c.Library {
		target = in.Lib
	}
	releases := make([]string, 0, len(f.Patchelfs))
	for k := range f.Patchelfs {
		releases = append(releases, k)
	}
	if len(releases) == 0 {
		return c, errors.New("the fuzzer has no patchelf (Fuzzer.Patchelfs)")
	}
	slices.Sort(releases)
	c.Patchelf = releases[r.IntN(len(releases))]
	names, err := namesOf(f.bytes[target])
	if err != nil {
		return c, fmt.Errorf("%s: %w", target, err)
	}
	c.Rewrites = withStrip(seed, randomRewrites(r, in, names, c.Library, c.Patchelf))
	out, kept, _ := f.rewrite(c, f.bytes[target])
	c.Rewrites, c.rewritten = c.Rewrites[:kept], out
	if r.IntN(4) == 0 {
		if l, err := newLayout(out); err == nil {
			if m, ok := l.randomMutation(r, ""); ok {
				c.Mutations = append(c.Mutations, m)
			}
		}
	}
	if !c.Dlopen {
		c.LibraryPath = in.Lib != "" && r.IntN(2) == 0
		c.ViaLoader = f.ViaLoader
	}
	return c, nil
}

// rewrite applies c's rounds to b with c's patchelf and returns the file
// after the rounds that succeeded, how many did, and why the next did
// not.
func (f *Fuzzer) rewrite(c FuzzCase, b []byte) (out []byte, kept int, err error) {
	pe, ok := f.Patchelfs[c.Patchelf]
	if !ok {
		return b, 0, fmt.Errorf("no patchelf %q in Fuzzer.Patchelfs", c.Patchelf)
	}
	dir, err := os.MkdirTemp("", "elfdoctor-rewrite-")
	if err != nil {
		return b, 0, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "target")
	if err := os.WriteFile(file, b, 0o755); err != nil {
		return b, 0, err
	}
	out = b
	for i, args := range c.Rewrites {
		args = slices.Clone(args)
		for j := 0; j+1 < len(args); j++ {
			if args[j] == renameArg {
				m := filepath.Join(dir, fmt.Sprintf("rename-%d-%d", i, j))
				if err := os.WriteFile(m, []byte(args[j+1]+"\n"), 0o644); err != nil {
					return out, i, err
				}
				args[j+1] = m
			}
		}
		tool := pe
		if len(args) > 0 && args[0] == stripTool {
			tool, args = []string{stripTool}, args[1:]
		}
		// PatchelfWith copies its source first: the round works on
		// the file the rounds before wrote.
		if err := damage.PatchelfWith(tool, file, file+".next", args); err != nil {
			return out, i, err
		}
		next, err := os.ReadFile(file + ".next")
		if err != nil {
			return out, i, err
		}
		if err := os.Rename(file+".next", file); err != nil {
			return out, i, err
		}
		out = next
	}
	return out, len(c.Rewrites), nil
}
