package bisect

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestEngineNegotiate: the API version is the engine's when older than
// ours, ours when the engine's is newer, 1.24 when the engine names none,
// and DOCKER_API_VERSION's when set, as Docker's client negotiates; every
// request then carries it in its path.
func TestEngineNegotiate(t *testing.T) {
	for _, tc := range []struct {
		name, server, pinned, want string
	}{
		{"older engine (Debian's 20.10)", "1.41", "", "1.41"},
		{"newer engine", "1.99", "", maxAPIVersion},
		{"same", maxAPIVersion, "", maxAPIVersion},
		{"engine names none", "", "", minAPIVersion},
		{"DOCKER_API_VERSION", "1.41", "1.40", "1.40"},
		{"two-digit minor", "1.9", "", "1.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var paths []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				paths = append(paths, r.URL.Path)
				if tc.server != "" {
					w.Header().Set("API-Version", tc.server)
				}
				if r.URL.Path == "/_ping" {
					w.Write([]byte("OK"))
					return
				}
				w.Write([]byte(`{"Version":"20.10.24"}`))
			}))
			defer srv.Close()
			env := map[string]string{"DOCKER_API_VERSION": tc.pinned}
			e, err := newEngine("tcp://"+strings.TrimPrefix(srv.URL, "http://"), func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			defer e.close()
			if err := e.negotiate(context.Background()); err != nil {
				t.Fatal(err)
			}
			if e.version != tc.want {
				t.Errorf("version %s, want %s", e.version, tc.want)
			}
			if v, err := e.serverVersion(context.Background()); err != nil || v != "20.10.24" {
				t.Errorf("serverVersion = %q, %v", v, err)
			}
			if want := "/v" + tc.want + "/version"; paths[len(paths)-1] != want {
				t.Errorf("request path %s, want %s", paths[len(paths)-1], want)
			}
		})
	}
}

// TestEngineErrors: the engine's refusals keep its message and status (a
// missing image is "not found", which Run turns into advice), and hosts
// the runner cannot reach say what to use instead.
func TestEngineErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/containers/create"):
			if r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("create sent Content-Type %q", r.Header.Get("Content-Type"))
			}
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"message":"No such image: elfdoctor-test/none:1"}`))
		case strings.HasSuffix(r.URL.Path, "/start"):
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte("not JSON"))
		}
	}))
	defer srv.Close()
	e, err := newEngine("tcp://"+strings.TrimPrefix(srv.URL, "http://"), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	e.version = "1.41"
	_, err = e.containerCreate(context.Background(), &createRequest{Image: "elfdoctor-test/none:1"}, "n")
	if !isNotFound(err) || !strings.Contains(err.Error(), "No such image: elfdoctor-test/none:1") {
		t.Errorf("create: %v, want not found with the engine's message", err)
	}
	err = e.containerStart(context.Background(), "abc")
	var ae *apiError
	if !errors.As(err, &ae) || ae.Status != 500 || ae.Message != "not JSON" || isNotFound(err) {
		t.Errorf("start: %#v", err)
	}

	for _, host := range []string{"ssh://user@host", "npipe:////./pipe/docker_engine", "/var/run/docker.sock", "unix://"} {
		if _, err := newEngine(host, func(string) string { return "" }); err == nil {
			t.Errorf("newEngine(%q) accepted", host)
		}
	}
}

func TestFilterArgs(t *testing.T) {
	if got, want := filter("container", "abc", "event", "oom").String(), `{"container":{"abc":true},"event":{"oom":true}}`; got != want {
		t.Errorf("filter = %s, want %s", got, want)
	}
	if got, want := filter("label", "a=b").String(), `{"label":{"a=b":true}}`; got != want {
		t.Errorf("filter = %s, want %s", got, want)
	}
}
