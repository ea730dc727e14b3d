// Package model is the surrogate that lets jtune choose the N of make -jN
// with few real builds, each of which costs minutes: a Gaussian process
// over log build time against log N, fitted to the builds so far (FitGP),
// which a Bayesian search asks for the next N and for the recommendation,
// ranking candidates by expected improvement (LogExpectedImprovement). It
// knows three kinds of build: a finished one is a time, one stopped early
// is a lower bound (Observation.Censored), and a failed or overloaded one
// marks N and above as infeasible (Observation.Infeasible); a fit is
// deterministic for a given GPSettings.Rand. It must not know about make,
// distcc, farms, the tuner's strategies or the command line, and it
// imports only the standard library and gonum; the farm simulator that
// tests the tuner lives apart, in model/sim.
package model
