package worker_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/natstest"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/notifytest"
	"github.com/scamscreen/scamscreen/notify/worker"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// httptest's keep-alive connections of the fakes close shortly after.
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
	)
}

// TestEndToEnd: a real engine verdict on a Japanese impersonation lure,
// published to VERDICTS, becomes one SMS at the fake Twilio for the son and
// one short warning for the protected person, each exactly once, however
// often the verdict arrives.
func TestEndToEnd(t *testing.T) {
	b := natstest.Embedded(t)
	fake := notifytest.NewTwilioFake(notifytest.TwilioAccountSID, notifytest.TwilioAuthToken)
	defer fake.Close()
	cfg := testConfig(t, fake)
	dir := directory(t, cfg, hanako())
	start(t, b, cfg, worker.Deps{Directory: dir, Channels: twilioChannels(t, cfg)})

	v := screenLure(t, "SM-e2e-1", lureText)
	if v.Level != event.LevelScam || !v.Has(event.CategoryImpersonation) || !v.Has(event.CategoryGiftCardDemand) {
		t.Fatalf("engine verdict = %s %v, want a scam with impersonation and a gift-card demand", v.Level, v.Categories)
	}
	ctx := context.Background()
	if _, _, err := b.PublishVerdict(ctx, v); err != nil {
		t.Fatal(err)
	}
	poll(t, 20*time.Second, "the son's and the person's SMS", func() bool {
		return len(fake.MessagesTo(kenjiPhone)) >= 1 && len(fake.MessagesTo(hanakoPhone)) >= 1
	})

	// The same verdict again: once as a duplicate publish (dropped by the
	// stream), once under another message id (a re-screen after the
	// duplicate window, which the stream cannot recognise).
	if _, dup, err := b.PublishVerdict(ctx, v); err != nil || !dup {
		t.Fatalf("PublishVerdict(again) = dup %v, %v, want a duplicate", dup, err)
	}
	subject, _ := event.VerdictSubject(v.Household, v.Person)
	data, _ := event.Encode(v)
	if _, _, err := b.Publish(ctx, subject, v.ID+"-rescreen", data, nil); err != nil {
		t.Fatal(err)
	}
	vseq := lastSeq(t, b, event.StreamVerdicts)
	poll(t, 20*time.Second, "the repeated verdict to be routed", func() bool {
		return settled(t, b, event.StreamVerdicts, worker.DurableRoute, vseq)
	})

	// And a delivery job published again outside the duplicate window:
	// only the delivery record can stop it.
	for _, kind := range []struct {
		recipient string
	}{{"kenji"}, {notify.RecipientSelf}} {
		job := &event.Alert{
			V: event.Version, ID: event.AlertID(v.ID, kind.recipient, notify.ChannelSMS, 0), VerdictID: v.ID, MessageID: v.MessageID,
			Household: "tanaka", Person: "hanako", Recipient: kind.recipient, Channel: notify.ChannelSMS,
			Template: notify.TemplateContact, Status: event.AlertPending, At: time.Now().UTC(), Verdict: v,
		}
		if kind.recipient == notify.RecipientSelf {
			job.RecipientKind, job.Template = event.RecipientPerson, notify.TemplatePerson
		} else {
			job.RecipientKind = event.RecipientContact
		}
		jsub, _ := event.AlertJobSubject("tanaka", "hanako", notify.ChannelSMS)
		jdata, _ := event.Encode(job)
		if _, _, err := b.Publish(ctx, jsub, job.ID+"-redrive", jdata, nil); err != nil {
			t.Fatal(err)
		}
	}
	aseq := lastSeq(t, b, event.StreamAlerts)
	poll(t, 20*time.Second, "the repeated jobs to be handled", func() bool {
		return settled(t, b, event.StreamAlerts, worker.DurableDeliver, aseq)
	})

	son, self := fake.MessagesTo(kenjiPhone), fake.MessagesTo(hanakoPhone)
	if len(son) != 1 || len(self) != 1 {
		t.Fatalf("fake Twilio has %d SMS for the son and %d for the person, want exactly 1 each", len(son), len(self))
	}
	for _, want := range []string{"田中花子さん", "いつもの番号", "返信", "なりすまし"} {
		if !strings.Contains(son[0].Body, want) {
			t.Errorf("son's SMS = %q, want it to contain %q", son[0].Body, want)
		}
	}
	if strings.Contains(son[0].Body, "8049217733") {
		t.Errorf("son's SMS shows the lure's sender number in full: %q", son[0].Body)
	}
	for _, want := range []string{"詐欺", "健二さんに電話", "ギフト券は買わないで"} {
		if !strings.Contains(self[0].Body, want) {
			t.Errorf("person's SMS = %q, want it to contain %q", self[0].Body, want)
		}
	}

	as := audits(t, b)
	if n := countStatus(as, "kenji", event.AlertSent); n != 1 {
		t.Errorf("ALERTS has %d sent records for the son, want 1", n)
	}
	if n := countStatus(as, notify.RecipientSelf, event.AlertSent); n != 1 {
		t.Errorf("ALERTS has %d sent records for the person, want 1", n)
	}
	for _, a := range as {
		if a.Verdict != nil {
			t.Errorf("audit record %s (%s) carries the verdict", a.ID, a.Status)
		}
		if a.Status == event.AlertSent && !strings.HasPrefix(a.ProviderID, "SM") {
			t.Errorf("sent record %s has provider id %q, want a Twilio SID", a.ID, a.ProviderID)
		}
	}
}

// TestPermanentFailureIsDeadLettered: Twilio refusing the number fails the
// job for good: audit "failed", a dead letter, and no retry.
func TestPermanentFailureIsDeadLettered(t *testing.T) {
	b := natstest.Embedded(t)
	fake := notifytest.NewTwilioFake(notifytest.TwilioAccountSID, notifytest.TwilioAuthToken)
	defer fake.Close()
	fake.SetMode(notifytest.TwilioInvalidNumber)
	cfg := testConfig(t, fake)
	start(t, b, cfg, worker.Deps{Directory: directory(t, cfg, hanako()), Channels: twilioChannels(t, cfg)})

	v := screenLure(t, "SM-perm-1", lureText)
	if _, _, err := b.PublishVerdict(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	poll(t, 20*time.Second, "failed records for both recipients", func() bool {
		as := audits(t, b)
		return countStatus(as, "kenji", event.AlertFailed) == 1 && countStatus(as, notify.RecipientSelf, event.AlertFailed) == 1
	})
	poll(t, 20*time.Second, "the dead letters", func() bool { return lastSeq(t, b, event.StreamDeadLetter) >= 2 })
	for _, a := range audits(t, b) {
		if a.Status == event.AlertFailed && (!strings.Contains(a.Error, "21211") || strings.Contains(a.Error, "901111") || strings.Contains(a.Error, "901234")) {
			t.Errorf("failed record error = %q, want code 21211 without the number", a.Error)
		}
		if a.Status == event.AlertRetrying {
			t.Errorf("a refused number was retried: %+v", a)
		}
	}
}

// TestTemporaryFailureRetries: an outage at Twilio is retried until it
// passes, and the alert is then sent once.
func TestTemporaryFailureRetries(t *testing.T) {
	b := natstest.Embedded(t)
	fake := notifytest.NewTwilioFake(notifytest.TwilioAccountSID, notifytest.TwilioAuthToken)
	defer fake.Close()
	fake.SetMode(notifytest.TwilioUnavailable)
	cfg := testConfig(t, fake)
	start(t, b, cfg, worker.Deps{Directory: directory(t, cfg, hanako()), Channels: twilioChannels(t, cfg)})
	if _, _, err := b.PublishVerdict(context.Background(), screenLure(t, "SM-temp-1", lureText)); err != nil {
		t.Fatal(err)
	}
	poll(t, 20*time.Second, "a retrying record", func() bool { return countStatus(audits(t, b), "kenji", event.AlertRetrying) >= 1 })
	fake.SetMode(notifytest.TwilioAccept)
	poll(t, 30*time.Second, "the SMS after the outage", func() bool { return len(fake.MessagesTo(kenjiPhone)) == 1 })
	poll(t, 10*time.Second, "the sent record", func() bool { return countStatus(audits(t, b), "kenji", event.AlertSent) == 1 })
	if n := len(fake.MessagesTo(kenjiPhone)); n != 1 {
		t.Errorf("son got %d SMS, want 1", n)
	}
}

// TestLogsCarryNoPersonalData runs a lure through failures and success
// with debug logging and checks that no log entry carries a phone number
// or the lure's words.
func TestLogsCarryNoPersonalData(t *testing.T) {
	b := natstest.Embedded(t)
	fake := notifytest.NewTwilioFake(notifytest.TwilioAccountSID, notifytest.TwilioAuthToken)
	defer fake.Close()
	fake.SetMode(notifytest.TwilioInvalidNumber)
	core, logs := observer.New(zap.DebugLevel)
	cfg := testConfig(t, fake)
	start(t, b, cfg, worker.Deps{Directory: directory(t, cfg, hanako()), Channels: twilioChannels(t, cfg), Logger: zap.New(core)})
	v := screenLure(t, "SM-logs-1", lureText)
	if _, _, err := b.PublishVerdict(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	poll(t, 20*time.Second, "the refusals", func() bool { return countStatus(audits(t, b), "kenji", event.AlertFailed) == 1 })
	fake.SetMode(notifytest.TwilioAccept)
	v2 := screenLure(t, "SM-logs-2", lureText)
	if _, _, err := b.PublishVerdict(context.Background(), v2); err != nil {
		t.Fatal(err)
	}
	poll(t, 20*time.Second, "the SMS", func() bool { return len(fake.MessagesTo(kenjiPhone)) == 1 })
	if logs.Len() == 0 {
		t.Fatal("no log entries: the test would prove nothing")
	}
	for _, e := range logs.All() {
		text := e.Message + " " + fmt.Sprint(e.ContextMap())
		for _, secret := range []string{"9012345678", "9011112222", "8049217733", "ギフトカード", "健二だよ", notifytest.TwilioAuthToken, notifytest.TwilioAccountSID} {
			if strings.Contains(text, secret) {
				t.Errorf("log entry leaks %q: %s", secret, text)
			}
		}
	}
}
