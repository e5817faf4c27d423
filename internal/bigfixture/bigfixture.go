// Package bigfixture builds, once per machine, the two ~200 MB executables
// the memory tests and benchmarks read: files of that size are the normal
// case for elfdoctor and too big to commit.
package bigfixture

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Payload is the size of the initialised data in the big fixtures, the
// common case for single-file runtimes (Bun's payload lives in its RW
// segment, FileSiz == MemSiz, about 124 MiB in the original report).
const Payload = 200 << 20

var bigOnce struct {
	sync.Once
	dir string
	err error
}

// Paths builds, once per machine, two real ~200 MB executables with
// gcc and as: "ondisk" has the payload in .data (no zero-fill), "zerofill"
// has it in .bss (MemSiz ≫ FileSiz). They are cached outside the
// repository because they are too big to commit and take seconds to make.
func Paths(tb testing.TB) (ondisk, zerofill string) {
	tb.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("gcc not installed: %v", err)
		}
		tb.Skipf("gcc not installed: %v", err)
	}
	bigOnce.Do(func() {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		dir := filepath.Join(cache, "elfdoctor", "big-v1")
		bigOnce.dir = dir
		if _, err := os.Stat(filepath.Join(dir, "zerofill")); err == nil {
			return
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			bigOnce.err = err
			return
		}
		main := "#include <stdio.h>\nextern char payload[];\nint main(void) { printf(\"%d\\n\", payload[0]); return 0; }\n"
		srcs := map[string]string{
			"main.c":     main,
			"ondisk.s":   ".section .data\n.globl payload\npayload:\n.fill 209715200,1,0x5a\n.section .note.GNU-stack,\"\",@progbits\n",
			"zerofill.s": ".section .bss\n.globl payload\npayload:\n.skip 209715200\n.section .note.GNU-stack,\"\",@progbits\n",
		}
		for name, text := range srcs {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				bigOnce.err = err
				return
			}
		}
		for _, v := range []string{"ondisk", "zerofill"} {
			tmp := filepath.Join(dir, v+".tmp")
			cmd := exec.Command("gcc", "-O1", "-o", tmp, "main.c", v+".s")
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				bigOnce.err = fmt.Errorf("gcc %s in %s: %v\n%s", v, dir, err, out)
				return
			}
			// Rename last: a half-built cache entry is never used.
			if err := os.Rename(tmp, filepath.Join(dir, v)); err != nil {
				bigOnce.err = err
				return
			}
		}
	})
	if bigOnce.err != nil {
		tb.Fatal(bigOnce.err)
	}
	return filepath.Join(bigOnce.dir, "ondisk"), filepath.Join(bigOnce.dir, "zerofill")
}
