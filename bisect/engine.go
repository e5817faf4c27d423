package bisect

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// engine is the part of the Docker Engine API that the Docker runner
// uses, spoken over HTTP. It replaces the official client package, whose
// imports (github.com/distribution/reference's regular expressions,
// OpenTelemetry, and through the API types go-digest's) cost every
// elfdoctor command about 4 ms at start-up, bisect or not:
// docs/decisions.md ("The Docker client's price at start-up") has the
// figures. The request and answer types below hold only the fields used,
// under the API's names (docs.docker.com/reference/api/engine). It does what that client did for us:
// DOCKER_HOST, DOCKER_API_VERSION, DOCKER_CERT_PATH and
// DOCKER_TLS_VERIFY as client.FromEnv reads them, API version
// negotiation down to the engine's (Debian's 20.10 speaks 1.41), and the
// hijacked attach stream.
type engine struct {
	host    string // as given, for messages: unix:///var/run/docker.sock
	version string // the API version requests carry, without the v
	http    *http.Client
	base    string // scheme and authority of request URLs
	dial    func(ctx context.Context) (net.Conn, error)
	tls     *tls.Config
}

// maxAPIVersion is the newest API version spoken, the one Docker 28's
// client speaks; negotiation goes down to the engine's. minAPIVersion is
// what an engine that names no version is taken to speak, as Docker's
// client takes it.
const (
	maxAPIVersion = "1.51"
	minAPIVersion = "1.24"
)

const defaultDockerHost = "unix:///var/run/docker.sock"

// createRequest is POST /containers/create's body: the container's
// configuration with its HostConfig inside.
type createRequest struct {
	Image        string            `json:"Image"`
	Entrypoint   []string          `json:"Entrypoint,omitempty"`
	Cmd          []string          `json:"Cmd,omitempty"`
	WorkingDir   string            `json:"WorkingDir,omitempty"`
	User         string            `json:"User,omitempty"`
	Env          []string          `json:"Env,omitempty"`
	Labels       map[string]string `json:"Labels,omitempty"`
	AttachStdout bool              `json:"AttachStdout"`
	AttachStderr bool              `json:"AttachStderr"`
	HostConfig   hostConfig        `json:"HostConfig"`
}

// hostConfig is the part of HostConfig, Resources' fields inline as the
// API has them, that the sandbox sets.
type hostConfig struct {
	NetworkMode    string            `json:"NetworkMode,omitempty"`
	Mounts         []bindMount       `json:"Mounts,omitempty"`
	AutoRemove     bool              `json:"AutoRemove,omitempty"`
	CapDrop        []string          `json:"CapDrop,omitempty"`
	SecurityOpt    []string          `json:"SecurityOpt,omitempty"`
	ReadonlyRootfs bool              `json:"ReadonlyRootfs,omitempty"`
	Tmpfs          map[string]string `json:"Tmpfs,omitempty"`
	Memory         int64             `json:"Memory,omitempty"`
	MemorySwap     int64             `json:"MemorySwap,omitempty"`
	NanoCPUs       int64             `json:"NanoCpus,omitempty"`
	PidsLimit      *int64            `json:"PidsLimit,omitempty"`
	Ulimits        []ulimit          `json:"Ulimits,omitempty"`
	LogConfig      *logConfig        `json:"LogConfig,omitempty"`
}

type bindMount struct {
	Type     string `json:"Type"` // always "bind" here
	Source   string `json:"Source"`
	Target   string `json:"Target"`
	ReadOnly bool   `json:"ReadOnly"`
}

type ulimit struct {
	Name string `json:"Name"`
	Soft int64  `json:"Soft"`
	Hard int64  `json:"Hard"`
}

type logConfig struct {
	Type string `json:"Type"`
}

// containerSummary is one entry of GET /containers/json.
type containerSummary struct {
	ID     string            `json:"Id"`
	Names  []string          `json:"Names"`
	Labels map[string]string `json:"Labels"`
}

// waitResponse is POST /containers/{id}/wait's answer.
type waitResponse struct {
	StatusCode int64 `json:"StatusCode"`
	Error      *struct {
		Message string `json:"Message"`
	} `json:"Error,omitempty"`
}

// filterArgs are the API's filters, {"label": {"k=v": true}}, as query
// parameters carry them in JSON.
type filterArgs map[string]map[string]bool

func filter(kv ...string) filterArgs {
	f := filterArgs{}
	for i := 0; i+1 < len(kv); i += 2 {
		if f[kv[i]] == nil {
			f[kv[i]] = map[string]bool{}
		}
		f[kv[i]][kv[i+1]] = true
	}
	return f
}

func (f filterArgs) String() string {
	b, _ := json.Marshal(map[string]map[string]bool(f))
	return string(b)
}

// newEngine prepares a client of the engine at host (DOCKER_HOST's
// syntax: unix://PATH or tcp://HOST:PORT); nothing is sent yet.
func newEngine(host string, getenv func(string) string) (*engine, error) {
	proto, addr, ok := strings.Cut(host, "://")
	if !ok || addr == "" {
		return nil, fmt.Errorf("Docker host %q: want unix:///path/to/socket or tcp://host:port", host)
	}
	e := &engine{host: host, version: getenv("DOCKER_API_VERSION")}
	var d net.Dialer
	switch proto {
	case "unix":
		e.dial = func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "unix", addr) }
		// The authority of a Unix socket's requests is a placeholder, as
		// Docker's client sends it.
		e.base = "http://api.moby.localhost"
	case "tcp", "http", "https":
		addr, _, _ = strings.Cut(addr, "/")
		e.dial = func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }
		e.base = "http://" + addr
		if dir := getenv("DOCKER_CERT_PATH"); dir != "" || proto == "https" {
			cfg, err := tlsConfig(dir, addr, getenv("DOCKER_TLS_VERIFY") != "")
			if err != nil {
				return nil, err
			}
			e.tls, e.base = cfg, "https://"+addr
		}
	default:
		return nil, fmt.Errorf("Docker host %q: protocol %s is not supported; use a unix:// or tcp:// address (for ssh://, forward the engine's socket with ssh -L and name the local end)", host, proto)
	}
	e.http = &http.Client{Transport: &http.Transport{
		DialContext:        func(ctx context.Context, _, _ string) (net.Conn, error) { return e.dial(ctx) },
		TLSClientConfig:    e.tls,
		DisableCompression: true,
		IdleConnTimeout:    30 * time.Second,
	}}
	return e, nil
}

// tlsConfig reads ca.pem, cert.pem and key.pem from dir as Docker's
// client does with DOCKER_CERT_PATH; the server's certificate is verified
// only with DOCKER_TLS_VERIFY set, as there.
func tlsConfig(dir, addr string, verify bool) (*tls.Config, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: !verify}
	if dir == "" {
		return cfg, nil
	}
	ca, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		return nil, fmt.Errorf("DOCKER_CERT_PATH: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("DOCKER_CERT_PATH: %s holds no PEM certificate", filepath.Join(dir, "ca.pem"))
	}
	cfg.RootCAs = pool
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	if err != nil {
		return nil, fmt.Errorf("DOCKER_CERT_PATH: %w", err)
	}
	cfg.Certificates = []tls.Certificate{cert}
	return cfg, nil
}

// apiError is the engine's answer to a request it refused.
type apiError struct {
	Status  int
	Message string
}

func (e *apiError) Error() string { return "the engine answered: " + e.Message }

// isNotFound reports whether err is the engine's "no such container" or
// "no such image".
func isNotFound(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

func (e *engine) url(path string, q url.Values) string {
	u := e.base + "/v" + e.version + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// do sends a request with body as JSON (nil for none) and returns the
// response if the engine accepted it; the caller closes its body.
func (e *engine) do(ctx context.Context, method, path string, q url.Values, body any) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.url(path, q), r)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		return nil, readAPIError(resp)
	}
	return resp, nil
}

// readAPIError reads the engine's {"message": ...} answer, bounded.
func readAPIError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &m) != nil || m.Message == "" {
		m.Message = strings.TrimSpace(string(b))
		if m.Message == "" {
			m.Message = resp.Status
		}
	}
	return &apiError{Status: resp.StatusCode, Message: m.Message}
}

// call is do for requests whose answer is JSON (into out, unless nil) or
// nothing.
func (e *engine) call(ctx context.Context, method, path string, q url.Values, body, out any) error {
	resp, err := e.do(ctx, method, path, q, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return err
}

// negotiate pings the engine and settles the API version: the engine's,
// when older than maxAPIVersion, as WithAPIVersionNegotiation does; a
// version DOCKER_API_VERSION names is kept.
func (e *engine) negotiate(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.base+"/_ping", nil)
	if err != nil {
		return err
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode >= 500 {
		return fmt.Errorf("ping: %s", resp.Status)
	}
	if e.version != "" {
		return nil
	}
	v := resp.Header.Get("API-Version")
	switch {
	case v == "":
		e.version = minAPIVersion
	case versionLess(v, maxAPIVersion):
		e.version = v
	default:
		e.version = maxAPIVersion
	}
	return nil
}

// versionLess compares API versions such as 1.41 and 1.51 number by
// number.
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// serverVersion is GET /version's engine version.
func (e *engine) serverVersion(ctx context.Context) (string, error) {
	var v struct{ Version string }
	err := e.call(ctx, http.MethodGet, "/version", nil, nil, &v)
	return v.Version, err
}

func (e *engine) containerList(ctx context.Context, f filterArgs) ([]containerSummary, error) {
	q := url.Values{"all": {"1"}}
	if len(f) > 0 {
		q.Set("filters", f.String())
	}
	var cs []containerSummary
	return cs, e.call(ctx, http.MethodGet, "/containers/json", q, nil, &cs)
}

// containerCreate creates a container and returns its ID.
func (e *engine) containerCreate(ctx context.Context, req *createRequest, name string) (string, error) {
	var q url.Values
	if name != "" {
		q = url.Values{"name": {name}}
	}
	var out struct {
		ID string `json:"Id"`
	}
	err := e.call(ctx, http.MethodPost, "/containers/create", q, req, &out)
	return out.ID, err
}

func (e *engine) containerStart(ctx context.Context, id string) error {
	return e.call(ctx, http.MethodPost, "/containers/"+url.PathEscape(id)+"/start", nil, nil, nil)
}

func (e *engine) containerKill(ctx context.Context, id, signal string) error {
	return e.call(ctx, http.MethodPost, "/containers/"+url.PathEscape(id)+"/kill", url.Values{"signal": {signal}}, nil, nil)
}

func (e *engine) containerRemove(ctx context.Context, id string) error {
	return e.call(ctx, http.MethodDelete, "/containers/"+url.PathEscape(id), url.Values{"force": {"1"}}, nil, nil)
}

func (e *engine) containerInspect(ctx context.Context, id string) error {
	return e.call(ctx, http.MethodGet, "/containers/"+url.PathEscape(id)+"/json", nil, nil, nil)
}

// imageInspect succeeds when the engine has the image. The reference
// goes into the path as it is: the engine's route takes a name with
// slashes (elfdoctor-test/host:1), and an escaped slash is not one.
func (e *engine) imageInspect(ctx context.Context, ref string) error {
	return e.call(ctx, http.MethodGet, "/images/"+ref+"/json", nil, nil, nil)
}

// containerWait asks the engine to report when the container reaches
// cond. The request is accepted (the engine answers its headers at once)
// before containerWait returns, so a container started afterwards cannot
// be missed; the body, the exit status, comes when the condition is met.
func (e *engine) containerWait(ctx context.Context, id, cond string) (<-chan waitResponse, <-chan error) {
	resC := make(chan waitResponse, 1)
	errC := make(chan error, 1)
	resp, err := e.do(ctx, http.MethodPost, "/containers/"+url.PathEscape(id)+"/wait", url.Values{"condition": {cond}}, nil)
	if err != nil {
		errC <- err
		return resC, errC
	}
	go func() {
		defer resp.Body.Close()
		var w waitResponse
		if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&w); err != nil {
			errC <- err
			return
		}
		resC <- w
	}()
	return resC, errC
}

// events streams the engine's events matching f since a time
// (seconds.nanoseconds); each message received is one value on the
// first channel.
func (e *engine) events(ctx context.Context, since string, f filterArgs) (<-chan struct{}, <-chan error) {
	msgC := make(chan struct{}, 1)
	errC := make(chan error, 1)
	go func() {
		resp, err := e.do(ctx, http.MethodGet, "/events", url.Values{"since": {since}, "filters": {f.String()}}, nil)
		if err != nil {
			errC <- err
			return
		}
		defer resp.Body.Close()
		dec := json.NewDecoder(resp.Body)
		for {
			var m json.RawMessage
			if err := dec.Decode(&m); err != nil {
				errC <- err
				return
			}
			select {
			case msgC <- struct{}{}:
			case <-ctx.Done():
				errC <- ctx.Err()
				return
			}
		}
	}()
	return msgC, errC
}

// hijacked is an attach stream: the connection after the engine's
// switch of protocols, read through the reader that holds what arrived
// with the response's headers.
type hijacked struct {
	net.Conn
	r *bufio.Reader
}

func (h *hijacked) Read(p []byte) (int, error) { return h.r.Read(p) }

// containerAttach attaches to a container's stdout and stderr as a
// stream multiplexed in Docker's 8-byte frame headers (stdcopy), on a
// connection of its own that the engine switches from HTTP to raw TCP.
func (e *engine) containerAttach(ctx context.Context, id string) (*hijacked, error) {
	conn, err := e.dial(ctx)
	if err != nil {
		return nil, err
	}
	if e.tls != nil {
		tc := tls.Client(conn, e.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, err
		}
		conn = tc
	}
	q := url.Values{"stream": {"1"}, "stdout": {"1"}, "stderr": {"1"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url("/containers/"+url.PathEscape(id)+"/attach", q), nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "tcp")
	// The request and its answer are bounded by ctx, the stream after
	// them by the caller's Close.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, err
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols && resp.StatusCode != http.StatusOK {
		err := readAPIError(resp)
		conn.Close()
		return nil, err
	}
	if !stop() {
		conn.Close()
		return nil, ctx.Err()
	}
	return &hijacked{Conn: conn, r: br}, nil
}

func (e *engine) close() { e.http.CloseIdleConnections() }
