package cli

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/elfdoctor/elfdoctor/fix"
	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/report"
)

func newFixCmd(g *globalOpts) *cobra.Command {
	var (
		roots      []string
		loaderPath string
		loadedBy   string
		wrapper    string
		verify     string
		nixLD      bool
		print      bool
		patchelf   bool
		setInterp  string
		setRPath   string
		forceRPath bool
	)
	cmd := &cobra.Command{
		Use:   "fix FILE [--lib-root DIR]... [--loader PATH] [--loaded-by EXE] (--nix-ld | --wrapper OUT | --print | --patchelf --set-interpreter PATH [--set-rpath DIRS])",
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

A shared library without PT_INTERP (a Node-API addon, a plugin) is not
started but dlopen'ed: its plan is the launch of the program whose
process loads it, named with --loaded-by EXE. That program's loader and
libc are the ones the library gets; the plan starts EXE with the library
path the library's closure needs added, replays EXE's start and then
the dlopen in its process, and the wrapper runs EXE. Without
--loaded-by, the process is assumed to run this system's ld.so and libc,
as check assumes, and --print says what to add to its library path.

--print shows the plan (--format json saves it), --nix-ld gives it as
NIX_LD and NIX_LD_LIBRARY_PATH, --wrapper OUT writes a POSIX sh launcher
that checks the plan's files by size and time at every start. With
--verify PLAN.json, fix re-measures a saved plan's files (SHA-256) and
says which changed or were garbage-collected.

--patchelf is the exception that rewrites: it prints the patchelf command
it would run, applies it to a copy in a temporary directory (never to
FILE), checks the copy as check does, and refuses, with the finding, a
rewrite that would stop the loader.

Exit status: 0 when a plan was printed or written (or a verified plan
holds, or a patchelf rewrite is harmless), 1 when there is no consistent
plan, the replay predicts a failure, a verified plan no longer holds, or
the rewrite would break FILE, 2 on usage or I/O errors.`,
		Example: "  elfdoctor fix ./app --lib-root /nix/store --print\n" +
			"  elfdoctor fix ./app --lib-root /nix/store --wrapper ~/.local/bin/app\n" +
			"  elfdoctor --format json fix ./app --lib-root /nix/store --print > plan.json\n" +
			"  elfdoctor fix ./watcher.node --loaded-by ./bun --lib-root /nix/store --wrapper ~/.local/bin/bun\n" +
			"  elfdoctor fix --verify plan.json\n" +
			"  elfdoctor fix ./app --patchelf --set-interpreter /nix/store/...-glibc-2.40/lib/ld-linux-x86-64.so.2",
		Args: func(cmd *cobra.Command, args []string) error {
			// --patchelf, too, takes FILE.
			if verify != "" {
				return fileArgs("no FILE with --verify (the plan names it)", 0)(cmd, args)
			}
			return fileArgs("one ELF file: the program to plan for", 1)(cmd, args)
		},
		RunE: withSignals(func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			if verify != "" {
				if nixLD || print || wrapper != "" || len(roots) > 0 || loaderPath != "" || loadedBy != "" {
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
			if patchelf {
				if nixLD || print || wrapper != "" || len(roots) > 0 || loaderPath != "" || loadedBy != "" {
					return usageError(cmd, errors.New("--patchelf takes only --set-interpreter, --set-rpath and --force-rpath"))
				}
				return runPatchelfPreflight(cmd, g, args[0], fix.Rewrite{Interpreter: setInterp, RPath: setRPath,
					SetRPath: cmd.Flags().Changed("set-rpath"), ForceRPath: forceRPath})
			}
			if setInterp != "" || setRPath != "" || forceRPath {
				return usageError(cmd, errors.New("--set-interpreter, --set-rpath and --force-rpath go with --patchelf"))
			}
			n := 0
			for _, set := range []bool{nixLD, print, wrapper != ""} {
				if set {
					n++
				}
			}
			if n != 1 {
				return usageError(cmd, errors.New("say what to do with the plan: one of --nix-ld, --wrapper OUT or --print (or --patchelf to try a rewrite)"))
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
			if loadedBy != "" {
				if err := flagPath("loaded-by", loadedBy, false); err != nil {
					return err
				}
			}
			if wrapper != "" {
				if err := flagPath("wrapper", filepath.Dir(wrapper), true); err != nil {
					return err
				}
			}
			p, err := fix.Plan(cmd.Context(), fix.PlanOptions{File: path, LibRoots: roots, Loader: loaderPath, LoadedBy: loadedBy})
			if err != nil {
				switch {
				case errors.Is(err, inspect.ErrNotELF):
					return &exitError{code: exitTrouble, msg: path + ": not an ELF file"}
				case errors.Is(err, fix.ErrNotDynamic):
					return &exitError{code: exitTrouble, msg: path + ": no PT_INTERP, and not a library dlopen loads: a static program, which no loader command starts"}
				case errors.Is(err, fix.ErrLoadedByProgram), errors.Is(err, fix.ErrLoaderNeedsHost), errors.Is(err, fix.ErrHostNotDynamic):
					return usageError(cmd, err)
				}
				return &exitError{code: exitTrouble, msg: err.Error()}
			}
			if p.Host != nil && p.Host.Program == "" && (wrapper != "" || nixLD) {
				return usageError(cmd, errors.New("--wrapper and --nix-ld start the program that loads "+path+": name it with --loaded-by EXE (or use --print)"))
			}
			if wrapper != "" && p.OK {
				abs, err := filepath.Abs(wrapper)
				if err != nil {
					return &exitError{code: exitTrouble, msg: "--wrapper: " + err.Error()}
				}
				file, _ := filepath.Abs(path)
				remake := []string{"elfdoctor", "fix", "--wrapper", abs, file}
				if loadedBy != "" {
					a, _ := filepath.Abs(loadedBy)
					remake = append(remake, "--loaded-by", a)
				}
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
		}),
	}
	f := cmd.Flags()
	f.StringArrayVar(&roots, "lib-root", nil, "look for libraries and loaders under `DIR` (repeatable; earlier roots are preferred)")
	f.StringVar(&loaderPath, "loader", "", "use the loader at `PATH` instead of choosing one named like FILE's PT_INTERP under the roots")
	f.StringVar(&loadedBy, "loaded-by", "", "for a shared library (an addon): plan the launch of program `EXE`, whose process dlopens it (default: a process running the system's ld.so and libc, --print only)")
	f.BoolVar(&nixLD, "nix-ld", false, "give the plan as NIX_LD and NIX_LD_LIBRARY_PATH, and a command that sets them")
	f.StringVar(&wrapper, "wrapper", "", "write a POSIX sh launcher for the plan to `OUT` (atomically, mode 0755)")
	f.BoolVar(&print, "print", false, "print the plan (--format json saves it for --verify)")
	f.StringVar(&verify, "verify", "", "re-measure the files of a saved plan (`PLAN.json`) and say which changed")
	f.BoolVar(&patchelf, "patchelf", false, "try a patchelf rewrite on a copy and refuse it when the loader would not start the result")
	f.StringVar(&setInterp, "set-interpreter", "", "with --patchelf: the interpreter to write (`PATH`)")
	f.StringVar(&setRPath, "set-rpath", "", "with --patchelf: the RUNPATH to write (`DIRS`, colon-separated)")
	f.BoolVar(&forceRPath, "force-rpath", false, "with --patchelf: write DT_RPATH instead of DT_RUNPATH")
	return cmd
}

// runPatchelfPreflight is `fix --patchelf`: fixpre's PreflightPatchelf
// on a copy, judged in this machine's environment.
func runPatchelfPreflight(cmd *cobra.Command, g *globalOpts, path string, rw fix.Rewrite) error {
	if err := statInput(path, "an ELF file"); err != nil {
		return err
	}
	opts := fix.PatchelfOptions{Check: loader.CheckOptions{Getenv: g.getenv, LibraryPath: splitList(g.getenv("LD_LIBRARY_PATH"))}}
	pf, err := fix.PreflightPatchelf(cmd.Context(), path, rw, opts)
	switch {
	case errors.Is(err, fix.ErrNoRewrite):
		return usageError(cmd, err)
	case errors.Is(err, inspect.ErrNotELF):
		return &exitError{code: exitTrouble, msg: path + ": not an ELF file"}
	case err != nil:
		return &exitError{code: exitTrouble, msg: err.Error()}
	}
	out := cmd.OutOrStdout()
	if err := report.FixPatchelf(out, pf, g.options(out)); err != nil {
		return &exitError{code: exitTrouble, msg: "write report: " + err.Error()}
	}
	if pf.Refused() {
		return &exitError{code: exitProblem}
	}
	return nil
}
