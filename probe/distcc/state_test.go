package distcc

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
)

// binstate renders a dcc_task_state as distcc writes it on this machine.
func binstate(pid uint64, file, host string, phase int) []byte {
	b := make([]byte, stateSize)
	put := func(off int, v uint64) {
		if wordSize == 8 {
			binary.NativeEndian.PutUint64(b[off:], v)
		} else {
			binary.NativeEndian.PutUint32(b[off:], uint32(v))
		}
	}
	put(0, uint64(stateSize))
	put(wordSize, stateMagic)
	put(2*wordSize, pid)
	off := 3 * wordSize
	copy(b[off:off+stateNameLen], file)
	copy(b[off+stateNameLen:], host)
	binary.NativeEndian.PutUint32(b[off+2*stateNameLen+4:], uint32(phase))
	return b
}

func TestParseState(t *testing.T) {
	good := binstate(4242, "crc.c", "10.213.1.2", phaseCompile)
	badMagic := slices.Clone(good)
	badMagic[wordSize] ^= 0xff
	tests := []struct {
		name string
		b    []byte
		ok   bool
		want task
	}{
		{"compile on a farm host", good, true, task{pid: 4242, file: "crc.c", host: "10.213.1.2", phase: phaseCompile}},
		{"local compile", binstate(7, "a.c", "localhost", phaseCompile), true, task{pid: 7, file: "a.c", host: "localhost", phase: phaseCompile}},
		{"wrong magic", badMagic, false, task{}},
		{"short (half-written)", good[:100], false, task{}},
		{"empty", nil, false, task{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseState(tt.b)
			if ok != tt.ok || got != tt.want {
				t.Errorf("parseState = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestStateWatcherCountsCompilesByHost(t *testing.T) {
	distccDir := t.TempDir()
	w := WatchState(distccDir)
	dir := filepath.Join(distccDir, "state")
	write := func(pid uint64, file, host string, phase int) {
		t.Helper()
		name := filepath.Join(dir, "binstate_"+filepath.Base(file)+"_"+host)
		if err := os.WriteFile(name, binstate(pid, file, host, phase), 0o644); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * statePollEvery) // distcc keeps each phase a while
	}
	write(1, "a.c", "10.0.0.2", 2) // connect: not yet a compile
	write(1, "a.c", "10.0.0.2", phaseCompile)
	write(1, "a.c", "10.0.0.2", phaseReceive)  // the same compile again
	write(2, "b.c", "10.0.0.3", 2)             // connected to a host that then refused,
	write(2, "b.c", "localhost", phaseCompile) // and compiled locally
	write(3, "c.c", "10.0.0.2", phaseCompile)
	got := w.Stop()
	want := map[string]int{"10.0.0.2": 2, "localhost": 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("compiles by host %v, want %v", got, want)
	}
}

func TestPrepareDirIsFreshPerBuild(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".distcc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".distcc", "hosts"), []byte("10.0.0.2/4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env, dir, cleanup, err := PrepareDir([]string{"HOME=" + home})
	if err != nil {
		t.Fatal(err)
	}
	if getenv(env, "DISTCC_DIR") != dir || LogFile(env) != "" {
		t.Errorf("DISTCC_DIR not set to %s: %q", dir, env)
	}
	// distcc looks for its hosts in $DISTCC_DIR/hosts: the copy keeps a
	// ~/.distcc/hosts user's farm.
	if data, err := os.ReadFile(filepath.Join(dir, "hosts")); err != nil || string(data) != "10.0.0.2/4\n" {
		t.Errorf("hosts in the fresh DISTCC_DIR: %q, %v", data, err)
	}
	cleanup()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the build's DISTCC_DIR is left: %v", err)
	}

	// The user's own DISTCC_DIR is kept; only distcc's backoff goes.
	own := t.TempDir()
	lock := filepath.Join(own, "lock")
	os.MkdirAll(lock, 0o755)
	for _, name := range []string{"backoff_tcp_10.0.0.2_3632_0", "cpu_tcp_10.0.0.2_3632_0"} {
		os.WriteFile(filepath.Join(lock, name), []byte("x"), 0o644)
	}
	env, dir, cleanup, err = PrepareDir([]string{"DISTCC_DIR=" + own, "DISTCC_LOG=/tmp/old.log", "DISTCC_LOG=/tmp/distcc.log"})
	if err != nil || dir != own || getenv(env, "DISTCC_DIR") != own || LogFile(env) != "/tmp/distcc.log" {
		t.Fatalf("with DISTCC_DIR set: dir %s, env %q, %v", dir, env, err)
	}
	cleanup()
	entries, _ := os.ReadDir(lock)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if !slices.Equal(left, []string{"cpu_tcp_10.0.0.2_3632_0"}) {
		t.Errorf("lock dir after: %q, want only the slot lock", left)
	}
}

// TestStateWatcherFinished: a compile counts as finished once its client
// has removed its state file, or its file name moved on to another
// compile; a client still compiling, or one never seen compiling, does
// not count.
func TestStateWatcherFinished(t *testing.T) {
	distccDir := t.TempDir()
	w := WatchState(distccDir)
	defer w.Stop()
	dir := filepath.Join(distccDir, "state")
	write := func(name string, pid uint64, file string, phase int) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), binstate(pid, file, "localhost", phase), 0o644); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * statePollEvery)
	}
	remove := func(name string) {
		t.Helper()
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	write("binstate_1", 1, "a.c", phaseCompile)
	write("binstate_2", 2, "b.c", 2) // connecting: no compile yet
	write("binstate_3", 3, "c.c", phaseReceive)
	if n := w.Finished(); n != 0 {
		t.Errorf("Finished = %d with every client still there, want 0", n)
	}
	remove("binstate_1")
	remove("binstate_2")
	if n := w.Finished(); n != 1 {
		t.Errorf("Finished = %d after a.c's client left, want 1 (b.c never compiled)", n)
	}
	write("binstate_3", 3, "d.c", phaseCompile) // the same client name, another compile
	if n := w.Finished(); n != 2 {
		t.Errorf("Finished = %d after c.c's name moved on to d.c, want 2", n)
	}
	remove("binstate_3")
	if n := w.Finished(); n != 3 {
		t.Errorf("Finished = %d at the end, want 3", n)
	}
}
