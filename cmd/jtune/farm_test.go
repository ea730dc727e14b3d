package main

import (
	"strings"
	"testing"

	"github.com/jtune/jtune/probe/distcc"
)

func mustFarm(t *testing.T, spec string) farm {
	t.Helper()
	if spec == "" {
		return farm{}
	}
	hosts, err := distcc.ParseHosts(spec)
	if err != nil {
		t.Fatal(err)
	}
	return farm{Spec: spec, Hosts: hosts}
}

func TestMakePlanDefaultRange(t *testing.T) {
	tests := []struct {
		name             string
		spec             string
		minJobs, maxJobs int
		wantMin, wantMax int
		wantErr          string
	}{
		// From this machine's 2 CPUs to max(4 x N0, slot sum) = 4 x 13,
		// above the seed farm's 10 slots.
		{"seed farm", "localhost/2 127.0.0.2 127.0.0.3", 0, 0, 2, 52, ""},
		// Localhost counts as 2 cores in N0 = 5, but distcc gives it 40
		// slots, which raise the ceiling above 4 x N0.
		{"slot sum above 4 x N0", "localhost/40", 0, 0, 2, 40, ""},
		{"explicit range", "localhost/2 127.0.0.2 127.0.0.3", 5, 20, 5, 20, ""},
		{"range above N0", "localhost/2 127.0.0.2 127.0.0.3", 20, 30, 0, 0, "must contain the formula's N0 = 13"},
		{"min above max", "", 9, 5, 0, 0, "--min 9 is above --max 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := options{cores: 2, minJobs: tt.minJobs, maxJobs: tt.maxJobs, strategy: "golden", budget: 8}
			p, err := makePlan(o, mustFarm(t, tt.spec), 2)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.minJobs != tt.wantMin || p.maxJobs != tt.wantMax {
				t.Errorf("range %d..%d, want %d..%d (N0 %d)", p.minJobs, p.maxJobs, tt.wantMin, tt.wantMax, p.formulaN)
			}
		})
	}
}
