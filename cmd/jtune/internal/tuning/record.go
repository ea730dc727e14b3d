package tuning

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jtune/jtune/cmd/jtune/internal/farm"
	"github.com/jtune/jtune/cmd/jtune/internal/session"
	"github.com/jtune/jtune/tuner"
)

// newRecord is the record of the session the options describe on farm f:
// the formula, the range (the user's bounds win over the default; the
// search starts at the N of the range nearest to N0) and the settings.
func newRecord(o Options, f farm.Farm, localCPUs int) (*session.Record, error) {
	formula, err := f.Formula(localCPUs, o.Cores)
	if err != nil {
		return nil, usagef("--cores %d: %w", o.Cores, err)
	}
	n0 := formula.Jobs
	def, start, budget := tuner.DefaultRange(n0, localCPUs, f.SlotSum()), n0, o.Budget
	from, err := onlineStart(o, f)
	if err != nil {
		return nil, err
	}
	if from != nil {
		rec := tuner.Recommendation{Jobs: from.OnlineJobs, PlausibleJobs: from.PlausibleJobs}
		def, start = tuner.ConfirmRange(rec, def), rec.Jobs
		if !o.given("budget") {
			budget = tuner.ConfirmBudget
		}
	}
	rng, err := def.Bound(o.Min, o.Max)
	if err != nil {
		return nil, usagef("--min %d --max %d: %w", o.Min, o.Max, err)
	}
	var unreachable []session.Unreachable
	for i, h := range f.Hosts.Hosts {
		if err, down := f.Down[i]; down {
			unreachable = append(unreachable, session.Unreachable{Name: h.Name, Port: h.Port, Error: err.Error()})
		}
	}
	strategy, online := o.Strategy, (*session.Online)(nil)
	if o.Online {
		strategy = session.StrategyOnline
		online = &session.Online{Jobserver: o.Plan.Form.String(), Client: o.Plan.Client.Program + " " + o.Plan.Client.Version.String()}
	}
	return session.New(session.Record{
		Online: online, From: from, Command: o.Command, HostsSpec: f.Hosts.String(), HostsSource: f.Source, Hosts: f.Hosts.Hosts, Unreachable: unreachable,
		SlotSum: f.SlotSum(), FormulaJobs: n0, Formula: formula.Text, StartJobs: rng.Clamp(start), Load: o.Load,
		Settings: session.Settings{
			Strategy: strategy, MinJobs: rng.Min, MaxJobs: rng.Max, Budget: budget,
			Tolerance: o.Tolerance, MaxLoad: o.MaxLoad, TimeoutSeconds: o.Timeout.Seconds(), EarlyAbort: !o.NoEarlyAbort,
			Prepare: o.Prepare, LocalCPUs: localCPUs,
		},
	}), nil
}

// onlineStart is where an offline session starts when it confirms the
// online session in o.From (nil without From): that session must have
// finished with a recommendation for the same hosts.
func onlineStart(o Options, f farm.Farm) (*session.From, error) {
	if o.From == "" {
		return nil, nil
	}
	prior, err := FinishedFor(o.From, f)
	switch {
	case err != nil:
		return nil, usagef("--from: %w", err)
	case prior.Online == nil:
		return nil, usagef("--from: the session in %s is an offline one; --from takes an online session's state file (jtune --online)", o.From)
	}
	return &session.From{State: o.From, OnlineJobs: prior.Recommended.Jobs, PlausibleJobs: prior.Recommended.PlausibleJobs}, nil
}

// FinishedFor reads the finished session in path if it was tuned for the
// farm f, and says why not otherwise.
func FinishedFor(path string, f farm.Farm) (*session.Record, error) {
	r, err := session.Read(path)
	switch {
	case errors.Is(err, session.ErrNoFile):
		return nil, fmt.Errorf("there is no state file %s", path)
	case err != nil:
		return nil, err
	case r.Running():
		return nil, fmt.Errorf("the session in %s has not finished (it is running, or its jtune died: finish it with --resume)", path)
	case !farm.Same(r.HostsSpec, f.Spec):
		return nil, fmt.Errorf("the session in %s was tuned for other hosts (%q)", path, r.HostsSpec)
	case r.Recommended == nil:
		return nil, fmt.Errorf("the session in %s ended without a recommendation", path)
	}
	return r, nil
}

// openSession takes the state file: a new session, or the saved one with
// --resume, whose builds are not run again and whose settings the session
// keeps (see resumeAs).
func openSession(o *Options, rec *session.Record) (*session.Store, error) {
	if !o.Resume {
		return session.Create(o.State)
	}
	store, old, err := session.Resume(o.State)
	if errors.Is(err, session.ErrNoFile) {
		return nil, usagef("--resume: there is no state file %s to resume; run without --resume to start a session", o.State)
	}
	if err != nil {
		return nil, fmt.Errorf("--resume: %w; it was left untouched: move it away and run without --resume", err)
	}
	if err := resumeAs(o, old, rec); err != nil {
		store.Close()
		return nil, err
	}
	rec.Trials = old.Trials
	rec.Warn(old.Warnings...)
	return store, nil
}

// resumeAs makes a resumed session run as the saved one ran, so its builds
// stay comparable: the command and the hosts must be the same; --prepare,
// --load, --strategy and the range come from the state file unless given
// again, and given again they must agree, except the range, which the
// user may widen or narrow.
func resumeAs(o *Options, old, now *session.Record) error {
	refuse := func(what, saved, given string) error {
		return usagef("--resume: %s was made with %s %s, not %s; run without --resume or pass another --state",
			o.State, what, saved, given)
	}
	switch {
	case !slices.Equal(old.Command, now.Command):
		return refuse("the command", strconv.Quote(strings.Join(old.Command, " ")), strconv.Quote(strings.Join(now.Command, " ")))
	case !farm.Same(old.HostsSpec, now.HostsSpec):
		return refuse("the hosts", strconv.Quote(old.HostsSpec), strconv.Quote(now.HostsSpec))
	case o.given("prepare") && o.Prepare != old.Settings.Prepare:
		return refuse("--prepare", strconv.Quote(old.Settings.Prepare), strconv.Quote(o.Prepare))
	case o.given("load") && o.Load != old.Load:
		return refuse("--load", strconv.Itoa(old.Load), strconv.Itoa(o.Load))
	case o.given("strategy") && o.Strategy != old.Settings.Strategy:
		return refuse("--strategy", old.Settings.Strategy, o.Strategy)
	}
	o.Prepare, now.Settings.Prepare = old.Settings.Prepare, old.Settings.Prepare
	o.Load, now.Load = old.Load, old.Load
	o.Strategy, now.Settings.Strategy = old.Settings.Strategy, old.Settings.Strategy
	if !o.given("min") && !o.given("max") {
		now.Settings.MinJobs, now.Settings.MaxJobs, now.StartJobs = old.Settings.MinJobs, old.Settings.MaxJobs, old.StartJobs
	}
	return nil
}
