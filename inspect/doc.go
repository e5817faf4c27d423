// Package inspect reads ELF files the way the Linux kernel and glibc's
// dynamic loader see them.
//
// A File has two views that are kept apart on purpose. The file view is
// what readelf shows first: section headers, names, offsets. The loader's
// view is what the kernel builds from PT_LOAD program headers (file bytes
// up to p_filesz, zero-fill up to p_memsz, page rounding, later segments
// replacing the pages of earlier ones) and what ld.so then reads through
// the dynamic table. The loader never looks at section headers, so every
// address taken from the dynamic table is resolved through the Image, and
// the section it lands in is recorded only as evidence for people.
//
// # Security
//
// Files are untrusted: they may be truncated, hostile or hundreds of
// megabytes. Parsing reads through an io.ReaderAt and only the structures a
// question needs, so memory use does not grow with file size. No count or
// size taken from the file chooses an allocation before it has been checked
// against the file size and a fixed cap, every walk over file-provided links
// (Verneed/Verdef chains, notes, the dynamic table) is bounded, header
// tables are read in 64 KiB chunks with entry sizes of at most 1 KiB,
// overlapping PT_LOADs are listed up to MaxOverlaps and counted in
// O(n log n), and any panic in a parser is turned into an *InternalError,
// which is a bug of elfdoctor's and fails every fuzz target. Open opens
// regular files only (a FIFO is refused at once). Malformed input is reported as
// a *FormatError naming the structure and its offset. A file Open opens is
// read through a read-only mapping; a file that shrinks while it is mapped
// makes a read past its new end an error, not SIGBUS (internal/mmapfile).
// The package does not otherwise defend against a reader that changes
// under it, nor against one that blocks forever.
package inspect
