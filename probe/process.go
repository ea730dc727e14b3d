package probe

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// This file reads processes from /proc, makes jtune a child subreaper, and
// finds and stops a build left running by a jtune that died.

// procInfo is what /proc/PID/stat says of one process.
type procInfo struct {
	pid, ppid, pgid, sid int
	state                byte   // R, S, D, T, Z, …
	comm                 string // the program's name, at most 15 bytes
	start                uint64 // field 22: clock ticks from boot to the process's start
}

func (p procInfo) zombie() bool { return p.state == 'Z' || p.state == 'X' }

// readProc reads /proc/PID/stat.
func readProc(pid int) (procInfo, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procInfo{}, err
	}
	return parseStat(b)
}

// parseStat parses a /proc/PID/stat line: "pid (comm) state ppid pgrp
// session … starttime …", where comm may hold blanks and parentheses.
func parseStat(b []byte) (procInfo, error) {
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return procInfo{}, fmt.Errorf("bad /proc stat line %q", b)
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return procInfo{}, fmt.Errorf("bad /proc stat line %q: %w", b, err)
	}
	f := strings.Fields(string(b[end+1:]))
	// f[0] is field 3 (state); starttime is field 22, f[19].
	if len(f) < 20 || len(f[0]) == 0 {
		return procInfo{}, fmt.Errorf("bad /proc stat line %q", b)
	}
	p := procInfo{pid: pid, state: f[0][0], comm: string(b[open+1 : end])}
	var errs [4]error
	p.ppid, errs[0] = strconv.Atoi(f[1])
	p.pgid, errs[1] = strconv.Atoi(f[2])
	p.sid, errs[2] = strconv.Atoi(f[3])
	p.start, errs[3] = strconv.ParseUint(f[19], 10, 64)
	if err := errors.Join(errs[:]...); err != nil {
		return procInfo{}, fmt.Errorf("bad /proc stat line %q: %w", b, err)
	}
	return p, nil
}

// procTable reads every process in /proc. Processes that exit while it
// reads are left out.
func procTable() (map[int]procInfo, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("listing processes: %w", err)
	}
	out := make(map[int]procInfo, len(entries))
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, err := readProc(pid); err == nil {
			out[pid] = p
		}
	}
	return out, nil
}

// hasEnv reports whether the environment a process started with holds kv
// ("NAME=value"). A zombie's, a kernel thread's, and another user's
// environment cannot be read: false.
func hasEnv(pid int, kv string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	for _, e := range bytes.Split(b, []byte{0}) {
		if string(e) == kv {
			return true
		}
	}
	return false
}

// describe names a process for a warning: its pid and command line, or
// its program name when the command line is gone.
func describe(p procInfo) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.pid) + "/cmdline")
	cmd := strings.TrimSpace(string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})))
	if err != nil || cmd == "" {
		cmd = p.comm
	}
	if len(cmd) > 60 {
		cmd = cmd[:57] + "..."
	}
	return fmt.Sprintf("%d (%s)", p.pid, cmd)
}

var subreaper struct {
	once sync.Once
	err  error
}

// BecomeSubreaper makes this process a child subreaper
// (prctl(PR_SET_CHILD_SUBREAPER)): a process of a build whose parent
// exits, such as one a build started with "setsid daemon &" or "timeout
// … &", becomes jtune's child rather than init's, so that jtune can find
// it, stop it and reap it once the build is over. Call it once, at the
// start, before any build: what was orphaned before it went to init.
// Later calls return the first one's result.
func BecomeSubreaper() error {
	subreaper.once.Do(func() {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			subreaper.err = fmt.Errorf("probe: becoming a child subreaper: %w", err)
		}
	})
	return subreaper.err
}

// BuildProcess identifies a running build, so that a later jtune can stop
// it if the jtune that started it died (see StopStale). Record it, from
// Runner.OnStart, before the build's results are waited for.
type BuildProcess struct {
	// Pgid is the build's process group: the leader's pid.
	Pgid int `json:"pgid"`
	// StartTicks is the leader's start time, in clock ticks after boot
	// (field 22 of /proc/PID/stat). A pid reused by another process has
	// another start time.
	StartTicks uint64 `json:"start_ticks"`
	// BootID is the kernel's boot id: start times count from one boot.
	BootID string `json:"boot_id"`
	// Marker is the "NAME=value" every process of the build inherits in
	// its environment (see buildMarker), which finds the processes that
	// left the group.
	Marker string `json:"marker"`
}

// bootID reads the kernel's boot id; "" if it cannot be read.
func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// staleWait bounds StopStale's wait for the processes it killed to go.
const staleWait = 5 * time.Second

// StopStale stops what is left of a build started by a jtune that has
// died: the process group, if its leader still runs with the recorded
// start time (otherwise the pid is another process's, or the group is
// gone), and every process anywhere that carries the build's marker in
// its environment (what left the group, or outlived the leader). It
// sends SIGKILL, since no one is left to wait for a graceful end, and
// waits up to 5 s until they are gone. stopped reports whether anything
// was found to stop. A BuildProcess from another boot stops nothing.
func StopStale(bp BuildProcess) (stopped bool, err error) {
	if bp.Pgid <= 1 || (bp.BootID != "" && bp.BootID != bootID()) {
		return false, nil
	}
	table, err := procTable()
	if err != nil {
		return false, fmt.Errorf("probe: finding a stale build: %w", err)
	}
	var targets []procInfo
	self := os.Getpid()
	if leader, ok := table[bp.Pgid]; ok && leader.start == bp.StartTicks && !leader.zombie() {
		// The group's members, whatever their start times: the leader
		// proves that the group is the build's.
		_ = syscall.Kill(-bp.Pgid, syscall.SIGKILL)
		for _, p := range table {
			if p.pgid == bp.Pgid && !p.zombie() {
				targets = append(targets, p)
			}
		}
	}
	if bp.Marker != "" {
		for _, p := range table {
			if p.pid != self && !p.zombie() && p.pgid != bp.Pgid && hasEnv(p.pid, bp.Marker) {
				_ = syscall.Kill(p.pid, syscall.SIGKILL)
				targets = append(targets, p)
			}
		}
	}
	if len(targets) == 0 {
		return false, nil
	}
	if left := awaitGone(targets, staleWait, nil); len(left) > 0 {
		return true, fmt.Errorf("probe: %d processes of the stale build (pgid %d) did not die: %s", len(left), bp.Pgid, describe(left[0]))
	}
	return true, nil
}

// gone reports whether p has exited: it is no more, it is a zombie, or
// its pid is another process's now.
func gone(p procInfo) bool {
	q, err := readProc(p.pid)
	return err != nil || q.zombie() || q.start != p.start
}

// awaitGone polls until every process of ps has exited or d has passed,
// reaping those that are this process's children, and returns those still
// there. A close of stop ends the wait early.
func awaitGone(ps []procInfo, d time.Duration, stop <-chan struct{}) []procInfo {
	deadline := time.Now().Add(d)
	self := os.Getpid()
	for {
		var left []procInfo
		for _, p := range ps {
			if gone(p) {
				reap(p, self)
			} else {
				left = append(left, p)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		select {
		case <-stop:
			return left
		case <-time.After(10 * time.Millisecond):
		}
		ps = left
	}
}

// reap collects p's exit status if p has exited and is a child of self
// (this process), as an orphan becomes under a subreaper, so that no
// zombie is left. It never waits and never touches a running child.
func reap(p procInfo, self int) {
	q, err := readProc(p.pid)
	if err != nil || !q.zombie() || q.start != p.start || q.ppid != self {
		return
	}
	var ws unix.WaitStatus
	_, _ = unix.Wait4(p.pid, &ws, unix.WNOHANG, nil)
}
