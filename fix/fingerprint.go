package fix

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/internal/safeopen"
)

// Fingerprint is one file a plan relies on, as it was when planned.
type Fingerprint struct {
	// Role is "program", "addon", "loader" or "library".
	Role string `json:"role"`
	Path string `json:"path"`
	Size int64  `json:"size"`
	// Mtime is the modification time in seconds since the epoch: what the
	// wrapper compares, with Size, at every start.
	Mtime int64 `json:"mtime"`
	// SHA256 is the content's hash, for Verify. The program itself is
	// not hashed: it may be hundreds of megabytes, and an update that
	// replaces it changes its size or time (docs/decisions.md).
	SHA256 string `json:"sha256,omitempty"`
}

// readInterp returns PT_INTERP of path, "" when it has none.
func readInterp(path string) (string, error) {
	f, err := inspect.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	s, ok, err := f.Interp()
	if err != nil || !ok {
		return "", err
	}
	return s, nil
}

// fingerprint records the program (size and time), an addon, the loader
// and every chosen library (and their content hashes), in load order.
// prog is "" for an addon planned without a host, addon "" for a program.
func fingerprint(ctx context.Context, prog, addon string, ld *object, assign assignment) ([]Fingerprint, error) {
	var out []Fingerprint
	if prog != "" {
		st, err := os.Stat(prog)
		if err != nil {
			return nil, err
		}
		out = append(out, Fingerprint{Role: "program", Path: prog, Size: st.Size(), Mtime: st.ModTime().Unix()})
	}
	seen := map[string]bool{}
	add := func(role, path string) error {
		if seen[path] {
			return nil
		}
		seen[path] = true
		fp, err := hashFile(ctx, path)
		if err != nil {
			return err
		}
		fp.Role = role
		out = append(out, fp)
		return nil
	}
	if addon != "" {
		if err := add("addon", addon); err != nil {
			return nil, err
		}
	}
	if err := add("loader", ld.path); err != nil {
		return nil, err
	}
	var paths []string
	for _, o := range assign {
		paths = append(paths, o.path)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := add("library", p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// hashFile measures one file through the path ld.so will open.
func hashFile(ctx context.Context, path string) (Fingerprint, error) {
	fh, err := safeopen.Regular(path)
	if err != nil {
		return Fingerprint{}, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return Fingerprint{}, err
	}
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, fh}); err != nil {
		return Fingerprint{}, fmt.Errorf("%s: %w", path, err)
	}
	return Fingerprint{Path: path, Size: st.Size(), Mtime: st.ModTime().Unix(), SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// ctxReader stops a long read when the context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
