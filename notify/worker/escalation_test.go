package worker_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/worker"
)

// smsReply is the acknowledgement a contact's SMS reply becomes.
func smsReply(recipient string) worker.Ack {
	return worker.Ack{Household: "tanaka", Person: "hanako", Recipient: recipient, Channel: notify.ChannelSMS}
}

// escalationSteps fires the three escalation steps of a verdict routed at
// 23:30 (ack timeout 10 minutes), and the next ten minutes.
func escalationSteps(t *testing.T, f *fixture) {
	t.Helper()
	for _, at := range []int{40, 50, 60, 70} {
		f.fire(t, jst(29, 23, 0).Add(time.Duration(at)*time.Minute))
	}
}

// TestAckedEscalationIsNotRestarted: after the son acknowledged, the
// urgent verdict is handled again (its acknowledgement to VERDICTS was
// lost, or it was re-driven). Nobody may hear of it again.
func TestAckedEscalationIsNotRestarted(t *testing.T) {
	f := newFixture(t, jst(29, 23, 30), nil, escalationPeople())
	ctx := context.Background()
	v := urgentVerdict("esc-again", jst(29, 23, 30))
	if err := f.w.HandleVerdict(ctx, v); err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	wantSent(t, f, "self/sms/person", "kenji/sms/contact", "yumi/email/contact")

	f.clk.Set(jst(29, 23, 32))
	if err := f.w.HandleAck(ctx, smsReply("kenji")); err != nil {
		t.Fatal(err)
	}
	f.clk.Set(jst(29, 23, 35))
	if err := f.w.HandleVerdict(ctx, v); err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	if n := escalationOpen(t, f); n != 0 {
		t.Errorf("%d escalations open after the acknowledgement and the verdict again, want 0", n)
	}
	escalationSteps(t, f)
	wantSent(t, f, "self/sms/person", "kenji/sms/contact", "yumi/email/contact")
}

// TestReplyWhileRoutingStopsEscalation: the son's reply is handled right
// after his alert was published, before the verdict's handling finished.
// It must still stop the escalation.
func TestReplyWhileRoutingStopsEscalation(t *testing.T) {
	f, h := newHookedFixture(t, jst(29, 23, 30), fixtureOpts{}, escalationPeople())
	ctx := context.Background()
	var once atomic.Bool
	h.bus.setAfterJob(func(a *event.Alert) {
		if a.Recipient == "kenji" && once.CompareAndSwap(false, true) {
			if err := f.w.HandleAck(ctx, smsReply("kenji")); err != nil {
				t.Errorf("HandleAck() = %v", err)
			}
		}
	})
	if err := f.w.HandleVerdict(ctx, urgentVerdict("esc-race", jst(29, 23, 30))); err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	if !once.Load() {
		t.Fatal("the son's alert was never published")
	}
	escalationSteps(t, f)
	wantSent(t, f, "self/sms/person", "kenji/sms/contact", "yumi/email/contact")
	if n := countStatus(audits(t, f.b), "kenji", event.AlertAcknowledged); n != 1 {
		t.Errorf("acknowledged records by the son = %d, want 1", n)
	}
}

// TestStepJobAfterAckIsSkipped: the son's escalation reminder meets a
// rate limit at Twilio, and while it waits for its next attempt the son
// acknowledges. The reminder must not go out then; it is recorded as
// skipped.
func TestStepJobAfterAckIsSkipped(t *testing.T) {
	var w atomic.Pointer[worker.Worker]
	var failed atomic.Int32
	ctx := context.Background()
	fail := func(d *notify.Delivery) error {
		if d.Alert.Step == 0 || failed.Add(1) > 1 {
			return nil
		}
		// The provider holds the first attempt, and meanwhile the son
		// answers.
		if err := w.Load().HandleAck(ctx, smsReply("kenji")); err != nil {
			t.Errorf("HandleAck() = %v", err)
		}
		return &notify.SendError{Channel: "recorder", Reason: notify.ReasonRateLimited, Status: 429, RetryAfter: 50 * time.Millisecond, Err: errInjected}
	}
	f, _ := newHookedFixture(t, jst(29, 23, 30), fixtureOpts{fail: fail}, escalationPeople())
	w.Store(f.w)
	v := urgentVerdict("esc-step-ack", jst(29, 23, 30))
	if err := f.w.HandleVerdict(ctx, v); err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	f.fire(t, jst(29, 23, 40))
	// settle can see the deliver consumer idle in the moment between the
	// timer publishing the reminder and the consumer taking it: wait for
	// the attempt itself.
	poll(t, 20*time.Second, "the reminder to be attempted", func() bool { return failed.Load() > 0 })
	f.settle(t)
	escalationSteps(t, f)
	wantSent(t, f, "self/sms/person", "kenji/sms/contact", "yumi/email/contact")

	step := event.AlertID(v.ID, "kenji", notify.ChannelSMS, 1)
	var suppressed int
	for _, a := range audits(t, f.b) {
		if a.ID == step && a.Status == event.AlertSuppressed {
			suppressed++
			if a.Error != "acknowledged" {
				t.Errorf("suppressed reminder audited with error %q, want %q", a.Error, "acknowledged")
			}
		}
	}
	if suppressed != 1 {
		t.Errorf("suppressed records of the reminder = %d, want 1", suppressed)
	}
	if st := recordState(t, f.b, f.cfg, step); st != notify.StateSkipped {
		t.Errorf("the reminder's record says %q, want skipped", st)
	}
}

// twoUrgentLures routes two urgent lures from different senders, at 23:30
// and 23:35, each starting an escalation.
func twoUrgentLures(t *testing.T, f *fixture) (first, second *event.Verdict) {
	t.Helper()
	ctx := context.Background()
	first = urgentVerdict("esc-first", jst(29, 23, 30))
	second = handVerdict("esc-second", jst(29, 23, 35), event.LevelScam, "+818011110000",
		[]event.Category{event.CategoryImpersonation, event.CategoryGiftCardDemand}, event.FlagGoToShop)
	if err := f.w.HandleVerdict(ctx, first); err != nil {
		t.Fatal(err)
	}
	f.clk.Set(jst(29, 23, 35))
	if err := f.w.HandleVerdict(ctx, second); err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	if n := escalationOpen(t, f); n != 2 {
		t.Fatalf("%d escalations open, want 2", n)
	}
	return first, second
}

// TestLinkAckStopsOnlyItsEscalation: Yumi confirms the link in her alert
// about the first lure. That stops the first lure's escalation, not the
// second's, which she has not seen.
func TestLinkAckStopsOnlyItsEscalation(t *testing.T) {
	f := newFixture(t, jst(29, 23, 30), nil, escalationPeople())
	first, second := twoUrgentLures(t, f)
	f.clk.Set(jst(29, 23, 36))
	link := worker.Ack{Household: "tanaka", Person: "hanako", Recipient: "yumi", Channel: notify.AckChannel,
		AlertID: event.AlertID(first.ID, "yumi", notify.ChannelEmail, 0)}
	if err := f.w.HandleAck(context.Background(), link); err != nil {
		t.Fatal(err)
	}
	if n := escalationOpen(t, f); n != 1 {
		t.Errorf("%d escalations open after the link, want 1 (the second lure's)", n)
	}
	escalationSteps(t, f)
	steps := map[string]int{}
	for _, d := range f.rec.Deliveries() {
		if d.Alert.Step > 0 {
			steps[d.Alert.VerdictID]++
		}
	}
	if steps[first.ID] != 0 || steps[second.ID] != 3 {
		t.Errorf("escalation steps delivered: first lure %d, second %d; want 0 and 3", steps[first.ID], steps[second.ID])
	}
	var acks []string
	for _, a := range audits(t, f.b) {
		if a.Status == event.AlertAcknowledged {
			acks = append(acks, a.VerdictID)
		}
	}
	if len(acks) != 1 || acks[0] != first.ID {
		t.Errorf("acknowledged records for verdicts %v, want only %s", acks, first.ID)
	}
}

// TestReplyAuditsEachEscalation: one SMS reply (as SMS ingest publishes
// it, with an id of its own) stops both open escalations, and each is
// audited under an id of its own, so that the stream keeps both.
func TestReplyAuditsEachEscalation(t *testing.T) {
	f := newFixture(t, jst(29, 23, 30), nil, escalationPeople())
	first, second := twoUrgentLures(t, f)
	reply := smsReply("kenji")
	reply.AlertID = event.StableID(event.PrefixAlert, "ack", "twilio", "SMreply", "tanaka", "hanako", "kenji")
	if err := f.w.HandleAck(context.Background(), reply); err != nil {
		t.Fatal(err)
	}
	if n := escalationOpen(t, f); n != 0 {
		t.Errorf("%d escalations open after the reply, want 0", n)
	}
	got := map[string]int{}
	for _, a := range audits(t, f.b) {
		if a.Status == event.AlertAcknowledged && a.Recipient == "kenji" {
			got[a.VerdictID]++
		}
	}
	if len(got) != 2 || got[first.ID] != 1 || got[second.ID] != 1 {
		t.Errorf("acknowledged records by verdict = %v, want one for each of %s and %s", got, first.ID, second.ID)
	}
}

// TestAckAuditFailureIsRetried: the audit of an acknowledgement fails.
// The acknowledgement is handled again (the consume loop retries it) and
// must then still be recorded, and the escalation stopped.
func TestAckAuditFailureIsRetried(t *testing.T) {
	f, h := newHookedFixture(t, jst(29, 23, 30), fixtureOpts{}, escalationPeople())
	ctx := context.Background()
	if err := f.w.HandleVerdict(ctx, urgentVerdict("esc-audit", jst(29, 23, 30))); err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	var once atomic.Bool
	h.bus.setBeforeAudit(func(a *event.Alert) error {
		if a.Status == event.AlertAcknowledged && once.CompareAndSwap(false, true) {
			return errInjected
		}
		return nil
	})
	f.clk.Set(jst(29, 23, 32))
	if err := f.w.HandleAck(ctx, smsReply("kenji")); !errors.Is(err, errInjected) {
		t.Fatalf("HandleAck(audit failing) = %v, want the injected error", err)
	}
	if err := f.w.HandleAck(ctx, smsReply("kenji")); err != nil {
		t.Fatalf("HandleAck(again) = %v", err)
	}
	if n := countStatus(audits(t, f.b), "kenji", event.AlertAcknowledged); n != 1 {
		t.Errorf("acknowledged records by the son = %d, want 1", n)
	}
	if n := escalationOpen(t, f); n != 0 {
		t.Errorf("%d escalations open, want 0", n)
	}
	escalationSteps(t, f)
	wantSent(t, f, "self/sms/person", "kenji/sms/contact", "yumi/email/contact")
}

// TestSecondVerdictOnOneMessageAlertsNobody: the screen worker published a
// verdict, lost its ack, and screened the message again after a rule-pack
// reload, so the same message has a second verdict with a new id. The
// family heard of it once and must not hear of it again; the first
// verdict handled again still routes as before.
func TestSecondVerdictOnOneMessageAlertsNobody(t *testing.T) {
	f := newFixture(t, jst(29, 23, 30), nil, escalationPeople())
	ctx := context.Background()
	v1 := urgentVerdict("one-message", jst(29, 23, 30))
	if err := f.w.HandleVerdict(ctx, v1); err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	wantSent(t, f, "self/sms/person", "kenji/sms/contact", "yumi/email/contact")

	v2 := *v1
	v2.RulePacks = []string{"test@2"}
	v2.ID = event.VerdictID(v1.MessageID, v2.RulePacks)
	f.clk.Set(jst(29, 23, 31))
	for _, v := range []*event.Verdict{&v2, v1} {
		if err := f.w.HandleVerdict(ctx, v); err != nil {
			t.Fatal(err)
		}
		f.settle(t)
	}
	if n := escalationOpen(t, f); n != 1 {
		t.Errorf("%d escalations open, want the first verdict's only", n)
	}
	wantSent(t, f, "self/sms/person", "kenji/sms/contact", "yumi/email/contact")
}
