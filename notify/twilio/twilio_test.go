package twilio_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/internal/errkind"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/notifytest"
	"github.com/scamscreen/scamscreen/notify/twilio"
)

const recipient = "+819011112222"

func secretFile(t testing.TB, value string) config.Secret {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return config.SecretFromFile(p)
}

func testConfig(t testing.TB) twilio.Config {
	cfg := notify.DefaultConfig().Twilio
	cfg.AccountSID = secretFile(t, notifytest.TwilioAccountSID)
	cfg.AuthToken = secretFile(t, notifytest.TwilioAuthToken)
	cfg.From = notifytest.TwilioFrom
	cfg.Voice.Enabled = true
	cfg.Voice.Voice = "Polly.Mizuki"
	return cfg
}

func newClient(t testing.TB, fake *notifytest.TwilioFake) *twilio.Client {
	t.Helper()
	c, err := twilio.New(testConfig(t), zaptest.NewLogger(t), twilio.WithBaseURL(fake.URL()))
	if err != nil {
		t.Fatalf("twilio.New() = %v", err)
	}
	return c
}

var modes = map[notifytest.Behavior]notifytest.TwilioMode{
	notifytest.Accept:          notifytest.TwilioAccept,
	notifytest.RefuseRecipient: notifytest.TwilioInvalidNumber,
	notifytest.RefuseAuth:      notifytest.TwilioAuthFail,
	notifytest.RateLimit:       notifytest.TwilioRateLimit,
	notifytest.Unavailable:     notifytest.TwilioUnavailable,
	notifytest.Hang:            notifytest.TwilioHang,
}

func lastCreate(t *testing.T, fake *notifytest.TwilioFake, resource string) notifytest.TwilioRequest {
	t.Helper()
	reqs := fake.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Method == "POST" && reqs[i].Resource == resource {
			return reqs[i]
		}
	}
	t.Fatalf("fake saw no POST %s", resource)
	return notifytest.TwilioRequest{}
}

func checkAuth(t *testing.T, r notifytest.TwilioRequest) {
	t.Helper()
	if !r.AuthOK || r.User != notifytest.TwilioAccountSID {
		t.Errorf("request auth user %q ok %v, want basic auth with the account SID", r.User, r.AuthOK)
	}
	if want := "/2010-04-01/Accounts/" + notifytest.TwilioAccountSID + "/" + r.Resource + ".json"; r.Path != want {
		t.Errorf("request path = %s, want %s", r.Path, want)
	}
}

func TestSMSContract(t *testing.T) {
	notifytest.Run(t, func(t *testing.T) *notifytest.Harness {
		fake := notifytest.NewTwilioFake(notifytest.TwilioAccountSID, notifytest.TwilioAuthToken)
		t.Cleanup(fake.Close)
		c := newClient(t, fake)
		return &notifytest.Harness{
			Channel:    c.SMS(),
			To:         notify.Destination{Name: "健二", Phone: recipient},
			Behave:     func(b notifytest.Behavior) { fake.SetMode(modes[b]) },
			Secrets:    []string{notifytest.TwilioAccountSID, notifytest.TwilioAuthToken},
			RetryAfter: true,
			Sent: func() []notifytest.Sent {
				var out []notifytest.Sent
				for _, m := range fake.Messages() {
					out = append(out, notifytest.Sent{To: m.To, Raw: []byte(m.Body)})
				}
				return out
			},
			CheckWire: func(t *testing.T, d *notify.Delivery, s notifytest.Sent) {
				r := lastCreate(t, fake, "Messages")
				checkAuth(t, r)
				want := url.Values{"To": {recipient}, "From": {notifytest.TwilioFrom}, "Body": {d.Message.SMS}}
				for k, v := range want {
					if got := r.Form.Get(k); got != v[0] {
						t.Errorf("form %s = %q, want %q", k, got, v[0])
					}
				}
				if s.To != recipient || string(s.Raw) != d.Message.SMS {
					t.Errorf("fake message to %q body %q, want %q %q", s.To, s.Raw, recipient, d.Message.SMS)
				}
			},
		}
	})
}

func TestVoiceContract(t *testing.T) {
	notifytest.Run(t, func(t *testing.T) *notifytest.Harness {
		fake := notifytest.NewTwilioFake(notifytest.TwilioAccountSID, notifytest.TwilioAuthToken)
		t.Cleanup(fake.Close)
		c := newClient(t, fake)
		return &notifytest.Harness{
			Channel:    c.Voice(),
			To:         notify.Destination{Name: "健二", Phone: recipient},
			Behave:     func(b notifytest.Behavior) { fake.SetMode(modes[b]) },
			Secrets:    []string{notifytest.TwilioAccountSID, notifytest.TwilioAuthToken},
			RetryAfter: true,
			Sent: func() []notifytest.Sent {
				var out []notifytest.Sent
				for _, c := range fake.Calls() {
					out = append(out, notifytest.Sent{To: c.To, Raw: []byte(c.Twiml)})
				}
				return out
			},
			CheckWire: func(t *testing.T, d *notify.Delivery, s notifytest.Sent) {
				r := lastCreate(t, fake, "Calls")
				checkAuth(t, r)
				if r.Form.Get("To") != recipient || r.Form.Get("From") != notifytest.TwilioFrom {
					t.Errorf("call To/From = %q/%q, want %q/%q", r.Form.Get("To"), r.Form.Get("From"), recipient, notifytest.TwilioFrom)
				}
				tw := r.Form.Get("Twiml")
				for _, want := range []string{`<Say language="ja-JP" voice="Polly.Mizuki">`, d.Message.Speech, `<Pause length="1"/>`} {
					if !strings.Contains(tw, want) {
						t.Errorf("Twiml = %s, want it to contain %s", tw, want)
					}
				}
				if n := strings.Count(tw, "<Say"); n != 2 {
					t.Errorf("Twiml says the message %d times, want 2", n)
				}
			},
		}
	})
}

func TestTwilioErrors(t *testing.T) {
	tests := []struct {
		mode   notifytest.TwilioMode
		reason notify.Reason
		status int
		code   int
		kind   errkind.Kind
	}{
		{notifytest.TwilioInvalidNumber, notify.ReasonInvalidRecipient, 400, 21211, errkind.KindPermanent},
		{notifytest.TwilioUnsubscribed, notify.ReasonUnsubscribed, 400, 21610, errkind.KindPermanent},
		{notifytest.TwilioAuthFail, notify.ReasonAuth, 401, 20003, errkind.KindPermanent},
		{notifytest.TwilioRateLimit, notify.ReasonRateLimited, 429, 20429, errkind.KindTemporary},
		{notifytest.TwilioUnavailable, notify.ReasonUnavailable, 503, 20503, errkind.KindTemporary},
		{notifytest.TwilioServerError, notify.ReasonUnavailable, 500, 0, errkind.KindTemporary},
	}
	fake := notifytest.NewTwilioFake(notifytest.TwilioAccountSID, notifytest.TwilioAuthToken)
	defer fake.Close()
	sms := newClient(t, fake).SMS()
	for _, tt := range tests {
		fake.SetMode(tt.mode)
		d := notifytest.NewDelivery(notify.Destination{Phone: recipient}, notify.ChannelSMS, 1)
		_, err := sms.Send(context.Background(), d)
		se, ok := notify.AsSendError(err)
		if !ok {
			t.Errorf("Send() in mode %d = %v, want a SendError", tt.mode, err)
			continue
		}
		if se.Reason != tt.reason || se.Status != tt.status || se.Code != tt.code || errkind.Classify(err) != tt.kind {
			t.Errorf("Send() in mode %d = %s (reason %s status %d code %d kind %v), want %s %d %d %v",
				tt.mode, err, se.Reason, se.Status, se.Code, errkind.Classify(err), tt.reason, tt.status, tt.code, tt.kind)
		}
		notifytest.AssertNoSecret(t, err, recipient, "9011112222", notifytest.TwilioAccountSID, notifytest.TwilioAuthToken)
	}
}

func TestInvalidNumberMessageIsRedacted(t *testing.T) {
	fake := notifytest.NewTwilioFake(notifytest.TwilioAccountSID, notifytest.TwilioAuthToken)
	defer fake.Close()
	sms := newClient(t, fake).SMS()
	_, err := sms.Send(context.Background(), notifytest.NewDelivery(notify.Destination{Phone: "+8112"}, notify.ChannelSMS, 1))
	if err == nil || !strings.Contains(err.Error(), "21211") || !strings.Contains(err.Error(), "<number>") {
		t.Errorf("Send() to a bad number = %v, want code 21211 and the number redacted", err)
	}
	notifytest.AssertNoSecret(t, err, "+8112")
}

// TestNoEnvironmentFallback proves twilio-go's own environment variables
// are never used: neither credentials nor edge/region host rewriting.
func TestNoEnvironmentFallback(t *testing.T) {
	t.Setenv("TWILIO_ACCOUNT_SID", "ACffffffffffffffffffffffffffffffff")
	t.Setenv("TWILIO_AUTH_TOKEN", "ffffffffffffffffffffffffffffffff")
	t.Setenv("TWILIO_REGION", "jp1")
	t.Setenv("TWILIO_EDGE", "tokyo")

	cfg := testConfig(t)
	cfg.AccountSID = config.Secret{}
	if _, err := twilio.New(cfg, nil); err == nil {
		t.Error("New() without account_sid = nil error, want a refusal (no fallback to TWILIO_ACCOUNT_SID)")
	}
	cfg = testConfig(t)
	cfg.AuthToken = config.Secret{}
	if _, err := twilio.New(cfg, nil); err == nil {
		t.Error("New() without auth_token = nil error, want a refusal (no fallback to TWILIO_AUTH_TOKEN)")
	}

	fake := notifytest.NewTwilioFake(notifytest.TwilioAccountSID, notifytest.TwilioAuthToken)
	defer fake.Close()
	sms := newClient(t, fake).SMS()
	if _, err := sms.Send(context.Background(), notifytest.NewDelivery(notify.Destination{Phone: recipient}, notify.ChannelSMS, 1)); err != nil {
		t.Fatalf("Send() with TWILIO_REGION/TWILIO_EDGE set = %v, want it to reach the configured API", err)
	}
	if r := lastCreate(t, fake, "Messages"); r.User != notifytest.TwilioAccountSID {
		t.Errorf("request authenticated as %q, want the configured account", r.User)
	}
}

func TestCredentialsMustBeAlphanumeric(t *testing.T) {
	cfg := testConfig(t)
	cfg.AuthToken = secretFile(t, "test-token")
	_, err := twilio.New(cfg, nil)
	if err == nil {
		t.Fatal("New() with a token containing '-' = nil, want an error")
	}
	notifytest.AssertNoSecret(t, err, "test-token")
}

func TestReconcile(t *testing.T) {
	fake := notifytest.NewTwilioFake(notifytest.TwilioAccountSID, notifytest.TwilioAuthToken)
	defer fake.Close()
	c := newClient(t, fake)
	d := notifytest.NewDelivery(notify.Destination{Phone: recipient}, notify.ChannelSMS, 1)
	since := time.Now().Add(-time.Minute)
	if _, found, err := c.SMS().Reconcile(context.Background(), d, since, time.Time{}); err != nil || found {
		t.Fatalf("Reconcile() before any send = %v, %v, want not found", found, err)
	}
	sid, err := c.SMS().Send(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	other := notifytest.NewDelivery(notify.Destination{Phone: recipient}, notify.ChannelSMS, 2)
	other.Message.SMS = "another alert"
	if _, found, err := c.SMS().Reconcile(context.Background(), other, since, time.Time{}); err != nil || found {
		t.Errorf("Reconcile(different text) = %v, %v, want not found", found, err)
	}
	got, found, err := c.SMS().Reconcile(context.Background(), d, since, time.Time{})
	if err != nil || !found || got != sid {
		t.Errorf("Reconcile() = %q, %v, %v, want %q, true", got, found, err, sid)
	}
	if _, found, _ := c.SMS().Reconcile(context.Background(), d, time.Now().Add(time.Hour), time.Time{}); found {
		t.Error("Reconcile(since after the send) found the message")
	}

	// An SMS whose answer never came: Twilio has it, the caller timed out.
	fake.SetMode(notifytest.TwilioAcceptSlow)
	slow := notifytest.NewDelivery(notify.Destination{Phone: recipient}, notify.ChannelSMS, 3)
	slow.Message.SMS = "slow alert"
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	_, err = c.SMS().Send(ctx, slow)
	cancel()
	if !notify.IsUnsure(err) {
		t.Fatalf("Send() timing out after Twilio accepted = %v, want an unsure timeout", err)
	}
	fake.SetMode(notifytest.TwilioAccept)
	if _, found, err := c.SMS().Reconcile(context.Background(), slow, since, time.Time{}); err != nil || !found {
		t.Errorf("Reconcile(the timed-out message) = %v, %v, want found", found, err)
	}

	vd := notifytest.NewDelivery(notify.Destination{Phone: recipient}, notify.ChannelVoice, 4)
	if _, found, err := c.Voice().Reconcile(context.Background(), vd, since, time.Time{}); err != nil || found {
		t.Fatalf("Voice().Reconcile() before any call = %v, %v", found, err)
	}
	csid, err := c.Voice().Send(context.Background(), vd)
	if err != nil {
		t.Fatal(err)
	}
	if got, found, err := c.Voice().Reconcile(context.Background(), vd, since, time.Time{}); err != nil || !found || got != csid {
		t.Errorf("Voice().Reconcile() = %q, %v, %v, want %q", got, found, err, csid)
	}
}

func TestTwiMLIsBounded(t *testing.T) {
	fake := notifytest.NewTwilioFake(notifytest.TwilioAccountSID, notifytest.TwilioAuthToken)
	defer fake.Close()
	v := newClient(t, fake).Voice()
	tw := v.TwiML(strings.Repeat("詐欺<&>", 2000))
	if len(tw) > 4000 {
		t.Errorf("TwiML() is %d bytes, want <= 4000", len(tw))
	}
	if strings.Contains(tw, "<&>") {
		t.Error("TwiML() does not escape the text")
	}
}

// A record whose attempt died an hour ago without reaching Twilio must not
// take a later text or call to the same number for its own: the person
// template's text is the same for every verdict, and a call carries no
// text at all. Reconciling would mark the job sent and nobody would hear
// about this verdict.
func TestReconcileIgnoresLaterSendsToTheSameNumber(t *testing.T) {
	fake := notifytest.NewTwilioFake(notifytest.TwilioAccountSID, notifytest.TwilioAuthToken)
	defer fake.Close()
	c := newClient(t, fake)
	since := time.Now().Add(-time.Hour)
	deadline := since.Add(45 * time.Second)
	for _, tt := range []struct {
		name    string
		channel string
		rc      notify.Reconciler
		send    func(context.Context, *notify.Delivery) (string, error)
	}{
		{"sms", notify.ChannelSMS, c.SMS(), c.SMS().Send},
		{"voice", notify.ChannelVoice, c.Voice(), c.Voice().Send},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ours := notifytest.NewDelivery(notify.Destination{Phone: recipient}, tt.channel, 1)
			later := notifytest.NewDelivery(notify.Destination{Phone: recipient}, tt.channel, 2)
			if ours.Message.SMS != later.Message.SMS {
				t.Fatal("the two deliveries must carry the same text")
			}
			if _, err := tt.send(context.Background(), later); err != nil {
				t.Fatalf("Send(later) = %v", err)
			}
			if sid, found, err := tt.rc.Reconcile(context.Background(), ours, since, deadline); err != nil || found {
				t.Errorf("Reconcile(an hour ago) = %q, %v, %v, want not found: the later send is not ours", sid, found, err)
			}
			if _, found, err := tt.rc.Reconcile(context.Background(), ours, since, time.Now().Add(time.Minute)); err != nil || !found {
				t.Errorf("Reconcile(a window holding the send) = %v, %v, want found", found, err)
			}
		})
	}
}

// When the earlier attempt did reach Twilio and a later alert with the same
// text (or another call) followed, reconciliation returns the earlier
// one: the message created in the record's window, and of several the
// first.
func TestReconcileFindsOursBeforeALaterSend(t *testing.T) {
	fake := notifytest.NewTwilioFake(notifytest.TwilioAccountSID, notifytest.TwilioAuthToken)
	defer fake.Close()
	c := newClient(t, fake)
	since := time.Now().Add(-10 * time.Second)
	ours := notifytest.NewDelivery(notify.Destination{Phone: recipient}, notify.ChannelSMS, 1)
	oursCall := notifytest.NewDelivery(notify.Destination{Phone: recipient}, notify.ChannelVoice, 1)
	smsSID, err := c.SMS().Send(context.Background(), ours)
	if err != nil {
		t.Fatal(err)
	}
	callSID, err := c.Voice().Send(context.Background(), oursCall)
	if err != nil {
		t.Fatal(err)
	}
	// The record's attempt ended here. Twilio dates are whole seconds:
	// wait for the next one so the later sends are dated after it.
	deadline := time.Now()
	time.Sleep(time.Until(deadline.Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
	later := notifytest.NewDelivery(notify.Destination{Phone: recipient}, notify.ChannelSMS, 2)
	laterCall := notifytest.NewDelivery(notify.Destination{Phone: recipient}, notify.ChannelVoice, 2)
	if _, err := c.SMS().Send(context.Background(), later); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Voice().Send(context.Background(), laterCall); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		rc   notify.Reconciler
		d    *notify.Delivery
		want string
	}{
		{"sms", c.SMS(), ours, smsSID},
		{"voice", c.Voice(), oursCall, callSID},
	} {
		if got, found, err := tt.rc.Reconcile(context.Background(), tt.d, since, deadline); err != nil || !found || got != tt.want {
			t.Errorf("%s Reconcile() = %q, %v, %v, want ours %q", tt.name, got, found, err, tt.want)
		}
		// Without an upper bound the first match after since is ours too.
		if got, found, err := tt.rc.Reconcile(context.Background(), tt.d, since, time.Time{}); err != nil || !found || got != tt.want {
			t.Errorf("%s Reconcile() = %q, %v, %v, want ours %q", tt.name, got, found, err, tt.want)
		}
	}
}
