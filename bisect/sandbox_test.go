package bisect

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Regression tests for issue 15, item 11: each restriction is proved from
// inside a real container, and stale containers are removed only when
// their owner is provably dead.

// TestDockerSandbox runs a shell in bookworm that reports what it may do.
func TestDockerSandbox(t *testing.T) {
	r := needEngine(t, imgBookworm)
	defer func(f, m int64) { r.FileSize, r.Memory = f, m }(r.FileSize, r.Memory)
	r.FileSize = 1 << 20
	script := `id -u; id -g
echo home=$HOME
grep -E '^(CapEff|CapBnd|CapPrm|NoNewPrivs):' /proc/self/status
touch /x 2>/dev/null; echo root-write=$?
touch /elfdoctor/y 2>/dev/null; echo bin-write=$?
echo hi > /tmp/y; echo tmp-write=$?
grep ' /tmp ' /proc/mounts
head -c 2000000 /dev/zero > /tmp/big; echo fsize-write=$?; wc -c < /tmp/big
cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/cpu.max 2>/dev/null | tr '\n' ' '; echo
`
	o, err := r.Run(context.Background(), RunSpec{Binary: "/bin/sh", Args: []string{"-c", script}, Image: imgBookworm})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(o.Stdout), "\n")
	t.Logf("inside the container:\n%s\nstderr: %s", o.Stdout, o.Stderr)
	get := func(prefix string) string {
		for _, l := range lines {
			if v, ok := strings.CutPrefix(l, prefix); ok {
				return strings.TrimSpace(v)
			}
		}
		return "(missing)"
	}
	if len(lines) < 2 || lines[0] != strconv.Itoa(nobody) || lines[1] != strconv.Itoa(nobody) {
		t.Errorf("uid, gid = %q, want nobody (%d)", lines[:min(2, len(lines))], nobody)
	}
	for _, c := range []string{"CapEff:", "CapBnd:", "CapPrm:"} {
		if v := get(c); v != "0000000000000000" {
			t.Errorf("%s %s, want no capabilities", c, v)
		}
	}
	want := map[string]string{"home=": "/tmp", "NoNewPrivs:": "1", "root-write=": "1", "bin-write=": "1", "tmp-write=": "0", "fsize-write=": "153"}
	for k, v := range want {
		if got := get(k); got != v {
			t.Errorf("%s%s, want %s", k, got, v)
		}
	}
	if m := get("tmpfs /tmp "); !strings.Contains(m, "size="+strconv.Itoa(DefaultTmpSize>>10)+"k") || !strings.Contains(m, "nosuid") {
		t.Errorf("/tmp mount %q, want a %d KiB nosuid tmpfs", m, DefaultTmpSize>>10)
	}
	// 128+SIGXFSZ above; the file stops at the limit.
	if !slices.Contains(lines, strconv.Itoa(1<<20)) {
		t.Errorf("no file of exactly %d bytes written under the file-size limit", 1<<20)
	}
	cpu := strings.Fields(lines[len(lines)-1])
	switch {
	case len(cpu) == 2 && cpu[0] == "100000" && cpu[1] == "100000": // cgroup v2: quota period
	case len(cpu) == 2 && cpu[0] == cpu[1]: // v1: quota equals period for one CPU
	default:
		t.Errorf("CPU quota %q, want one CPU", cpu)
	}
}

// TestDockerRemoveStale creates containers labelled as other bisections'
// would be and checks that only those of provably dead owners go.
func TestDockerRemoveStale(t *testing.T) {
	r := needEngine(t, imgHost)
	me := self()
	if me.Boot == "" {
		t.Fatal("this process cannot name itself from /proc")
	}
	// A process that ran and is gone, and one that is alive.
	dead := exec.Command("true")
	if err := dead.Start(); err != nil {
		t.Fatal(err)
	}
	deadStart, _ := startTime(dead.Process.Pid)
	dead.Wait()
	live := exec.Command("sleep", "120")
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { live.Process.Kill(); live.Wait() }()
	liveStart, ok := startTime(live.Process.Pid)
	if !ok {
		t.Fatal("no start time of a live process")
	}
	past, future := strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10), strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	foreign := owner{Boot: "00000000-0000-0000-0000-000000000000", PIDNS: me.PIDNS, PID: 1, Start: 1}
	tests := []struct {
		name            string
		owner, deadline string
		removed         bool
	}{
		{"dead owner", owner{me.Boot, me.PIDNS, dead.Process.Pid, deadStart}.String(), future, true},
		{"pid reused", owner{me.Boot, me.PIDNS, me.PID, me.Start + 1}.String(), future, true},
		{"live owner past its deadline", owner{me.Boot, me.PIDNS, live.Process.Pid, liveStart}.String(), past, false},
		{"other pid namespace", owner{me.Boot, "1", dead.Process.Pid, deadStart}.String(), future, false},
		{"other machine, deadline passed", foreign.String(), past, true},
		{"other machine, within its deadline", foreign.String(), future, false},
		{"older elfdoctor, no owner", "", "", false},
	}
	label := LabelValue()
	names := map[string]bool{}
	for i, tt := range tests {
		labels := map[string]string{Label: label}
		if tt.owner != "" {
			labels[LabelOwner] = tt.owner
		}
		if tt.deadline != "" {
			labels[LabelDeadline] = tt.deadline
		}
		name := fmt.Sprintf("elfdoctor-stale-test-%s-%d", label, i)
		names[name] = true
		if _, err := r.cli.containerCreate(context.Background(), &createRequest{Image: imgHost, Entrypoint: []string{"/bin/sh"}, Labels: labels, HostConfig: hostConfig{NetworkMode: "none"}}, name); err != nil {
			t.Fatal(err)
		}
		defer r.remove(context.Background(), name)
	}
	removed, err := r.RemoveStale(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range removed {
		if !names[n] {
			t.Errorf("RemoveStale removed %s, a container of another bisection that is not provably dead", n)
		}
	}
	for i, tt := range tests {
		name := fmt.Sprintf("elfdoctor-stale-test-%s-%d", label, i)
		err := r.cli.containerInspect(context.Background(), name)
		if gone := err != nil; gone != tt.removed {
			t.Errorf("%s: removed %v, want %v (%v)", tt.name, gone, tt.removed, err)
		}
	}
}

// TestHostRunnerEscapees: children that leave the run's process group
// with setsid, directly or through a double fork, die with the run.
// Before the fix they outlived it.
func TestHostRunnerEscapees(t *testing.T) {
	script := `setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $!
(setsid sh -c 'sleep 301 & echo $!; wait' </dev/null 2>/dev/null &) | head -1
exit 0`
	o, err := HostRunner{}.Run(context.Background(), RunSpec{Binary: "/bin/sh", Args: []string{"-c", script}, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	pids := strings.Fields(o.Stdout)
	if len(pids) != 2 {
		t.Fatalf("the script printed %q, want two pids; stderr %q", o.Stdout, o.Stderr)
	}
	for _, p := range pids {
		pid, _ := strconv.Atoi(p)
		deadline := time.Now().Add(2 * time.Second)
		for {
			f, ok := procStat(pid)
			if !ok || f[0] == "Z" {
				break
			}
			if time.Now().After(deadline) {
				syscall.Kill(pid, syscall.SIGKILL)
				t.Errorf("process %d (%s) escaped the run and is still alive", pid, f[0])
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// TestRunAs: a container never runs as root; a root-owned file only
// others cannot run is refused with a quoted command that fixes it.
func TestRunAs(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/a b;touch X"
	if err := os.WriteFile(p, []byte("\x7fELF"), 0o700); err != nil {
		t.Fatal(err)
	}
	user, err := runAs(p)
	if os.Getuid() != 0 {
		if want := fmt.Sprintf("%d:", os.Getuid()); err != nil || !strings.HasPrefix(user, want) {
			t.Errorf("runAs(own file) = %q, %v; want %s…", user, err, want)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), "run: chmod o+rx '"+p+"'") {
		t.Errorf("runAs(root's 0700 file) = %q, %v; want a refusal with a quoted chmod", user, err)
	}
	os.Chmod(p, 0o755)
	if user, err := runAs(p); err != nil || user != "65534:65534" {
		t.Errorf("runAs(root's 0755 file) = %q, %v; want nobody", user, err)
	}
	os.Chown(p, 1000, 0)
	if user, err := runAs(p); err != nil || user != "1000:65534" {
		t.Errorf("runAs(a user's file, group root) = %q, %v; want 1000:65534", user, err)
	}
}
