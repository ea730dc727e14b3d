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
	Good, Bad, Strong *color.Color
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
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "N\ttime\tstatus\tdistcc failures\tmax load\tmax temp\t")
	for _, t := range r.Trials {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%.2f\t%s\t\n", t.Jobs, Seconds(t.WallSeconds), t.Status, t.DistccFailures, t.MaxLoad, Celsius(t.MaxTempC))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	lines := strings.SplitAfter(table.String(), "\n")
	marked := false
	for i, t := range r.Trials {
		line := strings.TrimSuffix(lines[i+1], "\n")
		c := st.Good
		if t.Status != tuner.StatusOK {
			c = st.Bad
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
	fmt.Fprintf(w, "\nformula: N0 = %s\n", r.Formula)
	for _, warning := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", Warning(warning))
	}
	if r.Recommended == nil {
		_, err := fmt.Fprintln(w, "no recommendation: no build finished cleanly")
		return err
	}
	fmt.Fprintf(w, "recommended: -j%d (%s)\n", r.Recommended.Jobs, r.Recommended.Reason)
	_, err := fmt.Fprintln(w, st.paint(st.Strong, fmt.Sprintf("MAKEOPTS=%q", r.MakeOpts)))
	return err
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

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
