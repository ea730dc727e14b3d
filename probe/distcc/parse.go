package distcc

// This file parses distcc host lists (DISTCC_HOSTS and hosts files). The
// grammar follows distcc's man page and src/hosts.c:
//
//	DISTCC_HOSTS      = HOSTSPEC ...
//	HOSTSPEC          = LOCAL_HOST | SSH_HOST | TCP_HOST | OLDSTYLE_TCP_HOST
//	                  | GLOBAL_OPTION | ZEROCONF
//	LOCAL_HOST        = localhost[/LIMIT] | --localslots=N | --localslots_cpp=N
//	SSH_HOST          = [USER]@HOSTID[/LIMIT][:COMMAND][OPTIONS]
//	TCP_HOST          = HOSTID[:PORT][/LIMIT][OPTIONS]
//	OLDSTYLE_TCP_HOST = HOSTID[/LIMIT][:PORT][OPTIONS]
//	HOSTID            = HOSTNAME | IPV4 | [IPV6]
//	OPTIONS           = (,lzo | ,cpp | ,auth | ,auth=NAME)*
//	GLOBAL_OPTION     = --randomize
//	ZEROCONF          = +zeroconf
//
// The parser is stricter than distcc, which silently ignores trailing junk
// (for example "host/4x" or "localhost/2,lzo") and so quietly runs with a
// different farm than the user meant. A tuner that measures the wrong farm
// wastes hours of builds, so every token is checked completely and the
// first bad one is reported with what would have been allowed.

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// MaxLimit is the largest /LIMIT, --localslots and --localslots_cpp value
// ParseHosts accepts.
//
// distcc itself has no cap: it reads the number with strtol into an int,
// so a huge LIMIT wraps (`distcc -j` prints -1 for 9223372036854775807)
// and jtune's formula used to wrap with it. No host runs thousands of
// compiles at once: the largest two-socket servers have well under 1,000
// hardware threads, and distcc's client only ever tries the first 50 slots
// of a host (dcc_lock_one in src/where.c). 4096 leaves room for any real
// machine while keeping 2 x (sum of limits) + 1 far from overflowing an
// int for any host list that fits in memory.
const MaxLimit = 4096

// Syntax reminders appended to error reasons, so a user can fix a token
// without opening the distcc man page.
const (
	localForm = "localhost[/LIMIT]"
	tcpForm   = "HOST[:PORT][/LIMIT][,lzo][,cpp][,auth]"
	sshForm   = "[USER]@HOST[/LIMIT][:COMMAND][,lzo][,cpp][,auth]"
	optForms  = "--randomize, --localslots=N, --localslots_cpp=N or +zeroconf"
)

// ParseHosts parses a DISTCC_HOSTS value or the text of a hosts file. Like
// distcc, it treats '#' as the start of a comment to the end of the line
// and newlines as separators in both, so one parser serves both sources.
//
// It returns the first bad token as a *HostSpecError. A list with no hosts
// (only whitespace, comments and global options) is an error with an empty
// Token, as it is for distcc, unless it has +zeroconf, which supplies hosts
// at run time. A /LIMIT or --localslots value above MaxLimit is an error.
//
// Bare IPv6 addresses such as ::1 are rejected even without a port or
// LIMIT: distcc reads the first ':' as the start of the port and fails, so
// accepting them would approve a list that distcc refuses.
func ParseHosts(spec string) (HostList, error) {
	var list HostList
	for _, tok := range strings.Fields(stripComments(spec)) {
		switch {
		case tok == "--randomize":
			list.Randomize = true
		case tok == "+zeroconf":
			list.Zeroconf = true
		case strings.HasPrefix(tok, "--localslots_cpp"):
			n, err := parseSlotsOption(tok, "--localslots_cpp")
			if err != nil {
				return HostList{}, err
			}
			list.LocalSlotsCPP = n
		case strings.HasPrefix(tok, "--localslots"):
			n, err := parseSlotsOption(tok, "--localslots")
			if err != nil {
				return HostList{}, err
			}
			list.LocalSlots = n
		case strings.HasPrefix(tok, "-"):
			// Host names cannot start with '-', so this is a mistyped option.
			return HostList{}, &HostSpecError{tok, "unknown option; allowed are " + optForms}
		case strings.HasPrefix(tok, "+"):
			return HostList{}, &HostSpecError{tok, "unknown keyword; the only '+' keyword is +zeroconf"}
		default:
			h, err := parseHost(tok)
			if err != nil {
				return HostList{}, err
			}
			list.Hosts = append(list.Hosts, h)
		}
	}
	if len(list.Hosts) == 0 && !list.Zeroconf {
		return HostList{}, &HostSpecError{"", "no hosts in it (only whitespace, comments or global options); " +
			"name at least one host, e.g. localhost/2 or buildhost/8, or use +zeroconf"}
	}
	return list, nil
}

// stripComments blanks out everything from '#' to the end of the line.
// Like distcc, '#' starts a comment even in the middle of a token, and '\r'
// ends one, so hosts files with DOS line endings work.
func stripComments(s string) string {
	if !strings.Contains(s, "#") {
		return s
	}
	b := []byte(s) // bytes, not runes, so tokens keep any invalid UTF-8 as written
	inComment := false
	for i, c := range b {
		switch c {
		case '\n', '\r':
			inComment = false
		case '#':
			inComment = true
		}
		if inComment {
			b[i] = ' '
		}
	}
	return string(b)
}

// parseSlotsOption parses --localslots=N and --localslots_cpp=N.
func parseSlotsOption(tok, name string) (int, error) {
	val, ok := strings.CutPrefix(tok, name+"=")
	if !ok {
		if tok == name {
			return 0, &HostSpecError{tok, fmt.Sprintf("%s needs a value: %s=N with N a positive integer", name, name)}
		}
		return 0, &HostSpecError{tok, "unknown option; allowed are " + optForms}
	}
	n, ok := positiveInt(val)
	switch {
	case !ok:
		return 0, &HostSpecError{tok, fmt.Sprintf("%s value %q must be a positive integer (%s=N)", name, val, name)}
	case n > MaxLimit:
		return 0, &HostSpecError{tok, fmt.Sprintf("%s value %q is too large; allowed are 1 to %d (%s=N)", name, val, MaxLimit, name)}
	}
	return n, nil
}

// parseHost classifies one host token the way distcc does: the word
// localhost, anything with '@' (ssh), or else a TCP host.
func parseHost(tok string) (Host, error) {
	rest, isLocal := strings.CutPrefix(tok, "localhost")
	switch {
	case isLocal && (rest == "" || strings.ContainsAny(rest[:1], "/:,")):
		return parseLocal(tok, rest)
	case strings.Contains(tok, "@"):
		return parseSSH(tok)
	default:
		return parseTCP(tok)
	}
}

// parseLocal parses what follows the word "localhost". distcc reads
// "localhost:PORT" and "localhost,lzo" as a TCP host and ignores anything
// after "localhost/N"; both surprise users, who usually meant the direct
// local mode, so they are rejected with a pointer to the TCP spelling.
func parseLocal(tok, rest string) (Host, error) {
	h := Host{Name: "localhost", Kind: HostLocal, Options: []string{}}
	if rest == "" {
		return h, nil
	}
	if after, ok := strings.CutPrefix(rest, "/"); ok {
		field, tail := cutField(after, ":/,")
		n, err := parseLimit(tok, field, localForm)
		if err != nil {
			return Host{}, err
		}
		h.Limit = n
		rest = tail
	}
	switch {
	case rest == "":
		return h, nil
	case rest[0] == '/':
		return Host{}, &HostSpecError{tok, "duplicate /LIMIT (" + localForm + ")"}
	}
	return Host{}, &HostSpecError{tok, "localhost takes only a /LIMIT, no port or options (" + localForm +
		"); to reach a distccd on this machine name it by address, e.g. 127.0.0.1:3632/4 (slower)"}
}

// parseTCP parses HOSTID[:PORT][/LIMIT][OPTIONS], where PORT and LIMIT
// may come in either order (distcc's old style put LIMIT first).
func parseTCP(tok string) (Host, error) {
	body, optText := cutField(tok, ",")
	if !strings.HasPrefix(body, "[") && strings.Count(body, ":") >= 2 {
		return Host{}, &HostSpecError{tok, "more than one ':' outside brackets; write an IPv6 address in brackets, " +
			"e.g. [::1] or [::1]:3632/4 (" + tcpForm + ")"}
	}
	name, rest, err := parseHostID(tok, body, tcpForm)
	if err != nil {
		return Host{}, err
	}
	h := Host{Name: name, Kind: HostTCP, Port: defaultPort}
	seenPort := false
	for rest != "" {
		sep := rest[0]
		field, tail := cutField(rest[1:], ":/")
		switch sep {
		case '/':
			if h.Limit != 0 {
				return Host{}, &HostSpecError{tok, "duplicate /LIMIT (" + tcpForm + ")"}
			}
			if h.Limit, err = parseLimit(tok, field, tcpForm); err != nil {
				return Host{}, err
			}
		case ':':
			if seenPort {
				return Host{}, &HostSpecError{tok, "duplicate :PORT (" + tcpForm + ")"}
			}
			n, ok := positiveInt(field)
			if !ok || n > 65535 {
				return Host{}, &HostSpecError{tok, fmt.Sprintf("PORT %q must be a number from 1 to 65535 (%s)", field, tcpForm)}
			}
			h.Port, seenPort = n, true
		default:
			// Only reachable right after a closing ']'.
			return Host{}, &HostSpecError{tok, fmt.Sprintf("unexpected %q after ']'; expected :PORT, /LIMIT or ,OPTION (%s)", sep, tcpForm)}
		}
		rest = tail
	}
	if h.Options, err = parseOptions(tok, optText, tcpForm); err != nil {
		return Host{}, err
	}
	return h, nil
}

// parseSSH parses [USER]@HOSTID[/LIMIT][:COMMAND][OPTIONS]. COMMAND
// runs to the first ',' and may contain '/' and ':', as paths do.
func parseSSH(tok string) (Host, error) {
	user, afterAt, _ := strings.Cut(tok, "@")
	if user != "" {
		if reason := checkName(user, "user name"); reason != "" {
			return Host{}, &HostSpecError{tok, reason + " (" + sshForm + ")"}
		}
	}
	body, optText := cutField(afterAt, ",")
	// A bare IPv6 address would be cut at its first ':' and the rest taken
	// as COMMAND. Commands are paths starting with '/', so text before the
	// first '/' made only of hex digits and 2+ colons was meant as an address.
	if pre, _ := cutField(body, "/"); strings.Count(pre, ":") >= 2 && strings.Trim(pre, "0123456789abcdefABCDEF:.") == "" {
		return Host{}, &HostSpecError{tok, "write an IPv6 address in brackets, e.g. @[::1]/4 (" + sshForm + ")"}
	}
	if body == "" || strings.ContainsAny(body[:1], "/:") {
		return Host{}, &HostSpecError{tok, "empty host name after '@' (" + sshForm + ")"}
	}
	name, rest, err := parseHostID(tok, body, sshForm)
	if err != nil {
		return Host{}, err
	}
	h := Host{Name: name, Kind: HostSSH, User: user}
	if after, ok := strings.CutPrefix(rest, "/"); ok {
		field, tail := cutField(after, ":/")
		if h.Limit, err = parseLimit(tok, field, sshForm); err != nil {
			return Host{}, err
		}
		rest = tail
	}
	switch {
	case rest == "":
	case rest[0] == '/':
		return Host{}, &HostSpecError{tok, "duplicate /LIMIT (" + sshForm + ")"}
	case rest == ":":
		return Host{}, &HostSpecError{tok, "empty COMMAND after ':'; give the path to distccd or drop the ':' (" + sshForm + ")"}
	case rest[0] == ':':
		h.Command = rest[1:]
	default:
		return Host{}, &HostSpecError{tok, fmt.Sprintf("unexpected %q after the host; expected /LIMIT, :COMMAND or ,OPTION (%s)", rest, sshForm)}
	}
	if h.Options, err = parseOptions(tok, optText, sshForm); err != nil {
		return Host{}, err
	}
	return h, nil
}

// parseHostID reads the HOSTID at the start of body and returns it
// with brackets removed, plus the text after it.
func parseHostID(tok, body, form string) (name, rest string, err error) {
	if inner, ok := strings.CutPrefix(body, "["); ok {
		end := strings.IndexByte(inner, ']')
		if end < 0 {
			return "", "", &HostSpecError{tok, "unterminated '[': an IPv6 address needs a closing ']', e.g. [::1]:3632 (" + form + ")"}
		}
		name, rest = inner[:end], inner[end+1:]
		if name == "" {
			return "", "", &HostSpecError{tok, "empty host name in '[]' (" + form + ")"}
		}
		if !isIPv6(name) {
			return "", "", &HostSpecError{tok, fmt.Sprintf("%q is not an IPv6 address; brackets are only for IPv6 (%s)", name, form)}
		}
		return name, rest, nil
	}
	name, rest = cutField(body, ":/")
	if name == "" {
		return "", "", &HostSpecError{tok, "empty host name (" + form + ")"}
	}
	if reason := checkName(name, "host name"); reason != "" {
		return "", "", &HostSpecError{tok, reason + " (" + form + ")"}
	}
	return name, rest, nil
}

// checkName accepts the characters of DNS names and IPv4 addresses
// (plus '_', which some sites use). Anything else is almost always a typo
// of a separator, and a leading '-' would be taken as an option by ssh.
// It returns "" when the name is fine, or the reason it is not.
func checkName(name, what string) string {
	if name[0] == '-' {
		return fmt.Sprintf("%s %q must not start with '-'", what, name)
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.', r == '_':
		default:
			return fmt.Sprintf("%s %q contains %q; allowed are letters, digits, '-', '.' and '_'", what, name, r)
		}
	}
	return ""
}

// parseOptions parses the ",OPTION..." tail of a host. The result is
// never nil, so that Host values compare equal after a round trip and JSON
// shows [] rather than null.
func parseOptions(tok, optText, form string) ([]string, error) {
	opts := []string{}
	if optText == "" {
		return opts, nil
	}
	var lzo, cpp bool
	for _, o := range strings.Split(optText[1:], ",") {
		switch {
		case o == "lzo":
			lzo = true
		case o == "cpp":
			cpp = true
		case o == "auth":
		case strings.HasPrefix(o, "auth="):
			name := strings.TrimPrefix(o, "auth=")
			if name == "" {
				return nil, &HostSpecError{tok, "empty NAME in ,auth=NAME; use ,auth for the default mechanism"}
			}
			if reason := checkName(name, "auth name"); reason != "" {
				return nil, &HostSpecError{tok, reason}
			}
		case o == "":
			return nil, &HostSpecError{tok, "empty option between ',' (" + form + ")"}
		default:
			return nil, &HostSpecError{tok, fmt.Sprintf("unknown option %q; allowed are ,lzo ,cpp ,auth and ,auth=NAME", ","+o)}
		}
		opts = append(opts, o)
	}
	if cpp && !lzo {
		return nil, &HostSpecError{tok, "pump mode (',cpp') requires compression (',lzo'); write ,lzo,cpp"}
	}
	return opts, nil
}

// isIPv6 reports whether s is an IPv6 address written without brackets.
func isIPv6(s string) bool {
	addr, err := netip.ParseAddr(s)
	return err == nil && addr.Is6()
}

// parseLimit reads the LIMIT of a host: a positive integer up to MaxLimit.
func parseLimit(tok, field, form string) (int, error) {
	n, ok := positiveInt(field)
	switch {
	case !ok:
		return 0, &HostSpecError{tok, fmt.Sprintf("LIMIT %q must be a positive integer (%s)", field, form)}
	case n > MaxLimit:
		return 0, &HostSpecError{tok, fmt.Sprintf("LIMIT %q is too large; allowed are 1 to %d (%s)", field, MaxLimit, form)}
	}
	return n, nil
}

// cutField splits s before the first byte in seps.
func cutField(s, seps string) (field, rest string) {
	if i := strings.IndexAny(s, seps); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

// positiveInt accepts only plain decimal digits, because strconv.Atoi
// would also let "+4" through, which distcc reads differently. A number
// too large for an int comes back as math.MaxInt, so that the callers'
// range checks report it as too large rather than as not a number.
func positiveInt(s string) (int, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		// Only digits, so the one way to fail is ErrRange.
		return math.MaxInt, true
	}
	return n, n > 0
}
