package report

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// sizeHex finds a size written in hex: "size 0x3e90", "FileSiz 0x4e8".
var sizeHex = regexp.MustCompile(`(?i)\b(size|filesiz|memsiz|zero-fill)\b:? +(0x[0-9a-f]+)(.{0,3})`)

// TestSizesAreHuman: every size the reports print in hex has its human
// form beside it ("0x3e90 (15.6 KiB)"), in every golden of every format.
func TestSizesAreHuman(t *testing.T) {
	files, err := filepath.Glob("../testdata/golden/*/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no goldens: %v", err)
	}
	seen := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range sizeHex.FindAllStringSubmatch(string(b), -1) {
			seen++
			after := strings.TrimLeft(m[3], "` ")
			if !strings.HasPrefix(after, "(") && !strings.HasPrefix(after, ",") {
				t.Errorf("%s: %q has no human size beside it", filepath.Base(f), m[0])
			}
		}
	}
	if seen < 20 {
		t.Fatalf("only %d sizes found in the goldens: the pattern no longer matches how they are written", seen)
	}
}
