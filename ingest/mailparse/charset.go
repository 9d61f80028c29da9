package mailparse

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding/japanese"
)

// csKind is the decoder a charset label (or the detector) selects.
type csKind uint8

const (
	csNone      csKind = iota // no label, or a label nobody knows: detect
	csASCII                   // us-ascii and its aliases
	csUTF8                    // utf-8 and its aliases
	csISO2022JP               // iso-2022-jp and every variant we read as it
	csShiftJIS                // shift_jis, cp932, windows-31j, ...
	csEUCJP                   // euc-jp and its vendor variants
	csLatin                   // windows-1252, which supersedes iso-8859-1 in practice
	csOther                   // a label go-message's charset table decodes
)

func (k csKind) japanese() bool { return k == csISO2022JP || k == csShiftJIS || k == csEUCJP }

// charsetAliases maps lower-case labels to the decoder we use. It covers
// the labels go-message's table lacks (cp932, cp5022x, iso-2022-jp-ms,
// iso-2022-jp-2, ...) and pins the Japanese and Western ones to our own
// mislabel-aware decoders. It is never written after initialisation.
var charsetAliases = map[string]csKind{
	// No label or a placeholder: detect.
	"": csNone, "default": csNone, "unknown": csNone, "x-unknown": csNone, "none": csNone,
	"unknown-8bit": csNone, "x-user-defined": csNone, "charset": csNone, "8bit": csNone,

	"us-ascii": csASCII, "ascii": csASCII, "us": csASCII, "ansi_x3.4-1968": csASCII,
	"ansi_x3.4-1986": csASCII, "iso646-us": csASCII, "iso-ir-6": csASCII, "cp367": csASCII,
	"ibm367": csASCII, "csascii": csASCII, "iso_646.irv:1991": csASCII, "7bit": csASCII,

	"utf-8": csUTF8, "utf8": csUTF8, "utf_8": csUTF8, "unicode-1-1-utf-8": csUTF8,
	"x-unicode20utf8": csUTF8, "x-utf_8j": csUTF8, "csutf8": csUTF8, "unicode-2-0-utf-8": csUTF8,

	"iso-2022-jp": csISO2022JP, "iso2022jp": csISO2022JP, "iso_2022_jp": csISO2022JP,
	"iso2022-jp": csISO2022JP, "csiso2022jp": csISO2022JP, "jis": csISO2022JP,
	"jis_encoding": csISO2022JP, "csjisencoding": csISO2022JP, "x-iso-2022-jp": csISO2022JP,
	"iso-2022-jp-1": csISO2022JP, "iso-2022-jp-2": csISO2022JP, "csiso2022jp2": csISO2022JP,
	"iso-2022-jp-3": csISO2022JP, "iso-2022-jp-2004": csISO2022JP, "iso-2022-jp-ms": csISO2022JP,
	"iso-2022-jp-ext": csISO2022JP, "cp50220": csISO2022JP, "cp50221": csISO2022JP,
	"cp50222": csISO2022JP, "x-cp50220": csISO2022JP, "x-cp50221": csISO2022JP,
	"x-cp50222": csISO2022JP, "windows-50220": csISO2022JP, "windows-50221": csISO2022JP,
	"windows-50222": csISO2022JP,

	"shift_jis": csShiftJIS, "shift-jis": csShiftJIS, "shiftjis": csShiftJIS, "sjis": csShiftJIS,
	"x-sjis": csShiftJIS, "s-jis": csShiftJIS, "s_jis": csShiftJIS, "ms_kanji": csShiftJIS,
	"csshiftjis": csShiftJIS, "cp932": csShiftJIS, "ms932": csShiftJIS, "ms-932": csShiftJIS,
	"windows-31j": csShiftJIS, "cswindows31j": csShiftJIS, "x-ms-cp932": csShiftJIS,
	"windows-932": csShiftJIS, "ibm-943": csShiftJIS, "ibm943": csShiftJIS, "cp943": csShiftJIS,
	"cp943c": csShiftJIS, "shift_jisx0213": csShiftJIS, "shift_jis-2004": csShiftJIS,
	"shift_jis2004": csShiftJIS, "shift_jis_2004": csShiftJIS, "x-shift_jis": csShiftJIS,
	"sjis-win": csShiftJIS, "sjis-open": csShiftJIS, "x-mac-japanese": csShiftJIS,
	"macjapanese": csShiftJIS,

	"euc-jp": csEUCJP, "eucjp": csEUCJP, "euc_jp": csEUCJP, "x-euc-jp": csEUCJP,
	"x-eucjp": csEUCJP, "cseucpkdfmtjapanese": csEUCJP, "euc-jp-ms": csEUCJP,
	"eucjp-ms": csEUCJP, "eucjpms": csEUCJP, "eucjp-win": csEUCJP, "eucjp-open": csEUCJP,
	"euc-jis-2004": csEUCJP, "euc-jisx0213": csEUCJP, "ujis": csEUCJP, "x-euc": csEUCJP,
	"cp51932": csEUCJP, "cp20932": csEUCJP,

	"iso-8859-1": csLatin, "iso8859-1": csLatin, "iso_8859-1": csLatin, "8859_1": csLatin,
	"iso_8859-1:1987": csLatin, "iso-ir-100": csLatin, "latin1": csLatin, "latin-1": csLatin,
	"l1": csLatin, "cp819": csLatin, "ibm819": csLatin, "csisolatin1": csLatin,
	"windows-1252": csLatin, "cp1252": csLatin, "x-cp1252": csLatin, "cp-1252": csLatin,
}

// normLabel lower-cases a charset label and strips what mailers wrap it in:
// quotes, blanks, a trailing ';' and an RFC 2231 "*language" suffix.
func normLabel(label string) string {
	s := strings.ToLower(strings.TrimSpace(label))
	s = strings.Trim(s, "\"'`; \t")
	if i := strings.IndexByte(s, '*'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// resolveCharset says which decoder a label selects. Unknown labels resolve
// to csNone so the bytes are detected rather than lost.
func resolveCharset(label string) (csKind, string) {
	s := normLabel(label)
	if k, ok := charsetAliases[s]; ok {
		return k, s
	}
	if len(s) > 64 || !isLabelToken(s) {
		return csNone, ""
	}
	if _, err := charset.Reader(s, bytes.NewReader(nil)); err != nil {
		return csNone, ""
	}
	return csOther, s
}

func isLabelToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '?' || c == '"' {
			return false
		}
	}
	return true
}

// westernLabel reports whether an otherwise known label names a single-byte
// European charset, which Japanese spam often claims while sending
// Shift_JIS or EUC-JP.
func westernLabel(s string) bool {
	for _, p := range []string{"iso-8859", "iso8859", "iso_8859", "windows-125", "cp125", "latin", "koi8", "ibm", "cp8", "mac"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// charsetHint is what the rest of a message says about charsets: the
// first charset it declares. Raw 8-bit header text and parts without a
// charset are read with it in mind.
type charsetHint struct {
	kind  csKind
	label string
}

// decode decodes b, which carries no label of its own.
func (h charsetHint) decode(b []byte) (string, int) { return decodeText(b, h.label, h.kind) }

// decodeText converts b, labelled with charset label, to valid UTF-8.
// prefer is the charset the rest of the message suggests; it breaks ties
// when the label is missing or wrong. It also returns the number of
// characters that could not be decoded (U+FFFD in the result).
func decodeText(b []byte, label string, prefer csKind) (string, int) {
	kind, norm := resolveCharset(label)
	kind = chooseCharset(b, kind, norm, prefer)
	s := decodeAs(b, kind, norm, prefer)
	return s, strings.Count(s, "\uFFFD")
}

// chooseCharset repairs the declared kind for the bytes actually present.
func chooseCharset(b []byte, kind csKind, norm string, prefer csKind) csKind {
	eight := has8bit(b)
	esc := hasJISEscape(b)
	if !eight {
		if esc || kind == csISO2022JP {
			return csISO2022JP // also handles SO/SI katakana shifts
		}
		if kind == csOther && !strings.HasPrefix(norm, "utf-16") && !strings.HasPrefix(norm, "utf-32") &&
			!strings.HasPrefix(norm, "utf-7") && !strings.HasPrefix(norm, "hz") {
			// 7-bit data in an 8-bit charset is ASCII, whatever the label.
			return csASCII
		}
		if kind == csOther {
			return kind
		}
		return csASCII
	}
	switch kind {
	case csASCII, csUTF8:
		if utf8.Valid(b) {
			return csUTF8
		}
		if !prefer.japanese() {
			prefer = csUTF8
		}
		return detect(b, prefer)
	case csISO2022JP:
		if esc {
			return csISO2022JP // 8-bit runs inside are detected on their own
		}
		if prefer != csShiftJIS && prefer != csEUCJP {
			prefer = csShiftJIS // the usual lie: ISO-2022-JP declared, Shift_JIS sent
		}
		return detect(b, prefer)
	case csShiftJIS, csEUCJP:
		return detect(b, kind)
	case csLatin:
		return westernOrJapanese(b, csLatin, esc)
	case csOther:
		if westernLabel(norm) {
			return westernOrJapanese(b, csOther, esc)
		}
		return csOther
	}
	if prefer == csNone || prefer == csASCII {
		prefer = csUTF8
	}
	return detect(b, prefer)
}

// westernOrJapanese keeps a declared European charset unless the bytes are
// clearly UTF-8 or clearly Japanese.
func westernOrJapanese(b []byte, declared csKind, esc bool) csKind {
	if esc {
		return csISO2022JP
	}
	if utf8.Valid(b) {
		return csUTF8
	}
	sample := sampleOf(b)
	for _, k := range []csKind{csShiftJIS, csEUCJP} {
		sc := scoreJapanese(sample, k)
		if sc.errs == 0 && sc.nonASCII >= 2 && sc.japanese*10 >= sc.nonASCII*8 && sc.total > scoreLatin(sample) {
			return k
		}
	}
	return declared
}

// decodeAs decodes b with the chosen kind.
func decodeAs(b []byte, kind csKind, norm string, prefer csKind) string {
	switch kind {
	case csASCII, csUTF8, csNone:
		return toValid(b)
	case csShiftJIS:
		return decodeWith(b, csShiftJIS)
	case csEUCJP:
		return decodeWith(b, csEUCJP)
	case csISO2022JP:
		return decodeISO2022JP(b, prefer)
	case csLatin:
		return decodeLatin(b)
	case csOther:
		r, err := charset.Reader(norm, bytes.NewReader(b))
		if err != nil || r == nil {
			return decodeAs(b, detect(b, prefer), "", prefer)
		}
		out, err := io.ReadAll(r)
		if err != nil && len(out) == 0 {
			return decodeAs(b, detect(b, prefer), "", prefer)
		}
		return toValid(out)
	}
	return toValid(b)
}

func decodeWith(b []byte, kind csKind) string {
	var out []byte
	switch kind {
	case csShiftJIS:
		out, _ = japanese.ShiftJIS.NewDecoder().Bytes(b)
	case csEUCJP:
		out, _ = japanese.EUCJP.NewDecoder().Bytes(b)
	}
	return toValid(out)
}

// toValid returns b as a string with invalid UTF-8 replaced by U+FFFD.
func toValid(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// cp1252 maps bytes 0x80–0x9F of windows-1252; the five unassigned bytes map
// to the C1 control of the same value, as WHATWG does.
var cp1252 = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}

func decodeLatin(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/8)
	for _, c := range b {
		switch {
		case c < 0x80:
			sb.WriteByte(c)
		case c < 0xA0:
			sb.WriteRune(cp1252[c-0x80])
		default:
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}

func has8bit(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// hasJISEscape reports whether b holds an ISO-2022-JP designation
// (ESC $ @, ESC $ B, ESC $ ( D, ESC ( I, ESC ( J, ESC ( B).
func hasJISEscape(b []byte) bool {
	for i := bytes.IndexByte(b, 0x1b); i >= 0 && i+2 < len(b); {
		c1, c2 := b[i+1], b[i+2]
		if (c1 == '$' && (c2 == '@' || c2 == 'B' || c2 == '(')) || (c1 == '(' && (c2 == 'I' || c2 == 'J')) {
			return true
		}
		j := bytes.IndexByte(b[i+1:], 0x1b)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// sampleSize bounds how much of a text the detector decodes.
const sampleSize = 64 << 10

// sampleOf returns up to sampleSize bytes starting just before the first
// 8-bit byte, so the sample always holds what needs deciding.
func sampleOf(b []byte) []byte {
	start := 0
	for i, c := range b {
		if c >= 0x80 {
			start = max(0, i-16)
			break
		}
	}
	b = b[start:]
	if len(b) > sampleSize {
		b = b[:sampleSize]
	}
	return b
}

// detect picks the most plausible decoder for 8-bit bytes: ISO-2022-JP when
// designations are present, UTF-8 when valid, else the best scorer among
// UTF-8 (with errors), Shift_JIS, EUC-JP and windows-1252. Ties go to
// prefer. A Japanese or UTF-8 reading that produces many undecodable
// characters loses to windows-1252, which never loses a byte.
func detect(b []byte, prefer csKind) csKind {
	if hasJISEscape(b) {
		return csISO2022JP
	}
	if utf8.Valid(b) {
		return csUTF8
	}
	return detect8(sampleOf(b), prefer)
}

// detect8 scores a sample that is not valid UTF-8 and has no escapes.
func detect8(sample []byte, prefer csKind) csKind {
	type cand struct {
		kind csKind
		sc   jpScore
	}
	cands := [3]cand{
		{csUTF8, scoreUTF8(sample)},
		{csShiftJIS, scoreJapanese(sample, csShiftJIS)},
		{csEUCJP, scoreJapanese(sample, csEUCJP)},
	}
	best := -1
	for i, c := range cands {
		if best < 0 || c.sc.total > cands[best].sc.total ||
			(c.sc.total == cands[best].sc.total && c.kind == prefer) {
			best = i
		}
	}
	b := cands[best]
	if b.kind != csUTF8 && b.sc.japanese == 0 {
		// Nothing Japanese came out (at best half-width katakana): a
		// single-byte charset is the better reading, and loses no byte.
		return csLatin
	}
	latin := scoreLatin(sample)
	if latin > b.sc.total || b.sc.errs*4 > b.sc.nonASCII || (latin == b.sc.total && prefer == csLatin) {
		return csLatin
	}
	return b.kind
}

// jpScore summarises one candidate decoding of a sample.
type jpScore struct {
	total    int // plausibility; higher is better
	errs     int // undecodable sequences
	nonASCII int // decoded non-ASCII characters
	japanese int // kana, kanji and CJK punctuation among them
}

func scoreJapanese(sample []byte, kind csKind) jpScore {
	var out []byte
	switch kind {
	case csShiftJIS:
		out, _ = japanese.ShiftJIS.NewDecoder().Bytes(sample)
	case csEUCJP:
		out, _ = japanese.EUCJP.NewDecoder().Bytes(sample)
	}
	var sc jpScore
	for len(out) > 0 {
		r, n := utf8.DecodeRune(out)
		out = out[n:]
		if r < 0x80 {
			continue
		}
		sc.add(r, 0)
	}
	return sc
}

func scoreUTF8(sample []byte) jpScore {
	var sc jpScore
	for len(sample) > 0 {
		r, n := utf8.DecodeRune(sample)
		sample = sample[n:]
		if r < 0x80 {
			continue
		}
		if r == utf8.RuneError && n == 1 {
			sc.add(r, 0)
			continue
		}
		// A valid multi-byte sequence is itself evidence: random 8-bit
		// text rarely forms one.
		sc.add(r, 2)
	}
	return sc
}

func (sc *jpScore) add(r rune, bonus int) {
	sc.nonASCII++
	w := runeWeight(r)
	if r == utf8.RuneError {
		sc.errs++
	} else if w >= 2 && r >= 0x3000 {
		sc.japanese++
	}
	sc.total += w + bonus
}

// runeWeight rates how likely a decoded character is in real mail text.
func runeWeight(r rune) int {
	switch {
	case r == utf8.RuneError:
		return -10
	case r >= 0x3041 && r <= 0x30FF: // hiragana, katakana, ー, ・
		return 3
	case r >= 0x3000 && r <= 0x303F: // CJK punctuation
		return 2
	case r >= 0x4E00 && r <= 0x9FFF: // kanji
		return 2
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
		return 2
	case r >= 0xFF61 && r <= 0xFF65: // half-width ｡｢｣､･: what EUC-JP kana read as Shift_JIS look like
		return -2
	case r >= 0xFF66 && r <= 0xFF9F: // half-width katakana: real in spam, but proves little
		return 0
	case r >= 0xE000 && r <= 0xF8FF: // private use
		return -4
	case r >= 0x80 && r < 0xA0: // C1 controls
		return -4
	case r >= 0x2010 && r <= 0x206F, // general punctuation: ‐ ‘ ’ “ ” … ※
		r >= 0x2190 && r <= 0x21FF, // arrows
		r >= 0x2460 && r <= 0x24FF, // circled numbers
		r >= 0x2500 && r <= 0x257F, // box drawing
		r >= 0x25A0 && r <= 0x26FF, // shapes and symbols ■□◆★☆
		r >= 0x3200 && r <= 0x33FF: // ㈱ ㍉
		return 1
	case r >= 0x00A0 && r <= 0x00FF: // Latin-1
		return 1
	}
	return 0
}

// scoreLatin rates sample as windows-1252 text: accented letters inside
// ASCII words score, runs of 8-bit bytes (multi-byte text) and unassigned
// bytes cost.
func scoreLatin(sample []byte) int {
	total := 0
	for i, c := range sample {
		if c < 0x80 {
			continue
		}
		prev, next := byte(' '), byte(' ')
		if i > 0 {
			prev = sample[i-1]
		}
		if i+1 < len(sample) {
			next = sample[i+1]
		}
		switch {
		case c == 0x81 || c == 0x8D || c == 0x8F || c == 0x90 || c == 0x9D:
			total -= 6
		case c >= 0xC0 && c != 0xD7 && c != 0xF7:
			switch {
			case isASCIILetter(prev) || isASCIILetter(next):
				total += 3
			case prev >= 0x80 && next >= 0x80:
				total--
			}
		case c == 0x80 || c == 0x85 || (c >= 0x91 && c <= 0x94) || c == 0x96 || c == 0x97 ||
			c == 0x99 || c == 0xA0 || c == 0xA3 || c == 0xA9 || c == 0xAB || c == 0xAE ||
			c == 0xB0 || c == 0xB4 || c == 0xBB:
			switch {
			case prev < 0x80 && next < 0x80: // "president’s", "word — word"
				total += 3
			case prev < 0x80 || next < 0x80:
				total += 2
			default:
				total--
			}
		default:
			if prev >= 0x80 && next >= 0x80 {
				total--
			}
		}
	}
	return total
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
