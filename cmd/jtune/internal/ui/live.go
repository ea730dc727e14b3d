package ui

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mattn/go-runewidth"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// liveBar is the live status area of the running build on a terminal:
//
//	-j40  [=========>--------------]  1m12s / 2m05s  ETA 53s
//	      412 compile lines · 2 distcc failures · load 3.41 · 71 °C
//
// The bar shows elapsed against expected time, or compile lines against
// an earlier full build's, or a spinner when neither is known.
type liveBar struct {
	p    *mpb.Progress
	bar  *mpb.Bar
	quit chan struct{}
	done chan struct{}
}

// liveScale is the bar's total: the fraction done in thousandths.
const liveScale = 1000

// liveOptions lets tests draw the bar into a buffer as if it were a
// terminal.
var liveOptions []mpb.ContainerOption

func startLiveBar(pr *Console, v *buildView) *liveBar {
	opts := append([]mpb.ContainerOption{mpb.WithOutput(pr.w), mpb.WithWidth(32), mpb.WithRefreshRate(200 * time.Millisecond)}, liveOptions...)
	p := mpb.New(opts...)
	paint := func(c interface{ Sprint(...any) string }) func(string) string {
		return func(s string) string { return c.Sprint(s) }
	}
	var filler mpb.BarFillerBuilder = mpb.SpinnerStyle().PositionLeft().Meta(paint(pr.good))
	if _, known := v.exp.fraction(v.snapshot(time.Now())); known {
		filler = mpb.BarStyle().Lbound("[").Rbound("]").Filler("=").Tip(">").Padding("-").
			FillerMeta(paint(pr.good)).TipMeta(paint(pr.good)).PaddingMeta(paint(pr.faint))
	}
	label := fmt.Sprintf("-j%d", v.jobs)
	indent := strings.Repeat(" ", len(label)+2)
	bar := p.New(liveScale, filler,
		mpb.PrependDecorators(decor.Meta(decor.Name(label, decor.WC{W: len(label) + 1, C: decor.DindentRight}), paint(pr.bold))),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
			text, over := v.exp.timeText(v.snapshot(time.Now()))
			if over {
				return pr.warm.Sprint(text)
			}
			return text
		})),
		mpb.BarExtender(mpb.BarFillerFunc(func(w io.Writer, s decor.Statistics) error {
			line := indent + statsText(v.snapshot(time.Now()))
			// A line wider than the terminal would wrap and break the
			// cursor movement that redraws the area.
			if s.AvailableWidth > 1 && runewidth.StringWidth(line) >= s.AvailableWidth {
				line = runewidth.Truncate(line, s.AvailableWidth-1, "…")
			}
			_, err := fmt.Fprintln(w, pr.faint.Sprint(line))
			return err
		}), false),
	)
	lb := &liveBar{p: p, bar: bar, quit: make(chan struct{}), done: make(chan struct{})}
	// The bar moves with the clock, not only when a sample arrives.
	go func() {
		defer close(lb.done)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			if f, ok := v.exp.fraction(v.snapshot(time.Now())); ok {
				// Never complete: a finished bar stops drawing, and the
				// build is over only when the tuner says so.
				bar.SetCurrent(int64(min(f, 0.999) * liveScale))
			}
			select {
			case <-lb.quit:
				return
			case <-tick.C:
			}
		}
	}()
	return lb
}

// stop removes the status area; the summary line takes its place.
func (lb *liveBar) stop() {
	close(lb.quit)
	<-lb.done
	lb.bar.Abort(true)
	lb.p.Wait()
}
