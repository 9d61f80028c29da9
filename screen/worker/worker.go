package worker

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/errkind"
	"github.com/scamscreen/scamscreen/internal/obs"
)

// Durable is the consumer name every screen replica shares.
const Durable = "screen"

// Screener is what the worker needs of the engine (a *screen.Engine).
type Screener interface {
	Screen(msg *event.Message) event.Verdict
	RulePacks() []string
}

// Bus is what the worker needs of the bus (a *bus.Bus).
type Bus interface {
	Consume(ctx context.Context, spec bus.ConsumerSpec, h bus.Handler) error
	PublishVerdict(ctx context.Context, v *event.Verdict) (seq uint64, dup bool, err error)
}

// Options tune the consumer; zero values take the bus defaults.
type Options struct {
	// Concurrency is the number of messages screened at once per replica.
	Concurrency int
	// AckWait and MaxDeliver as in bus.ConsumerSpec.
	AckWait    time.Duration
	MaxDeliver int
}

// Worker screens INBOUND into VERDICTS. It is safe for concurrent use;
// Swap may be called while Run runs.
type Worker struct {
	bus     Bus
	engine  atomic.Pointer[engineBox]
	opts    Options
	logger  *zap.Logger
	metrics *obs.Metrics
	now     func() time.Time
}

type engineBox struct{ s Screener }

// New returns a worker that screens with eng. metrics may be nil.
func New(b Bus, eng Screener, opts Options, logger *zap.Logger, metrics *obs.Metrics) *Worker {
	w := &Worker{bus: b, opts: opts, logger: logger.Named("screen"), metrics: metrics, now: time.Now}
	w.Swap(eng)
	return w
}

// Swap replaces the engine; messages already being screened finish with
// the old one.
func (w *Worker) Swap(eng Screener) {
	w.engine.Store(&engineBox{eng})
	if w.metrics != nil {
		packs := map[string]string{}
		for _, ref := range eng.RulePacks() {
			name, version := splitRef(ref)
			packs[name] = version
		}
		w.metrics.SetRulePacks(packs)
	}
}

// Engine returns the engine in use.
func (w *Worker) Engine() Screener { return w.engine.Load().s }

func splitRef(ref string) (name, version string) {
	for i := 0; i < len(ref); i++ {
		if ref[i] == '@' {
			return ref[:i], ref[i+1:]
		}
	}
	return ref, ""
}

// Spec is the consumer the worker runs.
func (w *Worker) Spec() bus.ConsumerSpec {
	return bus.ConsumerSpec{
		Stream:         event.StreamInbound,
		Durable:        Durable,
		FilterSubjects: []string{event.InboundFilterAll},
		Concurrency:    w.opts.Concurrency,
		AckWait:        w.opts.AckWait,
		MaxDeliver:     w.opts.MaxDeliver,
	}
}

// Run consumes until ctx is cancelled, then drains and returns nil.
func (w *Worker) Run(ctx context.Context) error {
	return w.bus.Consume(ctx, w.Spec(), w.Handle)
}

// Handle screens one delivery and publishes its verdict. A payload that is
// not a message is a permanent failure (dead-lettered); a failed publish is
// temporary (retried).
func (w *Worker) Handle(ctx context.Context, d *bus.Delivery) error {
	msg, err := event.Decode[event.Message](d.Data())
	if err != nil {
		return errkind.Permanent(fmt.Errorf("decode message (stream seq %d): %w", d.Metadata().StreamSeq, err))
	}
	if err := msg.Validate(); err != nil {
		return errkind.Permanent(err)
	}
	v := w.engine.Load().s.Screen(msg)
	v.ScreenedAt = w.now().UTC()
	if _, _, err := w.bus.PublishVerdict(ctx, &v); err != nil {
		return fmt.Errorf("publish verdict for message %s: %w", msg.ID, err)
	}
	if w.metrics != nil {
		cats := make([]string, len(v.Categories))
		for i, c := range v.Categories {
			cats[i] = string(c)
		}
		var latency time.Duration
		if !msg.IngestedAt.IsZero() {
			latency = v.ScreenedAt.Sub(msg.IngestedAt)
		}
		w.metrics.ObserveVerdict(string(msg.Channel), v.Level.String(), cats, latency)
	}
	if ce := w.logger.Check(zap.DebugLevel, "message screened"); ce != nil {
		ce.Write(obs.MessageID(msg.ID), obs.VerdictID(v.ID), zap.String("verdict", v.Level.String()),
			zap.Float64("score", v.Score), obs.Rules(ruleIDs(v.Reasons)))
	}
	return nil
}

func ruleIDs(rs []event.Reason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Rule
	}
	return out
}
