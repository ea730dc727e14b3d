package distcc

// This file holds the host list's types and renders them back as
// DISTCC_HOSTS text; parse.go reads them.
//
// jtune needs the host list for two things: the slot sum, which is what
// `distcc -j` prints and is the ceiling above which extra make jobs only
// wait for a slot lock, and the names of the hosts, whose backoff and lock
// files it watches.

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
)

const (
	// defaultPort is distccd's TCP port when a spec gives none.
	defaultPort = 3632
	// defaultLocalSlots is distcc's LIMIT for "localhost" (dcc_parse_localhost).
	defaultLocalSlots = 2
	// defaultRemoteSlots is distcc's LIMIT for every other host: a little
	// above the local one so that some files can be in transit.
	defaultRemoteSlots = 4
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
		return defaultLocalSlots
	default:
		return defaultRemoteSlots
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
		writeLimit(&b, h.Limit)
		return b.String() // localhost takes no options
	case HostSSH:
		b.WriteString(h.User)
		b.WriteByte('@')
		writeName(&b, h.Name)
		writeLimit(&b, h.Limit)
		if h.Command != "" {
			b.WriteByte(':')
			b.WriteString(h.Command)
		}
	default:
		writeName(&b, h.Name)
		if h.Port != 0 && h.Port != defaultPort {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(h.Port))
		}
		writeLimit(&b, h.Limit)
	}
	for _, o := range h.Options {
		b.WriteByte(',')
		b.WriteString(o)
	}
	return b.String()
}

// label names the host in the formula's sum: its name, with the port when
// it is not the default, so that two daemons on one machine stay apart
// ("2 127.0.0.1:3633 + 2 127.0.0.1:3634").
func (h Host) label() string {
	if h.Kind == HostTCP && h.Port != 0 && h.Port != defaultPort {
		return net.JoinHostPort(h.Name, strconv.Itoa(h.Port))
	}
	return h.Name
}

// writeName brackets IPv6 addresses, whose colons would otherwise be
// read as a port or command separator.
func writeName(b *strings.Builder, name string) {
	if strings.Contains(name, ":") {
		b.WriteByte('[')
		b.WriteString(name)
		b.WriteByte(']')
		return
	}
	b.WriteString(name)
}

func writeLimit(b *strings.Builder, limit int) {
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

// Without returns a copy of l without the hosts at the given indices of
// l.Hosts, for example those that did not answer. Indices out of range
// are ignored; l is not changed.
func (l HostList) Without(indices ...int) HostList {
	out := l
	out.Hosts = nil
	for i, h := range l.Hosts {
		if !slices.Contains(indices, i) {
			out.Hosts = append(out.Hosts, h)
		}
	}
	return out
}

// SameHosts reports whether two host lists describe the same farm: the
// same hosts with the same limits, ports and options, and the same local
// slot settings. Order counts only where distcc follows it: with
// --randomize in either list, distcc shuffles the hosts anyway, and a
// list that differs only by --randomize is the same farm.
func SameHosts(a, b HostList) bool {
	key := func(l HostList, sorted bool) string {
		hosts := make([]string, 0, len(l.Hosts))
		for _, h := range l.Hosts {
			hosts = append(hosts, h.String())
		}
		if sorted {
			slices.Sort(hosts)
		}
		return strings.Join(hosts, " ") + fmt.Sprintf("|%d|%d|%v", l.LocalSlots, l.LocalSlotsCPP, l.Zeroconf)
	}
	sorted := a.Randomize || b.Randomize
	return key(a, sorted) == key(b, sorted)
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
