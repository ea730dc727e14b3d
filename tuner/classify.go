package tuner

import (
	"fmt"
	"slices"
)

// Overload thresholds on distcc's "failed to distribute" count. A build is
// overloaded when it has at least overloadMinFailures failures and more
// than overloadFactor times the most seen at any lower N. A failure level
// that lower N share points at a broken host, not at too many jobs.
const (
	overloadMinFailures = 3
	overloadFactor      = 2
)

// swapOverload is how much swap a build may add before it counts as
// overloaded: a master that swaps under a big -j is the classic failure,
// while a few MiB move out for unrelated reasons on any busy machine.
const swapOverload = 64 << 20

// Classify gives the status of a build at jobs from its measurement and
// the other builds of the session. Only clean builds at lower N set the
// failure level that counts as overload: an overloaded build below says
// nothing about what is normal. maxLoad is the load average above which a
// build is overloaded; zero means no limit.
func Classify(m Measurement, jobs int, others []Trial, maxLoad float64) (Status, string) {
	switch {
	case m.Interrupted:
		return StatusInterrupted, "stopped by the user"
	case m.Critical:
		return StatusThermal, "stopped at the critical CPU temperature"
	case m.Thermal:
		return StatusThermal, fmt.Sprintf("paused %.0f s to cool down; the time is not a clean measurement", m.PausedSeconds)
	case m.ExitCode != 0 && !m.TimedOut && !m.Aborted:
		// A build jtune stopped exits non-zero; that is not a failure.
		return StatusFailed, fmt.Sprintf("exit code %d", m.ExitCode)
	case maxLoad > 0 && m.MaxLoad > maxLoad:
		return StatusOverloaded, fmt.Sprintf("load average %.1f went above the limit of %g", m.MaxLoad, maxLoad)
	case m.SwapGrowthBytes >= swapOverload:
		return StatusOverloaded, fmt.Sprintf("the master swapped out %d MiB during the build", m.SwapGrowthBytes>>20)
	}
	// Overload is judged before a stop for time: the failures, load and
	// swap of a build cut short only grow with more time, and a build
	// stopped in the middle of a failure cascade is a cap on N, not just
	// a slow one.
	baseline := failureBaseline(others, jobs)
	switch {
	case m.DistccFailures >= overloadMinFailures && m.DistccFailures > overloadFactor*baseline:
		return StatusOverloaded, fmt.Sprintf("%d distcc failures, against at most %d at lower -j", m.DistccFailures, baseline)
	case m.TimedOut:
		return StatusTimeout, fmt.Sprintf("stopped after %.0f s", m.WallSeconds)
	case m.Aborted && m.StoppedFor == StopFailures:
		return StatusAborted, fmt.Sprintf("stopped at %d distcc failures, but lower N have as many: not overload, and its time is not measured", m.DistccFailures)
	case m.Aborted && m.BoundSeconds > m.WallSeconds:
		return StatusAborted, fmt.Sprintf("stopped after %.1f s: its compile lines fell clearly behind the best build's; it would take at least %.1f s", m.WallSeconds, m.BoundSeconds)
	case m.Aborted:
		return StatusAborted, fmt.Sprintf("stopped after %.1f s, already clearly slower than the best build", m.WallSeconds)
	}
	return StatusOK, ""
}

// failureBaseline is the most distcc failures of a clean build below
// jobs: every build compiles the same units, so this is the failure rate
// that has nothing to do with too many jobs.
func failureBaseline(trials []Trial, jobs int) int {
	baseline := 0
	for _, t := range trials {
		if t.Status == StatusOK && t.Jobs < jobs {
			baseline = max(baseline, t.DistccFailures)
		}
	}
	return baseline
}

// reclassify judges the completed builds again in the light of all the
// others, since a build at a lower N, run later, can show that a failure
// level was there all along: the mark of a broken or refusing host, not
// of too many jobs. Builds at or below floorJobs (the bottom of the
// range, this machine's CPU count by default) are never overloaded by
// distcc failures, as so few jobs cannot overload distcc.
func reclassify(trials []Trial, maxLoad float64, floorJobs int) {
	// From the lowest N up, so each build is judged against final
	// verdicts below it.
	order := make([]int, len(trials))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return trials[a].Jobs - trials[b].Jobs })
	for _, i := range order {
		t := trials[i]
		if t.Status != StatusOK && t.Status != StatusOverloaded {
			continue
		}
		trials[i].Status, trials[i].Reason = Classify(t.Measurement, t.Jobs, trials, maxLoad)
		if t.Jobs <= floorJobs && trials[i].Status == StatusOverloaded {
			calm := t.Measurement
			calm.DistccFailures = 0
			if st, reason := Classify(calm, t.Jobs, trials, maxLoad); st != StatusOverloaded {
				trials[i].Status, trials[i].Reason = st, reason
			}
		}
	}
}
