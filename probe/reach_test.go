package probe

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/jtune/jtune/probe/distcc"
)

func TestCheckHosts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	// A port that was just free: nothing listens there.
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadPort := dead.Addr().(*net.TCPAddr).Port
	dead.Close()

	live := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	list, err := distcc.ParseHosts("localhost/2 127.0.0.1:" + live + "/4 127.0.0.1:" + strconv.Itoa(deadPort) + "/4 @127.0.0.3")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	bad := CheckHosts(context.Background(), list.Hosts, time.Second)
	if len(bad) != 1 || bad[0].Host.Port != deadPort || bad[0].Err == nil {
		t.Fatalf("unreachable = %+v, want only port %d", bad, deadPort)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the check took %s", d)
	}
}
