package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/internal/errkind"
	"github.com/scamscreen/scamscreen/internal/obs"
)

func errkindPermanent(err error) error { return errkind.Permanent(err) }

func runRun(ctx context.Context, args []string, env Env) int {
	fs := newFlags("run", "--config FILE [--stages LIST]", env)
	var (
		cfgPath = fs.String("config", "", "configuration file (see configs/scamscreen.example.yaml)")
		stages  = fs.String("stages", "all", "stages to run in this process: "+strings.Join(allStages, ",")+" or all")
		dryRun  = fs.Bool("dry-run", false, "check the configuration, stages and rule packs as run would, then exit without starting")
	)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *cfgPath == "" {
		fmt.Fprintln(env.Err, "scamscreen run: --config is required")
		fs.Usage()
		return ExitUsage
	}
	st, err := parseStages(*stages)
	if err != nil {
		fmt.Fprintf(env.Err, "scamscreen run: %v\n", err)
		return ExitUsage
	}
	cfg, err := LoadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintf(env.Err, "scamscreen run: %v\n", err)
		return ExitError
	}
	if *dryRun {
		if slices.Contains(st, stageScreen) {
			if _, err := buildEngine(cfg.Screening); err != nil {
				fmt.Fprintf(env.Err, "scamscreen run: screening: %v\n", err)
				return ExitError
			}
		}
		fmt.Fprintf(env.Out, "%s: ok, would run stages %s\n", *cfgPath, strings.Join(st, ","))
		return ExitOK
	}
	log, _, err := obs.NewLogger(cfg.Log, os.Stderr)
	if err != nil {
		fmt.Fprintf(env.Err, "scamscreen run: %v\n", err)
		return ExitError
	}
	defer func() { _ = log.Sync() }() // fails on pipes; nothing to do about it
	log.Info("starting", zap.Strings("stages", st), zap.Bool("embedded_nats", cfg.NATS.IsEmbedded()))
	p, err := newPipeline(ctx, cfg, st, env, log)
	if err != nil {
		log.Error("start failed", zap.Error(err))
		return ExitError
	}
	if err := p.group.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		log.Error("stopped with an error", zap.Error(err))
		return ExitError
	}
	log.Info("stopped")
	return ExitOK
}

func runConfig(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(env.Err, "Usage: scamscreen config check [--secrets] FILE\n\nValidates a configuration file and reports every problem with its line.")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return ExitOK
		}
		return ExitUsage
	}
	fs := newFlags("config check", "[--secrets] FILE", env)
	secrets := fs.Bool("secrets", false, "also read every secret (environment variables and files) and report those missing")
	if code, ok := parseFlags(fs, args[1:]); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return ExitUsage
	}
	cfg, err := LoadConfig(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(env.Err, "%v\n", err)
		return ExitError
	}
	if _, err := buildEngine(cfg.Screening); err != nil {
		fmt.Fprintf(env.Err, "%s: screening: %v\n", fs.Arg(0), err)
		return ExitError
	}
	if *secrets {
		missing := 0
		for _, s := range cfg.secrets() {
			if _, err := s.secret.Resolve(); err != nil {
				fmt.Fprintf(env.Err, "%s: %s: %v\n", fs.Arg(0), s.path, err)
				missing++
			}
		}
		if missing > 0 {
			return ExitError
		}
	}
	people, mailboxes, phones := 0, 0, 0
	for _, h := range cfg.Households {
		people += len(h.People)
		for _, p := range h.People {
			mailboxes += len(p.Mailboxes)
			phones += len(p.Phones)
		}
	}
	nats := "embedded (store " + cfg.NATS.Embedded.StoreDir + ")"
	if !cfg.NATS.IsEmbedded() {
		nats = fmt.Sprintf("external, %d server(s)", len(cfg.NATS.URL))
	}
	fmt.Fprintf(env.Out, "%s: ok\n  nats: %s\n  households: %d, people: %d, mailboxes: %d, phone numbers: %d\n  sms listener: %v\n",
		fs.Arg(0), nats, len(cfg.Households), people, mailboxes, phones, cfg.SMSEnabled())
	return ExitOK
}

type namedSecret struct {
	path   string
	secret config.Secret
}

// secrets lists every secret the configuration names, with its path.
func (c *Config) secrets() []namedSecret {
	var out []namedSecret
	add := func(path string, s config.Secret) {
		if s.IsSet() {
			out = append(out, namedSecret{path, s})
		}
	}
	add("nats.password", c.NATS.Password)
	add("nats.token", c.NATS.Token)
	add("ingest.sms.twilio.auth_token", c.Ingest.SMS.Twilio.AuthToken)
	for i, s := range c.Ingest.SMS.Sources {
		add(fmt.Sprintf("ingest.sms.sources[%d].auth.secret", i), s.Auth.Secret)
		add(fmt.Sprintf("ingest.sms.sources[%d].auth.token", i), s.Auth.Token)
	}
	add("notify.twilio.account_sid", c.Notify.Twilio.AccountSID)
	add("notify.twilio.auth_token", c.Notify.Twilio.AuthToken)
	add("notify.smtp.password", c.Notify.SMTP.Password)
	add("notify.webhook.secret", c.Notify.Webhook.Secret)
	add("notify.ack.key", c.Notify.Ack.Key)
	if hd := c.Notify.Escalation.Helpdesk; hd != nil {
		add("notify.escalation.helpdesk.url_secret", hd.URLSecret)
		add("notify.escalation.helpdesk.secret", hd.Secret)
	}
	for hi, h := range c.Households {
		for pi, p := range h.People {
			for mi, m := range p.Mailboxes {
				base := fmt.Sprintf("households[%d].people[%d].mailboxes[%d]", hi, pi, mi)
				add(base+".password", m.Password)
				add(base+".xoauth2_token", m.XOAuth2Token)
			}
			for ci, ct := range p.Notify.Contacts {
				if ct.Webhook != nil {
					base := fmt.Sprintf("households[%d].people[%d].notify.contacts[%d].webhook", hi, pi, ci)
					add(base+".url_secret", ct.Webhook.URLSecret)
					add(base+".secret", ct.Webhook.Secret)
				}
			}
		}
	}
	return out
}
