package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/coredump"
	"github.com/elfdoctor/elfdoctor/inspect/loader"
)

// fakeRoot is a file system with a password database of people and
// system accounts, host files, and the symbolic links the redactor must
// see through: /home/carol → /var/home/carol (as on Fedora's atomic
// desktops) and /tmp/ln → alice's project.
func fakeRoot(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/bash\n" +
			"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n" +
			"www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n" +
			"svc:x:999:999::/var/lib/svc:/usr/sbin/nologin\n" +
			"# a comment\n" +
			"alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n" +
			"bob:x:1001:1001::/data/bob/:/bin/bash\n" +
			"carol:x:1002:1002::/var/home/carol:/bin/bash\n" +
			"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		"etc/hostname": "db\n",
		"etc/hosts":    "127.0.0.1 localhost\n127.0.1.1 db.corp.example.org db # this machine\n::1 localhost ip6-localhost ip6-loopback\n10.0.0.2 other.corp.example.org other\n",
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"home/alice/proj", "data/bob", "var/home/carol", "tmp", "root"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{"home/carol": "../var/home/carol", "tmp/ln": "../home/alice/proj"} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

// TestRedactorPaths runs as root under sudo from alice, on host "db":
// every home of a person is redacted however the path is written or
// reached, system accounts' homes are not, user names are redacted in
// paths outside /home, host names of any length as words.
func TestRedactorPaths(t *testing.T) {
	root := fakeRoot(t)
	r := NewRedactor(Identity{Etc: filepath.Join(root, "etc"), Root: root, Hostname: "db",
		Getenv: env(map[string]string{"HOME": "/root", "USER": "root", "SUDO_USER": "alice"})})
	for _, c := range []struct{ in, want string }{
		{"/home/alice/bin/app", "~/bin/app"},
		{"/home//alice/./bin/../bin/app", "~/bin/app"},
		{"/home/alice", "~"},
		{"/home/alice/", "~/"},
		{"/home/alicex/app", "/home/alicex/app"},
		{"/data/bob/x and /data//bob", "~{user}/x and ~{user}"},
		{"/home/carol/app", "~{user}/app"}, // through /home/carol → /var/home/carol
		{"/tmp/ln/app", "~/proj/app"},      // a symbolic link into alice's home
		{"/tmp/ln/missing/deeper", "~/proj/missing/deeper"},
		{"/srv/alice/build", "/srv/{user}/build"},
		{"/tmp/alice-build/x", "/tmp/{user}-build/x"},
		{"/tmp/malice/x", "/tmp/malice/x"},
		{"/var/www/html /usr/sbin/sshd /var/lib/svc", "/var/www/html /usr/sbin/sshd /var/lib/svc"},
		{"/root/app and /$bunfs/root/app", "~/app and /$bunfs/root/app"},
		{"built on db today, db.corp.example.org and DB.CORP.example.org:22", "built on {host} today, {host} and {host}:22"},
		{"dbx db-2 0xdb other.corp.example.org", "dbx db-2 0xdb other.corp.example.org"},
		{"'/home/alice/app;touch X'", "'~/app;touch X'"},
		{`"exe": "/home/alice/a b"`, `"exe": "~/a b"`},
		{"LD_LIBRARY_PATH=/home/alice/lib:/data/bob/lib", "LD_LIBRARY_PATH=~/lib:~{user}/lib"},
		{"&#39;/home/alice/x&#39;", "&#39;~/x&#39;"},
	} {
		for _, f := range []Format{Markdown, HTML, JSON} {
			if got := string(r.Apply([]byte(c.in), f)); got != c.want {
				t.Errorf("Apply(%q, %s) = %q, want %q", c.in, f, got, c.want)
			}
		}
	}
	// sudo from a system account: its home is the person's for this run.
	svc := NewRedactor(Identity{Etc: filepath.Join(root, "etc"), Root: root, Hostname: "db",
		Getenv: env(map[string]string{"HOME": "/root", "USER": "root", "SUDO_USER": "svc"})})
	if got := string(svc.Apply([]byte("/var/lib/svc/app /var/www/x /home/alice/y"), Markdown)); got != "~/app /var/www/x ~{user}/y" {
		t.Errorf("SUDO_USER=svc: %q", got)
	}
	// A host name of one letter is still a name.
	x := NewRedactor(Identity{Etc: t.TempDir(), Hostname: "x", Getenv: env(nil)})
	if got := string(x.Apply([]byte("x86-64 x 0x10 x.example"), Markdown)); got != "x86-64 {host} 0x10 {host}.example" {
		t.Errorf("one-letter host: %q", got)
	}
}

// TestBugReportRedaction writes a whole report, in every format, for a
// program in a person's home named through "//" and through a symbolic
// link, with a core whose command line carries a token, on a host with a
// short name: none of the home, the user, the host or the secrets may
// appear, argv[0] stays, and --no-redact (no Redactor) keeps them all.
func TestBugReportRedaction(t *testing.T) {
	base := t.TempDir()
	home := filepath.Join(base, "home", "tester")
	if err := os.MkdirAll(filepath.Join(home, "proj"), 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(binDir, "gcc-pie.patched"), filepath.Join(home, "proj", "app"), 0o755)
	copyFile(t, filepath.Join(binDir, "gcc-pie"), filepath.Join(home, "proj", "app.orig"), 0o755)
	link := filepath.Join(base, "ln")
	if err := os.Symlink(filepath.Join(home, "proj"), link); err != nil {
		t.Fatal(err)
	}
	etc := filepath.Join(base, "etc")
	if err := os.Mkdir(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	pw := "root:x:0:0:root:/root:/bin/bash\ntester:x:1000:1000::" + home + ":/bin/sh\n"
	if err := os.WriteFile(filepath.Join(etc, "passwd"), []byte(pw), 0o644); err != nil {
		t.Fatal(err)
	}
	exe := strings.Replace(filepath.Join(home, "proj", "app"), "/proj", "//proj", 1)
	cmdline := exe + " --token s3cret --password=hunter22 -v"
	core := &coredump.Analysis{Core: filepath.Join(home, "core.1234"), SignalName: "SIGABRT",
		Process: coredump.Process{Pid: 1234, Name: "app", Args: cmdline},
		Crash:   coredump.Crash{Kind: coredump.KindAbort, Summary: "app aborted.", Message: "bad token s3cret"},
		Journal: &coredump.JournalEntry{PID: 1234, Comm: "app", Exe: exe, Cmdline: cmdline, Hostname: "ci7", Storage: coredump.StorageFile, CoreFile: filepath.Join(home, "core.1234")}}
	b, err := Gather(BugInput{Exe: exe, Pristine: filepath.Join(link, "app.orig"), Env: &testEnv, Core: core,
		Check: loader.CheckOptions{Getenv: func(string) string { return "" }}})
	if err != nil {
		t.Fatal(err)
	}
	r := NewRedactor(Identity{Etc: etc, Hostname: "ci7", Getenv: env(map[string]string{"HOME": "/root", "USER": "root", "SUDO_USER": "tester"})})
	secrets := []string{home, "tester", "s3cret", "hunter22", "ci7", link}
	for _, f := range []Format{Markdown, JSON, HTML} {
		out := string(renderBug(t, b, BugOptions{Format: f, Redact: r}))
		for _, s := range secrets {
			if strings.Contains(out, s) {
				i := strings.Index(out, s)
				t.Errorf("%s report shows %q: …%s…", f, s, out[max(0, i-80):min(len(out), i+80)])
			}
		}
		for _, want := range []string{"~/proj/app", "{arg}", "{host}"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s report lacks %q", f, want)
			}
		}
		if f == JSON && !json.Valid([]byte(out)) {
			t.Errorf("redacted JSON is not valid")
		}
		if f == Markdown && !strings.Contains(out, "~/proj/app {arg} {arg} {arg} {arg}") {
			t.Errorf("the command line does not keep argv[0] and hide the rest:\n%s", out)
		}
		kept := string(renderBug(t, b, BugOptions{Format: f}))
		for _, s := range []string{home, "s3cret", "hunter22", "ci7"} {
			if !strings.Contains(kept, s) {
				t.Errorf("%s report without redaction lacks %q", f, s)
			}
		}
	}
	// With nothing to replace, JSON redaction (decoded and encoded again)
	// changes no byte but the flag.
	nc := *b
	nc.Core = nil
	plain := strings.Replace(string(renderBug(t, &nc, BugOptions{Format: JSON})), `"redacted": false`, `"redacted": true`, 1)
	nothing := &Redactor{Hosts: []string{"no-such-host"}}
	if got := string(renderBug(t, &nc, BugOptions{Format: JSON, Redact: nothing})); got != plain {
		t.Errorf("JSON redaction that replaces nothing changed the document:\n%s", lineDiff([]byte(plain), []byte(got)))
	}
	if b.Core.Process.Args != cmdline {
		t.Errorf("redaction changed the Bug it rendered: %q", b.Core.Process.Args)
	}
}

// FuzzRedact: any text redacts without panicking, and a JSON document
// stays valid JSON whatever its strings hold.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{`{"a": "/home/alice/x", "b": ["db", 1.5e3, null, true]}`, "/home//alice/../alice/x db s3cret",
		`{"/home/alice": {"x": "\u003c/home/alice\u003e \\u0041 s3cret\\"}}`, "'/tmp/ln/x;y' &#39;/home/alice&#39;", "/" + strings.Repeat("a/", 100)} {
		f.Add(s)
	}
	// And every report golden: real documents in each format.
	goldens, _ := filepath.Glob(filepath.Join(goldenDir, "report", "*"))
	for _, g := range goldens {
		if b, err := os.ReadFile(g); err == nil {
			f.Add(string(b))
		}
	}
	root := fakeRoot(f)
	f.Fuzz(func(t *testing.T, s string) {
		r := &Redactor{Homes: []string{"/home/alice", "/root"}, OtherHomes: []string{"/home/alice/bob"}, Users: []string{"alice", "u0041"}, Hosts: []string{"db", "u0041"},
			Args: []string{"s3cret", "u0041", "home"}, Root: root}
		for _, fm := range []Format{Markdown, HTML, JSON} {
			out := r.Apply([]byte(s), fm)
			if fm == JSON && json.Valid([]byte(s)) && !json.Valid(out) {
				t.Errorf("valid JSON %q redacted to invalid %q", s, out)
			}
		}
	})
}

// BenchmarkRedact is the cost of redacting a whole report (the
// local-damage case with its pristine copy: every inspect table) as the
// report command does, on this machine's password database and names.
func BenchmarkRedact(b *testing.B) {
	bug := gather(b, "gcc-pie.patched", "gcc-pie")
	for _, f := range []Format{Markdown, JSON} {
		out := renderBug(b, bug, BugOptions{Format: f})
		b.Run(string(f), func(b *testing.B) {
			b.SetBytes(int64(len(out)))
			for b.Loop() {
				r := NewRedactor(Identity{})
				r.Apply(out, f)
			}
		})
	}
}

// BenchmarkRedactManyPaths is a hostile report: 50,000 distinct paths
// that do not exist. Resolution stops at maxResolve distinct paths; the
// rest are compared as written.
func BenchmarkRedactManyPaths(b *testing.B) {
	var sb strings.Builder
	for i := range 50000 {
		fmt.Fprintf(&sb, "/tmp/no/such/dir/%d/a/b/c/d/e/f ", i)
	}
	in := []byte(sb.String())
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		r := &Redactor{Homes: []string{"/home/alice"}, Users: []string{"alice"}, Hosts: []string{"db"}}
		r.Apply(in, Markdown)
	}
}
