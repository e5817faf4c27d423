package cli

import (
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestFlagPlaceholders: every flag that takes a value names it in its
// help ("--timeout DURATION"), never by its Go type ("--timeout
// duration", "--runner string"), which tells a person nothing.
func TestFlagPlaceholders(t *testing.T) {
	root := newRootCmd(&globalOpts{format: formatValue{}})
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
