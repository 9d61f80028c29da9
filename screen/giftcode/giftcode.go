package giftcode

import (
	"bytes"
	"sync"
	"unicode/utf8"

	"github.com/scamscreen/scamscreen/screen/normalize"
)

// Kind is the issuer a code's format points to.
type Kind uint8

// Kinds of codes.
const (
	Amazon     Kind = iota + 1
	Apple           // Apple Gift Card, iTunes
	GooglePlay      // and other cards in groups of four
	BitCash         // 16 hiragana
	Generic         // letters and digits next to gift-card words
)

var kindNames = [...]string{"", "amazon", "apple", "google_play", "bitcash", "generic"}

// String returns the snake_case name of k.
func (k Kind) String() string {
	if int(k) < len(kindNames) && k > 0 {
		return kindNames[k]
	}
	return "unknown"
}

// Code is one code found; Start and End are byte offsets into the folded
// text.
type Code struct {
	Kind       Kind
	Start, End int
}

var (
	contextOnce  sync.Once
	contextWords [][]byte
)

// words that make a bare run of letters and digits read as a code.
func context() [][]byte {
	contextOnce.Do(func() {
		for _, w := range []string{
			"ギフト", "コード", "番号", "カード", "プリペイド", "電子マネー", "amazon", "アマゾン", "itunes",
			"apple", "google", "グーグル", "webmoney", "ウェブマネー", "bitcash", "ビットキャッシュ", "gift",
			"code", "card", "pin", "voucher", "redeem",
		} {
			contextWords = append(contextWords, []byte(normalize.String(w)))
		}
	})
	return contextWords
}

func hasContext(text []byte) bool {
	for _, w := range context() {
		if bytes.Contains(text, w) {
			return true
		}
	}
	return false
}

// Find appends the codes in folded text to dst. BitCash ids are found by
// [FindBitCash].
func Find(text []byte, dst []Code) []Code {
	ctx := -1 // unknown until needed
	needCtx := func() bool {
		if ctx < 0 {
			ctx = 0
			if hasContext(text) {
				ctx = 1
			}
		}
		return ctx == 1
	}
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case isAlnum(c):
			if i > 0 && !boundaryBefore(text[i-1]) {
				for i < len(text) && isAlnum(text[i]) {
					i++
				}
				continue
			}
			groups := scanGroups(text, i)
			end := groups[len(groups)-1][1]
			// Try runs of groups, longest first from each start, so that a
			// word joined by a space ("code aq4t-...") does not hide a code.
		search:
			for s := 0; s < len(groups); s++ {
				for e := min(len(groups), s+5); e > s; e-- {
					gs, ge := groups[s][0], groups[e-1][1]
					if ge < len(text) && !boundaryAfter(text, ge) {
						continue
					}
					k, ok := classify(text[gs:ge], groups[s:e])
					if !ok || k == Generic && !needCtx() {
						continue
					}
					dst = append(dst, Code{Kind: k, Start: gs, End: ge})
					s = e - 1
					continue search
				}
			}
			i = end
		default:
			i++
		}
	}
	return dst
}

func isAlnum(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' }

// A code stands alone: not inside a URL, an address or a longer word.
func boundaryBefore(c byte) bool {
	return !isAlnum(c) && c != '/' && c != '=' && c != '@' && c != '.' && c != '?' && c != '&' && c != '#' && c != '_' && c != '%'
}

func boundaryAfter(text []byte, end int) bool {
	c := text[end]
	if isAlnum(c) || c == '@' || c == '/' || c == '_' {
		return false
	}
	if c == '.' && end+1 < len(text) && isAlnum(text[end+1]) {
		return false // a domain
	}
	return true
}

// scanGroups reads groups of letters and digits joined by single '-' or
// ' ' (at most 64 groups) and returns their spans.
func scanGroups(text []byte, i int) [][2]int {
	var groups [][2]int
	j := i
	for {
		start := j
		for j < len(text) && isAlnum(text[j]) {
			j++
		}
		groups = append(groups, [2]int{start, j})
		if len(groups) < 64 && j+1 < len(text) && (text[j] == '-' || text[j] == ' ') && isAlnum(text[j+1]) {
			j++
			continue
		}
		return groups
	}
}

func classify(span []byte, groups [][2]int) (Kind, bool) {
	letters, digits := 0, 0
	for _, c := range span {
		switch {
		case c >= 'a' && c <= 'z':
			letters++
		case c >= '0' && c <= '9':
			digits++
		}
	}
	if letters < 2 || digits < 2 {
		return 0, false // codes mix letters and digits; words and numbers don't count
	}
	n := letters + digits
	lens := make([]int, len(groups))
	for i, g := range groups {
		lens[i] = g[1] - g[0]
	}
	first := span[0]
	switch {
	case len(lens) == 3 && lens[0] == 4 && lens[1] == 6 && lens[2] >= 4 && lens[2] <= 6:
		return Amazon, true
	case (len(lens) == 4 || len(lens) == 5) && allFour(lens):
		if first == 'x' && n == 16 {
			return Apple, true
		}
		return GooglePlay, true
	case len(lens) == 1 && n == 16 && first == 'x':
		return Apple, true
	case len(lens) == 1 && n >= 12 && n <= 20:
		return Generic, true
	}
	return 0, false
}

func allFour(g []int) bool {
	for _, x := range g {
		if x != 4 {
			return false
		}
	}
	return true
}

// FindBitCash appends the BitCash ids in original (not folded) text to dst:
// runs of exactly 16 hiragana, standing alone, in a message whose folded
// text has gift-card words. It looks at the original because folding joins
// kana across spaces and turns hiragana into katakana.
func FindBitCash(original string, folded []byte, dst []Code) []Code {
	checked, ctx := false, false
	for i := 0; i < len(original); {
		r, w := utf8.DecodeRuneInString(original[i:])
		if !isHiragana(r) {
			i += w
			continue
		}
		j, n := i, 0
		for j < len(original) {
			r, w := utf8.DecodeRuneInString(original[j:])
			if !isHiragana(r) {
				break
			}
			n++
			j += w
		}
		if n == 16 {
			if !checked {
				checked, ctx = true, hasContext(folded)
			}
			if ctx {
				dst = append(dst, Code{Kind: BitCash, Start: i, End: j})
			}
		}
		i = j
	}
	return dst
}

func isHiragana(r rune) bool { return r >= 0x3041 && r <= 0x3096 || r == 'ー' }

// Mask hides a code for display: the first two and the last two letters or
// digits stay, the rest become '*'; separators stay.
func Mask(code string) string {
	total := 0
	for _, r := range code {
		if isCodeRune(r) {
			total++
		}
	}
	out := make([]rune, 0, len(code))
	k := 0
	for _, r := range code {
		if !isCodeRune(r) {
			out = append(out, r)
			continue
		}
		if k < 2 || k >= total-2 {
			out = append(out, r)
		} else {
			out = append(out, '*')
		}
		k++
	}
	return string(out)
}

func isCodeRune(r rune) bool {
	switch {
	case r == '-', r == ' ', r == '\u3000', r == 'ー', r == '－':
		return false
	}
	return true
}
