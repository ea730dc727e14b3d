package render

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/jtune/jtune/cmd/jtune/internal/atomicfile"
	"github.com/jtune/jtune/cmd/jtune/internal/session"
	"github.com/jtune/jtune/tuner"
)

// plotFormats are the extensions --plot understands.
var plotFormats = []string{".png", ".svg"}

// ErrPlotFormat means a plot file's name ends in no format Plot draws.
var ErrPlotFormat = errors.New("the file name must end in .png or .svg")

// CheckPlotPath refuses a plot file whose extension names no format Plot
// draws, so that a caller can check before a night of builds.
func CheckPlotPath(path string) error {
	if !slices.Contains(plotFormats, strings.ToLower(filepath.Ext(path))) {
		return ErrPlotFormat
	}
	return nil
}

// The plot's size: wide enough for a legend column beside the axes, and a
// PNG resolution that stays sharp when a forum scales it down.
const (
	plotWidth  = 9 * vg.Inch
	plotHeight = 5.5 * vg.Inch
	plotDPI    = 144
)

// Plot draws build time against N for the session in r into path, as PNG
// or SVG by its extension, with the model's curve from a, the analysis of
// r's builds (nil: worked out here). The file is replaced atomically, so a
// plot being watched during a session is never seen half written.
func Plot(path string, r *session.Record, a *tuner.Analysis) error {
	if err := CheckPlotPath(path); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if a == nil {
		a = r.Analysis()
	}
	var c vg.CanvasWriterTo
	if strings.ToLower(filepath.Ext(path)) == ".svg" {
		c = vgsvg.New(plotWidth, plotHeight)
	} else {
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(plotWidth, plotHeight), vgimg.UseDPI(plotDPI))}
	}
	drawSession(draw.New(c), r, a)
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := atomicfile.Replace(path, buf.Bytes(), 0o644, -1, -1); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// statusLook is how builds of one status are marked: distinct shapes as
// well as colours, so the plot reads in greyscale and to colour-blind eyes
// (the colours are Okabe and Ito's).
type statusLook struct {
	status tuner.Status
	label  string
	shape  draw.GlyphDrawer
	color  color.Color
}

// Interrupted builds are left out: they say nothing about their N.
var statusLooks = []statusLook{
	{tuner.StatusOK, "ok", draw.CircleGlyph{}, color.RGBA{0, 114, 178, 255}},
	{tuner.StatusAborted, "aborted early (at least this)", draw.PyramidGlyph{}, color.RGBA{230, 159, 0, 255}},
	{tuner.StatusTimeout, "timed out (at least this)", draw.TriangleGlyph{}, color.RGBA{204, 121, 167, 255}},
	{tuner.StatusOverloaded, "overloaded", draw.SquareGlyph{}, color.RGBA{213, 94, 0, 255}},
	{tuner.StatusFailed, "failed", draw.CrossGlyph{}, color.RGBA{200, 0, 0, 255}},
	{tuner.StatusThermal, "paused or stopped for heat", draw.RingGlyph{}, color.RGBA{120, 60, 0, 255}},
}

var (
	modelColor   = color.RGBA{0, 114, 178, 255}
	bandColor    = color.NRGBA{86, 180, 233, 90} // not premultiplied: image/color.RGBA would need R <= A
	formulaColor = color.Gray{110}
	recColor     = color.RGBA{0, 158, 115, 255}
)

// drawSession draws the plot and, in a column on its right, the legend:
// outside the axes it can never hide a point or a label.
func drawSession(c draw.Canvas, r *session.Record, a *tuner.Analysis) {
	sp := newSessionPlot(plotTitle(r))
	// The model first, so the points are drawn on top of its band.
	lo, hi := builtRange(r.Trials)
	modelEntries := sp.addModel(a, lo, hi)
	markEntries := sp.addMarks(r)
	sp.addBuilds(r.Trials, len(markEntries))
	// The legend reads as the plot does: the builds, then what was made
	// of them.
	for _, e := range append(modelEntries, markEntries...) {
		sp.legend.Add(e.name, e.thumb)
	}

	// The legend column is as wide as its longest entry.
	p, legend := sp.p, sp.legend
	lw := legend.Rectangle(c).Size().X
	pad := vg.Points(10)
	plotArea := draw.Crop(c, 0, -(lw + 2*pad), 0, 0)
	p.Draw(plotArea)
	title := p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y + p.Title.Padding
	legend.Draw(draw.Crop(c, c.Size().X-lw-pad, -pad, 0, -(title + pad)))
}

// sessionPlot is a plot being drawn, with the coordinates drawn so far,
// which set the axes.
type sessionPlot struct {
	p      *plot.Plot
	legend plot.Legend
	xs, ys []float64
}

func newSessionPlot(title string) *sessionPlot {
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = "make -j N (jobs)"
	p.Y.Label.Text = "build time (s)"
	p.Y.Tick.Marker = plainTicks{}
	p.X.Tick.Marker = plainTicks{}
	p.X.Padding, p.Y.Padding = vg.Points(4), vg.Points(4)
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = color.Gray{225}, color.Gray{225}
	p.Add(grid)

	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	legend.TextStyle.Font.Size = vg.Points(10)
	legend.Padding = vg.Points(3)
	return &sessionPlot{p: p, legend: legend, xs: []float64{}, ys: []float64{}}
}

// addModel draws the model's mean and 95% band over lo..hi, when it has
// one, and returns their legend entries.
func (sp *sessionPlot) addModel(a *tuner.Analysis, lo, hi int) []legendEntry {
	pts, ok := a.Curve(lo, hi)
	if !ok {
		return nil
	}
	band := make(plotter.XYs, 0, 2*len(pts))
	mean := make(plotter.XYs, 0, len(pts))
	for _, pt := range pts {
		band = append(band, plotter.XY{X: float64(pt.Jobs), Y: pt.High})
		mean = append(mean, plotter.XY{X: float64(pt.Jobs), Y: pt.Seconds})
		sp.xs, sp.ys = append(sp.xs, float64(pt.Jobs)), append(sp.ys, pt.Seconds)
	}
	for i := len(pts) - 1; i >= 0; i-- {
		band = append(band, plotter.XY{X: float64(pts[i].Jobs), Y: pts[i].Low})
	}
	poly, err1 := plotter.NewPolygon(band)
	line, err2 := plotter.NewLine(mean)
	if err1 != nil || err2 != nil {
		return nil
	}
	poly.Color, poly.LineStyle.Width = bandColor, 0
	line.LineStyle.Color, line.LineStyle.Width = modelColor, vg.Points(1.5)
	sp.p.Add(poly, line)
	return []legendEntry{{"model: mean", line}, {"model: 95% band", poly}}
}

// addMarks draws the formula's N0 and the recommended N as labelled
// vertical lines, and returns their legend entries.
func (sp *sessionPlot) addMarks(r *session.Record) []legendEntry {
	var marks []*vline
	if r.FormulaJobs > 0 {
		marks = append(marks, &vline{x: float64(r.FormulaJobs), label: fmt.Sprintf("formula N0 = %d", r.FormulaJobs),
			style: draw.LineStyle{Color: formulaColor, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}})
	}
	if r.Recommended != nil {
		marks = append(marks, &vline{x: float64(r.Recommended.Jobs), label: fmt.Sprintf("recommended -j%d", r.Recommended.Jobs),
			style: draw.LineStyle{Color: recColor, Width: vg.Points(1.5)}})
	}
	var entries []legendEntry
	for i, m := range marks {
		m.row = i // one label height apart, so two close lines never print over each other
		sp.xs = append(sp.xs, m.x)
		sp.p.Add(m)
		entries = append(entries, legendEntry{m.label, m})
	}
	return entries
}

// addBuilds draws a point per build in its status's look, sets the axes
// (leaving room for labels of the vertical lines) and adds the builds to
// the legend. Clean builds and lower bounds are times and set the scale.
// A build stopped for overload, failure or heat has no meaningful time
// (it may have run a few seconds), so it only marks its N, drawn inside
// the scale rather than stretching it down to zero.
func (sp *sessionPlot) addBuilds(trials []tuner.Trial, labels int) {
	points := make([]plotter.XYs, len(statusLooks))
	var unmeasured []plotter.XYs
	for i, look := range statusLooks {
		for _, t := range trials {
			if t.Status != look.status {
				continue
			}
			y := max(t.WallSeconds, t.BoundSeconds)
			points[i] = append(points[i], plotter.XY{X: float64(t.Jobs), Y: y})
			sp.xs = append(sp.xs, float64(t.Jobs))
		}
		switch look.status {
		case tuner.StatusOK, tuner.StatusAborted, tuner.StatusTimeout:
			for _, pt := range points[i] {
				sp.ys = append(sp.ys, pt.Y)
			}
		default:
			unmeasured = append(unmeasured, points[i])
		}
	}
	if len(sp.ys) == 0 { // nothing was measured: let the stopped builds set the scale
		for _, pts := range unmeasured {
			for _, pt := range pts {
				sp.ys = append(sp.ys, pt.Y)
			}
		}
	}
	setRanges(sp.p, sp.xs, sp.ys, labels)
	for _, pts := range unmeasured {
		for j := range pts {
			pts[j].Y = min(max(pts[j].Y, sp.p.Y.Min), sp.p.Y.Max)
		}
	}
	for i, look := range statusLooks {
		pts := points[i]
		if len(pts) == 0 {
			continue
		}
		s, err := plotter.NewScatter(pts)
		if err != nil {
			continue
		}
		s.GlyphStyle = draw.GlyphStyle{Color: look.color, Radius: vg.Points(4), Shape: look.shape}
		sp.p.Add(s)
		sp.legend.Add(fmt.Sprintf("%s (%d)", look.label, len(pts)), s)
	}
}

type legendEntry struct {
	name  string
	thumb plot.Thumbnailer
}

// setRanges fits the axes to what was drawn, leaving room at the top for
// the labels of the vertical lines. The model's band does not count: far
// from any build it is wide, and would squash the measured points.
func setRanges(p *plot.Plot, xs, ys []float64, labels int) {
	if len(xs) == 0 {
		return
	}
	xmin, xmax := slices.Min(xs), slices.Max(xs)
	xpad := math.Max(1, 0.04*(xmax-xmin))
	p.X.Min, p.X.Max = math.Max(0, xmin-xpad), xmax+xpad
	if len(ys) == 0 {
		return
	}
	ymin, ymax := slices.Min(ys), slices.Max(ys)
	span := ymax - ymin
	if span < 0.05*ymax {
		span = 0.05 * math.Max(ymax, 1) // a flat plateau still gets a readable scale
	}
	p.Y.Min = math.Max(0, ymin-0.1*span)
	p.Y.Max = ymax + (0.1+0.09*float64(labels))*span
}

// builtRange is the lowest and highest N that was built, where the model
// is drawn: beyond the builds it only extrapolates.
func builtRange(trials []tuner.Trial) (lo, hi int) {
	for _, t := range trials {
		if t.Status == tuner.StatusInterrupted {
			continue
		}
		if lo == 0 || t.Jobs < lo {
			lo = t.Jobs
		}
		hi = max(hi, t.Jobs)
	}
	return lo, hi
}

// plotTitle names the command, the farm and how the search went.
func plotTitle(r *session.Record) string {
	cmd := strings.Join(r.Command, " ")
	if len(cmd) > 70 {
		cmd = cmd[:67] + "..."
	}
	hosts := "this machine alone"
	if n := len(r.Hosts); n > 0 {
		hosts = fmt.Sprintf("%d distcc host%s", n, plural(n))
		switch d := len(r.Unreachable); {
		case d == n:
			hosts += ", none of which answered"
		case d > 0:
			hosts += fmt.Sprintf(", of which %d answered", n-d)
		}
	}
	builds := 0
	for _, t := range r.Trials {
		if t.Status != tuner.StatusInterrupted {
			builds++
		}
	}
	return fmt.Sprintf("jtune: %s\n%s, %s search, %d build%s", cmd, hosts, r.Settings.Strategy, builds, plural(builds))
}

// vline is a labelled vertical line across the data area, for the
// formula's N0 and the recommended N.
type vline struct {
	x     float64
	label string
	style draw.LineStyle
	row   int // which label row from the top, so labels never overlap
}

func (v *vline) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x := trX(v.x)
	c.StrokeLine2(v.style, x, c.Min.Y, x, c.Max.Y)

	sty := p.X.Tick.Label // the axes' own font, a size smaller than the title
	sty.Color = v.style.Color
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YTop
	h := sty.Rectangle(v.label).Size().Y
	gap := vg.Points(3)
	tx := x + gap
	if w := sty.Width(v.label); tx+w > c.Max.X {
		tx = x - gap - w // no room on the right: write it on the left of the line
	}
	ty := c.Max.Y - gap - vg.Length(v.row)*(h+gap)
	// A white box under the text keeps it readable over the grid.
	box := vg.Rectangle{Min: vg.Point{X: tx - 1, Y: ty - h}, Max: vg.Point{X: tx + sty.Width(v.label) + 1, Y: ty}}
	c.SetColor(color.NRGBA{255, 255, 255, 220})
	c.Fill(box.Path())
	c.FillText(sty, vg.Point{X: tx, Y: ty}, v.label)
}

// DataRange makes the x axis include the line; +Inf and -Inf leave the y
// axis to the data.
func (v *vline) DataRange() (xmin, xmax, ymin, ymax float64) {
	return v.x, v.x, math.Inf(1), math.Inf(-1)
}

// Thumbnail draws the legend's sample: a short vertical stroke.
func (v *vline) Thumbnail(c *draw.Canvas) {
	x := (c.Min.X + c.Max.X) / 2
	c.StrokeLine2(v.style, x, c.Min.Y, x, c.Max.Y)
}

// plainTicks label about eight round values (steps of 1, 2 or 5 times a
// power of ten) with a minor tick between each, as short as the numbers
// allow: 375, not 375.00. gonum's default labels only two or three.
type plainTicks struct{}

func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	const want = 8
	raw := (hi - lo) / want
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if step = m * mag; step >= raw {
			break
		}
	}
	var ticks []plot.Tick
	for i := math.Ceil(lo / step * 2); i*step/2 <= hi; i++ {
		v := i * step / 2
		label := ""
		if math.Mod(i, 2) == 0 {
			label = strconv.FormatFloat(math.Round(v/step)*step, 'f', -1, 64)
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
	}
	return ticks
}
