package probe

import (
	"sync"
	"testing"
	"time"
)

// fakeClock is a Clock that moves only when the test calls Advance. Its
// timers and tickers fire, like real ones, into channels with room for
// one value, dropping ticks nobody took.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

var _ Clock = (*fakeClock)(nil)

// fakeTimer is a timer, or a ticker when period is set.
type fakeTimer struct {
	clock  *fakeClock
	c      chan time.Time
	when   time.Time
	period time.Duration
	armed  bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer { return c.add(d, 0) }

func (c *fakeClock) NewTicker(d time.Duration) Ticker {
	if d <= 0 {
		panic("non-positive interval for NewTicker")
	}
	return fakeTicker{c.add(d, d)}
}

// fakeTicker is a fakeTimer with a period, seen through Ticker.
type fakeTicker struct{ *fakeTimer }

func (t fakeTicker) Stop() { t.fakeTimer.Stop() }

func (c *fakeClock) add(d, period time.Duration) *fakeTimer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{clock: c, c: make(chan time.Time, 1), when: c.now.Add(d), period: period, armed: true}
	c.timers = append(c.timers, t)
	c.fireLocked()
	return t
}

// Advance moves the clock on by d and fires what fell due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.fireLocked()
}

// armedTimers counts the one-shot timers that are set to fire.
func (c *fakeClock) armedTimers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if t.armed && t.period == 0 {
			n++
		}
	}
	return n
}

func (c *fakeClock) fireLocked() {
	for _, t := range c.timers {
		if !t.armed || t.when.After(c.now) {
			continue
		}
		select {
		case t.c <- c.now:
		default: // a tick nobody took yet
		}
		if t.period == 0 {
			t.armed = false
			continue
		}
		for !t.when.After(c.now) {
			t.when = t.when.Add(t.period)
		}
	}
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

// Stop disarms the timer and, as timers do since Go 1.23, leaves no stale
// value in its channel.
func (t *fakeTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := t.armed
	t.armed = false
	t.drain()
	return was
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := t.armed
	t.drain()
	t.armed, t.when = true, t.clock.now.Add(d)
	t.clock.fireLocked()
	return was
}

func (t *fakeTimer) drain() {
	select {
	case <-t.c:
	default:
	}
}

func TestFakeClock(t *testing.T) {
	c := newFakeClock()
	start := c.Now()
	timer := c.NewTimer(50 * time.Millisecond)
	tick := c.NewTicker(20 * time.Millisecond)
	received := func(ch <-chan time.Time) (time.Time, bool) {
		select {
		case v := <-ch:
			return v, true
		default:
			return time.Time{}, false
		}
	}
	c.Advance(19 * time.Millisecond)
	if _, ok := received(tick.C()); ok {
		t.Error("the ticker fired early")
	}
	c.Advance(time.Millisecond)
	if v, ok := received(tick.C()); !ok || v.Sub(start) != 20*time.Millisecond {
		t.Errorf("tick at 20 ms: %v, %v", v.Sub(start), ok)
	}
	c.Advance(60 * time.Millisecond) // ticks at 40, 60 and 80 ms: one kept
	if v, ok := received(tick.C()); !ok || v.Sub(start) != 80*time.Millisecond {
		t.Errorf("tick after a jump: %v, %v", v.Sub(start), ok)
	}
	if v, ok := received(timer.C()); !ok || v.Sub(start) != 80*time.Millisecond || c.armedTimers() != 0 {
		t.Errorf("timer: %v, %v, %d armed", v.Sub(start), ok, c.armedTimers())
	}
	if timer.Reset(10*time.Millisecond) || c.armedTimers() != 1 {
		t.Error("Reset of a fired timer reported it armed, or did not arm it")
	}
	if !timer.Stop() || c.armedTimers() != 0 {
		t.Error("Stop of an armed timer")
	}
	c.Advance(time.Second)
	if _, ok := received(timer.C()); ok {
		t.Error("a stopped timer fired")
	}
	tick.Stop()
	c.Advance(time.Second)
	if _, ok := received(tick.C()); ok {
		t.Error("a stopped ticker fired")
	}
}
