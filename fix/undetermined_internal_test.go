package fix

import (
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect/loader"
)

// TestJudgeUndetermined: a rewrite after which check cannot tell whether
// the copy starts is refused (the copy is damaged), and the reason does
// not claim that it will not start.
func TestJudgeUndetermined(t *testing.T) {
	fd := loader.Finding{Severity: loader.SeverityFatal, Stage: loader.StageReloc, Code: "versym-past-versions",
		Outcome: loader.OutcomeUndetermined, Summary: "undetermined: ld.so reads past its version array",
		Possible: []loader.Outcome{loader.OutcomeStarts, loader.OutcomeCrash}}
	copyRes := &loader.CheckResult{Outcome: loader.OutcomeUndetermined, Headline: fd.Summary, Possible: fd.Possible, Findings: []loader.Finding{fd}}
	res := &PatchelfPreflight{Check: copyRes, Pristine: &loader.CheckResult{Outcome: loader.OutcomeStarts}}
	judge(res, "prog")
	if !res.Refused() || strings.Contains(res.Reason, "unable to start") || !strings.Contains(res.Reason, "may start or not") {
		t.Errorf("judge of an undetermined copy: verdict %s, reason %q; want refused, saying it may start or not", res.Verdict, res.Reason)
	}
}
