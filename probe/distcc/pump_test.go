package distcc

import (
	"testing"
)

// The no-answer message is one long line in distcc (clirpc.c); spelling it
// out once keeps the table readable.
func TestParsePumpLine(t *testing.T) {
	tests := []struct {
		line string
		ok   bool
		want PumpEvent
	}{
		{"__________Using distcc-pump from /usr/bin", true, PumpEvent{}},
		{"__________Using 2 distcc servers in pump mode", true, PumpEvent{Servers: 2}},
		{"__________Using 1 distcc server in pump mode", true, PumpEvent{Servers: 1}},
		{"__________Using 3 distcc servers, of which only 1 support(s) pump mode", true, PumpEvent{Servers: 1, Config: ConfigPumpHostsWithoutCPP}},
		{"__________Started distcc-pump include server", true, PumpEvent{}},
		{"__________Shutting down distcc-pump include server", true, PumpEvent{}},
		{"__________Shutting down distcc-pump include server\r", true, PumpEvent{}},
		{"__________Found 3 available distcc servers", true, PumpEvent{}},
		{"__________Could not start distcc-pump include server", true, PumpEvent{Config: ConfigPumpIncludeServer}},
		{"__________Warning: distcc-pump include server failed; running unpumped", true, PumpEvent{Config: ConfigPumpIncludeServer}},
		{"__________Expected a socket at '/tmp/distcc-pump.x/socket'", true, PumpEvent{Config: ConfigPumpIncludeServer}},
		{"__________Warning: 2 pump-mode compilation(s) failed on server, but succeeded locally.", true, PumpEvent{Config: ConfigPumpDiscrepancy}},
		{"__________Distcc-pump was demoted to plain mode.", true, PumpEvent{Config: ConfigPumpDiscrepancy}},
		{"WARNING include server: Preprocessing locally. Include server internal error", true, PumpEvent{Config: ConfigPumpIncludeServer}},
		{"Using distcc-pump from /usr/bin", false, PumpEvent{}},
		{"distcc[1] Warning: __________", false, PumpEvent{}},
	}
	for _, tt := range tests {
		got, ok := ParsePumpLine(tt.line)
		if ok != tt.ok || got != tt.want {
			t.Errorf("ParsePumpLine(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}
