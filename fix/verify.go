package fix

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Change is one file of a fingerprint that is no longer as planned.
type Change struct {
	Role string `json:"role"`
	Path string `json:"path"`
	// What is "gone", "size", "mtime" or "content".
	What   string `json:"what"`
	Detail string `json:"detail"`
}

// Verification is Verify's answer: no changes means the plan holds.
type Verification struct {
	Checked int      `json:"checked"`
	Changes []Change `json:"changes"`
}

// Verify re-measures every file of a plan's fingerprint: sizes, and the
// SHA-256 of the loader and libraries, so that a store path replaced in
// place (same size, new content) is caught too. The program is compared
// by size and time only, as it was fingerprinted.
func Verify(ctx context.Context, fps []Fingerprint) (*Verification, error) {
	v := &Verification{Changes: []Change{}}
	for _, f := range fps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v.Checked++
		st, err := os.Stat(f.Path)
		if errors.Is(err, fs.ErrNotExist) {
			v.Changes = append(v.Changes, Change{Role: f.Role, Path: f.Path, What: "gone", Detail: "no longer exists: garbage-collected or removed"})
			continue
		}
		if err != nil {
			return nil, err
		}
		if st.Size() != f.Size {
			v.Changes = append(v.Changes, Change{Role: f.Role, Path: f.Path, What: "size", Detail: fmt.Sprintf("%d bytes, planned with %d", st.Size(), f.Size)})
			continue
		}
		if f.SHA256 == "" {
			if st.ModTime().Unix() != f.Mtime {
				v.Changes = append(v.Changes, Change{Role: f.Role, Path: f.Path, What: "mtime", Detail: fmt.Sprintf("modified at %d, planned with %d", st.ModTime().Unix(), f.Mtime)})
			}
			continue
		}
		now, err := hashFile(ctx, f.Path)
		if err != nil {
			return nil, err
		}
		if now.SHA256 != f.SHA256 {
			v.Changes = append(v.Changes, Change{Role: f.Role, Path: f.Path, What: "content", Detail: fmt.Sprintf("SHA-256 %s, planned with %s", now.SHA256, f.SHA256)})
		}
	}
	return v, nil
}
