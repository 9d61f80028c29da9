package bus

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/scamscreen/scamscreen/internal/errkind"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// fakeMsg is a jetstream.Msg that records the ack verbs called on it, so
// the outcome mapping can be checked exactly, delays included, without
// waiting for redeliveries.
type fakeMsg struct {
	subject string
	data    []byte
	hdr     nats.Header
	md      jetstream.MsgMetadata

	mu    sync.Mutex
	verbs []string
}

var _ jetstream.Msg = (*fakeMsg)(nil)

func (m *fakeMsg) record(v string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.verbs = append(m.verbs, v)
	return nil
}

func (m *fakeMsg) got() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, v := range m.verbs {
		if v != "progress" {
			out = append(out, v)
		}
	}
	return out
}

func (m *fakeMsg) Metadata() (*jetstream.MsgMetadata, error) { md := m.md; return &md, nil }
func (m *fakeMsg) Data() []byte                              { return m.data }
func (m *fakeMsg) Headers() nats.Header                      { return m.hdr }
func (m *fakeMsg) Subject() string                           { return m.subject }
func (m *fakeMsg) Reply() string                             { return "" }
func (m *fakeMsg) Ack() error                                { return m.record("ack") }
func (m *fakeMsg) DoubleAck(context.Context) error           { return m.record("doubleack") }
func (m *fakeMsg) Nak() error                                { return m.record("nak") }
func (m *fakeMsg) NakWithDelay(d time.Duration) error        { return m.record("nak " + d.String()) }
func (m *fakeMsg) InProgress() error                         { return m.record("progress") }
func (m *fakeMsg) Term() error                               { return m.record("term") }
func (m *fakeMsg) TermWithReason(r string) error {
	cat, _, _ := strings.Cut(r, ":")
	return m.record("term " + cat)
}

type recObserver struct {
	mu       sync.Mutex
	outcomes []Outcome
	dead     []string
}

func (o *recObserver) Handled(_ string, out Outcome, _ time.Duration) {
	o.mu.Lock()
	o.outcomes = append(o.outcomes, out)
	o.mu.Unlock()
}

func (o *recObserver) DeadLettered(_ string, cat string) {
	o.mu.Lock()
	o.dead = append(o.dead, cat)
	o.mu.Unlock()
}
func (o *recObserver) Lag(string, uint64) {}

func openInternal(t *testing.T) *Bus {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Embedded.StoreDir = t.TempDir()
	b, err := Open(context.Background(), cfg, zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	return b
}

func TestOutcomeMapping(t *testing.T) {
	b := openInternal(t)
	spec := ConsumerSpec{
		Stream: "INBOUND", Durable: "screen", MaxDeliver: 4,
		Backoff: []time.Duration{time.Second, 5 * time.Second, time.Minute},
	}.withDefaults()
	boom := errors.New("boom")
	tests := []struct {
		name      string
		delivered uint64
		handler   Handler
		shutdown  bool // handlers' base context already cancelled
		want      []string
		outcome   Outcome
		dead      []string
	}{
		{name: "success acks", delivered: 1, handler: func(context.Context, *Delivery) error { return nil }, want: []string{"ack"}, outcome: OutcomeAck},
		{name: "unclassified error backs off by delivery 1", delivered: 1, handler: func(context.Context, *Delivery) error { return boom }, want: []string{"nak 1s"}, outcome: OutcomeRetry},
		{name: "temporary backs off by delivery 2", delivered: 2, handler: func(context.Context, *Delivery) error { return errkind.Temporary(boom, 0) }, want: []string{"nak 5s"}, outcome: OutcomeRetry},
		{name: "backoff repeats its last entry", delivered: 3, handler: func(context.Context, *Delivery) error { return boom }, want: []string{"nak 1m0s"}, outcome: OutcomeRetry},
		{name: "retry-after replaces backoff", delivered: 1, handler: func(context.Context, *Delivery) error { return errkind.Temporary(boom, 42*time.Second) }, want: []string{"nak 42s"}, outcome: OutcomeRetry},
		{name: "retry-after is capped", delivered: 1, handler: func(context.Context, *Delivery) error { return errkind.Temporary(boom, 48*time.Hour) }, want: []string{"nak 1h0m0s"}, outcome: OutcomeRetry},
		{name: "deadline is temporary", delivered: 1, handler: func(context.Context, *Delivery) error { return context.DeadlineExceeded }, want: []string{"nak 1s"}, outcome: OutcomeRetry},
		{name: "canceled outside shutdown backs off", delivered: 1, handler: func(context.Context, *Delivery) error { return context.Canceled }, want: []string{"nak 1s"}, outcome: OutcomeRetry},
		{name: "canceled by shutdown releases", delivered: 1, shutdown: true, handler: func(ctx context.Context, _ *Delivery) error { return ctx.Err() }, want: []string{"nak"}, outcome: OutcomeReleased},
		{name: "permanent dead-letters", delivered: 1, handler: func(context.Context, *Delivery) error { return errkind.Permanent(boom) }, want: []string{"term permanent"}, outcome: OutcomeDeadLetter, dead: []string{CategoryPermanent}},
		{name: "last delivery dead-letters", delivered: 4, handler: func(context.Context, *Delivery) error { return boom }, want: []string{"term max_deliveries"}, outcome: OutcomeDeadLetter, dead: []string{CategoryMaxDeliveries}},
		{name: "last delivery success acks", delivered: 4, handler: func(context.Context, *Delivery) error { return nil }, want: []string{"ack"}, outcome: OutcomeAck},
		{name: "after last delivery dead-letters without calling", delivered: 5, handler: func(context.Context, *Delivery) error { panic("must not be called") }, want: []string{"term max_deliveries"}, outcome: OutcomeDeadLetter, dead: []string{CategoryMaxDeliveries}},
		{name: "panic dead-letters", delivered: 1, handler: func(context.Context, *Delivery) error { var s []int; _ = s[3]; return nil }, want: []string{"term panic"}, outcome: OutcomeDeadLetter, dead: []string{CategoryPanic}},
		{name: "panic with a string", delivered: 2, handler: func(context.Context, *Delivery) error { panic(fmt.Sprintf("%s", "x")) }, want: []string{"term panic"}, outcome: OutcomeDeadLetter, dead: []string{CategoryPanic}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := &recObserver{}
			hbase, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.shutdown {
				cancel()
			}
			l := &loop{b: b, spec: spec, h: tt.handler, log: zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)), obs: obs, hbase: hbase, stop: context.Background()}
			m := &fakeMsg{
				subject: "scamscreen.inbound.sms.h1.p1",
				data:    []byte("payload"),
				hdr:     nats.Header{},
				md: jetstream.MsgMetadata{
					Stream: "INBOUND", Consumer: "screen", NumDelivered: tt.delivered,
					Sequence: jetstream.SequencePair{Stream: uint64(100 + i), Consumer: 1},
				},
			}
			l.handle(received{msg: m, at: time.Now()})
			if diff := cmp.Diff(tt.want, m.got()); diff != "" {
				t.Errorf("ack verbs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]Outcome{tt.outcome}, obs.outcomes); diff != "" {
				t.Errorf("observed outcomes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.dead, obs.dead); diff != "" {
				t.Errorf("observed dead letters (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	s := ConsumerSpec{Backoff: []time.Duration{time.Second, 2 * time.Second, 5 * time.Second}}
	tests := []struct {
		n    uint64
		want time.Duration
	}{{0, time.Second}, {1, time.Second}, {2, 2 * time.Second}, {3, 5 * time.Second}, {4, 5 * time.Second}, {1000, 5 * time.Second}}
	for _, tt := range tests {
		if got := s.backoff(tt.n); got != tt.want {
			t.Errorf("backoff(%d) = %s, want %s", tt.n, got, tt.want)
		}
	}
	if got := (ConsumerSpec{}).withDefaults().backoff(6); got != time.Minute {
		t.Errorf("default backoff(6) = %s, want 1m", got)
	}
}

func TestConsumerSpecValidate(t *testing.T) {
	tests := []struct {
		name    string
		spec    ConsumerSpec
		wantErr string
	}{
		{"ok", ConsumerSpec{Stream: "INBOUND", Durable: "screen"}, ""},
		{"dot in durable", ConsumerSpec{Stream: "INBOUND", Durable: "screen.v2"}, "no dots"},
		{"no durable", ConsumerSpec{Stream: "INBOUND"}, "durable"},
		{"no stream", ConsumerSpec{Durable: "screen"}, "stream is required"},
		{"bad stage", ConsumerSpec{Stream: "INBOUND", Durable: "screen", Stage: "a b"}, "stage"},
		{"handler timeout not shorter", ConsumerSpec{Stream: "INBOUND", Durable: "screen", AckWait: time.Second, HandlerTimeout: time.Second}, "shorter than ack wait"},
		{"negative concurrency", ConsumerSpec{Stream: "INBOUND", Durable: "screen", Concurrency: -1}, "concurrency"},
		{"negative backoff", ConsumerSpec{Stream: "INBOUND", Durable: "screen", Backoff: []time.Duration{-1}}, "backoff[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Validate()
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Validate() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestConsumerConfig(t *testing.T) {
	cfg := ConsumerSpec{Stream: "VERDICTS", Durable: "notify", FilterSubjects: []string{"a.>", "b.>"}}.withDefaults().consumerConfig()
	if cfg.MaxDeliver != -1 || len(cfg.BackOff) != 0 || cfg.AckPolicy != jetstream.AckExplicitPolicy || cfg.AckWait != DefaultAckWait || len(cfg.FilterSubjects) != 2 {
		t.Errorf("consumerConfig() = %+v, want explicit acks, unlimited server deliveries, no BackOff, both filters", cfg)
	}
}

func TestCleanReason(t *testing.T) {
	long := strings.Repeat("日本", 300)
	tests := []struct{ in, want string }{
		{"decode em-1: bad\r\njson", "decode em-1: bad  json"},
		{"", "no reason given"},
		{"bell\x07", "bell"},
		{"bad \xff utf8", "bad ? utf8"},
	}
	for _, tt := range tests {
		if got := cleanReason(tt.in); got != tt.want {
			t.Errorf("cleanReason(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	got := cleanReason(long)
	if len(got) > MaxReasonLen || !utf8.ValidString(got) || !strings.HasPrefix(long, got) {
		t.Errorf("cleanReason(long) = %d bytes, valid %v, want at most %d valid bytes cut from the start", len(got), utf8.ValidString(got), MaxReasonLen)
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{context.DeadlineExceeded, true},
		{fmt.Errorf("x: %w", nats.ErrTimeout), true},
		{jetstream.ErrNoStreamResponse, true},
		{nats.ErrNoResponders, true},
		{&jetstream.APIError{Code: 503, ErrorCode: 10008, Description: "cluster not available"}, true},
		{&jetstream.APIError{Code: 400, ErrorCode: 10060, Description: "expected stream does not match"}, false},
		{nats.ErrMaxPayload, false},
		{nats.ErrConnectionClosed, false},
	}
	for _, tt := range tests {
		if got := retryable(tt.err); got != tt.want {
			t.Errorf("retryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
