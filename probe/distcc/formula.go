package distcc

// This file is the one home of the rule of thumb N0 = 2 x (total cores) + 1
// and of the slot sum. Every sum is checked: host limits come from users,
// and a sum that wraps gives a negative -j, which make reads as "no -j".

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ErrOverflow is returned, wrapped with the terms that were being added,
// when a sum of cores or slots does not fit in an int.
var ErrOverflow = errors.New("distcc: sum too large")

// RuleOfThumb is the Gentoo rule N0 = 2 x totalCores + 1 (twice the CPUs
// of all machines, local and remote, plus one), where distcc's make jobs
// start. totalCores must be at least 1.
func RuleOfThumb(totalCores int) (int, error) {
	if totalCores < 1 {
		return 0, fmt.Errorf("distcc: the rule of thumb needs at least 1 core, got %d", totalCores)
	}
	if totalCores > (math.MaxInt-1)/2 {
		return 0, fmt.Errorf("%w: 2 x %d + 1 is above %d", ErrOverflow, totalCores, math.MaxInt)
	}
	return 2*totalCores + 1, nil
}

// Formula is the rule of thumb applied to a host list.
type Formula struct {
	Jobs int    // N0
	Text string // the sum written out, e.g. "2 x (2 localhost + 4 hostA) + 1 = 13"
}

// Formula counts localhost as this machine's localCPUs and every other host
// as its /LIMIT, or coresPerHost when it has none, and applies RuleOfThumb.
// The Text shows where the number came from; a host on another port than
// distcc's default is named with its port. With no hosts (this machine
// alone, or every host left out with Without) only the local CPUs count.
// Both counts must be at least 1.
func (l HostList) Formula(localCPUs, coresPerHost int) (Formula, error) {
	if localCPUs < 1 || coresPerHost < 1 {
		return Formula{}, fmt.Errorf("distcc: the formula needs at least 1 core per machine, got %d local and %d per host", localCPUs, coresPerHost)
	}
	if len(l.Hosts) == 0 {
		n0, err := RuleOfThumb(localCPUs)
		if err != nil {
			return Formula{}, err
		}
		return Formula{Jobs: n0, Text: fmt.Sprintf("2 x %d local cores + 1 = %d", localCPUs, n0)}, nil
	}
	terms := make([]string, len(l.Hosts))
	values := make([]int, len(l.Hosts))
	for i, h := range l.Hosts {
		c := coresPerHost
		switch {
		case h.Kind == HostLocal:
			c = localCPUs
		case h.Limit > 0:
			c = h.Limit
		}
		values[i], terms[i] = c, strconv.Itoa(c)+" "+h.label()
	}
	sum := "(" + strings.Join(terms, " + ") + ")"
	// Every term is at least 1, so RuleOfThumb can only fail by overflow.
	n0 := 0
	cores, err := checkedSum(values)
	if err == nil {
		n0, err = RuleOfThumb(cores)
	}
	if err != nil {
		return Formula{}, fmt.Errorf("%w: 2 x %s + 1 is above %d", ErrOverflow, sum, math.MaxInt)
	}
	return Formula{Jobs: n0, Text: fmt.Sprintf("2 x %s + 1 = %d", sum, n0)}, nil
}

// SlotSum is what `distcc -j` prints: the sum of Slots over Hosts. More make
// jobs than this only wait for a slot lock, so it bounds jtune's search. With
// Zeroconf set it undercounts, because discovered hosts are not in Hosts.
// The sum of a list from ParseHosts always fits; hosts built by hand with
// huge limits give an error wrapping ErrOverflow.
func (l HostList) SlotSum() (int, error) {
	slots := make([]int, len(l.Hosts))
	for i, h := range l.Hosts {
		slots[i] = h.Slots()
	}
	sum, err := checkedSum(slots)
	if err != nil {
		return 0, fmt.Errorf("%w: the slots of %s add up to more than %d", ErrOverflow, l, math.MaxInt)
	}
	return sum, nil
}

// checkedSum adds non-negative numbers, failing with ErrOverflow instead of
// wrapping.
func checkedSum(values []int) (int, error) {
	sum := 0
	for _, v := range values {
		if v > math.MaxInt-sum {
			return 0, ErrOverflow
		}
		sum += v
	}
	return sum, nil
}
