package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/errkind"
)

// RecordState is where one alert job's delivery stands.
type RecordState string

// Record states.
const (
	// StateSending: an attempt is in flight until Deadline.
	StateSending RecordState = "sending"
	// StateSent: the provider accepted the alert; never send it again.
	StateSent RecordState = "sent"
	// StateFailed: the provider refused it for good.
	StateFailed RecordState = "failed"
	// StateRetry: the last attempt failed before the provider could have
	// accepted it; the next one sends again.
	StateRetry RecordState = "retry"
	// StateUnknown: the last attempt may have reached the provider (a
	// timeout after the request was written, or a crash during the call).
	// The next one first asks the provider ([Reconciler]) when it can.
	StateUnknown RecordState = "unknown"
	// StateSkipped: the job was not sent on purpose (stale, recipient
	// removed from the configuration).
	StateSkipped RecordState = "skipped"
)

// Record is the delivery record of one alert job, kept by alert id. It is
// written before the job is acknowledged, so a redelivered job finds it.
// It also answers acknowledgement links (which person and contact an
// alert was for).
type Record struct {
	State      RecordState         `json:"state"`
	AlertID    string              `json:"alert_id"`
	VerdictID  string              `json:"verdict_id,omitempty"`
	Household  string              `json:"household,omitempty"`
	Person     string              `json:"person,omitempty"`
	Recipient  string              `json:"recipient,omitempty"`
	Kind       event.RecipientKind `json:"recipient_kind,omitempty"`
	Channel    string              `json:"channel,omitempty"`
	Template   string              `json:"template,omitempty"`
	Language   string              `json:"language,omitempty"`
	Urgent     bool                `json:"urgent,omitempty"`
	ProviderID string              `json:"provider_id,omitempty"`
	Attempts   int                 `json:"attempts"`
	// Started is when the current or last attempt began; Deadline is when
	// an attempt still marked sending is presumed dead.
	Started  time.Time `json:"started"`
	Deadline time.Time `json:"deadline,omitempty"`
	// Error is the last failure, redacted.
	Error string    `json:"error,omitempty"`
	At    time.Time `json:"at"`
}

// Errors of a [RecordStore].
var (
	ErrNoRecord       = errors.New("no delivery record")
	ErrRecordExists   = errors.New("delivery record exists")
	ErrRecordConflict = errors.New("delivery record changed concurrently")
)

// RecordStore keeps delivery records with compare-and-swap. The worker's
// implementation is a JetStream key-value bucket; notifytest has one in
// memory.
type RecordStore interface {
	// GetRecord returns the record and its revision, or ErrNoRecord.
	GetRecord(ctx context.Context, alertID string) (Record, uint64, error)
	// CreateRecord stores a new record, or fails with ErrRecordExists.
	CreateRecord(ctx context.Context, alertID string, r Record) (uint64, error)
	// UpdateRecord replaces the record at revision rev, or fails with
	// ErrRecordConflict.
	UpdateRecord(ctx context.Context, alertID string, r Record, rev uint64) (uint64, error)
}

// Outcome is what one [Deliverer.Deliver] call did.
type Outcome struct {
	// Status is the audit status: sent, failed, retrying or suppressed;
	// empty when another attempt is in flight and nothing changed.
	Status     event.AlertStatus
	ProviderID string
	Attempts   int
	// Err is the classified error to hand to the consume loop; nil for
	// sent and suppressed.
	Err error
	// Replayed reports that the outcome comes from an earlier attempt's
	// record: nothing was sent now.
	Replayed bool
	// Reconciled reports that the provider confirmed an earlier attempt
	// whose outcome was unknown.
	Reconciled bool
	// RecordErr is set when the outcome could not be written to the record
	// (the send itself succeeded).
	RecordErr error
}

// Deliverer sends alert jobs through channels at most once per job while
// its record says so: before a send it claims the record (CAS), after it it
// writes the outcome, and only then does the caller acknowledge.
//
// The crash windows, and what happens after a restart:
//   - after the claim, before the provider call: the record says sending;
//     once its deadline passes the job is tried again (nothing was sent).
//   - after the provider call, before the outcome is written: the same,
//     but something may have been sent. A [Reconciler] channel is asked
//     first and nothing is sent if the provider has the message; other
//     channels send again (at least once: a duplicate beats a lost alert;
//     e-mail keeps its Message-ID and webhooks their Idempotency-Key, so
//     receivers can drop the copy).
//   - after the outcome is written, before the acknowledgement: the record
//     says sent, so the redelivered job is acknowledged without sending.
type Deliverer struct {
	Store RecordStore
	// Now is the clock; default time.Now.
	Now func() time.Time
	// SendTimeout bounds one provider call; default [DefaultSendTimeout].
	SendTimeout time.Duration
	// Skew widens the window a reconciliation asks about, before an
	// unknown attempt's start and after its end (clock difference with
	// the provider); default ten seconds.
	Skew time.Duration
	// AfterSend and AfterRecord, when set, are called after the provider
	// call returns and after its outcome is written. Tests use them to
	// stop a worker at those points.
	AfterSend   func(alertID string)
	AfterRecord func(alertID string)
}

const (
	maxCASAttempts = 5
	deadlineGrace  = 5 * time.Second
)

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Deliverer) timeout() time.Duration {
	if d.SendTimeout > 0 {
		return d.SendTimeout
	}
	return DefaultSendTimeout
}

func newRecord(a *event.Alert) Record {
	return Record{
		AlertID: a.ID, VerdictID: a.VerdictID, Household: a.Household, Person: a.Person,
		Recipient: a.Recipient, Kind: a.RecipientKind, Channel: a.Channel, Template: a.Template,
		Language: a.Language, Urgent: a.Urgent,
	}
}

// Deliver sends del through ch unless its record shows it was sent (or
// refused for good) already, and returns what happened. It never returns
// before the outcome of a send is recorded (or recording failed, see
// [Outcome.RecordErr]).
func (d *Deliverer) Deliver(ctx context.Context, ch Channel, del *Delivery) Outcome {
	id := del.Alert.ID
	for range maxCASAttempts {
		rec, rev, err := d.Store.GetRecord(ctx, id)
		now := d.now()
		if errors.Is(err, ErrNoRecord) {
			rec = newRecord(del.Alert)
			d.begin(&rec, now)
			rev, err = d.Store.CreateRecord(ctx, id, rec)
			if errors.Is(err, ErrRecordExists) {
				continue
			}
			if err != nil {
				return storeFailure(id, err)
			}
			return d.send(ctx, ch, del, rec, rev)
		}
		if err != nil {
			return storeFailure(id, err)
		}
		switch rec.State {
		case StateSent:
			return Outcome{Status: event.AlertSent, ProviderID: rec.ProviderID, Attempts: rec.Attempts, Replayed: true}
		case StateSkipped:
			return Outcome{Status: event.AlertSuppressed, Attempts: rec.Attempts, Replayed: true}
		case StateFailed:
			return Outcome{Status: event.AlertFailed, Attempts: rec.Attempts, Replayed: true,
				Err: errkind.Permanent(fmt.Errorf("alert %s refused earlier: %s", id, rec.Error))}
		case StateSending:
			if now.Before(rec.Deadline) {
				return Outcome{Attempts: rec.Attempts,
					Err: errkind.Temporary(fmt.Errorf("alert %s: another attempt is in flight", id), rec.Deadline.Sub(now))}
			}
			fallthrough
		case StateUnknown:
			if rc, ok := ch.(Reconciler); ok {
				pid, found, err := rc.Reconcile(ctx, del, rec.Started.Add(-d.skew()), d.attemptEnd(rec))
				if err != nil {
					return Outcome{Status: event.AlertRetrying, Attempts: rec.Attempts,
						Err: fmt.Errorf("reconcile alert %s: %w", id, classifyUnknown(err))}
				}
				if found {
					rec.State, rec.ProviderID, rec.At, rec.Error = StateSent, pid, now, ""
					if _, err := d.Store.UpdateRecord(ctx, id, rec, rev); errors.Is(err, ErrRecordConflict) {
						continue
					} else if err != nil {
						return storeFailure(id, err)
					}
					return Outcome{Status: event.AlertSent, ProviderID: pid, Attempts: rec.Attempts, Reconciled: true}
				}
			}
		case StateRetry:
		default:
			// A state this build does not know: treat like a failed attempt.
		}
		d.begin(&rec, now)
		rev, err = d.Store.UpdateRecord(ctx, id, rec, rev)
		if errors.Is(err, ErrRecordConflict) {
			continue
		}
		if err != nil {
			return storeFailure(id, err)
		}
		return d.send(ctx, ch, del, rec, rev)
	}
	return Outcome{Err: errkind.Temporary(fmt.Errorf("alert %s: delivery record keeps changing", id), 0)}
}

func (d *Deliverer) skew() time.Duration {
	if d.Skew > 0 {
		return d.Skew
	}
	return 10 * time.Second
}

// attemptEnd is the latest moment the provider can have accepted the
// attempt rec describes, with the clock skew allowed: its deadline while
// it was in flight (the process died during the call), or when its
// outcome was written (the call ended unsure). A message accepted later
// belongs to a later alert.
func (d *Deliverer) attemptEnd(rec Record) time.Time {
	end := rec.Deadline
	if end.IsZero() {
		end = rec.At
	}
	if end.IsZero() {
		return time.Time{}
	}
	return end.Add(d.skew())
}

func (d *Deliverer) begin(rec *Record, now time.Time) {
	rec.State = StateSending
	rec.Attempts++
	rec.Started = now
	rec.Deadline = now.Add(d.timeout() + deadlineGrace)
	rec.At = now
}

func storeFailure(id string, err error) Outcome {
	return Outcome{Err: errkind.Temporary(fmt.Errorf("delivery record of alert %s: %w", id, err), 0)}
}

// classifyUnknown keeps a classification and makes anything else
// temporary.
func classifyUnknown(err error) error {
	if se, ok := AsSendError(err); ok {
		return se.Classified()
	}
	if errkind.Classify(err) == errkind.KindPermanent {
		return err
	}
	return errkind.Temporary(err, 0)
}

func (d *Deliverer) send(ctx context.Context, ch Channel, del *Delivery, rec Record, rev uint64) Outcome {
	sctx, cancel := context.WithTimeout(ctx, d.timeout())
	pid, err := ch.Send(sctx, del)
	cancel()
	if d.AfterSend != nil {
		d.AfterSend(rec.AlertID)
	}
	now := d.now()
	rec.At = now
	rec.Deadline = time.Time{}
	out := Outcome{Attempts: rec.Attempts}
	if err == nil {
		rec.State, rec.ProviderID, rec.Error = StateSent, pid, ""
		out.Status, out.ProviderID = event.AlertSent, pid
	} else {
		se, isSend := AsSendError(err)
		cerr := err
		if isSend {
			cerr = se.Classified()
		} else if errkind.Classify(err) == errkind.KindNone {
			cerr = errkind.Temporary(err, 0)
		}
		rec.Error = err.Error()
		switch {
		case errkind.IsPermanent(cerr):
			rec.State = StateFailed
			out.Status = event.AlertFailed
		case !isSend || se.Unsure || se.Reason == ReasonCanceled:
			// An error that does not say the request never left, or a
			// cancellation mid-call: the provider may have it.
			rec.State = StateUnknown
			out.Status = event.AlertRetrying
		default:
			rec.State = StateRetry
			out.Status = event.AlertRetrying
		}
		out.Err = fmt.Errorf("send alert %s: %w", rec.AlertID, cerr)
	}
	// The outcome must be recorded even when ctx was cancelled mid-call.
	wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), d.timeout())
	defer wcancel()
	for attempt := 0; attempt < maxCASAttempts; attempt++ {
		_, werr := d.Store.UpdateRecord(wctx, rec.AlertID, rec, rev)
		if werr == nil {
			out.RecordErr = nil
			break
		}
		out.RecordErr = werr
		if errors.Is(werr, ErrRecordConflict) {
			cur, crev, gerr := d.Store.GetRecord(wctx, rec.AlertID)
			if gerr != nil {
				continue
			}
			if cur.State == StateSent || cur.State == StateFailed || cur.State == StateSkipped {
				// Someone else settled it; theirs stands.
				out.RecordErr = nil
				if cur.State == StateSent && out.Err == nil {
					out.ProviderID = cur.ProviderID
				}
				break
			}
			if out.Status != event.AlertSent && (cur.Attempts > rec.Attempts || cur.State == StateSending && cur.Started.After(rec.Started)) {
				// A newer attempt claimed the record (ours outlived its
				// deadline) and is in flight or recorded its own failure.
				// Our failure must not clear its claim, which would let a
				// third attempt send alongside it; only a send overrides.
				out.RecordErr = nil
				break
			}
			rev = crev
			continue
		}
		t := time.NewTimer(time.Duration(attempt+1) * 50 * time.Millisecond)
		select {
		case <-t.C:
		case <-wctx.Done():
		}
		t.Stop()
		if wctx.Err() != nil {
			break
		}
	}
	if out.RecordErr == nil && d.AfterRecord != nil {
		d.AfterRecord(rec.AlertID)
	}
	if out.RecordErr != nil && out.Err != nil {
		// Neither the send nor its record worked: the next delivery decides.
		out.Err = errors.Join(out.Err, fmt.Errorf("delivery record of alert %s: %w", rec.AlertID, out.RecordErr))
	}
	return out
}

// Skip records that a job is not sent on purpose, unless it was settled
// already, and returns the outcome (suppressed, or the earlier one). A job
// waiting for another attempt (its record says retry or unknown, or a
// sending attempt died) is settled as skipped; while an attempt is in
// flight Skip returns a temporary error, like [Deliverer.Deliver].
func (d *Deliverer) Skip(ctx context.Context, a *event.Alert, why string) Outcome {
	for range maxCASAttempts {
		cur, rev, err := d.Store.GetRecord(ctx, a.ID)
		now := d.now()
		if errors.Is(err, ErrNoRecord) {
			rec := newRecord(a)
			rec.State, rec.Error, rec.At, rec.Started = StateSkipped, why, now, now
			if _, err := d.Store.CreateRecord(ctx, a.ID, rec); errors.Is(err, ErrRecordExists) {
				continue
			} else if err != nil {
				return storeFailure(a.ID, err)
			}
			return Outcome{Status: event.AlertSuppressed}
		}
		if err != nil {
			return storeFailure(a.ID, err)
		}
		switch cur.State {
		case StateSent:
			return Outcome{Status: event.AlertSent, ProviderID: cur.ProviderID, Attempts: cur.Attempts, Replayed: true}
		case StateFailed:
			return Outcome{Status: event.AlertFailed, Attempts: cur.Attempts, Replayed: true}
		case StateSkipped:
			return Outcome{Status: event.AlertSuppressed, Attempts: cur.Attempts, Replayed: true}
		case StateSending:
			if now.Before(cur.Deadline) {
				return Outcome{Attempts: cur.Attempts,
					Err: errkind.Temporary(fmt.Errorf("alert %s: another attempt is in flight", a.ID), cur.Deadline.Sub(now))}
			}
		}
		cur.State, cur.Error, cur.At, cur.Deadline = StateSkipped, why, now, time.Time{}
		if _, err := d.Store.UpdateRecord(ctx, a.ID, cur, rev); errors.Is(err, ErrRecordConflict) {
			continue
		} else if err != nil {
			return storeFailure(a.ID, err)
		}
		return Outcome{Status: event.AlertSuppressed, Attempts: cur.Attempts}
	}
	return Outcome{Err: errkind.Temporary(fmt.Errorf("alert %s: delivery record keeps changing", a.ID), 0)}
}
