package worker_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/natstest"
	"github.com/scamscreen/scamscreen/screen/worker"
)

// BenchmarkPipeline measures ingest → verdict through embedded JetStream
// with file storage: b.N SMS-sized messages published asynchronously into
// INBOUND, screened by the worker, verdicts acknowledged on VERDICTS. It
// reports messages per second; the raw publish rate comes beside it as
// publish-msg/s. (`scamscreen loadgen` measures the same with latency
// percentiles.)
func BenchmarkPipeline(b *testing.B) {
	bb := natstest.Embedded(b)
	w := worker.New(bb, engine(b), worker.Options{Concurrency: 8}, zap.NewNop(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	texts := []string{
		"【ご利用料金のお知らせ】お支払いが確認できておりません。本日中に050-1234-5678までご連絡ください。",
		"今日の夕飯は何がいい？帰りにスーパーに寄るね",
		"Your package could not be delivered due to an incomplete address. Update it here: https://usps-redelivery.top",
		"Running late, start dinner without me",
	}
	subj, _ := event.InboundSubject(event.ChannelSMS, "h1", "p1")
	run := fmt.Sprint(time.Now().UnixNano())
	base := streamCount(b, bb, event.StreamVerdicts)
	b.ResetTimer()
	start := time.Now()
	if _, err := bb.PublishAll(ctx, func(yield func(bus.Outgoing) bool) {
		for i := range b.N {
			m := &event.Message{ID: event.SMSID(run, fmt.Sprint(i)), Channel: event.ChannelSMS, Direction: event.DirectionIn,
				Household: "h1", Person: "p1", Text: texts[i%len(texts)]}
			data, _ := event.Encode(m)
			if !yield(bus.Outgoing{Subject: subj, MsgID: m.ID, Data: data}) {
				return
			}
		}
	}, 256); err != nil {
		b.Fatal(err)
	}
	published := time.Since(start)
	for streamCount(b, bb, event.StreamVerdicts)-base < b.N {
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msg/s")
	b.ReportMetric(float64(b.N)/published.Seconds(), "publish-msg/s")
}
