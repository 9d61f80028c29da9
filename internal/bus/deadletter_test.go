package bus_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

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

// A dead-letter copy that fails on the last allowed delivery (DEADLETTER
// unavailable) is retried in place, with the message kept in progress, so
// the dead letter carries the handler's error and not "without an
// outcome".
func TestDeadLetterRetryKeepsReason(t *testing.T) {
	cfg := natstest.Config(t)
	cfg.RequestTimeout = 200 * time.Millisecond
	cfg.RequestAttempts = 1
	core, logs := observer.New(zap.WarnLevel)
	b := natstest.Open(t, cfg, zap.New(core))
	ctx := ctxT(t)
	js := testJS(t, b)
	_, last := publishN(t, b, "sms-flaky", 1)
	// DEADLETTER is unavailable for the first dead-letter attempt.
	if err := js.DeleteStream(ctx, event.StreamDeadLetter); err != nil {
		t.Fatal(err)
	}
	spec := screenSpec()
	spec.MaxDeliver = 1
	spec.Backoff = []time.Duration{time.Second}
	var calls atomic.Int32
	consume(t, b, spec, func(context.Context, *bus.Delivery) error {
		calls.Add(1)
		return errors.New("smtp 451 provider timeout")
	})
	waitFor(t, 20*time.Second, "a failed dead-letter copy", func() bool {
		for _, e := range logs.All() {
			if strings.HasPrefix(e.Message, "dead letter not stored") {
				return true
			}
		}
		return false
	})
	if _, err := b.EnsureStreams(ctx); err != nil {
		t.Fatal(err)
	}
	waitAllAcked(t, js, event.StreamInbound, "screen", last)
	dead := streamMsgs(t, js, event.StreamDeadLetter)
	if len(dead) != 1 {
		t.Fatalf("DEADLETTER holds %d, want 1", len(dead))
	}
	if r := dead[0].Header.Get(bus.HeaderDeadReason); !strings.Contains(r, "provider timeout") {
		t.Errorf("dead-letter reason = %q, want the handler's error", r)
	}
	if c := dead[0].Header.Get(bus.HeaderDeadCategory); c != bus.CategoryMaxDeliveries {
		t.Errorf("dead-letter category = %q, want %q", c, bus.CategoryMaxDeliveries)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("handler called %d times, want 1", n)
	}
}

// While a failed dead-letter copy is retried the message stays in
// progress: the server does not hand it to another worker, however long
// DEADLETTER is unavailable.
func TestDeadLetterRetryKeepsMessageInProgress(t *testing.T) {
	cfg := natstest.Config(t)
	cfg.RequestTimeout = 200 * time.Millisecond
	cfg.RequestAttempts = 1
	core, logs := observer.New(zap.WarnLevel)
	b := natstest.Open(t, cfg, zap.New(core))
	ctx := ctxT(t)
	js := testJS(t, b)
	_, last := publishN(t, b, "sms-slowdead", 1)
	if err := js.DeleteStream(ctx, event.StreamDeadLetter); err != nil {
		t.Fatal(err)
	}
	spec := screenSpec()
	spec.AckWait = 600 * time.Millisecond
	spec.MaxDeliver = 1
	spec.Backoff = []time.Duration{300 * time.Millisecond}
	consume(t, b, spec, func(context.Context, *bus.Delivery) error {
		return errors.New("smtp 451 provider timeout")
	})
	// Five failed copies are four pauses of 300ms: twice the ack wait.
	waitFor(t, 20*time.Second, "five failed dead-letter copies", func() bool {
		n := 0
		for _, e := range logs.All() {
			if strings.HasPrefix(e.Message, "dead letter not stored") {
				n++
			}
		}
		return n >= 5
	})
	if _, err := b.EnsureStreams(ctx); err != nil {
		t.Fatal(err)
	}
	waitAllAcked(t, js, event.StreamInbound, "screen", last)
	if got := consumerInfo(t, js, event.StreamInbound, "screen").Delivered.Consumer; got != 1 {
		t.Errorf("consumer made %d deliveries, want 1: the message was redelivered while its dead letter was being stored", got)
	}
	dead := streamMsgs(t, js, event.StreamDeadLetter)
	if len(dead) != 1 || !strings.Contains(dead[0].Header.Get(bus.HeaderDeadReason), "provider timeout") {
		t.Errorf("DEADLETTER = %d messages, want 1 with the handler's reason", len(dead))
	}
}
