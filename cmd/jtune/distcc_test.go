package main

// End-to-end tests on the real engine: the jtune binary drives real distcc
// clients against real distccd daemons, each in a network namespace of a
// test farm (examples/testfarm/testfarm.sh) on this machine. They need
// root; without it they are skipped with the reason, and under CI=true a
// missing prerequisite fails them instead, so CI cannot pass by skipping.

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jtune/jtune/cmd/jtune/internal/session"
)

var farmScript, _ = filepath.Abs(filepath.Join("..", "..", "examples", "testfarm", "testfarm.sh"))

// farmObjects are the objects the farm tests build: a third of the
// example project, enough for every host to get work, small enough that
// a build takes seconds.
var farmObjects = []string{"obj/matrix.o", "obj/sort.o", "obj/hash.o", "obj/crc.o", "obj/bigint.o", "obj/fft.o",
	"obj/stats.o", "obj/codec.o", "obj/compress.o", "obj/sha256.o", "obj/md5.o", "obj/graph.o"}

// missing skips the test, or fails it under CI=true, where the
// prerequisites are installed by .ci/run and a skip would hide a broken
// setup.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and a prerequisite of the real-distcc tests is missing: %s", msg)
	}
	t.Skipf("skipping the real-distcc test: %s", msg)
}

func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing(t, "%s is not installed (.ci/run installs distcc, distcc-pump, ccache and iproute2)", tool)
		}
	}
}

// requireFarm checks what a test farm needs: root, the tools, and network
// namespaces that work (a root user in an unprivileged container has
// none).
func requireFarm(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the real-distcc farm tests take about a minute")
	}
	if os.Geteuid() != 0 {
		missing(t, "it needs root to create network namespaces, veth pairs and cgroups for the test farm; run go test as root (CI does)")
	}
	requireTools(t, "ip", "distcc", "distccd", "make", "gcc", "bash")
	probe := "jtprobe" + uniqueSuffix(t)
	if out, err := exec.Command("ip", "netns", "add", probe).CombinedOutput(); err != nil {
		missing(t, "network namespaces do not work here: ip netns add: %v: %s", err, out)
	}
	exec.Command("ip", "netns", "del", probe).Run()
}

func uniqueSuffix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)[:7]
}

// testFarm is a farm brought up for one test.
type testFarm struct {
	name  string
	spec  string   // DISTCC_HOSTS, as the farm printed it
	addrs []string // host addresses, in list order
	dir   string   // the farm's state directory
}

// upFarm brings up k hosts with testfarm.sh options; it is torn down when
// the test ends, whatever happened. The name is unique per call, so
// packages and test runs in parallel cannot collide.
func upFarm(t *testing.T, k int, opts ...string) testFarm {
	t.Helper()
	name := "jt" + uniqueSuffix(t)
	f := testFarm{name: name, dir: "/run/jtune-testfarm/" + name}
	t.Cleanup(func() {
		out, err := exec.Command("bash", farmScript, "down", "--name", name).CombinedOutput()
		if err != nil {
			t.Errorf("testfarm down: %v\n%s", err, out)
		}
		// Nothing the farm made may be left behind.
		if out, _ := exec.Command("ip", "-o", "link", "show").Output(); bytes.Contains(out, []byte(name+"h")) {
			t.Errorf("veth of farm %s left after down:\n%s", name, out)
		}
		if out, _ := exec.Command("ip", "netns", "list").Output(); bytes.Contains(out, []byte(name+"-h")) {
			t.Errorf("namespaces of farm %s left after down:\n%s", name, out)
		}
	})
	cmd := exec.Command("bash", append([]string{farmScript, "up", fmt.Sprint(k), "--name", name}, opts...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("testfarm up: %v\n%s", err, stderr.String())
	}
	f.spec = strings.TrimSpace(string(out))
	for _, h := range strings.Fields(f.spec) {
		addr, _, _ := strings.Cut(h, "/")
		f.addrs = append(f.addrs, addr)
	}
	if len(f.addrs) != k {
		t.Fatalf("testfarm printed %q, want %d hosts", f.spec, k)
	}
	return f
}

// served is the number of compiles host i (from 1) ran, from its
// distccd's log: one job summary line per compile.
func (f testFarm) served(t *testing.T, i int) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(f.dir, "log", fmt.Sprintf("h%d.log", i)))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(data, []byte("COMPILE_OK"))
}

func (f testFarm) killHost(t *testing.T, i int) {
	t.Helper()
	if out, err := exec.Command("bash", farmScript, "kill-host", fmt.Sprint(i), "--name", f.name).CombinedOutput(); err != nil {
		t.Fatalf("kill-host %d: %v\n%s", i, err, out)
	}
}

// copyProject copies the example project's sources into a temporary
// directory, so tests do not build in the tree and can run at once.
func copyProject(t *testing.T) fixture {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "..", "examples", "cproject")
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, "obj"))
	os.Remove(filepath.Join(dir, "cproject"))
	return fixture{dir: dir, state: filepath.Join(t.TempDir(), "state.json")}
}

// distccMake is the build command: the farm objects with distcc as the
// compiler; jtune appends -jN -lM.
func distccMake(cc string) []string {
	return append([]string{"make", "-s", "CC=" + cc, "CFLAGS=-O1"}, farmObjects...)
}

// tuneOnFarm runs jtune over a grid of builds and returns its JSON report.
func tuneOnFarm(t *testing.T, f fixture, env []string, args ...string) (session.Record, string) {
	t.Helper()
	// No early abort: every build runs to the end, so each can be checked.
	base := []string{"--json", "--no-early-abort", "--load", "0", "--max-temp", "0", "--sample-interval", "200ms", "--state", f.state,
		"--strategy", "grid", "--prepare", "make -s clean"}
	stdout, stderr, code := f.jtune(t, env, append(base, args...)...)
	if code != 0 {
		t.Fatalf("jtune exit %d\nstderr:\n%s", code, stderr)
	}
	var r session.Record
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, stdout)
	}
	return r, stderr
}

func TestDistccFarmCompilesRemotely(t *testing.T) {
	requireFarm(t)
	farm := upFarm(t, 2, "--jobs", "4")
	proj := copyProject(t)
	r, stderr := tuneOnFarm(t, proj, nil, append([]string{"--hosts", farm.spec, "--min", "2", "--max", "17", "--budget", "2", "--"},
		distccMake("distcc gcc")...)...)
	if len(r.Trials) != 2 || r.Trials[0].Jobs != 2 || r.Trials[1].Jobs != 17 {
		t.Fatalf("trials %+v, want -j2 and -j17", r.Trials)
	}
	remote := 0
	for _, tr := range r.Trials {
		if tr.Status != "ok" || tr.DistccFailures != 0 || tr.DistccErrors != nil {
			t.Errorf("-j%d: status %s, %d failures, errors %v\n%s", tr.Jobs, tr.Status, tr.DistccFailures, tr.DistccErrors, stderr)
		}
		// The state files say where every compile ran.
		sum := 0
		for host, n := range tr.DistccHostJobs {
			sum += n
			if host != "localhost" {
				remote += n
			}
		}
		if sum != len(farmObjects) {
			t.Errorf("-j%d: compiles per host %v add up to %d, want %d", tr.Jobs, tr.DistccHostJobs, sum, len(farmObjects))
		}
	}
	// distcc fills hosts in list order: at -j17 the second host works too.
	if hj := r.Trials[1].DistccHostJobs; hj[farm.addrs[0]] == 0 || hj[farm.addrs[1]] == 0 {
		t.Errorf("-j17 did not use both hosts: %v", hj)
	}
	// What the client's state files say agrees with what the servers did.
	if served := farm.served(t, 1) + farm.served(t, 2); served != remote || remote == 0 {
		t.Errorf("distccd logs %d compiles, jtune's report %d remote ones", served, remote)
	}
}

func TestDistccDeadHostIsNamedNotOverload(t *testing.T) {
	requireFarm(t)
	farm := upFarm(t, 2, "--jobs", "4")
	// The first host is the dead one: distcc tries hosts in list order,
	// so it meets the dead host at every N, as on a real farm.
	farm.killHost(t, 1)
	dead := farm.addrs[0] + ":3632"
	proj := copyProject(t)
	r, stderr := tuneOnFarm(t, proj, nil, append([]string{"--hosts", farm.spec, "--min", "2", "--max", "17", "--budget", "3", "--"},
		distccMake("distcc gcc")...)...)

	if len(r.Unreachable) != 1 || r.Unreachable[0].Name != farm.addrs[0] || r.Unreachable[0].Port != 3632 {
		t.Errorf("the host check did not report the dead host: %+v", r.Unreachable)
	}
	if len(r.Trials) != 3 {
		t.Fatalf("%d trials, want 3", len(r.Trials))
	}
	for _, tr := range r.Trials {
		// Each build starts from a fresh DISTCC_DIR, so none inherits the
		// backoff of the one before and each meets the dead host anew.
		if tr.DistccErrors["connect_refused"] == 0 || tr.DistccErrorHosts[dead] == 0 {
			t.Errorf("-j%d: errors %v by host %v, want connect_refused from %s", tr.Jobs, tr.DistccErrors, tr.DistccErrorHosts, dead)
		}
		if tr.Status == "overloaded" || tr.Status == "failed" {
			t.Errorf("-j%d: %s (%s): a dead host taken for overload", tr.Jobs, tr.Status, tr.Reason)
		}
		if tr.DistccHostJobs[farm.addrs[0]] != 0 || tr.DistccHostJobs[farm.addrs[1]] == 0 {
			t.Errorf("-j%d: compiles per host %v: the live host should have done the work", tr.Jobs, tr.DistccHostJobs)
		}
	}
	want := "distcc host " + dead + " failed in every build, at every N"
	if !strings.Contains(warningText(r.Warnings), want) || !strings.Contains(stderr, "did not answer") {
		t.Errorf("no warning naming the dead host %s:\nwarnings %q\nstderr:\n%s", dead, r.Warnings, stderr)
	}
	if r.Recommended == nil {
		t.Error("no recommendation although every build worked")
	}
}

func TestDistccHostKilledMidBuild(t *testing.T) {
	requireFarm(t)
	// CPU caps make the build last long enough to kill a host in it.
	farm := upFarm(t, 2, "--jobs", "4", "--cpu", "40")
	proj := copyProject(t)
	args := append([]string{"--json", "--load", "0", "--max-temp", "0", "--sample-interval", "200ms", "--state", proj.state,
		"--prepare", "make -s clean", "--hosts", farm.spec, "--min", "2", "--max", "17", "--budget", "1", "--"},
		distccMake("distcc gcc")...)
	cmd, stdout, stderr := proj.start(t, nil, args...)
	// Kill the second host once it has finished a compile and so is busy
	// with the next ones.
	deadline := time.Now().Add(60 * time.Second)
	for farm.served(t, 2) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("host 2 never finished a compile\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	farm.killHost(t, 2)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("jtune: %v\n%s", err, stderr.String())
	}
	var r session.Record
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	tr := r.Trials[0]
	errs := 0
	for _, n := range tr.DistccErrors {
		errs += n
	}
	// The jobs in flight on the killed host fail with distcc's real
	// errors and are compiled again elsewhere: the build still works.
	if tr.Status != "ok" || errs == 0 {
		t.Errorf("status %s, errors %v, failures %d; want an ok build with distcc errors\n%s", tr.Status, tr.DistccErrors, tr.DistccFailures, stderr.String())
	}
	t.Logf("killed mid-build: errors %v, by host %v, failures %d, compiles per host %v", tr.DistccErrors, tr.DistccErrorHosts, tr.DistccFailures, tr.DistccHostJobs)
}

// TestDistccHostCheckLoopback needs no farm: a loopback port with no
// listener is reported before tuning, and the real distcc client then
// falls back to local compiles and says so.
func TestDistccHostCheckLoopback(t *testing.T) {
	requireTools(t, "distcc", "make", "gcc")
	const port = 3699
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
		c.Close()
		t.Skipf("something listens on 127.0.0.1:%d", port)
	}
	proj := copyProject(t)
	r, stderr := tuneOnFarm(t, proj, nil, "--hosts", fmt.Sprintf("127.0.0.1:%d/2", port), "--min", "1", "--max", "8", "--budget", "1", "--",
		"make", "-s", "CC=distcc gcc", "obj/crc.o", "obj/md5.o")
	if !strings.Contains(stderr, fmt.Sprintf("distcc host 127.0.0.1:%d did not answer", port)) {
		t.Errorf("no host-check warning on stderr:\n%s", stderr)
	}
	if len(r.Unreachable) != 1 || r.Unreachable[0].Port != port || !strings.Contains(r.Unreachable[0].Error, "refused") {
		t.Errorf("unreachable_hosts %+v", r.Unreachable)
	}
	tr := r.Trials[0]
	if tr.Status != "ok" || tr.DistccErrors["connect_refused"] == 0 || tr.DistccFailures == 0 || tr.DistccHostJobs["localhost"] != 2 {
		t.Errorf("trial: status %s, errors %v, failures %d, per host %v", tr.Status, tr.DistccErrors, tr.DistccFailures, tr.DistccHostJobs)
	}
}

func TestDistccPumpEndToEnd(t *testing.T) {
	requireFarm(t)
	requireTools(t, "distcc-pump")
	farm := upFarm(t, 2, "--jobs", "4", "--pump")
	if !strings.HasSuffix(farm.spec, ",cpp,lzo") {
		t.Fatalf("pump farm hosts %q lack ,cpp,lzo", farm.spec)
	}
	proj := copyProject(t)
	r, stderr := tuneOnFarm(t, proj, nil, append([]string{"--pump", "--hosts", farm.spec, "--min", "2", "--max", "17", "--budget", "2", "--"},
		distccMake("distcc gcc")...)...)
	if r.Command[0] != "pump" && r.Command[0] != "distcc-pump" {
		t.Errorf("command %q does not run under pump", r.Command)
	}
	remote := 0
	for _, tr := range r.Trials {
		// pump's own lines ("Using 2 distcc servers in pump mode", the
		// include server's complaints) are neither failures nor errors.
		if tr.Status != "ok" || tr.DistccFailures != 0 || tr.DistccErrors != nil {
			t.Errorf("-j%d: status %s, %d failures, errors %v (config %v)\n%s", tr.Jobs, tr.Status, tr.DistccFailures, tr.DistccErrors, tr.DistccConfig, stderr)
		}
		for host, n := range tr.DistccHostJobs {
			if host != "localhost" {
				remote += n
			}
		}
		t.Logf("-j%d under pump: %.1f s, compiles per host %v, configuration warnings %v", tr.Jobs, tr.WallSeconds, tr.DistccHostJobs, tr.DistccConfig)
	}
	if served := farm.served(t, 1) + farm.served(t, 2); remote == 0 || served != remote {
		t.Errorf("pump builds sent %d compiles to the farm by the state files, %d by distccd's logs", remote, served)
	}
}

// TestDistccCcacheInFrontOfPump is the seed study's setup: ccache
// preprocesses, so distcc in pump mode warns on every file. jtune reports
// that as a configuration warning, not a failure, and --prepare empties
// ccache so every build compiles everything again.
func TestDistccCcacheInFrontOfPump(t *testing.T) {
	requireFarm(t)
	requireTools(t, "distcc-pump", "ccache")
	farm := upFarm(t, 1, "--jobs", "4", "--pump")
	proj := copyProject(t)
	// ccache 3.3 and later hand the compiler the original source on a
	// miss (run_second_cpp); the seed's older ccache handed it the
	// preprocessed file, which CCACHE_NOCPP2 brings back.
	env := []string{"CCACHE_DIR=" + t.TempDir(), "CCACHE_NOCPP2=1"}
	r, stderr := tuneOnFarm(t, proj, env, append([]string{"--pump", "--hosts", farm.spec, "--min", "2", "--max", "9", "--budget", "2",
		"--prepare", "make -s clean && ccache -C >/dev/null", "--"}, distccMake("ccache distcc gcc")...)...)
	for _, tr := range r.Trials {
		// Every compile missed the emptied cache and reached distcc.
		if n := tr.DistccConfig["pump_preprocessed_input"]; n != len(farmObjects) {
			t.Errorf("-j%d: %d warnings about preprocessed input, want %d (one per compile)\n%s", tr.Jobs, n, len(farmObjects), stderr)
		}
		if tr.Status != "ok" || tr.DistccFailures != 0 {
			t.Errorf("-j%d: status %s, %d failures", tr.Jobs, tr.Status, tr.DistccFailures)
		}
	}
	if w := warningText(r.Warnings); !strings.Contains(w, "distcc's setup:") || !strings.Contains(w, "cannot use distcc_pump on already preprocessed file") {
		t.Errorf("no configuration warning about ccache in front of pump: %q", r.Warnings)
	}
}

// TestDistccHostThatRefusesThisClient runs a real distccd on loopback
// whose --allow leaves this client out: it answers and refuses every job,
// at every N. That is not overload: the builds are judged clean, the
// session recommends, and a warning names the host with the advice to
// check --allow.
func TestDistccHostThatRefusesThisClient(t *testing.T) {
	requireTools(t, "distcc", "distccd", "make", "gcc")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	daemon := exec.Command("distccd", "--daemon", "--no-detach", "--listen", "127.0.0.1", "--port", strconv.Itoa(port),
		"--allow", "127.0.0.2/32", "--log-stderr", "--log-level", "warning")
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { daemon.Process.Kill(); daemon.Wait() })
	waitListening(t, port)

	host := fmt.Sprintf("127.0.0.1:%d/2", port)
	proj := copyProject(t)
	r, stderr := tuneOnFarm(t, proj, nil, append([]string{"--hosts", host, "--budget", "4", "--prepare", "make -s clean", "--"},
		distccMake("distcc gcc")...)...)
	for _, tr := range r.Trials {
		if tr.Status == "overloaded" {
			t.Errorf("-j%d is overloaded (%s), but the host refuses at every N", tr.Jobs, tr.Reason)
		}
	}
	if r.Recommended == nil {
		t.Errorf("no recommendation:\n%s", stderr)
	}
	if w := warningText(r.Warnings); !strings.Contains(w, host) || !strings.Contains(stderr, "--allow") {
		t.Errorf("no warning names the refusing host %s with the --allow advice:\n%s\n%s", host, w, stderr)
	}
}

// waitListening waits until something accepts connections on the port.
func waitListening(t *testing.T, port int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("distccd does not listen on %d: %v", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
