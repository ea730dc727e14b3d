package probe

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Kinds of distcc ERROR lines, used as keys of DistccCounts.Errors and in JSON.
//
// The kinds group messages by what they imply for tuning rather than by the
// distcc source file that prints them: a refused or unreachable host wants
// to be dropped from the farm, a connect timeout points at an overloaded or
// firewalled host, an IO timeout at a server that is too slow for -jN, and
// read/write failures at a server that died or refused us mid-job.
const (
	ErrConnectRefused = "connect_refused" // failed/nonblocking connect ... Connection refused (also other connect failures: resolve, no route, create socket)
	ErrConnectTimeout = "connect_timeout" // timeout while connecting to ...
	ErrIOTimeout      = "io_timeout"      // IO timeout
	ErrReadWrite      = "read_write"      // failed to read/write, unexpected eof, read failed while waiting for token, server provided no answer, failed to close
	ErrOther          = "other"           // any other distcc ERROR or CRITICAL line
)

const (
	// distccDefaultTail is enough for the last few dozen lines of a build,
	// which is what a user needs to see why a trial failed.
	distccDefaultTail = 8 << 10
	// distccMaxLine caps the memory a single line may take: a build that
	// prints megabytes without a newline (a binary dumped to stderr) must
	// not make the scanner grow without bound. distcc itself never prints a
	// line longer than about 4 KiB, so its lines survive the cut intact.
	distccMaxLine = 64 << 10
)

// distccTag starts every message distcc's client prints through its
// logger; rs_program_name is hard-wired to "distcc" even when distcc runs
// masqueraded as gcc, so this is stable across installs.
const distccTag = "distcc["

var distccTagBytes = []byte(distccTag)

// DistccEvent is what one stderr line says about distcc.
type DistccEvent struct {
	PID       int
	Function  string // e.g. "dcc_readx"; empty when the line has none
	Severity  string // "ERROR", "Warning" or "CRITICAL"; empty for the notice/info/trace lines DISTCC_VERBOSE=1 adds
	Message   string
	Failure   bool   // a "failed to distribute" fallback to a local compile: counted once per line
	File      string // the source file named by a failure line, when given
	Host      string // the host named by the line, when given (e.g. "127.0.0.1:3699/2" for failure lines, "127.0.0.1:3632" for connect errors)
	ErrorKind string // one of the Err* kinds for ERROR/CRITICAL lines; empty for warnings
	Config    string // one of the Config* kinds for a line about the setup rather than N; empty otherwise
}

// Kinds of distcc messages that point at the setup, not at N: the same at
// every -j, so they are reported as configuration warnings and never
// count as failures. Keys of DistccCounts.Config.
const (
	// ccache in front of distcc in pump mode: ccache preprocesses, so
	// pump has nothing to do (the seed study's "cannot use distcc_pump on
	// already preprocessed file (such as emitted by ccache)").
	ConfigPumpPreprocessed = "pump_preprocessed_input"
	// CPATH, C_INCLUDE_PATH or CPLUS_INCLUDE_PATH set: pump preprocesses
	// locally.
	ConfigPumpIncludeEnv = "pump_include_path_env"
	// ,cpp hosts without the pump wrapper (INCLUDE_SERVER_PORT not set).
	ConfigPumpNotRunning = "pump_not_running"
	// the include server could not help; the compile is preprocessed
	// locally (pump's plain-distcc fallback).
	ConfigPumpIncludeServer = "pump_include_server"
	// ,cpp without ,lzo in the host list.
	ConfigPumpNeedsLZO = "pump_needs_lzo"
	// pump found hosts without ,cpp besides the pump-mode ones.
	ConfigPumpHostsWithoutCPP = "pump_hosts_without_cpp"
	// pump-mode compiles failed on a server but worked locally; after
	// enough of them pump demotes itself to plain distcc.
	ConfigPumpDiscrepancy = "pump_discrepancy"
	// no host list at all: every compile runs locally.
	ConfigNoHosts = "no_hosts"
	// a source file distcc never distributes (.incbin and the like).
	ConfigUnsupported = "unsupported_directives"
)

// distccConfigMessages maps message texts, matched by prefix or, when the
// text starts with "*", by substring, to Config* kinds.
var distccConfigMessages = []struct{ text, kind string }{
	{"cannot use distcc_pump on already preprocessed file", ConfigPumpPreprocessed},
	{"cannot use distcc_pump with any of environment variables", ConfigPumpIncludeEnv},
	{"INCLUDE_SERVER_PORT not set", ConfigPumpNotRunning},
	{"failed to get includes from include server", ConfigPumpIncludeServer},
	{"failed to talk to include server", ConfigPumpIncludeServer},
	// The include server's socket is gone (it crashed or was shut down):
	// an ERROR, but about the master's pump, not about a farm host.
	{"failed to connect to UNIX-DOMAIN ", ConfigPumpIncludeServer},
	{"include server gave up analyzing", ConfigPumpIncludeServer},
	{"pump mode (',cpp') requires compression (',lzo')", ConfigPumpNeedsLZO},
	{"no hostlist is set", ConfigNoHosts},
	{"*contained no hosts; can't distribute work", ConfigNoHosts},
	{"*can't distribute due to unsupported directives", ConfigUnsupported},
}

// distccSeverities maps distcc's severity prefixes (src/trace.c rs_severities)
// to the names DistccEvent uses. EMERGENCY and ALERT are never used by the
// client today, but folding them into CRITICAL means an unexpected one is
// still counted as an error instead of being silently ignored.
var distccSeverities = [...]struct{ prefix, name string }{
	{"ERROR: ", "ERROR"},
	{"Warning: ", "Warning"},
	{"CRITICAL! ", "CRITICAL"},
	{"EMERGENCY! ", "CRITICAL"},
	{"ALERT! ", "CRITICAL"},
}

// ParseDistccLine classifies one line (without trailing newline; tolerate a
// trailing '\r'). ok is false for lines that are not distcc's.
//
// A distcc message is recognised at the start of the line, and also later
// in the line when it carries a severity: gcc writes its diagnostics to an
// unbuffered stderr in pieces, so with parallel jobs distcc's single
// write() can land after a half-written gcc line. Requiring a severity for
// such mid-line matches keeps make's echo of a command that merely
// mentions "distcc[" from counting, except in the contrived case where the
// echoed text is itself a complete distcc message.
func ParseDistccLine(line string) (ev DistccEvent, ok bool) {
	line = strings.TrimSuffix(line, "\r")
	for off := 0; off < len(line); {
		i := strings.Index(line[off:], distccTag)
		if i < 0 {
			break
		}
		start := off + i
		if ev, ok := parseDistccAt(line[start:], start == 0); ok {
			return ev, true
		}
		off = start + len(distccTag)
	}
	return DistccEvent{}, false
}

// parseDistccAt parses s, which begins with distccTag, following
// rs_format_msg: "distcc[PID] (function) SEVERITY message", where the
// function is left out for RS_LOG_NONAME calls and the severity prefix is
// empty below Warning.
func parseDistccAt(s string, atLineStart bool) (DistccEvent, bool) {
	s = s[len(distccTag):]
	n := 0
	for n < len(s) && n < 10 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n == 0 || !strings.HasPrefix(s[n:], "] ") {
		return DistccEvent{}, false
	}
	pid, err := strconv.Atoi(s[:n])
	if err != nil {
		return DistccEvent{}, false
	}
	ev := DistccEvent{PID: pid}
	rest := s[n+2:]

	if strings.HasPrefix(rest, "(") {
		// Only a C identifier counts as a function name, so a NONAME
		// message that happens to start with "(" keeps its text.
		if k := strings.IndexByte(rest, ')'); k > 1 && distccIsIdent(rest[1:k]) && strings.HasPrefix(rest[k:], ") ") {
			ev.Function = rest[1:k]
			rest = rest[k+2:]
		}
	}
	for _, sv := range distccSeverities {
		if strings.HasPrefix(rest, sv.prefix) {
			ev.Severity = sv.name
			rest = rest[len(sv.prefix):]
			break
		}
	}
	if ev.Severity == "" && !atLineStart {
		return DistccEvent{}, false
	}
	ev.Message = rest
	classifyDistcc(&ev)
	return ev, true
}

func distccIsIdent(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}

// classifyDistcc fills Failure, File, Host and ErrorKind from the message
// text. Matching is on text, not on the function name, because function
// names differ between distcc releases while the messages have not.
func classifyDistcc(ev *DistccEvent) {
	m := ev.Message
	if ev.Severity != "" {
		for _, c := range distccConfigMessages {
			if sub, ok := strings.CutPrefix(c.text, "*"); (ok && strings.Contains(m, sub)) || (!ok && strings.HasPrefix(m, c.text)) {
				ev.Config = c.kind
				break
			}
		}
	}
	if ev.Severity != "" && isDistributeFailure(m) {
		ev.Failure = true
		ev.File, ev.Host = distributeTarget(m)
	}
	if (ev.Severity == "ERROR" || ev.Severity == "CRITICAL") && ev.Config == "" {
		kind, host := distccErrorKind(m)
		ev.ErrorKind = kind
		if ev.Host == "" {
			ev.Host = host
		}
	}
}

// isDistributeFailure reports whether m is one of the lines distcc prints
// exactly once per compile that gave up on remote hosts (compile.c,
// label "fallback"): "failed to distribute <file> to <host>, running
// locally instead", "failed to distribute, running locally instead", or,
// with DISTCC_FALLBACK=0, "failed to distribute and fallbacks are
// disabled" (an ERROR printed instead of, not besides, the warning).
//
// Deliberately not failures, because each is followed by one of the above
// on the same path and would count the compile twice:
// "Couldn't find a host in N attempts, retrying locally" and
// "remote compilation of '...' failed, retrying locally". Also not a
// failure: "...: can't distribute due to unsupported directives, running
// locally", which is a property of the source file (.incbin), the same at
// every -j, not of the farm.
func isDistributeFailure(m string) bool {
	const p = "failed to distribute"
	if !strings.HasPrefix(m, p) {
		return false
	}
	rest := m[len(p):]
	return rest == "" || rest[0] == ',' || rest[0] == ' '
}

// distributeTarget extracts file and host from "failed to distribute
// <file> to <hostdef>, running locally instead". The host is distcc's
// hostdef string (e.g. "127.0.0.1:3699/2" or "name/4,lzo"), kept whole
// so that it matches the DISTCC_HOSTS entry the user wrote. Nothing is
// returned when the suffix is missing, because then distcc truncated the
// message and the host text cannot be trusted.
func distributeTarget(m string) (file, host string) {
	const p, suffix = "failed to distribute ", ", running locally instead"
	if !strings.HasPrefix(m, p) || !strings.HasSuffix(m, suffix) {
		return "", ""
	}
	mid := m[len(p) : len(m)-len(suffix)]
	i := strings.LastIndex(mid, " to ")
	if i < 0 {
		return "", ""
	}
	file, host = mid[:i], mid[i+len(" to "):]
	if file == "(unknown)" { // distcc's placeholder when it had no input name
		file = ""
	}
	return file, host
}

// distccErrorKind sorts an ERROR/CRITICAL message into one of the Err*
// kinds and returns the host it names, if any. Hosts are rendered as
// distcc prints socket addresses, "addr:port" (IPv6 without brackets), so
// they are cut at ": " (the strerror separator), never at ':'.
func distccErrorKind(m string) (kind, host string) {
	switch {
	case strings.Contains(m, "timeout while connecting to "):
		_, h, _ := strings.Cut(m, "timeout while connecting to ")
		return ErrConnectTimeout, h
	case strings.HasPrefix(m, "IO timeout"):
		return ErrIOTimeout, ""
	case strings.HasPrefix(m, "failed to connect to "):
		h, _, _ := strings.Cut(m[len("failed to connect to "):], ": ")
		return ErrConnectRefused, h
	case strings.HasPrefix(m, "nonblocking connect to "):
		h, _, _ := strings.Cut(m[len("nonblocking connect to "):], " failed")
		return ErrConnectRefused, h
	case strings.HasPrefix(m, "failed to resolve host "):
		// "failed to resolve host %s port %d: %s"
		rest := m[len("failed to resolve host "):]
		name, after, found := strings.Cut(rest, " port ")
		if !found {
			return ErrConnectRefused, ""
		}
		port, _, _ := strings.Cut(after, ": ")
		return ErrConnectRefused, name + ":" + port
	case strings.HasPrefix(m, `failed to look up host "`):
		h, _, _ := strings.Cut(m[len(`failed to look up host "`):], `"`)
		return ErrConnectRefused, h
	case strings.HasPrefix(m, "failed to create socket"),
		strings.HasPrefix(m, "getsockopt SO_ERROR failed"):
		return ErrConnectRefused, ""
	case strings.HasPrefix(m, "failed to read: "),
		strings.HasPrefix(m, "failed to write: "),
		strings.HasPrefix(m, "unexpected eof on fd"),
		strings.HasPrefix(m, "read failed while waiting for token"),
		strings.HasPrefix(m, "server provided no answer"),
		strings.HasPrefix(m, "failed to close fd"),
		// select() on the socket failing is socket I/O breaking down too
		// (io.c prints both spellings).
		strings.HasPrefix(m, "select() failed: "),
		strings.HasPrefix(m, "select failed: "):
		return ErrReadWrite, ""
	}
	return ErrOther, ""
}

// pumpTag starts every line the pump wrapper (distcc-pump) prints itself.
const pumpTag = "__________"

// includeServerTag starts the include server's own warnings, which pump
// prints when it shuts the server down.
const includeServerTag = "WARNING include server: "

// PumpEvent is what one of pump's own lines says. Its startup and
// shutdown notices ("Using distcc-pump from /usr/bin", "Using 2 distcc
// servers in pump mode", "Shutting down distcc-pump include server") are
// neither failures nor errors; the lines that report a problem carry a
// Config* kind.
type PumpEvent struct {
	Servers int    // from "Using N distcc servers in pump mode": the pump-mode hosts
	Config  string // a Config* kind for a line that reports a problem
}

// ParsePumpLine classifies one line of pump's (the distcc-pump script's
// echo lines, and the include server's warnings); ok is false for other
// lines.
func ParsePumpLine(line string) (PumpEvent, bool) {
	line = strings.TrimSuffix(line, "\r")
	if strings.HasPrefix(line, includeServerTag) {
		return PumpEvent{Config: ConfigPumpIncludeServer}, true
	}
	m, ok := strings.CutPrefix(line, pumpTag)
	if !ok {
		return PumpEvent{}, false
	}
	var ev PumpEvent
	switch {
	case strings.HasPrefix(m, "Using ") && strings.Contains(m, " distcc server"):
		// "Using N distcc servers in pump mode" or "Using N distcc
		// servers, of which only M support(s) pump mode".
		f := strings.Fields(m)
		ev.Servers, _ = strconv.Atoi(f[1])
		if _, only, found := strings.Cut(m, "of which only "); found {
			ev.Servers, _ = strconv.Atoi(strings.Fields(only)[0])
			ev.Config = ConfigPumpHostsWithoutCPP
		}
	case strings.HasPrefix(m, "Could not start distcc-pump include server"),
		strings.HasPrefix(m, "Warning: distcc-pump include server failed"),
		strings.HasPrefix(m, "Expected a socket at"):
		ev.Config = ConfigPumpIncludeServer
	case strings.HasPrefix(m, "Distcc-pump was demoted to plain mode"),
		strings.HasPrefix(m, "Warning: ") && strings.Contains(m, "pump-mode compilation(s) failed on server"):
		ev.Config = ConfigPumpDiscrepancy
	}
	return ev, true
}

// DistccCounts is the tally of one build.
//
// Failures counts compiles that gave up on the farm, one per compile, so
// it can be compared across -j values; see isDistributeFailure for which
// lines count. ERROR lines are counted separately in Errors because one
// failed compile typically prints a chain of three or four of them, and
// because with backoff off distcc retries other hosts after an ERROR
// without printing any "failed to distribute" line.
type DistccCounts struct {
	Failures       int            `json:"failures"` // "failed to distribute" lines (incl. "... and fallbacks are disabled"); not "Couldn't find a host" or "remote compilation ... failed, retrying locally", which precede one of these
	Errors         map[string]int `json:"errors"`   // ERROR/CRITICAL lines by kind; nil until the first one
	FailuresByHost map[string]int `json:"failures_by_host,omitempty"`
	ErrorsByHost   map[string]int `json:"errors_by_host,omitempty"` // ERROR lines that name a host (connect errors), by host
	Config         map[string]int `json:"config,omitempty"`         // warnings about the setup by Config* kind; never failures
	PumpServers    int            `json:"pump_servers,omitempty"`   // pump-mode hosts, as pump announced them
}

func (c DistccCounts) clone() DistccCounts {
	return DistccCounts{Failures: c.Failures, Errors: maps.Clone(c.Errors), FailuresByHost: maps.Clone(c.FailuresByHost),
		ErrorsByHost: maps.Clone(c.ErrorsByHost), Config: maps.Clone(c.Config), PumpServers: c.PumpServers}
}

// DistccScanner is an io.Writer that splits what it receives into lines
// (handling writes that split lines arbitrarily, and a final line without
// newline via Flush), counts distcc events, and keeps a bounded tail of
// the raw text for error messages.
//
// It is meant to sit on a build's stderr (through io.MultiWriter or as
// exec.Cmd.Stderr) while a progress display reads Counts from another
// goroutine, hence the mutex. A line longer than 64 KiB is cut to its
// first 64 KiB for parsing, because distcc's messages start lines and the
// rest is not worth unbounded memory; the line is still counted.
type DistccScanner struct {
	mu      sync.Mutex
	tailMax int
	tail    []byte // the most recent raw output; at most 2*(tailMax+1) bytes
	pending []byte // the current unterminated line, at most distccMaxLine
	lines   int
	counts  DistccCounts
	// pidErrors holds, per distcc PID, the ERROR kinds counted since that
	// client's last line that was not an ERROR: when the chain ends in
	// "failed to talk to include server", those ERRORs were about the
	// master's pump socket, not a farm host, and are taken back.
	pidErrors map[int][]string
}

// maxPidErrors bounds pidErrors: clients that print ERRORs and exit
// without another line would otherwise pile up over a long build.
const maxPidErrors = 4096

// NewDistccScanner keeps up to tailBytes of the most recent raw output
// (0 or less means a default of 8 KiB).
func NewDistccScanner(tailBytes int) *DistccScanner {
	if tailBytes <= 0 {
		tailBytes = distccDefaultTail
	}
	return &DistccScanner{tailMax: tailBytes}
}

// Write never fails, so that an io.MultiWriter feeding the scanner and a
// log file never cuts the build's output short because of the scanner.
func (s *DistccScanner) Write(p []byte) (int, error) {
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
func (s *DistccScanner) Flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) > 0 {
		s.processLine(s.pending)
		s.resetPending()
	}
}

// Counts returns a copy, so callers may keep or modify it while the build
// goes on.
func (s *DistccScanner) Counts() DistccCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts.clone()
}

// Tail returns the last tailBytes of raw output. When the window starts in
// the middle of a line, that partial line is dropped (if anything is left
// after it), so that an error message quoting the tail does not start with
// a fragment.
func (s *DistccScanner) Tail() string {
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
func (s *DistccScanner) Lines() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lines
}

// appendTail keeps one byte more than tailMax, so Tail can tell whether
// its window starts at a line boundary, and compacts only when the buffer
// reaches twice that, so the copying stays amortised O(1) per byte.
func (s *DistccScanner) appendTail(p []byte) {
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

func (s *DistccScanner) bufferPartial(b []byte) {
	if room := distccMaxLine - len(s.pending); len(b) > room {
		b = b[:room]
	}
	s.pending = append(s.pending, b...)
}

// resetPending gives back the buffer of an unusually long line, so one
// 64 KiB line does not pin 64 KiB for the rest of the build.
func (s *DistccScanner) resetPending() {
	if cap(s.pending) > 4<<10 {
		s.pending = nil
		return
	}
	s.pending = s.pending[:0]
}

func (s *DistccScanner) processLine(b []byte) {
	s.lines++
	if len(b) > distccMaxLine {
		b = b[:distccMaxLine]
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
	if !bytes.Contains(b, distccTagBytes) {
		return
	}
	ev, ok := ParseDistccLine(string(b))
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

func (s *DistccScanner) addConfig(kind string) {
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
func (s *DistccScanner) trackPid(ev DistccEvent) {
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

// configAdvice says what to do about each Config* kind.
var configAdvice = map[string]string{
	ConfigPumpPreprocessed:  `distcc in pump mode got files that were already preprocessed ("cannot use distcc_pump on already preprocessed file"): ccache runs in front of distcc and hands it preprocessed files (ccache before 3.3, or run_second_cpp = false / CCACHE_NOCPP2), so pump cannot help; use pump with CC="distcc gcc", or plain distcc behind ccache (CCACHE_PREFIX=distcc)`,
	ConfigPumpIncludeEnv:    "distcc pump preprocessed locally because CPATH, C_INCLUDE_PATH or CPLUS_INCLUDE_PATH is set; unset them for pump mode",
	ConfigPumpNotRunning:    "distcc has ,cpp hosts but the build does not run under pump (INCLUDE_SERVER_PORT not set); use --pump or wrap the command in pump",
	ConfigPumpIncludeServer: "distcc pump's include server could not list some files' includes, so they were preprocessed locally",
	ConfigPumpNeedsLZO:      "a ,cpp host has no ,lzo: pump mode needs both (HOST,cpp,lzo)",
	ConfigNoHosts:           "distcc found no host list, so every compile ran locally; pass --hosts or set DISTCC_HOSTS",
	ConfigUnsupported:       "some files cannot be distributed (unsupported directives such as .incbin) and compile locally at every -j",
}

// configWarnings turns the Config counts of one build into warnings, one
// per kind in a fixed order. The count is left out so that the same
// warning from several builds is shown once.
func configWarnings(config map[string]int) []string {
	var out []string
	for _, kind := range slices.Sorted(maps.Keys(config)) {
		msg, ok := configAdvice[kind]
		if !ok {
			msg = fmt.Sprintf("distcc warned about its setup (%s)", kind)
		}
		out = append(out, "configuration: "+msg)
	}
	return out
}
