package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/elfdoctor/elfdoctor/coredump"
	"github.com/elfdoctor/elfdoctor/report"
)

func newCoredumpCmd(g *globalOpts) *cobra.Command {
	var (
		exe       string
		root      string
		debugDirs []string
		noCheck   bool
		journal   bool
	)
	cmd := &cobra.Command{
		Use:   "coredump CORE | --journal [PID|COMM|EXE|CORE|FIELD=VALUE]",
		Short: "Explain a crash from its core file, even inside ld.so before main",
		Long: `Coredump reads a kernel core file (or systemd-coredump's .zst, .lz4 or .xz
copy) and says what crashed, where and why: the faulting thread's frames,
the faulting instruction and the address it touched, and a classification
— a crash inside the dynamic loader before the program's entry point, an
abort with its message, an instruction the CPU lacks, a truncated mapped
file, or an ordinary crash — with what to do next.

The list of loaded files comes from the core's NT_FILE note and auxiliary
vector, not from the loader's r_debug list, so frames inside ld.so are
named even when the loader died before that list existed. Names come from
.symtab, .dynsym, a debug file found by build-id under --debug-dir or
.gnu_debuglink, then the servers in DEBUGINFOD_URLS.

When the executable is on disk, elfdoctor check runs on it and its
finding is shown next to the frames.

A core made in a container or a chroot names the files inside it; the
files at those paths here are often other builds. A file whose build-id
differs from the one the core records is not read at all (its names
would be another build's); give the process's file system with --root.

With --journal, the crash is looked up in the journal the way coredumpctl
does (a PID, a command name, an executable, a core file under
/var/lib/systemd/coredump, or a FIELD=VALUE match; the newest crash when
none is given). systemd-coredump's record is shown with the analysis, the
core is taken from its file or, when it is stored in the journal, through
coredumpctl dump, and an executable replaced by an update since the crash
(or during the run) is named. A crash whose core was not kept is reported
with what the journal knows and how to keep the next one.

Exit status: 1 when a crash was explained (or, with --journal, recorded
without a core), 0 when the core records no signal, 2 when CORE cannot be
read or the journal has no matching crash.`,
		Example: "  elfdoctor coredump core\n  elfdoctor coredump --root /srv/container/rootfs core\n  elfdoctor coredump --exe ./app /var/lib/systemd/coredump/core.app.1000.zst\n  elfdoctor coredump --journal app",
		Args: func(cmd *cobra.Command, args []string) error {
			if journal {
				if len(args) > 1 {
					return fmt.Errorf("coredump --journal takes at most one match: a PID, a command name, an executable, a core file or FIELD=VALUE (got %d: %q)", len(args), args)
				}
				return nil
			}
			return fileArgs("one core file (or --journal to find the crash in systemd's journal)", 1)(cmd, args)
		},
		RunE: withSignals(func(cmd *cobra.Command, args []string) error {
			opts := coredump.Options{Exe: exe, DebugDirs: debugDirs, Getenv: g.getenv, NoCheck: noCheck}
			if root != "" {
				abs, err := rootDir(root)
				if err != nil {
					return err
				}
				opts.Root = abs
			}
			var (
				a    *coredump.Analysis
				err  error
				path string
			)
			if journal {
				var arg string
				if len(args) == 1 {
					arg = args[0]
				}
				path = "the journal"
				a, err = coredump.AnalyzeJournal(cmd.Context(), coredump.JournalMatch(arg), opts)
			} else {
				path = args[0]
				if err := statInput(path, "a core file"); err != nil {
					return err
				}
				a, err = coredump.Analyze(cmd.Context(), path, opts)
			}
			if err != nil {
				if errors.Is(err, coredump.ErrNotCore) {
					return &exitError{code: exitTrouble, msg: path + ": not an ELF core file; for an executable use elfdoctor check"}
				}
				return &exitError{code: exitTrouble, msg: err.Error()}
			}
			out := cmd.OutOrStdout()
			if err := report.Coredump(out, a, g.options(out)); err != nil {
				return &exitError{code: exitTrouble, msg: "write report: " + err.Error()}
			}
			if a.Crash.Kind != coredump.KindNoSignal {
				return &exitError{code: exitProblem}
			}
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&exe, "exe", "", "the executable that crashed (`FILE`; default: the path in the core)")
	f.StringVar(&root, "root", "", "the file system the process ran in (`DIR`: a container's or chroot's root, as gdb's sysroot): the files the core names are read under it, and its usr/lib/debug is searched first")
	f.StringArrayVar(&debugDirs, "debug-dir", nil, "where separate debug files are, as gdb's debug-file-directory (`DIR`: repeatable or colon-separated; DIR/.build-id is searched, or a .build-id directory itself; default /usr/lib/debug, then NIX_DEBUG_INFO_DIRS, then DEBUGINFOD_URLS)")
	f.BoolVar(&noCheck, "no-check", false, "do not run elfdoctor check on the executable")
	f.BoolVar(&journal, "journal", false, "find the crash in systemd-coredump's journal records (needs journalctl; coredumpctl for cores stored in the journal)")
	return cmd
}
