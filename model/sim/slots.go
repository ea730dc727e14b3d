package sim

import (
	"math"
	"math/bits"
)

// simHost is a distcc host, localhost included, as the engine's slot
// choice sees it.
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

func (s *engine) bucketAdd(i, k int) {
	if k < maxSlots {
		s.bucket[k*s.words+i/64] |= 1 << uint(i%64)
		s.nonEmpty |= 1 << uint(k)
	}
}

func (s *engine) bucketRemove(i, k int) {
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
func (s *engine) admit(i int) {
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
func (s *engine) shun(i int) {
	h := &s.hosts[i]
	if !h.in {
		return
	}
	h.in = false
	s.eligible--
	s.bucketRemove(i, h.lf)
}

// setBusy marks or clears slot k of host i and keeps its bucket current.
func (s *engine) setBusy(i, k int, busy bool) {
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

// pick mirrors distcc's dcc_lock_one: the lowest slot index wins, hosts in
// list order break ties (or at random under --randomize), and backed-off
// hosts are left out. It returns -1 with none=true when every host is
// backed off, which sends the job to a local fallback.
func (s *engine) pick() (hi int, none bool) {
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
	panic("sim: slot bucket out of sync")
}

// ensurePoll schedules the earliest waiting job's next poll if it could
// succeed. Waiting jobs sleep a whole pause between polls, so a freed slot
// stays idle until one of them wakes: with few waiters that idle time is
// one reason N somewhat above the slot sum still helps.
func (s *engine) ensurePoll(t float64) {
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

func (s *engine) poll(u int32, t float64) {
	if s.trySlot(u, t) {
		s.removeWaiter(u)
	}
	s.ensurePoll(t)
}

func (s *engine) bucketOf(phase float64) int {
	return min(max(int(phase/s.pause*pollBuckets), 0), pollBuckets-1)
}

func (s *engine) addWaiter(u int32, first float64) {
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

func (s *engine) removeWaiter(u int32) {
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
func (s *engine) nextWaiter(t float64) (waiter, float64) {
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
