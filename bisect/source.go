package bisect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/elfdoctor/elfdoctor/internal/safeopen"
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
//
// Only https is accepted unless Insecure. A release is verified against
// SHA256 or the checksum manifest at Checksums; without either it is
// downloaded unverified, and Unverified says so for the verdict.
type URLSource struct {
	Template string
	List     []string
	Cache    *Cache
	// Insecure allows plain http for the releases and the manifest.
	Insecure bool
	// SHA256 maps a version to the hex sha256 of its file; the key ""
	// applies to every version without an entry of its own.
	SHA256 map[string]string
	// Checksums is a manifest URL template ({version} replaced): a
	// SHA256SUMS file ("HEX  NAME" lines) or a JSON manifest with a sha256
	// (or "checksum") per platform, under "platforms" or at the top.
	Checksums string
	// ChecksumName is the manifest entry to use: a file name or a
	// platform; empty means the release URL's file name, or a JSON
	// manifest's only platform.
	ChecksumName string
}

// maxManifest caps a checksum manifest.
const maxManifest = 1 << 20

func (s *URLSource) Describe() string { return s.Template }

func (s *URLSource) Versions(context.Context) ([]string, error) {
	if len(s.List) == 0 {
		return nil, errors.New("a URL template needs a version list (--versions or --versions-file)")
	}
	return s.List, nil
}

// Validate checks the templates' schemes and the checksums given.
func (s *URLSource) Validate() error {
	for _, t := range []struct{ what, tmpl string }{{"release URL", s.Template}, {"checksum manifest URL", s.Checksums}} {
		if t.tmpl == "" {
			continue
		}
		u, err := url.Parse(strings.ReplaceAll(t.tmpl, "{version}", "0"))
		if err != nil {
			return fmt.Errorf("%s %q: %w", t.what, t.tmpl, err)
		}
		switch {
		case u.Scheme == "https":
		case u.Scheme == "http" && s.Insecure:
		case u.Scheme == "http":
			return fmt.Errorf("%s %s is plain http: anyone on the way can change the release; use https, or --insecure to accept that", t.what, t.tmpl)
		default:
			return fmt.Errorf("%s %q: want an https URL", t.what, t.tmpl)
		}
	}
	for v, h := range s.SHA256 {
		if !validDigest(strings.ToLower(h)) {
			return fmt.Errorf("sha256 %q of version %q: want 64 hex digits", h, v)
		}
	}
	return nil
}

// Unverified says why releases from s are not checked against a
// published checksum, or "" when they are.
func (s *URLSource) Unverified() string {
	if len(s.SHA256) > 0 || s.Checksums != "" {
		return ""
	}
	return "no checksum was given (--sha256 or --checksums), so the releases downloaded from " + s.Template + " were not verified"
}

func (s *URLSource) Binary(ctx context.Context, v string) (string, error) {
	if err := s.Validate(); err != nil {
		return "", err
	}
	u := strings.ReplaceAll(s.Template, "{version}", v)
	sum, err := s.sha256(ctx, v, u)
	if err != nil {
		return "", fmt.Errorf("checksum of %s: %w", v, err)
	}
	integrity := ""
	if sum != "" {
		integrity = "sha256:" + sum
	}
	return s.Cache.Fetch(ctx, "url:"+u, u, integrity)
}

// sha256 is the published digest of version v, whose file is at u, or ""
// when none is given.
func (s *URLSource) sha256(ctx context.Context, v, u string) (string, error) {
	if h, ok := s.SHA256[v]; ok {
		return strings.ToLower(h), nil
	}
	if h, ok := s.SHA256[""]; ok {
		return strings.ToLower(h), nil
	}
	if s.Checksums == "" {
		return "", nil
	}
	mu := strings.ReplaceAll(s.Checksums, "{version}", v)
	p, err := s.Cache.FetchLimit(ctx, "checksums:"+mu, mu, "", maxManifest)
	if err != nil {
		return "", err
	}
	f, err := safeopen.Regular(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxManifest))
	if err != nil {
		return "", err
	}
	name := s.ChecksumName
	if name == "" {
		if pu, err := url.Parse(u); err == nil {
			name = path.Base(pu.Path)
		}
	}
	h, err := manifestSum(b, name, s.ChecksumName == "")
	if err != nil {
		return "", fmt.Errorf("manifest %s: %w", mu, err)
	}
	return h, nil
}

// manifestSum finds name's sha256 in a SHA256SUMS file or a JSON
// manifest. guessed says name was not given; then a JSON manifest with
// one platform uses it.
func manifestSum(b []byte, name string, guessed bool) (string, error) {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		var m map[string]any
		if err := json.Unmarshal(t, &m); err != nil {
			return "", err
		}
		entries := m
		if p, ok := m["platforms"].(map[string]any); ok {
			entries = p
		}
		e, ok := entries[name]
		if !ok && guessed {
			var sums []any
			for _, e := range entries {
				if sumOf(e) != "" {
					sums = append(sums, e)
				}
			}
			if len(sums) == 1 {
				e, ok = sums[0], true
			}
		}
		if !ok {
			keys := make([]string, 0, len(entries))
			for k := range entries {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if len(keys) > 20 {
				keys = append(keys[:20], "…")
			}
			return "", fmt.Errorf("no entry %q (entries: %s); name one with --checksum-name", name, strings.Join(keys, ", "))
		}
		h := sumOf(e)
		if h == "" {
			return "", fmt.Errorf("entry %q has no sha256", name)
		}
		return h, nil
	}
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		n := strings.TrimPrefix(f[1], "*")
		if n != name && path.Base(n) != name {
			continue
		}
		if h := strings.ToLower(f[0]); validDigest(h) {
			return h, nil
		}
		return "", fmt.Errorf("line %d: %q is not a sha256", i+1, f[0])
	}
	return "", fmt.Errorf("no line for %q", name)
}

// sumOf is the sha256 of a JSON manifest entry: the entry itself, or its
// "sha256" or "checksum" field.
func sumOf(e any) string {
	var h string
	switch e := e.(type) {
	case string:
		h = e
	case map[string]any:
		for _, k := range []string{"sha256", "checksum"} {
			if s, ok := e[k].(string); ok {
				h = s
				break
			}
		}
	}
	h = strings.ToLower(strings.TrimPrefix(h, "sha256:"))
	if !validDigest(h) {
		return ""
	}
	return h
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
		f, err := safeopen.Regular(q)
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
