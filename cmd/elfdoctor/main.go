// Command elfdoctor explains why a Linux binary will not load: it reads
// ELF files the way the kernel and ld.so do and says, in plain words, what
// is wrong and what to do next.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/elfdoctor/elfdoctor/cmd/elfdoctor/cli"
)

func main() {
	// SIGTERM and SIGHUP cancel like Ctrl-C, so every deferred clean-up
	// (temporary files, containers) runs.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
