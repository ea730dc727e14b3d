package main

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

// farm is the distcc host list jtune tunes for, and what follows from it.
type farm struct {
	Spec   string // as given, or as found by the lookup; empty for this machine alone
	Source string // where Spec came from
	Hosts  distcc.HostList
	// Down marks hosts, by index, whose port did not answer: they are
	// left out of the formula and the slot sum.
	Down map[int]error
}

// warnHostDown is the kind of warning about a distcc host that did not
// answer before tuning; Host names it.
const warnHostDown tuner.WarningKind = "host_down"

// hostCheckTimeout bounds the reachability check of each distcc host.
const hostCheckTimeout = 2 * time.Second

// checkHosts marks the TCP hosts that do not answer and returns a warning
// for each.
func (f *farm) checkHosts(ctx context.Context) []tuner.Warning {
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
		warnings = append(warnings, tuner.Warning{Kind: warnHostDown, Host: hostPort(u.Host),
			Message: fmt.Sprintf("distcc host %s did not answer (%v): left out of the formula", hostPort(u.Host), u.Err)})
	}
	return warnings
}

func hostPort(h distcc.Host) string {
	return net.JoinHostPort(h.Name, strconv.Itoa(h.Port))
}

// live is the host list without the hosts found down.
func (f farm) live() distcc.HostList {
	return f.Hosts.Without(slices.Collect(maps.Keys(f.Down))...)
}

// loadFarm takes the host list from --hosts, or looks it up the way
// distcc does. With neither, the farm is this machine alone.
func loadFarm(flagSpec string, flagSet bool, getenv func(string) string, etcDir string) (farm, error) {
	f := farm{Spec: flagSpec, Source: "--hosts"}
	if !flagSet {
		spec, source, found, err := distcc.LookupHosts(getenv, etcDir)
		if err != nil {
			return farm{}, fmt.Errorf("looking up distcc hosts: %w", err)
		}
		if !found {
			return farm{Source: "none found: this machine alone"}, nil
		}
		f.Spec, f.Source = spec, source
	}
	hosts, err := distcc.ParseHosts(f.Spec)
	if err != nil {
		if flagSet {
			return farm{}, usageError{err: fmt.Errorf("--hosts: %w", err)}
		}
		return farm{}, usageError{err: fmt.Errorf("distcc hosts from %s: %w", f.Source, err)}
	}
	f.Hosts = hosts
	return f, nil
}

// formula is the rule of thumb over the hosts that answered.
func (f farm) formula(localCPUs, coresPerHost int) (distcc.Formula, error) {
	return f.live().Formula(localCPUs, coresPerHost)
}

// slotSum is what `distcc -j` prints for the hosts that answered; zero for
// this machine alone, where distcc is not involved.
func (f farm) slotSum() int {
	n, err := f.live().SlotSum()
	if err != nil {
		// ParseHosts caps every /LIMIT at distcc.MaxLimit, so a parsed
		// list cannot overflow; only a hand-built one could.
		panic(err)
	}
	return n
}

// sameHosts reports whether two host lists, as saved or given, name the
// same farm (distcc.SameHosts); a list that does not parse is compared as
// written.
func sameHosts(a, b string) bool {
	la, errA := distcc.ParseHosts(a)
	lb, errB := distcc.ParseHosts(b)
	if errA != nil || errB != nil {
		return strings.TrimSpace(a) == strings.TrimSpace(b)
	}
	return distcc.SameHosts(la, lb)
}
