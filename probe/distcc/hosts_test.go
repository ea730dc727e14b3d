package distcc

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// Helpers that build expected hosts; Options is never nil, as ParseHosts
// promises.

func localHost(limit int) Host {
	return Host{Name: "localhost", Kind: HostLocal, Limit: limit, Options: []string{}}
}

func tcpHost(name string, port, limit int, opts ...string) Host {
	if opts == nil {
		opts = []string{}
	}
	return Host{Name: name, Kind: HostTCP, Port: port, Limit: limit, Options: opts}
}

func sshHost(user, name string, limit int, command string, opts ...string) Host {
	if opts == nil {
		opts = []string{}
	}
	return Host{Name: name, Kind: HostSSH, User: user, Limit: limit, Command: command, Options: opts}
}

var validSpecs = []struct {
	name     string
	spec     string
	want     HostList
	slotSum  int
	rendered string // HostList.String(); "" means the same as spec
}{
	{
		name:    "seed spec",
		spec:    "--randomize localhost/2 127.0.0.2,lzo,cpp 127.0.0.3",
		want:    HostList{Randomize: true, Hosts: []Host{localHost(2), tcpHost("127.0.0.2", 3632, 0, "lzo", "cpp"), tcpHost("127.0.0.3", 3632, 0)}},
		slotSum: 10,
	},
	{
		name:    "localhost default",
		spec:    "localhost",
		want:    HostList{Hosts: []Host{localHost(0)}},
		slotSum: 2,
	},
	{
		name:    "localhost limit",
		spec:    "localhost/3",
		want:    HostList{Hosts: []Host{localHost(3)}},
		slotSum: 3,
	},
	{
		name:    "tcp port limit lzo",
		spec:    "127.0.0.1:4000/8,lzo",
		want:    HostList{Hosts: []Host{tcpHost("127.0.0.1", 4000, 8, "lzo")}},
		slotSum: 8,
	},
	{
		name:     "old style limit before port",
		spec:     "127.0.0.1/8:4000",
		want:     HostList{Hosts: []Host{tcpHost("127.0.0.1", 4000, 8)}},
		slotSum:  8,
		rendered: "127.0.0.1:4000/8",
	},
	{
		name:     "explicit default port is dropped when rendering",
		spec:     "127.0.0.1:3632/4",
		want:     HostList{Hosts: []Host{tcpHost("127.0.0.1", 3632, 4)}},
		slotSum:  4,
		rendered: "127.0.0.1/4",
	},
	{
		name:    "ipv6 port limit lzo",
		spec:    "[::1]:3633/2,lzo",
		want:    HostList{Hosts: []Host{tcpHost("::1", 3633, 2, "lzo")}},
		slotSum: 2,
	},
	{
		name:    "ipv6 bare brackets",
		spec:    "[::1]",
		want:    HostList{Hosts: []Host{tcpHost("::1", 3632, 0)}},
		slotSum: 4,
	},
	{
		name:     "ipv6 old style",
		spec:     "[::1]/5:3700",
		want:     HostList{Hosts: []Host{tcpHost("::1", 3700, 5)}},
		slotSum:  5,
		rendered: "[::1]:3700/5",
	},
	{
		name:    "ssh user limit command",
		spec:    "user@buildhost/6:/opt/bin/distccd",
		want:    HostList{Hosts: []Host{sshHost("user", "buildhost", 6, "/opt/bin/distccd")}},
		slotSum: 6,
	},
	{
		name:    "ssh no user",
		spec:    "@buildhost",
		want:    HostList{Hosts: []Host{sshHost("", "buildhost", 0, "")}},
		slotSum: 4,
	},
	{
		name:    "ssh command and options",
		spec:    "@build_b:/usr/lib/distcc/bin/distccd,lzo,cpp",
		want:    HostList{Hosts: []Host{sshHost("", "build_b", 0, "/usr/lib/distcc/bin/distccd", "lzo", "cpp")}},
		slotSum: 4,
	},
	{
		name:    "ssh ipv6",
		spec:    "@[::1]/3",
		want:    HostList{Hosts: []Host{sshHost("", "::1", 3, "")}},
		slotSum: 3,
	},
	{
		name:    "ssh to localhost is not local mode",
		spec:    "user@localhost",
		want:    HostList{Hosts: []Host{sshHost("user", "localhost", 0, "")}},
		slotSum: 4,
	},
	{
		name:    "auth",
		spec:    "buildhost,auth",
		want:    HostList{Hosts: []Host{tcpHost("buildhost", 3632, 0, "auth")}},
		slotSum: 4,
	},
	{
		name:    "auth with name",
		spec:    "buildhost,auth=gssapi",
		want:    HostList{Hosts: []Host{tcpHost("buildhost", 3632, 0, "auth=gssapi")}},
		slotSum: 4,
	},
	{
		name:    "options keep spec order",
		spec:    "build-1.example/4,auth,cpp,lzo",
		want:    HostList{Hosts: []Host{tcpHost("build-1.example", 3632, 4, "auth", "cpp", "lzo")}},
		slotSum: 4,
	},
	{
		name:    "name starting with localhost is a tcp host",
		spec:    "localhostfoo/3",
		want:    HostList{Hosts: []Host{tcpHost("localhostfoo", 3632, 3)}},
		slotSum: 3,
	},
	{
		name:    "limits at the maximum",
		spec:    "--localslots=4096 --localslots_cpp=4096 localhost/4096 127.0.0.2/4096 @buildhost/4096",
		want:    HostList{LocalSlots: 4096, LocalSlotsCPP: 4096, Hosts: []Host{localHost(4096), tcpHost("127.0.0.2", 3632, 4096), sshHost("", "buildhost", 4096, "")}},
		slotSum: 3 * 4096,
	},
	{
		name:    "localslots",
		spec:    "--localslots=3 --localslots_cpp=12 localhost",
		want:    HostList{LocalSlots: 3, LocalSlotsCPP: 12, Hosts: []Host{localHost(0)}},
		slotSum: 2,
	},
	{
		name:    "zeroconf alone",
		spec:    "+zeroconf",
		want:    HostList{Zeroconf: true},
		slotSum: 0,
	},
	{
		name:     "zeroconf is rendered last",
		spec:     "+zeroconf localhost",
		want:     HostList{Zeroconf: true, Hosts: []Host{localHost(0)}},
		slotSum:  2,
		rendered: "localhost +zeroconf",
	},
	{
		name: "hosts file with comments and odd whitespace",
		spec: "# build farm\n" +
			"  localhost/2\t# this machine\n" +
			"\n" +
			"build-a.example/8,lzo   \r\n" +
			"@build_b:/usr/lib/distcc/bin/distccd,lzo,cpp#comment glued to a token\n" +
			"\t--randomize\f127.0.0.4\v[::1]:4000\n" +
			"# 127.0.0.9 commented out\n",
		want: HostList{Randomize: true, Hosts: []Host{
			localHost(2),
			tcpHost("build-a.example", 3632, 8, "lzo"),
			sshHost("", "build_b", 0, "/usr/lib/distcc/bin/distccd", "lzo", "cpp"),
			tcpHost("127.0.0.4", 3632, 0),
			tcpHost("::1", 4000, 0),
		}},
		slotSum:  2 + 8 + 4 + 4 + 4,
		rendered: "--randomize localhost/2 build-a.example/8,lzo @build_b:/usr/lib/distcc/bin/distccd,lzo,cpp 127.0.0.4 [::1]:4000",
	},
}

func TestParseHostsValid(t *testing.T) {
	for _, tc := range validSpecs {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseHosts(tc.spec)
			if err != nil {
				t.Fatalf("ParseHosts(%q): %v", tc.spec, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseHosts(%q)\n got %#v\nwant %#v", tc.spec, got, tc.want)
			}
			if s, err := got.SlotSum(); s != tc.slotSum || err != nil {
				t.Errorf("SlotSum() = %d, %v; want %d", s, err, tc.slotSum)
			}
			want := tc.rendered
			if want == "" {
				want = tc.spec
			}
			if s := got.String(); s != want {
				t.Errorf("String() = %q, want %q", s, want)
			}
		})
	}
}

func TestHostsRoundTrip(t *testing.T) {
	for _, tc := range validSpecs {
		t.Run(tc.name, func(t *testing.T) {
			first, err := ParseHosts(tc.spec)
			if err != nil {
				t.Fatalf("ParseHosts(%q): %v", tc.spec, err)
			}
			rendered := first.String()
			second, err := ParseHosts(rendered)
			if err != nil {
				t.Fatalf("ParseHosts(String() = %q): %v", rendered, err)
			}
			if !reflect.DeepEqual(first, second) {
				t.Errorf("round trip through %q changed the list\nfirst  %#v\nsecond %#v", rendered, first, second)
			}
			for _, h := range first.Hosts {
				again, err := ParseHosts(h.String())
				if err != nil {
					t.Fatalf("ParseHosts(Host.String() = %q): %v", h.String(), err)
				}
				if len(again.Hosts) != 1 || !reflect.DeepEqual(again.Hosts[0], h) {
					t.Errorf("host %q did not round-trip: got %#v, want %#v", h.String(), again.Hosts, h)
				}
			}
		})
	}
}

func TestParseHostsInvalid(t *testing.T) {
	tests := []struct {
		name   string
		spec   string
		token  string // expected HostSpecError.Token
		reason string // substring expected in Reason
	}{
		{"limit not a number", "foo/x", "foo/x", "LIMIT"},
		{"limit zero", "foo/0", "foo/0", "positive integer"},
		{"limit negative", "foo/-1", "foo/-1", "positive integer"},
		{"limit plus sign", "foo/+4", "foo/+4", "positive integer"},
		{"limit empty", "foo/", "foo/", "LIMIT"},
		{"limit trailing junk", "foo/4x", "foo/4x", "LIMIT"},
		// Limits are capped at MaxLimit, so the formula and the slot sum
		// cannot overflow (distcc itself wraps: `distcc -j` prints -1).
		{"limit above the maximum", "foo/4097", "foo/4097", "LIMIT \"4097\" is too large; allowed are 1 to 4096"},
		{"limit of the largest int", "127.0.0.2/9223372036854775807", "127.0.0.2/9223372036854775807", "too large; allowed are 1 to 4096"},
		{"limit beyond any int", "foo/99999999999999999999999", "foo/99999999999999999999999", "too large; allowed are 1 to 4096"},
		{"old-style limit above the maximum", "foo/5000:3633", "foo/5000:3633", "too large"},
		{"localhost limit above the maximum", "localhost/5000", "localhost/5000", "too large; allowed are 1 to 4096 (localhost[/LIMIT])"},
		{"ssh limit above the maximum", "@buildhost/5000", "@buildhost/5000", "too large; allowed are 1 to 4096 ([USER]@HOST"},
		{"second of two huge limits", "127.0.0.2/4 127.0.0.3/9223372036854775807", "127.0.0.3/9223372036854775807", "too large"},
		{"duplicate limit", "foo/4/8", "foo/4/8", "duplicate /LIMIT"},
		{"duplicate limit around port", "foo/4:3632/8", "foo/4:3632/8", "duplicate /LIMIT"},
		{"duplicate port", "[::1]:3632:3633", "[::1]:3632:3633", "duplicate :PORT"},
		{"port zero", "foo:0", "foo:0", "PORT"},
		{"port too large", "foo:65536", "foo:65536", "1 to 65535"},
		{"port beyond any int", "foo:99999999999999999999999", "foo:99999999999999999999999", "1 to 65535"},
		{"port not numeric", "foo:http", "foo:http", "PORT"},
		{"port empty", "foo:", "foo:", "PORT"},
		{"unknown option", "foo,zip", "foo,zip", `unknown option ",zip"; allowed are ,lzo ,cpp ,auth and ,auth=NAME`},
		{"cpp without lzo", "127.0.0.2,cpp", "127.0.0.2,cpp", "pump mode (',cpp') requires compression (',lzo')"},
		{"ssh cpp without lzo", "@buildhost,cpp", "@buildhost,cpp", "requires compression"},
		{"trailing comma", "foo,", "foo,", "empty option"},
		{"double comma", "foo,lzo,,cpp", "foo,lzo,,cpp", "empty option"},
		{"auth empty name", "foo,auth=", "foo,auth=", "empty NAME"},
		{"auth bad name", "foo,auth=a/b", "foo,auth=a/b", `contains '/'`},
		{"empty host name", "/4", "/4", "empty host name"},
		{"empty host name before port", ":3632", ":3632", "empty host name"},
		{"unterminated bracket", "[::1", "[::1", "unterminated '['"},
		{"unterminated bracket with port", "[::1:3632/4", "[::1:3632/4", "unterminated '['"},
		{"empty brackets", "[]:3632", "[]:3632", "empty host name"},
		{"brackets around a name", "[buildhost]", "[buildhost]", "not an IPv6 address"},
		{"brackets around ipv4", "[127.0.0.1]", "[127.0.0.1]", "not an IPv6 address"},
		{"junk after bracket", "[::1]x", "[::1]x", `unexpected 'x' after ']'`},
		{"ssh junk after bracket", "@[::1]x", "@[::1]x", `unexpected "x" after the host`},
		{"bare ipv6", "::1", "::1", "brackets"},
		{"bare ipv6 with port", "::1:3632/4", "::1:3632/4", "brackets"},
		{"bare ipv6 over ssh", "@::1", "@::1", "brackets"},
		{"bare ipv6 over ssh with command", "user@::1:/opt/bin/distccd", "user@::1:/opt/bin/distccd", "brackets"},
		{"bad character", "bad!host", "bad!host", `contains '!'`},
		{"equals is not a limit", "foo=4", "foo=4", `contains '='`},
		{"bad character in ssh user", "us:er@buildhost", "us:er@buildhost", `user name "us:er" contains ':'`},
		{"ssh host starting with dash", "@-oProxyCommand", "@-oProxyCommand", "must not start with '-'"},
		{"ssh empty host", "@", "@", "empty host name after '@'"},
		{"ssh empty host with user", "user@", "user@", "empty host name after '@'"},
		{"ssh empty host with limit", "@/4", "@/4", "empty host name after '@'"},
		{"ssh empty host with command", "@:/opt/bin/distccd", "@:/opt/bin/distccd", "empty host name after '@'"},
		{"ssh bad limit", "@buildhost/0", "@buildhost/0", "LIMIT"},
		{"ssh duplicate limit", "@buildhost/4/8", "@buildhost/4/8", "duplicate /LIMIT"},
		{"ssh empty command", "@buildhost:", "@buildhost:", "empty COMMAND"},
		{"localhost port", "localhost:3632", "localhost:3632", "localhost takes only a /LIMIT"},
		{"localhost options", "localhost,lzo", "localhost,lzo", "localhost takes only a /LIMIT"},
		{"localhost limit and options", "localhost/2,lzo", "localhost/2,lzo", "127.0.0.1"},
		{"localhost zero limit", "localhost/0", "localhost/0", "LIMIT"},
		{"localhost duplicate limit", "localhost/2/3", "localhost/2/3", "duplicate /LIMIT"},
		{"localslots empty", "--localslots= localhost", "--localslots=", "positive integer"},
		{"localslots zero", "--localslots=0 localhost", "--localslots=0", "positive integer"},
		{"localslots not numeric", "--localslots=x localhost", "--localslots=x", "positive integer"},
		{"localslots without value", "--localslots localhost", "--localslots", "needs a value"},
		{"localslots_cpp negative", "--localslots_cpp=-2 localhost", "--localslots_cpp=-2", "positive integer"},
		{"localslots above the maximum", "--localslots=4097 localhost", "--localslots=4097", `--localslots value "4097" is too large; allowed are 1 to 4096`},
		{"localslots_cpp of the largest int", "--localslots_cpp=9223372036854775807 localhost", "--localslots_cpp=9223372036854775807", "allowed are 1 to 4096"},
		{"localslots glued value", "--localslots_cpp8 localhost", "--localslots_cpp8", "unknown option"},
		{"localslots misspelt", "--localslotz=2 localhost", "--localslotz=2", "unknown option"},
		{"unknown option", "--randomise localhost", "--randomise", "allowed are --randomize"},
		{"single dash", "-j4 localhost", "-j4", "unknown option"},
		{"unknown plus keyword", "+avahi", "+avahi", "+zeroconf"},
		{"first bad token in a list", "localhost 127.0.0.2/4 127.0.0.3/0 bad!", "127.0.0.3/0", "LIMIT"},
		{"bad token after a comment", "# 127.0.0.9/0\n127.0.0.3,zip # note", "127.0.0.3,zip", "unknown option"},
		{"empty", "", "", "no hosts"},
		{"whitespace only", " \t\r\n ", "", "no hosts"},
		{"comments only", "# farm\n  # nothing here\n", "", "no hosts"},
		{"global options only", "--randomize --localslots=2", "", "no hosts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseHosts(tc.spec)
			if err == nil {
				t.Fatalf("ParseHosts(%q) = %#v, want an error", tc.spec, got)
			}
			var hse *HostSpecError
			if !errors.As(err, &hse) {
				t.Fatalf("ParseHosts(%q) error %T (%v) is not a *HostSpecError", tc.spec, err, err)
			}
			if hse.Token != tc.token {
				t.Errorf("Token = %q, want %q", hse.Token, tc.token)
			}
			if !strings.Contains(hse.Reason, tc.reason) {
				t.Errorf("Reason = %q, want it to contain %q", hse.Reason, tc.reason)
			}
			msg := err.Error()
			if tc.token != "" && !strings.Contains(msg, strconv.Quote(tc.token)) {
				t.Errorf("Error() = %q, want it to quote the token %q", msg, tc.token)
			}
			if strings.ContainsAny(msg, "\n\r") {
				t.Errorf("Error() = %q, want a single line", msg)
			}
			if !reflect.DeepEqual(got, HostList{}) {
				t.Errorf("ParseHosts(%q) returned a partial list %#v with its error", tc.spec, got)
			}
		})
	}
}

func TestHostSpecErrorMessage(t *testing.T) {
	_, err := ParseHosts("foo/x")
	want := `bad host "foo/x": LIMIT "x" must be a positive integer (HOST[:PORT][/LIMIT][,lzo][,cpp][,auth])`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
	_, err = ParseHosts("  # nothing\n")
	if err == nil || !strings.HasPrefix(err.Error(), "bad host list: no hosts") {
		t.Errorf("error = %v, want it to start with %q", err, "bad host list: no hosts")
	}
}

func TestHostSlots(t *testing.T) {
	tests := []struct {
		name string
		host Host
		want int
	}{
		{"localhost default", Host{Name: "localhost", Kind: HostLocal}, 2},
		{"tcp default", Host{Name: "127.0.0.2", Kind: HostTCP, Port: 3632}, 4},
		{"ssh default", Host{Name: "buildhost", Kind: HostSSH}, 4},
		{"localhost limit", Host{Name: "localhost", Kind: HostLocal, Limit: 7}, 7},
		{"tcp limit", Host{Name: "127.0.0.2", Kind: HostTCP, Limit: 16}, 16},
		{"ssh limit", Host{Name: "buildhost", Kind: HostSSH, Limit: 1}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.host.Slots(); got != tc.want {
				t.Errorf("Slots() = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestHostKindString(t *testing.T) {
	tests := []struct {
		kind HostKind
		want string
	}{
		{HostLocal, "local"},
		{HostTCP, "tcp"},
		{HostSSH, "ssh"},
		{HostKind(9), "HostKind(9)"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.kind.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestHostJSON(t *testing.T) {
	list, err := ParseHosts("localhost 127.0.0.2:4000/8,lzo user@buildhost:/opt/bin/distccd")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(list.Hosts)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"name":"localhost","port":0,"limit":0,"options":[]},` +
		`{"name":"127.0.0.2","port":4000,"limit":8,"options":["lzo"]},` +
		`{"name":"buildhost","user":"user","port":0,"limit":0,"command":"/opt/bin/distccd","options":[]}]`
	if string(b) != want {
		t.Errorf("json.Marshal = %s\nwant %s", b, want)
	}
}
