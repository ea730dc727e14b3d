// Package probe runs real builds and measures them: it starts the build
// command at a given -j in a process group of its own, samples the
// machine's load, memory and temperature while it runs, pauses or stops a
// hot build, stops one that falls clearly behind, and counts compile lines
// and distcc's failures (through probe/distcc). Runner implements
// tuner.Builder. It must not know how the next -j is chosen or how results
// are shown; the time it measures by comes from a Clock, so tests can
// drive it.
//
// Runner.StartLive runs one build under a jobserver of jtune's own
// (probe/jobserver) instead of at a fixed -j: the Live it returns
// implements tuner.LiveBuild, whose N changes while the build runs.
// CheckOnline says beforehand whether and how a command can run so.
//
// Every build ends whole: its time is its leader's, and what it leaves
// running (daemons, processes in other sessions or process groups) is
// stopped and reaped once the leader exits, with a warning; see
// BecomeSubreaper, which jtune calls once at the start. Runner.OnStart
// and StopStale let a later jtune stop a build whose jtune died.
package probe
