package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jtune/jtune/cmd/jtune/internal/session"
)

// Markdown renders the session for a forum post or a wiki page: what was
// tuned on which farm, a table of the builds with the recommended one in
// bold, why the others were not ok, and the MAKEOPTS line.
func Markdown(w io.Writer, r *session.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### jtune: %s\n\n", mdCode(strings.Join(r.Command, " ")))
	hosts := "this machine alone"
	if len(r.Hosts) > 0 {
		hosts = fmt.Sprintf("%d distcc host%s (%s, %d slots)", len(r.Hosts), plural(len(r.Hosts)), mdCode(r.HostsSpec), r.SlotSum)
	}
	var notes []string
	if on := r.Online; on != nil {
		fmt.Fprintf(&b, "%s; %s. Formula: N0 = %s.\n\n", hosts, mdEscape(onlineSummary(on)), mdEscape(r.Formula))
		b.WriteString("| -j | from | for | jobs done | jobs/s | distcc failures | window |\n")
		b.WriteString("|---:|---:|---:|---:|---:|---:|:---|\n")
		for _, w := range on.Windows {
			fmt.Fprintf(&b, "| %d | %s | %s | %d | %.2f | %d | %s |\n", w.Jobs, Seconds(w.StartSeconds), Seconds(w.Seconds),
				w.Completed, w.Throughput, w.Failures, windowKind(w))
		}
	} else {
		fmt.Fprintf(&b, "%s; %s search over -j%d..-j%d, %d build%s. Formula: N0 = %s.\n\n",
			hosts, r.Settings.Strategy, r.Settings.MinJobs, r.Settings.MaxJobs, len(r.Trials), plural(len(r.Trials)), mdEscape(r.Formula))
		notes = trialsMarkdown(&b, r)
	}
	b.WriteString("\n")
	rec, makeopts, label := r.Recommended, r.MakeOpts, "Recommended"
	if r.Running() {
		rec, makeopts = bestSoFar(r)
		label = "Best so far (the session is still running)"
	} else {
		fmt.Fprintf(&b, "Stopped: %s.\n\n", mdEscape(Outcome(r)))
	}
	if rec != nil {
		fmt.Fprintf(&b, "**%s: %s** (%s)\n", label, mdCode(fmt.Sprintf("MAKEOPTS=%q", makeopts)), mdEscape(rec.Reason))
	} else {
		b.WriteString("No recommendation: no build finished cleanly.\n")
	}
	if len(notes) > 0 || len(r.Warnings) > 0 {
		b.WriteString("\n")
	}
	for _, n := range notes {
		b.WriteString(n + "\n")
	}
	for _, warning := range r.Warnings {
		fmt.Fprintf(&b, "- warning: %s\n", mdEscape(Warning(warning)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdCode makes a code span that survives backticks inside it.
func mdCode(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdEscape keeps text from breaking a table row or turning into markup.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;").Replace(s)
}

// trialsMarkdown writes the builds' table, the recommended build in bold,
// and returns why the others were not ok.
func trialsMarkdown(b *strings.Builder, r *session.Record) (notes []string) {
	b.WriteString("| -j | time | status | distcc failures | max load | max temp |\n")
	b.WriteString("|---:|---:|:---|---:|---:|---:|\n")
	marked := false
	for _, t := range r.Trials {
		cells := []string{strconv.Itoa(t.Jobs), BuildTime(t), string(t.Status)}
		if isRecommended(r, t, marked) {
			marked = true
			for i, c := range cells {
				cells[i] = "**" + c + "**"
			}
		}
		cells = append(cells, strconv.Itoa(t.DistccFailures), fmt.Sprintf("%.2f", t.MaxLoad), Celsius(t.MaxTempC))
		fmt.Fprintf(b, "| %s |\n", strings.Join(cells, " | "))
		if t.Reason != "" {
			notes = append(notes, fmt.Sprintf("- -j%d %s: %s", t.Jobs, t.Status, mdEscape(t.Reason)))
		}
	}
	return notes
}
