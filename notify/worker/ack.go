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
	"github.com/scamscreen/scamscreen/notify/route"
)

// Ack is an acknowledgement by a trusted contact of the alerts about one
// person.
type Ack struct {
	Household string
	Person    string
	// Recipient is the contact's id; empty when not known.
	Recipient string
	// AlertID is the alert acknowledged (a link names it); for an SMS
	// reply, which acknowledges everything open for the person, empty or
	// the id SMS ingest gave the reply.
	AlertID string
	// VerdictID is the verdict of the alert a link names, when the
	// acknowledgement carries it; the worker looks it up otherwise.
	VerdictID string
	// Channel is how it came: "link" or "sms".
	Channel string
	At      time.Time
}

// ParseAck reads what arrives on event.AlertAckSubject: an event.Alert
// with status acknowledged (the acknowledgement server publishes those,
// and SMS ingest may), or the contact's SMS reply itself as an
// event.Message, whose sender must be a contact of the person. subject
// supplies household and person when the payload lacks them.
func ParseAck(dir *notify.Directory, subject string, data []byte) (Ack, error) {
	var probe struct {
		Status string         `json:"status"`
		From   *event.Address `json:"from"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return Ack{}, fmt.Errorf("acknowledgement on %s: %w", subject, err)
	}
	sh, sp, _ := event.SubjectTokens(subject)
	switch {
	case probe.Status != "":
		a, err := event.Decode[event.Alert](data)
		if err != nil {
			return Ack{}, fmt.Errorf("acknowledgement on %s: %w", subject, err)
		}
		if a.Status != event.AlertAcknowledged {
			return Ack{}, fmt.Errorf("acknowledgement on %s has status %q", subject, a.Status)
		}
		ack := Ack{Household: a.Household, Person: a.Person, Recipient: a.Recipient, AlertID: a.ID, VerdictID: a.VerdictID, Channel: a.Channel, At: a.At}
		if ack.Household == "" && ack.Person == "" {
			ack.Household, ack.Person = sh, sp
		}
		if ack.Channel == "" {
			ack.Channel = notify.AckChannel
		}
		return ack, nil
	case probe.From != nil:
		msg, err := event.Decode[event.Message](data)
		if err != nil {
			return Ack{}, fmt.Errorf("acknowledgement reply on %s: %w", subject, err)
		}
		ack := Ack{Household: msg.Household, Person: msg.Person, Channel: notify.ChannelSMS, At: msg.ReceivedAt}
		if ack.Household == "" && ack.Person == "" {
			ack.Household, ack.Person = sh, sp
		}
		phone, err := notify.NormalizePhone(msg.From.Addr, "")
		if err != nil {
			return Ack{}, fmt.Errorf("acknowledgement reply %s: sender is not a phone number", msg.ID)
		}
		for _, c := range dir.ContactsByPhone(phone) {
			if c.Household == ack.Household && c.Person == ack.Person {
				ack.Recipient = c.Contact
				return ack, nil
			}
		}
		return Ack{}, fmt.Errorf("acknowledgement reply %s: sender is not a contact of %s/%s", msg.ID, ack.Household, ack.Person)
	}
	return Ack{}, fmt.Errorf("acknowledgement on %s is neither an alert nor a message", subject)
}

func (w *Worker) handleAckMsg(ctx context.Context, m Msg) error {
	ack, err := ParseAck(w.dir, m.Subject(), m.Data())
	if err != nil {
		return errkind.Permanent(err)
	}
	return w.HandleAck(ctx, ack)
}

// HandleAck stops escalations and records the acknowledgement on ALERTS.
// A link (channel notify.AckChannel) names one alert and stops the
// escalation of that alert's verdict only: a link tapped days later must
// not stop an escalation its contact has not seen. Any other
// acknowledgement (an SMS reply, which names no alert) stops every open
// escalation of the person: any contact's reply means someone is on it.
//
// Each stopped escalation is audited, under an id of its own (its
// verdict's), before its state becomes a tombstone, so an audit that
// fails is retried with the acknowledgement. When nothing was open to
// stop, an acknowledgement that names an alert is recorded by itself.
func (w *Worker) HandleAck(ctx context.Context, ack Ack) error {
	if ack.At.IsZero() {
		ack.At = w.now()
	}
	log := w.log.With(zap.String("household", ack.Household), zap.String("person", ack.Person), zap.String("recipient", ack.Recipient))
	if _, ok := w.dir.Lookup(ack.Household, ack.Person); !ok {
		log.Warn("acknowledgement for a person without notify configuration")
		return nil
	}
	link := ack.Channel == notify.AckChannel
	var rec notify.Record
	looked := false
	lookup := func() error {
		if looked || ack.AlertID == "" {
			return nil
		}
		looked = true
		var err error
		if rec, err = w.LookupAlert(ctx, ack.AlertID); err != nil && !errors.Is(err, notify.ErrNoRecord) {
			return fmt.Errorf("acknowledgement of alert %s: %w", ack.AlertID, err)
		}
		return nil
	}
	var keys []string
	if link {
		// The delivery record says which verdict the alert was about.
		if err := lookup(); err != nil {
			return err
		}
		if rec.VerdictID == "" {
			rec.VerdictID = ack.VerdictID
		}
		if rec.VerdictID != "" {
			keys = []string{escKey(ack.Household, ack.Person, rec.VerdictID)}
		}
	} else {
		var err error
		if keys, err = w.st.State.Keys(ctx, escFilter(ack.Household, ack.Person)); err != nil {
			return fmt.Errorf("escalations of %s/%s: %w", ack.Household, ack.Person, err)
		}
	}
	recorded := false
	for _, k := range keys {
		e, err := w.stopEscalation(ctx, k, ack, func(e *route.Escalation) error {
			id := ack.AlertID
			if !link {
				id = event.AlertID(e.VerdictID, ack.Recipient, notify.ChannelSMS, 0)
			}
			return w.audit(ctx, event.Alert{V: event.Version, ID: id, VerdictID: e.VerdictID, Household: ack.Household, Person: ack.Person,
				Recipient: ack.Recipient, RecipientKind: event.RecipientContact, Channel: ack.Channel, Urgent: true,
				Step: e.Step, Status: event.AlertAcknowledged, At: ack.At.UTC()})
		})
		if err != nil {
			return err
		}
		if e == nil {
			continue
		}
		recorded = true
		w.m.escalation.WithLabelValues("acknowledged").Inc()
		log.Info("escalation stopped by acknowledgement", zap.String("verdict_id", e.VerdictID), zap.Int("step", e.Step), zap.String("via", ack.Channel))
	}
	if recorded {
		return nil
	}
	if ack.AlertID == "" {
		log.Info("reply from a contact with no urgent alert open", zap.String("via", ack.Channel))
		return nil
	}
	if err := lookup(); err != nil {
		return err
	}
	if rec.VerdictID == "" {
		rec.VerdictID = ack.VerdictID
	}
	a := event.Alert{V: event.Version, ID: ack.AlertID, VerdictID: rec.VerdictID, Household: ack.Household, Person: ack.Person,
		Recipient: ack.Recipient, RecipientKind: event.RecipientContact, Channel: ack.Channel, Urgent: rec.Urgent,
		Status: event.AlertAcknowledged, At: ack.At.UTC()}
	return w.audit(ctx, a)
}

// stopEscalation calls audit with the escalation at key, then replaces it
// with its tombstone and returns it; nil when it is gone or stopped
// already. audit may run more than once (a step taken meanwhile).
func (w *Worker) stopEscalation(ctx context.Context, key string, ack Ack, audit func(e *route.Escalation) error) (*route.Escalation, error) {
	for range maxStateAttempts {
		b, rev, err := w.st.State.Get(ctx, key)
		if errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("escalation %s: %w", key, err)
		}
		var e escState
		if err := json.Unmarshal(b, &e); err != nil {
			if err := w.st.State.Delete(ctx, key, rev); err != nil {
				return nil, fmt.Errorf("remove unreadable escalation %s: %w", key, err)
			}
			return nil, nil
		}
		if e.stopped() {
			return nil, nil
		}
		if err := audit(&e.Escalation); err != nil {
			return nil, err
		}
		tb, err := json.Marshal(e.tombstone(ack.At, ack.Recipient))
		if err != nil {
			return nil, fmt.Errorf("escalation %s: %w", key, err)
		}
		if _, err := w.st.State.Update(ctx, key, tb, rev); errors.Is(err, ErrConflict) {
			continue // a step was taken meanwhile; stop the new state
		} else if err != nil {
			return nil, fmt.Errorf("escalation %s: %w", key, err)
		}
		return &e.Escalation, nil
	}
	return nil, errkind.Temporary(fmt.Errorf("escalation %s keeps changing", key), 0)
}
