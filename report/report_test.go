package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/inspect"
)

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"text", "json", "markdown", "html"} {
		f, err := ParseFormat(s)
		if err != nil || string(f) != s {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q, nil", s, f, err, s)
		}
	}
	for _, s := range []string{"", "md", "JSON", "yaml"} {
		if f, err := ParseFormat(s); err == nil {
			t.Errorf("ParseFormat(%q) = %q, nil; want an error", s, f)
		}
	}
}

func hexp(v uint64) *inspect.Hex { h := inspect.Hex(v); return &h }

// broken is a summary with everything a report can show, and hostile
// strings where the file provides text.
func broken() *inspect.Summary {
	return &inspect.Summary{
		Path: "app", Size: 0x5000, Class: "ELF64", Endian: "little", Type: "DYN (position-independent executable)",
		Machine: "X86_64", OSABI: "NONE", Entry: 0x1040, Interp: "/nix/store/abc-glibc/lib/ld-linux-x86-64.so.2", HasInterp: true,
		Segments: []inspect.Segment{
			{Index: 0, Type: "LOAD", Flags: "R", Offset: 0, Vaddr: 0, Filesz: 0x800, Memsz: 0x800, Align: 0x1000, Role: "LOAD R",
				Sections: []string{".interp", ".dynsym", "\x1b[2Jevil|name`", ".gnu.version_r", ".rela.dyn"}},
			{Index: 1, Type: "LOAD", Flags: "RW", Offset: 0x3df0, Vaddr: 0x3df0, Filesz: 0x220, Memsz: 0xe0028, ZeroFill: 0xdfe08, Align: 0x1000, Role: "LOAD RW",
				Sections: []string{".dynamic", ".bss"}},
		},
		Overlaps: []inspect.SegOverlap{{Start: 0x3000, End: 0x4000, Earlier: 0, Later: 1, EarlierPerm: "R", LaterPerm: "RW"}},
		Dynamic: &inspect.DynSummary{Addr: 0x3df0, Needed: []string{"libc.so.6"}, Runpath: []string{"/nix/store/abc-glibc/lib"},
			Pointers: []inspect.PointerSum{
				{Tag: "DT_VERNEED", Addr: 0x4100, Backing: "zero-fill", Segment: 1, Flags: "RW", Section: ".bss"},
				{Tag: "DT_STRTAB", Addr: 0x400, Backing: "file", Segment: 0, Flags: "R", Offset: hexp(0x400), Section: ".dynstr"},
			}},
		Versions: &inspect.VerSummary{
			Need: []inspect.VerNeedSum{{File: "libc.so.6", Versions: []inspect.VerAuxSum{{Name: "GLIBC_2.34", Index: 2}, {Name: "GLIBC_2.2.5", Index: 3, Weak: true, Hidden: true}}}},
			Def:  []inspect.VerDefSum{{Index: 1, Name: "app", Base: true}, {Index: 2, Name: "V2", Parents: []string{"V1"}}},
		},
		Notes:        []inspect.NoteSummary{{Owner: "GNU", Kind: "NT_GNU_ABI_TAG", Value: "Linux 3.2.0\u202e"}},
		Sections:     []inspect.SectionSummary{{Index: 1, Name: ".interp", Type: "PROGBITS", Flags: "A", Addr: 0x318, Offset: 0x318, Size: 0x1c}},
		RewriteSigns: []string{"program headers at 0x4000, not right after the ELF header (0x40): moved by a rewriter"},
		Problems: []inspect.Problem{{Structure: "Verneed chain", Addr: hexp(0x4100),
			Message: "Verneed chain at vaddr 0x4100: vn_next out of bounds \x1b]0;pwned\x07"}},
	}
}

func render(t *testing.T, s *inspect.Summary, o Options) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Inspect(&buf, s, o); err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	return buf.String()
}

func TestInspectTextOrder(t *testing.T) {
	out := render(t, broken(), Options{Format: Text})
	if first, _, _ := strings.Cut(out, "\n"); first != "app: ELF64 little-endian X86_64, DYN (position-independent executable)" {
		t.Errorf("first line = %q", first)
	}
	// What is wrong, then evidence, then what to do.
	order := []string{"  interpreter  /nix/store/", "  size         0x5000 (20 KiB)", "  status       1 problem found; 1 sign of rewriting after linking",
		"\nProblems\n", "\nSigns of rewriting\n", "\nProgram headers\n", "\nOverlapping mappings\n", "later wins",
		"\nDynamic\n", "  NEEDED   libc.so.6", "\nDynamic-table pointers\n", "DT_VERNEED", "zero-fill", "\nVersion requirements\n",
		"libc.so.6: GLIBC_2.34 (2), GLIBC_2.2.5 (3, weak, hidden)", "\nVersion definitions\n", "\nNotes\n", "\nNext:\n",
		"elfdoctor diff PRISTINE app", "nix-ld",
		"/nix/store/abc-glibc/lib/ld-linux-x86-64.so.2 --library-path /nix/store/abc-glibc/lib PRISTINE"}
	rest := out
	for _, s := range order {
		i := strings.Index(rest, s)
		if i < 0 {
			t.Fatalf("%q missing or out of order in:\n%s", s, out)
		}
		rest = rest[i+len(s):]
	}
	if strings.Contains(out, "\nSections\n") {
		t.Errorf("section table shown without Options.Sections:\n%s", out)
	}
	if !strings.Contains(render(t, broken(), Options{Format: Text, Sections: true}), "\nSections\n") {
		t.Errorf("section table missing with Options.Sections")
	}
	// ZERO-FILL in hex and human units; "-" when there is none.
	if !strings.Contains(out, "0xe0028 (896 KiB)  0xdfe08 (896 KiB)") {
		t.Errorf("zero-fill not shown as hex and human size:\n%s", out)
	}
	// Four section names at most, then "+N".
	if !strings.Contains(out, ".interp .dynsym") || !strings.Contains(out, "+") {
		t.Errorf("section list not truncated with +N:\n%s", out)
	}
}

func TestCleanInspect(t *testing.T) {
	// A clean file has no problem blocks and no Next.
	s := broken()
	s.Problems, s.RewriteSigns, s.Overlaps = nil, nil, nil
	s.Interp = "/lib64/ld-linux-x86-64.so.2"
	out := render(t, s, Options{Format: Text})
	for _, bad := range []string{"Problems", "Signs of rewriting", "Overlapping", "Next"} {
		if strings.Contains(out, bad) {
			t.Errorf("clean summary shows %q:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, "status       no problems found, no signs of rewriting") {
		t.Errorf("clean status missing:\n%s", out)
	}
}

func TestHostileStrings(t *testing.T) {
	for _, f := range []Format{Text, Markdown} {
		out := render(t, broken(), Options{Format: f, Sections: true})
		for _, bad := range []string{"\x1b", "\x07", "\u202e", codeOpen, codeClose} {
			if strings.Contains(out, bad) {
				t.Errorf("%s output contains %q:\n%s", f, bad, out)
			}
		}
		if !strings.Contains(out, `\x1b`) {
			t.Errorf("%s output does not show the escaped ESC", f)
		}
	}
	md := render(t, broken(), Options{Format: Markdown})
	// Every row of a table has as many cell separators as its header.
	for _, block := range strings.Split(md, "\n\n") {
		lines := strings.Split(block, "\n")
		if !strings.HasPrefix(lines[0], "|") {
			continue
		}
		want := pipes(lines[0])
		for _, l := range lines[1:] {
			if got := pipes(l); got != want {
				t.Errorf("markdown row has %d cell separators, header %d: %q", got, want, l)
			}
		}
	}
}

// pipes counts unescaped | in a Markdown table line.
func pipes(line string) int {
	n := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}

func TestColor(t *testing.T) {
	plain := render(t, broken(), Options{Format: Text})
	if strings.Contains(plain, "\x1b") {
		t.Errorf("text without Color has escape codes")
	}
	color := render(t, broken(), Options{Format: Text, Color: true})
	if !strings.HasPrefix(color, ansiBold+"app: ELF64") {
		t.Errorf("coloured title is not bold: %q", color[:min(40, len(color))])
	}
	if !strings.Contains(color, ansiRed+`Verneed chain at vaddr 0x4100`) {
		t.Errorf("problem is not red:\n%q", color)
	}
	// Colour only adds escape codes: without them the layout is the same.
	if stripped := ansiCode().ReplaceAllString(color, ""); stripped != plain {
		t.Errorf("coloured text without its escape codes differs from plain text:\n%s", lineDiff([]byte(plain), []byte(stripped)))
	}
	for _, f := range []Format{Markdown, JSON} {
		if out := render(t, broken(), Options{Format: f, Color: true}); strings.Contains(out, "\x1b") {
			t.Errorf("%s output has escape codes with Color set", f)
		}
	}
}

func TestDiffChangedRowsColor(t *testing.T) {
	a, b := broken(), broken()
	b.Segments = append([]inspect.Segment(nil), b.Segments...)
	b.Segments[1].Filesz, b.Segments[1].ZeroFill = b.Segments[1].Memsz, 0
	d := inspect.CompareSummaries(a, b)
	var buf bytes.Buffer
	if err := Diff(&buf, d, Options{Format: Text, Color: true}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	var plain bytes.Buffer
	if err := Diff(&plain, d, Options{Format: Text}); err != nil {
		t.Fatal(err)
	}
	if stripped := ansiCode().ReplaceAllString(out, ""); stripped != plain.String() {
		t.Errorf("coloured diff without its escape codes differs from plain text:\n%s", lineDiff(plain.Bytes(), []byte(stripped)))
	}
	if !strings.Contains(out, ansiYellow+"*"+ansiReset) {
		t.Errorf("changed row not marked in yellow:\n%q", out)
	}
	if !strings.HasPrefix(out, ansiBold+"Verdict: ") {
		t.Errorf("verdict not bold: %q", out[:min(30, len(out))])
	}
	buf.Reset()
	if err := Diff(&buf, d, Options{Format: Markdown}); err != nil {
		t.Fatal(err)
	}
	if md := buf.String(); !strings.Contains(md, "| **RW LOAD** | A ") || !strings.Contains(md, "| **`0x220` (544 B)** ") ||
		strings.Contains(md, "**`0x3df0`**") {
		t.Errorf("markdown does not bold exactly the changed cells:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "zero-fill gone") {
		t.Errorf("zero-fill change not reported:\n%s", buf.String())
	}
}

func TestDiffMissingSide(t *testing.T) {
	a, b := broken(), broken()
	b.Segments = append(b.Segments, inspect.Segment{Index: 2, Type: "LOAD", Flags: "RX", Offset: 0x5000, Vaddr: 0x5000, Filesz: 0x10, Memsz: 0x10, Align: 0x1000})
	d := inspect.CompareSummaries(a, b)
	var buf bytes.Buffer
	if err := Diff(&buf, d, Options{Format: Text}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "A     —  —") {
		t.Errorf("missing side not shown as —:\n%s", buf.String())
	}
}

func TestMarkdownInline(t *testing.T) {
	known := map[string]bool{"gcc-pie.patched": true}
	for _, tc := range []struct {
		in, want string
		auto     bool
	}{
		{"RW LOAD: FileSiz 0x220 (544 B) → 0xe0028 (896 KiB).", "RW LOAD: FileSiz `0x220` (544 B) → `0xe0028` (896 KiB).", true},
		{"gcc-pie.patched looks locally modified", "`gcc-pie.patched` looks locally modified", true},
		{"interpreter /lib64/ld-linux-x86-64.so.2 → /nix/store/x/ld.so", "interpreter `/lib64/ld-linux-x86-64.so.2` → `/nix/store/x/ld.so`", true},
		{"requires GLIBC_2.34 of libc.so.6 (added)", "requires `GLIBC_2.34` of `libc.so.6` (added)", true},
		{".dynstr at file offset 0x1000 lies after .text (0x500);", "`.dynstr` at file offset `0x1000` lies after `.text` (`0x500`);", true},
		{"a *b* <c> [d] | e_f _g", `a \*b\* \<c\> \[d\] \| e_f \_g`, false},
		{"x " + code("a|b`c"), "x ``a|b`c``", false},
		{code("``<img src=x>``"), "``` ``<img src=x>`` ```", false},
		{code(" a "), "`  a  `", false},
		{code("   "), "`   `", false},
	} {
		if got := mdInline(tc.in, known, tc.auto, false); got != tc.want {
			t.Errorf("mdInline(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
	if got := mdInline(code("a|b"), nil, false, true); got != "`a\\|b`" {
		t.Errorf("code span in a table = %q, want pipe escaped", got)
	}
}

func TestSectionList(t *testing.T) {
	names := []string{".interp", ".note.gnu.property", ".note.gnu.build-id", ".dynsym", ".dynstr", ".gnu.version"}
	for _, tc := range []struct {
		budget int
		want   string
	}{
		{100, ".interp .note.gnu.property .note.gnu.build-id .dynsym +2"},
		{30, ".interp .note.gnu.property +4"},
		{5, ".interp +5"},
	} {
		if got := plainText(sectionList(names, tc.budget)); got != tc.want {
			t.Errorf("sectionList(budget %d) = %q, want %q", tc.budget, got, tc.want)
		}
	}
	if got := sectionList(nil, 20); got != "" {
		t.Errorf("sectionList(nil) = %q", got)
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"plain .text":      "plain .text",
		"\x1b[31mred":      `\x1b[31mred`,
		"a\nb\tc":          `a\x0ab\x09c`,
		"bad\xffutf8":      `bad\xffutf8`,
		"rtl\u202eevil":    `rtl\u202eevil`,
		"c1\u009bcontrol":  `c1\u009bcontrol`,
		"ünïcödé → ok":     "ünïcödé → ok",
		"marker\x02inject": `marker\x02inject`,
	} {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
		if got := clean(clean(in)); got != clean(in) {
			t.Errorf("clean is not idempotent on %q", in)
		}
	}
}

func TestNilAndUnknownFormat(t *testing.T) {
	var buf bytes.Buffer
	if err := Inspect(&buf, nil, Options{}); err == nil {
		t.Error("Inspect(nil) succeeded")
	}
	if err := Diff(&buf, nil, Options{}); err == nil {
		t.Error("Diff(nil) succeeded")
	}
	if err := Inspect(&buf, broken(), Options{Format: "yaml"}); err == nil {
		t.Error("Inspect with format yaml succeeded")
	}
}
