package worker_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/worker"
)

// TestFailedAttemptLeavesNewerClaim: while this worker's attempt at the
// son's alert is at the provider, another replica (which found the claim
// expired) claims the record and starts its own attempt. This attempt
// then fails. Its outcome must not overwrite the other replica's newer
// claim: that would let a third delivery send while the second is in
// flight.
func TestFailedAttemptLeavesNewerClaim(t *testing.T) {
	var records atomic.Pointer[worker.KV]
	var claimed atomic.Bool
	var otherStarted time.Time
	fail := func(d *notify.Delivery) error {
		if d.Alert.Recipient != "kenji" {
			return nil
		}
		if !claimed.CompareAndSwap(false, true) {
			return nil // the provider works again
		}
		kv := *records.Load()
		ctx := context.Background()
		b, rev, err := kv.Get(ctx, d.Alert.ID)
		if err != nil {
			t.Errorf("record of %s: %v", d.Alert.ID, err)
			return nil
		}
		var r notify.Record
		if err := json.Unmarshal(b, &r); err != nil {
			t.Error(err)
			return nil
		}
		r.Attempts++
		r.Started, r.Deadline = otherStarted, otherStarted.Add(time.Hour)
		nb, _ := json.Marshal(r)
		if _, err := kv.Update(ctx, d.Alert.ID, nb, rev); err != nil {
			t.Errorf("the other replica's claim: %v", err)
		}
		return &notify.SendError{Channel: "recorder", Reason: notify.ReasonUnavailable, Status: 503, RetryAfter: 50 * time.Millisecond, Err: errInjected}
	}
	now := jst(29, 10, 0)
	otherStarted = now.Add(time.Second).UTC()
	f, _ := newHookedFixture(t, now, fixtureOpts{fail: fail}, hanako())
	kv := f.stores(t).Records
	records.Store(&kv)

	v := handVerdict("claim", now, event.LevelSuspicious, "+818049217733", []event.Category{event.CategoryUnpaidBill})
	if err := f.w.HandleVerdict(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	son := event.AlertID(v.ID, "kenji", notify.ChannelSMS, 0)
	poll(t, 10*time.Second, "the failed attempt to be audited", func() bool {
		return countStatus(audits(t, f.b), "kenji", event.AlertRetrying) >= 1
	})
	raw, _, err := kv.Get(context.Background(), son)
	if err != nil {
		t.Fatal(err)
	}
	var r notify.Record
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	if r.State != notify.StateSending || r.Attempts != 2 || !r.Started.Equal(otherStarted) {
		t.Errorf("record after the failed attempt = %s, attempt %d started %s; want the other replica's claim: sending, attempt 2 started %s",
			r.State, r.Attempts, r.Started, otherStarted)
	}
	for _, d := range f.rec.Deliveries() {
		if d.Alert.Recipient == "kenji" {
			t.Errorf("the son's alert was sent again while the other attempt is in flight")
		}
	}
}
