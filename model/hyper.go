package model

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

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
)

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
	q.kernel(ell, sf2, sn2)
	var g [3]float64
	logDetK, ok := q.invertK()
	if !ok {
		return math.Inf(1), g
	}
	logDetA, ok := q.project()
	if !ok {
		return math.Inf(1), g
	}
	f := 0.5*floats.Dot(q.r, q.pr) + 0.5*logDetK + 0.5*logDetA + 0.5*float64(n-p)*math.Log(2*math.Pi)
	g = q.traceGrad(sn2)
	for j := range t {
		z := (t[j] - q.centre[j]) / q.sd[j]
		f += 0.5 * z * z
		g[j] += z / q.sd[j]
	}
	return f, g
}

// kernel fills the upper triangles of K and of ∂K/∂log ℓ.
func (q *gpHyperProblem) kernel(ell, sf2, sn2 float64) {
	n := q.n
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
}

// invertK puts the whole of K⁻¹ in kinv and returns log|K|; it is not ok
// when K is not positive definite.
func (q *gpHyperProblem) invertK() (logDetK float64, ok bool) {
	n := q.n
	copy(q.kinv, q.k)
	u, ok := lapack64.Potrf(blas64.Symmetric{Uplo: blas.Upper, N: n, Stride: n, Data: q.kinv})
	if !ok {
		return 0, false
	}
	for i := range n {
		logDetK += 2 * math.Log(q.kinv[i*n+i])
	}
	if _, ok := lapack64.Potri(u); !ok {
		return 0, false
	}
	kinv := q.kinv
	for i := range n {
		for j := range i {
			kinv[i*n+j] = kinv[j*n+i]
		}
	}
	return logDetK, true
}

// project computes B = K⁻¹H, A = HᵀB, C = BA⁻¹ and Pr = K⁻¹r - C(Bᵀr),
// and returns log|A|; it is not ok when A is singular.
func (q *gpHyperProblem) project() (logDetA float64, ok bool) {
	n, p, kinv := q.n, q.p, q.kinv
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
		return 0, false
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
	return logDetA, true
}

// traceGrad is the likelihood's part of the gradient,
// -½ tr((Pr(Pr)ᵀ - P) ∂K/∂θⱼ), over the upper triangle of the symmetric
// matrices that project and kernel left.
func (q *gpHyperProblem) traceGrad(sn2 float64) [3]float64 {
	n, p, kinv := q.n, q.p, q.kinv
	var g [3]float64
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
	return g
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

func gpClamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }
