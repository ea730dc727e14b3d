package probe

import (
	"context"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/jtune/jtune/probe/distcc"
)

// Unreachable is a distcc host whose port did not answer.
type Unreachable struct {
	Host distcc.Host
	Err  error
}

// CheckHosts tries a TCP connection to every TCP host of the list at
// once, each within timeout, and returns the ones that did not answer, in
// list order. A dead host does not make distcc print "failed to
// distribute": it quietly moves the job elsewhere, so tuning for a farm
// with a dead host measures a smaller farm than the formula assumes.
// Local and SSH hosts are not checked.
func CheckHosts(ctx context.Context, hosts []distcc.Host, timeout time.Duration) []Unreachable {
	errs := make([]error, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		if h.Kind != distcc.HostTCP {
			continue
		}
		wg.Go(func() {
			d := net.Dialer{Timeout: timeout}
			conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(h.Name, strconv.Itoa(h.Port)))
			if err != nil {
				errs[i] = err
				return
			}
			conn.Close()
		})
	}
	wg.Wait()
	var out []Unreachable
	for i, err := range errs {
		if err != nil {
			out = append(out, Unreachable{Host: hosts[i], Err: err})
		}
	}
	return out
}
