package distcc

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t *testing.T, spec string) HostList {
	t.Helper()
	if spec == "" {
		return HostList{} // this machine alone
	}
	l, err := ParseHosts(spec)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestRuleOfThumb(t *testing.T) {
	const largest = (math.MaxInt - 1) / 2 // the most cores whose N0 fits
	tests := []struct {
		cores   int
		want    int
		wantErr error // nil: no error; errAny: any error but ErrOverflow
	}{
		{1, 3, nil},                   // a single-core machine alone
		{6, 13, nil},                  // the seed study: 3 computers x 2 cores
		{largest, math.MaxInt, nil},   // the largest N0 there is
		{largest + 1, 0, ErrOverflow}, // one core more wraps
		{math.MaxInt, 0, ErrOverflow}, // the overflow
		{0, 0, errAny},                // no cores is a caller's mistake, not an overflow
		{-3, 0, errAny},               // nor is a negative count
	}
	for _, tt := range tests {
		got, err := RuleOfThumb(tt.cores)
		if !matchErr(err, tt.wantErr) || got != tt.want {
			t.Errorf("RuleOfThumb(%d) = %d, %v; want %d, %v", tt.cores, got, err, tt.want, tt.wantErr)
		}
	}
}

// errAny stands for an error that is not ErrOverflow.
var errAny = errors.New("any error")

func matchErr(err, want error) bool {
	switch want {
	case nil:
		return err == nil
	case errAny:
		return err != nil && !errors.Is(err, ErrOverflow)
	}
	return errors.Is(err, want)
}

func TestFormula(t *testing.T) {
	tests := []struct {
		name      string
		spec      string // "" is this machine alone
		down      []int  // indices of hosts left out with Without
		localCPUs int
		cores     int
		wantN0    int
		wantText  string
	}{
		// The seed study: 3 two-core computers, computers x cores x 2 + 1.
		{"seed farm", "--randomize localhost/2 127.0.0.2,lzo,cpp 127.0.0.3", nil, 2, 2, 13, "2 x (2 localhost + 2 127.0.0.2 + 2 127.0.0.3) + 1 = 13"},
		{"this machine alone", "", nil, 4, 2, 9, "2 x 4 local cores + 1 = 9"},
		{"a /LIMIT counts as the host's cores", "localhost 127.0.0.2/8", nil, 4, 2, 25, "2 x (4 localhost + 8 127.0.0.2) + 1 = 25"},
		{"localhost is this machine whatever its limit", "localhost/1", nil, 6, 2, 13, "2 x (6 localhost) + 1 = 13"},
		{"--cores for hosts without a limit", "127.0.0.2 127.0.0.3", nil, 2, 8, 33, "2 x (8 127.0.0.2 + 8 127.0.0.3) + 1 = 33"},
		// A single term: N0 is printed once, at the end.
		{"a single remote host", "127.0.0.2/4", nil, 2, 2, 9, "2 x (4 127.0.0.2) + 1 = 9"},
		// Two daemons on one machine are told apart by their ports.
		{"same address, two ports", "127.0.0.1:3633/2 127.0.0.1:3634/2", nil, 2, 2, 9, "2 x (2 127.0.0.1:3633 + 2 127.0.0.1:3634) + 1 = 9"},
		// The default port is left out, as in DISTCC_HOSTS.
		{"default port and another", "127.0.0.1:3632/2 127.0.0.1:3700/2", nil, 2, 2, 9, "2 x (2 127.0.0.1 + 2 127.0.0.1:3700) + 1 = 9"},
		{"ipv6 with a port", "[::1]:3633/2 [::1]/3", nil, 2, 2, 11, "2 x (2 [::1]:3633 + 3 ::1) + 1 = 11"},
		// SSH hosts have no port.
		{"ssh host", "localhost user@buildhost/3", nil, 2, 2, 11, "2 x (2 localhost + 3 buildhost) + 1 = 11"},
		// Hosts that did not answer are left out of the sum.
		{"a host down", "localhost/2 127.0.0.2/4 127.0.0.3/8", []int{1}, 2, 2, 21, "2 x (2 localhost + 8 127.0.0.3) + 1 = 21"},
		{"every remote host down", "127.0.0.2/4 127.0.0.3/8", []int{0, 1}, 4, 2, 9, "2 x 4 local cores + 1 = 9"},
		// Limits at the parser's maximum cannot overflow.
		{"limits at the maximum", "127.0.0.2/4096 127.0.0.3/4096", nil, 2, 2, 16385, "2 x (4096 127.0.0.2 + 4096 127.0.0.3) + 1 = 16385"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := mustParse(t, tt.spec).Without(tt.down...).Formula(tt.localCPUs, tt.cores)
			if err != nil || f.Jobs != tt.wantN0 || f.Text != tt.wantText {
				t.Errorf("Formula = %+v, %v; want %d, %q", f, err, tt.wantN0, tt.wantText)
			}
			if n := strings.Count(f.Text, "= "); n != 1 {
				t.Errorf("Formula text %q has %d results, want 1", f.Text, n)
			}
		})
	}
}

func TestFormulaErrors(t *testing.T) {
	huge := func(names ...string) HostList {
		var l HostList
		for _, n := range names {
			l.Hosts = append(l.Hosts, Host{Name: n, Kind: HostTCP, Port: defaultPort, Limit: math.MaxInt})
		}
		return l
	}
	tests := []struct {
		name      string
		list      HostList
		localCPUs int
		cores     int
		wantErr   error
		wantText  string // in the error
	}{
		// The host list, built by hand past the parser's cap:
		// N0 used to wrap to -3.
		{"two limits of the largest int", huge("127.0.0.2", "127.0.0.3"), 2, 2, ErrOverflow,
			"2 x (9223372036854775807 127.0.0.2 + 9223372036854775807 127.0.0.3) + 1 is above 9223372036854775807"},
		// One term fits the sum but not 2 x sum + 1.
		{"one limit of the largest int", huge("127.0.0.2"), 2, 2, ErrOverflow, "2 x (9223372036854775807 127.0.0.2) + 1"},
		// --cores is the one count a user can make huge without a /LIMIT.
		{"huge --cores", mustParse(t, "127.0.0.2 127.0.0.3"), 2, math.MaxInt / 2, ErrOverflow, "4611686018427387903 127.0.0.2 +"},
		{"huge local CPUs alone", HostList{}, math.MaxInt, 2, ErrOverflow, "2 x 9223372036854775807 + 1"},
		{"no local CPUs", mustParse(t, "localhost"), 0, 2, errAny, "at least 1 core"},
		{"no cores per host", mustParse(t, "127.0.0.2"), 2, 0, errAny, "at least 1 core"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := tt.list.Formula(tt.localCPUs, tt.cores)
			if !matchErr(err, tt.wantErr) || err == nil || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("Formula = %+v, %v; want an error %v containing %q", f, err, tt.wantErr, tt.wantText)
			}
			if f != (Formula{}) {
				t.Errorf("Formula returned %+v with its error", f)
			}
		})
	}
}

func TestSlotSum(t *testing.T) {
	tests := []struct {
		name    string
		list    HostList
		want    int
		wantErr error
	}{
		{"no hosts", HostList{}, 0, nil},
		{"defaults", mustParse(t, "localhost 127.0.0.2 @buildhost"), 2 + 4 + 4, nil},
		{"a host left out", mustParse(t, "localhost/2 127.0.0.2/4 127.0.0.3/8").Without(2), 6, nil},
		// Built by hand past the parser's cap: the sum used to wrap to -2.
		{"two limits of the largest int", HostList{Hosts: []Host{
			{Name: "127.0.0.2", Kind: HostTCP, Limit: math.MaxInt},
			{Name: "127.0.0.3", Kind: HostTCP, Limit: math.MaxInt},
		}}, 0, ErrOverflow},
		// The largest int itself fits; a single slot more does not.
		{"largest int", HostList{Hosts: []Host{{Name: "127.0.0.2", Kind: HostTCP, Limit: math.MaxInt}}}, math.MaxInt, nil},
		{"largest int and localhost", HostList{Hosts: []Host{{Name: "localhost", Kind: HostLocal, Limit: 1}, {Name: "127.0.0.2", Kind: HostTCP, Limit: math.MaxInt}}}, 0, ErrOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.list.SlotSum()
			if !matchErr(err, tt.wantErr) || got != tt.want {
				t.Errorf("SlotSum = %d, %v; want %d, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestWithout(t *testing.T) {
	list := mustParse(t, "--randomize localhost/2 127.0.0.2/4 127.0.0.3/8")
	before := list.String()
	tests := []struct {
		indices []int
		want    string
	}{
		{nil, "--randomize localhost/2 127.0.0.2/4 127.0.0.3/8"},              // nothing left out
		{[]int{1}, "--randomize localhost/2 127.0.0.3/8"},                     // global options stay
		{[]int{2, 0}, "--randomize 127.0.0.2/4"},                              // any order
		{[]int{0, 1, 2}, "--randomize"},                                       // every host
		{[]int{-1, 3, 99}, "--randomize localhost/2 127.0.0.2/4 127.0.0.3/8"}, // out of range: ignored
	}
	for _, tt := range tests {
		if got := list.Without(tt.indices...).String(); got != tt.want {
			t.Errorf("Without(%v) = %q, want %q", tt.indices, got, tt.want)
		}
	}
	if list.String() != before || !reflect.DeepEqual(list, mustParse(t, before)) {
		t.Errorf("Without changed the list: %q", list)
	}
}
