package probe

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// The no-answer message is one long line in distcc (clirpc.c); spelling it
// out once keeps the table readable.
const distccNoAnswer = "server provided no answer. Is the server configured to allow access from your IP address? Is the server performing authentication and your client isn't? Does the server have the compiler installed? Is the server configured to access the compiler?"

func TestParseDistccLine(t *testing.T) {
	tests := []struct {
		name string
		line string
		ok   bool
		want DistccEvent // Message is checked only when non-empty here
	}{
		// Fallback lines (compile.c).
		{"3.4 fallback, NONAME", "distcc[21987] Warning: failed to distribute a.c to 127.0.0.1:3699/2, running locally instead", true,
			DistccEvent{PID: 21987, Severity: "Warning", Failure: true, File: "a.c", Host: "127.0.0.1:3699/2",
				Message: "failed to distribute a.c to 127.0.0.1:3699/2, running locally instead"}},
		{"fallback without host", "distcc[14750] (dcc_build_somewhere) Warning: failed to distribute, running locally instead", true,
			DistccEvent{PID: 14750, Function: "dcc_build_somewhere", Severity: "Warning", Failure: true}},
		{"fallbacks disabled", "distcc[300] (dcc_build_somewhere) ERROR: failed to distribute and fallbacks are disabled", true,
			DistccEvent{PID: 300, Function: "dcc_build_somewhere", Severity: "ERROR", Failure: true, ErrorKind: ErrOther}},
		{"fallback, hostdef with options", "distcc[301] Warning: failed to distribute ../src/made up.cpp to 127.0.0.1/40,cpp,lzo,auth, running locally instead", true,
			DistccEvent{PID: 301, Severity: "Warning", Failure: true, File: "../src/made up.cpp", Host: "127.0.0.1/40,cpp,lzo,auth"}},
		{"fallback, ssh host", "distcc[302] Warning: failed to distribute a.c to @buildbox-a/4, running locally instead", true,
			DistccEvent{PID: 302, Severity: "Warning", Failure: true, File: "a.c", Host: "@buildbox-a/4"}},
		{"fallback, unknown input", "distcc[303] Warning: failed to distribute (unknown) to 127.0.0.1:3632/2, running locally instead", true,
			DistccEvent{PID: 303, Severity: "Warning", Failure: true, Host: "127.0.0.1:3632/2"}},
		{"fallback, truncated message", "distcc[304] Warning: failed to distribute a.c to 127.0.0.1:36", true,
			DistccEvent{PID: 304, Severity: "Warning", Failure: true}},
		{"fallback, CRLF", "distcc[305] Warning: failed to distribute a.c to 127.0.0.1:3632/2, running locally instead\r", true,
			DistccEvent{PID: 305, Severity: "Warning", Failure: true, File: "a.c", Host: "127.0.0.1:3632/2"}},
		{"couldn't find a host: precedes a fallback line", "distcc[306] (dcc_build_somewhere) Warning: Couldn't find a host in 3 attempts, retrying locally", true,
			DistccEvent{PID: 306, Function: "dcc_build_somewhere", Severity: "Warning"}},
		{"remote compile failed: precedes a fallback line", "distcc[307] (dcc_build_somewhere) Warning: remote compilation of 'a.c' failed, retrying locally", true,
			DistccEvent{PID: 307, Function: "dcc_build_somewhere", Severity: "Warning"}},
		{"unsupported directives", "distcc[308] (dcc_build_somewhere) Warning: a.c: can't distribute due to unsupported directives, running locally", true,
			DistccEvent{PID: 308, Function: "dcc_build_somewhere", Severity: "Warning", Config: ConfigUnsupported}},
		{"include server fallback", "distcc[309] (dcc_build_somewhere) Warning: failed to get includes from include server, preprocessing locally", true,
			DistccEvent{PID: 309, Function: "dcc_build_somewhere", Severity: "Warning", Config: ConfigPumpIncludeServer}},

		// io.c
		{"IO timeout", "distcc[3977] (dcc_select_for_read) ERROR: IO timeout", true,
			DistccEvent{PID: 3977, Function: "dcc_select_for_read", Severity: "ERROR", ErrorKind: ErrIOTimeout, Message: "IO timeout"}},
		{"IO timeout on write", "distcc[3978] (dcc_select_for_write) ERROR: IO timeout", true,
			DistccEvent{PID: 3978, Function: "dcc_select_for_write", Severity: "ERROR", ErrorKind: ErrIOTimeout}},
		{"select failed", "distcc[310] (dcc_select_for_read) ERROR: select() failed: Bad file descriptor", true,
			DistccEvent{PID: 310, Function: "dcc_select_for_read", Severity: "ERROR", ErrorKind: ErrReadWrite}},
		{"failed to read", "distcc[311] (dcc_readx) ERROR: failed to read: Connection reset by peer", true,
			DistccEvent{PID: 311, Function: "dcc_readx", Severity: "ERROR", ErrorKind: ErrReadWrite}},
		{"unexpected eof", "distcc[22629] (dcc_readx) ERROR: unexpected eof on fd5", true,
			DistccEvent{PID: 22629, Function: "dcc_readx", Severity: "ERROR", ErrorKind: ErrReadWrite}},
		{"failed to write", "distcc[312] (dcc_writex) ERROR: failed to write: Broken pipe", true,
			DistccEvent{PID: 312, Function: "dcc_writex", Severity: "ERROR", ErrorKind: ErrReadWrite}},
		{"failed to close", "distcc[313] (dcc_close) ERROR: failed to close fd5: Bad file descriptor", true,
			DistccEvent{PID: 313, Function: "dcc_close", Severity: "ERROR", ErrorKind: ErrReadWrite}},

		// clinet.c
		{"connect refused, NONAME", "distcc[123] ERROR: failed to connect to 127.0.0.1:3632: Connection refused", true,
			DistccEvent{PID: 123, Severity: "ERROR", ErrorKind: ErrConnectRefused, Host: "127.0.0.1:3632"}},
		{"connect refused, IPv6", "distcc[124] ERROR: failed to connect to ::1:3632: Connection refused", true,
			DistccEvent{PID: 124, Severity: "ERROR", ErrorKind: ErrConnectRefused, Host: "::1:3632"}},
		{"no route", "distcc[125] ERROR: failed to connect to 127.0.0.9:3632: No route to host", true,
			DistccEvent{PID: 125, Severity: "ERROR", ErrorKind: ErrConnectRefused, Host: "127.0.0.9:3632"}},
		{"nonblocking connect, 3.4", "distcc[123] (dcc_connect_by_name) ERROR: nonblocking connect to 127.0.0.1:3632 failed: Connection refused", true,
			DistccEvent{PID: 123, Function: "dcc_connect_by_name", Severity: "ERROR", ErrorKind: ErrConnectRefused, Host: "127.0.0.1:3632"}},
		{"nonblocking connect, NONAME", "distcc[126] ERROR: nonblocking connect to 127.0.0.1:3632 failed: Connection refused", true,
			DistccEvent{PID: 126, Severity: "ERROR", ErrorKind: ErrConnectRefused, Host: "127.0.0.1:3632"}},
		{"connect timeout, 3.4", "distcc[127] (dcc_connect_timeout) ERROR: timeout while connecting to 127.0.0.1:3632", true,
			DistccEvent{PID: 127, Function: "dcc_connect_timeout", Severity: "ERROR", ErrorKind: ErrConnectTimeout, Host: "127.0.0.1:3632"}},
		{"connect timeout, NONAME", "distcc[128] ERROR: timeout while connecting to 127.0.0.1:3632", true,
			DistccEvent{PID: 128, Severity: "ERROR", ErrorKind: ErrConnectTimeout, Host: "127.0.0.1:3632"}},
		{"resolve failed", "distcc[129] (dcc_connect_by_name) ERROR: failed to resolve host buildbox-a.invalid port 3632: Name or service not known", true,
			DistccEvent{PID: 129, Function: "dcc_connect_by_name", Severity: "ERROR", ErrorKind: ErrConnectRefused, Host: "buildbox-a.invalid:3632"}},
		{"look up failed", `distcc[130] (dcc_connect_by_name) ERROR: failed to look up host "buildbox-a.invalid": Unknown host`, true,
			DistccEvent{PID: 130, Function: "dcc_connect_by_name", Severity: "ERROR", ErrorKind: ErrConnectRefused, Host: "buildbox-a.invalid"}},
		{"create socket", "distcc[131] (dcc_connect_by_addr) ERROR: failed to create socket: Too many open files", true,
			DistccEvent{PID: 131, Function: "dcc_connect_by_addr", Severity: "ERROR", ErrorKind: ErrConnectRefused}},

		// clirpc.c / rpc.c, the chain from distcc#358.
		{"token read", `distcc[22629] (dcc_r_token_int) ERROR: read failed while waiting for token "DONE"`, true,
			DistccEvent{PID: 22629, Function: "dcc_r_token_int", Severity: "ERROR", ErrorKind: ErrReadWrite}},
		{"no answer", "distcc[22629] (dcc_r_result_header) ERROR: " + distccNoAnswer, true,
			DistccEvent{PID: 22629, Function: "dcc_r_result_header", Severity: "ERROR", ErrorKind: ErrReadWrite, Message: distccNoAnswer}},
		{"no answer, 3.4 wording", "distcc[132] (dcc_r_result_header) ERROR: server provided no answer. Is the server configured to allow access from your IP address? Does the server have the compiler installed? Is the server configured to access the compiler?", true,
			DistccEvent{PID: 132, Function: "dcc_r_result_header", Severity: "ERROR", ErrorKind: ErrReadWrite}},
		{"chain end", "distcc[22629] Warning: failed to distribute scripts/mod/devicetable-offsets.c to 127.0.0.1/5, running locally instead", true,
			DistccEvent{PID: 22629, Severity: "Warning", Failure: true, File: "scripts/mod/devicetable-offsets.c", Host: "127.0.0.1/5"}},
		{"protocol derailment", `distcc[133] (dcc_r_token_int) ERROR: protocol derailment: expected token "DONE"`, true,
			DistccEvent{PID: 133, Function: "dcc_r_token_int", Severity: "ERROR", ErrorKind: ErrOther}},

		// exec.c, hosts.c
		{"remote compile failed", "distcc[134] (dcc_critique_status) ERROR: compile a.c on 127.0.0.1:3632/2 failed", true,
			DistccEvent{PID: 134, Function: "dcc_critique_status", Severity: "ERROR", ErrorKind: ErrOther}},
		{"no hostlist", "distcc[73168] (dcc_get_hostlist) Warning: no hostlist is set; can't distribute work", true,
			DistccEvent{PID: 73168, Function: "dcc_get_hostlist", Severity: "Warning", Config: ConfigNoHosts}},
		{"bad multiplier", `distcc[135] (dcc_parse_multiplier) ERROR: bad multiplier "x" in host specification`, true,
			DistccEvent{PID: 135, Function: "dcc_parse_multiplier", Severity: "ERROR", ErrorKind: ErrOther}},

		// CRITICAL! and other distccSeverities.
		{"critical", "distcc[136] (dcc_made_up) CRITICAL! something broke", true,
			DistccEvent{PID: 136, Function: "dcc_made_up", Severity: "CRITICAL", ErrorKind: ErrOther, Message: "something broke"}},
		{"critical, classified by text", "distcc[137] CRITICAL! IO timeout", true,
			DistccEvent{PID: 137, Severity: "CRITICAL", ErrorKind: ErrIOTimeout}},
		{"verbose trace line", "distcc[138] (dcc_trace_version) distcc 3.4 x86_64-pc-linux-gnu", true,
			DistccEvent{PID: 138, Function: "dcc_trace_version", Message: "distcc 3.4 x86_64-pc-linux-gnu"}},
		{"verbose NONAME line", "distcc[139] elapsed compilation time 0.512000s", true,
			DistccEvent{PID: 139, Message: "elapsed compilation time 0.512000s"}},
		{"parenthesis that is not a function", "distcc[140] (not a function) text", true,
			DistccEvent{PID: 140, Message: "(not a function) text"}},
		{"warning text mentioning failure is not a fallback", "distcc[141] Warning: failed to distributed-lock", true,
			DistccEvent{PID: 141, Severity: "Warning"}},

		// A distcc message landing after a half-written gcc line.
		{"mid-line after gcc fragment", "a.c:3:1: warning: unuseddistcc[77] Warning: failed to distribute b.c to 127.0.0.2:3632/4, running locally instead", true,
			DistccEvent{PID: 77, Severity: "Warning", Failure: true, File: "b.c", Host: "127.0.0.2:3632/4"}},
		{"indented", "    distcc[3977] (dcc_select_for_read) ERROR: IO timeout", true,
			DistccEvent{PID: 3977, Function: "dcc_select_for_read", Severity: "ERROR", ErrorKind: ErrIOTimeout}},
		{"bogus tag then real one", "distcc[x] distcc[78] ERROR: IO timeout", true,
			DistccEvent{PID: 78, Severity: "ERROR", ErrorKind: ErrIOTimeout}},

		// Not distcc's.
		{"empty", "", false, DistccEvent{}},
		{"gcc command", "gcc -c a.c", false, DistccEvent{}},
		{"distcc command echoed by make", "distcc gcc -O2 -c a.c -o a.o", false, DistccEvent{}},
		{"make error", "make: *** [Makefile:3: a.o] Error 1", false, DistccEvent{}},
		{"make recursion", "make[2]: Entering directory '/tmp/proj'", false, DistccEvent{}},
		{"gcc error", "a.c:3:1: error: expected ';' before '}' token", false, DistccEvent{}},
		{"gcc include chain", "In file included from a.c:1:", false, DistccEvent{}},
		{"server log line", `distccd[4089] (dcc_r_token_int) ERROR: read failed while waiting for token "DOTI"`, false, DistccEvent{}},
		{"echo without severity mid-line", "echo distcc[5] hello", false, DistccEvent{}},
		{"indented without severity", "  distcc[5] (dcc_trace_version) hello", false, DistccEvent{}},
		{"no pid", "distcc[] ERROR: IO timeout", false, DistccEvent{}},
		{"pid not numeric", "distcc[abc] ERROR: IO timeout", false, DistccEvent{}},
		{"no space after pid", "distcc[12]ERROR: IO timeout", false, DistccEvent{}},
		{"pid too long", "distcc[123456789012] ERROR: IO timeout", false, DistccEvent{}},
		{"unterminated tag", "distcc[", false, DistccEvent{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseDistccLine(tt.line)
			if ok != tt.ok {
				t.Fatalf("ParseDistccLine(%q) ok = %v, want %v (event %+v)", tt.line, ok, tt.ok, got)
			}
			if !ok {
				if got != (DistccEvent{}) {
					t.Errorf("ok=false but event not zero: %+v", got)
				}
				return
			}
			want := tt.want
			if want.Message == "" {
				want.Message = got.Message
			}
			if got != want {
				t.Errorf("ParseDistccLine(%q)\n got %+v\nwant %+v", tt.line, got, want)
			}
			if strings.HasSuffix(got.Message, "\r") || strings.HasSuffix(got.Host, "\r") {
				t.Errorf("trailing CR kept: %+v", got)
			}
		})
	}
}

// distccLog is a realistic stderr+stdout of make -j4 with a farm of three
// hosts, one dead and one that drops connections, interleaved with make and
// gcc output, some CRLF line ends, and a final line without a newline.
var distccLog = strings.Join([]string{
	"make -j4 all",
	"make[1]: Entering directory '/tmp/proj'",
	"distcc gcc -O2 -c a.c -o a.o",
	"distcc gcc -O2 -c b.c -o b.o",
	"distcc[21987] (dcc_connect_by_name) ERROR: nonblocking connect to 127.0.0.1:3632 failed: Connection refused",
	"distcc[21987] Warning: failed to distribute a.c to 127.0.0.1:3632/2, running locally instead",
	"a.c: In function 'main':",
	"a.c:3:1: warning: unused variable 'x' [-Wunused-variable]",
	"distcc[22629] (dcc_readx) ERROR: unexpected eof on fd5",
	`distcc[22629] (dcc_r_token_int) ERROR: read failed while waiting for token "DONE"`,
	"distcc[22629] (dcc_r_result_header) ERROR: " + distccNoAnswer,
	"distcc[22629] Warning: failed to distribute b.c to 127.0.0.2/5, running locally instead",
	"distcc gcc -O2 -c c.c -o c.o\r",
	"distcc[22700] ERROR: failed to connect to 127.0.0.1:3632: Connection refused\r",
	"distcc[22700] Warning: failed to distribute c.c to 127.0.0.1:3632/2, running locally instead\r",
	"distcc[22701] (dcc_connect_timeout) ERROR: timeout while connecting to 127.0.0.3:3632",
	"distcc[22701] (dcc_select_for_read) ERROR: IO timeout",
	"distcc[22701] (dcc_build_somewhere) Warning: remote compilation of 'd.c' failed, retrying locally",
	"distcc[22701] Warning: failed to distribute d.c to 127.0.0.3:3632/8, running locally instead",
	"",
	"distcc[22702] (dcc_writex) ERROR: failed to write: Broken pipe",
	"distcc[22702] (dcc_made_up) CRITICAL! something broke",
	"distcc[22703] (dcc_get_hostlist) Warning: no hostlist is set; can't distribute work",
	"distcc[22703] (dcc_build_somewhere) Warning: failed to distribute, running locally instead",
	"e.c:9:2: error: expected ';' before '}' token",
	"make[1]: *** [Makefile:3: e.o] Error 1",
	"make: *** [Makefile:7: all] Error 2",
	"distcc[22704] (dcc_build_somewhere) ERROR: failed to distribute and fallbacks are disabled",
}, "\n")

// distccLogCounts is distccLog's tally, worked out by hand from the lines.
var distccLogCounts = DistccCounts{
	Failures: 6,
	Errors: map[string]int{
		ErrConnectRefused: 2,
		ErrReadWrite:      4,
		ErrConnectTimeout: 1,
		ErrIOTimeout:      1,
		ErrOther:          2,
	},
	FailuresByHost: map[string]int{
		"127.0.0.1:3632/2": 2,
		"127.0.0.2/5":      1,
		"127.0.0.3:3632/8": 1,
	},
	ErrorsByHost: map[string]int{
		"127.0.0.1:3632": 2,
		"127.0.0.3:3632": 1,
	},
	Config: map[string]int{ConfigNoHosts: 1},
}

const distccLogLines = 28

func distccScanAll(chunks ...string) *DistccScanner {
	s := NewDistccScanner(1 << 20)
	for _, c := range chunks {
		n, err := s.Write([]byte(c))
		if n != len(c) || err != nil {
			panic("short write")
		}
	}
	s.Flush()
	return s
}

func distccCheckScan(t *testing.T, s *DistccScanner, how string) {
	t.Helper()
	distccCheckScanOf(t, s, distccLog, how)
}

func distccCheckScanOf(t *testing.T, s *DistccScanner, input, how string) {
	t.Helper()
	if got := s.Counts(); !reflect.DeepEqual(got, distccLogCounts) {
		t.Fatalf("%s: counts\n got %+v\nwant %+v", how, got, distccLogCounts)
	}
	if got := s.Lines(); got != distccLogLines {
		t.Fatalf("%s: Lines() = %d, want %d", how, got, distccLogLines)
	}
	if got := s.Tail(); got != input {
		t.Fatalf("%s: Tail() differs from input", how)
	}
}

func TestDistccScannerWhole(t *testing.T) {
	distccCheckScan(t, distccScanAll(distccLog), "one write")
	distccCheckScanOf(t, distccScanAll(distccLog+"\n"), distccLog+"\n", "one write with final newline")
}

func TestDistccScannerEverySplit(t *testing.T) {
	for k := 0; k <= len(distccLog); k++ {
		distccCheckScan(t, distccScanAll(distccLog[:k], distccLog[k:]), "split")
	}
	bytewise := make([]string, len(distccLog))
	for i := range distccLog {
		bytewise[i] = distccLog[i : i+1]
	}
	distccCheckScan(t, distccScanAll(bytewise...), "byte at a time")
}

func TestDistccScannerRandomSplits(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		distccCheckScan(t, distccScanAll(distccRandomChunks(r, distccLog, 64)...), "random chunks")
	}
}

func distccRandomChunks(r *rand.Rand, s string, max int) []string {
	var out []string
	for len(s) > 0 {
		n := min(1+r.IntN(max), len(s))
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

func TestDistccScannerFlushIdempotent(t *testing.T) {
	s := NewDistccScanner(0)
	s.Flush()
	s.Write([]byte("distcc[1] ERROR: IO tim"))
	if s.Lines() != 0 || s.Counts().Errors != nil {
		t.Fatalf("partial line processed before Flush")
	}
	s.Write([]byte("eout"))
	s.Flush()
	s.Flush()
	if s.Lines() != 1 || s.Counts().Errors[ErrIOTimeout] != 1 {
		t.Fatalf("after Flush: lines %d counts %+v", s.Lines(), s.Counts())
	}
	// A write after Flush starts a new line rather than extending the old.
	s.Write([]byte("distcc[1] ERROR: IO timeout\n"))
	if s.Lines() != 2 || s.Counts().Errors[ErrIOTimeout] != 2 {
		t.Fatalf("after second line: lines %d counts %+v", s.Lines(), s.Counts())
	}
}

// distccWantTail is the specification of Tail written the slow way.
func distccWantTail(all string, n int) string {
	if len(all) <= n {
		return all
	}
	w := all[len(all)-n:]
	if all[len(all)-n-1] == '\n' {
		return w
	}
	if i := strings.IndexByte(w, '\n'); i >= 0 && i < len(w)-1 {
		return w[i+1:]
	}
	return w
}

func TestDistccScannerTail(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 7, 64, 100} {
		s := NewDistccScanner(n)
		var all strings.Builder
		for i := range 2000 {
			var chunk string
			switch r.IntN(4) {
			case 0:
				chunk = "\n"
			case 1:
				chunk = strings.Repeat("y", r.IntN(3*n+2))
			default:
				i := r.IntN(len(distccLog))
				chunk = distccLog[i : i+r.IntN(min(len(distccLog)-i, 3*n+2))]
			}
			all.WriteString(chunk)
			s.Write([]byte(chunk))
			got, want := s.Tail(), distccWantTail(all.String(), n)
			if got != want {
				t.Fatalf("n=%d step %d: Tail() = %q, want %q", n, i, got, want)
			}
			if len(got) > n {
				t.Fatalf("n=%d: tail of %d bytes", n, len(got))
			}
			if len(s.tail) > 2*(n+1) {
				t.Fatalf("n=%d: tail buffer grew to %d", n, len(s.tail))
			}
		}
	}
}

func TestDistccScannerDefaultTail(t *testing.T) {
	s := NewDistccScanner(0)
	line := strings.Repeat("z", 99) + "\n"
	for range 1000 {
		s.Write([]byte(line))
	}
	if got := len(s.Tail()); got != distccDefaultTail/len(line)*len(line) {
		t.Fatalf("default tail is %d bytes, want whole lines within %d", got, distccDefaultTail)
	}
}

func TestDistccScannerLongLine(t *testing.T) {
	s := NewDistccScanner(0)
	fail := "distcc[9] Warning: failed to distribute a.c to 127.0.0.1:3632/2, running locally instead"
	// A distcc line that a runaway tool extends to 1 MiB without newline:
	// the head still parses, and memory stays bounded meanwhile.
	s.Write([]byte(fail))
	junk := []byte(strings.Repeat("x", 4096))
	for range 256 {
		s.Write(junk)
		if cap(s.pending) > 2*distccMaxLine || len(s.pending) > distccMaxLine {
			t.Fatalf("pending line grew to len %d cap %d", len(s.pending), cap(s.pending))
		}
	}
	// A whole overlong line in a single write.
	s.Write([]byte("\n" + strings.Repeat("w", 1<<20) + "\n" + fail + "\n"))
	c := s.Counts()
	if c.Failures != 2 || s.Lines() != 3 {
		t.Fatalf("got %d failures over %d lines, want 2 over 3", c.Failures, s.Lines())
	}
	if cap(s.pending) > 4<<10 {
		t.Fatalf("long-line buffer kept after the line ended: cap %d", cap(s.pending))
	}
}

func TestDistccScannerCountsIsCopy(t *testing.T) {
	s := distccScanAll(distccLog)
	c := s.Counts()
	c.Errors[ErrOther] = 1000
	c.FailuresByHost["127.0.0.9"] = 1
	distccCheckScan(t, s, "after caller modified its copy")
}

func TestDistccScannerNoDistcc(t *testing.T) {
	s := distccScanAll("gcc -c a.c\nmake: *** [Makefile:3: a.o] Error 1\n")
	c := s.Counts()
	if c.Failures != 0 || c.Errors != nil || c.FailuresByHost != nil {
		t.Fatalf("counts from noise: %+v", c)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"failures":0,"errors":null}`; got != want {
		t.Fatalf("JSON %s, want %s", got, want)
	}
}

func TestDistccCountsJSON(t *testing.T) {
	b, err := json.Marshal(distccScanAll(distccLog).Counts())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"failures":6,"errors":{"connect_refused":2,"connect_timeout":1,"io_timeout":1,"other":2,"read_write":4},` +
		`"failures_by_host":{"127.0.0.1:3632/2":2,"127.0.0.2/5":1,"127.0.0.3:3632/8":1},` +
		`"errors_by_host":{"127.0.0.1:3632":2,"127.0.0.3:3632":1},"config":{"no_hosts":1}}`
	if string(b) != want {
		t.Fatalf("JSON\n got %s\nwant %s", b, want)
	}
}

// TestDistccScannerConcurrent is meant for go test -race: one writer, as
// when the scanner is a build's stderr, and readers polling for progress.
func TestDistccScannerConcurrent(t *testing.T) {
	const rounds = 200
	s := NewDistccScanner(512)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				c := s.Counts()
				if c.Errors != nil {
					c.Errors[ErrOther]++ // must not touch the scanner's map
				}
				if len(s.Tail()) > 512 {
					t.Error("tail over bound")
				}
				_ = s.Lines()
			}
		})
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range rounds {
		for _, c := range distccRandomChunks(r, distccLog+"\n", 200) {
			s.Write([]byte(c))
		}
	}
	s.Flush()
	close(done)
	wg.Wait()

	c := s.Counts()
	if c.Failures != rounds*distccLogCounts.Failures {
		t.Errorf("failures %d, want %d", c.Failures, rounds*distccLogCounts.Failures)
	}
	for k, v := range distccLogCounts.Errors {
		if c.Errors[k] != rounds*v {
			t.Errorf("errors[%s] = %d, want %d", k, c.Errors[k], rounds*v)
		}
	}
	if s.Lines() != rounds*distccLogLines {
		t.Errorf("lines %d, want %d", s.Lines(), rounds*distccLogLines)
	}
}

// pumpLog is what `distcc-pump make -j6 CC="distcc gcc"` printed on
// Debian 12 (distcc 3.4, Python 3.11), whose include server fails on its
// first file ("PY_SSIZE_T_CLEAN macro must be defined") and then is gone:
// every compile is preprocessed locally and still sent to the farm. The
// ERRORs are about the master's include-server socket, not a farm host.
var pumpLog = strings.Join([]string{
	"__________Using distcc-pump from /usr/bin",
	"__________Using 2 distcc servers in pump mode",
	"mkdir -p obj",
	"distcc gcc  -std=gnu11 -Wall -Wextra -O0 -MMD -MP -c -o obj/matrix.o src/matrix.c",
	`WARNING include server: Preprocessing locally. Include server internal error: '<class 'SystemError'>: ("PY_SSIZE_T_CLEAN macro must be defined for '#' formats",)' for translation unit 'src/matrix.c'`,
	"------- Include server stack trace -----------",
	"Traceback (most recent call last):",
	"SystemError: PY_SSIZE_T_CLEAN macro must be defined for '#' formats",
	"distcc[6650] (dcc_talk_to_include_server) Warning: include server gave up analyzing",
	"distcc[6650] (dcc_build_somewhere) Warning: failed to get includes from include server, preprocessing locally",
	"distcc[6656] (dcc_readx) ERROR: failed to read: Connection reset by peer",
	`distcc[6656] (dcc_r_token_int) ERROR: read failed while waiting for token "ARGC"`,
	"distcc[6656] (dcc_talk_to_include_server) Warning: failed to talk to include server '/tmp/distcc-pump.tOrOX9/socket'",
	"distcc[6656] (dcc_build_somewhere) Warning: failed to get includes from include server, preprocessing locally",
	"distcc[6660] ERROR: failed to connect to UNIX-DOMAIN /tmp/distcc-pump.tOrOX9/socket: No such file or directory",
	"distcc[6660] (dcc_build_somewhere) Warning: failed to get includes from include server, preprocessing locally",
	// A real farm error in the same build still counts.
	"distcc[6661] (dcc_connect_by_name) ERROR: nonblocking connect to 10.213.5.2:3632 failed: Connection refused",
	"__________Shutting down distcc-pump include server",
	"",
}, "\n")

func TestDistccScannerPump(t *testing.T) {
	s := distccScanAll(pumpLog)
	want := DistccCounts{
		Errors:       map[string]int{ErrConnectRefused: 1},
		ErrorsByHost: map[string]int{"10.213.5.2:3632": 1},
		Config:       map[string]int{ConfigPumpIncludeServer: 7},
		PumpServers:  2,
	}
	if got := s.Counts(); !reflect.DeepEqual(got, want) {
		t.Errorf("counts\n got %+v\nwant %+v", got, want)
	}
	if w := configWarnings(s.Counts().Config); len(w) != 1 || !strings.Contains(w[0], "include server") {
		t.Errorf("config warnings %q", w)
	}
}

func TestParsePumpLine(t *testing.T) {
	tests := []struct {
		line string
		ok   bool
		want PumpEvent
	}{
		{"__________Using distcc-pump from /usr/bin", true, PumpEvent{}},
		{"__________Using 2 distcc servers in pump mode", true, PumpEvent{Servers: 2}},
		{"__________Using 1 distcc server in pump mode", true, PumpEvent{Servers: 1}},
		{"__________Using 3 distcc servers, of which only 1 support(s) pump mode", true, PumpEvent{Servers: 1, Config: ConfigPumpHostsWithoutCPP}},
		{"__________Started distcc-pump include server", true, PumpEvent{}},
		{"__________Shutting down distcc-pump include server", true, PumpEvent{}},
		{"__________Shutting down distcc-pump include server\r", true, PumpEvent{}},
		{"__________Found 3 available distcc servers", true, PumpEvent{}},
		{"__________Could not start distcc-pump include server", true, PumpEvent{Config: ConfigPumpIncludeServer}},
		{"__________Warning: distcc-pump include server failed; running unpumped", true, PumpEvent{Config: ConfigPumpIncludeServer}},
		{"__________Expected a socket at '/tmp/distcc-pump.x/socket'", true, PumpEvent{Config: ConfigPumpIncludeServer}},
		{"__________Warning: 2 pump-mode compilation(s) failed on server, but succeeded locally.", true, PumpEvent{Config: ConfigPumpDiscrepancy}},
		{"__________Distcc-pump was demoted to plain mode.", true, PumpEvent{Config: ConfigPumpDiscrepancy}},
		{"WARNING include server: Preprocessing locally. Include server internal error", true, PumpEvent{Config: ConfigPumpIncludeServer}},
		{"Using distcc-pump from /usr/bin", false, PumpEvent{}},
		{"distcc[1] Warning: __________", false, PumpEvent{}},
	}
	for _, tt := range tests {
		got, ok := ParsePumpLine(tt.line)
		if ok != tt.ok || got != tt.want {
			t.Errorf("ParsePumpLine(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

func TestDistccConfigLines(t *testing.T) {
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
		ev, ok := ParseDistccLine(tt.line)
		if !ok || ev.Config != tt.want {
			t.Errorf("ParseDistccLine(%q).Config = %q (ok %v), want %q", tt.line, ev.Config, ok, tt.want)
		}
		// A line about the setup is never a failure or a farm error.
		if tt.want != "" && (ev.Failure || ev.ErrorKind != "") {
			t.Errorf("%q counted as failure %v / error %q", tt.line, ev.Failure, ev.ErrorKind)
		}
	}
}
