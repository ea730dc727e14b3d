package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// ErrNoData is returned by FitGP when no observation is both feasible and
// uncensored: censored bounds and failures say where the curve is not, but
// the model needs at least one real time to say where it is.
var ErrNoData = errors.New("model: no feasible uncensored observation to fit")

// ErrBadSeconds is wrapped by the error FitGP returns for a feasible
// observation whose time is not a positive finite number: the model works on
// log seconds, and such a time is a bug upstream, not a slow build.
var ErrBadSeconds = errors.New("model: build time is not a positive finite number")

// Observation is one build seen by the model.
type Observation struct {
	// Jobs is the N of make -jN; at least 1.
	Jobs int
	// Seconds is the wall time of the build.
	Seconds float64
	// Censored marks Seconds as a lower bound: the build was stopped early.
	Censored bool
	// Infeasible marks a failed or overloaded build: Jobs and everything
	// above it are infeasible, and Seconds is ignored.
	Infeasible bool
}

// GPSettings configure a fit. The zero value is usable: every field says
// what its zero value means.
type GPSettings struct {
	// Rand draws the starting points of the random restarts, so that a
	// session can be replayed exactly. Nil means a fresh generator with the
	// fixed seed (1, 2).
	Rand *rand.Rand
	// Restarts is the number of random starting points tried for the
	// hyperparameters, on top of the one at the centre of their priors.
	// Zero means 3; negative panics.
	Restarts int
	// Noise is the expected relative run-to-run noise of a build time, the
	// centre of the prior on the noise variance; the data can move it.
	// Zero means 2%; negative panics.
	Noise float64
}

// DefaultRestarts is the number of random restarts when GPSettings.Restarts
// is zero: enough to escape the occasional second mode of a likelihood in
// three parameters, while each restart costs a whole local optimisation
// and the fit runs after every build.
const DefaultRestarts = 3

// DefaultNoise is the relative noise assumed when GPSettings.Noise is zero;
// it matches the tuner's default before repeats measure it.
const DefaultNoise = 0.02

// gpMinScale is the smallest standard deviation of log seconds used to
// standardise the data. Without it a single point, or a perfectly flat
// plateau, would make the model claim the time is known to a fraction of a
// percent everywhere.
const gpMinScale = 0.2

// GP is a fitted posterior over log build time. It is immutable after
// FitGP and safe for concurrent use.
type GP struct {
	n, p  int       // fitted points, basis functions of the prior mean
	x     []float64 // log jobs of the fitted points
	r     []float64 // standardised residuals from the prior mean
	chol  []float64 // lower Cholesky factor L of K, row-major n×n
	alpha []float64 // P r: the weights of the kernel part of the mean
	delta []float64 // GLS correction of the prior mean's coefficients
	gMat  []float64 // L⁻¹H, row-major n×p
	aInv  []float64 // (HᵀK⁻¹H)⁻¹, row-major p×p
	pDiag []float64 // diagonal of P, for leave-one-out predictions

	mean  gpPriorMean
	scale float64 // sd of log seconds that the residuals were divided by

	lengthScale, signalVar, noiseVar float64 // standardised units

	best           float64
	infeasibleFrom int
}

// FitGP fits the model to all observations so far. It panics when an
// observation has Jobs < 1 or a setting is negative, returns ErrNoData when
// no observation is feasible and uncensored, and an error wrapping
// ErrBadSeconds when a feasible time is not a positive finite number.
//
// The model works on x = log(N) and y = log(seconds): build time is
// scale-free in N (going from 2 to 4 jobs matters as much as going from 20
// to 40) and its noise is relative, so in log space one length scale and
// one noise level fit the whole range. A parametric prior mean
// t(N) = a + b/N + c·N, a, b, c >= 0 (or, when the data show a farm
// saturating at K slots, a + b/min(N, K) + c·N) carries the shape that
// every build shares, steep below the optimum and flat or rising above it,
// so the GP only models the residuals and extrapolation stays sane. The
// residuals are divided by the spread of the log times (at least 0.2), so
// that the hyperparameters' bounds and priors hold for any build length.
//
// The coefficients of the mean are uncertain too: the model is universal
// kriging on the mean linearised in log space, whose variance grows where
// the fitted curve is extrapolated, and whose hyperparameters are fitted
// by restricted (REML) likelihood, so three points that the
// three-coefficient curve fits exactly are not taken as proof that the
// curve is known to the last percent.
//
// Censored builds are lower bounds. After a fit on the uncensored points
// each censored y is replaced by the truncated-normal mean E[Y | Y >= y]
// under its predictive distribution, and the model is refitted; a second
// round uses leave-one-out predictives, so that several censored points
// inform one another. A bound far below the prediction therefore changes
// almost nothing, and one above it pulls the curve above the bound, the
// further the less the model knows about the curve there. This is one
// cheap step towards the EM fit of a censored likelihood, which would cost
// a fit per iteration; its imputations never enter the prior mean nor the
// incumbent.
//
// Infeasible builds only set InfeasibleFrom: their times are not times.
// Successful builds at or above that N are still fitted, since their times
// are real measurements of the curve.
func FitGP(obs []Observation, s GPSettings) (*GP, error) {
	if s.Restarts < 0 {
		panic(fmt.Sprintf("model: negative GPSettings.Restarts %d", s.Restarts))
	}
	if s.Noise < 0 || math.IsNaN(s.Noise) || math.IsInf(s.Noise, 0) {
		panic(fmt.Sprintf("model: invalid GPSettings.Noise %v", s.Noise))
	}
	restarts := s.Restarts
	if restarts == 0 {
		restarts = DefaultRestarts
	}
	noise := s.Noise
	if noise == 0 {
		noise = DefaultNoise
	}
	rng := s.Rand
	if rng == nil {
		rng = rand.New(rand.NewPCG(1, 2))
	}

	d, err := logObservations(obs)
	if err != nil {
		return nil, err
	}
	g, err := fitGPOnce(d.xs, d.ys, len(d.xs), noise, rng, restarts, nil)
	if err != nil {
		return nil, err
	}
	if len(d.cx) > 0 {
		if g, err = refitCensored(g, d, noise, rng); err != nil {
			return nil, err
		}
	}
	g.best = d.best
	g.infeasibleFrom = d.infeasibleFrom
	return g, nil
}

// gpData is what FitGP keeps of the observations, in log N and log
// seconds: the measured times, the censored bounds, the incumbent and the
// lowest infeasible N.
type gpData struct {
	xs, ys         []float64 // feasible, uncensored builds
	cx, cy         []float64 // censored builds: lower bounds
	best           float64   // lowest of ys
	infeasibleFrom int       // 0 when no build was infeasible
}

// logObservations sorts the observations into gpData. It panics on
// Jobs < 1, wraps ErrBadSeconds for a feasible time that is not a positive
// finite number, and returns ErrNoData when nothing is left to fit.
func logObservations(obs []Observation) (gpData, error) {
	d := gpData{best: math.Inf(1)}
	for i, o := range obs {
		if o.Jobs < 1 {
			panic(fmt.Sprintf("model: observation %d has %d jobs", i, o.Jobs))
		}
		if o.Infeasible {
			if d.infeasibleFrom == 0 || o.Jobs < d.infeasibleFrom {
				d.infeasibleFrom = o.Jobs
			}
			continue
		}
		if !(o.Seconds > 0) || math.IsInf(o.Seconds, 1) {
			return gpData{}, fmt.Errorf("%w: observation %d (jobs %d) has %v seconds", ErrBadSeconds, i, o.Jobs, o.Seconds)
		}
		x, y := math.Log(float64(o.Jobs)), math.Log(o.Seconds)
		if o.Censored {
			d.cx, d.cy = append(d.cx, x), append(d.cy, y)
			continue
		}
		d.xs, d.ys = append(d.xs, x), append(d.ys, y)
		d.best = math.Min(d.best, y)
	}
	if len(d.xs) == 0 {
		return gpData{}, ErrNoData
	}
	return d, nil
}

// fitGPOnce fits the prior mean, then the hyperparameters, then factors K
// once for prediction. The mean and the scale come from the first u points
// only, the measured ones: imputed censored values are the model's own
// guesses, and letting them reshape the curve they were drawn from would
// be circular (and would change the units of the warm start). warm, when
// not nil, replaces the prior centre as the first starting point: it is the
// previous round's optimum, in standardised units.
func fitGPOnce(xs, ys []float64, u int, noise float64, rng *rand.Rand, restarts int, warm *[3]float64) (*GP, error) {
	n := len(xs)
	g := &GP{n: n, x: xs}
	g.mean = fitGPPriorMean(xs[:u], ys[:u])
	g.p = g.mean.dim()
	g.scale = math.Max(gpStdDev(ys[:u]), gpMinScale)
	g.r = make([]float64, n)
	h := mat.NewDense(n, g.p, nil)
	for i := range n {
		g.r[i] = (ys[i] - g.mean.at(xs[i])) / g.scale
		g.mean.basis(xs[i], h.RawRowView(i))
	}

	prob := newGPHyperProblem(xs, g.r, h, noise/g.scale)
	theta := prob.optimise(rng, restarts, warm)
	g.lengthScale, g.signalVar, g.noiseVar = math.Exp(theta[0]), math.Exp(theta[1]), math.Exp(theta[2])
	if err := g.factor(h); err != nil {
		return nil, err
	}
	return g, nil
}

// factor computes everything prediction needs, so that a prediction costs
// one triangular solve: the Cholesky factor of K, the GLS fit of the prior
// mean's coefficients, and the diagonal of P for leave-one-out predictions.
func (g *GP) factor(h *mat.Dense) error {
	n := g.n
	k := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			v := matern52(math.Abs(g.x[i]-g.x[j]), g.lengthScale, g.signalVar)
			if i == j {
				v += g.noiseVar
			}
			k.SetSym(i, j, v)
		}
	}
	var chol mat.Cholesky
	if !chol.Factorize(k) {
		return fmt.Errorf("model: kernel matrix not positive definite (length scale %g, signal %g, noise %g)",
			g.lengthScale, g.signalVar, g.noiseVar)
	}
	var l mat.TriDense
	chol.LTo(&l)
	g.chol = make([]float64, n*n)
	for i := range n {
		for j := 0; j <= i; j++ {
			g.chol[i*n+j] = l.At(i, j)
		}
	}
	if err := g.solveMean(h); err != nil {
		return err
	}
	g.leaveOneOutDiag(&chol)
	return nil
}

// solveMean computes G = L⁻¹H and z = L⁻¹r, then the GLS estimate
// δ = (GᵀG)⁻¹Gᵀz of the prior mean's coefficients and the kernel weights
// α = L⁻ᵀ(z - Gδ) = P r.
func (g *GP) solveMean(h *mat.Dense) error {
	n, p := g.n, g.p
	g.gMat = make([]float64, n*p)
	col := make([]float64, n)
	for j := range p {
		for i := range n {
			col[i] = h.At(i, j)
		}
		g.forward(col)
		for i := range n {
			g.gMat[i*p+j] = col[i]
		}
	}
	gm := mat.NewDense(n, p, g.gMat)
	var a mat.SymDense
	a.SymOuterK(1, gm.T())
	var achol mat.Cholesky
	if !achol.Factorize(&a) {
		return errors.New("model: prior mean basis is degenerate")
	}
	var aInv mat.SymDense
	_ = achol.InverseTo(&aInv) // a Condition error only warns
	g.aInv = make([]float64, p*p)
	for i := range p {
		for j := range p {
			g.aInv[i*p+j] = aInv.At(i, j)
		}
	}
	z := slices.Clone(g.r)
	g.forward(z)
	var gtz [3]float64
	for i := range n {
		for j := range p {
			gtz[j] += g.gMat[i*p+j] * z[i]
		}
	}
	g.delta = make([]float64, p)
	for i := range p {
		for j := range p {
			g.delta[i] += g.aInv[i*p+j] * gtz[j]
		}
	}
	for i := range n {
		for j := range p {
			z[i] -= g.gMat[i*p+j] * g.delta[j]
		}
	}
	g.backward(z)
	g.alpha = z
	return nil
}

// leaveOneOutDiag computes diag P = diag K⁻¹ - diag(K⁻¹H A⁻¹ HᵀK⁻¹), with
// K⁻¹H = L⁻ᵀG, from the Cholesky factor of K.
func (g *GP) leaveOneOutDiag(chol *mat.Cholesky) {
	n, p := g.n, g.p
	var kinv mat.SymDense
	_ = chol.InverseTo(&kinv)
	b := make([]float64, n*p)
	col := make([]float64, n)
	for j := range p {
		for i := range n {
			col[i] = g.gMat[i*p+j]
		}
		g.backward(col)
		for i := range n {
			b[i*p+j] = col[i]
		}
	}
	g.pDiag = make([]float64, n)
	for i := range n {
		d := kinv.At(i, i)
		for k := range p {
			for l := range p {
				d -= b[i*p+k] * g.aInv[k*p+l] * b[i*p+l]
			}
		}
		g.pDiag[i] = d
	}
}

// forward solves L v = v in place.
func (g *GP) forward(v []float64) {
	n := g.n
	for i := range n {
		row := g.chol[i*n : i*n+i+1]
		s := v[i]
		for j, lij := range row[:i] {
			s -= lij * v[j]
		}
		v[i] = s / row[i]
	}
}

// backward solves Lᵀ v = v in place.
func (g *GP) backward(v []float64) {
	n := g.n
	for i := n - 1; i >= 0; i-- {
		s := v[i]
		for j := i + 1; j < n; j++ {
			s -= g.chol[j*n+i] * v[j]
		}
		v[i] = s / g.chol[i*n+i]
	}
}

// matern52 is the Matérn 5/2 covariance: twice differentiable, so the
// posterior mean is smooth enough to have a well-defined minimum, but not
// so smooth (unlike the squared exponential) that a kink such as the start
// of a plateau forces a tiny length scale everywhere.
func matern52(d, lengthScale, signalVar float64) float64 {
	s := math.Sqrt(5) * d / lengthScale
	return signalVar * (1 + s + s*s/3) * math.Exp(-s)
}

// Predict returns the posterior of the build time at n in seconds: the
// median exp(μ) of the log-normal posterior, and its standard deviation by
// the delta method, exp(μ)·σ. The median rather than the log-normal mean,
// because the mean is inflated by σ²/2 away from the data, which would
// bias a recommendation made from it towards observed N.
func (g *GP) Predict(n int) (meanSeconds, sdSeconds float64) {
	mu, sigma := g.PredictLog(n)
	m := math.Exp(mu)
	return m, m * sigma
}

// PredictLog returns the posterior mean and standard deviation of the log
// build time at n, without the observation noise: what a noiseless build
// would take, which is what expected improvement should be computed on.
func (g *GP) PredictLog(n int) (mu, sigma float64) {
	if n < 1 {
		panic(fmt.Sprintf("model: predict at %d jobs", n))
	}
	return g.predictLog(math.Log(float64(n)))
}

// predictLog costs O(n) for the mean and one O(n²) triangular solve for
// the variance; nothing is allocated for up to 64 fitted points.
func (g *GP) predictLog(x float64) (mu, sigma float64) {
	var buf [64]float64
	var k []float64
	if g.n <= len(buf) {
		k = buf[:g.n]
	} else {
		k = make([]float64, g.n)
	}
	var phi, rr [3]float64
	g.mean.basis(x, phi[:g.p])
	var m float64
	for i, xi := range g.x {
		k[i] = matern52(math.Abs(x-xi), g.lengthScale, g.signalVar)
		m += k[i] * g.alpha[i]
	}
	for j := range g.p {
		m += phi[j] * g.delta[j]
	}
	// v = L⁻¹k in place; the variance is k(x,x) - vᵀv plus the
	// uncertainty of the mean's coefficients, RᵀA⁻¹R with R = φ - Gᵀv.
	g.forward(k)
	var vv float64
	copy(rr[:], phi[:])
	for i, vi := range k {
		vv += vi * vi
		for j := range g.p {
			rr[j] -= g.gMat[i*g.p+j] * vi
		}
	}
	for i := range g.p {
		for j := range g.p {
			vv -= rr[i] * g.aInv[i*g.p+j] * rr[j]
		}
	}
	v := math.Max(g.signalVar-vv, 0)
	return g.mean.at(x) + g.scale*m, g.scale * math.Sqrt(v)
}

// leaveOneOut returns the predictive distribution, in log seconds and with
// the observation noise, of fitted point i given all the others (the mean's
// coefficients re-estimated without it): r - (Pr)ᵢ/Pᵢᵢ and 1/Pᵢᵢ. It is not
// ok when the other points cannot pin the mean, e.g. three points for
// three coefficients.
func (g *GP) leaveOneOut(i int) (mu, sd float64, ok bool) {
	pii := g.pDiag[i]
	if !(pii > 1e-9/(g.signalVar+g.noiseVar)) {
		return 0, 0, false
	}
	mr := g.r[i] - g.alpha[i]/pii
	return g.mean.at(g.x[i]) + g.scale*mr, g.scale / math.Sqrt(pii), true
}

// BestObservedLog is the lowest log time among feasible uncensored
// observations: the incumbent of expected improvement.
func (g *GP) BestObservedLog() float64 { return g.best }

// Feasible reports whether n is below the lowest infeasible N.
func (g *GP) Feasible(n int) bool { return g.infeasibleFrom == 0 || n < g.infeasibleFrom }

// InfeasibleFrom is the lowest infeasible N, or 0 when none.
func (g *GP) InfeasibleFrom() int { return g.infeasibleFrom }

// Hyper returns the fitted hyperparameters: the length scale in log-N
// units, and the signal and noise variances of log seconds (so
// sqrt(noiseVar) is roughly the relative run-to-run noise).
func (g *GP) Hyper() (lengthScale, signalVar, noiseVar float64) {
	s2 := g.scale * g.scale
	return g.lengthScale, g.signalVar * s2, g.noiseVar * s2
}

// gpStdDev is the sample standard deviation, zero for fewer than two
// values (where stat.StdDev is NaN).
func gpStdDev(v []float64) float64 {
	if len(v) < 2 {
		return 0
	}
	return stat.StdDev(v, nil)
}
