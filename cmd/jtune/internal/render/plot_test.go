package render

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"

	"github.com/jtune/jtune/cmd/jtune/internal/session"
	"github.com/jtune/jtune/tuner"
)

// checkPlotFile fails unless path is a PNG that decodes to the plot's size
// or an SVG that parses as XML, of a sane size.
func checkPlotFile(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 2<<10 || len(data) > 2<<20 {
		t.Errorf("%s is %d bytes", filepath.Base(path), len(data))
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if b := img.Bounds(); b.Dx() != int(plotWidth/vg.Inch*plotDPI) || b.Dy() != int(plotHeight/vg.Inch*plotDPI) {
			t.Errorf("%s is %dx%d pixels", path, b.Dx(), b.Dy())
		}
	case ".svg":
		dec := xml.NewDecoder(bytes.NewReader(data))
		root := ""
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s is not XML: %v", path, err)
			}
			if se, ok := tok.(xml.StartElement); ok && root == "" {
				root = se.Name.Local
			}
		}
		if root != "svg" {
			t.Errorf("%s: root element %q, want svg", path, root)
		}
	}
}

func readRecord(t *testing.T) *session.Record {
	t.Helper()
	r, err := session.Read("../../testdata/report.json")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestPlotOddSessions draws sessions the model cannot fit, with every
// status, and without a recommendation: the plot must still be made.
func TestPlotOddSessions(t *testing.T) {
	base := readRecord(t)
	trial := func(jobs int, st tuner.Status, secs float64) tuner.Trial {
		return tuner.Trial{Jobs: jobs, Status: st, Measurement: tuner.Measurement{WallSeconds: secs}}
	}
	tests := []struct {
		name   string
		trials []tuner.Trial
	}{
		{"no builds yet", nil},
		{"one build", []tuner.Trial{trial(13, tuner.StatusOK, 100)}},
		{"every status", []tuner.Trial{trial(13, tuner.StatusOK, 100), trial(7, tuner.StatusAborted, 115), trial(26, tuner.StatusTimeout, 120),
			trial(40, tuner.StatusOverloaded, 90), trial(45, tuner.StatusFailed, 3), trial(20, tuner.StatusThermal, 130), trial(22, tuner.StatusInterrupted, 10)}},
		{"a flat plateau", []tuner.Trial{trial(4, tuner.StatusOK, 50), trial(8, tuner.StatusOK, 50), trial(16, tuner.StatusOK, 50)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := *base
			r.Trials, r.Recommended = tt.trials, nil
			path := filepath.Join(t.TempDir(), "p.png")
			if err := Plot(path, &r, nil); err != nil {
				t.Fatal(err)
			}
			checkPlotFile(t, path)
		})
	}
}
