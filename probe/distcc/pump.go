package distcc

import (
	"strconv"
	"strings"
)

// pumpTag starts every line the pump wrapper (distcc-pump) prints itself.
const pumpTag = "__________"

// includeServerTag starts the include server's own warnings, which pump
// prints when it shuts the server down.
const includeServerTag = "WARNING include server: "

// PumpEvent is what one of pump's own lines says. Its startup and
// shutdown notices ("Using distcc-pump from /usr/bin", "Using 2 distcc
// servers in pump mode", "Shutting down distcc-pump include server") are
// neither failures nor errors; the lines that report a problem carry a
// Config* kind.
type PumpEvent struct {
	Servers int    // from "Using N distcc servers in pump mode": the pump-mode hosts
	Config  string // a Config* kind for a line that reports a problem
}

// ParsePumpLine classifies one line of pump's (the distcc-pump script's
// echo lines, and the include server's warnings); ok is false for other
// lines.
func ParsePumpLine(line string) (PumpEvent, bool) {
	line = strings.TrimSuffix(line, "\r")
	if strings.HasPrefix(line, includeServerTag) {
		return PumpEvent{Config: ConfigPumpIncludeServer}, true
	}
	m, ok := strings.CutPrefix(line, pumpTag)
	if !ok {
		return PumpEvent{}, false
	}
	var ev PumpEvent
	switch {
	case strings.HasPrefix(m, "Using ") && strings.Contains(m, " distcc server"):
		// "Using N distcc servers in pump mode" or "Using N distcc
		// servers, of which only M support(s) pump mode".
		f := strings.Fields(m)
		ev.Servers, _ = strconv.Atoi(f[1])
		if _, only, found := strings.Cut(m, "of which only "); found {
			ev.Servers, _ = strconv.Atoi(strings.Fields(only)[0])
			ev.Config = ConfigPumpHostsWithoutCPP
		}
	case strings.HasPrefix(m, "Could not start distcc-pump include server"),
		strings.HasPrefix(m, "Warning: distcc-pump include server failed"),
		strings.HasPrefix(m, "Expected a socket at"):
		ev.Config = ConfigPumpIncludeServer
	case strings.HasPrefix(m, "Distcc-pump was demoted to plain mode"),
		strings.HasPrefix(m, "Warning: ") && strings.Contains(m, "pump-mode compilation(s) failed on server"):
		ev.Config = ConfigPumpDiscrepancy
	}
	return ev, true
}
