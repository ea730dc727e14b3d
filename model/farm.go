package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
)

// Farm describes a distcc build farm and the build it runs, in enough
// detail to predict how long `make -jN CC=distcc` takes. It is loaded from
// JSON (see examples/farms/README.md) or drawn by RandomFarm.
//
// Zero values of cores, speed, slots, max_jobs and pause_ms mean "the
// default" (documented on each field) so that a hand-written farm file only
// needs the numbers its author knows; ParseFarm fills them in, and Simulate
// applies the same defaults to a Farm built in Go.
type Farm struct {
	Name        string  `json:"name,omitempty"`
	Description string  `json:"description,omitempty"`
	Master      Master  `json:"master"`
	Hosts       []Host  `json:"hosts,omitempty"`
	Distcc      Distcc  `json:"distcc"`
	Network     Network `json:"network"`
	Build       Build   `json:"build"`
	Noise       Noise   `json:"noise"`
}

// Master is the machine that runs make, the preprocessor, every local and
// fallback compile, and the final link.
type Master struct {
	// Cores is the number of CPU cores (default 1).
	Cores int `json:"cores"`
	// Speed is relative to the reference CPU that build.unit_mean_seconds
	// was measured on (default 1.0).
	Speed float64 `json:"speed"`
	// Contention is the fractional slowdown of every core when all cores are
	// busy (shared cache and front-side bus); it grows linearly from 0 with
	// one busy core. It is why the seed study's user time rises 15% from
	// make to make -j3.
	Contention float64 `json:"contention,omitempty"`
	// MemoryMB is the RAM left for build processes; 0 means unlimited (no
	// swapping).
	MemoryMB float64 `json:"memory_mb,omitempty"`
	// SwapSlowdown is how much slower the master runs per unit of memory
	// overcommit: with demand = runnable jobs × build.unit_memory_mb, speed
	// is divided by 1 + swap_slowdown × (demand/memory_mb − 1) once demand
	// exceeds memory_mb. This is the overload that makes very large N slow.
	SwapSlowdown float64 `json:"swap_slowdown,omitempty"`
	// LocalhostSlots is N in "localhost/N" in DISTCC_HOSTS: how many
	// compiles distcc runs on the master itself; 0 means localhost is not
	// listed. localhost comes first in the host list.
	LocalhostSlots int `json:"localhost_slots,omitempty"`
}

// Host is one distccd server in DISTCC_HOSTS order.
type Host struct {
	Name string `json:"name"`
	// Machine names the physical machine the host runs on; hosts with the
	// same machine (LXC containers on one slave) share its cores and must
	// declare the same cores, speed and contention. Empty means a machine
	// of its own.
	Machine string `json:"machine,omitempty"`
	// Cores of the (physical) machine (default 1).
	Cores int `json:"cores"`
	// Speed relative to the reference CPU (default 1.0).
	Speed float64 `json:"speed"`
	// Contention is as for the master.
	Contention float64 `json:"contention,omitempty"`
	// Slots is the /LIMIT in DISTCC_HOSTS (default 4, distcc's default);
	// at most 50 because distcc only scans slot indexes below 50.
	Slots int `json:"slots"`
	// MaxJobs is what this host's distccd accepts concurrently (distccd
	// --jobs, default cores+2); a job beyond it fails ("failed to
	// distribute") and is compiled again on the master.
	MaxJobs int `json:"max_jobs"`
}

// Distcc holds the client-side settings that shape host choice.
type Distcc struct {
	// Randomize is DISTCC_HOSTS --randomize: ties between hosts at the same
	// slot index are broken at random instead of by list order.
	Randomize bool `json:"randomize,omitempty"`
	// PauseMS is DISTCC_PAUSE_TIME_MSEC, how long a job sleeps between
	// polls when no slot is free (default 1000).
	PauseMS float64 `json:"pause_ms"`
	// BackoffSeconds is DISTCC_BACKOFF_PERIOD: after a failure the host is
	// skipped for this long; 0 turns backoff off.
	BackoffSeconds float64 `json:"backoff_seconds,omitempty"`
}

// Network is the master's link. Every transfer crosses it, so a farm of
// fast hosts can be limited by it; sending and receiving each get the
// whole bandwidth (full duplex).
type Network struct {
	// LatencyMS is the one-way latency; each remote job pays two (connect).
	LatencyMS float64 `json:"latency_ms,omitempty"`
	// BandwidthMbps of the master's link; 0 means transfers take no time.
	BandwidthMbps float64 `json:"bandwidth_mbps,omitempty"`
	// SendBytes is the preprocessed source sent per unit.
	SendBytes float64 `json:"send_bytes,omitempty"`
	// ReceiveBytes is the object file received per unit.
	ReceiveBytes float64 `json:"receive_bytes,omitempty"`
}

// Build describes the work: compile units, then a serial link.
type Build struct {
	// Units is the number of compile units (make jobs that call the
	// compiler).
	Units int `json:"units"`
	// UnitMeanSeconds is the mean CPU time of one unit on the reference
	// CPU, preprocessing included.
	UnitMeanSeconds float64 `json:"unit_mean_seconds"`
	// UnitCV is the coefficient of variation of the lognormal unit times.
	UnitCV float64 `json:"unit_cv,omitempty"`
	// Seed fixes the unit times: the same tree compiles the same files on
	// every run, so they are not part of the run-to-run noise.
	Seed uint64 `json:"seed,omitempty"`
	// PreprocessFraction is the share of a unit's CPU that stays on the
	// master when the unit is distributed (cpp, make, shell, fixdep).
	PreprocessFraction float64 `json:"preprocess_fraction"`
	// UnitMemoryMB is the resident memory of one process running on the
	// master (used with master.memory_mb).
	UnitMemoryMB float64 `json:"unit_memory_mb,omitempty"`
	// LinkSeconds is the serial tail on the master (link, modpost, image),
	// in reference-CPU seconds.
	LinkSeconds float64 `json:"link_seconds,omitempty"`
	// OverheadSeconds is the serial head on the master before compiles
	// start (make startup, configuration, generated headers).
	OverheadSeconds float64 `json:"overhead_seconds,omitempty"`
}

// Noise is the run-to-run variation of whole-build time.
type Noise struct {
	// RelativeSD is the default relative standard deviation; Simulate uses
	// it when called with a negative noise.
	RelativeSD float64 `json:"relative_sd,omitempty"`
}

// SimResult is one simulated build.
type SimResult struct {
	Jobs    int     // the N of make -jN
	Seconds float64 // wall time of the whole build
	// Failures counts "failed to distribute" fallbacks.
	Failures int
	// UserSeconds is CPU time spent on the master (busy core-seconds), for
	// comparison with `time`'s user+sys.
	UserSeconds float64
	// MaxMasterLoad is the peak number of runnable jobs on the master;
	// make starts N jobs at once, so with distcc it is usually N.
	MaxMasterLoad float64
	// MeanMasterLoad is the time-averaged number of runnable jobs on the
	// master while units compile, what a load average would show.
	MeanMasterLoad float64
	// SwapMB is the most the jobs on the master asked for beyond
	// master.memory_mb: what the master swaps out. Zero when it never
	// runs short.
	SwapMB float64
	// SwapFromSeconds is when the master first ran short of memory, in
	// seconds from the start of the build; meaningful when SwapMB > 0.
	SwapFromSeconds float64
	// UnitDone holds the completion time of each compile unit, ascending,
	// in seconds from the start of the build (noise applied), so a caller
	// can judge a build from its progress before it ends.
	UnitDone []float64
}

// UnitsDoneAt is the number of compile units finished by time t.
func (r SimResult) UnitsDoneAt(t float64) int {
	lo, hi := 0, len(r.UnitDone)
	for lo < hi {
		m := (lo + hi) / 2
		if r.UnitDone[m] <= t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// maxSlots is distcc's own scan limit (where.c dcc_lock_one: i_cpu < 50).
const maxSlots = 50

// LoadFarm reads and validates a farm file.
func LoadFarm(path string) (Farm, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Farm{}, err
	}
	f, err := ParseFarm(data)
	if err != nil {
		return Farm{}, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// ParseFarm decodes a farm from JSON, rejecting unknown fields (a typo in a
// field name would otherwise silently become a default), fills in defaults
// and validates.
func ParseFarm(data []byte) (Farm, error) {
	var f Farm
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Farm{}, err
	}
	f = f.withDefaults()
	if err := f.Validate(); err != nil {
		return Farm{}, err
	}
	return f, nil
}

// withDefaults replaces zero values that have a documented default. It
// copies the host slice so the caller's farm is never modified.
func (f Farm) withDefaults() Farm {
	if f.Master.Cores == 0 {
		f.Master.Cores = 1
	}
	if f.Master.Speed == 0 {
		f.Master.Speed = 1
	}
	if f.Distcc.PauseMS == 0 {
		f.Distcc.PauseMS = 1000
	}
	hosts := make([]Host, len(f.Hosts))
	copy(hosts, f.Hosts)
	for i := range hosts {
		h := &hosts[i]
		if h.Cores == 0 {
			h.Cores = 1
		}
		if h.Speed == 0 {
			h.Speed = 1
		}
		if h.Slots == 0 {
			h.Slots = 4
		}
		if h.MaxJobs == 0 {
			h.MaxJobs = h.Cores + 2
		}
	}
	if f.Hosts != nil {
		f.Hosts = hosts
	}
	return f
}

// Validate reports every field with an impossible value, each named by its
// JSON path (hosts[2].slots) so that the message points into the file.
func (f Farm) Validate() error {
	f = f.withDefaults()
	var errs []error
	bad := func(field string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	nonNeg := func(field string, v float64) {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			bad(field, "%v must be a finite number >= 0", v)
		}
	}
	pos := func(field string, v float64) {
		if !(v > 0) || math.IsInf(v, 0) {
			bad(field, "%v must be a finite number > 0", v)
		}
	}
	m := f.Master
	if m.Cores < 1 {
		bad("master.cores", "%d must be >= 1", m.Cores)
	}
	pos("master.speed", m.Speed)
	nonNeg("master.contention", m.Contention)
	nonNeg("master.memory_mb", m.MemoryMB)
	nonNeg("master.swap_slowdown", m.SwapSlowdown)
	if m.LocalhostSlots < 0 || m.LocalhostSlots > maxSlots {
		bad("master.localhost_slots", "%d must be in 0..%d", m.LocalhostSlots, maxSlots)
	}
	type machine struct {
		first int
		cores int
		speed float64
		cont  float64
	}
	machines := map[string]machine{}
	names := map[string]int{}
	for i, h := range f.Hosts {
		p := fmt.Sprintf("hosts[%d]", i)
		if h.Name == "" {
			bad(p+".name", "must not be empty")
		} else if j, dup := names[h.Name]; dup {
			bad(p+".name", "%q repeats hosts[%d].name", h.Name, j)
		} else {
			names[h.Name] = i
		}
		if h.Cores < 1 {
			bad(p+".cores", "%d must be >= 1", h.Cores)
		}
		pos(p+".speed", h.Speed)
		nonNeg(p+".contention", h.Contention)
		if h.Slots < 1 || h.Slots > maxSlots {
			bad(p+".slots", "%d must be in 1..%d (distcc scans at most %d slots per host)", h.Slots, maxSlots, maxSlots)
		}
		if h.MaxJobs < 1 {
			bad(p+".max_jobs", "%d must be >= 1", h.MaxJobs)
		}
		if h.Machine != "" {
			if mm, ok := machines[h.Machine]; ok {
				if mm.cores != h.Cores {
					bad(p+".cores", "%d differs from %d on hosts[%d], the same machine %q", h.Cores, mm.cores, mm.first, h.Machine)
				}
				if mm.speed != h.Speed {
					bad(p+".speed", "%v differs from %v on hosts[%d], the same machine %q", h.Speed, mm.speed, mm.first, h.Machine)
				}
				if mm.cont != h.Contention {
					bad(p+".contention", "%v differs from %v on hosts[%d], the same machine %q", h.Contention, mm.cont, mm.first, h.Machine)
				}
			} else {
				machines[h.Machine] = machine{i, h.Cores, h.Speed, h.Contention}
			}
		}
	}
	pos("distcc.pause_ms", f.Distcc.PauseMS)
	nonNeg("distcc.backoff_seconds", f.Distcc.BackoffSeconds)
	nonNeg("network.latency_ms", f.Network.LatencyMS)
	nonNeg("network.bandwidth_mbps", f.Network.BandwidthMbps)
	nonNeg("network.send_bytes", f.Network.SendBytes)
	nonNeg("network.receive_bytes", f.Network.ReceiveBytes)
	b := f.Build
	if b.Units < 1 {
		bad("build.units", "%d must be >= 1", b.Units)
	}
	pos("build.unit_mean_seconds", b.UnitMeanSeconds)
	nonNeg("build.unit_cv", b.UnitCV)
	if !(b.PreprocessFraction >= 0 && b.PreprocessFraction < 1) {
		bad("build.preprocess_fraction", "%v must be in [0, 1)", b.PreprocessFraction)
	}
	nonNeg("build.unit_memory_mb", b.UnitMemoryMB)
	nonNeg("build.link_seconds", b.LinkSeconds)
	nonNeg("build.overhead_seconds", b.OverheadSeconds)
	if !(f.Noise.RelativeSD >= 0 && f.Noise.RelativeSD < 1) {
		bad("noise.relative_sd", "%v must be in [0, 1)", f.Noise.RelativeSD)
	}
	return errors.Join(errs...)
}

// SlotSum is what `distcc -j` prints: the sum of all slots including
// localhost's. Jobs beyond it can only wait for a slot.
func (f Farm) SlotSum() int {
	f = f.withDefaults()
	s := f.Master.LocalhostSlots
	for _, h := range f.Hosts {
		s += min(h.Slots, maxSlots)
	}
	return s
}

// AcceptSum is how many compiles the farm takes at once without failures:
// localhost slots plus, per host, the smaller of its slots and max_jobs.
func (f Farm) AcceptSum() int {
	f = f.withDefaults()
	s := f.Master.LocalhostSlots
	for _, h := range f.Hosts {
		s += min(h.Slots, h.MaxJobs, maxSlots)
	}
	return s
}

// TotalCores counts the master's cores plus each physical machine's once,
// which is what the rule of thumb N = 2 × cores + 1 should have used.
func (f Farm) TotalCores() int {
	f = f.withDefaults()
	n := f.Master.Cores
	seen := map[string]bool{}
	for _, h := range f.Hosts {
		if h.Machine != "" {
			if seen[h.Machine] {
				continue
			}
			seen[h.Machine] = true
		}
		n += h.Cores
	}
	return n
}

// WithHosts keeps the first k remote hosts, modelling a run that lists
// only k of them in DISTCC_HOSTS (the seed study's "lxc" column). The seed
// farm lists containers alternately on its two slaves, so any prefix
// spreads over both.
func (f Farm) WithHosts(k int) Farm {
	k = max(0, min(k, len(f.Hosts)))
	hosts := make([]Host, k)
	copy(hosts, f.Hosts[:k])
	f.Hosts = hosts
	return f
}

// LocalOnly is the same build without distcc (plain make, CC=gcc): every
// unit compiles whole on the master and no slots limit concurrency.
func (f Farm) LocalOnly() Farm {
	f.Hosts = nil
	f.Master.LocalhostSlots = 0
	return f
}

// Distributed reports whether builds go through distcc at all.
func (f Farm) Distributed() bool {
	return len(f.Hosts) > 0 || f.Master.LocalhostSlots > 0
}

// Curve returns the noise-free build for each N in [lo, hi].
func (f Farm) Curve(lo, hi int) []SimResult {
	lo = max(lo, 1)
	if hi < lo {
		return nil
	}
	out := make([]SimResult, 0, hi-lo+1)
	for n := lo; n <= hi; n++ {
		out = append(out, f.Simulate(n, 0, nil))
	}
	return out
}

// Argmin returns the N in [lo, hi] with the shortest noise-free build (the
// smallest such N on ties) and its result.
func (f Farm) Argmin(lo, hi int) (int, SimResult) {
	best, bestN := SimResult{Seconds: math.Inf(1)}, 0
	for _, r := range f.Curve(lo, hi) {
		if r.Seconds < best.Seconds {
			best, bestN = r, r.Jobs
		}
	}
	return bestN, best
}

// ---------------------------------------------------------------------
// Simulation.
//
// A make job takes the next compile unit and:
//
//  1. preprocesses it on the master (preprocess_fraction of its CPU);
//  2. takes a distcc slot the way dcc_lock_one does (lowest slot index,
//     then list order), or sleeps pause_ms and polls again;
//  3. on localhost, compiles the rest on the master; on a remote host,
//     connects (two latencies), sends the source, compiles on the
//     host's machine, receives the object and frees the slot;
//  4. if the host already runs max_jobs, is refused after the connect,
//     backs the host off and compiles the whole unit again on the master.
//
// Real distcc locks the slot before running cpp. Here cpp runs first, on
// purpose: it stands for all the per-job master work a real recipe does
// outside any slot (make, the shell, cpp, fixdep), and it is what lets
// jobs beyond the slot sum keep the pipeline full, and what piles up on
// the master at large N.
//
// The engine is a discrete-event simulation. Every CPU pool (the master,
// each physical slave machine) is a processor-sharing queue: its jobs
// progress at equal rates that depend only on how many there are, so a
// queue needs one pending completion, kept in a small heap of queues, and
// a change of membership just reschedules it. Transfers queue first come,
// first served on each direction of the master's link, which has the same
// throughput as fair sharing but costs one timer instead of a queue. This
// keeps a 2000-unit build to about ten thousand heap operations.

// Job stages.
const (
	stPreprocess = iota // on the master, before asking for a slot
	stLocalRest         // rest of the compile on a localhost slot
	stLocalFull         // whole compile on the master (no distcc)
	stFailing           // connected, about to be refused
	stFallback          // whole compile again on the master after a failure
	stSend              // connecting and sending the preprocessed source
	stCompile           // compiling on the remote machine
	stReceive           // receiving the object
)

// Event kinds.
const (
	evTimer = iota // a job's fixed delay or transfer ended
	evPoll         // a waiting job polls for a slot
	evWake         // a host's backoff ended
)

type event struct {
	t    float64
	kind uint8
	id   int32 // unit or host
	ver  uint32
}

// eventHeap is a binary min-heap by time, hand-rolled because
// container/heap's interface calls cost more than the simulation itself.
type eventHeap []event

func (h *eventHeap) push(e event) {
	*h = append(*h, e)
	a := *h
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if a[p].t <= e.t {
			break
		}
		a[i] = a[p]
		i = p
	}
	a[i] = e
}

func (h *eventHeap) pop() event {
	a := *h
	top := a[0]
	last := a[len(a)-1]
	a = a[:len(a)-1]
	*h = a
	n := len(a)
	if n == 0 {
		return top
	}
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && a[c+1].t < a[c].t {
			c++
		}
		if last.t <= a[c].t {
			break
		}
		a[i] = a[c]
		i = c
	}
	a[i] = last
	return top
}

type psItem struct {
	key  float64 // attained-service level at which the job is done
	unit int32
}

// psQueue is a processor-sharing server. v is the service every resident
// job has received since the queue was created; a job joining with work w
// finishes when v reaches v_join + w, so only the smallest key matters.
type psQueue struct {
	cores     int
	speed     float64 // work per second of one job running alone
	cont      float64 // contention at full occupancy
	memPerJob float64
	memCap    float64
	swap      float64

	v, last float64
	rate    float64   // current per-job rate
	inv     float64   // 1/rate: divisions dominate the event loop otherwise
	rates   []float64 // per-job rate by occupancy, filled on demand
	invs    []float64
	busy    float64 // integral of min(n, cores) dt
	load    float64 // integral of n dt
	maxN    int
	// Memory overcommit on a queue with memCap: the peak, and when the
	// demand first went over.
	maxOverMB float64
	overFrom  float64
	h         []psItem
	nextT     float64 // cached nextTime, the queue's key in sim.qheap
	pos       int     // index in sim.qheap
}

// setRate caches the per-job rate for n resident jobs.
func (q *psQueue) setRate(n int) {
	if q.rates == nil {
		q.rates = make([]float64, 0, 32)
		q.invs = make([]float64, 0, 32)
	}
	for len(q.rates) <= n {
		r := q.computeRate(len(q.rates))
		q.rates = append(q.rates, r)
		q.invs = append(q.invs, 1/r)
	}
	q.rate, q.inv = q.rates[n], q.invs[n]
}

func (q *psQueue) computeRate(n int) float64 {
	if n == 0 {
		return 0
	}
	busy := min(n, q.cores)
	r := q.speed * float64(busy) / float64(n)
	if q.cont > 0 && q.cores > 1 {
		r /= 1 + q.cont*float64(busy-1)/float64(q.cores-1)
	}
	if q.memCap > 0 && q.swap > 0 {
		if over := float64(n)*q.memPerJob/q.memCap - 1; over > 0 {
			r /= 1 + q.swap*over
		}
	}
	return r
}

func (q *psQueue) advance(t float64) {
	if n := len(q.h); n > 0 {
		dt := t - q.last
		q.v += q.rate * dt
		q.busy += float64(min(n, q.cores)) * dt
		q.load += float64(n) * dt
	}
	q.last = t
}

func (q *psQueue) add(t, work float64, unit int32) {
	q.advance(t)
	it := psItem{q.v + work, unit}
	q.h = append(q.h, it)
	a := q.h
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if a[p].key <= it.key {
			break
		}
		a[i] = a[p]
		i = p
	}
	a[i] = it
	q.setRate(len(a))
	q.maxN = max(q.maxN, len(a))
	if q.memCap > 0 {
		if over := float64(len(a))*q.memPerJob - q.memCap; over > q.maxOverMB {
			if q.maxOverMB == 0 {
				q.overFrom = t
			}
			q.maxOverMB = over
		}
	}
}

func (q *psQueue) popMin() int32 {
	a := q.h
	top := a[0]
	last := a[len(a)-1]
	a = a[:len(a)-1]
	q.h = a
	if n := len(a); n > 0 {
		i := 0
		for {
			c := 2*i + 1
			if c >= n {
				break
			}
			if c+1 < n && a[c+1].key < a[c].key {
				c++
			}
			if last.key <= a[c].key {
				break
			}
			a[i] = a[c]
			i = c
		}
		a[i] = last
	}
	q.setRate(len(a))
	if top.key > q.v {
		q.v = top.key // absorb rounding so later keys stay consistent
	}
	return top.unit
}

func (q *psQueue) nextTime() float64 {
	if len(q.h) == 0 {
		return math.Inf(1)
	}
	return q.last + max(0, q.h[0].key-q.v)*q.inv
}

type simHost struct {
	local    bool
	slots    int
	maxJobs  int
	machine  int // queue index
	busyMask uint64
	lf       int  // lowest free slot index, maxSlots when full
	in       bool // listed in the buckets (not backed off)
	active   int  // connections accepted by distccd
	disliked float64
}

// lowestFree is the slot index this host would offer distcc's scan, or
// maxSlots when it has none free.
func (h *simHost) lowestFree() int {
	i := bits.TrailingZeros64(^h.busyMask)
	if i >= h.slots {
		return maxSlots
	}
	return i
}

// waiter is a job asleep between polls for a slot. It polls at first,
// first + pause, ..., so its phase (first mod pause) never changes.
type waiter struct {
	phase float64
	first float64
	unit  int32
}

// pollBuckets splits the pause into buckets of waiters by phase, so that
// finding the next job to wake is a bit scan plus a short list, however
// many jobs sleep (thousands at -j4000 on a big farm).
const pollBuckets = 64

type sim struct {
	pp      float64
	work    []float64 // shared and read-only: see unitWork
	stage   []uint8
	host    []int16
	slot    []int8
	done    []float64
	ev      eventHeap // timers, polls and wake-ups
	queues  []psQueue // qMaster, then one per machine
	qheap   []int32   // every queue, min-heap by nextT
	hosts   []simHost
	wb      [pollBuckets][]waiter // sleeping jobs by phase, each sorted
	wmask   uint64                // non-empty buckets of wb
	nwait   int
	wfirst  []float64 // first poll time by unit, for sleeping jobs
	pollVer uint32

	// Slot choice. bucket[k*words : (k+1)*words] is the set of eligible
	// hosts whose lowest free slot is k, and nonEmpty marks the non-empty
	// buckets, so distcc's scan "lowest slot index, then list order" is a
	// trailing-zero count instead of a loop over every slot of every host.
	bucket    []uint64
	words     int
	nonEmpty  uint64
	eligible  int
	randomize bool
	rnd       *rand.Rand

	pause, lat2, sendW, recvW float64
	upFree, downFree          float64
	backoff                   float64

	fails   int
	next    int
	distrib bool
}

const qMaster = 0

type workKey struct {
	units    int
	mean, cv float64
	seed     uint64
}

// workCache holds unit times per build: drawing 2000 lognormals costs as
// much as simulating the build, and a benchmark simulates each build
// hundreds of times.
var workCache struct {
	sync.Mutex
	m map[workKey][]float64
}

// unitWork draws the unit times from build.seed and rescales them so
// their total is exactly units × mean: the farm's calibration then does not
// depend on the luck of the draw. The returned slice is shared; do not
// modify it.
func unitWork(b Build) []float64 {
	key := workKey{units: b.Units, mean: b.UnitMeanSeconds, cv: b.UnitCV, seed: b.Seed}
	workCache.Lock()
	w, ok := workCache.m[key]
	workCache.Unlock()
	if ok {
		return w
	}
	w = make([]float64, b.Units)
	if b.UnitCV <= 0 {
		for i := range w {
			w[i] = b.UnitMeanSeconds
		}
	} else {
		r := rand.New(rand.NewPCG(b.Seed, 0x6a74756e65))
		s2 := math.Log1p(b.UnitCV * b.UnitCV)
		s := math.Sqrt(s2)
		sum := 0.0
		for i := range w {
			w[i] = math.Exp(s*r.NormFloat64() - s2/2)
			sum += w[i]
		}
		k := b.UnitMeanSeconds * float64(b.Units) / sum
		for i := range w {
			w[i] *= k
		}
	}
	workCache.Lock()
	if workCache.m == nil || len(workCache.m) >= 1024 {
		workCache.m = map[workKey][]float64{}
	}
	workCache.m[key] = w
	workCache.Unlock()
	return w
}

// Simulate runs one build at -jN. The build itself (unit times, random host
// order under --randomize) is fixed by the farm and N, so the noise-free
// curve is a function; noise then scales the whole build by a lognormal
// factor with relative standard deviation noise, drawn from rng. A negative
// noise means the farm's noise.relative_sd; a nil rng means no noise.
func (f Farm) Simulate(jobs int, noise float64, rng *rand.Rand) SimResult {
	f = f.withDefaults()
	jobs = max(jobs, 1)
	s := newSim(&f, jobs)
	s.run(jobs)

	m := &s.queues[qMaster]
	head := f.Build.OverheadSeconds / f.Master.Speed
	tail := f.Build.LinkSeconds / f.Master.Speed
	compile := 0.0
	if len(s.done) > 0 {
		compile = s.done[len(s.done)-1]
	}
	res := SimResult{
		Jobs:          jobs,
		Seconds:       head + compile + tail,
		Failures:      s.fails,
		UserSeconds:   head + m.busy + tail,
		MaxMasterLoad: float64(max(m.maxN, 1)),
		SwapMB:        m.maxOverMB,
		UnitDone:      s.done,
	}
	if compile > 0 {
		res.MeanMasterLoad = m.load / compile
	}
	factor := 1.0
	if noise < 0 {
		noise = f.Noise.RelativeSD
	}
	if rng != nil && noise > 0 {
		s2 := math.Log1p(noise * noise)
		factor = math.Exp(math.Sqrt(s2)*rng.NormFloat64() - s2/2)
	}
	res.Seconds *= factor
	if res.SwapMB > 0 {
		res.SwapFromSeconds = (m.overFrom + head) * factor
	}
	for i := range res.UnitDone {
		res.UnitDone[i] = (res.UnitDone[i] + head) * factor
	}
	return res
}

func newSim(f *Farm, jobs int) *sim {
	b := f.Build
	s := &sim{
		pp:        b.PreprocessFraction,
		work:      unitWork(b),
		stage:     make([]uint8, b.Units),
		host:      make([]int16, b.Units),
		slot:      make([]int8, b.Units),
		done:      make([]float64, 0, b.Units),
		ev:        make(eventHeap, 0, 2*min(jobs, b.Units)+64),
		pause:     f.Distcc.PauseMS / 1000,
		lat2:      2 * f.Network.LatencyMS / 1000,
		backoff:   f.Distcc.BackoffSeconds,
		distrib:   f.Distributed(),
		randomize: f.Distcc.Randomize,
	}
	if s.randomize {
		s.rnd = rand.New(rand.NewPCG(b.Seed^0x9e3779b97f4a7c15, uint64(jobs)))
	}
	if f.Network.BandwidthMbps > 0 {
		bps := f.Network.BandwidthMbps * 1e6 / 8
		s.sendW = f.Network.SendBytes / bps
		s.recvW = f.Network.ReceiveBytes / bps
	}
	m := f.Master
	s.queues = append(s.queues, psQueue{cores: m.Cores, speed: m.Speed, cont: m.Contention,
		memPerJob: b.UnitMemoryMB, memCap: m.MemoryMB, swap: m.SwapSlowdown})
	if m.LocalhostSlots > 0 {
		s.hosts = append(s.hosts, simHost{local: true, slots: m.LocalhostSlots, maxJobs: m.LocalhostSlots})
	}
	machineQ := map[string]int{}
	for _, h := range f.Hosts {
		qi, ok := machineQ[h.Machine]
		if !ok || h.Machine == "" {
			qi = len(s.queues)
			s.queues = append(s.queues, psQueue{cores: h.Cores, speed: h.Speed, cont: h.Contention})
			if h.Machine != "" {
				machineQ[h.Machine] = qi
			}
		}
		s.hosts = append(s.hosts, simHost{slots: min(h.Slots, maxSlots), maxJobs: h.MaxJobs, machine: qi})
	}
	s.words = (len(s.hosts) + 63) / 64
	s.bucket = make([]uint64, maxSlots*s.words)
	for i := range s.hosts {
		s.hosts[i].lf = maxSlots
		s.admit(i)
	}
	return s
}

func (s *sim) bucketAdd(i, k int) {
	if k < maxSlots {
		s.bucket[k*s.words+i/64] |= 1 << uint(i%64)
		s.nonEmpty |= 1 << uint(k)
	}
}

func (s *sim) bucketRemove(i, k int) {
	if k >= maxSlots {
		return
	}
	w := s.bucket[k*s.words : (k+1)*s.words]
	w[i/64] &^= 1 << uint(i%64)
	for _, x := range w {
		if x != 0 {
			return
		}
	}
	s.nonEmpty &^= 1 << uint(k)
}

// admit lists host i for slot choice (at start and when its backoff ends).
func (s *sim) admit(i int) {
	h := &s.hosts[i]
	if h.in {
		return
	}
	h.in = true
	s.eligible++
	h.lf = h.lowestFree()
	s.bucketAdd(i, h.lf)
}

// shun drops host i from slot choice while it is backed off.
func (s *sim) shun(i int) {
	h := &s.hosts[i]
	if !h.in {
		return
	}
	h.in = false
	s.eligible--
	s.bucketRemove(i, h.lf)
}

// setBusy marks or clears slot k of host i and keeps its bucket current.
func (s *sim) setBusy(i, k int, busy bool) {
	h := &s.hosts[i]
	if busy {
		h.busyMask |= 1 << uint(k)
	} else {
		h.busyMask &^= 1 << uint(k)
	}
	lf := h.lowestFree()
	if lf != h.lf {
		if h.in {
			s.bucketRemove(i, h.lf)
			s.bucketAdd(i, lf)
		}
		h.lf = lf
	}
}

func (s *sim) run(jobs int) {
	s.qheap = make([]int32, len(s.queues))
	for i := range s.queues {
		s.queues[i].nextT = math.Inf(1)
		s.queues[i].pos = i
		s.qheap[i] = int32(i)
	}
	for s.next < len(s.work) && s.next < jobs {
		s.start(0)
	}
	for {
		q := &s.queues[s.qheap[0]]
		if len(s.ev) == 0 || q.nextT <= s.ev[0].t {
			if math.IsInf(q.nextT, 1) {
				return
			}
			t := q.nextT
			q.advance(t)
			u := q.popMin()
			s.reschedule(int(s.qheap[0]), t)
			s.advanceJob(u, t)
			continue
		}
		e := s.ev.pop()
		switch e.kind {
		case evTimer:
			s.advanceJob(e.id, e.t)
		case evPoll:
			if e.ver == s.pollVer {
				s.poll(e.id, e.t)
			}
		case evWake:
			if h := &s.hosts[e.id]; !h.in && h.disliked <= e.t {
				s.admit(int(e.id))
				s.ensurePoll(e.t)
			}
		}
	}
}

// reschedule recomputes queue qi's next completion after a change of
// membership and restores the queue heap; there is exactly one entry per
// queue, so no stale events pile up.
func (s *sim) reschedule(qi int, t float64) {
	q := &s.queues[qi]
	old := q.nextT
	q.nextT = max(t, q.nextTime())
	h := s.qheap
	i := q.pos
	if q.nextT < old {
		for i > 0 {
			p := (i - 1) / 2
			if s.queues[h[p]].nextT <= q.nextT {
				break
			}
			h[i] = h[p]
			s.queues[h[i]].pos = i
			i = p
		}
	} else {
		n := len(h)
		for {
			c := 2*i + 1
			if c >= n {
				break
			}
			if c+1 < n && s.queues[h[c+1]].nextT < s.queues[h[c]].nextT {
				c++
			}
			if q.nextT <= s.queues[h[c]].nextT {
				break
			}
			h[i] = h[c]
			s.queues[h[i]].pos = i
			i = c
		}
	}
	h[i] = int32(qi)
	q.pos = i
}

func (s *sim) enqueue(qi int, t, work float64, u int32) {
	s.queues[qi].add(t, work, u)
	s.reschedule(qi, t)
}

// after moves unit u on at time at, immediately when there is no delay.
func (s *sim) after(u int32, t, at float64) {
	if at > t {
		s.ev.push(event{t: at, kind: evTimer, id: u})
		return
	}
	s.advanceJob(u, t)
}

// start hands the next unit to make's free job.
func (s *sim) start(t float64) {
	u := int32(s.next)
	s.next++
	if !s.distrib {
		s.stage[u] = stLocalFull
		s.enqueue(qMaster, t, s.work[u], u)
		return
	}
	s.stage[u] = stPreprocess
	if s.pp > 0 {
		s.enqueue(qMaster, t, s.pp*s.work[u], u)
		return
	}
	s.advanceJob(u, t)
}

func (s *sim) finish(t float64) {
	s.done = append(s.done, t)
	if s.next < len(s.work) {
		s.start(t)
	}
}

// advanceJob moves unit u past the stage that just ended at t.
func (s *sim) advanceJob(u int32, t float64) {
	switch s.stage[u] {
	case stPreprocess:
		if !s.trySlot(u, t) {
			s.addWaiter(u, t+s.pause)
			s.ensurePoll(t)
		}
	case stLocalRest:
		s.release(u, t)
		s.finish(t)
	case stLocalFull, stFallback:
		s.finish(t)
	case stFailing:
		hi := int(s.host[u])
		s.fails++
		if s.backoff > 0 {
			h := &s.hosts[hi]
			h.disliked = t + s.backoff
			s.shun(hi)
			s.ev.push(event{t: h.disliked, kind: evWake, id: int32(hi)})
		}
		s.release(u, t)
		s.fallback(u, t)
	case stSend:
		h := &s.hosts[s.host[u]]
		s.stage[u] = stCompile
		s.enqueue(h.machine, t, (1-s.pp)*s.work[u], u)
	case stCompile:
		s.stage[u] = stReceive
		at := t
		if s.recvW > 0 {
			at = max(t, s.downFree) + s.recvW
			s.downFree = at
		}
		s.after(u, t, at)
	case stReceive:
		s.hosts[s.host[u]].active--
		s.release(u, t)
		s.finish(t)
	}
}

func (s *sim) fallback(u int32, t float64) {
	s.stage[u] = stFallback
	s.enqueue(qMaster, t, s.work[u], u)
}

// pick mirrors distcc's dcc_lock_one: the lowest slot index wins, hosts in
// list order break ties (or at random under --randomize), and backed-off
// hosts are left out. It returns -1 with none=true when every host is
// backed off, which sends the job to a local fallback.
func (s *sim) pick() (hi int, none bool) {
	if s.eligible == 0 {
		return -1, true
	}
	if s.nonEmpty == 0 {
		return -1, false
	}
	k := bits.TrailingZeros64(s.nonEmpty)
	w := s.bucket[k*s.words : (k+1)*s.words]
	if !s.randomize {
		for j, x := range w {
			if x != 0 {
				return j*64 + bits.TrailingZeros64(x), false
			}
		}
	}
	n := 0
	for _, x := range w {
		n += bits.OnesCount64(x)
	}
	r := s.rnd.IntN(n)
	for j, x := range w {
		c := bits.OnesCount64(x)
		if r >= c {
			r -= c
			continue
		}
		for ; r > 0; r-- {
			x &= x - 1
		}
		return j*64 + bits.TrailingZeros64(x), false
	}
	panic("model: slot bucket out of sync")
}

func (s *sim) trySlot(u int32, t float64) bool {
	hi, none := s.pick()
	if none {
		s.fails++
		s.fallback(u, t)
		return true
	}
	if hi < 0 {
		return false
	}
	h := &s.hosts[hi]
	k := h.lf
	s.setBusy(hi, k, true)
	s.host[u], s.slot[u] = int16(hi), int8(k)
	if h.local {
		s.stage[u] = stLocalRest
		s.enqueue(qMaster, t, (1-s.pp)*s.work[u], u)
		return true
	}
	if h.active >= h.maxJobs {
		s.stage[u] = stFailing
		s.after(u, t, t+s.lat2)
		return true
	}
	h.active++
	s.stage[u] = stSend
	at := t + s.lat2
	if s.sendW > 0 {
		at = max(at, s.upFree) + s.sendW
		s.upFree = at
	}
	s.after(u, t, at)
	return true
}

func (s *sim) release(u int32, t float64) {
	s.setBusy(int(s.host[u]), int(s.slot[u]), false)
	if s.nwait > 0 {
		s.ensurePoll(t)
	}
}

// ensurePoll schedules the earliest waiting job's next poll if it could
// succeed. Waiting jobs sleep a whole pause between polls, so a freed slot
// stays idle until one of them wakes: with few waiters that idle time is
// one reason N somewhat above the slot sum still helps.
func (s *sim) ensurePoll(t float64) {
	if s.nwait == 0 {
		return
	}
	if hi, none := s.pick(); hi < 0 && !none {
		s.pollVer++ // nothing to poll for; a release will call again
		return
	}
	w, at := s.nextWaiter(t)
	s.pollVer++
	s.ev.push(event{t: at, kind: evPoll, id: w.unit, ver: s.pollVer})
}

func (s *sim) poll(u int32, t float64) {
	if s.trySlot(u, t) {
		s.removeWaiter(u)
	}
	s.ensurePoll(t)
}

func (s *sim) bucketOf(phase float64) int {
	return min(max(int(phase/s.pause*pollBuckets), 0), pollBuckets-1)
}

func (s *sim) addWaiter(u int32, first float64) {
	if s.wfirst == nil {
		s.wfirst = make([]float64, len(s.work))
	}
	s.wfirst[u] = first
	w := waiter{math.Mod(first, s.pause), first, u}
	b := s.bucketOf(w.phase)
	ws := s.wb[b]
	i := len(ws)
	for i > 0 && ws[i-1].phase > w.phase {
		i--
	}
	ws = append(ws, waiter{})
	copy(ws[i+1:], ws[i:])
	ws[i] = w
	s.wb[b] = ws
	s.wmask |= 1 << uint(b)
	s.nwait++
}

func (s *sim) removeWaiter(u int32) {
	b := s.bucketOf(math.Mod(s.wfirst[u], s.pause))
	ws := s.wb[b]
	for i := range ws {
		if ws[i].unit == u {
			ws = append(ws[:i], ws[i+1:]...)
			break
		}
	}
	s.wb[b] = ws
	if len(ws) == 0 {
		s.wmask &^= 1 << uint(b)
	}
	s.nwait--
}

// nextWaiter returns the sleeping job that polls first at or after t, and
// when: the first phase at or after t's phase, going round the pause.
func (s *sim) nextWaiter(t float64) (waiter, float64) {
	x := math.Mod(t, s.pause)
	b := s.bucketOf(x)
	var w waiter
	found := false
	for _, c := range s.wb[b] {
		if c.phase >= x {
			w, found = c, true
			break
		}
	}
	if !found {
		later := s.wmask &^ (uint64(1)<<uint(b+1) - 1)
		if later == 0 {
			later = s.wmask // wrap round to the earliest phase
		}
		w = s.wb[bits.TrailingZeros64(later)][0]
	}
	d := w.phase - x
	if d < 0 {
		d += s.pause
	}
	// A job polls only after its first pause.
	return w, max(t+d, w.first)
}

// ---------------------------------------------------------------------
// Random farms for the tuning benchmark.

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
func RandomFarm(rng *rand.Rand, hosts int, kind string) Farm {
	switch kind {
	case KindUnimodal, KindPlateau, KindWall:
	default:
		panic(fmt.Sprintf("model.RandomFarm: unknown kind %q (want one of %v)", kind, Kinds))
	}
	hosts = max(1, min(hosts, 64))
	uni := func(lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }
	pick := func(xs ...int) int { return xs[rng.IntN(len(xs))] }

	f := Farm{
		Name:        fmt.Sprintf("random-%s-%d", kind, hosts),
		Description: "drawn by model.RandomFarm",
		Distcc:      Distcc{Randomize: rng.IntN(2) == 0, PauseMS: 1000, BackoffSeconds: 60},
		Network: Network{
			LatencyMS:    uni(0.1, 2),
			SendBytes:    uni(100e3, 600e3),
			ReceiveBytes: uni(20e3, 100e3),
		},
		Noise: Noise{RelativeSD: uni(0.01, 0.04)},
	}
	linkChoice := pick(1000, 1000, 10000)

	// Remote machines; sometimes several containers share one. Wall farms
	// are homogeneous in cores because distcc fills slot index k on every
	// host before k+1 on any: with mixed sizes the smallest distccd would
	// overflow long before the farm is busy, a wall well below the optimum.
	perMachine := min(pick(1, 1, 2, 4), hosts)
	coreChoices := []int{2, 4, 8, 16}
	if hosts > 8 {
		coreChoices = []int{2, 4, 4, 8}
	}
	wallCores := coreChoices[rng.IntN(len(coreChoices))]
	var cores int
	var speed, cont float64
	remote := 0.0 // reference-CPU seconds of compiling per second
	for i := range hosts {
		if i%perMachine == 0 {
			cores = coreChoices[rng.IntN(len(coreChoices))]
			if kind == KindWall {
				cores = wallCores
			}
			speed = uni(0.6, 1.6)
			cont = uni(0, 0.15)
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
			h.Slots = min(maxSlots, share+pick(2, 4, 8))
		} else {
			h.Slots = min(maxSlots, share+pick(0, 1, 2))
			h.MaxJobs = h.Slots + pick(0, 2)
		}
		f.Hosts = append(f.Hosts, h)
	}

	pp := uni(0.04, 0.15)
	if kind == KindUnimodal {
		pp = uni(0.15, 0.4) // heavy headers, as in the seed's kernel
	}
	// Master CPU needed to preprocess as fast as the farm compiles.
	need := remote * pp / (1 - pp)
	headroom := uni(1.5, 2.5)
	if kind == KindUnimodal {
		headroom = uni(0.6, 0.9) // the seed's master has about 0.8
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
		Contention: uni(0, 0.15),
	}
	if kind == KindUnimodal {
		// Compiling on localhost makes the master busier still; elsewhere
		// it would turn the plateau into a slow slope.
		f.Master.LocalhostSlots = pick(0, 2)
	}
	// Enough units per slot that the last stragglers do not decide the
	// build time: with few units per slot the noise-free curve turns
	// jagged, and its optimum depends on which large unit starts last.
	units := min(max(pick(500, 1000, 2000, 3000), 80*f.SlotSum()), 20000)
	f.Build = Build{
		Units:              units,
		UnitMeanSeconds:    uni(0.3, 3),
		UnitCV:             uni(0.3, 0.5),
		Seed:               rng.Uint64(),
		PreprocessFraction: pp,
		UnitMemoryMB:       uni(50, 200),
		LinkSeconds:        uni(5, 60),
		OverheadSeconds:    uni(2, 20),
	}
	// The master's link: a 1 Gbit/s link can be what limits a big farm of
	// fast hosts, which flattens the curve; wall farms get a link with
	// room to spare so that the failures, not the link, end the descent.
	mean := f.Build.UnitMeanSeconds
	needMbps := remote / ((1 - pp) * mean) * f.Network.SendBytes * 8 / 1e6
	f.Network.BandwidthMbps = float64(linkChoice)
	if kind == KindWall {
		for _, c := range []float64{1000, 10000, 25000, 40000, 100000} {
			f.Network.BandwidthMbps = c
			if c >= 2*needMbps {
				break
			}
		}
	}
	if kind == KindUnimodal {
		// Room for some of the jobs beyond the slots, then swapping.
		fit := float64(masterCores) + float64(f.SlotSum())*uni(0.2, 0.6)
		f.Master.MemoryMB = math.Round(fit * f.Build.UnitMemoryMB)
		f.Master.SwapSlowdown = uni(0.5, 2)
	}
	return f
}

// String summarises a farm in one line for logs.
func (f Farm) String() string {
	var b strings.Builder
	name := f.Name
	if name == "" {
		name = "farm"
	}
	fmt.Fprintf(&b, "%s: master %d cores", name, f.Master.Cores)
	if f.Master.LocalhostSlots > 0 {
		fmt.Fprintf(&b, " (localhost/%d)", f.Master.LocalhostSlots)
	}
	fmt.Fprintf(&b, ", %d hosts, %d slots, %d units", len(f.Hosts), f.SlotSum(), f.Build.Units)
	return b.String()
}
