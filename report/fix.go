package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/elfdoctor/elfdoctor/fix"
	"github.com/elfdoctor/elfdoctor/internal/safeopen"
)

// FixView says which of a plan's outputs the reader asked for.
type FixView struct {
	// NixLD puts nix-ld's variables first.
	NixLD bool
}

// Fix writes a plan made by fix.Plan: the verdict, the loader and library
// path, the libraries chosen and the candidates refused with ld.so's
// reasons, how to start it, and its fingerprint.
func Fix(w io.Writer, p *fix.Result, v FixView, o Options) error {
	if p == nil {
		return errors.New("report: nil plan")
	}
	if o.Format == JSON {
		return writeJSON(w, "fix", o.Version, p)
	}
	d, err := newDoc(o)
	if err != nil {
		return err
	}
	fixDoc(d, p, v)
	return d.flush(w)
}

func fixDoc(d doc, p *fix.Result, v FixView) {
	d.literals(p.File, p.Loader)
	// host names the process an addon is loaded into.
	host := ""
	switch {
	case p.Host != nil && p.Host.Program != "":
		d.literals(p.Host.Program)
		host = code(p.Host.Program)
	case p.Host != nil && p.Loader != "":
		host = "a process running " + code(p.Loader) + " and its libc"
	case p.Host != nil:
		host = "the process assumed"
	}
	if !p.OK {
		if p.Host != nil {
			d.title("No plan: " + code(p.File) + " cannot be loaded unmodified into " + host + " from these libraries")
		} else {
			d.title("No plan: " + code(p.File) + " cannot be started from these libraries unmodified")
		}
		for _, pr := range p.Problems {
			d.para(clean(upperFirst(pr.Summary)), true)
			if len(pr.Evidence) > 0 {
				var items []string
				for _, e := range pr.Evidence {
					items = append(items, clean(e))
				}
				d.list(items, true)
			}
		}
	} else if p.Host != nil && p.Host.Program != "" {
		d.title("Plan: " + code(p.File) + " loads unmodified into " + host + " started with " + code(p.Loader))
	} else if p.Host != nil {
		d.title("Plan: " + code(p.File) + " loads unmodified into " + host)
	} else {
		d.title("Plan: " + code(p.File) + " starts unmodified with " + code(p.Loader))
	}
	kv := [][2]string{}
	if p.Host != nil && p.Host.Program != "" {
		kv = append(kv, [2]string{"loaded by", code(p.Host.Program) + " (its launch is the plan)"})
	} else if p.Host != nil && p.Host.Assumed != "" {
		kv = append(kv, [2]string{"loaded by", clean(p.Host.Assumed)})
	}
	if v.NixLD && p.NixLD != nil && p.OK {
		kv = append(kv, [2]string{"NIX_LD", code(p.NixLD.NixLD)}, [2]string{"NIX_LD_LIBRARY_PATH", code(p.NixLD.NixLDLibraryPath)})
	}
	if p.Loader != "" {
		kv = append(kv, [2]string{"loader", code(p.Loader)})
	}
	if p.Glibc != "" {
		kv = append(kv, [2]string{"glibc build", clean(p.Glibc)})
	}
	if len(p.LibraryPath) > 0 {
		kv = append(kv, [2]string{"library path", code(strings.Join(p.LibraryPath, ":"))})
	}
	if p.HostReplay != nil {
		kv = append(kv, [2]string{"host replay", strings.Replace(replayWords(p.HostReplay), "FILE", "HOST", 1)})
	}
	if p.Replay != nil && p.Host != nil {
		kv = append(kv, [2]string{"dlopen replay", dlopenWords(p.Replay)})
	} else if p.Replay != nil {
		kv = append(kv, [2]string{"replay", replayWords(p.Replay)})
	}
	if p.Wrapper != "" {
		kv = append(kv, [2]string{"wrapper", code(p.Wrapper) + " (written)"})
	}
	if p.WrapperRefused != "" {
		kv = append(kv, [2]string{"wrapper", "refused: " + clean(p.WrapperRefused)})
	}
	kv = append(kv, [2]string{"searched", fmt.Sprintf("%d entries under %d root(s), %d partial choices", p.Searched.Entries, len(p.LibRoots), p.Searched.Steps)})
	d.kv(kv)

	if len(p.Libraries) > 0 {
		d.heading("Libraries, in the order ld.so loads them")
		t := table{header: []string{"NAME", "CHOSEN", "NEEDED BY", "VERSIONS REQUIRED"}}
		for _, l := range p.Libraries {
			chosen := code(l.Path)
			if l.Via != "" {
				chosen += " (" + clean(l.Via) + ")"
			}
			t.rows = append(t.rows, tableRow{cells: []string{code(l.Name), chosen, code(baseName(l.NeededBy)), codeOr(strings.Join(l.Versions, " "), "-")}})
		}
		d.table(t)
	}
	if len(p.Refused) > 0 {
		d.heading("Candidates refused, with ld.so's reason")
		var items []string
		for _, r := range p.Refused {
			items = append(items, clean(r.String()))
		}
		d.list(items, false)
	}
	if len(p.Notes) > 0 {
		d.heading("Notes")
		var items []string
		for _, n := range p.Notes {
			items = append(items, clean(n))
		}
		d.list(items, false)
	}
	if p.OK && p.Command != "" {
		d.heading("Start it")
		items := []string{"once, as the wrapper does: " + code(p.Command)}
		if p.WrapperRefused != "" {
			items[0] = "not through the loader (no wrapper): " + clean(p.WrapperRefused)
		}
		if p.NixLD != nil {
			if p.NixLD.Applies {
				items = append(items, "through nix-ld (programs.nix-ld.enable = true): "+code(p.NixLD.Command))
			} else {
				items = append(items, "not through nix-ld: "+clean(p.NixLD.Note))
			}
		}
		d.list(items, false)
	}
	if len(p.Fingerprint) > 0 {
		d.heading("Fingerprint")
		t := table{header: []string{"ROLE", "PATH", "SIZE", "SHA-256"}}
		for _, f := range p.Fingerprint {
			sum := "- (size and time only)"
			if f.SHA256 != "" {
				sum = code(f.SHA256)
			}
			t.rows = append(t.rows, tableRow{cells: []string{clean(f.Role), code(f.Path), size(uint64(f.Size)), sum}})
		}
		d.table(t)
	}
	var next []string
	switch {
	case p.OK && p.WrapperRefused != "":
		next = append(next, "Use nix-ld (programs.nix-ld.enable = true) with the NIX_LD and NIX_LD_LIBRARY_PATH above: the kernel then starts the file itself, and it finds its application.")
	case p.OK && p.Host != nil && p.Host.Program == "":
		next = append(next, "Name the program that loads it with --loaded-by EXE: its launch is then planned and proven with it, as a wrapper (--wrapper OUT) or nix-ld values (--nix-ld).")
	case p.OK && p.Wrapper != "":
		next = append(next, "Run "+code(p.Wrapper)+" instead of the program: it checks the files above by size and time at every start and stops when one changed or was garbage-collected.")
	case p.OK:
		next = append(next, "Write a launcher with --wrapper OUT, or use the nix-ld values (--nix-ld); save this plan with --format json and check it later with `elfdoctor fix --verify PLAN.json`.")
	case len(p.Problems) > 0 && p.Host != nil && p.Host.Program == "" && p.Problems[0].Code == "no-loader":
		next = append(next, "Name the program that loads it with --loaded-by EXE: its own loader is then the one the plan uses.")
	case len(p.Problems) > 0:
		next = append(next, fixNext[p.Problems[0].Code])
	}
	d.next(next)
}

// fixNext is what to do about a refused plan, by its first problem.
var fixNext = map[string]string{
	"no-loader":           "Add a glibc's lib directory with --lib-root (on NixOS /nix/store, or the glibc store path), or name a loader with --loader.",
	"no-consistent-set":   "Add a --lib-root that holds a library meeting the requirement above (a newer glibc or GCC runtime), or leave out the root whose library shadows it.",
	"search-bound":        "Name narrower roots (the store paths of the packages the program needs) so that the walk and the search finish.",
	"replay-fails":        "The replay's finding above is where ld.so would stop first: remove its cause (a stale RPATH, a damaged library) or choose other roots.",
	"replay-undetermined": "The replay's finding above is a read whose result cannot be known: the file is damaged there; use the pristine file or choose other roots.",
	"replay-differs":      "ld.so would load another file than the plan chose: leave out the directory it comes from, or put the chosen one's root first.",
	"wrong-host":          "Load the library from a program of its own class and machine, or get the library built for this program's.",
}

// dlopenWords is replayWords for the dlopen of an addon in its host's
// process.
func dlopenWords(r *fix.Replay) string {
	if w, ok := outcomeWords[r.Outcome]; ok && r.Outcome != "starts" {
		return "predicted: " + clean(w)
	}
	return "predicted to load (check's replay of dlopen in that process)"
}

func replayWords(r *fix.Replay) string {
	if w, ok := outcomeWords[r.Outcome]; ok && r.Outcome != "starts" {
		return "predicted: " + clean(w)
	}
	return "predicted to start (check's replay of " + code("LOADER --library-path DIRS FILE") + ")"
}

// FixVerify writes what `fix --verify` found.
func FixVerify(w io.Writer, plan string, v *fix.Verification, o Options) error {
	if v == nil {
		return errors.New("report: nil verification")
	}
	if o.Format == JSON {
		return writeJSON(w, "fix-verify", o.Version, v)
	}
	d, err := newDoc(o)
	if err != nil {
		return err
	}
	d.literals(plan)
	if len(v.Changes) == 0 {
		d.title("Plan holds: the " + fmt.Sprint(v.Checked) + " files of " + code(plan) + " are as planned")
		return d.flush(w)
	}
	d.title("Plan no longer holds: " + plural(len(v.Changes), "file", "files") + " of " + code(plan) + " changed")
	t := table{header: []string{"ROLE", "PATH", "CHANGE", "DETAIL"}}
	for _, c := range v.Changes {
		t.rows = append(t.rows, tableRow{cells: []string{clean(c.Role), code(c.Path), clean(c.What), clean(c.Detail)}, changed: true})
	}
	d.table(t)
	d.next([]string{"Make the plan again with `elfdoctor fix` (and the wrapper with it): a store path it relied on is gone or different."})
	return d.flush(w)
}

// maxPlanJSON bounds what ReadFixPlan reads: a plan lists tens of files.
const maxPlanJSON = 16 << 20

// ReadFixPlan reads what `elfdoctor --format json fix --print` wrote.
func ReadFixPlan(path string) (*fix.Result, error) {
	f, err := safeopen.Regular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPlanJSON+1))
	if err != nil {
		return nil, err
	}
	return parseFixPlan(path, b)
}

func parseFixPlan(path string, b []byte) (*fix.Result, error) {
	if len(b) > maxPlanJSON {
		return nil, fmt.Errorf("%s: larger than %d MiB, not a plan's JSON", path, maxPlanJSON>>20)
	}
	var env struct {
		SchemaVersion int             `json:"schema_version"`
		Command       string          `json:"command"`
		Result        json.RawMessage `json:"result"`
	}
	_ = json.Unmarshal(b, &env)
	if env.Command != "fix" || env.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%s: not the JSON of `elfdoctor --format json fix` (command %q, schema_version %d)", path, env.Command, env.SchemaVersion)
	}
	var r fix.Result
	if err := json.Unmarshal(env.Result, &r); err != nil {
		return nil, fmt.Errorf("%s: plan: %v", path, err)
	}
	if len(r.Fingerprint) == 0 {
		return nil, fmt.Errorf("%s: the plan has no fingerprint (it was refused, or made by another tool)", path)
	}
	for i, f := range r.Fingerprint {
		if f.Path == "" || f.Size < 0 {
			return nil, fmt.Errorf("%s: fingerprint entry %d has no path or a negative size", path, i)
		}
	}
	return &r, nil
}
