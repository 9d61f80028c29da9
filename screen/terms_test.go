package screen_test

import (
	"testing"

	"github.com/scamscreen/scamscreen/event"
)

// TestKeywordInSeveralLists: a keyword may stand in more than one of a
// rule's lists ("bail" is both the trouble and the money), and one
// occurrence of it then satisfies each of them, with a window or without.
func TestKeywordInSeveralLists(t *testing.T) {
	e := engineWithPack(t, `pack: tt
version: "1"
language: en
description: shared keywords
rules:
  - id: tt.windowed
    category: impersonation
    weight: 1
    explain: {ja: テスト, en: test}
    all: [[zorblax], [quintor, bail], [bail, wexley]]
    within: 40
    match: [zorblax needs bail]
  - id: tt.anywhere
    category: impersonation
    weight: 1
    explain: {ja: テスト, en: test}
    all: [[zorblax], [quintor, bail], [bail, wexley]]
    match: [zorblax needs bail]
`)
	for _, tt := range []struct {
		text string
		want bool
	}{
		{"zorblax needs bail", true},
		{"zorblax, quintor and wexley", true},
		{"zorblax and quintor", false},
		{"bail for a quintor", false},
	} {
		v := e.Screen(&event.Message{ID: "k", Channel: event.ChannelSMS, Direction: event.DirectionIn, Text: tt.text})
		for _, id := range []string{"tt.windowed", "tt.anywhere"} {
			fired := false
			for _, r := range v.Reasons {
				fired = fired || r.Rule == id
			}
			if fired != tt.want {
				t.Errorf("%s on %q: fired %v, want %v", id, tt.text, fired, tt.want)
			}
		}
	}
}
