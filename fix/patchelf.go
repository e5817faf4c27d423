package fix

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/safeopen"
	"github.com/elfdoctor/elfdoctor/internal/shellquote"
)

// ErrNoPatchelf is returned, wrapped with what was looked for, when the
// patchelf to run is not installed: a usage error (exit 2), not a
// finding about the file.
var ErrNoPatchelf = errors.New("patchelf not found; install it (apt-get install patchelf on Debian and Ubuntu, nix-shell -p patchelf with Nix)")

// ErrNoRewrite is returned when a Rewrite asks for nothing.
var ErrNoRewrite = errors.New("no rewrite requested: give an interpreter or an rpath")

// Rewrite is the change a user asks patchelf to make, as NixOS users
// make it to vendor binaries.
type Rewrite struct {
	// Interpreter is --set-interpreter's path; empty keeps PT_INTERP.
	Interpreter string
	// RPath is --set-rpath's colon-separated list, applied when SetRPath
	// is true (an empty RPath then empties it).
	RPath    string
	SetRPath bool
	// ForceRPath (--force-rpath) writes DT_RPATH instead of DT_RUNPATH:
	// searched before LD_LIBRARY_PATH and for the libraries' own needs.
	ForceRPath bool
}

// Args are patchelf's options for the rewrite, without the file.
func (r Rewrite) Args() []string {
	var a []string
	if r.Interpreter != "" {
		a = append(a, "--set-interpreter", r.Interpreter)
	}
	if r.SetRPath {
		if r.ForceRPath {
			a = append(a, "--force-rpath")
		}
		a = append(a, "--set-rpath", r.RPath)
	}
	return a
}

// PatchelfOptions say which patchelf runs and what the copy is checked
// against.
type PatchelfOptions struct {
	// Patchelf is the command that runs patchelf: its name or path, or a
	// longer prefix (a loader and --library-path before the binary).
	// Empty means "patchelf" from PATH.
	Patchelf []string
	// Timeout bounds each patchelf run; zero means DefaultPatchelfTimeout.
	Timeout time.Duration
	// TempDir is where the copy's directory is made; empty means
	// os.TempDir().
	TempDir string
	// Keep keeps the rewritten copy; otherwise it is removed before
	// PreflightPatchelf returns.
	Keep bool
	// Check is the environment of the target system: its root, the
	// library path, NIX_LD.
	Check loader.CheckOptions
}

// DefaultPatchelfTimeout is how long patchelf may take on the copy:
// about a second is usual for a 200 MB binary, and a patchelf still
// running after this is stuck.
const DefaultPatchelfTimeout = 2 * time.Minute

// PreflightVerdict is what the rewrite would do.
type PreflightVerdict string

const (
	// VerdictHarmless: the rewritten copy is predicted to start.
	VerdictHarmless PreflightVerdict = "harmless"
	// VerdictBreaks: the rewritten copy is predicted not to start (a
	// crash in ld.so, a loader error, a lost payload).
	VerdictBreaks PreflightVerdict = "breaks"
	// VerdictPatchelfFails: patchelf itself refused to rewrite the file.
	VerdictPatchelfFails PreflightVerdict = "patchelf-fails"
)

// PatchelfPreflight is the result of trying a patchelf rewrite on a copy.
type PatchelfPreflight struct {
	// Command is the exact patchelf command for the file, every word
	// quoted: what the user asked to run, and what ran on the copy with
	// the copy's path instead.
	Command string   `json:"command"`
	Argv    []string `json:"argv"`
	// Version is what `patchelf --version` printed.
	Version string           `json:"patchelf_version,omitempty"`
	Verdict PreflightVerdict `json:"verdict"`
	// Reason says the verdict in plain words.
	Reason   string   `json:"reason"`
	Evidence []string `json:"evidence,omitempty"`
	// CausedByRewrite is false when the pristine file is predicted to
	// fail the same way on the same system: refusing is still right,
	// but patchelf is not what breaks it.
	CausedByRewrite bool `json:"caused_by_rewrite"`
	// Copy is the rewritten copy, when kept; empty when it was removed.
	Copy string `json:"copy,omitempty"`
	// Check is check's prediction for the rewritten copy, Pristine for
	// the file itself, with the same options.
	Check    *loader.CheckResult `json:"check,omitempty"`
	Pristine *loader.CheckResult `json:"pristine,omitempty"`
}

// Refused reports whether the rewrite must not be applied to the file.
func (p *PatchelfPreflight) Refused() bool { return p.Verdict != VerdictHarmless }

// maxMirror bounds how many neighbours of the file are linked beside
// the copy.
const maxMirror = 4096

// PreflightPatchelf applies rw with patchelf to a copy of path in a
// temporary directory and predicts, with check, whether the rewritten
// file would start: what `patchelf ... FILE` would do, learnt without
// writing FILE and without running it or the copy. Errors are for what
// stops the trial itself (path unreadable, patchelf missing or stuck).
func PreflightPatchelf(ctx context.Context, path string, rw Rewrite, opts PatchelfOptions) (*PatchelfPreflight, error) {
	args := rw.Args()
	if len(args) == 0 {
		return nil, ErrNoRewrite
	}
	pe := opts.Patchelf
	if len(pe) == 0 {
		pe = []string{"patchelf"}
	}
	if _, err := exec.LookPath(pe[0]); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNoPatchelf, pe[0], err)
	}
	// FILE is read before anything runs: what is not a regular ELF file
	// is a usage error, not a verdict.
	f, err := inspect.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.Close()
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultPatchelfTimeout
	}
	argv := append(append(append([]string{}, pe...), args...), path)
	res := &PatchelfPreflight{Argv: argv, Command: shellquote.Command(argv...)}

	version, err := runPatchelf(ctx, timeout, append(append([]string{}, pe...), "--version"))
	if err != nil {
		return nil, fmt.Errorf("%s --version: %w", shellquote.Command(pe...), err)
	}
	res.Version = strings.TrimSpace(version)

	dir, err := os.MkdirTemp(opts.TempDir, "elfdoctor-patchelf-")
	if err != nil {
		return nil, fmt.Errorf("temporary directory for the copy: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			os.RemoveAll(dir)
		}
	}()
	cp := filepath.Join(dir, filepath.Base(path))
	if err := roomFor(path, dir); err != nil {
		return nil, err
	}
	if err := copyRegular(path, cp); err != nil {
		return nil, err
	}
	origin, notes := mirror(path, dir)
	res.Evidence = append(res.Evidence, notes...)

	out, err := runPatchelf(ctx, timeout, append(append(append([]string{}, pe...), args...), cp))
	var pf *patchelfFailed
	switch {
	case errors.As(err, &pf):
		res.Verdict = VerdictPatchelfFails
		res.CausedByRewrite = true
		res.Reason = fmt.Sprintf("patchelf refuses to rewrite %s: %s", path, pf.msg)
		res.Evidence = append(res.Evidence, fmt.Sprintf("%s exited %d on the copy", res.Version, pf.code))
		return res, nil
	case err != nil:
		return nil, fmt.Errorf("%s on a copy of %s: %w", shellquote.Command(pe...), path, err)
	}
	if s := strings.TrimSpace(out); s != "" {
		res.Evidence = append(res.Evidence, "patchelf said: "+s)
	}

	if res.Check, err = loader.Check(cp, opts.Check); err != nil {
		return nil, fmt.Errorf("checking the rewritten copy of %s: %w", path, err)
	}
	if res.Pristine, err = loader.Check(path, opts.Check); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	judge(res, path)
	if opts.Keep {
		keep, res.Copy = true, cp
	} else {
		// The copy is gone: name the file the user would rewrite, and
		// its directory for $ORIGIN, as ld.so would after the rewrite
		// in place.
		r := strings.NewReplacer(cp, path, dir+string(filepath.Separator), origin+string(filepath.Separator))
		renameObject(res.Check, r)
		res.Evidence = renamed(res.Evidence, r)
		res.Reason = r.Replace(res.Reason)
	}
	return res, nil
}

// renameObject puts the file's names for the copy's in a prediction.
func renameObject(c *loader.CheckResult, r *strings.Replacer) {
	c.Path = r.Replace(c.Path)
	c.Headline = r.Replace(c.Headline)
	for i := range c.Findings {
		f := &c.Findings[i]
		f.Object, f.Summary, f.Message, f.Next = r.Replace(f.Object), r.Replace(f.Summary), r.Replace(f.Message), r.Replace(f.Next)
		f.Evidence = renamed(f.Evidence, r)
	}
	for i := range c.Objects {
		c.Objects[i].Name, c.Objects[i].Path = r.Replace(c.Objects[i].Name), r.Replace(c.Objects[i].Path)
	}
	c.Trace = renamed(c.Trace, r)
}

func renamed(ss []string, r *strings.Replacer) []string {
	for i, s := range ss {
		ss[i] = r.Replace(s)
	}
	return ss
}

// judge sets the verdict from the copy's prediction and the pristine
// file's.
func judge(res *PatchelfPreflight, path string) {
	c := res.Check
	if c.Outcome == loader.OutcomeStarts {
		res.Verdict = VerdictHarmless
		res.Reason = fmt.Sprintf("the rewritten copy is predicted to start: %s", c.Headline)
		for _, f := range c.Findings {
			if f.Severity == loader.SeverityWarning {
				res.Evidence = append(res.Evidence, "warning: "+f.Summary)
			}
		}
		return
	}
	res.Verdict = VerdictBreaks
	fatal := c.Fatal()
	what := string(c.Outcome)
	if fatal != nil {
		switch {
		case fatal.Signal != "":
			what = fatal.Signal + " in the " + string(fatal.Stage) + " stage"
		case fatal.Message != "":
			what = fmt.Sprintf("%q", fatal.Message)
		}
	}
	res.Reason = fmt.Sprintf("the rewrite would leave %s unable to start (%s): %s", path, what, c.Headline)
	if c.Outcome == loader.OutcomeUndetermined {
		// Damaged all the same, but whether it starts is not known.
		res.Reason = fmt.Sprintf("the rewrite would leave %s damaged where ld.so reads memory check cannot know, so it may start or not: %s", path, c.Headline)
	}
	res.CausedByRewrite = true
	if pf := res.Pristine.Fatal(); pf != nil && fatal != nil && pf.Code == fatal.Code && res.Pristine.Outcome == c.Outcome {
		res.CausedByRewrite = false
		res.Evidence = append(res.Evidence, fmt.Sprintf("the pristine file is predicted to fail the same way here (%s): patchelf is not what breaks it", pf.Code))
	}
	if fatal != nil {
		res.Evidence = append(res.Evidence, fatal.Evidence...)
	}
}

// patchelfFailed is patchelf exiting non-zero: its refusal is a finding
// about the file, not an error of the trial.
type patchelfFailed struct {
	code int
	msg  string
}

func (e *patchelfFailed) Error() string { return fmt.Sprintf("exit status %d: %s", e.code, e.msg) }

// runPatchelf runs argv with a time limit and returns its output.
func runPatchelf(ctx context.Context, timeout time.Duration, argv []string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.WaitDelay = time.Second
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", fmt.Errorf("still running after %s, stopped: %w", timeout, ctx.Err())
		}
		return "", ctx.Err()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = strings.TrimSpace(out.String())
		}
		return "", &patchelfFailed{code: ee.ExitCode(), msg: msg}
	}
	if err != nil {
		return "", err
	}
	return out.String() + stderr.String(), nil
}

// roomFor refuses a copy the temporary directory's file system has no
// room for, before writing anything. patchelf rewrites the copy in
// place, growing it by a few pages; 16 MiB covers that.
func roomFor(path, dir string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return fmt.Errorf("free space in %s: %w", dir, err)
	}
	free := uint64(fs.Bavail) * uint64(fs.Bsize)
	if need := uint64(st.Size()) + 16<<20; free < need {
		return fmt.Errorf("%s has %d MiB free, and the copy of %s needs %d MiB: set TMPDIR to a larger file system", dir, free>>20, path, need>>20)
	}
	return nil
}

// copyRegular copies the regular file src to a new file dst, executable
// as the original is. Go's io.Copy between files uses copy_file_range,
// which shares extents where the file system can.
func copyRegular(src, dst string) error {
	in, err := safeopen.Regular(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, st.Mode().Perm()|0o700)
	if err != nil {
		return fmt.Errorf("copy of %s: %w", src, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy of %s to %s: %w", src, dst, err)
	}
	return out.Close()
}

// mirror links the file's neighbours into the copy's directory, so that
// $ORIGIN in the copy's search paths finds what it finds beside the
// original (ld.so takes the main program's $ORIGIN from /proc/self/exe,
// that is, from where the copy is). It returns the original's directory,
// where the links lead, and evidence for what it could not mirror.
func mirror(path, dir string) (string, []string) {
	// ld.so's $ORIGIN is where the symbolic links lead, as the kernel
	// resolved them for /proc/self/exe.
	real, err := filepath.Abs(path)
	if err == nil {
		real, err = filepath.EvalSymlinks(real)
	}
	if err != nil {
		return filepath.Dir(path), []string{"$ORIGIN is the copy's directory, not " + filepath.Dir(path) + "'s: " + err.Error()}
	}
	src := filepath.Dir(real)
	d, err := os.Open(src)
	if err != nil {
		return src, []string{"$ORIGIN is the copy's directory; the original's could not be listed: " + err.Error()}
	}
	defer d.Close()
	names, err := d.Readdirnames(maxMirror + 1)
	if err != nil && err != io.EOF {
		return src, []string{"$ORIGIN is the copy's directory; the original's could not be listed: " + err.Error()}
	}
	if len(names) > maxMirror {
		return src, []string{fmt.Sprintf("%s holds more than %d entries, which were not linked beside the copy: a library found through $ORIGIN beside the original is not found for the copy", src, maxMirror)}
	}
	base := filepath.Base(real)
	for _, n := range names {
		if n == base || n == filepath.Base(path) {
			continue // the copy's own name, under either
		}
		if err := os.Symlink(filepath.Join(src, n), filepath.Join(dir, n)); err != nil {
			return src, []string{fmt.Sprintf("linking %s beside the copy: %v", n, err)}
		}
	}
	return src, nil
}
