// Package mmapfile maps a regular file read-only, for readers that ask
// for many small pieces of a file or search a whole one.
//
// A short-lived process pays for a pread with a system call, a copy and,
// for the buffer it reads into, fresh memory: a page fault per 4 KiB.
// A mapping of a file already in the page cache costs one fault per 64
// KiB or so (the kernel maps the pages around the one touched) and no
// copy. `check` reads libc's symbol, string and hash tables a few bytes
// at a time and searches ld.so whole; mapped, both cost a few faults.
//
// The danger of a mapping is a file that shrinks while it is mapped:
// touching a page past its new end raises SIGBUS, which kills a Go
// program. Every access here goes through Do or ReadAt, which turn such
// a fault into an error (debug.SetPanicOnFault), so a file truncated
// under elfdoctor is an I/O error, as a short pread would be.
package mmapfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"syscall"
	"unsafe"
)

// ErrChanged is returned, wrapped, when the mapped file no longer holds
// the bytes asked for: it was truncated after it was mapped.
var ErrChanged = errors.New("file shrank while it was read")

// File is a read-only mapping of a whole file.
type File struct {
	b []byte
}

// Map maps the first size bytes of f, its size when it was opened. The
// mapping outlives f's descriptor; Close unmaps it. A file that cannot
// be mapped (empty, too large for the address space, or on a file system
// without mmap) returns an error, and the caller reads it instead.
func Map(f *os.File, size int64) (*File, error) {
	if size <= 0 || size != int64(int(size)) {
		return nil, fmt.Errorf("mmap %s: size %d", f.Name(), size)
	}
	sc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var b []byte
	var merr error
	if err := sc.Control(func(fd uintptr) {
		b, merr = syscall.Mmap(int(fd), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	}); err != nil {
		return nil, err
	}
	if merr != nil {
		return nil, fmt.Errorf("mmap %s: %w", f.Name(), merr)
	}
	return &File{b: b}, nil
}

// Len is the size of the mapping.
func (m *File) Len() int64 { return int64(len(m.b)) }

// Close unmaps the file. Reads after Close fail.
func (m *File) Close() error {
	if m.b == nil {
		return nil
	}
	err := syscall.Munmap(m.b)
	m.b = nil
	return err
}

// Do calls fn with the n bytes at off, which must lie inside the
// mapping. fn must not keep b or any slice of it: the bytes are the
// file's pages, gone after Close. When the file shrank and fn touches a
// page past its end, fn is abandoned there and Do returns an error
// wrapping ErrChanged; whatever fn stored before is then incomplete and
// the caller must discard it.
func (m *File) Do(off, n int64, fn func(b []byte)) (err error) {
	if m.b == nil {
		return fmt.Errorf("read at 0x%x: %w", off, os.ErrClosed)
	}
	if off < 0 || n < 0 || off > int64(len(m.b)) || n > int64(len(m.b))-off {
		return fmt.Errorf("read of %d bytes at 0x%x: outside the %d-byte mapping", n, off, len(m.b))
	}
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			err = m.fault(r)
		}
	}()
	fn(m.b[off : off+n : off+n])
	return nil
}

// ReadAt copies from the mapping, as io.ReaderAt: a read that reaches
// past the end returns the bytes before it and io.EOF.
func (m *File) ReadAt(p []byte, off int64) (n int, err error) {
	if m.b == nil {
		return 0, fmt.Errorf("read at 0x%x: %w", off, os.ErrClosed)
	}
	if off < 0 {
		return 0, fmt.Errorf("read at %d: negative offset", off)
	}
	if off >= int64(len(m.b)) {
		return 0, io.EOF
	}
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			n, err = 0, m.fault(r)
		}
	}()
	n = copy(p, m.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// fault is the error for a recovered panic r that is a memory fault
// inside the mapping; any other panic goes on.
func (m *File) fault(r any) error {
	if f, ok := r.(interface{ Addr() uintptr }); ok {
		base := uintptr(unsafe.Pointer(unsafe.SliceData(m.b)))
		if a := f.Addr(); a >= base && a-base < uintptr(len(m.b)) {
			return fmt.Errorf("read at 0x%x: %w", a-base, ErrChanged)
		}
	}
	panic(r)
}
