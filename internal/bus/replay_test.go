package bus_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/natstest"
)

func TestReplay(t *testing.T) {
	b := natstest.Embedded(t)
	ids, _ := publishN(t, b, "sms-hist", 5)
	other := testMessage("em-other")
	other.Channel = event.ChannelEmail
	other.Household = "h2"
	if _, _, err := b.PublishMessage(ctxT(t), other); err != nil {
		t.Fatal(err)
	}
	all := append(append([]string(nil), ids...), "em-other")

	// A durable consumer's state is untouched by replays.
	var consumed recorder
	stop := consume(t, b, screenSpec(), func(ctx context.Context, d *bus.Delivery) error {
		consumed.add(decodeID(d))
		return nil
	})
	waitFor(t, 10*time.Second, "the durable to handle everything", func() bool { return consumed.len() == len(all) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	js := testJS(t, b)
	third := streamMsgs(t, js, event.StreamInbound)[2]
	tests := []struct {
		name    string
		filters []string
		from    bus.ReplayFrom
		want    []string
	}{
		{"everything", nil, bus.ReplayFrom{}, all},
		{"from sequence 3", nil, bus.ReplayFrom{Seq: 3}, all[2:]},
		{"from a time", nil, bus.ReplayFrom{Time: third.Time}, all[2:]},
		{"email only", []string{"scamscreen.inbound.email.>"}, bus.ReplayFrom{}, []string{"em-other"}},
		{"one household", []string{"scamscreen.inbound.*.h1.>"}, bus.ReplayFrom{Seq: 4}, ids[3:]},
		{"nothing after the end", nil, bus.ReplayFrom{Seq: 100}, nil},
		{"nothing matches", []string{"scamscreen.inbound.sms.nobody.>"}, bus.ReplayFrom{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := b.Replay(ctxT(t), event.StreamInbound, tt.filters, tt.from, func(ctx context.Context, d *bus.Delivery) error {
				if err := d.InProgress(); err != nil {
					t.Errorf("InProgress() during replay = %v, want nil", err)
				}
				got = append(got, decodeID(d))
				return nil
			})
			if err != nil {
				t.Fatalf("Replay() = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("replayed ids (-want +got):\n%s", diff)
			}
		})
	}

	stopErr := errors.New("enough")
	n := 0
	err := b.Replay(ctxT(t), event.StreamInbound, nil, bus.ReplayFrom{}, func(ctx context.Context, d *bus.Delivery) error {
		n++
		if n == 2 {
			return stopErr
		}
		return nil
	})
	if !errors.Is(err, stopErr) || n != 2 {
		t.Errorf("Replay() with a failing fn = %v after %d messages, want the fn's error after 2", err, n)
	}
	info := consumerInfo(t, js, event.StreamInbound, "screen")
	if info.NumPending != 0 || info.NumAckPending != 0 || info.Delivered.Consumer != uint64(len(all)) {
		t.Errorf("durable after replays: pending %d, ack pending %d, delivered %d, want 0, 0, %d", info.NumPending, info.NumAckPending, info.Delivered.Consumer, len(all))
	}
}
