package model

import (
	"math"
	"math/rand/v2"
	"slices"
)

// gpCensorRounds is how many times censored bounds are re-imputed and the
// model refitted. The first round moves the model most; the second lets
// several censored points inform one another.
const gpCensorRounds = 2

// refitCensored replaces each censored bound in d by its expected value
// given that the build would have taken at least that long, and refits g
// with the measured times and these imputations, gpCensorRounds times (see
// FitGP). The imputations never enter the prior mean nor the incumbent:
// fitGPOnce takes both from the measured points only.
func refitCensored(g *GP, d gpData, noise float64, rng *rand.Rand) (*GP, error) {
	u := len(d.xs)
	ax := append(slices.Clone(d.xs), d.cx...)
	ay := append(slices.Clone(d.ys), d.cy...)
	for round := range gpCensorRounds {
		for i := range d.cx {
			var mu, sd float64
			ok := true
			if round == 0 {
				// The censored points are not in this fit, so the
				// predictive of a new build at cx[i] is already the
				// leave-one-out one.
				m, sigma := g.predictLog(d.cx[i])
				mu, sd = m, math.Sqrt(sigma*sigma+g.noiseVar*g.scale*g.scale)
			} else {
				mu, sd, ok = g.leaveOneOut(u + i)
			}
			if ok {
				ay[u+i] = gpTruncatedMean(mu, sd, d.cy[i])
			}
		}
		warm := [3]float64{g.lengthScale, g.signalVar, g.noiseVar}
		var err error
		if g, err = fitGPOnce(ax, ay, u, noise, rng, 0, &warm); err != nil {
			return nil, err
		}
	}
	return g, nil
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
