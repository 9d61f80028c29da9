package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/notify/route"
)

// Timer kinds.
const (
	timerRelease  = "release"  // a job held by quiet hours is due
	timerSummary  = "summary"  // a group's window closes
	timerEscalate = "escalate" // an escalation step is due
)

// timer is one piece of due work in the timers bucket. Its key starts with
// the due time in milliseconds, zero-padded, so keys sort by due time.
type timer struct {
	Kind      string       `json:"kind"`
	Due       time.Time    `json:"due"`
	Household string       `json:"household"`
	Person    string       `json:"person"`
	Ref       string       `json:"ref"`            // alert id, group leader or verdict id
	Step      int          `json:"step,omitempty"` // escalation step the timer follows
	Job       *event.Alert `json:"job,omitempty"`
}

func (t timer) key() string {
	k := fmt.Sprintf("%013d.%s.%s.%s.%s", t.Due.UnixMilli(), t.Kind, t.Household, t.Person, t.Ref)
	if t.Kind == timerEscalate {
		k += "." + strconv.Itoa(t.Step)
	}
	return k
}

func dueOf(key string) (time.Time, bool) {
	ms, _, ok := strings.Cut(key, ".")
	if !ok {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(n), true
}

// schedule stores t; storing it twice (a redelivery) is harmless.
func (w *Worker) schedule(ctx context.Context, t timer) error {
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("schedule %s timer for %s: %w", t.Kind, t.Ref, err)
	}
	if _, err := w.st.Timers.Create(ctx, t.key(), b); err != nil && !errors.Is(err, ErrExists) {
		return fmt.Errorf("schedule %s timer for %s: %w", t.Kind, t.Ref, err)
	}
	return nil
}

// runTimers fires due timers every timer_interval until ctx is done. Every
// replica runs it; firing is idempotent (jobs, records and escalation state
// are keyed and compare-and-swapped), so two replicas firing the same timer
// send nothing twice. A timer is deleted only after it fired, so a crash
// in between fires it again after the restart.
func (w *Worker) runTimers(ctx context.Context) error {
	t := time.NewTicker(w.cfg.Worker.TimerInterval.Std())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if _, err := w.FireDue(ctx); err != nil && ctx.Err() == nil {
			w.log.Warn("timers not checked, will retry", zap.Error(err))
		}
	}
}

// FireDue fires every timer due at the worker's clock and returns how many
// fired. Run calls it every timer_interval; tests call it after moving
// their clock.
func (w *Worker) FireDue(ctx context.Context) (int, error) {
	keys, err := w.st.Timers.Keys(ctx, ">")
	if err != nil {
		return 0, fmt.Errorf("list timers: %w", err)
	}
	slices.Sort(keys)
	now := w.now()
	fired := 0
	for _, k := range keys {
		due, ok := dueOf(k)
		if !ok {
			_ = w.st.Timers.Delete(ctx, k, 0)
			continue
		}
		if due.After(now) {
			break
		}
		b, rev, err := w.st.Timers.Get(ctx, k)
		if errors.Is(err, ErrNotFound) {
			continue // fired by another replica
		}
		if err != nil {
			return fired, fmt.Errorf("timer %s: %w", k, err)
		}
		var t timer
		if err := json.Unmarshal(b, &t); err != nil {
			w.log.Error("unreadable timer removed", zap.String("key", k), zap.Error(err))
			_ = w.st.Timers.Delete(ctx, k, rev)
			continue
		}
		if err := w.fire(ctx, now, t); err != nil {
			if ctx.Err() != nil {
				return fired, ctx.Err()
			}
			w.log.Warn("timer failed, will retry", zap.String("kind", t.Kind), zap.String("ref", t.Ref), zap.Error(err))
			continue
		}
		if err := w.st.Timers.Delete(ctx, k, rev); err != nil && !errors.Is(err, ErrConflict) {
			w.log.Warn("fired timer not removed; it fires again harmlessly", zap.String("key", k), zap.Error(err))
		}
		fired++
	}
	return fired, nil
}

func (w *Worker) fire(ctx context.Context, now time.Time, t timer) error {
	switch t.Kind {
	case timerRelease:
		if t.Job == nil {
			return nil
		}
		return w.dispatch(ctx, t.Job)
	case timerSummary:
		return w.fireSummary(ctx, now, t)
	case timerEscalate:
		return w.fireEscalation(ctx, now, t)
	}
	w.log.Warn("unknown timer kind removed", zap.String("kind", t.Kind))
	return nil
}

// fireSummary closes a group: recipients of its first alert hear how many
// more messages of the lure came (when any did), and the group is removed.
func (w *Worker) fireSummary(ctx context.Context, now time.Time, t timer) error {
	key := groupKey(t.Household, t.Person, t.Ref)
	b, rev, err := w.st.State.Get(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("summary of group %s: %w", t.Ref, err)
	}
	var g route.Group
	if err := json.Unmarshal(b, &g); err != nil {
		if err := w.st.State.Delete(ctx, key, rev); err != nil {
			return fmt.Errorf("remove unreadable group %s: %w", t.Ref, err)
		}
		return nil
	}
	if p, ok := w.dir.Lookup(t.Household, t.Person); ok {
		for _, j := range route.Summary(now, &g, p) {
			if !j.NotBefore.IsZero() {
				if err := w.schedule(ctx, timer{Kind: timerRelease, Due: j.NotBefore, Household: j.Household, Person: j.Person, Ref: j.ID, Job: &j}); err != nil {
					return fmt.Errorf("summary of group %s: %w", t.Ref, err)
				}
				continue
			}
			if err := w.dispatch(ctx, &j); err != nil {
				return fmt.Errorf("summary of group %s: %w", t.Ref, err)
			}
		}
	}
	if err := w.st.State.Delete(ctx, key, rev); err != nil && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("remove group %s: %w", t.Ref, err)
	}
	return nil
}

// fireEscalation takes the next escalation step unless someone
// acknowledged: the step's jobs are published, the following step's timer
// stored, and only then is the state moved on (compare-and-swap), so a
// crash anywhere repeats the step's idempotent work rather than skipping
// it.
func (w *Worker) fireEscalation(ctx context.Context, now time.Time, t timer) error {
	key := escKey(t.Household, t.Person, t.Ref)
	b, rev, err := w.st.State.Get(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return nil // finished
	}
	if err != nil {
		return fmt.Errorf("escalation of verdict %s: %w", t.Ref, err)
	}
	var e escState
	if err := json.Unmarshal(b, &e); err != nil {
		return w.dropEscalation(ctx, key, rev, t.Ref)
	}
	if e.stopped() {
		return nil // acknowledged
	}
	if e.Step != t.Step {
		return nil // a step already taken
	}
	p, ok := w.dir.Lookup(t.Household, t.Person)
	if !ok {
		return w.dropEscalation(ctx, key, rev, t.Ref)
	}
	jobs, step, ok := route.Next(now, e.Escalation, p)
	if !ok {
		w.m.escalation.WithLabelValues("exhausted").Inc()
		return w.dropEscalation(ctx, key, rev, t.Ref)
	}
	for i := range jobs {
		if err := w.dispatch(ctx, &jobs[i]); err != nil {
			return fmt.Errorf("escalation of verdict %s, step %d: %w", t.Ref, step, err)
		}
	}
	next := e
	next.Step = step
	if step < len(route.Steps(p)) {
		if err := w.schedule(ctx, timer{Kind: timerEscalate, Due: route.Due(next.Escalation, p), Household: t.Household, Person: t.Person, Ref: t.Ref, Step: step}); err != nil {
			return fmt.Errorf("escalation of verdict %s, step %d: %w", t.Ref, step, err)
		}
	}
	nb, err := json.Marshal(next)
	if err != nil {
		return fmt.Errorf("escalation of verdict %s, step %d: %w", t.Ref, step, err)
	}
	if step >= len(route.Steps(p)) {
		// The last step is taken: nothing is left to stop.
		err = w.st.State.Delete(ctx, key, rev)
	} else {
		_, err = w.st.State.Update(ctx, key, nb, rev)
	}
	if err != nil && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("escalation of verdict %s, step %d: %w", t.Ref, step, err)
	}
	w.m.escalation.WithLabelValues("step").Inc()
	w.log.Info("alert escalated", zap.String("verdict_id", e.VerdictID), zap.String("household", t.Household),
		zap.String("person", t.Person), zap.Int("step", step), zap.String("recipient", jobs[0].Recipient))
	return nil
}

// dropEscalation removes an escalation that cannot go on (unreadable,
// its person no longer configured, no step left) at revision rev.
func (w *Worker) dropEscalation(ctx context.Context, key string, rev uint64, vid string) error {
	if err := w.st.State.Delete(ctx, key, rev); err != nil {
		return fmt.Errorf("remove escalation of verdict %s: %w", vid, err)
	}
	return nil
}
