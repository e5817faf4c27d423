package bisect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/elfdoctor/elfdoctor/internal/shellquote"
)

// Label is set on every container bisect creates, with the value of
// DockerRunner.Label, so that leftovers can be found:
// docker ps -a --filter label=org.elfdoctor.bisect.
const Label = "org.elfdoctor.bisect"

// LabelValue is a fresh value for the Label label: this process's ID and
// the time, so that a test can tell its own containers from those of
// another process using the same engine.
func LabelValue() string { return fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano()) }

// binDir is where the binary is mounted inside the container.
const binDir = "/elfdoctor"

// DockerRunner runs each binary in a fresh container of the image asked,
// through the Docker Engine API.
type DockerRunner struct {
	cli *client.Client
	// Memory is the memory limit in bytes; PIDs the process limit.
	Memory int64
	PIDs   int64
	// Label is this session's value of the Label label.
	Label string

	seq atomic.Int64
}

// NewDockerRunner connects to the engine DOCKER_HOST names (or the default
// socket) and negotiates the API version, so that older engines such as
// Debian's docker.io 20.10 (API 1.41) work with this newer client.
//
// Without DOCKER_HOST, the current docker context (DOCKER_CONTEXT, or
// "currentContext" in $DOCKER_CONFIG/config.json) is followed to its
// endpoint, as the docker CLI does, so that podman's Docker-compatible
// socket or a rootless engine configured as a context is used.
func NewDockerRunner(ctx context.Context) (*DockerRunner, error) {
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if os.Getenv("DOCKER_HOST") == "" {
		host, err := contextHost(os.Getenv)
		if err != nil {
			return nil, err
		}
		if host != "" {
			opts = append(opts, client.WithHost(host))
		}
	}
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(pctx); err != nil {
		host := cli.DaemonHost()
		cli.Close()
		return nil, &EngineError{Host: host, Err: err}
	}
	cli.NegotiateAPIVersion(pctx)
	return &DockerRunner{cli: cli, Memory: 512 << 20, PIDs: 256, Label: LabelValue()}, nil
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
	_ = r.cli.ContainerRemove(rctx, id, container.RemoveOptions{Force: true})
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
func (r *DockerRunner) Close() error { return r.cli.Close() }

func (r *DockerRunner) Environment(image string) string { return image }

// ServerVersion is the engine's version and API version, for reports.
func (r *DockerRunner) ServerVersion(ctx context.Context) string {
	v, err := r.cli.ServerVersion(ctx)
	if err != nil {
		return ""
	}
	return v.Version + " (API " + r.cli.ClientVersion() + ")"
}

// Leftovers lists containers with this runner's label: none should exist
// once Run has returned.
func (r *DockerRunner) Leftovers(ctx context.Context) ([]string, error) {
	cs, err := r.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", Label+"="+r.Label))})
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
	mounts := []mount.Mount{{Type: mount.TypeBind, Source: s.Binary, Target: target, ReadOnly: true}}
	for _, m := range s.Mounts {
		mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: m.Source, Target: m.Target, ReadOnly: true})
	}
	pids := r.PIDs
	cfg := &container.Config{
		Image:      s.Image,
		Entrypoint: []string{target},
		Cmd:        s.Args,
		WorkingDir: "/",
		Labels:     map[string]string{Label: r.Label},
	}
	hc := &container.HostConfig{
		NetworkMode: "none",
		Mounts:      mounts,
		Resources:   container.Resources{Memory: r.Memory, MemorySwap: r.Memory, PidsLimit: &pids},
		LogConfig:   container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "1m"}},
	}
	// A name of our own, so that a container whose creation raced with a
	// cancellation (created by the engine, its ID never received) can
	// still be found and removed.
	cname := fmt.Sprintf("elfdoctor-bisect-%s-%d", r.Label, r.seq.Add(1))
	created, err := r.cli.ContainerCreate(ctx, cfg, hc, nil, nil, cname)
	if err != nil {
		if ctx.Err() != nil {
			r.remove(ctx, cname)
			return Outcome{}, ctx.Err()
		}
		if client.IsErrNotFound(err) {
			return Outcome{}, fmt.Errorf("image %s: %w; pull it (docker pull %s) or build it (docker import of a root filesystem), or use --runner host", s.Image, err, shellquote.Word(s.Image))
		}
		return Outcome{}, fmt.Errorf("create container from %s: %w", s.Image, err)
	}
	id := created.ID
	// Removal must happen even when ctx is cancelled (Ctrl-C), so it
	// runs on a context of its own.
	defer r.remove(ctx, id)

	// Waiting for "next-exit" is set up before the start: waiting for
	// "not-running" afterwards could miss a binary that exits at once.
	waitCtx, cancelWait := context.WithCancel(ctx)
	defer cancelWait()
	waitC, errC := r.cli.ContainerWait(waitCtx, id, container.WaitConditionNextExit)
	start := time.Now()
	if err := r.cli.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
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
	select {
	case w := <-waitC:
		status = w.StatusCode
		if w.Error != nil {
			return Outcome{}, fmt.Errorf("wait for container: %s", w.Error.Message)
		}
	case err := <-errC:
		if ctx.Err() != nil {
			return Outcome{}, ctx.Err()
		}
		return Outcome{}, fmt.Errorf("wait for container: %w", err)
	case <-ctx.Done():
		return Outcome{}, ctx.Err()
	case <-timer.C:
		timedOut = true
		_ = r.cli.ContainerKill(ctx, id, "KILL")
	}
	d := time.Since(start)

	var stdout, stderr limitedBuffer
	stdout.n, stderr.n = OutputLimit, OutputLimit
	if rc, err := r.cli.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true}); err == nil {
		_, _ = stdcopy.StdCopy(&stdout, &stderr, rc)
		rc.Close()
	} else if ctx.Err() != nil {
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
		if st, err := r.cli.ContainerInspect(ctx, id); err == nil && st.State != nil && st.State.OOMKilled {
			o.Class, o.Detail = ClassOOM, fmt.Sprintf("exceeded the memory limit of %d MiB", r.Memory>>20)
		}
	}
	return o, nil
}
