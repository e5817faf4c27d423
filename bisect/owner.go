package bisect

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// A container's owner is the bisect process that created it, named so
// that another process can prove it dead: the kernel's boot ID and PID
// namespace (a PID means nothing outside them), the PID, and the
// process's start time in clock ticks since boot (a reused PID has
// another).
type owner struct {
	Boot, PIDNS string
	PID         int
	Start       uint64
}

func (o owner) String() string {
	return fmt.Sprintf("%s/%s/%d/%d", o.Boot, o.PIDNS, o.PID, o.Start)
}

func parseOwner(s string) (owner, bool) {
	f := strings.Split(s, "/")
	if len(f) != 4 || f[0] == "" || f[1] == "" {
		return owner{}, false
	}
	pid, err1 := strconv.Atoi(f[2])
	start, err2 := strconv.ParseUint(f[3], 10, 64)
	if err1 != nil || err2 != nil || pid <= 0 {
		return owner{}, false
	}
	return owner{Boot: f[0], PIDNS: f[1], PID: pid, Start: start}, true
}

// self is this process as an owner; the zero owner when /proc cannot say.
func self() owner {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return owner{}
	}
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return owner{}
	}
	start, ok := startTime(os.Getpid())
	if !ok {
		return owner{}
	}
	return owner{Boot: strings.TrimSpace(string(boot)), PIDNS: strings.Trim(strings.TrimPrefix(ns, "pid:"), "[]"), PID: os.Getpid(), Start: start}
}

// startTime is field 22 of /proc/PID/stat: when the process started, in
// clock ticks since boot.
func startTime(pid int) (uint64, bool) {
	f, ok := procStat(pid)
	if !ok || len(f) < 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(f[19], 10, 64)
	return n, err == nil
}

// procStat is /proc/PID/stat from field 3 (the state) on: the command
// name before it may hold spaces and parentheses, so the split is at the
// last ')'.
func procStat(pid int) ([]string, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, false
	}
	return strings.Fields(string(b[i+1:])), true
}

// staleGrace is how long past its run's time limit a container may
// still be in use: being killed, its output read, removed.
const staleGrace = 5 * time.Minute

// provablyDead says whether the owner of a container is gone, so the
// container is a leftover: a process of this boot and PID namespace that
// no longer runs with that start time; or, for owners this machine cannot
// see, a deadline (the run's time limit plus staleGrace) that has passed.
// Anything else, containers of older elfdoctor versions included, is left
// alone.
func provablyDead(me owner, ownerLabel, deadlineLabel string, now time.Time) bool {
	if o, ok := parseOwner(ownerLabel); ok && me.Boot != "" && o.Boot == me.Boot && o.PIDNS == me.PIDNS {
		f, ok := procStat(o.PID)
		if !ok || len(f) < 20 || f[0] == "Z" {
			return true
		}
		st, err := strconv.ParseUint(f[19], 10, 64)
		return err != nil || st != o.Start
	}
	d, err := strconv.ParseInt(deadlineLabel, 10, 64)
	return err == nil && now.Unix() > d
}
