package fix_test

import (
	"context"
	"os"
	"testing"

	"github.com/elfdoctor/elfdoctor/fix"
	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// BenchmarkSelfExeSensitive reads a real Bun 1.4.5 application (about
// 100 MB), warm in the page cache: fix asks this once per plan.
func BenchmarkSelfExeSensitive(b *testing.B) {
	app := reality.BunCompiled(b, "1.4.5", "").App
	st, err := os.Stat(app)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	for b.Loop() {
		if _, err := fix.SelfExeSensitive(app); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPreflightPatchelf is the whole preflight on a real Bun 1.3.14
// application with this machine's patchelf: copy, rewrite, two checks,
// removal.
func BenchmarkPreflightPatchelf(b *testing.B) {
	reality.NeedTools(b, "patchelf")
	app := reality.BunCompiled(b, "1.3.14", "").App
	st, err := os.Stat(app)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	rw := fix.Rewrite{Interpreter: "/nix/store/8hpdq3yzmp2yy7x0a4w2pcn4s8g2k9l1-glibc-2.40-66/lib/ld-linux-x86-64.so.2", RPath: reality.NixRpath, SetRPath: true}
	tmp := b.TempDir()
	for b.Loop() {
		if _, err := fix.PreflightPatchelf(context.Background(), app, rw, fix.PatchelfOptions{TempDir: tmp, Check: loader.CheckOptions{Getenv: reality.NoEnv}}); err != nil {
			b.Fatal(err)
		}
	}
}
