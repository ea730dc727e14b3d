package probe

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// streams carries a build's stdout and stderr through pipes that jtune
// reads itself. The build gets the pipes' write ends as *os.File, so
// exec.Cmd.Wait returns when the leader exits, not when the last process
// holding the pipes closes them (a daemon the build started can hold them
// for ever): the build's time is the leader's.
type streams struct {
	read  [2]*os.File // jtune's read ends
	write [2]*os.File // the build's write ends, closed in jtune once it started
	wg    sync.WaitGroup
	eof   chan struct{} // closed once both copies have ended
}

// newStreams makes the two pipes and starts copying each to its writer,
// which must not block for long and whose errors are ignored: the copy
// goes on to the end, so the build never writes to a pipe no one reads.
func newStreams(stdout, stderr io.Writer) (*streams, error) {
	s := &streams{eof: make(chan struct{})}
	for i := range 2 {
		r, w, err := os.Pipe()
		if err != nil {
			s.closeAll()
			return nil, fmt.Errorf("making the build's output pipes: %w", err)
		}
		s.read[i], s.write[i] = r, w
	}
	for i, w := range []io.Writer{stdout, stderr} {
		s.wg.Go(func() { copyAll(w, s.read[i]) })
	}
	go func() {
		s.wg.Wait()
		close(s.eof)
	}()
	return s, nil
}

// copyAll copies r to w until r ends or is closed; w's errors are ignored.
func copyAll(w io.Writer, r *os.File) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			_, _ = w.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// started closes jtune's copies of the write ends, once the build has
// them: the copies then end when the build's processes have all closed
// theirs.
func (s *streams) started() {
	for i, w := range s.write {
		if w != nil {
			_ = w.Close()
			s.write[i] = nil
		}
	}
}

// finish waits up to bound for the end of both streams, then closes the
// read ends, which ends the copies, and waits for them. It reports whether
// the streams ended by themselves: false means a process jtune could not
// find still held them.
func (s *streams) finish(bound time.Duration) bool {
	s.started()
	ended := true
	select {
	case <-s.eof:
	case <-time.After(bound):
		ended = false
	}
	s.closeAll()
	<-s.eof
	return ended
}

func (s *streams) closeAll() {
	for _, f := range append(s.read[:], s.write[:]...) {
		if f != nil {
			_ = f.Close()
		}
	}
}

// passThrough writes to the user's writer, then to the scanners. A
// failing user writer (a closed terminal, a reader that went away) is
// dropped, so that the scanners still see everything and the build is
// not disturbed.
type passThrough struct {
	mu   sync.Mutex
	user io.Writer // nil once it failed
	scan io.Writer
}

func (p *passThrough) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.user != nil {
		if _, err := p.user.Write(b); err != nil {
			p.user = nil
		}
	}
	return p.scan.Write(b)
}
