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
	switch filepath.Base(args[0]) {
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

// MakeOpts renders -jN -lM as MAKEOPTS wants it; a load of zero means no -l.
func MakeOpts(jobs, load int) string {
	if load > 0 {
		return fmt.Sprintf("-j%d -l%d", jobs, load)
	}
	return fmt.Sprintf("-j%d", jobs)
}

// BuildEnv returns base with the variables that carry N to the build set,
// replacing any earlier values, so emerge and scripts see the same N.
func BuildEnv(base []string, jobs, load int, distccHosts string) []string {
	set := map[string]string{
		"MAKEOPTS":   MakeOpts(jobs, load),
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
	if r.Prepare != "" {
		if err := r.prepare(ctx, env); err != nil {
			if ctx.Err() != nil {
				m.Interrupted = true
				return m, nil
			}
			return m, err
		}
	}
	distccLog := lookupEnv(env, "DISTCC_LOG")
	logStart := fileSize(distccLog)

	buildCtx, cancel := stopAfter(ctx, r.Timeout, req.AbortAfter)
	defer cancel()

	stdout := NewDistccScanner(r.TailBytes)
	stderr := NewDistccScanner(r.TailBytes)
	argv := CommandLine(r.Command, jobs, load)
	cmd := r.groupCommand(buildCtx, argv, env)
	cmd.Stdout, cmd.Stderr = stdout, stderr

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return m, fmt.Errorf("starting %s: %w", argv[0], err)
	}
	samples := r.sampleUntilDone()
	waitErr := cmd.Wait()
	m.WallSeconds = time.Since(start).Seconds()
	// Stragglers that left the build's shell behind would keep compiling
	// into the next build; the group is gone after this.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	st := samples()

	stdout.Flush()
	stderr.Flush()
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
		counts = mergeCounts(counts, logCounts)
	}
	m.DistccFailures, m.DistccErrors = counts.Failures, counts.Errors

	if ps := cmd.ProcessState; ps != nil {
		m.UserSeconds = ps.UserTime().Seconds()
		m.SysSeconds = ps.SystemTime().Seconds()
		m.ExitCode = exitCode(ps)
	}
	switch {
	case ctx.Err() != nil:
		m.Interrupted = true
	case errors.Is(context.Cause(buildCtx), errAborted):
		m.Aborted = true
	case errors.Is(context.Cause(buildCtx), errTimedOut):
		m.TimedOut = true
	case waitErr != nil && m.ExitCode == 0 && !errors.Is(waitErr, exec.ErrWaitDelay):
		return m, fmt.Errorf("waiting for %s: %w", argv[0], waitErr)
	}
	fillStats(&m, st)
	return m, nil
}

var (
	errTimedOut = errors.New("the build ran past --timeout")
	errAborted  = errors.New("the build is already clearly slower than the best")
)

// stopAfter returns a context that ends after the timeout or the abort
// limit, whichever is shorter and set, with a cause saying which.
func stopAfter(ctx context.Context, timeout, abortAfter time.Duration) (context.Context, context.CancelFunc) {
	switch {
	case abortAfter > 0 && (timeout <= 0 || abortAfter < timeout):
		return context.WithTimeoutCause(ctx, abortAfter, errAborted)
	case timeout > 0:
		return context.WithTimeoutCause(ctx, timeout, errTimedOut)
	}
	return context.WithCancel(ctx)
}

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

func (r *Runner) killGrace() time.Duration {
	if r.KillGrace > 0 {
		return r.KillGrace
	}
	return 2 * time.Second
}

func (r *Runner) prepare(ctx context.Context, env []string) error {
	stderr := NewDistccScanner(r.TailBytes)
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
func (r *Runner) sampleUntilDone() func() stats {
	sampler := r.Sampler
	if sampler == nil {
		sampler = SystemSampler{}
	}
	interval := r.SampleInterval
	if interval <= 0 {
		interval = time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	var (
		mu  sync.Mutex
		st  stats
		wg  sync.WaitGroup
		err error
	)
	take := func() {
		s, e := sampler.Sample(ctx)
		mu.Lock()
		defer mu.Unlock()
		if e != nil {
			err = e
			return
		}
		st.add(s)
	}
	wg.Go(func() {
		take()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				take()
			}
		}
	})
	return func() stats {
		cancel()
		wg.Wait()
		st.err = err
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
	if st.tempN > 0 {
		maxT, meanT := st.maxTemp, st.sumTemp/float64(st.tempN)
		m.MaxTempC, m.MeanTempC = &maxT, &meanT
	} else if st.n > 0 {
		m.Warnings = append(m.Warnings, "no temperature sensor found: temperatures are unknown")
	}
	m.MinAvailMemBytes, m.MaxSwapUsedBytes = st.minAvail, st.maxSwap
}

func exitCode(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

func lookupEnv(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
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
func scanFileFrom(path string, offset int64) (DistccCounts, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return DistccCounts{}, nil // distcc had nothing to say
	}
	if err != nil {
		return DistccCounts{}, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() < offset {
		offset = 0 // truncated or rotated since the build started
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return DistccCounts{}, err
	}
	s := NewDistccScanner(0)
	if _, err := io.Copy(s, f); err != nil {
		return DistccCounts{}, err
	}
	s.Flush()
	return s.Counts(), nil
}

func mergeCounts(a, b DistccCounts) DistccCounts {
	a.Failures += b.Failures
	for k, v := range b.Errors {
		if a.Errors == nil {
			a.Errors = map[string]int{}
		}
		a.Errors[k] += v
	}
	for k, v := range b.FailuresByHost {
		if a.FailuresByHost == nil {
			a.FailuresByHost = map[string]int{}
		}
		a.FailuresByHost[k] += v
	}
	return a
}
