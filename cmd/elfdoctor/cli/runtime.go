package cli

import (
	"github.com/spf13/cobra"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/report"
)

func newRuntimeCmd(g *globalOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "runtime FILE",
		Short: "Identify the runtime embedded in a single-file executable",
		Long: `Runtime names the language runtime FILE carries and the build of it: Bun
(version, build commit, platform, baseline or not), Node.js single
executable applications, Deno, Go and PyInstaller, and the toolchain that
built it (.comment, GNU build attributes).

It then follows the runtime's own pointers to the application payload (the
.bun section, Bun's trailer at the end of the file, the SEA or Deno note)
the way the runtime does at start-up, and says whether the runtime will
find it. A payload that a rewrite moved or cut off is the classic reason a
patched single-file executable starts as the bare runtime, or crashes.

Each runtime is identified from several independent marks (for Bun: its
symbol version as ld.so reads it and as the section headers describe it,
its version banner, its .bun section or trailer), so a rewrite that damages
one mark is reported as damage instead of losing the runtime.

Exit status: 0 when nothing is wrong, 1 when a payload is not reachable,
a runtime's mark is damaged or the file is truncated, 2 when FILE cannot
be read as ELF.`,
		Example: "  elfdoctor runtime ./app\n  elfdoctor runtime --format json ./app",
		Args:    fileArgs("one ELF file: the single-file executable to identify", 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			f, err := openELF(path)
			if err != nil {
				return err
			}
			defer f.Close()
			fp := inspect.Identify(f)
			// A damaged or cut-off section table hides what the probes
			// look for; say so rather than report a clean "no runtime".
			for _, err := range f.Problems {
				fp.Problems = append(fp.Problems, inspect.ProblemOf(err))
			}
			out := cmd.OutOrStdout()
			o := g.options(out)
			// The SIGILL advice for a non-baseline build depends on the CPU
			// that runs it: this one.
			o.CPULevel = report.HostEnv().X86Level
			if err := report.Runtime(out, path, fp, o); err != nil {
				return &exitError{code: exitTrouble, msg: "write report: " + err.Error()}
			}
			if fp.HasProblem() {
				return &exitError{code: exitProblem}
			}
			return nil
		},
	}
}
