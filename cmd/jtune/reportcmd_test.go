package main

import (
	"bytes"
	"errors"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jtune/jtune/cmd/jtune/internal/render"
	"github.com/jtune/jtune/cmd/jtune/internal/session"
)

// TestReportFormatsGolden renders the fixed state file in every format.
// Run go test -update to accept a change.
func TestReportFormatsGolden(t *testing.T) {
	tests := []struct {
		format string
		golden string
	}{
		{"text", "report.txt"}, // the same as a tuning run's text report
		{"json", "report.golden.json"},
		{"csv", "report.csv"},
		{"markdown", "report.md"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if err := run([]string{"report", filepath.Join("testdata", "report.json"), "--format", tt.format}, &stdout, &stderr); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			checkGolden(t, tt.golden, stdout.Bytes())
			if stderr.Len() > 0 || bytes.Contains(stdout.Bytes(), []byte("\x1b[")) {
				t.Errorf("stderr %q; escape codes in stdout: %v", stderr.String(), bytes.Contains(stdout.Bytes(), []byte("\x1b[")))
			}
		})
	}
}

// TestReportJSONIsTheTuningSchema checks that the JSON export decodes to
// the report --json prints, field for field.
func TestReportJSONIsTheTuningSchema(t *testing.T) {
	var stdout bytes.Buffer
	if err := run([]string{"report", "testdata/report.json", "--format", "json"}, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	want, err := session.Read("testdata/report.json")
	if err != nil {
		t.Fatal(err)
	}
	var direct bytes.Buffer
	if err := render.JSON(&direct, want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stdout.Bytes(), direct.Bytes()) {
		t.Errorf("jtune report --format json differs from --json:\n%s\n%s", stdout.String(), direct.String())
	}
}

func TestReportErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	corrupt := write("corrupt.json", `{"version": 1, "trials": [`)
	future := write("future.json", `{"version": 7}`)
	tests := []struct {
		name string
		args []string
		code int
		want string // in the first line of stderr
	}{
		{"bad format", []string{"testdata/report.json", "--format", "xml"}, 2, `--format "xml" isn't one of text, json, csv, markdown`},
		{"no state file named", []string{"--format", "csv"}, 2, "jtune report takes one state file"},
		{"two state files", []string{"a.json", "b.json"}, 2, "got 2 arguments"},
		{"bad plot extension", []string{"testdata/report.json", "--plot", "out.pdf"}, 2, `--plot "out.pdf": the file name must end in .png or .svg`},
		{"unknown flag", []string{"testdata/report.json", "--colour"}, 2, "unknown flag: --colour"},
		{"missing state file", []string{filepath.Join(dir, "nope.json")}, 1, "there is no state file " + filepath.Join(dir, "nope.json")},
		{"corrupt state file", []string{corrupt}, 1, corrupt + " is not a usable jtune state file"},
		{"another schema version", []string{future}, 1, "it is of schema version 7, newer than this jtune reads"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(append([]string{"report"}, tt.args...), &stdout, &stderr)
			code := exitCode(err, &stderr)
			first := strings.SplitN(stderr.String(), "\n", 2)[0]
			if code != tt.code || !strings.HasPrefix(first, "jtune: ") || !strings.Contains(first, tt.want) {
				t.Errorf("exit %d, first stderr line %q; want exit %d and %q", code, first, tt.code, tt.want)
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout %q after an error", stdout.String())
			}
		})
	}
}

func TestReportHelp(t *testing.T) {
	var stdout bytes.Buffer
	if err := run([]string{"report", "--help"}, &stdout, io.Discard); !errors.Is(err, errHelp) {
		t.Fatalf("--help: %v", err)
	}
	for _, want := range []string{"jtune report STATE", "--format", "--plot", "markdown"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

// checkPlotFile fails unless path is a PNG or SVG image of a sane size;
// the plot's own tests check what is drawn.
func checkPlotFile(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 2<<10 || len(data) > 2<<20 {
		t.Errorf("%s is %d bytes", filepath.Base(path), len(data))
	}
	if strings.EqualFold(filepath.Ext(path), ".png") {
		if _, err := png.Decode(bytes.NewReader(data)); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	} else if !bytes.Contains(data, []byte("<svg")) {
		t.Errorf("%s is no SVG", path)
	}
}

func TestReportPlot(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"session.png", "session.svg", "SESSION.PNG"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			var stderr bytes.Buffer
			if err := run([]string{"report", "testdata/report.json", "--format", "csv", "--plot", path}, io.Discard, &stderr); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(stderr.String(), "plot written to "+path) {
				t.Errorf("stderr %q", stderr.String())
			}
			checkPlotFile(t, path)
		})
	}
}

// TestPipesGetNoEscapeCodes runs a real session the way a script would,
// with stdout and stderr as pipes and without NO_COLOR, and checks that no
// escape code reaches either, while the progress, the session's summary
// and the plot are all there.
func TestPipesGetNoEscapeCodes(t *testing.T) {
	f := newFixture(t)
	plotPath := filepath.Join(f.dir, "tuning.png")
	for _, format := range []string{"--json", "--no-host-check"} { // JSON, then the text report
		t.Run(format, func(t *testing.T) {
			cmd := exec.Command(jtuneBin, "--strategy", "grid", "--min", "4", "--max", "8", "--budget", "2", "--load", "2",
				"--sample-interval", "50ms", "--state", f.state, "--plot", plotPath, format, "--", "./make")
			cmd.Dir = f.dir
			var env []string
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "NO_COLOR=") {
					env = append(env, kv)
				}
			}
			cmd.Env = append(env, "TERM=xterm-256color")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			for name, out := range map[string]string{"stdout": stdout.String(), "stderr": stderr.String()} {
				if strings.Contains(out, "\x1b") {
					t.Errorf("%s has escape codes: %q", name, out)
				}
			}
			for _, want := range []string{"build 1/2 at -j4 ...", "build 2/2 at -j8, expected ", "-j8 ok in", "finished: ", "plot written to " + plotPath} {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
			// The report has one place: stdout.
			if !strings.Contains(stdout.String(), `"makeopts": "-j`) && !strings.Contains(stdout.String(), "MAKEOPTS=") || strings.Contains(stderr.String(), "MAKEOPTS=") {
				t.Errorf("the report is not on stdout alone:\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			}
			checkPlotFile(t, plotPath)
		})
	}
}
