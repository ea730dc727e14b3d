package model

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"
)

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
