package bisect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// maxIdentifyFetches bounds how many releases IdentifyVersion fetches to
// compare with the local copy.
const maxIdentifyFetches = 64

// IdentifyVersion finds which release the local copy is, when the user did
// not say: by the GNU build-id, which patchelf and other rewriters keep, so
// a damaged copy still matches the pristine it was made from; or, for a Go
// program, by the main module's version in its build information.
// Releases are compared newest first (most copies are recent) and fetched
// through src, so they are cached for the bisection that follows. It
// returns "" when nothing matches.
func IdentifyVersion(ctx context.Context, src Source, versions []string, local string) (version, how string, err error) {
	f, err := inspect.Open(local)
	if err != nil {
		return "", "", fmt.Errorf("local copy: %w", err)
	}
	notes, _ := f.Notes()
	id := inspect.BuildID(notes)
	fp := inspect.Identify(f)
	f.Close()
	if g := fp.Runtime(inspect.RuntimeGo); g != nil {
		for _, d := range g.Details {
			// "example.com/app v1.2.3"
			if fs := strings.Fields(d.Value); d.Key == "main module" && len(fs) == 2 {
				v := strings.TrimPrefix(fs[1], "v")
				if slices.Contains(versions, v) {
					return v, "the main module's version in its Go build information", nil
				}
			}
		}
	}
	if id == "" {
		return "", "", nil
	}
	newest := slices.Clone(SortVersions(versions))
	slices.Reverse(newest)
	for i, v := range newest {
		if i >= maxIdentifyFetches {
			break
		}
		p, err := src.Binary(ctx, v)
		if errors.Is(err, ErrVersionNotFound) {
			continue
		}
		if err != nil {
			return "", "", err
		}
		if buildIDOf(p) == id {
			return v, "its build-id " + id + ", which the release " + v + " has too", nil
		}
	}
	return "", "", nil
}

func buildIDOf(path string) string {
	f, err := inspect.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	notes, _ := f.Notes()
	return inspect.BuildID(notes)
}
