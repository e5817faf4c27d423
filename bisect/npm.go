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
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/elfdoctor/elfdoctor/internal/safeopen"
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

// npmDoc is what bisect reads of a registry document: per version, where
// the tarball is, its integrity and, when published, its unpacked size.
type npmDoc struct {
	Versions map[string]npmRelease
}

type npmRelease struct {
	Dist struct {
		Tarball      string `json:"tarball"`
		Integrity    string `json:"integrity"`
		UnpackedSize int64  `json:"unpackedSize"`
	} `json:"dist"`
}

// maxNPMVersions bounds the versions read from one document.
const maxNPMVersions = 100_000

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

// npmAccept asks for the abbreviated document that npm itself installs
// from, a fraction of the full one, and takes the full one otherwise.
const npmAccept = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8"

func (s *NPMSource) docKey() string { return "npm-doc:" + s.Registry + ":" + s.Package }

func (s *NPMSource) load(ctx context.Context) (*npmDoc, error) {
	s.once.Do(func() {
		if s.Cache.Offline {
			s.err = s.loadCached()
			return
		}
		u := strings.TrimSuffix(s.Registry, "/") + "/" + strings.Replace(url.PathEscape(s.Package), "%40", "@", 1)
		rc, _, err := s.Cache.get(ctx, u, npmAccept, maxDocument)
		if errors.Is(err, ErrVersionNotFound) {
			// The package itself is missing: that is no version's
			// "no release", but the end of the bisection.
			s.err = fmt.Errorf("registry document %s: no package %s in this registry", u, s.Package)
			return
		} else if err != nil {
			s.err = fmt.Errorf("registry document %s: %w", u, err)
			return
		}
		defer rc.Close()
		// Parsed as it streams, and copied to the cache for --offline at
		// the same time; kept only when it parsed.
		pr, pw := io.Pipe()
		stored := make(chan error, 1)
		go func() {
			_, err := s.Cache.store(s.docKey(), pr, "", maxDocument, u)
			if err != nil {
				// Keep the parser going: caching is only for --offline.
				_, _ = io.Copy(io.Discard, pr)
			}
			stored <- err
		}()
		d, err := parseNPMDoc(io.TeeReader(rc, pw))
		if err == nil {
			// The rest (trailing space) must reach the store too.
			_, err = io.Copy(pw, rc)
		}
		if err != nil {
			pw.CloseWithError(err)
			<-stored
			s.err = fmt.Errorf("registry document %s: %w", u, err)
			return
		}
		pw.Close()
		<-stored // a document that parsed but could not be kept costs only --offline
		s.doc = d
	})
	return s.doc, s.err
}

func (s *NPMSource) loadCached() error {
	p, ok := s.Cache.Lookup(s.docKey())
	if !ok {
		return fmt.Errorf("registry document of %s: %w (--offline)", s.Package, ErrNotCached)
	}
	f, err := safeopen.Regular(p)
	if err != nil {
		return err
	}
	defer f.Close()
	d, err := parseNPMDoc(io.LimitReader(f, maxDocument))
	if err != nil {
		return fmt.Errorf("cached registry document of %s: %w", s.Package, err)
	}
	s.doc = d
	return nil
}

// parseNPMDoc reads a registry document token by token: only each
// version's dist.tarball, dist.integrity and dist.unpackedSize are kept,
// everything else is skipped, and strings are cut to maxJSONString before
// the decoder sees them, so memory stays bounded by a few tokens whatever
// the document holds (a 64 MiB readme, a version with a million fields).
func parseNPMDoc(r io.Reader) (*npmDoc, error) {
	dec := json.NewDecoder(&shortStrings{r: r})
	dec.UseNumber()
	d := &npmDoc{Versions: map[string]npmRelease{}}
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, err
		}
		if k != "versions" {
			if err := skipValue(dec); err != nil {
				return nil, err
			}
			continue
		}
		if err := expectDelim(dec, '{'); err != nil {
			return nil, fmt.Errorf("versions: %w", err)
		}
		for n := 0; dec.More(); n++ {
			if n >= maxNPMVersions {
				return nil, fmt.Errorf("more than %d versions", maxNPMVersions)
			}
			v, err := dec.Token()
			if err != nil {
				return nil, err
			}
			rel, err := readRelease(dec)
			if err != nil {
				return nil, fmt.Errorf("version %v at byte %d: %w", v, dec.InputOffset(), err)
			}
			d.Versions[fmt.Sprint(v)] = rel
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return d, nil
}

// readRelease reads one version object, keeping its dist fields.
func readRelease(dec *json.Decoder) (npmRelease, error) {
	var rel npmRelease
	err := eachKey(dec, func(k string) error {
		if k != "dist" {
			return skipValue(dec)
		}
		// A repeated key replaces the value, as in JSON.parse.
		rel.Dist = npmRelease{}.Dist
		return eachKey(dec, func(k string) error {
			t, err := scalar(dec)
			if err != nil {
				return err
			}
			switch v := t.(type) {
			case string:
				switch k {
				case "tarball":
					rel.Dist.Tarball = v
				case "integrity":
					rel.Dist.Integrity = v
				}
			case json.Number:
				if n, err := v.Int64(); err == nil && k == "unpackedSize" && n > 0 {
					rel.Dist.UnpackedSize = n
				}
			}
			return nil
		})
	})
	return rel, err
}

// eachKey calls fn with each key of the object that comes next; fn must
// consume the key's value.
func eachKey(dec *json.Decoder, fn func(k string) error) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return err
		}
		ks, _ := k.(string)
		if err := fn(ks); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	return err
}

// scalar returns the next value if it is a scalar, and skips it
// (returning nil) if it is an object or array.
func scalar(dec *json.Decoder) (json.Token, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if t == json.Delim('{') || t == json.Delim('[') {
		return nil, skipRest(dec, 1)
	}
	return t, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t != want {
		return fmt.Errorf("at byte %d: got %v, want %v", dec.InputOffset(), t, want)
	}
	return nil
}

// skipValue skips one value by its tokens, never decoding it whole.
func skipValue(dec *json.Decoder) error { return skipRest(dec, 0) }

func skipRest(dec *json.Decoder, depth int) error {
	for {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// maxJSONString is the longest string a registry document may hand the
// decoder; nothing bisect reads (a URL, an integrity string) comes close.
const maxJSONString = 64 << 10

// shortStrings passes JSON through, cutting every string after
// maxJSONString bytes: the rest of the string, up to its closing quote,
// is dropped. The cut is made between characters, never inside an escape
// sequence, so the JSON stays valid.
type shortStrings struct {
	r               io.Reader
	inStr, esc, cut bool
	hex             int // hex digits of a \u escape still to come
	n               int // bytes of the current string so far
}

func (s *shortStrings) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		out := 0
		for i := 0; i < n; i++ {
			c := p[i]
			keep := true
			if !s.inStr {
				if c == '"' {
					s.inStr, s.n, s.cut = true, 0, false
				}
			} else {
				atBoundary := s.hex == 0 && !s.esc
				if atBoundary && c == '"' {
					s.inStr = false
				} else {
					if atBoundary && s.n >= maxJSONString {
						s.cut = true
					}
					switch {
					case s.hex > 0:
						s.hex--
					case s.esc:
						s.esc = false
						if c == 'u' {
							s.hex = 4
						}
					case c == '\\':
						s.esc = true
					}
					s.n++
					keep = !s.cut
				}
			}
			if keep {
				p[out] = c
				out++
			}
		}
		if out > 0 || err != nil {
			return out, err
		}
	}
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
	// What the registry says the package unpacks to bounds every file
	// taken from it, and the tar stream read to find it.
	limit := s.Cache.limit(rel.Dist.UnpackedSize)
	fileKey := "npm-file:" + rel.Dist.Integrity + ":" + s.Path
	if p, ok := s.Cache.Lookup(fileKey); ok {
		return p, nil
	}
	tgz, err := s.Cache.Fetch(ctx, "npm-tarball:"+rel.Dist.Integrity, rel.Dist.Tarball, rel.Dist.Integrity)
	if err != nil {
		return "", fmt.Errorf("%s@%s: %w", s.Package, v, err)
	}
	p, err := s.extract(tgz, fileKey, limit)
	if err != nil {
		return "", fmt.Errorf("%s@%s: %w", s.Package, v, err)
	}
	return p, nil
}

// extract stores the wanted file of the tarball in the cache. Without a
// path it takes the one ELF executable, judged by its first bytes.
func (s *NPMSource) extract(tgz, key string, limit int64) (string, error) {
	want := strings.TrimPrefix(path.Clean("/"+s.Path), "/")
	var name string
	if s.Path == "" {
		var err error
		if name, err = s.findELF(tgz, limit); err != nil {
			return "", err
		}
	}
	var out string
	err := eachRegular(tgz, limit, func(h *tar.Header, r io.Reader) (bool, error) {
		n := path.Clean(h.Name)
		if n == name || (s.Path != "" && (n == want || n == "package/"+want)) {
			p, err := s.Cache.Put(key, r, limit)
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

func (s *NPMSource) findELF(tgz string, limit int64) (string, error) {
	var found []string
	err := eachRegular(tgz, limit, func(h *tar.Header, r io.Reader) (bool, error) {
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

// Bounds of one tarball walk beside the size limit: the tar stream may
// exceed the files' total by its headers and padding (1 KiB a member at
// most, and PAX records), which tarSlack covers for maxMembers members.
const (
	maxMembers = 100_000
	tarSlack   = 128 << 20
)

// eachRegular calls fn with every regular file of a gzipped tarball, until
// fn says stop or fails. A member that declares more than limit bytes (a
// PAX sparse header can declare terabytes in a few bytes) is refused
// before a byte of it is read, and the inflated stream may not exceed
// limit plus tarSlack, so that skipping members is bounded too.
func eachRegular(tgz string, limit int64, fn func(h *tar.Header, r io.Reader) (stop bool, err error)) error {
	f, err := safeopen.Regular(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("tarball: %w", err)
	}
	stream := &capReader{r: zr, n: limit + tarSlack}
	tr := tar.NewReader(stream)
	for i := 0; ; i++ {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("tarball, member %d at byte %d of the stream: %w", i, stream.read, err)
		}
		if i >= maxMembers {
			return fmt.Errorf("tarball: more than %d members", maxMembers)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if h.Size > limit || h.Size < 0 {
			return fmt.Errorf("tarball member %s (member %d): %w", h.Name, i, &SizeError{What: "declared size", Size: h.Size, Limit: limit})
		}
		if stop, err := fn(h, tr); stop || err != nil {
			return err
		}
	}
}

// capReader fails once more than n bytes have been read through it.
type capReader struct {
	r       io.Reader
	n, read int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.read >= c.n {
		return 0, fmt.Errorf("the inflated tarball exceeds %d bytes", c.n)
	}
	if int64(len(p)) > c.n-c.read {
		p = p[:c.n-c.read]
	}
	n, err := c.r.Read(p)
	c.read += int64(n)
	return n, err
}
