package probe

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
	b := make([]byte, distccStateSize)
	put := func(off int, v uint64) {
		if wordSize == 8 {
			binary.NativeEndian.PutUint64(b[off:], v)
		} else {
			binary.NativeEndian.PutUint32(b[off:], uint32(v))
		}
	}
	put(0, uint64(distccStateSize))
	put(wordSize, distccStateMagic)
	put(2*wordSize, pid)
	off := 3 * wordSize
	copy(b[off:off+distccStateName], file)
	copy(b[off+distccStateName:], host)
	binary.NativeEndian.PutUint32(b[off+2*distccStateName+4:], uint32(phase))
	return b
}

func TestParseDistccState(t *testing.T) {
	good := binstate(4242, "crc.c", "10.213.1.2", distccPhaseComp)
	badMagic := slices.Clone(good)
	badMagic[wordSize] ^= 0xff
	tests := []struct {
		name string
		b    []byte
		ok   bool
		want distccTask
	}{
		{"compile on a farm host", good, true, distccTask{pid: 4242, file: "crc.c", host: "10.213.1.2", phase: distccPhaseComp}},
		{"local compile", binstate(7, "a.c", "localhost", distccPhaseComp), true, distccTask{pid: 7, file: "a.c", host: "localhost", phase: distccPhaseComp}},
		{"wrong magic", badMagic, false, distccTask{}},
		{"short (half-written)", good[:100], false, distccTask{}},
		{"empty", nil, false, distccTask{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseDistccState(tt.b)
			if ok != tt.ok || got != tt.want {
				t.Errorf("parseDistccState = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestStateWatcherCountsCompilesByHost(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	w := watchDistccState(dir)
	write := func(pid uint64, file, host string, phase int) {
		t.Helper()
		name := filepath.Join(dir, "binstate_"+filepath.Base(file)+"_"+host)
		if err := os.WriteFile(name, binstate(pid, file, host, phase), 0o644); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * statePollEvery) // distcc keeps each phase a while
	}
	write(1, "a.c", "10.0.0.2", 2) // connect: not yet a compile
	write(1, "a.c", "10.0.0.2", distccPhaseComp)
	write(1, "a.c", "10.0.0.2", distccPhaseRecv)  // the same compile again
	write(2, "b.c", "10.0.0.3", 2)                // connected to a host that then refused,
	write(2, "b.c", "localhost", distccPhaseComp) // and compiled locally
	write(3, "c.c", "10.0.0.2", distccPhaseComp)
	got := w.Stop()
	want := map[string]int{"10.0.0.2": 2, "localhost": 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("compiles by host %v, want %v", got, want)
	}
}

func TestDistccDirIsFreshPerBuild(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".distcc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".distcc", "hosts"), []byte("10.0.0.2/4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env, dir, cleanup, err := distccDir([]string{"HOME=" + home})
	if err != nil {
		t.Fatal(err)
	}
	if lookupEnv(env, "DISTCC_DIR") != dir {
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
	env, dir, cleanup, err = distccDir([]string{"DISTCC_DIR=" + own})
	if err != nil || dir != own || lookupEnv(env, "DISTCC_DIR") != own {
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
