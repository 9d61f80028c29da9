package cli

import (
	"context"
	"io"
	"testing"

	"github.com/scamscreen/scamscreen/internal/natstest"
	"github.com/scamscreen/scamscreen/notify"
)

// TestShadowNotifyHasNoAckServer: in shadow mode the notify stage signs
// no acknowledgement links and runs no acknowledgement server, even when
// the configuration has both: a shadow alert reaches nobody, so nothing
// it shows may act on the real escalations.
func TestShadowNotifyHasNoAckServer(t *testing.T) {
	dir := t.TempDir()
	for _, shadow := range []bool{false, true} {
		cfg := DefaultConfig()
		cfg.NATS = natstest.Config(t)
		cfg.Admin.Listen = "off"
		cfg.Notify.Shadow = shadow
		cfg.Notify.Ack.PublicURL, cfg.Notify.Ack.Listen = "https://ack.scamscreen.invalid", "127.0.0.1:0"
		var err error
		if cfg.Notify.Ack.Key, err = secretFile(dir, "ack.key", randomAlnum(32)); err != nil {
			t.Fatal(err)
		}
		cfg.Households = []Household{{ID: "tanaka", People: []Person{{ID: "hanako", Name: "田中花子", Phones: []string{"090-1234-5678"},
			Notify: notify.PersonConfig{Self: notify.SelfConfig{Channels: []string{notify.ChannelConsole}}}}}}}
		cfg.fill()
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		p, err := newPipeline(context.Background(), &cfg, []string{stageNotify}, Env{Out: io.Discard}, natstest.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		if got := p.ack != nil; got == shadow {
			t.Errorf("shadow %v: ack server built = %v, want %v", shadow, got, !shadow)
		}
		if err := p.bus.Close(context.Background()); err != nil {
			t.Error(err)
		}
	}
}
