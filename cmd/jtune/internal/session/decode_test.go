package session

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/jtune/jtune/tuner"
)

// valid is a small finished session of the current version.
func valid() *Record {
	r := New(Record{
		Command: []string{"make"}, FormulaJobs: 5, StartJobs: 5, Load: 2,
		Settings: Settings{Strategy: "bayes", MinJobs: 2, MaxJobs: 20, Budget: 8, Tolerance: 0.01},
	})
	r.Trials = []tuner.Trial{{Jobs: 5, Load: 2, Status: tuner.StatusOK, Measurement: tuner.Measurement{WallSeconds: 12}}}
	r.Recommended = &tuner.Recommendation{Jobs: 5, Load: 2, ExpectedSeconds: 12, Reason: "fastest build"}
	r.MakeOpts, r.Outcome = "-j5 -l2", string(tuner.Converged)
	return r
}

func TestDecodeChecksEveryField(t *testing.T) {
	tests := []struct {
		name   string
		change func(r map[string]any)
		want   string // in the error; "" for a good file
	}{
		{"a good file", func(map[string]any) {}, ""},
		{"no version", func(r map[string]any) { delete(r, "version") }, `no "version" field`},
		{"a newer version", func(r map[string]any) { r["version"] = 9 }, "newer than this jtune reads"},
		{"no command", func(r map[string]any) { r["command"] = []string{} }, `"command" is empty`},
		{"zero jobs", func(r map[string]any) { trial(r)["jobs"] = 0 }, `"trials[0]": "jobs" is 0`},
		{"negative jobs", func(r map[string]any) { trial(r)["jobs"] = -5 }, `"trials[0]": "jobs" is -5`},
		{"a negative time", func(r map[string]any) { trial(r)["wall_seconds"] = -1 }, `"wall_seconds" is -1`},
		{"an unknown status", func(r map[string]any) { trial(r)["status"] = "fine" }, `"status" "fine" isn't one of`},
		{"an empty range", func(r map[string]any) { settings(r)["min_jobs"] = 0; settings(r)["max_jobs"] = 0 }, `"settings.min_jobs" is 0`},
		{"a start outside the range", func(r map[string]any) { r["start_jobs"] = 99 }, `"start_jobs" 99 is outside the range -j2..-j20`},
		{"an unknown strategy", func(r map[string]any) { settings(r)["strategy"] = "random" }, `"settings.strategy" "random"`},
		{"an unknown outcome", func(r map[string]any) { r["outcome"] = "done" }, `"outcome" "done"`},
		{"a bad recommendation", func(r map[string]any) { r["recommended"].(map[string]any)["jobs"] = -3 }, `"recommended.jobs" is -3`},
		{"started from an online session", func(r map[string]any) {
			r["from"] = map[string]any{"state": "online.json", "online_jobs": 7, "plausible_jobs": []int{6, 9}}
		}, ""},
		{"started from no session", func(r map[string]any) { r["from"] = map[string]any{"online_jobs": 7} }, `"from" names no online session`},
		{"text for a number", func(r map[string]any) { trial(r)["jobs"] = "five" }, `field "trials.jobs" holds a JSON string where a whole number belongs`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]any
			data, _ := json.Marshal(valid())
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			tt.change(m)
			data, _ = json.Marshal(m)
			_, err := Decode(data)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Decode: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Decode error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func trial(r map[string]any) map[string]any    { return r["trials"].([]any)[0].(map[string]any) }
func settings(r map[string]any) map[string]any { return r["settings"].(map[string]any) }

func TestDecodeNotJSON(t *testing.T) {
	for data, want := range map[string]string{
		"":              "empty or cut short",
		`{"version": 2`: "empty or cut short",
		"hello":         "not JSON (at byte 1",
		`{"version":1}`: `"command" is empty`,
	} {
		if _, err := Decode([]byte(data)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Decode(%q) = %v, want an error containing %q", data, err, want)
		}
	}
}

// TestDecodeMigratesVersion1 reads a state file of schema version 1, whose
// warnings were strings and which had no start_jobs.
func TestDecodeMigratesVersion1(t *testing.T) {
	data, err := os.ReadFile("testdata/v1.json")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != Version || r.StartJobs != 13 || len(r.Warnings) != 1 || r.Warnings[0].Kind != WarnFromV1 ||
		r.Warnings[0].Message != "the earlier state file was kept as jtune-state.json.bak" {
		t.Errorf("migrated record: version %d, start %d, warnings %+v", r.Version, r.StartJobs, r.Warnings)
	}
	// What is written back is the current version, and reads the same.
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(r); err != nil {
		t.Fatal(err)
	}
	again, err := Decode(buf.Bytes())
	if err != nil || again.MakeOpts != r.MakeOpts || len(again.Trials) != len(r.Trials) || again.Warnings[0] != r.Warnings[0] {
		t.Errorf("the migrated record does not round-trip: %v", err)
	}
}
