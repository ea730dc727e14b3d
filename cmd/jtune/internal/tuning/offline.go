package tuning

import (
	"context"
	"fmt"

	"github.com/jtune/jtune/cmd/jtune/internal/ui"
	"github.com/jtune/jtune/probe"
	"github.com/jtune/jtune/tuner"
)

// WarnNoSensor is the kind of warning that the thermal guard is off for
// lack of a sensor.
const WarnNoSensor tuner.WarningKind = "no_temperature_sensor"

// offline runs builds at different N until the search has its answer.
func (t *run) offline() error {
	runner, err := t.runner()
	if err != nil {
		return err
	}
	runner.OnStatus = t.out.Status
	defer t.out.StopLive()
	rec := t.rec
	res, runErr := tuner.Run(t.sigs.Ctx, runner, tuner.Settings{
		FormulaJobs: rec.StartJobs, Min: rec.Settings.MinJobs, Max: rec.Settings.MaxJobs, Load: rec.Load,
		Budget: rec.Settings.Budget, Strategy: tuner.Strategy(rec.Settings.Strategy), Tolerance: rec.Settings.Tolerance,
		MaxLoad: t.o.MaxLoad, NoEarlyAbort: t.o.NoEarlyAbort, Prior: rec.Trials, TimeBudget: t.o.TimeBudget,
		OnStart: func(jobs, index int, a *tuner.Analysis) { t.out.BuildStart(jobs, index, rec.Settings.Budget, a) },
		// Save first, then print: the state file is the record, and a
		// print can fail.
		OnTrial: func(trials []tuner.Trial) error {
			_ = t.store.RunningBuild(nil)
			rec.Trials = trials
			err := t.save()
			t.out.BuildDone(trials)
			return err
		},
	})
	if res == nil {
		return runErr
	}
	// The session's own warnings show on stderr as they come, like the
	// builds' warnings did.
	t.warn(res.Warnings...)
	rec.Finish(res)
	if err := t.save(); err != nil && runErr == nil {
		runErr = err
	}
	return t.report(res.Analysis, runErr)
}

// runner is the probe that runs the real builds, with the thermal guard,
// the kill that the second Ctrl-C demands, and the running build recorded
// in the lock file for a jtune that resumes after this one died.
func (t *run) runner() (*probe.Runner, error) {
	o := t.o
	r := &probe.Runner{
		Command: o.Command, Prepare: o.Prepare, Timeout: o.Timeout,
		SampleInterval: o.SampleInterval, DistccHosts: o.DistccHosts,
		Sampler: probe.SystemSampler{Sensor: o.Sensor},
		Kill:    t.sigs.Insist,
		OnStart: func(bp probe.BuildProcess) { _ = t.store.RunningBuild(bp) },
	}
	guardWarning, err := thermalGuard(t.sigs.Ctx, o, r, t.out)
	if err != nil {
		return nil, err
	}
	if guardWarning != nil {
		t.warn(*guardWarning)
	}
	return r, nil
}

// thermalGuard sets up the runner's thermal guard from the options. A
// machine without a sensor tunes unguarded with a warning, or fails with
// RequireTemp.
func thermalGuard(ctx context.Context, o Options, r *probe.Runner, out *ui.Console) (*tuner.Warning, error) {
	if o.MaxTemp == 0 {
		return nil, nil
	}
	sampler := probe.SystemSampler{Sensor: o.Sensor}
	if !probe.HasTemperature(ctx, sampler) {
		what := "this machine has no temperature sensor"
		if o.Sensor != "" {
			what = fmt.Sprintf("there is no temperature sensor %q", o.Sensor)
		}
		if o.RequireTemp {
			return nil, fmt.Errorf("--require-temp: %s; run without it to tune unguarded", what)
		}
		return &tuner.Warning{Kind: WarnNoSensor, Subject: o.Sensor, Message: what + ": the thermal guard is off"}, nil
	}
	policy := probe.ThermalPolicy{MaxC: o.MaxTemp, ResumeC: o.ResumeTemp, CritC: o.CritTemp}
	if policy.CritC == 0 {
		policy.CritC = o.MaxTemp + 10
		if c, ok := probe.CriticalTemp(sampler); ok && c > o.MaxTemp {
			policy.CritC = c
		}
	}
	r.Thermal = policy
	r.CoolDown = out.CoolDown(policy.Resume())
	return nil, nil
}
