package cli

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/elfdoctor/elfdoctor/fix"
	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/report"
)

func newFixCmd(g *globalOpts) *cobra.Command {
	var (
		roots      []string
		loaderPath string
		wrapper    string
		verify     string
		nixLD      bool
		print      bool
	)
	cmd := &cobra.Command{
		Use:   "fix FILE [--lib-root DIR]... [--loader PATH] (--nix-ld | --wrapper OUT | --print)",
		Short: "Plan how to start FILE unmodified: a loader and libraries that agree",
		Long: `Fix finds how to start FILE without rewriting it: for every library FILE
needs, and every library those need, a file of that name under the
--lib-root directories (a Nix store, /usr/lib, a vendor's lib/), chosen so
that every symbol version required (GLIBC_2.38, GLIBCXX_3.4.30, ...) is
defined by the library that provides it, the loader and libc.so.6 come
from one glibc build, and class and machine match. The plan is replayed
as 'LOADER --library-path DIRS FILE' runs, with check's engine, and
refused unless the replay predicts a start. Nothing is run, and FILE is
never written to.

--print shows the plan (--format json saves it), --nix-ld gives it as
NIX_LD and NIX_LD_LIBRARY_PATH, --wrapper OUT writes a POSIX sh launcher
that checks the plan's files by size and time at every start. With
--verify PLAN.json, fix re-measures a saved plan's files (SHA-256) and
says which changed or were garbage-collected.

Exit status: 0 when a plan was printed or written (or a verified plan
holds), 1 when there is no consistent plan, the replay predicts a
failure, or a verified plan no longer holds, 2 on usage or I/O errors.`,
		Example: "  elfdoctor fix ./app --lib-root /nix/store --print\n" +
			"  elfdoctor fix ./app --lib-root /nix/store --wrapper ~/.local/bin/app\n" +
			"  elfdoctor --format json fix ./app --lib-root /nix/store --print > plan.json\n" +
			"  elfdoctor fix --verify plan.json",
		Args: func(cmd *cobra.Command, args []string) error {
			if verify != "" {
				return fileArgs("no FILE with --verify (the plan names it)", 0)(cmd, args)
			}
			return fileArgs("one ELF file: the program to plan for", 1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			if verify != "" {
				if nixLD || print || wrapper != "" || len(roots) > 0 || loaderPath != "" {
					return usageError(cmd, errors.New("--verify takes only the plan's JSON"))
				}
				if err := flagPath("verify", verify, false); err != nil {
					return err
				}
				p, err := report.ReadFixPlan(verify)
				if err != nil {
					return &exitError{code: exitTrouble, msg: err.Error()}
				}
				v, err := fix.Verify(cmd.Context(), p.Fingerprint)
				if err != nil {
					return &exitError{code: exitTrouble, msg: err.Error()}
				}
				if err := report.FixVerify(out, verify, v, g.options(out)); err != nil {
					return &exitError{code: exitTrouble, msg: "write report: " + err.Error()}
				}
				if len(v.Changes) > 0 {
					return &exitError{code: exitProblem}
				}
				return nil
			}
			n := 0
			for _, set := range []bool{nixLD, print, wrapper != ""} {
				if set {
					n++
				}
			}
			if n != 1 {
				return usageError(cmd, errors.New("say what to do with the plan: one of --nix-ld, --wrapper OUT or --print"))
			}
			path := args[0]
			if err := statInput(path, "an ELF file"); err != nil {
				return err
			}
			if len(roots) == 0 && loaderPath == "" {
				return usageError(cmd, errors.New("name where the libraries are with --lib-root DIR (a Nix store, /usr/lib, a vendor's lib/)"))
			}
			for _, r := range roots {
				if err := flagPath("lib-root", r, true); err != nil {
					return err
				}
			}
			if loaderPath != "" {
				if err := flagPath("loader", loaderPath, false); err != nil {
					return err
				}
			}
			if wrapper != "" {
				if err := flagPath("wrapper", filepath.Dir(wrapper), true); err != nil {
					return err
				}
			}
			p, err := fix.Plan(cmd.Context(), fix.PlanOptions{File: path, LibRoots: roots, Loader: loaderPath})
			if err != nil {
				switch {
				case errors.Is(err, inspect.ErrNotELF):
					return &exitError{code: exitTrouble, msg: path + ": not an ELF file"}
				case errors.Is(err, fix.ErrNotDynamic):
					return &exitError{code: exitTrouble, msg: path + ": no PT_INTERP: a static program or a library, which no loader command starts"}
				}
				return &exitError{code: exitTrouble, msg: err.Error()}
			}
			if wrapper != "" && p.OK {
				abs, err := filepath.Abs(wrapper)
				if err != nil {
					return &exitError{code: exitTrouble, msg: "--wrapper: " + err.Error()}
				}
				remake := []string{"elfdoctor", "fix", "--wrapper", abs, p.Fingerprint[0].Path}
				for _, r := range roots {
					a, _ := filepath.Abs(r)
					remake = append(remake, "--lib-root", a)
				}
				if loaderPath != "" {
					a, _ := filepath.Abs(loaderPath)
					remake = append(remake, "--loader", a)
				}
				if p.WrapperRefused == "" {
					if err := fix.WriteWrapper(p, wrapper, remake); err != nil {
						return &exitError{code: exitTrouble, msg: fmt.Sprintf("--wrapper %s: %v", wrapper, err)}
					}
					p.Wrapper = wrapper
				}
			}
			if err := report.Fix(out, p, report.FixView{NixLD: nixLD}, g.options(out)); err != nil {
				return &exitError{code: exitTrouble, msg: "write report: " + err.Error()}
			}
			if wrapper != "" && p.OK && p.WrapperRefused != "" {
				return &exitError{code: exitProblem, msg: "no wrapper written: " + p.WrapperRefused + "; use --nix-ld (programs.nix-ld), which starts the file itself"}
			}
			if !p.OK || (nixLD && !p.NixLD.Applies) {
				return &exitError{code: exitProblem}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&roots, "lib-root", nil, "look for libraries and loaders under `DIR` (repeatable; earlier roots are preferred)")
	f.StringVar(&loaderPath, "loader", "", "use the loader at `PATH` instead of choosing one named like FILE's PT_INTERP under the roots")
	f.BoolVar(&nixLD, "nix-ld", false, "give the plan as NIX_LD and NIX_LD_LIBRARY_PATH, and a command that sets them")
	f.StringVar(&wrapper, "wrapper", "", "write a POSIX sh launcher for the plan to `OUT` (atomically, mode 0755)")
	f.BoolVar(&print, "print", false, "print the plan (--format json saves it for --verify)")
	f.StringVar(&verify, "verify", "", "re-measure the files of a saved plan (`PLAN.json`) and say which changed")
	return cmd
}
