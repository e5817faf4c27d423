package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/report"
)

func newDiffCmd(g *globalOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "diff A B",
		Short: "Compare two ELF files in the loader's view",
		Long: `Diff compares A (usually the pristine release) with B (usually the copy that
crashes) in the loader's view: interpreter, segments and their zero-fill,
dynamic-table pointers, needed libraries and versions. It gives a verdict,
such as "looks locally modified" when B was rewritten after linking, and
the changes most likely to explain a crash first.

Exit status, as for diff(1): 0 when the files are identical, 1 when they
differ, 2 on error.`,
		Example: "  elfdoctor diff ./release/app ./app",
		Args:    fileArgs("two files: A, the pristine build, and B, the copy to compare with it", 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			pa, pb := args[0], args[1]
			a, err := openELF(pa)
			if err != nil {
				return err
			}
			defer a.Close()
			b, err := openELF(pb)
			if err != nil {
				return err
			}
			defer b.Close()
			if err := cmd.Context().Err(); err != nil {
				return err
			}
			d, err := inspect.Compare(a, b, pa, pb)
			if err != nil {
				return &exitError{code: exitTrouble, msg: fmt.Sprintf("compare %s and %s: %v", pa, pb, err)}
			}
			out := cmd.OutOrStdout()
			if err := report.Diff(out, d, g.options(out)); err != nil {
				return &exitError{code: exitTrouble, msg: "write report: " + err.Error()}
			}
			if d.Different() {
				return &exitError{code: exitProblem}
			}
			return nil
		},
	}
}
