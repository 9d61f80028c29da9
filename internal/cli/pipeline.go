package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/imap"
	"github.com/scamscreen/scamscreen/ingest/imap/imapkv"
	"github.com/scamscreen/scamscreen/ingest/sms"
	"github.com/scamscreen/scamscreen/internal/app"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/obs"
	"github.com/scamscreen/scamscreen/screen"
	"github.com/scamscreen/scamscreen/screen/worker"
)

// Stage names for `run --stages`.
const (
	stageIMAP   = "imap"
	stageSMS    = "sms"
	stageScreen = "screen"
)

// allStages in the order they start.
var allStages = []string{stageScreen, stageIMAP, stageSMS}

// parseStages reads a comma-separated stage list ("all" for every stage).
func parseStages(s string) ([]string, error) {
	if s == "" || s == "all" {
		return allStages, nil
	}
	var out []string
	for _, st := range strings.Split(s, ",") {
		st = strings.TrimSpace(st)
		if !slices.Contains(allStages, st) {
			return nil, fmt.Errorf("unknown stage %q (stages: %s, or all)", st, strings.Join(allStages, ", "))
		}
		if !slices.Contains(out, st) {
			out = append(out, st)
		}
	}
	return out, nil
}

// pipeline is a process running some stages against one bus.
type pipeline struct {
	cfg     *Config
	log     *zap.Logger
	metrics *obs.Metrics
	bus     *bus.Bus
	group   *app.Group
	admin   *obs.Admin
	screen  *worker.Worker
	imap    *imap.Worker
	sms     *sms.Server
}

// newPipeline opens the bus and builds the components of the stages. The
// caller runs p.group. env.Reload (SIGHUP) reloads the rule packs.
func newPipeline(ctx context.Context, cfg *Config, stages []string, env Env, log *zap.Logger) (*pipeline, error) {
	p := &pipeline{cfg: cfg, log: log, metrics: obs.NewMetrics()}
	b, err := bus.Open(ctx, cfg.NATS, log, bus.WithObserver(busObserver{p.metrics}))
	if err != nil {
		return nil, err
	}
	p.bus = b
	p.group = app.New(app.Options{Logger: log})
	// Cleanups run last-registered first: the bus closes after everything.
	p.group.OnStop("nats", b.Close)
	if cfg.Admin.Listen != "off" {
		p.admin = obs.NewAdmin(cfg.Admin.Listen, p.metrics, log)
		p.admin.AddReadiness("nats", b.Ready)
		p.group.Add("admin", p.admin)
	}
	build := map[string]func(context.Context, Env) error{
		stageScreen: p.addScreen,
		stageIMAP:   p.addIMAP,
		stageSMS:    p.addSMS,
	}
	for _, st := range stages {
		if err := build[st](ctx, env); err != nil {
			closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = b.Close(closeCtx)
			return nil, fmt.Errorf("stage %s: %w", st, err)
		}
	}
	return p, nil
}

// buildEngine loads the rule packs and the blocklist of the screening
// configuration.
func buildEngine(c ScreeningConfig) (*screen.Engine, error) {
	set, err := loadRules(c.Rules)
	if err != nil {
		return nil, err
	}
	opts := c.Thresholds
	if c.Blocklist != "" {
		bl, err := screen.LoadBlocklistFile(c.Blocklist)
		if err != nil {
			return nil, err
		}
		opts.Blocklist = bl
	}
	return screen.New(set, opts)
}

func (p *pipeline) addScreen(_ context.Context, env Env) error {
	eng, err := buildEngine(p.cfg.Screening)
	if err != nil {
		return err
	}
	p.screen = worker.New(p.bus, eng, worker.Options{Concurrency: p.cfg.Screening.Concurrency}, p.log, p.metrics)
	p.group.Add("screen", p.screen)
	p.group.Add("rule-reload", &worker.Reloader{
		Build:  func() (worker.Screener, error) { return buildEngine(p.cfg.Screening) },
		Dir:    p.cfg.Screening.Rules,
		Signal: env.Reload,
		Worker: p.screen,
		Logger: p.log.Named("rules"),
	})
	p.log.Info("screen stage ready", zap.Strings("rule_packs", eng.RulePacks()), zap.Int("rules", eng.Stats().Rules))
	return nil
}

func (p *pipeline) addIMAP(ctx context.Context, _ Env) error {
	accounts := p.cfg.Accounts()
	if len(accounts) == 0 {
		p.log.Info("imap stage idle: no mailboxes configured")
		return nil
	}
	kv, err := p.bus.KeyValue(ctx, imap.CheckpointBucket, jetstream.KeyValueConfig{Description: "IMAP checkpoints: UIDVALIDITY and the highest UID published per folder"})
	if err != nil {
		return err
	}
	var opts []imap.Option
	icfg := p.cfg.Ingest.IMAP
	if icfg.Action.Mode != "" && icfg.Action.Mode != imap.ActionOff {
		lkv, err := p.bus.KeyValue(ctx, imap.LocationBucket, jetstream.KeyValueConfig{Description: "where each ingested mail lives, for the scam action", TTL: imap.LocationMaxAge})
		if err != nil {
			return err
		}
		locs := imap.NewKVLocations(imapkv.New(lkv))
		opts = append(opts, imap.WithLocations(locs))
		actions, err := imap.NewActions(icfg, accounts, locs, p.log, p.metrics.Registry())
		if err != nil {
			return err
		}
		p.group.Add("imap-actions", app.Func(func(ctx context.Context) error {
			return p.bus.Consume(ctx, bus.ConsumerSpec{Stream: event.StreamVerdicts, Durable: "imap-actions", FilterSubjects: []string{event.VerdictFilterAll}},
				func(ctx context.Context, d *bus.Delivery) error {
					v, err := event.Decode[event.Verdict](d.Data())
					if err != nil {
						return errkindPermanent(err)
					}
					return actions.Apply(ctx, v)
				})
		}))
	}
	w, err := imap.New(icfg, accounts, countingPublisher{p.bus, p.metrics, "imap"}, imap.NewKVStore(imapkv.New(kv)), p.log, p.metrics.Registry(), opts...)
	if err != nil {
		return err
	}
	p.imap = w
	p.group.Add("imap", w)
	return nil
}

func (p *pipeline) addSMS(_ context.Context, _ Env) error {
	if !p.cfg.SMSEnabled() {
		p.log.Info("sms stage idle: neither twilio nor any source is configured")
		return nil
	}
	dir, err := sms.NewDirectory(p.cfg.PhoneEntries())
	if err != nil {
		return err
	}
	srv, err := sms.New(p.cfg.Ingest.SMS, dir, countingPublisher{p.bus, p.metrics, "sms"}, sms.Options{Acks: busAcks{p.bus}, Logger: p.log, Registerer: p.metrics.Registry()})
	if err != nil {
		return err
	}
	p.sms = srv
	p.group.Add("sms", srv)
	return nil
}

// countingPublisher counts messages into INBOUND by channel and ingest
// stage (bounded labels), then publishes through the bus.
type countingPublisher struct {
	b      *bus.Bus
	m      *obs.Metrics
	source string
}

func (c countingPublisher) PublishMessage(ctx context.Context, msg *event.Message) (uint64, bool, error) {
	seq, dup, err := c.b.PublishMessage(ctx, msg)
	if err == nil && !dup {
		c.m.MessageIn(string(msg.Channel), c.source)
	}
	return seq, dup, err
}

// busAcks publishes a trusted contact's acknowledgement to ALERTS.
type busAcks struct{ b *bus.Bus }

func (a busAcks) PublishAck(ctx context.Context, al *event.Alert) error {
	subj, err := event.AlertAckSubject(al.Household, al.Person)
	if err != nil {
		return err
	}
	data, err := event.Encode(al)
	if err != nil {
		return err
	}
	_, _, err = a.b.Publish(ctx, subj, al.ID, data, nil)
	return err
}

// busObserver counts what the consume loops do.
type busObserver struct{ m *obs.Metrics }

func (o busObserver) Handled(stage string, outcome bus.Outcome, d time.Duration) {
	o.m.ObserveHandled(stage, string(outcome), d)
}
func (o busObserver) DeadLettered(stage, category string) { o.m.ObserveDeadLetter(stage, category) }
func (o busObserver) Lag(stage string, pending uint64)    { o.m.SetLag(stage, pending) }
