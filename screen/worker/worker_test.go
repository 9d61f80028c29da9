package worker_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap/zaptest"

	"github.com/scamscreen/scamscreen/configs"
	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/natstest"
	"github.com/scamscreen/scamscreen/screen"
	"github.com/scamscreen/scamscreen/screen/rules"
	"github.com/scamscreen/scamscreen/screen/worker"
)

var (
	engOnce sync.Once
	eng     *screen.Engine
)

func engine(t testing.TB) *screen.Engine {
	engOnce.Do(func() {
		set, err := rules.LoadFS(configs.Rules, configs.RulesDir, "rules")
		if err != nil {
			panic(err)
		}
		eng, err = screen.New(set, screen.Options{})
		if err != nil {
			panic(err)
		}
	})
	return eng
}

func message(i int, text string) *event.Message {
	return &event.Message{
		ID: event.SMSID("test", fmt.Sprint(i)), Channel: event.ChannelSMS, Direction: event.DirectionIn,
		Household: "h1", Person: "p1", ReceivedAt: time.Now().UTC(), Text: text,
	}
}

func publishN(t *testing.T, b *bus.Bus, n int, text func(int) string) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range n {
		m := message(i, text(i))
		if _, _, err := b.PublishMessage(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		ids[i] = m.ID
	}
	return ids
}

// streamMessages reads every message of a stream.
func streamMessages(t *testing.T, b *bus.Bus, stream string) []jetstream.Msg {
	t.Helper()
	js, err := jetstream.New(b.Conn())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	info, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	n := int(info.CachedInfo().State.Msgs)
	var out []jetstream.Msg
	for len(out) < n {
		batch, err := c.Fetch(n-len(out), jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for m := range batch.Messages() {
			out = append(out, m)
		}
		if batch.Error() != nil {
			t.Fatal(batch.Error())
		}
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// streamCount returns the number of messages in a stream, or -1 while the
// stream cannot answer (a cluster electing a new leader).
func streamCount(t testing.TB, b *bus.Bus, stream string) int {
	js, err := jetstream.New(b.Conn())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return -1
	}
	info, err := s.Info(ctx)
	if err != nil {
		return -1
	}
	return int(info.State.Msgs)
}

// verdictsByMessage decodes VERDICTS and counts verdicts per message id.
func verdictsByMessage(t *testing.T, b *bus.Bus) map[string][]*event.Verdict {
	out := map[string][]*event.Verdict{}
	for _, m := range streamMessages(t, b, event.StreamVerdicts) {
		v, err := event.Decode[event.Verdict](m.Data())
		if err != nil {
			t.Fatal(err)
		}
		out[v.MessageID] = append(out[v.MessageID], v)
	}
	return out
}

func run(t *testing.T, w interface{ Run(context.Context) error }) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() = %v", err)
		}
	}
}

// TestEndToEnd: N messages in, N verdicts out, each exactly once.
func TestEndToEnd(t *testing.T) {
	b := natstest.Embedded(t)
	texts := func(i int) string {
		if i%3 == 0 {
			return "【Amazon】アカウントがロックされました。解除にはコンビニでギフト券を購入し、番号を送ってください。"
		}
		return fmt.Sprintf("今日の夕飯は何がいい？ %d", i)
	}
	const n = 300
	ids := publishN(t, b, n, texts)
	w := worker.New(b, engine(t), worker.Options{Concurrency: 4}, zaptest.NewLogger(t), nil)
	stop := run(t, w)
	waitFor(t, "all verdicts", func() bool { return streamCount(t, b, event.StreamVerdicts) >= n })
	stop()
	got := verdictsByMessage(t, b)
	if len(got) != n {
		t.Fatalf("%d messages have verdicts, want %d", len(got), n)
	}
	for i, id := range ids {
		vs := got[id]
		if len(vs) != 1 {
			t.Fatalf("message %s has %d verdicts", id, len(vs))
		}
		want := event.LevelClean
		if i%3 == 0 {
			want = event.LevelScam
		}
		if vs[0].Level != want || vs[0].Household != "h1" || vs[0].Person != "p1" || len(vs[0].RulePacks) == 0 {
			t.Errorf("verdict for message %d: %v %+v", i, vs[0].Level, vs[0])
		}
	}
	if c := streamCount(t, b, event.StreamVerdicts); c != n {
		t.Errorf("VERDICTS holds %d messages, want %d", c, n)
	}
}

// stallingBus publishes verdicts and then, after the first `after`
// verdicts, never lets the handler return: the messages stay unacked as if
// the process had died after publishing.
type stallingBus struct {
	*bus.Bus
	after     int32
	published atomic.Int32
	stall     chan struct{}
}

func (s *stallingBus) PublishVerdict(ctx context.Context, v *event.Verdict) (uint64, bool, error) {
	seq, dup, err := s.Bus.PublishVerdict(ctx, v)
	if err == nil && s.published.Add(1) > s.after {
		<-s.stall // a crash: the verdict is out, the ack never comes
	}
	return seq, dup, err
}

// TestCrashMidStream stops a worker mid-stream without acking and starts
// another: no message is lost and none is screened twice into VERDICTS.
func TestCrashMidStream(t *testing.T) {
	srv := natstest.RunServer(t, nil)
	cfg := func() bus.Config {
		c := natstest.Config(t)
		c.URL = bus.URLList{srv.ClientURL()}
		return c
	}
	b1 := natstest.Open(t, cfg(), nil)
	const n = 200
	ids := publishN(t, b1, n, func(i int) string { return fmt.Sprintf("message %d", i) })

	stall := &stallingBus{Bus: b1, after: 50, stall: make(chan struct{})}
	defer close(stall.stall)
	w1 := worker.New(stall, engine(t), worker.Options{Concurrency: 2, AckWait: 2 * time.Second}, zaptest.NewLogger(t), nil)
	ctx1, cancel1 := context.WithCancel(context.Background())
	go w1.Run(ctx1)
	waitFor(t, "the first worker to stall", func() bool { return stall.published.Load() > 50 })
	// The process dies: its connection goes away without acks.
	b1.Conn().Close()
	cancel1()

	b2 := natstest.Open(t, cfg(), nil)
	w2 := worker.New(b2, engine(t), worker.Options{Concurrency: 2, AckWait: 2 * time.Second}, zaptest.NewLogger(t), nil)
	stop := run(t, w2)
	waitFor(t, "every verdict", func() bool { return streamCount(t, b2, event.StreamVerdicts) >= n })
	// Let redeliveries of the stalled messages come through before counting.
	time.Sleep(3 * time.Second)
	stop()
	got := verdictsByMessage(t, b2)
	for _, id := range ids {
		if len(got[id]) != 1 {
			t.Errorf("message %s has %d verdicts, want 1", id, len(got[id]))
		}
	}
	if c := streamCount(t, b2, event.StreamVerdicts); c != n {
		t.Errorf("VERDICTS holds %d messages, want %d", c, n)
	}
}

type panicky struct{ screen.Engine }

func (p *panicky) Screen(m *event.Message) event.Verdict {
	if m.Text == "panic" {
		panic("engine bug")
	}
	return engine(nil).Screen(m)
}

func (p *panicky) RulePacks() []string { return engine(nil).RulePacks() }

// TestPoisonMessages: an undecodable payload and a message that panics the
// handler land in DEADLETTER with their reason; the worker carries on.
func TestPoisonMessages(t *testing.T) {
	b := natstest.Embedded(t)
	ctx := context.Background()
	subj, _ := event.InboundSubject(event.ChannelSMS, "h1", "p1")
	if _, _, err := b.Publish(ctx, subj, "garbage-1", []byte("{not json"), nil); err != nil {
		t.Fatal(err)
	}
	publishN(t, b, 1, func(int) string { return "panic" })
	good := message(99, "hello")
	b.PublishMessage(ctx, good)

	w := worker.New(b, &panicky{}, worker.Options{}, zaptest.NewLogger(t), nil)
	stop := run(t, w)
	waitFor(t, "two dead letters and one verdict", func() bool {
		return streamCount(t, b, event.StreamDeadLetter) == 2 && streamCount(t, b, event.StreamVerdicts) == 1
	})
	stop()
	cats := map[string]string{}
	for _, m := range streamMessages(t, b, event.StreamDeadLetter) {
		cats[m.Headers().Get(bus.HeaderDeadCategory)] = m.Headers().Get(bus.HeaderDeadReason)
	}
	if r, ok := cats[bus.CategoryPermanent]; !ok || r == "" {
		t.Errorf("undecodable payload not dead-lettered as permanent with a reason: %v", cats)
	}
	if _, ok := cats[bus.CategoryPanic]; !ok {
		t.Errorf("panicking message not dead-lettered as panic: %v", cats)
	}
	if got := verdictsByMessage(t, b); len(got[good.ID]) != 1 {
		t.Errorf("the good message after the poison ones was not screened")
	}
}

// TestReload swaps rule packs while messages flow; every verdict names the
// packs it was made with.
func TestReload(t *testing.T) {
	b := natstest.Embedded(t)
	w := worker.New(b, engine(t), worker.Options{}, zaptest.NewLogger(t), nil)
	sig := make(chan struct{}, 1)
	var builds atomic.Int32
	r := &worker.Reloader{Worker: w, Signal: sig, Logger: zaptest.NewLogger(t), Build: func() (worker.Screener, error) {
		if builds.Add(1) == 1 {
			return nil, fmt.Errorf("configs/rules/ja.yaml:3: broken")
		}
		return engine(t), nil
	}}
	stopR := run(t, r)
	sig <- struct{}{}
	waitFor(t, "a failed build", func() bool { return builds.Load() == 1 })
	if w.Engine() != engine(t) {
		t.Error("a failed reload replaced the engine")
	}
	sig <- struct{}{}
	waitFor(t, "a second build", func() bool { return builds.Load() == 2 })
	stopR()
}
