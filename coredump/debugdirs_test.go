package coredump

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDebugDirs finds separate debug files as gdb does: in several
// debug-file directories, given repeated or colon-separated, each with
// .build-id/ appended (or a .build-id directory itself), then in
// NIX_DEBUG_INFO_DIRS. The libc and ld.so debug files of this machine's
// glibc are split over two directories, so naming the frames of one core
// (an abort in a library constructor: libc's raise and abort above ld.so's
// _dl_init) needs both; with either directory left out, its frames lose
// their debug names.
func TestDebugDirs(t *testing.T) {
	needLoaderSymbols(t)
	dir := t.TempDir()
	compile(t, "gcc", "libabort.c", dir, "libinit.so", "-O1", "-shared", "-fPIC")
	exe := compile(t, "gcc", "useinit.c", dir, "useinit", "-O1", "-L"+dir, "-linit", "-Wl,-rpath,$ORIGIN")
	core := makeCore(t, dir, exe)

	// One directory per library, each laid out like /usr/lib/debug.
	split := func(lib string) string {
		d := t.TempDir()
		id := fileBuildID(lib)
		if id == "" {
			t.Fatalf("no build-id in %s", lib)
		}
		src := filepath.Join("/usr/lib/debug/.build-id", id[:2], id[2:]+".debug")
		dst := filepath.Join(d, ".build-id", id[:2], id[2:]+".debug")
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(src, dst); err != nil {
			t.Fatal(err)
		}
		return d
	}
	ldDir := split("/lib64/ld-linux-x86-64.so.2")
	libcDir := split(libcPath(t))
	noEnv := func(string) string { return "" }
	for _, tc := range []struct {
		name       string
		dirs       []string
		env        string
		libc, ldso bool
	}{
		{"both, repeated", []string{libcDir, ldDir}, "", true, true},
		{"both, colon-separated", []string{libcDir + ":" + ldDir}, "", true, true},
		{"a .build-id directory itself", []string{filepath.Join(libcDir, ".build-id"), ldDir}, "", true, true},
		{"NIX_DEBUG_INFO_DIRS after --debug-dir", []string{libcDir}, ldDir, true, true},
		{"only libc's", []string{libcDir}, "", true, false},
		{"only ld.so's", []string{ldDir}, "", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := noEnv
			if tc.env != "" {
				getenv = func(k string) string {
					if k == "NIX_DEBUG_INFO_DIRS" {
						return tc.env
					}
					return ""
				}
			}
			a, err := Analyze(context.Background(), core, Options{NoCheck: true, DebugDirs: tc.dirs, CacheDir: t.TempDir(), Getenv: getenv})
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(functions(a.Threads[0].Frames), " ")
			// __pthread_kill_implementation is a static function of libc
			// and call_init one of ld.so: only their debug files name them.
			if has := strings.Contains(got, "__pthread_kill_implementation"); has != tc.libc {
				t.Errorf("libc's debug file used = %v, want %v: frames %s", has, tc.libc, got)
			}
			if has := strings.Contains(got, "call_init"); has != tc.ldso {
				t.Errorf("ld.so's debug file used = %v, want %v: frames %s", has, tc.ldso, got)
			}
		})
	}
}

// libcPath is the libc.so.6 this machine's programs load.
func libcPath(t *testing.T) string {
	for _, p := range []string{"/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib64/libc.so.6"} {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return r
		}
	}
	t.Fatal("no libc.so.6 found")
	return ""
}
