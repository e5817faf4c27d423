package coredump

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/damage"
)

// fixture is one crashing program and what its core must show.
type fixture struct {
	name  string
	cc    string
	src   string
	flags []string
	// check inspects the analysis; gdbAgrees says gdb's backtrace is
	// complete for this core and its function names must appear in ours.
	check     func(t *testing.T, a *Analysis)
	gdbAgrees bool
}

var fixtures = []fixture{
	{name: "segv-g", cc: "gcc", src: "segv.c", flags: []string{"-g", "-O1"}, gdbAgrees: true, check: checkSegv},
	{name: "segv-nodebug", cc: "gcc", src: "segv.c", flags: []string{"-O1", "-s"}, check: func(t *testing.T, a *Analysis) {
		// Stripped: the program's own frames have no names, but the
		// fault is still decoded and placed.
		wantKind(t, a, KindCrash)
		if a.Fault == nil || !a.Fault.Matches {
			t.Errorf("Fault = %+v, want the operand to equal si_addr", a.Fault)
		}
	}},
	// No .eh_frame for the program's code: the unwinder must use
	// .debug_frame, since frame pointers are omitted too.
	{name: "segv-debug-frame", cc: "gcc", src: "segv.c", flags: []string{"-g", "-O1", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables", "-fomit-frame-pointer"}, gdbAgrees: true, check: func(t *testing.T, a *Analysis) {
		checkSegv(t, a)
		for _, f := range a.Threads[0].Frames[1:4] {
			if f.Method != ByCFI {
				t.Errorf("frame %s found by %s, want cfi from .debug_frame", f.Function, f.Method)
			}
		}
	}},
	{name: "cxx", cc: "g++", src: "cxx.cc", flags: []string{"-O1"}, gdbAgrees: true, check: func(t *testing.T, a *Analysis) {
		wantKind(t, a, KindCrash)
		if got := a.Threads[0].Frames[0].Function; got != "shapes::Canvas::paint(int)" {
			t.Errorf("frame 0 = %q, want shapes::Canvas::paint(int)", got)
		}
	}},
	{name: "threads", cc: "gcc", src: "threads.c", flags: []string{"-O1", "-pthread"}, check: func(t *testing.T, a *Analysis) {
		wantKind(t, a, KindCrash)
		if len(a.Threads) < 2 {
			t.Fatalf("%d threads, want at least 2", len(a.Threads))
		}
		if got := a.Threads[0].Frames[0].Function; got != "worker_fault" {
			t.Errorf("faulting thread frame 0 = %q, want worker_fault", got)
		}
		if a.Signal == nil || a.Signal.Addr != 0x10 {
			t.Errorf("Signal = %+v, want si_addr 0x10", a.Signal)
		}
	}},
	{name: "trap", cc: "gcc", src: "trap.c", flags: []string{"-O1"}, gdbAgrees: true, check: func(t *testing.T, a *Analysis) {
		wantKind(t, a, KindSigill)
		if a.Fault == nil || !strings.HasPrefix(a.Fault.Instruction, "ud2") || !strings.Contains(a.Crash.Summary, "unreachable_state") {
			t.Errorf("fault %+v, summary %q: want ud2 in unreachable_state", a.Fault, a.Crash.Summary)
		}
	}},
	{name: "sigbus", cc: "gcc", src: "sigbus.c", flags: []string{"-O1"}, check: func(t *testing.T, a *Analysis) {
		wantKind(t, a, KindTruncated)
		if !strings.Contains(a.Crash.Summary, "data.bin") {
			t.Errorf("summary %q does not name the truncated file", a.Crash.Summary)
		}
	}},
	{name: "stack-protector", cc: "gcc", src: "smash.c", flags: []string{"-O1", "-fstack-protector-all", "-D_FORTIFY_SOURCE=0"}, check: func(t *testing.T, a *Analysis) {
		wantKind(t, a, KindAbort)
		if !strings.Contains(a.Crash.Message, "stack smashing detected") || !strings.Contains(a.Crash.Next, "overrun") {
			t.Errorf("message %q, next %q: want the stack protector's", a.Crash.Message, a.Crash.Next)
		}
	}},
	{name: "assert", cc: "gcc", src: "assert.c", flags: []string{"-O1"}, check: func(t *testing.T, a *Analysis) {
		wantKind(t, a, KindAbort)
		if !strings.Contains(a.Crash.Message, "balance went negative") || !strings.Contains(a.Crash.Message, "check_balance") {
			t.Errorf("abort message = %q, want the assertion text", a.Crash.Message)
		}
		if !strings.Contains(a.Crash.Summary, "check_balance") {
			t.Errorf("summary %q does not name check_balance", a.Crash.Summary)
		}
	}},
}

func checkSegv(t *testing.T, a *Analysis) {
	wantKind(t, a, KindCrash)
	if a.SignalName != "SIGSEGV" || a.CodeName != "SEGV_MAPERR" {
		t.Errorf("signal = %s %s, want SIGSEGV SEGV_MAPERR", a.SignalName, a.CodeName)
	}
	want := []string{"store", "middle", "outer", "main"}
	if got := functions(a.Threads[0].Frames); !inOrder(got, want) {
		t.Errorf("frames = %v, want %v in order", got, want)
	}
	if a.Fault == nil || !a.Fault.Matches || a.Fault.Addr != 0 {
		t.Errorf("Fault = %+v, want operand = si_addr = 0", a.Fault)
	}
	if f := a.Threads[0].Frames[0]; filepath.Base(f.File) != "segv.c" || f.Line != 6 {
		t.Errorf("frame 0 at %s:%d, want segv.c:6", f.File, f.Line)
	}
}

func wantKind(t *testing.T, a *Analysis, kind string) {
	t.Helper()
	if a.Crash.Kind != kind {
		t.Errorf("Crash.Kind = %q, want %q (summary: %s)", a.Crash.Kind, kind, a.Crash.Summary)
	}
}

func functions(fs []Frame) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Function)
	}
	return out
}

// inOrder reports whether want is a subsequence of got.
func inOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

func TestAnalyzeFixtures(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			dir := t.TempDir()
			exe := compile(t, fx.cc, fx.src, dir, fx.name, fx.flags...)
			core := makeCore(t, dir, exe)
			a, err := Analyze(context.Background(), core, Options{})
			if err != nil {
				t.Fatalf("Analyze: %v", err)
			}
			fx.check(t, a)
			if fx.gdbAgrees {
				needTool(t, "gdb")
				g := gdbFrames(t, exe, core)
				if len(g) == 0 {
					t.Fatalf("gdb printed no frames")
				}
				if got := functions(a.Threads[0].Frames); !matchesGDB(got, g) {
					t.Errorf("frames = %v, gdb says %v", got, g)
				}
			}
		})
	}
}

var gdbFrame = regexp.MustCompile(`(?m)^#(\d+)\s+(0x[0-9a-f]+ in )?(\S+?) \(`)

// gdbFrames returns `gdb -batch -ex bt` as physical frames, each the
// names gdb prints for it: the line with the address, then the functions
// it was inlined into, which gdb prints without an address. elfdoctor
// reads no DWARF inline information yet, so any of them may be its name.
func gdbFrames(t *testing.T, exe, core string) [][]string {
	t.Helper()
	out, err := exec.Command("gdb", "-nx", "-batch", "-ex", "bt", "-c", core, exe).CombinedOutput()
	if err != nil {
		t.Fatalf("gdb: %v\n%s", err, out)
	}
	// gdb prints frame 0 once when it loads the core and again in bt.
	text := string(out)
	if i := strings.LastIndex(text, "\n#0 "); i >= 0 {
		text = text[i+1:]
	}
	var groups [][]string
	for _, m := range gdbFrame.FindAllStringSubmatch(text, -1) {
		if m[1] == "0" || m[2] != "" || len(groups) == 0 {
			groups = append(groups, []string{m[3]})
		} else {
			groups[len(groups)-1] = append(groups[len(groups)-1], m[3])
		}
	}
	return groups
}

// matchesGDB reports whether every frame gdb names appears, in order,
// among ours; frames gdb prints as ?? are not required.
func matchesGDB(ours []string, gdb [][]string) bool {
	i := 0
	for _, g := range gdb {
		if len(g) == 1 && g[0] == "??" {
			continue
		}
		for i < len(ours) && !slices.Contains(g, ours[i]) {
			i++
		}
		if i == len(ours) {
			return false
		}
		i++
	}
	return true
}

// TestLibraryInitCrash: a needed library's constructor faults while ld.so
// runs initialisers, before the program's entry point.
func TestLibraryInitCrash(t *testing.T) {
	needLoaderSymbols(t)
	dir := t.TempDir()
	compile(t, "gcc", "libinit.c", dir, "libinit.so", "-O1", "-g", "-shared", "-fPIC")
	exe := compile(t, "gcc", "useinit.c", dir, "useinit", "-O1", "-L"+dir, "-linit", "-Wl,-rpath,$ORIGIN")
	core := makeCore(t, dir, exe)
	a, err := Analyze(context.Background(), core, Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, a, KindLoader)
	if a.Crash.Stage != "a library's initialiser" || !strings.Contains(a.Crash.Summary, "init_table") {
		t.Errorf("stage %q, summary %q: want the initialiser init_table", a.Crash.Stage, a.Crash.Summary)
	}
	if got := functions(a.Threads[0].Frames); !inOrder(got, []string{"init_table", "_dl_init"}) {
		t.Errorf("frames = %v, want init_table then _dl_init", got)
	}
}

// TestLoaderCrash damages a small program the way check's fixture
// generator does so that ld.so faults before main, where gdb has no
// r_debug list and prints ?? for the loader's frames.
func TestLoaderCrash(t *testing.T) {
	needLoaderSymbols(t)
	cases := []struct {
		name, damage     string
		flags            []string
		stage, structure string
	}{
		// PIE: ld.so relocates .dynamic's d_ptr entries in place
		// before it reaches DT_DEBUG, and faults on the first one.
		{"dynamic-readonly", "dynamic-readonly", []string{"-O1"}, "dynamic-table setup", "slot of .dynamic (entry"},
		// Not PIE: nothing to relocate, so the first write into .dynamic
		// is DT_DEBUG's, the case where gdb prints only ??.
		{"dynamic-readonly-nopie", "dynamic-readonly", []string{"-O1", "-fno-pie", "-no-pie"}, "DT_DEBUG setup", "DT_DEBUG slot of .dynamic"},
		{"verneed-unmapped", "verneed-unmapped", []string{"-O1"}, "version check", ""},
		// A relocation whose r_offset a rewrite left pointing nowhere.
		{"reloc-offset-unmapped", "reloc-offset-unmapped", []string{"-O1"}, "relocation", ""},
	}
	for _, c := range cases {
		var apply func([]byte) ([]byte, error)
		for _, k := range damage.Kinds {
			if k.Name == c.damage {
				apply = k.Apply
			}
		}
		if apply == nil {
			t.Fatalf("no damage kind %s", c.damage)
		}
		want := c
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			exe := compile(t, "gcc", "hello.c", dir, "hello", c.flags...)
			b, err := os.ReadFile(exe)
			if err != nil {
				t.Fatal(err)
			}
			if b, err = apply(b); err != nil {
				t.Fatalf("damage %s: %v", c.damage, err)
			}
			if err := os.WriteFile(exe, b, 0o755); err != nil {
				t.Fatal(err)
			}
			core := makeCore(t, dir, exe)
			a, err := Analyze(context.Background(), core, Options{})
			if err != nil {
				t.Fatalf("Analyze: %v", err)
			}
			for _, f := range a.Threads[0].Frames {
				t.Logf("frame %#x %s+%#x %s [%s]", f.PC, f.Function, f.Offset, filepath.Base(f.Module), f.Method)
			}
			t.Logf("fault: %+v %+v; crash: %+v", a.Fault, a.Fault.Where, a.Crash)
			wantKind(t, a, KindLoader)
			if !strings.Contains(a.Crash.Stage, want.stage) {
				t.Errorf("stage = %q, want %q", a.Crash.Stage, want.stage)
			}
			top := a.Threads[0].Frames[0]
			if top.Function == "" || !strings.Contains(filepath.Base(top.Module), "ld-linux") {
				t.Errorf("frame 0 = %+v, want a named function in ld.so", top)
			}
			if want.structure != "" && (a.Fault.Where == nil || !strings.Contains(a.Fault.Where.Structure, want.structure) || a.Fault.Where.Perm != "r--") {
				t.Errorf("fault location = %+v, want %q", a.Fault.Where, want.structure)
			}
			if a.Check == nil {
				t.Errorf("no check finding attached")
			}
			needTool(t, "gdb")
			// gdb may or may not find ld.so without r_debug (it uses
			// AT_BASE in recent versions); either way elfdoctor must
			// name at least as many loader frames as gdb.
			g := gdbFrames(t, exe, core)
			t.Logf("gdb: %v", g)
			if len(g) > 0 && g[0][0] == "??" {
				t.Logf("gdb cannot name frame 0; elfdoctor: %s in %s", top.Function, filepath.Base(top.Module))
			}
			if !matchesGDB(functions(a.Threads[0].Frames), g) {
				t.Errorf("elfdoctor names %v, gdb %v", functions(a.Threads[0].Frames), g)
			}
		})
	}
}

// TestInlinedFrames: functions the compiler inlined appear as frames of
// their own, innermost first, each with its file:line, as gdb shows them.
func TestInlinedFrames(t *testing.T) {
	dir := t.TempDir()
	exe := compile(t, "gcc", "inline.c", dir, "inline", "-O2", "-g")
	core := makeCore(t, dir, exe)
	a, err := Analyze(context.Background(), core, Options{NoCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	fs := a.Threads[0].Frames
	want := []struct {
		fn      string
		line    int
		inlined bool
	}{{"poke", 4, true}, {"outer", 8, true}, {"work", 12, false}}
	if len(fs) < len(want) {
		t.Fatalf("frames %+v", fs)
	}
	for i, w := range want {
		f := fs[i]
		if f.Function != w.fn || f.Line != w.line || f.Inlined != w.inlined || filepath.Base(f.File) != "inline.c" {
			t.Errorf("frame %d = %s %s:%d inlined=%v, want %s inline.c:%d inlined=%v", i, f.Function, f.File, f.Line, f.Inlined, w.fn, w.line, w.inlined)
		}
	}
	needTool(t, "gdb")
	if g := gdbFrames(t, exe, core); !matchesGDB(functions(fs), g) {
		t.Errorf("elfdoctor names %v, gdb %v", functions(fs), g)
	}
}
