package jobserver

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// MaxJobs is the most jobs a Server runs. Its MaxJobs−1 tokens fit in a
// pipe whose kernel buffer has shrunk to one page (Linux shrinks it for a
// user over /proc/sys/fs/pipe-user-pages-soft), so writing them never
// blocks.
const MaxJobs = 1024

// fionread is FIONREAD, the bytes waiting in a pipe, under the name x/sys
// gives it on Linux.
const fionread = unix.TIOCINQ

// token is the byte a Server writes, GNU make's own (posixos.c). Any byte
// is taken back: make and ninja return the byte they read.
const token = '+'

// ErrClosed is returned by a Server's methods once Drain or Close has run.
var ErrClosed = errors.New("jobserver: the pool is drained")

// Server is a jobserver's token pool with an exact account: the tokens in
// circulation are those written to the pool and not taken back, whether
// they lie free in the pool or a client holds them. Its methods are safe
// for concurrent use.
//
// The pool is a named pipe in a private directory. The Server reads and
// writes it through an open of its own, read-write and non-blocking; a
// client opens the fifo itself (Fifo) or inherits two opens made for it
// (Pipe, LegacyPipe: the fifo is unlinked at once, which leaves an
// anonymous pipe). So the O_NONBLOCK that make sets on its read end stays
// make's, and the Server's holding the pool open both ways means no reader
// ever sees end-of-file and no writer a broken pipe.
type Server struct {
	form  Form
	dir   string        // private directory of the fifo; "" once removed
	path  string        // the fifo, for the Fifo form; "" for the pipe forms
	fd    int           // the Server's read-write, non-blocking open of the pool
	child []*os.File    // the pipe forms: the client's read and write ends
	wake  [2]int        // self-pipe that interrupts a poll(2) in reclaim or Drain
	done  chan struct{} // closed when reclaim returns
	// drainDone is closed when Drain returns, so that Close does not
	// close the pool under it.
	drainDone chan struct{}

	mu      sync.Mutex
	jobs    int   // the target, set by New and SetJobs
	tokens  int   // tokens in circulation
	stop    bool  // reclaim must return
	drained bool  // Drain has begun: the pool no longer changes
	closed  bool  // Close has begun
	err     error // reclaim's failure, returned by SetJobs
}

// New makes a pool of the given form for the given number of jobs (it
// pre-loads jobs−1 tokens; the client's first job runs on its implicit
// slot) and starts the goroutine that takes tokens back when SetJobs
// lowers the count. The fifo lives in a new directory of mode 0700 under
// os.TempDir. Close releases everything.
func New(form Form, jobs int) (*Server, error) {
	if form != Fifo && form != Pipe && form != LegacyPipe {
		return nil, fmt.Errorf("jobserver: form %v isn't one of [fifo, pipe, legacy pipe]", form)
	}
	if err := checkJobs(jobs); err != nil {
		return nil, err
	}
	s := &Server{form: form, fd: -1, wake: [2]int{-1, -1}, jobs: jobs,
		done: make(chan struct{}), drainDone: make(chan struct{})}
	if err := s.open(); err != nil {
		return nil, errors.Join(err, s.release())
	}
	if err := s.write(jobs - 1); err != nil {
		return nil, errors.Join(err, s.release())
	}
	go s.reclaim()
	return s, nil
}

func checkJobs(n int) error {
	if n < 1 || n > MaxJobs {
		return fmt.Errorf("jobserver: %d jobs isn't in the range [1, %d] (to run none, stop the build with SIGSTOP)", n, MaxJobs)
	}
	return nil
}

// open makes the fifo and every descriptor of the Server.
func (s *Server) open() error {
	dir, err := os.MkdirTemp("", "jtune-jobserver-")
	if err != nil {
		return fmt.Errorf("jobserver: %w", err)
	}
	s.dir = dir
	path := filepath.Join(dir, "fifo")
	// make reads MAKEFLAGS as blank-separated words with backslash escapes
	// and expands $ in it; ninja only splits at blanks.
	if strings.ContainsAny(path, " \t\n\\$") {
		return fmt.Errorf("jobserver: the fifo's path %q has a blank, backslash or $, which MAKEFLAGS cannot carry to every client: set TMPDIR to a plain directory", path)
	}
	if err := unix.Mkfifo(path, 0o600); err != nil {
		return fmt.Errorf("jobserver: mkfifo %s: %w", path, err)
	}
	if s.fd, err = unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0); err != nil {
		return fmt.Errorf("jobserver: opening %s: %w", path, err)
	}
	if err := unix.Pipe2(s.wake[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return fmt.Errorf("jobserver: wake-up pipe: %w", err)
	}
	if s.form == Fifo {
		s.path = path
		return nil
	}
	// Neither open blocks: the Server's read-write open is both a reader
	// and a writer. The client's ends are blocking, as a pipe make made
	// itself would be; make sets O_NONBLOCK on its read end.
	for _, flag := range []int{unix.O_RDONLY, unix.O_WRONLY} {
		fd, err := unix.Open(path, flag|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("jobserver: opening %s: %w", path, err)
		}
		s.child = append(s.child, os.NewFile(uintptr(fd), fmt.Sprintf("jobserver-%d", len(s.child))))
	}
	s.dir = ""
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("jobserver: %w", err)
	}
	return nil
}

// release closes every descriptor and removes the fifo's directory.
func (s *Server) release() error {
	var errs []error
	for _, fd := range []int{s.fd, s.wake[0], s.wake[1]} {
		if fd >= 0 {
			errs = append(errs, unix.Close(fd))
		}
	}
	s.fd, s.wake = -1, [2]int{-1, -1}
	for _, f := range s.child {
		errs = append(errs, f.Close())
	}
	s.child = nil
	if s.dir != "" {
		errs = append(errs, os.RemoveAll(s.dir))
		s.dir = ""
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("jobserver: closing: %w", err)
	}
	return nil
}

// write puts n tokens in the pool and counts them in circulation. The
// caller holds mu, or is New.
func (s *Server) write(n int) error {
	buf := bytes.Repeat([]byte{token}, n)
	for len(buf) > 0 {
		w, err := unix.Write(s.fd, buf)
		if w > 0 {
			s.tokens += w
			buf = buf[w:]
		}
		switch {
		case err == nil || err == unix.EINTR:
		case err == unix.EAGAIN:
			// MaxJobs−1 tokens alone cannot fill it: a client wrote
			// bytes it never read.
			return fmt.Errorf("jobserver: the pool is full with %d tokens in circulation; a client wrote back more than it took", s.tokens)
		default:
			return fmt.Errorf("jobserver: writing tokens: %w", err)
		}
	}
	return nil
}

// SetJobs sets the number of jobs the client may run, n in [1, MaxJobs].
// Raising it writes the new tokens at once. Lowering it takes tokens back
// as they become free, which for most is when a running job ends: Owed
// says how many are still to come. A running job is never stopped.
func (s *Server) SetJobs(n int) error {
	if err := checkJobs(n); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drained {
		return ErrClosed
	}
	if s.err != nil {
		return s.err
	}
	s.jobs = n
	if add := n - 1 - s.tokens; add > 0 {
		if err := s.write(add); err != nil {
			return err
		}
	}
	s.interrupt()
	return nil
}

// Jobs returns the number of jobs last set by New or SetJobs.
func (s *Server) Jobs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jobs
}

// Tokens returns the tokens in circulation: written to the pool and not
// taken back, free or held by a client. It is Jobs()−1 plus Owed(); after
// Drain, it is the tokens that did not come back.
func (s *Server) Tokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens
}

// Owed returns the tokens that lowering the count still has to take back:
// tokens in circulation beyond Jobs()−1, held by running jobs.
func (s *Server) Owed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.owed()
}

func (s *Server) owed() int { return max(s.tokens-(s.jobs-1), 0) }

// InFlight returns the client's jobs in flight as the pool sees them: the
// tokens in circulation, less those free in the pool (FIONREAD), plus the
// client's implicit slot, which is counted as busy even when the client
// runs nothing (before it starts, while it reads its makefile, after it
// exits). make gives back a token whichever of its jobs ends, but ninja
// ties a token to a job: when the job on its implicit slot ends, the
// count is one high until ninja starts another. A client that returned
// bytes it never took makes it less than 1; Drain reports them.
func (s *Server) InFlight() (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drained {
		return 0, ErrClosed
	}
	free, err := unix.IoctlGetInt(s.fd, fionread)
	if err != nil {
		return 0, fmt.Errorf("jobserver: counting free tokens: %w", err)
	}
	return s.tokens - free + 1, nil
}

// interrupt wakes reclaim or Drain from poll(2).
func (s *Server) interrupt() {
	if s.wake[1] >= 0 {
		// A full pipe already holds a wake-up.
		_, _ = unix.Write(s.wake[1], []byte{0})
	}
}

// reclaim runs in its own goroutine from New until Drain. While tokens
// are owed, it waits in poll(2) for one to be free and takes it. The
// client races it for each token a finished job returns (make pselect()s
// on the same pipe); waiting in poll, not sleeping between tries, is what
// wins most of those races (probe-facts.md section 3), and a race lost
// only starts one more job, after which the next token returned is tried.
func (s *Server) reclaim() {
	defer close(s.done)
	buf := make([]byte, 64)
	var wakeBuf [64]byte
	for {
		s.mu.Lock()
		stop, owed := s.stop, s.owed()
		s.mu.Unlock()
		if stop {
			return
		}
		fds := []unix.PollFd{{Fd: int32(s.wake[0]), Events: unix.POLLIN}, {Fd: int32(s.fd), Events: unix.POLLIN}}
		if owed == 0 {
			fds = fds[:1]
		}
		if _, err := unix.Poll(fds, -1); err != nil && err != unix.EINTR {
			s.fail(fmt.Errorf("jobserver: waiting for tokens: %w", err))
			return
		}
		if fds[0].Revents != 0 {
			_, _ = unix.Read(s.wake[0], wakeBuf[:])
		}
		if len(fds) == 2 && fds[1].Revents != 0 {
			if err := s.take(buf); err != nil {
				s.fail(err)
				return
			}
		}
	}
}

// take reads up to the owed number of tokens out of the pool. The read is
// non-blocking: EAGAIN means the client was quicker.
func (s *Server) take(buf []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	owed := s.owed()
	if owed == 0 || s.stop {
		return nil
	}
	n, err := unix.Read(s.fd, buf[:min(owed, len(buf))])
	if n > 0 {
		s.tokens -= n
	}
	if err != nil && err != unix.EAGAIN && err != unix.EINTR {
		return fmt.Errorf("jobserver: taking tokens back: %w", err)
	}
	return nil
}

func (s *Server) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}
