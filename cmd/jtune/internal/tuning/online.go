package tuning

import (
	"errors"
	"fmt"

	"github.com/jtune/jtune/cmd/jtune/internal/session"
	"github.com/jtune/jtune/probe"
	"github.com/jtune/jtune/tuner"
)

// online runs the one build under jtune's jobserver and steers its N from
// window to window; the build's output goes where jtune's would, and its
// exit code is jtune's when it fails.
func (t *run) online() error {
	o, rec := t.o, t.rec
	t.out.Printf("jtune: one build under jtune's jobserver: %s\n", o.Plan)
	runner, err := t.runner()
	if err != nil {
		return err
	}
	sp := tuner.OnlineSpace{Min: rec.Settings.MinJobs, Max: rec.Settings.MaxJobs, Start: rec.FormulaJobs}
	start := tuner.OnlineStart(sp)
	buildOut := t.stdout
	if o.JSON {
		buildOut = t.stderr // stdout is for the one JSON object
	}
	live, err := runner.StartLive(t.sigs.Ctx, probe.LiveRequest{Jobs: start, Load: rec.Load, Stdout: buildOut, Stderr: t.stderr, Plan: &o.Plan})
	if err != nil {
		return err
	}
	settings := tuner.OnlineSettings{FormulaJobs: rec.FormulaJobs, Min: sp.Min, Max: sp.Max, Load: rec.Load,
		Tolerance: rec.Settings.Tolerance, MaxLoad: o.MaxLoad, Tick: o.SampleInterval,
		OnWindow: func(ws []tuner.Window, now int) error {
			rec.Online.Windows = ws
			err := t.save()
			t.out.Window(ws[len(ws)-1], now)
			return err
		},
	}
	if o.MaxTemp > 0 {
		// Heat lowers N first; the thermal guard pauses the build only
		// at --max-temp.
		settings.HeatC = o.MaxTemp - 5
	}
	res, steerErr := tuner.RunOnline(t.sigs.Ctx, live, settings, start)
	if steerErr != nil && !errors.Is(steerErr, tuner.ErrInterrupted) {
		t.out.Printf("jtune: %v: the build goes on at -j%d without steering\n", steerErr, live.Jobs())
	}
	lr, waitErr := live.Wait()
	_ = t.store.RunningBuild(nil)
	outcome := tuner.Converged
	switch {
	case t.sigs.Ctx.Err() != nil:
		outcome, steerErr = tuner.Interrupted, tuner.ErrInterrupted
	case lr.Measurement.TimedOut:
		outcome = tuner.Outcome(session.OutcomeTimedOut)
	case lr.Final.ExitCode != 0:
		outcome = tuner.Outcome(session.OutcomeBuildFailed)
	}
	if res == nil {
		res = &tuner.OnlineResult{}
	}
	res.Final = lr.Final
	res.Warnings = append(res.Warnings, lr.Measurement.Warnings...)
	t.warn(res.Warnings...)
	rec.FinishOnline(res, outcome)
	if err := t.save(); err != nil {
		return err
	}
	if waitErr != nil {
		return waitErr
	}
	if err := t.report(rec.Analysis(), onlineError(steerErr)); err != nil && lr.Final.ExitCode == 0 {
		return err
	}
	if lr.Measurement.TimedOut {
		return fmt.Errorf("the build ran longer than --timeout %s and was stopped", o.Timeout)
	}
	if code := lr.Final.ExitCode; code != 0 {
		return BuildFailedError{code}
	}
	return nil
}

// onlineError is the steering's error as report takes it: only an
// interruption ends the session differently.
func onlineError(err error) error {
	if errors.Is(err, tuner.ErrInterrupted) {
		return err
	}
	return nil
}
