package probe

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/jtune/jtune/tuner"
)

// launched is one build process that Runner.Build or Live started: its
// leader, its output and every process it starts.
type launched struct {
	cmd     *exec.Cmd
	out     *streams
	track   *tracker
	process BuildProcess
	exited  chan struct{} // closed once the leader has exited and been waited for
}

// launchSpec is what launch starts.
type launchSpec struct {
	argv, env      []string
	stdout, stderr io.Writer
	// attach, when not nil, gets the command before it starts (a
	// jobserver's Attach).
	attach func(*exec.Cmd) error
	// isBuild: the process is the build, not the prepare step, and
	// Runner.OnStart hears of it.
	isBuild bool
}

// launch starts s.argv in a process group of its own with stdin from
// /dev/null (see groupCommand), its output copied to s.stdout and s.stderr
// through pipes jtune reads (see streams) and a marker of its own in its
// environment (see tracker). Once it runs, r.OnStart is called for a
// build, and a close of r.Kill kills it and all its processes at once.
func (r *Runner) launch(ctx context.Context, s launchSpec) (*launched, error) {
	out, err := newStreams(s.stdout, s.stderr)
	if err != nil {
		return nil, err
	}
	l := &launched{out: out, track: newTracker(), exited: make(chan struct{})}
	l.cmd = r.groupCommand(ctx, s.argv, l.track.env(s.env))
	l.cmd.Stdout, l.cmd.Stderr = out.write[0], out.write[1]
	if s.attach != nil {
		if err := s.attach(l.cmd); err != nil {
			out.finish(0)
			return nil, err
		}
	}
	if err := l.cmd.Start(); err != nil {
		out.finish(0)
		return nil, fmt.Errorf("starting %s: %w", s.argv[0], err)
	}
	out.started()
	l.process = l.track.started(l.cmd.Process.Pid)
	if s.isBuild && r.OnStart != nil {
		r.OnStart(l.process)
	}
	go func() {
		select {
		case <-r.Kill:
			l.track.killNow()
		case <-l.exited:
		}
	}()
	return l, nil
}

// wait waits for the leader to exit, and only for it: not for its output
// to end.
func (l *launched) wait() (*os.ProcessState, error) {
	err := l.cmd.Wait()
	close(l.exited)
	return l.cmd.ProcessState, err
}

// outputWait bounds the wait for the build's output to end once every
// process of the build found is gone.
const outputWait = time.Second

// finish stops every process the build left behind (see tracker.stop),
// reaps them, and waits for the end of the build's output. It returns a
// warning for what it had to stop, and one if the output stayed open.
// Call it once the leader has exited, after the sampler has stopped.
func (r *Runner) finish(l *launched) []tuner.Warning {
	var ws []tuner.Warning
	if names := l.track.stop(r.killGrace(), r.Kill); len(names) > 0 {
		ws = append(ws, tuner.Warning{Kind: WarnLeftRunning, Subject: strings.Join(names, ", "),
			Message: fmt.Sprintf("the build left %d processes running after it ended, which jtune stopped: %s",
				len(names), strings.Join(names, ", "))})
	}
	if !l.out.finish(outputWait) {
		ws = append(ws, tuner.Warning{Kind: WarnOutputHeld,
			Message: "a process jtune could not find kept the build's output open after the build ended; jtune stopped reading it"})
	}
	return ws
}
