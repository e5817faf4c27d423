// Package cli is the elfdoctor command line: a thin cobra layer over
// packages inspect and report. Each subcommand lives in its own file;
// exit codes travel as *exitError values and are turned into a number in
// one place, Main.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/elfdoctor/elfdoctor/report"
)

// Exit codes, as diff(1) uses them.
const (
	exitOK      = 0 // nothing wrong, or no differences
	exitProblem = 1 // problems found, or the files differ
	exitTrouble = 2 // usage or I/O error
)

// exitError carries an exit code up to Main. An empty msg prints nothing:
// the report on stdout has said it all.
type exitError struct {
	msg  string
	code int
}

func (e *exitError) Error() string { return e.msg }

// globalOpts are the persistent flags and what the commands share.
type globalOpts struct {
	format  formatValue
	noColor bool
	version string
	// The environment, behind functions so that tests can fake it.
	getenv     func(string) string
	isTerminal func(io.Writer) bool
	// termWidth is the width of the terminal w is, 0 when unknown.
	termWidth func(io.Writer) int
	wide      bool
}

// options are the report options for writing to w: colour only for text
// on a terminal, without NO_COLOR (https://no-color.org) or --no-color.
func (g *globalOpts) options(w io.Writer) report.Options {
	o := report.Options{
		Format:  g.format.f,
		Color:   g.format.f == report.Text && !g.noColor && g.getenv("NO_COLOR") == "" && g.isTerminal(w),
		Version: g.version,
	}
	// Tables fit the terminal; in a pipe, or with --wide, every row stays
	// one full line for grep and scripts.
	if o.Format == report.Text && !g.wide && g.isTerminal(w) && g.termWidth != nil {
		o.Width = g.termWidth(w)
	}
	return o
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func termWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	cols, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return cols
}

// formatValue is the --format flag; bad values fail flag parsing.
type formatValue struct{ f report.Format }

func (v *formatValue) String() string { return string(v.f) }
func (v *formatValue) Type() string   { return "text|json|markdown|html" }
func (v *formatValue) Set(s string) error {
	f, err := report.ParseFormat(s)
	if err != nil {
		return err
	}
	v.f = f
	return nil
}

// subcommands are elfdoctor's commands, by the name that runs each.
var subcommands = []struct {
	name string
	cmd  func(*globalOpts) *cobra.Command
}{
	{"inspect", newInspectCmd},
	{"diff", newDiffCmd},
	{"check", newCheckCmd},
	{"runtime", newRuntimeCmd},
	{"coredump", newCoredumpCmd},
	{"bisect", newBisectCmd},
	{"report", newReportCmd},
	{"fix", newFixCmd},
}

// commandWord is the subcommand args run when only the root's own flags
// come before it, "" otherwise (help, completion, a typo, an unknown
// flag: anything cobra answers from the whole tree).
func commandWord(args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--format":
			i++
		case strings.HasPrefix(a, "--format="), a == "--no-color", a == "--wide",
			strings.HasPrefix(a, "--no-color="), strings.HasPrefix(a, "--wide="):
		case strings.HasPrefix(a, "-"):
			return ""
		default:
			for _, s := range subcommands {
				if s.name == a {
					return a
				}
			}
			return ""
		}
	}
	return ""
}

// newRootCmd builds the command tree: every subcommand, or only the one
// named only. The whole tree, with cobra's completion commands, cost
// every run about 60 page faults and 2 ms of CPU on the test machine
// (docs/decisions.md, "Start-up: what a run pays before its work"); a
// run of one subcommand never looks at its siblings.
func newRootCmd(g *globalOpts, only string) *cobra.Command {
	root := &cobra.Command{
		Use:   "elfdoctor",
		Short: "Explain why a Linux binary will not load",
		Long: `elfdoctor reads ELF files the way the Linux kernel and ld.so do, and says in
plain words what is wrong and what to do next.

Exit status: 0 when nothing is wrong (or the files are identical), 1 when
problems were found (or the files differ), 2 on usage or I/O errors.`,
		Version:       g.version,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Parse the root's flags before choosing the subcommand: without
		// this, cobra takes the word after an unknown leading flag as its
		// value ("elfdoctor --bogus check app" was 'unknown command
		// "app"'), and the error points at the wrong word.
		TraverseChildren:           true,
		SuggestionsMinimumDistance: 2,
		// With TraverseChildren, cobra no longer refuses an unknown
		// command word itself; the root does, with cobra's suggestions.
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
			if s := c.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "; did you mean " + strings.Join(s, " or ") + "?"
			}
			return errors.New(msg)
		},
		RunE: func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	root.SetVersionTemplate("elfdoctor {{.Version}}\n")
	pf := root.PersistentFlags()
	pf.Var(&g.format, "format", "output format (`FORMAT`: text, json, markdown or html)")
	pf.BoolVar(&g.noColor, "no-color", false, "never colour text output (NO_COLOR does the same)")
	pf.BoolVar(&g.wide, "wide", false, "on a terminal too, print table rows whole instead of fitting them to its width")
	_ = root.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, f := range report.Formats {
			out = append(out, string(f))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError(c, err)
	})
	for _, s := range subcommands {
		if only == "" || s.name == only {
			root.AddCommand(s.cmd(g))
		}
	}
	// cobra's completion command (four more, with their flags and
	// help) is for the whole tree: `elfdoctor completion bash` names no
	// subcommand, so it gets one.
	root.CompletionOptions.DisableDefaultCmd = only != ""
	return root
}

// withSignals makes a command's context end on Ctrl-C, SIGTERM and
// SIGHUP, so that its deferred clean-up runs: the commands that start
// containers or programs, download, or write files (bisect, coredump,
// report, fix). check, inspect, diff and runtime only read, and die at
// once like any classic tool: watching for signals costs every run a
// thread of its own, about 1.2 ms of CPU on the test machine
// (docs/decisions.md, "Start-up: what a run pays before its work"). An
// error after a signal is "interrupted", as Main says of a cancelled
// context.
func withSignals(run func(*cobra.Command, []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
		defer stop()
		cmd.SetContext(ctx)
		err := run(cmd, args)
		var e *exitError
		if err != nil && ctx.Err() != nil && !errors.As(err, &e) {
			return &exitError{code: exitTrouble, msg: "interrupted"}
		}
		return err
	}
}

// usageError is a command-line mistake: exit 2 with a pointer to --help.
func usageError(c *cobra.Command, err error) error {
	return &exitError{code: exitTrouble, msg: fmt.Sprintf("%v\nRun '%s --help' for usage.", err, c.CommandPath())}
}

// Main runs elfdoctor with args (without the program name) and returns the
// exit code. It is the only place that turns errors into exit codes.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runTree(ctx, args, stdout, stderr, commandWord(args))
}

// runTree is Main with the command tree holding only the subcommand only,
// or all of them.
func runTree(ctx context.Context, args []string, stdout, stderr io.Writer, only string) int {
	g := &globalOpts{format: formatValue{report.Text}, version: Version(), getenv: os.Getenv, isTerminal: isTerminal, termWidth: termWidth}
	root := newRootCmd(g, only)
	root.SetArgs(args)
	root.SetIn(strings.NewReader(""))
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	var e *exitError
	switch {
	case errors.As(err, &e):
	case ctx.Err() != nil:
		e = &exitError{code: exitTrouble, msg: "interrupted"}
	default:
		// Cobra's own errors (wrong number of arguments, unknown command)
		// are usage errors.
		if cmd == nil {
			cmd = root
		}
		errors.As(usageError(cmd, err), &e)
	}
	if e.msg != "" {
		fmt.Fprintf(stderr, "elfdoctor: %s\n", e.msg)
	}
	return e.code
}

// Version is the version of this build: the main module's version when
// built from a tagged module, else "devel" plus the VCS revision, if the
// build recorded one.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	v := "devel"
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev != "" {
		v += "+" + rev[:min(12, len(rev))] + dirty
	}
	return v
}
