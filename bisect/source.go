package bisect

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// A Source lists the releases of one program and fetches their binaries.
type Source interface {
	// Describe names the source for reports, e.g. "npm package foo".
	Describe() string
	// Versions lists the available versions, in any order.
	Versions(ctx context.Context) ([]string, error)
	// Binary returns the path of version's executable on this machine. A
	// version the source does not have is ErrVersionNotFound.
	Binary(ctx context.Context, version string) (string, error)
}

// URLSource downloads version v from Template with "{version}" replaced
// by v. The versions are given, since a URL template cannot list them.
type URLSource struct {
	Template string
	List     []string
	Cache    *Cache
}

func (s *URLSource) Describe() string { return s.Template }

func (s *URLSource) Versions(context.Context) ([]string, error) {
	if len(s.List) == 0 {
		return nil, errors.New("a URL template needs a version list (--versions or --versions-file)")
	}
	return s.List, nil
}

func (s *URLSource) Binary(ctx context.Context, v string) (string, error) {
	u := strings.ReplaceAll(s.Template, "{version}", v)
	return s.Cache.Fetch(ctx, "url:"+u, u, "")
}

// DirSource reads versions from a directory: each entry is named after a
// version and is either the executable itself or a directory holding
// exactly one ELF executable (an auto-updater's versions folder).
type DirSource struct{ Dir string }

func (s *DirSource) Describe() string { return s.Dir }

func (s *DirSource) Versions(context.Context) ([]string, error) {
	ents, err := os.ReadDir(s.Dir)
	if err != nil {
		return nil, fmt.Errorf("read versions: %w", err)
	}
	var vs []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		vs = append(vs, e.Name())
	}
	return vs, nil
}

func (s *DirSource) Binary(_ context.Context, v string) (string, error) {
	// Absolute, because runners start binaries from / and mount them by
	// path.
	dir, err := filepath.Abs(s.Dir)
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, v)
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s: %w", p, ErrVersionNotFound)
	} else if err != nil {
		return "", err
	}
	if !st.IsDir() {
		return p, nil
	}
	var found []string
	err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		if info, err := d.Info(); err != nil || info.Mode()&0o111 == 0 {
			return err
		}
		f, err := os.Open(q)
		if err != nil {
			return err
		}
		defer f.Close()
		if isELF(f) {
			found = append(found, q)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if len(found) != 1 {
		return "", fmt.Errorf("%s: %w (found %d)", p, ErrNoExecutable, len(found))
	}
	return found[0], nil
}
