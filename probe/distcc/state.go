package distcc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// This file reads distcc's per-compile state files to see which host ran
// each compile.

// distcc's struct dcc_task_state (src/state.h), as the client writes it
// to $DISTCC_DIR/state/binstate_<pid> in native layout on every phase
// change: size_t struct_size; unsigned long magic; unsigned long cpid;
// char file[128]; char host[128]; int slot; enum dcc_phase curr_phase;
// struct dcc_task_state *next.
const (
	stateMagic   = 0x44494800 // "DIH\0"
	stateNameLen = 128
	phaseCompile = 5 // DCC_PHASE_COMPILE
	phaseReceive = 6 // DCC_PHASE_RECEIVE
	statePrefix  = "binstate_"
)

var (
	wordSize  = int(unsafe.Sizeof(uintptr(0)))
	stateSize = 3*wordSize + 2*stateNameLen + 4 + 4 + wordSize
)

// task is what one state file says.
type task struct {
	pid   uint64
	file  string
	host  string
	phase int
}

// parseState decodes one binstate file; ok is false for a file of
// another size or magic (another distcc build, or a half-written file).
func parseState(b []byte) (task, bool) {
	if len(b) != stateSize {
		return task{}, false
	}
	word := func(off int) uint64 {
		if wordSize == 8 {
			return binary.NativeEndian.Uint64(b[off:])
		}
		return uint64(binary.NativeEndian.Uint32(b[off:]))
	}
	if word(0) != uint64(stateSize) || word(wordSize) != stateMagic {
		return task{}, false
	}
	cstr := func(s []byte) string {
		if i := bytes.IndexByte(s, 0); i >= 0 {
			s = s[:i]
		}
		return string(s)
	}
	off := 3 * wordSize
	t := task{pid: word(2 * wordSize), file: cstr(b[off : off+stateNameLen]), host: cstr(b[off+stateNameLen : off+2*stateNameLen])}
	t.phase = int(int32(binary.NativeEndian.Uint32(b[off+2*stateNameLen+4:])))
	return t, true
}

// StateWatcher counts, per host, the compiles distcc's clients ran
// there, from their state files. distcc deletes a client's file when the
// client exits, so the files are read as they change: on inotify's
// close-after-write, with a scan of the directory every pollEvery as a
// fallback and a last scan at the end.
type StateWatcher struct {
	dir  string
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	// ran maps "pid file" to the host that compiled it: a client that
	// fails over from a dead host to another is counted once, where the
	// compile ran.
	ran map[string]string
	// running maps a state file's name to the compile ("pid file") it
	// held when last read; finished holds the compiles whose file then
	// went away or moved on to another compile.
	running  map[string]string
	finished map[string]bool
}

const statePollEvery = 100 * time.Millisecond

// WatchState starts watching the state files in distccDir (a DISTCC_DIR),
// creating its state directory so that inotify has something to watch
// before the first client starts.
func WatchState(distccDir string) *StateWatcher {
	dir := filepath.Join(distccDir, "state")
	w := &StateWatcher{dir: dir, stop: make(chan struct{}), done: make(chan struct{}), ran: map[string]string{},
		running: map[string]string{}, finished: map[string]bool{}}
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
func (w *StateWatcher) inotify() <-chan string {
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
				if s := string(bytes.TrimRight(name, "\x00")); strings.HasPrefix(s, statePrefix) {
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

func (w *StateWatcher) scan() {
	entries, _ := os.ReadDir(w.dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), statePrefix) {
			w.read(e.Name())
		}
	}
}

func (w *StateWatcher) read(name string) {
	f, err := os.Open(filepath.Join(w.dir, name))
	if err != nil {
		return // the client exited and removed it
	}
	b, err := io.ReadAll(io.LimitReader(f, int64(stateSize)+1))
	f.Close()
	if err != nil {
		return
	}
	t, ok := parseState(b)
	// Only the compile phases say where the compile runs; the host of the
	// connect phase may be one that then refused.
	if !ok || t.host == "" || (t.phase != phaseCompile && t.phase != phaseReceive) {
		return
	}
	key := fmt.Sprintf("%d %s", t.pid, t.file)
	w.mu.Lock()
	w.ran[key] = t.host
	if old, ok := w.running[name]; ok && old != key {
		w.finished[old] = true
	}
	w.running[name] = key
	w.mu.Unlock()
}

// Finished returns the compiles that distcc's clients have run and
// finished so far: those seen compiling whose client then removed its
// state file (distcc does when it exits). It is exact for the compiles it
// saw; a client that starts and ends between two looks is not seen at
// all (the watch is driven by inotify, with a scan every 100 ms as a
// fallback). Safe to call while the watch runs.
func (w *StateWatcher) Finished() int {
	w.mu.Lock()
	running := maps.Clone(w.running)
	w.mu.Unlock()
	for name := range running {
		if _, err := os.Lstat(filepath.Join(w.dir, name)); !errors.Is(err, os.ErrNotExist) {
			delete(running, name)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for name, key := range running {
		// Unless a new compile took the name meanwhile.
		if w.running[name] == key {
			w.finished[key] = true
			delete(w.running, name)
		}
	}
	return len(w.finished)
}

// Stop ends the watch and returns the compiles seen per host ("localhost"
// for local ones), or nil when there were none.
func (w *StateWatcher) Stop() map[string]int {
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
