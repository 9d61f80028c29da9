package bus_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/natstest"
)

// TestClusterLeaderKillExactlyOnce runs the pipeline's core guarantee on a
// real three-node cluster: 10,000 inputs are published with message ids
// while a worker turns each into a result whose id is derived from the
// input's; midway the INBOUND stream leader is killed with SIGKILL. Every
// input must still have exactly one result, and none may be lost.
func TestClusterLeaderKillExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nats-server processes; run without -short")
	}
	const n = 10_000
	c := natstest.StartCluster(t, 3)
	cfg := externalConfig(strings.Join(c.URLs(), ","), func(cfg *bus.Config) {
		cfg.Streams.Replicas = 3
		cfg.RequestTimeout = time.Second
		cfg.RequestAttempts = 30
	})
	pub := natstest.Open(t, cfg, nil)
	worker := natstest.Open(t, cfg, nil)
	js := testJS(t, pub)
	if r := streamInfo(t, js, event.StreamInbound).Config.Replicas; r != 3 {
		t.Fatalf("INBOUND replicas = %d, want 3", r)
	}

	var processed atomic.Int64
	consume(t, worker, bus.ConsumerSpec{
		Stream:      event.StreamInbound,
		Durable:     "screen",
		Concurrency: 16,
		AckWait:     3 * time.Second,
		MaxDeliver:  50, // elections may fail a few attempts; nothing is poison here
		Backoff:     []time.Duration{50 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond},
	}, func(ctx context.Context, d *bus.Delivery) error {
		in := d.Header().Get(jetstream.MsgIDHeader)
		if in == "" {
			return errors.New("input without a message id")
		}
		if _, _, err := worker.Publish(ctx, "scamscreen.verdict.h1.p1", "res-"+in, []byte(in), nil); err != nil {
			return err
		}
		processed.Add(1)
		return nil
	})

	published := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		res, err := pub.PublishAll(ctx, func(yield func(bus.Outgoing) bool) {
			for i := range n {
				id := fmt.Sprintf("in-%05d", i)
				if !yield(bus.Outgoing{Subject: "scamscreen.inbound.sms.h1.p1", MsgID: id, Data: []byte(id)}) {
					return
				}
			}
		}, 128)
		if err == nil && res.Published != n {
			err = fmt.Errorf("PublishAll published %d, want %d", res.Published, n)
		}
		published <- err
	}()

	waitFor(t, 60*time.Second, "a third of the results", func() bool { return processed.Load() >= n/3 })
	leader := c.StreamLeader(event.StreamInbound)
	t.Logf("killing INBOUND leader %s after %d results", c.Name(leader), processed.Load())
	c.Kill(leader)

	if err := <-published; err != nil {
		t.Fatalf("publishing inputs: %v", err)
	}
	var state string
	deadline := time.Now().Add(90 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		var done bool
		v, err := js.Stream(ctx, event.StreamVerdicts)
		if err == nil {
			cons, cerr := js.Consumer(ctx, event.StreamInbound, "screen")
			if cerr == nil {
				info := cons.CachedInfo()
				msgs := v.CachedInfo().State.Msgs
				state = fmt.Sprintf("%d results stored, %d handled; consumer: pending %d, ack pending %d, waiting %d, redelivered %d, delivered %d, ack floor %d",
					msgs, processed.Load(), info.NumPending, info.NumAckPending, info.NumWaiting, info.NumRedelivered, info.Delivered.Stream, info.AckFloor.Stream)
				done = msgs >= n && info.NumPending == 0 && info.NumAckPending == 0
			} else {
				err = cerr
			}
		}
		cancel()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not finished after 90s: %s (last error %v)", state, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("finished: %s", state)

	inputs := map[string]int{}
	if err := pub.Replay(ctxT(t), event.StreamInbound, nil, bus.ReplayFrom{}, func(ctx context.Context, d *bus.Delivery) error {
		inputs[string(d.Data())]++
		return nil
	}); err != nil {
		t.Fatalf("Replay(INBOUND) = %v after %d messages", err, len(inputs))
	}
	results := map[string]int{}
	if err := pub.Replay(ctxT(t), event.StreamVerdicts, nil, bus.ReplayFrom{}, func(ctx context.Context, d *bus.Delivery) error {
		results[string(d.Data())]++
		return nil
	}); err != nil {
		t.Fatalf("Replay(VERDICTS) = %v after %d messages", err, len(results))
	}
	var missing, doubled []string
	for i := range n {
		id := fmt.Sprintf("in-%05d", i)
		if inputs[id] != 1 {
			t.Errorf("input %s stored %d times, want 1", id, inputs[id])
		}
		switch results[id] {
		case 1:
		case 0:
			missing = append(missing, id)
		default:
			doubled = append(doubled, id)
		}
	}
	if len(inputs) != n || len(results) != n || len(missing) > 0 || len(doubled) > 0 {
		t.Errorf("%d inputs, %d results; %d inputs without a result (first: %.5v), %d with more than one (first: %.5v); want %d each exactly once",
			len(inputs), len(results), len(missing), missing, len(doubled), doubled, n)
	}

	// The killed node comes back and rejoins.
	c.Restart(leader)
	if l := c.StreamLeader(event.StreamInbound); l < 0 {
		t.Errorf("no INBOUND leader after restarting %s", c.Name(leader))
	}
}
