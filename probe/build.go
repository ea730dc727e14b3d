package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/jtune/jtune/probe/distcc"
	"github.com/jtune/jtune/tuner"
)

// Runner runs real builds of a command at a given -j, in a process group
// of their own, and measures them. Its zero value needs only Command.
//
// Every process of a build it starts has JTUNE_BUILD=<an id of the build's
// own> in its environment, which finds those that leave the group (see
// BuildProcess.Marker).
type Runner struct {
	// Command is the build's argv. "{N}" and "{M}" in any argument become
	// the job and load values; see CommandLine.
	Command []string
	// Dir is the working directory. Empty means the current one.
	Dir string
	// Prepare is run with sh -c before every build and is not timed, for
	// example "make clean". Empty means none.
	Prepare string
	// Timeout stops a build that runs longer. Zero means no limit.
	Timeout time.Duration
	// SampleInterval is how often the machine is sampled. Zero means 1 s.
	SampleInterval time.Duration
	// KillGrace is how long a stopped build gets between SIGTERM and
	// SIGKILL. Zero means 2 s.
	KillGrace time.Duration
	// DistccHosts, when not empty, is exported as DISTCC_HOSTS.
	DistccHosts string
	// Env is the environment the build starts from. Nil means os.Environ().
	Env []string
	// Sampler reads the machine. Nil means SystemSampler{}.
	Sampler Sampler
	// TailBytes bounds the stdout and stderr kept for error messages.
	// Zero means 8 KiB each.
	TailBytes int
	// CoolDown is called with each temperature read while Build waits,
	// before the build, for the machine to cool to Thermal's resume
	// temperature. Nil means no report.
	CoolDown func(tempC float64)
	// Thermal pauses or stops a build that gets too hot. The zero value
	// never touches the build.
	Thermal ThermalPolicy
	// OnStatus is called from the sampling goroutine after every sample
	// of a running build, for a live display; it must return quickly.
	// Nil means no call.
	OnStatus func(BuildStatus)
	// Clock is the time the Runner measures and samples by. Nil means
	// SystemClock{}. Timeout and KillGrace always count real time: they
	// bound real processes.
	Clock Clock
	// Kill, when closed, kills the running build at once: SIGKILL to its
	// process group and to every process of it that left the group, with
	// no grace; the build then ends as interrupted if ctx is done. It is
	// the second Ctrl-C. Nil means never.
	Kill <-chan struct{}
	// OnStart is called with the build's process as soon as it has
	// started, before Build or StartLive waits for anything, so that the
	// caller can record it and a later jtune can stop it with StopStale
	// should this one die. It is not called for the prepare step. Nil
	// means no call.
	OnStart func(BuildProcess)
}

var _ tuner.Builder = (*Runner)(nil)

// PrepareError reports a failed --prepare command; jtune stops on it.
type PrepareError struct {
	Command string
	Err     error
	Stderr  string
}

func (e *PrepareError) Error() string {
	msg := fmt.Sprintf("prepare command %q failed: %v", e.Command, e.Err)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += "\n" + s
	}
	return msg
}

func (e *PrepareError) Unwrap() error { return e.Err }

// Build runs the prepare step and then one timed build. It stops the
// build's process group after Timeout (the build is marked TimedOut) or
// after req.AbortAfter (marked Aborted), whichever comes first.
//
// Timeout counts wall time, thermal pauses included: it is the user's
// bound on how long one build may hold the session, and a machine that
// never cools must not hold it forever. AbortAfter counts only the time
// the build ran, because it compares the build's speed with the best one
// and a pause says nothing about speed.
//
// The build's wall time ends when its leader exits, not when the last of
// its processes closes its output. Whatever the build left running
// afterwards (a daemon, a "timeout … &", a job in a process group of its
// own) is stopped and reaped, and named in a WarnLeftRunning warning; see
// BecomeSubreaper. Whether the build was interrupted, timed out or
// aborted is decided when its leader exits, so a Ctrl-C while jtune
// cleans up does not spoil a finished build.
func (r *Runner) Build(ctx context.Context, req tuner.BuildRequest) (tuner.Measurement, error) {
	var m tuner.Measurement
	if len(r.Command) == 0 {
		return m, errors.New("probe: no command to build")
	}
	env := r.Env
	if env == nil {
		env = os.Environ()
	}
	env = BuildEnv(env, req.Jobs, req.Load, r.DistccHosts)
	if err := r.getReady(ctx, env); err != nil {
		if ctx.Err() != nil {
			m.Interrupted = true
			return m, nil
		}
		return m, err
	}
	dc, err := startDistcc(env)
	if err != nil {
		return m, err
	}
	defer dc.cleanup()

	buildCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if r.Timeout > 0 {
		var stop context.CancelFunc
		buildCtx, stop = context.WithTimeoutCause(buildCtx, r.Timeout, errTimedOut)
		defer stop()
	}
	clock := r.clock()
	start := clock.Now()
	elapsed := func() time.Duration { return clock.Now().Sub(start) }
	out := newOutput(r.TailBytes, elapsed)
	argv := CommandLine(r.Command, req.Jobs, req.Load)
	stdout, stderr := out.writers()
	dc.watch()
	l, err := r.launch(buildCtx, launchSpec{argv: argv, env: dc.env, stdout: stdout, stderr: stderr, isBuild: true})
	if err != nil {
		dc.stopWatch()
		return m, err
	}
	// Besides AbortAfter, a build is stopped early in a distcc failure
	// cascade, when the master starts to swap, or when its compile lines
	// fall clearly behind the best build's; bound is then what it would
	// have taken at least.
	var bound float64
	why := tuner.StopSlow
	samples := r.sampleUntilDone(buildCtx, sampling{
		pgid: l.process.Pgid, abortAfter: req.AbortAfter, abort: func() { cancel(errAborted) },
		stopEarly: stopEarly(req, out, &bound, &why), onSample: r.progress(req.Jobs, out, elapsed),
		track: l.track.scan,
	})
	ps, waitErr := l.wait()
	m.WallSeconds = elapsed().Seconds()
	interrupted, cause := ctx.Err() != nil, context.Cause(buildCtx)
	// The sampler stops first so that it cannot signal the group after
	// the stop below; it also continues any stragglers it had paused.
	st := samples()
	// Stragglers would keep compiling into the next build: none is left
	// after this.
	m.Warnings = append(m.Warnings, r.finish(l)...)

	record(&m, out, dc, ps)
	switch {
	case interrupted:
		m.Interrupted = true
	case errors.Is(cause, errAborted):
		m.Aborted, m.BoundSeconds, m.StoppedFor = true, bound, why
	case errors.Is(cause, errTimedOut):
		m.TimedOut = true
	case waitErr != nil && m.ExitCode == 0 && !errors.Is(waitErr, exec.ErrWaitDelay):
		return m, fmt.Errorf("waiting for %s: %w", argv[0], waitErr)
	}
	if !m.Interrupted && !m.Aborted && !m.TimedOut {
		m.Progress = tuner.NewProgress(out.lineTimes())
	}
	fillStats(&m, st)
	return m, nil
}

var (
	errTimedOut = errors.New("the build ran past --timeout")
	errAborted  = errors.New("the build is already clearly slower than the best")
)

// getReady waits for the machine to cool, when the thermal guard is on, and
// runs the prepare step: a build that starts hot is paused at once and
// measures nothing.
func (r *Runner) getReady(ctx context.Context, env []string) error {
	if r.Thermal.Enabled() {
		if err := waitCool(ctx, r.clock(), r.sampler(), r.Thermal.Resume(), r.interval(), r.CoolDown); err != nil {
			return fmt.Errorf("waiting to cool down: %w", err)
		}
	}
	if r.Prepare != "" {
		return r.prepare(ctx, env)
	}
	return nil
}

func (r *Runner) prepare(ctx context.Context, env []string) error {
	stderr := distcc.NewScanner(r.TailBytes)
	l, err := r.launch(ctx, launchSpec{argv: []string{"sh", "-c", r.Prepare}, env: env, stdout: io.Discard, stderr: stderr})
	if err != nil {
		return &PrepareError{Command: r.Prepare, Err: err}
	}
	_, err = l.wait()
	r.finish(l) // what the prepare step leaves running is stopped too, without a word: it is no build's
	if err != nil {
		stderr.Flush()
		return &PrepareError{Command: r.Prepare, Err: err, Stderr: stderr.Tail()}
	}
	return nil
}

// stopEarly is the test the sampling loop makes after every sample: a
// failure cascade, a swapping master or compile lines clearly behind the
// best build's stop the build. It leaves in bound what the build would
// have taken at least, and in why the reason.
func stopEarly(req tuner.BuildRequest, out *output, bound *float64, why *tuner.StopReason) func(running time.Duration, swapGrowth uint64) bool {
	return func(running time.Duration, swapGrowth uint64) bool {
		if req.StopAtFailures > 0 && out.stderr.Counts().Failures >= req.StopAtFailures {
			*why = tuner.StopFailures
			return true
		}
		if req.StopAtSwapGrowth > 0 && swapGrowth >= req.StopAtSwapGrowth {
			*why = tuner.StopSwap
			return true
		}
		b, ok := req.Reference.Behind(running.Seconds(), out.compileLines())
		*bound = b
		if ok {
			*why = tuner.StopBehind
		}
		return ok
	}
}

// progress reports each sample to r.OnStatus, or is nil without one.
func (r *Runner) progress(jobs int, out *output, elapsed func() time.Duration) func(Sample, bool) {
	if r.OnStatus == nil {
		return nil
	}
	return func(s Sample, paused bool) {
		r.OnStatus(BuildStatus{Jobs: jobs, Elapsed: elapsed(), CompileLines: out.compileLines(),
			DistccFailures: out.stderr.Counts().Failures, Load1: s.Load1, TempC: s.TempC, HasTemp: s.HasTemp, Paused: paused})
	}
}

// record fills m with what the build's output, distcc's files and the
// process state say about the build that just ended.
func record(m *tuner.Measurement, out *output, dc *distccRun, ps *os.ProcessState) {
	out.flush()
	m.CompileLines = out.compileLines()
	m.StderrTail = out.tail()
	hostJobs, counts, logErr := dc.finish(out.stderr.Counts())
	m.DistccHostJobs = hostJobs
	if logErr != nil {
		m.Warnings = append(m.Warnings, tuner.Warning{Kind: WarnDistccLogUnreadable, Subject: dc.log,
			Message: fmt.Sprintf("DISTCC_LOG=%s cannot be read (%v): distcc failures cannot be seen", dc.log, logErr)})
	}
	m.DistccFailures, m.DistccErrors = counts.Failures, counts.Errors
	m.DistccErrorHosts, m.DistccFailureHosts, m.DistccConfig = counts.ErrorsByHost, counts.FailuresByHost, counts.Config
	for _, kind := range slices.Sorted(maps.Keys(counts.Config)) {
		m.Warnings = append(m.Warnings, tuner.Warning{Kind: WarnDistccSetup, Subject: kind,
			Message: "distcc's setup: " + distcc.ConfigAdvice(kind)})
	}
	if ps != nil {
		m.UserSeconds = ps.UserTime().Seconds()
		m.SysSeconds = ps.SystemTime().Seconds()
		m.ExitCode = exitCode(ps)
	}
}

func (r *Runner) sampler() Sampler {
	if r.Sampler != nil {
		return r.Sampler
	}
	return SystemSampler{}
}

func (r *Runner) clock() Clock {
	if r.Clock != nil {
		return r.Clock
	}
	return SystemClock{}
}

func (r *Runner) interval() time.Duration {
	if r.SampleInterval > 0 {
		return r.SampleInterval
	}
	return time.Second
}

func (r *Runner) killGrace() time.Duration {
	if r.KillGrace > 0 {
		return r.KillGrace
	}
	return 2 * time.Second
}
