package worker_test

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/scamscreen/scamscreen/event"
)

// TestTimerErrorsNameTheirVerdict: when the state bucket fails under a
// due timer, the error logged says which verdict's summary or escalation
// it was, and wraps the cause.
func TestTimerErrorsNameTheirVerdict(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	f, h := newHookedFixture(t, jst(29, 23, 0), fixtureOpts{logger: zap.New(core)}, escalationPeople())
	ctx := context.Background()
	lure := []event.Category{event.CategoryUnpaidBill}
	leader := handVerdict("err-lead", jst(29, 23, 0), event.LevelSuspicious, "+818049217733", lure)
	for _, v := range []*event.Verdict{leader, handVerdict("err-fold", jst(29, 23, 0), event.LevelSuspicious, "+818049217733", lure)} {
		if err := f.w.HandleVerdict(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	urgent := urgentVerdict("err-urgent", jst(29, 23, 0))
	if err := f.w.HandleVerdict(ctx, urgent); err != nil {
		t.Fatal(err)
	}
	f.settle(t)

	for _, tt := range []struct {
		part, id string
	}{
		{"g.tanaka.hanako.", leader.ID},
		{"e.tanaka.hanako.", urgent.ID},
	} {
		h.state.set(&h.state.onGet, func(key string) error {
			if strings.HasPrefix(key, tt.part) {
				return errInjected
			}
			return nil
		})
		f.clk.Set(jst(29, 23, 45))
		if _, err := f.w.FireDue(ctx); err != nil {
			t.Fatal(err)
		}
		h.state.set(&h.state.onGet, nil)
		found := false
		for _, e := range logs.TakeAll() {
			if e.Message != "timer failed, will retry" {
				continue
			}
			err, _ := e.ContextMap()["error"].(string)
			if strings.Contains(err, errInjected.Error()) {
				found = true
				if !strings.Contains(err, tt.id) {
					t.Errorf("timer error on %s = %q, want it to name verdict %s", tt.part, err, tt.id)
				}
			}
		}
		if !found {
			t.Errorf("no timer failure logged for %s", tt.part)
		}
	}
}
