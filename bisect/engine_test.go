package bisect

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// TestEngineTLS: a tcp:// engine with DOCKER_CERT_PATH is reached over TLS
// with the client certificate from cert.pem and key.pem; with
// DOCKER_TLS_VERIFY set the server's certificate must chain to ca.pem, so
// a server that ca.pem does not vouch for is refused.
func TestEngineTLS(t *testing.T) {
	var sawClientCert bool
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawClientCert = r.TLS != nil && len(r.TLS.PeerCertificates) == 1
		w.Header().Set("API-Version", "1.41")
		w.Write([]byte("OK"))
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.StartTLS()
	defer srv.Close()

	certs := t.TempDir()
	writePEM := func(name, typ string, der []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(certs, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM("cert.pem", "CERTIFICATE", der)
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM("key.pem", "EC PRIVATE KEY", kb)
	host := "tcp://" + strings.TrimPrefix(srv.URL, "https://")

	for _, tc := range []struct {
		name string
		ca   []byte // DER of the CA certificate written to ca.pem
		ok   bool
	}{
		{"server's certificate in ca.pem", srv.Certificate().Raw, true},
		{"another CA", der, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sawClientCert = false
			writePEM("ca.pem", "CERTIFICATE", tc.ca)
			env := map[string]string{"DOCKER_CERT_PATH": certs, "DOCKER_TLS_VERIFY": "1"}
			e, err := newEngine(host, func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			defer e.close()
			err = e.negotiate(context.Background())
			if (err == nil) != tc.ok {
				t.Fatalf("negotiate: %v, want success %v", err, tc.ok)
			}
			if tc.ok && (!sawClientCert || e.version != "1.41") {
				t.Errorf("client certificate sent %v, version %s", sawClientCert, e.version)
			}
		})
	}
}
