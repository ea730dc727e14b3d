package render

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/jtune/jtune/cmd/jtune/internal/session"
	"github.com/jtune/jtune/tuner"
)

var update = flag.Bool("update", false, "rewrite golden files")

// checkGolden compares got with testdata/name, after writing it there
// under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s:\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}

// mixed is a session with a build of every kind the table must show: a
// lower bound for a build stopped early, a failure with its stderr, and
// a build stopped in a failure cascade that turned out not to be one.
func mixed(outcome string) *session.Record {
	trial := func(jobs int, st tuner.Status, secs float64, m tuner.Measurement) tuner.Trial {
		m.WallSeconds = secs
		return tuner.Trial{Jobs: jobs, Load: 2, Status: st, Measurement: m}
	}
	r := session.New(session.Record{
		Command: []string{"make"}, FormulaJobs: 5, Formula: "2 x 2 local cores + 1 = 5", StartJobs: 5, Load: 2,
		Settings: session.Settings{Strategy: "bayes", MinJobs: 2, MaxJobs: 20, Budget: 8, Tolerance: 0.01},
		Outcome:  outcome,
	})
	r.Trials = []tuner.Trial{
		trial(5, tuner.StatusOK, 22.2, tuner.Measurement{}),
		trial(12, tuner.StatusAborted, 17, tuner.Measurement{Aborted: true, StoppedFor: tuner.StopBehind, BoundSeconds: 24.8}),
		trial(3, tuner.StatusFailed, 4.1, tuner.Measurement{ExitCode: 2, StderrTail: "cc1: out of memory\n\nmake: *** [Makefile:9: obj/a.o] Error 1\nmake: *** Waiting for unfinished jobs....\n"}),
		trial(8, tuner.StatusAborted, 2.5, tuner.Measurement{Aborted: true, StoppedFor: tuner.StopFailures, DistccFailures: 10}),
		trial(4, tuner.StatusOK, 25.0, tuner.Measurement{}),
	}
	for i, tr := range r.Trials {
		// Every N had 10 failures, so the one stopped at 10 was not overload.
		r.Trials[i].Status, r.Trials[i].Reason = tuner.Classify(tr.Measurement, tr.Jobs, []tuner.Trial{trial(2, tuner.StatusOK, 30, tuner.Measurement{DistccFailures: 10})}, 0)
	}
	if outcome != session.OutcomeRunning {
		rec, _ := r.Analysis().Recommend(tuner.Bayes, 2)
		r.Recommended, r.MakeOpts = &rec, rec.MakeOpts()
	}
	return r
}

func TestTextAndMarkdownGolden(t *testing.T) {
	for _, tt := range []struct {
		name    string
		outcome string
	}{
		{"finished", string(tuner.Converged)},
		{"running", session.OutcomeRunning},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := mixed(tt.outcome)
			var text, md bytes.Buffer
			if err := Text(&text, r, Style{}); err != nil {
				t.Fatal(err)
			}
			if err := Markdown(&md, r); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tt.name+".txt", text.Bytes())
			checkGolden(t, tt.name+".md", md.Bytes())
		})
	}
}

// online is a finished online session: windows of one build, an
// overloaded one among them.
func online() *session.Record {
	temp := 71.0
	r := session.New(session.Record{
		Command: []string{"make"}, FormulaJobs: 13, Formula: "2 x (2 localhost + 4 127.0.0.2) + 1 = 13", StartJobs: 7, Load: 2,
		Settings: session.Settings{Strategy: "online", MinJobs: 2, MaxJobs: 52, Tolerance: 0.01},
		Outcome:  string(tuner.Converged),
		Online: &session.Online{Jobserver: "fifo", Client: "GNU Make 4.4.1", BuildSeconds: 412.5, JobsCompleted: 1800, MeasuredShare: 0.71,
			Windows: []tuner.Window{
				{Jobs: 7, StartSeconds: 12, Seconds: 40, Completed: 60, Throughput: 1.5, MaxLoad: 2.1, Fair: true},
				{Jobs: 11, StartSeconds: 55, Seconds: 30, Completed: 72, Throughput: 2.4, MaxLoad: 2.9, MaxTempC: &temp, Fair: true},
				{Jobs: 17, StartSeconds: 88, Seconds: 4, Completed: 9, Throughput: 2.25, Failures: 6, MaxLoad: 3.5,
					Cause: tuner.CauseOverload, Reason: "6 distcc failures in 1 s"},
				{Jobs: 11, StartSeconds: 95, Seconds: 31, Completed: 74, Throughput: 2.39, MaxLoad: 2.8, Fair: true},
				{Jobs: 11, StartSeconds: 380, Seconds: 30, Completed: 20, Throughput: 0.67, Cause: tuner.CauseIdle, Reason: "not every job slot was busy"},
			}},
	})
	rec, _ := tuner.RecommendOnline(r.Online.Windows, tuner.OnlineSpace{Min: 2, Max: 52, Start: 13}, 2)
	r.Recommended, r.MakeOpts = &rec, rec.MakeOpts()
	return r
}

func TestOnlineGolden(t *testing.T) {
	r := online()
	var text, md, csv bytes.Buffer
	for _, err := range []error{Text(&text, r, Style{}), Markdown(&md, r), CSV(&csv, r)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	checkGolden(t, "online.txt", text.Bytes())
	checkGolden(t, "online.md", md.Bytes())
	checkGolden(t, "online.csv", csv.Bytes())
}
