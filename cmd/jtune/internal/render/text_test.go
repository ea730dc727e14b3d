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
