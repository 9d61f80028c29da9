package urls

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// idnaProfile maps hosts the way a browser looks them up (UTS #46 mapping:
// width, case, compatibility forms, the ideographic full stop) but accepts
// '_' and odd hyphens, which real hosts have. It is never modified.
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.StrictDomainName(false),
	idna.CheckHyphens(false),
)

// rclass is the role a rune can play in a host label.
type rclass uint8

const (
	rcNone      rclass = iota
	rcASCII            // A-Z a-z 0-9 and '-'
	rcUnder            // '_', only after a scheme
	rcWide             // full-width letters, digits and hyphen
	rcLetter           // other letters, digits and marks outside CJK scripts
	rcCJK              // Han, Hiragana, Katakana, Hangul: only after a scheme
	rcInvisible        // zero-width characters and the soft hyphen
)

func classify(r rune) rclass {
	if r < utf8.RuneSelf {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '-':
			return rcASCII
		case r == '_':
			return rcUnder
		}
		return rcNone
	}
	switch {
	case r >= 0xFF10 && r <= 0xFF19, r >= 0xFF21 && r <= 0xFF3A, r >= 0xFF41 && r <= 0xFF5A, r == 0xFF0D:
		return rcWide
	case r == 0x200B, r == 0x200C, r == 0x200D, r == 0x2060, r == 0xFEFF, r == 0x00AD:
		return rcInvisible
	case r == utf8.RuneError:
		return rcNone
	case r == 0x30FC || r == 0xFF70 || unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul):
		return rcCJK
	case unicode.IsLetter(r), unicode.IsDigit(r), unicode.In(r, unicode.Mn, unicode.Mc):
		return rcLetter
	}
	return rcNone
}

// isAlnumClass reports whether a rune of class c with value r can start a
// label: anything but a hyphen or an invisible character.
func canStartLabel(r rune, c rclass, scheme bool) bool {
	switch c {
	case rcASCII:
		return r != '-'
	case rcWide:
		return r != 0xFF0D
	case rcLetter:
		return !unicode.In(r, unicode.Mn, unicode.Mc)
	case rcCJK, rcUnder:
		return scheme
	}
	return false
}

// decodeAt decodes the rune at s[i], cheaply for ASCII.
func decodeAt(s string, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// decodeBefore decodes the rune that ends at s[i].
func decodeBefore(s string, i int) (rune, int) {
	if c := s[i-1]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeLastRuneInString(s[:i])
}

// foldWidth maps a full-width ASCII variant (U+FF01..U+FF5E) to ASCII.
func foldWidth(r rune) (rune, bool) {
	if r >= 0xFF01 && r <= 0xFF5E {
		return r - 0xFEE0, true
	}
	return r, false
}

// sepAt reports the byte length of a label separator at s[p] ("." or an
// obfuscated form of it), and the obfuscation that form represents. It does
// not look at what follows.
func sepAt(s string, p int) (int, Obfuscation) {
	if p >= len(s) {
		return 0, 0
	}
	switch c := s[p]; c {
	case '.':
		return 1, 0
	case 0xE3: // U+3002 IDEOGRAPHIC FULL STOP
		if strings.HasPrefix(s[p:], "\u3002") {
			return 3, ObfWidth
		}
	case 0xEF: // U+FF0E FULLWIDTH FULL STOP, U+FF61 HALFWIDTH IDEOGRAPHIC FULL STOP
		if strings.HasPrefix(s[p:], "\uFF0E") || strings.HasPrefix(s[p:], "\uFF61") {
			return 3, ObfWidth
		}
	case '[', '(', '{':
		closer := byte(']')
		switch c {
		case '(':
			closer = ')'
		case '{':
			closer = '}'
		}
		if p+2 < len(s) && s[p+1] == '.' && s[p+2] == closer {
			return 3, ObfDots
		}
		if p+4 < len(s) && strings.EqualFold(s[p+1:p+4], "dot") && s[p+4] == closer {
			return 5, ObfDots
		}
	case ' ':
		if p+2 < len(s) && s[p+1] == '.' && s[p+2] == ' ' {
			return 3, ObfSpaces
		}
		if p+4 < len(s) && strings.EqualFold(s[p+1:p+4], "dot") && s[p+4] == ' ' {
			return 5, ObfSpaces
		}
	}
	return 0, 0
}

// hostSpan describes a run of labels and separators found by scanHost.
type hostSpan struct {
	end      int // byte offset just past the last label
	labels   int
	obf      Obfuscation
	plain    bool // only [A-Za-z0-9_-] labels separated by '.'
	upperTLD bool // the last label has an upper-case letter
	lowerAny bool // some label has a lower-case letter
}

// scanLabel scans one label from p and returns its end, the end of its last
// visible rune, and what it contains. After a scheme, a label may be CJK or
// not but not both, so "example.comです" stops before "です".
func scanLabel(s string, p int, scheme bool, sp *hostSpan) (end, visEnd int, alnum bool) {
	var cjk, other bool
	end, visEnd = p, p
	upper := false
	for end < len(s) {
		r, w := decodeAt(s, end)
		c := classify(r)
		switch c {
		case rcNone:
			sp.upperTLD = upper
			return end, visEnd, alnum
		case rcUnder:
			if !scheme {
				sp.upperTLD = upper
				return end, visEnd, alnum
			}
		case rcCJK:
			if !scheme || other {
				sp.upperTLD = upper
				return end, visEnd, alnum
			}
			cjk = true
		case rcASCII, rcWide, rcLetter:
			if cjk {
				sp.upperTLD = upper
				return end, visEnd, alnum
			}
			other = true
		}
		if c != rcASCII && c != rcUnder {
			sp.plain = false
		}
		if c != rcInvisible {
			visEnd = end + w
			if canStartLabel(r, c, scheme) {
				alnum = true
			}
		}
		if fr, _ := foldWidth(r); 'A' <= fr && fr <= 'Z' {
			upper = true
		} else if unicode.IsLower(r) {
			sp.lowerAny = true
		}
		end += w
	}
	sp.upperTLD = upper
	return end, visEnd, alnum
}

// scanHost scans labels and separators from p. It returns false when not
// even one label with a letter or digit starts at p.
func scanHost(s string, p int, scheme bool) (hostSpan, bool) {
	sp := hostSpan{plain: true}
	prevEnd := p
	for {
		le, vis, alnum := scanLabel(s, p, scheme, &sp)
		if !alnum {
			break
		}
		sp.labels++
		prevEnd = le
		// Trailing hyphens and invisible characters of a label are kept
		// only if another label follows; see below.
		n, o := sepAt(s, le)
		if n == 0 || le+n >= len(s) {
			prevEnd = trimLabelEnd(s, p, vis)
			break
		}
		r, _ := decodeAt(s, le+n)
		if !canStartLabel(r, classify(r), scheme) {
			prevEnd = trimLabelEnd(s, p, vis)
			break
		}
		if o != 0 || n != 1 {
			sp.plain = false
		}
		sp.obf |= o
		p = le + n
	}
	if sp.labels == 0 {
		return sp, false
	}
	sp.end = prevEnd
	return sp, true
}

// trimLabelEnd drops trailing hyphens from the label s[start:end].
func trimLabelEnd(s string, start, end int) int {
	for end > start && s[end-1] == '-' {
		end--
	}
	return end
}

// canonHost maps the host text to lower-case ASCII and Unicode forms.
// changed reports that IDNA mapping altered it beyond ASCII case.
func canonHost(raw string, plain bool) (ascii, uni string, changed, ok bool) {
	if plain {
		ascii = lowerASCII(raw)
		if !validASCIIHost(ascii) {
			return "", "", false, false
		}
		uni = ascii
		if hasACELabel(ascii) {
			if u, err := idnaProfile.ToUnicode(ascii); err == nil {
				uni = u
			}
		}
		return ascii, uni, false, true
	}
	if len(raw) > 4*253 {
		return "", "", false, false
	}
	var buf [256]byte
	pre := buf[:0]
	dropped := false
	runes := 0 // in the current label
	for p := 0; p < len(raw); {
		if n, o := sepAt(raw, p); n > 0 {
			runes = 0
			if o == ObfWidth {
				// Leave 。 ． ｡ to IDNA mapping: they count as changed.
				pre = append(pre, raw[p:p+n]...)
			} else {
				pre = append(pre, '.')
			}
			p += n
			continue
		}
		r, w := decodeAt(raw, p)
		p += w
		if classify(r) == rcInvisible {
			dropped = true
			continue
		}
		// Every rune takes at least one byte of the ASCII label, which has
		// at most 63: longer labels are invalid, and punycode-encoding
		// them would cost time quadratic in their length.
		if runes++; runes > 63 {
			return "", "", false, false
		}
		pre = utf8.AppendRune(pre, unicode.ToLower(r))
	}
	a, err := idnaProfile.ToASCII(string(pre))
	if err != nil || !validASCIIHost(a) {
		return "", "", false, false
	}
	uni = a
	if hasACELabel(a) {
		if u, err := idnaProfile.ToUnicode(a); err == nil {
			uni = u
		}
	}
	return a, uni, dropped || string(pre) != uni, true
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// validASCIIHost checks label lengths and characters of a lower-case host.
func validASCIIHost(h string) bool {
	if len(h) == 0 || len(h) > 253 {
		return false
	}
	n := 0
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c == '.':
			if n == 0 {
				return false
			}
			n = 0
			continue
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
		n++
		if n > 63 {
			return false
		}
	}
	return n > 0
}

// hasACELabel reports whether a label of h starts with "xn--".
func hasACELabel(h string) bool {
	for {
		if strings.HasPrefix(h, "xn--") {
			return true
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			return false
		}
		h = h[i+1:]
	}
}

func lastLabel(h string) string {
	return h[strings.LastIndexByte(h, '.')+1:]
}

// icannTLD reports whether tld is a top-level domain in the ICANN section of
// the public suffix list (publicsuffix answers unknown TLDs through its "*"
// rule with icann=false).
func icannTLD(tld string) bool {
	if tld == "" || isDigits(tld) {
		return false
	}
	s, icann := publicsuffix.PublicSuffix(tld)
	return icann && s == tld
}

// registrable returns the registrable domain of a lower-case ASCII host and
// the public suffix it was derived from. private is true when the suffix
// comes from the private section of the list.
func registrable(host string) (domain, suffix string, private bool) {
	if strings.IndexByte(host, '.') < 0 || isDigits(lastLabel(host)) {
		return "", "", false
	}
	// One lookup in the common case: publicsuffix allocates an error on
	// every call (its IP check), so calls are counted.
	ps, icann := publicsuffix.PublicSuffix(host)
	if !icann && !icannTLD(lastLabel(host)) {
		return "", "", false // the "*" rule: unknown top-level domain
	}
	private = !icann
	if len(host) > len(ps) {
		i := len(host) - len(ps) - 1
		if host[i] != '.' {
			return "", "", false
		}
		return host[strings.LastIndexByte(host[:i], '.')+1:], ps, private
	}
	if !private {
		return "", "", false // the host is itself a public suffix
	}
	// The host is a private suffix itself (s3.amazonaws.com): fall back to
	// the ICANN registrable domain.
	ps = ""
	for i := len(host); i > 0; {
		j := strings.LastIndexByte(host[:i], '.')
		cand := host[j+1:]
		if s, ic := publicsuffix.PublicSuffix(cand); ic && s == cand {
			ps = cand
		}
		if j < 0 {
			break
		}
		i = j
	}
	if ps == "" || len(ps) >= len(host) {
		return "", "", false
	}
	i := len(host) - len(ps) - 1
	return host[strings.LastIndexByte(host[:i], '.')+1:], ps, true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// numericLast reports whether the last label of h is a number (decimal, or
// hex with 0x), which makes h an IPv4 address or invalid (WHATWG URL "ends
// in a number").
func numericLast(h string) bool {
	l := lastLabel(h)
	if isDigits(l) {
		return true
	}
	if len(l) > 2 && l[0] == '0' && (l[1] == 'x' || l[1] == 'X') {
		for i := 2; i < len(l); i++ {
			if !isHex(l[i]) {
				return false
			}
		}
		return true
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// parseIPv4 parses an IPv4 host the way browsers do (inet_aton): one to four
// parts, each decimal, octal (leading 0) or hex (0x). nonStandard is true
// for anything but four plain decimal parts.
func parseIPv4(h string) (addr netip.Addr, nonStandard, ok bool) {
	var parts [4]uint64
	n := 0
	for {
		i := strings.IndexByte(h, '.')
		part := h
		if i >= 0 {
			part = h[:i]
		}
		if n == 4 || part == "" {
			return addr, false, false
		}
		base := 10
		switch {
		case len(part) > 2 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X'):
			base, part = 16, part[2:]
			nonStandard = true
		case len(part) > 1 && part[0] == '0':
			base, part = 8, part[1:]
			nonStandard = true
		}
		v, err := strconv.ParseUint(part, base, 32)
		if err != nil {
			return addr, false, false
		}
		parts[n] = v
		n++
		if i < 0 {
			break
		}
		h = h[i+1:]
	}
	if n != 4 {
		nonStandard = true
	}
	var v uint64
	for i := 0; i < n-1; i++ {
		if parts[i] > 255 {
			return addr, false, false
		}
		v = v<<8 | parts[i]
	}
	rest := uint(8 * (5 - n))
	if parts[n-1] >= 1<<rest {
		return addr, false, false
	}
	v = v<<rest | parts[n-1]
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), nonStandard, true
}
