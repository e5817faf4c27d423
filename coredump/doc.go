// Package coredump reads Linux kernel core files and explains the crash:
// which thread faulted, on which instruction, in which module and
// function, and why — including crashes inside the dynamic loader before
// the program's entry point, where the loader's r_debug list does not
// exist yet. The module list therefore comes from the NT_FILE note and
// the auxiliary vector (AT_BASE, AT_ENTRY, AT_PHDR), never from r_debug.
//
// The package is a library: it never prints and never exits.
//
// # Security
//
// Cores are untrusted input. Every count and size read from a note is
// checked against the file size before anything is allocated, every walk
// (notes, program headers, frames, stack scans) has an iteration limit,
// and any panic in parsing, including one in the standard library's
// debug/elf, is recovered at the public entry points and returned as an
// error. Compressed cores are decompressed by streaming into a temporary
// file, so memory use does not grow with the size of the core. The
// package does not defend against a core whose NT_FILE names files that an
// attacker controls on this machine: those files are opened and read to
// symbolise, as a debugger would.
package coredump
