package route

import (
	"time"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/notify"
)

// Urgent reports whether v takes the urgent path: a lure that sends the
// person to a shop now, keeps them on the phone or tells them to tell no
// one (at suspicious or worse), any gift-card demand judged scam, and every
// code handover. Urgent alerts skip grouping and quiet hours, go to every
// trusted contact at once and escalate until acknowledged.
func Urgent(v *event.Verdict) bool {
	if v.Has(event.CategoryCodeHandover) || v.HasFlag(event.FlagCodeSent) {
		return true
	}
	if v.Level >= event.LevelSuspicious &&
		(v.HasFlag(event.FlagGoToShop) || v.HasFlag(event.FlagStayOnPhone) || v.HasFlag(event.FlagTellNoOne)) {
		return true
	}
	return v.Level >= event.LevelScam && v.Has(event.CategoryGiftCardDemand)
}

// Plan is what one verdict means for one protected person.
type Plan struct {
	Urgent bool
	// Stale is set when the message reached scamscreen longer than the
	// stale limit ago (see [Options.StaleAfter]): every job is then in
	// Suppressed.
	Stale bool
	// Jobs are the alert jobs to deliver, one per recipient and channel.
	// Jobs held by quiet hours have status deferred and NotBefore set.
	Jobs []event.Alert
	// Suppressed are audit records (status suppressed) of recipients the
	// verdict does not reach (below their minimum), or of every job when
	// stale.
	Suppressed []event.Alert
}

// Deferred returns the jobs held by quiet hours.
func (p Plan) Deferred() []event.Alert {
	var out []event.Alert
	for _, j := range p.Jobs {
		if !j.NotBefore.IsZero() {
			out = append(out, j)
		}
	}
	return out
}

// Options are the global settings routing needs.
type Options struct {
	// StaleAfter: messages that reached scamscreen (event.Verdict
	// IngestedAt; ReceivedAt, then ScreenedAt, when that is unset) longer
	// than this ago alert nobody; 0 disables. The sender's own date does
	// not count when IngestedAt is set.
	StaleAfter time.Duration
}

// arrivedAt is when the message reached scamscreen, which is what
// staleness is judged by: IngestedAt, stamped when ingest published the
// message and kept when it is screened again, so a replayed old message is
// still stale. ReceivedAt is only a fallback for verdicts without
// IngestedAt: for e-mail it is the sender-controlled Date header, and a
// lure dated two days back that arrives now must still alert. ScreenedAt
// is the last resort.
func arrivedAt(v *event.Verdict) time.Time {
	switch {
	case !v.IngestedAt.IsZero():
		return v.IngestedAt
	case !v.ReceivedAt.IsZero():
		return v.ReceivedAt
	default:
		return v.ScreenedAt
	}
}

// NewJob builds the alert job for v, recipient r over channel at
// escalation step step, with its stable id.
func NewJob(now time.Time, v *event.Verdict, p *notify.Profile, r *notify.Recipient, channel, template string, step int, urgent bool) event.Alert {
	return event.Alert{
		V:             event.Version,
		ID:            event.AlertID(v.ID, r.ID, channel, step),
		VerdictID:     v.ID,
		MessageID:     v.MessageID,
		Household:     p.Household,
		Person:        p.Person,
		Recipient:     r.ID,
		RecipientKind: r.Kind,
		Channel:       channel,
		Template:      template,
		Language:      r.Language,
		Urgent:        urgent,
		Step:          step,
		Status:        event.AlertPending,
		At:            now.UTC(),
		Verdict:       v,
	}
}

// defer holds a non-urgent job until r's quiet hours end.
func deferQuiet(now time.Time, a *event.Alert, r *notify.Recipient) {
	if a.Urgent {
		return
	}
	if end, ok := r.Quiet.Until(now, r.Location); ok {
		a.NotBefore = end.UTC()
		a.Status = event.AlertDeferred
	}
}

// channelsFor lists the channels an alert to r uses: its own, plus a
// voice call for urgent alerts when r has voice.
func channelsFor(r *notify.Recipient, urgent bool) []string {
	chs := r.Channels
	if urgent && r.Voice {
		chs = append(append([]string(nil), chs...), notify.ChannelVoice)
	}
	return chs
}

// Route plans the alerts for verdict v about the person of profile p at
// now: the person's own warning and the trusted contacts' alerts, one job
// per recipient and channel. Clean and unknown verdicts plan nothing.
// Grouping is not decided here (see [Assign]); escalation steps come from
// [Next].
func Route(now time.Time, v *event.Verdict, p *notify.Profile, opts Options) Plan {
	plan := Plan{Urgent: Urgent(v)}
	if v.Level < event.LevelSuspicious && !plan.Urgent {
		return plan
	}
	if opts.StaleAfter > 0 {
		if at := arrivedAt(v); !at.IsZero() && now.Sub(at) > opts.StaleAfter {
			plan.Stale = true
		}
	}
	add := func(r *notify.Recipient, template string, reaches bool) {
		for _, ch := range channelsFor(r, plan.Urgent) {
			j := NewJob(now, v, p, r, ch, template, 0, plan.Urgent)
			if !reaches || plan.Stale {
				j.Status = event.AlertSuppressed
				if plan.Stale {
					j.Error = "stale: the message is older than stale_after"
				} else {
					j.Error = "below the recipient's minimum verdict"
				}
				j.Verdict = nil
				plan.Suppressed = append(plan.Suppressed, j)
				continue
			}
			deferQuiet(now, &j, r)
			plan.Jobs = append(plan.Jobs, j)
		}
	}
	if p.Self != nil {
		add(p.Self, notify.TemplatePerson, plan.Urgent || v.Level >= p.Self.MinLevel)
	}
	for _, c := range p.Contacts {
		add(c, notify.TemplateContact, plan.Urgent || v.Level >= c.MinLevel)
	}
	return plan
}
