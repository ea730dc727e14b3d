package probe

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jtune/jtune/probe/jobserver"
	"github.com/jtune/jtune/tuner"
)

// fakeBin makes a directory of fake programs that print a version line,
// for CheckOnline to detect; it returns an environment whose PATH starts
// there.
func fakeBin(t *testing.T, programs map[string]string) (dir string, env []string) {
	t.Helper()
	dir = t.TempDir()
	for name, version := range programs {
		body := "#!/bin/sh\necho '" + version + "'\n"
		must(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755))
	}
	return dir, append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"))
}

func TestCheckOnline(t *testing.T) {
	bin, env := fakeBin(t, map[string]string{
		"make": "GNU Make 4.4.1", "make-4.3": "GNU Make 4.3", "make-3.81": "GNU Make 3.81",
		"ninja": "1.13.2", "ninja-1.11": "1.11.1", "build.sh": "", "emerge": "",
	})
	tests := []struct {
		name    string
		command []string
		kind    OnlineErrorKind // "" for a plan
		form    jobserver.Form
		via     string
	}{
		{"make 4.4 gets the fifo", []string{"make", "-C", "src", "all"}, "", jobserver.Fifo, ""},
		{"make 4.3 gets the pipe", []string{"make-4.3", "-k"}, "", jobserver.Pipe, ""},
		{"make 3.81 is refused", []string{"make-3.81"}, OnlineNoClient, 0, ""},
		{"ninja 1.13 gets the fifo", []string{"ninja", "-C", "build"}, "", jobserver.Fifo, ""},
		{"ninja 1.11 is no client", []string{"ninja-1.11"}, OnlineNoClient, 0, ""},
		{"no such make", []string{"/nonexistent/make"}, OnlineNoClient, 0, ""},
		{"-j4", []string{"make", "-j4"}, OnlineJobsOption, 0, ""},
		{"-j alone", []string{"make", "all", "-j"}, OnlineJobsOption, 0, ""},
		{"-j in a cluster", []string{"make", "-kj8"}, OnlineJobsOption, 0, ""},
		{"--jobs", []string{"make", "--jobs=3"}, OnlineJobsOption, 0, ""},
		{"a jobserver option", []string{"make", "--jobserver-auth=3,4"}, OnlineJobsOption, 0, ""},
		{"-C's value is no -j", []string{"make", "-C", "-j4"}, "", jobserver.Fifo, ""},
		{"-f's attached value is no -j", []string{"make", "-fj.mk"}, "", jobserver.Fifo, ""},
		{"a variable is no -j", []string{"make", "CFLAGS=-j4"}, "", jobserver.Fifo, ""},
		{"ninja -j 8", []string{"ninja", "-j", "8"}, OnlineJobsOption, 0, ""},
		{"ninja -C's value is no -j", []string{"ninja", "-C", "-j"}, "", jobserver.Fifo, ""},
		{"{N}", []string{"make", "-j{N}"}, OnlinePlaceholder, 0, ""},
		{"behind wrappers", []string{"env", "-u", "X", "CC=distcc gcc", "nice", "-n", "5", "pump", "make"}, "", jobserver.Fifo, ""},
		{"env's PATH finds make 4.3", []string{"env", "PATH=" + t.TempDir() + ":/usr/bin", "make"}, "", jobserver.Pipe, ""},
		{"MAKEFLAGS through env", []string{"env", "MAKEFLAGS=-j4", "make"}, OnlineJobsOption, 0, ""},
		{"a script gets the make on PATH", []string{filepath.Join(bin, "build.sh"), "all"}, "", jobserver.Fifo, "the make on PATH"},
		{"a -j inside sh -c", []string{"sh", "-c", "make -j4 all"}, OnlineJobsOption, 0, ""},
		{"emerge with make 4.4", []string{"emerge", "-1", "dev-libs/foo"}, "", jobserver.Fifo, "emerge"},
		{"emerge --jobs 1", []string{"emerge", "--jobs", "1", "foo"}, "", jobserver.Fifo, "emerge"},
		{"emerge --jobs=3", []string{"emerge", "--jobs=3", "foo"}, OnlineJobsOption, 0, ""},
		{"emerge -avj", []string{"emerge", "-avj", "foo"}, OnlineJobsOption, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := CheckOnline(tt.command, env)
			var oe *OnlineError
			switch {
			case tt.kind == "" && err != nil:
				t.Fatalf("CheckOnline(%q) = %v, want a plan", tt.command, err)
			case tt.kind == "":
				if plan.Form != tt.form || plan.Via != tt.via {
					t.Errorf("CheckOnline(%q) = %v, want the %v form via %q", tt.command, plan, tt.form, tt.via)
				}
				t.Log(plan)
			case !errors.As(err, &oe) || oe.Kind != tt.kind:
				t.Errorf("CheckOnline(%q) = %v, %v; want an OnlineError %s", tt.command, plan, err, tt.kind)
			default:
				t.Log(err)
			}
		})
	}
}

// standInEmerge writes an "emerge" that does what matters of Portage
// here: it closes every descriptor above 2 it inherited, notes the ones
// left in the file fds, and runs the make on PATH. The make on PATH is a
// link to makePath.
func standInEmerge(t *testing.T, makePath string) (emerge string, env []string) {
	t.Helper()
	bin := t.TempDir()
	emerge = filepath.Join(bin, "emerge")
	must(t, os.WriteFile(emerge, []byte(`#!/bin/bash
for fd in $(seq 3 20); do eval "exec $fd>&-"; done
sh -c 'for fd in $(seq 3 20); do [ -e /proc/$PPID/fd/$fd ] && echo $fd; done; true' >fds
exec make
`), 0o755))
	must(t, os.Symlink(makePath, filepath.Join(bin, "make")))
	return emerge, append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
}

// TestLiveThroughEmerge runs make 4.4 under a stand-in emerge that closes
// the descriptors it inherits: the fifo jobserver reaches make all the
// same, and the recipes follow N.
func TestLiveThroughEmerge(t *testing.T) {
	c := needMake44(t)
	dir := t.TempDir()
	const targets = 24
	timedMakefile(t, dir, targets, 0.1, "", "")
	emerge, env := standInEmerge(t, c.Path)
	r := &Runner{Command: []string{emerge, "-1", "dev-libs/foo"}, Dir: dir, Env: env, SampleInterval: 100 * time.Millisecond}
	lr := startLive(t, context.Background(), r, LiveRequest{Jobs: 3})
	if p := lr.live.Plan(); p.Form != jobserver.Fifo || p.Via != "emerge" {
		t.Errorf("plan %v, want the fifo via emerge", p)
	}
	lr.waitFor("3 recipes running", func() bool { return lr.running() == 3 })
	lr.setPhase("3")
	time.Sleep(300 * time.Millisecond)
	lr.setPhase("6") // before the change, so that what follows it counts there
	must(t, lr.live.SetJobs(6))
	res := lr.wait()
	t.Logf("through emerge: %d recipes at once at N=3, %d at N=6", lr.mostIn("3"), lr.mostIn("6"))
	if lr.mostIn("3") != 3 || lr.mostIn("6") > 6 || lr.mostIn("6") < 4 {
		t.Errorf("recipes at once: %d at N=3, %d at N=6", lr.mostIn("3"), lr.mostIn("6"))
	}
	if res.Final.ExitCode != 0 || res.Final.Completed != targets {
		t.Errorf("final %+v, want exit 0 and %d completed", res.Final, targets)
	}
	checkBalanced(t, lr.live, res)
	if fds, err := os.ReadFile(filepath.Join(dir, "fds")); err != nil || len(fds) > 0 {
		t.Errorf("the stand-in emerge kept descriptors open: %q, %v", fds, err)
	}
}

// TestEmergeWithMake43IsRefused: make 4.3 cannot take the fifo, and the
// pipe does not pass emerge; CheckOnline and StartLive say so before
// anything runs.
func TestEmergeWithMake43IsRefused(t *testing.T) {
	c := needMake43(t)
	emerge, env := standInEmerge(t, c.Path)
	dir := t.TempDir()
	r := &Runner{Command: []string{emerge, "-1", "dev-libs/foo"}, Dir: dir, Env: env}
	_, err := CheckOnline(r.Command, env)
	var oe *OnlineError
	if !errors.As(err, &oe) || oe.Kind != OnlineNeedsFifo || !strings.Contains(err.Error(), "4.4") || !strings.Contains(err.Error(), "emerge") {
		t.Fatalf("CheckOnline = %v, want an OnlineError that says emerge needs make 4.4", err)
	}
	t.Log(err)
	if _, err := r.StartLive(context.Background(), LiveRequest{Jobs: 2}); !errors.As(err, &oe) {
		t.Errorf("StartLive = %v, want the same refusal", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "fds")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stand-in emerge ran: %v", err)
	}
	if _, err := (&Runner{Command: []string{"make", "-j4"}}).StartLive(context.Background(), LiveRequest{Jobs: 2}); !errors.As(err, &oe) || oe.Kind != OnlineJobsOption {
		t.Errorf("StartLive of make -j4 = %v, want a refusal", err)
	}
}

func TestLiveEnvAndCommandLine(t *testing.T) {
	env := LiveEnv([]string{"PATH=/bin", "MAKEOPTS=-j8 -l4", "DISTCC_HOSTS=old"}, "a/2 b/4")
	want := []string{"PATH=/bin", "MAKEOPTS=-l4", "DISTCC_HOSTS=a/2 b/4"}
	if !slices.Equal(env, want) {
		t.Errorf("LiveEnv = %q, want %q", env, want)
	}
	if env := LiveEnv([]string{"DISTCC_HOSTS=old"}, ""); !slices.Equal(env, []string{"DISTCC_HOSTS=old"}) {
		t.Errorf("LiveEnv without hosts = %q: the user's DISTCC_HOSTS must stay", env)
	}
	for _, c := range []struct {
		args []string
		load int
		want []string
	}{
		{[]string{"make", "all"}, 3, []string{"make", "all", "-l3"}},
		{[]string{"ninja"}, 2, []string{"ninja", "-l", "2"}},
		{[]string{"make"}, 0, []string{"make"}},
		{[]string{"sh", "-c", "make -l{M}"}, 5, []string{"sh", "-c", "make -l5"}},
		{[]string{"emerge", "foo"}, 3, []string{"emerge", "foo"}},
	} {
		if got := LiveCommandLine(c.args, c.load); !slices.Equal(got, c.want) {
			t.Errorf("LiveCommandLine(%q, %d) = %q, want %q", c.args, c.load, got, c.want)
		}
	}
}

// TestLiveCountsDistccCompletions builds with the real distcc client on
// localhost and recipes that print nothing: the compile lines say
// nothing, and distcc's state files count the compiles done, live and at
// the end.
func TestLiveCountsDistccCompletions(t *testing.T) {
	distcc, err := exec.LookPath("distcc")
	if err != nil {
		t.Skip("distcc is not installed (.ci/run installs it)")
	}
	c := needMake44(t)
	dir := t.TempDir()
	var objs []string
	for i := range 6 {
		name := string(rune('a' + i))
		must(t, os.WriteFile(filepath.Join(dir, name+".c"), []byte("int f_"+name+"(void) { return 1; }\n"), 0o644))
		objs = append(objs, name+".o")
	}
	// A compiler that takes a while, as real ones do: distcc's state
	// file lives as long as the compile, long enough to be seen on a
	// busy machine (a 20 ms compile can start and end between looks).
	cc := filepath.Join(dir, "slowcc")
	must(t, os.WriteFile(cc, []byte("#!/bin/sh\nsleep 0.2\nexec cc \"$@\"\n"), 0o755))
	mk := "all: " + strings.Join(objs, " ") + "\n\t@sleep 0.5\n%.o: %.c\n\t@" + distcc + " " + cc + " -c $< -o $@\n"
	must(t, os.WriteFile(filepath.Join(dir, "Makefile"), []byte(mk), 0o644))
	r := &Runner{Command: []string{c.Path}, Dir: dir, DistccHosts: "localhost/4", SampleInterval: 100 * time.Millisecond}
	lr := startLive(t, context.Background(), r, LiveRequest{Jobs: 3})
	res := lr.wait()
	if res.Final.ExitCode != 0 || res.Measurement.CompileLines != 0 {
		t.Fatalf("exit %d, %d compile lines; want a quiet build that succeeds: %s", res.Final.ExitCode, res.Measurement.CompileLines, res.Measurement.StderrTail)
	}
	if res.Final.Completed != len(objs) {
		t.Errorf("completed %d, want the %d compiles distcc ran", res.Final.Completed, len(objs))
	}
	if !slices.ContainsFunc(lr.counters, func(c tuner.Counters) bool { return !c.Done && c.Completed == len(objs) }) {
		t.Errorf("no reading during the build counted the %d compiles: %+v", len(objs), lr.counters)
	}
	t.Logf("hosts %v", res.Measurement.DistccHostJobs)
}
