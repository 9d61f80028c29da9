package notifytest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/errkind"
	"github.com/scamscreen/scamscreen/notify"
)

// Behavior is how a fake provider answers, in channel-neutral terms.
type Behavior int

// Behaviours every fake supports.
const (
	// Accept takes the alert.
	Accept Behavior = iota
	// RefuseRecipient refuses the address or number for good.
	RefuseRecipient
	// RefuseAuth refuses the credentials.
	RefuseAuth
	// RateLimit asks the sender to slow down (HTTP 429, SMTP 451).
	RateLimit
	// Unavailable is a provider outage (5xx).
	Unavailable
	// Hang never answers.
	Hang
)

var behaviorNames = [...]string{"accept", "refuse recipient", "refuse auth", "rate limit", "unavailable", "hang"}

// String names b.
func (b Behavior) String() string { return behaviorNames[b] }

// Sent is one alert a fake accepted, in channel-neutral form.
type Sent struct {
	// To is the phone number, address or URL it went to.
	To string
	// Raw is the request as received (form, message, body).
	Raw []byte
	// Key identifies the alert on the wire when the channel carries one
	// (Message-ID, Idempotency-Key); empty otherwise.
	Key string
}

// Harness is a channel wired to its fake provider, as a contract test
// needs it. A [Factory] builds a fresh one for every subtest.
type Harness struct {
	Channel notify.Channel
	// To is where the fake expects alerts.
	To notify.Destination
	// Behave sets the fake's behaviour from now on.
	Behave func(Behavior)
	// Sent returns what the fake accepted so far.
	Sent func() []Sent
	// Secrets must never appear in an error (tokens, passwords, keys).
	Secrets []string
	// RetryAfter says the fake sends Retry-After when rate limiting.
	RetryAfter bool
	// CheckWire checks that s is the wire form of d.
	CheckWire func(t *testing.T, d *notify.Delivery, s Sent)
}

// Factory builds a harness; it registers its own cleanup with t.
type Factory func(t *testing.T) *Harness

// SampleMessage is the alert text the suite sends: Japanese, several
// lines, with a link, so encodings are exercised.
var SampleMessage = notify.Rendered{
	Template: notify.TemplateContact,
	Language: "ja",
	Subject:  "【詐欺注意】田中花子さんに詐欺の可能性が高いSMSが届きました",
	Text:     "【詐欺注意】田中花子さんに詐欺の可能性が高いSMSが届きました（11/29 10:02）。\n種類: 架空請求（未払い料金）、ギフト券の要求\nいつもの番号で田中花子さんに電話し、ギフト券を買わないよう伝えてください。文中の番号にはかけないで。\n確認したら次のリンクを開いてください: https://scamscreen.example.jp/ack/abc",
	SMS:      "【詐欺注意】田中花子さんに詐欺の可能性が高いSMSが届きました（11/29 10:02）。\nいつもの番号で田中花子さんに電話し、ギフト券を買わないよう伝えてください。\n確認したら、このSMSに返信してください。",
	Speech:   "こちらは、詐欺見守りサービスの自動のお知らせです。田中花子さんに、詐欺の可能性が高いメッセージが届きました。",
	AckURL:   "https://scamscreen.example.jp/ack/abc",
}

// sampleSecretText is a phrase of SampleMessage that must never show up
// in an error.
const sampleSecretText = "ギフト券を買わないよう"

// NewDelivery returns a delivery of [SampleMessage] to to, with an alert
// id that depends on n.
func NewDelivery(to notify.Destination, channel string, n int) *notify.Delivery {
	vid := event.StableID(event.PrefixVerdict, "notifytest", fmt.Sprint(n))
	a := &event.Alert{
		V: event.Version, ID: event.AlertID(vid, "kenji", channel, 0), VerdictID: vid, MessageID: "sms-notifytest",
		Household: "tanaka", Person: "hanako", Recipient: "kenji", RecipientKind: event.RecipientContact,
		Channel: channel, Template: notify.TemplateContact, Language: "ja", Status: event.AlertPending,
		At: time.Date(2026, 11, 29, 1, 2, 3, 0, time.UTC),
	}
	return &notify.Delivery{Alert: a, To: to, Message: SampleMessage}
}

// AssertNoSecret fails t when err's text, or the text of any error it
// wraps, contains one of secrets (Alertmanager's AssertNotifyLeaksNoSecret,
// extended to the whole chain). Empty secrets are ignored.
func AssertNoSecret(t testing.TB, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	texts := []string{fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		texts = append(texts, e.Error())
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		}
	}
	walk(err)
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, txt := range texts {
			if strings.Contains(txt, s) {
				t.Errorf("error leaks %q: %s", s, txt)
				break
			}
		}
	}
}

// personal lists the personal values of a destination.
func personal(to notify.Destination) []string {
	out := []string{to.Phone, to.Email, to.URL, sampleSecretText}
	if strings.HasPrefix(to.Phone, "+81") {
		out = append(out, "0"+to.Phone[3:]) // national form
	}
	return out
}

// watchdog is how long a send may take before the suite calls it stuck.
const watchdog = 20 * time.Second

func sendWithin(t *testing.T, ctx context.Context, ch notify.Channel, d *notify.Delivery) (string, error) {
	t.Helper()
	type result struct {
		id  string
		err error
	}
	done := make(chan result, 1)
	go func() {
		id, err := ch.Send(ctx, d)
		done <- result{id, err}
	}()
	select {
	case r := <-done:
		return r.id, r.err
	case <-time.After(watchdog):
		t.Fatalf("Send did not return within %s: context not honoured", watchdog)
		return "", nil
	}
}

// Run is the contract every notify.Channel passes. factory is called once
// per subtest.
func Run(t *testing.T, factory Factory) {
	t.Run("delivers the expected request", func(t *testing.T) {
		h := factory(t)
		h.Behave(Accept)
		d := NewDelivery(h.To, channelOf(h), 1)
		id, err := sendWithin(t, context.Background(), h.Channel, d)
		if err != nil {
			t.Fatalf("Send() = %v, want success", err)
		}
		if id == "" {
			t.Errorf("Send() provider id is empty")
		}
		sent := h.Sent()
		if len(sent) != 1 {
			t.Fatalf("fake received %d alerts, want 1", len(sent))
		}
		h.CheckWire(t, d, sent[0])
	})

	t.Run("classifies failures", func(t *testing.T) {
		tests := []struct {
			b    Behavior
			kind errkind.Kind
		}{
			{RefuseRecipient, errkind.KindPermanent},
			{RefuseAuth, errkind.KindPermanent},
			{RateLimit, errkind.KindTemporary},
			{Unavailable, errkind.KindTemporary},
		}
		for _, tt := range tests {
			t.Run(tt.b.String(), func(t *testing.T) {
				h := factory(t)
				h.Behave(tt.b)
				d := NewDelivery(h.To, channelOf(h), 2)
				_, err := sendWithin(t, context.Background(), h.Channel, d)
				if err == nil {
					t.Fatalf("Send() with the fake set to %s = nil, want an error", tt.b)
				}
				if got := errkind.Classify(err); got != tt.kind {
					t.Errorf("Classify(Send() error %q) = %v, want %v", err, got, tt.kind)
				}
				se, ok := notify.AsSendError(err)
				if !ok {
					t.Errorf("Send() error %q is not a notify.SendError", err)
				} else if se.Reason == "" {
					t.Errorf("Send() error %q has no reason", err)
				}
				if tt.b == RateLimit && h.RetryAfter {
					if ra, ok := errkind.RetryAfter(err); !ok || ra != 7*time.Second {
						t.Errorf("RetryAfter(Send() error) = %v, %v, want 7s, true", ra, ok)
					}
				}
				AssertNoSecret(t, err, append(h.Secrets, personal(h.To)...)...)
				if n := len(h.Sent()); n != 0 {
					t.Errorf("fake accepted %d alerts while refusing, want 0", n)
				}
			})
		}
	})

	t.Run("honours the deadline", func(t *testing.T) {
		h := factory(t)
		h.Behave(Hang)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := sendWithin(t, ctx, h.Channel, NewDelivery(h.To, channelOf(h), 3))
		if err == nil {
			t.Fatal("Send() against a hanging provider = nil, want a timeout")
		}
		if !errkind.IsTemporary(err) {
			t.Errorf("Classify(Send() timeout %q) = %v, want temporary", err, errkind.Classify(err))
		}
		if se, ok := notify.AsSendError(err); !ok || se.Reason != notify.ReasonTimeout {
			t.Errorf("Send() timeout error %q: want reason %s", err, notify.ReasonTimeout)
		}
		AssertNoSecret(t, err, append(h.Secrets, personal(h.To)...)...)
	})

	t.Run("honours cancellation", func(t *testing.T) {
		h := factory(t)
		h.Behave(Hang)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		_, err := sendWithin(t, ctx, h.Channel, NewDelivery(h.To, channelOf(h), 4))
		if err == nil {
			t.Fatal("Send() cancelled = nil, want an error")
		}
		if !errors.Is(err, context.Canceled) && errkind.Classify(err) != errkind.KindCanceled {
			t.Errorf("Send() cancelled = %q (%v), want a cancellation", err, errkind.Classify(err))
		}
		AssertNoSecret(t, err, append(h.Secrets, personal(h.To)...)...)
	})

	t.Run("sends nothing when already cancelled", func(t *testing.T) {
		h := factory(t)
		h.Behave(Accept)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := sendWithin(t, ctx, h.Channel, NewDelivery(h.To, channelOf(h), 5)); err == nil {
			t.Error("Send() with a cancelled context = nil, want an error")
		}
		if n := len(h.Sent()); n != 0 {
			t.Errorf("fake received %d alerts after cancellation, want 0", n)
		}
	})

	t.Run("no destination is a permanent config error", func(t *testing.T) {
		h := factory(t)
		h.Behave(Accept)
		_, err := sendWithin(t, context.Background(), h.Channel, NewDelivery(notify.Destination{Name: "nobody"}, channelOf(h), 6))
		se, ok := notify.AsSendError(err)
		if !ok || se.Reason != notify.ReasonConfig || !errkind.IsPermanent(err) {
			t.Errorf("Send() to an empty destination = %v, want a permanent %s error", err, notify.ReasonConfig)
		}
	})

	t.Run("idempotent on redelivery", func(t *testing.T) {
		h := factory(t)
		store := NewMemStore()
		dl := &notify.Deliverer{Store: store, SendTimeout: 5 * time.Second}
		d := NewDelivery(h.To, channelOf(h), 7)

		h.Behave(Unavailable)
		out := dl.Deliver(context.Background(), h.Channel, d)
		if out.Status != event.AlertRetrying || !errkind.IsTemporary(out.Err) {
			t.Fatalf("Deliver() during an outage = %s, %v, want retrying with a temporary error", out.Status, out.Err)
		}
		h.Behave(Accept)
		for i := 0; i < 3; i++ {
			out = dl.Deliver(context.Background(), h.Channel, d)
			if out.Status != event.AlertSent || out.Err != nil {
				t.Fatalf("Deliver() #%d = %s, %v, want sent", i+2, out.Status, out.Err)
			}
			if (i > 0) != out.Replayed {
				t.Errorf("Deliver() #%d Replayed = %v, want %v", i+2, out.Replayed, i > 0)
			}
		}
		if n := len(h.Sent()); n != 1 {
			t.Errorf("fake received %d alerts for one job delivered 4 times, want 1", n)
		}
		rec, _, err := store.GetRecord(context.Background(), d.Alert.ID)
		if err != nil || rec.State != notify.StateSent || rec.Attempts != 2 || rec.ProviderID != out.ProviderID {
			t.Errorf("record = %+v, %v, want sent after 2 attempts with provider id %q", rec, err, out.ProviderID)
		}
	})

	t.Run("crash after the provider call", func(t *testing.T) {
		h := factory(t)
		h.Behave(Accept)
		store := NewMemStore()
		d := NewDelivery(h.To, channelOf(h), 8)
		// The provider accepted, then the worker died before writing the
		// outcome: the record still says sending, its deadline passed.
		// The attempt began just before the send, as the Deliverer
		// records it, so the send lies inside the attempt's window.
		started := time.Now()
		if _, err := sendWithin(t, context.Background(), h.Channel, d); err != nil {
			t.Fatalf("Send() = %v", err)
		}
		store.Put(d.Alert.ID, notify.Record{State: notify.StateSending, AlertID: d.Alert.ID, Attempts: 1, Started: started, Deadline: time.Now().Add(-time.Millisecond)})
		dl := &notify.Deliverer{Store: store, SendTimeout: 5 * time.Second}
		out := dl.Deliver(context.Background(), h.Channel, d)
		if out.Status != event.AlertSent {
			t.Fatalf("Deliver() after the crash = %s, %v, want sent", out.Status, out.Err)
		}
		sent := h.Sent()
		if _, ok := h.Channel.(notify.Reconciler); ok {
			if !out.Reconciled || len(sent) != 1 {
				t.Errorf("Deliver() after the crash: reconciled %v, %d alerts at the provider, want the first one found and none sent again", out.Reconciled, len(sent))
			}
			return
		}
		// Without a way to ask the provider the alert is sent again, and
		// the copy must carry the same idempotency key.
		if len(sent) != 2 {
			t.Fatalf("Deliver() after the crash: %d alerts at the provider, want 2 (at least once)", len(sent))
		}
		if sent[0].Key == "" || sent[0].Key != sent[1].Key {
			t.Errorf("repeated alert keys %q and %q, want the same non-empty key so the receiver can drop the copy", sent[0].Key, sent[1].Key)
		}
	})
}

// channelOf guesses the channel name of h from its destination.
func channelOf(h *Harness) string {
	switch {
	case h.To.Email != "":
		return notify.ChannelEmail
	case h.To.URL != "" || h.To.URLSecret.IsSet():
		return notify.ChannelWebhook
	case h.To.Phone != "":
		if _, ok := h.Channel.(interface{ TwiML(string) string }); ok {
			return notify.ChannelVoice
		}
		return notify.ChannelSMS
	}
	return notify.ChannelConsole
}
