package urls

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// maxLabel is the longest label (in runes) that look-alike checks consider.
const maxLabel = 63

// skeleton holds two folded forms of a label, built without allocating:
//
//   - lite: lower case, with letters of other scripts that look like a Latin
//     letter (Cyrillic "а", Greek "ο", Armenian "օ", small capitals,
//     accented letters) replaced by that letter; digits and '-' kept; '_'
//     becomes '-'; anything else becomes '?', which matches nothing;
//   - skel: lite with the digit swaps 0→o 1→l 3→e 5→s, i→l, and the
//     multi-letter look-alikes rn→m, vv→w, cl→d.
//
// x/text has no UTS #39 confusables table (DEPENDENCIES.md §9); this is a
// small hand-made subset aimed at domain names.
type skeleton struct {
	lite  [maxLabel]byte
	sk    [maxLabel]byte
	off   [maxLabel + 1]uint8 // off[i]: index in lite of sk[i]; off[ns] = nl
	nl    int
	ns    int
	runes int // runes in the label; > maxLabel means it was cut
}

func (s *skeleton) liteBytes() []byte { return s.lite[:s.nl] }
func (s *skeleton) skel() []byte      { return s.sk[:s.ns] }

// build fills s from a label (ASCII or Unicode).
func (s *skeleton) build(label string) {
	s.nl, s.ns, s.runes = 0, 0, 0
	for i := 0; i < len(label); {
		r, w := decodeAt(label, i)
		i += w
		s.runes++
		if s.nl == maxLabel {
			continue
		}
		s.lite[s.nl] = liteByte(r)
		s.nl++
	}
	s.finish()
}

// finish computes the skeleton from s.lite[:s.nl].
func (s *skeleton) finish() {
	s.ns = 0
	for j := 0; j < s.nl; {
		a := skelByte(s.lite[j])
		if j+1 < s.nl {
			b := skelByte(s.lite[j+1])
			var m byte
			switch {
			case a == 'r' && b == 'n':
				m = 'm'
			case a == 'v' && b == 'v':
				m = 'w'
			case a == 'c' && b == 'l':
				m = 'd'
			}
			if m != 0 {
				s.sk[s.ns], s.off[s.ns] = m, uint8(j)
				s.ns++
				j += 2
				continue
			}
		}
		s.sk[s.ns], s.off[s.ns] = a, uint8(j)
		s.ns++
		j++
	}
	s.off[s.ns] = uint8(s.nl)
}

func skelByte(c byte) byte {
	switch c {
	case '0':
		return 'o'
	case '1', 'i':
		return 'l'
	case '3':
		return 'e'
	case '5':
		return 's'
	}
	return c
}

// liteByte folds one rune to a lower-case ASCII letter, digit or '-', or
// '?' when it looks like none.
func liteByte(r rune) byte {
	if r < utf8.RuneSelf {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9', r == '-':
			return byte(r)
		case 'A' <= r && r <= 'Z':
			return byte(r + 'a' - 'A')
		case r == '_':
			return '-'
		}
		return '?'
	}
	r = unicode.ToLower(r)
	if c := confusable(r); c != 0 {
		return c
	}
	// Accented Latin letters: the first rune of the canonical decomposition.
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	if d := norm.NFD.Properties(buf[:n]).Decomposition(); len(d) > 0 && d[0] < utf8.RuneSelf {
		return liteByte(rune(d[0]))
	}
	return '?'
}

// confusable maps lower-case letters of other scripts that are commonly
// used as Latin homoglyphs in domain names.
func confusable(r rune) byte {
	switch r {
	// Cyrillic
	case 'а':
		return 'a'
	case 'в', 'ь', 'ъ':
		return 'b'
	case 'с', 'ϲ':
		return 'c'
	case 'ԁ':
		return 'd'
	case 'е', 'ё', 'ε':
		return 'e'
	case 'һ', 'н':
		return 'h'
	case 'і', 'ї', 'ι', 'ɩ', 'ı', 'ɪ':
		return 'i'
	case 'ј', 'ϳ', 'ȷ':
		return 'j'
	case 'к', 'κ':
		return 'k'
	case 'ӏ', 'ʟ', 'ℓ':
		return 'l'
	case 'м':
		return 'm'
	case 'п', 'η', 'ո':
		return 'n'
	case 'о', 'ο', 'օ', 'ø', 'σ':
		return 'o'
	case 'р', 'ρ':
		return 'p'
	case 'ԛ', 'զ':
		return 'q'
	case 'г', 'ʀ':
		return 'r'
	case 'ѕ', 'ꜱ':
		return 's'
	case 'т', 'τ', 'ŧ':
		return 't'
	case 'υ', 'ս', 'μ', 'ᴜ':
		return 'u'
	case 'ν', 'ᴠ':
		return 'v'
	case 'ԝ', 'ш', 'ω', 'ᴡ':
		return 'w'
	case 'х', 'χ':
		return 'x'
	case 'у', 'γ', 'ʏ':
		return 'y'
	case 'ɑ', 'α', 'ᴀ':
		return 'a'
	case 'β', 'ʙ':
		return 'b'
	case 'ᴄ':
		return 'c'
	case 'ᴅ', 'đ':
		return 'd'
	case 'ᴇ':
		return 'e'
	case 'ғ':
		return 'f'
	case 'ɡ', 'ɢ', 'ց':
		return 'g'
	case 'ʜ', 'հ', 'ħ':
		return 'h'
	case 'ᴊ':
		return 'j'
	case 'ᴋ':
		return 'k'
	case 'ł':
		return 'l'
	case 'ᴍ':
		return 'm'
	case 'ɴ':
		return 'n'
	case 'ᴏ':
		return 'o'
	case 'ᴘ':
		return 'p'
	case 'ᴛ':
		return 't'
	case 'ᴢ':
		return 'z'
	}
	return 0
}

// within1 reports whether the Damerau-Levenshtein distance between a and b
// is at most 1 (one substitution, insertion, deletion or transposition of
// neighbours).
func within1(a []byte, b string) bool {
	if len(a) == len(b) {
		i := 0
		for i < len(a) && a[i] == b[i] {
			i++
		}
		if i == len(a) || string(a[i+1:]) == b[i+1:] {
			return true // equal, or one substitution
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && string(a[i+2:]) == b[i+2:]
	}
	if len(a) == len(b)+1 {
		i := 0
		for i < len(b) && a[i] == b[i] {
			i++
		}
		return string(a[i+1:]) == b[i:] // a has one extra byte
	}
	if len(a)+1 == len(b) {
		i := 0
		for i < len(a) && a[i] == b[i] {
			i++
		}
		return string(a[i:]) == b[i+1:] // b has one extra byte
	}
	return false
}

// Scripts for the mixed-script check.
const (
	scLatin = 1 << iota
	scCyrillic
	scGreek
	scArmenian
	scHan
	scHiragana
	scKatakana
	scHangul
	scOther
)

// mixedScript reports whether a Unicode label mixes scripts in a way no
// honest name does: Latin with Cyrillic, Greek or Armenian, and so on.
// Japanese (Latin with Han, Hiragana and Katakana) and Korean (Latin with
// Han and Hangul) mixes are normal, as UTS #39's "highly restrictive"
// level allows. Digits, '-' and combining marks belong to no script.
func mixedScript(label string) bool {
	set := 0
	for _, r := range label {
		switch {
		case r < utf8.RuneSelf:
			if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
				set |= scLatin
			}
		case unicode.Is(unicode.Latin, r):
			set |= scLatin
		case unicode.Is(unicode.Cyrillic, r):
			set |= scCyrillic
		case unicode.Is(unicode.Greek, r):
			set |= scGreek
		case unicode.Is(unicode.Armenian, r):
			set |= scArmenian
		case unicode.Is(unicode.Han, r):
			set |= scHan
		case unicode.Is(unicode.Hiragana, r):
			set |= scHiragana
		case unicode.Is(unicode.Katakana, r) || r == 0x30FC:
			set |= scKatakana
		case unicode.Is(unicode.Hangul, r):
			set |= scHangul
		case unicode.In(r, unicode.Common, unicode.Inherited):
		default:
			set |= scOther
		}
	}
	if set&(set-1) == 0 {
		return false // at most one script
	}
	const japanese = scLatin | scHan | scHiragana | scKatakana
	const korean = scLatin | scHan | scHangul
	return set&^japanese != 0 && set&^korean != 0
}
