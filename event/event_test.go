package event_test

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scamscreen/scamscreen/event"
)

var update = flag.Bool("update", false, "rewrite golden files")

func sampleMessage() *event.Message {
	return &event.Message{
		ID:         event.EmailID("h1", "mother", []byte("raw")),
		Channel:    event.ChannelEmail,
		Direction:  event.DirectionIn,
		Household:  "h1",
		Person:     "mother",
		Source:     "imap:main/INBOX",
		ReceivedAt: time.Date(2026, 11, 29, 9, 30, 0, 0, time.UTC),
		From:       event.Address{Name: "Amazon", Addr: "info@amaz0n-security.top"},
		To:         []event.Address{{Addr: "hanako@example.jp"}},
		Subject:    "アカウントがロックされました",
		Text:       "解除するにはギフト券を購入してください",
		Links:      []event.Link{{Href: "https://amaz0n-security.top/login", Text: "amazon.co.jp"}},
		Auth:       &event.Auth{SPF: "fail", DKIM: []event.DKIMResult{{Result: "none"}}, DMARC: "fail", DMARCDomain: "amaz0n-security.top"},
		Raw:        &event.Raw{Inline: []byte("raw"), Size: 3, Type: "message/rfc822"},
	}
}

func sampleVerdict() *event.Verdict {
	m := sampleMessage()
	return &event.Verdict{
		ID:         event.VerdictID(m.ID, []string{"ja@1", "en@1"}),
		MessageID:  m.ID,
		Channel:    m.Channel,
		Direction:  m.Direction,
		Household:  m.Household,
		Person:     m.Person,
		ScreenedAt: time.Date(2026, 11, 29, 9, 30, 1, 0, time.UTC),
		Engine:     "1",
		RulePacks:  []string{"ja@1", "en@1"},
		Level:      event.LevelScam,
		Score:      9.5,
		Categories: []event.Category{event.CategoryAccountLock, event.CategoryGiftCardDemand},
		Flags:      []event.Flag{event.FlagGoToShop},
		Reasons: []event.Reason{{
			Rule: "ja.gift.buy", Category: event.CategoryGiftCardDemand, Weight: 6,
			Evidence: "ギフト券を購入", Field: "text", Start: 27, End: 48,
			Explain: event.Explained{JA: "ギフト券の購入を求めています", EN: "It asks you to buy gift cards"},
		}},
		Guidance:   []string{event.GuidanceDoNotBuy},
		Indicators: event.Indicators{Domains: []string{"amaz0n-security.top"}},
	}
}

func sampleAlert() *event.Alert {
	v := sampleVerdict()
	return &event.Alert{
		ID:            event.AlertID(v.ID, "son", "sms", 0),
		VerdictID:     v.ID,
		MessageID:     v.MessageID,
		Household:     "h1",
		Person:        "mother",
		Recipient:     "son",
		RecipientKind: event.RecipientContact,
		Channel:       "sms",
		Template:      "contact",
		Language:      "ja",
		Urgent:        true,
		Status:        event.AlertSent,
		Attempts:      1,
		ProviderID:    "SM0123",
		At:            time.Date(2026, 11, 29, 9, 30, 2, 0, time.UTC),
	}
}

// TestGolden keeps one file per payload type and version; old files must
// decode forever.
func TestGolden(t *testing.T) {
	cases := []struct {
		file   string
		encode func() ([]byte, error)
		decode func([]byte) (any, error)
		want   any
	}{
		{"message.v1.json", func() ([]byte, error) { return event.Encode(sampleMessage()) },
			func(b []byte) (any, error) { return event.Decode[event.Message](b) }, sampleMessage()},
		{"verdict.v1.json", func() ([]byte, error) { return event.Encode(sampleVerdict()) },
			func(b []byte) (any, error) { return event.Decode[event.Verdict](b) }, sampleVerdict()},
		{"alert.v1.json", func() ([]byte, error) { return event.Encode(sampleAlert()) },
			func(b []byte) (any, error) { return event.Decode[event.Alert](b) }, sampleAlert()},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			if *update {
				b, err := tc.encode()
				if err != nil {
					t.Fatal(err)
				}
				var pretty map[string]any
				_ = json.Unmarshal(b, &pretty)
				b, _ = json.MarshalIndent(pretty, "", "  ")
				if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run with -update to create): %v", err)
			}
			got, err := tc.decode(b)
			if err != nil {
				t.Fatalf("decode %s: %v", path, err)
			}
			want := tc.want
			switch w := want.(type) {
			case *event.Message:
				w.V = event.Version
			case *event.Verdict:
				w.V = event.Version
			case *event.Alert:
				w.V = event.Version
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("golden %s decodes differently (-want +got):\n%s", path, d)
			}
		})
	}
}

func TestDecodeVersion(t *testing.T) {
	for _, tc := range []struct {
		in      string
		wantErr bool
	}{
		{`{"v":1,"id":"x","future_field":{"a":1}}`, false},
		{`{"id":"x"}`, true},
		{`{"v":2,"id":"x"}`, true},
		{`{"v":"1"}`, true},
		{`not json`, true},
	} {
		_, err := event.Decode[event.Message]([]byte(tc.in))
		if (err != nil) != tc.wantErr {
			t.Errorf("Decode(%s) err = %v, wantErr %v", tc.in, err, tc.wantErr)
		}
		if err != nil && strings.Contains(tc.in, `"v":2`) && !errors.Is(err, event.ErrVersion) {
			t.Errorf("Decode(%s) = %v, want ErrVersion", tc.in, err)
		}
	}
}

func TestLevelJSON(t *testing.T) {
	for _, l := range []event.Level{event.LevelClean, event.LevelSuspicious, event.LevelScam} {
		b, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		var back event.Level
		if err := json.Unmarshal(b, &back); err != nil || back != l {
			t.Errorf("round trip %v: got %v, %v", l, back, err)
		}
	}
	if _, err := json.Marshal(event.LevelUnknown); err == nil {
		t.Error("marshalling LevelUnknown succeeded; a verdict without a level must not reach the wire")
	}
	if !(event.LevelClean < event.LevelSuspicious && event.LevelSuspicious < event.LevelScam) {
		t.Error("levels are not ordered")
	}
}

func TestSubjects(t *testing.T) {
	for _, tc := range []struct {
		name    string
		got     func() (string, error)
		want    string
		wantErr bool
	}{
		{"inbound", func() (string, error) { return event.InboundSubject(event.ChannelSMS, "h1", "mother") }, "scamscreen.inbound.sms.h1.mother", false},
		{"inbound no person", func() (string, error) { return event.InboundSubject(event.ChannelEmail, "h1", "") }, "scamscreen.inbound.email.h1._", false},
		{"inbound bad channel", func() (string, error) { return event.InboundSubject("fax", "h1", "p") }, "", true},
		{"phone as person", func() (string, error) { return event.InboundSubject(event.ChannelSMS, "h1", "+81.90") }, "", true},
		{"verdict", func() (string, error) { return event.VerdictSubject("h1", "mother") }, "scamscreen.verdict.h1.mother", false},
		{"alert", func() (string, error) { return event.AlertSubject("h1", "mother") }, "scamscreen.alert.h1.mother", false},
		{"job", func() (string, error) { return event.AlertJobSubject("h1", "mother", "sms") }, "scamscreen.alert.h1.mother.job.sms", false},
		{"dead", func() (string, error) { return event.DeadSubject("screen", "", "") }, "scamscreen.dead.screen._._", false},
		{"wildcard token", func() (string, error) { return event.VerdictSubject("h*", "p") }, "", true},
		{"long token", func() (string, error) { return event.VerdictSubject(strings.Repeat("a", 65), "p") }, "", true},
	} {
		got, err := tc.got()
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q, err=%v", tc.name, got, err, tc.want, tc.wantErr)
		}
	}
}

// TestEverySubjectHasOneStream checks, by NATS wildcard rules, that each kind
// of subject is captured by exactly one stream. internal/bus repeats this
// against a real server.
func TestEverySubjectHasOneStream(t *testing.T) {
	subjects := []string{}
	add := func(s string, err error) {
		if err != nil {
			t.Fatal(err)
		}
		subjects = append(subjects, s)
	}
	add(event.InboundSubject(event.ChannelEmail, "h", "p"))
	add(event.InboundSubject(event.ChannelSMS, "", ""))
	add(event.VerdictSubject("h", "p"))
	add(event.AlertSubject("h", "p"))
	add(event.AlertJobSubject("h", "p", "sms"))
	add(event.AlertAckSubject("h", "p"))
	add(event.DeadSubject("notify", "h", "p"))
	for _, s := range subjects {
		n := 0
		for _, st := range event.Streams {
			for _, f := range st.Subjects {
				if subjectMatches(f, s) {
					n++
				}
			}
		}
		if n != 1 {
			t.Errorf("subject %s is captured by %d streams, want 1", s, n)
		}
	}
	// Audit and job filters must not overlap.
	if subjectMatches(event.AlertAuditFilter, "scamscreen.alert.h.p.job.sms") || !subjectMatches(event.AlertJobFilter, "scamscreen.alert.h.p.job.sms") || !subjectMatches(event.AlertAuditFilter, "scamscreen.alert.h.p") {
		t.Error("alert audit and job filters overlap or miss")
	}
	for _, f := range []string{event.AlertAuditFilter, event.AlertJobFilter} {
		if subjectMatches(f, "scamscreen.alert.h.p.ack") {
			t.Errorf("filter %s also selects acknowledgements", f)
		}
	}
	if !subjectMatches(event.AlertAckFilter, "scamscreen.alert.h.p.ack") {
		t.Error("ack filter misses acknowledgements")
	}
}

func subjectMatches(filter, subject string) bool {
	f, s := strings.Split(filter, "."), strings.Split(subject, ".")
	for i, tok := range f {
		if tok == ">" {
			return len(s) > i
		}
		if i >= len(s) || (tok != "*" && tok != s[i]) {
			return false
		}
	}
	return len(f) == len(s)
}

func TestSubjectTokens(t *testing.T) {
	for _, s := range []string{"scamscreen.inbound.sms.h1.p1", "scamscreen.verdict.h1.p1", "scamscreen.alert.h1.p1.job.sms", "scamscreen.dead.screen.h1.p1"} {
		h, p, ok := event.SubjectTokens(s)
		if !ok || h != "h1" || p != "p1" {
			t.Errorf("SubjectTokens(%s) = %q, %q, %v", s, h, p, ok)
		}
	}
	if _, _, ok := event.SubjectTokens("other.subject"); ok {
		t.Error("SubjectTokens accepted a foreign subject")
	}
}

func TestStableIDs(t *testing.T) {
	a := event.EmailID("h", "p", []byte("mail"))
	if a != event.EmailID("h", "p", []byte("mail")) {
		t.Error("EmailID is not stable")
	}
	if a == event.EmailID("h", "p2", []byte("mail")) || a == event.EmailID("h", "p", []byte("mail2")) {
		t.Error("EmailID collides for different inputs")
	}
	// Parts are separated, so shifting a byte between parts changes the id.
	if event.StableID("x", "ab", "c") == event.StableID("x", "a", "bc") {
		t.Error("StableID does not separate parts")
	}
	v1 := event.VerdictID(a, []string{"ja@1"})
	if v1 == event.VerdictID(a, []string{"ja@2"}) {
		t.Error("a new rule pack must give a new verdict id")
	}
	for _, id := range []string{a, v1, event.SMSID("twilio", "SM1"), event.AlertID(v1, "son", "sms", 0)} {
		for _, c := range id {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				t.Errorf("id %q has character %q outside [a-z0-9-]", id, c)
			}
		}
	}
}

func TestMessageValidate(t *testing.T) {
	m := sampleMessage()
	if err := m.Validate(); err != nil {
		t.Fatalf("valid message: %v", err)
	}
	m.Channel, m.Direction, m.Person = "fax", "sideways", "a.b"
	err := m.Validate()
	if err == nil {
		t.Fatal("invalid message passed")
	}
	for _, want := range []string{"fax", "sideways", "a.b", m.ID} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestAuthDKIMPass(t *testing.T) {
	a := &event.Auth{DKIM: []event.DKIMResult{{Result: "fail", Domain: "amazon.co.jp"}, {Result: "pass", Domain: "mail.amazon.co.jp"}}}
	if !a.DKIMPass("amazon.co.jp") {
		t.Error("subdomain signature should count")
	}
	if a.DKIMPass("zon.co.jp") || a.DKIMPass("evil.jp") {
		t.Error("unrelated domain passed")
	}
	var nilAuth *event.Auth
	if nilAuth.DKIMPass("x") {
		t.Error("nil auth passed")
	}
}

func FuzzDecodeMessage(f *testing.F) {
	for _, s := range []string{`{"v":1,"id":"a","channel":"sms"}`, `{"v":1,"raw":{"inline":"AAE="}}`, `{"v":1,"received_at":"bad"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := event.Decode[event.Message](b)
		if err != nil {
			return
		}
		if _, err := event.Encode(m); err != nil {
			t.Fatalf("re-encode of decoded message failed: %v", err)
		}
	})
}
