package coredump

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"time"
)

// maxSenderOutput bounds what journalctl may print for the sender's entry
// (three short fields and the journal's own).
const maxSenderOutput = 1 << 20

// senderFromJournal names the process that sent a signal, when the crash
// came from the journal: the newest entry that pid logged in the same
// boot, up to the second of the crash. A pid can be reused, so the answer
// says it is the journal's last word on that pid, with the time. Nothing
// is looked up for a process in another pid namespace than the journal's.
func (a *analyzer) senderFromJournal(pid int) string {
	e := a.opts.journal
	if e == nil || e.BootID == "" || e.Time.IsZero() || pid <= 0 {
		return ""
	}
	// si_pid is in the crashed process's pid namespace and the journal's
	// _PID in the host's: when the two views of the crashed process
	// differ (a container), a pid means different processes in each.
	if e.PID != a.res.Process.Pid {
		return ""
	}
	jc, err := a.opts.journalctl()
	if err != nil {
		return ""
	}
	args := []string{"--no-pager", "--quiet", "-o", "json", "-n", "1", "--output-fields=_COMM,_EXE",
		"--until=@" + strconv.FormatInt(e.Time.Add(time.Second).Unix(), 10),
		"_PID=" + strconv.Itoa(pid), "_BOOT_ID=" + e.BootID}
	cmd := exec.CommandContext(a.ctx, jc, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return ""
	}
	if err := cmd.Start(); err != nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(out, maxSenderOutput))
	_, _ = io.Copy(io.Discard, out)
	if cmd.Wait() != nil || len(bytes.TrimSpace(b)) == 0 {
		return ""
	}
	var raw map[string]json.RawMessage
	if json.Unmarshal(bytes.TrimSpace(b), &raw) != nil {
		return ""
	}
	field := func(k string) string {
		if v, ok := raw[k]; ok {
			return journalValue(v, 0)
		}
		return ""
	}
	comm, exe := field("_COMM"), field("_EXE")
	if comm == "" && exe == "" {
		return ""
	}
	s := comm
	if exe != "" {
		s = fmt.Sprintf("%s (%s)", comm, exe)
	}
	if us, err := strconv.ParseInt(field("__REALTIME_TIMESTAMP"), 10, 64); err == nil && us > 0 {
		return fmt.Sprintf("%s as the journal last saw that pid, at %s", s, time.UnixMicro(us).UTC().Format(time.RFC3339))
	}
	return s + " as the journal last saw that pid"
}
