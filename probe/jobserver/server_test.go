package jobserver

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestMain runs every test with a fresh TMPDIR, where the pools' fifos
// live, and fails the run if a fifo directory is left in it: no Server,
// however its client ended, may leave one behind. In a child started by
// TestAttach, it is the fake client instead.
func TestMain(m *testing.M) {
	if os.Getenv(fakeClientEnv) != "" {
		os.Exit(fakeClient())
	}
	flag.Parse() // a bad flag exits here, before there is a directory to remove
	dir, err := os.MkdirTemp("", "jtune-jobserver-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("TMPDIR", dir)
	code := m.Run()
	if left, _ := filepath.Glob(filepath.Join(dir, "jtune-jobserver-*")); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "fifo directories left behind: %v\n", left)
		code = 1
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// client is a jobserver client in the test process: it takes and returns
// tokens through an open of the pool of its own, as make does.
type client struct {
	t  *testing.T
	fd int
}

func newClient(t *testing.T, s *Server) *client {
	t.Helper()
	fd, err := unix.Open(s.Path(), unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	must(t, err)
	t.Cleanup(func() { unix.Close(fd) })
	return &client{t: t, fd: fd}
}

// free returns the tokens free in the pool.
func (c *client) free() int {
	c.t.Helper()
	n, err := unix.IoctlGetInt(c.fd, fionread)
	must(c.t, err)
	return n
}

// take takes n tokens, which must be free, and returns them.
func (c *client) take(n int) []byte {
	c.t.Helper()
	buf := make([]byte, n)
	got, err := unix.Read(c.fd, buf)
	if got != n {
		c.t.Fatalf("took %d tokens, want %d (%v)", got, n, err)
	}
	return buf
}

// give writes b to the pool: tokens given back, or bytes never taken.
func (c *client) give(b []byte) {
	c.t.Helper()
	if n, err := unix.Write(c.fd, b); n != len(b) {
		c.t.Fatalf("gave %d bytes of %d: %v", n, len(b), err)
	}
}

// eventually polls cond until it holds, failing the test after patience.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after %v", what, patience)
		}
		time.Sleep(time.Millisecond)
	}
}

func newServer(t *testing.T, form Form, jobs int) *Server {
	t.Helper()
	s, err := New(form, jobs)
	must(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// inFlight returns s.InFlight(), failing the test on an error.
func inFlight(t *testing.T, s *Server) int {
	t.Helper()
	n, err := s.InFlight()
	must(t, err)
	return n
}

func TestNewPreloadsTokens(t *testing.T) {
	for _, form := range []Form{Fifo, Pipe, LegacyPipe} {
		s := newServer(t, form, 4)
		if s.Jobs() != 4 || s.Tokens() != 3 || s.Owed() != 0 || inFlight(t, s) != 1 {
			t.Errorf("%v: jobs %d, tokens %d, owed %d, in flight %d; want 4, 3, 0, 1",
				form, s.Jobs(), s.Tokens(), s.Owed(), inFlight(t, s))
		}
		if form != Fifo {
			continue
		}
		c := newClient(t, s)
		if got := c.take(3); string(got) != "+++" {
			t.Errorf("tokens %q, want make's %q", got, "+++")
		}
		c.give([]byte("+++"))
	}
}

func TestRaiseWritesTokensAtOnce(t *testing.T) {
	s := newServer(t, Fifo, 2)
	c := newClient(t, s)
	must(t, s.SetJobs(6))
	if c.free() != 5 || s.Tokens() != 5 || s.Jobs() != 6 {
		t.Errorf("free %d, tokens %d, jobs %d; want 5, 5, 6", c.free(), s.Tokens(), s.Jobs())
	}
}

func TestLowerTakesFreeTokensAtOnce(t *testing.T) {
	s := newServer(t, Fifo, 8)
	c := newClient(t, s)
	must(t, s.SetJobs(3))
	eventually(t, "7 tokens down to 2", func() bool { return s.Tokens() == 2 })
	if c.free() != 2 || s.Owed() != 0 || inFlight(t, s) != 1 {
		t.Errorf("free %d, owed %d, in flight %d; want 2, 0, 1", c.free(), s.Owed(), inFlight(t, s))
	}
}

// TestLowerWaitsForRunningJobs: tokens held by running jobs are owed
// until the jobs return them, then taken; nothing else is.
func TestLowerWaitsForRunningJobs(t *testing.T) {
	s := newServer(t, Fifo, 6)
	c := newClient(t, s)
	held := c.take(5)
	must(t, s.SetJobs(2))
	time.Sleep(50 * time.Millisecond)
	if s.Owed() != 4 || inFlight(t, s) != 6 {
		t.Fatalf("owed %d, in flight %d; want 4 and 6: the jobs still run", s.Owed(), inFlight(t, s))
	}
	c.give(held[:1])
	eventually(t, "owed 3", func() bool { return s.Owed() == 3 })
	if n := inFlight(t, s); n != 5 {
		t.Errorf("in flight %d, want 5", n)
	}
	c.give(held[1:])
	eventually(t, "owed 0", func() bool { return s.Owed() == 0 })
	if s.Tokens() != 1 || c.free() != 1 || inFlight(t, s) != 1 {
		t.Errorf("tokens %d, free %d, in flight %d; want 1, 1, 1", s.Tokens(), c.free(), inFlight(t, s))
	}
}

// TestRaiseCancelsDebt: raising while tokens are owed first forgives the
// debt, and writes only what the new count needs beyond it.
func TestRaiseCancelsDebt(t *testing.T) {
	s := newServer(t, Fifo, 6)
	c := newClient(t, s)
	held := c.take(5)
	must(t, s.SetJobs(2))
	must(t, s.SetJobs(4))
	if s.Owed() != 2 || s.Tokens() != 5 || c.free() != 0 {
		t.Errorf("owed %d, tokens %d, free %d; want 2, 5, 0", s.Owed(), s.Tokens(), c.free())
	}
	must(t, s.SetJobs(8))
	if s.Owed() != 0 || s.Tokens() != 7 || c.free() != 2 {
		t.Errorf("owed %d, tokens %d, free %d; want 0, 7, 2", s.Owed(), s.Tokens(), c.free())
	}
	c.give(held)
	must(t, s.Drain(context.Background()))
}

func TestDrainAcceptsAnyByte(t *testing.T) {
	s := newServer(t, Fifo, 4)
	c := newClient(t, s)
	c.take(2)
	c.give([]byte("x\x00"))
	if err := s.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestDrainWaitsForLateTokens(t *testing.T) {
	s := newServer(t, Fifo, 4)
	c := newClient(t, s)
	held := c.take(3)
	go func() {
		time.Sleep(100 * time.Millisecond)
		c.give(held)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := s.Drain(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestDrainReportsMissing(t *testing.T) {
	s := newServer(t, Fifo, 4)
	newClient(t, s).take(2) // and never gives them back
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.Drain(ctx)
	var ae *AccountError
	if !errors.As(err, &ae) || *ae != (AccountError{Out: 3, Back: 1}) || ae.Missing() != 2 || ae.Extra() != 0 {
		t.Fatalf("Drain: %v, want 2 of 3 tokens missing", err)
	}
	if want := "jobserver: 2 of 3 tokens did not come back"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if took := time.Since(start); took < 200*time.Millisecond || took > patience {
		t.Errorf("Drain took %v with a bound of 200ms", took)
	}
	if s.Tokens() != 2 {
		t.Errorf("after Drain, tokens %d, want the 2 missing", s.Tokens())
	}
}

func TestDrainReportsExtra(t *testing.T) {
	s := newServer(t, Fifo, 3)
	newClient(t, s).give([]byte("++"))
	err := s.Drain(context.Background())
	var ae *AccountError
	if !errors.As(err, &ae) || *ae != (AccountError{Out: 2, Back: 4}) || ae.Extra() != 2 || ae.Missing() != 0 {
		t.Fatalf("Drain: %v, want 2 extra", err)
	}
	if want := "jobserver: 4 tokens came back, 2 more than the 2 handed out"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestCloseRemovesFifo(t *testing.T) {
	s, err := New(Fifo, 2)
	must(t, err)
	fifo := s.Path()
	for _, c := range []struct {
		path string
		mode os.FileMode
	}{{filepath.Dir(fifo), os.ModeDir | 0o700}, {fifo, os.ModeNamedPipe | 0o600}} {
		fi, err := os.Stat(c.path)
		must(t, err)
		if fi.Mode() != c.mode {
			t.Errorf("%s: mode %v, want %v", c.path, fi.Mode(), c.mode)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(fifo)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the fifo's directory is still there: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestPipeFormsLeaveNoFile(t *testing.T) {
	for _, form := range []Form{Pipe, LegacyPipe} {
		s := newServer(t, form, 2)
		left, _ := filepath.Glob(filepath.Join(os.TempDir(), "jtune-jobserver-*"))
		if s.Path() != "" || len(left) > 0 || len(s.ExtraFiles()) != 2 {
			t.Errorf("%v: path %q, files %v, %d extra files; want none, none, 2", form, s.Path(), left, len(s.ExtraFiles()))
		}
	}
	if f := newServer(t, Fifo, 2).ExtraFiles(); f != nil {
		t.Errorf("fifo form: extra files %v, want none", f)
	}
}

func TestJobsRange(t *testing.T) {
	for _, n := range []int{-1, 0, MaxJobs + 1} {
		if _, err := New(Fifo, n); err == nil || !strings.Contains(err.Error(), "range [1, 1024]") {
			t.Errorf("New(Fifo, %d): %v, want a range error", n, err)
		}
	}
	if _, err := New(NoForm, 2); err == nil {
		t.Error("New(NoForm, 2) succeeded")
	}
	s := newServer(t, Pipe, MaxJobs)
	if s.Tokens() != MaxJobs-1 {
		t.Errorf("tokens %d, want %d", s.Tokens(), MaxJobs-1)
	}
	if err := s.SetJobs(0); err == nil || !strings.Contains(err.Error(), "SIGSTOP") {
		t.Errorf("SetJobs(0): %v, want a range error that mentions SIGSTOP", err)
	}
	must(t, s.Drain(context.Background()))
	_, inErr := s.InFlight()
	for name, err := range map[string]error{
		"SetJobs": s.SetJobs(2), "InFlight": inErr, "Drain": s.Drain(context.Background()),
		"Attach": s.Attach(fakeCmd()),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Drain: %v, want ErrClosed", name, err)
		}
	}
	must(t, s.Close())
}

func TestTMPDIRWithBlank(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a b")
	must(t, os.Mkdir(dir, 0o700))
	t.Setenv("TMPDIR", dir)
	if _, err := New(Fifo, 2); err == nil || !strings.Contains(err.Error(), "TMPDIR") {
		t.Errorf("New under %q: %v, want an error that says to set TMPDIR", dir, err)
	}
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("left behind in %s: %v", dir, left)
	}
}

// TestConcurrentUse moves the count from several goroutines while a
// client takes and returns tokens; the account still balances.
func TestConcurrentUse(t *testing.T) {
	s := newServer(t, Fifo, 4)
	c := newClient(t, s)
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 200 {
				_, err := s.InFlight()
				if err = errors.Join(err, s.SetJobs(1+(g*7+i)%9)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	var held []byte
	for i := 0; i < 400; i++ {
		buf := make([]byte, 2)
		if n, _ := unix.Read(c.fd, buf); n > 0 {
			held = append(held, buf[:n]...)
		}
		if len(held) > 3 || i%3 == 0 {
			c.give(held)
			held = nil
		}
	}
	for range 4 {
		<-done
	}
	c.give(held)
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := s.Drain(ctx); err != nil {
		t.Fatal(err)
	}
}
