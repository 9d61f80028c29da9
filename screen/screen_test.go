package screen_test

import (
	"strings"
	"testing"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/screen"
	"github.com/scamscreen/scamscreen/screen/rules"
)

func reasonOf(v event.Verdict, rule string) (event.Reason, bool) {
	for _, r := range v.Reasons {
		if r.Rule == rule {
			return r, true
		}
	}
	return event.Reason{}, false
}

// TestEvidenceQuotesOriginal checks that every reason's offsets point at the
// words it quotes, in the field it names, however disguised they were.
func TestEvidenceQuotesOriginal(t *testing.T) {
	e := engine(t)
	msgs := []event.Message{
		{Channel: event.ChannelSMS, Text: "今すぐｺﾝﾋﾞﾆでＡｍａｚｏｎギ フ ト 券を５万円分購入し、裏面の番号を写真で送ってください。050-1234-5678"},
		{Channel: event.ChannelEmail, Subject: "【Amazon】アカウントが一時停止されました", From: event.Address{Name: "Amazon", Addr: "no-reply@amaz0n-support.top"},
			Text: "本人確認のため https://amaz0n-support.top/login からログインしてください。24時間以内にご確認いただけない場合、アカウントを停止します。"},
		{Channel: event.ChannelSMS, Direction: event.DirectionOut, Text: "言われた通り番号送ります ＡＱ４Ｔ－７ＶＮＴ３Ｋ－Ｍ８ＰＲＷ"},
	}
	for _, m := range msgs {
		m.ID = "t"
		if m.Direction == "" {
			m.Direction = event.DirectionIn
		}
		v := e.Screen(&m)
		if v.Level < event.LevelSuspicious {
			t.Errorf("%q: verdict %v, want flagged", m.Text, v.Level)
		}
		for _, r := range v.Reasons {
			var src string
			switch r.Field {
			case "text":
				src = m.Text
			case "subject":
				src = m.Subject
			default:
				continue
			}
			if r.End <= r.Start || r.End > len(src) {
				t.Errorf("%s: offsets %d..%d outside %s (%d bytes)", r.Rule, r.Start, r.End, r.Field, len(src))
				continue
			}
			q := src[r.Start:r.End]
			if strings.HasPrefix(r.Rule, "code.") {
				if len([]rune(q)) != len([]rune(r.Evidence)) || q == r.Evidence {
					t.Errorf("%s: evidence %q should be the masked form of %q", r.Rule, r.Evidence, q)
				}
				continue
			}
			if !strings.Contains(r.Evidence, q) && !strings.Contains(q, strings.Split(r.Evidence, " … ")[0]) {
				t.Errorf("%s: evidence %q does not quote %s[%d:%d] = %q", r.Rule, r.Evidence, r.Field, r.Start, r.End, q)
			}
		}
	}
}

func TestGiftCardChainQuote(t *testing.T) {
	e := engine(t)
	m := &event.Message{ID: "t", Channel: event.ChannelSMS, Direction: event.DirectionIn,
		Text: "お世話になります。今すぐｺﾝﾋﾞﾆでＡｍａｚｏｎギ フ ト 券を購入し、裏面の番号を送ってください。"}
	v := e.Screen(m)
	r, ok := reasonOf(v, "ja.gift.buy_and_send_code")
	if !ok {
		t.Fatalf("chain rule did not fire: %+v", v.Reasons)
	}
	if want := "ギ フ ト 券を購入し、裏面の番号を送ってください"; r.Evidence != want {
		t.Errorf("evidence = %q, want %q", r.Evidence, want)
	}
	if m.Text[r.Start:r.End] != r.Evidence {
		t.Errorf("offsets quote %q", m.Text[r.Start:r.End])
	}
	if !v.HasFlag(event.FlagGoToShop) || v.Level != event.LevelScam {
		t.Errorf("verdict %v flags %v, want scam with go_to_shop", v.Level, v.Flags)
	}
	for _, g := range []string{event.GuidanceDoNotBuy, event.GuidanceKeepEvidence} {
		found := false
		for _, x := range v.Guidance {
			found = found || x == g
		}
		if !found {
			t.Errorf("guidance %v lacks %s", v.Guidance, g)
		}
	}
}

func TestModifiersAloneDoNotFlag(t *testing.T) {
	e := engine(t)
	for _, text := range []string{"今すぐ来て！誰にも言わないでね、サプライズだから", "Urgent: don't tell anyone, it's a surprise party right now!"} {
		v := e.Screen(&event.Message{ID: "t", Channel: event.ChannelSMS, Direction: event.DirectionIn, Text: text})
		if v.Level != event.LevelClean || v.Score != 0 {
			t.Errorf("%q: %v score %v, want clean 0 (modifiers alone)", text, v.Level, v.Score)
		}
	}
}

func TestWindowLimitsDistance(t *testing.T) {
	e := engine(t)
	near := "ギフト券を買って番号を送ってください"
	far := "ギフト券を買って" + strings.Repeat("今日はとても良い天気で、散歩に行きました。", 20) + "番号を送ってください"
	for _, tc := range []struct {
		text string
		want bool
	}{{near, true}, {far, false}} {
		v := e.Screen(&event.Message{ID: "t", Channel: event.ChannelSMS, Direction: event.DirectionIn, Text: tc.text})
		if _, got := reasonOf(v, "ja.gift.buy_and_send_code"); got != tc.want {
			t.Errorf("window: fired = %v for %d characters, want %v", got, len([]rune(tc.text)), tc.want)
		}
	}
}

func TestFieldsDoNotJoin(t *testing.T) {
	e := engine(t)
	// "ギフト" ends the subject and "券" begins the body: no keyword spans fields.
	v := e.Screen(&event.Message{ID: "t", Channel: event.ChannelEmail, Direction: event.DirectionIn, Subject: "ギフト", Text: "券のみ"})
	if _, ok := reasonOf(v, "ja.shop.giftcard_only"); ok {
		t.Error("a keyword matched across subject and body")
	}
}

func TestDirectionScopes(t *testing.T) {
	e := engine(t)
	code := "AQ4T-7VNT3K-M8PRW"
	in := e.Screen(&event.Message{ID: "t", Channel: event.ChannelSMS, Direction: event.DirectionIn, Text: code})
	out := e.Screen(&event.Message{ID: "t", Channel: event.ChannelSMS, Direction: event.DirectionOut, Text: code})
	if in.Level != event.LevelClean || out.Level != event.LevelScam || !out.Has(event.CategoryCodeHandover) || !out.HasFlag(event.FlagCodeSent) {
		t.Errorf("code in: %v; code out: %v %v %v", in.Level, out.Level, out.Categories, out.Flags)
	}
	if out.Indicators.Codes != 1 {
		t.Errorf("indicators count %d codes, want 1", out.Indicators.Codes)
	}
	for _, r := range out.Reasons {
		if strings.Contains(r.Evidence, "7VNT3K") {
			t.Errorf("reason %s quotes the whole code: %q", r.Rule, r.Evidence)
		}
	}
}

func TestVerdictIdentity(t *testing.T) {
	e := engine(t)
	m := &event.Message{ID: "msg-1", Channel: event.ChannelSMS, Direction: event.DirectionIn, Household: "h", Person: "p", Text: "hello"}
	v := e.Screen(m)
	if v.ID != event.VerdictID("msg-1", e.RulePacks()) || v.MessageID != "msg-1" || v.Household != "h" || v.Person != "p" {
		t.Errorf("verdict identity %+v", v)
	}
	if v.Engine != screen.Version || len(v.RulePacks) != 3 {
		t.Errorf("verdict engine %q packs %v", v.Engine, v.RulePacks)
	}
	if v.Categories == nil || v.Reasons == nil {
		t.Error("clean verdict has nil categories or reasons (must encode as [])")
	}
}

func TestIndicators(t *testing.T) {
	e := engine(t)
	v := e.Screen(&event.Message{ID: "t", Channel: event.ChannelSMS, Direction: event.DirectionIn, From: event.Address{Addr: "+639171234567"},
		Text: "未納料金があります。本日中に050-1234-5678へ。詳細 https://pay-check.top/x と https://www.amazon.co.jp/"})
	if v.Indicators.SenderKey != "+639171234567" || len(v.Indicators.Phones) != 1 || v.Indicators.Phones[0] != "+815012345678" {
		t.Errorf("indicators %+v", v.Indicators)
	}
	if len(v.Indicators.Domains) != 1 || v.Indicators.Domains[0] != "pay-check.top" {
		t.Errorf("domains %v, want only the non-brand domain", v.Indicators.Domains)
	}
}

func TestOptionsValidate(t *testing.T) {
	set, err := rules.LoadFS(configsRules(), "rules", "rules")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := screen.New(set, screen.Options{Suspicious: 5, Scam: 4}); err == nil {
		t.Error("New accepted scam < suspicious")
	}
	e, err := screen.New(set, screen.Options{Suspicious: 1, Scam: 2})
	if err != nil {
		t.Fatal(err)
	}
	v := e.Screen(&event.Message{ID: "t", Channel: event.ChannelSMS, Direction: event.DirectionIn, Text: "携帯を変えたよ、こっちに連絡して"})
	if v.Level == event.LevelClean {
		t.Errorf("lower thresholds did not flag: %v %+v", v.Score, v.Reasons)
	}
}

func TestBlocklist(t *testing.T) {
	set, _ := rules.LoadFS(configsRules(), "rules", "rules")
	bl, err := screen.LoadBlocklist(strings.NewReader("# police list\n050-9999-0000\n*.evil-pay.top\n"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := screen.New(set, screen.Options{Blocklist: bl})
	if err != nil {
		t.Fatal(err)
	}
	v := e.Screen(&event.Message{ID: "t", Channel: event.ChannelSMS, Direction: event.DirectionIn, Text: "連絡は 050-9999-0000 または https://login.evil-pay.top/"})
	for _, want := range []string{"phone.known_fraud", "url.known_bad_domain"} {
		if _, ok := reasonOf(v, want); !ok {
			t.Errorf("blocklisted message lacks %s: %+v", want, v.Reasons)
		}
	}
	if _, err := screen.LoadBlocklist(strings.NewReader("not a number or domain!!\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("LoadBlocklist of junk = %v, want an error naming line 1", err)
	}
}

func FuzzScreen(f *testing.F) {
	f.Add("ギフト券を買って番号を送って", "【Amazon】", "Amazon <a@b.top>", false)
	f.Add("AQ4T-7VNT3K-M8PRW", "", "", true)
	f.Add("hxxps://amazon[.]co[.]jp@evil.top/ 050-1234-5678 ｱﾏｿﾞﾝ", "subj", "+639171234567", false)
	f.Fuzz(func(t *testing.T, text, subject, from string, out bool) {
		e := engine(t)
		m := &event.Message{ID: "f", Channel: event.ChannelEmail, Direction: event.DirectionIn, Text: text, Subject: subject, From: event.Address{Name: from, Addr: from}}
		if out {
			m.Direction, m.Channel = event.DirectionOut, event.ChannelSMS
		}
		v := e.Screen(m)
		if v.Level == event.LevelUnknown {
			t.Fatal("no level")
		}
		for _, r := range v.Reasons {
			var src string
			switch r.Field {
			case "text":
				src = text
			case "subject":
				src = subject
			default:
				continue
			}
			if r.Start < 0 || r.End > len(src) || r.Start > r.End {
				t.Fatalf("%s: offsets %d..%d outside %d bytes", r.Rule, r.Start, r.End, len(src))
			}
		}
	})
}
