package main

import (
	"errors"
	"fmt"
	"math"

	"github.com/jtune/jtune/cmd/jtune/internal/session"
	"github.com/jtune/jtune/probe"
	"github.com/jtune/jtune/tuner"
)

// checkOnline refuses, before anything starts, a command that cannot run
// under jtune's jobserver (a -j of its own, a {N}, a make or ninja that is
// no jobserver client, emerge with a make that only takes inherited
// descriptors), and says how it will run otherwise.
func checkOnline(o *tuneOptions) error {
	if !o.online {
		return nil
	}
	plan, err := probe.CheckOnline(o.command, nil)
	var bad *probe.OnlineError
	if errors.As(err, &bad) {
		return usagef("--online: %w", err)
	}
	if err != nil {
		return fmt.Errorf("--online: %w", err)
	}
	o.plan = plan
	return nil
}

// online runs the one build under jtune's jobserver and steers its N from
// window to window; the build's output goes where jtune's would, and its
// exit code is jtune's when it fails.
func (t *tuneRun) online() error {
	o, rec := t.o, t.rec
	t.out.Printf("jtune: one build under jtune's jobserver: %s\n", o.plan)
	runner, err := t.runner()
	if err != nil {
		return err
	}
	sp := tuner.OnlineSpace{Min: rec.Settings.MinJobs, Max: rec.Settings.MaxJobs, Start: rec.FormulaJobs}
	start := tuner.OnlineStart(sp)
	buildOut := t.stdout
	if o.json {
		buildOut = t.stderr // stdout is for the one JSON object
	}
	live, err := runner.StartLive(t.sigs.Ctx, probe.LiveRequest{Jobs: start, Load: rec.Load, Stdout: buildOut, Stderr: t.stderr, Plan: &o.plan})
	if err != nil {
		return err
	}
	settings := tuner.OnlineSettings{FormulaJobs: rec.FormulaJobs, Min: sp.Min, Max: sp.Max, Load: rec.Load,
		Tolerance: rec.Settings.Tolerance, MaxLoad: o.maxLoad, Tick: o.sampleInterval,
		OnWindow: func(ws []tuner.Window, now int) error {
			rec.Online.Windows = ws
			err := t.save()
			t.out.Window(ws[len(ws)-1], now)
			return err
		},
	}
	if o.maxTemp > 0 {
		// Heat lowers N first; the thermal guard pauses the build only
		// at --max-temp.
		settings.HeatC = o.maxTemp - 5
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
	if code := lr.Final.ExitCode; code != 0 {
		return buildFailedError{code}
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

// buildFailedError means the build jtune ran online failed: jtune exits
// with its status, after the report.
type buildFailedError struct{ code int }

func (e buildFailedError) Error() string {
	return fmt.Sprintf("the build failed with exit code %d", e.code)
}

// exitStatus is the build's code as jtune's own: 1 to 255.
func (e buildFailedError) exitStatus() int { return int(math.Max(1, math.Min(255, float64(e.code)))) }
