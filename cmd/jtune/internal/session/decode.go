package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"reflect"
	"slices"

	"github.com/jtune/jtune/tuner"
)

// ErrNoFile means there is no state file at the path given.
var ErrNoFile = errors.New("no such state file")

// Read reads and checks the session saved at path. It takes no lock: the
// file is replaced atomically, so reading it while a session runs sees the
// last build saved. The file is never changed.
func Read(path string) (*Record, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrNoFile)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the state file: %w", err)
	}
	r, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s is not a usable jtune state file: %w", path, err)
	}
	return r, nil
}

// Decode parses a saved session, migrates it from an older schema
// version, and checks every field, so that no caller meets a build with
// -5 jobs or a negative time.
func Decode(data []byte) (*Record, error) {
	var head struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, jsonError(err)
	}
	var r *Record
	switch head.Version {
	case 1:
		old, err := decodeV1(data)
		if err != nil {
			return nil, err
		}
		r = old
	case Version:
		r = &Record{}
		if err := json.Unmarshal(data, r); err != nil {
			return nil, jsonError(err)
		}
	case 0:
		return nil, errors.New(`it has no "version" field`)
	default:
		if head.Version > Version {
			return nil, fmt.Errorf("it is of schema version %d, newer than this jtune reads (%d): use a newer jtune", head.Version, Version)
		}
		return nil, fmt.Errorf("unknown schema version %d", head.Version)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r, nil
}

// decodeV1 reads schema version 1, whose warnings were plain strings, which
// had no start_jobs, and where an empty strategy meant golden-section
// search (the only one there was at first).
func decodeV1(data []byte) (*Record, error) {
	var v1 struct {
		Record
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal(data, &v1); err != nil {
		return nil, jsonError(err)
	}
	r := v1.Record
	r.Version = Version
	r.Warnings = []tuner.Warning{}
	for _, w := range v1.Warnings {
		r.Warnings = append(r.Warnings, tuner.Warning{Kind: WarnFromV1, Message: w, Subject: w})
	}
	if r.Settings.Strategy == "" {
		r.Settings.Strategy = string(tuner.Golden)
	}
	if r.StartJobs == 0 {
		r.StartJobs = r.Range().Clamp(r.FormulaJobs)
	}
	return &r, nil
}

// WarnFromV1 is the kind of a warning read from a version 1 state file,
// whose warnings had no kind.
const WarnFromV1 tuner.WarningKind = "note"

// jsonError says what is wrong with a state file's JSON in the words of
// the file, not of the Go types it is read into.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), err.Error() == "unexpected end of JSON input":
		return errors.New("it is empty or cut short")
	case errors.As(err, &syntax):
		return fmt.Errorf("it is not JSON (at byte %d: %v)", syntax.Offset, syntax)
	case errors.As(err, &typ):
		return fmt.Errorf("field %q holds a JSON %s where a %s belongs", typ.Field, typ.Value, jsonKind(typ.Type))
	}
	return err
}

// jsonKind names a Go type the way JSON does.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "whole number"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "list"
	}
	return "object"
}

// statuses and outcomes are the values a saved session may hold.
var (
	statuses = []tuner.Status{tuner.StatusOK, tuner.StatusFailed, tuner.StatusTimeout, tuner.StatusOverloaded,
		tuner.StatusInterrupted, tuner.StatusAborted, tuner.StatusThermal}
	outcomes = []tuner.Outcome{tuner.Converged, tuner.BudgetSpent, tuner.Interrupted, tuner.Broken, tuner.Aborted,
		tuner.OutOfTime, tuner.Critical}
)

// Validate checks every field a reader relies on, and names the first bad
// one by its JSON path.
func (r *Record) Validate() error {
	s := r.Settings
	switch {
	case len(r.Command) == 0:
		return errors.New(`"command" is empty`)
	case s.MinJobs < 1:
		return fmt.Errorf(`"settings.min_jobs" is %d; it must be at least 1`, s.MinJobs)
	case s.MaxJobs < s.MinJobs:
		return fmt.Errorf(`"settings.max_jobs" %d is below "settings.min_jobs" %d`, s.MaxJobs, s.MinJobs)
	case s.Budget < 0:
		return fmt.Errorf(`"settings.budget" is %d; it must not be negative`, s.Budget)
	case s.Tolerance < 0 || s.Tolerance >= 1:
		return fmt.Errorf(`"settings.tolerance" is %g; it must be in [0, 1)`, s.Tolerance)
	case !validStrategy(s.Strategy):
		return fmt.Errorf(`"settings.strategy" %q isn't one of %v`, s.Strategy, tuner.Strategies)
	case r.FormulaJobs < 1:
		return fmt.Errorf(`"formula_jobs" is %d; it must be at least 1`, r.FormulaJobs)
	case !r.Range().Contains(r.StartJobs):
		return fmt.Errorf(`"start_jobs" %d is outside the range %v`, r.StartJobs, r.Range())
	case r.Load < 0:
		return fmt.Errorf(`"load" is %d; it must not be negative`, r.Load)
	case !slices.Contains([]string{OutcomeRunning, OutcomeBuildFailed, OutcomeTimedOut}, r.Outcome) && !slices.Contains(outcomes, tuner.Outcome(r.Outcome)):
		return fmt.Errorf(`"outcome" %q isn't one of %s, %s, %s or %v`, r.Outcome, OutcomeRunning, OutcomeBuildFailed, OutcomeTimedOut, outcomes)
	}
	for i, t := range r.Trials {
		if err := validTrial(t); err != nil {
			return fmt.Errorf(`"trials[%d]": %w`, i, err)
		}
	}
	if on := r.Online; on != nil {
		if err := validOnline(on); err != nil {
			return fmt.Errorf(`"online": %w`, err)
		}
	}
	if from := r.From; from != nil && (from.State == "" || from.OnlineJobs < 1) {
		return fmt.Errorf(`"from" names no online session and its N: %+v`, *from)
	}
	if rec := r.Recommended; rec != nil {
		switch {
		case rec.Jobs < 1:
			return fmt.Errorf(`"recommended.jobs" is %d; it must be at least 1`, rec.Jobs)
		case rec.Load < 0:
			return fmt.Errorf(`"recommended.load" is %d; it must not be negative`, rec.Load)
		case !finite(rec.ExpectedSeconds) || rec.ExpectedSeconds < 0:
			return fmt.Errorf(`"recommended.expected_seconds" is %g; it must be a time in seconds`, rec.ExpectedSeconds)
		case len(rec.PlausibleJobs) != 0 && (len(rec.PlausibleJobs) != 2 || rec.PlausibleJobs[0] < 1 || rec.PlausibleJobs[0] > rec.PlausibleJobs[1]):
			return fmt.Errorf(`"recommended.plausible_jobs" %v is not an interval [lo, hi] of N`, rec.PlausibleJobs)
		}
	}
	return nil
}

func validStrategy(s string) bool {
	_, err := tuner.NextFor(tuner.Strategy(s))
	return err == nil || s == StrategyOnline
}

func validTrial(t tuner.Trial) error {
	seconds := map[string]float64{"wall_seconds": t.WallSeconds, "user_seconds": t.UserSeconds, "sys_seconds": t.SysSeconds,
		"paused_seconds": t.PausedSeconds, "bound_seconds": t.BoundSeconds, "max_load": t.MaxLoad, "mean_load": t.MeanLoad}
	for _, name := range []string{"wall_seconds", "user_seconds", "sys_seconds", "paused_seconds", "bound_seconds", "max_load", "mean_load"} {
		if v := seconds[name]; !finite(v) || v < 0 {
			return fmt.Errorf(`"%s" is %g; it must be a non-negative number`, name, v)
		}
	}
	switch {
	case t.Jobs < 1:
		return fmt.Errorf(`"jobs" is %d; it must be at least 1`, t.Jobs)
	case t.Load < 0:
		return fmt.Errorf(`"load" is %d; it must not be negative`, t.Load)
	case !slices.Contains(statuses, t.Status):
		return fmt.Errorf(`"status" %q isn't one of %v`, t.Status, statuses)
	case t.DistccFailures < 0:
		return fmt.Errorf(`"distcc_failures" is %d; it must not be negative`, t.DistccFailures)
	case t.CompileLines < 0:
		return fmt.Errorf(`"compile_lines" is %d; it must not be negative`, t.CompileLines)
	}
	if p := t.Progress; p != nil {
		if p.Lines < 1 || len(p.Seconds) == 0 || len(p.Seconds) > p.Lines || !slices.IsSorted(p.Seconds) || p.Seconds[0] < 0 {
			return errors.New(`"progress" is not a build's compile lines over time`)
		}
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func validOnline(on *Online) error {
	switch {
	case !finite(on.MeasuredShare) || on.MeasuredShare < 0 || on.MeasuredShare > 1:
		return fmt.Errorf(`"measured_share" is %g; it must be in [0, 1]`, on.MeasuredShare)
	case !finite(on.BuildSeconds) || on.BuildSeconds < 0:
		return fmt.Errorf(`"build_seconds" is %g; it must be a time in seconds`, on.BuildSeconds)
	case on.JobsCompleted < 0:
		return fmt.Errorf(`"jobs_completed" is %d; it must not be negative`, on.JobsCompleted)
	}
	for i, w := range on.Windows {
		switch {
		case w.Jobs < 1:
			return fmt.Errorf(`"windows[%d].jobs" is %d; it must be at least 1`, i, w.Jobs)
		case !finite(w.Seconds) || w.Seconds < 0 || !finite(w.StartSeconds) || w.StartSeconds < 0:
			return fmt.Errorf(`"windows[%d]" has a time that is not a non-negative number`, i)
		case w.Completed < 0 || w.Failures < 0 || !finite(w.Throughput) || w.Throughput < 0:
			return fmt.Errorf(`"windows[%d]" has a negative count`, i)
		}
	}
	return nil
}
