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
)
