package model

import (
	"fmt"
	"math"
)

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
