package tuning

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/jtune/jtune/cmd/jtune/internal/makeconf"
	"github.com/jtune/jtune/cmd/jtune/internal/render"
	"github.com/jtune/jtune/cmd/jtune/internal/ui"
	"github.com/jtune/jtune/tuner"
)

// report ends the session: the report on stdout (and a line on stderr),
// the plot, and make.conf.
func (t *run) report(a *tuner.Analysis, runErr error) error {
	o, rec, out := t.o, t.rec, t.out
	var broken *tuner.BrokenCommandError
	switch {
	case errors.As(runErr, &broken):
		out.BrokenCommand(broken)
		return fmt.Errorf("%w; fix the command and run again (its stderr is above)", runErr)
	case errors.Is(runErr, tuner.ErrCriticalTemp):
		return CriticalError{fmt.Errorf("%w; the build was stopped and the state saved in %s: let the machine cool and check its cooling, then continue with --resume", runErr, o.State)}
	case runErr != nil && !errors.Is(runErr, tuner.ErrInterrupted):
		return runErr
	}
	if !sameFile(t.stdout, t.stderr) {
		out.SessionEnd(rec)
	}
	var err error
	if o.JSON {
		err = render.JSON(t.stdout, rec)
	} else {
		err = render.Text(t.stdout, rec, ui.ReportStyle(t.stdout, o.NoColor))
	}
	if err != nil {
		return err
	}
	if o.Plot != "" {
		if err := render.Plot(o.Plot, rec, a); err != nil {
			return fmt.Errorf("--plot %w", err)
		}
		out.Printf("jtune: plot written to %s\n", o.Plot)
	}
	if errors.Is(runErr, tuner.ErrInterrupted) {
		return runErr
	}
	if rec.Recommended == nil {
		return errors.New("no build finished cleanly, so there is nothing to recommend")
	}
	if o.WriteMakeConf != "" {
		// The report went to stdout; the diff goes to stderr so --json
		// output stays one JSON object.
		return makeconf.Apply(o.WriteMakeConf, rec.MakeOpts, o.Diff, t.stderr, t.stderr)
	}
	return nil
}

// sameFile reports whether two writers are the same open file, as when
// stdout and stderr both go to one terminal or log.
func sameFile(a, b io.Writer) bool {
	fa, ok1 := a.(*os.File)
	fb, ok2 := b.(*os.File)
	if !ok1 || !ok2 {
		return false
	}
	sa, err1 := fa.Stat()
	sb, err2 := fb.Stat()
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}
