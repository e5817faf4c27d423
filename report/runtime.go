package report

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// runtimeResult is the JSON result of the runtime command.
type runtimeResult struct {
	Path string `json:"path"`
	*inspect.Fingerprint
}

// Runtime writes what runtime path embeds and whether its payload is
// reachable.
func Runtime(w io.Writer, path string, fp *inspect.Fingerprint, o Options) error {
	if fp == nil {
		return errors.New("report: nil fingerprint")
	}
	if o.Format == JSON {
		c := *fp
		if c.Runtimes == nil {
			c.Runtimes = []inspect.Runtime{}
		}
		return writeJSON(w, "runtime", o.Version, runtimeResult{Path: path, Fingerprint: &c})
	}
	d, err := newDoc(o)
	if err != nil {
		return err
	}
	runtimeDoc(d, path, fp, o.CPULevel)
	return d.flush(w)
}

// RuntimeLine names a runtime in one line: "Bun 1.3.14 (0d9b296af), Linux
// x64, baseline".
func RuntimeLine(r *inspect.Runtime) string {
	s := r.Name
	if r.Version != "" {
		s += " " + r.Version
	}
	if r.Commit != "" {
		s += " (" + r.Commit + ")"
	}
	if r.Platform != "" {
		s += ", " + r.Platform
	}
	for _, v := range r.Variants {
		s += ", " + v
	}
	return s
}

// runtimeDoc: the verdict on the payload first, then each runtime's facts
// and evidence, the toolchain, and what to do next.
func runtimeDoc(d doc, path string, fp *inspect.Fingerprint, cpu string) {
	d.literals(path)
	switch {
	case len(fp.Runtimes) == 0 && fp.Truncated != nil:
		d.title("Runtime: " + code(path) + " is truncated: no runtime found in what remains")
	case len(fp.Runtimes) == 0:
		d.title("Runtime: " + code(path) + " embeds no runtime elfdoctor knows")
		d.para("No Bun, Node.js SEA, Deno, Go or PyInstaller marks were found.", false)
	default:
		var names []string
		for i := range fp.Runtimes {
			names = append(names, clean(RuntimeLine(&fp.Runtimes[i])))
		}
		d.title("Runtime: " + code(path) + " is " + strings.Join(names, "; "))
	}
	if t := fp.Truncated; t != nil {
		d.para(clean(fmt.Sprintf("The file ends at %s, but its own headers describe bytes up to %s: it was cut off (an interrupted download or copy), and the runtime, its application or the marks that name them may have been in the missing part:", hexOf(uint64(t.Size)), hexOf(uint64(t.Expected)))), true)
		var items []string
		for _, h := range t.Hides {
			items = append(items, clean(h))
		}
		d.list(items, true)
	}
	for i := range fp.Runtimes {
		for _, m := range fp.Runtimes[i].Damaged() {
			d.para(clean(fmt.Sprintf("Damaged %s mark, %s: %s.", fp.Runtimes[i].Name, m.Name, m.Problem)), true)
		}
	}
	if bad := fp.Unreachable(); bad != nil {
		d.para(clean(fmt.Sprintf("The %s application payload is not where %s will look: %s.", bad.Name, bad.Name, bad.Payload.Problem)), true)
	} else {
		for i := range fp.Runtimes {
			r := &fp.Runtimes[i]
			switch {
			case r.Payload != nil:
				d.para(clean(fmt.Sprintf("The %s application payload is where %s will look for it.", r.Name, r.Name)), true)
			case r.Kind == inspect.RuntimeBun || r.Kind == inspect.RuntimeNode || r.Kind == inspect.RuntimeDeno:
				d.para(clean(fmt.Sprintf("No application is embedded: this is the %s runtime itself.", r.Name)), false)
			}
		}
	}
	for i := range fp.Runtimes {
		r := &fp.Runtimes[i]
		d.heading(clean(r.Name))
		kv := [][2]string{}
		add := func(k, v string) {
			if v != "" {
				kv = append(kv, [2]string{k, v})
			}
		}
		addCode := func(k, v string) {
			if v != "" {
				add(k, code(v))
			}
		}
		addCode("version", r.Version)
		addCode("commit", r.Commit)
		add("platform", clean(r.Platform))
		add("variants", clean(strings.Join(r.Variants, ", ")))
		for _, dt := range r.Details {
			addCode(dt.Key, dt.Value)
		}
		if p := r.Payload; p != nil {
			state := "reachable"
			if !p.Reachable {
				state = "NOT reachable"
			}
			add("payload", clean(p.Format)+", "+state)
			add("read by", clean(p.Access))
			if p.Off != 0 || p.Reachable {
				add("offset", code(hexOf(uint64(p.Off))))
			}
			if p.Addr != 0 {
				add("vaddr", code(hexOf(uint64(p.Addr))))
			}
			add("size", size(uint64(p.Size)))
			addCode("entry", p.Entry)
			if p.Files > 0 {
				add("files", fmt.Sprint(p.Files))
			}
		}
		d.kv(kv)
		if len(r.Marks) > 0 {
			var ms []string
			for _, m := range r.Marks {
				s := string(m.State) + ": " + m.Name
				if m.Where != "" {
					s += " (" + m.Where + ")"
				}
				if m.Problem != "" {
					s += ": " + m.Problem
				}
				ms = append(ms, clean(s))
			}
			d.list(ms, false)
		}
		var ev []string
		for _, e := range r.Evidence {
			ev = append(ev, clean(e))
		}
		if r.Payload != nil {
			for _, e := range r.Payload.Evidence {
				ev = append(ev, clean(e))
			}
		}
		if len(ev) > 0 {
			d.list(ev, false)
		}
	}
	if len(fp.Toolchain) > 0 {
		d.heading("Toolchain")
		t := table{header: []string{"TOOL", "VERSION", "FROM", "AS RECORDED"}}
		for _, tl := range fp.Toolchain {
			t.rows = append(t.rows, tableRow{cells: []string{clean(tl.Name), codeOr(tl.Version, "-"), code(tl.Source), code(tl.Raw)}})
		}
		d.table(t)
	}
	if len(fp.Problems) > 0 {
		d.heading("Could not read")
		var items []string
		for _, p := range fp.Problems {
			items = append(items, clean(p.Message))
		}
		d.list(items, true)
	}
	d.next(runtimeNext(path, fp, cpu))
}

// runtimeNext is the advice: the rewrite that damaged the payload named
// when the damage tells which, and the SIGILL warning for a non-baseline
// Bun only when the CPU that will run it (cpu, an x86-64 level; "" when
// unknown) lacks the level the build needs.
func runtimeNext(path string, fp *inspect.Fingerprint, cpu string) []string {
	var next []string
	if fp.Truncated != nil {
		next = append(next, "Download or copy the file again and compare its size with the release's: "+code(command("ls -l", argWord(path)))+" shows "+fmt.Sprint(uint64(fp.Truncated.Size))+" bytes, its headers need at least "+fmt.Sprint(uint64(fp.Truncated.Expected))+".")
	}
	if bad := fp.Unreachable(); bad != nil {
		next = append(next,
			"Compare with the pristine download: "+code(command("elfdoctor diff PRISTINE", argWord(path)))+" shows what the rewrite moved.",
			rewriteAdvice(bad))
	}
	if bun := fp.Runtime(inspect.RuntimeBun); bun != nil && strings.Contains(bun.Platform, "x64") && !slices.Contains(bun.Variants, "baseline") && (cpu == "v1" || cpu == "v2") {
		next = append(next, "This Bun is not a baseline build: it needs x86-64-v3 (AVX2), and this machine's CPU is x86-64-"+cpu+", so it dies with SIGILL at start-up: use the -baseline build of the same release.")
	}
	return next
}

// rewriteAdvice names the tool that made the payload unreachable when
// the damage tells (strip's zeroed slot, patchelf's stale table or
// appended segment), instead of blaming patchelf for a strip.
func rewriteAdvice(r *inspect.Runtime) string {
	who := ""
	if r.Payload != nil {
		who = r.Payload.Rewriter
	}
	for _, m := range r.Damaged() {
		if who == "" {
			who = m.Rewriter
		}
	}
	switch {
	case strings.HasPrefix(who, "strip"):
		return "Do not strip (or objcopy) single-file executables: those tools drop or zero the bytes no section header describes, which is where the runtime keeps its application. Use the pristine download as it is."
	case who != "":
		return "Do not rewrite single-file executables in place (" + who + "): run the pristine file through its interpreter, " + code("ld.so --library-path DIRS FILE") + ", or with nix-ld."
	}
	return "Do not rewrite single-file executables in place (patchelf, strip, objcopy): run the pristine file unmodified, through its interpreter (" + code("ld.so --library-path DIRS FILE") + ") or with nix-ld."
}
