package bisect

import (
	"fmt"
	"slices"
	"strings"
)

// Kinds of verdict.
const (
	LocalDamage         = "local-damage"
	UpstreamRegression  = "upstream-regression"
	EnvironmentSpecific = "environment-specific"
	Inconclusive        = "inconclusive"
)

// Verdict is the answer, first as one sentence.
type Verdict struct {
	Kind     string `json:"kind"`
	Sentence string `json:"sentence"`
	// FirstBad is the first bad version, for an upstream regression or an
	// environment-specific failure that begins at a version.
	FirstBad string `json:"first_bad,omitempty"`
	// Images are where it fails.
	Images []string `json:"images,omitempty"`
	// Unverified, when not empty, says why the releases run were not
	// checked against a published checksum.
	Unverified string `json:"unverified,omitempty"`
}

func decide(r *Result) Verdict {
	if v, ok := decideLocal(r); ok {
		return v
	}
	var reg, good, allBad, errs []ImageResult
	for _, ir := range r.PerImage {
		switch ir.Status {
		case "regression":
			reg = append(reg, ir)
		case "all-good":
			good = append(good, ir)
		case "all-bad":
			allBad = append(allBad, ir)
		default:
			errs = append(errs, ir)
		}
	}
	if len(reg) == 0 {
		switch {
		case len(errs) > 0:
			return Verdict{Kind: Inconclusive, Sentence: fmt.Sprintf("Inconclusive: nothing could be run in %s (%s).", names(errs), errs[0].Error)}
		case len(allBad) == 0:
			s := "Inconclusive: no version fails in any image, so the failure does not reproduce in these environments"
			if r.Local != nil {
				s += ", and the local copy runs too"
			}
			return Verdict{Kind: Inconclusive, Sentence: s + "; try the images or arguments of the machine where it crashes."}
		case len(good) > 0 && environmental(allBad):
			return Verdict{Kind: EnvironmentSpecific, Images: imageNames(allBad),
				Sentence: fmt.Sprintf("Environment-specific: every version fails in %s (%s) and runs in %s.", names(allBad), why(*allBad[0].Failure), names(good))}
		default:
			return Verdict{Kind: Inconclusive, Images: imageNames(allBad),
				Sentence: fmt.Sprintf("Inconclusive: even the oldest version, %s, fails in %s (%s); widen the range with --from.", allBad[0].FirstBad, names(allBad), allBad[0].Failure.Summary())}
		}
	}
	var env, up []ImageResult
	for _, ir := range reg {
		if ir.Failure != nil && ir.Failure.Class.Environmental() {
			env = append(env, ir)
		} else {
			up = append(up, ir)
		}
	}
	if len(up) == 0 && len(r.PerImage) == 1 {
		// With one environment there is nothing to contrast it with: the
		// release changed what it needs, and whether other systems have it
		// is untested. Calling it environment-specific would contradict
		// the one row below, which says "regression".
		return Verdict{Kind: UpstreamRegression, FirstBad: env[0].FirstBad, Images: imageNames(env),
			Sentence: fmt.Sprintf("Upstream regression in the only environment tried: from version %s the release fails in %s (%s); with one environment this cannot be told apart from an environment-specific failure: add --image with another distribution, or --also-host, to tell.",
				env[0].FirstBad, env[0].Image, why(*env[0].Failure))}
	}
	if len(up) == 0 {
		s := fmt.Sprintf("Environment-specific: from version %s the release fails in %s (%s)", joinFirstBad(env), names(env), why(*env[0].Failure))
		if len(good) > 0 {
			s += fmt.Sprintf(" but runs in %s", names(good))
		}
		return Verdict{Kind: EnvironmentSpecific, FirstBad: env[0].FirstBad, Images: imageNames(env), Sentence: s + "."}
	}
	s := fmt.Sprintf("Upstream regression: first bad version %s (%s) in %s", joinFirstBad(up), up[0].Failure.Summary(), names(up))
	if len(good) > 0 {
		s += fmt.Sprintf("; no version fails in %s", names(good))
	}
	if len(env) > 0 {
		s += fmt.Sprintf("; in %s it fails earlier, from %s (%s)", names(env), joinFirstBad(env), why(*env[0].Failure))
	}
	return Verdict{Kind: UpstreamRegression, FirstBad: up[0].FirstBad, Images: imageNames(up), Sentence: s + "."}
}

// decideLocal finds local damage: where the pristine of the local copy's
// version runs, the local copy fails. When it fails in some of those
// environments and runs in others, the damage depends on the environment
// (a rewritten interpreter or library path that exists only in some), and
// the sentence says so.
func decideLocal(r *Result) (Verdict, bool) {
	if r.Local == nil || r.Local.Version == "" {
		return Verdict{}, false
	}
	var damaged, fine []string
	var failure Outcome
	for _, im := range r.Images {
		p, okp := r.Cell(im, r.Local.Version, false)
		l, okl := r.Cell(im, r.Local.Version, true)
		if !okp || !okl || p.Outcome.Bad || p.Outcome.Class == ClassNoRelease {
			continue
		}
		if !l.Outcome.Bad {
			fine = append(fine, im)
			continue
		}
		if len(damaged) == 0 {
			failure = l.Outcome
		}
		damaged = append(damaged, im)
	}
	if len(damaged) == 0 {
		return Verdict{}, false
	}
	s := fmt.Sprintf("Local damage: the pristine %s runs in %s, but your copy fails there (%s)", r.Local.Version, strings.Join(damaged, ", "), failure.Summary())
	if len(fine) > 0 {
		s = fmt.Sprintf("Local damage that depends on the environment: the pristine %s runs in %s; your copy fails in %s (%s) but runs in %s, so what the local change points to exists only in some of them",
			r.Local.Version, strings.Join(append(slices.Clone(damaged), fine...), ", "), strings.Join(damaged, ", "), failure.Summary(), strings.Join(fine, ", "))
	}
	if d := r.Local.Diff; d != nil && d.Different() {
		s += "; " + strings.TrimSuffix(d.Headline, ".")
	}
	return Verdict{Kind: LocalDamage, Images: damaged, Sentence: s + "."}, true
}

// why is the loader's or kernel's own complaint when there is one.
func why(o Outcome) string {
	if o.Class.Environmental() && o.Detail != "" {
		return o.Detail
	}
	return o.Summary()
}

func environmental(irs []ImageResult) bool {
	for _, ir := range irs {
		if ir.Failure == nil || !ir.Failure.Class.Environmental() {
			return false
		}
	}
	return true
}

func imageNames(irs []ImageResult) []string {
	var out []string
	for _, ir := range irs {
		out = append(out, ir.Image)
	}
	return out
}

func names(irs []ImageResult) string { return strings.Join(imageNames(irs), ", ") }

// joinFirstBad names the first bad versions: one, or "8 (in a), 9 (in b)".
func joinFirstBad(irs []ImageResult) string {
	var vs []string
	for _, ir := range irs {
		if !slices.Contains(vs, ir.FirstBad) {
			vs = append(vs, ir.FirstBad)
		}
	}
	if len(vs) == 1 {
		return vs[0]
	}
	var parts []string
	for _, ir := range irs {
		parts = append(parts, ir.FirstBad+" (in "+ir.Image+")")
	}
	return strings.Join(parts, ", ")
}
