package fix

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
)

// Bounds on the walk of the --lib-root directories. A Nix store holds
// some 10^5 entries at its top level; a library sits at most a few
// levels below a root (store/HASH-name/lib/libfoo.so.1,
// root/usr/lib/x86_64-linux-gnu/libfoo.so.1).
const (
	maxWalkEntries = 1 << 20
	maxWalkDepth   = 6
)

// noLibraries are directories no loader searches and packages fill with
// other files: skipping them keeps a walk of a whole Nix store to the
// lib/ directories. glibc-hwcaps/ is among them because ld.so looks into
// it below every directory on the path itself; as a directory of its own
// it would be searched a second time, at the wrong level.
var noLibraries = map[string]bool{
	"glibc-hwcaps": true, "share": true, "include": true, "bin": true, "sbin": true,
	"libexec": true, "etc": true, "doc": true, "man": true, "nix-support": true,
	"pkgconfig": true, "cmake": true, "node_modules": true, "__pycache__": true,
	".git": true, "locale": true, "gconv": true,
}

// index maps a file name to the paths under the roots that carry it, in
// the roots' order and, within a root, lexically: the order in which the
// solver prefers them.
type index struct {
	byName map[string][]string
	// dirs are the directories holding at least one indexed file.
	entries int
	// cut names the roots the bounds stopped the walk in.
	cut []string
}

// libraryName reports whether ld.so could be asked for a file of this
// name by a DT_NEEDED or PT_INTERP entry we follow: shared objects are
// named *.so or *.so.VERSION.
func libraryName(name string) bool {
	i := strings.Index(name, ".so")
	return i > 0 && (len(name) == i+3 || name[i+3] == '.')
}

// buildIndex walks every root, bounded, without following symbolic links
// to directories (a link loop, or a link out of the root, would widen the
// walk past what the user named). Links to files are indexed: ld.so
// opens libfoo.so.1 through them.
func buildIndex(ctx context.Context, roots []string) (*index, error) {
	ix := &index{byName: map[string][]string{}}
	for _, root := range roots {
		depth0 := strings.Count(filepath.Clean(root), string(filepath.Separator))
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				// An unreadable directory below the root is skipped, as
				// ld.so skips a directory it cannot open; the root itself
				// was checked by the caller.
				if p == root {
					return err
				}
				return fs.SkipDir
			}
			ix.entries++
			if ix.entries > maxWalkEntries {
				ix.cut = append(ix.cut, root)
				return fs.SkipAll
			}
			if ix.entries%4096 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			if d.IsDir() {
				if p != root && (noLibraries[d.Name()] || strings.Count(p, string(filepath.Separator))-depth0 >= maxWalkDepth) {
					return fs.SkipDir
				}
				return nil
			}
			if d.Type()&(fs.ModeSymlink) == 0 && !d.Type().IsRegular() {
				return nil
			}
			if libraryName(d.Name()) {
				ix.byName[d.Name()] = append(ix.byName[d.Name()], p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return ix, nil
}
