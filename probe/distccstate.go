package probe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// This file gives every build the same distcc state, and reads distcc's
// per-compile state files to see which host ran each compile.
//
// distcc remembers a host that failed in $DISTCC_DIR/lock/backoff_* and
// avoids it for DISTCC_BACKOFF_PERIOD (60 s). Carried from one build to
// the next, that memory makes a later build skip a host an earlier one
// saw fail, so the two are not measured on the same farm. A fresh
// DISTCC_DIR per build (or, when the user set DISTCC_DIR, removing the
// backoff files) puts every build on the same footing.

// distccDir makes the DISTCC_DIR one build uses and returns the
// environment that points at it, the directory, and a cleanup to call
// after the build.
//
// Without DISTCC_DIR in env, the build gets a new empty directory, with a
// copy of ~/.distcc/hosts when there is one, since distcc looks for its
// host list in $DISTCC_DIR/hosts. distcc does not create DISTCC_DIR
// itself (it fails with "mkdir .../lock failed"), so it is made here.
//
// With DISTCC_DIR set (Portage sets it to keep its own), that directory
// is kept, since something else may rely on it, and only its backoff
// files are removed.
func distccDir(env []string) (newEnv []string, dir string, cleanup func(), err error) {
	if d := lookupEnv(env, "DISTCC_DIR"); d != "" {
		if err := clearBackoff(d); err != nil {
			return env, d, func() {}, err
		}
		return env, d, func() {}, nil
	}
	dir, err = os.MkdirTemp("", "jtune-distcc-")
	if err != nil {
		return env, "", func() {}, fmt.Errorf("making a DISTCC_DIR for the build: %w", err)
	}
	if home := lookupEnv(env, "HOME"); home != "" {
		if data, err := os.ReadFile(filepath.Join(home, ".distcc", "hosts")); err == nil {
			_ = os.WriteFile(filepath.Join(dir, "hosts"), data, 0o644)
		}
	}
	newEnv = append(append([]string(nil), env...), "DISTCC_DIR="+dir)
	return newEnv, dir, func() { os.RemoveAll(dir) }, nil
}

// clearBackoff removes distcc's backoff timefiles from dir/lock, so a
// host that failed in an earlier build is tried again from the start.
func clearBackoff(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "lock", "backoff_*"))
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("clearing distcc's backoff before the build: %w", err)
		}
	}
	return nil
}

// distcc's struct dcc_task_state (src/state.h), as the client writes it
// to $DISTCC_DIR/state/binstate_<pid> in native layout on every phase
// change: size_t struct_size; unsigned long magic; unsigned long cpid;
// char file[128]; char host[128]; int slot; enum dcc_phase curr_phase;
// struct dcc_task_state *next.
const (
	distccStateMagic  = 0x44494800 // "DIH\0"
	distccStateName   = 128
	distccPhaseComp   = 5 // DCC_PHASE_COMPILE
	distccPhaseRecv   = 6 // DCC_PHASE_RECEIVE
	distccStatePrefix = "binstate_"
)

var (
	wordSize        = int(unsafe.Sizeof(uintptr(0)))
	distccStateSize = 3*wordSize + 2*distccStateName + 4 + 4 + wordSize
)

// distccTask is what one state file says.
type distccTask struct {
	pid   uint64
	file  string
	host  string
	phase int
}

// parseDistccState decodes one binstate file; ok is false for a file of
// another size or magic (another distcc build, or a half-written file).
func parseDistccState(b []byte) (distccTask, bool) {
	if len(b) != distccStateSize {
		return distccTask{}, false
	}
	word := func(off int) uint64 {
		if wordSize == 8 {
			return binary.NativeEndian.Uint64(b[off:])
		}
		return uint64(binary.NativeEndian.Uint32(b[off:]))
	}
	if word(0) != uint64(distccStateSize) || word(wordSize) != distccStateMagic {
		return distccTask{}, false
	}
	cstr := func(s []byte) string {
		if i := bytes.IndexByte(s, 0); i >= 0 {
			s = s[:i]
		}
		return string(s)
	}
	off := 3 * wordSize
	t := distccTask{pid: word(2 * wordSize), file: cstr(b[off : off+distccStateName]), host: cstr(b[off+distccStateName : off+2*distccStateName])}
	t.phase = int(int32(binary.NativeEndian.Uint32(b[off+2*distccStateName+4:])))
	return t, true
}

// stateWatcher counts, per host, the compiles distcc's clients ran
// there, from their state files. distcc deletes a client's file when the
// client exits, so the files are read as they change: on inotify's
// close-after-write, with a scan of the directory every pollEvery as a
// fallback and a last scan at the end.
type stateWatcher struct {
	dir  string
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	// ran maps "pid file" to the host that compiled it: a client that
	// fails over from a dead host to another is counted once, where the
	// compile ran.
	ran map[string]string
}

const statePollEvery = 100 * time.Millisecond

// watchDistccState starts watching dir ($DISTCC_DIR/state), creating it
// so that inotify has something to watch before the first client starts.
func watchDistccState(dir string) *stateWatcher {
	w := &stateWatcher{dir: dir, stop: make(chan struct{}), done: make(chan struct{}), ran: map[string]string{}}
	_ = os.MkdirAll(dir, 0o755)
	events := w.inotify()
	go func() {
		defer close(w.done)
		tick := time.NewTicker(statePollEvery)
		defer tick.Stop()
		for {
			select {
			case <-w.stop:
				w.scan()
				return
			case name := <-events:
				w.read(name)
			case <-tick.C:
				w.scan()
			}
		}
	}()
	return w
}

// inotify returns the names of state files as they are written, or nil
// when inotify is not available (the ticker then does the work).
func (w *stateWatcher) inotify() <-chan string {
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		return nil
	}
	if _, err := syscall.InotifyAddWatch(fd, w.dir, syscall.IN_CLOSE_WRITE); err != nil {
		syscall.Close(fd)
		return nil
	}
	// A non-blocking fd goes through Go's poller, so Close below wakes
	// the blocked Read.
	f := os.NewFile(uintptr(fd), "inotify")
	out := make(chan string, 256)
	go func() {
		<-w.stop
		f.Close()
	}()
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := f.Read(buf)
			if err != nil {
				return
			}
			for off := 0; off+syscall.SizeofInotifyEvent <= n; {
				ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := buf[off+syscall.SizeofInotifyEvent : off+syscall.SizeofInotifyEvent+int(ev.Len)]
				off += syscall.SizeofInotifyEvent + int(ev.Len)
				if s := string(bytes.TrimRight(name, "\x00")); strings.HasPrefix(s, distccStatePrefix) {
					select {
					case out <- s:
					case <-w.stop:
						return
					}
				}
			}
		}
	}()
	return out
}

func (w *stateWatcher) scan() {
	entries, _ := os.ReadDir(w.dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), distccStatePrefix) {
			w.read(e.Name())
		}
	}
}

func (w *stateWatcher) read(name string) {
	f, err := os.Open(filepath.Join(w.dir, name))
	if err != nil {
		return // the client exited and removed it
	}
	b, err := io.ReadAll(io.LimitReader(f, int64(distccStateSize)+1))
	f.Close()
	if err != nil {
		return
	}
	t, ok := parseDistccState(b)
	// Only the compile phases say where the compile runs; the host of the
	// connect phase may be one that then refused.
	if !ok || t.host == "" || (t.phase != distccPhaseComp && t.phase != distccPhaseRecv) {
		return
	}
	w.mu.Lock()
	w.ran[fmt.Sprintf("%d %s", t.pid, t.file)] = t.host
	w.mu.Unlock()
}

// Stop ends the watch and returns the compiles seen per host ("localhost"
// for local ones), or nil when there were none.
func (w *stateWatcher) Stop() map[string]int {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.ran) == 0 {
		return nil
	}
	out := map[string]int{}
	for _, h := range w.ran {
		out[h]++
	}
	return out
}
