package report

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/inspect/loader"
	"github.com/elfdoctor/elfdoctor/internal/damage"
)

// damagedCopy writes gcc-pie with one kind of loader-visible damage to
// dir/name and returns its path.
func damagedCopy(t *testing.T, dir, name string, apply func([]byte) ([]byte, error)) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(binDir, "gcc-pie"))
	if err != nil {
		t.Fatal(err)
	}
	if b, err = apply(b); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func summaryOf(t *testing.T, path string) *inspect.Summary {
	t.Helper()
	f, err := inspect.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return inspect.Summarize(f, path)
}

// TestPointerMarks: every pointer ld.so follows is marked; a mark is red
// exactly when the pointer lands in the wrong table, in no mapping, or is
// a DT_DEBUG slot ld.so cannot write.
func TestPointerMarks(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		path string
		bad  map[string]string // label → a phrase of why it is red
	}{
		{"pristine", filepath.Join(binDir, "gcc-pie"), nil},
		{"patchelf", filepath.Join(binDir, "gcc-pie.patched"), nil},
		{"verneed-into-dynsym", damagedCopy(t, dir, "a", damage.VerneedIntoDynsym), map[string]string{"DT_VERNEED": "lands in .dynsym, not in .gnu.version_r"}},
		{"verneed-unmapped", damagedCopy(t, dir, "b", damage.VerneedUnmapped), map[string]string{"DT_VERNEED": "no PT_LOAD maps it"}},
		{"dynamic-readonly", damagedCopy(t, dir, "c", damage.DynamicReadOnly), map[string]string{"DT_DEBUG slot": "read-only"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := summaryOf(t, tc.path)
			marks := pointerMarks(s)
			seen := map[string]bool{}
			for _, m := range marks {
				seen[m.label] = true
				want, wantBad := tc.bad[m.label]
				switch {
				case wantBad && !strings.Contains(m.bad, want):
					t.Errorf("%s: bad = %q, want it to say %q", m.label, m.bad, want)
				case !wantBad && m.bad != "":
					t.Errorf("%s is red (%s), want it plain", m.label, m.bad)
				}
			}
			for _, tag := range []string{"DT_STRTAB", "DT_SYMTAB", "DT_GNU_HASH", "DT_VERSYM", "DT_VERNEED", "DT_RELA", "DT_JMPREL", "DT_DEBUG slot"} {
				if !seen[tag] {
					t.Errorf("no mark for %s", tag)
				}
			}
		})
	}
}

// TestPointerMarksInChromium opens the HTML report of a copy whose
// DT_VERNEED points into .dynsym, kept under a long Nix-store-like path,
// in a real headless Chromium at 1280 pixels: the red mark is on screen,
// and the page needs no horizontal scrolling.
func TestPointerMarksInChromium(t *testing.T) {
	chromium := needChromium(t)
	dir := filepath.Join(t.TempDir(), "nix", "store", "8hpdq3yzmp2yy7x0a4w2pcn4s8g2k9l1_some_vendor_cli_with_a_very_long_name_2.1.143_and_no_hyphen_to_break_at", "libexec", "some_vendor_cli", "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := damagedCopy(t, dir, "app_with_a_long_file_name_that_must_wrap_instead_of_scrolling_sideways", damage.VerneedIntoDynsym)
	b, err := Gather(BugInput{Exe: exe, Pristine: filepath.Join(binDir, "gcc-pie"), Env: &testEnv,
		Check: loader.CheckOptions{Getenv: func(string) string { return "" }}})
	if err != nil {
		t.Fatal(err)
	}
	page := renderBug(t, b, BugOptions{Format: HTML})
	if !bytes.Contains(page, []byte(`class="pointer bad"`)) {
		t.Fatal("the page has no red pointer mark")
	}
	// A script added to this copy of the page writes the widest scroll
	// width into the title, which --dump-dom shows.
	probe := bytes.Replace(page, []byte("</body>"), []byte(`<script>document.title = "scrollWidth=" + document.documentElement.scrollWidth;</script></body>`), 1)
	tmp := t.TempDir()
	pagePath := filepath.Join(tmp, "report.html")
	probePath := filepath.Join(tmp, "probe.html")
	if err := os.WriteFile(pagePath, page, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(probePath, probe, 0o644); err != nil {
		t.Fatal(err)
	}
	base := chromiumArgs(tmp)
	dom, err := chromiumCmd(t, chromium, append(base, "--dump-dom", "file://"+probePath)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	m := regexp.MustCompile(`scrollWidth=(\d+)`).FindSubmatch(dom)
	if m == nil {
		t.Fatal("the probe script did not run")
	}
	w, _ := strconv.Atoi(string(m[1]))
	t.Logf("scroll width at 1280 pixels: %d", w)
	if w > 1280 {
		t.Errorf("the page is %d pixels wide in a 1280-pixel window: it scrolls sideways", w)
	}
	shot := filepath.Join(tmp, "shot.png")
	if out, err := chromiumCmd(t, chromium, append(base, "--screenshot="+shot, "file://"+pagePath)...).CombinedOutput(); err != nil {
		t.Fatalf("chromium --screenshot: %v\n%s", err, out)
	}
	fh, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	bnd := img.Bounds()
	for y := bnd.Min.Y; y < bnd.Max.Y; y++ {
		for x := bnd.Min.X; x < bnd.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 == 0xe5 && g>>8 == 0x10 && bl>>8 == 0x1f {
				return
			}
		}
	}
	t.Errorf("the screenshot shows no red pointer mark (%s)", badMarkColor)
	if keep := os.Getenv("ELFDOCTOR_SCREENSHOT"); keep != "" {
		data, _ := os.ReadFile(shot)
		os.WriteFile(keep, data, 0o644)
	}
}

func needChromium(t *testing.T) string {
	t.Helper()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium not installed (the test set-up installs Debian's chromium): %v", err)
		}
		t.Skip("chromium not installed")
	}
	return chromium
}

func chromiumArgs(dir string) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + filepath.Join(dir, "profile"), "--window-size=1280,1600"}
}

// chromiumCmd runs headless Chromium with a time limit: on a loaded
// machine it has been seen to hang, and a hung test would take the whole
// suite's time.
func chromiumCmd(t *testing.T, chromium string, args ...string) *exec.Cmd {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, chromium, args...)
	cmd.WaitDelay = 10 * time.Second
	return cmd
}
