package probe

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jtune/jtune/tuner"
)

func TestIsCompileLine(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"cc -std=gnu11 -Wall -O3 -MMD -MP -c -o obj/fft.o src/fft.c", true},      // make echoing a pattern rule
		{"distcc gcc -O2 -pipe -march=core2 -c foo.c -o foo.o", true},             // CC="distcc gcc"
		{"  CC      kernel/fork.o", true},                                         // kbuild
		{"  CC [M]  drivers/net/e1000/e1000_main.o", true},                        // kbuild module
		{"  CXX      libfoo_la-bar.lo", true},                                     // automake silent rules
		{"[ 12%] Building C object src/CMakeFiles/foo.dir/a.c.o", true},           // CMake's make
		{"[3/120] Building CXX object src/CMakeFiles/foo.dir/b.cpp.o", true},      // ninja
		{"cc -O3 -g -o cproject obj/a.o obj/b.o -lm", false},                      // the link
		{"  LD      vmlinux.o", false},                                            // kbuild link
		{"mkdir -p obj", false},                                                   // housekeeping
		{"", false},                                                               // empty
		{"-c at the start is not a command", false},                               // no program before -c
		{"distcc[77] Warning: failed to distribute a.c to 127.0.0.1:3699", false}, // distcc's own chatter
	}
	for _, tt := range tests {
		if got := IsCompileLine([]byte(tt.line)); got != tt.want {
			t.Errorf("IsCompileLine(%q) = %v, want %v", tt.line, got, tt.want)
		}
	}
}

func TestCompileCounterSplitsWrites(t *testing.T) {
	var c compileCounter
	// Lines cut across writes, and a last line with no newline.
	for _, p := range []string{"cc -c a", ".c\nmkdir obj\ncc -c b.c\n  C", "C x.o\ncc -", "c last.c"} {
		c.Write([]byte(p))
	}
	if n := c.count(); n != 3 {
		t.Errorf("before flush: %d compile lines, want 3", n)
	}
	c.flush()
	if n := c.count(); n != 4 {
		t.Errorf("after flush: %d compile lines, want 4", n)
	}
}

func TestBuildReportsProgress(t *testing.T) {
	s := script(t, `
i=0; while [ $i -lt 5 ]; do echo "cc -c f$i.c -o f$i.o"; i=$((i+1)); done
echo "distcc[9] Warning: failed to distribute f1.c to 127.0.0.2:3632/4, running locally instead" >&2
echo "  CC      g.o" >&2
sleep 0.3
echo "cc -o prog f0.o f1.o"
`)
	r := quickRunner(s)
	var mu sync.Mutex
	var got []BuildStatus
	r.OnStatus = func(st BuildStatus) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, st)
	}
	m, err := r.Build(context.Background(), tuner.BuildRequest{Jobs: 3})
	if err != nil {
		t.Fatal(err)
	}
	if m.CompileLines != 6 {
		t.Errorf("measured %d compile lines, want 6", m.CompileLines)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) < 2 {
		t.Fatalf("%d progress reports in a 0.3 s build sampled every 20 ms", len(got))
	}
	last := got[len(got)-1]
	if last.Jobs != 3 || last.CompileLines != 6 || last.DistccFailures != 1 || last.Elapsed < 200*time.Millisecond {
		t.Errorf("last report %+v, want -j3, 6 compile lines, 1 distcc failure, >= 0.2 s", last)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Elapsed < got[i-1].Elapsed || got[i].CompileLines < got[i-1].CompileLines {
			t.Errorf("reports go backwards: %+v then %+v", got[i-1], got[i])
		}
	}
	if !strings.Contains(m.StderrTail, "CC      g.o") {
		t.Errorf("the counter took output from the scanner: tail %q", m.StderrTail)
	}
}

func TestOwnJobs(t *testing.T) {
	tests := []struct {
		command []string
		want    string
	}{
		{[]string{"make", "-j4"}, "-j4"},
		{[]string{"make", "-C", "dir", "--jobs=8", "all"}, "--jobs=8"},
		{[]string{"pump", "make", "-kj3"}, "-kj3"},
		{[]string{"ninja", "-C", "build", "-j", "6"}, "-j"},
		{[]string{"make", "-j{N}"}, ""}, // jtune fills it in
		{[]string{"make", "CC=distcc gcc"}, ""},
		{[]string{"sh", "-c", "make -j4"}, ""}, // jtune appends nothing there
	}
	for _, tt := range tests {
		got, _ := OwnJobs(tt.command)
		if got != tt.want {
			t.Errorf("OwnJobs(%q) = %q, want %q", tt.command, got, tt.want)
		}
	}
}
