package bus_test

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/scamscreen/scamscreen/event"
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

// A publish made while the connection to an external server is down fails
// (after the publish retries) instead of being buffered by the client and
// sent after the reconnect, when the caller has long given up: an SMS
// webhook answered 503 must not be stored anyway, to be stored again by
// the provider's retry.
func TestPublishDuringOutageIsNotStoredLater(t *testing.T) {
	dir := t.TempDir()
	srv := natstest.RunServer(t, &server.Options{StoreDir: dir})
	port := srv.Addr().(*net.TCPAddr).Port
	b := natstest.Open(t, externalConfig(srv.ClientURL(), func(c *bus.Config) {
		c.RequestTimeout = 500 * time.Millisecond
		c.RequestAttempts = 3
	}), nil)
	ctx := ctxT(t)
	if _, _, err := b.PublishMessage(ctx, testMessage("sms-before")); err != nil {
		t.Fatal(err)
	}

	srv.Shutdown()
	srv.WaitForShutdown()
	waitFor(t, 20*time.Second, "the client to notice the outage", func() bool {
		return b.Conn().Status() == nats.RECONNECTING
	})
	_, _, err := b.PublishMessage(ctx, testMessage("sms-outage"))
	if !errors.Is(err, nats.ErrReconnectBufExceeded) {
		t.Errorf("PublishMessage during the outage = %v, want %v", err, nats.ErrReconnectBufExceeded)
	}

	natstest.RunServer(t, &server.Options{Port: port, StoreDir: dir})
	waitFor(t, 30*time.Second, "the client to reconnect", func() bool {
		return b.Conn().Status() == nats.CONNECTED
	})
	if err := b.Conn().Flush(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.PublishMessage(ctx, testMessage("sms-after")); err != nil {
		t.Fatalf("PublishMessage after the reconnect = %v", err)
	}
	var ids []string
	for _, m := range streamMsgs(t, testJS(t, b), event.StreamInbound) {
		ids = append(ids, m.Header.Get("Nats-Msg-Id"))
	}
	if len(ids) != 2 || ids[0] != "sms-before" || ids[1] != "sms-after" {
		t.Errorf("INBOUND holds %q, want [sms-before sms-after]: the publish the caller saw fail was stored after the reconnect", ids)
	}
	natstest.Close(t, b) // before the second server's cleanup stops it
}
