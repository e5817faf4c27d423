package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elfdoctor/elfdoctor/bisect"
)

// TestBisectProgressTerminal: on a terminal the downloads in flight share
// a status line of progress bars, redrawn in place and cleared before each
// plain line.
func TestBisectProgressTerminal(t *testing.T) {
	var buf strings.Builder
	p := &progressLines{w: &buf, tty: true}
	p.download("http://r/releases/8/app", 0, 200)
	p.download("http://r/releases/8/app", 100, 200)
	p.download("http://r/releases/9/app", 50, 200)
	p.event(bisect.Event{Kind: "fetch", Version: "9"})
	p.download("http://r/releases/8/app", 200, 200)
	p.clear()
	want := "downloading: 8/app [          ]   0%" + "\r\033[K" +
		"downloading: 8/app [#####     ]  50%" + "\r\033[K" +
		"downloading: 8/app [#####     ]  50%  9/app [##        ]  25%" + "\r\033[K" +
		"bisect: fetching 9\n" + "downloading: 8/app [#####     ]  50%  9/app [##        ]  25%" + "\r\033[K" +
		"downloading: 9/app [##        ]  25%" + "\r\033[K"
	if got := buf.String(); got != want {
		t.Errorf("terminal output = %q, want %q", got, want)
	}
}

// TestBisectInterrupt cancels the command's context, as Ctrl-C does, while
// its containers sleep: the exit status is 2 and none of this process's
// containers is left.
func TestBisectInterrupt(t *testing.T) {
	const image = "elfdoctor-test/bookworm:1"
	fail := t.Skipf
	if os.Getenv("CI") != "" {
		fail = t.Fatalf
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		fail("gcc not installed: %v", err)
	}
	if err := exec.Command("docker", "image", "inspect", image).Run(); err != nil {
		fail("no engine, or no %s (scripts/install-test-deps makes both): %v", image, err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "sleep.c")
	if err := os.WriteFile(src, []byte("#include <unistd.h>\nint main(void){sleep(60);return 0;}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"1", "2", "3"} {
		if err := os.MkdirAll(filepath.Join(dir, "v", v), 0o755); err != nil {
			t.Fatal(err)
		}
		if b, err := exec.Command("gcc", "-static", "-o", filepath.Join(dir, "v", v, "app"), src).CombinedOutput(); err != nil {
			t.Fatalf("gcc: %v\n%s", err, b)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := Main(ctx, []string{"bisect", "--dir", filepath.Join(dir, "v"), "--image", image, "--all", "--jobs", "3", "--cache-dir", filepath.Join(dir, "cache")}, &stdout, &stderr)
	if code != exitTrouble || !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("Main after cancel = %d, stderr %q; want %d and \"interrupted\"", code, stderr.String(), exitTrouble)
	}
	out, err := exec.Command("docker", "ps", "-a", "--filter", "label="+bisect.Label, "--format", `{{.Label "`+bisect.Label+`"}}`).Output()
	if err != nil {
		t.Fatal(err)
	}
	mine := fmt.Sprintf("%d-", os.Getpid())
	for _, l := range strings.Fields(string(out)) {
		if strings.HasPrefix(l, mine) {
			t.Errorf("container left behind with label %s=%s", bisect.Label, l)
		}
	}
}
