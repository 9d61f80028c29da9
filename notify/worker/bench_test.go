package worker_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/natstest"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/notifytest"
	"github.com/scamscreen/scamscreen/notify/worker"
)

// benchRate is the verdict rate of BenchmarkVerdictToSMS, per second.
const benchRate = 500

// BenchmarkVerdictToSMS measures the notify stage end to end on embedded
// JetStream: verdicts are published to VERDICTS at 500 per second (real
// engine verdicts on a Japanese impersonation lure, each for its own
// household, so nothing is grouped), and for every SMS the fake Twilio
// receives, the time from the verdict's publish to the provider request is
// taken. Every verdict makes two SMS (the son's alert and the person's own
// warning) and starts an escalation, as urgent lures do. Run it with a
// fixed count, e.g.
//
//	go test ./notify/worker -run '^$' -bench VerdictToSMS -benchtime 5000x
//
// It reports p50 and p99 of the son's SMS and of all SMS, in ms.
func BenchmarkVerdictToSMS(b *testing.B) {
	bb := natstest.Embedded(b)
	fake := notifytest.NewTwilioFake(notifytest.TwilioAccountSID, notifytest.TwilioAuthToken)
	defer fake.Close()
	cfg := testConfig(b, fake)
	cfg.Worker.RouteConcurrency = 8
	cfg.Worker.DeliverConcurrency = 32

	n := b.N
	people := make([]notify.Person, n)
	for i := range people {
		people[i] = notify.Person{
			Household: "h" + strconv.Itoa(i), ID: "p", Name: "田中花子", Phones: []string{fmt.Sprintf("+8190%08d", i)},
			Notify: notify.PersonConfig{Contacts: []notify.ContactConfig{{ID: "son", Name: "健二", SMS: fmt.Sprintf("+8180%08d", i), Consent: notify.ConsentReasons}}},
		}
	}
	dir := directory(b, cfg, people...)
	template := screenLure(b, "SM-bench", lureText)

	var mu sync.Mutex
	published := make([]time.Time, n)
	var sonLat, allLat []time.Duration
	arrived := 0
	fake.OnCreate(func(m notifytest.TwilioMessage) {
		at := time.Now()
		i, err := strconv.Atoi(m.To[5:])
		if err != nil || i >= n {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		d := at.Sub(published[i])
		allLat = append(allLat, d)
		if m.To[:5] == "+8180" {
			sonLat = append(sonLat, d)
		}
		arrived++
	})
	start(b, bb, cfg, worker.Deps{Directory: dir, Channels: twilioChannels(b, cfg), Logger: zap.NewNop()})

	verdicts := make([]*event.Verdict, n)
	for i := range verdicts {
		v := *template
		v.Household, v.Person = "h"+strconv.Itoa(i), "p"
		v.MessageID = event.SMSID("bench", strconv.Itoa(i))
		v.ID = event.VerdictID(v.MessageID, v.RulePacks)
		verdicts[i] = &v
	}

	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	begin := time.Now()
	for i, v := range verdicts {
		if wait := time.Until(begin.Add(time.Duration(i) * time.Second / benchRate)); wait > 0 {
			time.Sleep(wait)
		}
		now := time.Now()
		mu.Lock()
		published[i] = now
		mu.Unlock()
		v.ScreenedAt = now.UTC()
		if _, _, err := bb.PublishVerdict(ctx, v); err != nil {
			b.Fatal(err)
		}
	}
	deadline := time.Now().Add(2*time.Minute + time.Duration(n)*time.Second/benchRate)
	for {
		mu.Lock()
		done := arrived >= 2*n
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d SMS arrived", arrived, 2*n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(begin)
	b.StopTimer()

	mu.Lock()
	defer mu.Unlock()
	b.ReportMetric(quantile(sonLat, 0.50), "son-p50-ms")
	b.ReportMetric(quantile(sonLat, 0.99), "son-p99-ms")
	b.ReportMetric(quantile(allLat, 0.50), "sms-p50-ms")
	b.ReportMetric(quantile(allLat, 0.99), "sms-p99-ms")
	b.ReportMetric(quantile(allLat, 1), "sms-max-ms")
	b.ReportMetric(float64(n)/elapsed.Seconds(), "verdicts/s")
}

// quantile returns the q-quantile of ds in milliseconds (nearest rank).
func quantile(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return math.NaN()
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	i = max(0, min(i, len(s)-1))
	return float64(s[i].Microseconds()) / 1000
}
