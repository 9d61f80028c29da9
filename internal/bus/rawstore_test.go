package bus_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/internal/natstest"
)

// The raw-original object store follows INBOUND's max_age on every start,
// not only when it is created: raising max_age must keep the originals,
// the evidence, as long as the messages that reference them. Open alone
// applies it, before any process stores or reads an original.
func TestRawStoreFollowsInboundLimits(t *testing.T) {
	cfg := natstest.Config(t)
	cfg.Streams.MaxAge = config.Duration(time.Hour)
	b := natstest.Open(t, cfg, nil)
	msg := testMessage("em-large")
	msg.Channel = event.ChannelEmail
	msg.Raw = &event.Raw{Inline: bytes.Repeat([]byte("y"), 600<<10)}
	if _, _, err := b.PublishMessage(ctxT(t), msg); err != nil {
		t.Fatal(err)
	}
	natstest.Close(t, b)

	cfg.Streams.MaxAge = config.Duration(48 * time.Hour)
	b = natstest.Open(t, cfg, nil)
	js := testJS(t, b)
	in := streamInfo(t, js, event.StreamInbound).Config.MaxAge
	obj := streamInfo(t, js, "OBJ_"+bus.RawBucket).Config
	if in != 48*time.Hour || obj.MaxAge != in {
		t.Errorf("after Open: INBOUND max_age %s, raw object store max_age %s: originals expire before their messages", in, obj.MaxAge)
	}
	if obj.Replicas != 1 {
		t.Errorf("raw object store replicas = %d, want 1", obj.Replicas)
	}

	// The store is still usable, and binding it again changes nothing.
	store, err := b.ObjectStore(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if data, err := store.GetBytes(ctxT(t), "em-large"); err != nil || len(data) != 600<<10 {
		t.Errorf("GetBytes(em-large) = %d bytes, %v; want the original", len(data), err)
	}
	if got := streamInfo(t, js, "OBJ_"+bus.RawBucket).Config.MaxAge; got != 48*time.Hour {
		t.Errorf("raw object store max_age after ObjectStore() = %s, want 48h", got)
	}
}
