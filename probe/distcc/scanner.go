package distcc

import (
	"bytes"
	"maps"
	"sync"
)

const (
	// defaultTail is enough for the last few dozen lines of a build,
	// which is what a user needs to see why a trial failed.
	defaultTail = 8 << 10
	// maxLine caps the memory a single line may take: a build that
	// prints megabytes without a newline (a binary dumped to stderr) must
	// not make the scanner grow without bound. distcc itself never prints a
	// line longer than about 4 KiB, so its lines survive the cut intact.
	maxLine = 64 << 10
)

// Counts is the tally of one build.
//
// Failures counts compiles that gave up on the farm, one per compile, so
// it can be compared across -j values; see isDistributeFailure for which
// lines count. ERROR lines are counted separately in Errors because one
// failed compile typically prints a chain of three or four of them, and
// because with backoff off distcc retries other hosts after an ERROR
// without printing any "failed to distribute" line.
type Counts struct {
	Failures       int            `json:"failures"` // "failed to distribute" lines (incl. "... and fallbacks are disabled"); not "Couldn't find a host" or "remote compilation ... failed, retrying locally", which precede one of these
	Errors         map[string]int `json:"errors"`   // ERROR/CRITICAL lines by kind; nil until the first one
	FailuresByHost map[string]int `json:"failures_by_host,omitempty"`
	ErrorsByHost   map[string]int `json:"errors_by_host,omitempty"` // ERROR lines that name a host (connect errors), by host
	Config         map[string]int `json:"config,omitempty"`         // warnings about the setup by Config* kind; never failures
	PumpServers    int            `json:"pump_servers,omitempty"`   // pump-mode hosts, as pump announced them
}

func (c Counts) clone() Counts {
	return Counts{Failures: c.Failures, Errors: maps.Clone(c.Errors), FailuresByHost: maps.Clone(c.FailuresByHost),
		ErrorsByHost: maps.Clone(c.ErrorsByHost), Config: maps.Clone(c.Config), PumpServers: c.PumpServers}
}

// Add returns the tally of c and o together, for a build whose distcc
// lines went to two places (stderr and DISTCC_LOG). Neither is changed.
func (c Counts) Add(o Counts) Counts {
	sum := c.clone()
	sum.Failures += o.Failures
	sum.Errors = addCounts(sum.Errors, o.Errors)
	sum.FailuresByHost = addCounts(sum.FailuresByHost, o.FailuresByHost)
	sum.ErrorsByHost = addCounts(sum.ErrorsByHost, o.ErrorsByHost)
	sum.Config = addCounts(sum.Config, o.Config)
	sum.PumpServers = max(sum.PumpServers, o.PumpServers)
	return sum
}

// addCounts adds src into dst, making dst only when there is something to
// add: an empty count stays nil, as the scanner leaves it.
func addCounts(dst, src map[string]int) map[string]int {
	for k, v := range src {
		if dst == nil {
			dst = map[string]int{}
		}
		dst[k] += v
	}
	return dst
}

// Scanner is an io.Writer that splits what it receives into lines
// (handling writes that split lines arbitrarily, and a final line without
// newline via Flush), counts distcc events, and keeps a bounded tail of
// the raw text for error messages.
//
// It is meant to sit on a build's stderr (through io.MultiWriter or as
// exec.Cmd.Stderr) while a progress display reads Counts from another
// goroutine, hence the mutex. A line longer than 64 KiB is cut to its
// first 64 KiB for parsing, because distcc's messages start lines and the
// rest is not worth unbounded memory; the line is still counted.
type Scanner struct {
	mu      sync.Mutex
	tailMax int
	tail    []byte // the most recent raw output; at most 2*(tailMax+1) bytes
	pending []byte // the current unterminated line, at most maxLine
	lines   int
	counts  Counts
	// pidErrors holds, per distcc PID, the ERROR kinds counted since that
	// client's last line that was not an ERROR: when the chain ends in
	// "failed to talk to include server", those ERRORs were about the
	// master's pump socket, not a farm host, and are taken back.
	pidErrors map[int][]string
}

// maxPidErrors bounds pidErrors: clients that print ERRORs and exit
// without another line would otherwise pile up over a long build.
const maxPidErrors = 4096

// NewScanner keeps up to tailBytes of the most recent raw output
// (0 or less means a default of 8 KiB).
func NewScanner(tailBytes int) *Scanner {
	if tailBytes <= 0 {
		tailBytes = defaultTail
	}
	return &Scanner{tailMax: tailBytes}
}

// Write never fails, so that an io.MultiWriter feeding the scanner and a
// log file never cuts the build's output short because of the scanner.
func (s *Scanner) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appendTail(p)
	rest := p
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			s.bufferPartial(rest)
			break
		}
		if len(s.pending) == 0 {
			// Common case: the whole line is in p, parse it in place.
			s.processLine(rest[:i])
		} else {
			s.bufferPartial(rest[:i])
			s.processLine(s.pending)
			s.resetPending()
		}
		rest = rest[i+1:]
	}
	return len(p), nil
}

// Flush processes a pending partial line, for output that does not end in
// a newline (a build killed mid-line). Later writes start a new line.
func (s *Scanner) Flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) > 0 {
		s.processLine(s.pending)
		s.resetPending()
	}
}

// Counts returns a copy, so callers may keep or modify it while the build
// goes on.
func (s *Scanner) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts.clone()
}

// Tail returns the last tailBytes of raw output. When the window starts in
// the middle of a line, that partial line is dropped (if anything is left
// after it), so that an error message quoting the tail does not start with
// a fragment.
func (s *Scanner) Tail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.tail
	if len(w) <= s.tailMax {
		// Never trimmed: the window starts at the start of the output.
		return string(w)
	}
	atBoundary := w[len(w)-s.tailMax-1] == '\n'
	w = w[len(w)-s.tailMax:]
	if !atBoundary {
		if i := bytes.IndexByte(w, '\n'); i >= 0 && i < len(w)-1 {
			w = w[i+1:]
		}
	}
	return string(w)
}

// Lines returns the total number of lines seen, distcc's or not; a partial
// last line counts only once Flush has processed it.
func (s *Scanner) Lines() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lines
}

// appendTail keeps one byte more than tailMax, so Tail can tell whether
// its window starts at a line boundary, and compacts only when the buffer
// reaches twice that, so the copying stays amortised O(1) per byte.
func (s *Scanner) appendTail(p []byte) {
	limit := s.tailMax + 1
	if len(p) >= limit {
		s.tail = append(s.tail[:0], p[len(p)-limit:]...)
		return
	}
	if len(s.tail)+len(p) > 2*limit {
		keep := limit - len(p)
		n := copy(s.tail, s.tail[len(s.tail)-keep:])
		s.tail = s.tail[:n]
	}
	s.tail = append(s.tail, p...)
}

func (s *Scanner) bufferPartial(b []byte) {
	if room := maxLine - len(s.pending); len(b) > room {
		b = b[:room]
	}
	s.pending = append(s.pending, b...)
}

// resetPending gives back the buffer of an unusually long line, so one
// 64 KiB line does not pin 64 KiB for the rest of the build.
func (s *Scanner) resetPending() {
	if cap(s.pending) > 4<<10 {
		s.pending = nil
		return
	}
	s.pending = s.pending[:0]
}

func (s *Scanner) processLine(b []byte) {
	s.lines++
	if len(b) > maxLine {
		b = b[:maxLine]
	}
	c := &s.counts
	if bytes.HasPrefix(b, []byte(pumpTag)) || bytes.HasPrefix(b, []byte(includeServerTag)) {
		if pev, ok := ParsePumpLine(string(b)); ok {
			if pev.Servers > 0 {
				c.PumpServers = pev.Servers
			}
			s.addConfig(pev.Config)
		}
		return
	}
	// Most build output is not distcc's: skip the string copy for it.
	if !bytes.Contains(b, clientTagBytes) {
		return
	}
	ev, ok := ParseLine(string(b))
	if !ok {
		return
	}
	s.trackPid(ev)
	if ev.Failure {
		c.Failures++
		if ev.Host != "" {
			if c.FailuresByHost == nil {
				c.FailuresByHost = make(map[string]int)
			}
			c.FailuresByHost[ev.Host]++
		}
	}
	if ev.ErrorKind != "" {
		if c.Errors == nil {
			c.Errors = make(map[string]int)
		}
		c.Errors[ev.ErrorKind]++
		if ev.Host != "" && !ev.Failure {
			if c.ErrorsByHost == nil {
				c.ErrorsByHost = make(map[string]int)
			}
			c.ErrorsByHost[ev.Host]++
		}
	}
	s.addConfig(ev.Config)
}

func (s *Scanner) addConfig(kind string) {
	if kind == "" {
		return
	}
	if s.counts.Config == nil {
		s.counts.Config = make(map[string]int)
	}
	s.counts.Config[kind]++
}

// trackPid keeps pidErrors up to date with ev, and takes back the ERRORs
// of a chain that ends at the include server.
func (s *Scanner) trackPid(ev Event) {
	if ev.ErrorKind != "" {
		if s.pidErrors == nil || len(s.pidErrors) >= maxPidErrors {
			s.pidErrors = make(map[int][]string)
		}
		s.pidErrors[ev.PID] = append(s.pidErrors[ev.PID], ev.ErrorKind)
		return
	}
	if ev.Config == ConfigPumpIncludeServer {
		for _, kind := range s.pidErrors[ev.PID] {
			if s.counts.Errors[kind]--; s.counts.Errors[kind] <= 0 {
				delete(s.counts.Errors, kind)
			}
		}
		if len(s.counts.Errors) == 0 {
			s.counts.Errors = nil
		}
	}
	delete(s.pidErrors, ev.PID)
}
