package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/jtune/jtune/cmd/jtune/internal/render"
	"github.com/jtune/jtune/cmd/jtune/internal/session"
	"github.com/jtune/jtune/cmd/jtune/internal/ui"
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

// reportFormat is a value of --format with its renderer.
type reportFormat struct {
	name   string
	render func(w io.Writer, r *session.Record, noColor bool) error
}

// reportFormats are the values --format takes, in the order help lists
// them.
var reportFormats = []reportFormat{
	{"text", func(w io.Writer, r *session.Record, noColor bool) error {
		return render.Text(w, r, ui.ReportStyle(w, noColor))
	}},
	{"json", func(w io.Writer, r *session.Record, _ bool) error { return render.JSON(w, r) }},
	{"csv", func(w io.Writer, r *session.Record, _ bool) error { return render.CSV(w, r) }},
	{"markdown", func(w io.Writer, r *session.Record, _ bool) error { return render.Markdown(w, r) }},
}

// reportOptions are jtune report's command line.
type reportOptions struct {
	state   string
	format  reportFormat
	plot    string
	noColor bool
}

func runReport(args []string, stdout, stderr io.Writer) error {
	o, err := parseReport(args, stdout, stderr)
	if err != nil {
		return err
	}
	r, err := session.Read(o.state)
	if errors.Is(err, session.ErrNoFile) {
		return fmt.Errorf("there is no state file %s; a tuning run writes one (--state, default jtune-state.json)", o.state)
	}
	if err != nil {
		return err
	}
	if err := o.format.render(stdout, r, o.noColor); err != nil {
		return err
	}
	if o.plot != "" {
		if err := render.Plot(o.plot, r, nil); err != nil {
			return fmt.Errorf("--plot %w", err)
		}
		fmt.Fprintf(stderr, "jtune: plot written to %s\n", o.plot)
	}
	return nil
}

// parseReport reads and checks jtune report's command line.
func parseReport(args []string, stdout, stderr io.Writer) (reportOptions, error) {
	var o reportOptions
	fs := newFlagSet("jtune report", stderr)
	format := fs.String("format", "text", "output `FORMAT`: text, json, csv or markdown")
	fs.StringVar(&o.plot, "plot", "", "also draw build time against N into `FILE`, .png or .svg")
	fs.BoolVar(&o.noColor, "no-color", false, "no colour in the text format (also with NO_COLOR set, or when stdout is not a terminal)")
	help := fs.BoolP("help", "h", false, "show this help")
	if err := fs.Parse(args); err != nil {
		return o, usageError{err: err}
	}
	if *help {
		fmt.Fprint(stdout, reportUsage, ui.FlagHelp(fs, ui.HelpWidth(stdout)))
		return o, errHelp
	}
	if fs.NArg() != 1 {
		return o, usagef("jtune report takes one state file, e.g. jtune report jtune-state.json (got %d arguments)", fs.NArg())
	}
	o.state = fs.Arg(0)
	i := slices.IndexFunc(reportFormats, func(f reportFormat) bool { return f.name == *format })
	if i < 0 {
		var names []string
		for _, f := range reportFormats {
			names = append(names, f.name)
		}
		return o, usagef("--format %q isn't one of %s", *format, strings.Join(names, ", "))
	}
	o.format = reportFormats[i]
	return o, checkPlotPath(o.plot)
}
