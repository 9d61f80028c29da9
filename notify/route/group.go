package route

import (
	"slices"
	"strings"
	"time"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/notify"
)

// Group is one lure reaching one person repeatedly: the first verdict (the
// leader) alerted, later ones within the window are folded into it and
// counted. When the window closes, recipients get one summary with the
// count ([Summary]). The worker keeps groups in a key-value bucket.
type Group struct {
	Leader string    `json:"leader"`
	Keys   []string  `json:"keys"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	// Count is the number of verdicts in the group, the leader included.
	Count int `json:"count"`
	// Members are the folded verdicts' ids (at most MaxMembers), so a
	// redelivered verdict is not counted twice.
	Members  []string       `json:"members,omitempty"`
	MaxLevel event.Level    `json:"max_level"`
	Verdict  *event.Verdict `json:"verdict"`
}

// MaxMembers bounds [Group.Members]. Beyond it a redelivered verdict may be
// counted twice; the count is a summary, not a ledger.
const MaxMembers = 200

// Decision is what [Assign] decided for a verdict.
type Decision int

// Decisions.
const (
	// Ungrouped: the verdict has nothing to group by; alert on its own.
	Ungrouped Decision = iota
	// Lead: the verdict starts a group (or is its leader, redelivered);
	// alert now.
	Lead
	// Fold: the verdict joins an open group; it is counted, not alerted.
	Fold
	// Folded: the verdict was folded before (a redelivery); nothing to do.
	Folded
	// Separate: the verdict is urgent and alerts on its own; the open group
	// is left as it is.
	Separate
)

var decisionNames = [...]string{"ungrouped", "lead", "fold", "folded", "separate"}

// String names d.
func (d Decision) String() string {
	if d < 0 || int(d) >= len(decisionNames) {
		return "unknown"
	}
	return decisionNames[d]
}

// Alerts reports whether the verdict alerts its recipients itself.
func (d Decision) Alerts() bool { return d == Ungrouped || d == Lead || d == Separate }

// GroupKeys returns what identifies v's campaign: its sender, call-back
// numbers and link domains, as "s:", "p:" and "d:" keys in that order.
// Verdicts sharing any key are the same lure.
func GroupKeys(v *event.Verdict) []string {
	var keys []string
	add := func(k string) {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if s := strings.ToLower(strings.TrimSpace(v.Indicators.SenderKey)); s != "" {
		add("s:" + s)
	}
	for _, p := range v.Indicators.Phones {
		if p = strings.TrimSpace(p); p != "" {
			add("p:" + p)
		}
	}
	for _, d := range v.Indicators.Domains {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			add("d:" + d)
		}
	}
	return keys
}

// Assign decides how verdict v relates to g, the open group it shares a key
// with (nil when there is none), and returns the group as it is afterwards.
// A group is open until its End; a verdict judged worse than anything in
// the group starts a new one, so a recipient who only hears of scams is not
// left out by a group of suspicious messages. Assign does not modify g.
func Assign(now time.Time, v *event.Verdict, urgent bool, g *Group, window time.Duration) (Decision, *Group) {
	keys := GroupKeys(v)
	if len(keys) == 0 || window <= 0 {
		return Ungrouped, g
	}
	newGroup := func() *Group {
		return &Group{Leader: v.ID, Keys: keys, Start: now.UTC(), End: now.Add(window).UTC(), Count: 1, MaxLevel: v.Level, Verdict: v}
	}
	switch {
	case g == nil || !now.Before(g.End):
		return Lead, newGroup()
	case g.Leader == v.ID:
		return Lead, g
	case slices.Contains(g.Members, v.ID):
		return Folded, g
	case urgent:
		return Separate, g
	case v.Level > g.MaxLevel:
		return Lead, newGroup()
	}
	ng := *g
	ng.Count++
	ng.Keys = slices.Clone(g.Keys)
	for _, k := range keys {
		if !slices.Contains(ng.Keys, k) {
			ng.Keys = append(ng.Keys, k)
		}
	}
	if len(g.Members) < MaxMembers {
		ng.Members = append(slices.Clone(g.Members), v.ID)
	}
	return Fold, &ng
}

// Grouped returns the audit records (status grouped) of the alerts v would
// have caused had it not been folded into g.
func Grouped(now time.Time, v *event.Verdict, p *notify.Profile, g *Group, opts Options) []event.Alert {
	plan := Route(now, v, p, opts)
	out := make([]event.Alert, 0, len(plan.Jobs))
	for _, j := range plan.Jobs {
		j.Status = event.AlertGrouped
		j.GroupCount = g.Count
		j.NotBefore = time.Time{}
		j.Verdict = nil
		out = append(out, j)
	}
	return out
}

// SummaryID is the verdict-id part of a group summary's alert ids.
func SummaryID(leader string) string { return leader + "#summary" }

// Summary returns the jobs that tell recipients how many more messages of
// g's lure arrived after the first alert: one per recipient and channel
// that the leader reached, with template summary and GroupCount set. A
// group of one gives nothing. Quiet hours apply.
func Summary(now time.Time, g *Group, p *notify.Profile) []event.Alert {
	if g == nil || g.Count <= 1 || g.Verdict == nil {
		return nil
	}
	lead := Route(now, g.Verdict, p, Options{})
	var out []event.Alert
	for _, j := range lead.Jobs {
		if j.Channel == notify.ChannelVoice {
			continue
		}
		r, ok := p.Recipient(j.Recipient)
		if !ok {
			continue
		}
		s := NewJob(now, g.Verdict, p, r, j.Channel, notify.TemplateSummary, 0, false)
		s.ID = event.AlertID(SummaryID(g.Leader), r.ID, j.Channel, 0)
		s.GroupCount = g.Count
		deferQuiet(now, &s, r)
		out = append(out, s)
	}
	return out
}
