// Package tuning conducts a tuning session on real builds: it makes the
// session's record and takes its state file, runs the builds the tuner
// asks for (offline) or steers one build under jtune's jobserver
// (online), saves the record after every build or window, and ends with
// the report, the plot and make.conf. It is the jtune command's glue
// between session, probe, tuner and ui; it parses no flags.
package tuning

import (
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/jtune/jtune/cmd/jtune/internal/farm"
	"github.com/jtune/jtune/cmd/jtune/internal/interrupt"
	"github.com/jtune/jtune/cmd/jtune/internal/makeconf"
	"github.com/jtune/jtune/cmd/jtune/internal/render"
	"github.com/jtune/jtune/cmd/jtune/internal/session"
	"github.com/jtune/jtune/cmd/jtune/internal/ui"
	"github.com/jtune/jtune/probe"
	"github.com/jtune/jtune/tuner"
)

// WarnOwnJobs is the kind of warning that the command sets its own -j.
const WarnOwnJobs tuner.WarningKind = "command_sets_jobs"

// run is a tuning session under way: what the command line asked, the
// farm, the session's record and state file, and where progress goes.
// Offline sessions (several builds) and online ones (one build, steered)
// share it.
type run struct {
	o              Options
	f              farm.Farm
	sigs           *interrupt.Signals
	rec            *session.Record
	out            *ui.Console
	store          *session.Store
	stdout, stderr io.Writer
	announced      bool // the backup of the earlier state file was named
}

// Run runs the session on farm f: the builds, the report on stdout,
// progress on stderr, the plot and make.conf. hostWarnings are what the
// check of the farm found. A signal that sigs received ends the session
// early with an InterruptedError, after the report.
func Run(sigs *interrupt.Signals, o Options, f farm.Farm, hostWarnings []tuner.Warning, stdout, stderr io.Writer) error {
	t := &run{o: o, f: f, sigs: sigs, stdout: stdout, stderr: stderr, out: ui.New(stderr, o.Quiet, o.NoColor || o.Online)}
	refLines := session.EarlierCompileLines(o.State, o.Command)
	if err := t.start(hostWarnings); err != nil {
		return err
	}
	defer t.store.Close()
	var err error
	if t.o.Online {
		err = t.online()
	} else {
		t.out.EarlierLines(refLines)
		err = t.offline()
	}
	if sig, ok := sigs.Received(); ok && (err == nil || errors.Is(err, tuner.ErrInterrupted)) {
		return InterruptedError{sig}
	}
	return err
}

// start makes the session's record, warns about what is known before any
// build, takes the state file and stops a build that a jtune which died
// left running.
func (t *run) start(hostWarnings []tuner.Warning) error {
	rec, err := newRecord(t.o, t.f, runtime.NumCPU())
	if err != nil {
		return err
	}
	t.rec = rec
	t.warn(hostWarnings...)
	t.warn(t.f.Warnings()...)
	t.warn(makeconf.Pitfalls(t.o.ReadMakeConf, t.o.WriteMakeConf, len(t.f.Live().Hosts) > 0)...)
	if own, ok := probe.OwnJobs(t.o.Command); ok && !t.o.Online {
		t.warn(tuner.Warning{Kind: WarnOwnJobs, Subject: own,
			Message: fmt.Sprintf("the command's own %s is overridden by the -jN jtune appends to every build", own)})
	}
	if t.store, err = openSession(&t.o, rec); err != nil {
		return err
	}
	var stale probe.BuildProcess
	if t.store.StaleBuild(&stale) {
		if stopped, err := probe.StopStale(stale); stopped {
			t.out.Printf("jtune: stopped the build (process group %d) that a jtune which died left running\n", stale.Pgid)
		} else if err != nil {
			t.out.Printf("jtune: could not stop the build a jtune which died left running (process group %d): %v\n", stale.Pgid, err)
		}
		_ = t.store.RunningBuild(nil)
	}
	t.out.Header(rec, t.f.Hosts.String())
	if from := rec.From; from != nil {
		t.out.Printf("jtune: confirming the online session in %s: the search starts at its -j%d, in %s\n", from.State, from.OnlineJobs, rec.Range())
	} else if rec.StartJobs != rec.FormulaJobs && !t.o.Online {
		t.out.Printf("jtune: N0 = %d lies outside %s: the search starts at -j%d\n", rec.FormulaJobs, rec.Range(), rec.StartJobs)
	}
	if t.o.Resume {
		t.out.Printf("jtune: resuming %s: %s done\n", t.o.State, render.Builds(rec.Builds()))
	}
	return nil
}

// warn adds warnings to the record and shows the new ones.
func (t *run) warn(ws ...tuner.Warning) {
	for _, w := range ws {
		n := len(t.rec.Warnings)
		if t.rec.Warn(w); len(t.rec.Warnings) > n {
			t.out.Warn(w)
		}
	}
}

// save writes the record, once the session has begun in earnest: until
// then an earlier session's file is left alone.
func (t *run) save() error {
	if !t.o.Resume && !t.rec.Started() && t.rec.Online == nil {
		return nil
	}
	if err := t.store.Save(t.rec); err != nil {
		return err
	}
	if b := t.store.Backup(); b != "" && !t.announced {
		t.out.Printf("jtune: the earlier state file was kept as %s\n", b)
		t.announced = true
	}
	return nil
}
