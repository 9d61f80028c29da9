package screen_test

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/screen"
	"github.com/scamscreen/scamscreen/screen/normalize"
)

// Regex rules with bounded matches are searched only near their
// prefilter's hits. These rules have word and line anchors at the edges of
// such windows; regexWindowCases says, for each, the words every match
// contains.
const regexWindowPack = `pack: tt
version: "1"
language: en
description: windowed regexes
rules:
  - id: tt.price
    category: shopping
    weight: 1
    explain: {ja: テスト, en: test}
    regex: '\b(zorb|quin)\b[^.!?\n]{0,20}\b(for|at)\s{0,3}\$\s?\d{1,2}\b'
    prefilter: [zorb, quin]
    match: [a zorb for $5]
  - id: tt.line
    category: shopping
    weight: 1
    explain: {ja: テスト, en: test}
    regex: '(?m)^ab[^\n]{0,8}zz$'
    prefilter: [zz]
    match: [ab zz]
  - id: tt.amount
    category: shopping
    weight: 1
    explain: {ja: テスト, en: test}
    regex: '\d[\d,]{0,6}円分'
    prefilter: [円分]
    match: [5,000円分]
`

var regexWindowCases = []struct {
	rule, re string
	words    []string
}{
	{"tt.price", `\b(zorb|quin)\b[^.!?\n]{0,20}\b(for|at)\s{0,3}\$\s?\d{1,2}\b`, []string{"zorb", "quin"}},
	{"tt.line", `(?m)^ab[^\n]{0,8}zz$`, []string{"zz"}},
	{"tt.amount", `\d[\d,]{0,6}円分`, []string{"円分"}},
}

// checkRegexWindows compares the engine with the expression run over the
// whole folded text: the rule may fire only if the expression matches
// somewhere, and must fire if one of the leftmost matches holds a
// prefilter word.
func checkRegexWindows(t *testing.T, e *screen.Engine, text string) {
	t.Helper()
	v := e.Screen(&event.Message{ID: "w", Channel: event.ChannelSMS, Direction: event.DirectionIn, Text: text})
	folded := normalize.String(text)
	for _, c := range regexWindowCases {
		fired := false
		for _, r := range v.Reasons {
			fired = fired || r.Rule == c.rule
		}
		re := regexp.MustCompile(c.re)
		mustFire := false
		for _, loc := range re.FindAllStringIndex(folded, -1) {
			for _, w := range c.words {
				mustFire = mustFire || prefilterHit(w).MatchString(folded[loc[0]:loc[1]])
			}
		}
		if fired && !re.MatchString(folded) {
			t.Errorf("%s fired on %q, where the expression does not match", c.rule, folded)
		}
		if mustFire && !fired {
			t.Errorf("%s did not fire on %q, where the expression matches with its prefilter", c.rule, folded)
		}
	}
}

// prefilterHit matches w as the engine finds a keyword: a Latin word
// only as a whole word.
func prefilterHit(w string) *regexp.Regexp {
	q := regexp.QuoteMeta(w)
	if w[0] < 0x80 {
		q = `\b` + q + `\b`
	}
	return regexp.MustCompile(q)
}

func TestRegexWindows(t *testing.T) {
	e := engineWithPack(t, regexWindowPack)
	words := []string{"zorb", "quin", "xzorb", "zorbx", "for", "at", "$", "$ ", "5", "42", "123", ".", "\n", " ", " ", "ab", "zz", "zzz", "mab",
		"円分", "5,000", "1", "万", "あ", "の", "ことば", strings.Repeat("filler ", 8), strings.Repeat("ながいぶん", 6)}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		var b strings.Builder
		for n := rng.IntN(120); n >= 0; n-- {
			b.WriteString(words[rng.IntN(len(words))])
			if rng.IntN(3) > 0 {
				b.WriteByte(' ')
			}
		}
		checkRegexWindows(t, e, b.String())
		if t.Failed() {
			return
		}
	}
	// A window that starts inside a word: "xzorb" is no keyword hit and
	// no match, but cut to "zorb" it would be both. Some k puts the start
	// of quin's window there (runs of spaces fold to one, letters do not).
	for k := 0; k < 300; k++ {
		checkRegexWindows(t, e, "xzorb for $5 "+strings.Repeat("b", k)+" quin")
		if t.Failed() {
			return
		}
	}
}

func FuzzRegexWindows(f *testing.F) {
	for _, s := range []string{"a zorb for $5", "xzorb for $5 zorb", "ab zz\nab zzz\n ab zz", "1234567,000円分", "zorb " + strings.Repeat("ながい", 20) + " for $9"} {
		f.Add(s)
	}
	e := engineWithPack(f, regexWindowPack)
	f.Fuzz(func(t *testing.T, text string) {
		checkRegexWindows(t, e, text)
	})
}
