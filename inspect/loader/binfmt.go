package loader

import (
	"bytes"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/elfdoctor/elfdoctor/internal/safeopen"
)

// binfmtDir is where the kernel lists binfmt_misc handlers
// (fs/binfmt_misc.c); a variable so tests can point it elsewhere.
var binfmtDir = "/proc/sys/fs/binfmt_misc"

// binfmtEntry is one registered binfmt_misc handler, as the kernel shows
// it in its file under binfmtDir.
type binfmtEntry struct {
	name        string
	enabled     bool
	interpreter string
	offset      int
	magic, mask []byte
	extension   string
}

// maxBinfmtEntries bounds the handlers read; a system has a few dozen.
const maxBinfmtEntries = 256

// binfmtHandlers reads the enabled handlers, or nil when binfmt_misc is
// not mounted or is disabled as a whole.
func binfmtHandlers() []binfmtEntry {
	if st, err := readSmall(filepath.Join(binfmtDir, "status")); err != nil || strings.TrimSpace(st) != "enabled" {
		return nil
	}
	names, err := os.ReadDir(binfmtDir)
	if err != nil {
		return nil
	}
	var out []binfmtEntry
	for i, d := range names {
		if i == maxBinfmtEntries {
			break
		}
		if d.Name() == "status" || d.Name() == "register" {
			continue
		}
		text, err := readSmall(filepath.Join(binfmtDir, d.Name()))
		if err != nil {
			continue
		}
		e := parseBinfmtEntry(d.Name(), text)
		if e.enabled {
			out = append(out, e)
		}
	}
	return out
}

// parseBinfmtEntry reads one handler's file as fs/binfmt_misc.c writes
// it (entry_status): "enabled", "interpreter PATH", "flags: ...",
// "offset N", "magic HEX", "mask HEX", or "extension .EXT".
func parseBinfmtEntry(name, text string) binfmtEntry {
	e := binfmtEntry{name: name}
	for _, line := range strings.Split(text, "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "enabled":
			e.enabled = true
		case "interpreter":
			e.interpreter = v
		case "offset":
			e.offset, _ = strconv.Atoi(v)
		case "magic":
			e.magic, _ = hex.DecodeString(v)
		case "mask":
			e.mask, _ = hex.DecodeString(v)
		case "extension":
			e.extension = strings.TrimPrefix(v, ".")
		}
	}
	return e
}

// readSmall reads a /proc file (whose size says 0) up to 64 KiB.
func readSmall(p string) (string, error) {
	fh, err := safeopen.Regular(p)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, 64<<10))
	return string(b), err
}

// binfmtMatch replays the kernel's search for a binfmt_misc handler
// (check_file in fs/binfmt_misc.c): the first enabled entry whose magic,
// masked, matches the file's first bytes at its offset, or whose
// extension matches the file name. head is the start of the file
// (BINPRM_BUF_SIZE, 256 bytes, is all the kernel looks at).
func binfmtMatch(entries []binfmtEntry, path string, head []byte) *binfmtEntry {
	for i := range entries {
		e := &entries[i]
		if e.extension != "" {
			if strings.TrimPrefix(filepath.Ext(path), ".") == e.extension {
				return e
			}
			continue
		}
		if len(e.magic) == 0 || e.offset < 0 || e.offset > len(head) || len(e.magic) > len(head)-e.offset {
			continue
		}
		got := bytes.Clone(head[e.offset : e.offset+len(e.magic)])
		if len(e.mask) == len(e.magic) {
			for j := range got {
				got[j] &= e.mask[j]
			}
		}
		if bytes.Equal(got, e.magic) {
			return e
		}
	}
	return nil
}
