// Package safeopen opens files that an untrusted input named: a DT_NEEDED
// entry, a PT_INTERP path, an NT_FILE path in a core, a file name on the
// command line. Such a path may name a FIFO (open blocks forever), a
// device (reading it as root has side effects) or a directory. Every file
// elfdoctor reads goes through Regular, which refuses all of them before a
// byte is read.
package safeopen

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular is returned, wrapped with the path and its kind, for
// anything that is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// Regular opens path for reading only if it is a regular file.
//
// O_NONBLOCK makes opening a FIFO return at once instead of waiting for a
// writer; the fstat that follows then refuses it. Symbolic links are
// followed on purpose: the loader follows them too
// (/lib64/ld-linux-x86-64.so.2 is one on every distribution), and what is
// refused is decided by what the link points at. O_NONBLOCK is cleared
// again once the file is known to be regular, although it has no effect
// on regular files.
func Regular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w (%s)", ErrNotRegular, Kind(st.Mode()))}
	}
	return f, nil
}

// Kind names a file mode's type in words, for error messages.
func Kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "regular file"
	case m.IsDir():
		return "directory"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	}
	return "special file"
}
