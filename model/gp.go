package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
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

// Bounds and weak priors of the hyperparameters. The length scale is in
// log-N units; the variances are in units of the standardised residuals.
// The bounds keep a fit on two or three points from collapsing onto a
// zero length scale (a spike at each point) or an infinite one, and keep
// the kernel matrix well conditioned (noise at least 1e-6 of the data
// variance, signal at most 10 times it).
const (
	gpMinLengthScale = 0.05
	gpMaxLengthScale = 5
	gpMinSignalVar   = 1e-4
	gpMaxSignalVar   = 10
	gpMinNoiseVar    = 1e-6
	gpMaxNoiseVar    = 4

	// Priors are normal in the log of each hyperparameter: their centres
	// and standard deviations (natural log units).
	gpPriorLengthScale   = 0.7 // a factor of 2 in N
	gpPriorLogLengthSD   = 1
	gpPriorSignalVar     = 0.25
	gpPriorLogSignalSD   = 2
	gpPriorLogNoiseVarSD = 2

	// gpMinScale is the smallest standard deviation of log seconds used to
	// standardise the data. Without it a single point, or a perfectly flat
	// plateau, would make the model claim the time is known to a fraction
	// of a percent everywhere.
	gpMinScale = 0.2

	// gpCensorRounds is how many times censored bounds are re-imputed and the
	// model refitted. The first round moves the model most; the second lets
	// several censored points inform one another.
	gpCensorRounds = 2
)

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

	var xs, ys, cx, cy []float64
	infeasibleFrom := 0
	best := math.Inf(1)
	for i, o := range obs {
		if o.Jobs < 1 {
			panic(fmt.Sprintf("model: observation %d has %d jobs", i, o.Jobs))
		}
		if o.Infeasible {
			if infeasibleFrom == 0 || o.Jobs < infeasibleFrom {
				infeasibleFrom = o.Jobs
			}
			continue
		}
		if !(o.Seconds > 0) || math.IsInf(o.Seconds, 1) {
			return nil, fmt.Errorf("%w: observation %d (jobs %d) has %v seconds", ErrBadSeconds, i, o.Jobs, o.Seconds)
		}
		x, y := math.Log(float64(o.Jobs)), math.Log(o.Seconds)
		if o.Censored {
			cx, cy = append(cx, x), append(cy, y)
			continue
		}
		xs, ys = append(xs, x), append(ys, y)
		best = math.Min(best, y)
	}
	if len(xs) == 0 {
		return nil, ErrNoData
	}

	g, err := fitGPOnce(xs, ys, len(xs), noise, rng, restarts, nil)
	if err != nil {
		return nil, err
	}
	if len(cx) > 0 {
		u := len(xs)
		ax := append(slices.Clone(xs), cx...)
		ay := append(slices.Clone(ys), cy...)
		for round := range gpCensorRounds {
			for i := range cx {
				var mu, sd float64
				ok := true
				if round == 0 {
					// The censored points are not in this fit, so the
					// predictive of a new build at cx[i] is already the
					// leave-one-out one.
					m, sigma := g.predictLog(cx[i])
					mu, sd = m, math.Sqrt(sigma*sigma+g.noiseVar*g.scale*g.scale)
				} else {
					mu, sd, ok = g.leaveOneOut(u + i)
				}
				if ok {
					ay[u+i] = gpTruncatedMean(mu, sd, cy[i])
				}
			}
			warm := [3]float64{g.lengthScale, g.signalVar, g.noiseVar}
			if g, err = fitGPOnce(ax, ay, u, noise, rng, 0, &warm); err != nil {
				return nil, err
			}
		}
	}
	g.best = best
	g.infeasibleFrom = infeasibleFrom
	return g, nil
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
// one triangular solve.
func (g *GP) factor(h *mat.Dense) error {
	n, p := g.n, g.p
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

	// G = L⁻¹H and z = L⁻¹r, then the GLS estimate δ = (GᵀG)⁻¹Gᵀz and
	// α = L⁻ᵀ(z - Gδ) = P r.
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

	// diag P = diag K⁻¹ - diag(K⁻¹H A⁻¹ HᵀK⁻¹), with K⁻¹H = L⁻ᵀG.
	var kinv mat.SymDense
	_ = chol.InverseTo(&kinv)
	b := make([]float64, n*p)
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
	return nil
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

// gpPriorMean is log(a + b/min(N, K) + c·N), or a constant in log space
// when param is false. K is +Inf for the smooth curve a + b/N + c·N. Its
// basis functions are the derivatives of that log with respect to the
// non-zero coefficients, f_k(N)/t(N) (for the constant, 1), scaled to unit
// norm over the data to keep HᵀK⁻¹H well conditioned.
type gpPriorMean struct {
	param  bool
	coef   [3]float64 // a, b, c
	kink   float64    // K
	logC   float64
	active []int
	norms  []float64
}

func (m *gpPriorMean) dim() int { return len(m.norms) }

func (m *gpPriorMean) features(x float64) (f [3]float64, t float64) {
	n := math.Exp(x)
	f = [3]float64{1, 1 / math.Min(n, m.kink), n}
	return f, m.coef[0]*f[0] + m.coef[1]*f[1] + m.coef[2]*f[2]
}

func (m *gpPriorMean) at(x float64) float64 {
	if !m.param {
		return m.logC
	}
	_, t := m.features(x)
	return math.Log(t)
}

func (m *gpPriorMean) basis(x float64, dst []float64) {
	if !m.param {
		dst[0] = 1 / m.norms[0]
		return
	}
	f, t := m.features(x)
	for c, k := range m.active {
		dst[c] = f[k] / t / m.norms[c]
	}
}

// gpMinKinkPoints is the fewest distinct N for which the kinked curve is
// tried: it has four parameters, and fewer points cannot tell a kink from
// noise.
const gpMinKinkPoints = 5

// fitGPPriorMean fits t(N) = a + b/min(N, K) + c·N with a, b, c >= 0 to
// the times by least squares on relative errors, which weighs every N alike
// as the log space does, yet is linear for a given K.
//
// K = +Inf is the smooth curve a + b/N + c·N: Amdahl's law plus a per-job
// overhead, and also the time form of the Universal Scalability Law,
// T₁(1 + σ(N-1) + κN(N-1))/N. A finite K, tried at each observed N once
// there are enough points, is a farm that saturates at K slots: beyond it
// more jobs only queue, and the curve goes flat or rises with the
// overhead. A smooth curve cannot bend that sharply, and the GP would have
// to explain the bend as noise. The choice between them is made by AICc,
// which charges the kink for its extra parameter.
//
// Fewer than three distinct N cannot pin three coefficients, so the mean is
// then the mean log time.
func fitGPPriorMean(xs, ys []float64) gpPriorMean {
	n := len(xs)
	constant := gpPriorMean{logC: stat.Mean(ys, nil), norms: []float64{math.Sqrt(float64(n))}}
	distinct := slices.Clone(xs)
	slices.Sort(distinct)
	distinct = slices.Compact(distinct)
	if len(distinct) < 3 {
		return constant
	}
	jobs, ts := make([]float64, n), make([]float64, n)
	for i := range n {
		jobs[i], ts[i] = math.Exp(xs[i]), math.Exp(ys[i])
	}
	// fit returns the curve with kink K, its error, and its number of
	// parameters, K counting as one when it matters.
	fit := func(kink float64) (m gpPriorMean, sse float64, k int, ok bool) {
		var cols [3][]float64
		for c := range cols {
			cols[c] = make([]float64, n)
		}
		for i := range n {
			cols[0][i] = 1 / ts[i]
			cols[1][i] = 1 / (math.Min(jobs[i], kink) * ts[i])
			cols[2][i] = jobs[i] / ts[i]
		}
		coef, active, sse, ok := gpNNLS3(cols)
		k = len(active)
		if !math.IsInf(kink, 1) && coef[1] > 0 {
			k++
		}
		return gpPriorMean{param: true, coef: coef, kink: kink, active: active}, sse, k, ok
	}
	aicc := func(sse float64, k int) float64 {
		// A floor on the error, 0.01% per point, so that curves that fit
		// noise-free data exactly tie, and the penalty decides.
		sse = math.Max(sse, float64(n)*1e-8)
		return float64(n)*math.Log(sse/float64(n)) + 2*float64(k) + 2*float64(k*(k+1))/float64(n-k-1)
	}
	best, sse, k, ok := fit(math.Inf(1))
	if !ok {
		return constant
	}
	if len(distinct) >= gpMinKinkPoints && n > 5 { // n > k+1 for AICc
		bestScore := aicc(sse, k)
		// Two distinct N at or below K pin b; one above it shows the bend.
		for _, x := range distinct[1 : len(distinct)-1] {
			m, sse, k, ok := fit(math.Exp(x))
			if !ok || m.coef[1] == 0 {
				continue // without b the kink does nothing
			}
			if score := aicc(sse, k); score < bestScore {
				best, bestScore = m, score
			}
		}
	}

	// Unit norms first, so that basis returns the raw features, then the
	// norms of those features over the data.
	m := best
	m.norms = make([]float64, len(m.active))
	for c := range m.norms {
		m.norms[c] = 1
	}
	f := make([]float64, len(m.active))
	sq := make([]float64, len(m.active))
	for _, x := range xs {
		m.basis(x, f)
		for c, v := range f {
			sq[c] += v * v
		}
	}
	for c := range m.norms {
		m.norms[c] = math.Sqrt(sq[c])
	}
	return m
}

// gpNNLS3 minimises Σᵢ(Σₖ βₖ colsₖ[i] - 1)² over β >= 0. With three
// coefficients the seven active sets can all be tried: the best one whose
// unconstrained least-squares solution is positive is the NNLS solution.
// Each is solved by the normal equations with the columns scaled to unit
// norm, which for at most three columns loses nothing that matters here.
func gpNNLS3(cols [3][]float64) (coef [3]float64, active []int, sse float64, ok bool) {
	var norm [3]float64
	for k := range 3 {
		norm[k] = floats.Norm(cols[k], 2)
		if !(norm[k] > 0) || math.IsInf(norm[k], 0) {
			return coef, nil, 0, false
		}
	}
	var gram [3][3]float64
	var rhs [3]float64
	for k := range 3 {
		for l := range 3 {
			gram[k][l] = floats.Dot(cols[k], cols[l]) / (norm[k] * norm[l])
		}
		rhs[k] = floats.Sum(cols[k]) / norm[k]
	}
	sse = math.Inf(1)
	for set := 1; set < 8; set++ {
		var idx []int
		for k := range 3 {
			if set&(1<<k) != 0 {
				idx = append(idx, k)
			}
		}
		beta, solved := gpSolveSmall(gram, rhs, idx)
		if !solved {
			continue
		}
		var c [3]float64
		feasible := true
		for j, k := range idx {
			c[k] = beta[j] / norm[k]
			feasible = feasible && c[k] > 0
		}
		if !feasible {
			continue
		}
		var s float64
		for i := range cols[0] {
			e := c[0]*cols[0][i] + c[1]*cols[1][i] + c[2]*cols[2][i] - 1
			s += e * e
		}
		if s < sse {
			coef, active, sse, ok = c, idx, s, true
		}
	}
	return coef, active, sse, ok
}

// gpSolveSmall solves the normal equations restricted to idx by Gaussian
// elimination; the matrix is symmetric positive semi-definite, so no
// pivoting is needed, and a vanishing pivot means collinear columns.
func gpSolveSmall(gram [3][3]float64, rhs [3]float64, idx []int) ([3]float64, bool) {
	m := len(idx)
	var a [3][4]float64
	for i, k := range idx {
		for j, l := range idx {
			a[i][j] = gram[k][l]
		}
		a[i][m] = rhs[k]
	}
	for c := range m {
		if !(a[c][c] > 1e-12) {
			return [3]float64{}, false
		}
		for r := c + 1; r < m; r++ {
			f := a[r][c] / a[c][c]
			for j := c; j <= m; j++ {
				a[r][j] -= f * a[c][j]
			}
		}
	}
	var x [3]float64
	for r := m - 1; r >= 0; r-- {
		s := a[r][m]
		for j := r + 1; j < m; j++ {
			s -= a[r][j] * x[j]
		}
		x[r] = s / a[r][r]
	}
	return x, true
}

// gpHyperProblem is the negative restricted log likelihood plus the log
// priors of θ = (log ℓ, log σf², log σn²), with analytic gradients,
// optimised in an unbounded u where θ = lo + (hi-lo)·sigmoid(u) enforces
// the bounds. With P = K⁻¹ - K⁻¹H(HᵀK⁻¹H)⁻¹HᵀK⁻¹, the objective is
// ½rᵀPr + ½log|K| + ½log|HᵀK⁻¹H| + (n-p)/2·log 2π - log prior(θ).
//
// It is evaluated a few hundred times per fit, so it works on raw slices
// and calls LAPACK directly, skipping the condition estimate that
// mat.Cholesky makes on every factorisation.
type gpHyperProblem struct {
	n, p   int
	r      []float64
	h      []float64 // basis, row-major n×p
	d      []float64 // |xᵢ - xⱼ|, row-major
	centre [3]float64
	sd     [3]float64
	lo, hi [3]float64

	k, kinv []float64 // K and its inverse, row-major n×n
	dl      []float64 // ∂K/∂log ℓ, upper triangle
	b, c    []float64 // K⁻¹H and K⁻¹H A⁻¹, row-major n×p
	pr      []float64

	lastU    [3]float64
	lastF    float64
	lastGrad [3]float64
	have     bool
}

func newGPHyperProblem(xs, r []float64, h *mat.Dense, noiseSD float64) *gpHyperProblem {
	n, p := h.Dims()
	q := &gpHyperProblem{
		n:    n,
		p:    p,
		r:    r,
		h:    make([]float64, n*p),
		d:    make([]float64, n*n),
		lo:   [3]float64{math.Log(gpMinLengthScale), math.Log(gpMinSignalVar), math.Log(gpMinNoiseVar)},
		hi:   [3]float64{math.Log(gpMaxLengthScale), math.Log(gpMaxSignalVar), math.Log(gpMaxNoiseVar)},
		sd:   [3]float64{gpPriorLogLengthSD, gpPriorLogSignalSD, gpPriorLogNoiseVarSD},
		k:    make([]float64, n*n),
		kinv: make([]float64, n*n),
		dl:   make([]float64, n*n),
		b:    make([]float64, n*p),
		c:    make([]float64, n*p),
		pr:   make([]float64, n),
	}
	for i := range n {
		for j := range p {
			q.h[i*p+j] = h.At(i, j)
		}
	}
	q.centre = [3]float64{math.Log(gpPriorLengthScale), math.Log(gpPriorSignalVar), 2 * math.Log(noiseSD)}
	for j := range q.centre {
		q.centre[j] = gpClamp(q.centre[j], q.lo[j], q.hi[j])
	}
	for i := range n {
		for j := range n {
			q.d[i*n+j] = math.Abs(xs[i] - xs[j])
		}
	}
	return q
}

// optimise runs BFGS from the warm start if there is one, else from the
// prior centre, and from restarts random points, and returns the best θ
// found. The budgets are small on purpose: the objective is smooth in
// three dimensions, a difference of 1e-5 in log likelihood changes no
// decision, and a fit runs after every build.
func (q *gpHyperProblem) optimise(rng *rand.Rand, restarts int, warm *[3]float64) [3]float64 {
	starts := [][3]float64{q.centre}
	if warm != nil {
		for j, v := range warm {
			starts[0][j] = gpClamp(math.Log(v), q.lo[j], q.hi[j])
		}
	}
	for range restarts {
		var t [3]float64
		for j := range t {
			t[j] = q.lo[j] + (q.hi[j]-q.lo[j])*(0.05+0.9*rng.Float64())
		}
		starts = append(starts, t)
	}
	bestF, bestU := math.Inf(1), q.toU(q.centre)
	prob := optimize.Problem{Func: q.f, Grad: q.grad}
	settings := &optimize.Settings{
		GradientThreshold: 1e-3,
		MajorIterations:   30,
		FuncEvaluations:   60,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-5, Iterations: 2},
	}
	for _, t := range starts {
		u := q.toU(t)
		if f := q.f(u[:]); f < bestF {
			bestF, bestU = f, u
		}
		// Errors (a failed line search, an exhausted budget) still leave
		// the best point so far in the result, which is all that is used.
		res, _ := optimize.Minimize(prob, u[:], settings, &optimize.BFGS{})
		if res != nil && res.F < bestF {
			bestF = res.F
			copy(bestU[:], res.X)
		}
	}
	return q.toTheta(bestU[:])
}

func (q *gpHyperProblem) toU(t [3]float64) [3]float64 {
	var u [3]float64
	for j := range t {
		f := gpClamp((t[j]-q.lo[j])/(q.hi[j]-q.lo[j]), 1e-6, 1-1e-6)
		u[j] = math.Log(f / (1 - f))
	}
	return u
}

func (q *gpHyperProblem) toTheta(u []float64) [3]float64 {
	var t [3]float64
	for j := range t {
		t[j] = q.lo[j] + (q.hi[j]-q.lo[j])/(1+math.Exp(-u[j]))
	}
	return t
}

func (q *gpHyperProblem) f(u []float64) float64 {
	q.eval(u)
	return q.lastF
}

func (q *gpHyperProblem) grad(grad, u []float64) {
	q.eval(u)
	copy(grad, q.lastGrad[:])
}

// eval computes the objective and its gradient at u, caching the last
// point since the optimiser asks for both at the same u.
func (q *gpHyperProblem) eval(u []float64) {
	if q.have && u[0] == q.lastU[0] && u[1] == q.lastU[1] && u[2] == q.lastU[2] {
		return
	}
	q.have = true
	copy(q.lastU[:], u)
	t := q.toTheta(u)
	f, g := q.objective(t)
	q.lastF = f
	for j := range g {
		s := 1 / (1 + math.Exp(-u[j]))
		q.lastGrad[j] = g[j] * (q.hi[j] - q.lo[j]) * s * (1 - s)
	}
}

// objective returns the objective at θ and its gradient,
// ∂/∂θⱼ = -½ tr((Pr(Pr)ᵀ - P) ∂K/∂θⱼ) + (θⱼ - centreⱼ)/sdⱼ².
func (q *gpHyperProblem) objective(t [3]float64) (float64, [3]float64) {
	n, p := q.n, q.p
	ell, sf2, sn2 := math.Exp(t[0]), math.Exp(t[1]), math.Exp(t[2])
	for i := range n {
		for j := i; j < n; j++ {
			s := math.Sqrt(5) * q.d[i*n+j] / ell
			e := math.Exp(-s)
			kij := sf2 * (1 + s + s*s/3) * e
			q.dl[i*n+j] = sf2 * s * s * (1 + s) / 3 * e
			if i == j {
				kij += sn2
			}
			q.k[i*n+j] = kij
		}
	}
	var g [3]float64
	copy(q.kinv, q.k)
	u, ok := lapack64.Potrf(blas64.Symmetric{Uplo: blas.Upper, N: n, Stride: n, Data: q.kinv})
	if !ok {
		return math.Inf(1), g
	}
	var logDetK float64
	for i := range n {
		logDetK += 2 * math.Log(q.kinv[i*n+i])
	}
	if _, ok := lapack64.Potri(u); !ok {
		return math.Inf(1), g
	}
	kinv := q.kinv
	for i := range n {
		for j := range i {
			kinv[i*n+j] = kinv[j*n+i]
		}
	}

	// B = K⁻¹H, A = HᵀB, C = BA⁻¹, Pr = K⁻¹r - C(Bᵀr).
	var btr [3]float64
	for i := range n {
		row := kinv[i*n : i*n+n]
		var kr float64
		for l, v := range row {
			kr += v * q.r[l]
		}
		q.pr[i] = kr
		for j := range p {
			var s float64
			for l, v := range row {
				s += v * q.h[l*p+j]
			}
			q.b[i*p+j] = s
			btr[j] += s * q.r[i]
		}
	}
	var a [9]float64
	for i := range p {
		for j := range p {
			var s float64
			for l := range n {
				s += q.h[l*p+i] * q.b[l*p+j]
			}
			a[i*p+j] = s
		}
	}
	aInv, logDetA, ok := gpInvertSmall(a, p)
	if !ok {
		return math.Inf(1), g
	}
	for i := range n {
		for j := range p {
			var s float64
			for l := range p {
				s += q.b[i*p+l] * aInv[l*p+j]
			}
			q.c[i*p+j] = s
			q.pr[i] -= s * btr[j]
		}
	}
	f := 0.5*floats.Dot(q.r, q.pr) + 0.5*logDetK + 0.5*logDetA + 0.5*float64(n-p)*math.Log(2*math.Pi)
	for i := range n {
		ci := q.c[i*p : i*p+p]
		for j := i; j < n; j++ {
			bj := q.b[j*p : j*p+p]
			pij := kinv[i*n+j]
			for l, v := range ci {
				pij -= v * bj[l]
			}
			w := q.pr[i]*q.pr[j] - pij
			if i != j {
				w *= 2 // the trace runs over both triangles
			}
			g[0] -= 0.5 * w * q.dl[i*n+j]
			kf := q.k[i*n+j]
			if i == j {
				kf -= sn2
				g[2] -= 0.5 * w * sn2
			}
			g[1] -= 0.5 * w * kf
		}
	}
	for j := range t {
		z := (t[j] - q.centre[j]) / q.sd[j]
		f += 0.5 * z * z
		g[j] += z / q.sd[j]
	}
	return f, g
}

// gpInvertSmall inverts the symmetric positive definite p×p matrix a
// (p <= 3, row-major) by Cholesky, and returns its log determinant.
func gpInvertSmall(a [9]float64, p int) (inv [9]float64, logDet float64, ok bool) {
	var l [9]float64
	for i := range p {
		for j := 0; j <= i; j++ {
			s := a[i*p+j]
			for k := range j {
				s -= l[i*p+k] * l[j*p+k]
			}
			if i == j {
				if !(s > 0) {
					return inv, 0, false
				}
				l[i*p+i] = math.Sqrt(s)
				logDet += math.Log(s)
			} else {
				l[i*p+j] = s / l[j*p+j]
			}
		}
	}
	// Columns of L⁻¹, then A⁻¹ = L⁻ᵀL⁻¹.
	var li [9]float64
	for c := range p {
		for i := c; i < p; i++ {
			s := 0.0
			if i == c {
				s = 1
			}
			for k := c; k < i; k++ {
				s -= l[i*p+k] * li[k*p+c]
			}
			li[i*p+c] = s / l[i*p+i]
		}
	}
	for i := range p {
		for j := range p {
			var s float64
			for k := max(i, j); k < p; k++ {
				s += li[k*p+i] * li[k*p+j]
			}
			inv[i*p+j] = s
		}
	}
	return inv, logDet, true
}

// gpTruncatedMean is E[Y | Y >= c] for Y ~ N(mu, sd²): mu + sd·φ(a)/(1-Φ(a))
// with a = (c-mu)/sd, computed through erfcx so that it stays finite (and
// tends to c + sd²/(c-mu)) when the bound is far above the prediction.
func gpTruncatedMean(mu, sd, c float64) float64 {
	if !(sd > 0) {
		return math.Max(mu, c)
	}
	a := (c - mu) / sd
	// 1-Φ(a) = φ(a)·√(π/2)·erfcx(a/√2).
	mills := math.Sqrt(math.Pi/2) * erfcx(a/math.Sqrt2)
	return math.Max(mu+sd/mills, c)
}

// ExpectedImprovement of a Gaussian (mu, sigma) below best, for
// minimisation: E[max(best - Y, 0)]. It is accurate (no cancellation)
// far below the incumbent, where it becomes tiny, and it panics on a
// negative sigma.
func ExpectedImprovement(mu, sigma, best float64) float64 {
	if sigma < 0 {
		panic(fmt.Sprintf("model: negative sigma %v", sigma))
	}
	z := (best - mu) / sigma
	if sigma == 0 || math.IsInf(z, 0) {
		return math.Max(best-mu, 0)
	}
	if z > -1 {
		return sigma * eiH(z)
	}
	return sigma * math.Exp(eiLogH(z))
}

// LogExpectedImprovement is log(ExpectedImprovement) computed without
// underflow: where improvement is hopeless EI underflows to 0 for whole
// ranges of N, and an acquisition that is flat there cannot rank them,
// while log EI still can (Ament et al., "Unexpected Improvements to
// Expected Improvement for Bayesian Optimization", NeurIPS 2023).
func LogExpectedImprovement(mu, sigma, best float64) float64 {
	if sigma < 0 {
		panic(fmt.Sprintf("model: negative sigma %v", sigma))
	}
	z := (best - mu) / sigma
	if sigma == 0 || math.IsInf(z, 0) {
		return math.Log(math.Max(best-mu, 0))
	}
	return math.Log(sigma) + eiLogH(z)
}

// eiH is h(z) = φ(z) + z·Φ(z), where EI = σ·h(z); above z = -1 the two
// terms do not cancel by more than a digit.
func eiH(z float64) float64 {
	return gpNormPDF(z) + z*0.5*math.Erfc(-z/math.Sqrt2)
}

// eiLogH is log h(z) for every z. Below -1, φ(z) is factored out: with
// t = -z, h(z) = φ(z)·(1 - t·R(t)) where R(t) = (1-Φ(t))/φ(t) =
// √(π/2)·erfcx(t/√2) is Mills' ratio, and 1 - t·R(t) is computed with
// log1p. Below -12, where 1 - t·R(t) ≈ 1/t² would lose digits to erfcx's
// rounding, the asymptotic series
// 1 - t·R(t) = t⁻²·(1 - 3/t² + 15/t⁴ - 105/t⁶ + …) converges to full
// precision before its terms start growing again.
func eiLogH(z float64) float64 {
	switch {
	case z > -1:
		return math.Log(eiH(z))
	case z > -12:
		t := -z
		w := t * math.Sqrt(math.Pi/2) * erfcx(t/math.Sqrt2)
		return gpLogNormPDF(z) + math.Log1p(-w)
	default:
		t2 := z * z
		sum, term := 1.0, 1.0
		for k := 1; k < 60; k++ {
			term *= -float64(2*k+1) / t2
			sum += term
			if math.Abs(term) < 1e-17*sum {
				break
			}
		}
		return gpLogNormPDF(z) - math.Log(t2) + math.Log(sum)
	}
}

// erfcx is the scaled complementary error function exp(x²)·erfc(x),
// finite where erfc underflows. Below 26 the product is exact to a few
// ulps, using an FMA to keep the rounding error of x² out of the
// exponential; above it, erfc underflows and the asymptotic series
// 1/(x√π)·(1 - 1/(2x²) + 3/(2x²)² - 15/(2x²)³ + …) is exact to double
// precision within ten terms.
func erfcx(x float64) float64 {
	if x < 26 {
		x2 := x * x
		lo := math.FMA(x, x, -x2)
		return math.Exp(x2) * (1 + lo) * math.Erfc(x)
	}
	v := 1 / (2 * x * x)
	sum, term := 1.0, 1.0
	for k := 1; k < 30; k++ {
		term *= -float64(2*k-1) * v
		sum += term
		if math.Abs(term) < 1e-17 {
			break
		}
	}
	return sum / (x * math.Sqrt(math.Pi))
}

func gpNormPDF(z float64) float64 { return math.Exp(-0.5*z*z) / math.Sqrt(2*math.Pi) }

func gpLogNormPDF(z float64) float64 { return -0.5*z*z - 0.5*math.Log(2*math.Pi) }

// gpStdDev is the sample standard deviation, zero for fewer than two
// values (where stat.StdDev is NaN).
func gpStdDev(v []float64) float64 {
	if len(v) < 2 {
		return 0
	}
	return stat.StdDev(v, nil)
}

func gpClamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }
