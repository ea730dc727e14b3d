// Package interrupt turns the signals that end a jtune session into what
// the session needs: a context that the first SIGINT, SIGTERM or SIGHUP
// cancels, so the running build is stopped and the best result so far is
// saved and printed, and a channel that the second one closes, so the
// build is killed at once. SIGPIPE is ignored, so that a reader of jtune's
// output that goes away (jtune ... 2>&1 | head) cannot kill jtune in the
// middle of a build: the state file is the record.
package interrupt

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// Signals is how a session hears that it must stop.
type Signals struct {
	// Ctx is cancelled by the first signal.
	Ctx context.Context
	// Insist is closed by the second.
	Insist <-chan struct{}

	mu    sync.Mutex
	first syscall.Signal
	sigc  chan os.Signal
	done  chan struct{}
	stop  context.CancelFunc
}

// Grace is how long jtune waits, after the second signal, for the build
// to die and the state to be saved before it exits regardless, with
// 128 + the first signal's number.
const Grace = 10 * time.Second

// Listen starts listening; notes go to stderr. Stop ends it.
func Listen(stderr io.Writer) *Signals { return listen(stderr, os.Exit, Grace) }

func listen(stderr io.Writer, exit func(int), grace time.Duration) *Signals {
	ctx, cancel := context.WithCancel(context.Background())
	signal.Ignore(syscall.SIGPIPE)
	insist := make(chan struct{})
	s := &Signals{Ctx: ctx, Insist: insist, sigc: make(chan os.Signal, 2), done: make(chan struct{}), stop: cancel}
	signal.Notify(s.sigc, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		select {
		case sig := <-s.sigc:
			s.mu.Lock()
			s.first = sig.(syscall.Signal)
			s.mu.Unlock()
		case <-s.done:
			return
		}
		fmt.Fprintln(stderr, "\njtune: stopping the build and saving (press Ctrl-C again to kill the build at once)")
		cancel()
		select {
		case <-s.sigc:
			fmt.Fprintln(stderr, "jtune: killing the build")
			close(insist)
			time.AfterFunc(grace, func() { exit(128 + int(s.first)) })
		case <-s.done:
		}
	}()
	return s
}

// Received is the first signal, once there was one.
func (s *Signals) Received() (syscall.Signal, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first, s.first != 0
}

// Stop stops listening and cancels Ctx.
func (s *Signals) Stop() {
	signal.Stop(s.sigc)
	close(s.done)
	s.stop()
}
