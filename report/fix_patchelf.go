package report

import (
	"errors"
	"io"

	"github.com/elfdoctor/elfdoctor/fix"
)

// FixPatchelf writes what `fix --patchelf` found: the command, what the
// rewrite does to the loader's start-up (check on the rewritten copy),
// and whether the pristine file fails the same way anyway.
func FixPatchelf(w io.Writer, p *fix.PatchelfPreflight, o Options) error {
	if p == nil {
		return errors.New("report: nil patchelf preflight")
	}
	if o.Format == JSON {
		return writeJSON(w, "fix-patchelf", o.Version, p)
	}
	d, err := newDoc(o)
	if err != nil {
		return err
	}
	switch p.Verdict {
	case fix.VerdictHarmless:
		d.title("patchelf preflight: the rewrite is harmless: the rewritten copy is predicted to start")
	case fix.VerdictPatchelfFails:
		d.title("patchelf preflight: patchelf refuses to rewrite the file")
	default:
		d.title("patchelf preflight: REFUSED: the rewrite would break the file")
	}
	d.para(clean(upperFirst(p.Reason)), p.Refused())
	kv := [][2]string{{"command", code(p.Command)}}
	if p.Version != "" {
		kv = append(kv, [2]string{"patchelf", clean(p.Version)})
	}
	if p.Check != nil {
		kv = append(kv, [2]string{"copy", clean(outcomeWords[p.Check.Outcome])})
	}
	if p.Pristine != nil {
		kv = append(kv, [2]string{"pristine file", clean(outcomeWords[p.Pristine.Outcome])})
	}
	if p.Refused() && !p.CausedByRewrite {
		kv = append(kv, [2]string{"caused by", "not the rewrite: the pristine file fails the same way here"})
	}
	if p.Copy != "" {
		kv = append(kv, [2]string{"copy kept", code(p.Copy)})
	}
	d.kv(kv)
	if len(p.Evidence) > 0 {
		d.heading("Evidence")
		var items []string
		for _, e := range p.Evidence {
			items = append(items, clean(e))
		}
		d.list(items, false)
	}
	if p.Check != nil {
		if f := p.Check.Fatal(); f != nil && f.Message != "" {
			d.para("The loader would say: "+code(f.Message), false)
		}
	}
	next := "Run the command above: the rewrite was tried on a copy and the copy is predicted to start."
	if p.Refused() {
		next = "Do not run the command: start the pristine file unmodified instead (`elfdoctor fix FILE --lib-root DIR --wrapper OUT`, or nix-ld with `--nix-ld`)."
	}
	d.next([]string{next})
	return d.flush(w)
}
