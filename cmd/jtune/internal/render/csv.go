package render

import (
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jtune/jtune/cmd/jtune/internal/session"
)

// csvHeader names the CSV columns after the JSON fields, in the same
// units, so a script can use either.
var csvHeader = []string{
	"jobs", "load", "status", "reason", "started_at", "wall_seconds", "bound_seconds", "user_seconds", "sys_seconds", "paused_seconds",
	"exit_code", "distcc_failures", "distcc_errors", "max_load", "mean_load", "max_runnable", "mean_runnable",
	"max_temp_c", "mean_temp_c", "min_available_memory_bytes", "max_swap_used_bytes", "samples", "compile_lines",
}

// CSV writes one row per build (per window, for an online session). Numbers are raw, for programs; an unknown
// temperature is an empty cell, and distcc_errors is "kind=count" pairs
// joined by ";".
func CSV(w io.Writer, r *session.Record) error {
	if r.Online != nil {
		return windowsCSV(w, r.Online)
	}
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
			num(t.WallSeconds), num(t.BoundSeconds), num(t.UserSeconds), num(t.SysSeconds), num(t.PausedSeconds),
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
