package cli

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/elfdoctor/elfdoctor/bisect"
)

// cmdTLSServe DIR serves DIR over https on 127.0.0.1 until the script
// ends, sets URL to its address and SSL_CERT_FILE to its certificate,
// which elfdoctor, like any Go program, then trusts: the --url tests run
// against TLS, as users' releases are served.
func cmdTLSServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: tlsserve DIR")
	}
	srv := httptest.NewTLSServer(http.FileServer(http.Dir(ts.MkAbs(args[0]))))
	ts.Defer(srv.Close)
	cert := ts.MkAbs("tls-cert.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		ts.Fatalf("%v", err)
	}
	ts.Setenv("URL", srv.URL)
	ts.Setenv("SSL_CERT_FILE", cert)
}

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

// ownedContainers lists the containers whose owner label names pid.
func ownedContainers(t *testing.T, pid int) []string {
	t.Helper()
	out, err := exec.Command("docker", "ps", "-a", "--filter", "label="+bisect.LabelOwner, "--format", `{{.Names}} {{.Label "`+bisect.LabelOwner+`"}}`).Output()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range strings.Split(string(out), "\n") {
		if name, owner, ok := strings.Cut(l, " "); ok && strings.Contains(owner, fmt.Sprintf("/%d/", pid)) {
			names = append(names, name)
		}
	}
	return names
}

// TestBisectSignals runs elfdoctor as its own process: SIGTERM and SIGHUP
// clean up like Ctrl-C, and the containers of a bisection killed with
// SIGKILL are removed by the next one.
func TestBisectSignals(t *testing.T) {
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
	for _, p := range []struct{ name, src string }{
		{"slow", "#include <unistd.h>\nint main(void){sleep(60);return 0;}\n"},
		{"quick", "int main(void){return 0;}\n"},
	} {
		src := filepath.Join(dir, p.name+".c")
		if err := os.WriteFile(src, []byte(p.src), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{"1", "2", "3"} {
			out := filepath.Join(dir, p.name, v, "app")
			os.MkdirAll(filepath.Dir(out), 0o755)
			if b, err := exec.Command("gcc", "-static", "-o", out, src).CombinedOutput(); err != nil {
				t.Fatalf("gcc: %v\n%s", err, b)
			}
		}
	}
	// The test binary is elfdoctor when called so (TestMain).
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	elfdoctor := filepath.Join(dir, "elfdoctor")
	if err := os.Symlink(exe, elfdoctor); err != nil {
		t.Fatal(err)
	}
	bisectCmd := func(versions string) (*exec.Cmd, *bytes.Buffer) {
		var stderr bytes.Buffer
		c := exec.Command(elfdoctor, "bisect", "--dir", filepath.Join(dir, versions), "--image", image, "--all", "--jobs", "3", "--cache-dir", filepath.Join(dir, "cache"))
		c.Stderr = &stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		return c, &stderr
	}
	running := func(c *exec.Cmd) []string {
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if names := ownedContainers(t, c.Process.Pid); len(names) > 0 {
				time.Sleep(time.Second) // let the others start too
				return ownedContainers(t, c.Process.Pid)
			}
		}
		t.Fatal("no container started within 60 s")
		return nil
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			c, stderr := bisectCmd("slow")
			defer c.Process.Kill()
			running(c)
			start := time.Now()
			c.Process.Signal(sig)
			err := c.Wait()
			d := time.Since(start)
			if c.ProcessState.ExitCode() != exitTrouble || !strings.Contains(stderr.String(), "interrupted") {
				t.Errorf("after %v: %v, stderr %q; want exit %d and \"interrupted\"", sig, err, stderr.String(), exitTrouble)
			}
			if d > 30*time.Second {
				t.Errorf("cleaning up took %v", d)
			}
			if left := ownedContainers(t, c.Process.Pid); len(left) > 0 {
				t.Errorf("containers left after %v: %v", sig, left)
			}
		})
	}
	t.Run("SIGKILL, then the next run", func(t *testing.T) {
		c, _ := bisectCmd("slow")
		names := running(c)
		c.Process.Kill()
		c.Wait()
		if left := ownedContainers(t, c.Process.Pid); len(left) == 0 {
			t.Fatalf("a killed bisection left no container (had %v): nothing to test", names)
		}
		next, stderr := bisectCmd("quick")
		next.Wait()
		if left := ownedContainers(t, c.Process.Pid); len(left) > 0 {
			t.Errorf("the next bisection left the killed one's containers: %v; stderr %q", left, stderr.String())
		}
		// Another bisection on this engine may have removed them first;
		// what matters is that they are gone.
		t.Logf("next bisection: %s", stderr.String())
	})
}
