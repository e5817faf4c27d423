package bisect

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestPrepareRefuses: options that contradict each other are usage
// errors, before anything is opened or downloaded; a missing file is not.
func TestPrepareRefuses(t *testing.T) {
	dir := t.TempDir()
	base := Options{Dir: dir, Runner: "host", MaxSize: DefaultMaxSize, FileSize: DefaultFileSize, TmpSize: DefaultTmpSize, CPUs: DefaultCPUs,
		CacheDir: filepath.Join(dir, "cache"), Getenv: func(string) string { return "" }}
	for _, tc := range []struct {
		name  string
		edit  func(*Options)
		usage bool
	}{
		{"no source", func(o *Options) { o.Dir = "" }, true},
		{"two sources", func(o *Options) { o.NPM = "x" }, true},
		{"bad regexp", func(o *Options) { o.BadOutput = "(" }, true},
		{"relative mount target", func(o *Options) { o.Mounts = []string{"a:b"} }, true},
		{"docker without image", func(o *Options) { o.Runner = "docker" }, true},
		{"image with host", func(o *Options) { o.Images = []string{"debian:12"} }, true},
		{"unknown runner", func(o *Options) { o.Runner = "podman" }, true},
		{"url without version", func(o *Options) { o.Dir, o.URL = "", "https://example.invalid/app" }, true},
		{"url without versions", func(o *Options) { o.Dir, o.URL = "", "https://example.invalid/{version}/app" }, true},
		{"checksum without url", func(o *Options) { o.SHA256 = []string{"00"} }, true},
		{"zero size", func(o *Options) { o.MaxSize = 0 }, true},
		{"missing versions file", func(o *Options) { o.VersionsFile = filepath.Join(dir, "nosuch") }, false},
		{"missing local copy", func(o *Options) { o.Local = filepath.Join(dir, "nosuch") }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			tc.edit(&o)
			s, err := Prepare(context.Background(), o)
			if err == nil {
				s.Close()
				t.Fatal("Prepare accepted it")
			}
			if IsUsage(err) != tc.usage {
				t.Errorf("Prepare: %v; usage error = %v, want %v", err, IsUsage(err), tc.usage)
			}
		})
	}
	// The versions file: one a line, comments and blanks skipped.
	vf := filepath.Join(dir, "versions")
	if err := os.WriteFile(vf, []byte("# releases\n1.0\n\n1.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := base
	o.VersionsFile = vf
	s, err := Prepare(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.Config.Versions; len(got) != 2 || got[0] != "1.0" || got[1] != "1.1" {
		t.Errorf("versions = %q, want [1.0 1.1]", got)
	}
	if s.Config.Images[0] != HostImage {
		t.Errorf("images = %q, want the host", s.Config.Images)
	}
}
