// Package coredump reads Linux kernel core files and explains the crash:
// which thread faulted, on which instruction, in which module and
// function, and why — including crashes inside the dynamic loader before
// the program's entry point, where the loader's r_debug list does not
// exist yet. The module list therefore comes from the NT_FILE note and
// the auxiliary vector (AT_BASE, AT_ENTRY, AT_PHDR), not from r_debug. A
// core without NT_FILE (qemu-user's) has its shared libraries completed
// from the loader's link map in its memory, as gdb does.
//
// The package is a library: it never prints and never exits.
//
// # Security
//
// Cores are untrusted input. Every count and size read from a note is
// checked against the file size before anything is allocated (NT_FILE
// entries also in total over all notes, and each distinct PT_NOTE is read
// once, all of them together at most the file's size), every walk (notes,
// program headers, frames, stack scans, .dynamic and the link map, a Go
// program's position tables and inline tree) has an iteration limit, and
// memory is found by address through sorted indexes, so 65,535 PT_LOADs
// cost a binary search per read. A panic in parsing, including one in the
// standard library's debug/elf, is recovered at the public entry points
// and returned as an *InternalError, which the fuzz targets fail on.
//
// Compressed cores are streamed into a temporary file in $TMPDIR that is
// unlinked when it is created, so memory use does not grow with the core
// and nothing is left behind on any exit; inflation stops at the size the
// core's program headers account for and when the context is cancelled.
//
// Files a core names (NT_FILE, PT_INTERP, debug files) are opened only if
// they are regular files, so a FIFO or a device is never waited on or
// read, and read only if they are ELF, so no byte of another file (a core
// may name /etc/shadow) reaches the output. Before debug/elf reads a
// file, the sizes its compressed sections claim are checked against the
// compressed bytes, the file and a budget per analysis, since debug/elf
// inflates a section whole to its claimed size. debuginfod answers are
// checked the same way, and for their build-id, before they are cached;
// redirects are followed only to servers DEBUGINFOD_URLS names, and a
// server silent for 10 s is not asked again during the analysis.
//
// The package does not defend against a core whose NT_FILE names regular
// ELF files that an attacker controls on this machine: those files are
// opened and read to symbolise, as a debugger would.
package coredump
