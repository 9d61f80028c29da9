package bus_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/errkind"
	"github.com/scamscreen/scamscreen/internal/natstest"
)

// A poison message close to max_payload (1 MiB) cannot be copied to
// DEADLETTER with its payload: the dead-letter headers push the copy over
// the limit. It must still be dead-lettered, as a copy without the payload
// that points at the original (which INBOUND keeps), and terminated,
// instead of cycling forever.
func TestDeadLetterNearMaxPayloadStoresReference(t *testing.T) {
	obs := newCountingObserver()
	b := natstest.Open(t, natstest.Config(t), nil, bus.WithObserver(obs))
	ctx := ctxT(t)
	js := testJS(t, b)
	payload := bytes.Repeat([]byte("x"), 1<<20-100) // fits INBOUND with its Nats-Msg-Id
	seq, _, err := b.Publish(ctx, "scamscreen.inbound.email.h1.p1", "em-big", payload, nil)
	if err != nil {
		t.Fatal(err)
	}
	spec := screenSpec()
	spec.Backoff = []time.Duration{20 * time.Millisecond}
	var calls atomic.Int32
	consume(t, b, spec, func(context.Context, *bus.Delivery) error {
		calls.Add(1)
		return errkind.Permanent(errors.New("undecodable"))
	})
	waitFor(t, 20*time.Second, "a dead letter", func() bool {
		return len(streamMsgs(t, js, event.StreamDeadLetter)) > 0
	})
	waitAllAcked(t, js, event.StreamInbound, "screen", seq)

	dead := streamMsgs(t, js, event.StreamDeadLetter)
	if len(dead) != 1 {
		t.Fatalf("DEADLETTER holds %d messages, want 1", len(dead))
	}
	d := dead[0]
	if len(d.Data) != 0 {
		t.Errorf("dead letter carries %d payload bytes, want none", len(d.Data))
	}
	want := map[string]string{
		bus.HeaderDeadCategory:       bus.CategoryPermanent,
		bus.HeaderDeadReason:         "undecodable",
		bus.HeaderOrigStream:         event.StreamInbound,
		bus.HeaderOrigSeq:            strconv.FormatUint(seq, 10),
		bus.HeaderOrigMsgID:          "em-big",
		bus.HeaderDeadPayloadOmitted: strconv.Itoa(len(payload)),
	}
	for k, v := range want {
		if got := d.Header.Get(k); got != v {
			t.Errorf("dead letter header %s = %q, want %q", k, got, v)
		}
	}
	// The reference resolves: INBOUND still holds the original.
	in, err := js.Stream(ctx, d.Header.Get(bus.HeaderOrigStream))
	if err != nil {
		t.Fatal(err)
	}
	orig, err := in.GetMsg(ctx, seq)
	if err != nil || !bytes.Equal(orig.Data, payload) {
		t.Errorf("original at %s seq %d: err %v, %d bytes, want the payload", event.StreamInbound, seq, err, len(orig.Data))
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("handler called %d times, want 1", n)
	}
}
