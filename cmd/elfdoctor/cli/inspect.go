package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/report"
)

func newInspectCmd(g *globalOpts) *cobra.Command {
	var sections bool
	cmd := &cobra.Command{
		Use:   "inspect FILE",
		Short: "Show an ELF file as the kernel and ld.so see it",
		Long: `Inspect shows FILE the way the kernel maps it and ld.so reads it: program
headers with their zero-fill, overlapping mappings, where each dynamic-table
pointer lands, symbol versions and notes. Problems and signs that a tool
such as patchelf rewrote the file come first.

Exit status: 0 when no malformed structure was found, 1 when some were (the
report is still printed), 2 when FILE cannot be read as ELF.`,
		Args: fileArgs("one ELF file to inspect", 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			f, err := openELF(path)
			if err != nil {
				return err
			}
			defer f.Close()
			s := inspect.Summarize(f, path)
			out := cmd.OutOrStdout()
			o := g.options(out)
			o.Sections = sections
			if err := report.Inspect(out, s, o); err != nil {
				return &exitError{code: exitTrouble, msg: "write report: " + err.Error()}
			}
			if n := len(s.Problems); n > 0 {
				return &exitError{code: exitProblem, msg: fmt.Sprintf("%s: %s found", path, plural(n, "problem", "problems"))}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&sections, "sections", false, "also list every section header")
	return cmd
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
