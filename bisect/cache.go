package bisect

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
)

// Cache is a content-addressed store of downloads: every file lives under
// blobs/sha256/<digest>, and keys (a URL, a tarball's integrity string)
// point at digests. A download goes to a temporary file and is renamed
// into place only when complete and verified, so an interrupted or corrupt
// download never looks like a cached one.
type Cache struct {
	Dir string
	// Offline forbids downloads: a key that is not cached is ErrNotCached.
	Offline bool
	// Client is the HTTP client; nil means http.DefaultClient.
	Client *http.Client
	// Progress, if not nil, is told how far each download has come (total
	// is -1 when the server does not say); it may be called from several
	// goroutines at once.
	Progress func(url string, done, total int64)

	downloads atomic.Int64
	mu        sync.Mutex
	inflight  map[string]*flight
}

type flight struct {
	done chan struct{}
	path string
	err  error
}

// DefaultCacheDir is $XDG_CACHE_HOME/elfdoctor/bisect, or the platform's
// user cache directory.
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find a cache directory: %w", err)
	}
	return filepath.Join(d, "elfdoctor", "bisect"), nil
}

// Downloads is how many files this Cache has downloaded (not found cached).
func (c *Cache) Downloads() int64 { return c.downloads.Load() }

func (c *Cache) keyPath(key string) string {
	h := sha256.Sum256([]byte(key))
	return filepath.Join(c.Dir, "keys", hex.EncodeToString(h[:]))
}

func (c *Cache) blobPath(digest string) string {
	return filepath.Join(c.Dir, "blobs", "sha256", digest)
}

// Lookup returns the cached file for key, if there is one.
func (c *Cache) Lookup(key string) (string, bool) {
	b, err := os.ReadFile(c.keyPath(key))
	if err != nil {
		return "", false
	}
	p := c.blobPath(strings.TrimSpace(string(b)))
	if _, err := os.Stat(p); err != nil {
		return "", false
	}
	return p, true
}

// Fetch returns the path of the cached file for key, downloading url if
// it is not cached. integrity, when not empty, is a Subresource Integrity
// string ("sha512-<base64>", as npm publishes) the download must match.
// Concurrent fetches of one key share one download.
func (c *Cache) Fetch(ctx context.Context, key, url, integrity string) (string, error) {
	return c.once(key, func() (string, error) {
		if p, ok := c.Lookup(key); ok {
			return p, nil
		}
		if c.Offline {
			return "", fmt.Errorf("%s: %w (--offline)", url, ErrNotCached)
		}
		return c.download(ctx, key, url, integrity)
	})
}

// Put stores what r yields under key, unless key is already cached.
func (c *Cache) Put(key string, r io.Reader) (string, error) {
	return c.once(key, func() (string, error) {
		if p, ok := c.Lookup(key); ok {
			return p, nil
		}
		return c.store(key, r, "")
	})
}

// replace stores what r yields under key even if key is cached, for
// documents that change, such as a registry's version list.
func (c *Cache) replace(key string, r io.Reader) (string, error) {
	return c.once(key, func() (string, error) { return c.store(key, r, "") })
}

func (c *Cache) once(key string, f func() (string, error)) (string, error) {
	c.mu.Lock()
	if c.inflight == nil {
		c.inflight = map[string]*flight{}
	}
	if fl, ok := c.inflight[key]; ok {
		c.mu.Unlock()
		<-fl.done
		return fl.path, fl.err
	}
	fl := &flight{done: make(chan struct{})}
	c.inflight[key] = fl
	c.mu.Unlock()
	fl.path, fl.err = f()
	c.mu.Lock()
	delete(c.inflight, key)
	c.mu.Unlock()
	close(fl.done)
	return fl.path, fl.err
}

func (c *Cache) download(ctx context.Context, key, url, integrity string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("download %s: %w", url, err)
	}
	cl := c.Client
	if cl == nil {
		cl = http.DefaultClient
	}
	resp, err := cl.Do(req)
	if err != nil {
		return "", fmt.Errorf("download %s: %w", url, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return "", fmt.Errorf("download %s: %s: %w", url, resp.Status, ErrVersionNotFound)
	case resp.StatusCode != http.StatusOK:
		return "", fmt.Errorf("download %s: %s", url, resp.Status)
	}
	c.downloads.Add(1)
	var body io.Reader = resp.Body
	if c.Progress != nil {
		body = &progressReader{r: resp.Body, url: url, total: resp.ContentLength, report: c.Progress}
		c.Progress(url, 0, resp.ContentLength)
	}
	p, err := c.store(key, body, integrity)
	if err != nil {
		return "", fmt.Errorf("download %s: %w", url, err)
	}
	return p, nil
}

// store copies r into a temporary file, checks integrity, and renames it
// to its digest; the key file is written the same way, last.
func (c *Cache) store(key string, r io.Reader, integrity string) (string, error) {
	var want []byte
	var h512 hash.Hash
	if integrity != "" {
		b64, ok := strings.CutPrefix(integrity, "sha512-")
		if !ok {
			return "", fmt.Errorf("integrity %q: only sha512 is supported", integrity)
		}
		var err error
		if want, err = base64.StdEncoding.DecodeString(b64); err != nil {
			return "", fmt.Errorf("integrity %q: %w", integrity, err)
		}
		h512 = sha512.New()
	}
	tmpDir := filepath.Join(c.Dir, "tmp")
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(tmpDir, "dl-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	h := sha256.New()
	w := io.MultiWriter(tmp, h)
	if h512 != nil {
		w = io.MultiWriter(tmp, h, h512)
	}
	_, err = io.Copy(w, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	if h512 != nil {
		if got := h512.Sum(nil); string(got) != string(want) {
			return "", fmt.Errorf("%w: got sha512-%s, want %s", ErrChecksum, base64.StdEncoding.EncodeToString(got), integrity)
		}
	}
	digest := hex.EncodeToString(h.Sum(nil))
	dst := c.blobPath(digest)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", err
	}
	// Blobs are executables more often than not; the runners need the bit.
	if err := os.Chmod(tmp.Name(), 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", err
	}
	if err := writeFileAtomic(c.keyPath(key), []byte(digest+"\n")); err != nil {
		return "", err
	}
	return dst, nil
}

// progressReader reports a download's progress every 256 KiB and at EOF.
type progressReader struct {
	r          io.Reader
	url        string
	done, last int64
	total      int64
	report     func(string, int64, int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.done-p.last >= 256<<10 || (err == io.EOF && p.done != p.last) {
		p.last = p.done
		p.report(p.url, p.done, p.total)
	}
	return n, err
}

// writeFileAtomic writes data to a temporary file beside name and renames
// it over name, so that readers see the old or the new file, never half.
func writeFileAtomic(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

// isELF reports whether r starts with the ELF magic.
func isELF(r io.ReaderAt) bool {
	var m [4]byte
	_, err := r.ReadAt(m[:], 0)
	return err == nil && string(m[:]) == "\x7fELF"
}
