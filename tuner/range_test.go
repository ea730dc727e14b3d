package tuner

import "testing"

func TestDefaultRange(t *testing.T) {
	tests := []struct {
		name                    string
		start, localCPUs, slots int
		want                    Range
	}{
		{"this machine alone", 5, 2, 0, Range{2, 20}},
		{"a farm whose slot sum is above 4 x N0", 13, 2, 60, Range{2, 60}},
		{"a start below the CPU count starts the range", 3, 8, 0, Range{3, 12}},
		{"one CPU", 3, 1, 0, Range{1, 12}},
	}
	for _, tt := range tests {
		if got := DefaultRange(tt.start, tt.localCPUs, tt.slots); got != tt.want {
			t.Errorf("%s: DefaultRange(%d, %d, %d) = %v, want %v", tt.name, tt.start, tt.localCPUs, tt.slots, got, tt.want)
		}
	}
}

func TestRangeBound(t *testing.T) {
	def := Range{2, 20}
	tests := []struct {
		name    string
		lo, hi  int
		want    Range
		wantErr bool
	}{
		{"no bounds keep the default", 0, 0, def, false},
		{"both bounds win", 1, 3, Range{1, 3}, false},
		{"a bottom inside the default", 4, 0, Range{4, 20}, false},
		// The user asked to search from 30: the top moves out of the way.
		{"a bottom above the default top", 30, 0, Range{30, 120}, false},
		{"a top below the default bottom", 0, 1, Range{1, 1}, false},
		{"one N", 7, 7, Range{7, 7}, false},
		{"bottom above top", 10, 5, def, true},
		{"negative", -1, 0, def, true},
	}
	for _, tt := range tests {
		got, err := def.Bound(tt.lo, tt.hi)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%s: Bound(%d, %d) = %v, %v; want %v, error %v", tt.name, tt.lo, tt.hi, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestRangeClampAndString(t *testing.T) {
	r := Range{2, 20}
	for n, want := range map[int]int{1: 2, 2: 2, 13: 13, 20: 20, 37: 20} {
		if got := r.Clamp(n); got != want {
			t.Errorf("Clamp(%d) = %d, want %d", n, got, want)
		}
	}
	if got := r.String(); got != "-j2..-j20" {
		t.Errorf("String() = %q", got)
	}
	if got := (Range{5, 5}).String(); got != "-j5" {
		t.Errorf("a one-N range prints as %q, want -j5", got)
	}
}

func TestAddWarningsDeduplicatesByKindAndSubject(t *testing.T) {
	list := AddWarnings(nil,
		Warning{Kind: WarnBrokenHost, Host: "a:3632", Message: "first"},
		Warning{Kind: WarnBrokenHost, Host: "b:3632", Message: "other host"},
		Warning{Kind: WarnBrokenHost, Host: "a:3632", Message: "same host, other words"},
		Warning{Kind: WarnOutOfTime, Jobs: 8, Message: "time"},
	)
	if len(list) != 3 || list[0].Message != "first" {
		t.Errorf("AddWarnings kept %+v", list)
	}
}

func TestConfirmRange(t *testing.T) {
	def := Range{Min: 2, Max: 52}
	tests := []struct {
		name string
		rec  Recommendation
		want Range
	}{
		{"plausible interval widened by a quarter", Recommendation{Jobs: 20, PlausibleJobs: []int{16, 24}}, Range{12, 30}},
		{"no interval: around the N", Recommendation{Jobs: 20}, Range{16, 25}},
		{"small N widen by one at least", Recommendation{Jobs: 3}, Range{2, 4}},
		{"the default range bounds it", Recommendation{Jobs: 48, PlausibleJobs: []int{40, 50}}, Range{32, 52}},
		{"a recommendation outside the default range stays in", Recommendation{Jobs: 60}, Range{48, 60}},
		{"at the bottom", Recommendation{Jobs: 1}, Range{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ConfirmRange(tt.rec, def); got != tt.want {
				t.Errorf("ConfirmRange(%+v, %v) = %v, want %v", tt.rec, def, got, tt.want)
			}
		})
	}
}
