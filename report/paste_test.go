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
	"github.com/elfdoctor/elfdoctor/inspect"
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

// TestAdviceCommandsPaste covers each builder of advice with a command in
// it, whatever fixture would reach it: inspect's (rewrite signs, or
// problems), diff's three verdicts and runtime's (a payload the runtime
// cannot reach). Each command in a literal span is pasted into bash.
func TestAdviceCommandsPaste(t *testing.T) {
	dir := t.TempDir()
	sh := pastetest.New(t, dir, "elfdoctor")
	interp := filepath.Join(dir, "ld $(touch X).so")
	sh.Stub(interp)
	const (
		a = "a;touch X"
		b = "-b `touch X`"
	)
	rpath := []string{"$ORIGIN/../lib", "/opt/it's here"}
	summary := func(path string) *inspect.Summary {
		return &inspect.Summary{Path: path, HasInterp: true, Interp: interp, BuildID: path,
			Dynamic: &inspect.DynSummary{Rpath: rpath}, RewriteSigns: []string{"moved"}}
	}
	fp := &inspect.Fingerprint{Runtimes: []inspect.Runtime{{Name: "Bun", Payload: &inspect.Payload{Reachable: false}}}}
	broken := summary(a)
	broken.RewriteSigns, broken.Problems = nil, []inspect.Problem{{Message: "bad"}}
	var advice []string
	advice = append(advice, inspectNext(summary(a))...)
	advice = append(advice, inspectNext(broken)...)
	advice = append(advice, runtimeNext(b, fp, "v2")...)
	for _, v := range []string{inspect.VerdictLocallyEdited, inspect.VerdictLayoutChanged, inspect.VerdictSameLayout} {
		advice = append(advice, diffNext(&inspect.Diff{Verdict: v, PathA: a, PathB: b, A: summary(a), B: summary(b)})...)
	}
	want := map[string]bool{}
	for _, w := range [][]string{
		{"elfdoctor", "diff", "PRISTINE", a}, {"elfdoctor", "diff", "GOOD", a}, {"elfdoctor", "diff", "PRISTINE", "./" + b},
		{interp, "--library-path", strings.Join(rpath, ":"), "PRISTINE"}, {interp, "--library-path", strings.Join(rpath, ":"), a},
		{"elfdoctor", "inspect", a}, {"elfdoctor", "inspect", "./" + b},
	} {
		want[pastetest.Call{Prog: w[0], Args: w[1:]}.String()] = false
	}
	for _, s := range advice {
		for i, sp := range spans(s) {
			if i%2 == 0 || !(strings.HasPrefix(sp, "elfdoctor ") || strings.HasPrefix(sp, shellquote.Word(interp))) {
				continue
			}
			calls := sh.Paste(sp)
			if len(calls) != 1 {
				t.Errorf("pasting %q ran %d programs", sp, len(calls))
				continue
			}
			k := calls[0].String()
			if _, ok := want[k]; !ok {
				t.Errorf("pasting %q ran %q", sp, strings.Split(k, "\x00"))
			}
			want[k] = true
		}
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("no advice ran %q", strings.Split(k, "\x00"))
		}
	}
}
