package fix

import (
	"bytes"
	"debug/elf"
	"fmt"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// SelfExeRisk is what a launch through the loader, `LOADER --library-path
// DIRS FILE`, costs a program. The kernel then executes the loader, so
// /proc/self/exe and AT_EXECFN name the loader, not FILE; ld.so only
// moves argv so that argv[0] is FILE.
type SelfExeRisk string

const (
	// SelfExeNone: nothing in the file reads its own executable to start;
	// only a program that re-executes itself through /proc/self/exe
	// would notice, and its bytes do not tell.
	SelfExeNone SelfExeRisk = "none"
	// SelfExeIdentity: the runtime starts and runs its application (it
	// reads it from memory), but the path it reports as its own
	// (process.execPath) is the loader's: anything that runs "itself"
	// again, as Claude Code's shell integration does, runs ld.so.
	SelfExeIdentity SelfExeRisk = "identity"
	// SelfExeBreaks: the application does not run when launched through
	// the loader: the runtime reads it from its own file through
	// /proc/self/exe and reads ld.so instead, or it restarts itself by
	// executing FILE directly, which needs the interpreter FILE names.
	SelfExeBreaks SelfExeRisk = "breaks"
)

// Sensitivity is the answer of SelfExeSensitive for one file.
type Sensitivity struct {
	Risk SelfExeRisk `json:"risk"`
	// Runtime names the runtime and its version as people say it,
	// "Bun 1.0.36"; empty for a file without one.
	Runtime string `json:"runtime,omitempty"`
	// Reason says in plain words what a launch through the loader does
	// to this file.
	Reason string `json:"reason"`
	// Effect is what the runtime does instead of running its
	// application, for SelfExeBreaks: inspect's classification.
	Effect   inspect.Effect `json:"effect,omitempty"`
	Evidence []string       `json:"evidence,omitempty"`
	// Observed is true when elfdoctor's tests run this payload format
	// both ways (TestSelfExeReal) and saw what Reason says; false when
	// the answer comes from the runtime's source and format only.
	Observed bool `json:"observed"`
}

// RefusesWrapper reports whether a launcher that runs the loader with
// FILE as its argument must be refused for this file: the runtime would
// not find its application.
func (s Sensitivity) RefusesWrapper() bool { return s.Risk == SelfExeBreaks }

// formatFacts is what elfdoctor knows about one payload format, keyed by
// inspect.Payload.Format: where the runtime reads it from and what a
// launch through the loader was seen to do.
type formatFacts struct {
	risk     SelfExeRisk
	effect   inspect.Effect
	observed bool
	// how completes "NAME VERSION ..." in plain words.
	how string
}

var payloadFormats = map[string]formatFacts{
	// Bun 1.0.36, 1.1.45, 1.2.23 and 1.3.11 (the last such release) run
	// through ld.so print bun's own help: the 4096 bytes they read are
	// ld.so's end.
	"bun appended graph": {risk: SelfExeBreaks, effect: inspect.EffectBareRuntime, observed: true,
		how: "reads its application from the last 4096 bytes of its own file (/proc/self/exe): launched through the loader, it reads ld.so's, finds no application and starts as the plain bun CLI"},
	// Bun 1.3.12 (the first such release), 1.3.14, 1.4.0 and 1.4.5 run
	// their application through ld.so, and process.execPath is ld.so's
	// path.
	"bun .bun section": {risk: SelfExeIdentity, observed: true,
		how: "reads its application from its own memory (the .bun section), so it runs it when launched through the loader, but process.execPath then names the loader: whatever the application starts as itself again runs ld.so"},
	// Node's postject finds the blob through dl_iterate_phdr's first
	// object, which is still the program under an explicit ld.so;
	// process.execPath and process.argv[0] name the loader.
	"node SEA note": {risk: SelfExeIdentity, observed: true,
		how: "reads its application from its own memory (a PT_NOTE the loader maps), so it runs it when launched through the loader, but process.execPath and process.argv[0] then name the loader: whatever the application starts as itself again runs ld.so"},
	// Deno's libsui reads the note the way postject does; denort, the
	// runtime `deno compile` embeds, is not published where elfdoctor's
	// tests can fetch it, so this was not run.
	"deno SUI note": {risk: SelfExeIdentity,
		how: "reads its application from its own memory (a PT_NOTE found through dl_iterate_phdr, as Node's single executable applications do), so it should run it when launched through the loader, but Deno.execPath() then names the loader"},
	"deno appended": {risk: SelfExeBreaks, effect: inspect.EffectFails,
		how: "reads its application from the end of its own file (Rust's current_exe, /proc/self/exe): launched through the loader, it reads ld.so's end and does not find its application"},
}

// SelfExeSensitive says what launching path as `LOADER --library-path
// DIRS path` would change for it, from the runtime and payload format
// its bytes show (inspect.Identify). It returns an error only when path
// cannot be read as ELF.
func SelfExeSensitive(path string) (Sensitivity, error) {
	f, err := inspect.Open(path)
	if err != nil {
		return Sensitivity{}, fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	return selfExe(f, inspect.Identify(f)), nil
}

func selfExe(f *inspect.File, fp *inspect.Fingerprint) Sensitivity {
	best := Sensitivity{Risk: SelfExeNone,
		Reason: "no embedded runtime that reads its own executable: launched through the loader, /proc/self/exe and AT_EXECFN name the loader, which matters only to a program that re-executes itself through them"}
	rank := map[SelfExeRisk]int{SelfExeNone: 0, SelfExeIdentity: 1, SelfExeBreaks: 2}
	for i := range fp.Runtimes {
		s, ok := runtimeSensitivity(f, &fp.Runtimes[i])
		if ok && rank[s.Risk] > rank[best.Risk] {
			best = s
		}
	}
	for _, p := range fp.Problems {
		if p.Code == inspect.CodeInternalError {
			// The answer may be missing a runtime: say so rather than
			// pass a partial reading off as "none".
			best.Evidence = append(best.Evidence, "the runtime reading stopped early: "+p.Message)
		}
	}
	return best
}

func runtimeSensitivity(f *inspect.File, r *inspect.Runtime) (Sensitivity, bool) {
	name := strings.TrimSpace(r.Name + " " + r.Version)
	p := r.Payload
	if p == nil {
		switch r.Kind {
		case inspect.RuntimeBun, inspect.RuntimeNode, inspect.RuntimeDeno:
			// The bare runtime: no application to lose, but its own
			// path is the loader's, as for the applications above
			// (Bun 1.4.5, Debian's node and Deno 2.4.4 and 2.9.6 seen).
			own := "process.execPath"
			if r.Kind == inspect.RuntimeDeno {
				own = "Deno.execPath()"
			}
			return Sensitivity{Risk: SelfExeIdentity, Runtime: name,
				Reason:   name + " carries no application; launched through the loader, the path it reports as its own (" + own + ") is the loader's, so whatever it starts as itself again runs ld.so",
				Observed: true}, true
		case inspect.RuntimeGo:
			// A Go program with a loader (cgo) reads /proc/self/exe
			// for os.Executable(), seen to name ld.so.
			return Sensitivity{Risk: SelfExeIdentity, Runtime: name,
				Reason:   name + ": launched through the loader, os.Executable() names the loader, so a program that finds its files or re-executes itself through it gets ld.so",
				Observed: true}, true
		}
		return Sensitivity{}, false
	}
	facts, known := payloadFormats[p.Format]
	var extra []string
	if r.Kind == inspect.RuntimePyInstaller {
		facts, extra = pyinstallerFacts(f)
	} else if !known {
		// A format added to inspect after this table: decide from how
		// inspect says the runtime reaches it, and say it was not run.
		facts = formatFacts{risk: SelfExeIdentity, how: "reads its application from its own memory (" + p.Format + ")"}
		if strings.HasPrefix(p.Access, "reads its own file") {
			facts = formatFacts{risk: SelfExeBreaks, effect: inspect.EffectFails, how: "reads its application from its own file (" + p.Format + "): launched through the loader, it reads ld.so instead"}
		}
	}
	s := Sensitivity{Risk: facts.risk, Runtime: name, Reason: name + " " + facts.how, Observed: facts.observed}
	if facts.risk == SelfExeBreaks {
		s.Effect = facts.effect
	}
	where := fmt.Sprintf("offset %#x", uint64(p.Off))
	if p.Addr != 0 {
		where += fmt.Sprintf(", vaddr %#x", uint64(p.Addr))
	}
	s.Evidence = append(s.Evidence, fmt.Sprintf("payload format %q at %s, %s; the runtime %s", p.Format, where, inspect.HumanSize(uint64(p.Size)), p.Access))
	s.Evidence = append(s.Evidence, extra...)
	if !p.Reachable {
		s.Evidence = append(s.Evidence, "the payload is not reachable even when the file is executed directly: "+p.Problem)
	}
	if !facts.observed {
		why, ok := unobserved[r.Kind]
		if !ok {
			why = "the payload format " + p.Format + " is not among those they run"
		}
		s.Evidence = append(s.Evidence, "not run by elfdoctor's tests: "+why)
	}
	return s, true
}

// unobserved says why a runtime's answer comes from its format alone.
var unobserved = map[inspect.RuntimeKind]string{
	inspect.RuntimeDeno:        "the runtime `deno compile` embeds (denort) is not in the package registries the tests reach",
	inspect.RuntimePyInstaller: "PyInstaller comes from PyPI, which the test machines cannot reach",
}

// PyInstaller's bootloader has met ld.so three ways, told apart by
// strings its release builds carry (pyi_path.c and pyi_main.c):
//   - the oldest take /proc/self/exe as their executable and read ld.so
//     instead of the archive;
//   - later ones recognise a loader's name there (sscanf with
//     "ld-%64[^.].so.%d") and fall back to argv[0], which ld.so sets to
//     FILE, but a one-file application restarts itself with
//     execvp(FILE), which needs FILE's own interpreter;
//   - the newest also restart through the loader they were started by
//     (their error "failed to allocate argv array for execvp").
var (
	pyiLoaderName    = []byte("ld-%64[^.].so.%d")
	pyiLoaderRestart = []byte("failed to allocate argv array for execvp")
)

// maxBootloaderScan bounds the bytes read looking for those strings: the
// bootloader is tens of KiB; the archive after it is not scanned.
const maxBootloaderScan = 16 << 20

func pyinstallerFacts(f *inspect.File) (formatFacts, []string) {
	name, restart := scanReadOnly(f, pyiLoaderName, pyiLoaderRestart)
	switch {
	case name && restart:
		return formatFacts{risk: SelfExeIdentity,
				how: "recognises ld.so as /proc/self/exe, finds its executable through argv[0] (which ld.so sets to FILE) and restarts itself through the same loader, so its application should run; code reading /proc/self/exe still gets the loader"},
			[]string{"the bootloader carries both the loader-name check and the restart through the loader"}
	case name:
		return formatFacts{risk: SelfExeBreaks, effect: inspect.EffectFails,
				how: "recognises ld.so as /proc/self/exe and finds its archive through argv[0], but a one-file application restarts itself by executing FILE directly, which needs the interpreter FILE names: where that is missing (the reason for the launch through the loader), the application does not start"},
			[]string{"the bootloader carries the loader-name check but not the restart through the loader"}
	}
	return formatFacts{risk: SelfExeBreaks, effect: inspect.EffectFails,
			how: "takes /proc/self/exe as its executable and reads its archive from there: launched through the loader, it reads ld.so, which holds no archive"},
		[]string{"the bootloader carries no check for a loader as /proc/self/exe"}
}

// scanReadOnly reports which of a and b occur in the file bytes of the
// non-writable PT_LOADs, read in bounded chunks.
func scanReadOnly(f *inspect.File, a, b []byte) (foundA, foundB bool) {
	const chunk = 1 << 20
	overlap := max(len(a), len(b)) - 1
	budget := uint64(maxBootloaderScan)
	for _, p := range f.ProgsOfType(elf.PT_LOAD) {
		if p.Flags&elf.PF_W != 0 {
			continue
		}
		end := min(p.Offset+p.Filesz, uint64(f.Size()))
		for off := p.Offset; off < end && budget > 0 && !(foundA && foundB); {
			n := min(end-off, chunk, budget)
			buf, err := f.ReadFull(int64(off), n, "PyInstaller bootloader")
			if err != nil {
				break
			}
			foundA = foundA || bytes.Contains(buf, a)
			foundB = foundB || bytes.Contains(buf, b)
			budget -= n
			if off+n >= end || n <= uint64(overlap) {
				break
			}
			off += n - uint64(overlap)
		}
	}
	return foundA, foundB
}
