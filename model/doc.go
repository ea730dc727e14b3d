// Package model holds models of how long a build takes against its make
// -jN, so that jtune can choose N with fewer real builds, each of which
// costs minutes: a Gaussian-process surrogate fitted to the builds so far
// (FitGP), which a Bayesian search queries for the next N and for the
// recommendation, and a simulated distcc farm (Farm) to test searches on
// without a farm.
//
// The surrogate works in log N and log seconds, because build time is
// scale-free in N and its noise is relative. It knows three kinds of
// build: a finished one is a time; one stopped early is a lower bound
// (Observation.Censored), which must still push the curve up; and a failed
// or overloaded one marks N and above as infeasible, which the model only
// records, since a failure says nothing about how long a build would have
// taken. Acquisitions are expected improvement and its logarithm; use
// LogExpectedImprovement to rank candidates, because far from the
// incumbent EI underflows to zero for whole ranges of N.
//
// Fits are deterministic for a given GPSettings.Rand seed, so a session
// replays exactly. The package depends on the standard library and gonum
// only, and on nothing else in this repository, so that the tuner and
// test harnesses can share it.
package model
