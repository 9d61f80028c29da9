package notify_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/internal/errkind"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/notifytest"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"090-1234-5678", "+819012345678"},
		{"09012345678", "+819012345678"},
		{"+81 90 1234 5678", "+819012345678"},
		{"+81-90-1234-5678", "+819012345678"},
		{"０９０－１２３４－５６７８", "+819012345678"},
		{"03-1234-5678", "+81312345678"},
		{"(03) 1234-5678", "+81312345678"},
		{"0081 90 1234 5678", "+819012345678"},
		{"+1 415 555 0100", "+14155550100"},
	}
	for _, tt := range tests {
		if got, err := notify.NormalizePhone(tt.in, ""); err != nil || got != tt.want {
			t.Errorf("NormalizePhone(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "123", "9012345678", "+0123456789", "090-1234-5678 ext 9", "abc", "+8190123456789012345"} {
		if got, err := notify.NormalizePhone(bad, ""); err == nil {
			t.Errorf("NormalizePhone(%q) = %q, want an error", bad, got)
		} else if bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("NormalizePhone(%q) error repeats the number: %v", bad, err)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+819012345678", "090-****-5678"},
		{"+81312345678", "031-****-5678"},
		{"+14155550100", "*******0100"},
		{"123", "***"},
	}
	for _, tt := range tests {
		if got := notify.MaskPhone(tt.in); got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"The 'To' number +819012345678 is not a valid phone number.", "The 'To' number <number> is not a valid phone number."},
		{"<kenji@example.jp>: Recipient address rejected", "<<address>>: Recipient address rejected"},
		{"see https://api.twilio.com/2010-04-01/Accounts/AC0123/Messages.json", "see <url>"},
		{"account AC0123456789abcdef0123456789abcdef suspended", "account <sid> suspended"},
		{"code 503 error", "code 503 error"},
		{"line\nbreak\x00", "line break"},
	}
	for _, tt := range tests {
		if got := notify.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := notify.Redact(strings.Repeat("詐", 500)); len(got) > 220 {
		t.Errorf("Redact(long) is %d bytes, want it bounded", len(got))
	}
}

func FuzzRedact(f *testing.F) {
	for _, s := range []string{"+81 90 1234 5678", "a@b.example", "https://x.example/y", "\xff", "AC0123456789abcdef0123456789abcdef"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := notify.Redact(s)
		if strings.ContainsAny(got, "\n\r\x00") {
			t.Fatalf("Redact(%q) = %q keeps control characters", s, got)
		}
		if len(got) > 210 {
			t.Fatalf("Redact(%q) is %d bytes", s, len(got))
		}
	})
}

func TestSendErrorClassification(t *testing.T) {
	tests := []struct {
		err  *notify.SendError
		kind errkind.Kind
		text string
	}{
		{&notify.SendError{Channel: "twilio sms", Reason: notify.ReasonInvalidRecipient, Status: 400, Code: 21211, Detail: "bad"}, errkind.KindPermanent, "twilio sms: invalid_recipient (status 400, code 21211): bad"},
		{&notify.SendError{Channel: "smtp", Reason: notify.ReasonUnavailable, Status: 451}, errkind.KindTemporary, "smtp: unavailable (status 451)"},
		{&notify.SendError{Channel: "webhook", Reason: notify.ReasonTimeout, Unsure: true}, errkind.KindTemporary, "webhook: timeout [outcome unknown]"},
		{&notify.SendError{Channel: "webhook", Reason: notify.ReasonCanceled, Err: context.Canceled}, errkind.KindCanceled, "webhook: canceled"},
		{&notify.SendError{Channel: "x", Reason: notify.ReasonRateLimited, RetryAfter: 7 * time.Second}, errkind.KindTemporary, "x: rate_limited"},
	}
	for _, tt := range tests {
		err := tt.err.Classified()
		if got := errkind.Classify(err); got != tt.kind {
			t.Errorf("Classify(%s) = %v, want %v", tt.text, got, tt.kind)
		}
		if err.Error() != tt.text {
			t.Errorf("Error() = %q, want %q", err.Error(), tt.text)
		}
		if se, ok := notify.AsSendError(fmt.Errorf("wrapped: %w", err)); !ok || se != tt.err {
			t.Errorf("AsSendError(wrapped %s) = %v, %v", tt.text, se, ok)
		}
	}
	if ra, ok := errkind.RetryAfter(tests[4].err.Classified()); !ok || ra != 7*time.Second {
		t.Errorf("RetryAfter = %v, %v, want 7s", ra, ok)
	}
}

func TestReasonForStatus(t *testing.T) {
	tests := map[int]notify.Reason{200: "", 302: "", 400: notify.ReasonRejected, 401: notify.ReasonAuth, 403: notify.ReasonAuth,
		404: notify.ReasonRejected, 408: notify.ReasonTimeout, 425: notify.ReasonRateLimited, 429: notify.ReasonRateLimited,
		500: notify.ReasonUnavailable, 503: notify.ReasonUnavailable}
	for status, want := range tests {
		if got := notify.ReasonForStatus(status); got != want {
			t.Errorf("ReasonForStatus(%d) = %q, want %q", status, got, want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC)
	tests := map[string]time.Duration{"": 0, "7": 7 * time.Second, "-3": 0, "x": 0, "99999": time.Hour,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second}
	for in, want := range tests {
		if got := notify.ParseRetryAfter(in, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

// validConfig is a complete configuration.
func validConfig() notify.Config {
	c := notify.DefaultConfig()
	c.Twilio.AccountSID = config.SecretFromEnv("TWILIO_SID_TEST")
	c.Twilio.AuthToken = config.SecretFromEnv("TWILIO_TOKEN_TEST")
	c.Twilio.From = "+815012345678"
	c.SMTP.Host, c.SMTP.From = "smtp.example.jp", "scamscreen <alerts@example.jp>"
	c.SMTP.Username, c.SMTP.Password = "alerts@example.jp", config.SecretFromEnv("SMTP_PASSWORD_TEST")
	c.Webhook.Secret = config.SecretFromEnv("WEBHOOK_SECRET_TEST")
	c.Ack.PublicURL, c.Ack.Listen, c.Ack.Key = "https://scamscreen.example.jp", "127.0.0.1:8089", config.SecretFromEnv("ACK_KEY_TEST")
	return c
}

func problems(err error) []string {
	var ce *config.Error
	if !errors.As(err, &ce) {
		if err == nil {
			return nil
		}
		return []string{err.Error()}
	}
	var out []string
	for _, p := range ce.Problems {
		out = append(out, p.Path+": "+p.Msg)
	}
	return out
}

func TestConfigValidate(t *testing.T) {
	if err := validConfig().Validate(); err != nil {
		t.Fatalf("Validate(valid) = %v", err)
	}
	if err := notify.DefaultConfig().Validate(); err != nil {
		t.Fatalf("Validate(default, nothing configured) = %v", err)
	}
	bad := validConfig()
	bad.Twilio.AuthToken = config.Secret{}
	bad.Twilio.From = "0312345678"
	bad.Twilio.Voice.Enabled = true
	bad.Twilio.APIBaseURL = "http://api.example.com"
	bad.SMTP.TLS = "none"
	bad.SMTP.Username = ""
	bad.SMTP.Charset = "shift_jis"
	bad.Ack.Key = config.Secret{}
	bad.Ack.SMSAck = "both-ways"
	bad.SMS.MaxSegments = 20
	bad.Worker.AckWait = config.Duration(time.Second)
	want := []string{
		"ack.key: required with public_url",
		"ack.sms_ack: \"both-ways\" is not reply, link or both",
		"sms.max_segments: must be between 1 and 10",
		"smtp.charset: \"shift_jis\" is not utf-8 or iso-2022-jp",
		"smtp.tls: none is allowed only for a loopback host; use starttls or implicit",
		"smtp.username: username and password go together",
		"twilio.api_base_url: plain http is allowed only to a loopback address",
		"twilio.auth_token: required with account_sid",
		"twilio.from: want an E.164 number (+815012345678) or an alphanumeric sender id of up to 11 characters",
		"twilio.voice.from: calls need an E.164 number (voice.from or from)",
		"worker.ack_wait: must be longer than send_timeout (30s)",
	}
	if d := cmp.Diff(want, problems(bad.Validate())); d != "" {
		t.Errorf("Validate(bad) problems (-want +got):\n%s", d)
	}
}

func TestPersonValidate(t *testing.T) {
	cfg := validConfig()
	good := notify.Person{Household: "tanaka", ID: "hanako", Name: "田中花子", Phones: []string{"090-1234-5678"},
		Notify: notify.PersonConfig{Contacts: []notify.ContactConfig{{ID: "kenji", Name: "健二", SMS: "090-1111-2222", Voice: false}}}}
	if err := good.Validate(cfg); err != nil {
		t.Fatalf("Validate(good) = %v", err)
	}
	bad := notify.Person{Household: "tanaka", ID: "hanako.x", Language: "fr", TimeZone: "Mars/Olympus", Phones: []string{"12"},
		Notify: notify.PersonConfig{
			Self: notify.SelfConfig{Channels: []string{"sms", "email", "pager"}, MinVerdict: event.LevelClean},
			Contacts: []notify.ContactConfig{
				{ID: "self", Name: "x", SMS: "1"},
				{ID: "kenji", Name: "", Voice: true, Consent: "everything", Order: 2},
				{ID: "kenji", Name: "健二", Email: "not-an-address", Order: 2},
				{ID: "yumi", Name: "由美", Webhook: &notify.WebhookTarget{URL: "http://hooks.example.jp/x"}},
			},
		}}
	want := []string{
		"id: not a valid id",
		"language: \"fr\" is not ja or en",
		"notify.contacts[0].id: \"self\" is reserved",
		"notify.contacts[0].sms: not a phone number in E.164 (+81...) or Japanese national (0X0-...) form",
		"notify.contacts[1]: no channel: give sms, email or webhook",
		"notify.contacts[1].consent: \"everything\" is not category, reasons or full",
		"notify.contacts[1].name: required",
		"notify.contacts[1].voice: needs an sms number to call",
		"notify.contacts[2].email: not an e-mail address",
		"notify.contacts[2].id: duplicate of contacts[1]",
		"notify.contacts[2].order: same as contacts[1]",
		"notify.contacts[3].webhook.url: want https (plain http only to loopback, or with notify.webhook.allow_http)",
		"notify.self.channels[1]: email needs self.email",
		"notify.self.channels[2]: \"pager\" is not sms, email or console",
		"notify.self.min_verdict: must be suspicious or scam",
		"phones[0]: not a phone number in E.164 (+81...) or Japanese national (0X0-...) form",
		`time_zone: "Mars/Olympus" is not an IANA time zone`,
	}
	if d := cmp.Diff(want, problems(bad.Validate(cfg))); d != "" {
		t.Errorf("Validate(bad) problems (-want +got):\n%s", d)
	}
}

func TestDirectory(t *testing.T) {
	cfg := validConfig()
	cfg.Twilio.Voice.Enabled = true
	people := []notify.Person{
		{Household: "tanaka", ID: "hanako", Name: "田中花子", Phones: []string{"090-1234-5678"},
			Notify: notify.PersonConfig{Contacts: []notify.ContactConfig{
				{ID: "yumi", Name: "由美", Email: "yumi@example.jp", Order: 2},
				{ID: "kenji", Name: "健二", SMS: "090-1111-2222", Voice: true, Order: 1, Consent: notify.ConsentFull},
			}}},
		{Household: "sato", ID: "ichiro", Name: "佐藤一郎", Language: "en",
			Notify: notify.PersonConfig{Contacts: []notify.ContactConfig{{ID: "kenji", Name: "Kenji", SMS: "+81 90 1111 2222"}}}},
	}
	d, err := notify.NewDirectory(cfg, people)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := d.Lookup("tanaka", "hanako")
	if !ok {
		t.Fatal("Lookup(tanaka, hanako) = false")
	}
	if p.Self == nil || p.Self.Channels[0] != notify.ChannelSMS {
		t.Errorf("self = %+v, want sms by default for a person with a phone", p.Self)
	}
	if dst, _ := p.Self.Destination(notify.ChannelSMS); dst.Phone != "+819012345678" {
		t.Errorf("self sms destination = %q", dst.Phone)
	}
	if p.Contacts[0].ID != "kenji" || p.Contacts[1].ID != "yumi" || p.Helper().Name != "健二" {
		t.Errorf("contacts in escalation order = %s, %s; helper %s", p.Contacts[0].ID, p.Contacts[1].ID, p.Helper().Name)
	}
	if !p.Contacts[0].Voice || p.Contacts[1].Consent != notify.ConsentCategory || p.Contacts[1].MinLevel != event.LevelSuspicious {
		t.Errorf("contact defaults: kenji voice %v, yumi consent %s min %v", p.Contacts[0].Voice, p.Contacts[1].Consent, p.Contacts[1].MinLevel)
	}
	if p.AckTimeout != 10*time.Minute || !p.Escalate {
		t.Errorf("escalation: timeout %s escalate %v", p.AckTimeout, p.Escalate)
	}
	q, _ := d.Lookup("sato", "ichiro")
	if q.Self != nil || q.Contacts[0].Language != "en" {
		t.Errorf("person without a phone: self %+v, contact language %s", q.Self, q.Contacts[0].Language)
	}
	if got, want := d.ChannelsInUse(), []string{"sms", "voice", "email"}; !slices.Equal(got, want) {
		t.Errorf("ChannelsInUse() = %v, want %v", got, want)
	}
	refs := d.ContactsByPhone("+819011112222")
	want := []notify.ContactRef{{Household: "tanaka", Person: "hanako", Contact: "kenji"}, {Household: "sato", Person: "ichiro", Contact: "kenji"}}
	if d := cmp.Diff(want, refs); d != "" {
		t.Errorf("ContactsByPhone (-want +got):\n%s", d)
	}
	if _, err := notify.NewDirectory(cfg, append(people, people[0])); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Errorf("NewDirectory(duplicate person) = %v", err)
	}
}

func delivery(n int) *notify.Delivery {
	return notifytest.NewDelivery(notify.Destination{Phone: "+819011112222"}, notify.ChannelSMS, n)
}

// reconciling is a recorder that can also be asked whether it has a
// delivery.
type reconciling struct {
	*notifytest.Recorder
	asked        int
	since, until time.Time // the window of the last question
}

func (r *reconciling) Reconcile(_ context.Context, d *notify.Delivery, since, until time.Time) (string, bool, error) {
	r.asked++
	r.since, r.until = since, until
	for i, x := range r.Deliveries() {
		if x.Alert.ID == d.Alert.ID {
			return fmt.Sprintf("rec-%d", i+1), true, nil
		}
	}
	return "", false, nil
}

func TestDelivererStates(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	unsure := (&notify.SendError{Channel: "test", Reason: notify.ReasonTimeout, Unsure: true}).Classified()
	refused := (&notify.SendError{Channel: "test", Reason: notify.ReasonInvalidRecipient, Status: 400}).Classified()

	t.Run("in flight elsewhere", func(t *testing.T) {
		store, rec := notifytest.NewMemStore(), &notifytest.Recorder{}
		d := delivery(1)
		store.Put(d.Alert.ID, notify.Record{State: notify.StateSending, Attempts: 1, Started: now, Deadline: now.Add(20 * time.Second)})
		out := (&notify.Deliverer{Store: store, Now: clock}).Deliver(ctx, rec, d)
		if out.Status != "" || !errkind.IsTemporary(out.Err) || rec.Len() != 0 {
			t.Errorf("Deliver() = %+v, want a temporary error and nothing sent", out)
		}
		if ra, ok := errkind.RetryAfter(out.Err); !ok || ra != 20*time.Second {
			t.Errorf("RetryAfter = %v, %v, want the rest of the attempt's deadline", ra, ok)
		}
	})

	t.Run("unsure timeout is reconciled", func(t *testing.T) {
		store := notifytest.NewMemStore()
		rc := &reconciling{Recorder: &notifytest.Recorder{}}
		d := delivery(2)
		fail := true
		rc.Fail = func(*notify.Delivery) error {
			if fail {
				fail = false
				return unsure
			}
			return nil
		}
		dl := &notify.Deliverer{Store: store, Now: clock}
		out := dl.Deliver(ctx, rc, d)
		if out.Status != event.AlertRetrying {
			t.Fatalf("Deliver() after an unsure timeout = %+v, want retrying", out)
		}
		r, _, _ := store.GetRecord(ctx, d.Alert.ID)
		if r.State != notify.StateUnknown {
			t.Errorf("record after an unsure timeout = %s, want unknown", r.State)
		}
		out = dl.Deliver(ctx, rc, d)
		if out.Status != event.AlertSent || out.Reconciled || rc.asked != 1 || rc.Len() != 1 {
			t.Errorf("Deliver() again = %+v (asked %d, sent %d), want asked once, not found, sent once", out, rc.asked, rc.Len())
		}
	})

	// The provider is asked about the attempt's own send window only, so
	// a later alert with the same text is not taken for it: up to the
	// deadline of an attempt that died in flight, up to the written
	// outcome of one that ended unsure; each widened by the skew.
	t.Run("reconciliation window", func(t *testing.T) {
		const skew = 5 * time.Second
		started := now.Add(-time.Hour)
		for _, tt := range []struct {
			name      string
			rec       notify.Record
			wantUntil time.Time
		}{
			{"died in flight", notify.Record{State: notify.StateSending, Attempts: 1, Started: started, Deadline: started.Add(40 * time.Second), At: started},
				started.Add(40*time.Second + skew)},
			{"ended unsure", notify.Record{State: notify.StateUnknown, Attempts: 1, Started: started, At: started.Add(12 * time.Second)},
				started.Add(12*time.Second + skew)},
		} {
			t.Run(tt.name, func(t *testing.T) {
				store := notifytest.NewMemStore()
				rc := &reconciling{Recorder: &notifytest.Recorder{}}
				d := delivery(5)
				tt.rec.AlertID = d.Alert.ID
				store.Put(d.Alert.ID, tt.rec)
				out := (&notify.Deliverer{Store: store, Now: clock, Skew: skew}).Deliver(ctx, rc, d)
				if rc.asked != 1 || out.Status != event.AlertSent || rc.Len() != 1 {
					t.Fatalf("Deliver() = %+v (asked %d, sent %d), want asked once, then sent", out, rc.asked, rc.Len())
				}
				if want := started.Add(-skew); !rc.since.Equal(want) || !rc.until.Equal(tt.wantUntil) {
					t.Errorf("asked about [%s, %s], want [%s, %s]", rc.since, rc.until, want, tt.wantUntil)
				}
			})
		}
	})

	t.Run("refusal is final", func(t *testing.T) {
		store := notifytest.NewMemStore()
		rec := &notifytest.Recorder{Fail: func(*notify.Delivery) error { return refused }}
		d := delivery(3)
		dl := &notify.Deliverer{Store: store, Now: clock}
		for i := 0; i < 2; i++ {
			out := dl.Deliver(ctx, rec, d)
			if out.Status != event.AlertFailed || !errkind.IsPermanent(out.Err) || out.Replayed != (i == 1) {
				t.Errorf("Deliver() #%d = %+v, want failed, permanent, replayed %v", i+1, out, i == 1)
			}
		}
	})

	t.Run("skip", func(t *testing.T) {
		store := notifytest.NewMemStore()
		dl := &notify.Deliverer{Store: store, Now: clock}
		d := delivery(4)
		if out := dl.Skip(ctx, d.Alert, "gone"); out.Status != event.AlertSuppressed {
			t.Errorf("Skip() = %+v", out)
		}
		if out := dl.Deliver(ctx, &notifytest.Recorder{}, d); out.Status != event.AlertSuppressed || !out.Replayed {
			t.Errorf("Deliver() after Skip = %+v, want suppressed", out)
		}
	})
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"090-1234-5678", "+81 90 1234 5678", "０９０１２３４５６７８", "00", "+", "\xff", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := notify.NormalizePhone(s, "")
		if err != nil {
			return
		}
		if got[0] != '+' || len(got) < 9 || len(got) > 16 {
			t.Fatalf("NormalizePhone(%q) = %q, not E.164", s, got)
		}
		again, err := notify.NormalizePhone(got, "")
		if err != nil || again != got {
			t.Fatalf("NormalizePhone(%q) = %q, %v, want it unchanged", got, again, err)
		}
		digits := 0
		for _, r := range notify.MaskPhone(got) {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if digits > 7 {
			t.Fatalf("MaskPhone(%q) = %q shows %d digits, want at most the first 3 and the last 4", got, notify.MaskPhone(got), digits)
		}
	})
}

func FuzzParseQuietHours(f *testing.F) {
	for _, s := range []string{"22:00-07:00", "00:00-24:00", "7:5-8:00", "", "-", "24:01-1:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := notify.ParseQuietHours(s)
		if err != nil {
			return
		}
		if !q.IsSet() {
			return
		}
		back, err := notify.ParseQuietHours(q.String())
		if err != nil || back != q {
			t.Fatalf("ParseQuietHours(%q) = %v, and %q reads back as %v, %v", s, q, q.String(), back, err)
		}
		at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
		if end, quiet := q.Until(at, time.UTC); quiet && !end.After(at) {
			t.Fatalf("QuietHours(%q).Until = %v, not after %v", s, end, at)
		}
	})
}
