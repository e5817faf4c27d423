// Command elfdoctor explains why a Linux binary will not load: it reads
// ELF files the way the kernel and ld.so do and says, in plain words, what
// is wrong and what to do next.
package main

import (
	"context"
	"os"

	"github.com/elfdoctor/elfdoctor/cmd/elfdoctor/cli"
)

func main() {
	// The commands with something to clean up (containers, temporary
	// files, programs they run) cancel on Ctrl-C, SIGTERM and SIGHUP
	// themselves (cli.withSignals): a run that only reads does not pay
	// for watching signals.
	os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
