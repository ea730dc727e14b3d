package interrupt

import (
	"bytes"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// TestTwoSignals sends jtune's own process a SIGHUP, as a closed terminal
// does, then a SIGTERM: the first cancels the context and is remembered
// for the exit code, the second demands the kill, and if the session then
// hangs, jtune exits with 128 + the first signal.
func TestTwoSignals(t *testing.T) {
	var stderr syncBuffer
	exited := make(chan int, 1)
	s := listen(&stderr, func(code int) { exited <- code }, 50*time.Millisecond)
	defer s.Stop()
	if _, ok := s.Received(); ok {
		t.Fatal("a signal was received before any was sent")
	}
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	select {
	case <-s.Ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SIGHUP did not cancel the context")
	}
	if sig, ok := s.Received(); !ok || sig != syscall.SIGHUP {
		t.Errorf("Received() = %v, %v", sig, ok)
	}
	select {
	case <-s.Insist:
		t.Fatal("one signal demanded the kill")
	default:
	}
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	select {
	case <-s.Insist:
	case <-time.After(5 * time.Second):
		t.Fatal("the second signal did not demand the kill")
	}
	select {
	case code := <-exited:
		if code != 129 {
			t.Errorf("exit code %d, want 129 (128 + SIGHUP)", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no exit after the grace period")
	}
}

// TestSIGPIPEIsIgnored runs this test binary again as a child whose stdout
// is a pipe nobody reads: once listening, its write to stdout must fail
// with EPIPE instead of the kernel's SIGPIPE killing it, as it kills a Go
// program that writes to a broken stdout.
func TestSIGPIPEIsIgnored(t *testing.T) {
	if os.Getenv("JTUNE_INTERRUPT_CHILD") == "1" {
		s := Listen(os.Stderr)
		defer s.Stop()
		if _, err := os.Stdout.Write([]byte("x\n")); err == nil {
			os.Exit(3) // the reader is gone: the write cannot succeed
		}
		os.Exit(0)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSIGPIPEIsIgnored$")
	cmd.Env = append(os.Environ(), "JTUNE_INTERRUPT_CHILD=1")
	cmd.Stdout = w
	err = cmd.Run()
	w.Close()
	if err != nil {
		t.Errorf("the child with a broken stdout: %v (killed by SIGPIPE?)", err)
	}
}
