package render

import (
	"github.com/jtune/jtune/cmd/jtune/internal/farm"
	"github.com/jtune/jtune/probe"
	"github.com/jtune/jtune/tuner"
)

// advice is what the user can do about each kind of warning, in jtune's
// own flags; the libraries that give the warnings know no flags.
var advice = map[tuner.WarningKind]string{
	tuner.WarnBestAtTop:           "raise --max to look further",
	tuner.WarnFailuresAtEveryN:    "check the hosts and distccd's --allow",
	tuner.WarnBrokenHost:          "check its distccd and --allow, or leave it out of --hosts",
	tuner.WarnOutOfTime:           "raise --time-budget, or continue later with --resume",
	probe.WarnDistccLogUnreadable: "unset DISTCC_LOG or make the file readable",
	farm.WarnDuplicateHost:        "list each host once in --hosts",
	farm.WarnHostDown:             "start its distccd, or leave it out of --hosts (--no-host-check skips the check)",
}

// Warning renders a warning with the advice for its kind.
func Warning(w tuner.Warning) string {
	if a, ok := advice[w.Kind]; ok {
		return w.Message + "; " + a
	}
	return w.Message
}
