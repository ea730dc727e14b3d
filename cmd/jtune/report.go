package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/fatih/color"

	"github.com/jtune/jtune/probe/distcc"
	"github.com/jtune/jtune/tuner"
)

// reportVersion is the version of the JSON schema in the README. It
// changes only when a field changes meaning or goes away.
const reportVersion = 1

// report is the session as jtune saves it after every build and prints it
// with --json. Units are in the field names.
type report struct {
	Version     int                   `json:"version"`
	Command     []string              `json:"command"`
	HostsSpec   string                `json:"hosts_spec"`
	HostsSource string                `json:"hosts_source"`
	Hosts       []distcc.Host         `json:"hosts"`
	Unreachable []unreachableHost     `json:"unreachable_hosts"`
	SlotSum     int                   `json:"distcc_slots"`
	FormulaJobs int                   `json:"formula_jobs"`
	Formula     string                `json:"formula"`
	Load        int                   `json:"load"`
	Settings    reportSettings        `json:"settings"`
	Trials      []tuner.Trial         `json:"trials"`
	Recommended *tuner.Recommendation `json:"recommended"`
	MakeOpts    string                `json:"makeopts"`
	Outcome     string                `json:"outcome"`
	Warnings    []string              `json:"warnings"`
}

// unreachableHost is a distcc host that did not answer before tuning.
type unreachableHost struct {
	Name  string `json:"name"`
	Port  int    `json:"port"`
	Error string `json:"error"`
}

// reportSettings records how the session was run, so a saved state says
// what it measured.
type reportSettings struct {
	Strategy       string  `json:"strategy"`
	MinJobs        int     `json:"min_jobs"`
	MaxJobs        int     `json:"max_jobs"`
	Budget         int     `json:"budget"`
	Tolerance      float64 `json:"tolerance"`
	MaxLoad        float64 `json:"max_load"`
	TimeoutSeconds float64 `json:"timeout_seconds"`
	EarlyAbort     bool    `json:"early_abort"`
	Prepare        string  `json:"prepare"`
	LocalCPUs      int     `json:"local_cpus"`
}

func newReport(p plan) *report {
	hosts := p.farm.Hosts.Hosts
	if hosts == nil {
		hosts = []distcc.Host{}
	}
	unreachable := []unreachableHost{}
	for i, h := range hosts {
		if err, down := p.farm.Down[i]; down {
			unreachable = append(unreachable, unreachableHost{Name: h.Name, Port: h.Port, Error: err.Error()})
		}
	}
	return &report{
		Version: reportVersion, Unreachable: unreachable, Command: p.command,
		HostsSpec: strings.TrimSpace(p.farm.Spec), HostsSource: p.farm.Source, Hosts: hosts,
		SlotSum: p.farm.slotSum(), FormulaJobs: p.formulaN, Formula: p.formula, Load: p.load,
		Settings: reportSettings{
			Strategy: string(p.strategy), MinJobs: p.minJobs, MaxJobs: p.maxJobs, Budget: p.budget,
			Tolerance: p.tolerance, MaxLoad: p.maxLoad, TimeoutSeconds: p.timeout.Seconds(), EarlyAbort: p.earlyAbort,
			Prepare: p.prepare, LocalCPUs: p.localCPUs,
		},
		Trials: []tuner.Trial{}, Outcome: "running", Warnings: []string{},
	}
}

func (r *report) finish(res *tuner.Result) {
	r.Trials = res.Trials
	r.Outcome = string(res.Outcome)
	r.Warnings = append(r.Warnings, res.Warnings...)
	r.Recommended = res.Recommended
	if res.Recommended != nil {
		r.MakeOpts = res.Recommended.MakeOpts()
	}
}

func writeJSON(w io.Writer, r *report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// writeText renders the report for people: a row per build, warnings as a
// list, the recommendation with its reason, and last the MAKEOPTS line,
// so `jtune ... | tail -1` is ready to paste into make.conf.
func writeText(w io.Writer, r *report) error { return writeTextStyle(w, r, textStyle{}) }

// textStyle colours the text report for a terminal. The zero value adds
// no colour, which is what files, pipes and golden tests get.
type textStyle struct {
	good, bad, strong *color.Color
}

func (s textStyle) paint(c *color.Color, text string) string {
	if c == nil {
		return text
	}
	return c.Sprint(text)
}

// writeTextStyle is writeText with colour: statuses green or red, the
// recommended build and MAKEOPTS bold. Colour goes on after tabwriter has
// aligned the plain text, since escape codes would count as width.
func writeTextStyle(w io.Writer, r *report, st textStyle) error {
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "N\ttime\tstatus\tdistcc failures\tmax load\tmax temp\t")
	for _, t := range r.Trials {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%.2f\t%s\t\n", t.Jobs, seconds(t.WallSeconds), t.Status, t.DistccFailures, t.MaxLoad, celsius(t.MaxTempC))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	lines := strings.SplitAfter(table.String(), "\n")
	marked := false
	for i, t := range r.Trials {
		line := strings.TrimSuffix(lines[i+1], "\n")
		c := st.good
		if t.Status != tuner.StatusOK {
			c = st.bad
		}
		// The recommended build's row is bold around its status, painted
		// apart because a colour's reset code ends bold too.
		var rowStyle *color.Color
		if r.Recommended != nil && !marked && t.Status == tuner.StatusOK && t.Jobs == r.Recommended.Jobs {
			marked, rowStyle = true, st.strong
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
		fmt.Fprintf(w, "warning: %s\n", warning)
	}
	if r.Recommended == nil {
		_, err := fmt.Fprintln(w, "no recommendation: no build finished cleanly")
		return err
	}
	fmt.Fprintf(w, "recommended: -j%d (%s)\n", r.Recommended.Jobs, r.Recommended.Reason)
	_, err := fmt.Fprintln(w, st.paint(st.strong, fmt.Sprintf("MAKEOPTS=%q", r.MakeOpts)))
	return err
}

func seconds(s float64) string { return fmt.Sprintf("%.1f s", s) }

func celsius(c *float64) string {
	if c == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f °C", *c)
}
