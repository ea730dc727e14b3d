package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fatih/color"
	"github.com/spf13/pflag"

	"github.com/jtune/jtune/tuner"
)

const reportUsage = `jtune report shows a saved session again, from the state file a tuning run
leaves (--state, jtune-state.json by default), without running anything. It
works on a session that is still running, too.

Usage:
  jtune report STATE [flags]

Formats:
  text       the table and recommendation jtune prints at the end (default)
  json       the same object as jtune --json
  csv        one row per build, with a header; raw numbers in the JSON units
  markdown   a table and the recommendation, ready for a forum post or wiki

Examples:
  jtune report jtune-state.json
  jtune report jtune-state.json --format csv > builds.csv
  jtune report jtune-state.json --format markdown --plot tuning.png

Flags:
`

// reportFormats are the values --format takes, in the order help lists them.
var reportFormats = []string{"text", "json", "csv", "markdown"}

func runReport(args []string, stdout, stderr io.Writer) error {
	flags := pflag.NewFlagSet("jtune report", pflag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.SortFlags = false
	flags.Usage = func() {}
	format := flags.String("format", "text", "output `format`: text, json, csv or markdown")
	plotPath := flags.String("plot", "", "also draw build time against N into `FILE` (.png or .svg), e.g. --plot tuning.png")
	noColor := flags.Bool("no-color", false, "no colour in the text format (also when NO_COLOR is set or stdout is not a terminal)")
	help := flags.BoolP("help", "h", false, "show this help and exit")
	if err := flags.Parse(args); err != nil {
		return usageError{err}
	}
	if *help {
		fmt.Fprint(stdout, reportUsage+flags.FlagUsages())
		return errHelp
	}
	if flags.NArg() != 1 {
		return usagef("jtune report takes one state file, e.g. jtune report jtune-state.json (got %d arguments)", flags.NArg())
	}
	if !slices.Contains(reportFormats, *format) {
		return usagef("--format %q isn't one of %s", *format, strings.Join(reportFormats, ", "))
	}
	if err := checkPlotPath(*plotPath); err != nil {
		return err
	}
	r, err := readState(flags.Arg(0))
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		err = writeJSON(stdout, r)
	case "csv":
		err = writeCSV(stdout, r)
	case "markdown":
		err = writeMarkdown(stdout, r)
	default:
		err = writeTextStyle(stdout, r, terminalStyle(stdout, *noColor))
	}
	if err != nil {
		return err
	}
	if *plotPath != "" {
		if err := writePlot(*plotPath, r); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "jtune: plot written to %s\n", *plotPath)
	}
	return nil
}

// readState reads a saved session. It takes no lock: the state is
// replaced atomically, so reading it while a session runs sees the last
// build saved.
func readState(path string) (*report, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("there is no state file %s; a tuning run writes one (--state, default jtune-state.json)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the state file: %w", err)
	}
	var r report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s is not a jtune state file: %w", path, err)
	}
	if r.Version != reportVersion {
		return nil, fmt.Errorf("%s is not a jtune state file of version %d (it says version %d)", path, reportVersion, r.Version)
	}
	return &r, nil
}

// earlierCompileLines is the compile lines of a full build in the state
// file an earlier session left at path, or 0 when it was another command
// or cannot be read: it only serves to show progress.
func earlierCompileLines(path string, command []string) int {
	if path == "" {
		return 0
	}
	r, err := readState(path)
	if err != nil || !slices.Equal(r.Command, command) {
		return 0
	}
	lines := 0
	for _, t := range r.Trials {
		if t.Status == tuner.StatusOK {
			lines = max(lines, t.CompileLines)
		}
	}
	return lines
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

// terminalStyle colours the text report only for a person at a terminal.
func terminalStyle(w io.Writer, noColor bool) textStyle {
	if noColor || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" || !isTerminal(w) {
		return textStyle{}
	}
	return textStyle{good: newColor(true, color.FgGreen), bad: newColor(true, color.FgRed, color.Bold), strong: newColor(true, color.Bold)}
}

// csvHeader names the CSV columns after the JSON fields, in the same
// units, so a script can use either.
var csvHeader = []string{
	"jobs", "load", "status", "reason", "started_at", "wall_seconds", "user_seconds", "sys_seconds", "paused_seconds",
	"exit_code", "distcc_failures", "distcc_errors", "max_load", "mean_load", "max_runnable", "mean_runnable",
	"max_temp_c", "mean_temp_c", "min_available_memory_bytes", "max_swap_used_bytes", "samples", "compile_lines",
}

// writeCSV writes one row per build. Numbers are raw, for programs; an
// unknown temperature is an empty cell, and distcc_errors is
// "kind=count" pairs joined by ";".
func writeCSV(w io.Writer, r *report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	opt := func(f *float64) string {
		if f == nil {
			return ""
		}
		return num(*f)
	}
	for _, t := range r.Trials {
		var errs []string
		for _, k := range slices.Sorted(maps.Keys(t.DistccErrors)) {
			errs = append(errs, fmt.Sprintf("%s=%d", k, t.DistccErrors[k]))
		}
		row := []string{
			strconv.Itoa(t.Jobs), strconv.Itoa(t.Load), string(t.Status), t.Reason, t.StartedAt.Format(time.RFC3339),
			num(t.WallSeconds), num(t.UserSeconds), num(t.SysSeconds), num(t.PausedSeconds),
			strconv.Itoa(t.ExitCode), strconv.Itoa(t.DistccFailures), strings.Join(errs, ";"),
			num(t.MaxLoad), num(t.MeanLoad), strconv.Itoa(t.MaxRunnable), num(t.MeanRunnable),
			opt(t.MaxTempC), opt(t.MeanTempC), strconv.FormatUint(t.MinAvailMemBytes, 10), strconv.FormatUint(t.MaxSwapUsedBytes, 10),
			strconv.Itoa(t.Samples), strconv.Itoa(t.CompileLines),
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeMarkdown renders the session for a forum post or a wiki page: what
// was tuned on which farm, a table of the builds with the recommended one
// in bold, why the others were not ok, and the MAKEOPTS line.
func writeMarkdown(w io.Writer, r *report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### jtune: %s\n\n", mdCode(strings.Join(r.Command, " ")))
	hosts := "this machine alone"
	if len(r.Hosts) > 0 {
		hosts = fmt.Sprintf("%d distcc host%s (%s, %d slots)", len(r.Hosts), plural(len(r.Hosts)), mdCode(r.HostsSpec), r.SlotSum)
	}
	strategy := r.Settings.Strategy
	if strategy == "" {
		strategy = string(tuner.Golden)
	}
	fmt.Fprintf(&b, "%s; %s search over -j%d..-j%d, %d build%s. Formula: N0 = %s.\n\n",
		hosts, strategy, r.Settings.MinJobs, r.Settings.MaxJobs, len(r.Trials), plural(len(r.Trials)), mdEscape(r.Formula))
	b.WriteString("| -j | time | status | distcc failures | max load | max temp |\n")
	b.WriteString("|---:|---:|:---|---:|---:|---:|\n")
	var notes []string
	marked := false
	for _, t := range r.Trials {
		cells := []string{strconv.Itoa(t.Jobs), seconds(t.WallSeconds), string(t.Status)}
		if r.Recommended != nil && !marked && t.Status == tuner.StatusOK && t.Jobs == r.Recommended.Jobs {
			marked = true
			for i, c := range cells {
				cells[i] = "**" + c + "**"
			}
		}
		cells = append(cells, strconv.Itoa(t.DistccFailures), fmt.Sprintf("%.2f", t.MaxLoad), celsius(t.MaxTempC))
		fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
		if t.Reason != "" {
			notes = append(notes, fmt.Sprintf("- -j%d %s: %s", t.Jobs, t.Status, mdEscape(t.Reason)))
		}
	}
	b.WriteString("\n")
	if r.Recommended != nil {
		fmt.Fprintf(&b, "**Recommended: %s** (%s)\n", mdCode(fmt.Sprintf("MAKEOPTS=%q", r.MakeOpts)), mdEscape(r.Recommended.Reason))
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
		fmt.Fprintf(&b, "- warning: %s\n", mdEscape(warning))
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
