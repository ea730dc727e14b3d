package jobserver_test

import (
	"fmt"
	"log"
	"os/exec"
	"syscall"

	"github.com/jtune/jtune/probe/jobserver"
)

// A build run under a pool of its own, whose parallelism moves while it
// runs. The example is compiled, not run: it needs a makefile.
func Example() {
	mk, err := jobserver.DetectMake("make")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(mk) // for example "GNU Make 4.3: jobserver client, pipe form only …"
	pool, err := jobserver.New(mk.Form(), 4)
	if err != nil {
		log.Fatal(err)
	}
	cmd := exec.Command(mk.Path, "-C", "src") // no -j: the pool is the -j
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := pool.Attach(cmd); err != nil {
		log.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}

	// While it runs: 8 jobs at once from now on, then 3 as jobs end.
	if err := pool.SetJobs(8); err != nil {
		log.Fatal(err)
	}
	if err := pool.SetJobs(3); err != nil {
		log.Fatal(err)
	}
	inFlight, _ := pool.InFlight()
	fmt.Printf("%d jobs in flight, %d tokens still to come back\n", inFlight, pool.Owed())

	buildErr := cmd.Wait()
	// Close checks the account once make has gone: every token back.
	if err := pool.Close(); err != nil {
		log.Print(err) // for example "jobserver: 3 of 3 tokens did not come back"
	}
	if buildErr != nil {
		log.Fatal(buildErr)
	}
}
