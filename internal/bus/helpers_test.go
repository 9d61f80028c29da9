package bus_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/bus"
)

// testJS returns a jetstream handle on b's connection, for assertions the
// bus API does not offer (stream contents, consumer state).
func testJS(t testing.TB, b *bus.Bus) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(b.Conn())
	if err != nil {
		t.Fatalf("jetstream.New() = %v", err)
	}
	return js
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func streamInfo(t testing.TB, js jetstream.JetStream, name string) *jetstream.StreamInfo {
	t.Helper()
	s, err := js.Stream(ctxT(t), name)
	if err != nil {
		t.Fatalf("Stream(%s) = %v", name, err)
	}
	info, err := s.Info(ctxT(t))
	if err != nil {
		t.Fatalf("Stream(%s).Info() = %v", name, err)
	}
	return info
}

func consumerInfo(t testing.TB, js jetstream.JetStream, stream, name string) *jetstream.ConsumerInfo {
	t.Helper()
	c, err := js.Consumer(ctxT(t), stream, name)
	if err != nil {
		t.Fatalf("Consumer(%s, %s) = %v", stream, name, err)
	}
	info, err := c.Info(ctxT(t))
	if err != nil {
		t.Fatalf("Consumer(%s, %s).Info() = %v", stream, name, err)
	}
	return info
}

// waitAllAcked waits until consumer has acknowledged (or terminated)
// everything in its stream up to lastSeq.
func waitAllAcked(t testing.TB, js jetstream.JetStream, stream, name string, lastSeq uint64) {
	t.Helper()
	waitFor(t, 20*time.Second, fmt.Sprintf("consumer %s to ack through seq %d", name, lastSeq), func() bool {
		c, err := js.Consumer(ctxT(t), stream, name)
		if errors.Is(err, jetstream.ErrConsumerNotFound) {
			return false // the loop has not created it yet
		}
		if err != nil {
			t.Fatalf("Consumer(%s, %s) = %v", stream, name, err)
		}
		info := c.CachedInfo()
		return info.NumAckPending == 0 && info.AckFloor.Stream >= lastSeq
	})
}

// streamMsgs returns every message stored in stream, in order.
func streamMsgs(t testing.TB, js jetstream.JetStream, name string) []*jetstream.RawStreamMsg {
	t.Helper()
	s, err := js.Stream(ctxT(t), name)
	if err != nil {
		t.Fatalf("Stream(%s) = %v", name, err)
	}
	info := s.CachedInfo()
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctxT(t), seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatalf("GetMsg(%s, %d) = %v", name, seq, err)
		}
		out = append(out, m)
	}
	return out
}

func testMessage(id string) *event.Message {
	return &event.Message{
		ID:         id,
		Channel:    event.ChannelSMS,
		Direction:  event.DirectionIn,
		Household:  "h1",
		Person:     "p1",
		Source:     "test",
		ReceivedAt: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC),
		From:       event.Address{Addr: "+819000000000"},
		Text:       "Amazonギフト券を買って番号を送ってください",
	}
}

// publishN publishes n messages with ids prefix-0 ... and returns the ids
// and the last stream sequence.
func publishN(t testing.TB, b *bus.Bus, prefix string, n int) ([]string, uint64) {
	t.Helper()
	var ids []string
	var last uint64
	for i := range n {
		id := fmt.Sprintf("%s-%d", prefix, i)
		seq, _, err := b.PublishMessage(ctxT(t), testMessage(id))
		if err != nil {
			t.Fatalf("PublishMessage(%s) = %v", id, err)
		}
		ids = append(ids, id)
		last = seq
	}
	return ids, last
}

// consume runs b.Consume in a goroutine; stop cancels it and returns its
// result.
func consume(t testing.TB, b *bus.Bus, spec bus.ConsumerSpec, h bus.Handler) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Consume(ctx, spec, h) }()
	stopped := false
	var result error
	stop = func() error {
		t.Helper()
		if stopped {
			return result
		}
		stopped = true
		cancel()
		select {
		case result = <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("Consume did not return within 30s of its context being cancelled")
		}
		return result
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func decodeID(d *bus.Delivery) string {
	m, err := event.Decode[event.Message](d.Data())
	if err != nil {
		return ""
	}
	return m.ID
}
