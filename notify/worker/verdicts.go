package worker

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/errkind"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/route"
)

func (w *Worker) handleVerdictMsg(ctx context.Context, m Msg) error {
	var v event.Verdict
	if err := decode(m.Data(), &v.V, &v); err != nil {
		return errkind.Permanent(fmt.Errorf("verdict on %s: %w", m.Subject(), err))
	}
	return w.HandleVerdict(ctx, &v)
}

// decode unmarshals a payload and checks its schema version, as
// event.Decode does, in one pass instead of two: jobs carry their verdict,
// and decoding dominates the worker's CPU time.
func decode(data []byte, version *int, into any) error {
	if err := json.Unmarshal(data, into); err != nil {
		return fmt.Errorf("decode payload: %w", err)
	}
	if *version != event.Version {
		return fmt.Errorf("decode payload: v=%d, this build reads v=%d: %w", *version, event.Version, event.ErrVersion)
	}
	return nil
}

// HandleVerdict routes one verdict: it decides grouping, publishes the
// alert jobs (or, in shadow mode, delivers them at once to the shadow
// channel), schedules quiet-hours releases, starts the escalation of an
// urgent verdict and writes the audit records. Doing it again for the same
// verdict changes nothing: jobs, timers and state are keyed by ids derived
// from the verdict. A replay tool in shadow mode calls it directly.
func (w *Worker) HandleVerdict(ctx context.Context, v *event.Verdict) error {
	log := w.log.With(zap.String("verdict_id", v.ID), zap.String("household", v.Household), zap.String("person", v.Person))
	p, ok := w.dir.Lookup(v.Household, v.Person)
	if !ok {
		w.m.verdicts.WithLabelValues("unknown_person").Inc()
		if v.Level >= event.LevelSuspicious {
			log.Warn("verdict for a person without notify configuration")
		}
		return nil
	}
	now := w.now()
	plan := route.Route(now, v, p, w.opts)
	if len(plan.Jobs) == 0 && len(plan.Suppressed) == 0 {
		w.m.verdicts.WithLabelValues("clean").Inc()
		return nil
	}
	if plan.Stale {
		w.m.verdicts.WithLabelValues("stale").Inc()
		log.Info("stale verdict, nobody alerted", zap.Time("ingested_at", v.IngestedAt), zap.Time("received_at", v.ReceivedAt))
		return w.auditAll(ctx, plan.Suppressed)
	}

	if len(plan.Jobs) > 0 {
		first, err := w.claimMessage(ctx, v)
		if err != nil {
			return err
		}
		if !first {
			w.m.verdicts.WithLabelValues("superseded").Inc()
			log.Info("another verdict on this message already alerted, nobody alerted again")
			return w.auditAll(ctx, plan.Suppressed)
		}
	}

	dec := route.Ungrouped
	var g *route.Group
	if !w.cfg.Grouping.Disabled && len(plan.Jobs) > 0 {
		var err error
		if dec, g, err = w.group(ctx, now, v, plan.Urgent, p); err != nil {
			return err
		}
	}
	w.m.verdicts.WithLabelValues(dec.String()).Inc()
	if !dec.Alerts() {
		log.Debug("verdict folded into an open group", zap.String("leader", g.Leader), zap.Int("count", g.Count))
		// Folded (handled before) is audited again too: the attempt that
		// folded it may have failed before its audit. Within the
		// duplicate window the stream drops the copy.
		if dec == route.Fold || dec == route.Folded {
			if err := w.auditAll(ctx, route.Grouped(now, v, p, g, w.opts)); err != nil {
				return err
			}
		}
		return w.auditAll(ctx, plan.Suppressed)
	}

	// The escalation is stored before any alert goes out, so that a
	// contact's reply to one always finds it to stop.
	if plan.Urgent && route.Escalates(p) {
		if err := w.startEscalation(ctx, now, v, p); err != nil {
			return err
		}
	}
	for i := range plan.Jobs {
		j := &plan.Jobs[i]
		if !j.NotBefore.IsZero() {
			if err := w.schedule(ctx, timer{Kind: timerRelease, Due: j.NotBefore, Household: j.Household, Person: j.Person, Ref: j.ID, Job: j}); err != nil {
				return err
			}
			if err := w.audit(ctx, *j); err != nil {
				return err
			}
			continue
		}
		if err := w.dispatch(ctx, j); err != nil {
			return err
		}
	}
	if err := w.auditAll(ctx, plan.Suppressed); err != nil {
		return err
	}
	log.Debug("verdict routed", zap.Stringer("decision", dec), zap.Int("jobs", len(plan.Jobs)), zap.Bool("urgent", plan.Urgent))
	return nil
}

func (w *Worker) auditAll(ctx context.Context, as []event.Alert) error {
	for _, a := range as {
		if err := w.audit(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// dispatch hands a due job to delivery: published on the bus, or in
// shadow mode delivered here and now.
func (w *Worker) dispatch(ctx context.Context, j *event.Alert) error {
	if j.Status == event.AlertDeferred {
		j.Status = event.AlertPending
	}
	if w.cfg.Shadow {
		return w.deliverJob(ctx, j)
	}
	if j.Status == event.AlertEscalated {
		if err := w.audit(ctx, *j); err != nil {
			return err
		}
	}
	if _, _, err := w.bus.PublishAlertJob(ctx, j); err != nil {
		return fmt.Errorf("publish alert job %s: %w", j.ID, err)
	}
	return nil
}

// State keys. Household and person ids are tokens, verdict ids
// [a-z0-9-], so every key is a valid KV key.
func groupKey(h, p, leader string) string { return "g." + h + "." + p + "." + leader }
func escKey(h, p, vid string) string      { return "e." + h + "." + p + "." + vid }
func escFilter(h, p string) string        { return "e." + h + "." + p + ".*" }

// escState is what the state bucket holds at an escalation key: the
// escalation while it runs and, once a contact acknowledged, a tombstone
// that stays until the bucket's TTL (StateTTL) so that the verdict handled
// again (a redelivery, a re-drive) does not start it anew, and that step
// jobs still in retries find (deliverJob). A finished escalation is
// removed: its step jobs' ids are stable, so their delivery records keep
// a second round from sending anything.
type escState struct {
	route.Escalation
	// Acked is when a contact acknowledged; zero while it runs.
	Acked time.Time `json:"acked,omitzero"`
	// AckedBy is the recipient id of that contact, when known.
	AckedBy string `json:"acked_by,omitempty"`
}

// stopped reports whether e is a tombstone.
func (e *escState) stopped() bool { return !e.Acked.IsZero() }

// tombstone is e acknowledged by recipient at at, without the verdict
// it no longer needs.
func (e escState) tombstone(at time.Time, recipient string) escState {
	e.Acked, e.AckedBy, e.Verdict = at.UTC(), recipient, nil
	return e
}

// msgKey records which verdict on a message alerted (the message id is
// hashed: e-mail ids are long).
func msgKey(h, p, messageID string) string {
	sum := sha256.Sum256([]byte(messageID))
	return "m." + h + "." + p + "." + keyHash.EncodeToString(sum[:15])
}

// claimMessage reports whether v may alert for its message: whether no
// other verdict on the same message did. A verdict id includes the rule
// packs it was made with, so a message screened again after a reload (its
// first ack lost in a crash, or replicas on different pack versions in a
// rolling update) gets a second verdict with a new id, whose alerts, jobs
// and escalation would all be new. The first verdict that alerts claims
// the message until the state bucket's TTL; the same verdict handled again
// (a redelivery) still passes.
func (w *Worker) claimMessage(ctx context.Context, v *event.Verdict) (bool, error) {
	key := msgKey(v.Household, v.Person, v.MessageID)
	for range maxStateAttempts {
		_, err := w.st.State.Create(ctx, key, []byte(v.ID))
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, ErrExists) {
			return false, fmt.Errorf("verdict %s: claim message: %w", v.ID, err)
		}
		b, _, err := w.st.State.Get(ctx, key)
		if errors.Is(err, ErrNotFound) {
			continue // expired between the two calls: claim it again
		}
		if err != nil {
			return false, fmt.Errorf("verdict %s: read message claim: %w", v.ID, err)
		}
		return string(b) == v.ID, nil
	}
	return false, fmt.Errorf("verdict %s: claim message: %w", v.ID, ErrConflict)
}

var keyHash = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// indexKey locates the open group of a grouping key (a sender, number or
// domain: personal data, so only its hash is a key).
func indexKey(h, p, k string) string {
	sum := sha256.Sum256([]byte(k))
	return "gi." + h + "." + p + "." + keyHash.EncodeToString(sum[:15])
}

type groupIndex struct {
	Leader string    `json:"leader"`
	End    time.Time `json:"end"`
}

const maxStateAttempts = 8

// group finds the open group v belongs to and applies route.Assign to the
// stored state with compare-and-swap, so concurrent verdicts of one lure
// (several replicas, concurrent handlers) are counted once each.
func (w *Worker) group(ctx context.Context, now time.Time, v *event.Verdict, urgent bool, p *notify.Profile) (route.Decision, *route.Group, error) {
	keys := route.GroupKeys(v)
	if len(keys) == 0 {
		return route.Ungrouped, nil, nil
	}
	window := w.cfg.Grouping.Window.Std()
	for range maxStateAttempts {
		var g *route.Group
		var grev uint64
		// firstRev is the revision of the first key's index entry as read
		// here (0: there is none). A new group may replace only that.
		var firstRev uint64
		for i, k := range keys {
			b, rev, err := w.st.State.Get(ctx, indexKey(p.Household, p.Person, k))
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return 0, nil, fmt.Errorf("group index of verdict %s: %w", v.ID, err)
			}
			if i == 0 {
				firstRev = rev
			}
			var idx groupIndex
			if json.Unmarshal(b, &idx) != nil || !now.Before(idx.End) {
				continue
			}
			gb, rev, err := w.st.State.Get(ctx, groupKey(p.Household, p.Person, idx.Leader))
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return 0, nil, fmt.Errorf("group of verdict %s: %w", v.ID, err)
			}
			var cur route.Group
			if json.Unmarshal(gb, &cur) != nil {
				continue
			}
			g, grev = &cur, rev
			break
		}
		dec, ng := route.Assign(now, v, urgent, g, window)
		switch dec {
		case route.Lead:
			if ng == g {
				return dec, ng, nil // the leader, delivered again
			}
			ok, err := w.lead(ctx, p, ng, firstRev)
			if err != nil {
				return 0, nil, err
			}
			if !ok {
				continue // another verdict of the lure got there first
			}
			return dec, ng, nil
		case route.Fold:
			b, err := json.Marshal(ng)
			if err != nil {
				return 0, nil, fmt.Errorf("fold verdict %s: %w", v.ID, err)
			}
			// Everything the fold needs besides the count is stored
			// first: once the group lists v as a member, a retry sees
			// Folded and would not come back here. The first fold makes
			// the summary worth sending: its timer fires when the window
			// closes (storing it again is harmless). A group nothing was
			// folded into expires with the state bucket's TTL.
			for _, k := range ng.Keys {
				if !slices.Contains(g.Keys, k) {
					if err := w.putIndex(ctx, p, k, ng); err != nil {
						return 0, nil, err
					}
				}
			}
			if err := w.scheduleSummary(ctx, p, ng); err != nil {
				return 0, nil, fmt.Errorf("fold verdict %s: %w", v.ID, err)
			}
			if _, err := w.st.State.Update(ctx, groupKey(p.Household, p.Person, ng.Leader), b, grev); errors.Is(err, ErrConflict) {
				continue
			} else if err != nil {
				return 0, nil, fmt.Errorf("fold verdict %s: %w", v.ID, err)
			}
			return dec, ng, nil
		case route.Folded:
			// Folded before, perhaps by an attempt that failed afterwards:
			// make sure of its summary (written by older builds only after
			// the count).
			if err := w.scheduleSummary(ctx, p, ng); err != nil {
				return 0, nil, fmt.Errorf("folded verdict %s: %w", v.ID, err)
			}
			return dec, ng, nil
		default:
			return dec, ng, nil
		}
	}
	return 0, nil, errkind.Temporary(fmt.Errorf("group state of verdict %s keeps changing", v.ID), 0)
}

// lead stores a new group led by g.Leader and points its keys at it. The
// first key is claimed with compare-and-swap against what the caller read
// there (firstRev, 0 for nothing): an entry that is gone or expired, or
// the group the caller decided to replace. false means another group took
// the key meanwhile and the caller should look again (and fold into it).
func (w *Worker) lead(ctx context.Context, p *notify.Profile, g *route.Group, firstRev uint64) (bool, error) {
	b, err := json.Marshal(g)
	if err != nil {
		return false, fmt.Errorf("group of verdict %s: %w", g.Leader, err)
	}
	if _, err := w.st.State.Create(ctx, groupKey(p.Household, p.Person, g.Leader), b); err != nil && !errors.Is(err, ErrExists) {
		return false, fmt.Errorf("group of verdict %s: %w", g.Leader, err)
	}
	idx, _ := json.Marshal(groupIndex{Leader: g.Leader, End: g.End})
	first := indexKey(p.Household, p.Person, g.Keys[0])
	if firstRev == 0 {
		_, err = w.st.State.Create(ctx, first, idx)
	} else {
		_, err = w.st.State.Update(ctx, first, idx, firstRev)
	}
	if errors.Is(err, ErrExists) || errors.Is(err, ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("group index of verdict %s: %w", g.Leader, err)
	}
	for _, k := range g.Keys[1:] {
		if err := w.putIndex(ctx, p, k, g); err != nil {
			return false, err
		}
	}
	return true, nil
}

// scheduleSummary stores the timer that closes g and sends its summary.
func (w *Worker) scheduleSummary(ctx context.Context, p *notify.Profile, g *route.Group) error {
	return w.schedule(ctx, timer{Kind: timerSummary, Due: g.End, Household: p.Household, Person: p.Person, Ref: g.Leader})
}

func (w *Worker) putIndex(ctx context.Context, p *notify.Profile, k string, g *route.Group) error {
	idx, _ := json.Marshal(groupIndex{Leader: g.Leader, End: g.End})
	if _, err := w.st.State.Put(ctx, indexKey(p.Household, p.Person, k), idx); err != nil {
		return fmt.Errorf("group index of verdict %s: %w", g.Leader, err)
	}
	return nil
}

// startEscalation records the escalation of urgent verdict v and its first
// timer. A redelivered verdict finds both already there, or the tombstone
// of an acknowledged escalation and then starts nothing.
func (w *Worker) startEscalation(ctx context.Context, now time.Time, v *event.Verdict, p *notify.Profile) error {
	e := escState{Escalation: route.Start(now, v, p)}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("escalation of verdict %s: %w", v.ID, err)
	}
	key := escKey(p.Household, p.Person, v.ID)
	if _, err := w.st.State.Create(ctx, key, b); errors.Is(err, ErrExists) {
		cur, _, gerr := w.st.State.Get(ctx, key)
		if gerr != nil {
			if errors.Is(gerr, ErrNotFound) {
				return nil // finished meanwhile
			}
			return fmt.Errorf("escalation of verdict %s: %w", v.ID, gerr)
		}
		if err := json.Unmarshal(cur, &e); err != nil {
			return errkind.Permanent(fmt.Errorf("escalation of verdict %s: %w", v.ID, err))
		}
		if e.stopped() {
			return nil // acknowledged: never again
		}
	} else if err != nil {
		return fmt.Errorf("escalation of verdict %s: %w", v.ID, err)
	} else {
		w.m.escalation.WithLabelValues("started").Inc()
	}
	if err := w.schedule(ctx, timer{Kind: timerEscalate, Due: route.Due(e.Escalation, p), Household: p.Household, Person: p.Person, Ref: v.ID, Step: e.Step}); err != nil {
		return fmt.Errorf("escalation of verdict %s: %w", v.ID, err)
	}
	return nil
}
