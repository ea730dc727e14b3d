// Package farm is the distcc farm a jtune command works for: the host list
// from --hosts or found where distcc looks for it, which of its hosts
// answer, and what follows from them (the rule of thumb N0 over the hosts
// that answer, the slot sum, warnings about the list). It knows distcc's
// host grammar (probe/distcc) and probes the network (probe), but nothing
// of sessions, flags or output.
package farm

import (
	"context"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jtune/jtune/probe"
	"github.com/jtune/jtune/probe/distcc"
	"github.com/jtune/jtune/tuner"
)

// Farm is the distcc host list jtune tunes for, and what follows from it.
type Farm struct {
	Spec   string // as given, or as found by the lookup; empty for this machine alone
	Source string // where Spec came from
	Hosts  distcc.HostList
	// Down marks hosts, by index, whose port did not answer: they are
	// left out of the formula and the slot sum.
	Down map[int]error
}

// warnHostDown is the kind of warning about a distcc host that did not
// answer before tuning; Host names it.
const WarnHostDown tuner.WarningKind = "host_down"

// hostCheckTimeout bounds the reachability check of each distcc host.
const hostCheckTimeout = 2 * time.Second

// Check marks the TCP hosts that do not answer and returns a warning for
// each.
func (f *Farm) Check(ctx context.Context) []tuner.Warning {
	var warnings []tuner.Warning
	for _, u := range probe.CheckHosts(ctx, f.Hosts.Hosts, hostCheckTimeout) {
		for i, h := range f.Hosts.Hosts {
			if h.Kind == u.Host.Kind && h.Name == u.Host.Name && h.Port == u.Host.Port {
				if f.Down == nil {
					f.Down = map[int]error{}
				}
				f.Down[i] = u.Err
			}
		}
		warnings = append(warnings, tuner.Warning{Kind: WarnHostDown, Host: hostPort(u.Host),
			Message: fmt.Sprintf("distcc host %s did not answer (%v): left out of the formula", hostPort(u.Host), u.Err)})
	}
	return warnings
}

func hostPort(h distcc.Host) string {
	return net.JoinHostPort(h.Name, strconv.Itoa(h.Port))
}

// Live is the host list without the hosts found down.
func (f Farm) Live() distcc.HostList {
	return f.Hosts.Without(slices.Collect(maps.Keys(f.Down))...)
}

// Load takes the host list from --hosts, or looks it up the way
// distcc does. With neither, the farm is this machine alone.
func Load(flagSpec string, flagSet bool, getenv func(string) string, etcDir string) (Farm, error) {
	f := Farm{Spec: flagSpec, Source: "--hosts"}
	if !flagSet {
		spec, source, found, err := distcc.LookupHosts(getenv, etcDir)
		if err != nil {
			return Farm{}, fmt.Errorf("looking up distcc hosts: %w", err)
		}
		if !found {
			return Farm{Source: "none found: this machine alone"}, nil
		}
		f.Spec, f.Source = spec, source
	}
	hosts, err := distcc.ParseHosts(f.Spec)
	if err != nil {
		if flagSet {
			return Farm{}, fmt.Errorf("--hosts: %w", err)
		}
		return Farm{}, fmt.Errorf("distcc hosts from %s: %w", f.Source, err)
	}
	f.Hosts = hosts
	return f, nil
}

// Formula is the rule of thumb over the hosts that answered.
func (f Farm) Formula(localCPUs, coresPerHost int) (distcc.Formula, error) {
	return f.Live().Formula(localCPUs, coresPerHost)
}

// SlotSum is what `distcc -j` prints for the hosts that answered; zero for
// this machine alone, where distcc is not involved.
func (f Farm) SlotSum() int {
	n, err := f.Live().SlotSum()
	if err != nil {
		// ParseHosts caps every /LIMIT at distcc.MaxLimit, so a parsed
		// list cannot overflow; only a hand-built one could.
		panic(err)
	}
	return n
}

// Same reports whether two host lists, as saved or given, name the
// same farm (distcc.SameHosts); a list that does not parse is compared as
// written.
func Same(a, b string) bool {
	la, errA := distcc.ParseHosts(a)
	lb, errB := distcc.ParseHosts(b)
	if errA != nil || errB != nil {
		return strings.TrimSpace(a) == strings.TrimSpace(b)
	}
	return distcc.SameHosts(la, lb)
}

// WarnDuplicateHost is the kind of warning about a host listed twice; Host
// names it.
const WarnDuplicateHost tuner.WarningKind = "duplicate_host"

// Warnings are what the host list itself says: a host listed twice gets
// twice the slots from distcc, and counts twice in the formula.
func (f Farm) Warnings() []tuner.Warning {
	var ws []tuner.Warning
	seen := map[string]int{}
	for _, h := range f.Hosts.Hosts {
		key := h.Kind.String() + " " + h.Name + ":" + strconv.Itoa(h.Port)
		if seen[key]++; seen[key] == 2 {
			ws = append(ws, tuner.Warning{Kind: WarnDuplicateHost, Host: h.String(),
				Message: fmt.Sprintf("distcc host %s is listed more than once: distcc gives each entry its slots, and the formula counts it each time", h.Name)})
		}
	}
	return ws
}
