package worker_test

import (
	"context"
	"testing"

	"github.com/scamscreen/scamscreen/internal/natstest"
	"github.com/scamscreen/scamscreen/notify/worker"
	"github.com/scamscreen/scamscreen/notify/worker/natsbus"
)

// TestConsumersHandlerTimeout: every consumer carries an explicit handler
// timeout from the configuration, long enough for a whole send, instead of
// the bus's default.
func TestConsumersHandlerTimeout(t *testing.T) {
	b := natstest.Embedded(t)
	cfg := testConfig(t, nil)
	stores, err := natsbus.OpenStores(context.Background(), b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	w, err := worker.New(cfg, worker.Deps{Bus: natsbus.Bus{Bus: b}, Stores: stores, Directory: directory(t, cfg, hanako()),
		Channels: twilioChannels(t, cfg)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range w.Consumers() {
		if c.HandlerTimeout != cfg.Worker.HandlerTimeout() {
			t.Errorf("consumer %s: HandlerTimeout = %s, want %s", c.Durable, c.HandlerTimeout, cfg.Worker.HandlerTimeout())
		}
		if c.HandlerTimeout <= cfg.Worker.SendTimeout.Std() || c.HandlerTimeout >= c.AckWait {
			t.Errorf("consumer %s: HandlerTimeout = %s, want between send_timeout %s and ack_wait %s", c.Durable, c.HandlerTimeout, cfg.Worker.SendTimeout, c.AckWait)
		}
	}
}
