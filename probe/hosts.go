package probe

// This file parses distcc host lists (DISTCC_HOSTS and hosts files).
//
// jtune needs the host list for two things: the slot sum, which is what
// `distcc -j` prints and is the ceiling above which extra make jobs only
// wait for a slot lock, and the names of the hosts, whose backoff and lock
// files it watches. The grammar follows distcc's man page and src/hosts.c:
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
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

const (
	// hostsDefaultPort is distccd's TCP port when a spec gives none.
	hostsDefaultPort = 3632
	// hostsLocalSlots is distcc's LIMIT for "localhost" (dcc_parse_localhost).
	hostsLocalSlots = 2
	// hostsRemoteSlots is distcc's LIMIT for every other host: a little above
	// the local one so that some files can be in transit.
	hostsRemoteSlots = 4
)

// Syntax reminders appended to error reasons, so a user can fix a token
// without opening the distcc man page.
const (
	hostsLocalForm = "localhost[/LIMIT]"
	hostsTCPForm   = "HOST[:PORT][/LIMIT][,lzo][,cpp][,auth]"
	hostsSSHForm   = "[USER]@HOST[/LIMIT][:COMMAND][,lzo][,cpp][,auth]"
	hostsOptForms  = "--randomize, --localslots=N, --localslots_cpp=N or +zeroconf"
)

// HostKind says how distcc reaches a host.
type HostKind int

const (
	HostLocal HostKind = iota // the literal word "localhost": compiles run directly, no daemon
	HostTCP                   // HOST[:PORT]: distccd over TCP
	HostSSH                   // [USER]@HOST: distccd started over ssh
)

// String returns the lower-case name used in jtune's reports.
func (k HostKind) String() string {
	switch k {
	case HostLocal:
		return "local"
	case HostTCP:
		return "tcp"
	case HostSSH:
		return "ssh"
	}
	return fmt.Sprintf("HostKind(%d)", int(k))
}

// Host is one machine of a distcc host list.
type Host struct {
	Name    string   `json:"name"`              // host name or address, IPv6 without brackets; "localhost" for HostLocal
	Kind    HostKind `json:"-"`                 // how distcc reaches the host
	User    string   `json:"user,omitempty"`    // SSH user, may be empty
	Port    int      `json:"port"`              // TCP port (3632 unless given); 0 for local and SSH hosts
	Limit   int      `json:"limit"`             // the /LIMIT given, or 0 when the spec has none
	Command string   `json:"command,omitempty"` // SSH :COMMAND (path to distccd)
	Options []string `json:"options"`           // in spec order: "lzo", "cpp", "auth" or "auth=NAME"; never nil so JSON prints []
}

// Slots is the number of jobs distcc sends to the host at once: Limit, or
// distcc's default when the spec has none. The default is what makes farms
// look mysteriously slow (distcc issue #432: "never takes more than 4 jobs"),
// so jtune reports it explicitly.
func (h Host) Slots() int {
	switch {
	case h.Limit > 0:
		return h.Limit
	case h.Kind == HostLocal:
		return hostsLocalSlots
	default:
		return hostsRemoteSlots
	}
}

// String renders the host back in DISTCC_HOSTS syntax, so that jtune can
// print a suggested host list that ParseHosts (and distcc) read back to the
// same Host. The default port is left out to keep suggestions short.
func (h Host) String() string {
	var b strings.Builder
	switch h.Kind {
	case HostLocal:
		b.WriteString("localhost")
		hostsWriteLimit(&b, h.Limit)
		return b.String() // localhost takes no options
	case HostSSH:
		b.WriteString(h.User)
		b.WriteByte('@')
		hostsWriteName(&b, h.Name)
		hostsWriteLimit(&b, h.Limit)
		if h.Command != "" {
			b.WriteByte(':')
			b.WriteString(h.Command)
		}
	default:
		hostsWriteName(&b, h.Name)
		if h.Port != 0 && h.Port != hostsDefaultPort {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(h.Port))
		}
		hostsWriteLimit(&b, h.Limit)
	}
	for _, o := range h.Options {
		b.WriteByte(',')
		b.WriteString(o)
	}
	return b.String()
}

// hostsWriteName brackets IPv6 addresses, whose colons would otherwise be
// read as a port or command separator.
func hostsWriteName(b *strings.Builder, name string) {
	if strings.Contains(name, ":") {
		b.WriteByte('[')
		b.WriteString(name)
		b.WriteByte(']')
		return
	}
	b.WriteString(name)
}

func hostsWriteLimit(b *strings.Builder, limit int) {
	if limit > 0 {
		b.WriteByte('/')
		b.WriteString(strconv.Itoa(limit))
	}
}

// HostList is a parsed DISTCC_HOSTS value.
type HostList struct {
	Hosts         []Host
	Randomize     bool // --randomize
	Zeroconf      bool // +zeroconf: hosts are discovered at run time, so the list is incomplete
	LocalSlots    int  // --localslots=N, 0 when not given (distcc default 4)
	LocalSlotsCPP int  // --localslots_cpp=N, 0 when not given (distcc default 8)
}

// SlotSum is what `distcc -j` prints: the sum of Slots over Hosts. More make
// jobs than this only wait for a slot lock, so it bounds jtune's search. With
// Zeroconf set it undercounts, because discovered hosts are not in Hosts.
func (l HostList) SlotSum() int {
	sum := 0
	for _, h := range l.Hosts {
		sum += h.Slots()
	}
	return sum
}

// String renders the list back as a DISTCC_HOSTS value. Global options come
// first and +zeroconf last: HostList does not record where +zeroconf stood
// among the hosts, and putting it last keeps the listed hosts preferred.
func (l HostList) String() string {
	var parts []string
	if l.Randomize {
		parts = append(parts, "--randomize")
	}
	if l.LocalSlots > 0 {
		parts = append(parts, "--localslots="+strconv.Itoa(l.LocalSlots))
	}
	if l.LocalSlotsCPP > 0 {
		parts = append(parts, "--localslots_cpp="+strconv.Itoa(l.LocalSlotsCPP))
	}
	for _, h := range l.Hosts {
		parts = append(parts, h.String())
	}
	if l.Zeroconf {
		parts = append(parts, "+zeroconf")
	}
	return strings.Join(parts, " ")
}

// HostSpecError reports one bad token of a host list. Token is kept verbatim
// so a user can search for it in the file or variable it came from.
type HostSpecError struct {
	Token  string // the token exactly as written; "" when the list as a whole is bad
	Reason string // what is wrong and what is allowed
}

// Error returns a single line quoting the token.
func (e *HostSpecError) Error() string {
	if e.Token == "" {
		return "bad host list: " + e.Reason
	}
	return fmt.Sprintf("bad host %q: %s", e.Token, e.Reason)
}

// ParseHosts parses a DISTCC_HOSTS value or the text of a hosts file. Like
// distcc, it treats '#' as the start of a comment to the end of the line
// and newlines as separators in both, so one parser serves both sources.
//
// It returns the first bad token as a *HostSpecError. A list with no hosts
// (only whitespace, comments and global options) is an error with an empty
// Token, as it is for distcc, unless it has +zeroconf, which supplies hosts
// at run time.
//
// Bare IPv6 addresses such as ::1 are rejected even without a port or
// LIMIT: distcc reads the first ':' as the start of the port and fails, so
// accepting them would approve a list that distcc refuses.
func ParseHosts(spec string) (HostList, error) {
	var list HostList
	for _, tok := range strings.Fields(hostsStripComments(spec)) {
		switch {
		case tok == "--randomize":
			list.Randomize = true
		case tok == "+zeroconf":
			list.Zeroconf = true
		case strings.HasPrefix(tok, "--localslots_cpp"):
			n, err := hostsParseSlotsOption(tok, "--localslots_cpp")
			if err != nil {
				return HostList{}, err
			}
			list.LocalSlotsCPP = n
		case strings.HasPrefix(tok, "--localslots"):
			n, err := hostsParseSlotsOption(tok, "--localslots")
			if err != nil {
				return HostList{}, err
			}
			list.LocalSlots = n
		case strings.HasPrefix(tok, "-"):
			// Host names cannot start with '-', so this is a mistyped option.
			return HostList{}, &HostSpecError{tok, "unknown option; allowed are " + hostsOptForms}
		case strings.HasPrefix(tok, "+"):
			return HostList{}, &HostSpecError{tok, "unknown keyword; the only '+' keyword is +zeroconf"}
		default:
			h, err := hostsParseHost(tok)
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

// hostsStripComments blanks out everything from '#' to the end of the line.
// Like distcc, '#' starts a comment even in the middle of a token, and '\r'
// ends one, so hosts files with DOS line endings work.
func hostsStripComments(s string) string {
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

// hostsParseSlotsOption parses --localslots=N and --localslots_cpp=N.
func hostsParseSlotsOption(tok, name string) (int, error) {
	val, ok := strings.CutPrefix(tok, name+"=")
	if !ok {
		if tok == name {
			return 0, &HostSpecError{tok, fmt.Sprintf("%s needs a value: %s=N with N a positive integer", name, name)}
		}
		return 0, &HostSpecError{tok, "unknown option; allowed are " + hostsOptForms}
	}
	n, ok := hostsPositiveInt(val)
	if !ok {
		return 0, &HostSpecError{tok, fmt.Sprintf("%s value %q must be a positive integer (%s=N)", name, val, name)}
	}
	return n, nil
}

// hostsParseHost classifies one host token the way distcc does: the word
// localhost, anything with '@' (ssh), or else a TCP host.
func hostsParseHost(tok string) (Host, error) {
	rest, isLocal := strings.CutPrefix(tok, "localhost")
	switch {
	case isLocal && (rest == "" || strings.ContainsAny(rest[:1], "/:,")):
		return hostsParseLocal(tok, rest)
	case strings.Contains(tok, "@"):
		return hostsParseSSH(tok)
	default:
		return hostsParseTCP(tok)
	}
}

// hostsParseLocal parses what follows the word "localhost". distcc reads
// "localhost:PORT" and "localhost,lzo" as a TCP host and ignores anything
// after "localhost/N"; both surprise users, who usually meant the direct
// local mode, so they are rejected with a pointer to the TCP spelling.
func hostsParseLocal(tok, rest string) (Host, error) {
	h := Host{Name: "localhost", Kind: HostLocal, Options: []string{}}
	if rest == "" {
		return h, nil
	}
	if after, ok := strings.CutPrefix(rest, "/"); ok {
		field, tail := hostsCutField(after, ":/,")
		n, ok := hostsPositiveInt(field)
		if !ok {
			return Host{}, hostsLimitError(tok, field, hostsLocalForm)
		}
		h.Limit = n
		rest = tail
	}
	switch {
	case rest == "":
		return h, nil
	case rest[0] == '/':
		return Host{}, &HostSpecError{tok, "duplicate /LIMIT (" + hostsLocalForm + ")"}
	}
	return Host{}, &HostSpecError{tok, "localhost takes only a /LIMIT, no port or options (" + hostsLocalForm +
		"); to reach a distccd on this machine name it by address, e.g. 127.0.0.1:3632/4 (slower)"}
}

// hostsParseTCP parses HOSTID[:PORT][/LIMIT][OPTIONS], where PORT and LIMIT
// may come in either order (distcc's old style put LIMIT first).
func hostsParseTCP(tok string) (Host, error) {
	body, optText := hostsCutField(tok, ",")
	if !strings.HasPrefix(body, "[") && strings.Count(body, ":") >= 2 {
		return Host{}, &HostSpecError{tok, "more than one ':' outside brackets; write an IPv6 address in brackets, " +
			"e.g. [::1] or [::1]:3632/4 (" + hostsTCPForm + ")"}
	}
	name, rest, err := hostsParseHostID(tok, body, hostsTCPForm)
	if err != nil {
		return Host{}, err
	}
	h := Host{Name: name, Kind: HostTCP, Port: hostsDefaultPort}
	seenPort := false
	for rest != "" {
		sep := rest[0]
		field, tail := hostsCutField(rest[1:], ":/")
		switch sep {
		case '/':
			if h.Limit != 0 {
				return Host{}, &HostSpecError{tok, "duplicate /LIMIT (" + hostsTCPForm + ")"}
			}
			n, ok := hostsPositiveInt(field)
			if !ok {
				return Host{}, hostsLimitError(tok, field, hostsTCPForm)
			}
			h.Limit = n
		case ':':
			if seenPort {
				return Host{}, &HostSpecError{tok, "duplicate :PORT (" + hostsTCPForm + ")"}
			}
			n, ok := hostsPositiveInt(field)
			if !ok || n > 65535 {
				return Host{}, &HostSpecError{tok, fmt.Sprintf("PORT %q must be a number from 1 to 65535 (%s)", field, hostsTCPForm)}
			}
			h.Port, seenPort = n, true
		default:
			// Only reachable right after a closing ']'.
			return Host{}, &HostSpecError{tok, fmt.Sprintf("unexpected %q after ']'; expected :PORT, /LIMIT or ,OPTION (%s)", sep, hostsTCPForm)}
		}
		rest = tail
	}
	if h.Options, err = hostsParseOptions(tok, optText, hostsTCPForm); err != nil {
		return Host{}, err
	}
	return h, nil
}

// hostsParseSSH parses [USER]@HOSTID[/LIMIT][:COMMAND][OPTIONS]. COMMAND
// runs to the first ',' and may contain '/' and ':', as paths do.
func hostsParseSSH(tok string) (Host, error) {
	user, afterAt, _ := strings.Cut(tok, "@")
	if user != "" {
		if reason := hostsCheckName(user, "user name"); reason != "" {
			return Host{}, &HostSpecError{tok, reason + " (" + hostsSSHForm + ")"}
		}
	}
	body, optText := hostsCutField(afterAt, ",")
	// A bare IPv6 address would be cut at its first ':' and the rest taken
	// as COMMAND. Commands are paths starting with '/', so text before the
	// first '/' made only of hex digits and 2+ colons was meant as an address.
	if pre, _ := hostsCutField(body, "/"); strings.Count(pre, ":") >= 2 && strings.Trim(pre, "0123456789abcdefABCDEF:.") == "" {
		return Host{}, &HostSpecError{tok, "write an IPv6 address in brackets, e.g. @[::1]/4 (" + hostsSSHForm + ")"}
	}
	if body == "" || strings.ContainsAny(body[:1], "/:") {
		return Host{}, &HostSpecError{tok, "empty host name after '@' (" + hostsSSHForm + ")"}
	}
	name, rest, err := hostsParseHostID(tok, body, hostsSSHForm)
	if err != nil {
		return Host{}, err
	}
	h := Host{Name: name, Kind: HostSSH, User: user}
	if after, ok := strings.CutPrefix(rest, "/"); ok {
		field, tail := hostsCutField(after, ":/")
		n, ok := hostsPositiveInt(field)
		if !ok {
			return Host{}, hostsLimitError(tok, field, hostsSSHForm)
		}
		h.Limit = n
		rest = tail
	}
	switch {
	case rest == "":
	case rest[0] == '/':
		return Host{}, &HostSpecError{tok, "duplicate /LIMIT (" + hostsSSHForm + ")"}
	case rest == ":":
		return Host{}, &HostSpecError{tok, "empty COMMAND after ':'; give the path to distccd or drop the ':' (" + hostsSSHForm + ")"}
	case rest[0] == ':':
		h.Command = rest[1:]
	default:
		return Host{}, &HostSpecError{tok, fmt.Sprintf("unexpected %q after the host; expected /LIMIT, :COMMAND or ,OPTION (%s)", rest, hostsSSHForm)}
	}
	if h.Options, err = hostsParseOptions(tok, optText, hostsSSHForm); err != nil {
		return Host{}, err
	}
	return h, nil
}

// hostsParseHostID reads the HOSTID at the start of body and returns it
// with brackets removed, plus the text after it.
func hostsParseHostID(tok, body, form string) (name, rest string, err error) {
	if inner, ok := strings.CutPrefix(body, "["); ok {
		end := strings.IndexByte(inner, ']')
		if end < 0 {
			return "", "", &HostSpecError{tok, "unterminated '[': an IPv6 address needs a closing ']', e.g. [::1]:3632 (" + form + ")"}
		}
		name, rest = inner[:end], inner[end+1:]
		if name == "" {
			return "", "", &HostSpecError{tok, "empty host name in '[]' (" + form + ")"}
		}
		if !hostsIsIPv6(name) {
			return "", "", &HostSpecError{tok, fmt.Sprintf("%q is not an IPv6 address; brackets are only for IPv6 (%s)", name, form)}
		}
		return name, rest, nil
	}
	name, rest = hostsCutField(body, ":/")
	if name == "" {
		return "", "", &HostSpecError{tok, "empty host name (" + form + ")"}
	}
	if reason := hostsCheckName(name, "host name"); reason != "" {
		return "", "", &HostSpecError{tok, reason + " (" + form + ")"}
	}
	return name, rest, nil
}

// hostsCheckName accepts the characters of DNS names and IPv4 addresses
// (plus '_', which some sites use). Anything else is almost always a typo
// of a separator, and a leading '-' would be taken as an option by ssh.
// It returns "" when the name is fine, or the reason it is not.
func hostsCheckName(name, what string) string {
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

// hostsParseOptions parses the ",OPTION..." tail of a host. The result is
// never nil, so that Host values compare equal after a round trip and JSON
// shows [] rather than null.
func hostsParseOptions(tok, optText, form string) ([]string, error) {
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
			if reason := hostsCheckName(name, "auth name"); reason != "" {
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

// hostsIsIPv6 reports whether s is an IPv6 address written without brackets.
func hostsIsIPv6(s string) bool {
	addr, err := netip.ParseAddr(s)
	return err == nil && addr.Is6()
}

func hostsLimitError(tok, field, form string) error {
	return &HostSpecError{tok, fmt.Sprintf("LIMIT %q must be a positive integer (%s)", field, form)}
}

// hostsCutField splits s before the first byte in seps.
func hostsCutField(s, seps string) (field, rest string) {
	if i := strings.IndexAny(s, seps); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

// hostsPositiveInt accepts only plain decimal digits, because strconv.Atoi
// would also let "+4" through, which distcc reads differently.
func hostsPositiveInt(s string) (int, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

// LookupHosts finds the host list the way distcc does (dcc_get_hostlist):
// $DISTCC_HOSTS, then $DISTCC_DIR/hosts (DISTCC_DIR defaults to
// $HOME/.distcc), then etcDir/distcc/hosts. jtune must look where distcc
// will, or it would tune for a farm the build never uses; Portage, for
// example, sets DISTCC_DIR to /var/tmp/portage/.distcc.
//
// getenv is injected so tests, and callers reproducing another process's
// environment, need not touch the real one. etcDir is normally "/etc" (""
// means "/etc"); distcc builds with a different SYSCONFDIR need theirs.
//
// It returns the spec text and where it came from ("$DISTCC_HOSTS" or the
// file's path). found is false when no source exists; jtune then uses the
// local machine alone. getenv cannot tell an unset variable from an empty
// one, so an empty $DISTCC_HOSTS counts as unset, whereas distcc would stop
// there and fail. Unlike distcc, which silently skips a file it cannot
// read, such a file is reported as an error (wrapping the os error), since
// skipping it would tune for a different host list than the user's.
func LookupHosts(getenv func(string) string, etcDir string) (spec, source string, found bool, err error) {
	if v := getenv("DISTCC_HOSTS"); v != "" {
		return v, "$DISTCC_HOSTS", true, nil
	}
	var paths []string
	dir := getenv("DISTCC_DIR")
	if dir == "" {
		if home := getenv("HOME"); home != "" {
			dir = filepath.Join(home, ".distcc")
		}
	}
	if dir != "" {
		paths = append(paths, filepath.Join(dir, "hosts"))
	}
	if etcDir == "" {
		etcDir = "/etc"
	}
	paths = append(paths, filepath.Join(etcDir, "distcc", "hosts"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		switch {
		case err == nil:
			return string(b), p, true, nil
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
			// ENOTDIR: DISTCC_DIR names a file; distcc's access() skips it too.
			continue
		default:
			return "", p, false, fmt.Errorf("reading distcc host list: %w", err)
		}
	}
	return "", "", false, nil
}
