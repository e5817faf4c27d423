package bisect

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// NPMSource reads releases from an npm package that ships the binary.
type NPMSource struct {
	Package string
	// Path is the file inside the tarball ("package/" prefix optional);
	// empty means the one ELF executable in it.
	Path string
	// Registry is the registry's base URL; see NPMRegistry.
	Registry string
	Cache    *Cache

	once sync.Once
	doc  *npmDoc
	err  error
}

type npmDoc struct {
	Versions map[string]struct {
		Dist struct {
			Tarball   string `json:"tarball"`
			Integrity string `json:"integrity"`
		} `json:"dist"`
	} `json:"versions"`
}

func (s *NPMSource) Describe() string { return "npm package " + s.Package }

// NPMRegistry returns the registry npm itself would use: NPM_CONFIG_REGISTRY
// (npm reads its configuration from the environment case-insensitively),
// then `npm config get registry`, which also reads every .npmrc; without
// npm, the registry= lines of ./.npmrc and ~/.npmrc. There is no built-in
// default: a machine with no npm configuration gets an error that says so.
func NPMRegistry(ctx context.Context, getenv func(string) string) (string, error) {
	for _, k := range []string{"NPM_CONFIG_REGISTRY", "npm_config_registry"} {
		if v := getenv(k); v != "" {
			return v, nil
		}
	}
	if npm, err := exec.LookPath("npm"); err == nil {
		out, err := exec.CommandContext(ctx, npm, "config", "get", "registry").Output()
		if v := strings.TrimSpace(string(out)); err == nil && strings.Contains(v, "://") {
			return v, nil
		}
	}
	files := []string{".npmrc"}
	if h := getenv("HOME"); h != "" {
		files = append(files, filepath.Join(h, ".npmrc"))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), "=")
			if ok && strings.TrimSpace(k) == "registry" {
				return strings.TrimSpace(v), nil
			}
		}
	}
	return "", errors.New("no npm registry configured; set one with `npm config set registry URL` or NPM_CONFIG_REGISTRY")
}

func (s *NPMSource) load(ctx context.Context) (*npmDoc, error) {
	s.once.Do(func() {
		u := strings.TrimSuffix(s.Registry, "/") + "/" + strings.Replace(url.PathEscape(s.Package), "%40", "@", 1)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			s.err = err
			return
		}
		req.Header.Set("Accept", "application/json")
		cl := s.Cache.Client
		if cl == nil {
			cl = http.DefaultClient
		}
		if s.Cache.Offline {
			s.err = s.loadCached()
			return
		}
		resp, err := cl.Do(req)
		if err != nil {
			s.err = fmt.Errorf("registry document %s: %w", u, err)
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			s.err = fmt.Errorf("registry document %s: %s", u, resp.Status)
			return
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
		if err != nil {
			s.err = fmt.Errorf("registry document %s: %w", u, err)
			return
		}
		var d npmDoc
		if err := json.Unmarshal(b, &d); err != nil {
			s.err = fmt.Errorf("registry document %s: %w", u, err)
			return
		}
		s.doc = &d
		// Kept so that --offline can list versions later. The document is
		// not content-addressed by nature, so it is keyed by package.
		_, _ = s.Cache.replace("npm-doc:"+s.Registry+":"+s.Package, bytes.NewReader(b))
	})
	return s.doc, s.err
}

func (s *NPMSource) loadCached() error {
	p, ok := s.Cache.Lookup("npm-doc:" + s.Registry + ":" + s.Package)
	if !ok {
		return fmt.Errorf("registry document of %s: %w (--offline)", s.Package, ErrNotCached)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	var d npmDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("cached registry document of %s: %w", s.Package, err)
	}
	s.doc = &d
	return nil
}

func (s *NPMSource) Versions(ctx context.Context) ([]string, error) {
	d, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	var vs []string
	for v := range d.Versions {
		vs = append(vs, v)
	}
	return SortVersions(vs), nil
}

func (s *NPMSource) Binary(ctx context.Context, v string) (string, error) {
	d, err := s.load(ctx)
	if err != nil {
		return "", err
	}
	rel, ok := d.Versions[v]
	if !ok {
		return "", fmt.Errorf("%s@%s: %w", s.Package, v, ErrVersionNotFound)
	}
	if rel.Dist.Integrity == "" {
		return "", fmt.Errorf("%s@%s: the registry publishes no sha512 integrity; refusing an unverifiable download", s.Package, v)
	}
	fileKey := "npm-file:" + rel.Dist.Integrity + ":" + s.Path
	if p, ok := s.Cache.Lookup(fileKey); ok {
		return p, nil
	}
	tgz, err := s.Cache.Fetch(ctx, "npm-tarball:"+rel.Dist.Integrity, rel.Dist.Tarball, rel.Dist.Integrity)
	if err != nil {
		return "", fmt.Errorf("%s@%s: %w", s.Package, v, err)
	}
	p, err := s.extract(tgz, fileKey)
	if err != nil {
		return "", fmt.Errorf("%s@%s: %w", s.Package, v, err)
	}
	return p, nil
}

// extract stores the wanted file of the tarball in the cache. Without a
// path it takes the one ELF executable, judged by its first bytes.
func (s *NPMSource) extract(tgz, key string) (string, error) {
	want := strings.TrimPrefix(path.Clean("/"+s.Path), "/")
	var name string
	if s.Path == "" {
		var err error
		if name, err = s.findELF(tgz); err != nil {
			return "", err
		}
	}
	var out string
	err := eachRegular(tgz, func(h *tar.Header, r io.Reader) (bool, error) {
		n := path.Clean(h.Name)
		if n == name || (s.Path != "" && (n == want || n == "package/"+want)) {
			p, err := s.Cache.Put(key, r)
			out = p
			return true, err
		}
		return false, nil
	})
	if err != nil || out != "" {
		return out, err
	}
	if s.Path != "" {
		return "", fmt.Errorf("no file %s in the tarball", s.Path)
	}
	return "", ErrNoExecutable
}

func (s *NPMSource) findELF(tgz string) (string, error) {
	var found []string
	err := eachRegular(tgz, func(h *tar.Header, r io.Reader) (bool, error) {
		var m [4]byte
		if h.Mode&0o111 != 0 {
			if _, err := io.ReadFull(r, m[:]); err == nil && string(m[:]) == "\x7fELF" {
				found = append(found, path.Clean(h.Name))
			}
		}
		return false, nil
	})
	if err != nil {
		return "", err
	}
	if len(found) != 1 {
		return "", fmt.Errorf("%w (found %d: %s); name one with PACKAGE:PATH", ErrNoExecutable, len(found), strings.Join(found, ", "))
	}
	return found[0], nil
}

// eachRegular calls fn with every regular file of a gzipped tarball, until
// fn says stop or fails.
func eachRegular(tgz string, fn func(h *tar.Header, r io.Reader) (stop bool, err error)) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("tarball: %w", err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("tarball: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if stop, err := fn(h, tr); stop || err != nil {
			return err
		}
	}
}
