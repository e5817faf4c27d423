package bisect

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/docker/docker/pkg/stdcopy"

	"github.com/elfdoctor/elfdoctor/internal/shellquote"
)

// Label is set on every container bisect creates, with the value of
// DockerRunner.Label, so that leftovers can be found:
// docker ps -a --filter label=org.elfdoctor.bisect.
const Label = "org.elfdoctor.bisect"

// LabelOwner names the process that created a container (boot ID, PID
// namespace, PID, start time) and LabelDeadline the Unix time after which
// its run is surely over; RemoveStale reads both.
const (
	LabelOwner    = Label + ".owner"
	LabelDeadline = Label + ".deadline"
)

// LabelValue is a fresh value for the Label label: this process's ID and
// the time, so that a test can tell its own containers from those of
// another process using the same engine.
func LabelValue() string { return fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano()) }

// Limits of each container beside Memory and PIDs; docs/decisions.md
// says why these.
const (
	DefaultCPUs     = 1.0
	DefaultFileSize = 256 << 20 // RLIMIT_FSIZE: the largest file a run may write
	DefaultTmpSize  = 64 << 20  // the tmpfs at /tmp, the only writable place
	nobody          = 65534
)

// binDir is where the binary is mounted inside the container.
const binDir = "/elfdoctor"

// DockerRunner runs each binary in a fresh container of the image asked,
// through the Docker Engine API.
type DockerRunner struct {
	cli *engine
	// Memory is the memory limit in bytes; PIDs the process limit.
	Memory int64
	PIDs   int64
	// CPUs is the CPU quota, in CPUs; FileSize the largest file a run
	// may write (RLIMIT_FSIZE) and TmpSize the size of the tmpfs at /tmp.
	CPUs     float64
	FileSize int64
	TmpSize  int64
	// Label is this session's value of the Label label.
	Label string

	owner owner

	seq atomic.Int64
}

// NewDockerRunner connects to the engine DOCKER_HOST names (or the default
// socket) and negotiates the API version, so that older engines such as
// Debian's docker.io 20.10 (API 1.41) work with this newer client;
// DOCKER_API_VERSION pins one, and DOCKER_CERT_PATH and DOCKER_TLS_VERIFY
// set up TLS for a tcp:// engine, as for Docker's own client.
//
// Without DOCKER_HOST, the current docker context (DOCKER_CONTEXT, or
// "currentContext" in $DOCKER_CONFIG/config.json) is followed to its
// endpoint, as the docker CLI does, so that podman's Docker-compatible
// socket or a rootless engine configured as a context is used.
func NewDockerRunner(ctx context.Context) (*DockerRunner, error) {
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		h, err := contextHost(os.Getenv)
		if err != nil {
			return nil, err
		}
		host = cmp.Or(h, defaultDockerHost)
	}
	cli, err := newEngine(host, os.Getenv)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := cli.negotiate(pctx); err != nil {
		cli.close()
		return nil, &EngineError{Host: host, Err: err}
	}
	return &DockerRunner{cli: cli, Memory: 512 << 20, PIDs: 256, CPUs: DefaultCPUs, FileSize: DefaultFileSize, TmpSize: DefaultTmpSize, Label: LabelValue(), owner: self()}, nil
}

// contextHost returns the Docker endpoint of the current context, or ""
// for the default context. Only the host is read: a context that needs TLS
// files is better reached with DOCKER_HOST and DOCKER_CERT_PATH.
func contextHost(getenv func(string) string) (string, error) {
	dir := getenv("DOCKER_CONFIG")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", nil
		}
		dir = filepath.Join(home, ".docker")
	}
	name := getenv("DOCKER_CONTEXT")
	if name == "" {
		b, err := os.ReadFile(filepath.Join(dir, "config.json"))
		if err != nil {
			return "", nil // no configuration: the default context
		}
		var cfg struct {
			CurrentContext string `json:"currentContext"`
		}
		if err := json.Unmarshal(b, &cfg); err != nil {
			return "", fmt.Errorf("docker configuration %s: %w", filepath.Join(dir, "config.json"), err)
		}
		name = cfg.CurrentContext
	}
	if name == "" || name == "default" {
		return "", nil
	}
	sum := sha256.Sum256([]byte(name))
	meta := filepath.Join(dir, "contexts", "meta", hex.EncodeToString(sum[:]), "meta.json")
	b, err := os.ReadFile(meta)
	if err != nil {
		return "", fmt.Errorf("docker context %q: %w; list contexts with `docker context ls`", name, err)
	}
	var m struct {
		Endpoints map[string]struct {
			Host string `json:"Host"`
		} `json:"Endpoints"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return "", fmt.Errorf("docker context %q: %s: %w", name, meta, err)
	}
	host := m.Endpoints["docker"].Host
	if host == "" {
		return "", fmt.Errorf("docker context %q has no docker endpoint", name)
	}
	return host, nil
}

// remove force-removes a container, on a context that outlives ctx.
func (r *DockerRunner) remove(ctx context.Context, id string) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_ = r.cli.containerRemove(rctx, id)
}

// RemoveLeftovers removes every container of this runner that is still
// there; Run leaves none, so this is a last resort for the command's exit.
func (r *DockerRunner) RemoveLeftovers(ctx context.Context) error {
	ids, err := r.Leftovers(context.WithoutCancel(ctx))
	for _, id := range ids {
		r.remove(ctx, id)
	}
	return err
}

// Close releases the connection.
func (r *DockerRunner) Close() error {
	r.cli.close()
	return nil
}

func (r *DockerRunner) Environment(image string) string { return image }

// ServerVersion is the engine's version and API version, for reports.
func (r *DockerRunner) ServerVersion(ctx context.Context) string {
	v, err := r.cli.serverVersion(ctx)
	if err != nil {
		return ""
	}
	return v + " (API " + r.cli.version + ")"
}

// RemoveStale removes the containers of earlier bisections whose owner
// is provably dead (see provablyDead): a run killed with SIGKILL leaves
// its created or running containers behind. Containers of live
// bisections, on this machine or another using the same engine, are
// never touched. It returns the names removed.
func (r *DockerRunner) RemoveStale(ctx context.Context) ([]string, error) {
	cs, err := r.cli.containerList(ctx, filter("label", Label))
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	var removed []string
	now := time.Now()
	for _, c := range cs {
		if c.Labels[Label] == r.Label || !provablyDead(r.owner, c.Labels[LabelOwner], c.Labels[LabelDeadline], now) {
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := r.cli.containerRemove(rctx, c.ID)
		cancel()
		if err != nil && !isNotFound(err) {
			return removed, fmt.Errorf("remove stale container %s: %w", c.ID[:12], err)
		}
		name := c.ID[:12]
		if len(c.Names) > 0 {
			name = strings.TrimPrefix(c.Names[0], "/")
		}
		removed = append(removed, name)
	}
	return removed, nil
}

// Leftovers lists containers with this runner's label: none should exist
// once Run has returned.
func (r *DockerRunner) Leftovers(ctx context.Context) ([]string, error) {
	cs, err := r.cli.containerList(ctx, filter("label", Label+"="+r.Label))
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids, nil
}

func (r *DockerRunner) Run(ctx context.Context, s RunSpec) (Outcome, error) {
	if err := ctx.Err(); err != nil {
		return Outcome{}, err
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	name := s.Name
	if name == "" {
		name = "app"
	}
	target := path.Join(binDir, name)
	mounts := []bindMount{{Type: "bind", Source: s.Binary, Target: target, ReadOnly: true}}
	for _, m := range s.Mounts {
		mounts = append(mounts, bindMount{Type: "bind", Source: m.Source, Target: m.Target, ReadOnly: true})
	}
	user, err := runAs(s.Binary)
	if err != nil {
		return Outcome{}, err
	}
	pids := r.PIDs
	labels := map[string]string{Label: r.Label, LabelDeadline: strconv.FormatInt(time.Now().Add(timeout+staleGrace).Unix(), 10)}
	if r.owner.Boot != "" {
		labels[LabelOwner] = r.owner.String()
	}
	cfg := &createRequest{
		Image:      s.Image,
		Entrypoint: []string{target},
		Cmd:        s.Args,
		WorkingDir: "/",
		User:       user,
		// The root is read-only: programs that keep state in $HOME
		// (caches, settings) get the tmpfs instead of failing on it.
		Env:          []string{"HOME=/tmp"},
		Labels:       labels,
		AttachStdout: true,
		AttachStderr: true,
	}
	fsize := r.FileSize
	cfg.HostConfig = hostConfig{
		NetworkMode: "none",
		Mounts:      mounts,
		// Removed by the engine when it exits, even if this process is
		// killed; RemoveStale covers a container never started.
		AutoRemove:     true,
		CapDrop:        []string{"ALL"},
		SecurityOpt:    []string{"no-new-privileges"},
		ReadonlyRootfs: true,
		Tmpfs:          map[string]string{"/tmp": fmt.Sprintf("rw,exec,nosuid,nodev,size=%d", r.TmpSize)},
		Memory:         r.Memory,
		MemorySwap:     r.Memory,
		PidsLimit:      &pids,
		NanoCPUs:       int64(r.CPUs * 1e9),
		Ulimits:        []ulimit{{Name: "fsize", Soft: fsize, Hard: fsize}},
		// Output is read from the attached streams, so nothing is logged
		// to the engine's disk.
		LogConfig: &logConfig{Type: "none"},
	}
	// A name of our own, so that a container whose creation raced with a
	// cancellation (created by the engine, its ID never received) can
	// still be found and removed.
	cname := fmt.Sprintf("elfdoctor-bisect-%s-%d", r.Label, r.seq.Add(1))
	since := time.Now().Add(-time.Second)
	id, err := r.cli.containerCreate(ctx, cfg, cname)
	if err != nil {
		if ctx.Err() != nil {
			r.remove(ctx, cname)
			return Outcome{}, ctx.Err()
		}
		if isNotFound(err) {
			return Outcome{}, fmt.Errorf("image %s: %w; pull it (docker pull %s) or build it (docker import of a root filesystem), or use --runner host", s.Image, err, shellquote.Word(s.Image))
		}
		return Outcome{}, fmt.Errorf("create container from %s: %w", s.Image, err)
	}
	// Removal must happen even when ctx is cancelled (Ctrl-C), so it
	// runs on a context of its own; after an exit the engine has done it.
	defer r.remove(ctx, id)

	// Attached before the start, so that no output is missed, and read
	// as it comes: the container is gone once it exits.
	hj, err := r.cli.containerAttach(ctx, id)
	if err != nil {
		if ctx.Err() != nil {
			return Outcome{}, ctx.Err()
		}
		return Outcome{}, fmt.Errorf("attach to container: %w", err)
	}
	defer hj.Close()
	var stdout, stderr limitedBuffer
	stdout.n, stderr.n = OutputLimit, OutputLimit
	outDone := make(chan struct{})
	go func() {
		_, _ = stdcopy.StdCopy(&stdout, &stderr, hj)
		close(outDone)
	}()
	// The engine's "oom" event says the memory limit killed it; events
	// since before the creation are replayed, so none is missed.
	evCtx, cancelEv := context.WithCancel(ctx)
	defer cancelEv()
	oom := make(chan struct{})
	evC, evErr := r.cli.events(evCtx, fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond()),
		filter("container", id, "event", "oom"))
	go func() {
		select {
		case <-evC:
			close(oom)
		case <-evErr:
		case <-evCtx.Done():
		}
	}()

	// Waiting for the removal is set up before the start: waiting
	// afterwards could miss a binary that exits at once.
	waitCtx, cancelWait := context.WithCancel(ctx)
	defer cancelWait()
	waitC, errC := r.cli.containerWait(waitCtx, id, "removed")
	start := time.Now()
	if err := r.cli.containerStart(ctx, id); err != nil {
		if ctx.Err() != nil {
			return Outcome{}, ctx.Err()
		}
		// The OCI runtime reports the kernel's refusal of execve here.
		return Outcome{Class: ClassExecFailed, ExitCode: 127, Detail: execFailure(s.Binary, err.Error()), Duration: time.Since(start)}, nil
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var status int64
	timedOut := false
wait:
	for {
		select {
		case w := <-waitC:
			status = w.StatusCode
			if w.Error != nil {
				return Outcome{}, fmt.Errorf("wait for container: %s", w.Error.Message)
			}
			break wait
		case err := <-errC:
			if ctx.Err() != nil {
				return Outcome{}, ctx.Err()
			}
			return Outcome{}, fmt.Errorf("wait for container: %w", err)
		case <-ctx.Done():
			return Outcome{}, ctx.Err()
		case <-timer.C:
			if timedOut {
				// The kill did not end it: give up waiting; the deferred
				// forced removal, or the next RemoveStale, takes it.
				break wait
			}
			// Killed, it exits and is removed; the wait above ends.
			timedOut = true
			_ = r.cli.containerKill(ctx, id, "KILL")
			timer.Reset(30 * time.Second)
		}
	}
	d := time.Since(start)
	select {
	case <-outDone:
	case <-time.After(5 * time.Second):
	case <-ctx.Done():
		return Outcome{}, ctx.Err()
	}
	if timedOut {
		return Outcome{Class: ClassTimeout, Detail: "still running after " + timeout.String(), Duration: d, Stdout: stdout.String(), Stderr: stderr.String()}, nil
	}
	var sig syscall.Signal
	// The engine reports death by signal N as status 128+N.
	if status > 128 && status < 128+65 {
		sig = syscall.Signal(status - 128)
	}
	// runc reports a refused execve on the container's stderr, as
	// "exec /elfdoctor/app: no such file or directory", with status 1.
	if msg, ok := strings.CutPrefix(strings.TrimSpace(stderr.String()), "exec "+target+": "); ok && status != 0 && !strings.Contains(msg, "\n") {
		return Outcome{Class: ClassExecFailed, ExitCode: int(status), Detail: execFailure(s.Binary, msg), Duration: d, Stderr: stderr.String()}, nil
	}
	o := classify(int(status), sig, stdout.String(), stderr.String())
	o.Duration = d
	if sig == syscall.SIGKILL {
		// The event may trail the exit by a moment.
		select {
		case <-oom:
			o.Class, o.Detail = ClassOOM, fmt.Sprintf("exceeded the memory limit of %d MiB", r.Memory>>20)
		case <-time.After(2 * time.Second):
		}
	}
	return o, nil
}

// runAs is the user a container runs the binary as: never root. The
// file's owner when that is not root, so that a user's own copy runs as
// it would for them; nobody otherwise, which needs the file readable and
// executable by others (cached releases are).
func runAs(binary string) (string, error) {
	st, err := os.Stat(binary)
	if err != nil {
		return "", err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Sprintf("%d:%d", nobody, nobody), nil
	}
	if sys.Uid != 0 {
		gid := sys.Gid
		if gid == 0 {
			gid = nobody
		}
		return fmt.Sprintf("%d:%d", sys.Uid, gid), nil
	}
	if st.Mode().Perm()&0o005 != 0o005 {
		return "", fmt.Errorf("%s belongs to root and is not readable and executable by others (mode %v), and containers run it as nobody; make a copy you own, or run: %s", binary, st.Mode().Perm(), shellquote.Command("chmod", "o+rx", binary))
	}
	return fmt.Sprintf("%d:%d", nobody, nobody), nil
}
