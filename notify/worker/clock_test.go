package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/natstest"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/notifytest"
	"github.com/scamscreen/scamscreen/notify/worker"
	"github.com/scamscreen/scamscreen/notify/worker/natsbus"
)

// clock is a controllable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

var tokyo = func() *time.Location {
	l, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		return time.FixedZone("JST", 9*3600)
	}
	return l
}()

func jst(day, hh, mm int) time.Time { return time.Date(2026, 11, day, hh, mm, 0, 0, tokyo) }

// handVerdict is a verdict written by hand, so the clock tests do not
// depend on rule weights.
func handVerdict(id string, at time.Time, level event.Level, sender string, cats []event.Category, flags ...event.Flag) *event.Verdict {
	return &event.Verdict{
		V: event.Version, ID: event.StableID(event.PrefixVerdict, id), MessageID: "sms-" + id, Channel: event.ChannelSMS,
		Direction: event.DirectionIn, Household: "tanaka", Person: "hanako", ReceivedAt: at.UTC(), ScreenedAt: at.UTC(),
		Engine: "screen/1", RulePacks: []string{"test@1"}, Level: level, Categories: cats, Flags: flags,
		Reasons: []event.Reason{{Rule: "test.rule", Category: cats[0], Weight: 5, Evidence: "未払い料金", Field: "text",
			Explain: event.Explained{JA: "未払いの料金があると言って支払いを急がせています", EN: "It claims an unpaid bill to rush you"}}},
		Guidance:   []string{event.GuidanceDoNotBuy, event.GuidanceCallKnownNumber},
		Indicators: event.Indicators{SenderKey: sender},
		Sender:     event.Address{Addr: sender},
	}
}

// fixture is a worker on a controllable clock whose channels all record.
type fixture struct {
	b     *bus.Bus
	clk   *clock
	rec   *notifytest.Recorder
	w     *worker.Worker
	cfg   notify.Config
	dir   *notify.Directory
	stops []func() error
}

func newFixture(t *testing.T, now time.Time, mod func(*notify.Config), people ...notify.Person) *fixture {
	t.Helper()
	return newFixtureSigned(t, now, mod, false, people...)
}

// newFixtureSigned is newFixture with acknowledgement links when signed.
func newFixtureSigned(t *testing.T, now time.Time, mod func(*notify.Config), signed bool, people ...notify.Person) *fixture {
	t.Helper()
	f := &fixture{b: natstest.Embedded(t), clk: &clock{t: now}, rec: &notifytest.Recorder{}}
	cfg := testConfig(t, nil)
	cfg.SMTP.Host, cfg.SMTP.From = "smtp.scamscreen.test", "alerts@scamscreen.test"
	cfg.Webhook.Secret = secretFile(t, notifytest.WebhookKey)
	if mod != nil {
		mod(&cfg)
	}
	f.cfg = cfg
	f.dir = directory(t, cfg, people...)
	chs := map[string]notify.Channel{}
	for _, c := range notify.Channels {
		chs[c] = f.rec
	}
	deps := worker.Deps{Directory: f.dir, Channels: chs, Now: f.clk.Now}
	if signed {
		signer, err := notify.NewAckSignerFromConfig(cfg.Ack)
		if err != nil {
			t.Fatal(err)
		}
		deps.Signer = signer
	}
	if cfg.Shadow {
		deps.Shadow = f.rec
	}
	r := start(t, f.b, cfg, deps)
	f.w = r.w
	return f
}

func (f *fixture) publish(t *testing.T, v *event.Verdict) {
	t.Helper()
	if _, _, err := f.b.PublishVerdict(context.Background(), v); err != nil {
		t.Fatal(err)
	}
}

// settle waits until every consumer has handled everything.
func (f *fixture) settle(t *testing.T) {
	t.Helper()
	durable := worker.DurableRoute
	if f.cfg.Shadow {
		durable += "-shadow"
	}
	poll(t, 20*time.Second, "the worker to settle", func() bool {
		return settled(t, f.b, event.StreamVerdicts, durable, 0) &&
			(f.cfg.Shadow || settled(t, f.b, event.StreamAlerts, worker.DurableDeliver, 0) &&
				settled(t, f.b, event.StreamAlerts, worker.DurableAck, 0))
	})
}

// fire moves the clock to at and fires due timers.
func (f *fixture) fire(t *testing.T, at time.Time) int {
	t.Helper()
	f.clk.Set(at)
	n, err := f.w.FireDue(context.Background())
	if err != nil {
		t.Fatalf("FireDue() = %v", err)
	}
	f.settle(t)
	return n
}

func (f *fixture) sent() []string {
	var out []string
	for _, d := range f.rec.Deliveries() {
		s := fmt.Sprintf("%s/%s/%s", d.Alert.Recipient, d.Alert.Channel, d.Alert.Template)
		if d.Alert.Step > 0 {
			s += fmt.Sprintf("/step%d", d.Alert.Step)
		}
		out = append(out, s)
	}
	return out
}

// wantSent compares what was delivered with want, in any order: jobs of
// one verdict are delivered concurrently.
func wantSent(t *testing.T, f *fixture, want ...string) {
	t.Helper()
	got := f.sent()
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("delivered = %v, want %v", got, want)
	}
}

func quietHanako() notify.Person {
	p := hanako(notify.ContactConfig{ID: "kenji", Name: "健二", SMS: "090-1111-2222", Consent: notify.ConsentReasons, QuietHours: notify.MustQuietHours("22:00-07:00")})
	p.Notify.Self.QuietHours = notify.MustQuietHours("21:00-06:30")
	return p
}

func TestQuietHoursDeferUntilMorning(t *testing.T) {
	f := newFixture(t, jst(29, 23, 30), nil, quietHanako())
	f.publish(t, handVerdict("quiet", jst(29, 23, 30), event.LevelSuspicious, "+818049217733", []event.Category{event.CategoryUnpaidBill}))
	f.settle(t)
	wantSent(t, f)
	if n := countStatus(audits(t, f.b), notify.RecipientSelf, event.AlertDeferred) + countStatus(audits(t, f.b), "kenji", event.AlertDeferred); n != 2 {
		t.Errorf("deferred records = %d, want 2", n)
	}
	f.fire(t, jst(30, 6, 0)) // only the group's window closes
	wantSent(t, f)
	f.fire(t, jst(30, 6, 30))
	poll(t, 10*time.Second, "the person's warning", func() bool { return f.rec.Len() == 1 })
	f.fire(t, jst(30, 7, 0))
	poll(t, 10*time.Second, "the son's alert", func() bool { return f.rec.Len() == 2 })
	wantSent(t, f, "self/sms/person", "kenji/sms/contact")
}

func TestUrgentBypassesQuietHours(t *testing.T) {
	f := newFixture(t, jst(29, 23, 30), nil, quietHanako())
	f.publish(t, handVerdict("urgent", jst(29, 23, 30), event.LevelScam, "+818049217733",
		[]event.Category{event.CategoryImpersonation, event.CategoryGiftCardDemand}, event.FlagGoToShop))
	f.settle(t)
	poll(t, 10*time.Second, "both alerts", func() bool { return f.rec.Len() == 2 })
	wantSent(t, f, "self/sms/person", "kenji/sms/contact")
	for _, d := range f.rec.Deliveries() {
		if !d.Alert.Urgent || !strings.Contains(d.Message.SMS, "【至急】") {
			t.Errorf("urgent alert to %s: urgent %v, SMS %q", d.Alert.Recipient, d.Alert.Urgent, d.Message.SMS)
		}
	}
}

func TestGroupingFoldsOneLure(t *testing.T) {
	f := newFixture(t, jst(29, 10, 0), nil, hanako())
	lure := []event.Category{event.CategoryUnpaidBill}
	for i, at := range []time.Time{jst(29, 10, 0), jst(29, 10, 5), jst(29, 10, 10)} {
		f.clk.Set(at)
		f.publish(t, handVerdict(fmt.Sprint("group-", i), at, event.LevelSuspicious, "+818049217733", lure))
		f.settle(t)
	}
	// Another sender is another lure.
	f.publish(t, handVerdict("other", jst(29, 10, 10), event.LevelSuspicious, "+818011110000", lure))
	f.settle(t)
	poll(t, 10*time.Second, "the first alerts", func() bool { return f.rec.Len() == 4 })
	wantSent(t, f, "self/sms/person", "kenji/sms/contact", "self/sms/person", "kenji/sms/contact")
	as := audits(t, f.b)
	if n := countStatus(as, "kenji", event.AlertGrouped); n != 2 {
		t.Errorf("grouped records for the son = %d, want 2", n)
	}

	if n := f.fire(t, jst(29, 10, 30)); n != 1 {
		t.Errorf("FireDue at 10:30 fired %d timers, want 1 (the first group's window)", n)
	}
	poll(t, 10*time.Second, "the summaries", func() bool { return f.rec.Len() == 6 })
	wantSent(t, f, "self/sms/person", "kenji/sms/contact", "self/sms/person", "kenji/sms/contact", "self/sms/summary", "kenji/sms/summary")
	for _, d := range f.rec.Deliveries()[4:] {
		if d.Alert.Template != notify.TemplateSummary {
			t.Errorf("delivery %s after the window is not a summary", d.Alert.ID)
		}
		if d.Alert.GroupCount != 3 || !strings.Contains(d.Message.SMS, "さらに2件") {
			t.Errorf("summary to %s: count %d, SMS %q, want 3 and さらに2件", d.Alert.Recipient, d.Alert.GroupCount, d.Message.SMS)
		}
	}
	// The second group closes with one message: no summary.
	f.fire(t, jst(29, 10, 40))
	if n := f.rec.Len(); n != 6 {
		t.Errorf("after the second window %d alerts, want still 6", n)
	}
	// After the window the same sender alerts again.
	f.publish(t, handVerdict("group-late", jst(29, 10, 45), event.LevelSuspicious, "+818049217733", lure))
	f.settle(t)
	poll(t, 10*time.Second, "a new alert after the window", func() bool { return f.rec.Len() == 8 })
}

func escalationPeople() notify.Person {
	p := hanako(
		notify.ContactConfig{ID: "kenji", Name: "健二", SMS: "090-1111-2222", Consent: notify.ConsentReasons},
		notify.ContactConfig{ID: "yumi", Name: "由美", Email: "yumi@family.example", MinVerdict: event.LevelScam},
	)
	p.Notify.Escalation.Helpdesk = &notify.WebhookTarget{URL: "https://helpdesk.isp.example/alerts"}
	return p
}

func urgentVerdict(id string, at time.Time) *event.Verdict {
	return handVerdict(id, at, event.LevelScam, "+818049217733",
		[]event.Category{event.CategoryImpersonation, event.CategoryGiftCardDemand}, event.FlagGoToShop)
}

// escalationOpen counts the person's running escalations; an
// acknowledged one stays in the bucket as a tombstone, marked "acked".
func escalationOpen(t *testing.T, f *fixture) int {
	t.Helper()
	st, err := natsbus.OpenStores(context.Background(), f.b, f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	keys, err := st.State.Keys(ctx, "e.tanaka.hanako.*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range keys {
		b, _, err := st.State.Get(ctx, k)
		if errors.Is(err, worker.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		var e struct {
			Acked time.Time `json:"acked"`
		}
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("escalation %s: %v", k, err)
		}
		if e.Acked.IsZero() {
			n++
		}
	}
	return n
}

func TestEscalationUntilHelpdesk(t *testing.T) {
	f := newFixture(t, jst(29, 23, 30), nil, escalationPeople())
	f.publish(t, urgentVerdict("esc-1", jst(29, 23, 30)))
	f.settle(t)
	poll(t, 10*time.Second, "the first alerts", func() bool { return f.rec.Len() == 3 })
	wantSent(t, f, "self/sms/person", "kenji/sms/contact", "yumi/email/contact")

	f.fire(t, jst(29, 23, 39))
	if n := f.rec.Len(); n != 3 {
		t.Fatalf("before the ack timeout %d alerts, want 3", n)
	}
	for i, step := range []struct {
		at   time.Time
		want string
	}{
		{jst(29, 23, 40), "kenji/sms/escalation/step1"},
		{jst(29, 23, 50), "yumi/email/escalation/step2"},
		{jst(30, 0, 0), "helpdesk/webhook/helpdesk/step3"},
	} {
		f.fire(t, step.at)
		poll(t, 10*time.Second, "step "+step.want, func() bool { return f.rec.Len() == 4+i })
		if got := f.sent()[3+i]; got != step.want {
			t.Errorf("step %d delivered %s, want %s", i+1, got, step.want)
		}
	}
	last := f.rec.Deliveries()[5]
	if last.Alert.Recipient != notify.RecipientHelpdesk {
		t.Fatalf("last delivery went to %s, want the helpdesk", last.Alert.Recipient)
	}
	if !strings.Contains(last.Message.Text, "tanaka / hanako") || !strings.Contains(last.Message.Text, "30分以内") {
		t.Errorf("helpdesk text = %q, want the household/person and the time nobody answered", last.Message.Text)
	}
	if n := f.fire(t, jst(30, 1, 0)); n != 0 {
		t.Errorf("after the last step FireDue fired %d timers, want 0", n)
	}
	if n := escalationOpen(t, f); n != 0 {
		t.Errorf("%d escalations still open after the last step", n)
	}
	if n := len(audits(t, f.b)); n == 0 {
		t.Error("no audit records")
	}
	if n := countStatus(audits(t, f.b), "kenji", event.AlertEscalated); n != 1 {
		t.Errorf("escalated records for the son = %d, want 1", n)
	}
}

func TestSMSReplyStopsEscalation(t *testing.T) {
	f := newFixture(t, jst(29, 23, 30), nil, escalationPeople())
	f.publish(t, urgentVerdict("esc-2", jst(29, 23, 30)))
	f.settle(t)
	f.fire(t, jst(29, 23, 40))
	poll(t, 10*time.Second, "step 1", func() bool { return f.rec.Len() == 4 })

	// The son replies to the alert SMS; SMS ingest publishes his reply on
	// the person's ack subject.
	reply := &event.Message{V: event.Version, ID: event.SMSID("twilio", "SMreply1"), Channel: event.ChannelSMS, Direction: event.DirectionIn,
		Household: "tanaka", Person: "hanako", ReceivedAt: jst(29, 23, 42).UTC(), From: event.Address{Addr: kenjiPhone}, Text: "了解、母に電話する"}
	subject, _ := event.AlertAckSubject("tanaka", "hanako")
	data, _ := event.Encode(reply)
	if _, _, err := f.b.Publish(context.Background(), subject, reply.ID, data, nil); err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	if n := escalationOpen(t, f); n != 0 {
		t.Fatalf("%d escalations open after the reply, want 0", n)
	}
	if n := countStatus(audits(t, f.b), "kenji", event.AlertAcknowledged); n != 1 {
		t.Errorf("acknowledged records by the son = %d, want 1", n)
	}
	f.fire(t, jst(29, 23, 50))
	f.fire(t, jst(30, 0, 0))
	if n := f.rec.Len(); n != 4 {
		t.Errorf("after the acknowledgement %d alerts, want still 4: %v", n, f.sent())
	}

	// A reply from a number that is no contact acknowledges nothing and is
	// dead-lettered.
	stranger := *reply
	stranger.ID, stranger.From.Addr = event.SMSID("twilio", "SMreply2"), "+818049217733"
	data, _ = event.Encode(&stranger)
	if _, _, err := f.b.Publish(context.Background(), subject, stranger.ID, data, nil); err != nil {
		t.Fatal(err)
	}
	poll(t, 10*time.Second, "the stranger's reply dead-lettered", func() bool { return lastSeq(t, f.b, event.StreamDeadLetter) >= 1 })
}

// TestAckLinkStopsEscalation drives the acknowledgement server: the link
// in the son's alert, opened and confirmed, stops the escalation.
func TestAckLinkStopsEscalation(t *testing.T) {
	f := newFixtureSigned(t, jst(29, 23, 30), func(c *notify.Config) {
		c.Ack.PublicURL = "https://scamscreen.example.jp"
		c.Ack.Listen = "127.0.0.1:0"
		c.Ack.Key = secretFile(t, "ack-signing-key-for-tests-0123456789")
	}, true, escalationPeople())
	signer, err := notify.NewAckSignerFromConfig(f.cfg.Ack)
	if err != nil {
		t.Fatal(err)
	}

	f.publish(t, urgentVerdict("esc-3", jst(29, 23, 30)))
	f.settle(t)
	poll(t, 10*time.Second, "the first alerts", func() bool { return f.rec.Len() == 3 })
	var link string
	for _, d := range f.rec.Deliveries() {
		if d.Alert.Recipient == "yumi" {
			link = d.Message.AckURL
			if !strings.Contains(d.Message.Text, link) {
				t.Errorf("e-mail text lacks the link %s", link)
			}
		}
		if d.Alert.Recipient == notify.RecipientSelf && d.Message.AckURL != "" {
			t.Error("the person's own warning carries an acknowledgement link")
		}
	}
	if !strings.HasPrefix(link, "https://scamscreen.example.jp/ack/") {
		t.Fatalf("ack link = %q", link)
	}

	srv, err := notify.NewAckServer(f.cfg.Ack, signer, natsbus.Bus{Bus: f.b}, f.w, nil, notify.WithAckClock(f.clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	path := strings.TrimPrefix(link, "https://scamscreen.example.jp")

	resp, err := http.Get(hs.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "確認しました") || !strings.Contains(string(body), `method="post"`) {
		t.Fatalf("GET link = %d %s, want the confirmation page", resp.StatusCode, body)
	}
	f.settle(t)
	if n := escalationOpen(t, f); n != 1 {
		t.Fatalf("after only opening the link %d escalations open, want 1 (a preview must not acknowledge)", n)
	}
	resp, err = http.Post(hs.URL+path, "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "受け付けました") {
		t.Fatalf("POST link = %d %s, want the thank-you page", resp.StatusCode, body)
	}
	f.settle(t)
	if n := escalationOpen(t, f); n != 0 {
		t.Errorf("after the link was confirmed %d escalations open, want 0", n)
	}
	if n := countStatus(audits(t, f.b), "yumi", event.AlertAcknowledged); n != 1 {
		t.Errorf("acknowledged records by yumi = %d, want 1", n)
	}
	f.fire(t, jst(29, 23, 40))
	if n := f.rec.Len(); n != 3 {
		t.Errorf("after the acknowledgement %d alerts, want 3", n)
	}
}

func TestShadowModeReachesNobody(t *testing.T) {
	f := newFixture(t, jst(29, 12, 0), func(c *notify.Config) { c.Shadow = true }, escalationPeople())
	f.publish(t, urgentVerdict("shadow-1", jst(29, 12, 0)))
	f.settle(t)
	poll(t, 10*time.Second, "the shadow alerts", func() bool { return f.rec.Len() == 3 })
	if n := lastSeq(t, f.b, event.StreamAlerts); n != 0 {
		t.Errorf("shadow mode wrote %d messages to ALERTS, want 0", n)
	}
	// The real buckets were never touched.
	real, err := natsbus.OpenStores(context.Background(), f.b, notify.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if keys, err := real.State.Keys(context.Background(), ">"); err != nil || len(keys) != 0 {
		t.Errorf("real state bucket has %v, %v, want nothing", keys, err)
	}
	// A shadow escalation runs on the shadow buckets and shadow channel.
	f.fire(t, jst(29, 12, 10))
	poll(t, 10*time.Second, "the shadow escalation", func() bool { return f.rec.Len() == 4 })
}
