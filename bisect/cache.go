package bisect

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/elfdoctor/elfdoctor/internal/safeopen"
)

// Caps and time limits of downloads; docs/decisions.md says why these.
const (
	// DefaultMaxSize caps one download and one file taken from a tarball
	// when nothing smaller is known (npm's dist.unpackedSize is).
	DefaultMaxSize = 2 << 30
	// maxDocument caps a registry document or a checksum manifest, which
	// are parsed, not stored as releases.
	maxDocument = 64 << 20
	// DefaultIdleTimeout is how long a download may receive nothing,
	// the response header included, before it fails.
	DefaultIdleTimeout = 20 * time.Second
	dialTimeout        = 10 * time.Second
	tlsTimeout         = 10 * time.Second
)

// Cache is a content-addressed store of downloads: every file lives under
// blobs/sha256/<digest>, and keys (a URL, a tarball's integrity string)
// point at digests. A download goes to a temporary file, is hashed as it
// streams, and is renamed into place only when complete, within its cap
// and verified, so an interrupted, oversized or corrupt download never
// looks like a cached one.
//
// A cached file is checked whenever it is used: its size, times and inode
// against a stamp keyed with a secret of this cache (stamps/<digest>),
// or, when the stamp does not match or Verify is set, its hash. A file
// that fails is removed, and downloaded again unless Offline.
type Cache struct {
	Dir string
	// Offline forbids downloads: a key that is not cached is ErrNotCached.
	Offline bool
	// Verify re-hashes every cached file when it is used, instead of
	// trusting a matching stamp.
	Verify bool
	// Client is the HTTP client; nil means NewHTTPClient(nil).
	Client *http.Client
	// MaxSize caps each download and each file taken from a tarball; 0
	// means DefaultMaxSize.
	MaxSize int64
	// IdleTimeout fails a download that receives nothing for this long;
	// 0 means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// Progress, if not nil, is told how far each download has come (total
	// is -1 when the server does not say); it may be called from several
	// goroutines at once.
	Progress func(url string, done, total int64)

	downloads atomic.Int64
	sweep     sync.Once
	mu        sync.Mutex
	inflight  map[string]*flight
	stampKey  []byte
}

type flight struct {
	done chan struct{}
	path string
	err  error
}

// CorruptError is a cached file that is not what its name says: a
// truncated or altered release, which must never be run as the release.
type CorruptError struct {
	Path string
	Want string // the digest the file is stored under
	Got  string // the digest of what is there
	Size int64
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("cached file %s is damaged (%d bytes, sha256 %s, want %s); it was removed", e.Path, e.Size, e.Got, e.Want)
}

// SizeError is a download or tarball member over its cap.
type SizeError struct {
	What  string // the URL or member name
	Size  int64  // what it declared or had reached
	Limit int64
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("%s: %d bytes, over the limit of %d (raise it with --max-size if the release really is that big)", e.What, e.Size, e.Limit)
}

// NewHTTPClient is the client downloads use: bounded connection and TLS
// handshake times (the body's idle time is bounded by the Cache), and no
// redirect from https to plain http. roots, when not nil, replaces the
// system's certificate authorities.
func NewHTTPClient(roots *x509.CertPool) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = tlsTimeout
	tr.ResponseHeaderTimeout = DefaultIdleTimeout
	if roots != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("more than 10 redirects")
		}
		if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
			return fmt.Errorf("redirect from %s to %s: refusing to leave https", via[0].URL.Redacted(), req.URL.Redacted())
		}
		return nil
	}}
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

func (c *Cache) maxSize() int64 {
	if c.MaxSize > 0 {
		return c.MaxSize
	}
	return DefaultMaxSize
}

func (c *Cache) client() *http.Client {
	if c.Client != nil {
		return c.Client
	}
	return defaultClient()
}

// defaultClient is made on first use, not at every command's start-up.
var defaultClient = sync.OnceValue(func() *http.Client { return NewHTTPClient(nil) })

func (c *Cache) keyPath(key string) string {
	h := sha256.Sum256([]byte(key))
	return filepath.Join(c.Dir, "keys", hex.EncodeToString(h[:]))
}

func (c *Cache) blobPath(digest string) string {
	return filepath.Join(c.Dir, "blobs", "sha256", digest)
}

func (c *Cache) stampPath(digest string) string {
	return filepath.Join(c.Dir, "stamps", digest)
}

// validDigest: a key file must name a blob by its digest and nothing
// else, so that a crafted key file cannot point outside blobs/.
func validDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}

// Lookup returns the cached file for key, if there is one and it is
// intact; a damaged one is removed.
func (c *Cache) Lookup(key string) (string, bool) {
	p, err := c.lookup(key)
	return p, err == nil
}

// lookup returns the blob of key, ErrNotCached, or a *CorruptError when
// the blob was there but damaged (and is now removed).
func (c *Cache) lookup(key string) (string, error) {
	f, err := safeopen.Regular(c.keyPath(key))
	if err != nil {
		return "", ErrNotCached
	}
	b := make([]byte, 128)
	n, _ := io.ReadFull(f, b)
	f.Close()
	digest := strings.TrimSpace(string(b[:n]))
	if !validDigest(digest) {
		os.Remove(c.keyPath(key))
		return "", ErrNotCached
	}
	return c.blob(digest)
}

// blob returns the path of an intact blob, checking it as the Cache doc
// says.
func (c *Cache) blob(digest string) (string, error) {
	p := c.blobPath(digest)
	f, err := safeopen.Regular(p)
	if err != nil {
		return "", ErrNotCached
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", ErrNotCached
	}
	if !c.Verify {
		if want, err := c.stamp(digest, st); err == nil {
			if got, err := os.ReadFile(c.stampPath(digest)); err == nil && hmac.Equal(got, want) {
				return p, nil
			}
		}
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", fmt.Errorf("read cached %s: %w", p, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != digest {
		os.Remove(p)
		os.Remove(c.stampPath(digest))
		return "", &CorruptError{Path: p, Want: digest, Got: got, Size: n}
	}
	c.writeStamp(digest, p)
	return p, nil
}

// stamp is what a blob's stamp file holds: a MAC over its digest, size,
// times and inode. Truncation or any write changes the size or ctime,
// which no user can set back; the key keeps a stamp from being forged
// for a file by anyone who cannot read the cache's key.
func (c *Cache) stamp(digest string, st fs.FileInfo) ([]byte, error) {
	key, err := c.key()
	if err != nil {
		return nil, err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, errors.New("no inode information")
	}
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s %d %d %d.%d %d.%d", digest, st.Size(), sys.Ino, sys.Mtim.Sec, sys.Mtim.Nsec, sys.Ctim.Sec, sys.Ctim.Nsec)
	return []byte(hex.EncodeToString(m.Sum(nil)) + "\n"), nil
}

func (c *Cache) writeStamp(digest, p string) {
	st, err := os.Stat(p)
	if err != nil {
		return
	}
	if s, err := c.stamp(digest, st); err == nil {
		_ = writeFileAtomic(c.stampPath(digest), s, 0o644)
	}
}

// key returns the cache's stamp key, creating it once; two processes
// creating it at once agree on the first one linked into place.
func (c *Cache) key() ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stampKey != nil {
		return c.stampKey, nil
	}
	name := filepath.Join(c.Dir, "stamp-key")
	read := func() ([]byte, error) {
		f, err := safeopen.Regular(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		b := make([]byte, 32)
		if _, err := io.ReadFull(f, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	b, err := read()
	if err != nil {
		if err := os.MkdirAll(c.Dir, 0o755); err != nil {
			return nil, err
		}
		tmp, err := os.CreateTemp(c.Dir, ".stamp-key-*")
		if err != nil {
			return nil, err
		}
		defer os.Remove(tmp.Name())
		k := make([]byte, 32)
		rand.Read(k)
		_, werr := tmp.Write(k)
		serr := tmp.Sync()
		tmp.Close()
		if werr != nil || serr != nil {
			return nil, errors.Join(werr, serr)
		}
		_ = os.Link(tmp.Name(), name) // fails if another process won
		if b, err = read(); err != nil {
			return nil, fmt.Errorf("cache stamp key: %w", err)
		}
	}
	c.stampKey = b
	return b, nil
}

// Fetch returns the path of the cached file for key, downloading url if
// it is not cached. integrity, when not empty, is what the download must
// match: a Subresource Integrity string ("sha512-<base64>", as npm
// publishes) or "sha256:<hex>". Concurrent fetches of one key share one
// download.
func (c *Cache) Fetch(ctx context.Context, key, url, integrity string) (string, error) {
	return c.FetchLimit(ctx, key, url, integrity, 0)
}

// FetchLimit is Fetch with a cap below MaxSize (0: MaxSize).
func (c *Cache) FetchLimit(ctx context.Context, key, url, integrity string, limit int64) (string, error) {
	return c.once(key, func() (string, error) {
		var err error
		if digest, ok := strings.CutPrefix(integrity, "sha256:"); ok && validDigest(digest) {
			// Content-addressed: a blob with that digest is the file,
			// whichever URL brought it, and no other blob is.
			var p string
			if p, err = c.blob(digest); err == nil {
				return p, writeFileAtomic(c.keyPath(key), []byte(digest+"\n"), 0o644)
			}
		} else {
			var p string
			if p, err = c.lookup(key); err == nil {
				return p, nil
			}
		}
		if c.Offline {
			var ce *CorruptError
			if errors.As(err, &ce) {
				return "", fmt.Errorf("%s: %w (--offline: not downloaded again)", url, err)
			}
			return "", fmt.Errorf("%s: %w (--offline)", url, ErrNotCached)
		}
		return c.download(ctx, key, url, integrity, limit)
	})
}

// Put stores what r yields under key, unless key is already cached, and
// refuses more than limit bytes (0: MaxSize).
func (c *Cache) Put(key string, r io.Reader, limit int64) (string, error) {
	return c.once(key, func() (string, error) {
		if p, ok := c.Lookup(key); ok {
			return p, nil
		}
		return c.store(key, r, "", c.limit(limit), key)
	})
}

func (c *Cache) limit(l int64) int64 {
	if l > 0 && l < c.maxSize() {
		return l
	}
	return c.maxSize()
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

// errIdle is the cause of a download cancelled for receiving nothing.
var errIdle = errors.New("no data received")

// get starts a GET of url and returns its body, which fails once more
// than limit bytes arrive or nothing arrives for the idle timeout. A
// Content-Length over limit fails at once.
func (c *Cache) get(ctx context.Context, url, accept string, limit int64) (io.ReadCloser, *http.Response, error) {
	idle := c.IdleTimeout
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	ctx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(idle, func() { cancel(fmt.Errorf("%w for %v", errIdle, idle)) })
	fail := func(err error) (io.ReadCloser, *http.Response, error) {
		timer.Stop()
		if c := context.Cause(ctx); errors.Is(c, errIdle) {
			err = c
		}
		cancel(nil)
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fail(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := c.client().Do(req)
	if err != nil {
		return fail(err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		resp.Body.Close()
		return fail(fmt.Errorf("%s: %w", resp.Status, ErrVersionNotFound))
	case resp.StatusCode != http.StatusOK:
		resp.Body.Close()
		return fail(errors.New(resp.Status))
	case resp.ContentLength > limit:
		resp.Body.Close()
		return fail(&SizeError{What: url, Size: resp.ContentLength, Limit: limit})
	}
	timer.Reset(idle)
	return &body{r: resp.Body, ctx: ctx, cancel: cancel, timer: timer, idle: idle, limit: limit, url: url}, resp, nil
}

// body bounds a response body: limit bytes, and idle time between reads.
type body struct {
	r      io.ReadCloser
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer
	idle   time.Duration
	limit  int64
	n      int64
	url    string
}

func (b *body) Read(p []byte) (int, error) {
	if int64(len(p)) > b.limit-b.n+1 {
		p = p[:b.limit-b.n+1]
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if n > 0 {
		b.timer.Reset(b.idle)
	}
	if b.n > b.limit {
		return n, &SizeError{What: b.url, Size: b.n, Limit: b.limit}
	}
	if err != nil && err != io.EOF {
		if c := context.Cause(b.ctx); errors.Is(c, errIdle) {
			err = c
		}
	}
	return n, err
}

func (b *body) Close() error {
	b.timer.Stop()
	err := b.r.Close()
	b.cancel(nil)
	return err
}

func (c *Cache) download(ctx context.Context, key, url, integrity string, limit int64) (string, error) {
	limit = c.limit(limit)
	rc, resp, err := c.get(ctx, url, "", limit)
	if err != nil {
		return "", fmt.Errorf("download %s: %w", url, err)
	}
	defer rc.Close()
	c.downloads.Add(1)
	var r io.Reader = rc
	if c.Progress != nil {
		r = &progressReader{r: rc, url: url, total: resp.ContentLength, report: c.Progress}
		c.Progress(url, 0, resp.ContentLength)
	}
	p, err := c.store(key, r, integrity, limit, url)
	if err != nil {
		return "", fmt.Errorf("download %s: %w", url, err)
	}
	return p, nil
}

// store copies r into a temporary file, hashing it as it streams, checks
// the size and integrity, syncs it and renames it to its digest; the key
// file is written the same way, last.
func (c *Cache) store(key string, r io.Reader, integrity string, limit int64, what string) (string, error) {
	var want []byte
	var hWant hash.Hash
	h := sha256.New()
	switch {
	case integrity == "":
	case strings.HasPrefix(integrity, "sha512-"):
		var err error
		if want, err = base64.StdEncoding.DecodeString(strings.TrimPrefix(integrity, "sha512-")); err != nil || len(want) != sha512.Size {
			return "", fmt.Errorf("integrity %q: not a sha512 digest", integrity)
		}
		hWant = sha512.New()
	case strings.HasPrefix(integrity, "sha256:"):
		var err error
		if want, err = hex.DecodeString(strings.TrimPrefix(integrity, "sha256:")); err != nil || len(want) != sha256.Size {
			return "", fmt.Errorf("checksum %q: not a sha256 digest", integrity)
		}
		hWant = h
	default:
		return "", fmt.Errorf("integrity %q: only sha512 and sha256 are supported", integrity)
	}
	tmpDir := filepath.Join(c.Dir, "tmp")
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return "", err
	}
	c.sweep.Do(func() { c.removeDeadTemps(tmpDir) })
	tmp, err := os.CreateTemp(tmpDir, "dl-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	w := io.MultiWriter(tmp, h)
	if hWant != nil && hWant != h {
		w = io.MultiWriter(tmp, h, hWant)
	}
	// One byte more than the limit tells "exactly the limit" from "over".
	n, err := io.Copy(w, io.LimitReader(r, limit+1))
	if err == nil && n > limit {
		err = &SizeError{What: what, Size: n, Limit: limit}
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	if hWant != nil {
		if got := hWant.Sum(nil); !hmac.Equal(got, want) {
			if hWant == h {
				return "", fmt.Errorf("%w: got sha256 %x, want %x", ErrChecksum, got, want)
			}
			return "", fmt.Errorf("%w: got sha512-%s, want %s", ErrChecksum, base64.StdEncoding.EncodeToString(got), integrity)
		}
	}
	digest := hex.EncodeToString(h.Sum(nil))
	dst := c.blobPath(digest)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", err
	}
	// Blobs are executables more often than not; the runners need the
	// bits, for other users too (containers run as nobody).
	if err := os.Chmod(tmp.Name(), 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", err
	}
	syncDir(filepath.Dir(dst))
	c.writeStamp(digest, dst)
	if err := writeFileAtomic(c.keyPath(key), []byte(digest+"\n"), 0o644); err != nil {
		return "", err
	}
	return dst, nil
}

// removeDeadTemps removes the partial downloads of bisections that were
// killed. A live download writes to its file at least once per idle
// timeout or fails, so a file untouched for an hour (or three idle
// timeouts, if longer) belongs to no live process, whichever shares the
// cache.
func (c *Cache) removeDeadTemps(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	age := max(time.Hour, 3*c.IdleTimeout)
	for _, e := range ents {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() && time.Since(info.ModTime()) > age {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
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

// writeFileAtomic writes data to a temporary file beside name, syncs it
// and renames it over name, so that readers see the old or the new file,
// never half, also after a crash.
func writeFileAtomic(name string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return err
	}
	syncDir(filepath.Dir(name))
	return nil
}

// syncDir makes a rename in dir durable; failure only costs durability.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// isELF reports whether r starts with the ELF magic.
func isELF(r io.ReaderAt) bool {
	var m [4]byte
	_, err := r.ReadAt(m[:], 0)
	return err == nil && string(m[:]) == "\x7fELF"
}
