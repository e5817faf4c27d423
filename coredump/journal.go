package coredump

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/elfdoctor/elfdoctor/internal/safeopen"
	"github.com/elfdoctor/elfdoctor/internal/shellquote"
)

// coredumpMessageID is the MESSAGE_ID of systemd-coredump's journal entries.
const coredumpMessageID = "fc2e22bc6ee647b6b90729ab34a250b1"

// journalFields are the fields read from an entry. COREDUMP (the core
// itself, when systemd-coredump stores it in the journal) and
// COREDUMP_ENVIRON (secrets live in environments) are never read.
var journalFields = []string{
	"COREDUMP_PID", "COREDUMP_UID", "COREDUMP_GID", "COREDUMP_SIGNAL", "COREDUMP_SIGNAL_NAME",
	"COREDUMP_TIMESTAMP", "COREDUMP_EXE", "COREDUMP_CMDLINE", "COREDUMP_COMM", "COREDUMP_CWD",
	"COREDUMP_HOSTNAME", "COREDUMP_UNIT", "COREDUMP_USER_UNIT", "COREDUMP_PACKAGE_NAME",
	"COREDUMP_PACKAGE_VERSION", "COREDUMP_FILENAME", "COREDUMP_TRUNCATED", "COREDUMP_PROC_MAPS",
	"_BOOT_ID",
}

// maxJournalOutput bounds what journalctl may print for one entry; the
// largest field read, COREDUMP_PROC_MAPS, is a few hundred KiB for the
// biggest processes.
const maxJournalOutput = 16 << 20

// JournalEntry is what systemd-coredump recorded in the journal about one
// crash: who crashed, with what, and where the core went.
type JournalEntry struct {
	PID        int       `json:"pid"`
	UID        int       `json:"uid"`
	GID        int       `json:"gid"`
	Signal     int       `json:"signal"`
	SignalName string    `json:"signal_name,omitempty"`
	Time       time.Time `json:"time"`
	Exe        string    `json:"exe,omitempty"`
	Cmdline    string    `json:"cmdline,omitempty"`
	Comm       string    `json:"comm,omitempty"`
	Cwd        string    `json:"cwd,omitempty"`
	Hostname   string    `json:"hostname,omitempty"`
	Unit       string    `json:"unit,omitempty"`
	// Package is the ELF package note's name and version
	// (COREDUMP_PACKAGE_NAME, _VERSION), when the executable had one.
	Package string `json:"package,omitempty"`
	// Storage is where the core is: StorageFile (CoreFile),
	// StorageJournal (inside the entry), StorageMissing (CoreFile is
	// gone) or StorageNone.
	Storage   string `json:"storage"`
	CoreFile  string `json:"core_file,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
	// Mapped is the executable as the process had it mapped
	// (COREDUMP_PROC_MAPS): device, inode, and whether it had already
	// been deleted or replaced while the process ran.
	Mapped *MappedFile `json:"mapped_exe,omitempty"`
	BootID string      `json:"boot_id,omitempty"`
}

// MappedFile identifies a mapped file the way /proc/PID/maps does.
type MappedFile struct {
	Dev     string `json:"dev"` // "major:minor", hexadecimal
	Inode   uint64 `json:"inode"`
	Deleted bool   `json:"deleted,omitempty"`
}

// Where a journal entry's core is.
const (
	StorageFile    = "file"
	StorageJournal = "journal"
	StorageMissing = "missing"
	StorageNone    = "none"
)

// KindNoCore is a crash the journal recorded without a core to read.
const KindNoCore = "no-core"

// ErrNoJournalEntry is returned when the journal has no systemd-coredump
// entry matching the request.
var ErrNoJournalEntry = errors.New("coredump: no systemd-coredump entry in the journal matches")

// JournalMatch turns what a person types after --journal into a journal
// match, the way coredumpctl reads its arguments: a number is a PID, a
// FIELD=VALUE is itself, a core file is COREDUMP_FILENAME, a path is the
// executable, anything else a command name. Empty means the newest crash.
func JournalMatch(arg string) string {
	switch {
	case arg == "":
		return ""
	case isDigits(arg):
		return "COREDUMP_PID=" + arg
	case isFieldMatch(arg):
		return arg
	}
	if st, err := os.Stat(arg); err == nil && st.Mode().IsRegular() {
		abs, _ := filepath.Abs(arg)
		if isCoreFile(arg) {
			return "COREDUMP_FILENAME=" + abs
		}
		if p, err := filepath.EvalSymlinks(abs); err == nil {
			abs = p
		}
		return "COREDUMP_EXE=" + abs
	}
	if strings.Contains(arg, "/") {
		abs, _ := filepath.Abs(arg)
		return "COREDUMP_EXE=" + abs
	}
	return "COREDUMP_COMM=" + arg
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// isFieldMatch is FIELD=VALUE with a journal field name: upper case,
// digits and underscores, not starting with a digit.
func isFieldMatch(s string) bool {
	k, _, ok := strings.Cut(s, "=")
	if !ok || k == "" || k[0] >= '0' && k[0] <= '9' {
		return false
	}
	for _, r := range k {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// isCoreFile sniffs a file: an ELF core, or one of systemd-coredump's
// compressed formats (an executable is never stored compressed).
func isCoreFile(path string) bool {
	f, err := safeopen.Regular(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 18)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if compression(head) != "" {
		return true
	}
	if n < 18 || !bytes.HasPrefix(head, []byte("\x7fELF")) {
		return false
	}
	if head[5] == 2 {
		return head[16] == 0 && head[17] == 4
	}
	return head[16] == 4 && head[17] == 0
}

// journalTools finds journalctl and coredumpctl.
func (o Options) journalctl() (string, error) {
	if o.Journalctl != "" {
		return o.Journalctl, nil
	}
	p, err := exec.LookPath("journalctl")
	if err != nil {
		return "", errors.New("coredump: --journal needs journalctl (systemd), which is not installed; pass the core file instead")
	}
	return p, nil
}

func (o Options) coredumpctl() (string, error) {
	if o.Coredumpctl != "" {
		return o.Coredumpctl, nil
	}
	p, err := exec.LookPath("coredumpctl")
	if err != nil {
		return "", errors.New("coredump: the core is stored inside the journal and coredumpctl (systemd-coredump) is not installed to take it out")
	}
	return p, nil
}

// FindInJournal returns the newest systemd-coredump entry matching match
// (see JournalMatch; empty means the newest of all).
func FindInJournal(ctx context.Context, match string, opts Options) (*JournalEntry, error) {
	jc, err := opts.journalctl()
	if err != nil {
		return nil, err
	}
	// --all: fields over 4096 bytes (the maps of a big process) are
	// otherwise printed as null; --output-fields keeps the core out.
	args := []string{"--no-pager", "--quiet", "--all", "-o", "json", "-n", "1",
		"--output-fields=" + strings.Join(journalFields, ","), "MESSAGE_ID=" + coredumpMessageID}
	if match != "" {
		args = append(args, match)
	}
	cmd := exec.CommandContext(ctx, jc, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &limitedBuffer{b: &stderr, max: 4096}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("coredump: run journalctl: %w", err)
	}
	lr := &io.LimitedReader{R: out, N: maxJournalOutput + 1}
	line, rerr := bufio.NewReaderSize(lr, 64<<10).ReadBytes('\n')
	_, _ = io.Copy(io.Discard, lr)
	werr := cmd.Wait()
	if lr.N <= 0 {
		return nil, fmt.Errorf("coredump: journalctl printed more than %d bytes for one entry", maxJournalOutput)
	}
	if werr != nil {
		return nil, fmt.Errorf("coredump: journalctl %s: %v: %s", match, werr, strings.TrimSpace(stderr.String()))
	}
	if len(bytes.TrimSpace(line)) == 0 {
		if rerr != nil && rerr != io.EOF {
			return nil, fmt.Errorf("coredump: read journalctl: %w", rerr)
		}
		what := "any crash"
		if match != "" {
			what = match
		}
		hint := ""
		if os.Geteuid() != 0 {
			hint = "; another user's crashes are visible to root and the systemd-journal group only"
		}
		return nil, fmt.Errorf("%w %s%s", ErrNoJournalEntry, what, hint)
	}
	return parseJournalEntry(line)
}

// parseJournalEntry reads one line of `journalctl -o json`. A field's
// value is a string, null (too big or not shown), an array of byte values
// (not UTF-8), or an array of those (a field given more than once; the
// first is used).
func parseJournalEntry(line []byte) (*JournalEntry, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(line, &raw); err != nil {
		return nil, fmt.Errorf("coredump: journalctl output: %w", err)
	}
	get := func(k string) string {
		v, ok := raw[k]
		if !ok {
			return ""
		}
		return journalValue(v, 0)
	}
	num := func(k string) int {
		n, _ := strconv.Atoi(get(k))
		return n
	}
	e := &JournalEntry{
		PID: num("COREDUMP_PID"), UID: num("COREDUMP_UID"), GID: num("COREDUMP_GID"),
		Signal: num("COREDUMP_SIGNAL"), SignalName: get("COREDUMP_SIGNAL_NAME"),
		Exe: get("COREDUMP_EXE"), Cmdline: get("COREDUMP_CMDLINE"), Comm: get("COREDUMP_COMM"),
		Cwd: get("COREDUMP_CWD"), Hostname: get("COREDUMP_HOSTNAME"), CoreFile: get("COREDUMP_FILENAME"),
		Truncated: get("COREDUMP_TRUNCATED") == "1", BootID: get("_BOOT_ID"),
	}
	if e.PID == 0 {
		return nil, errors.New("coredump: the journal entry has no COREDUMP_PID; it is not systemd-coredump's")
	}
	if e.SignalName == "" && e.Signal != 0 {
		e.SignalName = signalName(e.Signal)
	}
	e.Unit = get("COREDUMP_UNIT")
	if u := get("COREDUMP_USER_UNIT"); u != "" {
		e.Unit = u
	}
	if n := get("COREDUMP_PACKAGE_NAME"); n != "" {
		e.Package = strings.TrimSpace(n + " " + get("COREDUMP_PACKAGE_VERSION"))
	}
	// COREDUMP_TIMESTAMP is microseconds since the epoch.
	if us, err := strconv.ParseInt(get("COREDUMP_TIMESTAMP"), 10, 64); err == nil && us > 0 {
		e.Time = time.UnixMicro(us).UTC()
	}
	// /proc/PID/exe of a file deleted or replaced during the run reads
	// "PATH (deleted)", and so does its line in the maps.
	exe, deleted := strings.CutSuffix(e.Exe, " (deleted)")
	e.Exe = exe
	e.Mapped = mappedExe(get("COREDUMP_PROC_MAPS"), e.Exe)
	if e.Mapped != nil && deleted {
		e.Mapped.Deleted = true
	}
	return e, nil
}

func journalValue(v json.RawMessage, depth int) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var bs []byte
	var nums []int
	if json.Unmarshal(v, &nums) == nil {
		for _, n := range nums {
			bs = append(bs, byte(n))
		}
		return string(bs)
	}
	var many []json.RawMessage
	if depth == 0 && json.Unmarshal(v, &many) == nil && len(many) > 0 {
		return journalValue(many[0], 1)
	}
	return ""
}

// mappedExe finds the executable's line in a /proc/PID/maps text:
// "start-end perms offset major:minor inode path".
func mappedExe(maps, exe string) *MappedFile {
	if maps == "" || exe == "" {
		return nil
	}
	for line := range strings.Lines(maps) {
		f := strings.Fields(line)
		if len(f) < 6 {
			continue
		}
		path := strings.Join(f[5:], " ")
		deleted := strings.HasSuffix(path, " (deleted)")
		path = strings.TrimSuffix(path, " (deleted)")
		if path != exe {
			continue
		}
		ino, err := strconv.ParseUint(f[4], 10, 64)
		if err != nil {
			continue
		}
		return &MappedFile{Dev: f[3], Inode: ino, Deleted: deleted}
	}
	return nil
}

// AnalyzeJournal explains the newest crash that systemd-coredump recorded
// matching match (see JournalMatch): it reads the entry, takes the core
// from where the entry says it is, analyses it, and puts the entry and
// what it tells about the executable into the result. A crash whose core
// was not kept gives a result of kind KindNoCore, not an error.
func AnalyzeJournal(ctx context.Context, match string, opts Options) (*Analysis, error) {
	e, err := FindInJournal(ctx, match, opts)
	if err != nil {
		return nil, err
	}
	path, cleanup, why, err := journalCore(ctx, e, opts)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	if path == "" {
		return noCore(e, why), nil
	}
	opts.journal = e
	c, err := OpenContext(ctx, path)
	// The copy coredumpctl took out of the journal is removed as soon as
	// it is open: the descriptor keeps it readable, and nothing is left
	// behind however the process ends from here on.
	cleanup()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	res, err := AnalyzeCore(ctx, c, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if e.Storage != StorageFile {
		res.Core = "journal entry of PID " + strconv.Itoa(e.PID)
	}
	AttachJournal(res, e, opts.Exe)
	return res, nil
}

// journalCore finds the entry's core: its file, or a copy coredumpctl
// takes out of the journal into a temporary file. With no core, path is
// empty and why says what happened to it.
func journalCore(ctx context.Context, e *JournalEntry, opts Options) (path string, cleanup func(), why string, err error) {
	cleanup = func() {}
	if e.CoreFile != "" {
		switch _, serr := os.Stat(e.CoreFile); {
		case serr == nil:
			e.Storage = StorageFile
			return e.CoreFile, cleanup, "", nil
		case errors.Is(serr, os.ErrNotExist):
			e.Storage = StorageMissing
			return "", cleanup, fmt.Sprintf("the journal names the core %s, which no longer exists (systemd-tmpfiles removes cores after 3 days by default: /usr/lib/tmpfiles.d/systemd.conf)", e.CoreFile), nil
		default:
			return "", cleanup, "", fmt.Errorf("coredump: the core of PID %d: %w", e.PID, serr)
		}
	}
	// No file: the core is inside the entry (Storage=journal) or was not
	// kept. Only coredumpctl knows how to take it out.
	ctl, err := opts.coredumpctl()
	if err != nil {
		return "", cleanup, "", err
	}
	dir, err := os.MkdirTemp("", "elfdoctor-journal-core-")
	if err != nil {
		return "", cleanup, "", err
	}
	cleanup = func() { os.RemoveAll(dir) }
	out := filepath.Join(dir, "core")
	args := []string{"--no-pager", "--quiet", "dump", "--output=" + out,
		"MESSAGE_ID=" + coredumpMessageID, "COREDUMP_PID=" + strconv.Itoa(e.PID)}
	if e.BootID != "" {
		args = append(args, "_BOOT_ID="+e.BootID)
	}
	if !e.Time.IsZero() {
		args = append(args, "COREDUMP_TIMESTAMP="+strconv.FormatInt(e.Time.UnixMicro(), 10))
	}
	cmd := exec.CommandContext(ctx, ctl, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &limitedBuffer{b: &stderr, max: 4096}
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			cleanup()
			return "", func() {}, "", ctx.Err()
		}
		e.Storage = StorageNone
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", cleanup, "systemd-coredump did not keep the core (" + msg + "): Storage=none in coredump.conf, a core bigger than ProcessSizeMax, or a core size limit (ulimit -c) of 0", nil
	}
	if st, err := os.Stat(out); err != nil || st.Size() == 0 {
		e.Storage = StorageNone
		return "", cleanup, "coredumpctl dump wrote no core", nil
	}
	e.Storage = StorageJournal
	return out, cleanup, "", nil
}

// noCore is the result for a crash the journal knows without its core:
// what crashed and with which signal, and how to keep the next core.
func noCore(e *JournalEntry, why string) *Analysis {
	name := e.Comm
	if name == "" {
		name = filepath.Base(e.Exe)
	}
	res := &Analysis{
		Core:       "journal entry of PID " + strconv.Itoa(e.PID),
		Process:    Process{Pid: e.PID, Name: name, Args: e.Cmdline},
		SignalName: e.SignalName,
		Journal:    e,
		Crash: Crash{
			Kind:    KindNoCore,
			Summary: fmt.Sprintf("%s (PID %d) was killed by %s, but there is no core to explain it: %s.", name, e.PID, orUnknown(e.SignalName), why),
			Next:    "Keep the next core: set Storage=external and a ProcessSizeMax larger than the process in /etc/systemd/coredump.conf, run the program with ulimit -c unlimited, reproduce the crash, then run `" + journalCommand(name) + "`. Meanwhile `" + checkCommand(e.Exe) + "` predicts start-up failures without a core.",
		},
	}
	AttachJournal(res, e, "")
	return res
}

// journalCommand and checkCommand are the commands the advice names,
// every word from the journal quoted for the shell it is pasted into; a
// match or path that starts with "-" is kept from reading as an option.
func journalCommand(match string) string {
	if strings.HasPrefix(match, "-") {
		return "elfdoctor coredump --journal -- " + shellquote.Word(match)
	}
	return "elfdoctor coredump --journal " + shellquote.Word(match)
}

func checkCommand(exe string) string {
	switch {
	case exe == "":
		return "elfdoctor check FILE"
	case strings.HasPrefix(exe, "-"):
		exe = "./" + exe
	}
	return "elfdoctor check " + shellquote.Word(exe)
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown signal"
	}
	return s
}

// AttachJournal puts a journal entry into an analysis and says when the
// executable on disk is not the one that crashed: replaced (another
// inode), changed in place (modified after the crash), or already
// replaced while the process ran (the mapping was "(deleted)") — the
// usual trace of an update, and a reason the frames and check findings
// read from the file on disk may not describe the crash. exe is the
// executable given instead of the journal's, if any.
func AttachJournal(res *Analysis, e *JournalEntry, exe string) {
	res.Journal = e
	if exe != "" && exe != e.Exe {
		return
	}
	if e.Mapped != nil && e.Mapped.Deleted {
		if slices.ContainsFunc(res.Modules, func(m *Module) bool { return m.Path == e.Exe+" (deleted)" }) {
			return // buildModules said it already, from NT_FILE
		}
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s had been deleted or replaced while the process ran (its mapping reads \"(deleted)\" in COREDUMP_PROC_MAPS): the file there now is not the one that crashed; an update during the run does this.", e.Exe))
		return
	}
	st, err := os.Stat(e.Exe)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && e.Exe != "" {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s no longer exists; the frames come from the core alone.", e.Exe))
		}
		return
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if ok && e.Mapped != nil && e.Mapped.Dev == devString(uint64(sys.Dev)) && e.Mapped.Inode != sys.Ino {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s was replaced after the crash: the process ran inode %d, the file there now is inode %d (same device %s). Symbols, the loader-view check and the byte comparison use the new file; find the copy that crashed to read them from it.", e.Exe, e.Mapped.Inode, sys.Ino, e.Mapped.Dev))
		return
	}
	// COREDUMP_TIMESTAMP has whole seconds (the kernel's %t).
	if !e.Time.IsZero() && st.ModTime().After(e.Time.Add(time.Second)) {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s was modified at %s, after the crash at %s: it may not be the file that crashed.", e.Exe, st.ModTime().UTC().Format(time.RFC3339), e.Time.Format(time.RFC3339)))
	}
}

// devString formats a device number as /proc/PID/maps does ("fe:01"),
// with Linux's encoding of major and minor numbers.
func devString(dev uint64) string {
	major := (dev >> 8 & 0xfff) | (dev >> 32 & ^uint64(0xfff))
	minor := (dev & 0xff) | (dev >> 12 & ^uint64(0xff))
	return fmt.Sprintf("%02x:%02x", major, minor)
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	b   *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
