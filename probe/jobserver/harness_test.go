package jobserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The builds in these tests are gated: the test, not a clock, decides
// when each job ends, so every count is exact however busy the machine
// is. Each job runs jobScript, which logs its start, shows itself as the
// fifo run/NAME while it runs, and ends when the test writes a word to
// that fifo: "ok" ends it, "fail" fails it.
const jobScript = `#!/bin/sh
d=$(dirname "$0")
echo "start $1 $$" >>"$d/log"
mkfifo "$d/run/$1"
read -r word <"$d/run/$1"
rm -f "$d/run/$1"
echo "end $1" >>"$d/log"
[ "$word" != fail ]
`

// patience bounds every wait of a test: generous, for a machine that is
// busy with other tests.
const patience = 30 * time.Second

// A spec is a client to test: a program that must be installed, found by
// find, and the form to give it.
type spec struct {
	name  string
	form  Form
	find  func(t *testing.T) Client
	ninja bool
	// lazy: the client takes new tokens only when one of its jobs ends.
	// ninja waits on its jobs' output pipes, not on the pool
	// (real_command_runner.cc), so tokens added while its jobs run wait
	// for the next job to end.
	lazy bool
}

var specs = []spec{
	{name: "make/pipe", form: Pipe, find: findMake},
	{name: "make-4.4/fifo", form: Fifo, find: findMake44},
	{name: "make-4.4/pipe", form: Pipe, find: findMake44},
	{name: "ninja/fifo", form: Fifo, find: findNinja, ninja: true, lazy: true},
}

// forEachClient runs test as a subtest for each spec named (all if none).
func forEachClient(t *testing.T, test func(t *testing.T, sp spec, c Client), names ...string) {
	for _, sp := range specs {
		if len(names) > 0 && !slices.Contains(names, sp.name) {
			continue
		}
		t.Run(sp.name, func(t *testing.T) {
			c := sp.find(t)
			t.Logf("%s (%s)", c, c.Path)
			test(t, sp, c)
		})
	}
}

func findMake(t *testing.T) Client {
	return need(t, "GNU make 4.2 or later", DetectMake, func(c Client) bool { return c.Supports(Pipe) }, "make")
}

func findMake44(t *testing.T) Client {
	return need(t, "GNU make 4.4 or later", DetectMake, func(c Client) bool { return c.Supports(Fifo) }, "make-4.4", "make")
}

func findNinja(t *testing.T) Client {
	return need(t, "ninja 1.13 or later", DetectNinja, func(c Client) bool { return c.Supports(Fifo) }, "ninja")
}

// need returns the first of the programs in PATH that detect accepts and
// ok approves. Without one it skips the test, or fails it when CI=true:
// that is how CI makes sure the prerequisites are really there.
func need(t *testing.T, what string, detect func(string) (Client, error), ok func(Client) bool, names ...string) Client {
	t.Helper()
	var seen []string
	for _, name := range names {
		path, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		c, err := detect(path)
		if err == nil && ok(c) {
			return c
		}
		seen = append(seen, fmt.Sprintf("%s is %v", path, c.Version))
	}
	found := "none found"
	if len(seen) > 0 {
		found = strings.Join(seen, ", ")
	}
	msg := fmt.Sprintf("needs %s as %s in PATH (%s); .ci/newer-tools.sh installs it", what, strings.Join(names, " or "), found)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI=true makes a missing prerequisite a failure")
	}
	t.Skip(msg)
	return Client{}
}

// build is one gated build of targets jobs t1…tN, run by a client of srv
// in a process group of its own.
type build struct {
	t    *testing.T
	sp   spec
	dir  string
	srv  *Server
	cmd  *exec.Cmd
	out  syncBuffer
	exit chan error // Wait's result, once
	err  error      // Wait's result, once received
	done bool
}

func startBuild(t *testing.T, sp spec, c Client, targets, jobs int) *build {
	t.Helper()
	b := &build{t: t, sp: sp, dir: t.TempDir(), exit: make(chan error, 1)}
	must(t, os.Mkdir(filepath.Join(b.dir, "run"), 0o755))
	must(t, os.WriteFile(filepath.Join(b.dir, "job.sh"), []byte(jobScript), 0o755))
	must(t, os.WriteFile(filepath.Join(b.dir, "log"), nil, 0o644))
	names := make([]string, targets)
	for i := range names {
		names[i] = fmt.Sprintf("t%d", i+1)
	}
	all := strings.Join(names, " ")
	file, text := "Makefile", fmt.Sprintf("all: %s\n%s:\n\t@sh ./job.sh $@\n.PHONY: all %s\n", all, all, all)
	if sp.ninja {
		file, text = "build.ninja", "rule job\n  command = sh ./job.sh $out\n"
		for _, n := range names {
			text += "build " + n + ": job\n"
		}
	}
	must(t, os.WriteFile(filepath.Join(b.dir, file), []byte(text), 0o644))

	srv, err := New(sp.form, jobs)
	must(t, err)
	b.srv = srv
	b.cmd = exec.Command(c.Path) // no -j: the pool decides
	b.cmd.Dir = b.dir
	b.cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "MAKEFLAGS=") || strings.HasPrefix(kv, "MAKELEVEL=") || strings.HasPrefix(kv, "MFLAGS=")
	})
	b.cmd.Stdout, b.cmd.Stderr = &b.out, &b.out
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	b.cmd.WaitDelay = 5 * time.Second
	must(t, srv.Attach(b.cmd))
	must(t, b.cmd.Start())
	go func() { b.exit <- b.cmd.Wait() }()
	t.Cleanup(b.cleanup)
	return b
}

// cleanup kills a build a failed test left running, and any of its jobs
// still alive (ninja's jobs have process groups of their own and outlive
// a killed ninja), and closes the pool.
func (b *build) cleanup() {
	if !b.done {
		_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
		b.err = <-b.exit
		b.done = true
	}
	for _, pid := range b.unfinished() {
		// Only a job of this build: its pid may have been reused.
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err == nil && bytes.Contains(cmdline, []byte("job.sh")) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	_ = b.srv.Close()
}

// unfinished returns the process ids of the jobs that logged their start
// and not their end.
func (b *build) unfinished() []int {
	data, err := os.ReadFile(filepath.Join(b.dir, "log"))
	if err != nil {
		return nil
	}
	pids := map[string]int{}
	for _, line := range strings.Split(string(data), "\n") {
		var name string
		var pid int
		if _, err := fmt.Sscanf(line, "start %s %d", &name, &pid); err == nil {
			pids[name] = pid
		} else if n, ok := strings.CutPrefix(line, "end "); ok {
			delete(pids, n)
		}
	}
	var out []int
	for _, pid := range pids {
		out = append(out, pid)
	}
	return out
}

// running returns the jobs that are running: started and not yet told to
// end.
func (b *build) running() []string {
	ents, err := os.ReadDir(filepath.Join(b.dir, "run"))
	if err != nil {
		b.t.Fatal(err)
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	return names
}

// release tells job name to end with word; it reports false if the job
// is not waiting (not yet, or no longer).
func (b *build) release(name, word string) bool {
	fd, err := unix.Open(filepath.Join(b.dir, "run", name), unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil { // ENXIO: no reader yet; ENOENT: gone
		return false
	}
	defer unix.Close(fd)
	_, err = unix.Write(fd, []byte(word+"\n"))
	return err == nil
}

// releaseOne tells one running job to end with word and returns its name.
func (b *build) releaseOne(word string) string {
	var name string
	b.waitFor("a job to release", func() bool {
		for _, n := range b.running() {
			if b.release(n, word) {
				name = n
				return true
			}
		}
		return false
	})
	return name
}

// waitFor polls cond until it holds; the test fails if it does not within
// patience, or if the build was running and exits first.
func (b *build) waitFor(what string, cond func() bool) {
	b.t.Helper()
	deadline := time.Now().Add(patience)
	running := !b.exited()
	for !cond() {
		if running && b.exited() {
			b.t.Fatalf("the build exited (%v) while waiting for %s\n%s", b.err, what, b.report())
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("no %s after %v\n%s", what, patience, b.report())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (b *build) exited() bool {
	if !b.done {
		select {
		case b.err = <-b.exit:
			b.done = true
		default:
		}
	}
	return b.done
}

// waitSteady waits until n jobs run and the pool agrees: its count of jobs
// in flight is the recipes' own count. More than n running fails at once.
func (b *build) waitSteady(n int) {
	b.t.Helper()
	b.waitFor(fmt.Sprintf("%d jobs running, as the pool sees too", n), func() bool {
		run := len(b.running())
		if run > n {
			b.t.Fatalf("%d jobs running, over the %d allowed\n%s", run, n, b.report())
		}
		in, err := b.srv.InFlight()
		must(b.t, err)
		return run == n && in == n
	})
}

// settled reports whether the pool's count of jobs in flight is the
// recipes' own count: no token is between a client and a job.
func (b *build) settled() bool {
	in, err := b.srv.InFlight()
	must(b.t, err)
	return in == len(b.running())
}

// finish ends every job until the build exits and returns Wait's error.
func (b *build) finish() error {
	b.t.Helper()
	deadline := time.Now().Add(patience)
	for !b.exited() {
		if time.Now().After(deadline) {
			b.t.Fatalf("the build did not finish within %v\n%s", patience, b.report())
		}
		for _, n := range b.running() {
			b.release(n, "ok")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return b.err
}

// signal sends sig to the build's process group and waits for it to exit.
func (b *build) signal(sig syscall.Signal) error {
	b.t.Helper()
	must(b.t, syscall.Kill(-b.cmd.Process.Pid, sig))
	select {
	case b.err = <-b.exit:
		b.done = true
	case <-time.After(patience):
		b.t.Fatalf("the build did not exit within %v of %v\n%s", patience, sig, b.report())
	}
	return b.err
}

// mark writes a line "mark LABEL" to the jobs' log, so that the log
// splits into phases.
func (b *build) mark(label string) {
	f, err := os.OpenFile(filepath.Join(b.dir, "log"), os.O_APPEND|os.O_WRONLY, 0)
	must(b.t, err)
	_, err = fmt.Fprintf(f, "mark %s\n", label)
	must(b.t, errors.Join(err, f.Close()))
}

// A phase is the part of the jobs' log after a mark, up to the next.
type phase struct {
	label  string
	starts int // jobs that started in it
	ends   int // jobs that ended in it
	most   int // the most jobs between their start and end lines at once
	last   int // the jobs between their start and end lines at its end
}

// phases reads the jobs' log. The first phase, before any mark, is
// labelled "start". A job counts as running from its start line to its
// end line, which lie inside the time it holds its slot: so a phase's
// most is never above the jobs the client really ran at once.
func (b *build) phases() []phase {
	data, err := os.ReadFile(filepath.Join(b.dir, "log"))
	must(b.t, err)
	ps := []phase{{label: "start"}}
	run := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		kind, arg, _ := strings.Cut(sc.Text(), " ")
		if kind == "start" {
			arg, _, _ = strings.Cut(arg, " ") // the job's pid follows
		}
		p := &ps[len(ps)-1]
		switch kind {
		case "mark":
			ps = append(ps, phase{label: arg, most: run, last: run})
			continue
		case "start":
			run++
			p.starts++
		case "end":
			run--
			p.ends++
		default:
			b.t.Fatalf("bad log line %q", sc.Text())
		}
		p.most, p.last = max(p.most, run), run
	}
	return ps
}

// report describes the build for a failure message.
func (b *build) report() string {
	in, err := b.srv.InFlight()
	return fmt.Sprintf("running %v; pool: jobs %d, tokens %d, owed %d, in flight %d (%v)\nphases %+v\noutput:\n%s",
		b.running(), b.srv.Jobs(), b.srv.Tokens(), b.srv.Owed(), in, err, b.phases(), b.out.String())
}

// drain drains the pool with a bound and closes it, checking that the
// fifo is gone.
func (b *build) drain(bound time.Duration) (time.Duration, error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	start := time.Now()
	err := b.srv.Drain(ctx)
	took := time.Since(start)
	fifo := b.srv.Path()
	must(b.t, b.srv.Close())
	if fifo != "" {
		if _, err := os.Stat(filepath.Dir(fifo)); !errors.Is(err, os.ErrNotExist) {
			b.t.Errorf("the fifo's directory is still there after Close: %v", err)
		}
	}
	return took, err
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
