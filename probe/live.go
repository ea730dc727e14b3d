package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jtune/jtune/probe/distcc"
	"github.com/jtune/jtune/probe/jobserver"
	"github.com/jtune/jtune/tuner"
)

// Live is one real build under jtune's jobserver, whose number of jobs
// can change while it runs: tuner.RunOnline steers it. Runner.StartLive
// starts it.
//
// The build's command has no -j: jtune's jobserver.Server, in the form
// the client supports (see CheckOnline), holds N−1 tokens and the client
// runs one job per token plus one. The build's output reaches the
// writers given to StartLive as it comes, and is scanned on the way for
// compile lines and distcc's messages.
//
// # Throughput
//
// Counters.Completed counts the compile jobs that have finished. It is
// the larger of two lower bounds:
//
//   - compile lines started less jobs in flight. make echoes a command
//     as it starts the job and ninja prints an edge as it starts it, so
//     the compile lines seen (IsCompileLine) count the compiles started;
//     the jobs in flight are the pool's count of tokens taken plus the
//     client's own slot (jobserver.Server.InFlight). Every job in flight
//     that is no compile (a link, a recursive make, a code generator)
//     makes it lower, and it never goes back.
//     ninja is the exception: on a pipe it prints an edge's line when the
//     edge ends, so its compile lines count finished compiles as they
//     are, with nothing to take off.
//   - with distcc, the compiles distcc's clients ran and finished, from
//     their state files in the build's DISTCC_DIR (exact for those seen;
//     only distcc's compiles, not a HOSTCC's).
//
// In the compile phase, with every slot busy on compiles, the first is
// exact up to the compiles whose line is still in the pipe, and a
// window's difference of Completed is the compiles that ran in it; the
// second covers builds that print no compile lines (make -s, quiet
// recipes).
//
// Counters.Saturated is true when no token lies free in the pool at the
// reading (FIONREAD) and a compile line has been seen: make had work for
// every slot.
type Live struct {
	r       *Runner
	plan    OnlinePlan
	srv     *jobserver.Server
	proc    *launched
	out     *output
	dc      *distccRun
	clock   Clock
	start   time.Time
	cancel  context.CancelCauseFunc
	samples func() stats

	mu        sync.Mutex
	last      Sample // the last good sample
	sampled   bool
	firstSwap uint64
	maxSwap   uint64
	completed int // Completed's last value: it never goes back
	// wall is the build's time once its leader has exited (ended set):
	// the counters' Seconds stop there.
	wall  time.Duration
	ended bool

	done chan struct{} // closed once the build has ended and everything is released
	res  LiveResult
	err  error
}

var _ tuner.LiveBuild = (*Live)(nil)

// LiveRequest says how to start a Live build.
type LiveRequest struct {
	// Jobs is the number of jobs the build starts with.
	Jobs int
	// Load replaces {M} in the command and, for make or ninja run
	// directly, is given as -l. Zero means no -l.
	Load int
	// Stdout and Stderr get the build's output as it comes. Nil discards
	// it. A writer that fails is dropped; the build goes on.
	Stdout, Stderr io.Writer
	// Plan is CheckOnline's answer for the Runner's command. Nil means
	// StartLive asks CheckOnline itself.
	Plan *OnlinePlan
}

// LiveResult is what a Live build was, once it has ended.
type LiveResult struct {
	// Measurement is the build as Runner.Build measures one: its wall
	// time (until its leader exited), exit code, CPU time, distcc's
	// counts, the machine's samples, the thermal pauses and the warnings,
	// among them WarnLeftRunning and WarnTokensLost.
	Measurement tuner.Measurement
	// Final is the build's last counters, Done set.
	Final tuner.Counters
	// LostTokens is the jobserver tokens that did not come back at the
	// end (negative: more came back than were handed out); see
	// WarnTokensLost.
	LostTokens int
}

// ErrStopped is the cause of a Live build's context once Stop was called.
var ErrStopped = errors.New("probe: the build was stopped")

// StartLive starts the Runner's command as one build under a jobserver of
// its own with req.Jobs jobs, and returns at once. The Runner's Prepare
// must be empty: an online session measures the build the user wanted,
// nothing else. Like Build, StartLive waits first for the machine to cool
// when the thermal guard is on, and the build runs in a process group of
// its own with stdin from /dev/null, a DISTCC_DIR of its own and
// DISTCC_HOSTS set; MAKEOPTS loses its -j, and the command must
// not have one (see CheckOnline).
//
// Cancelling ctx stops the build (SIGTERM to its group, SIGKILL after
// KillGrace), as Stop does; a close of Runner.Kill kills it at once. The
// caller must call Wait, which releases everything.
func (r *Runner) StartLive(ctx context.Context, req LiveRequest) (*Live, error) {
	if len(r.Command) == 0 {
		return nil, errors.New("probe: no command to build")
	}
	if r.Prepare != "" {
		return nil, errors.New("probe: a live build has no prepare step: it is the user's own build")
	}
	base := r.Env
	if base == nil {
		base = os.Environ()
	}
	plan, err := r.livePlan(req, base)
	if err != nil {
		return nil, err
	}
	env := LiveEnv(base, r.DistccHosts)
	if err := r.getReady(ctx, env); err != nil {
		return nil, err
	}
	srv, err := jobserver.New(plan.Form, req.Jobs)
	if err != nil {
		return nil, fmt.Errorf("probe: the build's jobserver: %w", err)
	}
	dc, err := startDistcc(env)
	if err != nil {
		return nil, errors.Join(err, srv.Close())
	}
	l := &Live{r: r, plan: plan, srv: srv, dc: dc, clock: r.clock(), done: make(chan struct{})}
	if err := l.launch(ctx, req); err != nil {
		dc.cleanup()
		return nil, errors.Join(err, srv.Close())
	}
	return l, nil
}

func (r *Runner) livePlan(req LiveRequest, env []string) (OnlinePlan, error) {
	if req.Plan != nil {
		return *req.Plan, nil
	}
	return CheckOnline(r.Command, env)
}

// launch starts the build's process, its sampling and the goroutine that
// ends it.
func (l *Live) launch(ctx context.Context, req LiveRequest) error {
	r := l.r
	buildCtx, cancel := context.WithCancelCause(ctx)
	stopTimer := context.CancelFunc(func() {})
	if r.Timeout > 0 {
		buildCtx, stopTimer = context.WithTimeoutCause(buildCtx, r.Timeout, errTimedOut)
	}
	l.cancel = cancel
	l.start = l.clock.Now()
	l.out = newOutput(r.TailBytes, l.elapsed)
	scanOut, scanErr := l.out.writers()
	argv := LiveCommandLine(r.Command, req.Load)
	l.dc.watch()
	p, err := r.launch(buildCtx, launchSpec{argv: argv, env: l.dc.env,
		stdout: &passThrough{user: orDiscard(req.Stdout), scan: scanOut},
		stderr: &passThrough{user: orDiscard(req.Stderr), scan: scanErr},
		attach: l.srv.Attach, isBuild: true})
	if err != nil {
		stopTimer()
		cancel(nil)
		l.dc.stopWatch()
		return err
	}
	l.proc = p
	l.samples = r.sampleUntilDone(buildCtx, sampling{pgid: p.process.Pgid, onSample: l.onSample, track: p.track.scan})
	go l.run(ctx, buildCtx, stopTimer)
	return nil
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

func (l *Live) elapsed() time.Duration { return l.clock.Now().Sub(l.start) }

// onSample keeps the machine's state for the counters and reports it to
// Runner.OnStatus.
func (l *Live) onSample(s Sample, paused bool) {
	l.mu.Lock()
	if !l.sampled {
		l.firstSwap = s.SwapUsed
	}
	l.last, l.sampled = s, true
	l.maxSwap = max(l.maxSwap, s.SwapUsed)
	l.mu.Unlock()
	if l.r.OnStatus != nil {
		l.r.OnStatus(BuildStatus{Jobs: l.srv.Jobs(), Elapsed: l.elapsed(), CompileLines: l.out.compileLines(),
			DistccFailures: l.out.stderr.Counts().Failures, Load1: s.Load1, TempC: s.TempC, HasTemp: s.HasTemp, Paused: paused})
	}
}

// Plan returns how the build runs under the jobserver.
func (l *Live) Plan() OnlinePlan { return l.plan }

// Process returns the build's process, as Runner.OnStart got it.
func (l *Live) Process() BuildProcess { return l.proc.process }

// Jobs is the number of jobs the build runs at: the last SetJobs.
func (l *Live) Jobs() int { return l.srv.Jobs() }

// SetJobs sets the number of jobs, n in [1, jobserver.MaxJobs]: at once
// when raising, as running jobs end when lowering. Once the build has
// ended it does nothing.
func (l *Live) SetJobs(n int) error {
	err := l.srv.SetJobs(n)
	if errors.Is(err, jobserver.ErrClosed) {
		return nil
	}
	return err
}

// Advance lets the build run for d on the Runner's Clock and returns its
// counters; it returns early, with Done set, once the build has ended and
// everything is released. When ctx is done first it returns the counters
// and ctx's error; the build runs on.
func (l *Live) Advance(ctx context.Context, d time.Duration) (tuner.Counters, error) {
	t := l.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
	case <-l.done:
	case <-ctx.Done():
		return l.counters(), ctx.Err()
	}
	c := l.counters()
	if c.Done {
		return c, l.err
	}
	return c, nil
}

// counters reads the build's counters now. Between the leader's exit and
// the end of everything, they stay as they were at the exit, with
// nothing in flight: the pool is being drained and distcc's directory
// removed, and the final counters come with Done.
func (l *Live) counters() tuner.Counters {
	select {
	case <-l.done:
		return l.res.Final
	default:
	}
	l.mu.Lock()
	ended := l.ended
	l.mu.Unlock()
	var c tuner.Counters
	var started, finished int
	if !ended {
		lines := l.out.compileLines()
		inFlight, err := l.srv.InFlight()
		if err == nil {
			free := l.srv.Tokens() - (inFlight - 1)
			c.InFlight, c.Saturated = inFlight, free <= 0 && lines > 0
		}
		started = lines - c.InFlight
		if l.plan.Client.Program == "ninja" {
			started = lines
		}
		finished = l.dc.states.Finished()
	}
	c.Failures = l.out.stderr.Counts().Failures
	l.mu.Lock()
	defer l.mu.Unlock()
	l.completed = max(l.completed, started, finished)
	c.Completed = l.completed
	c.Seconds = l.elapsed().Seconds()
	if l.ended {
		c.Seconds, c.InFlight, c.Saturated = l.wall.Seconds(), 0, false
	}
	l.machine(&c)
	return c
}

// machine fills in the machine's state from the last sample; the caller
// holds mu.
func (l *Live) machine(c *tuner.Counters) {
	if !l.sampled {
		return
	}
	c.Load, c.TempC, c.HasTemp = l.last.Load1, l.last.TempC, l.last.HasTemp
	c.SwapGrowthBytes = l.maxSwap - min(l.firstSwap, l.maxSwap)
	c.MemoryAvailableBytes = l.last.AvailableMemory
}

// ForgetFailures makes the build's distcc clients try every host again
// at once, forgetting the hosts that failed (distcc's backoff): after an
// overload, at a lower N, the build need not wait out the backoff.
func (l *Live) ForgetFailures() error { return distcc.ForgetFailures(l.dc.dir) }

// Stop stops the build: SIGTERM to its process group (and SIGCONT), then
// SIGKILL after the Runner's KillGrace. It returns at once; Wait waits for
// the end. The build ends as interrupted.
func (l *Live) Stop() { l.cancel(ErrStopped) }

// Wait waits until the build has ended and everything is released, and
// returns what the build was. The error is for jtune's own failures (the
// jobserver's), not the build's: its exit code is in the result. It may
// be called more than once.
func (l *Live) Wait() (LiveResult, error) {
	<-l.done
	return l.res, l.err
}

// LiveEnv returns the environment of a live build: base with DISTCC_HOSTS
// set when distccHosts is not empty, and MAKEOPTS without its -j (Portage
// gives MAKEOPTS to make, and a -j there would make make leave the
// jobserver).
func LiveEnv(base []string, distccHosts string) []string {
	out := make([]string, 0, len(base)+1)
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case k == "DISTCC_HOSTS" && distccHosts != "":
			continue
		case k == "MAKEOPTS":
			kv = k + "=" + jobserver.StripJobFlags(v)
		}
		out = append(out, kv)
	}
	if distccHosts != "" {
		out = append(out, "DISTCC_HOSTS="+distccHosts)
	}
	return out
}

// LiveCommandLine returns the argv of a live build: {M} becomes load, and
// without placeholders make and ninja (as CommandLine finds them) get -l
// when load is positive. Nothing gets -j.
func LiveCommandLine(args []string, load int) []string {
	out := make([]string, len(args))
	placeholder := false
	for i, a := range args {
		placeholder = placeholder || strings.Contains(a, "{M}")
		out[i] = strings.ReplaceAll(a, "{M}", strconv.Itoa(load))
	}
	if placeholder || load <= 0 || len(args) == 0 {
		return out
	}
	prog := filepath.Base(args[0])
	if (prog == "pump" || prog == "distcc-pump") && len(args) > 1 {
		prog = filepath.Base(args[1])
	}
	switch programKind(prog) {
	case "make":
		out = append(out, "-l"+strconv.Itoa(load))
	case "ninja":
		out = append(out, "-l", strconv.Itoa(load))
	}
	return out
}

// drainWait bounds the wait for the jobserver's tokens once the build has
// ended: every process of the build is gone by then, so no more will come.
const drainWait = 500 * time.Millisecond

// run waits for the build's leader, then ends everything in order: the
// sampling, what the build left running, its output, the jobserver's
// account and distcc's watch. The build's time and how it ended are
// taken when the leader exits.
func (l *Live) run(ctx, buildCtx context.Context, stopTimer context.CancelFunc) {
	defer close(l.done)
	defer stopTimer()
	ps, waitErr := l.proc.wait()
	wall := l.elapsed()
	l.mu.Lock()
	l.wall, l.ended = wall, true
	l.mu.Unlock()
	cause := context.Cause(buildCtx)
	interrupted := ctx.Err() != nil || errors.Is(cause, ErrStopped)
	st := l.samples()
	var m tuner.Measurement
	m.Warnings = l.r.finish(l.proc)
	lost, ws, err := l.drain()
	m.Warnings = append(m.Warnings, ws...)
	record(&m, l.out, l.dc, ps)
	finished := l.dc.states.Finished()
	l.dc.cleanup()
	fillStats(&m, st)
	m.WallSeconds = wall.Seconds()
	switch {
	case interrupted:
		m.Interrupted = true
	case errors.Is(cause, errTimedOut):
		m.TimedOut = true
	case waitErr != nil && m.ExitCode == 0 && !errors.Is(waitErr, exec.ErrWaitDelay):
		err = errors.Join(err, fmt.Errorf("waiting for %s: %w", l.r.Command[0], waitErr))
	}
	if !m.Interrupted && !m.TimedOut {
		m.Progress = tuner.NewProgress(l.out.lineTimes())
	}
	l.cancel(nil)

	l.mu.Lock()
	defer l.mu.Unlock()
	l.completed = max(l.completed, m.CompileLines, finished)
	final := tuner.Counters{Seconds: m.WallSeconds, Completed: l.completed, Failures: m.DistccFailures,
		Done: true, ExitCode: m.ExitCode}
	l.machine(&final)
	l.res = LiveResult{Measurement: m, Final: final, LostTokens: lost}
	l.err = err
}

// drain takes every token back and closes the pool. Tokens that did not
// come back, or came back beyond those handed out, are a warning, not an
// error: the pool dies with the build.
func (l *Live) drain() (lost int, ws []tuner.Warning, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), drainWait)
	derr := l.srv.Drain(ctx)
	cancel()
	var ae *jobserver.AccountError
	switch {
	case errors.As(derr, &ae):
		lost = ae.Out - ae.Back
		msg := fmt.Sprintf("%d of the %d jobserver tokens handed out did not come back after the build ended (a client that is killed loses the tokens it holds, and GNU make 4.4 and later drop theirs when interrupted); the pool closed with the build, nothing else is affected", ae.Missing(), ae.Out)
		if lost < 0 {
			msg = fmt.Sprintf("%d more jobserver tokens came back than the %d handed out: a process of the build wrote to the pool what it never took", ae.Extra(), ae.Out)
		}
		ws = append(ws, tuner.Warning{Kind: WarnTokensLost, Subject: l.plan.Client.Program, Message: msg})
	case derr != nil:
		err = fmt.Errorf("probe: the build's jobserver: %w", derr)
	}
	if cerr := l.srv.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("probe: the build's jobserver: %w", cerr))
	}
	return lost, ws, err
}
