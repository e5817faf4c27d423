package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/elfdoctor/elfdoctor/bisect"
	"github.com/elfdoctor/elfdoctor/report"
)

// bisectOpts are bisect's flags: the library's Options, plus what only
// the command line has.
type bisectOpts struct {
	bisect.Options
	quiet                 bool
	maxSizeMiB, memoryMiB int64
	fileSizeMiB, tmpMiB   int64
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
		RunE: withSignals(func(cmd *cobra.Command, args []string) error {
			if n := cmd.ArgsLenAtDash(); n > 0 || (n < 0 && len(args) > 0) {
				return usageError(cmd, fmt.Errorf("unexpected argument %q; arguments for the binary go after --", args[0]))
			}
			return runBisect(cmd, g, &o, args)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&o.URL, "url", "", "release URL `TEMPLATE` with {version}")
	f.StringVar(&o.NPM, "npm", "", "npm `PACKAGE[:PATH]` that ships the binary (PATH: the file in the tarball; default: its one ELF executable)")
	f.StringVar(&o.Dir, "dir", "", "`DIR` with one file or directory per version")
	f.StringSliceVar(&o.Versions, "versions", nil, "the `VERSIONS` to consider, comma-separated")
	f.StringVar(&o.VersionsFile, "versions-file", "", "read versions from `FILE`, one a line")
	f.StringVar(&o.From, "from", "", "oldest `VERSION` to consider")
	f.StringVar(&o.To, "to", "", "newest `VERSION` to consider")
	f.StringArrayVar(&o.Images, "image", nil, "Docker `IMAGE` to run in (repeatable)")
	f.StringVar(&o.Runner, "runner", "docker", "where binaries run (`RUNNER`: docker, or host, which isolates nothing)")
	f.BoolVar(&o.All, "all", false, "run every version instead of searching")
	f.IntVar(&o.Jobs, "jobs", 2, "runs at once (`N`)")
	f.StringVar(&o.Local, "local", "", "your own copy (`FILE`), run beside the pristine releases")
	f.StringVar(&o.LocalVersion, "local-version", "", "the release `VERSION` the local copy is (default: a version named by its file or directory)")
	f.BoolVar(&o.Offline, "offline", false, "use only the download cache")
	f.StringVar(&o.CacheDir, "cache-dir", "", "download cache `DIR` (default: $XDG_CACHE_HOME/elfdoctor/bisect)")
	f.StringVar(&o.Results, "results", "", "results `FILE` (JSON): runs in it are not repeated, new ones are added")
	f.Var(newSecondsValue(&o.Timeout, bisect.DefaultTimeout), "timeout", "time limit of one run (`DURATION`: 30s, 2m; a plain number is seconds)")
	f.Int64Var(&o.memoryMiB, "memory", 512, "memory limit of one container, in `MiB`")
	f.Int64Var(&o.PIDs, "pids", 256, "at most `N` processes in one container")
	f.StringArrayVar(&o.Mounts, "mount", nil, "extra read-only bind mount `SRC:DST` (repeatable)")
	f.IntSliceVar(&o.GoodExit, "good-exit", []int{0}, "exit `STATUSES` that count as good")
	f.StringVar(&o.BadOutput, "bad-output", "", "a run whose output matches `REGEX` is bad")
	f.StringVar(&o.GoodOutput, "good-output", "", "a run whose output does not match `REGEX` is bad")
	f.BoolVar(&o.Insecure, "insecure", false, "allow plain http for --url and --checksums")
	f.StringArrayVar(&o.SHA256, "sha256", nil, "the sha256 of a release, `[VERSION=]HEX` (repeatable; without VERSION: of every release)")
	f.StringVar(&o.Checksums, "checksums", "", "checksum manifest URL `TEMPLATE` with {version}: SHA256SUMS, or JSON with a sha256 per platform")
	f.StringVar(&o.ChecksumName, "checksum-name", "", "the manifest entry to use: a file `NAME` or platform (default: the release's file name)")
	f.Int64Var(&o.maxSizeMiB, "max-size", bisect.DefaultMaxSize>>20, "largest download or file taken from a tarball, in `MiB`")
	f.BoolVar(&o.Verify, "verify", false, "re-hash every cached file when it is used")
	f.Float64Var(&o.CPUs, "cpus", bisect.DefaultCPUs, "CPU quota of one container, `N` CPUs")
	f.Int64Var(&o.fileSizeMiB, "file-size", bisect.DefaultFileSize>>20, "largest file a container may write, in `MiB`")
	f.Int64Var(&o.tmpMiB, "tmp-size", bisect.DefaultTmpSize>>20, "size of the tmpfs at /tmp of one container, in `MiB`")
	f.StringVar(&o.Name, "name", "app", "the file `NAME` the binary has inside the container")
	f.BoolVar(&o.AlsoHost, "also-host", false, "with Docker, also run everything on this machine, unisolated, as a column named host")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress lines on stderr")
	return cmd
}

func runBisect(cmd *cobra.Command, g *globalOpts, o *bisectOpts, args []string) error {
	// SIGTERM (systemd, a CI job's timeout) and SIGHUP (a closed
	// terminal) clean up like Ctrl-C: containers removed, downloads cut
	// (withSignals).
	ctx := cmd.Context()
	o.Args, o.Getenv = args, g.getenv
	o.MaxSize, o.Memory, o.FileSize, o.TmpSize = o.maxSizeMiB<<20, o.memoryMiB<<20, o.fileSizeMiB<<20, o.tmpMiB<<20
	setup, err := bisect.Prepare(ctx, o.Options)
	if err != nil {
		if bisect.IsUsage(err) {
			return usageError(cmd, err)
		}
		return &exitError{code: exitTrouble, msg: err.Error()}
	}
	defer setup.Close()
	if !o.quiet {
		for _, n := range setup.Notes {
			fmt.Fprintf(cmd.ErrOrStderr(), "bisect: %s\n", n)
		}
	}
	cfg, cache := setup.Config, setup.Cache
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
