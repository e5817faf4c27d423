package coredump

import (
	"debug/elf"
	"errors"
	"fmt"
	securejoin "github.com/cyphar/filepath-securejoin"
	"os"
	"path/filepath"

	"github.com/elfdoctor/elfdoctor/internal/safeopen"
)

// Source says where bytes of process memory came from.
type Source string

const (
	FromCore Source = "core"         // a PT_LOAD segment of the core
	FromFile Source = "file on disk" // not dumped; read from the mapped file per NT_FILE
)

// ErrNotInCore is returned for an address neither the core nor a mapped
// file holds.
var ErrNotInCore = errors.New("coredump: address not in the core or any mapped file")

// ErrCut is returned for memory the core's program headers say it holds
// but the file ends before: a truncated core.
var ErrCut = errors.New("coredump: memory cut from the truncated core")

// ReadMemory fills p with process memory at addr. Memory the kernel
// dumped comes from the core; file-backed memory it left out (by default
// the text of every mapped file) is read from the file NT_FILE names,
// which may differ from what ran: the Source says which.
func (c *Core) ReadMemory(p []byte, addr uint64) (Source, error) {
	n := uint64(len(p))
	c.buildIndexes()
	if pc := c.dumped.find(addr); pc != nil && n <= pc.end-addr {
		l := &c.Loads[pc.ref]
		end := l.Offset + addr - l.Vaddr + n
		cut := end > uint64(c.size) || end < l.Offset
		switch {
		case !cut:
			if _, err := c.r.ReadAt(p, int64(l.Offset+addr-l.Vaddr)); err != nil {
				return FromCore, fmt.Errorf("read %#x from core: %w", addr, err)
			}
			return FromCore, nil
		case l.Flags&elf.PF_W == 0 && c.MappingAt(addr) != nil:
			// A truncated core: the dumped bytes are gone. The file
			// on disk still holds what a read-only mapping of it
			// held, read below.
		default:
			// Anything writable is lost.
			c.cutAddr, c.cutReads = addr, c.cutReads+1
			return FromCore, fmt.Errorf("read %#x: %w", addr, ErrCut)
		}
	}
	if pc := c.files.find(addr); pc != nil && n <= pc.end-addr {
		m := &c.Files[pc.ref]
		f, err := c.mappedFile(m.Path)
		if err != nil {
			return FromFile, fmt.Errorf("read %#x: %w", addr, err)
		}
		if _, err := f.ReadAt(p, int64(m.Offset+addr-m.Start)); err != nil {
			return FromFile, fmt.Errorf("read %#x from %s: %w", addr, m.Path, err)
		}
		return FromFile, nil
	}
	return "", ErrNotInCore
}

// buildIndexes sorts the core's ranges by address on first use.
func (c *Core) buildIndexes() {
	if c.loads != nil {
		return
	}
	c.loads = newSpanIndex(len(c.Loads), func(i int) (uint64, uint64) {
		l := &c.Loads[i]
		return l.Vaddr, l.Vaddr + min(l.Memsz, ^uint64(0)-l.Vaddr)
	})
	c.dumped = newSpanIndex(len(c.Loads), func(i int) (uint64, uint64) {
		l := &c.Loads[i]
		return l.Vaddr, l.Vaddr + min(l.Filesz, ^uint64(0)-l.Vaddr)
	})
	c.files = newSpanIndex(len(c.Files), func(i int) (uint64, uint64) { return c.Files[i].Start, c.Files[i].End })
}

// readWord reads one pointer-sized word of memory.
func (c *Core) readWord(addr uint64) (uint64, bool) {
	var b [8]byte
	if _, err := c.ReadMemory(b[:c.ptrSize()], addr); err != nil {
		return 0, false
	}
	return c.word(b[:]), true
}

// MappingAt returns the NT_FILE entry holding addr.
func (c *Core) MappingAt(addr uint64) *FileMapping {
	c.buildIndexes()
	if pc := c.files.find(addr); pc != nil {
		return &c.Files[pc.ref]
	}
	return nil
}

// LoadAt returns the PT_LOAD segment (dumped or not) holding addr.
func (c *Core) LoadAt(addr uint64) *Load {
	c.buildIndexes()
	if pc := c.loads.find(addr); pc != nil {
		return &c.Loads[pc.ref]
	}
	return nil
}

// CString reads a NUL-terminated string of at most max bytes.
func (c *Core) CString(addr uint64, max int) (string, error) {
	var out []byte
	buf := make([]byte, 64)
	for len(out) < max {
		if _, err := c.ReadMemory(buf, addr); err != nil {
			// Near the end of a mapping: fall back to single bytes.
			if _, err := c.ReadMemory(buf[:1], addr); err != nil {
				return string(out), err
			}
			if buf[0] == 0 {
				return string(out), nil
			}
			out = append(out, buf[0])
			addr++
			continue
		}
		for _, b := range buf {
			if b == 0 || len(out) >= max {
				return string(out), nil
			}
			out = append(out, b)
		}
		addr += uint64(len(buf))
	}
	return string(out), nil
}

// maxOpenFiles bounds the mapped files kept open for memory reads.
const maxOpenFiles = 64

// mappedFile opens a file NT_FILE names, once: stack scans and
// disassembly read it many times.
func (c *Core) mappedFile(path string) (*os.File, error) {
	if f, ok := c.open[path]; ok {
		if f == nil {
			if why := c.refused[path]; why != nil {
				return nil, why
			}
			return nil, os.ErrNotExist
		}
		return f, nil
	}
	if c.open == nil {
		c.open = map[string]*os.File{}
	}
	if len(c.open) >= maxOpenFiles {
		return nil, fmt.Errorf("more than %d mapped files", maxOpenFiles)
	}
	// NT_FILE may name a FIFO or a device: only a regular file is
	// opened, and only an ELF file is read, since what is read may be
	// printed (as the faulting instruction's bytes) and a core may name
	// /etc/shadow.
	f, err := safeopen.Regular(underRoot(c.root, path))
	if err == nil {
		var magic [4]byte
		if _, rerr := f.ReadAt(magic[:], 0); rerr != nil || string(magic[:]) != "\x7fELF" {
			f.Close()
			f, err = nil, fmt.Errorf("%s: %w", path, errNotELF)
		}
	}
	c.open[path] = f // nil on error: do not retry a missing file
	return f, err
}

// refuseFile keeps path's bytes out of every later read: the file there
// is not the one the process mapped.
func (c *Core) refuseFile(path string, why error) {
	if c.open == nil {
		c.open = map[string]*os.File{}
	}
	if f := c.open[path]; f != nil {
		f.Close()
	}
	c.open[path] = nil
	if c.refused == nil {
		c.refused = map[string]error{}
	}
	c.refused[path] = why
}

// underRoot is where path, as a process that ran in root saw it, is on
// this machine. Symbolic links are resolved inside root, as the process
// resolved them (an absolute link in a container points into the
// container), with lstat and readlink only, so nothing is opened.
func underRoot(root, path string) string {
	if root == "" || root == "/" {
		return path
	}
	if j, err := securejoin.SecureJoin(root, path); err == nil {
		return j
	}
	return filepath.Join(root, path)
}
