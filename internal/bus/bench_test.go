package bus_test

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/natstest"
)

// benchBuses returns a bus per transport: in-process (the embedded
// default) and loopback TCP to the same kind of server.
func benchBuses(b *testing.B) map[string]*bus.Bus {
	srv := natstest.Embedded(b, func(c *bus.Config) { c.Embedded.Listen = "127.0.0.1:0" })
	tcp := natstest.Open(b, externalConfig(srv.ClientURL(), nil), nil)
	return map[string]*bus.Bus{"inproc": srv, "tcp": tcp}
}

var payload512 = make([]byte, 512)

// BenchmarkPublish measures acknowledged publishes of 512-byte payloads
// with a message id to file storage: one at a time, and through
// PublishAll's window of 256.
func BenchmarkPublish(b *testing.B) {
	for _, transport := range []string{"inproc", "tcp"} {
		b.Run("sync/"+transport, func(b *testing.B) {
			bb := benchBuses(b)[transport]
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(int64(len(payload512)))
			b.ResetTimer()
			for i := range b.N {
				if _, _, err := bb.Publish(ctx, "scamscreen.inbound.sms.h1.p1", "bench-"+strconv.Itoa(i), payload512, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
		})
		b.Run("async/"+transport, func(b *testing.B) {
			bb := benchBuses(b)[transport]
			b.ReportAllocs()
			b.SetBytes(int64(len(payload512)))
			b.ResetTimer()
			res, err := bb.PublishAll(context.Background(), func(yield func(bus.Outgoing) bool) {
				for i := range b.N {
					if !yield(bus.Outgoing{Subject: "scamscreen.inbound.sms.h1.p1", MsgID: "bench-" + strconv.Itoa(i), Data: payload512}) {
						return
					}
				}
			}, 256)
			if err != nil || res.Published != b.N {
				b.Fatalf("PublishAll() = %+v, %v", res, err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
		})
	}
}

// BenchmarkPublishMessage is the ingest path: validate, encode and publish
// an event.Message of about 500 bytes, synchronously.
func BenchmarkPublishMessage(b *testing.B) {
	bb := natstest.Embedded(b)
	ctx := context.Background()
	msg := testMessage("")
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		msg.ID = "sms-bench-" + strconv.Itoa(i)
		if _, _, err := bb.PublishMessage(ctx, msg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}

// BenchmarkRoundTrip measures publish → consume → ack through the consume
// loop: b.N messages are published asynchronously while the loop handles
// them, and the clock stops when the last one is handled.
func BenchmarkRoundTrip(b *testing.B) {
	for _, conc := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			bb := natstest.Embedded(b)
			var handled atomic.Int64
			done := make(chan struct{})
			n := int64(b.N)
			ctx, cancel := context.WithCancel(context.Background())
			loop := make(chan error, 1)
			b.ReportAllocs()
			b.ResetTimer()
			go func() {
				loop <- bb.Consume(ctx, bus.ConsumerSpec{Stream: event.StreamInbound, Durable: "bench", Concurrency: conc},
					func(context.Context, *bus.Delivery) error {
						if handled.Add(1) == n {
							close(done)
						}
						return nil
					})
			}()
			if _, err := bb.PublishAll(ctx, func(yield func(bus.Outgoing) bool) {
				for i := range b.N {
					if !yield(bus.Outgoing{Subject: "scamscreen.inbound.sms.h1.p1", MsgID: "rt-" + strconv.Itoa(i), Data: payload512}) {
						return
					}
				}
			}, 256); err != nil {
				b.Fatal(err)
			}
			<-done
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
			cancel()
			if err := <-loop; err != nil {
				b.Fatal(err)
			}
		})
	}
}
