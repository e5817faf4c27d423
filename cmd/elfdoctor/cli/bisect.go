package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/elfdoctor/elfdoctor/bisect"
	"github.com/elfdoctor/elfdoctor/report"
)

type bisectOpts struct {
	url, npm, dir          string
	versions               []string
	versionsFile, from, to string
	images                 []string
	runner                 string
	all, offline           bool
	jobs                   int
	local, localVersion    string
	cacheDir, results      string
	timeout                time.Duration
	memoryMiB, pids        int64
	mounts                 []string
	goodExit               []int
	badOutput, goodOutput  string
	name                   string
	quiet, alsoHost        bool
	insecure, verify       bool
	sha256                 []string
	checksums, checksumKey string
	maxSizeMiB             int64
	cpus                   float64
	fileSizeMiB, tmpMiB    int64
}

func newBisectCmd(g *globalOpts) *cobra.Command {
	var o bisectOpts
	cmd := &cobra.Command{
		Use:   "bisect (--url TEMPLATE | --npm PACKAGE[:PATH] | --dir DIR) [flags] [-- ARGS...]",
		Short: "Find the first release that fails, in clean images, beside your local copy",
		Long: `Bisect runs a vendor's pristine release binaries, version by version, in clean
Docker images (or on this host), and your local copy beside them, to say
whether a crash is local damage, an upstream regression (the first bad
version, and in which images), specific to an environment, or inconclusive.

Releases come from a URL template ({version} is replaced), an npm package
(the registry npm is configured with; sha512 integrity verified), or a
directory with one entry per version. A URL template must be https
(--insecure allows http); its releases are checked against --sha256 or a
checksum manifest (--checksums: a SHA256SUMS file or a JSON manifest with
a sha256 per platform), and without either the verdict says they were not
verified. Every download and every file taken from a tarball is capped
(--max-size, or npm's unpackedSize), and a server that sends nothing for
20 seconds fails the download. Downloads are cached, by content, under the
XDG cache directory, and checked whenever they are used (--verify re-hashes
them); --offline uses only the cache.

For each image, the oldest and newest versions run first, then a binary
search finds the first bad one; --all runs every version. A run is bad when
it is killed by a signal, times out, is refused by the loader or the
kernel, or exits with a status not in --good-exit; --bad-output and
--good-output add a regular expression on its output. Arguments after --
are passed to every run.

Each Docker run mounts the binary read-only at /elfdoctor/NAME and runs it
as nobody (or as the file's owner, when that is not root), with no
capabilities, no-new-privileges, a read-only root file system and a small
tmpfs at /tmp, no network, and memory, pid, CPU, file-size and time
limits; the container is removed afterwards, also on Ctrl-C, SIGTERM and
SIGHUP, and containers left by bisections that were killed are removed at
the next run. --runner host runs binaries directly on this machine, as
you, isolated by nothing but a time limit (processes that escape with
setsid are killed with the run); --also-host adds this machine, so run,
as one more column beside the images.

Exit status: 1 when any run failed, 0 when none did, 2 on usage or I/O errors or when no engine answers.`,
		Example: `  elfdoctor bisect --npm @vendor/cli-linux-x64 --image debian:12 --image ubuntu:20.04 -- --version
  elfdoctor bisect --url 'https://example.com/releases/{version}/linux-x64/app' --versions 1.0.1,1.0.2,1.0.3 \
      --image debian:12 --local ~/.local/bin/app --local-version 1.0.3
  elfdoctor bisect --dir ~/.local/share/app/versions --runner host --all`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if n := cmd.ArgsLenAtDash(); n > 0 || (n < 0 && len(args) > 0) {
				return usageError(cmd, fmt.Errorf("unexpected argument %q; arguments for the binary go after --", args[0]))
			}
			return runBisect(cmd, g, &o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.url, "url", "", "release URL `TEMPLATE` with {version}")
	f.StringVar(&o.npm, "npm", "", "npm `PACKAGE[:PATH]` that ships the binary (PATH: the file in the tarball; default: its one ELF executable)")
	f.StringVar(&o.dir, "dir", "", "`DIR` with one file or directory per version")
	f.StringSliceVar(&o.versions, "versions", nil, "the `VERSIONS` to consider, comma-separated")
	f.StringVar(&o.versionsFile, "versions-file", "", "read versions from `FILE`, one a line")
	f.StringVar(&o.from, "from", "", "oldest `VERSION` to consider")
	f.StringVar(&o.to, "to", "", "newest `VERSION` to consider")
	f.StringArrayVar(&o.images, "image", nil, "Docker `IMAGE` to run in (repeatable)")
	f.StringVar(&o.runner, "runner", "docker", "where binaries run (`RUNNER`: docker, or host, which isolates nothing)")
	f.BoolVar(&o.all, "all", false, "run every version instead of searching")
	f.IntVar(&o.jobs, "jobs", 2, "runs at once (`N`)")
	f.StringVar(&o.local, "local", "", "your own copy (`FILE`), run beside the pristine releases")
	f.StringVar(&o.localVersion, "local-version", "", "the release `VERSION` the local copy is (default: a version named by its file or directory)")
	f.BoolVar(&o.offline, "offline", false, "use only the download cache")
	f.StringVar(&o.cacheDir, "cache-dir", "", "download cache `DIR` (default: $XDG_CACHE_HOME/elfdoctor/bisect)")
	f.StringVar(&o.results, "results", "", "results `FILE` (JSON): runs in it are not repeated, new ones are added")
	f.Var(newSecondsValue(&o.timeout, bisect.DefaultTimeout), "timeout", "time limit of one run (`DURATION`: 30s, 2m; a plain number is seconds)")
	f.Int64Var(&o.memoryMiB, "memory", 512, "memory limit of one container, in `MiB`")
	f.Int64Var(&o.pids, "pids", 256, "at most `N` processes in one container")
	f.StringArrayVar(&o.mounts, "mount", nil, "extra read-only bind mount `SRC:DST` (repeatable)")
	f.IntSliceVar(&o.goodExit, "good-exit", []int{0}, "exit `STATUSES` that count as good")
	f.StringVar(&o.badOutput, "bad-output", "", "a run whose output matches `REGEX` is bad")
	f.StringVar(&o.goodOutput, "good-output", "", "a run whose output does not match `REGEX` is bad")
	f.BoolVar(&o.insecure, "insecure", false, "allow plain http for --url and --checksums")
	f.StringArrayVar(&o.sha256, "sha256", nil, "the sha256 of a release, `[VERSION=]HEX` (repeatable; without VERSION: of every release)")
	f.StringVar(&o.checksums, "checksums", "", "checksum manifest URL `TEMPLATE` with {version}: SHA256SUMS, or JSON with a sha256 per platform")
	f.StringVar(&o.checksumKey, "checksum-name", "", "the manifest entry to use: a file `NAME` or platform (default: the release's file name)")
	f.Int64Var(&o.maxSizeMiB, "max-size", bisect.DefaultMaxSize>>20, "largest download or file taken from a tarball, in `MiB`")
	f.BoolVar(&o.verify, "verify", false, "re-hash every cached file when it is used")
	f.Float64Var(&o.cpus, "cpus", bisect.DefaultCPUs, "CPU quota of one container, `N` CPUs")
	f.Int64Var(&o.fileSizeMiB, "file-size", bisect.DefaultFileSize>>20, "largest file a container may write, in `MiB`")
	f.Int64Var(&o.tmpMiB, "tmp-size", bisect.DefaultTmpSize>>20, "size of the tmpfs at /tmp of one container, in `MiB`")
	f.StringVar(&o.name, "name", "app", "the file `NAME` the binary has inside the container")
	f.BoolVar(&o.alsoHost, "also-host", false, "with Docker, also run everything on this machine, unisolated, as a column named host")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress lines on stderr")
	return cmd
}

func runBisect(cmd *cobra.Command, g *globalOpts, o *bisectOpts, args []string) error {
	// SIGTERM (systemd, a CI job's timeout) and SIGHUP (a closed
	// terminal) clean up like Ctrl-C: containers removed, downloads cut.
	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	nsrc := 0
	for _, s := range []string{o.url, o.npm, o.dir} {
		if s != "" {
			nsrc++
		}
	}
	if nsrc != 1 {
		return usageError(cmd, errors.New("give exactly one of --url, --npm and --dir"))
	}
	crit := bisect.Criteria{GoodExit: o.goodExit}
	for _, re := range []struct {
		flag, expr string
		dst        **regexp.Regexp
	}{{"--bad-output", o.badOutput, &crit.BadOutput}, {"--good-output", o.goodOutput, &crit.GoodOutput}} {
		if re.expr == "" {
			continue
		}
		r, err := regexp.Compile(re.expr)
		if err != nil {
			return usageError(cmd, fmt.Errorf("%s: %v", re.flag, err))
		}
		*re.dst = r
	}
	var mounts []bisect.Mount
	for _, m := range o.mounts {
		src, dst, ok := strings.Cut(m, ":")
		if !ok || !filepath.IsAbs(dst) {
			return usageError(cmd, fmt.Errorf("--mount %q: want SRC:DST with an absolute DST", m))
		}
		abs, err := filepath.Abs(src)
		if err != nil {
			return &exitError{code: exitTrouble, msg: "--mount: " + err.Error()}
		}
		mounts = append(mounts, bisect.Mount{Source: abs, Target: dst})
	}
	versions := o.versions
	if o.versionsFile != "" {
		b, err := os.ReadFile(o.versionsFile)
		if err != nil {
			return &exitError{code: exitTrouble, msg: "--versions-file: " + err.Error()}
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				versions = append(versions, l)
			}
		}
	}

	cacheDir := o.cacheDir
	if cacheDir == "" {
		if x := g.getenv("XDG_CACHE_HOME"); x != "" {
			cacheDir = filepath.Join(x, "elfdoctor", "bisect")
		} else {
			d, err := bisect.DefaultCacheDir()
			if err != nil {
				return &exitError{code: exitTrouble, msg: err.Error()}
			}
			cacheDir = d
		}
	}
	if o.maxSizeMiB <= 0 || o.fileSizeMiB <= 0 || o.tmpMiB <= 0 || o.cpus <= 0 {
		return usageError(cmd, errors.New("--max-size, --file-size, --tmp-size and --cpus must be positive"))
	}
	cache := &bisect.Cache{Dir: cacheDir, Offline: o.offline, Verify: o.verify, MaxSize: o.maxSizeMiB << 20}
	if o.url == "" && (len(o.sha256) > 0 || o.checksums != "" || o.checksumKey != "" || o.insecure) {
		return usageError(cmd, errors.New("--sha256, --checksums, --checksum-name and --insecure are for --url"))
	}
	var src bisect.Source
	switch {
	case o.url != "":
		if !strings.Contains(o.url, "{version}") {
			return usageError(cmd, errors.New("--url: the template has no {version}"))
		}
		if len(versions) == 0 {
			return usageError(cmd, errors.New("--url needs --versions or --versions-file"))
		}
		us := &bisect.URLSource{Template: o.url, List: versions, Cache: cache, Insecure: o.insecure, Checksums: o.checksums, ChecksumName: o.checksumKey}
		for _, sv := range o.sha256 {
			if us.SHA256 == nil {
				us.SHA256 = map[string]string{}
			}
			v, h, ok := strings.Cut(sv, "=")
			if !ok {
				v, h = "", sv
			}
			us.SHA256[v] = h
		}
		if err := us.Validate(); err != nil {
			return usageError(cmd, err)
		}
		src = us
	case o.npm != "":
		pkg, path, _ := strings.Cut(o.npm, ":")
		reg, err := bisect.NPMRegistry(ctx, g.getenv)
		if err != nil {
			return &exitError{code: exitTrouble, msg: err.Error()}
		}
		src = &bisect.NPMSource{Package: pkg, Path: path, Registry: reg, Cache: cache}
	default:
		src = &bisect.DirSource{Dir: o.dir}
	}

	var runner bisect.Runner
	images := o.images
	switch o.runner {
	case "docker":
		if len(images) == 0 {
			return usageError(cmd, errors.New("--runner docker needs at least one --image"))
		}
		r, err := bisect.NewDockerRunner(ctx)
		if err != nil {
			return &exitError{code: exitTrouble, msg: err.Error()}
		}
		defer r.Close()
		// Run removes its containers itself, also on Ctrl-C; this is the
		// belt to those braces.
		defer r.RemoveLeftovers(ctx)
		r.Memory, r.PIDs = o.memoryMiB<<20, o.pids
		r.CPUs, r.FileSize, r.TmpSize = o.cpus, o.fileSizeMiB<<20, o.tmpMiB<<20
		// Containers of earlier bisections that were killed (SIGKILL, a
		// crash) are removed now; those of live ones are not touched.
		removed, err := r.RemoveStale(ctx)
		if err != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "bisect: %v\n", err)
		} else if len(removed) > 0 && !o.quiet {
			fmt.Fprintf(cmd.ErrOrStderr(), "bisect: removed %d containers left by bisections that were killed: %s\n", len(removed), strings.Join(removed, ", "))
		}
		runner = r
		if o.alsoHost {
			runner = bisect.AlsoOnHost(r)
			images = append(slices.Clone(images), bisect.HostImage)
		}
	case "host":
		if len(images) > 0 {
			return usageError(cmd, errors.New("--image has no meaning with --runner host"))
		}
		if len(mounts) > 0 {
			return usageError(cmd, errors.New("--mount has no meaning with --runner host"))
		}
		images = []string{bisect.HostImage}
		runner = bisect.HostRunner{}
	default:
		return usageError(cmd, fmt.Errorf("--runner %q: want docker or host", o.runner))
	}

	// The version list: the source's own unless given, cut to --from/--to.
	if o.from != "" || o.to != "" || (len(versions) > 0 && o.url == "") {
		all := versions
		if len(all) == 0 {
			vs, err := src.Versions(ctx)
			if err != nil {
				return &exitError{code: exitTrouble, msg: fmt.Sprintf("list versions of %s: %v", src.Describe(), err)}
			}
			all = vs
		}
		versions = bisect.Range(all, o.from, o.to)
		if len(versions) == 0 {
			return &exitError{code: exitTrouble, msg: fmt.Sprintf("no versions between %q and %q", o.from, o.to)}
		}
	}

	cfg := bisect.Config{
		Source: src, Runner: runner, Images: images, Versions: versions,
		Name: o.name, Args: args, Mounts: mounts, Timeout: o.timeout, Criteria: crit,
		All: o.all, Jobs: o.jobs, Getenv: g.getenv,
	}
	if o.local != "" {
		abs, err := filepath.Abs(o.local)
		if err != nil {
			return &exitError{code: exitTrouble, msg: "--local: " + err.Error()}
		}
		if _, err := os.Stat(abs); err != nil {
			return &exitError{code: exitTrouble, msg: "--local: " + err.Error()}
		}
		cfg.Local, cfg.LocalVersion = abs, o.localVersion
		if cfg.LocalVersion == "" {
			v, how, err := guessLocalVersion(ctx, src, versions, abs)
			if err != nil {
				return &exitError{code: exitTrouble, msg: "--local: " + err.Error()}
			}
			cfg.LocalVersion = v
			if v != "" && !o.quiet {
				fmt.Fprintf(cmd.ErrOrStderr(), "bisect: the local copy is version %s, by %s\n", v, how)
			}
		}
	}
	if o.results != "" {
		s, err := bisect.OpenStore(o.results)
		if err != nil {
			return &exitError{code: exitTrouble, msg: err.Error()}
		}
		cfg.Store = s
	}
	if !o.quiet {
		pl := &progressLines{w: cmd.ErrOrStderr(), tty: g.isTerminal(cmd.ErrOrStderr())}
		cfg.Progress = pl.event
		if pl.tty {
			cache.Progress = pl.download
			defer pl.clear()
		}
	}
	res, err := bisect.Run(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return &exitError{code: exitTrouble, msg: "interrupted; containers removed"}
		}
		return &exitError{code: exitTrouble, msg: err.Error()}
	}
	if !o.quiet {
		fmt.Fprintf(cmd.ErrOrStderr(), "bisect: %d downloads\n", cache.Downloads())
	}
	out := cmd.OutOrStdout()
	if err := report.Bisect(out, res, g.options(out)); err != nil {
		return &exitError{code: exitTrouble, msg: "write report: " + err.Error()}
	}
	if res.FailureFound() {
		return &exitError{code: exitProblem}
	}
	return nil
}

// guessLocalVersion finds the local copy's version: a known version in its
// file name or the names of its directories, as auto-updaters lay them
// out (versions/1.2.3/app), else the release whose build-id it has (see
// bisect.IdentifyVersion); "" when none matches.
func guessLocalVersion(ctx context.Context, src bisect.Source, versions []string, path string) (version, how string, err error) {
	if len(versions) == 0 {
		versions, _ = src.Versions(ctx)
	}
	for p := path; p != "/" && p != "."; p = filepath.Dir(p) {
		if slices.Contains(versions, filepath.Base(p)) {
			return filepath.Base(p), "the name of " + p, nil
		}
	}
	return bisect.IdentifyVersion(ctx, src, versions, path)
}

// progressLines prints one plain line per step, which works on a terminal
// and in a CI log alike. On a terminal, downloads also show a status line
// that is redrawn in place and cleared before the next plain line.
type progressLines struct {
	mu     sync.Mutex
	w      io.Writer
	tty    bool
	status bool
	active map[string][2]int64
}

func (p *progressLines) event(e bisect.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var line string
	switch e.Kind {
	case "versions":
		line = fmt.Sprintf("bisect: %d versions", e.Total)
	case "fetch":
		line = fmt.Sprintf("bisect: fetching %s", e.Version)
	case "run":
		what := e.Version
		if e.Local {
			what = "local copy (" + e.Version + ")"
		}
		reused := ""
		if e.Reused {
			reused = " (from the results file)"
		}
		line = fmt.Sprintf("bisect: %s in %s: %s%s", what, e.Image, e.Outcome.Summary(), reused)
	default:
		return
	}
	p.clearLocked()
	fmt.Fprintln(p.w, line)
	p.drawLocked()
}

// download records a download's progress and redraws the status line:
// every download in flight, with its percentage when the size is known.
func (p *progressLines) download(url string, done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.active == nil {
		p.active = map[string][2]int64{}
	}
	if total > 0 && done >= total {
		delete(p.active, url)
	} else {
		p.active[url] = [2]int64{done, total}
	}
	p.clearLocked()
	p.drawLocked()
}

func (p *progressLines) drawLocked() {
	if len(p.active) == 0 {
		return
	}
	urls := make([]string, 0, len(p.active))
	for u := range p.active {
		urls = append(urls, u)
	}
	slices.Sort(urls)
	var parts []string
	for _, u := range urls {
		d := p.active[u]
		// Releases often share a file name (…/8/app, …/9/app): show the
		// directory too.
		name := filepath.Join(filepath.Base(filepath.Dir(u)), filepath.Base(u))
		if d[1] > 0 {
			const width = 10
			n := int(d[0] * width / d[1])
			parts = append(parts, fmt.Sprintf("%s [%s%s] %3d%%", name, strings.Repeat("#", n), strings.Repeat(" ", width-n), d[0]*100/d[1]))
		} else {
			parts = append(parts, fmt.Sprintf("%s %d KiB", name, d[0]>>10))
		}
	}
	fmt.Fprintf(p.w, "downloading: %s", strings.Join(parts, "  "))
	p.status = true
}

func (p *progressLines) clearLocked() {
	if p.status {
		fmt.Fprint(p.w, "\r\033[K")
		p.status = false
	}
}

func (p *progressLines) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLocked()
}
