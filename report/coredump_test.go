package report

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elfdoctor/elfdoctor/coredump"
	"github.com/elfdoctor/elfdoctor/inspect/loader"
)

// loaderCrash is the analysis of a program whose .dynamic was made
// read-only, as coredump's TestLoaderCrash produces it, with the addresses
// of one run: the renderer is tested on a fixed value so that its goldens
// do not move with ASLR.
func loaderCrash() *coredump.Analysis {
	ld := "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
	return &coredump.Analysis{
		Core: "core", Machine: "EM_X86_64",
		Process:    coredump.Process{Pid: 4348, Name: "hello", Args: "./hello "},
		Signal:     &coredump.Siginfo{Signo: 11, Code: 2, Addr: 0x55aa5ab30eb8},
		SignalName: "SIGSEGV", CodeName: "SEGV_ACCERR",
		Auxv: coredump.AuxvInfo{Base: 0x7f4a4e9f8000, Entry: 0x55aa5ab2e050, Phdr: 0x55aa5ab2d040, Execfn: "./hello"},
		Crash: coredump.Crash{Kind: coredump.KindLoader, Stage: "dynamic-table setup",
			Summary:  "The dynamic loader crashed during dynamic-table setup, before the program reached its entry point 0x55aa5ab2e050; the program itself never ran. It died in dl_main+0x2660 (ld-linux-x86-64.so.2).",
			Evidence: []string{"thread 4348 received SIGSEGV (SEGV_ACCERR)", "fault address 0x55aa5ab30eb8: hello, the DT_PLTGOT slot of .dynamic (entry 13, its value), in a page mapped read-only [r--]"},
			Next:     "Run `elfdoctor check` on the executable."},
		Fault: &coredump.Fault{PC: 0x7f4a4ea16620, Instruction: "add qword ptr [rdx+0x8], rax", CodeFrom: coredump.FromFile,
			Operand: "qword ptr [rdx+0x8]", Computed: 0x55aa5ab30eb8, Matches: true, Addr: 0x55aa5ab30eb8,
			Where: &coredump.Location{Module: "/tmp/hello", Section: ".dynamic", Perm: "r--", Structure: "the DT_PLTGOT slot of .dynamic (entry 13, its value), in a page mapped read-only"}},
		Threads: []coredump.ThreadInfo{{Pid: 4348, Faulting: true, Frames: []coredump.Frame{
			{PC: 0x7f4a4ea16620, Module: ld, Function: "dl_main", Offset: 0x2660, Method: coredump.ByRegisters},
			{PC: 0x7f4a4ea1234f, Module: ld, Function: "_dl_sysdep_start", Offset: 0x7f, Method: coredump.ByCFI},
			{PC: 0x7f4a4ea13ccc, Module: ld, Function: "_dl_start", Offset: 0x55c, Method: coredump.ByCFI},
			{PC: 0x7f4a4ea12b78, Module: ld, Method: coredump.ByStackScan},
		}}, {Pid: 4349, Frames: []coredump.Frame{{PC: 0x1000}}}},
		Modules: []*coredump.Module{
			{Path: "/tmp/hello", Start: 0x55aa5ab2d000, End: 0x55aa5ab32000, Executable: true, Symbols: []string{".symtab", ".dynsym"}},
			{Path: ld, Start: 0x7f4a4e9f8000, End: 0x7f4a4ea2d000, Loader: true, Symbols: []string{".dynsym", "/usr/lib/debug/.build-id/7e/bc65.debug"}},
		},
		Check: &loader.Finding{Severity: loader.SeverityFatal, Summary: "ld.so writes the DT_GNU_HASH entry of .dynamic, but that page is mapped read-only",
			Evidence: []string{".dynamic is in PT_LOAD 3 (r--)"}, Next: "relink without the read-only .dynamic"},
		Warnings: []string{"byte 0xc of the file's first page differs between the core and /tmp/hello"},
	}
}

// journalNoCore is a crash systemd-coredump recorded without keeping the
// core (Storage=none), as coredump.AnalyzeJournal returns it, for a Bun
// application replaced by an update while it ran.
func journalNoCore() *coredump.Analysis {
	e := &coredump.JournalEntry{PID: 81234, UID: 1000, GID: 100, Signal: 11, SignalName: "SIGSEGV",
		Time: time.Date(2026, 11, 23, 2, 14, 7, 0, time.UTC), Exe: "/home/u/.local/bin/app", Cmdline: "app --serve",
		Comm: "app", Hostname: "laptop", Unit: "user@1000.service", Storage: coredump.StorageNone,
		Mapped: &coredump.MappedFile{Dev: "fe:01", Inode: 1837, Deleted: true}, BootID: "c7d8ae6a"}
	return &coredump.Analysis{
		Core:       "journal entry of PID 81234",
		Process:    coredump.Process{Pid: 81234, Name: "app", Args: "app --serve"},
		SignalName: "SIGSEGV",
		Journal:    e,
		Crash: coredump.Crash{Kind: coredump.KindNoCore,
			Summary: "app (PID 81234) was killed by SIGSEGV, but there is no core to explain it: systemd-coredump did not keep the core.",
			Next:    "Keep the next core: set Storage=external in /etc/systemd/coredump.conf."},
		Warnings: []string{"/home/u/.local/bin/app had been deleted or replaced while the process ran."},
	}
}

// killed is kill -SEGV of a waiting program by its parent shell, as
// coredump's TestSignalSentFromOutside analyses it: no fault, a sender.
func killed() *coredump.Analysis {
	libc := "/usr/lib/x86_64-linux-gnu/libc.so.6"
	return &coredump.Analysis{
		Core: "core", Machine: "EM_X86_64",
		Process:    coredump.Process{Pid: 15662, PPid: 15661, Name: "sleeper", Args: "./sleeper "},
		Signal:     &coredump.Siginfo{Signo: 11, Code: 0, Sender: &coredump.Sender{Pid: 15661, Uid: 0}},
		SignalName: "SIGSEGV", CodeName: "SI_USER",
		Auxv: coredump.AuxvInfo{Base: 0x7f7d1b0a1000, Entry: 0x5623a9c0f060, Phdr: 0x5623a9c0e040, Execfn: "./sleeper"},
		Crash: coredump.Crash{Kind: coredump.KindKilled,
			Summary: "The process was killed by SIGSEGV sent by pid 15661 (uid 0), the process's parent; it did not crash: no instruction faulted. It was in pause+0x10 (libc.so.6) when the signal arrived.",
			Evidence: []string{"thread 15662 received SIGSEGV (SI_USER)",
				"si_code SI_USER: the signal was sent with kill, so siginfo holds the sender's pid and uid, not a fault address"},
			Next: "Find out why pid 15661 sent SIGSEGV (a supervisor, a watchdog, a test harness, a person); the program's own code is not the cause, and a debugger would show only where it was waiting."},
		Threads: []coredump.ThreadInfo{{Pid: 15662, Faulting: true, Frames: []coredump.Frame{
			{PC: 0x7f7d1aff0d30, Module: libc, Function: "pause", Offset: 0x10, Method: coredump.ByRegisters},
			{PC: 0x5623a9c0f18d, Module: "/tmp/sleeper", Function: "wait_for_work", Offset: 0x2d, Method: coredump.ByCFI, File: "sleeper.c", Line: 9},
			{PC: 0x5623a9c0f079, Module: "/tmp/sleeper", Function: "main", Offset: 0x9, Method: coredump.ByCFI, File: "sleeper.c", Line: 13},
		}}},
		Modules: []*coredump.Module{
			{Path: "/tmp/sleeper", Start: 0x5623a9c0e000, End: 0x5623a9c13000, Executable: true, Symbols: []string{".symtab", ".dynsym"}},
			{Path: libc, Start: 0x7f7d1aed1000, End: 0x7f7d1b0a0000, Symbols: []string{".dynsym"}},
		},
	}
}

// coredumpCases are the analyses with goldens in testdata/golden/coredump.
var coredumpCases = map[string]func() *coredump.Analysis{"loader-crash": loaderCrash, "journal-no-core": journalNoCore, "killed": killed}

func TestCoredumpGolden(t *testing.T) {
	for name, a := range coredumpCases {
		for _, gf := range goldenFormats {
			t.Run(name+"."+gf.ext, func(t *testing.T) {
				var buf bytes.Buffer
				if err := Coredump(&buf, a(), Options{Format: gf.f, Version: "test"}); err != nil {
					t.Fatalf("Coredump(%s): %v", gf.f, err)
				}
				checkGolden(t, filepath.Join("coredump", name+"."+gf.ext), buf.Bytes())
			})
		}
	}
}

// TestCoredumpContent checks what a reader must see, independent of
// layout: the sentence, the loader frames by name, the check finding, the
// stack-scan frame marked, and the JSON envelope.
func TestCoredumpContent(t *testing.T) {
	var buf bytes.Buffer
	if err := Coredump(&buf, loaderCrash(), Options{Format: Text}); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{"The dynamic loader crashed", "dl_main+0x2660", "_dl_start+0x55c", "stack scan",
		"DT_GNU_HASH entry of .dynamic", "differs between the core", "Relink without"} {
		if !strings.Contains(text, want) {
			t.Errorf("text report lacks %q:\n%s", want, text)
		}
	}
	buf.Reset()
	withLines := loaderCrash()
	withLines.Threads[0].Frames[0].File, withLines.Threads[0].Frames[0].Line = "../elf/rtld.c", 2100
	if err := Coredump(&buf, withLines, Options{Format: Markdown}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "rtld.c:2100") || !strings.Contains(buf.String(), "SOURCE") {
		t.Errorf("markdown report lacks the source column:\n%s", buf.String())
	}
	buf.Reset()
	if err := Coredump(&buf, loaderCrash(), Options{Format: JSON, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	var env struct {
		SchemaVersion int    `json:"schema_version"`
		Command       string `json:"command"`
		Result        struct {
			Crash struct{ Kind string } `json:"crash"`
		} `json:"result"`
	}
	if err := json.Unmarshal(buf.Bytes(), &env); err != nil {
		t.Fatal(err)
	}
	if env.SchemaVersion != SchemaVersion || env.Command != "coredump" || env.Result.Crash.Kind != coredump.KindLoader {
		t.Errorf("JSON envelope = %+v", env)
	}
	buf.Reset()
	if err := Coredump(&buf, killed(), Options{Format: Text}); err != nil {
		t.Fatal(err)
	}
	if text := buf.String(); !strings.Contains(text, "pid 15661 (uid 0), SI_USER") || !strings.Contains(text, "sent by") || strings.Contains(text, "Faulting thread") {
		t.Errorf("text report of a kill lacks the sender row, or shows a fault:\n%s", text)
	}
	if err := Coredump(&buf, nil, Options{}); err == nil {
		t.Error("Coredump(nil) = nil error")
	}
}

// TestFrameName: frames are named as gdb shows them, with what gdb
// leaves out (the clone that ran, a tail call) said beside the name.
func TestFrameName(t *testing.T) {
	for _, c := range []struct {
		f    coredump.Frame
		want string
	}{
		{coredump.Frame{Function: "store", Offset: 0x10}, "store+0x10"},
		{coredump.Frame{}, "??"},
		{coredump.Frame{Function: "sum_at", Clone: ".constprop.0.isra.0", Offset: 4}, "sum_at [clone .constprop.0.isra.0]+0x4"},
		{coredump.Frame{Function: "__pthread_kill_internal", TailCall: true, Offset: 0x4f}, "__pthread_kill_internal (tail call)"},
		{coredump.Frame{Function: "poke", Inlined: true}, "poke (inlined)"},
		{coredump.Frame{Function: coredump.SignalHandlerCalled, SignalFrame: true}, "<signal handler called>"},
	} {
		if got := frameName(c.f); got != c.want {
			t.Errorf("frameName(%+v) = %q, want %q", c.f, got, c.want)
		}
	}
}
