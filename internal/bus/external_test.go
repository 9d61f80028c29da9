package bus_test

import (
	"testing"
	"time"

	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/natstest"
)

// An external connection pings often enough that a silently dead node (a
// half-open TCP connection: power loss, a partition) is noticed in well
// under a minute, not after the client default of 2m × 2.
func TestExternalConnectionKeepAlive(t *testing.T) {
	srv := natstest.RunServer(t, nil)
	b := natstest.Open(t, externalConfig(srv.ClientURL(), nil), nil)
	o := b.Conn().Opts
	if o.PingInterval != bus.PingInterval || o.MaxPingsOut != bus.MaxPingsOutstanding {
		t.Errorf("ping interval %s, max pings out %d; want %s and %d", o.PingInterval, o.MaxPingsOut, bus.PingInterval, bus.MaxPingsOutstanding)
	}
	if d := time.Duration(o.MaxPingsOut) * o.PingInterval; d <= 0 || d > 45*time.Second {
		t.Errorf("a dead node is noticed after %s, want well under a minute", d)
	}
}
