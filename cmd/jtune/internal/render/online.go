package render

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/jtune/jtune/cmd/jtune/internal/session"
	"github.com/jtune/jtune/tuner"
)

// windowsTable renders the windows of an online session, a row each, in
// the place of the builds' table.
func windowsTable(w io.Writer, on *session.Online) error {
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "N\tfrom\tfor\tjobs done\tjobs/s\tdistcc failures\tmax load\tmax temp\twindow\t")
	for _, win := range on.Windows {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%.2f\t%d\t%.2f\t%s\t%s\t\n", win.Jobs, Seconds(win.StartSeconds), Seconds(win.Seconds),
			win.Completed, win.Throughput, win.Failures, win.MaxLoad, Celsius(win.MaxTempC), windowKind(win))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := w.Write(table.Bytes())
	return err
}

// windowKind is a window's last column: fair, or why not.
func windowKind(w tuner.Window) string {
	if w.Fair {
		return "fair"
	}
	if w.Cause == "" {
		return "not fair"
	}
	return w.Cause
}

// onlineSummary is the line under an online session's table: how make was
// served, and how much of the build the answer rests on.
func onlineSummary(on *session.Online) string {
	return fmt.Sprintf("one build under jtune's jobserver (%s, %s): %s, exit code %d, %d compile jobs, %.0f%% of them measured in fair windows",
		on.Jobserver, on.Client, Seconds(on.BuildSeconds), on.ExitCode, on.JobsCompleted, 100*on.MeasuredShare)
}

// windowsCSV writes one row per window, under the JSON field names.
func windowsCSV(w io.Writer, on *session.Online) error {
	cw := csv.NewWriter(w)
	header := []string{"jobs", "start_seconds", "seconds", "jobs_completed", "jobs_per_second", "distcc_failures", "max_load", "max_temp_c", "fair", "cause", "reason"}
	if err := cw.Write(header); err != nil {
		return err
	}
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	for _, win := range on.Windows {
		temp := ""
		if win.MaxTempC != nil {
			temp = num(*win.MaxTempC)
		}
		row := []string{strconv.Itoa(win.Jobs), num(win.StartSeconds), num(win.Seconds), strconv.Itoa(win.Completed),
			num(win.Throughput), strconv.Itoa(win.Failures), num(win.MaxLoad), temp, strconv.FormatBool(win.Fair), win.Cause, win.Reason}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
