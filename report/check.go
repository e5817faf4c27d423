package report

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
)

// Check writes the prediction for one file.
func Check(w io.Writer, r *loader.CheckResult, o Options) error {
	if r == nil {
		return errors.New("report: nil check result")
	}
	if o.Format == JSON {
		c := *r
		if c.Findings == nil {
			c.Findings = []loader.Finding{}
		}
		return writeJSON(w, "check", o.Version, &c)
	}
	d, err := newDoc(o)
	if err != nil {
		return err
	}
	checkDoc(d, r)
	return d.flush(w)
}

// outcomeWords says an Outcome the way a person would.
var outcomeWords = map[loader.Outcome]string{
	loader.OutcomeStarts:       "starts",
	loader.OutcomeExecFails:    "exec fails: the kernel refuses to run it",
	loader.OutcomeLoaderError:  "ld.so stops with an error (exit status 127)",
	loader.OutcomeCrash:        "crashes",
	loader.OutcomeExitCrash:    "runs, then crashes at exit",
	loader.OutcomeFirstCall:    "starts, then stops at the first call of a lazily bound function",
	loader.OutcomeDlopenFails:  "dlopen fails: the library cannot be loaded into a process",
	loader.OutcomeBareRuntime:  "starts as the bare embedded runtime, without the application",
	loader.OutcomeRuntimeFails: "the embedded runtime stops with an error",
	loader.OutcomeUndetermined: "undetermined: what happens next depends on memory or registers the files do not decide",
	loader.OutcomeHangs:        "hangs before main: ld.so waits and does not go on by itself",
	loader.OutcomeExitsEarly:   "exits with status 0 without main's output",
}

// dlopenOutcomeWords are outcomeWords for a library checked as dlopen loads it.
var dlopenOutcomeWords = map[loader.Outcome]string{
	loader.OutcomeStarts:    "dlopen loads it",
	loader.OutcomeFirstCall: "dlopen loads it, then the first call of one of its lazily bound functions stops the process",
}

// possibleWords names the outcomes an undetermined prediction leaves open.
var possibleWords = map[loader.Outcome]string{
	loader.OutcomeStarts:      "starts",
	loader.OutcomeLoaderError: "ld.so stops with an error",
	loader.OutcomeCrash:       "crashes before main",
	loader.OutcomeFirstCall:   "stops at the first call of a lazily bound function",
	loader.OutcomeExitCrash:   "crashes at exit",
	loader.OutcomeDlopenFails: "dlopen fails",
	loader.OutcomeExitsEarly:  "exits early, without main's output",
}

// checkDoc describes the check report: the prediction in a sentence, the
// fatal finding with its evidence, every finding in loader order, the
// objects ld.so would load, the trace if asked, and what to do next.
func checkDoc(d doc, r *loader.CheckResult) {
	d.literals(r.Path)
	fatal := r.Fatal()
	switch {
	case fatal == nil && r.Dlopen:
		d.title("Prediction: dlopen of " + code(r.Path) + " succeeds")
	case fatal == nil:
		d.title("Prediction: " + code(r.Path) + " starts")
	case fatal.Stage == loader.StageRuntime:
		d.title("Prediction: " + code(r.Path) + " starts, but will not run its application")
	case fatal.Outcome == loader.OutcomeDlopenFails:
		d.title("Prediction: dlopen of " + code(r.Path) + " fails")
	case fatal.Outcome == loader.OutcomeExitCrash:
		d.title("Prediction: " + code(r.Path) + " runs, then crashes at exit")
	case fatal.Outcome == loader.OutcomeUndetermined:
		d.title("Prediction: undetermined for " + code(r.Path))
	case fatal.Outcome == loader.OutcomeHangs:
		d.title("Prediction: " + code(r.Path) + " hangs before main")
	case fatal.Outcome == loader.OutcomeFirstCall && r.Dlopen:
		d.title("Prediction: dlopen of " + code(r.Path) + " succeeds, then the process stops at the first call of one of its lazily bound functions")
	case fatal.Outcome == loader.OutcomeFirstCall:
		d.title("Prediction: " + code(r.Path) + " starts, then stops at the first call of a lazily bound function")
	default:
		d.title("Prediction: " + code(r.Path) + " will not start")
	}
	d.para(clean(r.Headline), true)
	words := outcomeWords[r.Outcome]
	if r.Dlopen && (r.Outcome == loader.OutcomeStarts || r.Outcome == loader.OutcomeFirstCall) {
		words = dlopenOutcomeWords[r.Outcome]
	}
	if fatal != nil && r.Outcome == loader.OutcomeLoaderError && fatal.ExitStatus != 0 {
		words = fmt.Sprintf("ld.so stops with an error (exit status %d)", fatal.ExitStatus)
	}
	kv := [][2]string{{"outcome", clean(words)}}
	if len(r.Possible) > 0 {
		var ps []string
		for _, o := range r.Possible {
			w, ok := possibleWords[o]
			if !ok {
				w = string(o)
			}
			ps = append(ps, w)
		}
		kv = append(kv, [2]string{"possible", clean(strings.Join(ps, "; "))})
	}
	if fatal != nil {
		if fatal.Signal != "" {
			kv = append(kv, [2]string{"signal", clean(fatal.Signal)})
		}
		if fatal.Message != "" {
			says, msg := "loader says", code(fatal.Message)
			if fatal.Stage == loader.StageRuntime {
				says, msg = "you will see", clean(fatal.Message)
			}
			kv = append(kv, [2]string{says, msg})
		}
		kv = append(kv, [2]string{"stage", clean(string(fatal.Stage))})
	}
	if r.Root != "/" && r.Root != "" {
		kv = append(kv, [2]string{"root", code(r.Root)})
	}
	d.kv(kv)

	if fatal != nil && len(fatal.Evidence) > 0 {
		d.heading("Evidence")
		var items []string
		for _, e := range fatal.Evidence {
			items = append(items, clean(e))
		}
		d.list(items, false)
	}

	if len(r.Findings) > 0 {
		d.heading("Findings, in the order the loader meets them")
		t := table{header: []string{"SEVERITY", "STAGE", "OBJECT", "FINDING"}}
		for _, f := range r.Findings {
			t.rows = append(t.rows, tableRow{cells: []string{clean(string(f.Severity)), clean(string(f.Stage)),
				code(baseName(f.Object)), clean(f.Summary)}, changed: f.Severity == loader.SeverityFatal})
		}
		d.table(t)
		var msgs []string
		for _, f := range r.Findings {
			if f.Severity != loader.SeverityFatal && f.Message != "" {
				msgs = append(msgs, code(f.Message))
			}
		}
		if len(msgs) > 0 {
			d.para("The loader will also print:", false)
			d.list(msgs, false)
		}
	}

	if len(r.Objects) > 0 {
		d.heading("Objects ld.so would load")
		t := table{header: []string{"NAME", "FOUND AT", "VIA", "NEEDED BY"}}
		for _, o := range r.Objects {
			at := code(o.Path)
			if !o.Found {
				at = "not found"
			}
			via := o.Via
			if via == "" && o.Needed == "" {
				via = "PT_INTERP"
			}
			t.rows = append(t.rows, tableRow{cells: []string{code(o.Name), at, clean(via), codeOr(baseName(o.Needed), "-")}, changed: !o.Found})
		}
		d.table(t)
	}

	if len(r.Trace) > 0 {
		d.heading("Trace")
		var items []string
		for _, l := range r.Trace {
			items = append(items, code(strings.TrimSpace(l)))
		}
		d.list(items, false)
	}

	var next []string
	if fatal != nil && fatal.Next != "" {
		next = append(next, ticks(upperFirst(fatal.Next))+".")
	}
	if fatal != nil && fatal.Message != "" && fatal.Outcome != loader.OutcomeExecFails && fatal.Outcome != loader.OutcomeUndetermined {
		next = append(next, fmt.Sprintf("Confirm by running it: the loader's own words should match %s.", code(fatal.Message)))
	}
	for _, f := range r.Findings {
		if f.Code == "rewritten" && f.Next != "" {
			next = append(next, ticks(upperFirst(f.Next))+".")
		}
	}
	d.next(next)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 && i < len(p)-1 {
		return p[i+1:]
	}
	return p
}
