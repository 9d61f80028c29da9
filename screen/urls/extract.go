package urls

import (
	"net/netip"
	"strings"
	"unicode/utf8"
)

// Extract appends to dst the URLs, www hosts, bare domains and e-mail
// domains found in text, in text order, and returns the extended slice.
//
// What counts:
//   - a URL with a scheme: http, https and the defanged forms hxxp(s),
//     h**p(s), ttp(s), "[:]//", "[://]", also in full-width letters;
//   - a host starting with "www.";
//   - a bare domain such as "amazon-secure.top/login", only when its
//     top-level domain is an ICANN one and the text makes it likely to be a
//     domain: a multi-label public suffix (co.jp), a top-level domain from a
//     short list of those seen in real bare domains (com, net, jp, top, ...),
//     or a path after it. "file.txt", "v1.2", "e.g.", "10.30", "1.500円",
//     "home.so" and "Sorry.It" are not domains;
//   - the domain of an e-mail address, with the Email flag: e-mail
//     addresses are not links, but a look-alike domain in one
//     ("support@amaz0n-jp.com") is as much a lure. Start/End cover only
//     the domain, never the mailbox name.
//
// Dots may be obfuscated ("[.]", "(.)", "{.}", "[dot]", " dot ", " . ",
// full-width "．", the ideographic full stop "。" between host-like
// characters). Bare domains written with spelled-out or spaced dots need
// three labels or a path ("amazon dot co dot jp" yes, "a dot com" no).
// Labels in Japanese (or other CJK) script are taken only after a scheme
// ("https://例え.jp/"), never in bare domains, so "アマゾン.com" in a
// sentence is not a domain; a label never mixes CJK and other letters, so
// "http://example.comです" ends before "です". Paths stop at the first
// character that cannot be in a URL, including any Japanese character, and
// lose trailing sentence punctuation.
//
// Extract never fails: what cannot be read as a host is skipped. It
// allocates nothing when text has no candidate.
func Extract(text string, dst []Found) []Found {
	var f Found
	floor := 0 // end of the last Found: nothing may reach back before it
	for i := 0; i < len(text); {
		c := text[i]
		if !isTrigger(c) || c == 0xE3 && !(i+2 < len(text) && text[i+1] == 0x80 && text[i+2] == 0x82) || !mayStart(text, i) {
			i++
			continue
		}
		next, ok := tryAt(text, i, floor, &f)
		if ok {
			dst = append(dst, f)
			floor = f.End
		}
		if next <= i {
			next = i + 1
		}
		i = next
	}
	return dst
}

// triggerTable has 1 at the bytes that can start a separator: '.', ':',
// '(', '[', '{', 'd', 'D', and 0xE3 / 0xEF, the lead bytes of 。 ． ： ｡.
// A constant string, so the hot loop is one load per byte and there is no
// mutable package state; TestTriggerTable checks it.
const triggerTable = "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"

// isTrigger reports whether c can start a separator (see triggerTable).
func isTrigger(c byte) bool { return triggerTable[c] != 0 }

// mayStart is the prefilter: it reports whether text[i] is a byte worth a
// closer look, a separator of a scheme or a label with the right neighbour.
// Everything else (letters, Japanese text, "10:30", a full stop before a
// space) costs one switch.
func mayStart(text string, i int) bool {
	switch text[i] {
	case '.':
		if i+1 >= len(text) {
			return false
		}
		n := text[i+1]
		return n >= utf8.RuneSelf || isAlnum(n) || n == ' ' && i > 0 && text[i-1] == ' '
	case ':':
		return i+1 < len(text) && (text[i+1] == '/' || text[i+1] == 0xEF)
	case 0xE3: // 。
		return i+2 < len(text) && text[i+1] == 0x80 && text[i+2] == 0x82
	case 0xEF: // ． ： ｡
		return i+2 < len(text) && (text[i+1] == 0xBC && (text[i+2] == 0x8E || text[i+2] == 0x9A) || text[i+1] == 0xBD && text[i+2] == 0xA1)
	case '[', '(', '{':
		if i+1 >= len(text) {
			return false
		}
		n := text[i+1]
		return n == '.' || n == ':' || n == 'd' || n == 'D'
	case 'd', 'D':
		return i > 0 && text[i-1] == ' ' && i+3 < len(text) && text[i+1]|0x20 == 'o' && text[i+2]|0x20 == 't' && text[i+3] == ' '
	}
	return false
}

// Parse reads one URL as it appears in an href or a list of URLs: an
// absolute http(s) URL (obfuscated forms included), a protocol-relative
// "//host/path", or a scheme-less host with an optional path, judged like a
// bare domain in text. Leading and trailing white space is ignored; the
// whole rest must be one URL. Start and End are offsets into s. Relative
// paths, mailto: and other schemes are not URLs here.
func Parse(s string) (Found, bool) {
	start, end := 0, len(s)
	for start < end && isSpace(s[start]) {
		start++
	}
	for end > start && isSpace(s[end-1]) {
		end--
	}
	if start == end {
		return Found{}, false
	}
	t := s[:end]
	var f Found
	var ok bool
	switch i := schemeSepIndex(t, start); {
	case i >= 0:
		_, ok = parseScheme(t, i, start, false, &f)
	case strings.HasPrefix(t[start:], "//"):
		// Protocol-relative href: the host starts after the slashes.
		if _, ok = parseBare(t, start+2, &f); ok {
			f.Start, f.Raw = start, t[start:f.End]
		}
	default:
		_, ok = parseBare(t, start, &f)
	}
	if ok && f.End < end && f.Path != "" && f.URL != "" && strings.Trim(s[f.End:end], ".,;:!?'*)") == "" {
		// Trailing punctuation ends a URL in running text, but here the
		// whole string is the URL.
		tail := s[f.End:end]
		f.End, f.Raw = end, s[f.Start:end]
		f.URL += tail
		f.Path = f.URL[len(f.URL)-len(f.Path)-len(tail):]
	}
	if !ok || f.Start != start || f.End != end || f.Flags.Has(Email) {
		return Found{}, false
	}
	return f, true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// schemeSepIndex returns the offset of the scheme separator of a URL that
// starts at start, or -1.
func schemeSepIndex(s string, start int) int {
	for i := start; i < len(s) && i < start+24; i++ {
		switch s[i] {
		case ':', '[', 0xEF:
			if n, _ := schemeSepAt(s, i); n > 0 {
				return i
			}
		}
	}
	return -1
}

// parseBare parses a scheme-less URL that starts at start.
func parseBare(s string, start int, f *Found) (int, bool) {
	sp, ok := scanHost(s, start, false)
	if !ok || sp.labels < 2 {
		return start + 1, false
	}
	return finishBare(s, start, sp, false, f)
}

// tryAt looks at the trigger byte text[i] and returns what it finds there,
// and where scanning should continue.
func tryAt(text string, i, floor int, f *Found) (int, bool) {
	switch text[i] {
	case ':':
		return tryScheme(text, i, floor, f)
	case 0xEF:
		if n, _ := schemeSepAt(text, i); n > 0 {
			return tryScheme(text, i, floor, f)
		}
		return tryDot(text, i, floor, f)
	case '[':
		if n, _ := schemeSepAt(text, i); n > 0 {
			return tryScheme(text, i, floor, f)
		}
		return tryDot(text, i, floor, f)
	case '.', 'd', 'D':
		if i > 0 && text[i-1] == ' ' {
			if n, _ := sepAt(text, i-1); n > 0 {
				return tryDot(text, i-1, floor, f)
			}
		}
		if text[i] != '.' {
			return i + 1, false
		}
		return tryDot(text, i, floor, f)
	default: // '(', '{', 0xE3
		return tryDot(text, i, floor, f)
	}
}

// tryDot handles a possible label separator at text[sep]: the first one of
// a scheme-less host, since earlier ones would have been seen first.
func tryDot(text string, sep, floor int, f *Found) (int, bool) {
	n, _ := sepAt(text, sep)
	if n == 0 || sep+n >= len(text) {
		return sep + 1, false
	}
	if r, _ := decodeAt(text, sep+n); !canStartLabel(r, classify(r), false) {
		return sep + n, false
	}
	// Walk back over the first label.
	ls := sep
	for ls > floor {
		r, w := decodeBefore(text, ls)
		if c := classify(r); c == rcNone || c == rcCJK || c == rcUnder {
			break
		}
		ls -= w
	}
	for ls < sep {
		r, w := decodeAt(text, ls)
		if canStartLabel(r, classify(r), false) {
			break
		}
		ls += w
	}
	if ls == sep {
		return sep + n, false
	}
	email := false
	if ls > 0 {
		switch text[ls-1] {
		case '@':
			// An e-mail address needs a mailbox name before the '@'.
			email = ls >= 2 && isLocalChar(text[ls-2])
		case '/', '\\', '=', '?', '&', '%', '#', '~', '+', '$', '*', '^', '|', '`', '_':
			if strings.HasSuffix(text[:ls], "//") && !strings.HasSuffix(text[:ls], "://") {
				break // "http//www.example.com": a scheme typed without its colon
			}
			// Part of a path, query or identifier, not a host of its own.
			sp, ok := scanHost(text, ls, false)
			if ok && sp.end > sep {
				return sp.end, false
			}
			return sep + n, false
		}
	}
	sp, ok := scanHost(text, ls, false)
	if !ok || sp.end <= sep {
		return sep + n, false
	}
	return finishBare(text, ls, sp, email, f)
}

// finishBare validates and builds a scheme-less host found at text[hs:].
func finishBare(text string, hs int, sp hostSpan, email bool, f *Found) (int, bool) {
	he := sp.end
	fail := func() (int, bool) { return he, false }
	if he < len(text) && (text[he] == '@' || text[he] == '_') {
		// A mailbox name like "taro.com@..." or an identifier.
		return he + 1, false
	}
	www := isWWW(text[hs:he])
	if sp.labels < 2 {
		return fail()
	}
	raw := text[hs:he]
	if numericLast(lowerASCII(raw)) {
		// Only a plain dotted quad with a port or path counts.
		if email || !sp.plain || sp.labels != 4 || strings.IndexByte(raw, 'x') >= 0 || strings.IndexByte(raw, 'X') >= 0 {
			return fail()
		}
		addr, nonStd, ok := parseIPv4(raw)
		if !ok || nonStd {
			return fail()
		}
		portEnd := scanPort(text, he)
		if portEnd == he && !(he < len(text) && text[he] == '/') {
			return fail()
		}
		*f = Found{Start: hs, Host: addr.String(), Flags: NoScheme | IPHost}
		return finishURL(text, f, "http", false, he, raw, sp.obf, false)
	}
	host, uni, changed, ok := canonHost(raw, sp.plain)
	if !ok {
		return fail()
	}
	domain, suffix, private := registrable(host)
	if domain == "" && www && sp.plain && !icannTLD(lastLabel(host)) {
		// "www.Ldew.com1win150" or "www.site.com.subs16": glued text.
		if h2, e2, ok := trimGlued(host, hs, he); ok {
			host, uni, he = h2, h2, e2
			domain, suffix, private = registrable(host)
		}
	}
	if domain == "" {
		return fail()
	}
	tld := lastLabel(host)
	if sp.upperTLD && sp.lowerAny && !www && !email {
		return fail() // "Sorry.It", "winner.Call": a sentence, not a host
	}
	flags := NoScheme
	if www {
		flags |= WWW
	}
	if changed {
		flags |= MappingChanged
	}
	if private {
		flags |= PrivateSuffix
	}
	if hasACELabel(host) {
		flags |= IDN
	}
	if email {
		if sp.obf&(ObfSpaces|ObfDots) != 0 || strings.IndexByte(suffix, '.') < 0 && !bareTLD(tld) {
			return fail() // "50@sq.mtr" is a price, not an address
		}
		*f = Found{
			Start: hs, End: he, Raw: text[hs:he], Host: host, HostUnicode: uni,
			Domain: domain, Suffix: suffix, Flags: flags | Email,
		}
		f.Flags &^= NoScheme
		if sp.obf != 0 {
			f.Flags |= Obfuscated
			f.Obfuscation = sp.obf
		}
		return he, true
	}
	hasPath := he < len(text) && (text[he] == '/' || strings.HasPrefix(text[he:], "\uFF0F"))
	portEnd := scanPort(text, he)
	if portEnd > he {
		hasPath = true
	}
	if !www && !hasPath {
		if sp.obf&ObfSpaces != 0 && sp.labels < 3 {
			return fail()
		}
		if strings.IndexByte(suffix, '.') < 0 && !bareTLD(tld) {
			return fail()
		}
	}
	*f = Found{Start: hs, Host: host, HostUnicode: uni, Domain: domain, Suffix: suffix, Flags: flags}
	return finishURL(text, f, "http", false, he, raw, sp.obf, sp.obf&ObfWidth != 0)
}

func isLocalChar(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

func isWWW(raw string) bool {
	n := 0
	for i := 0; i < len(raw) && n < 3; {
		r, w := decodeAt(raw, i)
		r, _ = foldWidth(r)
		if r != 'w' && r != 'W' {
			return false
		}
		n++
		i += w
	}
	return n == 3 && !isLabelContinuation(raw, 3)
}

// isLabelContinuation reports whether the label in raw goes on after its
// first n runes (so "wwwx.com" is not a www host).
func isLabelContinuation(raw string, n int) bool {
	i := 0
	for k := 0; k < n && i < len(raw); k++ {
		_, w := decodeAt(raw, i)
		i += w
	}
	if i >= len(raw) {
		return false
	}
	m, _ := sepAt(raw, i)
	return m == 0
}

// scanPort returns the end of ":digits" at text[p], or p.
func scanPort(text string, p int) int {
	if p >= len(text) || text[p] != ':' {
		return p
	}
	q := p + 1
	for q < len(text) && q-p <= 5 && '0' <= text[q] && text[q] <= '9' {
		q++
	}
	if q == p+1 || q-p > 6 {
		return p
	}
	if q < len(text) {
		if r, _ := decodeAt(text, q); classify(r) != rcNone {
			return p // "example.com:3days", not a port
		}
	}
	return q
}

// schemeSepAt matches "://" and its obfuscated forms at s[p] and returns the
// byte length and the obfuscation.
func schemeSepAt(s string, p int) (int, Obfuscation) {
	q := p
	var obf Obfuscation
	switch {
	case s[q] == ':':
		q++
	case strings.HasPrefix(s[q:], "\uFF1A"): // ：
		q += 3
		obf |= ObfWidth
	case strings.HasPrefix(s[q:], "[://]"):
		return 5, ObfScheme
	case strings.HasPrefix(s[q:], "[:]"):
		q += 3
		obf |= ObfScheme
	default:
		return 0, 0
	}
	for k := 0; k < 2; k++ {
		switch {
		case q < len(s) && s[q] == '/':
			q++
		case strings.HasPrefix(s[q:], "\uFF0F"): // ／
			q += 3
			obf |= ObfWidth
		default:
			return 0, 0
		}
	}
	return q - p, obf
}

// schemes are the scheme words recognised before "://", longest first.
var schemes = [...]string{"https", "hxxps", "h**ps", "http", "hxxp", "h**p", "ttps", "ttp"}

// schemeBefore finds a scheme word ending at s[p].
func schemeBefore(s string, p, floor int) (start int, https bool, obf Obfuscation, ok bool) {
	var rev [5]byte
	var pos [5]int
	var wide [5]bool
	n := 0
	for q := p; q > floor && n < 5; n++ {
		r, w := decodeBefore(s, q)
		fr, wd := foldWidth(r)
		if 'A' <= fr && fr <= 'Z' {
			fr += 'a' - 'A'
		}
		if !('a' <= fr && fr <= 'z' || fr == '*') {
			break
		}
		q -= w
		rev[n], pos[n], wide[n] = byte(fr), q, wd
	}
	for _, sc := range schemes {
		if len(sc) > n {
			continue
		}
		match := true
		for k := 0; k < len(sc); k++ {
			if rev[k] != sc[len(sc)-1-k] {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		if sc != "http" && sc != "https" {
			obf |= ObfScheme
		}
		for k := 0; k < len(sc); k++ {
			if wide[k] {
				obf |= ObfWidth
			}
		}
		return pos[len(sc)-1], sc[len(sc)-1] == 's', obf, true
	}
	return 0, false, 0, false
}

// tryScheme handles a possible scheme separator at text[i].
func tryScheme(text string, i, floor int, f *Found) (int, bool) {
	return parseScheme(text, i, floor, true, f)
}

// parseScheme reads a URL whose scheme separator is at text[i]. glue allows
// trimming a host glued to the following text ("www.x.com1win"), which
// makes sense in running text but not for a lone URL.
func parseScheme(text string, i, floor int, glue bool, f *Found) (int, bool) {
	n, obf := schemeSepAt(text, i)
	if n == 0 {
		return i + 1, false
	}
	start, https, sobf, ok := schemeBefore(text, i, floor)
	if !ok {
		return i + n, false
	}
	obf |= sobf
	scheme := "http"
	if https {
		scheme = "https"
	}
	q := i + n
	// One space after "://" is a known trick; more is not a URL.
	if q < len(text) {
		sp := 0
		if text[q] == ' ' {
			sp = 1
		} else if strings.HasPrefix(text[q:], "\u3000") {
			sp = 3
		}
		if sp > 0 && q+sp < len(text) {
			if r, _ := decodeAt(text, q+sp); canStartLabel(r, classify(r), true) {
				q += sp
				obf |= ObfSpaces
			}
		}
	}
	// Userinfo: an '@' before the end of an ASCII authority.
	var userinfo string
	hs := q
	for j := q; j < len(text) && j-q < 256; j++ {
		c := text[j]
		if c >= utf8.RuneSelf || c <= ' ' || c == '/' || c == '?' || c == '#' || c == '<' || c == '>' || c == '"' {
			break
		}
		if c == '@' {
			hs = j + 1
		}
	}
	if hs > q {
		userinfo = text[q : hs-1]
	}
	if hs >= len(text) {
		return i + n, false
	}
	rawScheme := text[start:i]
	schemeChanged := obf != 0 || rawScheme != scheme || n != 3
	*f = Found{Start: start, UserInfo: userinfo}
	if userinfo != "" || hs > q {
		f.Flags |= HasUserInfo
	}
	// IPv6 literal.
	if text[hs] == '[' {
		k := strings.IndexByte(text[hs:min(len(text), hs+64)], ']')
		if k < 0 {
			return i + n, false
		}
		addr, err := netip.ParseAddr(text[hs+1 : hs+k])
		if err != nil || !addr.Is6() || addr.Zone() != "" {
			return i + n, false
		}
		he := hs + k + 1
		f.Host = addr.String()
		f.HostUnicode = f.Host
		f.Flags |= IPHost
		return finishURL(text, f, scheme, schemeChanged, he, "["+f.Host+"]", obf, obf&ObfWidth != 0)
	}
	sp, ok := scanHost(text, hs, true)
	if !ok {
		return i + n, false
	}
	he := sp.end
	raw := text[hs:he]
	obf |= sp.obf
	host, uni, changed, ok := canonHost(raw, sp.plain)
	if !ok {
		return he, false
	}
	if numericLast(host) {
		addr, nonStd, ok := parseIPv4(host)
		if !ok {
			return he, false
		}
		if nonStd {
			obf |= ObfNumericIP
		}
		f.Host = addr.String()
		f.HostUnicode = f.Host
		f.Flags |= IPHost
		if changed {
			f.Flags |= MappingChanged
		}
		return finishURL(text, f, scheme, schemeChanged, he, raw, obf, obf&ObfWidth != 0)
	}
	if sp.labels < 2 {
		return he, false // "http://localhost", "http://ここ"
	}
	domain, suffix, private := registrable(host)
	if domain == "" && glue && sp.plain && !icannTLD(lastLabel(host)) {
		// "www.Ldew.com1win150" or "www.site.com.subs16": glued text.
		if h2, e2, ok := trimGlued(host, hs, he); ok {
			host, uni, he, raw = h2, h2, e2, text[hs:e2]
			domain, suffix, private = registrable(host)
		}
	}
	f.Host, f.HostUnicode = host, uni
	f.Domain, f.Suffix = domain, suffix
	if changed {
		f.Flags |= MappingChanged
	}
	if hasACELabel(host) {
		f.Flags |= IDN
	}
	if private {
		f.Flags |= PrivateSuffix
	}
	return finishURL(text, f, scheme, schemeChanged, he, raw, obf, obf&ObfWidth != 0)
}

// trimGlued shortens a plain host whose last label is not a top-level
// domain: first by cutting the last label at its first digit ("com1win"),
// then by dropping trailing labels, keeping at least two.
func trimGlued(host string, hs, he int) (string, int, bool) {
	last := strings.LastIndexByte(host, '.')
	l := host[last+1:]
	for k := 1; k < len(l); k++ {
		if '0' <= l[k] && l[k] <= '9' {
			if icannTLD(l[:k]) {
				cut := len(l) - k
				return host[:len(host)-cut], he - cut, true
			}
			break
		}
	}
	h := host
	for {
		d := strings.LastIndexByte(h, '.')
		if d < 0 || strings.IndexByte(h[:d], '.') < 0 {
			return "", 0, false
		}
		h = h[:d]
		if icannTLD(lastLabel(h)) {
			return h, hs + len(h), true
		}
	}
}

// finishURL adds port and path after the host ending at text[p] and builds
// the Found. rawHost is the host as written, hostEnd where it ends.
func finishURL(text string, f *Found, scheme string, schemeChanged bool, p int, rawHost string, obf Obfuscation, wide bool) (int, bool) {
	portEnd := scanPort(text, p)
	port := text[p:portEnd]
	p = portEnd
	var path string
	pathChanged := false
	if p < len(text) {
		c := text[p]
		isPathStart := c == '/' || (!f.Flags.Has(NoScheme) && (c == '?' || c == '#'))
		if !isPathStart && wide && strings.HasPrefix(text[p:], "\uFF0F") {
			isPathStart = true
		}
		if isPathStart {
			var end int
			var pobf Obfuscation
			end, path, pobf, pathChanged = scanPath(text, p, wide)
			obf |= pobf
			p = end
		}
	}
	if f.HostUnicode == "" {
		f.HostUnicode = f.Host
	}
	f.End = p
	f.Raw = text[f.Start:p]
	f.Path = path
	if obf != 0 {
		f.Flags |= Obfuscated
		f.Obfuscation = obf
	}
	ipv6 := strings.IndexByte(f.Host, ':') >= 0
	hostSame := rawHost == f.Host || (ipv6 && rawHost == "["+f.Host+"]")
	if !schemeChanged && !pathChanged && hostSame && f.UserInfo == "" && !f.Flags.Has(HasUserInfo) && !f.Flags.Has(NoScheme) {
		f.URL = f.Raw
		if path != "" {
			f.Path = f.URL[len(f.URL)-len(path):]
		}
		return p, true
	}
	var b strings.Builder
	b.Grow(len(scheme) + 3 + len(f.Host) + 2 + len(port) + len(path))
	b.WriteString(scheme)
	b.WriteString("://")
	if ipv6 {
		b.WriteByte('[')
		b.WriteString(f.Host)
		b.WriteByte(']')
	} else {
		b.WriteString(f.Host)
	}
	b.WriteString(port)
	b.WriteString(path)
	f.URL = b.String()
	if path != "" {
		f.Path = f.URL[len(f.URL)-len(path):]
	}
	return p, true
}

// scanPath scans a path, query and fragment at s[p] and returns its end,
// its canonical form, the obfuscation undone in it and whether the
// canonical form differs from s[p:end].
func scanPath(s string, p int, wide bool) (end int, canon string, obf Obfuscation, changed bool) {
	q := p
	depth := 0
	lastGood := p // end after trimming trailing punctuation
loop:
	for q < len(s) {
		c := s[q]
		if c < utf8.RuneSelf {
			switch {
			case c <= ' ' || c == 0x7F || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}':
				break loop
			case c == '[':
				if strings.HasPrefix(s[q:], "[.]") {
					// A defanged dot; like '.', it does not end a URL.
					q += 3
					obf |= ObfDots
					changed = true
					continue
				}
				break loop
			case c == ']':
				break loop
			case c == '(':
				depth++
			case c == ')':
				if depth == 0 {
					break loop
				}
				depth--
			}
			q++
			if !trailingPunct(rune(c)) || c == ')' {
				lastGood = q
			}
			continue
		}
		r, w := decodeAt(s, q)
		fr, isWide := foldWidth(r)
		if !wide || !isWide || fr == '"' || fr == '<' || fr == '>' || fr == '(' || fr == ')' || fr == '[' || fr == ']' || fr == '{' || fr == '}' || fr == '|' || fr == '\\' || fr == '^' || fr == '`' {
			break
		}
		obf |= ObfWidth
		changed = true
		q += w
		if !trailingPunct(fr) {
			lastGood = q
		}
	}
	end = lastGood
	if end == p+1 || end <= p {
		// Only "/" (or less): keep just the slash.
		end = p + 1
		if s[p] >= utf8.RuneSelf {
			_, w := decodeAt(s, p)
			end = p + w
		}
	}
	if !changed {
		return end, s[p:end], 0, false
	}
	var b strings.Builder
	b.Grow(end - p)
	for i := p; i < end; {
		if strings.HasPrefix(s[i:], "[.]") {
			b.WriteByte('.')
			i += 3
			continue
		}
		r, w := decodeAt(s, i)
		fr, _ := foldWidth(r)
		b.WriteRune(fr)
		i += w
	}
	return end, b.String(), obf, true
}

// trailingPunct reports whether r is punctuation that ends a sentence more
// often than a URL.
func trailingPunct(r rune) bool {
	switch r {
	case '.', ',', ';', ':', '!', '?', '\'', '*', ')':
		return true
	}
	return false
}
