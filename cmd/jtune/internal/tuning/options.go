package tuning

import (
	"time"

	"github.com/jtune/jtune/probe"
)

// Options are a tuning session as the command line asked for it. The
// command names its flags after the fields; a zero number leaves the
// choice to jtune (the range, the thermal limits), except where a field
// says otherwise.
type Options struct {
	Command     []string
	DistccHosts string // the host list exactly as the user gave it, for distcc; empty leaves distcc's own
	Cores       int    // of each host without a /LIMIT, for the formula
	Min, Max    int    // the range; zero leaves that end to tuner.DefaultRange

	Strategy       string
	Budget         int
	Tolerance      float64
	Load           int // make's -l; 0 leaves it out
	MaxLoad        float64
	NoEarlyAbort   bool
	Prepare        string
	Timeout        time.Duration
	TimeBudget     time.Duration
	SampleInterval time.Duration

	// MaxTemp is where the thermal guard pauses a build; 0 turns it off.
	MaxTemp, ResumeTemp, CritTemp float64
	Sensor                        string
	RequireTemp                   bool

	State  string // the state file
	Resume bool
	// From is an online session's state file that an offline session
	// starts from.
	From string

	Online bool
	Plan   probe.OnlinePlan // with Online: how the command runs under jtune's jobserver

	JSON          bool
	Plot          string
	ReadMakeConf  string // make.conf read for pitfalls
	WriteMakeConf string // make.conf that gets MAKEOPTS; empty writes nothing
	Diff          bool   // show the make.conf change instead of writing it
	Quiet         bool
	NoColor       bool

	// Given reports whether a flag was on the command line: a resumed
	// session keeps the saved value of a flag that was not.
	Given func(flag string) bool
}

func (o *Options) given(flag string) bool { return o.Given != nil && o.Given(flag) }
