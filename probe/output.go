package probe

import (
	"io"
	"time"

	"github.com/jtune/jtune/probe/distcc"
)

// output takes in a build's stdout and stderr. distcc's scanners count
// distcc's lines and keep the tails for error messages; compile counters,
// apart from them, count compile lines, since make echoes commands on
// stdout and quiet build systems print "CC x.o" on either.
type output struct {
	stdout, stderr           *distcc.Scanner
	outCompiles, errCompiles *compileCounter
}

// newOutput keeps up to tailBytes of each stream (0 means 8 KiB) and the
// time of every compile line, as elapsed says it.
func newOutput(tailBytes int, elapsed func() time.Duration) *output {
	return &output{
		stdout: distcc.NewScanner(tailBytes), stderr: distcc.NewScanner(tailBytes),
		outCompiles: &compileCounter{elapsed: elapsed}, errCompiles: &compileCounter{elapsed: elapsed},
	}
}

// writers returns what the build's stdout and stderr go to.
func (o *output) writers() (stdout, stderr io.Writer) {
	return io.MultiWriter(o.stdout, o.outCompiles), io.MultiWriter(o.stderr, o.errCompiles)
}

// compileLines counts the compile lines so far, on both streams.
func (o *output) compileLines() int { return o.outCompiles.count() + o.errCompiles.count() }

// flush counts last lines that have no newline; call it once the build is
// over.
func (o *output) flush() {
	o.stdout.Flush()
	o.stderr.Flush()
	o.outCompiles.flush()
	o.errCompiles.flush()
}

// tail is the end of stderr, or of stdout when stderr is empty.
func (o *output) tail() string {
	if t := o.stderr.Tail(); t != "" {
		return t
	}
	return o.stdout.Tail()
}

// lineTimes is the build's compile-line times, for tuner.Progress.
func (o *output) lineTimes() []float64 { return lineTimes(o.outCompiles, o.errCompiles) }
