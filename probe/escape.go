package probe

import (
	"crypto/rand"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// This file finds every process of a build, including those that left its
// process group, and stops what is left once the build's leader exits.
//
// What it covers. A process belongs to the build when it is in the
// build's process group, or carries the build's marker in its environment
// (markerName, set for the build's leader and inherited by everything it
// starts), or was seen as a descendant of the leader by an earlier scan
// (the sampling goroutine scans about every half second), or descends from
// any of those. With BecomeSubreaper, a process whose parent exits becomes
// jtune's child instead of init's, so the chain from jtune down stays
// whole: "setsid daemon &", GNU "timeout … &" (a process group of its own)
// and ninja's jobs (one process group each) are all found, and jtune reaps
// them once they have exited, so no zombie is left. Without the subreaper
// the marker still finds them (anywhere in /proc), but init reaps them.
//
// What it does not cover: a process that both clears its environment
// ("env -i") and leaves the group and lives less than a scan interval
// before its parent exits, when jtune is no subreaper or an intermediate
// subreaper is not itself found; work handed to a server that was running
// before the build (a compiler server, a systemd unit, at(1)), which is
// not the build's; and processes that exited while the build ran and were
// not seen, which stay zombies of jtune until it exits (they run nothing).
// A cgroup v2 sub-cgroup would cover the first case too, and stop a whole
// tree atomically (cgroup.kill), but it needs a writable, delegated
// /sys/fs/cgroup (root, or systemd's delegation), which many machines and
// containers lack (this one has cgroup v1); the subreaper needs nothing,
// so it is the one mechanism jtune relies on.

// markerName is the environment variable that marks a build's processes.
const markerName = "JTUNE_BUILD"

// tracker knows one build's processes. Its methods are safe for
// concurrent use.
type tracker struct {
	self   int
	marker string // markerName=<unique id>
	mu     sync.Mutex
	pgid   int            // the build's process group, once started
	leader BuildProcess   // the leader, once started
	seen   map[int]uint64 // pid → start ticks of processes seen as the build's
	last   time.Time      // the last scan, on the Runner's clock
}

func newTracker() *tracker {
	return &tracker{self: os.Getpid(), marker: fmt.Sprintf("%s=%d-%s", markerName, os.Getpid(), rand.Text()[:16]),
		seen: map[int]uint64{}}
}

// env returns env with the build's marker in place of any other.
func (t *tracker) env(env []string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, markerName+"=") {
			out = append(out, kv)
		}
	}
	return append(out, t.marker)
}

// started records the leader, whose pid is the build's process group.
func (t *tracker) started(pid int) BuildProcess {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pgid = pid
	t.leader = BuildProcess{Pgid: pid, BootID: bootID(), Marker: t.marker}
	if p, err := readProc(pid); err == nil {
		t.leader.StartTicks = p.start
		t.seen[pid] = p.start
	}
	return t.leader
}

// scanEvery is how often, on the Runner's clock, the sampling goroutine
// records the build's processes.
const scanEvery = 500 * time.Millisecond

// scan records the build's processes now, so that one that later clears
// its environment and leaves the group is still known, and reaps those
// that were orphaned to jtune and have exited: a long build that leaves
// "cmd &" behind in recipe after recipe must not fill the process table
// with zombies until it ends. It reads no environments: it costs one
// read of /proc/*/stat.
func (t *tracker) scan(now time.Time) {
	t.mu.Lock()
	due := t.pgid != 0 && now.Sub(t.last) >= scanEvery
	if due {
		t.last = now
	}
	leader := t.pgid
	t.mu.Unlock()
	if !due {
		return
	}
	table, err := procTable()
	if err != nil {
		return
	}
	for _, p := range t.members(table, false) {
		// Never the leader: exec.Cmd.Wait collects it.
		if p.pid != leader && p.zombie() {
			reap(p, t.self)
		}
	}
}

// members returns the build's processes in table (see the top of the
// file), zombies included, and remembers them. withEnv reads every
// process's environment for the marker.
func (t *tracker) members(table map[int]procInfo, withEnv bool) []procInfo {
	t.mu.Lock()
	pgid := t.pgid
	seen := make(map[int]uint64, len(t.seen))
	for k, v := range t.seen {
		seen[k] = v
	}
	t.mu.Unlock()

	children := map[int][]int{}
	in := map[int]bool{}
	var queue []int
	for pid, p := range table {
		if pid == t.self || pid <= 1 || p.pgid == 0 {
			continue // jtune itself, init, kernel threads
		}
		children[p.ppid] = append(children[p.ppid], pid)
		start, wasSeen := seen[pid]
		if (pgid != 0 && p.pgid == pgid) || (wasSeen && start == p.start) || (withEnv && hasEnv(pid, t.marker)) {
			in[pid] = true
			queue = append(queue, pid)
		}
	}
	for i := 0; i < len(queue); i++ {
		for _, c := range children[queue[i]] {
			if !in[c] {
				in[c] = true
				queue = append(queue, c)
			}
		}
	}
	slices.Sort(queue)
	out := make([]procInfo, 0, len(queue))
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, pid := range queue {
		// Remembered, so that its zombie is known as the build's once
		// its environment can no longer be read.
		t.seen[pid] = table[pid].start
		out = append(out, table[pid])
	}
	return out
}

// signal sends sig to p unless its pid now belongs to another process.
func signal(p procInfo, sig syscall.Signal) {
	if q, err := readProc(p.pid); err == nil && q.start == p.start {
		_ = syscall.Kill(p.pid, sig)
	}
}

// killNow sends SIGKILL to the build's group and to every other process
// of the build, at once: the second Ctrl-C.
func (t *tracker) killNow() {
	t.mu.Lock()
	pgid := t.pgid
	t.mu.Unlock()
	if pgid > 1 {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
	table, err := procTable()
	if err != nil {
		return
	}
	for _, p := range t.members(table, true) {
		if !p.zombie() {
			signal(p, syscall.SIGKILL)
		}
	}
}

// stopRounds bounds how often stop looks again for processes that the
// ones it stopped started meanwhile.
const stopRounds = 3

// stop ends every process of the build that is still there after its
// leader exited: SIGTERM (and SIGCONT, as a stopped process ignores
// SIGTERM), then SIGKILL after grace, or at once when kill is closed; it
// reaps those that are jtune's children. It returns what it had to stop,
// for a warning: "pid (command line)".
func (t *tracker) stop(grace time.Duration, kill <-chan struct{}) []string {
	var names []string
	named := map[int]bool{}
	for range stopRounds {
		table, err := procTable()
		if err != nil {
			break
		}
		var alive []procInfo
		for _, p := range t.members(table, true) {
			if p.zombie() {
				reap(p, t.self)
				continue
			}
			alive = append(alive, p)
			if !named[p.pid] {
				named[p.pid] = true
				names = append(names, describe(p))
			}
		}
		if len(alive) == 0 {
			break
		}
		if !isClosed(kill) {
			for _, p := range alive {
				signal(p, syscall.SIGTERM)
				signal(p, syscall.SIGCONT)
			}
			alive = awaitGone(alive, grace, kill)
		}
		for _, p := range alive {
			signal(p, syscall.SIGKILL)
		}
		awaitGone(alive, 2*time.Second, nil)
	}
	return names
}

// isClosed reports whether c is closed; a nil channel never is.
func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
