package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/route"
)

// Deps are the worker's collaborators.
type Deps struct {
	Bus    Bus
	Stores Stores
	// Directory holds the protected people and their recipients.
	Directory *notify.Directory
	// Channels maps channel names (notify.ChannelSMS, ...) to channels.
	// A job for a channel that has none is recorded as suppressed.
	Channels map[string]notify.Channel
	// Shadow is the channel every alert goes to in shadow mode (a console
	// or a notifytest.Recorder). Required when the configuration says
	// shadow.
	Shadow notify.Channel
	// Signer makes acknowledgement links; nil means none. Shadow mode
	// ignores it.
	Signer *notify.AckSigner
	// Logger; nil means none.
	Logger *zap.Logger
	// Registerer receives the worker's metrics; nil means none.
	Registerer prometheus.Registerer
	// Now is the clock; default time.Now. Tests move it.
	Now func() time.Time
	// AfterSend and AfterRecord are test hooks of the notify.Deliverer.
	AfterSend   func(alertID string)
	AfterRecord func(alertID string)
}

// Worker is the notify stage: it routes verdicts to alert jobs, delivers
// jobs exactly once, runs timers (quiet hours, group summaries,
// escalation) and takes acknowledgements. Create it with [New], run it
// with [Worker.Run]. It is safe for concurrent use.
type Worker struct {
	cfg      notify.Config
	bus      Bus
	st       Stores
	dir      *notify.Directory
	channels map[string]notify.Channel
	shadow   notify.Channel
	signer   *notify.AckSigner
	log      *zap.Logger
	now      func() time.Time
	dl       *notify.Deliverer
	m        *metrics
	opts     route.Options
}

var _ notify.AlertLookup = (*Worker)(nil)

// New checks cfg and deps and returns a worker. It does no I/O.
func New(cfg notify.Config, deps Deps) (*Worker, error) {
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("notify config: %w", err)
	}
	var errs []error
	if deps.Bus == nil {
		errs = append(errs, errors.New("bus is required"))
	}
	if deps.Stores.Records == nil || deps.Stores.State == nil || deps.Stores.Timers == nil {
		errs = append(errs, errors.New("the records, state and timers stores are required"))
	}
	if deps.Directory == nil {
		errs = append(errs, errors.New("directory is required"))
	}
	if cfg.Shadow && deps.Shadow == nil {
		errs = append(errs, errors.New("shadow mode needs a shadow channel"))
	}
	if !cfg.Shadow && deps.Directory != nil {
		for _, c := range deps.Directory.ChannelsInUse() {
			if deps.Channels[c] == nil {
				errs = append(errs, fmt.Errorf("recipients use %s but no %s channel is given", c, c))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("notify worker: %w", err)
	}
	if deps.Logger == nil {
		deps.Logger = zap.NewNop()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if cfg.Shadow {
		// A shadow alert must not link to a real acknowledgement.
		deps.Signer = nil
	}
	w := &Worker{
		cfg: cfg, bus: deps.Bus, st: deps.Stores, dir: deps.Directory, channels: deps.Channels,
		shadow: deps.Shadow, signer: deps.Signer, log: deps.Logger.Named("notify"), now: deps.Now,
		opts: route.Options{StaleAfter: cfg.StaleAfter.Std()},
	}
	if w.channels == nil {
		w.channels = map[string]notify.Channel{}
	}
	w.dl = &notify.Deliverer{
		Store: recordStore{deps.Stores.Records}, Now: deps.Now, SendTimeout: cfg.Worker.SendTimeout.Std(),
		AfterSend: deps.AfterSend, AfterRecord: deps.AfterRecord,
	}
	m, err := newMetrics(deps.Registerer)
	if err != nil {
		return nil, err
	}
	w.m = m
	return w, nil
}

// Consumers returns the durable consumers the worker runs: verdicts,
// delivery jobs and acknowledgements (in shadow mode only verdicts, under
// a durable of its own).
func (w *Worker) Consumers() []Consumer {
	// The handler timeout is set here rather than left to the bus's
	// default, so that it is the one Validate checked against send_timeout.
	base := Consumer{AckWait: w.cfg.Worker.AckWait.Std(), HandlerTimeout: w.cfg.Worker.HandlerTimeout(), MaxDeliver: w.cfg.Worker.MaxDeliver}
	routeC := base
	routeC.Stream, routeC.Durable, routeC.FilterSubjects = event.StreamVerdicts, DurableRoute, []string{event.VerdictFilterAll}
	routeC.Concurrency = w.cfg.Worker.RouteConcurrency
	if w.cfg.Shadow {
		routeC.Durable += "-shadow"
		return []Consumer{routeC}
	}
	deliverC := base
	deliverC.Stream, deliverC.Durable, deliverC.FilterSubjects = event.StreamAlerts, DurableDeliver, []string{event.AlertJobFilter}
	deliverC.Concurrency = w.cfg.Worker.DeliverConcurrency
	ackC := base
	ackC.Stream, ackC.Durable, ackC.FilterSubjects = event.StreamAlerts, DurableAck, []string{event.AlertAckFilter}
	ackC.Concurrency = 1
	return []Consumer{routeC, deliverC, ackC}
}

// Run consumes verdicts, jobs and acknowledgements and fires timers until
// ctx is done, then returns nil once every loop has drained. A loop that
// fails (its consumer cannot be created, the connection closes) stops the
// others and its error is returned.
func (w *Worker) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	handlers := map[string]Handler{
		DurableRoute:             w.handleVerdictMsg,
		DurableRoute + "-shadow": w.handleVerdictMsg,
		DurableDeliver:           w.handleJobMsg,
		DurableAck:               w.handleAckMsg,
	}
	for _, c := range w.Consumers() {
		h := handlers[c.Durable]
		g.Go(func() error {
			if err := w.bus.Consume(gctx, c, h); err != nil {
				return fmt.Errorf("consumer %s: %w", c.Durable, err)
			}
			return nil
		})
	}
	g.Go(func() error { return w.runTimers(gctx) })
	w.log.Info("notify worker started",
		zap.Int("people", w.dir.Len()), zap.Bool("shadow", w.cfg.Shadow),
		zap.Bool("grouping", !w.cfg.Grouping.Disabled), zap.Bool("ack_links", w.signer != nil))
	err := g.Wait()
	if ctx.Err() != nil && err == nil {
		w.log.Info("notify worker stopped")
	}
	return err
}

// audit publishes a record of a on ALERTS, without the verdict. Shadow
// mode records nothing on the bus.
func (w *Worker) audit(ctx context.Context, a event.Alert) error {
	w.m.alerts.WithLabelValues(a.Channel, string(a.Status)).Inc()
	if w.cfg.Shadow {
		return nil
	}
	a.Verdict = nil
	if a.At.IsZero() {
		a.At = w.now().UTC()
	}
	if _, _, err := w.bus.PublishAlert(ctx, &a); err != nil {
		return fmt.Errorf("audit record of alert %s (%s): %w", a.ID, a.Status, err)
	}
	return nil
}

func alertFields(a *event.Alert) []zap.Field {
	return []zap.Field{
		zap.String("alert_id", a.ID), zap.String("verdict_id", a.VerdictID), zap.String("household", a.Household),
		zap.String("person", a.Person), zap.String("recipient", a.Recipient), zap.String("channel", a.Channel),
		zap.Int("step", a.Step),
	}
}

type metrics struct {
	verdicts   *prometheus.CounterVec
	alerts     *prometheus.CounterVec
	send       *prometheus.HistogramVec
	latency    *prometheus.HistogramVec
	escalation *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scamscreen_notify_verdicts_total",
			Help: "Verdicts routed by the notify worker, by what routing decided.",
		}, []string{"decision"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scamscreen_notify_alerts_total",
			Help: "Alert records written, by channel and status.",
		}, []string{"channel", "status"}),
		send: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scamscreen_notify_send_seconds",
			Help:    "Time of one delivery attempt (record, provider call, record), by channel.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}, []string{"channel"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scamscreen_notify_verdict_to_sent_seconds",
			Help:    "From screening to the provider accepting the first alert of a verdict, by channel (immediate alerts only).",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}, []string{"channel"}),
		escalation: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scamscreen_notify_escalations_total",
			Help: "Escalation events: started, step, acknowledged, exhausted.",
		}, []string{"event"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.verdicts, m.alerts, m.send, m.latency, m.escalation} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("notify metrics: %w", err)
		}
	}
	return m, nil
}
