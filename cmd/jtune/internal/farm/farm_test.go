package farm

import (
	"testing"

	"github.com/jtune/jtune/probe/distcc"
)

func TestWarningsNameAHostListedTwice(t *testing.T) {
	tests := []struct {
		spec string
		want []string // hosts named
	}{
		{"localhost/2 localhost/2", []string{"localhost/2"}},
		{"127.0.0.2/4 127.0.0.3/4 127.0.0.2/2", []string{"127.0.0.2/2"}},
		{"127.0.0.2:3632 127.0.0.2:3633", nil}, // two daemons on one machine
		{"localhost/2 127.0.0.2/4", nil},
	}
	for _, tt := range tests {
		hosts, err := distcc.ParseHosts(tt.spec)
		if err != nil {
			t.Fatal(err)
		}
		ws := Farm{Spec: tt.spec, Hosts: hosts}.Warnings()
		if len(ws) != len(tt.want) {
			t.Errorf("%q: warnings %+v, want hosts %v", tt.spec, ws, tt.want)
			continue
		}
		for i, w := range ws {
			if w.Kind != WarnDuplicateHost || w.Host != tt.want[i] {
				t.Errorf("%q: warning %+v, want host %s", tt.spec, w, tt.want[i])
			}
		}
	}
}

func TestSameFarmWhateverTheSpelling(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"localhost/2 127.0.0.2/4", "localhost/2   127.0.0.2/4", true},
		{"--randomize localhost/2", "localhost/2", true},
		{"--randomize 127.0.0.2 127.0.0.3", "127.0.0.3 127.0.0.2", true},
		{"127.0.0.2 127.0.0.3", "127.0.0.3 127.0.0.2", false}, // distcc prefers the first
		{"localhost/2", "localhost/4", false},
		{"# a hosts file\n127.0.0.2/4\n", "127.0.0.2/4", true},
	}
	for _, tt := range tests {
		if got := Same(tt.a, tt.b); got != tt.same {
			t.Errorf("Same(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
}
