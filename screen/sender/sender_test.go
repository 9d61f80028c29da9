package sender_test

import (
	"slices"
	"testing"

	"github.com/scamscreen/scamscreen/configs"
	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/screen/sender"
	"github.com/scamscreen/scamscreen/screen/urls"
)

func checker(t *testing.T) *sender.Checker {
	t.Helper()
	f, err := configs.Rules.Open("rules/brands.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	brands, err := urls.LoadBrands(f)
	if err != nil {
		t.Fatal(err)
	}
	a, err := urls.NewAnalyzer(brands, urls.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return sender.New(a)
}

func kinds(sigs []sender.Signal) []sender.Kind {
	var out []sender.Kind
	for _, s := range sigs {
		out = append(out, s.Kind)
	}
	return out
}

func TestCheck(t *testing.T) {
	c := checker(t)
	pass := &event.Auth{SPF: "pass", DKIM: []event.DKIMResult{{Result: "pass", Domain: "amazon.co.jp"}}, DMARC: "pass"}
	amazonFrom := sender.Claim{Brand: "Amazon", Field: sender.FieldFrom}
	for _, tc := range []struct {
		name string
		in   sender.Input
		want []sender.Kind
	}{
		{"display name on another domain", sender.Input{Channel: event.ChannelEmail,
			From: event.Address{Name: "Amazon.co.jp", Addr: "info@amaz-notice.top"}, Claims: []sender.Claim{amazonFrom}},
			[]sender.Kind{sender.DisplayNameBrand}},
		{"genuine and authenticated", sender.Input{Channel: event.ChannelEmail,
			From: event.Address{Name: "Amazon.co.jp", Addr: "auto-confirm@amazon.co.jp"}, Auth: pass, Claims: []sender.Claim{amazonFrom}},
			[]sender.Kind{sender.Genuine}},
		{"genuine domain, no results recorded", sender.Input{Channel: event.ChannelEmail,
			From: event.Address{Name: "Amazon.co.jp", Addr: "auto-confirm@amazon.co.jp"}, Claims: []sender.Claim{amazonFrom}},
			nil},
		{"genuine domain, forged", sender.Input{Channel: event.ChannelEmail,
			From: event.Address{Name: "Amazon.co.jp", Addr: "auto-confirm@amazon.co.jp"}, Auth: &event.Auth{SPF: "fail", DMARC: "fail"}, Claims: []sender.Claim{amazonFrom}},
			[]sender.Kind{sender.DMARCFail}},
		{"brand in a free mailbox", sender.Input{Channel: event.ChannelEmail,
			From: event.Address{Name: "Amazon", Addr: "amazon.support.jp@gmail.com"}, Claims: []sender.Claim{amazonFrom}},
			[]sender.Kind{sender.FreemailBrand}},
		{"subject header claim", sender.Input{Channel: event.ChannelEmail,
			From: event.Address{Addr: "a@b.example"}, Claims: []sender.Claim{{Brand: "Amazon", Field: sender.FieldSubject}}},
			[]sender.Kind{sender.SubjectBrand}},
		{"subject mention", sender.Input{Channel: event.ChannelEmail,
			From: event.Address{Addr: "a@b.example"}, Claims: []sender.Claim{{Brand: "Amazon", Field: sender.FieldSubjectMention}}},
			nil},
		{"body speaks as the brand", sender.Input{Channel: event.ChannelEmail,
			From: event.Address{Addr: "a@b.example"}, Claims: []sender.Claim{{Brand: "Amazon", Field: sender.FieldSelf}}},
			[]sender.Kind{sender.SelfClaimBrand}},
		{"no address, nothing to judge", sender.Input{Channel: event.ChannelEmail,
			From: event.Address{Name: "Amazon.co.jp"}, Claims: []sender.Claim{amazonFrom}},
			nil},
		{"softfail", sender.Input{Channel: event.ChannelEmail, From: event.Address{Addr: "a@b.example"}, Auth: &event.Auth{SPF: "softfail"}},
			[]sender.Kind{sender.AuthFail}},
		{"reply-to a list", sender.Input{Channel: event.ChannelEmail, From: event.Address{Addr: "a@b.example"},
			ReplyTo: []event.Address{{Addr: "list@lists.example.org"}}},
			[]sender.Kind{sender.ReplyToElsewhere}},
		{"reply-to a free mailbox", sender.Input{Channel: event.ChannelEmail, From: event.Address{Addr: "ceo@company.example.jp"},
			ReplyTo: []event.Address{{Addr: "ceo.office@gmail.com"}}},
			[]sender.Kind{sender.ReplyToFreemail}},
		{"sms from abroad claiming a carrier", sender.Input{Channel: event.ChannelSMS, From: event.Address{Addr: "+639171234567"},
			Claims: []sender.Claim{{Brand: "docomo", Field: sender.FieldText}}},
			[]sender.Kind{sender.SMSInternationalBrand}},
		{"sms from a personal mobile", sender.Input{Channel: event.ChannelSMS, From: event.Address{Addr: "090-1234-5678"},
			Claims: []sender.Claim{{Brand: "Amazon", Field: sender.FieldText}}},
			[]sender.Kind{sender.SMSMobileBrand}},
		{"sms from a short code", sender.Input{Channel: event.ChannelSMS, From: event.Address{Addr: "0005012345"},
			Claims: []sender.Claim{{Brand: "Amazon", Field: sender.FieldText}}},
			nil},
		{"sms without claims", sender.Input{Channel: event.ChannelSMS, From: event.Address{Addr: "+639171234567"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := kinds(c.Check(&tc.in, nil))
			if !slices.Equal(got, tc.want) {
				t.Errorf("Check = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestClassifySMSSender(t *testing.T) {
	for in, want := range map[string]sender.SenderType{
		"+639171234567": sender.SenderInternational, "+81 90 1234 5678": sender.SenderMobile, "09012345678": sender.SenderMobile,
		"0312345678": sender.SenderDomestic, "Amazon": sender.SenderAlphanumeric, "12345": sender.SenderShortCode,
		"010-1-202-555-0100": sender.SenderInternational, "": sender.SenderUnknown,
	} {
		if got := sender.ClassifySMSSender(in); got != want {
			t.Errorf("ClassifySMSSender(%q) = %v, want %v", in, got, want)
		}
	}
}
