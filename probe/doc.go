// Package probe runs real builds and measures them: it starts the build
// command at a given -j in a process group of its own, samples the
// machine's load, memory and temperature while it runs, pauses or stops a
// hot build, stops one that falls clearly behind, and counts compile lines
// and distcc's failures (through probe/distcc). Runner implements
// tuner.Builder. It must not know how the next -j is chosen or how results
// are shown; the time it measures by comes from a Clock, so tests can
// drive it.
package probe
