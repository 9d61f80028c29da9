package screen_test

import (
	"strings"
	"testing"

	"github.com/scamscreen/scamscreen/event"
)

// TestUnlessIsLocal: an unless-keyword vetoes the rule's keywords near it
// (within 30 characters), not the whole message, so a lure cannot silence
// a rule by quoting a warning in another sentence.
func TestUnlessIsLocal(t *testing.T) {
	e := engineWithPack(t, `pack: tt
version: "1"
language: en
description: local vetoes
rules:
  - id: tt.pair
    category: gift_card_demand
    weight: 1
    explain: {ja: テスト, en: test}
    all: [[zorblax], [quintor]]
    within: 60
    unless: [never]
    match: [zorblax quintor]
  - id: tt.regex
    category: gift_card_demand
    weight: 1
    explain: {ja: テスト, en: test}
    regex: 'zorblax \d+'
    prefilter: [zorblax]
    unless: [never]
    match: [zorblax 42]
`)
	far := " " + strings.Repeat("filler words ", 4) + "and more. "
	for _, tt := range []struct {
		text        string
		pair, regex bool
	}{
		{"zorblax quintor 42", true, false},
		{"a zorblax 42 here", false, true},
		{"never share a zorblax quintor", false, false},
		{"never a zorblax 42", false, false},
		{"zorblax quintor, zorblax 42." + far + "Never share them.", true, true},
		{"never zorblax quintor." + far + "zorblax quintor", true, false},
		{"never zorblax." + far + "quintor", false, false},
	} {
		v := e.Screen(&event.Message{ID: "v", Channel: event.ChannelSMS, Direction: event.DirectionIn, Text: tt.text})
		got := map[string]bool{}
		for _, r := range v.Reasons {
			got[r.Rule] = true
		}
		if got["tt.pair"] != tt.pair || got["tt.regex"] != tt.regex {
			t.Errorf("%q: tt.pair %v, tt.regex %v; want %v, %v", tt.text, got["tt.pair"], got["tt.regex"], tt.pair, tt.regex)
		}
	}
}
