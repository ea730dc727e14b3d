package jobserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// DrainTimeout bounds Close's wait for tokens when Drain has not run. A
// client that has exited has written back every token it was going to;
// the wait is for processes that are still exiting.
const DrainTimeout = 2 * time.Second

// AccountError reports that the tokens read back from a drained pool are
// not the tokens that were in circulation. A client killed while it holds
// tokens loses them (GNU make 4.4 also drops them when it is interrupted);
// a client that writes bytes it never read adds some.
type AccountError struct {
	Out  int // tokens in circulation when Drain began
	Back int // tokens read back
}

// Missing returns the tokens that did not come back.
func (e *AccountError) Missing() int { return max(e.Out-e.Back, 0) }

// Extra returns the tokens that came back beyond those handed out.
func (e *AccountError) Extra() int { return max(e.Back-e.Out, 0) }

func (e *AccountError) Error() string {
	if e.Back < e.Out {
		return fmt.Sprintf("jobserver: %d of %d tokens did not come back", e.Out-e.Back, e.Out)
	}
	return fmt.Sprintf("jobserver: %d tokens came back, %d more than the %d handed out", e.Back, e.Back-e.Out, e.Out)
}

// Drain takes every token in circulation out of the pool and checks the
// account; call it after the last client has exited, for a client still
// running would starve. It waits until all tokens are back or ctx is done
// and returns an *AccountError if tokens are missing or extra. Give ctx a
// deadline: the tokens of a killed client never come back. Afterwards the
// pool no longer changes (SetJobs and InFlight return ErrClosed); Close
// must still be called.
func (s *Server) Drain(ctx context.Context) error {
	s.mu.Lock()
	if s.drained {
		s.mu.Unlock()
		return ErrClosed
	}
	s.drained, s.stop = true, true
	s.interrupt()
	out := s.tokens
	s.mu.Unlock()
	defer close(s.drainDone)
	<-s.done

	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() { s.interrupt(); close(fired) })
	back, err := s.readBack(ctx, out)
	if !stop() {
		<-fired
	}

	s.mu.Lock()
	s.tokens = max(out-back, 0)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if back != out {
		return &AccountError{Out: out, Back: back}
	}
	return nil
}

// readBack reads tokens out of the pool until out of them have come and
// the pool is empty, or ctx is done; it returns how many it read.
func (s *Server) readBack(ctx context.Context, out int) (int, error) {
	buf := make([]byte, 256)
	var wakeBuf [64]byte
	back := 0
	for {
		n, err := unix.Read(s.fd, buf)
		if n > 0 {
			back += n
			continue
		}
		if err != nil && err != unix.EAGAIN && err != unix.EINTR {
			return back, fmt.Errorf("jobserver: reading tokens back: %w", err)
		}
		if err == unix.EINTR {
			continue
		}
		// The pool is empty (EAGAIN; no end-of-file can come while the
		// Server holds it open for writing).
		if back >= out || ctx.Err() != nil {
			return back, nil
		}
		fds := []unix.PollFd{{Fd: int32(s.wake[0]), Events: unix.POLLIN}, {Fd: int32(s.fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, -1); err != nil && err != unix.EINTR {
			return back, fmt.Errorf("jobserver: waiting for tokens: %w", err)
		}
		if fds[0].Revents != 0 {
			_, _ = unix.Read(s.wake[0], wakeBuf[:])
		}
	}
}

// Close drains the pool if Drain has not run, waiting at most
// DrainTimeout, then closes every descriptor and removes the fifo and its
// directory. It returns Drain's error, if it ran Drain, joined with any
// error from closing. Calling it again does nothing.
func (s *Server) Close() error {
	s.mu.Lock()
	closed, drained := s.closed, s.drained
	s.closed = true
	s.mu.Unlock()
	if closed {
		return nil
	}
	var err error
	if drained {
		<-s.drainDone
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), DrainTimeout)
		err = s.Drain(ctx)
		cancel()
		if errors.Is(err, ErrClosed) {
			// Another goroutine's Drain began first.
			<-s.drainDone
			err = nil
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(err, s.release())
}
