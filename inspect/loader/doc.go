// Package loader predicts what the Linux kernel and glibc's ld.so will do
// when a file is executed, by replaying their steps without running
// anything: execve's checks and the kernel's mapping (kernel.go, with
// kernel32.go for the i386 question), ld.so's view of the program it
// finds mapped (kernel.go), ld.so's start-up, the library search
// (search.go), ld.so.cache (ldcache.go) and the mapping of each library
// (mapobject.go), the symbol-version check (versions.go),
// relocation with symbol lookup (relocs.go, lookup.go) and RELRO
// (kernel.go), the jump to
// the entry point and the initialisers and finalisers (init.go). Every step names the kernel
// or glibc function it replays. A newcomer asking "why did check say X"
// opens this folder; the ELF model it reads through is package inspect.
//
// Where ld.so reads memory no file decides (a symbol version index past
// its own l_versions array, a read a little outside a library's pages,
// a library segment mapped past the block ld.so reserved for it), or
// where a control transfer the replay knows of enters the program's code
// inside a function rather than at its start (jumps.go, with the
// function-start oracle of funcstart.go), the replay stops and the
// outcome is OutcomeUndetermined, with the outcomes still possible: it
// never guesses past such a point.
//
// # Security
//
// The inspected file, its interpreter and everything under the root are
// untrusted and are only read, never executed. Reads go through
// inspect's bounded readers; every walk over file-provided links is
// capped.
package loader
