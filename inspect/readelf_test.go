package inspect

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The model is checked field by field against binutils' readelf on every
// fixture and on a few of the machine's own files. On pristine files the
// file view and the loader's view agree, so readelf is the reference for
// both.

func readelfFixtures(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../testdata/bin/*")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, ".txt") {
			continue
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		t.Fatal("no fixtures in testdata/bin; run scripts/build-fixtures")
	}
	for _, sys := range []string{"/bin/ls", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"} {
		if _, err := os.Stat(sys); err == nil {
			out = append(out, sys)
		}
	}
	return out
}

// needTool fails under CI and skips elsewhere when a tool is missing:
// CI must never pass because a real dependency was absent.
func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed (scripts/install-test-deps installs it): %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
}

// eachFixture runs fn as one subtest per fixture, with the file open.
func eachFixture(t *testing.T, fn func(t *testing.T, path string, f *File)) {
	needTool(t, "readelf")
	for _, path := range readelfFixtures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			fn(t, path, f)
		})
	}
}

func readelf(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("readelf", args...).Output()
	if err != nil {
		t.Fatalf("readelf %s: %v", strings.Join(args, " "), err)
	}
	return string(out)
}

func hexOrDec(t *testing.T, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), map[bool]int{true: 16, false: 10}[strings.HasPrefix(s, "0x")], 64)
	if err != nil {
		t.Fatalf("readelf value %q: %v", s, err)
	}
	return v
}

func TestReadelfHeader(t *testing.T) {
	eachFixture(t, func(t *testing.T, path string, f *File) {
		want := map[string]string{}
		for _, l := range strings.Split(readelf(t, "-hW", path), "\n") {
			k, v, ok := strings.Cut(l, ":")
			if ok {
				want[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
		first := func(s string) string { return strings.Fields(s + " ")[0] }
		check := func(field string, got uint64, key string) {
			if w := hexOrDec(t, first(want[key])); got != w {
				t.Errorf("%s(%s) = %#x, want %#x (readelf %q)", field, path, got, w, key)
			}
		}
		check("Entry", f.Entry, "Entry point address")
		check("Phoff", f.Phoff, "Start of program headers")
		check("Shoff", f.Shoff, "Start of section headers")
		check("Phnum", uint64(f.Phnum), "Number of program headers")
		check("Shnum", uint64(f.Shnum), "Number of section headers")
		check("Shstrndx", uint64(f.Shstrndx), "Section header string table index")
		if got, w := strings.TrimPrefix(f.Class.String(), "ELFCLASS"), strings.TrimPrefix(want["Class"], "ELF"); got != w {
			t.Errorf("Class(%s) = %s, want %s", path, got, w)
		}
		if big := strings.Contains(want["Data"], "big endian"); big != (f.Data == elf.ELFDATA2MSB) {
			t.Errorf("Data(%s) = %s, readelf says %q", path, f.Data, want["Data"])
		}
	})
}

var phdrRE = regexp.MustCompile(`^\s+([A-Z_+0-9a-fx]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+([RWE ]+?)\s+(0x[0-9a-f]+|\d+)$`)

func TestReadelfProgramHeaders(t *testing.T) {
	eachFixture(t, func(t *testing.T, path string, f *File) {
		out := readelf(t, "-lW", path)
		i := 0
		mapping := false
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, "Section to Segment mapping") {
				mapping = true
				continue
			}
			if mapping {
				fs := strings.Fields(l)
				if len(fs) == 0 || fs[0] == "Segment" {
					continue
				}
				n, err := strconv.Atoi(fs[0])
				if err != nil || n >= len(f.Progs) {
					continue
				}
				got := strings.Join(f.SectionsIn(&f.Progs[n]), " ")
				if w := strings.Join(fs[1:], " "); got != w {
					t.Errorf("SectionsIn(%s, %d) = %q, want %q (readelf)", path, n, got, w)
				}
				continue
			}
			m := phdrRE.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			if i >= len(f.Progs) {
				t.Fatalf("readelf lists more than %d program headers", len(f.Progs))
			}
			p := f.Progs[i]
			// Processor-specific types (MIPS REGINFO, ABIFLAGS) have names only
			// readelf knows; the numbers are compared through the order.
			if got := ProgTypeName(p.Type); got != m[1] && !strings.HasPrefix(got, "LOPROC") && !strings.HasPrefix(got, "LOOS") {
				t.Errorf("Progs(%s)[%d].Type = %s, want %s (readelf)", path, i, got, m[1])
			}
			for k, got := range []uint64{p.Offset, p.Vaddr, p.Paddr, p.Filesz, p.Memsz, 0, p.Align} {
				if k == 5 {
					continue
				}
				if w := hexOrDec(t, m[2+k]); got != w {
					t.Errorf("Progs(%s)[%d] field %d = %#x, want %#x (readelf)", path, i, k, got, w)
				}
			}
			wantFlags := strings.ReplaceAll(strings.ReplaceAll(m[7], " ", ""), "E", "X")
			if wantFlags == "" {
				wantFlags = "-"
			}
			if got := FlagString(p.Flags); got != wantFlags {
				t.Errorf("Progs(%s)[%d].Flags = %s, want %s (readelf)", path, i, got, wantFlags)
			}
			i++
		}
		if i != len(f.Progs) {
			t.Errorf("Progs(%s): %d program headers, readelf listed %d", path, len(f.Progs), i)
		}
	})
}

var dynRE = regexp.MustCompile(`^\s*0x([0-9a-f]+)\s+\((\S+)\)\s+(.*)$`)

func TestReadelfDynamic(t *testing.T) {
	eachFixture(t, func(t *testing.T, path string, f *File) {
		d, err := f.Dynamic()
		if err != nil {
			t.Fatal(err)
		}
		var rows [][]string
		for _, l := range strings.Split(readelf(t, "-dW", path), "\n") {
			if m := dynRE.FindStringSubmatch(l); m != nil && m[2] != "NULL" {
				rows = append(rows, m)
			}
		}
		if d == nil {
			if len(rows) > 0 {
				t.Fatalf("Dynamic(%s) = nil, readelf lists %d entries", path, len(rows))
			}
			return
		}
		if len(rows) != len(d.Entries) {
			t.Fatalf("Dynamic(%s): %d entries, readelf lists %d", path, len(d.Entries), len(rows))
		}
		var needed []string
		for i, m := range rows {
			e := d.Entries[i]
			tag := hexOrDec(t, "0x"+m[1])
			if uint64(e.Tag) != tag&^0 && uint64(int64(e.Tag)) != tag {
				t.Errorf("Dynamic(%s)[%d].Tag = %#x, want %#x (readelf %s)", path, i, uint64(e.Tag), tag, m[2])
			}
			val := m[3]
			if s, ok := bracketed(val); ok {
				switch m[2] {
				case "NEEDED":
					needed = append(needed, s)
				case "SONAME":
					if d.Soname != s {
						t.Errorf("Soname(%s) = %q, want %q", path, d.Soname, s)
					}
				case "RPATH":
					if got := strings.Join(d.Rpath, ":"); got != s {
						t.Errorf("Rpath(%s) = %q, want %q", path, got, s)
					}
				case "RUNPATH":
					if got := strings.Join(d.Runpath, ":"); got != s {
						t.Errorf("Runpath(%s) = %q, want %q", path, got, s)
					}
				}
				continue
			}
			fs := strings.Fields(val)
			if len(fs) > 0 && (strings.HasPrefix(fs[0], "0x") || len(fs) > 1 && fs[1] == "(bytes)") {
				if w := hexOrDec(t, fs[0]); e.Val != w {
					t.Errorf("Dynamic(%s)[%d] %s = %#x, want %#x (readelf)", path, i, m[2], e.Val, w)
				}
			}
		}
		if strings.Join(needed, " ") != strings.Join(d.Needed, " ") {
			t.Errorf("Needed(%s) = %q, want %q (readelf)", path, d.Needed, needed)
		}
	})
}

func bracketed(s string) (string, bool) {
	i, j := strings.IndexByte(s, '['), strings.LastIndexByte(s, ']')
	if i < 0 || j < i || !strings.Contains(s[:i], ":") {
		return "", false
	}
	return s[i+1 : j], true
}

var (
	verneedRE = regexp.MustCompile(`Version: (\d+)\s+File: (\S+)\s+Cnt: (\d+)`)
	vernauxRE = regexp.MustCompile(`Name: (\S+)\s+Flags: (.+?)\s+Version: (\d+)`)
	verdefRE  = regexp.MustCompile(`Rev: (\d+)\s+Flags: (.+?)\s+Index: (\d+)\s+Cnt: (\d+)\s+Name: (\S+)`)
	parentRE  = regexp.MustCompile(`Parent \d+: (\S+)`)
)

func TestReadelfVersions(t *testing.T) {
	eachFixture(t, func(t *testing.T, path string, f *File) {
		d, _ := f.Dynamic()
		v, err := f.Versions(d)
		if err != nil {
			t.Fatal(err)
		}
		var got, want []string
		if v != nil {
			if len(v.Problems) > 0 {
				t.Errorf("Versions(%s) problems on a pristine file: %v", path, v.Problems)
			}
			for _, n := range v.Need {
				got = append(got, "need "+n.File)
				for _, a := range n.Aux {
					got = append(got, "  "+a.Name+" "+strconv.Itoa(int(a.Other&0x7fff)))
				}
			}
			for _, df := range v.Def {
				got = append(got, "def "+strconv.Itoa(int(df.Ndx))+" "+strings.Join(df.Names, " "))
			}
		}
		var def *string
		for _, l := range strings.Split(readelf(t, "-VW", path), "\n") {
			switch {
			case verdefRE.MatchString(l):
				m := verdefRE.FindStringSubmatch(l)
				want = append(want, "def "+m[3]+" "+m[5])
				def = &want[len(want)-1]
			case parentRE.MatchString(l) && def != nil:
				*def += " " + parentRE.FindStringSubmatch(l)[1]
			case verneedRE.MatchString(l):
				want = append(want, "need "+verneedRE.FindStringSubmatch(l)[2])
				def = nil
			case vernauxRE.MatchString(l):
				m := vernauxRE.FindStringSubmatch(l)
				want = append(want, "  "+m[1]+" "+m[3])
			}
		}
		// readelf prints Verdef before Verneed; we walk Verneed first.
		sortKinds := func(xs []string) string {
			var defs, needs []string
			for _, x := range xs {
				if strings.HasPrefix(x, "def ") {
					defs = append(defs, x)
				} else {
					needs = append(needs, x)
				}
			}
			return strings.Join(append(needs, defs...), "\n")
		}
		if g, w := sortKinds(got), sortKinds(want); g != w {
			t.Errorf("Versions(%s) =\n%s\nwant (readelf)\n%s", path, g, w)
		}
	})
}

func TestReadelfNotesAndSections(t *testing.T) {
	buildID := regexp.MustCompile(`Build ID: ([0-9a-f]+)`)
	abiTag := regexp.MustCompile(`OS: (\S+), ABI: (\S+)`)
	secRE := regexp.MustCompile(`^\s*\[\s*(\d+)\]\s+(\S+)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s`)
	eachFixture(t, func(t *testing.T, path string, f *File) {
		notes, probs := f.Notes()
		if len(probs) > 0 {
			t.Errorf("Notes(%s) problems: %v", path, probs)
		}
		out := readelf(t, "-nW", path)
		if m := buildID.FindStringSubmatch(out); m != nil {
			if got := BuildID(notes); got != m[1] {
				t.Errorf("BuildID(%s) = %q, want %q (readelf)", path, got, m[1])
			}
		}
		if m := abiTag.FindStringSubmatch(out); m != nil {
			found := false
			for _, n := range notes {
				if n.Kind == "NT_GNU_ABI_TAG" && n.Value == m[1]+" "+m[2] {
					found = true
				}
			}
			if !found {
				t.Errorf("Notes(%s): no NT_GNU_ABI_TAG %s %s", path, m[1], m[2])
			}
		}
		n := 0
		for _, l := range strings.Split(readelf(t, "-SW", path), "\n") {
			m := secRE.FindStringSubmatch(l)
			if m == nil || m[1] == "0" {
				continue
			}
			i, _ := strconv.Atoi(m[1])
			if i >= len(f.Sections) {
				t.Fatalf("Sections(%s): readelf lists section %d of %d", path, i, len(f.Sections))
			}
			s := f.Sections[i]
			n++
			if s.Name != m[2] {
				t.Errorf("Sections(%s)[%d].Name = %q, want %q", path, i, s.Name, m[2])
			}
			for k, got := range []uint64{s.Addr, s.Offset, s.Size} {
				if w := hexOrDec(t, "0x"+m[4+k]); got != w {
					t.Errorf("Sections(%s)[%d] %s field %d = %#x, want %#x (readelf)", path, i, s.Name, k, got, w)
				}
			}
		}
		if len(f.Sections) > 0 && n != len(f.Sections)-1 {
			t.Errorf("Sections(%s): %d sections, readelf listed %d", path, len(f.Sections)-1, n)
		}
	})
}
