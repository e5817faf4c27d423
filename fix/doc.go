// Package fix plans how to start a pristine binary without rewriting it:
// a loader and a library path under which every library the program
// needs is found, every symbol version it and its libraries require is
// defined by the library chosen to provide it, and the loader and libc
// come from one glibc build. The plan is replayed with package loader's
// engine, as `LOADER --library-path DIRS FILE` will run, and refused
// unless the replay predicts a start. It is written out as nix-ld's two
// variables, as a POSIX sh wrapper, or printed; its fingerprint (sizes,
// modification times and SHA-256 of the files it relies on) lets Verify
// and the wrapper tell when a store path changed or was collected.
//
// The search (solve.go) is a small constraint problem: one candidate per
// library name, chosen by bounded backtracking over the files of that
// name found under the --lib-root directories (index.go), with the
// directories then ordered so that ld.so, which takes the first file of
// a name along the library path, finds the chosen one.
//
// A shared library without PT_INTERP (a Node-API addon, a plugin) is
// planned as the launch of the program whose process dlopens it
// (PlanOptions.LoadedBy; addon.go): the search starts from that
// program's libraries, then the library's, under one loader and libc,
// and both the program's start and the dlopen are replayed.
//
// The package also says what the alternatives cost: what a launch
// through the loader changes for runtimes that read their own executable
// back through /proc/self/exe (selfexe.go: such a runtime gets nix-ld,
// not a wrapper), and what a patchelf rewrite would do to the loader's
// start-up, tried on a copy (patchelf.go).
//
// # Security
//
// The program, every candidate and the loader are untrusted and only
// read, never executed: files through inspect's bounded readers, opened
// with safeopen (a FIFO under a root is never opened). The walk of the
// roots is bounded in depth and in entries, the search in steps, and the
// candidates per name in number. The wrapper's words are quoted with
// shellquote.POSIXWord, and it is written atomically. The one program
// this package runs is patchelf, on a copy in a temporary directory, with
// a time limit, when the user asks for the preflight: running a rewriting
// tool the user asked for is not running the input. Plan.Problems say
// what the package does not defend against when it meets it: a bound
// that cut the walk or the search short is reported, never silent.
package fix
