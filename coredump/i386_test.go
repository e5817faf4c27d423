package coredump

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/corepattern"
	"github.com/elfdoctor/elfdoctor/internal/damage"
)

// qemuI386Core runs exe with arg under qemu-i386 in a directory of its
// own and returns the guest core qemu writes there and the program's
// stderr. qemu then dies of the signal itself and the kernel writes
// qemu's own core as core_pattern says, hence the shared lock.
func qemuI386Core(t *testing.T, exe, arg string) (core, stderr string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", `ulimit -c unlimited && exec qemu-i386 "$0" "$1"`, exe, arg)
	cmd.Dir = dir
	var errb strings.Builder
	cmd.Stderr = &errb
	unlock := corepattern.Shared(t)
	err := cmd.Run()
	unlock()
	if err == nil {
		t.Fatalf("%s %s ran to the end under qemu-i386", exe, arg)
	}
	cores, _ := filepath.Glob(filepath.Join(dir, "qemu_"+filepath.Base(exe)+"_*.core"))
	if len(cores) != 1 {
		t.Fatalf("qemu wrote no guest core in %s (%v)\n%s", dir, err, errb.String())
	}
	return cores[0], errb.String()
}

// objdumpIntel disassembles a file with GNU objdump in Intel syntax:
// instruction text by address.
func objdumpIntel(t *testing.T, file string) map[uint64]string {
	t.Helper()
	return disassembly(t, "objdump", "-d", "-M", "intel", "--no-show-raw-insn", file)
}

// squash makes objdump's Intel syntax and x86asm's comparable: lower
// case, no spaces.
func squash(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), "")) }

// TestI386Cores crashes a static 32-bit x86 program under qemu-i386 and
// reads qemu's ELFCLASS32 guest cores: registers from i386's
// user_regs_struct, the instruction decoded in 32-bit mode as objdump
// shows it, its operand computed to the si_addr the program's handler
// received (with a negative displacement), and the stack unwound by CFI
// at -O2 and by the frame-pointer chain at -O0 without unwind tables,
// statically and dynamically linked, agreeing with gdb. qemu writes neither NT_FILE nor NT_SIGINFO: the
// executable is placed by --exe and the auxiliary vector, and the test
// then gives the core the siginfo the handler saw.
func TestI386Cores(t *testing.T) {
	for _, tool := range []string{"qemu-i386", "gdb", "objdump"} {
		needTool(t, tool)
	}
	variants := []struct {
		name   string
		flags  []string
		method string
		load   string // the faulting load's operand
	}{
		{"cfi", []string{"-O2", "-g", "-fomit-frame-pointer"}, ByCFI, "[eax-0xc8]"},
		{"frame-pointer", []string{"-O0", "-fno-omit-frame-pointer", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables"}, ByFramePtr, "[eax]"},
		// Dynamically linked: with no NT_FILE, the executable is placed
		// by AT_PHDR and ld.so, its PT_INTERP, by AT_BASE, and libc.so.6
		// by the loader's link map (TestI386SharedLibraries).
		{"dynamic", []string{"-O2", "-g"}, ByCFI, "[eax-0xc8]"},
	}
	for _, v := range variants {
		dir := t.TempDir()
		exe := compile(t, "gcc", "i386fault.c", dir, "i386fault", append([]string{"-m32", "-static"}, v.flags...)...)
		if v.name == "dynamic" {
			exe = compile(t, "gcc", "i386fault.c", dir, "i386fault", append([]string{"-m32"}, v.flags...)...)
		}
		dis := objdumpIntel(t, exe)
		for _, c := range []struct {
			arg, fn, kind string
			sig           int
		}{{"l", "below", KindCrash, 11}, {"d", "ratio", KindSigfpe, 8}} {
			t.Run(v.name+"/"+c.fn, func(t *testing.T) {
				core, stderr := qemuI386Core(t, exe, c.arg)
				signo, code, siAddr := reportedSiginfo(t, stderr)
				a, err := Analyze(context.Background(), core, Options{Exe: exe, NoCheck: true})
				if err != nil {
					t.Fatal(err)
				}
				f := a.Fault
				if a.Machine != elf.EM_386.String() || a.SignalName != signalName(c.sig) || int(signo) != c.sig || f == nil {
					t.Fatalf("machine %s, %s (handler: %d), fault %+v: want an EM_386 %s", a.Machine, a.SignalName, signo, f, signalName(c.sig))
				}
				var bias uint64 // a PIE's load bias: objdump shows link-time addresses
				for _, m := range a.Modules {
					if m.Executable {
						bias = m.Bias
					}
				}
				if squash(f.Instruction) != squash(dis[f.PC-bias]) || f.Instruction == "" {
					t.Errorf("instruction at %#x = %q, objdump says %q", f.PC, f.Instruction, dis[f.PC-bias])
				}
				fr := a.Threads[0].Frames
				want := []struct{ fn, method string }{{c.fn, ByRegisters}, {"work", v.method}, {"main", v.method}}
				if len(fr) < len(want) {
					t.Fatalf("frames %+v, want %v", fr, want)
				}
				for i, w := range want {
					if fr[i].Function != w.fn || fr[i].Method != w.method {
						t.Errorf("frame %d = %s via %s, want %s via %s", i, fr[i].Function, fr[i].Method, w.fn, w.method)
					}
				}
				if g := gdbFrames(t, exe, core); len(g) < 3 || !matchesGDB(functions(fr), g) {
					t.Errorf("elfdoctor names %v, gdb %v", functions(fr), g)
				}
				if v.name == "dynamic" {
					var ld *Module
					for _, m := range a.Modules {
						if m.Loader {
							ld = m
						}
					}
					if ld == nil || ld.Path != "/lib/ld-linux.so.2" || ld.Start != a.Auxv.Base {
						t.Errorf("loader module %+v, want /lib/ld-linux.so.2 at AT_BASE %#x", ld, a.Auxv.Base)
					}
				}

				// Without NT_SIGINFO the signal still says what kind of
				// address a fault has: none for a divide error.
				if ev := strings.Join(a.Crash.Evidence, "\n"); c.sig == 8 && strings.Contains(ev, "fault address") {
					t.Errorf("a divide error's operand offered as a fault address:\n%s", ev)
				}

				addSiginfo(t, core, signo, code, siAddr)
				a, err = Analyze(context.Background(), core, Options{Exe: exe, NoCheck: true})
				if err != nil {
					t.Fatal(err)
				}
				f = a.Fault
				wantKind(t, a, c.kind)
				ev := strings.Join(a.Crash.Evidence, "\n")
				t.Logf("%s\n%s", a.Crash.Summary, ev)
				switch c.sig {
				case 11:
					if f.Operand != v.load || f.Computed != siAddr || !f.Matches || siAddr != 0x20000000-200 {
						t.Errorf("operand %q = %#x (matches %v), si_addr %#x; want %q = si_addr = 0x1fffff38", f.Operand, f.Computed, f.Matches, siAddr, v.load)
					}
					if f.Where == nil || f.Where.Perm != "unmapped" {
						t.Errorf("where %+v, want unmapped", f.Where)
					}
				case 8:
					if siAddr != f.PC || a.Signal.Addr != f.PC || !strings.Contains(a.Crash.Summary, "divided an integer by zero in ratio") || f.Where != nil {
						t.Errorf("si_addr %#x, pc %#x, summary %q, where %+v: want division by zero at the PC", siAddr, f.PC, a.Crash.Summary, f.Where)
					}
				}
			})
		}
	}
}

// buildCore32 writes a minimal ELFCLASS32 i386 core: header, one
// PT_NOTE, the notes. qemu writes no NT_FILE or NT_SIGINFO, and this
// machine's kernel runs no i386 program, so the 32-bit layouts of those
// notes are tested on a core built here.
func buildCore32(notes []byte) []byte {
	le := binary.LittleEndian
	var b bytes.Buffer
	hdr := make([]byte, 52)
	copy(hdr, elf.ELFMAG)
	hdr[elf.EI_CLASS], hdr[elf.EI_DATA], hdr[elf.EI_VERSION] = byte(elf.ELFCLASS32), byte(elf.ELFDATA2LSB), 1
	le.PutUint16(hdr[16:], uint16(elf.ET_CORE))
	le.PutUint16(hdr[18:], uint16(elf.EM_386))
	le.PutUint32(hdr[20:], 1)
	le.PutUint32(hdr[28:], 52) // e_phoff
	le.PutUint16(hdr[40:], 52)
	le.PutUint16(hdr[42:], 32)
	le.PutUint16(hdr[44:], 1)
	b.Write(hdr)
	ph := make([]byte, 32)
	le.PutUint32(ph, uint32(elf.PT_NOTE))
	le.PutUint32(ph[4:], 52+32)
	le.PutUint32(ph[16:], uint32(len(notes)))
	b.Write(ph)
	b.Write(notes)
	for b.Len() < 64 { // the reader takes the first 64 bytes as the header
		b.WriteByte(0)
	}
	return b.Bytes()
}

// TestSyntheticCore32 reads the notes of an i386 kernel core as Linux's
// compat layouts define them: elf_prstatus with 4-byte longs (pr_pid at
// 24, pr_reg at 72), elf_prpsinfo with 16-bit ids, NT_AUXV and NT_FILE
// of 4-byte words, and a siginfo whose union starts at 12 — both a fault
// (si_addr) and a kill (si_pid, si_uid).
func TestSyntheticCore32(t *testing.T) {
	le := binary.LittleEndian
	names := regNames(elf.EM_386)
	pr := make([]byte, 72+len(names)*4+4)
	le.PutUint16(pr[12:], 11)
	le.PutUint32(pr[24:], 4242)
	for i := range names {
		le.PutUint32(pr[72+i*4:], uint32(0x1000+i))
	}
	ps := make([]byte, 124)
	le.PutUint32(ps[12:], 4242)
	le.PutUint32(ps[16:], 77)
	copy(ps[28:], "prog32")
	copy(ps[44:], "./prog32 --flag")
	aux := []byte{}
	for _, kv := range [][2]uint32{{7, 0xf7f00000}, {9, 0x8049000}, {3, 0x8048034}, {0, 0}} {
		aux = le.AppendUint32(le.AppendUint32(aux, kv[0]), kv[1])
	}
	files := le.AppendUint32(nil, 1)
	files = le.AppendUint32(files, 4096)
	files = le.AppendUint32(le.AppendUint32(le.AppendUint32(files, 0x8048000), 0x804a000), 1)
	files = append(files, "/bin/prog32\x00"...)
	siginfo := func(code int32, w1, w2 uint32) []byte {
		si := make([]byte, 128)
		le.PutUint32(si, 11)
		le.PutUint32(si[8:], uint32(code))
		le.PutUint32(si[12:], w1)
		le.PutUint32(si[16:], w2)
		return si
	}
	for _, tc := range []struct {
		name   string
		si     []byte
		addr   uint64
		sender *Sender
	}{
		{"fault", siginfo(1, 0xdeadbeef, 0), 0xdeadbeef, nil},
		{"kill", siginfo(0, 4000, 1000), 0, &Sender{Pid: 4000, Uid: 1000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var notes []byte
			notes = append(notes, coreNote(1, pr)...)
			notes = append(notes, coreNote(3, ps)...)
			notes = append(notes, coreNote(ntSiginfo, tc.si)...)
			notes = append(notes, coreNote(ntAuxv, aux)...)
			notes = append(notes, coreNote(ntFile, files)...)
			b := buildCore32(notes)
			c, err := NewCore(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			th := c.Threads[0]
			pc, sp, fp := c.pcSPFP(th.Regs)
			if th.Pid != 4242 || th.Signal != 11 || pc != 0x1000+12 || sp != 0x1000+15 || fp != 0x1000+5 {
				t.Errorf("thread pid %d sig %d pc %#x sp %#x fp %#x", th.Pid, th.Signal, pc, sp, fp)
			}
			if c.Process != (Process{Pid: 4242, PPid: 77, Name: "prog32", Args: "./prog32 --flag"}) {
				t.Errorf("process %+v", c.Process)
			}
			if s := c.Signal; s == nil || s.Addr != tc.addr || (s.Sender == nil) != (tc.sender == nil) || s.Sender != nil && *s.Sender != *tc.sender {
				t.Errorf("signal %+v (sender %+v), want addr %#x sender %+v", s, s.Sender, tc.addr, tc.sender)
			}
			if c.Auxv.Base != 0xf7f00000 || c.Auxv.Entry != 0x8049000 || c.Auxv.Phdr != 0x8048034 {
				t.Errorf("auxv %+v", c.Auxv)
			}
			if len(c.Files) != 1 || c.Files[0] != (FileMapping{Start: 0x8048000, End: 0x804a000, Offset: 4096, Path: "/bin/prog32"}) {
				t.Errorf("files %+v", c.Files)
			}
		})
	}
}

// TestI386LoaderCrash: an -m32 program whose .dynamic a rewrite left in
// a read-only segment (internal/damage's dynamic-readonly), run under
// qemu-i386: ld.so faults storing r_debug's address in DT_DEBUG before
// main, and the fault is placed in the right Elf32_Dyn slot.
func TestI386LoaderCrash(t *testing.T) {
	needTool(t, "qemu-i386")
	dir := t.TempDir()
	exe := compile(t, "gcc", "hello.c", dir, "hello32", "-m32", "-O1", "-fno-pie", "-no-pie")
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if b, err = damage.DynamicReadOnly(b); err != nil {
		t.Fatalf("damage: %v", err)
	}
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	core, _ := qemuI386Core(t, exe, "")
	a, err := Analyze(context.Background(), core, Options{Exe: exe, NoCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range a.Threads[0].Frames {
		t.Logf("frame %#x %s+%#x %s [%s]", f.PC, f.Function, f.Offset, filepath.Base(f.Module), f.Method)
	}
	t.Logf("%s\n%s", a.Crash.Summary, strings.Join(a.Crash.Evidence, "\n"))
	wantKind(t, a, KindLoader)
	if top := a.Threads[0].Frames[0]; filepath.Base(top.Module) != "ld-linux.so.2" {
		t.Errorf("frame 0 in %q, want ld-linux.so.2", top.Module)
	}
	f := a.Fault
	if f == nil || f.Operand == "" {
		t.Fatalf("fault %+v: want the store decoded", f)
	}
	// qemu's core has no NT_SIGINFO and the program no handler yet: give
	// the core the siginfo the kernel would write for that store.
	addSiginfo(t, core, 11, 2, f.Computed)
	if a, err = Analyze(context.Background(), core, Options{Exe: exe, NoCheck: true}); err != nil {
		t.Fatal(err)
	}
	if w := a.Fault.Where; w == nil || !strings.Contains(w.Structure, "DT_DEBUG slot of .dynamic") || w.Perm != "r--" || !strings.Contains(a.Crash.Stage, "DT_DEBUG") {
		t.Errorf("operand %s = %#x is %+v, stage %q; want the DT_DEBUG slot of .dynamic, read-only", f.Operand, f.Computed, w, a.Crash.Stage)
	}
}

// TestI386SignalFrames: a -m32 program crashing inside a signal handler,
// under qemu-i386, whose signal frames follow the kernel's layouts
// (linux-user/i386/signal.c builds struct sigframe and struct rt_sigframe
// field for field, and its sigreturn reads them back). Both trampolines
// are unwound through — glibc's __restore_rt for an SA_SIGINFO handler
// (the registers in the ucontext puc points to), __restore for a plain
// one (the sigcontext right after sig) — to the instruction the signal
// interrupted and its callers, and the frames agree with gdb's.
func TestI386SignalFrames(t *testing.T) {
	for _, tool := range []string{"qemu-i386", "gdb"} {
		needTool(t, tool)
	}
	dir := t.TempDir()
	exe := compile(t, "gcc", "i386sighandler.c", dir, "i386sighandler", "-m32", "-static", "-O1", "-g")
	for _, c := range []struct{ mode, handler string }{{"rt", "on_ill_info"}, {"plain", "on_ill"}} {
		t.Run(c.mode, func(t *testing.T) {
			core, _ := qemuI386Core(t, exe, c.mode)
			a, err := Analyze(context.Background(), core, Options{Exe: exe, NoCheck: true})
			if err != nil {
				t.Fatal(err)
			}
			fr := a.Threads[0].Frames
			for _, f := range fr {
				t.Logf("%#x %s+%#x [%s] %s:%d", f.PC, f.Function, f.Offset, f.Method, f.File, f.Line)
			}
			want := []struct{ fn, method string }{
				{"poke", ByRegisters}, {c.handler, ByCFI}, {SignalHandlerCalled, ByCFI}, {"work", BySignal}, {"main", ByCFI},
			}
			if len(fr) < len(want) {
				t.Fatalf("%d frames, want at least %d", len(fr), len(want))
			}
			for i, w := range want {
				if fr[i].Function != w.fn || fr[i].Method != w.method {
					t.Errorf("frame %d = %s via %s, want %s via %s", i, fr[i].Function, fr[i].Method, w.fn, w.method)
				}
			}
			if !fr[2].SignalFrame {
				t.Errorf("frame 2 %+v is not marked as the signal frame", fr[2])
			}
			// The interrupted frame is the ud2 itself, not a return
			// address: its line is the trap's.
			if fr[3].Line != 27 {
				t.Errorf("work at line %d, want 27 (the trap)", fr[3].Line)
			}
			g := gdbBacktrace(t, exe, core)
			n := min(len(g), len(fr), 8)
			if n < len(want) {
				t.Fatalf("gdb shows %v", g)
			}
			for i := 0; i < n; i++ {
				if normalise(fr[i].Function) != normalise(g[i]) {
					t.Errorf("frame %d: elfdoctor %s, gdb %s", i, fr[i].Function, g[i])
				}
			}
		})
	}
}

// TestI386SharedLibraries: a dynamically linked -m32 program crashing
// inside libc.so.6 (Debian's i386 multiarch libc, /lib32), under
// qemu-i386, whose core has no NT_FILE. libc is found as gdb finds it,
// through DT_DEBUG, r_debug and the link map in the core's memory, and
// placed at the l_addr the loader recorded; its frames (named from its
// .dynsym, ?? where it names nothing, as gdb prints) and the realigned
// main's CFI (CFA = *(ebp-4), a DWARF expression) take the stack to
// _start as gdb shows it.
func TestI386SharedLibraries(t *testing.T) {
	for _, tool := range []string{"qemu-i386", "gdb"} {
		needTool(t, tool)
	}
	dir := t.TempDir()
	exe := compile(t, "gcc", "i386libc.c", dir, "i386libc", "-m32", "-O1", "-g")
	core, _ := qemuI386Core(t, exe, "")
	a, err := Analyze(context.Background(), core, Options{Exe: exe, NoCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	fr := a.Threads[0].Frames
	for _, f := range fr {
		t.Logf("%#x %s+%#x %s [%s]", f.PC, f.Function, f.Offset, filepath.Base(f.Module), f.Method)
	}
	var libc *Module
	for _, m := range a.Modules {
		if filepath.Base(m.Path) == "libc.so.6" {
			libc = m
		}
	}
	if libc == nil || libc.file == nil || !strings.Contains(strings.Join(libc.Symbols, ","), "link map") {
		t.Fatalf("libc.so.6 module %+v: want it placed by the link map", libc)
	}
	if len(fr) < 3 || fr[0].Function != "memfrob" || filepath.Base(fr[0].Module) != "libc.so.6" || fr[1].Function != "scramble" || fr[2].Function != "main" {
		t.Fatalf("frames %v: want memfrob in libc.so.6, scramble, main", functions(fr))
	}
	g := gdbBacktrace(t, exe, core)
	if len(g) < 5 {
		t.Fatalf("gdb shows %v", g)
	}
	if len(fr) < len(g) {
		t.Errorf("elfdoctor shows %d frames, gdb %d: %v", len(fr), len(g), g)
	}
	for i := 0; i < min(len(g), len(fr), 8); i++ {
		if normalise(fr[i].Function) != normalise(g[i]) {
			t.Errorf("frame %d: elfdoctor %s, gdb %s", i, fr[i].Function, g[i])
		}
	}
}
