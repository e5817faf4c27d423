// Package fix plans how to start a pristine binary on a system whose
// loader is not where the binary says (NixOS) without rewriting it, and
// says what the alternatives cost: what a launch through the loader
// (`LOADER --library-path DIRS FILE`) changes for runtimes that read
// their own executable (selfexe.go), and what a patchelf rewrite would do
// to the loader's start-up, tried on a copy (patchelf.go).
//
// # Security
//
// The inspected file is untrusted and is only read, never executed, nor
// is its interpreter. The one program this package runs is patchelf, on a
// copy in a temporary directory, with a time limit: running a rewriting
// tool the user asked for is not running the input.
package fix
