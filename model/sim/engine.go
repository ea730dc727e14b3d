package sim

import (
	"math"
	"math/rand/v2"
)

// The engine, which Farm.Simulate runs.
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

// engine is one simulated build under way: the units' stages, the CPU
// queues, the hosts' slots, the sleeping jobs and the pending events.
type engine struct {
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

	// The jobserver: make runs at most limit jobs at once and starts the
	// next unit whenever fewer run. Offline the limit is N for the whole
	// build; a live build moves it (LiveBuild.SetJobs).
	limit   int
	running int
	// haltOnBreak stops step when the master runs out of memory and swap:
	// a live build ends there, an offline one runs on so that its other
	// numbers stay what they were.
	haltOnBreak bool
}

const qMaster = 0

func newEngine(f *Farm, jobs int) *engine {
	b := f.Build
	s := &engine{
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
		memPerJob: b.UnitMemoryMB, memCap: m.MemoryMB, swap: m.SwapSlowdown, swapMB: m.SwapMB})
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
func (s *engine) run(jobs int) {
	s.initQueues()
	s.setLimit(jobs, 0)
	s.step(math.Inf(1))
}

// initQueues puts every queue, idle, in the queue heap.
func (s *engine) initQueues() {
	s.qheap = make([]int32, len(s.queues))
	for i := range s.queues {
		s.queues[i].nextT = math.Inf(1)
		s.queues[i].pos = i
		s.qheap[i] = int32(i)
	}
}

// setLimit is the jobserver's token count: raising it starts jobs at once,
// lowering it starts none until fewer than n run (none is pre-empted).
func (s *engine) setLimit(n int, t float64) {
	s.limit = n
	s.fill(t)
}

// fill starts units while fewer than limit jobs run.
func (s *engine) fill(t float64) {
	for s.running < s.limit && s.next < len(s.work) {
		s.start(t)
	}
}

// step runs the build's events up to time until, or all of them when
// until is +Inf; events later than until stay pending, so the build can
// go on from there (after a change of the limit at until, say). A live
// build also stops where the master breaks.
func (s *engine) step(until float64) {
	for {
		if s.haltOnBreak && s.queues[qMaster].broke {
			return
		}
		q := &s.queues[s.qheap[0]]
		if len(s.ev) == 0 || q.nextT <= s.ev[0].t {
			if math.IsInf(q.nextT, 1) || q.nextT > until {
				return
			}
			t := q.nextT
			q.advance(t)
			u := q.popMin()
			s.reschedule(int(s.qheap[0]), t)
			s.advanceJob(u, t)
			continue
		}
		if s.ev[0].t > until {
			return
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
func (s *engine) reschedule(qi int, t float64) {
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

func (s *engine) enqueue(qi int, t, work float64, u int32) {
	s.queues[qi].add(t, work, u)
	s.reschedule(qi, t)
}

// after moves unit u on at time at, immediately when there is no delay.
func (s *engine) after(u int32, t, at float64) {
	if at > t {
		s.ev.push(event{t: at, kind: evTimer, id: u})
		return
	}
	s.advanceJob(u, t)
}

// start hands the next unit to make's free job.
func (s *engine) start(t float64) {
	u := int32(s.next)
	s.next++
	s.running++
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

func (s *engine) finish(t float64) {
	s.done = append(s.done, t)
	s.running--
	s.fill(t)
}

// advanceJob moves unit u past the stage that just ended at t.
func (s *engine) advanceJob(u int32, t float64) {
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

func (s *engine) fallback(u int32, t float64) {
	s.stage[u] = stFallback
	s.enqueue(qMaster, t, s.work[u], u)
}
func (s *engine) trySlot(u int32, t float64) bool {
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

func (s *engine) release(u int32, t float64) {
	s.setBusy(int(s.host[u]), int(s.slot[u]), false)
	if s.nwait > 0 {
		s.ensurePoll(t)
	}
}
