package distcc

import (
	"strconv"
	"strings"
)

// Kinds of distcc ERROR lines, used as keys of Counts.Errors and in JSON.
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

// clientTag starts every message distcc's client prints through its
// logger; rs_program_name is hard-wired to "distcc" even when distcc runs
// masqueraded as gcc, so this is stable across installs.
const clientTag = "distcc["

var clientTagBytes = []byte(clientTag)

// Event is what one stderr line says about distcc.
type Event struct {
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
// count as failures. Keys of Counts.Config.
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

// configMessages maps message texts, matched by prefix or, when the
// text starts with "*", by substring, to Config* kinds.
var configMessages = []struct{ text, kind string }{
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

// severities maps distcc's severity prefixes (src/trace.c rs_severities)
// to the names Event uses. EMERGENCY and ALERT are never used by the
// client today, but folding them into CRITICAL means an unexpected one is
// still counted as an error instead of being silently ignored.
var severities = [...]struct{ prefix, name string }{
	{"ERROR: ", "ERROR"},
	{"Warning: ", "Warning"},
	{"CRITICAL! ", "CRITICAL"},
	{"EMERGENCY! ", "CRITICAL"},
	{"ALERT! ", "CRITICAL"},
}

// ParseLine classifies one line (without trailing newline; tolerate a
// trailing '\r'). ok is false for lines that are not distcc's.
//
// A distcc message is recognised at the start of the line, and also later
// in the line when it carries a severity: gcc writes its diagnostics to an
// unbuffered stderr in pieces, so with parallel jobs distcc's single
// write() can land after a half-written gcc line. Requiring a severity for
// such mid-line matches keeps make's echo of a command that merely
// mentions "distcc[" from counting, except in the contrived case where the
// echoed text is itself a complete distcc message.
func ParseLine(line string) (ev Event, ok bool) {
	line = strings.TrimSuffix(line, "\r")
	for off := 0; off < len(line); {
		i := strings.Index(line[off:], clientTag)
		if i < 0 {
			break
		}
		start := off + i
		if ev, ok := parseAt(line[start:], start == 0); ok {
			return ev, true
		}
		off = start + len(clientTag)
	}
	return Event{}, false
}

// parseAt parses s, which begins with clientTag, following
// rs_format_msg: "distcc[PID] (function) SEVERITY message", where the
// function is left out for RS_LOG_NONAME calls and the severity prefix is
// empty below Warning.
func parseAt(s string, atLineStart bool) (Event, bool) {
	s = s[len(clientTag):]
	n := 0
	for n < len(s) && n < 10 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n == 0 || !strings.HasPrefix(s[n:], "] ") {
		return Event{}, false
	}
	pid, err := strconv.Atoi(s[:n])
	if err != nil {
		return Event{}, false
	}
	ev := Event{PID: pid}
	rest := s[n+2:]

	if strings.HasPrefix(rest, "(") {
		// Only a C identifier counts as a function name, so a NONAME
		// message that happens to start with "(" keeps its text.
		if k := strings.IndexByte(rest, ')'); k > 1 && isIdent(rest[1:k]) && strings.HasPrefix(rest[k:], ") ") {
			ev.Function = rest[1:k]
			rest = rest[k+2:]
		}
	}
	for _, sv := range severities {
		if strings.HasPrefix(rest, sv.prefix) {
			ev.Severity = sv.name
			rest = rest[len(sv.prefix):]
			break
		}
	}
	if ev.Severity == "" && !atLineStart {
		return Event{}, false
	}
	ev.Message = rest
	classify(&ev)
	return ev, true
}

func isIdent(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}

// classify fills Failure, File, Host and ErrorKind from the message
// text. Matching is on text, not on the function name, because function
// names differ between distcc releases while the messages have not.
func classify(ev *Event) {
	m := ev.Message
	if ev.Severity != "" {
		for _, c := range configMessages {
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
		kind, host := errorKind(m)
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

// errorKind sorts an ERROR/CRITICAL message into one of the Err*
// kinds and returns the host it names, if any. Hosts are rendered as
// distcc prints socket addresses, "addr:port" (IPv6 without brackets), so
// they are cut at ": " (the strerror separator), never at ':'.
func errorKind(m string) (kind, host string) {
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
