package template_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/template"
)

var update = flag.Bool("update", false, "rewrite golden files")

func loadVerdict(t testing.TB, name string) *event.Verdict {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	v, err := event.Decode[event.Verdict](b)
	if err != nil {
		t.Fatalf("Decode(%s) = %v", name, err)
	}
	return v
}

const ackURL = "https://scamscreen.example.jp/ack/abcdefghijklmnopqrstuvwxyzaaaaaaaabbbbbbbbbbbbbbbb"

func format(r notify.Rendered) string {
	var b strings.Builder
	fmt.Fprintf(&b, "== subject ==\n%s\n", r.Subject)
	fmt.Fprintf(&b, "== text ==\n%s\n", r.Text)
	fmt.Fprintf(&b, "== sms (%d segments, %s, %d units) ==\n%s\n", r.SMSInfo.Segments, r.SMSInfo.Encoding, r.SMSInfo.Units, r.SMS)
	fmt.Fprintf(&b, "== speech ==\n%s\n", r.Speech)
	return b.String()
}

func input(tmpl, lang string, consent notify.Consent, v *event.Verdict, urgent bool) template.Input {
	in := template.Input{
		Template:   tmpl,
		Language:   lang,
		Verdict:    v,
		PersonName: "田中花子",
		Helper:     "健二",
		Consent:    consent,
		Urgent:     urgent,
		Count:      3,
		Waited:     10 * time.Minute,
		AckURL:     ackURL,
		AckByReply: true,
		Location:   time.FixedZone("JST", 9*3600),
		Kind:       event.RecipientContact,
		Household:  "tanaka",
		Person:     "hanako",
	}
	if lang == "en" {
		in.PersonName, in.Helper = "Hanako", "Kenji"
	}
	if tmpl == notify.TemplatePerson {
		in.Kind = event.RecipientPerson
	}
	if tmpl == notify.TemplateHelpdesk {
		in.Kind = event.RecipientHelpdesk
	}
	return in
}

// TestGolden renders every template in every language, consent level and
// urgency, plus the code-handover and person-summary variants, and compares
// with testdata/golden (rewrite with -update).
func TestGolden(t *testing.T) {
	normal := loadVerdict(t, "verdict_normal.json")
	urgent := loadVerdict(t, "verdict_urgent.json")
	code := loadVerdict(t, "verdict_code.json")
	type tc struct {
		name string
		in   template.Input
	}
	var cases []tc
	for _, tmpl := range []string{notify.TemplatePerson, notify.TemplateContact, notify.TemplateEscalation, notify.TemplateSummary, notify.TemplateHelpdesk} {
		for _, lang := range []string{"ja", "en"} {
			for _, consent := range []notify.Consent{notify.ConsentCategory, notify.ConsentReasons, notify.ConsentFull} {
				for _, u := range []bool{false, true} {
					v, label := normal, "normal"
					if u {
						v, label = urgent, "urgent"
					}
					cases = append(cases, tc{fmt.Sprintf("%s_%s_%s_%s", tmpl, lang, consent, label), input(tmpl, lang, consent, v, u)})
				}
			}
		}
	}
	for _, lang := range []string{"ja", "en"} {
		for _, tmpl := range []string{notify.TemplatePerson, notify.TemplateContact, notify.TemplateEscalation} {
			cases = append(cases, tc{fmt.Sprintf("%s_%s_full_code", tmpl, lang), input(tmpl, lang, notify.ConsentFull, code, true)})
		}
		in := input(notify.TemplateSummary, lang, notify.ConsentCategory, normal, false)
		in.Kind = event.RecipientPerson
		cases = append(cases, tc{"summary_" + lang + "_person", in})
		in = input(notify.TemplatePerson, lang, notify.ConsentCategory, normal, false)
		in.Helper = ""
		cases = append(cases, tc{"person_" + lang + "_nohelper", in})
		in = input(notify.TemplateContact, lang, notify.ConsentFull, urgent, true)
		in.AckURL = ""
		cases = append(cases, tc{"contact_" + lang + "_full_urgent_replyonly", in})
		in = input(notify.TemplateContact, lang, notify.ConsentReasons, normal, false)
		in.LinkInSMS = true
		cases = append(cases, tc{"contact_" + lang + "_reasons_normal_linkinsms", in})
		in = input(notify.TemplateContact, lang, notify.ConsentReasons, normal, false)
		in.AckByReply = false
		cases = append(cases, tc{"contact_" + lang + "_reasons_normal_linkonly", in})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := format(template.Render(c.in))
			path := filepath.Join("testdata", "golden", c.name+".txt")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run with -update to create): %v", err)
			}
			if d := cmp.Diff(string(want), got); d != "" {
				t.Errorf("Render(%s) differs from %s (-want +got):\n%s", c.name, path, d)
			}
		})
	}
}

// TestContactSMSBudget checks that contact texts fit the budget and keep
// the action line and the acknowledgement, whatever the consent.
func TestContactSMSBudget(t *testing.T) {
	for _, name := range []string{"verdict_normal.json", "verdict_urgent.json", "verdict_code.json"} {
		v := loadVerdict(t, name)
		for _, lang := range []string{"ja", "en"} {
			for _, consent := range []notify.Consent{notify.ConsentCategory, notify.ConsentReasons, notify.ConsentFull} {
				for _, budget := range []int{2, 3, 4} {
					in := input(notify.TemplateContact, lang, consent, v, true)
					in.MaxSegments = budget
					r := template.Render(in)
					if r.SMSInfo.Segments > budget && budget >= 3 {
						t.Errorf("Render(%s %s %s budget %d).SMSInfo.Segments = %d, want <= %d:\n%s", name, lang, consent, budget, r.SMSInfo.Segments, budget, r.SMS)
					}
					reply := "返信"
					if lang == "en" {
						reply = "reply"
					}
					if !strings.Contains(r.SMS, reply) {
						t.Errorf("Render(%s %s %s budget %d).SMS lost the acknowledgement:\n%s", name, lang, consent, budget, r.SMS)
					}
					if strings.Contains(r.SMS, ackURL) {
						t.Errorf("Render(%s %s %s budget %d).SMS has the link although replies acknowledge:\n%s", name, lang, consent, budget, r.SMS)
					}
					if !strings.Contains(r.Text, ackURL) {
						t.Errorf("Render(%s %s %s budget %d).Text lost the acknowledgement link:\n%s", name, lang, consent, budget, r.Text)
					}
					action := "いつもの番号"
					if lang == "en" {
						action = "number you already know"
					}
					if !strings.Contains(r.SMS, action) {
						t.Errorf("Render(%s %s %s budget %d).SMS lost the action line:\n%s", name, lang, consent, budget, r.SMS)
					}
					if consent == notify.ConsentCategory && strings.Contains(r.SMS, "freemail") {
						t.Errorf("Render(%s %s category).SMS shows the sender:\n%s", name, lang, r.SMS)
					}
				}
			}
		}
	}
}

// TestConsentLevels checks what each level reveals in the full text.
func TestConsentLevels(t *testing.T) {
	v := loadVerdict(t, "verdict_urgent.json")
	tests := []struct {
		consent                 notify.Consent
		sender, reason, excerpt bool
	}{
		{notify.ConsentCategory, false, false, false},
		{notify.ConsentReasons, true, true, false},
		{notify.ConsentFull, true, true, true},
	}
	for _, tt := range tests {
		r := template.Render(input(notify.TemplateContact, "ja", tt.consent, v, true))
		checks := []struct {
			what string
			sub  string
			want bool
		}{
			{"sender", "送信元:", tt.sender},
			{"reason", "口止めしています。詐欺師は", tt.reason},
			{"excerpt", "内容（一部）", tt.excerpt},
			{"category", "種類: なりすまし", true},
		}
		for _, c := range checks {
			if got := strings.Contains(r.Text, c.sub); got != c.want {
				t.Errorf("Render(consent %s).Text contains %s = %v, want %v:\n%s", tt.consent, c.what, got, c.want, r.Text)
			}
		}
		if strings.Contains(r.Text, "kenji.tanaka.1987@") {
			t.Errorf("Render(consent %s).Text shows the full sender address", tt.consent)
		}
	}
}

func TestPersonWarningIsShort(t *testing.T) {
	for _, name := range []string{"verdict_normal.json", "verdict_urgent.json", "verdict_code.json"} {
		v := loadVerdict(t, name)
		r := template.Render(input(notify.TemplatePerson, "ja", "", v, len(v.Flags) > 0))
		if r.SMSInfo.Segments > 2 {
			t.Errorf("Render(person, %s).SMSInfo.Segments = %d, want <= 2: %s", name, r.SMSInfo.Segments, r.SMS)
		}
		if !strings.Contains(r.SMS, "健二さん") {
			t.Errorf("Render(person, %s).SMS = %q, want the helper's name", name, r.SMS)
		}
	}
}

func TestSegments(t *testing.T) {
	tests := []struct {
		name     string
		s        string
		encoding string
		units    int
		segments int
	}{
		{"empty", "", template.EncodingGSM7, 0, 1},
		{"gsm single", strings.Repeat("a", 160), template.EncodingGSM7, 160, 1},
		{"gsm two", strings.Repeat("a", 161), template.EncodingGSM7, 161, 2},
		{"gsm 306", strings.Repeat("a", 306), template.EncodingGSM7, 306, 2},
		{"gsm 307", strings.Repeat("a", 307), template.EncodingGSM7, 307, 3},
		{"gsm extension counts two", strings.Repeat("€", 80), template.EncodingGSM7, 160, 1},
		{"gsm escape not split", strings.Repeat("a", 152) + "{" + strings.Repeat("a", 152), template.EncodingGSM7, 306, 3},
		{"ucs2 single", strings.Repeat("あ", 70), template.EncodingUCS2, 70, 1},
		{"ucs2 two", strings.Repeat("あ", 71), template.EncodingUCS2, 71, 2},
		{"ucs2 134", strings.Repeat("あ", 134), template.EncodingUCS2, 134, 2},
		{"ucs2 135", strings.Repeat("あ", 135), template.EncodingUCS2, 135, 3},
		{"ucs2 201", strings.Repeat("あ", 201), template.EncodingUCS2, 201, 3},
		{"one kanji makes ucs2", strings.Repeat("a", 69) + "詐", template.EncodingUCS2, 70, 1},
		{"surrogate pair", strings.Repeat("a", 66) + "😀" + "a", template.EncodingUCS2, 69, 1},
		{"surrogate not split", strings.Repeat("a", 66) + "😀" + strings.Repeat("a", 10), template.EncodingUCS2, 78, 2},
	}
	for _, tt := range tests {
		got := template.Segments(tt.s)
		want := notify.SMSInfo{Encoding: tt.encoding, Units: tt.units, Segments: tt.segments}
		if got != want {
			t.Errorf("Segments(%s) = %+v, want %+v", tt.name, got, want)
		}
	}
}

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"詳しくは https://amazon.account-verify.example.xyz/unlock?id=83920 へ", "詳しくは amazon[.]account-verify[.]example[.]xyz/… へ"},
		{"www.example.com", "www[.]example[.]com"},
		{"折り返し 050-3187-2290 まで", "折り返し 050-****-2290 まで"},
		{"電話 +81 90 1234 5678", "電話 090-****-5678"},
		{"番号 AQ4T-7VNT3K-M8PRW です", "番号 AQ**-******-***** です"},
		{"連絡先 support.desk@amazon-help.example", "連絡先 s***@amazon-help[.]example"},
		{"口座 1234567", "口座 *****67"},
		{"金額 5万円分", "金額 5万円分"},
		{"ABCDEFGHIJKLMNOP", "ABCDEFGHIJKLMNOP"},
	}
	for _, tt := range tests {
		if got := template.Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskSender(t *testing.T) {
	tests := []struct{ name, addr, want string }{
		{"", "+818049217733", "080-****-7733"},
		{"けんじ", "kenji.tanaka.1987@freemail.example", "けんじ <k***@freemail[.]example>"},
		{"", "AMAZON", "AMAZON"},
		{"Amazon", "", "Amazon"},
	}
	for _, tt := range tests {
		if got := template.MaskSender(tt.name, tt.addr); got != tt.want {
			t.Errorf("MaskSender(%q, %q) = %q, want %q", tt.name, tt.addr, got, tt.want)
		}
	}
}

func FuzzSegments(f *testing.F) {
	for _, s := range []string{"", "abc", "€{}", "詐欺", "😀a", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		info := template.Segments(s)
		if info.Segments < 1 {
			t.Fatalf("Segments(%q).Segments = %d, want >= 1", s, info.Segments)
		}
		limit := 160
		if info.Encoding == template.EncodingUCS2 {
			limit = 70
		}
		if info.Units <= limit && info.Segments != 1 {
			t.Fatalf("Segments(%q) = %+v, want 1 segment for %d units", s, info, info.Units)
		}
	})
}

func FuzzMask(f *testing.F) {
	for _, s := range []string{"https://x.example/a", "050-1234-5678", "AQ4T-7VNT3K-M8PRW", "a@b.example", "\xff", "電話０９０ー１２３４ー５６７８"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := template.Mask(s)
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("Mask(%q) = %q: invalid UTF-8 from valid input", s, got)
		}
		if l := strings.ToLower(got); strings.Contains(l, "http://") || strings.Contains(l, "https://") {
			t.Fatalf("Mask(%q) = %q still has a clickable link", s, got)
		}
	})
}
