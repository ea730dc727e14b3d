// Package session is jtune's record of a tuning session and the only code
// that reads and writes it. One schema serves as the state file that is
// rewritten after every build, the --json output, and the input of jtune
// report and jtune recommend: a Record is made once (New), finished once
// (Finish), and read back in one place (Decode), where older versions are
// migrated and every field is checked. Store adds what an unattended
// session needs on disk: a lock, atomic saves, and a backup of the
// session the file held before. The package knows the tuner's types but
// nothing of flags, terminals or rendering.
package session

import (
	"slices"
	"strings"

	"github.com/jtune/jtune/probe/distcc"
	"github.com/jtune/jtune/tuner"
)

// Version is the version of the schema described in the README. It
// changes only when a field changes meaning or goes away; Decode migrates
// every older version.
const Version = 2

// OutcomeRunning is the outcome of a session that has not ended (or whose
// process died): its file is rewritten after every build.
const OutcomeRunning = "running"

// OutcomeBuildFailed is the outcome of an online session whose one build
// failed: the windows before the failure still count.
const OutcomeBuildFailed = "build_failed"

// OutcomeTimedOut is the outcome of an online session whose build ran
// longer than --timeout and was stopped.
const OutcomeTimedOut = "timed_out"

// StrategyOnline is the strategy an online session records.
const StrategyOnline = "online"

// Record is one tuning session. Units are in the JSON field names.
type Record struct {
	Version     int           `json:"version"`
	Command     []string      `json:"command"`
	HostsSpec   string        `json:"hosts_spec"`
	HostsSource string        `json:"hosts_source"`
	Hosts       []distcc.Host `json:"hosts"`
	Unreachable []Unreachable `json:"unreachable_hosts"`
	SlotSum     int           `json:"distcc_slots"`
	FormulaJobs int           `json:"formula_jobs"`
	Formula     string        `json:"formula"`
	// StartJobs is where the search started: N0, or the N of the range
	// nearest to it when the range leaves N0 out.
	StartJobs   int                   `json:"start_jobs"`
	Load        int                   `json:"load"`
	Settings    Settings              `json:"settings"`
	Trials      []tuner.Trial         `json:"trials"`
	Recommended *tuner.Recommendation `json:"recommended"`
	MakeOpts    string                `json:"makeopts"`
	Outcome     string                `json:"outcome"`
	Warnings    []tuner.Warning       `json:"warnings"`
	// Online is set for a session that steered one build as its
	// jobserver (jtune --online); its Trials are then empty.
	Online *Online `json:"online,omitempty"`
	// From is set for an offline session that started from an online
	// one (jtune --from).
	From *From `json:"from,omitempty"`
}

// From is the online session an offline one started from: the search
// started at its recommendation, in a range around its plausible best N.
type From struct {
	State         string `json:"state"`
	OnlineJobs    int    `json:"online_jobs"`
	PlausibleJobs []int  `json:"plausible_jobs,omitempty"`
}

// Online is what an online session measured in its one build.
type Online struct {
	// Jobserver says how jtune served make: "fifo" or "pipe", and the
	// client it detected, e.g. "GNU Make 4.4.1".
	Jobserver string `json:"jobserver"`
	Client    string `json:"client"`
	// Windows are the stretches of the build at one N, in order.
	Windows []tuner.Window `json:"windows"`
	// MeasuredShare is the part of the build's compile jobs that finished
	// in fair windows.
	MeasuredShare float64 `json:"measured_share"`
	// BuildSeconds is the build's wall time, and ExitCode its status.
	BuildSeconds float64 `json:"build_seconds"`
	ExitCode     int     `json:"exit_code"`
	// JobsCompleted counts the build's compile jobs.
	JobsCompleted int `json:"jobs_completed"`
}

// Unreachable is a distcc host that did not answer before tuning.
type Unreachable struct {
	Name  string `json:"name"`
	Port  int    `json:"port"`
	Error string `json:"error"`
}

// Settings records how the session was run, so that a saved state says
// what it measured and a resumed session can check it is the same.
type Settings struct {
	Strategy       string  `json:"strategy"`
	MinJobs        int     `json:"min_jobs"`
	MaxJobs        int     `json:"max_jobs"`
	Budget         int     `json:"budget"`
	Tolerance      float64 `json:"tolerance"`
	MaxLoad        float64 `json:"max_load"`
	TimeoutSeconds float64 `json:"timeout_seconds"`
	EarlyAbort     bool    `json:"early_abort"`
	Prepare        string  `json:"prepare"`
	LocalCPUs      int     `json:"local_cpus"`
}

// New starts the record of a session that has not run a build yet. Nil
// slices become empty ones, so the JSON shows [] rather than null.
func New(r Record) *Record {
	r.Version = Version
	r.HostsSpec = strings.TrimSpace(r.HostsSpec)
	if r.Hosts == nil {
		r.Hosts = []distcc.Host{}
	}
	if r.Unreachable == nil {
		r.Unreachable = []Unreachable{}
	}
	if r.Trials == nil {
		r.Trials = []tuner.Trial{}
	}
	if r.Warnings == nil {
		r.Warnings = []tuner.Warning{}
	}
	if r.Outcome == "" {
		r.Outcome = OutcomeRunning
	}
	return &r
}

// FinishOnline records the result of an online session.
func (r *Record) FinishOnline(res *tuner.OnlineResult, outcome tuner.Outcome) {
	on := r.Online
	on.Windows, on.MeasuredShare = res.Windows, res.MeasuredShare
	on.BuildSeconds, on.ExitCode, on.JobsCompleted = res.Final.Seconds, res.Final.ExitCode, res.Final.Completed
	r.Outcome = string(outcome)
	r.Warn(res.Warnings...)
	r.Recommended, r.MakeOpts = res.Recommended, ""
	if res.Recommended != nil {
		r.MakeOpts = res.Recommended.MakeOpts()
	}
}

// Finish records the tuner's result.
func (r *Record) Finish(res *tuner.Result) {
	r.Trials = res.Trials
	r.Outcome = string(res.Outcome)
	r.Warn(res.Warnings...)
	r.Recommended = res.Recommended
	r.MakeOpts = ""
	if res.Recommended != nil {
		r.MakeOpts = res.Recommended.MakeOpts()
	}
}

// Warn adds warnings the record does not hold yet, by kind and subject.
func (r *Record) Warn(ws ...tuner.Warning) { r.Warnings = tuner.AddWarnings(r.Warnings, ws...) }

// Range is the range the session searched.
func (r *Record) Range() tuner.Range {
	return tuner.Range{Min: r.Settings.MinJobs, Max: r.Settings.MaxJobs}
}

// Space is the search space of the session, for an analysis of its
// builds.
func (r *Record) Space() tuner.Space {
	return tuner.Space{Min: r.Settings.MinJobs, Max: r.Settings.MaxJobs, Start: r.StartJobs,
		Budget: r.Settings.Budget, Tolerance: r.Settings.Tolerance}
}

// Analysis works out what the session's builds say, for a plot or a
// recommendation read from a saved session. The windows of an online
// session count as builds of the part of the build they measured.
func (r *Record) Analysis() *tuner.Analysis {
	if r.Online != nil {
		return tuner.Analyze(tuner.WindowTrials(r.Online.Windows, 0), r.Space())
	}
	return tuner.Analyze(r.Trials, r.Space())
}

// Running reports whether the session had not ended when it was saved.
func (r *Record) Running() bool { return r.Outcome == OutcomeRunning }

// Builds counts the builds of the session that count against its budget:
// an interrupted build says nothing and is built again.
func (r *Record) Builds() int {
	n := 0
	for _, t := range r.Trials {
		if t.Status != tuner.StatusInterrupted {
			n++
		}
	}
	return n
}

// Started reports whether the session has begun in earnest: a build ran
// that says something about N. A first build that failed (the command is
// broken) or builds the user interrupted do not, and until one does an
// earlier session's state file is left as it is.
func (r *Record) Started() bool {
	for i, t := range r.Trials {
		switch {
		case t.Status == tuner.StatusInterrupted:
		case i == 0 && t.Status == tuner.StatusFailed:
		default:
			return true
		}
	}
	return false
}

// EarlierCompileLines is the compile lines of a full build in the session
// saved at path, or 0 when it was another command or cannot be read: it
// only serves to show the first build's progress.
func EarlierCompileLines(path string, command []string) int {
	r, err := Read(path)
	if err != nil || !slices.Equal(r.Command, command) {
		return 0
	}
	lines := 0
	for _, t := range r.Trials {
		if t.Status == tuner.StatusOK {
			lines = max(lines, t.CompileLines)
		}
	}
	return lines
}
