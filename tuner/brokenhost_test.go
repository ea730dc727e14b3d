package tuner

import (
	"strings"
	"testing"
)

func TestBrokenHostWarnings(t *testing.T) {
	dead := map[string]int{"10.213.2.2:3632": 2}
	trial := func(jobs int, st Status, hosts map[string]int) Trial {
		m := Measurement{DistccErrorHosts: hosts}
		if hosts != nil {
			m.DistccErrors = map[string]int{"connect_refused": 2}
		}
		return Trial{Jobs: jobs, Status: st, Measurement: m}
	}
	tests := []struct {
		name   string
		trials []Trial
		want   string // substring of the one warning; "" for none
	}{
		{"dead at every N", []Trial{trial(2, StatusOK, dead), trial(8, StatusOK, dead), trial(5, StatusOK, dead)},
			"distcc host 10.213.2.2:3632 failed in every build, at every N (distcc errors: connect_refused)"},
		{"an aborted build without errors does not clear it", []Trial{trial(2, StatusOK, dead), trial(8, StatusAborted, nil), trial(5, StatusOK, dead)},
			"10.213.2.2:3632 failed in every build"},
		{"errors only at high N are not a dead host", []Trial{trial(2, StatusOK, nil), trial(8, StatusOK, dead)}, ""},
		{"one build says nothing", []Trial{trial(2, StatusOK, dead)}, ""},
		{"no errors", []Trial{trial(2, StatusOK, nil), trial(4, StatusOK, nil)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := brokenHostWarnings(tt.trials)
			switch {
			case tt.want == "" && len(got) != 0:
				t.Errorf("warnings %q, want none", got)
			case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0].Message, tt.want) || got[0].Kind != WarnBrokenHost || got[0].Host != "10.213.2.2:3632"):
				t.Errorf("warnings %q, want one containing %q", got, tt.want)
			}
		})
	}
}
