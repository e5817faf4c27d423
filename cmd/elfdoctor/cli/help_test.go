package cli

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestFlagPlaceholders: every flag that takes a value names it in its
// help ("--timeout DURATION"), never by its Go type ("--timeout
// duration", "--runner string"), which tells a person nothing.
func TestFlagPlaceholders(t *testing.T) {
	root := newRootCmd(&globalOpts{format: formatValue{}}, "")
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		check := func(f *pflag.Flag) {
			if f.Value.Type() == "bool" || f.Name == "help" {
				return
			}
			name, _ := pflag.UnquoteUsage(f)
			if name == f.Value.Type() || name == "" {
				t.Errorf("%s --%s: the help shows %q, the flag's type, instead of a named placeholder", c.CommandPath(), f.Name, name)
			}
		}
		c.LocalFlags().VisitAll(check)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// Main builds only the subcommand it runs (commandWord): what that
// subcommand prints and returns must be what it does in the whole tree.
func TestOneSubcommandTree(t *testing.T) {
	g := &globalOpts{format: formatValue{}}
	for _, s := range subcommands {
		if got := s.cmd(g).Name(); got != s.name {
			t.Errorf("subcommands entry %q builds the command %q", s.name, got)
		}
	}
	bin := binDir + "/gcc-pie"
	var runs [][]string
	for _, s := range subcommands {
		runs = append(runs,
			[]string{s.name, "--help"},
			[]string{s.name},
			[]string{s.name, "--bogus"},
			[]string{"--format", "json", s.name, "/nonexistent"},
			[]string{"--format=markdown", "--no-color", s.name, "--help"},
			[]string{"--wide=false", s.name, "-h"},
		)
	}
	runs = append(runs,
		[]string{"check", bin},
		[]string{"--format", "json", "check", bin},
		[]string{"inspect", "--format", "json", bin},
		[]string{"runtime", bin},
		[]string{"diff", bin, bin + ".patched"},
		[]string{"--bogus", "check", bin},
		[]string{"--format", "check", bin},
	)
	for _, args := range runs {
		word := commandWord(args)
		if word == "" && args[0] != "--bogus" && args[0] != "--format" {
			t.Errorf("commandWord(%q) = \"\", want the subcommand", args)
		}
		var lazyOut, lazyErr, fullOut, fullErr strings.Builder
		lazy := runTree(context.Background(), args, &lazyOut, &lazyErr, word)
		full := runTree(context.Background(), args, &fullOut, &fullErr, "")
		if lazy != full || lazyOut.String() != fullOut.String() || lazyErr.String() != fullErr.String() {
			t.Errorf("elfdoctor %q with one subcommand: exit %d\n%s%s\nwith all: exit %d\n%s%s",
				args, lazy, lazyOut.String(), lazyErr.String(), full, fullOut.String(), fullErr.String())
		}
	}
	for _, args := range [][]string{{"help", "check"}, {"__complete", "check", ""}, {"chek"}, {"--help"}, {"--version"}, {"--format", "json"}, {"-h", "check"}, {"--", "check"}} {
		if w := commandWord(args); w != "" {
			t.Errorf("commandWord(%q) = %q, want \"\" (the whole tree)", args, w)
		}
	}
}

// withSignals turns SIGTERM, SIGHUP and Ctrl-C into a cancelled context
// and an "interrupted" exit, so that the command's clean-up runs instead
// of the process dying.
func TestWithSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT} {
		cmd := &cobra.Command{}
		cmd.SetContext(context.Background())
		var cleanedUp bool
		err := withSignals(func(c *cobra.Command, _ []string) error {
			defer func() { cleanedUp = true }()
			if err := syscall.Kill(os.Getpid(), sig); err != nil {
				return err
			}
			select {
			case <-c.Context().Done():
				return c.Context().Err()
			case <-time.After(10 * time.Second):
				return errors.New("no cancellation")
			}
		})(cmd, nil)
		var e *exitError
		if !errors.As(err, &e) || e.code != exitTrouble || e.msg != "interrupted" || !cleanedUp {
			t.Errorf("%v during a command: %v (cleaned up: %v), want exit 2 \"interrupted\" after the clean-up", sig, err, cleanedUp)
		}
	}
	// A command's own verdict stands even when a signal came.
	cmd := &cobra.Command{}
	cmd.SetContext(context.Background())
	err := withSignals(func(c *cobra.Command, _ []string) error {
		syscall.Kill(os.Getpid(), syscall.SIGTERM)
		<-c.Context().Done()
		return &exitError{code: exitProblem, msg: "found"}
	})(cmd, nil)
	if e, ok := err.(*exitError); !ok || e.code != exitProblem {
		t.Errorf("exit error after a signal = %v, want the command's own", err)
	}
}
