package route_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/route"
)

var jst = mustZone("Asia/Tokyo")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// at is a time in Tokyo on 2026-11-29.
func at(hh, mm int) time.Time { return time.Date(2026, 11, 29, hh, mm, 0, 0, jst) }

func testConfig() notify.Config {
	cfg := notify.DefaultConfig()
	cfg.Twilio.AccountSID = config.SecretFromEnv("TEST_TWILIO_SID")
	cfg.Twilio.AuthToken = config.SecretFromEnv("TEST_TWILIO_TOKEN")
	cfg.Twilio.From = "+815012345678"
	cfg.Twilio.Voice.Enabled = true
	cfg.SMTP.Host = "smtp.example.jp"
	cfg.SMTP.From = "alerts@example.jp"
	cfg.Webhook.Secret = config.SecretFromEnv("TEST_WEBHOOK_SECRET")
	return cfg
}

func testProfile(t *testing.T) *notify.Profile {
	t.Helper()
	person := notify.Person{
		Household: "tanaka", ID: "hanako", Name: "田中花子", Phones: []string{"090-1234-5678"},
		Notify: notify.PersonConfig{
			Self: notify.SelfConfig{QuietHours: notify.MustQuietHours("21:00-07:00")},
			Contacts: []notify.ContactConfig{
				{ID: "kenji", Name: "健二", SMS: "090-1111-2222", Voice: true, Consent: notify.ConsentReasons, QuietHours: notify.MustQuietHours("23:00-06:30")},
				{ID: "yumi", Name: "由美", Email: "yumi@example.jp", MinVerdict: event.LevelScam, TimeZone: "America/New_York", QuietHours: notify.MustQuietHours("22:00-07:00")},
			},
			Escalation: notify.EscalationConfig{Helpdesk: &notify.WebhookTarget{URL: "https://helpdesk.example.jp/hook"}},
		},
	}
	dir, err := notify.NewDirectory(testConfig(), []notify.Person{person})
	if err != nil {
		t.Fatalf("NewDirectory() = %v", err)
	}
	p, ok := dir.Lookup("tanaka", "hanako")
	if !ok {
		t.Fatal("Lookup(tanaka, hanako) = false")
	}
	return p
}

func verdict(id string, level event.Level, cats []event.Category, flags ...event.Flag) *event.Verdict {
	return &event.Verdict{
		V: event.Version, ID: id, MessageID: "m-" + id, Channel: event.ChannelSMS, Household: "tanaka", Person: "hanako",
		ReceivedAt: at(10, 0), Level: level, Categories: cats, Flags: flags,
		Indicators: event.Indicators{SenderKey: "+818049217733", Phones: []string{"05031872290"}},
	}
}

// jobKey summarises a job for comparison.
func jobKey(a event.Alert) string {
	s := fmt.Sprintf("%s/%s/%s/%s", a.Recipient, a.Channel, a.Template, a.Status)
	if a.Urgent {
		s += "/urgent"
	}
	if !a.NotBefore.IsZero() {
		s += "/until " + a.NotBefore.In(jst).Format("01-02 15:04")
	}
	return s
}

func keys(as []event.Alert) []string {
	if len(as) == 0 {
		return nil
	}
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = jobKey(a)
	}
	return out
}

func TestUrgent(t *testing.T) {
	tests := []struct {
		name string
		v    *event.Verdict
		want bool
	}{
		{"clean", verdict("v", event.LevelClean, nil), false},
		{"suspicious bill", verdict("v", event.LevelSuspicious, []event.Category{event.CategoryUnpaidBill}), false},
		{"scam without gift cards", verdict("v", event.LevelScam, []event.Category{event.CategoryPhishingLink}), false},
		{"suspicious gift card demand", verdict("v", event.LevelSuspicious, []event.Category{event.CategoryGiftCardDemand}), false},
		{"scam gift card demand", verdict("v", event.LevelScam, []event.Category{event.CategoryGiftCardDemand}), true},
		{"go to shop at suspicious", verdict("v", event.LevelSuspicious, nil, event.FlagGoToShop), true},
		{"stay on phone at suspicious", verdict("v", event.LevelSuspicious, nil, event.FlagStayOnPhone), true},
		{"tell no one at suspicious", verdict("v", event.LevelSuspicious, nil, event.FlagTellNoOne), true},
		{"go to shop but clean", verdict("v", event.LevelClean, nil, event.FlagGoToShop), false},
		{"code handover", verdict("v", event.LevelScam, []event.Category{event.CategoryCodeHandover}), true},
		{"code sent flag", verdict("v", event.LevelSuspicious, nil, event.FlagCodeSent), true},
	}
	for _, tt := range tests {
		if got := route.Urgent(tt.v); got != tt.want {
			t.Errorf("Urgent(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRoute(t *testing.T) {
	p := testProfile(t)
	tests := []struct {
		name       string
		now        time.Time
		v          *event.Verdict
		jobs       []string
		suppressed []string
	}{
		{
			name:       "suspicious at noon: person and son, daughter below minimum",
			now:        at(12, 0),
			v:          verdict("v1", event.LevelSuspicious, []event.Category{event.CategoryUnpaidBill}),
			jobs:       []string{"self/sms/person/pending", "kenji/sms/contact/pending"},
			suppressed: []string{"yumi/email/contact/suppressed"},
		},
		{
			name: "scam at noon reaches the daughter (New York, 22:00: quiet until 07:00 there)",
			now:  at(12, 0),
			v:    verdict("v2", event.LevelScam, []event.Category{event.CategoryPhishingLink}),
			jobs: []string{"self/sms/person/pending", "kenji/sms/contact/pending", "yumi/email/contact/deferred/until 11-29 21:00"},
		},
		{
			name:       "quiet hours at 23:30 Tokyo: person until 07:00, son until 06:30",
			now:        at(23, 30),
			v:          verdict("v3", event.LevelSuspicious, []event.Category{event.CategoryUnpaidBill}),
			jobs:       []string{"self/sms/person/deferred/until 11-30 07:00", "kenji/sms/contact/deferred/until 11-30 06:30"},
			suppressed: []string{"yumi/email/contact/suppressed"},
		},
		{
			name:       "quiet hours end exactly: not quiet",
			now:        at(7, 0),
			v:          verdict("v4", event.LevelSuspicious, []event.Category{event.CategoryUnpaidBill}),
			jobs:       []string{"self/sms/person/pending", "kenji/sms/contact/pending"},
			suppressed: []string{"yumi/email/contact/suppressed"},
		},
		{
			name: "urgent at 23:30 bypasses quiet hours and every minimum, and calls the son",
			now:  at(23, 30),
			v:    verdict("v5", event.LevelSuspicious, []event.Category{event.CategoryImpersonation}, event.FlagGoToShop),
			jobs: []string{"self/sms/person/pending/urgent", "kenji/sms/contact/pending/urgent", "kenji/voice/contact/pending/urgent", "yumi/email/contact/pending/urgent"},
		},
		{
			name: "code handover is urgent",
			now:  at(3, 0),
			v:    verdict("v6", event.LevelScam, []event.Category{event.CategoryCodeHandover}, event.FlagCodeSent),
			jobs: []string{"self/sms/person/pending/urgent", "kenji/sms/contact/pending/urgent", "kenji/voice/contact/pending/urgent", "yumi/email/contact/pending/urgent"},
		},
		{
			name: "clean: nothing",
			now:  at(12, 0),
			v:    verdict("v7", event.LevelClean, nil),
		},
		{
			name:       "stale: everything suppressed",
			now:        at(10, 0).Add(25 * time.Hour),
			v:          verdict("v8", event.LevelScam, []event.Category{event.CategoryGiftCardDemand}),
			suppressed: []string{"self/sms/person/suppressed/urgent", "kenji/sms/contact/suppressed/urgent", "kenji/voice/contact/suppressed/urgent", "yumi/email/contact/suppressed/urgent"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := route.Route(tt.now, tt.v, p, route.Options{StaleAfter: 24 * time.Hour})
			if d := cmp.Diff(tt.jobs, keys(plan.Jobs)); d != "" {
				t.Errorf("Route(%s).Jobs (-want +got):\n%s", tt.name, d)
			}
			if d := cmp.Diff(tt.suppressed, keys(plan.Suppressed)); d != "" {
				t.Errorf("Route(%s).Suppressed (-want +got):\n%s", tt.name, d)
			}
			for _, j := range plan.Jobs {
				if want := event.AlertID(tt.v.ID, j.Recipient, j.Channel, 0); j.ID != want {
					t.Errorf("Route(%s) job id = %s, want %s", tt.name, j.ID, want)
				}
				if j.Verdict != tt.v {
					t.Errorf("Route(%s) job %s carries no verdict", tt.name, j.ID)
				}
			}
			for _, j := range plan.Suppressed {
				if j.Verdict != nil {
					t.Errorf("Route(%s) suppressed record %s carries the verdict", tt.name, j.ID)
				}
			}
		})
	}
}

func TestRouteIsDeterministic(t *testing.T) {
	p := testProfile(t)
	v := verdict("v1", event.LevelScam, []event.Category{event.CategoryGiftCardDemand}, event.FlagGoToShop)
	a := route.Route(at(12, 0), v, p, route.Options{})
	b := route.Route(at(12, 5), v, p, route.Options{})
	if d := cmp.Diff(keys(a.Jobs), keys(b.Jobs)); d != "" {
		t.Errorf("Route twice differs (-first +second):\n%s", d)
	}
	for i := range a.Jobs {
		if a.Jobs[i].ID != b.Jobs[i].ID {
			t.Errorf("Route twice: job %d id %s then %s", i, a.Jobs[i].ID, b.Jobs[i].ID)
		}
	}
}

func TestGroupKeys(t *testing.T) {
	v := &event.Verdict{Indicators: event.Indicators{SenderKey: "Fraud@Example.XYZ", Phones: []string{"05031872290", "05031872290"}, Domains: []string{"Example.xyz"}}}
	want := []string{"s:fraud@example.xyz", "p:05031872290", "d:example.xyz"}
	if d := cmp.Diff(want, route.GroupKeys(v)); d != "" {
		t.Errorf("GroupKeys (-want +got):\n%s", d)
	}
	if got := route.GroupKeys(&event.Verdict{}); len(got) != 0 {
		t.Errorf("GroupKeys(empty) = %v, want none", got)
	}
}

func TestAssign(t *testing.T) {
	window := 30 * time.Minute
	lead := verdict("lead", event.LevelSuspicious, []event.Category{event.CategoryUnpaidBill})
	_, g := route.Assign(at(10, 0), lead, false, nil, window)
	second := verdict("second", event.LevelSuspicious, []event.Category{event.CategoryUnpaidBill})
	second.Indicators = event.Indicators{Domains: []string{"example.xyz"}, Phones: []string{"05031872290"}}
	_, g2 := route.Assign(at(10, 10), second, false, g, window)

	tests := []struct {
		name      string
		now       time.Time
		v         *event.Verdict
		urgent    bool
		g         *route.Group
		want      route.Decision
		wantCount int
		wantLead  string
	}{
		{"no group: lead", at(10, 0), lead, false, nil, route.Lead, 1, "lead"},
		{"leader again (redelivery)", at(10, 1), lead, false, g, route.Lead, 1, "lead"},
		{"same phone within window: fold", at(10, 10), second, false, g, route.Fold, 2, "lead"},
		{"folded again (redelivery)", at(10, 11), second, false, g2, route.Folded, 2, "lead"},
		{"window closed: new lead", at(10, 30), verdict("late", event.LevelSuspicious, nil), false, g, route.Lead, 1, "late"},
		{"urgent stays separate", at(10, 5), verdict("urgent", event.LevelScam, []event.Category{event.CategoryGiftCardDemand}), true, g, route.Separate, 1, "lead"},
		{"worse verdict starts a new group", at(10, 5), verdict("worse", event.LevelScam, nil), false, g, route.Lead, 1, "worse"},
		{"nothing to group by", at(10, 5), &event.Verdict{ID: "bare", Level: event.LevelScam}, false, nil, route.Ungrouped, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec, got := route.Assign(tt.now, tt.v, tt.urgent, tt.g, window)
			if dec != tt.want {
				t.Fatalf("Assign(%s) = %v, want %v", tt.name, dec, tt.want)
			}
			if tt.want == route.Ungrouped {
				return
			}
			if got.Count != tt.wantCount || got.Leader != tt.wantLead {
				t.Errorf("Assign(%s) group = leader %s count %d, want leader %s count %d", tt.name, got.Leader, got.Count, tt.wantLead, tt.wantCount)
			}
		})
	}
	if g.Count != 1 || len(g.Members) != 0 {
		t.Errorf("Assign modified its input group: %+v", g)
	}
	if want := []string{"s:+818049217733", "p:05031872290", "d:example.xyz"}; !slices.Equal(g2.Keys, want) {
		t.Errorf("folded group keys = %v, want %v (the new domain joins)", g2.Keys, want)
	}
}

func TestSummary(t *testing.T) {
	p := testProfile(t)
	lead := verdict("lead", event.LevelSuspicious, []event.Category{event.CategoryUnpaidBill})
	_, g := route.Assign(at(10, 0), lead, false, nil, 30*time.Minute)
	if got := route.Summary(at(10, 30), g, p); len(got) != 0 {
		t.Errorf("Summary(group of one) = %v, want nothing", keys(got))
	}
	for _, id := range []string{"b", "c", "d"} {
		_, g = route.Assign(at(10, 10), verdict(id, event.LevelSuspicious, nil), false, g, 30*time.Minute)
	}
	got := route.Summary(at(10, 30), g, p)
	want := []string{"self/sms/summary/pending", "kenji/sms/summary/pending"}
	if d := cmp.Diff(want, keys(got)); d != "" {
		t.Errorf("Summary (-want +got):\n%s", d)
	}
	for _, j := range got {
		if j.GroupCount != 4 {
			t.Errorf("Summary job %s GroupCount = %d, want 4", j.ID, j.GroupCount)
		}
		if j.ID == event.AlertID("lead", j.Recipient, j.Channel, 0) {
			t.Errorf("Summary job %s reuses the leader alert's id", j.ID)
		}
	}
	// At 22:00 the person's quiet hours hold the summary, the son's not yet.
	late := route.Summary(at(22, 0), g, p)
	if want := []string{"self/sms/summary/deferred/until 11-30 07:00", "kenji/sms/summary/pending"}; !slices.Equal(keys(late), want) {
		t.Errorf("Summary at 22:00 = %v, want %v", keys(late), want)
	}
	grouped := route.Grouped(at(10, 10), verdict("e", event.LevelSuspicious, nil), p, g, route.Options{})
	for _, a := range grouped {
		if a.Status != event.AlertGrouped || a.GroupCount != 4 || a.Verdict != nil {
			t.Errorf("Grouped record %s = status %s count %d verdict %v, want grouped, 4, none", a.ID, a.Status, a.GroupCount, a.Verdict != nil)
		}
	}
}

func TestEscalation(t *testing.T) {
	p := testProfile(t)
	if !route.Escalates(p) {
		t.Fatal("Escalates(profile with contacts) = false")
	}
	v := verdict("urgent", event.LevelScam, []event.Category{event.CategoryGiftCardDemand}, event.FlagGoToShop)
	e := route.Start(at(23, 30), v, p)
	var got []string
	for {
		due := route.Due(e, p)
		jobs, step, ok := route.Next(due, e, p)
		if !ok {
			break
		}
		for _, j := range jobs {
			if j.Step != step || !j.Urgent || j.Status != event.AlertEscalated {
				t.Errorf("Next step %d job %s: step %d urgent %v status %s", step, j.ID, j.Step, j.Urgent, j.Status)
			}
			if j.ID != event.AlertID(v.ID, j.Recipient, j.Channel, step) {
				t.Errorf("Next step %d job id %s is not AlertID(verdict, recipient, channel, step)", step, j.ID)
			}
			got = append(got, fmt.Sprintf("%s step %d: %s", due.In(jst).Format("15:04"), step, jobKey(j)))
		}
		e.Step = step
	}
	want := []string{
		"23:40 step 1: kenji/sms/escalation/escalated/urgent",
		"23:40 step 1: kenji/voice/escalation/escalated/urgent",
		"23:50 step 2: yumi/email/escalation/escalated/urgent",
		"00:00 step 3: helpdesk/webhook/helpdesk/escalated/urgent",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("escalation steps (-want +got):\n%s", d)
	}
}

func utc(y int, mo time.Month, d, hh, mm int) time.Time {
	return time.Date(y, mo, d, hh, mm, 0, 0, time.UTC)
}

func TestQuietHoursUntil(t *testing.T) {
	ny := mustZone("America/New_York")
	london := mustZone("Europe/London")
	lordHowe := mustZone("Australia/Lord_Howe")
	santiago := mustZone("America/Santiago")
	tests := []struct {
		q     string
		t     time.Time
		loc   *time.Location
		quiet bool
		until string
	}{
		{"22:00-07:00", time.Date(2026, 11, 29, 21, 59, 0, 0, jst), jst, false, ""},
		{"22:00-07:00", time.Date(2026, 11, 29, 22, 0, 0, 0, jst), jst, true, "2026-11-30 07:00 JST"},
		{"22:00-07:00", time.Date(2026, 11, 30, 3, 0, 0, 0, jst), jst, true, "2026-11-30 07:00 JST"},
		{"22:00-07:00", time.Date(2026, 11, 30, 7, 0, 0, 0, jst), jst, false, ""},
		{"12:00-13:00", time.Date(2026, 11, 30, 12, 30, 0, 0, jst), jst, true, "2026-11-30 13:00 JST"},
		{"00:00-24:00", time.Date(2026, 11, 30, 12, 30, 0, 0, jst), jst, true, "2026-12-01 00:00 JST"},
		// DST starts in New York on 2026-03-08 at 02:00: the night is an hour shorter.
		{"22:00-07:00", time.Date(2026, 3, 7, 23, 0, 0, 0, ny), ny, true, "2026-03-08 07:00 EDT"},
		// An end time the spring change skips: 02:30 does not exist, and
		// the window ends when the clock jumps past it, at 03:00 EDT (not
		// at 01:30 EST, where time.Date puts 02:30 and which is still
		// inside the window).
		{"22:00-02:30", time.Date(2026, 3, 7, 23, 0, 0, 0, ny), ny, true, "2026-03-08 03:00 EDT"},
		{"", time.Date(2026, 11, 30, 3, 0, 0, 0, jst), jst, false, ""},
		// DST ends in London on 2026-10-25: 02:00 BST becomes 01:00 GMT,
		// so 01:00-02:00 happens twice. The window ends at the first 01:30
		// on or after t, not an hour later at 01:30 GMT.
		{"22:00-01:30", utc(2026, 10, 24, 22, 0).In(london), london, true, "2026-10-25 01:30 BST"},
		{"22:00-01:30", utc(2026, 10, 25, 0, 10).In(london), london, true, "2026-10-25 01:30 BST"},
		{"22:00-01:30", utc(2026, 10, 25, 0, 29).In(london), london, true, "2026-10-25 01:30 BST"},
		{"22:00-01:30", utc(2026, 10, 25, 0, 30).In(london), london, false, ""},
		{"22:00-01:30", utc(2026, 10, 25, 0, 40).In(london), london, false, ""},
		// The second pass through 01:00-01:30 is inside the window again,
		// and ends at its own 01:30.
		{"22:00-01:30", utc(2026, 10, 25, 1, 10).In(london), london, true, "2026-10-25 01:30 GMT"},
		{"22:00-01:30", utc(2026, 10, 25, 1, 40).In(london), london, false, ""},
		{"01:00-01:30", utc(2026, 10, 25, 0, 15).In(london), london, true, "2026-10-25 01:30 BST"},
		{"22:00-24:00", utc(2026, 10, 24, 22, 30).In(london), london, true, "2026-10-25 00:00 BST"},
		{"00:00-07:00", utc(2026, 10, 25, 0, 10).In(london), london, true, "2026-10-25 07:00 GMT"},
		// New York falls back on 2026-11-01 at 02:00 EDT.
		{"23:00-01:15", time.Date(2026, 10, 31, 23, 30, 0, 0, ny), ny, true, "2026-11-01 01:15 EDT"},
		// Lord Howe Island falls back half an hour on 2026-04-05 at 02:00
		// (+11 to +1030): 01:30-02:00 happens twice.
		{"21:00-01:45", utc(2026, 4, 4, 14, 35).In(lordHowe), lordHowe, true, "2026-04-05 01:45 +11"},
		{"21:00-01:45", utc(2026, 4, 4, 15, 5).In(lordHowe), lordHowe, true, "2026-04-05 01:45 +1030"},
		// Santiago springs forward at midnight on 2026-09-06: 24:00 (the
		// next day's 00:00) does not exist, the window ends at 01:00, not a
		// day later.
		{"22:00-24:00", utc(2026, 9, 6, 3, 0).In(santiago), santiago, true, "2026-09-06 01:00 -03"},
		// The spring change skips 01:00-02:00 in London on 2026-03-29.
		{"22:00-01:30", utc(2026, 3, 28, 23, 0).In(london), london, true, "2026-03-29 02:00 BST"},
	}
	for _, tt := range tests {
		q := notify.MustQuietHours(tt.q)
		until, quiet := q.Until(tt.t, tt.loc)
		got := ""
		if quiet {
			got = until.Format("2006-01-02 15:04 MST")
		}
		if quiet != tt.quiet || got != tt.until {
			t.Errorf("QuietHours(%q).Until(%s) = %q, %v, want %q, %v", tt.q, tt.t, got, quiet, tt.until, tt.quiet)
		}
	}
	for _, bad := range []string{"22-07", "25:00-07:00", "22:00-22:00", "22:60-07:00", "x"} {
		if _, err := notify.ParseQuietHours(bad); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseQuietHours(%q) = %v, want one-line error", bad, err)
		}
	}
}

// Staleness is judged by when the message reached scamscreen (IngestedAt,
// stamped at publish and kept when a message is screened again), not by
// its sender-controlled Date header (ReceivedAt for e-mail). ReceivedAt
// counts only for verdicts without IngestedAt, and ScreenedAt only when
// both are unset.
func TestRouteStaleness(t *testing.T) {
	p := testProfile(t)
	now := at(14, 0)
	ago := func(d time.Duration) time.Time { return now.Add(-d).UTC() }
	const day = 24 * time.Hour
	tests := []struct {
		name                         string
		received, ingested, screened time.Time
		staleAfter                   time.Duration
		stale                        bool
	}{
		{name: "old Date header, arrived a minute ago", received: ago(2 * day), ingested: ago(time.Minute), screened: ago(time.Minute), stale: false},
		{name: "Date header in the future, arrived a minute ago", received: now.Add(day), ingested: ago(time.Minute), screened: ago(time.Minute), stale: false},
		{name: "fresh Date header, ingested two days ago (replay)", received: ago(time.Minute), ingested: ago(2 * day), screened: ago(time.Minute), stale: true},
		{name: "future Date header, ingested two days ago", received: now.Add(time.Hour), ingested: ago(2 * day), screened: ago(time.Minute), stale: true},
		{name: "ingested just within the limit", received: ago(3 * day), ingested: ago(day), screened: ago(time.Minute), stale: false},
		{name: "ingested just past the limit", received: ago(time.Minute), ingested: ago(day + time.Second), stale: true},
		{name: "no IngestedAt: old ReceivedAt counts", received: ago(2 * day), screened: ago(time.Minute), stale: true},
		{name: "no IngestedAt: fresh ReceivedAt counts", received: ago(time.Hour), screened: ago(time.Minute), stale: false},
		{name: "only ScreenedAt, old", screened: ago(2 * day), stale: true},
		{name: "only ScreenedAt, fresh", screened: ago(time.Minute), stale: false},
		{name: "no time at all", stale: false},
		{name: "staleness off", received: ago(30 * day), ingested: ago(30 * day), screened: ago(30 * day), staleAfter: -1, stale: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &event.Verdict{V: event.Version, ID: "vd-stale", MessageID: "m-stale", Channel: event.ChannelEmail,
				Household: "tanaka", Person: "hanako",
				ReceivedAt: tt.received, IngestedAt: tt.ingested, ScreenedAt: tt.screened,
				Level: event.LevelScam, Categories: []event.Category{event.CategoryGiftCardDemand}}
			opts := route.Options{StaleAfter: day}
			if tt.staleAfter < 0 {
				opts.StaleAfter = 0
			}
			plan := route.Route(now, v, p, opts)
			if plan.Stale != tt.stale {
				t.Fatalf("Route().Stale = %v, want %v", plan.Stale, tt.stale)
			}
			if tt.stale && (len(plan.Jobs) != 0 || len(plan.Suppressed) == 0) {
				t.Errorf("stale verdict planned %d jobs and %d suppressed records, want none and some", len(plan.Jobs), len(plan.Suppressed))
			}
			if !tt.stale && (len(plan.Jobs) == 0 || len(plan.Suppressed) != 0) {
				t.Errorf("fresh verdict planned %d jobs and %d suppressed records, want some and none", len(plan.Jobs), len(plan.Suppressed))
			}
		})
	}
}
