package report

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/elfdoctor/elfdoctor/bisect"
)

// Bisect writes the result of a bisection: the verdict in a sentence, the
// table of versions × images, what each image found, and the local copy.
func Bisect(w io.Writer, r *bisect.Result, o Options) error {
	if r == nil {
		return errors.New("report: nil bisect result")
	}
	if o.Format == JSON {
		c := *r
		if c.Cells == nil {
			c.Cells = []bisect.Cell{}
		}
		if c.PerImage == nil {
			c.PerImage = []bisect.ImageResult{}
		}
		if c.Local != nil && c.Local.Diff != nil {
			l := *c.Local
			l.Diff = normalizeDiff(l.Diff)
			c.Local = &l
		}
		return writeJSON(w, "bisect", o.Version, &c)
	}
	d, err := newDoc(o)
	if err != nil {
		return err
	}
	bisectDoc(d, r)
	return d.flush(w)
}

var verdictTitles = map[string]string{
	bisect.LocalDamage:         "local damage",
	bisect.UpstreamRegression:  "upstream regression",
	bisect.EnvironmentSpecific: "environment-specific",
	bisect.Inconclusive:        "inconclusive",
}

// cellWords is a run in a table cell: short, the details go below.
func cellWords(o bisect.Outcome) string {
	switch o.Class {
	case bisect.ClassOK:
		return "ok"
	case bisect.ClassExit:
		return fmt.Sprintf("exit %d", o.ExitCode)
	case bisect.ClassSignal:
		return o.Signal
	case bisect.ClassLoaderError:
		return "loader error"
	case bisect.ClassExecFailed:
		return "exec failed"
	case bisect.ClassNoRelease:
		return "no release"
	}
	return string(o.Class)
}

func bisectDoc(d doc, r *bisect.Result) {
	if r.Local != nil {
		d.literals(r.Local.Path)
	}
	d.title("Bisect: " + clean(verdictTitles[r.Verdict.Kind]))
	d.para(clean(r.Verdict.Sentence), true)
	kv := [][2]string{{"source", code(r.Source)}}
	if n := len(r.Versions); n > 0 {
		kv = append(kv, [2]string{"versions", fmt.Sprintf("%s from %s to %s", plural(n, "version", "versions"), code(r.Versions[0]), code(r.Versions[n-1]))})
	}
	var ims []string
	for _, im := range r.Images {
		ims = append(ims, code(im))
	}
	kv = append(kv, [2]string{"images", strings.Join(ims, ", ")})
	mode := "first and last version, then binary search, per image"
	if r.Mode == "all" {
		mode = "every version (--all)"
	}
	kv = append(kv, [2]string{"search", clean(mode)})
	runs := plural(r.RunsExecuted, "run", "runs")
	if r.RunsReused > 0 {
		runs += fmt.Sprintf(", %d from the results file", r.RunsReused)
	}
	kv = append(kv, [2]string{"runs", runs})
	d.kv(kv)

	if len(r.Cells) > 0 {
		d.heading("Runs (versions × images)")
		t := table{header: append([]string{"VERSION"}, cleanAll(r.Images)...), marks: true}
		type rowKey struct {
			v     string
			local bool
		}
		var order []rowKey
		cells := map[rowKey]map[string]bisect.Cell{}
		for _, c := range r.Cells {
			k := rowKey{c.Version, c.Local}
			if cells[k] == nil {
				cells[k] = map[string]bisect.Cell{}
				order = append(order, k)
			}
			cells[k][c.Image] = c
		}
		for _, k := range order {
			name := code(k.v)
			if k.local {
				name = "local " + code(k.v)
			}
			row := tableRow{cells: []string{name}}
			for _, im := range r.Images {
				c, ok := cells[k][im]
				switch {
				case !ok:
					row.cells = append(row.cells, "-")
				default:
					row.cells = append(row.cells, clean(cellWords(c.Outcome)))
					row.changed = row.changed || c.Outcome.Bad
				}
			}
			t.rows = append(t.rows, row)
		}
		d.table(t)
	}

	if len(r.PerImage) > 0 {
		d.heading("Per image")
		t := table{header: []string{"IMAGE", "RESULT", "LAST GOOD", "FIRST BAD", "RUNS"}}
		for _, ir := range r.PerImage {
			t.rows = append(t.rows, tableRow{cells: []string{code(ir.Image), clean(ir.Status), codeOr(ir.LastGood, "-"), codeOr(ir.FirstBad, "-"), fmt.Sprint(ir.Runs)}, changed: ir.FirstBad != ""})
		}
		d.table(t)
		var fails []string
		for _, ir := range r.PerImage {
			switch {
			case ir.Failure != nil:
				fails = append(fails, failureLine(ir.Image, ir.FirstBad, *ir.Failure))
			case ir.Error != "":
				fails = append(fails, code(ir.Image)+": "+clean(ir.Error))
			}
		}
		if len(fails) > 0 {
			d.para("How the first bad version fails:", false)
			d.list(fails, true)
		}
	}

	if l := r.Local; l != nil {
		d.heading("Local copy")
		kv := [][2]string{{"file", code(l.Path)}, {"version", codeOr(l.Version, "unknown")}}
		if l.Diff != nil {
			kv = append(kv, [2]string{"diff", clean(l.Diff.Verdict)})
		}
		if l.Check != nil {
			kv = append(kv, [2]string{"check", clean(outcomeWords[l.Check.Outcome])})
		}
		d.kv(kv)
		var fails []string
		for _, c := range r.Cells {
			if c.Local && c.Outcome.Bad {
				fails = append(fails, failureLine(c.Image, "local "+c.Version, c.Outcome))
			}
		}
		d.list(fails, true)
		if l.Diff != nil && l.Diff.Different() {
			d.para("Against the pristine release: "+clean(l.Diff.Headline), false)
			var items []string
			for i, c := range l.Diff.Changes {
				if i == 5 {
					items = append(items, fmt.Sprintf("and %d more (elfdoctor diff shows them all)", len(l.Diff.Changes)-5))
					break
				}
				items = append(items, clean(c.Message))
			}
			d.list(items, false)
		}
		if l.Check != nil && l.Check.Fatal() != nil {
			d.para("Check predicts: "+clean(l.Check.Headline), false)
		}
		d.list(cleanAll(l.Problems), false)
	}

	d.next(bisectNext(r))
}

func failureLine(image, version string, o bisect.Outcome) string {
	s := code(image) + " " + code(version) + ": " + clean(o.Summary())
	if o.Class != bisect.ClassLoaderError && o.Class != bisect.ClassExecFailed {
		if line, _, _ := strings.Cut(strings.TrimSpace(o.Stderr), "\n"); line != "" {
			s += " — stderr: " + code(line)
		}
	}
	return s
}

func bisectNext(r *bisect.Result) []string {
	v := r.Verdict
	switch v.Kind {
	case bisect.LocalDamage:
		return []string{"Reinstall the release, or undo the local rewrite; report upstream only if the pristine copy fails too."}
	case bisect.UpstreamRegression:
		return []string{fmt.Sprintf("Report it upstream: %s is the first release that fails here, without local changes.", code(v.FirstBad))}
	case bisect.EnvironmentSpecific:
		return []string{"Run it where the environment is newer, or ask upstream to keep supporting the older one; elfdoctor check names what is missing."}
	}
	return []string{"Widen the version range, add the image of the machine where it crashes, or pass the arguments that make it crash."}
}

func cleanAll(ss []string) []string {
	var out []string
	for _, s := range ss {
		out = append(out, clean(s))
	}
	return out
}
