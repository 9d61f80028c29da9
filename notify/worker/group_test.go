package worker_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/notify"
)

var errInjected = errors.New("injected store failure")

// failOnce returns a hook that fails the first operation on a key
// containing part, and lets everything else through.
func failOnce(part string) func(key string) error {
	var done atomic.Bool
	return func(key string) error {
		if strings.Contains(key, part) && done.CompareAndSwap(false, true) {
			return errInjected
		}
		return nil
	}
}

// TestFoldRetryKeepsSummary: the store fails while a verdict is folded
// into an open group, and the verdict is handled again. The fold must
// still end in a summary when the window closes, and be audited as
// grouped: a retry that only sees "already folded" must not lose them.
func TestFoldRetryKeepsSummary(t *testing.T) {
	f, h := newHookedFixture(t, jst(29, 10, 0), fixtureOpts{}, hanako())
	ctx := context.Background()
	lure := []event.Category{event.CategoryUnpaidBill}
	first := handVerdict("fold-a", jst(29, 10, 0), event.LevelSuspicious, "+818049217733", lure)
	second := handVerdict("fold-b", jst(29, 10, 5), event.LevelSuspicious, "+818049217733", lure)
	if err := f.w.HandleVerdict(ctx, first); err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	wantSent(t, f, "self/sms/person", "kenji/sms/contact")

	f.clk.Set(jst(29, 10, 5))
	h.timers.set(&h.timers.onCreate, failOnce(".summary."))
	if err := f.w.HandleVerdict(ctx, second); !errors.Is(err, errInjected) {
		t.Fatalf("HandleVerdict(second, summary timer failing) = %v, want the injected error", err)
	}
	if err := f.w.HandleVerdict(ctx, second); err != nil {
		t.Fatalf("HandleVerdict(second, again) = %v", err)
	}
	f.settle(t)
	if n := countStatus(audits(t, f.b), "kenji", event.AlertGrouped); n != 1 {
		t.Errorf("grouped records for the son = %d, want 1", n)
	}
	f.fire(t, jst(29, 10, 30))
	wantSent(t, f, "self/sms/person", "kenji/sms/contact", "self/sms/summary", "kenji/sms/summary")
	for _, d := range f.rec.Deliveries() {
		if d.Alert.Template == notify.TemplateSummary && d.Alert.GroupCount != 2 {
			t.Errorf("summary to %s counts %d, want 2", d.Alert.Recipient, d.Alert.GroupCount)
		}
	}
}

// TestConcurrentVerdictsOfOneLureAlertOnce: two verdicts of one lure are
// routed at the same time (two replicas). The second decides to lead and
// stores its group, and just then the first is routed completely. The
// second must then find the first's group and fold into it, not take its
// index entry over and alert as well.
func TestConcurrentVerdictsOfOneLureAlertOnce(t *testing.T) {
	f, h := newHookedFixture(t, jst(29, 10, 0), fixtureOpts{}, hanako())
	ctx := context.Background()
	lure := []event.Category{event.CategoryUnpaidBill}
	late := handVerdict("race-a", jst(29, 10, 0), event.LevelSuspicious, "+818049217733", lure)
	early := handVerdict("race-b", jst(29, 10, 0), event.LevelSuspicious, "+818049217733", lure)
	var once atomic.Bool
	h.state.set(&h.state.onCreate, func(key string) error {
		if key == "g.tanaka.hanako."+late.ID && once.CompareAndSwap(false, true) {
			if err := f.w.HandleVerdict(ctx, early); err != nil {
				t.Errorf("HandleVerdict(early) = %v", err)
			}
		}
		return nil
	})
	if err := f.w.HandleVerdict(ctx, late); err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	alerted := map[string]bool{}
	for _, d := range f.rec.Deliveries() {
		alerted[d.Alert.VerdictID] = true
	}
	if len(alerted) != 1 || !alerted[early.ID] {
		t.Errorf("verdicts alerted = %v, want only %s (the other folded)", alerted, early.ID)
	}
	wantSent(t, f, "self/sms/person", "kenji/sms/contact")
	if n := countStatus(audits(t, f.b), "kenji", event.AlertGrouped); n != 1 {
		t.Errorf("grouped records for the son = %d, want 1", n)
	}
}
