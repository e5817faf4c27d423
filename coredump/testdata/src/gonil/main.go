// A nil pointer dereference in Go: the runtime's signal handler turns the
// SIGSEGV into a panic, and with GOTRACEBACK=crash the process dies of
// SIGABRT below sigpanic, leaving a core.
package main

import "os"

type config struct{ name string }

//go:noinline
func lookup(c *config) int { return len(c.name) }

//go:noinline
func load(c *config) int { return lookup(c) + 1 }

func main() {
	var c *config
	if len(os.Args) > 5 {
		c = &config{}
	}
	os.Exit(load(c))
}
