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
	"syscall"
	"time"

	"github.com/jtune/jtune/probe/distcc"
	"github.com/jtune/jtune/tuner"
)

// Runner runs real builds of a command at a given -j, in a process group
// of their own, and measures them. Its zero value needs only Command.
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
	// Progress is called from the sampling goroutine after every sample
	// of a running build, for a live display; it must return quickly.
	// Nil means no call.
	Progress func(BuildStatus)
}

var _ tuner.Builder = (*Runner)(nil)

// CommandLine returns the argv for one build. Placeholders {N} and {M}
// are replaced; if there are none and the program is make, gmake or
// ninja, the -j and -l options are appended. A load of zero means no -l.
func CommandLine(args []string, jobs, load int) []string {
	out := make([]string, len(args))
	placeholder := false
	r := strings.NewReplacer("{N}", strconv.Itoa(jobs), "{M}", strconv.Itoa(load))
	for i, a := range args {
		placeholder = placeholder || strings.Contains(a, "{N}") || strings.Contains(a, "{M}")
		out[i] = r.Replace(a)
	}
	if placeholder || len(args) == 0 {
		return out
	}
	prog := filepath.Base(args[0])
	// "pump make" runs make under distcc's pump wrapper, which passes
	// its arguments through: make is still the program that takes -j.
	if (prog == "pump" || prog == "distcc-pump") && len(args) > 1 {
		prog = filepath.Base(args[1])
	}
	switch prog {
	case "make", "gmake":
		out = append(out, "-j"+strconv.Itoa(jobs))
		if load > 0 {
			out = append(out, "-l"+strconv.Itoa(load))
		}
	case "ninja":
		out = append(out, "-j", strconv.Itoa(jobs))
		if load > 0 {
			out = append(out, "-l", strconv.Itoa(load))
		}
	}
	return out
}

// BuildEnv returns base with the variables that carry N to the build set,
// replacing any earlier values, so emerge and scripts see the same N.
func BuildEnv(base []string, jobs, load int, distccHosts string) []string {
	set := map[string]string{
		"MAKEOPTS":   tuner.MakeOpts(jobs, load),
		"JTUNE_JOBS": strconv.Itoa(jobs),
		"JTUNE_LOAD": strconv.Itoa(load),
	}
	if distccHosts != "" {
		set["DISTCC_HOSTS"] = distccHosts
	}
	out := make([]string, 0, len(base)+len(set))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if _, replaced := set[k]; !replaced {
			out = append(out, kv)
		}
	}
	for _, k := range []string{"MAKEOPTS", "JTUNE_JOBS", "JTUNE_LOAD", "DISTCC_HOSTS"} {
		if v, ok := set[k]; ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}

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
func (r *Runner) Build(ctx context.Context, req tuner.BuildRequest) (tuner.Measurement, error) {
	jobs, load := req.Jobs, req.Load
	var m tuner.Measurement
	if len(r.Command) == 0 {
		return m, errors.New("probe: no command to build")
	}
	env := r.Env
	if env == nil {
		env = os.Environ()
	}
	env = BuildEnv(env, jobs, load, r.DistccHosts)
	if r.Thermal.Enabled() {
		// A build that starts hot is paused at once and measures nothing.
		if err := WaitCool(ctx, r.sampler(), r.Thermal.Resume(), r.interval(), r.CoolDown); err != nil {
			if ctx.Err() != nil {
				m.Interrupted = true
				return m, nil
			}
			return m, fmt.Errorf("waiting to cool down: %w", err)
		}
	}
	if r.Prepare != "" {
		if err := r.prepare(ctx, env); err != nil {
			if ctx.Err() != nil {
				m.Interrupted = true
				return m, nil
			}
			return m, err
		}
	}
	// Every build starts from the same distcc state: no backoff carried
	// over from an earlier build, and a state directory whose files say
	// where this build's compiles ran.
	env, distccDirPath, cleanDistccDir, err := distcc.PrepareDir(env)
	if err != nil {
		return m, err
	}
	defer cleanDistccDir()
	distccLog := distcc.LogFile(env)
	logStart := fileSize(distccLog)

	buildCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if r.Timeout > 0 {
		var stop context.CancelFunc
		buildCtx, stop = context.WithTimeoutCause(buildCtx, r.Timeout, errTimedOut)
		defer stop()
	}

	stdout := distcc.NewScanner(r.TailBytes)
	stderr := distcc.NewScanner(r.TailBytes)
	argv := CommandLine(r.Command, jobs, load)
	cmd := r.groupCommand(buildCtx, argv, env)
	// Compile lines are counted apart from distcc's scanners: make echoes
	// commands on stdout, quiet build systems print "CC x.o" on either.
	start := time.Now()
	outCompiles, errCompiles := &compileCounter{start: start}, &compileCounter{start: start}
	cmd.Stdout, cmd.Stderr = io.MultiWriter(stdout, outCompiles), io.MultiWriter(stderr, errCompiles)

	hostJobs := distcc.WatchState(distccDirPath)
	if err := cmd.Start(); err != nil {
		hostJobs.Stop()
		return m, fmt.Errorf("starting %s: %w", argv[0], err)
	}
	var onSample func(Sample, bool)
	if r.Progress != nil {
		onSample = func(s Sample, paused bool) {
			r.Progress(BuildStatus{Jobs: jobs, Elapsed: time.Since(start), CompileLines: outCompiles.count() + errCompiles.count(),
				DistccFailures: stderr.Counts().Failures, Load1: s.Load1, TempC: s.TempC, HasTemp: s.HasTemp, Paused: paused})
		}
	}
	// Besides AbortAfter, a build is stopped early in a distcc failure
	// cascade, when the master starts to swap, or when its compile lines
	// fall clearly behind the best build's; bound is then what it would
	// have taken at least.
	var bound float64
	stopEarly := func(running time.Duration, swapGrowth uint64) bool {
		if req.StopAtFailures > 0 && stderr.Counts().Failures >= req.StopAtFailures {
			return true
		}
		if req.StopAtSwapGrowth > 0 && swapGrowth >= req.StopAtSwapGrowth {
			return true
		}
		b, ok := req.Reference.Behind(running.Seconds(), outCompiles.count()+errCompiles.count())
		bound = b
		return ok
	}
	samples := r.sampleUntilDone(buildCtx, cmd.Process.Pid, req.AbortAfter, stopEarly, func() { cancel(errAborted) }, onSample)
	waitErr := cmd.Wait()
	m.WallSeconds = time.Since(start).Seconds()
	// The sampler stops first so that it cannot signal the group after
	// the kill below; it also continues any stragglers it had paused.
	st := samples()
	// Stragglers that left the build's shell behind would keep compiling
	// into the next build; the group is gone after this.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)

	m.DistccHostJobs = hostJobs.Stop()
	stdout.Flush()
	stderr.Flush()
	outCompiles.flush()
	errCompiles.flush()
	m.CompileLines = outCompiles.count() + errCompiles.count()
	m.StderrTail = stderr.Tail()
	if m.StderrTail == "" {
		m.StderrTail = stdout.Tail()
	}
	counts := stderr.Counts()
	if distccLog != "" {
		logCounts, err := scanFileFrom(distccLog, logStart)
		if err != nil {
			m.Warnings = append(m.Warnings, fmt.Sprintf("DISTCC_LOG=%s cannot be read (%v): distcc failures cannot be seen", distccLog, err))
		}
		counts = counts.Add(logCounts)
	}
	m.DistccFailures, m.DistccErrors = counts.Failures, counts.Errors
	m.DistccErrorHosts, m.DistccConfig = counts.ErrorsByHost, counts.Config
	m.Warnings = append(m.Warnings, distcc.ConfigWarnings(counts.Config)...)

	if ps := cmd.ProcessState; ps != nil {
		m.UserSeconds = ps.UserTime().Seconds()
		m.SysSeconds = ps.SystemTime().Seconds()
		m.ExitCode = exitCode(ps)
	}
	switch {
	case ctx.Err() != nil:
		m.Interrupted = true
	case errors.Is(context.Cause(buildCtx), errAborted):
		m.Aborted, m.BoundSeconds = true, bound
	case errors.Is(context.Cause(buildCtx), errTimedOut):
		m.TimedOut = true
	case waitErr != nil && m.ExitCode == 0 && !errors.Is(waitErr, exec.ErrWaitDelay):
		return m, fmt.Errorf("waiting for %s: %w", argv[0], waitErr)
	}
	if !m.Interrupted && !m.Aborted && !m.TimedOut {
		m.Progress = tuner.NewProgress(lineTimes(outCompiles, errCompiles))
	}
	fillStats(&m, st)
	return m, nil
}

var (
	errTimedOut = errors.New("the build ran past --timeout")
	errAborted  = errors.New("the build is already clearly slower than the best")
)

// groupCommand starts argv in a new process group with stdin from
// /dev/null. Cancelling ctx sends SIGTERM to the whole group (and SIGCONT,
// since a stopped group ignores SIGTERM); after KillGrace the leader is
// killed, and Build kills the rest of the group.
func (r *Runner) groupCommand(ctx context.Context, argv, env []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = r.Dir
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		pgid := cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		_ = syscall.Kill(-pgid, syscall.SIGCONT)
		go func() {
			time.Sleep(r.killGrace())
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}()
		return nil
	}
	cmd.WaitDelay = r.killGrace() + time.Second
	return cmd
}

func (r *Runner) sampler() Sampler {
	if r.Sampler != nil {
		return r.Sampler
	}
	return SystemSampler{}
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

func (r *Runner) prepare(ctx context.Context, env []string) error {
	stderr := distcc.NewScanner(r.TailBytes)
	cmd := r.groupCommand(ctx, []string{"sh", "-c", r.Prepare}, env)
	cmd.Stdout = io.Discard
	cmd.Stderr = stderr
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if err != nil {
		stderr.Flush()
		return &PrepareError{Command: r.Prepare, Err: err, Stderr: stderr.Tail()}
	}
	return nil
}

// sampleUntilDone samples the machine every interval until the returned
// function is called, which stops sampling and returns the statistics.
// The first sample is taken at once so even a short build has one.
//
// The sampling goroutine also runs the thermal guard on the group pgid and
// the abort clock: abort is called once the build has run abortAfter,
// not counting the time it was paused. A timer that is stopped during a
// pause and re-armed with the remaining time keeps the abort as precise
// as a context deadline, whatever the sample interval. Once buildCtx is
// done the guard continues a paused group, so that the SIGTERM the
// cancellation sent is delivered, and pauses it no more.
//
// onSample, when not nil, gets each good sample and whether the build is
// paused, for Runner.Progress.
func (r *Runner) sampleUntilDone(buildCtx context.Context, pgid int, abortAfter time.Duration, stopEarly func(running time.Duration, swapGrowth uint64) bool, abort func(), onSample func(Sample, bool)) func() stats {
	sampler, interval := r.sampler(), r.interval()
	ctx, cancel := context.WithCancel(context.Background())
	guard := newThermalGuard(r.Thermal, pgid)
	start := time.Now()
	var (
		mu  sync.Mutex
		st  stats
		wg  sync.WaitGroup
		err error
	)
	var abortTimer *time.Timer
	var abortC <-chan time.Time
	stopped := false // the sampling goroutine alone reads and writes it
	if abortAfter > 0 {
		abortTimer = time.NewTimer(abortAfter)
		abortC = abortTimer.C
	}
	take := func() {
		s, e := sampler.Sample(ctx)
		if ctx.Err() != nil {
			return // the build is over; a late sample must not signal the group
		}
		wasPaused := guard.paused
		if e == nil && s.HasTemp {
			guard.observe(s.TempC, time.Now(), buildCtx.Err() == nil)
		}
		if abortTimer != nil && abortC != nil && wasPaused != guard.paused {
			if guard.paused {
				abortTimer.Stop()
			} else {
				now := time.Now()
				abortTimer.Reset(max(0, abortAfter-(now.Sub(start)-guard.pausedFor(now))))
			}
		}
		if e == nil && onSample != nil {
			onSample(s, guard.paused)
		}
		mu.Lock()
		if e != nil {
			err = e
		} else {
			st.add(s)
		}
		swapGrowth := st.swapGrowth()
		mu.Unlock()
		if stopEarly != nil && !stopped && !guard.paused {
			now := time.Now()
			if stopEarly(now.Sub(start)-guard.pausedFor(now), swapGrowth) {
				stopped, abortC = true, nil
				abort()
			}
		}
	}
	wg.Go(func() {
		defer func() { guard.release(time.Now()) }()
		if abortTimer != nil {
			defer abortTimer.Stop()
		}
		take()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		done := buildCtx.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case <-done:
				guard.release(time.Now())
				done = nil
			case <-abortC:
				stopped, abortC = true, nil
				abort()
			case <-tick.C:
				take()
			}
		}
	})
	return func() stats {
		cancel()
		wg.Wait()
		st.err = err
		st.thermal = guard.result
		return st
	}
}

func fillStats(m *tuner.Measurement, st stats) {
	m.Samples = st.n
	if st.err != nil && st.n == 0 {
		m.Warnings = append(m.Warnings, fmt.Sprintf("the machine could not be sampled: %v", st.err))
	}
	if st.n > 0 {
		m.MaxLoad, m.MeanLoad = st.maxLoad, st.sumLoad/float64(st.n)
		m.MaxRunnable, m.MeanRunnable = st.maxRun, st.sumRun/float64(st.n)
	}
	// Without a sensor the temperatures stay nil: unknown, not an error.
	// The CLI says once that the thermal guard is off.
	if st.tempN > 0 {
		maxT, meanT := st.maxTemp, st.sumTemp/float64(st.tempN)
		m.MaxTempC, m.MeanTempC = &maxT, &meanT
	}
	m.MinAvailMemBytes, m.MaxSwapUsedBytes = st.minAvail, st.maxSwap
	m.SwapGrowthBytes = st.swapGrowth()
	m.PausedSeconds = st.thermal.paused.Seconds()
	m.Thermal, m.Critical = st.thermal.thermal, st.thermal.critical
}

func exitCode(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

func fileSize(path string) int64 {
	if path == "" {
		return 0
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// scanFileFrom counts the distcc lines a log file gained after offset.
func scanFileFrom(path string, offset int64) (distcc.Counts, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return distcc.Counts{}, nil // distcc had nothing to say
	}
	if err != nil {
		return distcc.Counts{}, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() < offset {
		offset = 0 // truncated or rotated since the build started
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return distcc.Counts{}, err
	}
	s := distcc.NewScanner(0)
	if _, err := io.Copy(s, f); err != nil {
		return distcc.Counts{}, err
	}
	s.Flush()
	return s.Counts(), nil
}
