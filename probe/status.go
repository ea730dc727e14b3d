package probe

import (
	"bytes"
	"slices"
	"sync"
	"time"
)

// BuildStatus is a snapshot of a running build, for a live display. Runner
// sends one after every sample of the machine.
type BuildStatus struct {
	Jobs int
	// Elapsed is the time since the build started, thermal pauses
	// included.
	Elapsed time.Duration
	// CompileLines counts the compiler commands the build has printed so
	// far; see IsCompileLine.
	CompileLines   int
	DistccFailures int
	Load1          float64
	TempC          float64 // meaningful only when HasTemp
	HasTemp        bool
	Paused         bool // the thermal guard has stopped the build's group
}

// IsCompileLine reports whether a line of build output announces one
// compile: a command with -c as make echoes it (gcc, clang, distcc gcc),
// kbuild's and automake's quiet "  CC  file.o", or CMake's and ninja's
// "Building C object". Counting them gives the build's progress against
// an earlier full build of the same tree.
func IsCompileLine(line []byte) bool {
	if bytes.Contains(line, []byte("Building C object")) || bytes.Contains(line, []byte("Building CXX object")) {
		return true
	}
	fields := bytes.Fields(line)
	if len(fields) == 0 {
		return false
	}
	switch string(fields[0]) {
	case "CC", "CXX", "HOSTCC", "HOSTCXX":
		return true
	}
	for _, f := range fields[1:] {
		if string(f) == "-c" {
			return true
		}
	}
	return false
}

// compileCounter is an io.Writer that counts compile lines in one stream.
// One goroutine writes (exec copies each pipe in its own) while the
// sampling goroutine reads the count, hence the mutex.
type compileCounter struct {
	mu      sync.Mutex
	n       int
	pending []byte
	// elapsed, when set, makes the counter keep the time of every compile
	// line since the build started, for the build's tuner.Progress.
	elapsed func() time.Duration
	times   []float64
}

// maxPending bounds the partial line kept between writes; a compile line
// shows itself in its first few hundred bytes.
const maxPending = 4 << 10

func (c *compileCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rest := p
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			if room := maxPending - len(c.pending); room > 0 {
				c.pending = append(c.pending, rest[:min(len(rest), room)]...)
			}
			return len(p), nil
		}
		line := rest[:i]
		if len(c.pending) > 0 {
			line = append(c.pending, line[:min(len(line), max(0, maxPending-len(c.pending)))]...)
			c.pending = c.pending[:0]
		}
		if IsCompileLine(line) {
			c.seen()
		}
		rest = rest[i+1:]
	}
}

// count returns the compile lines so far; a last line without a newline
// counts once the build is over and flush has run.
func (c *compileCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func (c *compileCounter) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) > 0 && IsCompileLine(c.pending) {
		c.seen()
	}
	c.pending = c.pending[:0]
}

// seen counts one compile line; the caller holds mu.
func (c *compileCounter) seen() {
	c.n++
	if c.elapsed != nil {
		c.times = append(c.times, c.elapsed().Seconds())
	}
}

// lineTimes merges the compile-line times of the counters in order.
func lineTimes(counters ...*compileCounter) []float64 {
	var all []float64
	for _, c := range counters {
		c.mu.Lock()
		all = append(all, c.times...)
		c.mu.Unlock()
	}
	slices.Sort(all)
	return all
}
