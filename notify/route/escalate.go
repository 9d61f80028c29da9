package route

import (
	"time"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/notify"
)

// Escalation is an urgent alert waiting for a trusted contact's
// acknowledgement. Step counts the escalation steps taken: 0 means only the
// first alerts (to everyone) have gone out. The worker keeps escalations in
// a key-value bucket and removes them when someone acknowledges.
type Escalation struct {
	VerdictID string         `json:"verdict_id"`
	Household string         `json:"household"`
	Person    string         `json:"person"`
	Started   time.Time      `json:"started"`
	Step      int            `json:"step"`
	Verdict   *event.Verdict `json:"verdict"`
}

// Steps lists who is alerted at each escalation step: the trusted contacts
// in escalation order, then the helpdesk. Step k (from 1) is Steps(p)[k-1].
func Steps(p *notify.Profile) []*notify.Recipient {
	steps := make([]*notify.Recipient, 0, len(p.Contacts)+1)
	steps = append(steps, p.Contacts...)
	if p.Helpdesk != nil {
		steps = append(steps, p.Helpdesk)
	}
	return steps
}

// Escalates reports whether an urgent verdict for p starts an escalation:
// the person has escalation on, a positive ack timeout and at least one
// step.
func Escalates(p *notify.Profile) bool {
	return p.Escalate && p.AckTimeout > 0 && len(Steps(p)) > 0
}

// Start returns the escalation of urgent verdict v begun at now.
func Start(now time.Time, v *event.Verdict, p *notify.Profile) Escalation {
	return Escalation{VerdictID: v.ID, Household: p.Household, Person: p.Person, Started: now.UTC(), Verdict: v}
}

// Due is when the step after e.Step is due: one ack timeout per step after
// the start.
func Due(e Escalation, p *notify.Profile) time.Time {
	return e.Started.Add(time.Duration(e.Step+1) * p.AckTimeout)
}

// Next returns the jobs of the step after e.Step and its number, or ok
// false when every step has been taken. A contact's step reminds them on
// all their channels with template escalation (and calls them when they
// have voice); the helpdesk's uses template helpdesk. Every job is urgent.
func Next(now time.Time, e Escalation, p *notify.Profile) (jobs []event.Alert, step int, ok bool) {
	steps := Steps(p)
	step = e.Step + 1
	if step > len(steps) || e.Verdict == nil {
		return nil, step, false
	}
	r := steps[step-1]
	template := notify.TemplateEscalation
	if r.Kind == event.RecipientHelpdesk {
		template = notify.TemplateHelpdesk
	}
	for _, ch := range channelsFor(r, true) {
		j := NewJob(now, e.Verdict, p, r, ch, template, step, true)
		j.Status = event.AlertEscalated
		jobs = append(jobs, j)
	}
	return jobs, step, true
}
