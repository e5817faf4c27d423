package coredump

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/corepattern"
	"github.com/elfdoctor/elfdoctor/internal/damage"
)

// crashKind is one program of the differential test against gdb: how to
// build it, how to run it, and nothing about what the frames must be —
// gdb says that.
type crashKind struct {
	name  string
	cc    string // gcc, g++, clang or go
	src   string
	flags []string
	// lib, when set, is a source built first as dir/libplugin.so.
	lib string
	// post rewrites the built executable (strip, patchelf, damage).
	post func(t *testing.T, dir, exe string)
	env  []string
	// run, when set, is an installed program and its arguments, run
	// instead of building one.
	run []string
	// kill, when set, is sent from this process once the program has
	// printed its first line.
	kill syscall.Signal
	// check, when set, asserts what the kind exists to show, beyond
	// agreeing with gdb.
	check func(t *testing.T, fs []Frame)
}

// wantFrames checks that the named frames appear in this order, each
// with the given properties.
func wantFrames(want ...Frame) func(t *testing.T, fs []Frame) {
	return func(t *testing.T, fs []Frame) {
		t.Helper()
		i := 0
		for _, f := range fs {
			if i < len(want) && f.Function == want[i].Function && f.TailCall == want[i].TailCall &&
				f.SignalFrame == want[i].SignalFrame && f.Clone == want[i].Clone && (want[i].Method == "" || f.Method == want[i].Method) {
				i++
			}
		}
		if i < len(want) {
			t.Errorf("frames %s: want %+v (and the ones before it) in order", describe(fs), want[i])
		}
	}
}

func describe(fs []Frame) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "\n  %s%s [%s]", f.Function, f.Clone, f.Method)
		if f.TailCall {
			b.WriteString(" (tail call)")
		}
	}
	return b.String()
}

var crashKinds = []crashKind{
	{name: "c-O0", cc: "gcc", src: "segv.c", flags: []string{"-O0", "-g"}},
	{name: "c-O1", cc: "gcc", src: "segv.c", flags: []string{"-O1", "-g"}},
	{name: "c-O2", cc: "gcc", src: "segv.c", flags: []string{"-O2", "-g"}},
	{name: "c-omit-fp", cc: "gcc", src: "segv.c", flags: []string{"-O0", "-g", "-fomit-frame-pointer"}},
	// A leaf at -O0 saves rbp and allocates nothing (the red zone):
	// fp == sp, and the frame-pointer step must take it.
	{name: "c-no-cfi", cc: "gcc", src: "segv.c", flags: []string{"-O0", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables"},
		check: wantFrames(Frame{Function: "store"}, Frame{Function: "middle", Method: ByFramePtr}, Frame{Function: "outer", Method: ByFramePtr}, Frame{Function: "main", Method: ByFramePtr})},
	{name: "c-no-cfi-debug-frame", cc: "gcc", src: "segv.c", flags: []string{"-O1", "-g", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables", "-fomit-frame-pointer"}},
	{name: "c-static", cc: "gcc", src: "segv.c", flags: []string{"-O1", "-g", "-static"}},
	{name: "c-no-pie", cc: "gcc", src: "segv.c", flags: []string{"-O1", "-g", "-fno-pie", "-no-pie"}},
	{name: "c-stripped", cc: "gcc", src: "segv.c", flags: []string{"-O1", "-s"}},
	{name: "clang-O0", cc: "clang", src: "segv.c", flags: []string{"-O0", "-g"}},
	{name: "clang-O2-lld", cc: "clang", src: "segv.c", flags: []string{"-O2", "-g", "-fuse-ld=lld"}},
	{name: "cxx-method", cc: "g++", src: "cxx.cc", flags: []string{"-O1", "-g"}},
	{name: "stack-overflow", cc: "gcc", src: "overflow.c", flags: []string{"-O0", "-g"}},
	{name: "assert", cc: "gcc", src: "assert.c", flags: []string{"-O1", "-g"},
		check: wantFrames(Frame{Function: "__pthread_kill_implementation"}, Frame{Function: "__pthread_kill_internal", TailCall: true}, Frame{Function: "__GI_raise"}, Frame{Function: "__GI_abort"}, Frame{Function: "__assert_fail_base", Clone: ".cold"})},
	{name: "abort", cc: "gcc", src: "abort.c", flags: []string{"-O1", "-g"}},
	{name: "stack-smashing", cc: "gcc", src: "smash.c", flags: []string{"-O1", "-g", "-fstack-protector-all", "-D_FORTIFY_SOURCE=0"}},
	{name: "fortify", cc: "gcc", src: "fortify.c", flags: []string{"-O2", "-g", "-D_FORTIFY_SOURCE=2"}},
	{name: "double-free", cc: "gcc", src: "doublefree.c", flags: []string{"-O1", "-g"}},
	{name: "cxx-uncaught", cc: "g++", src: "throw.cc", flags: []string{"-O1", "-g"}},
	{name: "sigfpe", cc: "gcc", src: "fpe.c", flags: []string{"-O1", "-g"}},
	{name: "sigill", cc: "gcc", src: "trap.c", flags: []string{"-O1", "-g"}},
	{name: "sigbus", cc: "gcc", src: "sigbus.c", flags: []string{"-O1", "-g"}},
	{name: "signal-handler", cc: "gcc", src: "sighandler.c", flags: []string{"-O1", "-g"},
		check: wantFrames(Frame{Function: "on_usr1"}, Frame{Function: SignalHandlerCalled, SignalFrame: true}, Frame{Function: "__pthread_kill_implementation", Method: BySignal}, Frame{Function: "busy"}, Frame{Function: "main"})},
	{name: "signal-handler-altstack", cc: "gcc", src: "altstack.c", flags: []string{"-O1", "-g"},
		check: wantFrames(Frame{Function: "handler"}, Frame{Function: SignalHandlerCalled, SignalFrame: true}, Frame{Function: "first_fault", Method: BySignal}, Frame{Function: "main"})},
	{name: "self-kill", cc: "gcc", src: "selfkill.c", flags: []string{"-O1", "-g"}},
	{name: "kill-from-outside", cc: "gcc", src: "killwait.c", flags: []string{"-O1", "-g"}, kill: syscall.SIGSEGV},
	{name: "kill-abrt-from-outside", cc: "gcc", src: "killwait.c", flags: []string{"-O2", "-g"}, kill: syscall.SIGABRT},
	{name: "threads", cc: "gcc", src: "threads.c", flags: []string{"-O1", "-g", "-pthread"}},
	{name: "thread-abort", cc: "gcc", src: "threadabort.c", flags: []string{"-O1", "-g", "-pthread"}},
	{name: "libc-strlen", cc: "gcc", src: "strlen.c", flags: []string{"-O1", "-g"}},
	{name: "libc-memcpy", cc: "gcc", src: "memcpy.c", flags: []string{"-O1", "-g"}},
	{name: "libc-qsort-callback", cc: "gcc", src: "qsort.c", flags: []string{"-O1", "-g"}},
	{name: "shared-library", cc: "gcc", src: "useplugin.c", lib: "plugin.c", flags: []string{"-O1", "-g", "-L.", "-lplugin", "-Wl,-rpath,$ORIGIN"}},
	{name: "dlopen", cc: "gcc", src: "dlopen.c", lib: "plugin.c", flags: []string{"-O1", "-g", "-ldl"}},
	{name: "tail-call", cc: "gcc", src: "tailcall.c", flags: []string{"-O2", "-g"},
		check: wantFrames(Frame{Function: "fault_here"}, Frame{Function: "step_two", TailCall: true, Method: ByTailCall}, Frame{Function: "step_one"})},
	{name: "clones-cold", cc: "gcc", src: "clones.c", flags: []string{"-O2", "-g"},
		check: wantFrames(Frame{Function: "sum_at", Clone: ".constprop.0.isra.0"})},
	{name: "inlined", cc: "gcc", src: "inline.c", flags: []string{"-O2", "-g"}},
	// The runtime turns the SIGSEGV into a panic, and GOTRACEBACK=crash
	// re-raises SIGABRT from inside the panic: two signal frames, and
	// below the first, sigpanic where the nil dereference was.
	// An interpreter's extension module passes NULL to libc through
	// libffi: no debug information but libc's.
	{name: "python-ctypes", run: []string{"/usr/bin/python3", "-c", "import ctypes; ctypes.string_at(0)"}},
	{name: "go-nil", cc: "go", src: "gonil", env: []string{"GOTRACEBACK=crash"},
		check: wantFrames(Frame{Function: "runtime.sigtramp"}, Frame{Function: SignalHandlerCalled, SignalFrame: true}, Frame{Function: "runtime.raise", Method: BySignal},
			Frame{Function: "runtime.sigpanic"}, Frame{Function: "main.lookup"}, Frame{Function: "main.load"}, Frame{Function: "main.main"}, Frame{Function: "runtime.main"})},
	{name: "patchelf", cc: "gcc", src: "segv.c", flags: []string{"-O1", "-g"}, post: func(t *testing.T, dir, exe string) {
		needTool(t, "patchelf")
		runIn(t, dir, "patchelf", "--set-rpath", "/opt/vendor/lib:/opt/vendor/lib64:/usr/local/lib/vendor", exe)
	}},
	{name: "loader-crash", cc: "gcc", src: "hello.c", flags: []string{"-O1"}, post: func(t *testing.T, dir, exe string) {
		damageFile(t, exe, "verneed-unmapped")
	}},
	// ld.so faults writing DT_DEBUG, the slot through which gdb finds
	// r_debug and so the loaded libraries, ld.so included.
	{name: "loader-crash-before-r_debug", cc: "gcc", src: "hello.c", flags: []string{"-O1", "-fno-pie", "-no-pie"}, post: func(t *testing.T, dir, exe string) {
		damageFile(t, exe, "dynamic-readonly")
	}},
}

// improvement is a listed, explained disagreement with gdb in one frame
// of one kind: elfdoctor's name is the better one.
type improvement struct {
	kind      string
	frame     int
	gdb, ours string
	why       string
}

var improvements = []improvement{
	// gdb finds shared libraries through r_debug, which DT_DEBUG points
	// to; ld.so crashed writing that slot, so gdb knows no ld.so, has no
	// name and no CFI for its code, and stops. elfdoctor places ld.so by
	// AT_BASE and NT_FILE and names it from libc6-dbg's debug file
	// (Debian 12's glibc 2.36: another glibc inlines differently).
	{"loader-crash-before-r_debug", 0, "??", "elf_setup_debug_entry", rDebugWhy},
	{"loader-crash-before-r_debug", 1, "??", "dl_main", rDebugWhy},
	{"loader-crash-before-r_debug", 2, "(none)", "_dl_sysdep_start", rDebugWhy},
	{"loader-crash-before-r_debug", 3, "(none)", "_dl_start_final", rDebugWhy},
	{"loader-crash-before-r_debug", 4, "(none)", "_dl_start", rDebugWhy},
	{"loader-crash-before-r_debug", 5, "(none)", "_start", rDebugWhy},
}

const rDebugWhy = "gdb has no r_debug yet, so no ld.so; elfdoctor places it by AT_BASE and names it from its debug file"

func runIn(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, b)
	}
}

func damageFile(t *testing.T, exe, kind string) {
	t.Helper()
	for _, k := range damage.Kinds {
		if k.Name != kind {
			continue
		}
		b, err := os.ReadFile(exe)
		if err != nil {
			t.Fatal(err)
		}
		if b, err = k.Apply(b); err != nil {
			t.Fatalf("damage %s: %v", kind, err)
		}
		if err := os.WriteFile(exe, b, 0o755); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("no damage kind %s", kind)
}

// buildKind builds a crash kind's program in dir.
func buildKind(t *testing.T, k crashKind, dir string) string {
	t.Helper()
	if k.cc == "go" {
		return buildGo(t, k.src, dir)
	}
	if k.lib != "" {
		compile(t, k.cc, k.lib, dir, "libplugin.so", "-O1", "-g", "-shared", "-fPIC")
	}
	flags := k.flags
	for i, f := range flags {
		if f == "-L." {
			flags = append(append([]string{}, flags[:i]...), append([]string{"-L" + dir}, flags[i+1:]...)...)
		}
	}
	exe := compile(t, k.cc, k.src, dir, strings.TrimSuffix(strings.TrimSuffix(k.src, ".c"), ".cc"), flags...)
	if k.post != nil {
		k.post(t, dir, exe)
	}
	return exe
}

// buildGo builds the Go program in testdata/src/src into dir.
func buildGo(t testing.TB, src, dir string) string {
	t.Helper()
	needTool(t, "go")
	exe := filepath.Join(dir, filepath.Base(src))
	abs, err := filepath.Abs(filepath.Join("testdata", "src", src))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-o", exe, ".")
	cmd.Dir = abs
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return exe
}

// BenchmarkAnalyzeGoCore is the in-process cost of analysing a Go
// program's nil dereference (GOTRACEBACK=crash: two signal frames, all
// threads in package runtime's one unit, DWARF compressed).
func BenchmarkAnalyzeGoCore(b *testing.B) {
	dir := b.TempDir()
	core := makeCoreEnv(b, dir, buildGo(b, "gonil", dir), []string{"GOTRACEBACK=crash"})
	benchAnalyze(b, core)
}

// BenchmarkAnalyzeAbort is the same for assert(): frames in five units
// of libc's debug file, a tail call among them.
func BenchmarkAnalyzeAbort(b *testing.B) {
	dir := b.TempDir()
	core := makeCore(b, dir, compile(b, "gcc", "assert.c", dir, "assert", "-O1", "-g"))
	benchAnalyze(b, core)
}

func benchAnalyze(b *testing.B, core string) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Analyze(context.Background(), core, Options{NoCheck: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// gdbBacktrace runs gdb -batch on the core and returns the frames of the
// thread it selects (the one the kernel dumped first, the crashing one),
// one name per line gdb prints, inlined frames included.
func gdbBacktrace(t *testing.T, exe, core string) []string {
	t.Helper()
	return gdbBacktraceWith(t, exe, core)
}

// gdbBacktraceWith is gdbBacktrace with gdb commands run before the core
// and exe are loaded (-iex), such as "set debug-file-directory DIRS",
// which must be in force when gdb reads each library's symbols.
func gdbBacktraceWith(t *testing.T, exe, core string, initCmds ...string) []string {
	t.Helper()
	args := []string{"-nx", "-batch"}
	for _, c := range initCmds {
		args = append(args, "-iex", c)
	}
	args = append(args, "-ex", "set debuginfod enabled off", "-ex", "set width 0", "-ex", "set backtrace past-main on",
		"-ex", "bt 12", "-c", core, exe)
	out, err := exec.Command("gdb", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("gdb: %v\n%s", err, out)
	}
	text := string(out)
	if i := strings.LastIndex(text, "\n#0 "); i >= 0 {
		text = text[i+1:]
	}
	var names []string
	for _, line := range strings.Split(text, "\n") {
		m := gdbBTLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		names = append(names, m[1])
	}
	return names
}

// gdbBTLine is one frame of gdb's bt: "#N  [0xADDR in ]NAME (args)..." or
// "#N  <signal handler called>".
var gdbBTLine = regexp.MustCompile(`^#\d+\s+(?:0x[0-9a-f]+ in )?(<signal handler called>|\S+)`)

// normalise makes a frame name comparable the way a gdb user reads it:
// no argument list, no @plt, no clone suffix, ?? for no name.
func normalise(name string) string {
	if name == "" {
		return "??"
	}
	if name == "<signal handler called>" {
		return name
	}
	if i := strings.Index(name, "("); i > 0 && !strings.HasPrefix(name, "(") {
		// Only a C++ argument list: Go's method names hold parentheses
		// before a dot, e.g. main.(*T).m.
		if j := strings.LastIndex(name, ")"); j == len(name)-1 && !strings.Contains(name[i:], ").") {
			name = name[:i]
		}
	}
	name = strings.TrimSuffix(name, "@plt")
	base, _ := splitClone(name)
	return base
}

// ourNames is the crashing thread's frames as elfdoctor names them.
func ourNames(a *Analysis) []string {
	var out []string
	for _, f := range a.Threads[0].Frames {
		out = append(out, f.Function)
	}
	return out
}

// TestAgainstGDB builds every crash kind, makes a real kernel core, and
// compares the crashing thread's first eight frames with gdb's. Any
// disagreement that is not a listed improvement fails; a listed one that
// no longer happens fails too, so the list stays true.
func TestAgainstGDB(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and crashes 42 programs")
	}
	needTool(t, "gdb")
	needLoaderSymbols(t)
	const depth = 8
	var (
		mu                                               sync.Mutex // the tallies below; the kinds run in parallel
		kinds, agreeKinds, frames, agreeFrames, improved int
		used, ran                                        = map[int]bool{}, map[string]bool{}
		report                                           []string
	)
	// The group returns when every parallel kind has finished.
	t.Run("kinds", func(t *testing.T) {
		for _, k := range crashKinds {
			t.Run(k.name, func(t *testing.T) {
				t.Parallel()
				compareKind(t, k, depth, func(tally kindTally) {
					mu.Lock()
					defer mu.Unlock()
					ran[k.name] = true
					kinds++
					frames += tally.frames
					agreeFrames += tally.agree
					improved += len(tally.used)
					for _, j := range tally.used {
						used[j] = true
					}
					if tally.ok {
						agreeKinds++
					}
					report = append(report, fmt.Sprintf("%-28s %-9s %d/%d of gdb's frames alike, %d listed improvements", k.name, map[bool]string{true: "agrees", false: "DIFFERS"}[tally.ok], tally.agree, tally.frames, len(tally.used)))
				})
			})
		}
	})
	slices.Sort(report)
	for _, r := range report {
		t.Log(r)
	}
	for i, imp := range improvements {
		if ran[imp.kind] && !used[i] {
			t.Errorf("listed improvement %s frame %d (gdb %s, elfdoctor %s) did not occur; remove it", imp.kind, imp.frame, imp.gdb, imp.ours)
		}
	}
	t.Logf("agreement with gdb: %d/%d kinds fully agree in their first %d frames; %d/%d of gdb's frames named alike, %d listed improvements",
		agreeKinds, kinds, depth, agreeFrames, frames, improved)
}

// kindTally is one kind's comparison with gdb.
type kindTally struct {
	ok            bool
	frames, agree int   // gdb's frames compared, and named alike
	used          []int // improvements that explained a difference
}

// compareKind builds and crashes one kind, compares its frames with
// gdb's and reports the tally, unless the kind could not be run.
func compareKind(t *testing.T, k crashKind, depth int, done func(kindTally)) {
	dir := t.TempDir()
	var exe, core string
	switch {
	case k.run != nil:
		needTool(t, k.run[0])
		exe = k.run[0]
		core = makeCoreEnv(t, dir, exe, k.env, k.run[1:]...)
	case k.kill != 0:
		exe = buildKind(t, k, dir)
		core = makeCoreKilled(t, dir, exe, k.kill)
	default:
		exe = buildKind(t, k, dir)
		core = makeCoreEnv(t, dir, exe, k.env)
	}
	a, err := Analyze(context.Background(), core, Options{NoCheck: true})
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	if k.check != nil {
		k.check(t, a.Threads[0].Frames)
	}
	g := gdbBacktrace(t, exe, core)
	if len(g) == 0 {
		t.Fatalf("gdb printed no frames")
	}
	ours := ourNames(a)
	n := min(depth, max(len(g), len(ours)))
	var tally kindTally
	ok := true
	for i := 0; i < n; i++ {
		gn, on := "(none)", "(none)"
		if i < len(g) {
			gn = normalise(g[i])
		}
		if i < len(ours) {
			on = normalise(ours[i])
		}
		if i < len(g) {
			tally.frames++
		}
		if gn == on {
			if i < len(g) {
				tally.agree++
			}
			continue
		}
		if j := findImprovement(k.name, i, gn, on); j >= 0 {
			tally.used = append(tally.used, j)
			t.Logf("frame %d: gdb %s, elfdoctor %s: %s", i, gn, on, improvements[j].why)
			continue
		}
		ok = false
		t.Errorf("frame %d: gdb says %s, elfdoctor %s", i, gn, on)
	}
	if !ok {
		t.Logf("gdb:       %v", g)
		t.Logf("elfdoctor: %v", ours)
		for _, f := range a.Threads[0].Frames {
			t.Logf("  %#x %s+%#x %s [%s]", f.PC, f.Function, f.Offset, filepath.Base(f.Module), f.Method)
		}
	}
	tally.ok = ok
	done(tally)
}

// makeCoreKilled runs exe in dir and, once it has printed a line, sends
// it sig from this process, as kill(1) from a shell would.
func makeCoreKilled(t *testing.T, dir, exe string, sig syscall.Signal) string {
	t.Helper()
	unlock := corepattern.Shared(t)
	defer unlock()
	if pat, err := os.ReadFile("/proc/sys/kernel/core_pattern"); err != nil || len(pat) == 0 || pat[0] == '|' || pat[0] == '/' {
		t.Fatalf("kernel.core_pattern is %q; these tests need a plain file name such as core", pat)
	}
	cmd := exec.Command("sh", "-c", "ulimit -c unlimited && exec \"$0\"", exe)
	cmd.Dir = dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
		cmd.Process.Kill()
		t.Fatalf("%s said nothing: %v", exe, err)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || !ws.CoreDump() {
		t.Fatalf("%s: %v, no core dumped", exe, err)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "core*"))
	if len(matches) != 1 {
		t.Fatalf("want one core in %s, found %v", dir, matches)
	}
	return matches[0]
}

func findImprovement(kind string, frame int, gdb, ours string) int {
	for i, imp := range improvements {
		if imp.kind == kind && imp.frame == frame && imp.gdb == gdb && imp.ours == ours {
			return i
		}
	}
	return -1
}
