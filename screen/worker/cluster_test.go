//go:build unix

package worker_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/natstest"
	"github.com/scamscreen/scamscreen/screen/worker"
)

// TestClusterLeaderKill runs the screen worker against three real
// nats-server processes with 3-replica streams, kills the INBOUND stream
// leader with SIGKILL during a 10,000-message run, and checks that every
// message still gets exactly one verdict.
func TestClusterLeaderKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nats-server processes; run without -short")
	}
	const n = 10_000
	c := natstest.StartCluster(t, 3)
	cfg := natstest.Config(t)
	cfg.URL = bus.URLList(c.URLs())
	cfg.Streams.Replicas = 3
	cfg.RequestTimeout = time.Second
	cfg.RequestAttempts = 30
	pub := natstest.Open(t, cfg, nil)
	wb := natstest.Open(t, cfg, nil)

	w := worker.New(wb, engine(t), worker.Options{Concurrency: 16, AckWait: 3 * time.Second, MaxDeliver: 50}, zaptest.NewLogger(t), nil)
	stop := run(t, w)
	defer stop()

	published := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		res, err := pub.PublishAll(ctx, func(yield func(bus.Outgoing) bool) {
			subj, _ := event.InboundSubject(event.ChannelSMS, "h1", "p1")
			for i := range n {
				m := message(i, fmt.Sprintf("至急 ご利用料金の支払い確認が取れておりません %d", i))
				data, _ := event.Encode(m)
				if !yield(bus.Outgoing{Subject: subj, MsgID: m.ID, Data: data}) {
					return
				}
			}
		}, 128)
		if err == nil && res.Published != n {
			err = fmt.Errorf("PublishAll published %d, want %d", res.Published, n)
		}
		published <- err
	}()

	waitFor(t, "a third of the verdicts", func() bool { return streamCount(t, pub, event.StreamVerdicts) >= n/3 })
	leader := c.StreamLeader(event.StreamInbound)
	t.Logf("killing node %d (%s), the INBOUND leader", leader, c.Name(leader))
	c.Kill(leader)

	if err := <-published; err != nil {
		t.Fatalf("publishing: %v", err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for streamCount(t, pub, event.StreamVerdicts) < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d verdicts after the leader was killed", streamCount(t, pub, event.StreamVerdicts), n)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(4 * time.Second) // redeliveries after the election
	got := verdictsByMessage(t, pub)
	missing, twice := 0, 0
	for i := range n {
		switch len(got[message(i, "").ID]) {
		case 0:
			missing++
		case 1:
		default:
			twice++
		}
	}
	if missing > 0 || twice > 0 || len(got) != n {
		t.Fatalf("%d messages without a verdict, %d with more than one, %d with any (want %d)", missing, twice, len(got), n)
	}
}
