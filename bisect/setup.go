package bisect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Options are a bisection as a person asks for it (elfdoctor's flags),
// before anything is opened. Setup checks them against each other and
// turns them into a Config.
type Options struct {
	// Exactly one source: a URL template with {version}, an npm package
	// (PACKAGE or PACKAGE:PATH), or a directory of versions.
	URL, NPM, Dir string
	// Versions and VersionsFile (one a line, # comments) list the
	// versions; From and To cut the list.
	Versions     []string
	VersionsFile string
	From, To     string
	// Runner is "docker" (Images needed) or "host".
	Runner   string
	Images   []string
	AlsoHost bool
	All      bool
	Jobs     int
	// Local is the user's copy; LocalVersion the release it is, found
	// when empty.
	Local, LocalVersion string
	// CacheDir defaults to $XDG_CACHE_HOME/elfdoctor/bisect.
	CacheDir        string
	Offline, Verify bool
	MaxSize         int64 // bytes
	Results         string
	Timeout         time.Duration
	// Container limits.
	Memory, PIDs      int64
	CPUs              float64
	FileSize, TmpSize int64 // bytes
	Mounts            []string
	// What counts as a good run.
	GoodExit              []int
	BadOutput, GoodOutput string
	Name                  string
	Args                  []string
	// --url only.
	Insecure                bool
	SHA256                  []string // [VERSION=]HEX
	Checksums, ChecksumName string
	// Getenv reads XDG_CACHE_HOME, npm's configuration and DOCKER_HOST;
	// nil means the real environment.
	Getenv func(string) string
}

// UsageError is a mistake in Options: options that contradict each other
// or a malformed value. Commands report it as a usage error (exit 2 with
// a pointer to --help); other errors from Setup are I/O errors.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usage(format string, args ...any) error { return &UsageError{Msg: fmt.Sprintf(format, args...)} }

// Setup is a checked bisection, ready to Run: its Config, its download
// Cache (for progress and counts), and Notes, what the person should be
// told before it starts (containers of killed runs removed, the version
// the local copy was found to be). Close releases the Docker client.
type Setup struct {
	Config Config
	Cache  *Cache
	Notes  []string
	close  []func()
}

// Close releases what Prepare opened.
func (s *Setup) Close() {
	for i := len(s.close) - 1; i >= 0; i-- {
		s.close[i]()
	}
}

// Prepare checks o and opens what the bisection needs: the source (the
// npm registry from npm's own configuration), the runner (a Docker engine
// that answers, after removing containers that killed bisections left),
// the version list cut to From/To, the local copy's version and the
// results file. The caller must Close the Setup.
func Prepare(ctx context.Context, o Options) (_ *Setup, err error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	s := &Setup{}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	nsrc := 0
	for _, v := range []string{o.URL, o.NPM, o.Dir} {
		if v != "" {
			nsrc++
		}
	}
	if nsrc != 1 {
		return nil, usage("give exactly one of --url, --npm and --dir")
	}
	crit := Criteria{GoodExit: o.GoodExit}
	for _, re := range []struct {
		flag, expr string
		dst        **regexp.Regexp
	}{{"--bad-output", o.BadOutput, &crit.BadOutput}, {"--good-output", o.GoodOutput, &crit.GoodOutput}} {
		if re.expr == "" {
			continue
		}
		r, err := regexp.Compile(re.expr)
		if err != nil {
			return nil, usage("%s: %v", re.flag, err)
		}
		*re.dst = r
	}
	var mounts []Mount
	for _, m := range o.Mounts {
		src, dst, ok := strings.Cut(m, ":")
		if !ok || !filepath.IsAbs(dst) {
			return nil, usage("--mount %q: want SRC:DST with an absolute DST", m)
		}
		abs, err := filepath.Abs(src)
		if err != nil {
			return nil, fmt.Errorf("--mount: %w", err)
		}
		mounts = append(mounts, Mount{Source: abs, Target: dst})
	}
	versions := slices.Clone(o.Versions)
	if o.VersionsFile != "" {
		b, err := os.ReadFile(o.VersionsFile)
		if err != nil {
			return nil, fmt.Errorf("--versions-file: %w", err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				versions = append(versions, l)
			}
		}
	}
	cacheDir := o.CacheDir
	if cacheDir == "" {
		if x := getenv("XDG_CACHE_HOME"); x != "" {
			cacheDir = filepath.Join(x, "elfdoctor", "bisect")
		} else {
			d, err := DefaultCacheDir()
			if err != nil {
				return nil, err
			}
			cacheDir = d
		}
	}
	if o.MaxSize <= 0 || o.FileSize <= 0 || o.TmpSize <= 0 || o.CPUs <= 0 {
		return nil, usage("--max-size, --file-size, --tmp-size and --cpus must be positive")
	}
	cache := &Cache{Dir: cacheDir, Offline: o.Offline, Verify: o.Verify, MaxSize: o.MaxSize}
	s.Cache = cache
	if o.URL == "" && (len(o.SHA256) > 0 || o.Checksums != "" || o.ChecksumName != "" || o.Insecure) {
		return nil, usage("--sha256, --checksums, --checksum-name and --insecure are for --url")
	}
	var src Source
	switch {
	case o.URL != "":
		if !strings.Contains(o.URL, "{version}") {
			return nil, usage("--url: the template has no {version}")
		}
		if len(versions) == 0 {
			return nil, usage("--url needs --versions or --versions-file")
		}
		us := &URLSource{Template: o.URL, List: versions, Cache: cache, Insecure: o.Insecure, Checksums: o.Checksums, ChecksumName: o.ChecksumName}
		for _, sv := range o.SHA256 {
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
			return nil, &UsageError{Msg: err.Error()}
		}
		src = us
	case o.NPM != "":
		pkg, path, _ := strings.Cut(o.NPM, ":")
		reg, err := NPMRegistry(ctx, getenv)
		if err != nil {
			return nil, err
		}
		src = &NPMSource{Package: pkg, Path: path, Registry: reg, Cache: cache}
	default:
		src = &DirSource{Dir: o.Dir}
	}

	var runner Runner
	images := o.Images
	switch o.Runner {
	case "docker", "":
		if len(images) == 0 {
			return nil, usage("--runner docker needs at least one --image")
		}
		r, err := NewDockerRunner(ctx)
		if err != nil {
			return nil, err
		}
		// Run removes its containers itself, also on Ctrl-C; this is the
		// belt to those braces.
		s.close = append(s.close, func() { r.Close() }, func() { r.RemoveLeftovers(context.WithoutCancel(ctx)) })
		r.Memory, r.PIDs = o.Memory, o.PIDs
		r.CPUs, r.FileSize, r.TmpSize = o.CPUs, o.FileSize, o.TmpSize
		// Containers of earlier bisections that were killed (SIGKILL, a
		// crash) are removed now; those of live ones are not touched.
		removed, err := r.RemoveStale(ctx)
		if err != nil {
			s.Notes = append(s.Notes, err.Error())
		} else if len(removed) > 0 {
			s.Notes = append(s.Notes, fmt.Sprintf("removed %d containers left by bisections that were killed: %s", len(removed), strings.Join(removed, ", ")))
		}
		runner = r
		if o.AlsoHost {
			runner = AlsoOnHost(r)
			images = append(slices.Clone(images), HostImage)
		}
	case "host":
		if len(images) > 0 {
			return nil, usage("--image has no meaning with --runner host")
		}
		if len(mounts) > 0 {
			return nil, usage("--mount has no meaning with --runner host")
		}
		images = []string{HostImage}
		runner = HostRunner{}
	default:
		return nil, usage("--runner %q: want docker or host", o.Runner)
	}

	// The version list: the source's own unless given, cut to From/To.
	if o.From != "" || o.To != "" || (len(versions) > 0 && o.URL == "") {
		all := versions
		if len(all) == 0 {
			vs, err := src.Versions(ctx)
			if err != nil {
				return nil, fmt.Errorf("list versions of %s: %w", src.Describe(), err)
			}
			all = vs
		}
		versions = Range(all, o.From, o.To)
		if len(versions) == 0 {
			return nil, fmt.Errorf("no versions between %q and %q", o.From, o.To)
		}
	}

	s.Config = Config{
		Source: src, Runner: runner, Images: images, Versions: versions,
		Name: o.Name, Args: o.Args, Mounts: mounts, Timeout: o.Timeout, Criteria: crit,
		All: o.All, Jobs: o.Jobs, Getenv: getenv,
	}
	if o.Local != "" {
		abs, err := filepath.Abs(o.Local)
		if err != nil {
			return nil, fmt.Errorf("--local: %w", err)
		}
		if _, err := os.Stat(abs); err != nil {
			return nil, fmt.Errorf("--local: %w", err)
		}
		s.Config.Local, s.Config.LocalVersion = abs, o.LocalVersion
		if s.Config.LocalVersion == "" {
			v, how, err := guessLocalVersion(ctx, src, versions, abs)
			if err != nil {
				return nil, fmt.Errorf("--local: %w", err)
			}
			s.Config.LocalVersion = v
			if v != "" {
				s.Notes = append(s.Notes, fmt.Sprintf("the local copy is version %s, by %s", v, how))
			}
		}
	}
	if o.Results != "" {
		st, err := OpenStore(o.Results)
		if err != nil {
			return nil, err
		}
		s.Config.Store = st
	}
	return s, nil
}

// guessLocalVersion finds the local copy's version: a known version in its
// file name or the names of its directories, as auto-updaters lay them
// out (versions/1.2.3/app), else the release whose build-id it has (see
// IdentifyVersion); "" when none matches.
func guessLocalVersion(ctx context.Context, src Source, versions []string, path string) (version, how string, err error) {
	if len(versions) == 0 {
		versions, _ = src.Versions(ctx)
	}
	for p := path; p != "/" && p != "."; p = filepath.Dir(p) {
		if slices.Contains(versions, filepath.Base(p)) {
			return filepath.Base(p), "the name of " + p, nil
		}
	}
	return IdentifyVersion(ctx, src, versions, path)
}

// IsUsage reports whether err is a mistake in the options.
func IsUsage(err error) bool {
	var u *UsageError
	return errors.As(err, &u)
}
