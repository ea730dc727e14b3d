package probe

import "github.com/jtune/jtune/tuner"

// The kinds of warning a build run by Runner can carry.
const (
	// WarnDistccLogUnreadable: DISTCC_LOG names a file that cannot be
	// read, so distcc's failures cannot be counted. Subject is the file.
	WarnDistccLogUnreadable tuner.WarningKind = "distcc_log_unreadable"
	// WarnDistccSetup: distcc said something about its setup rather than
	// about N (pump without its wrapper, ccache in front of pump, no
	// hosts). Subject is distcc's kind of message.
	WarnDistccSetup tuner.WarningKind = "distcc_setup"
	// WarnNotSampled: the machine could not be read during a build, so
	// load, memory and temperature are unknown for it.
	WarnNotSampled tuner.WarningKind = "not_sampled"
	// WarnLeftRunning: the build left processes running after its leader
	// exited (a daemon, a "timeout … &", a job in a process group of its
	// own), which jtune stopped. Subject names them: "pid (command)".
	WarnLeftRunning tuner.WarningKind = "left_running"
	// WarnOutputHeld: a process jtune could not find kept the build's
	// stdout or stderr open after the build ended.
	WarnOutputHeld tuner.WarningKind = "output_held"
	// WarnTokensLost: jobserver tokens did not come back at the end of a
	// live build (GNU make 4.4 drops those it holds when interrupted), or
	// more came back than were handed out. Subject is the client.
	WarnTokensLost tuner.WarningKind = "jobserver_tokens"
)
