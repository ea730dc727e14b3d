package distcc

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
// buildLog is a realistic stderr+stdout of make -j4 with a farm of three
// hosts, one dead and one that drops connections, interleaved with make and
// gcc output, some CRLF line ends, and a final line without a newline.
var buildLog = strings.Join([]string{
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
	"distcc[22629] (dcc_r_result_header) ERROR: " + noAnswer,
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

// buildLogCounts is buildLog's tally, worked out by hand from the lines.
var buildLogCounts = Counts{
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

const buildLogLines = 28

func scanAll(chunks ...string) *Scanner {
	s := NewScanner(1 << 20)
	for _, c := range chunks {
		n, err := s.Write([]byte(c))
		if n != len(c) || err != nil {
			panic("short write")
		}
	}
	s.Flush()
	return s
}

func checkScan(t *testing.T, s *Scanner, how string) {
	t.Helper()
	checkScanOf(t, s, buildLog, how)
}

func checkScanOf(t *testing.T, s *Scanner, input, how string) {
	t.Helper()
	if got := s.Counts(); !reflect.DeepEqual(got, buildLogCounts) {
		t.Fatalf("%s: counts\n got %+v\nwant %+v", how, got, buildLogCounts)
	}
	if got := s.Lines(); got != buildLogLines {
		t.Fatalf("%s: Lines() = %d, want %d", how, got, buildLogLines)
	}
	if got := s.Tail(); got != input {
		t.Fatalf("%s: Tail() differs from input", how)
	}
}

func TestScannerWhole(t *testing.T) {
	checkScan(t, scanAll(buildLog), "one write")
	checkScanOf(t, scanAll(buildLog+"\n"), buildLog+"\n", "one write with final newline")
}

func TestScannerEverySplit(t *testing.T) {
	for k := 0; k <= len(buildLog); k++ {
		checkScan(t, scanAll(buildLog[:k], buildLog[k:]), "split")
	}
	bytewise := make([]string, len(buildLog))
	for i := range buildLog {
		bytewise[i] = buildLog[i : i+1]
	}
	checkScan(t, scanAll(bytewise...), "byte at a time")
}

func TestScannerRandomSplits(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		checkScan(t, scanAll(randomChunks(r, buildLog, 64)...), "random chunks")
	}
}

func randomChunks(r *rand.Rand, s string, max int) []string {
	var out []string
	for len(s) > 0 {
		n := min(1+r.IntN(max), len(s))
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

func TestScannerFlushIdempotent(t *testing.T) {
	s := NewScanner(0)
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

// wantTail is the specification of Tail written the slow way.
func wantTail(all string, n int) string {
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

func TestScannerTail(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 7, 64, 100} {
		s := NewScanner(n)
		var all strings.Builder
		for i := range 2000 {
			var chunk string
			switch r.IntN(4) {
			case 0:
				chunk = "\n"
			case 1:
				chunk = strings.Repeat("y", r.IntN(3*n+2))
			default:
				i := r.IntN(len(buildLog))
				chunk = buildLog[i : i+r.IntN(min(len(buildLog)-i, 3*n+2))]
			}
			all.WriteString(chunk)
			s.Write([]byte(chunk))
			got, want := s.Tail(), wantTail(all.String(), n)
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

func TestScannerDefaultTail(t *testing.T) {
	s := NewScanner(0)
	line := strings.Repeat("z", 99) + "\n"
	for range 1000 {
		s.Write([]byte(line))
	}
	if got := len(s.Tail()); got != defaultTail/len(line)*len(line) {
		t.Fatalf("default tail is %d bytes, want whole lines within %d", got, defaultTail)
	}
}

func TestScannerLongLine(t *testing.T) {
	s := NewScanner(0)
	fail := "distcc[9] Warning: failed to distribute a.c to 127.0.0.1:3632/2, running locally instead"
	// A distcc line that a runaway tool extends to 1 MiB without newline:
	// the head still parses, and memory stays bounded meanwhile.
	s.Write([]byte(fail))
	junk := []byte(strings.Repeat("x", 4096))
	for range 256 {
		s.Write(junk)
		if cap(s.pending) > 2*maxLine || len(s.pending) > maxLine {
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

func TestScannerCountsIsCopy(t *testing.T) {
	s := scanAll(buildLog)
	c := s.Counts()
	c.Errors[ErrOther] = 1000
	c.FailuresByHost["127.0.0.9"] = 1
	checkScan(t, s, "after caller modified its copy")
}

func TestScannerNoDistcc(t *testing.T) {
	s := scanAll("gcc -c a.c\nmake: *** [Makefile:3: a.o] Error 1\n")
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

func TestCountsJSON(t *testing.T) {
	b, err := json.Marshal(scanAll(buildLog).Counts())
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

// TestScannerConcurrent is meant for go test -race: one writer, as
// when the scanner is a build's stderr, and readers polling for progress.
func TestScannerConcurrent(t *testing.T) {
	const rounds = 200
	s := NewScanner(512)
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
		for _, c := range randomChunks(r, buildLog+"\n", 200) {
			s.Write([]byte(c))
		}
	}
	s.Flush()
	close(done)
	wg.Wait()

	c := s.Counts()
	if c.Failures != rounds*buildLogCounts.Failures {
		t.Errorf("failures %d, want %d", c.Failures, rounds*buildLogCounts.Failures)
	}
	for k, v := range buildLogCounts.Errors {
		if c.Errors[k] != rounds*v {
			t.Errorf("errors[%s] = %d, want %d", k, c.Errors[k], rounds*v)
		}
	}
	if s.Lines() != rounds*buildLogLines {
		t.Errorf("lines %d, want %d", s.Lines(), rounds*buildLogLines)
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

func TestScannerPump(t *testing.T) {
	s := scanAll(pumpLog)
	want := Counts{
		Errors:       map[string]int{ErrConnectRefused: 1},
		ErrorsByHost: map[string]int{"10.213.5.2:3632": 1},
		Config:       map[string]int{ConfigPumpIncludeServer: 7},
		PumpServers:  2,
	}
	if got := s.Counts(); !reflect.DeepEqual(got, want) {
		t.Errorf("counts\n got %+v\nwant %+v", got, want)
	}
	if w := ConfigAdvice(ConfigPumpIncludeServer); !strings.Contains(w, "include server") {
		t.Errorf("advice %q", w)
	}
}
