package smstest_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"testing"

	"github.com/twilio/twilio-go/client"

	"github.com/scamscreen/scamscreen/configs"
	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/sms"
	"github.com/scamscreen/scamscreen/ingest/sms/smstest"
	"github.com/scamscreen/scamscreen/screen"
	"github.com/scamscreen/scamscreen/screen/rules"
)

// TestSamplesScreen checks that each bundled sample gets the verdict it
// declares from the shipped rule packs.
func TestSamplesScreen(t *testing.T) {
	set, err := rules.LoadFS(configs.Rules, configs.RulesDir, "configs/rules")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := screen.New(set, screen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, s := range smstest.Samples() {
		if names[s.Name] {
			t.Errorf("sample name %q is used twice", s.Name)
		}
		names[s.Name] = true
		m := &event.Message{ID: s.Name, Channel: event.ChannelSMS, Direction: s.Direction, Text: s.Body,
			From: event.Address{Addr: s.Peer}, To: []event.Address{{Addr: "+819012345678"}}}
		if s.Direction == event.DirectionOut {
			m.From, m.To = event.Address{Addr: "+819012345678"}, []event.Address{{Addr: s.Peer}}
		}
		v := eng.Screen(m)
		if v.Level != s.WantLevel || (s.WantCategory != "" && !slices.Contains(v.Categories, s.WantCategory)) {
			t.Errorf("Screen(sample %s) = %s %v, want %s with %q", s.Name, v.Level, v.Categories, s.WantLevel, s.WantCategory)
		}
	}
	for _, n := range []string{"unpaid-bill", "account-lock", "relative-new-number", "ordinary", "code-handover"} {
		if !names[n] {
			t.Errorf("no sample %q", n)
		}
	}
}

func TestSignTwilioAgreesWithValidator(t *testing.T) {
	const token = "9a8b7c6d5e4f30211203f4e5d6c7b8a9"
	s, _ := smstest.SampleByName("unpaid-bill")
	p := s.TwilioParams("090-1234-5678")
	u := "https://sms.example.jp/sms/twilio?x=1"
	flat := map[string]string{}
	for k := range p {
		flat[k] = p.Get(k)
	}
	rv := client.NewRequestValidator(token)
	if sig := smstest.SignTwilio(token, u, p); !rv.Validate(u, flat, sig) {
		t.Errorf("RequestValidator rejects SignTwilio(%q, ...) = %q", u, sig)
	}
	if sig := smstest.SignTwilio(token, u, url.Values{}); rv.Validate(u, flat, sig) {
		t.Error("RequestValidator accepts a signature made without the parameters")
	}
	if p.Get("To") != "+819012345678" || p.Get("MessageSid") != s.TwilioSID() || len(s.TwilioSID()) != 34 {
		t.Errorf("TwilioParams = %v", p)
	}
}

func TestPayloads(t *testing.T) {
	for _, s := range smstest.Samples() {
		for _, f := range []string{sms.FormatScamscreen, sms.FormatSMSGateway, sms.FormatTemplate} {
			b, err := s.Payload(f, "090-1234-5678")
			if f == sms.FormatTemplate && s.Direction == event.DirectionOut {
				if err == nil {
					t.Errorf("Payload(%s, template) of an outgoing sample: no error", s.Name)
				}
				continue
			}
			if err != nil {
				t.Fatalf("Payload(%s, %s) = %v", s.Name, f, err)
			}
			if !json.Valid(b) {
				t.Errorf("Payload(%s, %s) = %s, not JSON", s.Name, f, b)
			}
		}
	}
	if _, err := smstest.Samples()[0].Payload("xml", "090-1234-5678"); err == nil {
		t.Error("Payload in an unknown format: no error")
	}
}
