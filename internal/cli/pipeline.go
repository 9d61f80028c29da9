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
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/console"
	"github.com/scamscreen/scamscreen/notify/smtp"
	"github.com/scamscreen/scamscreen/notify/twilio"
	"github.com/scamscreen/scamscreen/notify/webhook"
	nworker "github.com/scamscreen/scamscreen/notify/worker"
	"github.com/scamscreen/scamscreen/notify/worker/natsbus"
	"github.com/scamscreen/scamscreen/screen"
	"github.com/scamscreen/scamscreen/screen/worker"
)

// Stage names for `run --stages`.
const (
	stageIMAP   = "imap"
	stageSMS    = "sms"
	stageScreen = "screen"
	stageNotify = "notify"
)

// allStages in the order they start.
var allStages = []string{stageScreen, stageNotify, stageIMAP, stageSMS}

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
	notify  *nworker.Worker
	ack     *notify.AckServer
	// channels replaces the notify channels built from the configuration
	// (the demo sends through a fake Twilio and prints).
	channels map[string]notify.Channel
}

// newPipeline opens the bus and builds the components of the stages. The
// caller runs p.group. env.Reload (SIGHUP) reloads the rule packs.
func newPipeline(ctx context.Context, cfg *Config, stages []string, env Env, log *zap.Logger, opts ...pipelineOption) (*pipeline, error) {
	p := &pipeline{cfg: cfg, log: log, metrics: obs.NewMetrics()}
	for _, o := range opts {
		o(p)
	}
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
		stageNotify: p.addNotify,
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
	entries, err := p.cfg.SMSEntries()
	if err != nil {
		return err
	}
	dir, err := sms.NewDirectory(entries)
	if err != nil {
		return err
	}
	srv, err := sms.New(p.cfg.Ingest.SMS, dir, countingPublisher{p.bus, p.metrics, "sms"}, sms.Options{Acks: natsbus.Bus{Bus: p.bus}, Logger: p.log, Registerer: p.metrics.Registry()})
	if err != nil {
		return err
	}
	p.sms = srv
	p.group.Add("sms", srv)
	return nil
}

// pipelineOption adjusts a pipeline before its stages are built.
type pipelineOption func(*pipeline)

// withChannels makes the notify stage deliver through these channels
// instead of the ones the configuration names.
func withChannels(ch map[string]notify.Channel) pipelineOption {
	return func(p *pipeline) { p.channels = ch }
}

func (p *pipeline) addNotify(ctx context.Context, env Env) error {
	ncfg := p.cfg.Notify
	dir, err := p.cfg.NotifyDirectory()
	if err != nil {
		return err
	}
	channels := p.channels
	if channels == nil {
		if channels, err = notifyChannels(ncfg, dir, env, p.log); err != nil {
			return err
		}
	}
	stores, err := natsbus.OpenStores(ctx, p.bus, ncfg)
	if err != nil {
		return err
	}
	// Shadow alerts reach nobody, so they carry no acknowledgement link and
	// no acknowledgement server runs: a shadow link opened would publish a
	// real acknowledgement and stop a real escalation.
	var signer *notify.AckSigner
	if !ncfg.Shadow {
		if signer, err = notify.NewAckSignerFromConfig(ncfg.Ack); err != nil {
			return err
		}
	}
	deps := nworker.Deps{Bus: natsbus.Bus{Bus: p.bus}, Stores: stores, Directory: dir, Channels: channels,
		Signer: signer, Logger: p.log, Registerer: p.metrics.Registry()}
	if ncfg.Shadow {
		deps.Shadow = console.New(env.Out)
	}
	w, err := nworker.New(ncfg, deps)
	if err != nil {
		return err
	}
	p.notify = w
	p.group.Add("notify", w)
	if signer != nil {
		ack, err := notify.NewAckServer(ncfg.Ack, signer, natsbus.Bus{Bus: p.bus}, w, p.log)
		if err != nil {
			return err
		}
		p.ack = ack
		p.group.Add("notify-ack", ack)
	}
	return nil
}

// notifyChannels builds the channels the recipients use from the
// configuration.
func notifyChannels(ncfg notify.Config, dir *notify.Directory, env Env, log *zap.Logger) (map[string]notify.Channel, error) {
	ch := map[string]notify.Channel{notify.ChannelConsole: console.New(env.Out)}
	if ncfg.Twilio.AccountSID.IsSet() {
		tc, err := twilio.New(ncfg.Twilio, log)
		if err != nil {
			return nil, err
		}
		ch[notify.ChannelSMS] = tc.SMS()
		if ncfg.Twilio.Voice.Enabled {
			ch[notify.ChannelVoice] = tc.Voice()
		}
	}
	if ncfg.SMTP.Host != "" {
		sc, err := smtp.New(ncfg.SMTP, log)
		if err != nil {
			return nil, err
		}
		ch[notify.ChannelEmail] = sc
	}
	wc, err := webhook.New(ncfg.Webhook, log)
	if err != nil {
		return nil, err
	}
	ch[notify.ChannelWebhook] = wc
	for _, used := range dir.ChannelsInUse() {
		if ch[used] == nil {
			return nil, fmt.Errorf("recipients receive alerts by %s, but notify.%s is not configured", used, map[string]string{
				notify.ChannelSMS: "twilio", notify.ChannelVoice: "twilio.voice", notify.ChannelEmail: "smtp"}[used])
		}
	}
	return ch, nil
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

// busObserver counts what the consume loops do.
type busObserver struct{ m *obs.Metrics }

func (o busObserver) Handled(stage string, outcome bus.Outcome, d time.Duration) {
	o.m.ObserveHandled(stage, string(outcome), d)
}
func (o busObserver) DeadLettered(stage, category string) { o.m.ObserveDeadLetter(stage, category) }
func (o busObserver) Lag(stage string, pending uint64)    { o.m.SetLag(stage, pending) }
