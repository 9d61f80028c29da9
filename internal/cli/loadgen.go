package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/obs"
	"github.com/scamscreen/scamscreen/screen/worker"
)

// loadgenTexts are SMS-sized bodies, lures and ordinary messages in
// Japanese and English, cycled through by loadgen.
var loadgenTexts = []string{
	"【ご利用料金のお知らせ】お支払いが確認できておりません。本日中に050-1234-5678までご連絡ください。",
	"今日の夕飯は何がいい？帰りにスーパーに寄るね",
	"お母さん、携帯を変えたよ。急ぎでお願いがあるんだけど、コンビニでギフトカードを買って番号を送って",
	"明日の会議は10時からに変更になりました。よろしくお願いします。",
	"【Amazon】お客様のアカウントがロックされました。下記URLよりご本人確認をお願いします https://amazon-check.top/",
	"Running late, start dinner without me",
	"Your package could not be delivered due to an incomplete address. Update it here: https://usps-redelivery.top",
	"Thanks for the gift card, I already bought a book with it!",
}

type loadgenOptions struct {
	count       int
	rate        float64
	concurrency int
	household   string
	person      string
	timeout     time.Duration
	window      int
}

func runLoadgen(ctx context.Context, args []string, env Env) int {
	fs := newFlags("loadgen", "[--config FILE] [flags]", env)
	var (
		cfgPath = fs.String("config", "", "a deployment's configuration: publish to its NATS, where screen workers must be running (default: an embedded JetStream and an in-process screen worker)")
		o       loadgenOptions
	)
	fs.IntVar(&o.count, "count", 10000, "messages to publish")
	fs.Float64Var(&o.rate, "rate", 0, "messages per second (0: as fast as the bus takes them)")
	fs.IntVar(&o.concurrency, "concurrency", 8, "screen worker concurrency (embedded mode)")
	fs.StringVar(&o.household, "household", "loadgen", "household token of the synthetic messages")
	fs.StringVar(&o.person, "person", "p1", "person token of the synthetic messages")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "give up waiting for verdicts after this")
	fs.IntVar(&o.window, "window", 256, "publishes awaiting their ack at once")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if o.count <= 0 || o.rate < 0 || o.concurrency <= 0 || o.window <= 0 {
		fmt.Fprintln(env.Err, "scamscreen loadgen: count, concurrency and window must be positive, rate not negative")
		return ExitUsage
	}
	for _, tok := range []string{o.household, o.person} {
		if err := event.CheckToken("token", tok); err != nil {
			fmt.Fprintf(env.Err, "scamscreen loadgen: %v\n", err)
			return ExitUsage
		}
	}
	log, _, err := obs.NewLogger(obs.LogConfig{Level: "warn", Format: "console"}, stderrSyncer(env.Err))
	if err != nil {
		fmt.Fprintf(env.Err, "scamscreen loadgen: %v\n", err)
		return ExitError
	}
	b, stop, err := loadgenBus(ctx, *cfgPath, o, log)
	if err != nil {
		fmt.Fprintf(env.Err, "scamscreen loadgen: %v\n", err)
		return ExitError
	}
	defer stop()
	rep, err := loadgen(ctx, b, o, env)
	if err != nil {
		fmt.Fprintf(env.Err, "scamscreen loadgen: %v\n", err)
		return ExitError
	}
	rep.print(env)
	return ExitOK
}

// loadgenBus connects to the deployment of cfgPath, or starts an embedded
// JetStream (file storage in a temporary directory) with a screen worker.
func loadgenBus(ctx context.Context, cfgPath string, o loadgenOptions, log *zap.Logger) (*bus.Bus, func(), error) {
	if cfgPath != "" {
		cfg, err := LoadConfig(cfgPath)
		if err != nil {
			return nil, nil, err
		}
		b, err := bus.Open(ctx, cfg.NATS, log)
		if err != nil {
			return nil, nil, err
		}
		return b, func() { closeBus(b) }, nil
	}
	dir, err := os.MkdirTemp("", "scamscreen-loadgen-*")
	if err != nil {
		return nil, nil, err
	}
	cfg := DefaultConfig()
	cfg.NATS.Embedded.StoreDir = filepath.Join(dir, "nats")
	b, err := bus.Open(ctx, cfg.NATS, log)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	eng, err := buildEngine(cfg.Screening)
	if err != nil {
		closeBus(b)
		os.RemoveAll(dir)
		return nil, nil, err
	}
	w := worker.New(b, eng, worker.Options{Concurrency: o.concurrency}, log, nil)
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = w.Run(wctx)
	}()
	return b, func() {
		cancel()
		<-done
		closeBus(b)
		os.RemoveAll(dir)
	}, nil
}

func closeBus(b *bus.Bus) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = b.Close(ctx)
}

type loadgenReport struct {
	count          int
	publishTime    time.Duration // first publish to last ack
	endToEnd       time.Duration // first publish to last verdict
	verdicts       int
	latencies      []time.Duration
	rate           float64
	lost           int
	duplicates     int
	publishRetries int
}

func (r *loadgenReport) print(env Env) {
	pct := func(p float64) time.Duration {
		if len(r.latencies) == 0 {
			return 0
		}
		return r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))]
	}
	mode := "as fast as possible"
	if r.rate > 0 {
		mode = fmt.Sprintf("%.0f/s offered", r.rate)
	}
	fmt.Fprintf(env.Out, "loadgen: %d SMS-sized messages, %s\n", r.count, mode)
	fmt.Fprintf(env.Out, "  publish (acked by JetStream): %.2fs, %.0f msg/s", r.publishTime.Seconds(), float64(r.count)/r.publishTime.Seconds())
	if r.publishRetries > 0 {
		fmt.Fprintf(env.Out, " (%d republished after a failed ack)", r.publishRetries)
	}
	fmt.Fprintln(env.Out)
	fmt.Fprintf(env.Out, "  verdicts: %d in %.2fs, %.0f msg/s ingest → verdict\n", r.verdicts, r.endToEnd.Seconds(), float64(r.verdicts)/r.endToEnd.Seconds())
	fmt.Fprintf(env.Out, "  ingest → verdict latency: p50 %s  p90 %s  p99 %s  max %s\n",
		round(pct(0.50)), round(pct(0.90)), round(pct(0.99)), round(pct(1)))
	if r.lost > 0 || r.duplicates > 0 {
		fmt.Fprintf(env.Out, "  WARNING: %d messages without a verdict, %d duplicate verdicts\n", r.lost, r.duplicates)
	}
}

func round(d time.Duration) time.Duration {
	if d > 10*time.Millisecond {
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(10 * time.Microsecond)
}

// loadgen publishes o.count messages and waits for their verdicts, which it
// receives with a plain subscription on the verdict subject (every publish
// to the stream is also delivered to subscribers), timing each from the
// moment it was handed to the bus.
func loadgen(ctx context.Context, b *bus.Bus, o loadgenOptions, env Env) (*loadgenReport, error) {
	run := randomAlnum(8)
	subject, err := event.InboundSubject(event.ChannelSMS, o.household, o.person)
	if err != nil {
		return nil, err
	}
	vsubj, _ := event.VerdictSubject(o.household, o.person)
	ids := make([]string, o.count)
	sent := make([]time.Time, o.count)
	index := make(map[string]int, o.count)
	payloads := make([][]byte, o.count)
	for i := range o.count {
		m := &event.Message{
			V: event.Version, ID: event.SMSID("loadgen-"+run, fmt.Sprint(i)), Channel: event.ChannelSMS,
			Direction: event.DirectionIn, Household: o.household, Person: o.person,
			From: event.Address{Addr: "+815000000000"}, Text: loadgenTexts[i%len(loadgenTexts)],
		}
		ids[i] = m.ID
		index[m.ID] = i
		data, err := event.Encode(m)
		if err != nil {
			return nil, err
		}
		payloads[i] = data
	}

	var (
		mu        sync.Mutex
		got       = make([]time.Time, o.count)
		seen      int
		dups      int
		allIn     = make(chan struct{})
		closeOnce sync.Once
	)
	sub, err := b.Conn().Subscribe(vsubj, func(m *nats.Msg) {
		now := time.Now()
		var v struct {
			MessageID string `json:"message_id"`
		}
		if json.Unmarshal(m.Data, &v) != nil {
			return
		}
		i, ok := index[v.MessageID]
		if !ok {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !got[i].IsZero() {
			dups++
			return
		}
		got[i] = now
		seen++
		if seen == o.count {
			closeOnce.Do(func() { close(allIn) })
		}
	})
	if err != nil {
		return nil, err
	}
	defer sub.Unsubscribe()
	sub.SetPendingLimits(-1, -1)

	start := time.Now()
	var res bus.BatchResult
	res, err = b.PublishAll(ctx, func(yield func(bus.Outgoing) bool) {
		for i := range o.count {
			if o.rate > 0 {
				at := start.Add(time.Duration(float64(i) / o.rate * float64(time.Second)))
				if d := time.Until(at); d > 0 {
					select {
					case <-time.After(d):
					case <-ctx.Done():
						return
					}
				}
			}
			sent[i] = time.Now()
			if !yield(bus.Outgoing{Subject: subject, MsgID: ids[i], Data: payloads[i]}) {
				return
			}
		}
	}, o.window)
	published := time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	fmt.Fprintf(env.Err, "loadgen: %d published in %.2fs, waiting for verdicts…\n", res.Published, published.Seconds())
	timer := time.NewTimer(o.timeout)
	defer timer.Stop()
	select {
	case <-allIn:
	case <-timer.C:
	case <-ctx.Done():
	}
	mu.Lock()
	defer mu.Unlock()
	rep := &loadgenReport{count: o.count, publishTime: published, rate: o.rate, duplicates: dups, publishRetries: res.Retried}
	var last time.Time
	for i := range o.count {
		if got[i].IsZero() {
			rep.lost++
			continue
		}
		rep.verdicts++
		rep.latencies = append(rep.latencies, got[i].Sub(sent[i]))
		if got[i].After(last) {
			last = got[i]
		}
	}
	rep.endToEnd = last.Sub(start)
	slices.Sort(rep.latencies)
	if rep.verdicts == 0 {
		return rep, errors.New("no verdict arrived: is a screen worker running against this NATS?")
	}
	return rep, nil
}
