package normalize

import (
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Rune classes drive the separator logic. Each input rune gets one from the
// table (for the rune it maps to); classOf computes it for runes the table
// leaves alone.
const (
	clsNone  uint8 = iota // start of a field
	clsOther              // punctuation, symbols, emoji
	clsWord               // letters and digits outside Japanese scripts
	clsKana               // katakana (hiragana is folded to it)
	clsHan                // CJK ideographs, 々, 〆
	clsSpace              // white space
	clsSep                // punctuation used to pull letters apart: . - _ * | / ・ …
	clsDash               // the long-vowel mark and dashes that imitate it
	clsDrop               // format characters: removed without trace
	clsMark               // combining marks: voiced-sound marks compose, the rest go
	clsChoon              // 一: a dash between katakana, a kanji elsewhere
)

// entry describes what one input rune becomes: n bytes of pool at off, and
// the classes of the first and last output rune.
type entry struct {
	off  uint32
	n    uint8
	set  bool // the entry exists (a nil page or unset entry means identity)
	many bool // the replacement has several runes, each folded in turn
	cls  uint8
	last uint8
}

const (
	tableLimit = 0x30000 // runes at or above this map to themselves
	pageBits   = 8
)

type page [1 << pageBits]entry

type table struct {
	pages   [tableLimit >> pageBits]*page
	pool    []byte        // replacements while building
	pstr    string        // the same bytes, sliced at run time without copying
	voiced  map[rune]rune // katakana → with dakuten
	semi    map[rune]rune // katakana → with handakuten
	ascii   [128]byte     // lower-cased byte
	asciiCl [128]uint8
}

var (
	tabOnce sync.Once
	tab     *table
)

// tables builds the fold tables on first use (a few tens of milliseconds)
// and shares them; they are immutable afterwards.
func tables() *table {
	tabOnce.Do(func() { tab = buildTable() })
	return tab
}

func (t *table) lookup(r rune) (e entry, ok bool) {
	if r >= tableLimit {
		return entry{}, false
	}
	p := t.pages[r>>pageBits]
	if p == nil {
		return entry{}, false
	}
	e = p[r&(1<<pageBits-1)]
	return e, e.set
}

func buildTable() *table {
	t := &table{voiced: map[rune]rune{}, semi: map[rune]rune{}}
	for b := 0; b < 128; b++ {
		c := byte(b)
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		t.ascii[b] = c
		t.asciiCl[b] = asciiClass(c)
	}
	for k := rune(0x30A1); k <= 0x30FA; k++ {
		if v := []rune(norm.NFC.String(string(k) + "\u3099")); len(v) == 1 {
			t.voiced[k] = v[0]
		}
		if v := []rune(norm.NFC.String(string(k) + "\u309A")); len(v) == 1 {
			t.semi[k] = v[0]
		}
	}
	// ウ is voiced to ヴ and ワ to ヷ; NFC knows both. Folded bases (シ for
	// ツ) then voice to the folded voiced form, which is what the fold of
	// the precomposed letter gives too (ヅ → ジ).
	var buf []byte
	for r := rune(0x80); r < tableLimit; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		out, cls, last, ok := mapRune(r)
		if !ok {
			continue
		}
		pg := t.pages[r>>pageBits]
		if pg == nil {
			pg = new(page)
			t.pages[r>>pageBits] = pg
		}
		buf = buf[:0]
		buf = append(buf, out...)
		pg[r&(1<<pageBits-1)] = entry{off: uint32(len(t.pool)), n: uint8(len(buf)), set: true, cls: cls, last: last,
			many: utf8.RuneCountInString(out) > 1 && cls != clsSep}
		t.pool = append(t.pool, buf...)
	}
	t.pstr = string(t.pool)
	t.pool = nil
	return t
}

func asciiClass(c byte) uint8 {
	switch {
	case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		return clsWord
	case c == ' ', c == '\t', c == '\n', c == '\r', c == '\v', c == '\f':
		return clsSpace
	case c < 0x20, c == 0x7f:
		return clsDrop
	}
	switch c {
	case '.', '-', '_', '*', '|', '/', '\\', ',', ':', ';', '~', '=':
		return clsSep
	}
	return clsOther
}

// classOf is the class of a rune that maps to itself.
func classOf(r rune) uint8 {
	switch {
	case r < 0x80:
		return asciiClass(byte(r))
	case r >= 0x30A1 && r <= 0x30FA, r >= 0x30FD && r <= 0x30FF:
		return clsKana
	case r >= 0x4E00 && r <= 0x9FFF, r >= 0x3400 && r <= 0x4DBF, r >= 0x20000 && r <= 0x3FFFF,
		r == 0x3005, r == 0x3006, r == 0x3007, r == 0x303B:
		return clsHan
	case unicode.IsLetter(r), unicode.IsDigit(r):
		return clsWord
	}
	return clsOther
}

// mapRune decides what r becomes. ok is false when r maps to itself with
// the class classOf gives, so the table can leave it out.
func mapRune(r rune) (out string, cls, last uint8, ok bool) {
	switch {
	case r == 0x3099, r == 0x309A, r == 0x309B, r == 0x309C, r == 0xFF9E, r == 0xFF9F:
		return "", clsMark, clsMark, true
	case r == 0x4E00:
		return string(r), clsChoon, clsHan, true
	case isDrop(r):
		return "", clsDrop, clsDrop, true
	case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Me, r):
		return "", clsMark, clsMark, true
	case unicode.IsSpace(r), unicode.Is(unicode.Zs, r):
		return " ", clsSpace, clsSpace, true
	case isDash(r):
		if r == 0x30FC || r == 0xFF70 {
			return "ー", clsDash, clsDash, true
		}
		return "-", clsDash, clsDash, true
	}
	var runes []rune
	for _, c := range norm.NFKC.String(string(r)) {
		c = confusable(c)
		c = unicode.ToLower(c)
		c = stripDiacritic(c)
		c = confusable(c)
		c = foldKana(c)
		if isDrop(c) || unicode.Is(unicode.Mn, c) {
			continue
		}
		if s, ok := expand[c]; ok {
			runes = append(runes, []rune(s)...)
			continue
		}
		runes = append(runes, c)
	}
	runes = cleanExpansion(runes)
	out = string(runes)
	switch {
	case len(runes) == 0:
		return "", clsDrop, clsDrop, true
	case len(runes) == 1 && isSepRune(runes[0]):
		if runes[0] == 0x30FB {
			out = "・"
		}
		return out, clsSep, clsSep, true
	case len(runes) == 1 && unicode.IsSpace(runes[0]):
		return " ", clsSpace, clsSpace, true
	case len(runes) == 1 && runes[0] != r && (isDash(runes[0]) || runes[0] == 0x4E00):
		return mapRune(runes[0]) // ⼀ (a Kangxi radical) is 一 and behaves like it
	}
	cls, last = classOf(runes[0]), classOf(runes[len(runes)-1])
	if out == string(r) && cls == classOf(r) && last == cls {
		return "", 0, 0, false
	}
	return out, cls, last, true
}

// cleanExpansion applies the context rules of the fold inside a replacement
// of several runes (㍂ is ホーン, ŀ is l·, … is ...): long-vowel marks after
// katakana go, and so do separators and spaces, unless the replacement is
// nothing but separators, which then count as one.
func cleanExpansion(runes []rune) []rune {
	if len(runes) < 2 {
		return runes
	}
	out := runes[:0:0]
	for _, c := range runes {
		switch {
		case isDash(c) && len(out) > 0 && classOf(out[len(out)-1]) == clsKana:
			continue
		case isSepRune(c) || unicode.IsSpace(c):
			continue
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return runes[:1]
	}
	return out
}

func isSepRune(r rune) bool {
	switch r {
	case '.', '-', '_', '*', '|', '/', '\\', ',', ':', ';', '~', '=',
		0x30FB, 0x00B7, 0x2022, 0x2027, 0x2219, 0x22C5, 0x2024, 0x2981:
		return true
	}
	return false
}

func isDash(r rune) bool {
	switch r {
	case 0x30FC, 0xFF70, 0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2043,
		0x2212, 0x2500, 0x2501, 0xFE58, 0xFE63, 0x2E3A, 0x2E3B:
		return true
	}
	return false
}

// isDrop reports format characters that carry no visible text: zero-width
// spaces and joiners, bidi controls, variation selectors, tag characters,
// soft hyphens and the Hangul fillers used as invisible padding.
func isDrop(r rune) bool {
	switch {
	case r < 0x20 && r != '\t' && r != '\n' && r != '\r' && r != '\v' && r != '\f', r >= 0x7F && r < 0xA0:
		return true
	case unicode.Is(unicode.Cf, r):
		return true
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF, r >= 0xE0000 && r <= 0xE007F:
		return true
	case r == 0x3164, r == 0x115F, r == 0x1160, r == 0xFFA0, r == 0x034F, r == 0x180E, r == 0xFFFC:
		return true
	}
	return false
}

// stripDiacritic turns a precomposed Latin, Greek or Cyrillic letter into its
// base letter (é → e). Japanese voiced kana are left alone: ガ is not カ.
func stripDiacritic(c rune) rune {
	if c < 0xC0 || c > 0x24F && !(c >= 0x370 && c <= 0x4FF) && !(c >= 0x1E00 && c <= 0x1FFF) {
		return c
	}
	d := norm.NFD.String(string(c))
	base, size := utf8.DecodeRuneInString(d)
	for _, m := range d[size:] {
		if !unicode.Is(unicode.Mn, m) {
			return c
		}
	}
	return base
}

// foldKana maps hiragana to katakana, small kana to large, and the katakana
// pairs that look alike to one of them.
func foldKana(c rune) rune {
	if c >= 0x3041 && c <= 0x3096 || c == 0x309D || c == 0x309E {
		c += 0x60
	}
	switch c {
	case 'ァ', 'ィ', 'ゥ', 'ェ', 'ォ', 'ャ', 'ュ', 'ョ', 'ヮ':
		c++
	case 'ヵ':
		c = 'カ'
	case 'ヶ':
		c = 'ケ'
	case 'ン':
		c = 'ソ'
	case 'ツ', 'ッ':
		c = 'シ'
	case 'ヅ':
		c = 'ジ'
	}
	if c >= 0x31F0 && c <= 0x31FF { // small katakana extension
		if m, ok := smallExt[c]; ok {
			c = m
		}
	}
	return c
}

var smallExt = map[rune]rune{
	0x31F0: 'ク', 0x31F1: 'シ', 0x31F2: 'ス', 0x31F3: 'ト', 0x31F4: 'ヌ', 0x31F5: 'ハ',
	0x31F6: 'ヒ', 0x31F7: 'フ', 0x31F8: 'ヘ', 0x31F9: 'ホ', 0x31FA: 'ム', 0x31FB: 'ラ',
	0x31FC: 'リ', 0x31FD: 'ル', 0x31FE: 'レ', 0x31FF: 'ロ',
}

// expand lists letters whose case fold is more than one letter.
var expand = map[rune]string{'ß': "ss", 'æ': "ae", 'œ': "oe", 'ĳ': "ij", 'ﬀ': "ff", 'ﬁ': "fi", 'ﬂ': "fl"}

// confusable maps letters of other scripts that look like Latin letters to
// those letters. Upper case is mapped before folding because some letters
// imitate Latin only in one case (Cyrillic Н looks like H, н does not).
// This is a small hand-made subset of Unicode's confusables, limited to what
// disguises brand names; it is not UTS #39.
func confusable(c rune) rune {
	if m, ok := confusables[c]; ok {
		return m
	}
	return c
}

var confusables = map[rune]rune{
	// Cyrillic upper case.
	'А': 'A', 'В': 'B', 'Е': 'E', 'Ё': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P',
	'С': 'C', 'Т': 'T', 'У': 'Y', 'Х': 'X', 'Ѕ': 'S', 'І': 'I', 'Ї': 'I', 'Ј': 'J', 'Ԁ': 'D',
	'Ԛ': 'Q', 'Ԝ': 'W', 'Ӏ': 'l', 'Ү': 'Y', 'Һ': 'h',
	// Cyrillic lower case.
	'а': 'a', 'е': 'e', 'ё': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y', 'х': 'x', 'ѕ': 's',
	'і': 'i', 'ї': 'i', 'ј': 'j', 'һ': 'h', 'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w', 'ӏ': 'l', 'ү': 'y',
	'ғ': 'f', 'ɡ': 'g', 'ո': 'n', 'ս': 'u',
	// Greek upper case.
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Ζ': 'Z', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M', 'Ν': 'N',
	'Ο': 'O', 'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X',
	// Greek lower case.
	'α': 'a', 'ο': 'o', 'ρ': 'p', 'ν': 'v', 'ι': 'i', 'κ': 'k', 'τ': 't', 'υ': 'u', 'χ': 'x',
	'ε': 'e', 'η': 'n', 'μ': 'u', 'ϲ': 'c', 'ϳ': 'j',
	// Latin small capitals and other Latin look-alikes.
	'ᴀ': 'a', 'ʙ': 'b', 'ᴄ': 'c', 'ᴅ': 'd', 'ᴇ': 'e', 'ɢ': 'g', 'ʜ': 'h', 'ɪ': 'i', 'ᴊ': 'j',
	'ᴋ': 'k', 'ʟ': 'l', 'ᴍ': 'm', 'ɴ': 'n', 'ᴏ': 'o', 'ᴘ': 'p', 'ǫ': 'q', 'ʀ': 'r', 'ꜱ': 's',
	'ᴛ': 't', 'ᴜ': 'u', 'ᴠ': 'v', 'ᴡ': 'w', 'ʏ': 'y', 'ᴢ': 'z', 'ı': 'i', 'ȷ': 'j', 'ɑ': 'a',
	'ø': 'o', 'Ø': 'O', 'đ': 'd', 'Đ': 'D', 'ł': 'l', 'Ł': 'L', 'ħ': 'h', 'ŀ': 'l', 'ɩ': 'i',
	// Cherokee and Lisu capitals that copy Latin ones.
	'Ꭺ': 'A', 'Ᏼ': 'B', 'Ꮯ': 'C', 'Ꭰ': 'D', 'Ꭼ': 'E', 'Ꮐ': 'G', 'Ꮋ': 'H', 'Ꭵ': 'i', 'Ꭻ': 'J',
	'Ꮶ': 'K', 'Ꮮ': 'L', 'Ꮇ': 'M', 'Ꮲ': 'P', 'Ꮪ': 'S', 'Ꭲ': 'T', 'Ꮩ': 'V', 'Ꮃ': 'W', 'Ꮓ': 'Z',
	'ꓮ': 'A', 'ꓐ': 'B', 'ꓚ': 'C', 'ꓓ': 'D', 'ꓰ': 'E', 'ꓝ': 'F', 'ꓖ': 'G', 'ꓧ': 'H', 'ꓲ': 'I',
	'ꓙ': 'J', 'ꓗ': 'K', 'ꓡ': 'L', 'ꓟ': 'M', 'ꓠ': 'N', 'ꓳ': 'O', 'ꓑ': 'P', 'ꓣ': 'R', 'ꓢ': 'S',
	'ꓔ': 'T', 'ꓴ': 'U', 'ꓦ': 'V', 'ꓪ': 'W', 'ꓫ': 'X', 'ꓬ': 'Y', 'ꓜ': 'Z',
}
