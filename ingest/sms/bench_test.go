package sms_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/sms"
	"github.com/scamscreen/scamscreen/ingest/sms/smstest"
	"github.com/scamscreen/scamscreen/internal/natstest"
)

// Load-test knobs for BenchmarkTwilioOpenLoop:
//
//	go test ./ingest/sms -run '^$' -bench TwilioOpenLoop -benchtime 1x -sms.rate 500 -sms.duration 20s
var (
	loadRate     = flag.Int("sms.rate", 500, "requests per second of BenchmarkTwilioOpenLoop")
	loadDuration = flag.Duration("sms.duration", 10*time.Second, "how long BenchmarkTwilioOpenLoop sends")
)

// twilioForm returns the i-th distinct Twilio webhook of a benchmark run
// and its signature.
func twilioForm(run string, i int64, body string) (string, string) {
	p := url.Values{
		"MessageSid":  {fmt.Sprintf("SM%s%024d", run, i)},
		"AccountSid":  {smstest.TwilioAccountSID},
		"From":        {stranger},
		"To":          {hanakoE164},
		"Body":        {body},
		"NumMedia":    {"0"},
		"NumSegments": {"1"},
		"SmsStatus":   {"received"},
		"ApiVersion":  {"2010-04-01"},
	}
	return p.Encode(), smstest.SignTwilio(authToken, publicURL+"/sms/twilio", p)
}

// benchListener runs a listener on loopback that publishes to an embedded
// JetStream with file storage, and returns its base URL.
func benchListener(b *testing.B) string {
	b.Helper()
	bus := natstest.Embedded(b)
	cfg := testConfig(b)
	cfg.Listen = "127.0.0.1:0"
	srv, err := sms.New(cfg, directory(b), bus, sms.Options{Registerer: prometheus.NewRegistry()})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("Run() = %v", err)
		}
	})
	select {
	case <-srv.Started():
	case err := <-done:
		b.Fatalf("Run() = %v", err)
	}
	return "http://" + srv.Addr().String()
}

func benchClient(b *testing.B, conns int) *http.Client {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute}
	b.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

func post(hc *http.Client, base, body, sig string) (int, error) {
	req, err := http.NewRequest(http.MethodPost, base+"/sms/twilio", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(sms.HeaderTwilioSignature, sig)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

const benchBody = "【未払い料金のお知らせ】ご利用料金が未納です。本日中に 050-3184-2976 までご連絡ください。"

// BenchmarkTwilio measures closed-loop throughput of POST /sms/twilio over
// loopback HTTP: signature check, mapping, and a publish to INBOUND that
// waits for JetStream's ack (embedded server, file storage). Every request
// is a new message. The load generator runs in the same process and
// shares the CPUs.
func BenchmarkTwilio(b *testing.B) {
	base := benchListener(b)
	for _, par := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("clients=%d", par), func(b *testing.B) {
			hc := benchClient(b, par)
			run := fmt.Sprintf("%08x", time.Now().UnixNano()&0xffffffff)
			var next, failed atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for range par {
				wg.Go(func() {
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						body, sig := twilioForm(run, i, benchBody)
						if st, err := post(hc, base, body, sig); err != nil || st != 200 {
							failed.Add(1)
						}
					}
				})
			}
			wg.Wait()
			el := time.Since(start)
			b.StopTimer()
			if f := failed.Load(); f > 0 {
				b.Fatalf("%d of %d requests failed", f, b.N)
			}
			b.ReportMetric(float64(b.N)/el.Seconds(), "req/s")
		})
	}
}

// BenchmarkTwilioOpenLoop sends -sms.rate requests per second for
// -sms.duration on a fixed schedule, whatever the answers do (open loop),
// and reports latency percentiles measured from each request's scheduled
// send time, so a stalled listener cannot hide its queueing (no
// coordinated omission). It runs one session whatever b.N is; use
// -benchtime 1x.
func BenchmarkTwilioOpenLoop(b *testing.B) {
	base := benchListener(b)
	hc := benchClient(b, 256)
	rate, dur := *loadRate, *loadDuration
	interval := time.Second / time.Duration(rate)
	total := int(dur / interval)
	run := fmt.Sprintf("%08x", time.Now().UnixNano()&0xffffffff)

	// Warm up connections and JetStream.
	for i := range 50 {
		body, sig := twilioForm("w"+run[1:], int64(i), benchBody)
		if st, err := post(hc, base, body, sig); err != nil || st != 200 {
			b.Fatalf("warm-up request = %d, %v", st, err)
		}
	}
	lat := make([]time.Duration, total)
	var failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := range total {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func(i int, due time.Time) {
			defer wg.Done()
			body, sig := twilioForm(run, int64(i), benchBody)
			st, err := post(hc, base, body, sig)
			lat[i] = time.Since(due)
			if err != nil || st != 200 {
				failed.Add(1)
			}
		}(i, due)
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(total)/el.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.90), "p90-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(0.999), "p99.9-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(failed.Load()), "failed")
	b.Logf("%d requests at %d/s over %s: p50 %.2f ms, p99 %.2f ms, max %.2f ms, %d failed",
		total, rate, el.Round(time.Millisecond), pct(0.5), pct(0.99), float64(lat[len(lat)-1].Microseconds())/1000, failed.Load())
}

// BenchmarkTwilioHandler is the handler alone, in process, with a
// publisher that stores nothing: the listener's own cost per request.
func BenchmarkTwilioHandler(b *testing.B) {
	cfg := testConfig(b)
	srv, err := sms.New(cfg, directory(b), nopPub{}, sms.Options{})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	body, sig := twilioForm("handler0", 1, benchBody)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/sms/twilio", strings.NewReader(body))
		req.Header.Set(sms.HeaderTwilioSignature, sig)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// nopPub accepts every message and keeps nothing.
type nopPub struct{}

func (nopPub) PublishMessage(context.Context, *event.Message) (uint64, bool, error) {
	return 1, false, nil
}
