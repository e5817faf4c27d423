package fix_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elfdoctor/elfdoctor/fix"
	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// patchelfs are the two patchelf releases NixOS users meet: this
// machine's (Debian bookworm's 0.14.3) and trixie's 0.18.0.
func patchelfs(t *testing.T) map[string][]string { return reality.Patchelfs(t) }

// TestPreflightPatchelfReal tries the NixOS rewrite (a Nix-store
// interpreter and RPATH) with both patchelf releases on the original
// story's kind of binary (Bun 1.2.23, 1.3.14 and 1.4.5 applications, RW segment with
// FileSiz == MemSiz, and the small programs of that layout) and on plain
// gcc and clang/lld programs, keeps each rewritten copy and runs it: the
// preflight must refuse exactly the copies that do not start.
func TestPreflightPatchelfReal(t *testing.T) {
	pes := patchelfs(t)
	type input struct {
		name, path, lib string
		// want pins the verdicts this machine's runs showed, so a case
		// cannot drift into agreeing with a broken prediction unnoticed.
		want map[string]fix.PreflightVerdict
	}
	var inputs []input
	for _, in := range reality.Inputs(t) {
		switch in.Name {
		case "gcc-pie", "clang-lld", "nozerofill-gcc", "nozerofill-lld", "uses-libdemo":
			i := input{name: in.Name, path: in.Path, lib: in.Lib}
			if in.Name == "gcc-pie" {
				i.want = map[string]fix.PreflightVerdict{"patchelf-0.14": fix.VerdictHarmless, "patchelf-0.18": fix.VerdictHarmless}
			}
			inputs = append(inputs, i)
		}
	}
	// Bun's appended era (1.2.23), the story's release (1.3.14) and the
	// 8-byte .bun slot (1.4.5).
	for _, v := range []string{"1.2.23", "1.3.14", "1.4.5"} {
		bun := reality.BunCompiled(t, v, "")
		inputs = append(inputs, input{name: "bun-" + v, path: bun.App,
			want: map[string]fix.PreflightVerdict{"patchelf-0.14": fix.VerdictHarmless, "patchelf-0.18": fix.VerdictBreaks}})
	}
	var mu sync.Mutex
	var seen []string
	t.Cleanup(func() { t.Logf("preflight and reality:\n%s", strings.Join(seen, "\n")) })
	for _, in := range inputs {
		for _, pe := range []string{"patchelf-0.14", "patchelf-0.18"} {
			name := in.name + "/" + pe
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				p := filepath.Join(dir, filepath.Base(in.path))
				copyFile(t, in.path, p)
				if in.lib != "" {
					copyFile(t, in.lib, filepath.Join(dir, filepath.Base(in.lib)))
				}
				before := digest(t, p)
				rw := fix.Rewrite{Interpreter: reality.NixLoader(t, dir), RPath: reality.NixRpath, SetRPath: true}
				res, err := fix.PreflightPatchelf(context.Background(), p, rw, fix.PatchelfOptions{
					Patchelf: pes[pe], Keep: true, TempDir: t.TempDir(), Check: loader.CheckOptions{Getenv: reality.NoEnv}})
				if err != nil {
					t.Fatal(err)
				}
				if digest(t, p) != before {
					t.Fatalf("PreflightPatchelf wrote %s", p)
				}
				if res.Copy == "" {
					t.Fatalf("PreflightPatchelf(Keep) kept no copy: %+v", res)
				}
				real := realRun(t, filepath.Dir(res.Copy), res.Copy)
				mu.Lock()
				seen = append(seen, fmt.Sprintf("%-30s %-15s %-10s really %s", name, res.Version, res.Verdict, real))
				mu.Unlock()
				started := real.Class == damage.Starts && real.Marker
				if res.Refused() == started {
					t.Errorf("PreflightPatchelf(%s) = %s (%s), but the rewritten copy really %s\n%s", name, res.Verdict, res.Reason, real, reality.Describe(res.Check))
				}
				if w, ok := in.want[pe]; ok && res.Verdict != w {
					t.Errorf("PreflightPatchelf(%s) = %s, want %s (this machine's runs)", name, res.Verdict, w)
				}
				if res.Verdict == fix.VerdictBreaks && real.Class == damage.Crash {
					if f := res.Check.Fatal(); f == nil || f.Signal != real.Signal {
						t.Errorf("PreflightPatchelf(%s) predicts %+v, the copy really died of %s", name, f, real.Signal)
					}
					if !res.CausedByRewrite {
						t.Errorf("PreflightPatchelf(%s): a crash the pristine file does not have is blamed elsewhere", name)
					}
				}
				if !strings.HasPrefix(res.Version, "patchelf 0.1") {
					t.Errorf("PreflightPatchelf(%s) version %q", name, res.Version)
				}
				if !strings.HasSuffix(res.Command, " "+p) || !strings.Contains(res.Command, "--set-interpreter") {
					t.Errorf("PreflightPatchelf(%s) command %q does not rewrite %s", name, res.Command, p)
				}
			})
		}
	}
}

// TestPreflightPatchelfQuoting: the printed command is one a shell reads
// back as the argv that ran, whatever the file and the rpath are named.
func TestPreflightPatchelfQuoting(t *testing.T) {
	reality.NeedTools(t, "patchelf", "bash")
	dir := t.TempDir()
	p := filepath.Join(dir, "app;touch pwned $(id)")
	copyFile(t, reality.RepoPath(t, "testdata/bin/gcc-pie"), p)
	rw := fix.Rewrite{RPath: "$ORIGIN/lib:/nix/store/x y", SetRPath: true, ForceRPath: true}
	res, err := fix.PreflightPatchelf(context.Background(), p, rw, fix.PatchelfOptions{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", "-c", `printf '%s\n' `+res.Command).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"), res.Argv; !equal(got, want) {
		t.Errorf("bash reads %q back as %q, want %q", res.Command, got, want)
	}
	if want := []string{"patchelf", "--force-rpath", "--set-rpath", rw.RPath, p}; !equal(res.Argv, want) {
		t.Errorf("argv %q, want %q", res.Argv, want)
	}
	if res.Copy != "" {
		t.Errorf("copy %s kept without Keep", res.Copy)
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Errorf("a word of the command ran")
	}
}

// TestPreflightPatchelfErrors: a missing patchelf and a stuck one are
// errors of the trial (exit 2), a file patchelf refuses is a verdict, and
// nothing is left in the temporary directory.
func TestPreflightPatchelfErrors(t *testing.T) {
	reality.NeedTools(t, "patchelf", "sh")
	gcc := reality.RepoPath(t, "testdata/bin/gcc-pie")
	rw := fix.Rewrite{Interpreter: "/nix/store/x/ld-linux-x86-64.so.2"}
	tmp := t.TempDir()
	ctx := context.Background()

	_, err := fix.PreflightPatchelf(ctx, gcc, rw, fix.PatchelfOptions{Patchelf: []string{filepath.Join(tmp, "no-patchelf")}, TempDir: tmp})
	if !errors.Is(err, fix.ErrNoPatchelf) || !strings.Contains(err.Error(), "apt-get install patchelf") {
		t.Errorf("missing patchelf: err = %v, want ErrNoPatchelf naming how to install it", err)
	}

	start := time.Now()
	_, err = fix.PreflightPatchelf(ctx, gcc, rw, fix.PatchelfOptions{Patchelf: []string{"sh", "-c", "sleep 60", "sh"}, Timeout: 300 * time.Millisecond, TempDir: tmp})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
		t.Errorf("stuck patchelf: err = %v after %s, want the deadline within seconds", err, time.Since(start))
	}

	if _, err := fix.PreflightPatchelf(ctx, gcc, fix.Rewrite{}, fix.PatchelfOptions{TempDir: tmp}); !errors.Is(err, fix.ErrNoRewrite) {
		t.Errorf("empty rewrite: err = %v, want ErrNoRewrite", err)
	}

	script := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := fix.PreflightPatchelf(ctx, script, rw, fix.PatchelfOptions{TempDir: tmp}); !errors.Is(err, inspect.ErrNotELF) {
		t.Errorf("PreflightPatchelf(shell script): err = %v, want ErrNotELF", err)
	}

	// A static program has no PT_INTERP to rewrite: patchelf refuses,
	// and that is the verdict.
	res, err := fix.PreflightPatchelf(ctx, reality.RepoPath(t, "testdata/bin/gcc-static"), rw, fix.PatchelfOptions{TempDir: tmp})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != fix.VerdictPatchelfFails || !res.Refused() || !strings.Contains(res.Reason, "patchelf refuses") {
		t.Errorf("PreflightPatchelf(static program) = %s (%s), want patchelf's refusal", res.Verdict, res.Reason)
	}

	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := exec.Command("mkfifo", fifo).Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := fix.PreflightPatchelf(ctx, fifo, rw, fix.PatchelfOptions{TempDir: tmp}); err == nil {
		t.Errorf("PreflightPatchelf(FIFO) opened it")
	}

	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("left behind in the temporary directory: %v", left)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.WriteFile(dst, reality.MustRead(t, src), 0o755); err != nil {
		t.Fatal(err)
	}
}

func digest(t *testing.T, p string) [32]byte {
	t.Helper()
	return sha256.Sum256(reality.MustRead(t, p))
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal([]byte(a[i]), []byte(b[i])) {
			return false
		}
	}
	return true
}

// TestPreflightPatchelfBlame: a rewrite to an interpreter that is not
// there breaks the file, and the rewrite is to blame; a program whose
// library is missing breaks whether rewritten or not, and the preflight
// refuses without blaming patchelf. Each kept copy is run.
func TestPreflightPatchelfBlame(t *testing.T) {
	reality.NeedTools(t, "patchelf")
	byName := map[string]reality.Input{}
	for _, in := range reality.Inputs(t) {
		byName[in.Name] = in
	}
	cases := []struct {
		name, input string
		rw          func(dir string) fix.Rewrite
		blame       bool
		real        string
	}{
		{"interpreter-gone", "gcc-pie", func(dir string) fix.Rewrite {
			return fix.Rewrite{Interpreter: filepath.Join(dir, "nix/store/0000-glibc-gone/lib/ld-linux-x86-64.so.2")}
		}, true, damage.ExecFails},
		{"library-missing", "uses-libdemo", func(string) fix.Rewrite {
			return fix.Rewrite{RPath: reality.NixRpath, SetRPath: true}
		}, false, damage.LoaderError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in, ok := byName[c.input]
			if !ok {
				t.Fatalf("no input %s", c.input)
			}
			dir := t.TempDir()
			p := filepath.Join(dir, in.Name)
			copyFile(t, in.Path, p)
			res, err := fix.PreflightPatchelf(context.Background(), p, c.rw(dir), fix.PatchelfOptions{
				Keep: true, TempDir: t.TempDir(), Check: loader.CheckOptions{Getenv: reality.NoEnv}})
			if err != nil {
				t.Fatal(err)
			}
			real := realRun(t, filepath.Dir(res.Copy), res.Copy)
			if res.Verdict != fix.VerdictBreaks || res.CausedByRewrite != c.blame || real.Class != c.real {
				t.Errorf("PreflightPatchelf(%s) = %s, caused by the rewrite %v (%s); want breaks, %v; the copy really %s, want %s",
					c.name, res.Verdict, res.CausedByRewrite, res.Reason, c.blame, real, c.real)
			}
			// Without Keep the copy is gone, and the prediction names
			// the file the user would rewrite, as ld.so would.
			gone, err := fix.PreflightPatchelf(context.Background(), p, c.rw(dir), fix.PatchelfOptions{
				TempDir: t.TempDir(), Check: loader.CheckOptions{Getenv: reality.NoEnv}})
			if err != nil {
				t.Fatal(err)
			}
			all := reality.Describe(gone.Check) + gone.Reason + strings.Join(gone.Evidence, "\n")
			if strings.Contains(all, "elfdoctor-patchelf-") || !strings.Contains(all, p) {
				t.Errorf("PreflightPatchelf(%s) without Keep names the removed copy, or not %s:\n%s", c.name, p, all)
			}
		})
	}
}

// TestPreflightPatchelfSymlink: a file named through a symbolic link (a
// launcher's "current version" link) finds its $ORIGIN libraries where
// the link leads, as ld.so does, and the preflight agrees with the run.
func TestPreflightPatchelfSymlink(t *testing.T) {
	reality.NeedTools(t, "patchelf")
	var in reality.Input
	for _, i := range reality.Inputs(t) {
		if i.Name == "uses-libdemo" {
			in = i
		}
	}
	if in.Path == "" {
		t.Fatal("no uses-libdemo input")
	}
	dir := t.TempDir()
	versions := filepath.Join(dir, "versions")
	if err := os.Mkdir(versions, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, in.Path, filepath.Join(versions, "2.1.143"))
	copyFile(t, in.Lib, filepath.Join(versions, filepath.Base(in.Lib)))
	link := filepath.Join(dir, "current")
	if err := os.Symlink("versions/2.1.143", link); err != nil {
		t.Fatal(err)
	}
	res, err := fix.PreflightPatchelf(context.Background(), link, fix.Rewrite{RPath: "$ORIGIN", SetRPath: true},
		fix.PatchelfOptions{Keep: true, TempDir: t.TempDir(), Check: loader.CheckOptions{Getenv: reality.NoEnv}})
	if err != nil {
		t.Fatal(err)
	}
	real := realRun(t, filepath.Dir(res.Copy), res.Copy)
	if res.Verdict != fix.VerdictHarmless || !real.Marker {
		t.Errorf("PreflightPatchelf(link to a program with its library beside it) = %s (%s); the copy really %s\n%s", res.Verdict, res.Reason, real, reality.Describe(res.Check))
	}
}

// TestPreflightPatchelfNoRoom: a $TMPDIR too small for the copy is
// refused before anything is written to it (a real 4 MiB tmpfs).
func TestPreflightPatchelfNoRoom(t *testing.T) {
	reality.NeedTools(t, "patchelf", "mount", "umount")
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("mounting a small tmpfs needs root")
		}
		t.Skip("mounting a small tmpfs needs root")
	}
	small := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", small).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", small).Run() })
	big := filepath.Join(t.TempDir(), "big")
	b := append(reality.MustRead(t, reality.RepoPath(t, "testdata/bin/gcc-pie")), make([]byte, 32<<20)...)
	if err := os.WriteFile(big, b, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := fix.PreflightPatchelf(context.Background(), big, fix.Rewrite{Interpreter: "/nix/store/x/ld.so"}, fix.PatchelfOptions{TempDir: small})
	if err == nil || !strings.Contains(err.Error(), "TMPDIR") {
		t.Errorf("PreflightPatchelf into a 4 MiB TMPDIR: err = %v, want a refusal naming TMPDIR", err)
	}
	if left, _ := os.ReadDir(small); len(left) != 0 {
		t.Errorf("left in the small TMPDIR: %v", left)
	}
}
