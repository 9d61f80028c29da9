package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/errkind"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/template"
)

func (w *Worker) handleJobMsg(ctx context.Context, m Msg) error {
	j := new(event.Alert)
	if err := decode(m.Data(), &j.V, j); err != nil {
		return errkind.Permanent(fmt.Errorf("alert job on %s: %w", m.Subject(), err))
	}
	if j.ID == "" {
		return errkind.Permanent(fmt.Errorf("alert job on %s: no id", m.Subject()))
	}
	return w.deliverJob(ctx, j)
}

// maxEarly is how early a job may be taken before its NotBefore (clock
// differences between replicas).
const maxEarly = time.Second

// deliverJob delivers one job exactly once (see notify.Deliverer) and
// records the outcome on ALERTS before returning, so the job is
// acknowledged only after both.
func (w *Worker) deliverJob(ctx context.Context, j *event.Alert) error {
	now := w.now()
	if !j.NotBefore.IsZero() && j.NotBefore.Sub(now) > maxEarly {
		return errkind.Temporary(fmt.Errorf("alert %s is not due yet", j.ID), j.NotBefore.Sub(now))
	}
	log := w.log.With(alertFields(j)...)
	skip := func(why string) error {
		out := w.dl.Skip(ctx, j, why)
		if out.Err != nil {
			return out.Err
		}
		if out.Replayed {
			return w.record(ctx, j, out, "")
		}
		if why == skipAcknowledged {
			log.Info("escalation step not delivered: acknowledged")
		} else {
			log.Warn("alert not delivered", zap.String("reason", why))
		}
		return w.record(ctx, j, out, why)
	}
	if j.Step > 0 {
		// A step job waits in retries for up to max_deliver attempts; an
		// acknowledgement meanwhile ends it.
		acked, err := w.escalationAcked(ctx, j)
		if err != nil {
			return err
		}
		if acked {
			return skip(skipAcknowledged)
		}
	}
	p, ok := w.dir.Lookup(j.Household, j.Person)
	if !ok {
		return skip("the person is no longer configured")
	}
	r, ok := p.Recipient(j.Recipient)
	if !ok {
		return skip("the recipient is no longer configured")
	}
	dest, ok := r.Destination(j.Channel)
	if !ok {
		return skip("the recipient no longer has this channel")
	}
	ch := w.channels[j.Channel]
	if w.cfg.Shadow {
		ch = w.shadow
	}
	if ch == nil {
		return skip("no " + j.Channel + " channel is configured")
	}
	if j.Verdict == nil {
		return skip("the job carries no verdict")
	}
	d := &notify.Delivery{Alert: j, To: dest, Message: w.render(j, p, r)}
	start := time.Now()
	out := w.dl.Deliver(ctx, ch, d)
	w.m.send.WithLabelValues(j.Channel).Observe(time.Since(start).Seconds())
	if out.Status == "" {
		return out.Err // another attempt is in flight
	}
	if out.RecordErr != nil {
		log.Warn("delivery record not written; the outcome stands", zap.Error(out.RecordErr))
	}
	switch {
	case out.Status == event.AlertSent && !out.Replayed:
		if j.Step == 0 && j.NotBefore.IsZero() && !j.Verdict.ScreenedAt.IsZero() {
			w.m.latency.WithLabelValues(j.Channel).Observe(w.now().Sub(j.Verdict.ScreenedAt).Seconds())
		}
		log.Info("alert sent", zap.Int("attempts", out.Attempts), zap.Bool("reconciled", out.Reconciled))
	case out.Status == event.AlertFailed && !out.Replayed:
		log.Error("alert refused by the provider", zap.Error(out.Err))
	case out.Status == event.AlertRetrying:
		log.Warn("alert not sent, will retry", zap.Int("attempts", out.Attempts), zap.Error(out.Err))
	}
	if err := w.record(ctx, j, out, ""); err != nil {
		return err
	}
	return out.Err
}

// skipAcknowledged is why an escalation step job is not sent.
const skipAcknowledged = "acknowledged"

// escalationAcked reports whether the escalation step job j belongs to was
// acknowledged (its state is a tombstone).
func (w *Worker) escalationAcked(ctx context.Context, j *event.Alert) (bool, error) {
	b, _, err := w.st.State.Get(ctx, escKey(j.Household, j.Person, j.VerdictID))
	if errors.Is(err, ErrNotFound) {
		return false, nil // running no more: finished, or its person removed
	}
	if err != nil {
		return false, fmt.Errorf("escalation of alert %s: %w", j.ID, err)
	}
	var e escState
	if err := json.Unmarshal(b, &e); err != nil {
		return false, nil
	}
	return e.stopped(), nil
}

// record publishes the outcome of a job to the ALERTS audit; why, when
// set, says why a job was not sent.
func (w *Worker) record(ctx context.Context, j *event.Alert, out notify.Outcome, why string) error {
	a := *j
	a.Status, a.Attempts, a.ProviderID, a.At = out.Status, out.Attempts, out.ProviderID, w.now().UTC()
	a.Error = why
	if out.Err != nil {
		a.Error = out.Err.Error()
	}
	return w.audit(ctx, a)
}

// render makes the words of j for r, with the recipient's current consent
// and language. The acknowledgement link expires a fixed time after the
// job was made, so every attempt renders the same text (which Twilio
// reconciliation compares).
func (w *Worker) render(j *event.Alert, p *notify.Profile, r *notify.Recipient) notify.Rendered {
	in := template.Input{
		Template:    j.Template,
		Language:    r.Language,
		Verdict:     j.Verdict,
		PersonName:  p.Name,
		Consent:     r.Consent,
		Urgent:      j.Urgent,
		Count:       max(j.GroupCount-1, 0),
		Step:        j.Step,
		Waited:      time.Duration(max(j.Step, 1)) * p.AckTimeout,
		Location:    r.Location,
		MaxSegments: w.cfg.SMS.MaxSegments,
		Kind:        r.Kind,
		Household:   p.Household,
		Person:      p.Person,
	}
	if h := p.Helper(); h != nil {
		in.Helper = h.Name
	}
	if r.Kind != event.RecipientPerson {
		in.AckByReply = j.Channel == notify.ChannelSMS && w.cfg.Ack.SMSAck != notify.SMSAckLink
		in.LinkInSMS = w.cfg.Ack.SMSAck == notify.SMSAckBoth || w.cfg.Ack.SMSAck == notify.SMSAckLink
		if w.signer != nil {
			if link, err := w.signer.Link(j.ID, j.At.Add(w.cfg.Ack.TTL.Std())); err == nil {
				in.AckURL = link
			}
		}
	}
	return template.Render(in)
}

// recordStore adapts the records bucket to notify.RecordStore.
type recordStore struct{ kv KV }

var _ notify.RecordStore = recordStore{}

func (s recordStore) GetRecord(ctx context.Context, id string) (notify.Record, uint64, error) {
	b, rev, err := s.kv.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return notify.Record{}, 0, notify.ErrNoRecord
	}
	if err != nil {
		return notify.Record{}, 0, err
	}
	var r notify.Record
	if err := json.Unmarshal(b, &r); err != nil {
		return notify.Record{}, 0, fmt.Errorf("delivery record %s: %w", id, err)
	}
	return r, rev, nil
}

func (s recordStore) CreateRecord(ctx context.Context, id string, r notify.Record) (uint64, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return 0, err
	}
	rev, err := s.kv.Create(ctx, id, b)
	if errors.Is(err, ErrExists) {
		return 0, notify.ErrRecordExists
	}
	return rev, err
}

func (s recordStore) UpdateRecord(ctx context.Context, id string, r notify.Record, rev uint64) (uint64, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return 0, err
	}
	nrev, err := s.kv.Update(ctx, id, b, rev)
	if errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
		return 0, notify.ErrRecordConflict
	}
	return nrev, err
}

// LookupAlert returns the delivery record of an alert: which person and
// recipient it was for. The acknowledgement server uses it.
func (w *Worker) LookupAlert(ctx context.Context, alertID string) (notify.Record, error) {
	r, _, err := recordStore{w.st.Records}.GetRecord(ctx, alertID)
	return r, err
}
