package jobserver

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestStripJobFlags(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{" -j --jobserver-auth=3,4", ""}, // what a Server gives
		{"-k -j8", "-k"},                 // a -j the user put in MAKEFLAGS
		{"ks -j4 --jobserver-auth=fifo:/tmp/GmFIFO1", "-ks"}, // make 4.4's own: bare letters first
		{"kj8", "-k"},                         // -j inside the first word's letters
		{"-kj", "-k"},                         // -j inside a cluster, no number
		{"-j 8 -k", "-k"},                     // make takes a word of digits after -j
		{"-j all", "all"},                     // but not another word
		{"--jobs=8 --jobs 4 --jobs -s", "-s"}, // the long name, three ways
		{"--jobserver-auth 3,4 -s", "-s"},     // its value as the next word
		{"--jobserver-fds=3,4 -j", ""},        // make before 4.2
		{"--jobserver-auth=-2,-2 -k", "-k"},   // make 4.4's "no jobserver" for non-make children
		{"-l 2 -j4", "-l 2"},                  // -l's number stays
		{"-Otarget -j2", "-Otarget"},          // an optional argument attached
		{"-C -j4", "-C -j4"},                  // -C's argument, a directory named -j4
		{"-Cj", "-Cj"},                        // -C's argument attached: j is a directory
		{"-- CFLAGS=-j4", "-- CFLAGS=-j4"},    // variables stay as they are
		{`s -- V=a\ -j4`, `-s -- V=a\ -j4`},   // an escaped blank is not a word break
		{`CC=my\ cc -j2`, `CC=my\ cc`},        // a first word with = is a variable
		{"-j2 --jobserver-style=fifo", "--jobserver-style=fifo"},
		{"  -k\t-j3  --no-print-directory ", "-k --no-print-directory"}, // blanks collapse
		{"--debug=b -j", "--debug=b"},
	} {
		if got := StripJobFlags(c.in); got != c.want {
			t.Errorf("StripJobFlags(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMakeFlags(t *testing.T) {
	pipe := newServer(t, Pipe, 2)
	fifo := newServer(t, Fifo, 2)
	for _, c := range []struct {
		s         *Server
		inherited string
		at        int
		want      string
	}{
		{pipe, "", 0, " -j --jobserver-auth=3,4"},
		{pipe, "", 2, " -j --jobserver-auth=5,6"},
		{newServer(t, LegacyPipe, 2), "", 0, " -j --jobserver-fds=3,4"},
		{fifo, "", 5, " -j --jobserver-auth=fifo:" + fifo.Path()}, // at has no use
		{pipe, "ks -j4 --jobserver-auth=7,8 -- CC=cc", 0, " -j --jobserver-auth=3,4 -ks -- CC=cc"},
	} {
		if got := c.s.MakeFlags(c.inherited, c.at); got != c.want {
			t.Errorf("%v: MakeFlags(%q, %d) = %q, want %q", c.s.Form(), c.inherited, c.at, got, c.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("MakeFlags with a negative index did not panic")
		}
	}()
	pipe.MakeFlags("", -1)
}

// fakeClientEnv makes the test binary the fake client (see TestMain).
const fakeClientEnv = "JOBSERVER_TEST_FAKE_CLIENT"

// fakeCmd returns a command that runs fakeClient.
func fakeCmd() *exec.Cmd {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), fakeClientEnv+"=1")
	return cmd
}

// fakeClient is the child of TestAttach. Like make, it finds the pool
// from the last --jobserver-auth or --jobserver-fds in MAKEFLAGS, takes a
// token, and gives back another byte, which a Server must accept. It
// prints the token, what its descriptor 3 holds and its MAKEFLAGS.
func fakeClient() int {
	flags := os.Getenv("MAKEFLAGS")
	var auth string
	for _, w := range strings.Fields(flags) {
		for _, opt := range []string{"--jobserver-auth=", "--jobserver-fds="} {
			if v, ok := strings.CutPrefix(w, opt); ok {
				auth = v
			}
		}
	}
	var r, w *os.File
	if path, ok := strings.CutPrefix(auth, "fifo:"); ok {
		var err1, err2 error
		r, err1 = os.OpenFile(path, os.O_RDONLY, 0)
		w, err2 = os.OpenFile(path, os.O_WRONLY, 0)
		if err1 != nil || err2 != nil {
			fmt.Fprintln(os.Stderr, err1, err2)
			return 1
		}
	} else {
		var rfd, wfd uintptr
		if _, err := fmt.Sscanf(auth, "%d,%d", &rfd, &wfd); err != nil {
			fmt.Fprintf(os.Stderr, "MAKEFLAGS %q: %v\n", flags, err)
			return 1
		}
		r, w = os.NewFile(rfd, "jobserver-r"), os.NewFile(wfd, "jobserver-w")
	}
	tok := make([]byte, 1)
	if _, err := io.ReadFull(r, tok); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := w.Write([]byte("x")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	first, err := io.ReadAll(os.NewFile(3, "first"))
	fmt.Printf("took %q; fd 3 holds %q (%v); MAKEFLAGS=%q\n", tok, first, err, flags)
	return 0
}

// TestAttach starts a real child behind one extra file of its own: it
// finds the pool under the numbers Attach gave, keeps its other flags,
// takes a token and gives a byte back, and the account balances.
func TestAttach(t *testing.T) {
	first := filepath.Join(t.TempDir(), "first")
	must(t, os.WriteFile(first, []byte("first extra file"), 0o644))
	for _, c := range []struct {
		form  Form
		flags string
	}{
		{Pipe, " -j --jobserver-auth=4,5 -k -- V=1"},
		{LegacyPipe, " -j --jobserver-fds=4,5 -k -- V=1"},
		{Fifo, " -j --jobserver-auth=fifo:PATH -k -- V=1"},
	} {
		s := newServer(t, c.form, 2)
		f, err := os.Open(first)
		must(t, err)
		defer f.Close()
		cmd := fakeCmd()
		cmd.Env = append(cmd.Env, "MAKEFLAGS=-k -j8 --jobserver-auth=9,10 -- V=1")
		cmd.ExtraFiles = []*os.File{f}
		must(t, s.Attach(cmd))
		if len(cmd.ExtraFiles) != 1+len(s.ExtraFiles()) {
			t.Errorf("%v: %d extra files, want %d", c.form, len(cmd.ExtraFiles), 1+len(s.ExtraFiles()))
		}
		out, err := cmd.Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("%v: fake client: %v: %s", c.form, err, stderr)
		}
		flags := strings.Replace(c.flags, "PATH", s.Path(), 1)
		want := fmt.Sprintf("took %q; fd 3 holds %q (<nil>); MAKEFLAGS=%q\n", "+", "first extra file", flags)
		if string(out) != want {
			t.Errorf("%v: fake client printed\n%s want\n%s", c.form, out, want)
		}
		if n := inFlight(t, s); n != 1 {
			t.Errorf("%v: %d jobs in flight after the client, want 1", c.form, n)
		}
		must(t, s.Close())
	}
}
