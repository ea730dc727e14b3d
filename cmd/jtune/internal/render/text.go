// Package render turns a session record into what people and programs
// read: the text report, JSON, CSV, Markdown and the plot. Every renderer
// is a function of a session.Record (and, for the plot, the tuner's
// analysis of it), so a saved session renders exactly as a live one did.
// Warnings come as data from the tuner and the probe; this package adds
// the command-line advice that goes with each kind. It decides nothing
// about terminals: the caller passes the colours to use.
package render

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/fatih/color"

	"github.com/jtune/jtune/cmd/jtune/internal/session"
	"github.com/jtune/jtune/tuner"
)

// Style colours the text report. The zero value adds no colour, which is
// what files, pipes and golden tests get.
type Style struct {
	Good   *color.Color // a clean build
	Warm   *color.Color // a build only stopped early: worth a look, not an error
	Bad    *color.Color // a failed or overloaded build
	Strong *color.Color // the recommendation
}

func (s Style) paint(c *color.Color, text string) string {
	if c == nil {
		return text
	}
	return c.Sprint(text)
}

// Text renders the session for people: a row per build, warnings as a
// list, the recommendation with its reason, and last the MAKEOPTS line,
// so `jtune ... | tail -1` is ready to paste into make.conf. Statuses are
// green or red, the recommended build and MAKEOPTS bold; colour goes on
// after tabwriter has aligned the plain text, since escape codes would
// count as width.
func Text(w io.Writer, r *session.Record, st Style) error {
	if r.Online != nil {
		if err := windowsTable(w, r.Online); err != nil {
			return err
		}
		fmt.Fprintf(w, "\n%s\n", onlineSummary(r.Online))
		return tail(w, r, st)
	}
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "N\ttime\tstatus\tdistcc failures\tmax load\tmax temp\t")
	for _, t := range r.Trials {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%.2f\t%s\t\n", t.Jobs, BuildTime(t), t.Status, t.DistccFailures, t.MaxLoad, Celsius(t.MaxTempC))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	lines := strings.SplitAfter(table.String(), "\n")
	marked := false
	for i, t := range r.Trials {
		line := strings.TrimSuffix(lines[i+1], "\n")
		c := st.Bad
		switch t.Status {
		case tuner.StatusOK:
			c = st.Good
		case tuner.StatusAborted, tuner.StatusTimeout, tuner.StatusInterrupted:
			c = st.Warm
		}
		// The recommended build's row is bold around its status, painted
		// apart because a colour's reset code ends bold too.
		var rowStyle *color.Color
		if isRecommended(r, t, marked) {
			marked, rowStyle = true, st.Strong
		}
		if j := strings.Index(line, " "+string(t.Status)+" "); j >= 0 {
			k := j + 1 + len(t.Status)
			line = st.paint(rowStyle, line[:j+1]) + st.paint(c, string(t.Status)) + st.paint(rowStyle, line[k:])
		}
		lines[i+1] = line + "\n"
	}
	if _, err := io.WriteString(w, strings.Join(lines, "")); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return tail(w, r, st)
}

// tail is the text report below the table: the formula, failures,
// warnings, why the session stopped, and the recommendation, last of all
// the MAKEOPTS line.
func tail(w io.Writer, r *session.Record, st Style) error {
	fmt.Fprintf(w, "formula: N0 = %s\n", r.Formula)
	if from := r.From; from != nil {
		fmt.Fprintf(w, "from: the online session in %s recommended -j%d; this session searched %s from there\n", from.State, from.OnlineJobs, r.Range())
	}
	for _, t := range r.Trials {
		if t.Status == tuner.StatusFailed {
			fmt.Fprintf(w, "failed: -j%d (%s)%s\n", t.Jobs, t.Reason, indentTail(t.StderrTail, 3, "\n  | "))
		}
	}
	for _, warning := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", Warning(warning))
	}
	rec, makeopts := r.Recommended, r.MakeOpts
	if r.Running() {
		fmt.Fprintf(w, "the session is still running (or its jtune died): %d build%s so far\n", len(r.Trials), plural(len(r.Trials)))
		rec, makeopts = bestSoFar(r)
	} else {
		fmt.Fprintf(w, "stopped: %s\n", Outcome(r))
	}
	if rec == nil {
		_, err := fmt.Fprintln(w, "no recommendation: no build finished cleanly")
		return err
	}
	label := "recommended"
	if r.Running() {
		label = "best so far"
	}
	fmt.Fprintf(w, "%s: -j%d (%s)\n", label, rec.Jobs, rec.Reason)
	_, err := fmt.Fprintln(w, st.paint(st.Strong, fmt.Sprintf("MAKEOPTS=%q", makeopts)))
	return err
}

// bestSoFar is what a running session would recommend now.
func bestSoFar(r *session.Record) (*tuner.Recommendation, string) {
	rec, ok := r.Analysis().Recommend(tuner.Strategy(r.Settings.Strategy), r.Load)
	if !ok {
		return nil, ""
	}
	return &rec, rec.MakeOpts()
}

// Outcome says why a session stopped, in words.
func Outcome(r *session.Record) string {
	switch tuner.Outcome(r.Outcome) {
	case tuner.Converged:
		return "the search converged: no N left is expected to gain more than the tolerance"
	case tuner.BudgetSpent:
		return fmt.Sprintf("the budget of %d builds was spent", r.Settings.Budget)
	case tuner.OutOfTime:
		return "the time budget was spent"
	case tuner.Interrupted:
		return "interrupted"
	case tuner.Critical:
		return "the CPU reached its critical temperature"
	case tuner.Broken:
		return "the first build failed, so the command itself is broken"
	case tuner.Aborted:
		return "a build could not be run, or the state could not be saved"
	}
	switch r.Outcome {
	case session.OutcomeBuildFailed:
		if r.Online != nil {
			return fmt.Sprintf("the build failed with exit code %d", r.Online.ExitCode)
		}
		return "the build failed"
	case session.OutcomeTimedOut:
		return fmt.Sprintf("the build ran longer than the timeout (%s) and was stopped", Seconds(r.Settings.TimeoutSeconds))
	}
	return r.Outcome
}

// BuildTime is a build's time as the table shows it: a build stopped
// early shows the least it would have taken, marked as a bound.
func BuildTime(t tuner.Trial) string {
	switch {
	case t.Status == tuner.StatusTimeout || t.Status == tuner.StatusAborted && t.StoppedFor != tuner.StopFailures:
		return "≥ " + Seconds(max(t.WallSeconds, t.BoundSeconds))
	}
	return Seconds(t.WallSeconds)
}

// indentTail is the last n non-empty lines of text, each after sep.
func indentTail(text string, n int, sep string) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	lines = lines[max(0, len(lines)-n):]
	if len(lines) == 0 {
		return ""
	}
	return sep + strings.Join(lines, sep)
}

// isRecommended reports whether t is the first clean build at the
// recommended N, the row to mark.
func isRecommended(r *session.Record, t tuner.Trial, marked bool) bool {
	return r.Recommended != nil && !marked && t.Status == tuner.StatusOK && t.Jobs == r.Recommended.Jobs
}

// Seconds renders a build time.
func Seconds(s float64) string { return fmt.Sprintf("%.1f s", s) }

// Celsius renders a temperature; nil is a machine without a sensor.
func Celsius(c *float64) string {
	if c == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f °C", *c)
}

// Builds says how many builds, in words: "1 build", "3 builds".
func Builds(n int) string { return fmt.Sprintf("%d build%s", n, plural(n)) }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
