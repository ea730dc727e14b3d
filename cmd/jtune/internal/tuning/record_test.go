package tuning

import (
	"strings"
	"testing"

	"github.com/jtune/jtune/cmd/jtune/internal/farm"
	"github.com/jtune/jtune/probe/distcc"
)

func mustFarm(t *testing.T, spec string) farm.Farm {
	t.Helper()
	if spec == "" {
		return farm.Farm{}
	}
	hosts, err := distcc.ParseHosts(spec)
	if err != nil {
		t.Fatal(err)
	}
	return farm.Farm{Spec: spec, Hosts: hosts}
}

func TestNewRecordRange(t *testing.T) {
	tests := []struct {
		name             string
		spec             string
		minJobs, maxJobs int
		wantMin, wantMax int
		wantStart        int
		wantErr          string
	}{
		// From this machine's 2 CPUs to max(4 x N0, slot sum) = 4 x 13,
		// above the seed farm's 10 slots.
		{"seed farm", "localhost/2 127.0.0.2 127.0.0.3", 0, 0, 2, 52, 13, ""},
		// Localhost counts as 2 cores in N0 = 5, but distcc gives it 40
		// slots, which raise the ceiling above 4 x N0.
		{"slot sum above 4 x N0", "localhost/40", 0, 0, 2, 40, 5, ""},
		{"explicit range", "localhost/2 127.0.0.2 127.0.0.3", 5, 20, 5, 20, 13, ""},
		// The user's range wins over N0: the search starts at its nearest N.
		{"range above N0", "localhost/2 127.0.0.2 127.0.0.3", 20, 30, 20, 30, 20, ""},
		{"range below N0", "", 1, 3, 1, 3, 3, ""},
		{"only a bottom above the default top", "", 30, 0, 30, 120, 30, ""},
		{"min above max", "", 9, 5, 0, 0, 0, "range bottom 9 is above its top 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Options{Cores: 2, Min: tt.minJobs, Max: tt.maxJobs, Strategy: "golden", Budget: 8, Command: []string{"make"}}
			r, err := newRecord(o, mustFarm(t, tt.spec), 2)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Range(); got.Min != tt.wantMin || got.Max != tt.wantMax || r.StartJobs != tt.wantStart {
				t.Errorf("range %v starting at %d, want -j%d..-j%d starting at %d (N0 %d)", got, r.StartJobs, tt.wantMin, tt.wantMax, tt.wantStart, r.FormulaJobs)
			}
		})
	}
}
