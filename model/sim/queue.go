package sim

import "math"

// event is a timer, a poll or a wake-up, in the engine's event heap.
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

// psItem is a job in a processor-sharing queue.
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
	// swapMB is the swap behind memCap: an overcommit beyond it is out of
	// memory, and broke says when that first happened (brokeAt).
	swapMB  float64
	broke   bool
	brokeAt float64
	// slow divides every rate: a live build's slowly varying speed (see
	// drift). Zero, as offline, leaves the rates alone.
	slow  float64
	h     []psItem
	nextT float64 // cached nextTime, the queue's key in engine.qheap
	pos   int     // index in engine.qheap
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
	if q.slow != 0 {
		q.rate /= q.slow
		q.inv *= q.slow
	}
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
			if over > q.swapMB && q.swapMB > 0 && !q.broke {
				q.broke, q.brokeAt = true, t
			}
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
