package report

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/elfdoctor/elfdoctor/bisect"
	"github.com/elfdoctor/elfdoctor/coredump"
	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/safeopen"
	"github.com/elfdoctor/elfdoctor/internal/shellquote"
)

// Bug is everything elfdoctor found about one failing program, gathered
// into one document for a bug tracker: the verdict first, then the
// evidence each command produced, then how to reproduce it.
type Bug struct {
	// Verdict is the one sentence at the top; Kind names it for programs.
	Verdict string `json:"verdict"`
	Kind    string `json:"kind"`
	Env     Env    `json:"environment"`

	Exe      FileFacts           `json:"exe"`
	Summary  *inspect.Summary    `json:"inspect"`
	Check    *loader.CheckResult `json:"check"`
	Pristine *FileFacts          `json:"pristine,omitempty"`
	PSummary *inspect.Summary    `json:"pristine_inspect,omitempty"`
	PCheck   *loader.CheckResult `json:"pristine_check,omitempty"`
	Diff     *inspect.Diff       `json:"diff,omitempty"`
	Bisect   *bisect.Result      `json:"bisect,omitempty"`
	Core     *coredump.Analysis  `json:"core,omitempty"`
	Next     []string            `json:"next"`
	Repro    []string            `json:"reproduce"`
	Redacted bool                `json:"redacted"`
	Runtime  *inspect.Runtime    `json:"runtime,omitempty"`
}

// The verdict kinds.
const (
	KindLocalDamage      = "local-damage"      // the pristine copy starts; this one does not
	KindNotLocal         = "not-local"         // the pristine copy fails the same way
	KindPredictedFailure = "predicted-failure" // no pristine copy to compare with
	KindClean            = "clean"             // nothing wrong found
	KindCrash            = "crash"             // a core file shows the crash; nothing local explains it
)

// FileFacts identify a file beyond its name.
type FileFacts struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Env is the machine the report was made on, as far as it matters to the
// loader: the kernel, the distribution, the loader and libc actually used
// and the CPU features that decide between baseline and optimised builds.
type Env struct {
	Kernel       string   `json:"kernel"`
	Machine      string   `json:"machine"`
	Distribution string   `json:"distribution"`
	Loader       string   `json:"loader,omitempty"`
	LoaderGlibc  string   `json:"loader_glibc,omitempty"`
	LibcGlibc    string   `json:"libc_glibc,omitempty"`
	CPU          string   `json:"cpu,omitempty"`
	CPUFlags     []string `json:"cpu_flags"`    // the features below that the CPU has
	X86Level     string   `json:"x86_64_level"` // v1..v4, empty off x86
}

// cpuFeatures are the flags that separate x86-64 levels: v2 (baseline
// builds such as Bun's "-baseline" need no more), v3 (AVX2, what Bun's
// default build assumes) and v4.
var cpuFeatures = []string{"sse4_2", "popcnt", "avx", "avx2", "bmi1", "bmi2", "fma", "movbe", "avx512f"}

// HostEnv describes this machine. The loader fields are filled in by
// Gather from check's view of the program.
func HostEnv() Env {
	var e Env
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		e.Kernel = "Linux " + utsString(u.Release[:])
		e.Machine = utsString(u.Machine[:])
	}
	e.Distribution = osRelease("/etc/os-release")
	e.CPU, e.CPUFlags = cpuInfo("/proc/cpuinfo")
	e.X86Level = x86Level(e.Machine, e.CPUFlags)
	return e
}

func utsString(b []int8) string {
	var s strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		s.WriteByte(byte(c))
	}
	return s.String()
}

func osRelease(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "PRETTY_NAME="); ok {
			return strings.Trim(v, `"'`)
		}
	}
	return "unknown"
}

func cpuInfo(path string) (model string, flags []string) {
	f, err := os.Open(path)
	if err != nil {
		return "", []string{}
	}
	defer f.Close()
	flags = []string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case k == "model name" && model == "":
			model = v
		case k == "flags":
			have := map[string]bool{}
			for _, fl := range strings.Fields(v) {
				have[fl] = true
			}
			// The kernel calls BMI1 "bmi1"; older ones only "abm".
			for _, want := range cpuFeatures {
				if have[want] {
					flags = append(flags, want)
				}
			}
			return model, flags
		}
	}
	return model, flags
}

// x86Level is the x86-64 micro-architecture level the flags reach, judged
// by the features that matter to prebuilt binaries.
func x86Level(machine string, flags []string) string {
	if machine != "x86_64" {
		return ""
	}
	has := map[string]bool{}
	for _, f := range flags {
		has[f] = true
	}
	switch {
	case has["avx512f"] && has["avx2"] && has["bmi2"] && has["fma"]:
		return "v4"
	case has["avx2"] && has["bmi1"] && has["bmi2"] && has["fma"] && has["movbe"]:
		return "v3"
	case has["sse4_2"] && has["popcnt"]:
		return "v2"
	}
	return "v1"
}

// BugInput says what to gather.
type BugInput struct {
	Exe      string
	Pristine string // optional: the vendor's copy of the same version
	Check    loader.CheckOptions
	// Env is the machine; nil means HostEnv(). Tests pass a fixed one.
	Env *Env
	// Bisect is a finished bisection of the vendor's releases, whose
	// verdict leads the report when it is conclusive.
	Bisect *bisect.Result
	// Core is the analysis of the crash's core file.
	Core *coredump.Analysis
}

// Gather runs inspect, runtime, check and (with a pristine copy) diff on
// the files and concludes.
func Gather(in BugInput) (*Bug, error) {
	b := &Bug{Bisect: in.Bisect, Core: in.Core}
	var err error
	if b.Exe, err = facts(in.Exe); err != nil {
		return nil, err
	}
	if b.Summary, b.Check, err = examine(in.Exe, in.Check); err != nil {
		return nil, err
	}
	if in.Pristine != "" {
		p, err := facts(in.Pristine)
		if err != nil {
			return nil, err
		}
		b.Pristine = &p
		if b.PSummary, b.PCheck, err = examine(in.Pristine, in.Check); err != nil {
			return nil, err
		}
		// The hashes already say whether the files are identical.
		b.Diff = inspect.CompareKnowing(b.PSummary, b.Summary, p.SHA256 == b.Exe.SHA256)
	}
	if in.Env != nil {
		b.Env = *in.Env
	} else {
		b.Env = HostEnv()
	}
	for _, o := range b.Check.Objects {
		switch {
		case o.Via == "" && o.Needed == "":
			b.Env.Loader, b.Env.LoaderGlibc = o.Path, o.Glibc
		case o.Soname == "libc.so.6" || strings.HasPrefix(o.Name, "libc.so"):
			b.Env.LibcGlibc = o.Glibc
		}
	}
	if fp := b.Summary.Runtime; fp != nil && len(fp.Runtimes) > 0 {
		r := fp.Runtimes[0]
		if bad := fp.Unreachable(); bad != nil {
			r = *bad
		}
		b.Runtime = &r
	}
	b.conclude()
	return b, nil
}

func examine(path string, opts loader.CheckOptions) (*inspect.Summary, *loader.CheckResult, error) {
	f, err := inspect.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	s := inspect.Summarize(f, path)
	c, err := loader.Check(path, opts)
	if err != nil {
		return nil, nil, err
	}
	return s, c, nil
}

// facts hashes the whole file: the one read a report makes of all of it,
// because the hash is what lets a maintainer match the exact download.
func facts(path string) (FileFacts, error) {
	f, err := safeopen.Regular(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return FileFacts{}, fmt.Errorf("%s: %w", path, pe.Err)
		}
		return FileFacts{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return FileFacts{}, fmt.Errorf("%s: %w", path, err)
	}
	return FileFacts{Path: path, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// conclude writes the verdict: with a pristine copy, whether the failure
// is local; without, what is predicted.
func (b *Bug) conclude() {
	fatal := b.Check.Fatal()
	name := baseName(b.Exe.Path)
	what := ""
	if b.Pristine != nil {
		what = baseName(b.Pristine.Path)
		if r := b.Runtime; r != nil && r.Version != "" {
			what += ", " + r.Name + " " + r.Version
		}
	}
	switch {
	case b.PCheck != nil && fatal != nil && b.PCheck.Fatal() == nil:
		b.Kind = KindLocalDamage
		how := "this copy differs from it"
		switch {
		case b.Diff != nil && b.Diff.Verdict == inspect.VerdictLocallyEdited:
			how = "this copy was rewritten after linking, as patchelf does"
		case b.Diff != nil && b.Diff.Different() && len(b.Diff.Changes) > 0:
			how = "this copy differs from it (" + b.Diff.Changes[0].Message + ")"
		}
		b.Verdict = fmt.Sprintf("Local damage: the pristine copy (%s) starts on this machine; %s, and %s.",
			what, how, fatal.Summary)
	case b.PCheck != nil && fatal != nil:
		b.Kind = KindNotLocal
		b.Verdict = fmt.Sprintf("Not local damage: the pristine copy fails too (%s).", b.PCheck.Fatal().Summary)
	case fatal != nil:
		b.Kind = KindPredictedFailure
		b.Verdict = fmt.Sprintf("Predicted failure: %s. Without the pristine copy (--pristine) elfdoctor cannot tell local damage from an upstream problem.", fatal.Summary)
	default:
		b.Kind = KindClean
		b.Verdict = fmt.Sprintf("No loader or runtime problem found in %s: the loader is predicted to start it.", name)
	}
	if c := b.Core; c != nil && c.Crash.Summary != "" {
		// A signal a process sent is not a crash the loader's view
		// could explain.
		sent := c.Crash.Kind == coredump.KindKilled || c.Crash.Kind == coredump.KindSelfSignal
		switch b.Kind {
		case KindClean, KindPredictedFailure:
			b.Kind, b.Verdict = KindCrash, c.Crash.Summary
			if fatal != nil && !sent {
				b.Verdict += " The loader's view explains it: " + fatal.Summary + "."
			}
		case KindLocalDamage, KindNotLocal:
			if sent {
				b.Verdict += " The core file shows no crash: " + lowerFirst(c.Crash.Summary)
			} else {
				b.Verdict += " The core file shows the crash: " + lowerFirst(c.Crash.Summary)
			}
		}
	}
	if v := b.bisectVerdict(); v != nil {
		local := b.Verdict
		b.Kind, b.Verdict = v.Kind, v.Sentence
		if fatal != nil {
			b.Verdict += " Here: " + local
		}
	}
	if fatal != nil && fatal.Next != "" {
		b.Next = append(b.Next, upperFirst(fatal.Next)+".")
	}
	if c := b.Core; c != nil && c.Crash.Next != "" && (fatal == nil || c.Crash.Next != upperFirst(fatal.Next)+".") {
		b.Next = append(b.Next, c.Crash.Next)
	}
	if b.Kind == KindLocalDamage {
		b.Next = append(b.Next, "Use the pristine file unmodified: run it through its loader (`ld.so --library-path DIRS FILE`) or with nix-ld instead of rewriting it in place.")
	}
	if b.Pristine == nil && fatal != nil {
		b.Next = append(b.Next, "Download the same version again and run `elfdoctor report FILE --pristine DOWNLOAD` to see whether the damage is local.")
	}
	exe := argWord(b.Exe.Path)
	b.Repro = append(b.Repro, command("elfdoctor check", exe), command("elfdoctor runtime", exe))
	if b.Pristine != nil {
		p := argWord(b.Pristine.Path)
		b.Repro = append(b.Repro, command("elfdoctor diff", p, exe), command("elfdoctor check", p))
	}
	b.Repro = append(b.Repro, command("LD_DEBUG=libs,versions", progWord(b.Exe.Path), "  # what ld.so does, step by step"))
	if c := b.Core; c != nil {
		if j := c.Journal; j != nil && j.Storage != coredump.StorageFile {
			// No core file to name: the journal finds the crash again.
			b.Repro = append(b.Repro, command("elfdoctor coredump --exe", exe, "--journal", strconv.Itoa(j.PID)))
		} else {
			core := argWord(c.Core)
			b.Repro = append(b.Repro, command("elfdoctor coredump --exe", exe, core), command("gdb -batch -ex bt", exe, core))
		}
	}
	if b.Bisect != nil {
		// Which flags made the source is not recorded; the comment
		// names it, quoted so that no newline in it can end the comment.
		ims := make([]string, len(b.Bisect.Images))
		for i, im := range b.Bisect.Images {
			ims[i] = shellquote.Word(im)
		}
		b.Repro = append(b.Repro, fmt.Sprintf("elfdoctor bisect ... # releases from %s in %s, as in the bisect section", shellquote.Word(b.Bisect.Source), strings.Join(ims, ", ")))
	}
	if b.Next == nil {
		b.Next = []string{}
	}
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// bisectVerdict is the bisection's verdict when it settles the question;
// an inconclusive one leaves the local evidence in the lead.
func (b *Bug) bisectVerdict() *bisect.Verdict {
	if b.Bisect == nil || b.Bisect.Verdict.Kind == bisect.Inconclusive || b.Bisect.Verdict.Sentence == "" {
		return nil
	}
	return &b.Bisect.Verdict
}
