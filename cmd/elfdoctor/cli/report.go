package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/elfdoctor/elfdoctor/coredump"
	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/report"
)

func newReportCmd(g *globalOpts) *cobra.Command {
	var (
		exe, pristine, out, bisectFile, core, root string
		noRedact                                   bool
		// report's own --format shadows the global one so that its help
		// lists what report writes and its real default.
		reportFormat = formatValue{report.Markdown}
	)
	cmd := &cobra.Command{
		Use:   "report FILE [--core CORE] [--pristine FILE] [--bisect RESULT.json] [-o OUT]",
		Short: "Write one report to attach to a bug tracker",
		Long: `Report runs inspect, runtime and check on FILE (and on the pristine copy with
--pristine, with a diff between the two), and writes one document a
maintainer can act on: the verdict in one sentence, the facts that identify
the files (size, SHA-256) and the machine (kernel, distribution, the loader
and glibc actually used, the CPU's x86-64 level), every finding as
evidence, and the commands that reproduce it. With --bisect, the JSON a
bisection wrote (elfdoctor --format json bisect ... > RESULT.json) joins the
evidence, and its verdict leads when it is conclusive. With --core, the
crash's core file is analysed as the coredump command does, and its
faulting frame and explanation join the report. With --root, the program is
checked, and the core read, in the file system of the container or chroot it
ran in, as check --root and coredump --root do.

Formats: markdown (the default; for a GitHub or GitLab issue, evidence in
<details> blocks, cut to fit GitHub's 65,536-character limit with a note),
json (everything; see docs/report.schema.json), html (one self-contained
page with a map of the address space).

Unless --no-redact is given, paths under any home directory (symbolic links
resolved) become ~/..., user names in paths {user}, the host's names {host},
and the crashed command line keeps only argv[0]; build-ids, versions and
hashes stay.

Exit status: 0 when nothing is wrong, 1 when a problem was found (the report
is still written), 2 when a file cannot be read.`,
		Example: "  elfdoctor report ./app --pristine ~/Downloads/app -o report.md\n  elfdoctor report ./app --core core --format html -o report.html\n  elfdoctor report /srv/box/app --root /srv/box --core /srv/box/core",
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) > 1:
				return fmt.Errorf("report needs one file, the program that fails (got %d: %q); the pristine copy goes after --pristine", len(args), args)
			case len(args) == 1 && exe != "" && exe != args[0]:
				return fmt.Errorf("report got two programs, %q and --exe %q: give the program once", args[0], exe)
			case len(args) == 0 && exe == "":
				return errors.New("report needs one file, the program that fails: elfdoctor report FILE")
			}
			return nil
		},
		RunE: withSignals(func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				exe = args[0]
			}
			format := report.Markdown
			switch {
			case cmd.Flags().Changed("format"):
				format = reportFormat.f
			case cmd.Root().PersistentFlags().Changed("format"):
				format = g.format.f
			}
			if format == report.Text {
				return usageError(cmd, errors.New("report writes markdown, json or html, not text"))
			}
			for _, fp := range []struct {
				flag, path string
				dir        bool
			}{{"pristine", pristine, false}, {"core", core, false}, {"bisect", bisectFile, false}} {
				if fp.path == "" {
					continue
				}
				if err := flagPath(fp.flag, fp.path, fp.dir); err != nil {
					return err
				}
			}
			for _, p := range []string{exe, pristine} {
				if p == "" {
					continue
				}
				if f, err := openELF(p); err != nil {
					return err
				} else {
					f.Close()
				}
			}
			in := report.BugInput{Exe: exe, Pristine: pristine,
				Check: loader.CheckOptions{Getenv: g.getenv, LibraryPath: splitList(g.getenv("LD_LIBRARY_PATH"))}}
			if root != "" {
				abs, err := rootDir(root)
				if err != nil {
					return err
				}
				in.Check.Root = abs
			}
			if core != "" {
				a, err := coredump.Analyze(cmd.Context(), core, coredump.Options{Exe: exe, Getenv: g.getenv, Root: in.Check.Root})
				if err != nil {
					return &exitError{code: exitTrouble, msg: err.Error()}
				}
				in.Core = a
			}
			if bisectFile != "" {
				r, err := report.ReadBisect(bisectFile)
				if err != nil {
					return &exitError{code: exitTrouble, msg: err.Error()}
				}
				in.Bisect = r
			}
			b, err := report.Gather(in)
			if err != nil {
				return &exitError{code: exitTrouble, msg: err.Error()}
			}
			o := report.BugOptions{Format: format, Version: g.version}
			if !noRedact {
				o.Redact = hostRedactor(g)
			}
			var buf bytes.Buffer
			if err := report.BugReport(&buf, b, o); err != nil {
				return &exitError{code: exitTrouble, msg: "write report: " + err.Error()}
			}
			if out == "" || out == "-" {
				if _, err := cmd.OutOrStdout().Write(buf.Bytes()); err != nil {
					return &exitError{code: exitTrouble, msg: "write report: " + err.Error()}
				}
			} else if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
				return &exitError{code: exitTrouble, msg: err.Error()}
			}
			if b.Kind != report.KindClean {
				return &exitError{code: exitProblem}
			}
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&exe, "exe", "", "the program that fails (`FILE`; the same as the FILE argument)")
	f.Var(&reportFormat, "format", "output format (`FORMAT`: markdown, json or html)")
	_ = cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"markdown", "json", "html"}, cobra.ShellCompDirectiveNoFileComp
	})
	f.StringVar(&pristine, "pristine", "", "the vendor's unmodified copy of the same version (`FILE`)")
	f.StringVar(&core, "core", "", "the crash's core file (`CORE`; .zst, .lz4 and .xz are read too)")
	f.StringVar(&root, "root", "", "the file system the program runs in (`DIR`: a container's or chroot's root): check looks for the interpreter and libraries under it, and the core's files are read under it, as coredump --root does")
	f.StringVar(&bisectFile, "bisect", "", "a bisection's JSON output (`RESULT.json`, from elfdoctor --format json bisect)")
	f.StringVarP(&out, "output", "o", "", "write the report to `OUT` instead of standard output")
	f.BoolVar(&noRedact, "no-redact", false, "keep home directories, user and host names and the crashed command's arguments")
	return cmd
}

// hostRedactor names what identifies the people and the machine.
func hostRedactor(g *globalOpts) *report.Redactor {
	return report.NewRedactor(report.Identity{Getenv: g.getenv})
}
