// Package loader predicts what the Linux kernel and glibc's ld.so will do
// when a file is executed, by replaying their steps without running
// anything: execve's checks (kernel32.go for the i386 question), the
// mapping, ld.so's start-up, the library search (search.go) and
// ld.so.cache (ldcache.go), the symbol-version check and symbol binding
// (versions.go), and relocation (check.go). Every step names the kernel
// or glibc function it replays. A newcomer asking "why did check say X"
// opens this folder; the ELF model it reads through is package inspect.
//
// # Security
//
// The inspected file, its interpreter and everything under the root are
// untrusted and are only read, never executed. Reads go through
// inspect's bounded readers; every walk over file-provided links is
// capped.
package loader
