package tuner

import (
	"fmt"
	"math"
	"sort"
)

// Progress is when a build printed its compile lines. make echoes a
// command as it starts it, so a line marks a compile started, not one
// finished; Reference.Behind allows for that.
type Progress struct {
	// Lines is the number of compile lines in the whole build.
	Lines int `json:"lines"`
	// Seconds[i] is the elapsed time at which line (i+1)*Lines/len(Seconds)
	// appeared: a few dozen points are enough to follow a build of any
	// size, and keep the state file small.
	Seconds []float64 `json:"seconds"`
}

// progressPoints is the most points a Progress keeps.
const progressPoints = 64

// NewProgress keeps the shape of a build from the elapsed seconds at which
// each of its compile lines appeared, in order. It returns nil for a build
// that printed none.
func NewProgress(lineSeconds []float64) *Progress {
	n := len(lineSeconds)
	if n == 0 {
		return nil
	}
	k := min(n, progressPoints)
	p := &Progress{Lines: n, Seconds: make([]float64, k)}
	for i := range k {
		p.Seconds[i] = lineSeconds[(i+1)*n/k-1]
	}
	return p
}

// secondsAt is when the build had printed its lines-th compile line,
// interpolated between the kept points; past the last line it is the time
// of the last line.
func (p *Progress) secondsAt(lines int) float64 {
	k := len(p.Seconds)
	if lines <= 0 || k == 0 {
		return 0
	}
	if lines >= p.Lines {
		return p.Seconds[k-1]
	}
	lineOf := func(i int) int { return (i + 1) * p.Lines / k }
	i := sort.Search(k, func(i int) bool { return lineOf(i) >= lines })
	prevLine, prevSec := 0, 0.0
	if i > 0 {
		prevLine, prevSec = lineOf(i-1), p.Seconds[i-1]
	}
	frac := float64(lines-prevLine) / float64(lineOf(i)-prevLine)
	return prevSec + frac*(p.Seconds[i]-prevSec)
}

// Reference is the best build so far, against which a running build is
// judged before it ends.
type Reference struct {
	Jobs     int     // the reference build's N
	Seconds  float64 // its wall time
	Progress *Progress
	// Margin is how much slower than the reference a build may run
	// before it is stopped, as Settings.AbortMargin.
	Margin float64
}

// minProgressFraction is how far into the reference's time a build must
// be before its progress is judged: the first seconds are make's and
// configure's, and say little about N.
const minProgressFraction = 0.25

// Behind reports whether a build that has printed lines compile lines
// after elapsed seconds (thermal pauses excluded) is already clearly
// slower than the reference, and if so the least its whole build will
// take.
//
// Compile lines mark starts, and a build at -jN has up to N compiles
// running, so a line count alone favours a larger N. The rule is
// therefore one-sided and safe: the current build has finished at most
// lines compiles, which the reference had finished by the time it printed
// lines + Jobs lines. When even that moment is more than Margin behind the
// elapsed time, the build is slower at this point by more than the
// margin, whatever its N. The bound assumes the rest of the build runs no
// faster than the reference's rest.
func (r *Reference) Behind(elapsed float64, lines int) (boundSeconds float64, behind bool) {
	if r == nil || r.Progress == nil || elapsed < minProgressFraction*r.Seconds || lines >= r.Progress.Lines {
		return 0, false
	}
	caughtUp := lines + r.Jobs
	if caughtUp >= r.Progress.Lines {
		return 0, false
	}
	refAt := r.Progress.secondsAt(caughtUp)
	if elapsed <= (1+r.Margin)*refAt {
		return 0, false
	}
	return r.Seconds + elapsed - refAt, true
}

// String describes the reference for a trial's reason.
func (r *Reference) String() string {
	return fmt.Sprintf("the best build (-j%d, %.1f s)", r.Jobs, r.Seconds)
}

// progressSpread is how far the compile-line totals of full builds may
// differ before progress is not trusted: a tree that prints a different
// number of lines each time (ccache hits printed differently, a build
// that was not cleaned) cannot be compared line by line.
const progressSpread = 0.02

// reference is the best clean build with a recorded progress, when every
// clean build printed about the same number of compile lines. It is nil
// when early abort is off or progress is not reliable.
func (s Settings) reference(trials []Trial) *Reference {
	if s.NoEarlyAbort {
		return nil
	}
	var best *Trial
	for i := range trials {
		t := &trials[i]
		if t.Status != StatusOK {
			continue
		}
		if best == nil || t.WallSeconds < best.WallSeconds {
			best = t
		}
	}
	if best == nil || best.Progress == nil {
		return nil
	}
	for _, t := range trials {
		if t.Status != StatusOK {
			continue
		}
		if t.Progress == nil || math.Abs(float64(t.Progress.Lines-best.Progress.Lines)) > progressSpread*float64(best.Progress.Lines) {
			return nil
		}
	}
	return &Reference{Jobs: best.Jobs, Seconds: best.WallSeconds, Progress: best.Progress, Margin: s.abortMargin(observe(trials))}
}
