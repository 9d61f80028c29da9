package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/imap"
	"github.com/scamscreen/scamscreen/ingest/imap/imaptest"
	"github.com/scamscreen/scamscreen/ingest/sms"
	"github.com/scamscreen/scamscreen/ingest/sms/smstest"
	"github.com/scamscreen/scamscreen/internal/app"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/internal/obs"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/console"
	"github.com/scamscreen/scamscreen/notify/notifytest"
	"github.com/scamscreen/scamscreen/notify/twilio"
)

// The demo's protected person and her son.
const (
	demoHousehold = "tanaka"
	demoPerson    = "hanako"
	demoUser      = "hanako@example.jp"
	demoPhone     = "090-1234-5678"
	demoSonPhone  = "090-1111-2222"
	demoSource    = "hanako-phone"
	demoPublicURL = "https://sms.demo.scamscreen.invalid"
)

func runDemo(ctx context.Context, args []string, env Env) int {
	fs := newFlags("demo", "[flags]", env)
	var (
		lang    = fs.String("lang", defaultLang(), "language of explanations: ja or en")
		timeout = fs.Duration("timeout", 90*time.Second, "give up when the samples have not all been screened by then")
		keep    = fs.Bool("keep", false, "keep the temporary directory (NATS store, mailbox secrets) and print its path")
	)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if err := checkLang(*lang); err != nil {
		fmt.Fprintf(env.Err, "scamscreen demo: %v\n", err)
		return ExitUsage
	}
	if err := demo(ctx, env, demoOptions{lang: *lang, timeout: *timeout, keep: *keep}); err != nil {
		fmt.Fprintf(env.Err, "scamscreen demo: %v\n", err)
		return ExitError
	}
	return ExitOK
}

// demoOptions tune the demo; tests use the hooks to look inside.
type demoOptions struct {
	lang    string
	timeout time.Duration
	keep    bool
	// logLevel and logOut override the quiet default (warnings to stderr).
	logLevel string
	logOut   io.Writer
	// adminListen turns the admin listener on ("127.0.0.1:0").
	adminListen string
	// screened runs after every sample was screened, before shutdown.
	screened func(p *pipeline)
}

func demo(ctx context.Context, env Env, o demoOptions) error {
	lang, timeout, keep := o.lang, o.timeout, o.keep
	start := time.Now()
	out := &lockedWriter{w: env.Out} // progress lines and the printer's verdicts interleave
	dir, err := os.MkdirTemp("", "scamscreen-demo-*")
	if err != nil {
		return err
	}
	if keep {
		fmt.Fprintf(out, "working directory: %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	logLevel, logOut := "warn", env.Err
	if o.logLevel != "" {
		logLevel = o.logLevel
	}
	if o.logOut != nil {
		logOut = o.logOut
	}
	log, _, err := obs.NewLogger(obs.LogConfig{Level: logLevel, Format: "json"}, stderrSyncer(logOut))
	if err != nil {
		return err
	}

	// The mailbox of the protected person, on an in-process IMAP server.
	imapSrv, err := imaptest.Start(imaptest.Options{TLS: true})
	if err != nil {
		return fmt.Errorf("start IMAP server: %w", err)
	}
	defer imapSrv.Close()
	password := randomAlnum(24)
	if err := imapSrv.AddUser(demoUser, password); err != nil {
		return err
	}
	mailbox, err := imapSrv.Mailbox("hanako-mail", demoUser, dir)
	if err != nil {
		return err
	}

	cfg := DefaultConfig()
	cfg.NATS.Embedded.StoreDir = filepath.Join(dir, "nats")
	cfg.Admin.Listen = "off"
	if o.adminListen != "" {
		cfg.Admin.Listen = o.adminListen
	}
	cfg.Ingest.IMAP.Backfill = config.Duration(24 * time.Hour)
	twilioToken, sourceSecret := randomAlnum(32), randomAlnum(32)
	sc := &cfg.Ingest.SMS
	sc.Listen = "127.0.0.1:0"
	sc.PublicURL = demoPublicURL
	if sc.Twilio.AuthToken, err = secretFile(dir, "twilio.token", twilioToken); err != nil {
		return err
	}
	src := sms.SourceConfig{Name: demoSource, Format: sms.FormatScamscreen, Auth: sms.AuthConfig{Kind: sms.AuthHMAC}}
	if src.Auth.Secret, err = secretFile(dir, "source.secret", sourceSecret); err != nil {
		return err
	}
	sc.Sources = []sms.SourceConfig{src}
	// Alerts go through a local server that speaks Twilio's REST API,
	// reached through twilio-go's own client; each is also printed.
	fake := notifytest.NewTwilioFake("AC"+randomAlnum(32), randomAlnum(32))
	defer fake.Close()
	if cfg.Notify.Twilio, err = fake.Config(dir); err != nil {
		return err
	}
	tc, err := twilio.New(cfg.Notify.Twilio, log)
	if err != nil {
		return err
	}
	channels := map[string]notify.Channel{notify.ChannelSMS: console.Wrap(tc.SMS(), out), notify.ChannelConsole: console.New(out)}
	cfg.Households = []Household{{ID: demoHousehold, People: []Person{{
		ID: demoPerson, Name: "田中花子", Phones: []string{demoPhone}, Mailboxes: []imap.Mailbox{mailbox},
		Notify: notify.PersonConfig{Contacts: []notify.ContactConfig{{
			ID: "kenji", Name: "田中健二", Relation: "son", SMS: demoSonPhone, Consent: notify.ConsentReasons, Order: 1,
		}}},
	}}}}
	cfg.fill()
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("demo configuration: %w", err)
	}

	expected := len(imaptest.Samples()) + len(smstest.Samples())
	fmt.Fprintf(out, "scamscreen demo: the whole pipeline in one process, NATS JetStream embedded in a temporary directory.\n")
	fmt.Fprintf(out, "Protected person: %s (%s/%s), her son 田中健二 is her trusted contact; %d sample mails arrive in her IMAP mailbox and %d SMS reach the webhooks.\n\n",
		"田中花子", demoHousehold, demoPerson, len(imaptest.Samples()), len(smstest.Samples()))

	p, err := newPipeline(ctx, &cfg, allStages, env, log, withChannels(channels))
	if err != nil {
		return err
	}
	pr := &verdictPrinter{out: out, lang: lang, want: expected, done: make(chan struct{})}
	p.group.Add("demo-printer", app.Func(func(ctx context.Context) error {
		return p.bus.Consume(ctx, bus.ConsumerSpec{Stream: event.StreamVerdicts, Durable: "demo-printer"}, pr.handle)
	}))
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- p.group.Run(runCtx) }()

	wait := time.NewTimer(timeout)
	defer wait.Stop()
	select {
	case <-p.group.Started():
	case err := <-errc:
		return fmt.Errorf("pipeline stopped while starting: %w", err)
	case <-wait.C:
		cancel()
		<-errc
		return errors.New("the pipeline did not start in time")
	}
	fmt.Fprintf(out, "● pipeline up (%.1fs): screen worker, IMAP ingest (IDLE), SMS webhooks on %s\n", time.Since(start).Seconds(), p.sms.Addr())

	n, err := imapSrv.Seed(demoUser)
	if err != nil {
		cancel()
		<-errc
		return err
	}
	fmt.Fprintf(out, "● %d mails delivered to the mailbox (INBOX and Sent)\n", n)
	client := &smstest.Client{BaseURL: "http://" + p.sms.Addr().String(), PublicURL: demoPublicURL, TwilioAuthToken: twilioToken}
	sent, err := client.SendSamples(runCtx, demoPhone, smstest.Source{Name: demoSource, Format: sms.FormatScamscreen, HMACSecret: sourceSecret})
	if err != nil {
		cancel()
		<-errc
		return err
	}
	vias := map[string]int{}
	for _, s := range sent {
		vias[s.Via]++
	}
	fmt.Fprintf(out, "● %d SMS posted: %d as signed Twilio webhooks, %d from the forwarder app (JSON, HMAC)\n\n", len(sent), vias["twilio"], vias[demoSource])

	var runErr error
	select {
	case <-pr.done:
		// The verdicts are in; let the alerts they cause go out.
		waitQuiet(runCtx, wait.C, func() int { return len(fake.Messages()) })
		if o.screened != nil {
			o.screened(p)
		}
	case <-wait.C:
		runErr = fmt.Errorf("only %d of %d messages were screened in %s", pr.count(), expected, timeout)
	case <-ctx.Done():
		runErr = errors.New("interrupted")
	case err := <-errc:
		return fmt.Errorf("pipeline stopped: %w", err)
	}
	cancel()
	if err := <-errc; err != nil && !errors.Is(err, context.Canceled) && runErr == nil {
		runErr = err
	}
	pr.summary(time.Since(start))
	toSon, toHer := len(fake.MessagesTo(mustE164(demoSonPhone))), len(fake.MessagesTo(mustE164(demoPhone)))
	fmt.Fprintf(out, "%d SMS alerts went out through the Twilio API fake: %d to her son 田中健二, %d to 田中花子 herself.\n", len(fake.Messages()), toSon, toHer)
	return runErr
}

// waitQuiet returns once count has not changed for half a second (the
// alerts the last verdicts cause have gone out), or when ctx or give-up
// fires.
func waitQuiet(ctx context.Context, giveUp <-chan time.Time, count func() int) {
	last, still := -1, 0
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for still < 5 {
		select {
		case <-ctx.Done():
			return
		case <-giveUp:
			return
		case <-tick.C:
		}
		if n := count(); n == last && n > 0 {
			still++
		} else {
			last, still = n, 0
		}
	}
}

func mustE164(n string) string {
	e, _ := sms.Normalize(n)
	return e
}

func secretFile(dir, name, value string) (config.Secret, error) {
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(value+"\n"), 0o600); err != nil {
		return config.Secret{}, err
	}
	return config.SecretFromFile(path), nil
}

func randomAlnum(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// verdictPrinter prints verdicts as they come off the bus.
type verdictPrinter struct {
	out  io.Writer
	lang string
	want int
	done chan struct{}

	mu      sync.Mutex
	n       int
	byLevel map[event.Level]int
	once    sync.Once
}

func (pr *verdictPrinter) count() int {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.n
}

func (pr *verdictPrinter) handle(_ context.Context, d *bus.Delivery) error {
	v, err := event.Decode[event.Verdict](d.Data())
	if err != nil {
		return errkindPermanent(err)
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	pr.n++
	if pr.byLevel == nil {
		pr.byLevel = map[event.Level]int{}
	}
	pr.byLevel[v.Level]++
	pr.print(v)
	if pr.n >= pr.want {
		pr.once.Do(func() { close(pr.done) })
	}
	return nil
}

func (pr *verdictPrinter) print(v *event.Verdict) {
	var w strings.Builder
	defer func() { io.WriteString(pr.out, w.String()) }()
	dir := map[event.Direction]string{event.DirectionIn: "received", event.DirectionOut: "SENT by her"}[v.Direction]
	fmt.Fprintf(&w, "── %d. %s %s ", pr.n, v.Channel, dir)
	if lat := v.ScreenedAt.Sub(v.IngestedAt); !v.IngestedAt.IsZero() && lat >= 0 {
		fmt.Fprintf(&w, "(screened %.1f ms after ingest) ", float64(lat.Microseconds())/1000)
	}
	fmt.Fprintln(&w, strings.Repeat("─", 20))
	from := v.Sender.Addr
	if v.Sender.Name != "" {
		from = v.Sender.Name + " <" + v.Sender.Addr + ">"
	}
	if from != "" {
		fmt.Fprintf(&w, "   from:    %s\n", oneLine(from, 70))
	}
	if v.Subject != "" {
		fmt.Fprintf(&w, "   subject: %s\n", oneLine(v.Subject, 70))
	}
	mark := map[event.Level]string{event.LevelClean: "clean", event.LevelSuspicious: "SUSPICIOUS", event.LevelScam: "SCAM"}[v.Level]
	cats := make([]string, len(v.Categories))
	for i, c := range v.Categories {
		cats[i] = string(c)
	}
	fmt.Fprintf(&w, "   verdict: %s (score %.1f)", mark, v.Score)
	if len(cats) > 0 {
		fmt.Fprintf(&w, " — %s", strings.Join(cats, ", "))
	}
	fmt.Fprintln(&w)
	reasons := slices.Clone(v.Reasons)
	slices.SortStableFunc(reasons, func(a, b event.Reason) int {
		switch {
		case a.Weight > b.Weight:
			return -1
		case a.Weight < b.Weight:
			return 1
		}
		return 0
	})
	for i, r := range reasons {
		if i == 5 {
			fmt.Fprintf(&w, "     … and %d more\n", len(reasons)-5)
			break
		}
		fmt.Fprintf(&w, "     %+5.1f %s\n", r.Weight, r.Explain.In(pr.lang))
		if r.Evidence != "" {
			fmt.Fprintf(&w, "           「%s」\n", oneLine(r.Evidence, 60))
		}
	}
	fmt.Fprintln(&w)
}

func (pr *verdictPrinter) summary(elapsed time.Duration) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	fmt.Fprintf(pr.out, "Done in %.1fs: %d messages screened — %d scam, %d suspicious, %d clean.\n",
		elapsed.Seconds(), pr.n, pr.byLevel[event.LevelScam], pr.byLevel[event.LevelSuspicious], pr.byLevel[event.LevelClean])
}

// lockedWriter serialises writes from several goroutines; each Write (one
// Fprintf) comes out whole.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// stderrSyncer lets the demo's logger write to env.Err.
func stderrSyncer(w io.Writer) writeSyncer { return writeSyncer{w} }

type writeSyncer struct{ io.Writer }

func (writeSyncer) Sync() error { return nil }
