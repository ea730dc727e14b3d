package main

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jtune/jtune/probe"
	"github.com/jtune/jtune/tuner"
)

// farm is the distcc host list jtune tunes for, and what follows from it.
type farm struct {
	Spec   string // as given, or as found by the lookup; empty for this machine alone
	Source string // where Spec came from
	Hosts  probe.HostList
	// Down marks hosts, by index, whose port did not answer: they are
	// left out of the formula and the slot sum.
	Down map[int]error
}

// hostCheckTimeout bounds the reachability check of each distcc host.
const hostCheckTimeout = 2 * time.Second

// warnHostDown is the kind of warning about a distcc host that did not
// answer before tuning; Host names it.
const warnHostDown tuner.WarningKind = "host_down"

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

func hostPort(h probe.Host) string {
	return net.JoinHostPort(h.Name, strconv.Itoa(h.Port))
}

// up lists the hosts that were not found down.
func (f farm) up() []probe.Host {
	var hosts []probe.Host
	for i, h := range f.Hosts.Hosts {
		if _, down := f.Down[i]; !down {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// loadFarm takes the host list from --hosts, or looks it up the way
// distcc does. With neither, the farm is this machine alone.
func loadFarm(flagSpec string, flagSet bool, getenv func(string) string, etcDir string) (farm, error) {
	f := farm{Spec: flagSpec, Source: "--hosts"}
	if !flagSet {
		spec, source, found, err := probe.LookupHosts(getenv, etcDir)
		if err != nil {
			return farm{}, fmt.Errorf("looking up distcc hosts: %w", err)
		}
		if !found {
			return farm{Source: "none found: this machine alone"}, nil
		}
		f.Spec, f.Source = spec, source
	}
	hosts, err := probe.ParseHosts(f.Spec)
	if err != nil {
		if flagSet {
			return farm{}, usageError{err: fmt.Errorf("--hosts: %w", err)}
		}
		return farm{}, usageError{err: fmt.Errorf("distcc hosts from %s: %w", f.Source, err)}
	}
	f.Hosts = hosts
	return f, nil
}

// formula computes the rule of thumb N0 = 2 x (total cores) + 1, where
// localhost counts as this machine's CPUs and any other host has its
// /LIMIT, or coresPerHost when it has none. It also returns the sum
// written out, so users can see where the number came from.
func (f farm) formula(localCPUs, coresPerHost int) (int, string) {
	if len(f.up()) == 0 {
		return 2*localCPUs + 1, fmt.Sprintf("2 x %d local cores + 1 = %d", localCPUs, 2*localCPUs+1)
	}
	total := 0
	var terms []string
	for _, h := range f.up() {
		c := coresPerHost
		switch {
		case h.Kind == probe.HostLocal:
			c = localCPUs
		case h.Limit > 0:
			c = h.Limit
		}
		total += c
		terms = append(terms, fmt.Sprintf("%d %s", c, h.Name))
	}
	n0 := 2*total + 1
	return n0, fmt.Sprintf("2 x (%s) + 1 = %d", strings.Join(terms, " + "), n0)
}

// slotSum is what `distcc -j` prints for the farm; zero for this machine
// alone, where distcc is not involved.
func (f farm) slotSum() int {
	sum := 0
	for _, h := range f.up() {
		sum += h.Slots()
	}
	return sum
}

// sameHosts reports whether two host lists name the same farm: the same
// hosts with the same limits and options, in any order (distcc's
// --randomize, or not, makes no difference to what was measured).
func sameHosts(a, b string) bool {
	canon := func(spec string) string {
		l, err := probe.ParseHosts(spec)
		if err != nil {
			return strings.TrimSpace(spec)
		}
		var hosts []string
		for _, h := range l.Hosts {
			hosts = append(hosts, h.String())
		}
		slices.Sort(hosts)
		return fmt.Sprint(hosts, l.LocalSlots, l.LocalSlotsCPP, l.Zeroconf)
	}
	return canon(a) == canon(b)
}
