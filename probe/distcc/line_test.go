package distcc

import (
	"strings"
	"testing"
)

// The no-answer message is one long line in distcc (clirpc.c); spelling it
// out once keeps the table readable.
const noAnswer = "server provided no answer. Is the server configured to allow access from your IP address? Is the server performing authentication and your client isn't? Does the server have the compiler installed? Is the server configured to access the compiler?"

func TestParseLine(t *testing.T) {
	tests := []struct {
		name string
		line string
		ok   bool
		want Event // Message is checked only when non-empty here
	}{
		// Fallback lines (compile.c).
		{"3.4 fallback, NONAME", "distcc[21987] Warning: failed to distribute a.c to 127.0.0.1:3699/2, running locally instead", true,
			Event{PID: 21987, Severity: "Warning", Failure: true, File: "a.c", Host: "127.0.0.1:3699/2",
				Message: "failed to distribute a.c to 127.0.0.1:3699/2, running locally instead"}},
		{"fallback without host", "distcc[14750] (dcc_build_somewhere) Warning: failed to distribute, running locally instead", true,
			Event{PID: 14750, Function: "dcc_build_somewhere", Severity: "Warning", Failure: true}},
		{"fallbacks disabled", "distcc[300] (dcc_build_somewhere) ERROR: failed to distribute and fallbacks are disabled", true,
			Event{PID: 300, Function: "dcc_build_somewhere", Severity: "ERROR", Failure: true, ErrorKind: ErrOther}},
		{"fallback, hostdef with options", "distcc[301] Warning: failed to distribute ../src/made up.cpp to 127.0.0.1/40,cpp,lzo,auth, running locally instead", true,
			Event{PID: 301, Severity: "Warning", Failure: true, File: "../src/made up.cpp", Host: "127.0.0.1/40,cpp,lzo,auth"}},
		{"fallback, ssh host", "distcc[302] Warning: failed to distribute a.c to @buildbox-a/4, running locally instead", true,
			Event{PID: 302, Severity: "Warning", Failure: true, File: "a.c", Host: "@buildbox-a/4"}},
		{"fallback, unknown input", "distcc[303] Warning: failed to distribute (unknown) to 127.0.0.1:3632/2, running locally instead", true,
			Event{PID: 303, Severity: "Warning", Failure: true, Host: "127.0.0.1:3632/2"}},
		{"fallback, truncated message", "distcc[304] Warning: failed to distribute a.c to 127.0.0.1:36", true,
			Event{PID: 304, Severity: "Warning", Failure: true}},
		{"fallback, CRLF", "distcc[305] Warning: failed to distribute a.c to 127.0.0.1:3632/2, running locally instead\r", true,
			Event{PID: 305, Severity: "Warning", Failure: true, File: "a.c", Host: "127.0.0.1:3632/2"}},
		{"couldn't find a host: precedes a fallback line", "distcc[306] (dcc_build_somewhere) Warning: Couldn't find a host in 3 attempts, retrying locally", true,
			Event{PID: 306, Function: "dcc_build_somewhere", Severity: "Warning"}},
		{"remote compile failed: precedes a fallback line", "distcc[307] (dcc_build_somewhere) Warning: remote compilation of 'a.c' failed, retrying locally", true,
			Event{PID: 307, Function: "dcc_build_somewhere", Severity: "Warning"}},
		{"unsupported directives", "distcc[308] (dcc_build_somewhere) Warning: a.c: can't distribute due to unsupported directives, running locally", true,
			Event{PID: 308, Function: "dcc_build_somewhere", Severity: "Warning", Config: ConfigUnsupported}},
		{"include server fallback", "distcc[309] (dcc_build_somewhere) Warning: failed to get includes from include server, preprocessing locally", true,
			Event{PID: 309, Function: "dcc_build_somewhere", Severity: "Warning", Config: ConfigPumpIncludeServer}},

		// io.c
		{"IO timeout", "distcc[3977] (dcc_select_for_read) ERROR: IO timeout", true,
			Event{PID: 3977, Function: "dcc_select_for_read", Severity: "ERROR", ErrorKind: ErrIOTimeout, Message: "IO timeout"}},
		{"IO timeout on write", "distcc[3978] (dcc_select_for_write) ERROR: IO timeout", true,
			Event{PID: 3978, Function: "dcc_select_for_write", Severity: "ERROR", ErrorKind: ErrIOTimeout}},
		{"select failed", "distcc[310] (dcc_select_for_read) ERROR: select() failed: Bad file descriptor", true,
			Event{PID: 310, Function: "dcc_select_for_read", Severity: "ERROR", ErrorKind: ErrReadWrite}},
		{"failed to read", "distcc[311] (dcc_readx) ERROR: failed to read: Connection reset by peer", true,
			Event{PID: 311, Function: "dcc_readx", Severity: "ERROR", ErrorKind: ErrReadWrite}},
		{"unexpected eof", "distcc[22629] (dcc_readx) ERROR: unexpected eof on fd5", true,
			Event{PID: 22629, Function: "dcc_readx", Severity: "ERROR", ErrorKind: ErrReadWrite}},
		{"failed to write", "distcc[312] (dcc_writex) ERROR: failed to write: Broken pipe", true,
			Event{PID: 312, Function: "dcc_writex", Severity: "ERROR", ErrorKind: ErrReadWrite}},
		{"failed to close", "distcc[313] (dcc_close) ERROR: failed to close fd5: Bad file descriptor", true,
			Event{PID: 313, Function: "dcc_close", Severity: "ERROR", ErrorKind: ErrReadWrite}},

		// clinet.c
		{"connect refused, NONAME", "distcc[123] ERROR: failed to connect to 127.0.0.1:3632: Connection refused", true,
			Event{PID: 123, Severity: "ERROR", ErrorKind: ErrConnectRefused, Host: "127.0.0.1:3632"}},
		{"connect refused, IPv6", "distcc[124] ERROR: failed to connect to ::1:3632: Connection refused", true,
			Event{PID: 124, Severity: "ERROR", ErrorKind: ErrConnectRefused, Host: "::1:3632"}},
		{"no route", "distcc[125] ERROR: failed to connect to 127.0.0.9:3632: No route to host", true,
			Event{PID: 125, Severity: "ERROR", ErrorKind: ErrConnectRefused, Host: "127.0.0.9:3632"}},
		{"nonblocking connect, 3.4", "distcc[123] (dcc_connect_by_name) ERROR: nonblocking connect to 127.0.0.1:3632 failed: Connection refused", true,
			Event{PID: 123, Function: "dcc_connect_by_name", Severity: "ERROR", ErrorKind: ErrConnectRefused, Host: "127.0.0.1:3632"}},
		{"nonblocking connect, NONAME", "distcc[126] ERROR: nonblocking connect to 127.0.0.1:3632 failed: Connection refused", true,
			Event{PID: 126, Severity: "ERROR", ErrorKind: ErrConnectRefused, Host: "127.0.0.1:3632"}},
		{"connect timeout, 3.4", "distcc[127] (dcc_connect_timeout) ERROR: timeout while connecting to 127.0.0.1:3632", true,
			Event{PID: 127, Function: "dcc_connect_timeout", Severity: "ERROR", ErrorKind: ErrConnectTimeout, Host: "127.0.0.1:3632"}},
		{"connect timeout, NONAME", "distcc[128] ERROR: timeout while connecting to 127.0.0.1:3632", true,
			Event{PID: 128, Severity: "ERROR", ErrorKind: ErrConnectTimeout, Host: "127.0.0.1:3632"}},
		{"resolve failed", "distcc[129] (dcc_connect_by_name) ERROR: failed to resolve host buildbox-a.invalid port 3632: Name or service not known", true,
			Event{PID: 129, Function: "dcc_connect_by_name", Severity: "ERROR", ErrorKind: ErrConnectRefused, Host: "buildbox-a.invalid:3632"}},
		{"look up failed", `distcc[130] (dcc_connect_by_name) ERROR: failed to look up host "buildbox-a.invalid": Unknown host`, true,
			Event{PID: 130, Function: "dcc_connect_by_name", Severity: "ERROR", ErrorKind: ErrConnectRefused, Host: "buildbox-a.invalid"}},
		{"create socket", "distcc[131] (dcc_connect_by_addr) ERROR: failed to create socket: Too many open files", true,
			Event{PID: 131, Function: "dcc_connect_by_addr", Severity: "ERROR", ErrorKind: ErrConnectRefused}},

		// clirpc.c / rpc.c, the chain from distcc#358.
		{"token read", `distcc[22629] (dcc_r_token_int) ERROR: read failed while waiting for token "DONE"`, true,
			Event{PID: 22629, Function: "dcc_r_token_int", Severity: "ERROR", ErrorKind: ErrReadWrite}},
		{"no answer", "distcc[22629] (dcc_r_result_header) ERROR: " + noAnswer, true,
			Event{PID: 22629, Function: "dcc_r_result_header", Severity: "ERROR", ErrorKind: ErrReadWrite, Message: noAnswer}},
		{"no answer, 3.4 wording", "distcc[132] (dcc_r_result_header) ERROR: server provided no answer. Is the server configured to allow access from your IP address? Does the server have the compiler installed? Is the server configured to access the compiler?", true,
			Event{PID: 132, Function: "dcc_r_result_header", Severity: "ERROR", ErrorKind: ErrReadWrite}},
		{"chain end", "distcc[22629] Warning: failed to distribute scripts/mod/devicetable-offsets.c to 127.0.0.1/5, running locally instead", true,
			Event{PID: 22629, Severity: "Warning", Failure: true, File: "scripts/mod/devicetable-offsets.c", Host: "127.0.0.1/5"}},
		{"protocol derailment", `distcc[133] (dcc_r_token_int) ERROR: protocol derailment: expected token "DONE"`, true,
			Event{PID: 133, Function: "dcc_r_token_int", Severity: "ERROR", ErrorKind: ErrOther}},

		// exec.c, hosts.c
		{"remote compile failed", "distcc[134] (dcc_critique_status) ERROR: compile a.c on 127.0.0.1:3632/2 failed", true,
			Event{PID: 134, Function: "dcc_critique_status", Severity: "ERROR", ErrorKind: ErrOther}},
		{"no hostlist", "distcc[73168] (dcc_get_hostlist) Warning: no hostlist is set; can't distribute work", true,
			Event{PID: 73168, Function: "dcc_get_hostlist", Severity: "Warning", Config: ConfigNoHosts}},
		{"bad multiplier", `distcc[135] (dcc_parse_multiplier) ERROR: bad multiplier "x" in host specification`, true,
			Event{PID: 135, Function: "dcc_parse_multiplier", Severity: "ERROR", ErrorKind: ErrOther}},

		// CRITICAL! and other severities.
		{"critical", "distcc[136] (dcc_made_up) CRITICAL! something broke", true,
			Event{PID: 136, Function: "dcc_made_up", Severity: "CRITICAL", ErrorKind: ErrOther, Message: "something broke"}},
		{"critical, classified by text", "distcc[137] CRITICAL! IO timeout", true,
			Event{PID: 137, Severity: "CRITICAL", ErrorKind: ErrIOTimeout}},
		{"verbose trace line", "distcc[138] (dcc_trace_version) distcc 3.4 x86_64-pc-linux-gnu", true,
			Event{PID: 138, Function: "dcc_trace_version", Message: "distcc 3.4 x86_64-pc-linux-gnu"}},
		{"verbose NONAME line", "distcc[139] elapsed compilation time 0.512000s", true,
			Event{PID: 139, Message: "elapsed compilation time 0.512000s"}},
		{"parenthesis that is not a function", "distcc[140] (not a function) text", true,
			Event{PID: 140, Message: "(not a function) text"}},
		{"warning text mentioning failure is not a fallback", "distcc[141] Warning: failed to distributed-lock", true,
			Event{PID: 141, Severity: "Warning"}},

		// A distcc message landing after a half-written gcc line.
		{"mid-line after gcc fragment", "a.c:3:1: warning: unuseddistcc[77] Warning: failed to distribute b.c to 127.0.0.2:3632/4, running locally instead", true,
			Event{PID: 77, Severity: "Warning", Failure: true, File: "b.c", Host: "127.0.0.2:3632/4"}},
		{"indented", "    distcc[3977] (dcc_select_for_read) ERROR: IO timeout", true,
			Event{PID: 3977, Function: "dcc_select_for_read", Severity: "ERROR", ErrorKind: ErrIOTimeout}},
		{"bogus tag then real one", "distcc[x] distcc[78] ERROR: IO timeout", true,
			Event{PID: 78, Severity: "ERROR", ErrorKind: ErrIOTimeout}},

		// Not distcc's.
		{"empty", "", false, Event{}},
		{"gcc command", "gcc -c a.c", false, Event{}},
		{"distcc command echoed by make", "distcc gcc -O2 -c a.c -o a.o", false, Event{}},
		{"make error", "make: *** [Makefile:3: a.o] Error 1", false, Event{}},
		{"make recursion", "make[2]: Entering directory '/tmp/proj'", false, Event{}},
		{"gcc error", "a.c:3:1: error: expected ';' before '}' token", false, Event{}},
		{"gcc include chain", "In file included from a.c:1:", false, Event{}},
		{"server log line", `distccd[4089] (dcc_r_token_int) ERROR: read failed while waiting for token "DOTI"`, false, Event{}},
		{"echo without severity mid-line", "echo distcc[5] hello", false, Event{}},
		{"indented without severity", "  distcc[5] (dcc_trace_version) hello", false, Event{}},
		{"no pid", "distcc[] ERROR: IO timeout", false, Event{}},
		{"pid not numeric", "distcc[abc] ERROR: IO timeout", false, Event{}},
		{"no space after pid", "distcc[12]ERROR: IO timeout", false, Event{}},
		{"pid too long", "distcc[123456789012] ERROR: IO timeout", false, Event{}},
		{"unterminated tag", "distcc[", false, Event{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseLine(tt.line)
			if ok != tt.ok {
				t.Fatalf("ParseLine(%q) ok = %v, want %v (event %+v)", tt.line, ok, tt.ok, got)
			}
			if !ok {
				if got != (Event{}) {
					t.Errorf("ok=false but event not zero: %+v", got)
				}
				return
			}
			want := tt.want
			if want.Message == "" {
				want.Message = got.Message
			}
			if got != want {
				t.Errorf("ParseLine(%q)\n got %+v\nwant %+v", tt.line, got, want)
			}
			if strings.HasSuffix(got.Message, "\r") || strings.HasSuffix(got.Host, "\r") {
				t.Errorf("trailing CR kept: %+v", got)
			}
		})
	}
}

func TestConfigLines(t *testing.T) {
	tests := []struct {
		line string
		want string
	}{
		// The seed study's warning with ccache in front of pump.
		{"distcc[4242] (dcc_perhaps_adjust_cpp_where_and_protover) Warning: cannot use distcc_pump on already preprocessed file (such as emitted by ccache)", ConfigPumpPreprocessed},
		{"distcc[4243] (dcc_perhaps_adjust_cpp_where_and_protover) Warning: cannot use distcc_pump with any of environment variables CPATH, C_INCLUDE_PATH or CPLUS_INCLUDE_PATH set, preprocessing locally", ConfigPumpIncludeEnv},
		{"distcc[4244] (dcc_build_somewhere) ERROR: INCLUDE_SERVER_PORT not set - did you forget to run under 'distcc-pump'?", ConfigPumpNotRunning},
		{"distcc[4245] (dcc_parse_options) ERROR: pump mode (',cpp') requires compression (',lzo')", ConfigPumpNeedsLZO},
		{"distcc[4246] (dcc_parse_hosts_file) Warning: /root/.distcc/hosts contained no hosts; can't distribute work", ConfigNoHosts},
		{"distcc[4247] ERROR: failed to connect to UNIX-DOMAIN /tmp/distcc-pump.x/socket: No such file or directory", ConfigPumpIncludeServer},
		{"distcc[4248] Warning: failed to distribute a.c to 10.0.0.2/4, running locally instead", ""},
	}
	for _, tt := range tests {
		ev, ok := ParseLine(tt.line)
		if !ok || ev.Config != tt.want {
			t.Errorf("ParseLine(%q).Config = %q (ok %v), want %q", tt.line, ev.Config, ok, tt.want)
		}
		// A line about the setup is never a failure or a farm error.
		if tt.want != "" && (ev.Failure || ev.ErrorKind != "") {
			t.Errorf("%q counted as failure %v / error %q", tt.line, ev.Failure, ev.ErrorKind)
		}
	}
}
