package jobserver

import (
	"errors"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pause gives a client the chance to do what it must not (start a job
// over the count, start one after a failure) before the test looks. No
// assertion depends on its length.
func pause() { time.Sleep(200 * time.Millisecond) }

// TestFollowsTokens runs a real client on gated jobs and moves the count
// from 2 to 6, back to 2, then to 16 for the rest; the jobs the client
// runs at once, from the recipes' own log, follow, and every token comes
// back.
func TestFollowsTokens(t *testing.T) {
	forEachClient(t, testFollows)
}

// followTargets leaves room for the races lost while lowering: a client
// that has just returned a token reads one again at once when it has a
// job to start, and on this busy machine the pool took its 4 tokens out
// of 4 to 66 returned, run to run (ninja, and once make 4.4, over 50).
const followTargets = 240

func testFollows(t *testing.T, sp spec, c Client) {
	b := startBuild(t, sp, c, followTargets, 2)
	b.waitSteady(2)
	pause()

	b.mark("jobs=6")
	must(t, b.srv.SetJobs(6))
	if sp.lazy {
		b.releaseOne("ok")
	}
	b.waitSteady(6)
	pause()

	b.mark("jobs=2")
	must(t, b.srv.SetJobs(2))
	released := 0
	for b.srv.Owed() > 0 {
		if released == followTargets-6 {
			t.Fatalf("4 tokens owed are not back after %d jobs ended\n%s", released, b.report())
		}
		name := b.releaseOne("ok")
		released++
		b.waitFor(name+" to end and the pool to settle", func() bool {
			return !slices.Contains(b.running(), name) && b.settled()
		})
	}
	b.mark("settled")
	b.waitSteady(2)
	pause()

	b.mark("jobs=16")
	must(t, b.srv.SetJobs(16))
	if err := b.finish(); err != nil {
		t.Fatalf("build: %v\n%s", err, b.report())
	}
	if _, err := b.drain(5 * time.Second); err != nil {
		t.Fatalf("account: %v\n%s", err, b.report())
	}
	checkFollowed(t, b, sp, released)
}

// checkFollowed checks the phases of testFollows' log.
func checkFollowed(t *testing.T, b *build, sp spec, released int) {
	t.Helper()
	ps := b.phases()
	if len(ps) != 5 {
		t.Fatalf("phases %+v, want start, jobs=6, jobs=2, settled, jobs=16", ps)
	}
	start, up, down, settled, tail := ps[0], ps[1], ps[2], ps[3], ps[4]
	starts, ends := 0, 0
	for _, p := range ps {
		starts, ends = starts+p.starts, ends+p.ends
	}
	if starts != followTargets || ends != followTargets {
		t.Errorf("%d jobs started and %d ended, want %d and %d", starts, ends, followTargets, followTargets)
	}
	for _, c := range []struct {
		p        phase
		min, max int
	}{
		{start, 2, 2},   // 1 token
		{up, 6, 6},      // 5 tokens
		{down, 2, 6},    // lowering: jobs end one by one
		{settled, 2, 2}, // 1 token again
		{tail, 2, 16},   // 15 tokens, as many of the jobs left as fit
	} {
		if c.p.most < c.min || c.p.most > c.max {
			t.Errorf("phase %s: %d jobs at most ran at once, want %d to %d", c.p.label, c.p.most, c.min, c.max)
		}
	}
	// Tokens added reach a client waiting in pselect() at once, with no
	// job ending; a lazy one needs one job to end.
	if want := map[bool]int{false: 0, true: 1}[sp.lazy]; up.ends != want {
		t.Errorf("%d jobs ended before 5 tokens were in use, want %d", up.ends, want)
	}
	t.Logf("%s: 1 token → %d jobs at once; 5 tokens → %d (%d jobs ended first); back to 1 token → %d, "+
		"after %d jobs ended (the client won %d of the tokens they returned); 15 tokens → %d",
		sp.name, start.most, up.most, up.ends, settled.most, released, down.starts, tail.most)
}

// TestFailingTargetBalances fails one of four running jobs: the client
// starts nothing more, waits for the others, and every token comes back.
func TestFailingTargetBalances(t *testing.T) {
	forEachClient(t, func(t *testing.T, sp spec, c Client) {
		b := startBuild(t, sp, c, 8, 4)
		b.waitSteady(4)
		name := b.releaseOne("fail")
		// Not b.settled(): when the failed job ran on ninja's implicit
		// slot, ninja keeps its three tokens, and the pool counts the
		// idle implicit slot as busy.
		b.waitFor(name+" to fail", func() bool { return !slices.Contains(b.running(), name) })
		pause()
		if err := b.finish(); err == nil {
			t.Fatalf("the build succeeded with %s failing\n%s", name, b.report())
		}
		starts := 0
		for _, p := range b.phases() {
			starts += p.starts
		}
		if starts != 4 {
			t.Errorf("%d jobs started, want the 4 running when one failed\n%s", starts, b.report())
		}
		if _, err := b.drain(5 * time.Second); err != nil {
			t.Errorf("account: %v\n%s", err, b.report())
		}
	}, "make/pipe", "make-4.4/fifo", "ninja/fifo")
}

// TestInterruptBalancesOrReports sends SIGINT to the build's process
// group while four jobs run and two tokens are owed. make 4.3 and ninja
// give their tokens back; make 4.4 closes the pool before it reaps its
// jobs (fatal_error_signal calls jobserver_clear first), so the three it
// held are lost, and Drain must say exactly that, within its bound.
func TestInterruptBalancesOrReports(t *testing.T) {
	forEachClient(t, func(t *testing.T, sp spec, c Client) {
		b := startBuild(t, sp, c, 8, 4)
		b.waitSteady(4)
		must(t, b.srv.SetJobs(2))
		if err := b.signal(syscall.SIGINT); err == nil {
			t.Fatalf("the build succeeded despite SIGINT\n%s", b.report())
		}
		took, err := b.drain(time.Second)
		var want error
		if sp.name != "ninja/fifo" && !c.Version.Less(Version{4, 4, 0}) {
			want = &AccountError{Out: 3, Back: 0}
		}
		checkAccount(t, b, err, want, took, time.Second)
	}, "make/pipe", "make-4.4/fifo", "ninja/fifo")
}

// TestKillReportsLostTokens kills the build's process group with SIGKILL,
// as a timeout does, while four jobs run and two tokens are owed: the
// three tokens the client held are lost, and Drain says so exactly once
// its bound has passed, without hanging. ninja runs each job in a process
// group of its own, so its jobs outlive it.
func TestKillReportsLostTokens(t *testing.T) {
	forEachClient(t, func(t *testing.T, sp spec, c Client) {
		b := startBuild(t, sp, c, 8, 4)
		b.waitSteady(4)
		must(t, b.srv.SetJobs(2))
		if err := b.signal(syscall.SIGKILL); err == nil {
			t.Fatalf("the build succeeded despite SIGKILL\n%s", b.report())
		}
		took, err := b.drain(time.Second)
		checkAccount(t, b, err, &AccountError{Out: 3, Back: 0}, took, time.Second)

		survivors := 0
		for _, n := range b.running() {
			if b.release(n, "ok") {
				survivors++
			}
		}
		if want := map[bool]int{false: 0, true: 4}[sp.ninja]; survivors != want {
			t.Errorf("%d jobs outlived the client, want %d", survivors, want)
		}
		b.waitFor("the surviving jobs to end", func() bool { return len(b.unfinished()) == 0 || survivors == 0 })
	}, "make/pipe", "make-4.4/fifo", "ninja/fifo")
}

// checkAccount compares Drain's error with want, and its time with its
// bound: as long as the bound when tokens are missing, far less otherwise.
func checkAccount(t *testing.T, b *build, err, want error, took, bound time.Duration) {
	t.Helper()
	var ae *AccountError
	switch {
	case want == nil && err != nil:
		t.Errorf("account: %v, want balanced\n%s", err, b.report())
	case want != nil && (!errors.As(err, &ae) || *ae != *want.(*AccountError)):
		t.Errorf("account: %v, want %v\n%s", err, want, b.report())
	case want != nil && (took < bound || took > bound+5*time.Second):
		t.Errorf("Drain took %v with a bound of %v", took, bound)
	case want == nil && took > bound:
		t.Errorf("Drain took %v to find a balanced account", took)
	}
	t.Logf("account after the build: %v (Drain took %v)", err, took.Round(time.Millisecond))
}

// TestNinjaIgnoresPipeForm shows why DetectNinja gives ninja the fifo form
// only: with the pipe form ninja says it is not supported and runs at its
// own -j, taking no token.
func TestNinjaIgnoresPipeForm(t *testing.T) {
	sp := spec{name: "ninja/pipe", form: Pipe, find: findNinja, ninja: true}
	c := sp.find(t)
	b := startBuild(t, sp, c, 4, 6)
	b.waitFor("two jobs running", func() bool { return len(b.running()) >= 2 })
	in, err := b.srv.InFlight()
	must(t, err)
	if in != 1 {
		t.Errorf("the pool counts %d jobs in flight while ninja runs %d: ninja took tokens", in, len(b.running()))
	}
	if err := b.finish(); err != nil {
		t.Fatalf("build: %v\n%s", err, b.report())
	}
	if out := b.out.String(); !strings.Contains(out, "Pipe-based protocol is not supported") {
		t.Errorf("ninja did not refuse the pipe form; its output:\n%s", out)
	}
	if _, err := b.drain(5 * time.Second); err != nil {
		t.Error(err)
	}
}

// TestLegacyPipeForm: make 4.3 and 4.4 still accept --jobserver-fds, the
// option's name before 4.2, and run as many jobs as it gives.
func TestLegacyPipeForm(t *testing.T) {
	for name, find := range map[string]func(*testing.T) Client{"make": findMake, "make-4.4": findMake44} {
		t.Run(name, func(t *testing.T) {
			c := find(t)
			t.Logf("%s (%s)", c, c.Path)
			b := startBuild(t, spec{name: name + "/legacy pipe", form: LegacyPipe}, c, 6, 3)
			b.waitSteady(3)
			if err := b.finish(); err != nil {
				t.Fatalf("build: %v\n%s", err, b.report())
			}
			if _, err := b.drain(5 * time.Second); err != nil {
				t.Errorf("account: %v\n%s", err, b.report())
			}
			if most := b.phases()[0].most; most != 3 {
				t.Errorf("%d jobs at most ran at once, want 3", most)
			}
		})
	}
}
