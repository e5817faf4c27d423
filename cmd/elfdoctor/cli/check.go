package cli

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/report"
)

func newCheckCmd(g *globalOpts) *cobra.Command {
	var (
		root     string
		loadedBy string
		libPath  string
		trace    bool
		exec     bool
	)
	cmd := &cobra.Command{
		Use:   "check FILE",
		Short: "Predict whether the kernel and ld.so will start FILE",
		Long: `Check replays, without running anything, what the kernel and glibc's ld.so do
when FILE is executed, in their order: the kernel's checks and the mapping
of PT_LOAD segments, ld.so's start-up (the dynamic table, DT_DEBUG), the
search for every needed library, the symbol-version check and relocation.
It reports the first thing that would fail in the loader's own words, with
the evidence and what to do next.

The environment is this machine's (LD_LIBRARY_PATH, NIX_LD and
NIX_LD_LIBRARY_PATH for nix-ld), under --root when given.

Exit status: 0 when FILE is predicted to start, 1 when the loader is
predicted to fail, 2 when FILE cannot be read.`,
		Example: "  elfdoctor check ./app\n  elfdoctor check --trace --format markdown ./app",
		Args:    fileArgs("one ELF file: the program to check", 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			if err := statInput(path, "an ELF file"); err != nil {
				return err
			}
			opts := loader.CheckOptions{Root: root, Getenv: g.getenv, Trace: trace, Executed: exec}
			if cmd.Flags().Changed("library-path") {
				opts.LibraryPath = splitList(libPath)
			} else {
				opts.LibraryPath = splitList(g.getenv("LD_LIBRARY_PATH"))
			}
			if root != "" {
				abs, err := rootDir(root)
				if err != nil {
					return err
				}
				opts.Root = abs
			}
			if loadedBy != "" {
				if err := flagPath("loaded-by", loadedBy, false); err != nil {
					return err
				}
				opts.LoadedBy = loadedBy
			}
			r, err := loader.Check(path, opts)
			if err != nil {
				if errors.Is(err, inspect.ErrNotELF) {
					return &exitError{code: exitTrouble, msg: path + ": not an ELF file"}
				}
				return &exitError{code: exitTrouble, msg: err.Error()}
			}
			out := cmd.OutOrStdout()
			if err := report.Check(out, r, g.options(out)); err != nil {
				return &exitError{code: exitTrouble, msg: "write report: " + err.Error()}
			}
			if r.Fatal() != nil {
				return &exitError{code: exitProblem}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&root, "root", "", "treat `DIR` as / when looking for the interpreter and libraries")
	f.StringVar(&libPath, "library-path", "", "LD_LIBRARY_PATH to assume (`DIRS`, colon-separated; default: the environment's)")
	f.BoolVar(&trace, "trace", false, "show the walk the way LD_DEBUG=libs,versions,reloc would")
	f.BoolVar(&exec, "exec", false, "check FILE as executed even when its headers look like a shared library's (no PT_INTERP, no DF_1_PIE)")
	f.StringVar(&loadedBy, "loaded-by", "", "check FILE as dlopen loads it into the process of program `EXE`, whatever its headers say (default, for a file whose headers look like a shared library's: a process running the system's ld.so and libc)")
	return cmd
}

// splitList splits a colon-separated path list; empty elements mean the
// current directory to ld.so, so they are kept.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ":")
}
