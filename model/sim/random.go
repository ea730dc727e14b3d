package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Farm shapes for RandomFarm.
const (
	// KindUnimodal falls to an optimum and rises again as the master
	// swaps under too many preprocessors.
	KindUnimodal = "unimodal"
	// KindPlateau stays flat beyond the optimum: the master never
	// overloads, extra jobs only wait for slots.
	KindPlateau = "plateau"
	// KindWall has a host whose distccd accepts fewer jobs than its slots,
	// so failures start just above the optimum.
	KindWall = "wall"
)

// Kinds lists the shapes RandomFarm draws.
var Kinds = []string{KindUnimodal, KindPlateau, KindWall}

// RandomFarm draws a farm with the given number of remote hosts (clamped to
// 1..64) whose curve has the given shape, one of Kinds; it panics on any
// other kind so that a misspelt benchmark does not quietly test the wrong
// shape. Every draw comes from rng, so a benchmark is reproducible from
// its seed.
//
// The shapes come from where the bottleneck sits, not from a formula:
// plateau and wall farms have a master with spare capacity, so time falls
// until the remote cores are busy and extra jobs then only wait for slots;
// in a wall farm every distccd accepts fewer jobs than the client's /LIMIT
// sends it, so the first jobs beyond the accepted total fail, and backoff
// turns the failures into a cascade. Unimodal farms have a master that
// preprocesses a little slower than the farm compiles (like the seed's),
// and too little memory for the jobs that pile up on it at large N.
//
// The order in which the draws are made is part of every farm's identity:
// the same seed gives the same farm only while it does not change.
func RandomFarm(rng *rand.Rand, hosts int, kind string) Farm {
	switch kind {
	case KindUnimodal, KindPlateau, KindWall:
	default:
		panic(fmt.Sprintf("sim.RandomFarm: unknown kind %q (want one of %v)", kind, Kinds))
	}
	hosts = max(1, min(hosts, 64))
	d := draws{rng}
	f := Farm{
		Name:        fmt.Sprintf("random-%s-%d", kind, hosts),
		Description: "drawn by sim.RandomFarm",
		Distcc:      Distcc{Randomize: rng.IntN(2) == 0, PauseMS: 1000, BackoffSeconds: 60},
		Network: Network{
			LatencyMS:    d.uni(0.1, 2),
			SendBytes:    d.uni(100e3, 600e3),
			ReceiveBytes: d.uni(20e3, 100e3),
		},
		Noise: Noise{RelativeSD: d.uni(0.01, 0.04)},
	}
	linkChoice := d.pick(1000, 1000, 10000)
	remote := d.hosts(&f, hosts, kind)
	pp := d.master(&f, remote, kind)
	d.build(&f, pp)
	f.Network.BandwidthMbps = linkMbps(f, remote, linkChoice, kind)
	if kind == KindUnimodal {
		// Room for some of the jobs beyond the slots, then swapping.
		fit := float64(f.Master.Cores) + float64(f.SlotSum())*d.uni(0.2, 0.6)
		f.Master.MemoryMB = math.Round(fit * f.Build.UnitMemoryMB)
		f.Master.SwapSlowdown = d.uni(0.5, 2)
	}
	return f
}

// draws is where RandomFarm's numbers come from.
type draws struct{ rng *rand.Rand }

// uni is uniform in [lo, hi).
func (d draws) uni(lo, hi float64) float64 { return lo + (hi-lo)*d.rng.Float64() }

// pick is one of xs, each as likely.
func (d draws) pick(xs ...int) int { return xs[d.rng.IntN(len(xs))] }

// hosts adds the remote hosts to f and returns their compile capacity, in
// reference-CPU seconds of compiling per second.
//
// Sometimes several containers share one machine. Wall farms are
// homogeneous in cores because distcc fills slot index k on every host
// before k+1 on any: with mixed sizes the smallest distccd would overflow
// long before the farm is busy, a wall well below the optimum.
func (d draws) hosts(f *Farm, hosts int, kind string) (remote float64) {
	perMachine := min(d.pick(1, 1, 2, 4), hosts)
	coreChoices := []int{2, 4, 8, 16}
	if hosts > 8 {
		coreChoices = []int{2, 4, 4, 8}
	}
	wallCores := coreChoices[d.rng.IntN(len(coreChoices))]
	var cores int
	var speed, cont float64
	for i := range hosts {
		if i%perMachine == 0 {
			cores = coreChoices[d.rng.IntN(len(coreChoices))]
			if kind == KindWall {
				cores = wallCores
			}
			speed = d.uni(0.6, 1.6)
			cont = d.uni(0, 0.15)
			remote += float64(cores) * speed / (1 + cont)
		}
		h := Host{Name: fmt.Sprintf("h%02d", i+1), Cores: cores, Speed: speed, Contention: cont}
		if perMachine > 1 {
			h.Machine = fmt.Sprintf("m%02d", i/perMachine+1)
		}
		share := max(1, cores/perMachine)
		if kind == KindWall {
			// distccd --jobs matches the cores, the client's /LIMIT is
			// higher: the classic misconfiguration.
			h.MaxJobs = share
			h.Slots = min(maxSlots, share+d.pick(2, 4, 8))
		} else {
			h.Slots = min(maxSlots, share+d.pick(0, 1, 2))
			h.MaxJobs = h.Slots + d.pick(0, 2)
		}
		f.Hosts = append(f.Hosts, h)
	}
	return remote
}

// master sets f's master, sized against the remote capacity so that the
// shape's bottleneck is where it should be, and returns the preprocess
// fraction it was sized for.
func (d draws) master(f *Farm, remote float64, kind string) (pp float64) {
	pp = d.uni(0.04, 0.15)
	if kind == KindUnimodal {
		pp = d.uni(0.15, 0.4) // heavy headers, as in the seed's kernel
	}
	// Master CPU needed to preprocess as fast as the farm compiles.
	need := remote * pp / (1 - pp)
	headroom := d.uni(1.5, 2.5)
	if kind == KindUnimodal {
		headroom = d.uni(0.6, 0.9) // the seed's master has about 0.8
	}
	masterCores := 2
	for masterCores < 64 && float64(masterCores)*1.5 < need*headroom {
		masterCores *= 2
	}
	// A slow master is allowed where the shape needs one: unimodal farms
	// must be master-bound, and in wall farms a fallback compile on the
	// master must cost more than the remote compile it replaces.
	minSpeed := 0.7
	if kind != KindPlateau {
		minSpeed = 0.3
	}
	f.Master = Master{
		Cores:      masterCores,
		Speed:      max(minSpeed, need*headroom/float64(masterCores)),
		Contention: d.uni(0, 0.15),
	}
	if kind == KindUnimodal {
		// Compiling on localhost makes the master busier still; elsewhere
		// it would turn the plateau into a slow slope.
		f.Master.LocalhostSlots = d.pick(0, 2)
	}
	return pp
}

// build sets f's build.
func (d draws) build(f *Farm, pp float64) {
	// Enough units per slot that the last stragglers do not decide the
	// build time: with few units per slot the noise-free curve turns
	// jagged, and its optimum depends on which large unit starts last.
	units := min(max(d.pick(500, 1000, 2000, 3000), 80*f.SlotSum()), 20000)
	f.Build = Build{
		Units:              units,
		UnitMeanSeconds:    d.uni(0.3, 3),
		UnitCV:             d.uni(0.3, 0.5),
		Seed:               d.rng.Uint64(),
		PreprocessFraction: pp,
		UnitMemoryMB:       d.uni(50, 200),
		LinkSeconds:        d.uni(5, 60),
		OverheadSeconds:    d.uni(2, 20),
	}
}

// linkMbps is the master's link: a 1 Gbit/s link can be what limits a big
// farm of fast hosts, which flattens the curve; wall farms get a link with
// room to spare so that the failures, not the link, end the descent.
func linkMbps(f Farm, remote float64, choice int, kind string) float64 {
	if kind != KindWall {
		return float64(choice)
	}
	pp, mean := f.Build.PreprocessFraction, f.Build.UnitMeanSeconds
	needMbps := remote / ((1 - pp) * mean) * f.Network.SendBytes * 8 / 1e6
	c := 0.0
	for _, c = range []float64{1000, 10000, 25000, 40000, 100000} {
		if c >= 2*needMbps {
			break
		}
	}
	return c
}
