package tuner

import "time"

// Status is the verdict on one build.
type Status string

// The statuses a trial can have. Only StatusOK builds count as times.
const (
	StatusOK          Status = "ok"
	StatusFailed      Status = "failed"      // the command exited non-zero
	StatusTimeout     Status = "timeout"     // stopped after Settings.Timeout; its time is a lower bound
	StatusOverloaded  Status = "overloaded"  // distcc failures rose, or the load went over the limit
	StatusInterrupted Status = "interrupted" // stopped by the user; carries no information
	StatusAborted     Status = "aborted"     // stopped early, already clearly slower than the best; its time is a lower bound
	StatusThermal     Status = "thermal"     // paused or stopped for heat; not a clean measurement
)

// StopReason says why jtune stopped a build before it ended.
type StopReason string

// The reasons to stop a build early (BuildRequest says when).
const (
	StopSlow     StopReason = "slow"     // it ran longer than AbortAfter
	StopBehind   StopReason = "behind"   // its compile lines fell behind the Reference's
	StopFailures StopReason = "failures" // distcc failures reached StopAtFailures
	StopSwap     StopReason = "swap"     // the master swapped out StopAtSwapGrowth
)

// Measurement is what a Builder observed during one build.
type Measurement struct {
	WallSeconds float64 `json:"wall_seconds"`
	UserSeconds float64 `json:"user_seconds"` // CPU of the whole process tree, from rusage
	SysSeconds  float64 `json:"sys_seconds"`
	ExitCode    int     `json:"exit_code"`

	TimedOut bool `json:"-"`
	// Aborted means jtune stopped the build early; StoppedFor says why.
	Aborted     bool       `json:"-"`
	StoppedFor  StopReason `json:"stopped_for,omitempty"`
	Interrupted bool       `json:"-"`
	Thermal     bool       `json:"-"` // paused at least once because the CPU was too hot
	Critical    bool       `json:"-"` // stopped at the critical temperature

	PausedSeconds float64 `json:"paused_seconds"` // time the build spent paused by the thermal guard

	// BoundSeconds is the least an aborted build would have taken, when
	// its progress showed that before its elapsed time did; zero means
	// the elapsed time is the bound.
	BoundSeconds float64 `json:"bound_seconds,omitempty"`
	// Progress is when the build printed its compile lines; later builds
	// are judged against the best one's.
	Progress *Progress `json:"progress,omitempty"`

	DistccFailures int            `json:"distcc_failures"` // "failed to distribute" lines
	DistccErrors   map[string]int `json:"distcc_errors"`   // other distcc ERROR lines by kind
	// DistccErrorHosts counts the ERROR lines that name a host (connect
	// errors), by host and port, so a dead host can be named.
	DistccErrorHosts map[string]int `json:"distcc_error_hosts,omitempty"`
	// DistccFailureHosts counts the failures that name the host distcc
	// gave up on, so that a host refusing work can be named.
	DistccFailureHosts map[string]int `json:"distcc_failure_hosts,omitempty"`
	// DistccHostJobs counts compiles by the host that ran them ("localhost"
	// for local ones), from distcc's state files in $DISTCC_DIR/state.
	DistccHostJobs map[string]int `json:"distcc_host_jobs,omitempty"`
	// DistccConfig counts distcc warnings that point at the setup rather
	// than at N, by kind (e.g. "pump_preprocessed_input" for ccache in
	// front of pump); they are not failures.
	DistccConfig map[string]int `json:"distcc_config_warnings,omitempty"`
	// CompileLines counts the compiler commands the build printed, so the
	// next build's progress can be measured against this one's total.
	CompileLines int `json:"compile_lines,omitempty"`

	MaxLoad          float64  `json:"max_load"` // 1-minute load average
	MeanLoad         float64  `json:"mean_load"`
	MaxRunnable      int      `json:"max_runnable"` // runnable processes, a faster signal than the load average
	MeanRunnable     float64  `json:"mean_runnable"`
	MaxTempC         *float64 `json:"max_temp_c"` // nil when the machine has no sensor
	MeanTempC        *float64 `json:"mean_temp_c"`
	MinAvailMemBytes uint64   `json:"min_available_memory_bytes"`
	MaxSwapUsedBytes uint64   `json:"max_swap_used_bytes"`
	SwapGrowthBytes  uint64   `json:"swap_growth_bytes"` // swap the build added: a swapping master is overloaded
	Samples          int      `json:"samples"`

	StderrTail string    `json:"stderr_tail,omitempty"`
	Warnings   []Warning `json:"warnings,omitempty"`
}

// Trial is one build at one N, with its verdict.
type Trial struct {
	Jobs      int       `json:"jobs"`
	Load      int       `json:"load"`
	Status    Status    `json:"status"`
	Reason    string    `json:"reason,omitempty"` // why the status is not ok
	StartedAt time.Time `json:"started_at"`
	Measurement
}

// counts reports whether the trial is an observation at all; an
// interrupted build says nothing about its N.
func (t Trial) counts() bool { return t.Status != StatusInterrupted }

// lowerBound is the least time a timed-out or aborted build would have
// taken.
func (t Trial) lowerBound() float64 { return max(t.WallSeconds, t.BoundSeconds) }

// boundsTime reports whether the build's time is a lower bound on its N's:
// a build stopped for time is, one stopped in what looked like a failure
// cascade is not (its time says nothing, and where the failures turned
// out not to be overload, its N is simply not measured yet).
func (t Trial) boundsTime() bool {
	return t.Status == StatusTimeout || t.Status == StatusAborted && t.StoppedFor != StopFailures
}
