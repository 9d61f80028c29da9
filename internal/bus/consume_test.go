package bus_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/errkind"
	"github.com/scamscreen/scamscreen/internal/natstest"
)

// recorder is a concurrency-safe log of what handlers saw.
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.seen = append(r.seen, s)
	r.mu.Unlock()
}

func (r *recorder) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

type countingObserver struct {
	mu       sync.Mutex
	outcomes map[bus.Outcome]int
	dead     map[string]int
	lagSeen  bool
}

func newCountingObserver() *countingObserver {
	return &countingObserver{outcomes: map[bus.Outcome]int{}, dead: map[string]int{}}
}

func (o *countingObserver) Handled(stage string, out bus.Outcome, _ time.Duration) {
	o.mu.Lock()
	o.outcomes[out]++
	o.mu.Unlock()
}

func (o *countingObserver) DeadLettered(stage, cat string) {
	o.mu.Lock()
	o.dead[cat]++
	o.mu.Unlock()
}

func (o *countingObserver) Lag(string, uint64) {
	o.mu.Lock()
	o.lagSeen = true
	o.mu.Unlock()
}

func screenSpec() bus.ConsumerSpec {
	return bus.ConsumerSpec{
		Stream:  event.StreamInbound,
		Durable: "screen",
		Backoff: []time.Duration{50 * time.Millisecond},
	}
}

func TestConsumeAcks(t *testing.T) {
	b := natstest.Embedded(t)
	ids, last := publishN(t, b, "sms-ok", 5)
	var rec recorder
	stop := consume(t, b, screenSpec(), func(ctx context.Context, d *bus.Delivery) error {
		if d.Metadata().NumDelivered != 1 || d.Metadata().Stream != event.StreamInbound || d.Header().Get(bus.HeaderType) != "message" {
			return errkind.Permanent(fmt.Errorf("unexpected delivery %+v", d.Metadata()))
		}
		rec.add(decodeID(d))
		return nil
	})
	js := testJS(t, b)
	waitAllAcked(t, js, event.StreamInbound, "screen", last)
	if err := stop(); err != nil {
		t.Errorf("Consume() = %v, want nil after its context is cancelled", err)
	}
	got := rec.get()
	slices.Sort(got)
	if diff := cmp.Diff(ids, got); diff != "" {
		t.Errorf("handled ids (-want +got):\n%s", diff)
	}
	if n := len(streamMsgs(t, js, event.StreamDeadLetter)); n != 0 {
		t.Errorf("DEADLETTER holds %d messages, want 0", n)
	}
}

func TestConsumeRetriesTemporaryAfterBackoff(t *testing.T) {
	b := natstest.Embedded(t)
	// A fails once; its redelivery is delayed by the backoff, so the
	// messages published after it are handled before A comes back. An
	// immediate Nak would bring A back first.
	ids, last := publishN(t, b, "sms-order", 6)
	spec := screenSpec()
	spec.Backoff = []time.Duration{time.Second}
	var rec recorder
	consume(t, b, spec, func(ctx context.Context, d *bus.Delivery) error {
		id := decodeID(d)
		rec.add(fmt.Sprintf("%s#%d", id, d.Metadata().NumDelivered))
		if id == ids[0] && d.Metadata().NumDelivered == 1 {
			return errors.New("smtp relay busy")
		}
		return nil
	})
	waitAllAcked(t, testJS(t, b), event.StreamInbound, "screen", last)
	want := []string{ids[0] + "#1"}
	for _, id := range ids[1:] {
		want = append(want, id+"#1")
	}
	want = append(want, ids[0]+"#2")
	if diff := cmp.Diff(want, rec.get()); diff != "" {
		t.Errorf("delivery order (-want +got):\n%s", diff)
	}
}

// Poison messages: an undecodable payload and a message that panics the
// handler both land in DEADLETTER with their reason, and the worker
// carries on with the next message.
func TestPoisonMessages(t *testing.T) {
	obs := newCountingObserver()
	cfg := natstest.Config(t)
	b := natstest.Open(t, cfg, nil, bus.WithObserver(obs))
	ctx := ctxT(t)

	garbage := []byte("\x00\xffnot json at all")
	gseq, _, err := b.Publish(ctx, "scamscreen.inbound.email.h1.p1", "em-garbage", garbage, nats.Header{"X-Trace": {"t1"}})
	if err != nil {
		t.Fatal(err)
	}
	panicMsg := testMessage("sms-panic")
	panicMsg.Text = "PANIC secret body 090-1234-5678"
	pseq, _, err := b.PublishMessage(ctx, panicMsg)
	if err != nil {
		t.Fatal(err)
	}
	_, last := publishN(t, b, "sms-after", 2)

	var rec recorder
	consume(t, b, screenSpec(), func(ctx context.Context, d *bus.Delivery) error {
		m, err := event.Decode[event.Message](d.Data())
		if err != nil {
			return errkind.Permanent(fmt.Errorf("decode message at seq %d: %w", d.Metadata().StreamSeq, err))
		}
		if strings.HasPrefix(m.Text, "PANIC") {
			var table map[string]int
			table["boom"]++ // assignment to entry in nil map
		}
		rec.add(m.ID)
		return nil
	})
	js := testJS(t, b)
	waitAllAcked(t, js, event.StreamInbound, "screen", last)
	if diff := cmp.Diff([]string{"sms-after-0", "sms-after-1"}, rec.get()); diff != "" {
		t.Errorf("messages handled after the poison ones (-want +got):\n%s", diff)
	}

	dead := streamMsgs(t, js, event.StreamDeadLetter)
	if len(dead) != 2 {
		t.Fatalf("DEADLETTER holds %d messages, want 2", len(dead))
	}
	g, p := dead[0], dead[1]
	if g.Header.Get(bus.HeaderOrigSeq) != fmt.Sprint(gseq) {
		g, p = p, g
	}
	checks := []struct {
		name string
		m    *jetstream.RawStreamMsg
		seq  uint64
		subj string
		orig string
		data []byte
		cat  string
		in   string
	}{
		{"undecodable", g, gseq, "scamscreen.dead.screen.h1.p1", "scamscreen.inbound.email.h1.p1", garbage, bus.CategoryPermanent, "decode message at seq"},
		{"panic", p, pseq, "scamscreen.dead.screen.h1.p1", "scamscreen.inbound.sms.h1.p1", nil, bus.CategoryPanic, "assignment to entry in nil map"},
	}
	for _, c := range checks {
		h := c.m.Header
		if c.m.Subject != c.subj || h.Get(bus.HeaderOrigSubject) != c.orig || h.Get(bus.HeaderOrigStream) != event.StreamInbound ||
			h.Get(bus.HeaderOrigSeq) != fmt.Sprint(c.seq) || h.Get(bus.HeaderDeliveries) != "1" || h.Get(bus.HeaderDeadStage) != "screen" ||
			h.Get(bus.HeaderDeadCategory) != c.cat || !strings.Contains(h.Get(bus.HeaderDeadReason), c.in) ||
			h.Get(jetstream.MsgIDHeader) != bus.DeadLetterID(event.StreamInbound, c.seq, "screen") || h.Get(bus.HeaderDeadAt) == "" {
			t.Errorf("%s dead letter: subject %q headers %v, want subject %s, category %s, reason containing %q and the origin", c.name, c.m.Subject, h, c.subj, c.cat, c.in)
		}
		if c.data != nil && !bytes.Equal(c.m.Data, c.data) {
			t.Errorf("%s dead letter payload = %q, want the original %q", c.name, c.m.Data, c.data)
		}
		if strings.Contains(fmt.Sprint(h), "secret body") || strings.Contains(fmt.Sprint(h), "090-1234") {
			t.Errorf("%s dead letter headers carry message content: %v", c.name, h)
		}
	}
	if g.Header.Get("X-Trace") != "t1" || g.Header.Get(bus.HeaderOrigMsgID) != "em-garbage" {
		t.Errorf("undecodable dead letter headers = %v, want the original's X-Trace and msg id kept", g.Header)
	}
	if got, err := event.Decode[event.Message](p.Data); err != nil || got.ID != "sms-panic" {
		t.Errorf("panic dead letter payload decodes to %v, %v, want the original message", got, err)
	}

	// Both were terminated, not left to redeliver.
	info := consumerInfo(t, js, event.StreamInbound, "screen")
	if info.NumRedelivered != 0 || info.NumAckPending != 0 {
		t.Errorf("consumer redelivered %d, pending %d, want 0 and 0 (terminated)", info.NumRedelivered, info.NumAckPending)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.outcomes[bus.OutcomeAck] != 2 || obs.outcomes[bus.OutcomeDeadLetter] != 2 || obs.dead[bus.CategoryPanic] != 1 || obs.dead[bus.CategoryPermanent] != 1 || !obs.lagSeen {
		t.Errorf("observer saw outcomes %v, dead letters %v, lag %v; want 2 acks, 2 dead letters (1 panic, 1 permanent) and lag", obs.outcomes, obs.dead, obs.lagSeen)
	}
}

func TestConsumeMaxDeliverDeadLetters(t *testing.T) {
	b := natstest.Embedded(t)
	_, last := publishN(t, b, "sms-flaky", 1)
	spec := screenSpec()
	spec.MaxDeliver = 3
	spec.Backoff = []time.Duration{10 * time.Millisecond}
	var rec recorder
	consume(t, b, spec, func(ctx context.Context, d *bus.Delivery) error {
		rec.add(fmt.Sprint(d.Metadata().NumDelivered))
		return errors.New("provider timeout")
	})
	js := testJS(t, b)
	waitAllAcked(t, js, event.StreamInbound, "screen", last)
	if diff := cmp.Diff([]string{"1", "2", "3"}, rec.get()); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
	dead := streamMsgs(t, js, event.StreamDeadLetter)
	if len(dead) != 1 {
		t.Fatalf("DEADLETTER holds %d messages, want 1", len(dead))
	}
	h := dead[0].Header
	if h.Get(bus.HeaderDeadCategory) != bus.CategoryMaxDeliveries || h.Get(bus.HeaderDeliveries) != "3" || !strings.Contains(h.Get(bus.HeaderDeadReason), "provider timeout") {
		t.Errorf("dead letter headers = %v, want max_deliveries after 3 with the last error", h)
	}
}

// A consumer that dies mid-stream (its connection closes with messages
// unacknowledged) loses nothing: a replica on the same durable gets every
// message it had not acknowledged.
func TestConsumeCrashRedeliversToReplica(t *testing.T) {
	srv := natstest.Embedded(t, func(c *bus.Config) { c.Embedded.Listen = "127.0.0.1:0" })
	ids, last := publishN(t, srv, "sms-crash", 10)
	spec := screenSpec()
	spec.AckWait = 2 * time.Second
	spec.Concurrency = 3

	crashing := natstest.Open(t, externalConfig(srv.ClientURL(), nil), nil)
	var (
		inflight recorder
		release  = make(chan struct{})
	)
	done := make(chan error, 1)
	go func() {
		done <- crashing.Consume(context.Background(), spec, func(ctx context.Context, d *bus.Delivery) error {
			inflight.add(decodeID(d))
			<-release
			return nil
		})
	}()
	waitFor(t, 10*time.Second, "3 messages in flight", func() bool { return inflight.len() == 3 })
	crashing.Conn().Close() // the crash: no ack, no nak, no drain
	close(release)
	select {
	case err := <-done:
		if !errors.Is(err, nats.ErrConnectionClosed) {
			t.Errorf("Consume() after its connection closed = %v, want ErrConnectionClosed", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Consume did not return after its connection closed")
	}

	var rec recorder
	consume(t, srv, spec, func(ctx context.Context, d *bus.Delivery) error {
		rec.add(decodeID(d))
		return nil
	})
	waitAllAcked(t, testJS(t, srv), event.StreamInbound, "screen", last)
	got := rec.get()
	slices.Sort(got)
	got = slices.Compact(got)
	if diff := cmp.Diff(ids, got); diff != "" {
		t.Errorf("ids handled by the replica (-want +got):\n%s", diff)
	}
	for _, id := range inflight.get() {
		if !slices.Contains(got, id) {
			t.Errorf("in-flight message %s of the crashed consumer never reached the replica", id)
		}
	}
}

func TestGracefulShutdownDrainsInFlight(t *testing.T) {
	b := natstest.Embedded(t)
	ids, last := publishN(t, b, "sms-drain", 6)
	spec := screenSpec()
	spec.Concurrency = 2
	var (
		started recorder
		release = make(chan struct{})
		ctxErrs = make(chan error, 10)
	)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- b.Consume(ctx, spec, func(hctx context.Context, d *bus.Delivery) error {
			started.add(decodeID(d))
			<-release
			ctxErrs <- hctx.Err()
			return nil
		})
	}()
	waitFor(t, 10*time.Second, "2 handlers running", func() bool { return started.len() == 2 })
	cancel()
	select {
	case err := <-done:
		t.Fatalf("Consume() returned %v while handlers were still running", err)
	default:
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Consume() = %v, want nil", err)
	}
	for range 2 {
		if err := <-ctxErrs; err != nil {
			t.Errorf("in-flight handler context = %v during a graceful stop, want still valid", err)
		}
	}

	// The two in-flight messages were acked; the rest were handed back and
	// go to the next consumer at once, with nothing lost.
	var rec recorder
	consume(t, b, spec, func(ctx context.Context, d *bus.Delivery) error {
		rec.add(decodeID(d))
		return nil
	})
	waitAllAcked(t, testJS(t, b), event.StreamInbound, "screen", last)
	got := append(rec.get(), started.get()...)
	slices.Sort(got)
	if diff := cmp.Diff(ids, got); diff != "" {
		t.Errorf("handled ids over both runs (-want +got):\n%s", diff)
	}
}

func TestShutdownGraceCancelsHandlers(t *testing.T) {
	b := natstest.Embedded(t)
	_, last := publishN(t, b, "sms-stuck", 1)
	spec := screenSpec()
	spec.ShutdownGrace = 50 * time.Millisecond
	started := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- b.Consume(ctx, spec, func(hctx context.Context, d *bus.Delivery) error {
			close(started)
			<-hctx.Done()
			return hctx.Err()
		})
	}()
	<-started
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Consume() = %v, want nil", err)
	}
	// Released, not retried with backoff and not dead-lettered: the next
	// consumer gets it as its second delivery.
	var rec recorder
	consume(t, b, spec, func(ctx context.Context, d *bus.Delivery) error {
		rec.add(fmt.Sprint(d.Metadata().NumDelivered))
		return nil
	})
	waitAllAcked(t, testJS(t, b), event.StreamInbound, "screen", last)
	if diff := cmp.Diff([]string{"2"}, rec.get()); diff != "" {
		t.Errorf("deliveries seen by the next consumer (-want +got):\n%s", diff)
	}
}

func TestCloseStopsConsume(t *testing.T) {
	b := natstest.Embedded(t)
	done := make(chan error, 1)
	running := make(chan struct{})
	go func() {
		close(running)
		done <- b.Consume(context.Background(), screenSpec(), func(context.Context, *bus.Delivery) error { return nil })
	}()
	<-running
	waitFor(t, 10*time.Second, "the durable consumer", func() bool {
		_, err := testJS(t, b).Consumer(ctxT(t), event.StreamInbound, "screen")
		return err == nil
	})
	natstest.Close(t, b)
	if err := <-done; err != nil {
		t.Errorf("Consume() after Close = %v, want nil", err)
	}
}

func TestConsumeErrors(t *testing.T) {
	b := natstest.Embedded(t)
	h := func(context.Context, *bus.Delivery) error { return nil }
	if err := b.Consume(ctxT(t), bus.ConsumerSpec{Stream: event.StreamInbound, Durable: "a.b"}, h); err == nil {
		t.Errorf("Consume(durable with a dot) = nil, want an error")
	}
	if err := b.Consume(ctxT(t), bus.ConsumerSpec{Stream: "NOPE", Durable: "screen"}, h); err == nil {
		t.Errorf("Consume(missing stream) = nil, want an error")
	}
	if err := b.Consume(ctxT(t), screenSpec(), nil); err == nil {
		t.Errorf("Consume(nil handler) = nil, want an error")
	}
}
