package tuner

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// WarningKind says what a warning is about, so that a caller can add
// advice of its own (a flag to change, a file to check) and tell two
// warnings of one kind apart from two of different kinds.
type WarningKind string

// The kinds of warning the tuner gives. Other packages declare their own
// kinds of the same type.
const (
	// WarnBestAtTop: the best N is the top of the range, so a larger N
	// might be faster still. Jobs is that N.
	WarnBestAtTop WarningKind = "best_at_top_of_range"
	// WarnNoCleanBuild: no build finished cleanly, so nothing measured
	// can be recommended.
	WarnNoCleanBuild WarningKind = "no_clean_build"
	// WarnFailuresAtEveryN: every clean build had distcc failures, low N
	// too: a host refuses work; the failures say nothing about N. Jobs
	// is the lowest failure count.
	WarnFailuresAtEveryN WarningKind = "failures_at_every_n"
	// WarnBrokenHost: distcc reported errors for Host in every build, at
	// every N: it is down or refusing, not overloaded.
	WarnBrokenHost WarningKind = "broken_host"
	// WarnOutOfTime: the session stopped before building Jobs, which
	// would not have finished within the time budget.
	WarnOutOfTime WarningKind = "out_of_time"
)

// Warning is something the user should know about a session's result.
// Jobs, Host and Subject say what it is about, when that applies; two
// warnings of the same kind about the same thing are one warning.
type Warning struct {
	Kind    WarningKind `json:"kind"`
	Message string      `json:"message"`
	Jobs    int         `json:"jobs,omitempty"`
	Host    string      `json:"host,omitempty"`
	// Subject is what the warning is about when that is neither an N nor
	// a host: a file, a sensor, a distcc setting.
	Subject string `json:"subject,omitempty"`
}

func (w Warning) String() string { return w.Message }

// same reports whether w and o say the same thing about the same subject.
func (w Warning) same(o Warning) bool {
	return w.Kind == o.Kind && w.Jobs == o.Jobs && w.Host == o.Host && w.Subject == o.Subject
}

// AddWarnings appends the warnings of add that list does not hold yet, by
// kind and subject, keeping the first of each.
func AddWarnings(list []Warning, add ...Warning) []Warning {
	for _, w := range add {
		if !slices.ContainsFunc(list, w.same) {
			list = append(list, w)
		}
	}
	return list
}

// sessionWarnings are what the builds of a session say as a whole.
func sessionWarnings(trials []Trial, s Settings) []Warning {
	var w []Warning
	o := observe(trials)
	if rec, ok := recommendMeasured(o, s.Tolerance, s.Load); ok {
		if rec.Jobs == s.Max && o.capAt == math.MaxInt {
			w = append(w, Warning{Kind: WarnBestAtTop, Jobs: s.Max,
				Message: fmt.Sprintf("the best N is the top of the range (-j%d): a larger N may be faster still", s.Max)})
		}
	} else if o.builds > 0 {
		w = append(w, Warning{Kind: WarnNoCleanBuild, Message: "no build finished cleanly, so there is no measured recommendation"})
	}
	if lo := lowestFailures(trials); lo >= overloadMinFailures {
		hosts := failingHosts(trials)
		msg := fmt.Sprintf("every build had at least %d distcc failures, at low N too: that points at a broken or refusing host, not at too many jobs", lo)
		if len(hosts) > 0 {
			msg = fmt.Sprintf("every build had at least %d distcc failures, at low N too, on %s: a host that answers but refuses work (or is broken), not too many jobs",
				lo, strings.Join(hosts, ", "))
		}
		w = append(w, Warning{Kind: WarnFailuresAtEveryN, Jobs: lo, Host: strings.Join(hosts, " "), Message: msg})
	}
	w = append(w, brokenHostWarnings(trials)...)
	for _, t := range trials {
		w = AddWarnings(w, t.Warnings...)
	}
	return w
}

// brokenHostWarnings names the hosts that distcc reported errors for
// (refused or failed connections) in every build of the session, at low
// N as at high N. distcc 3.4 moves the jobs of a dead host to the other
// hosts, so such a host shows up as errors rather than failures, and
// since it fails at every N it says nothing about N: overload grows with
// N instead. One build is not enough to tell the two apart.
func brokenHostWarnings(trials []Trial) []Warning {
	builds := 0
	seen := map[string]int{}
	var kinds []string
	for _, t := range trials {
		if !t.counts() || t.Status == StatusAborted {
			continue // an aborted build may have stopped before any error
		}
		builds++
		for h := range t.DistccErrorHosts {
			seen[h]++
		}
		for k := range t.DistccErrors {
			if !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
	}
	if builds < 2 {
		return nil
	}
	slices.Sort(kinds)
	var w []Warning
	for _, h := range slices.Sorted(maps.Keys(seen)) {
		if seen[h] == builds {
			w = append(w, Warning{Kind: WarnBrokenHost, Host: h,
				Message: fmt.Sprintf("distcc host %s failed in every build, at every N (distcc errors: %s): it is down or refusing, not overloaded",
					h, strings.Join(kinds, ", "))})
		}
	}
	return w
}

// failingHosts are the hosts that distcc gave up on in every clean build,
// from the hosts its failure lines name.
func failingHosts(trials []Trial) []string {
	seen, builds := map[string]int{}, 0
	for _, t := range trials {
		if t.Status != StatusOK {
			continue
		}
		builds++
		for h := range t.DistccFailureHosts {
			seen[h]++
		}
	}
	var hosts []string
	for _, h := range slices.Sorted(maps.Keys(seen)) {
		if seen[h] == builds {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// lowestFailures is the fewest distcc failures of any clean build, or 0
// when there are fewer than two clean builds to judge by.
func lowestFailures(trials []Trial) int {
	lowest, n := math.MaxInt, 0
	for _, t := range trials {
		if t.Status == StatusOK {
			lowest, n = min(lowest, t.DistccFailures), n+1
		}
	}
	if n < 2 {
		return 0
	}
	return lowest
}
