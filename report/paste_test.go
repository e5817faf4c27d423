package report

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"

	"github.com/elfdoctor/elfdoctor/bisect"
	"github.com/elfdoctor/elfdoctor/coredump"
	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/pastetest"
	"github.com/elfdoctor/elfdoctor/internal/shellquote"
)

// codeSpans is every code span of a Markdown document as GitHub shows
// it: the text a person selects and pastes.
func codeSpans(t *testing.T, src []byte) []string {
	t.Helper()
	root := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(text.NewReader(src))
	var out []string
	err := ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if c, ok := n.(*ast.CodeSpan); ok && entering {
			out = append(out, nodeText(c, src))
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPastedCommands writes a bug report, with a core and a bisection,
// for files whose names, interpreter and RPATH would run commands if a
// printed line did not quote them, then pastes every command of the
// rendered Markdown (the Reproduce lines, the Next advice of the report,
// its diff and inspect sections) into bash with elfdoctor, gdb, the
// file itself and its interpreter replaced by recording stubs. No X may
// appear, and each program must get exactly the words meant.
func TestPastedCommands(t *testing.T) {
	dir := t.TempDir()
	patchelf := needTool(t, "patchelf")
	// Relative names, as people type them: one without a slash (run as
	// ./NAME, not looked up in PATH) and one that starts with "-".
	exe, pristine, coreName := "app;touch X", "-n $(touch X)", "`touch X`.core"
	interp := filepath.Join(dir, "ld `touch X`.so")
	rpath := "$ORIGIN/../lib dir:/opt/$(touch X)/a b;c"
	copyFile(t, filepath.Join(binDir, "gcc-pie"), filepath.Join(dir, pristine), 0o755)
	copyFile(t, filepath.Join(binDir, "gcc-pie"), filepath.Join(dir, exe), 0o755)
	run(t, patchelf, "--set-rpath", rpath, "--set-interpreter", interp, filepath.Join(dir, exe))

	vs := filepath.Join(dir, "v;touch X\n`touch X`")
	if err := os.Mkdir(vs, 0o755); err != nil {
		t.Fatal(err)
	}
	for v, s := range map[string]string{"1": "#!/bin/sh\nexit 0\n", "2": "#!/bin/sh\nkill -SEGV $$\n"} {
		if err := os.WriteFile(filepath.Join(vs, v), []byte(s), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bis, err := bisect.Run(context.Background(), bisect.Config{Source: &bisect.DirSource{Dir: vs}, Runner: bisect.HostRunner{}, Images: []string{"host"}})
	if err != nil {
		t.Fatal(err)
	}

	t.Chdir(dir)
	core := &coredump.Analysis{Core: coreName, SignalName: "SIGSEGV",
		Crash: coredump.Crash{Kind: coredump.KindCrash, Summary: "app crashed."}}
	b, err := Gather(BugInput{Exe: exe, Pristine: pristine, Env: &testEnv, Bisect: bis, Core: core,
		Check: loader.CheckOptions{Getenv: func(string) string { return "" }}})
	if err != nil {
		t.Fatal(err)
	}
	md := renderBug(t, b, BugOptions{Format: Markdown})

	sh := pastetest.New(t, dir, "elfdoctor", "gdb")
	sh.Stub(filepath.Join(dir, exe))
	sh.Stub(interp)
	call := func(prog, ldDebug string, args ...string) string {
		return pastetest.Call{Prog: prog, LDDebug: ldDebug, Args: args}.String()
	}
	want := []string{
		call("elfdoctor", "", "check", exe),
		call("elfdoctor", "", "runtime", exe),
		call("elfdoctor", "", "diff", "./"+pristine, exe),
		call("elfdoctor", "", "check", "./"+pristine),
		call("./"+exe, "libs,versions"),
		call("elfdoctor", "", "coredump", "--exe", exe, coreName),
		call("gdb", "", "-batch", "-ex", "bt", exe, coreName),
		call("elfdoctor", "", "bisect", "..."),
		// Advice: the diff section's and the inspect section's.
		call(interp, "", "--library-path", rpath, "./"+pristine),
		call(interp, "", "--library-path", rpath, "PRISTINE"),
		call("elfdoctor", "", "diff", "PRISTINE", exe),
	}
	got := map[string]bool{}
	pasted := 0
	for _, c := range codeSpans(t, md) {
		if !strings.HasPrefix(c, "elfdoctor ") && !strings.HasPrefix(c, "gdb ") && !strings.HasPrefix(c, "LD_DEBUG=") &&
			!strings.HasPrefix(c, shellquote.Word(interp)+" ") {
			continue
		}
		pasted++
		calls := sh.Paste(c)
		if len(calls) != 1 {
			t.Errorf("pasting %q ran %d programs, want 1: %q", c, len(calls), calls)
			continue
		}
		s := calls[0].String()
		if !slices.Contains(want, s) {
			t.Errorf("pasting %q ran %q", c, strings.Split(s, "\x00"))
		}
		got[s] = true
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("no printed command ran %q", strings.Split(w, "\x00"))
		}
	}
	if t.Failed() {
		t.Logf("%d commands pasted from:\n%s", pasted, md)
	}
}
