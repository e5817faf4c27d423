package fix

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// FuzzSelfExe feeds mutated files through the runtime reading
// SelfExeSensitive does. Seeds: the small committed binaries, and gcc-pie
// with a Bun trailer and a PyInstaller cookie appended, so that both
// payload-in-file readers are reached.
func FuzzSelfExe(f *testing.F) {
	paths, err := filepath.Glob("../testdata/bin/*")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	gcc, err := os.ReadFile("../testdata/bin/gcc-pie")
	if err != nil {
		f.Fatal(err)
	}
	bun := append(append([]byte{}, gcc...), make([]byte, 4096)...)
	bun = append(bun, "\n---- Bun! ----\n"...)
	bun = binary.LittleEndian.AppendUint64(bun, uint64(len(bun)+8))
	f.Add(bun)
	py := append(append([]byte{}, gcc...), make([]byte, 4096)...)
	cookie := make([]byte, 88)
	copy(cookie, "MEI\014\013\012\013\016")
	binary.BigEndian.PutUint32(cookie[8:], 4096+88)
	binary.BigEndian.PutUint32(cookie[20:], 311)
	copy(cookie[24:], "libpython3.11.so.1.0")
	f.Add(append(py, cookie...))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := inspect.NewFile(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		defer file.Close()
		fp := inspect.Identify(file)
		for _, p := range fp.Problems {
			if p.Code == inspect.CodeInternalError {
				t.Fatalf("internal error: %s", p.Message)
			}
		}
		s := selfExe(file, fp)
		switch s.Risk {
		case SelfExeNone, SelfExeIdentity, SelfExeBreaks:
		default:
			t.Fatalf("risk %q", s.Risk)
		}
		if s.Reason == "" || s.RefusesWrapper() != (s.Risk == SelfExeBreaks) {
			t.Fatalf("sensitivity %+v", s)
		}
	})
}
