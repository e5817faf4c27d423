package bisect

import (
	"errors"
	"fmt"
)

// Sentinels, matched with errors.Is.
var (
	// ErrNoEngine means no Docker engine answered.
	ErrNoEngine = errors.New("bisect: no Docker engine answered")
	// ErrNotCached means --offline was asked and the cache lacks a file.
	ErrNotCached = errors.New("bisect: not in the cache")
	// ErrVersionNotFound means the source has no release for a version.
	ErrVersionNotFound = errors.New("bisect: version not found")
	// ErrChecksum means a download did not match its published checksum.
	ErrChecksum = errors.New("bisect: checksum mismatch")
	// ErrNoExecutable means a package holds no ELF executable, or several
	// and no path was given to choose one.
	ErrNoExecutable = errors.New("bisect: no single ELF executable in the package")
)

// EngineError says which engine did not answer and what to do.
type EngineError struct {
	Host string
	Err  error
}

func (e *EngineError) Error() string {
	return fmt.Sprintf("no Docker engine answered at %s (%v); start one (systemctl start docker, or dockerd as root) or use --runner host", e.Host, e.Err)
}

func (e *EngineError) Unwrap() []error { return []error{ErrNoEngine, e.Err} }
