// Package tuner searches for the make -j value that gives the shortest
// build. It runs builds through a Builder (a small interface that the probe
// package implements with real builds and model/sim with simulated ones),
// judges each one (ok, failed, timeout, aborted, overloaded, thermal,
// interrupted), and asks a search strategy for the next N. Choosing that N
// is a pure function of the builds observed so far, worked out once per
// decision in an Analysis, so a session can be replayed, resumed or tested
// with a table. The package knows nothing of command lines, files or
// terminals: it reports what it found as data (Result, Trial, Warning) for
// the caller to render.
package tuner
