package urls

import (
	"fmt"
	"strings"

	"github.com/scamscreen/scamscreen/event"
)

// Kind is the kind of a [Signal].
type Kind uint8

// Signal kinds. The engine gives each a weight; the comments say how strong
// each is meant to be.
const (
	// KindLookalikeDomain: the registrable domain imitates a protected brand
	// (homoglyphs, digit swaps, one typo, brand plus filler words) but is
	// not one of its domains. Strong.
	KindLookalikeDomain Kind = iota + 1
	// KindBrandInSubdomain: a brand domain or token is a label left of
	// another registrable domain ("amazon.co.jp.secure-login.top"). Strong.
	KindBrandInSubdomain
	// KindBrandInPath: a brand token in the path or query of a host that is
	// not the brand's. Weak: news and shops mention brands in paths.
	KindBrandInPath
	// KindIPHost: the host is an IP address. Moderate.
	KindIPHost
	// KindShortener: a URL shortener hides the destination. Weak to
	// moderate.
	KindShortener
	// KindFreeHost: a user page on free or self-service hosting (github.io,
	// web.app, S3 buckets, ...), or a SendGrid click link in a message that
	// also imitates a brand. Moderate.
	KindFreeHost
	// KindRiskyTLD: a top-level domain over-represented in phishing. Weak.
	KindRiskyTLD
	// KindPunycodeHost: an internationalised (xn--) host. Weak on its own:
	// Japanese IDNs are legitimate (rspamd's false positives, PEERS.md §1.1).
	KindPunycodeHost
	// KindMixedScript: a host label mixes scripts no honest name mixes
	// (Latin with Cyrillic, Greek, ...): a homograph. Strong.
	KindMixedScript
	// KindObfuscatedURL: the sender hid the URL from filters (hxxp, [.],
	// " dot ", full-width). Strong in a message, except that security
	// newsletters defang the URLs they quote; Detail names the techniques,
	// and "width" alone is weaker (some Japanese writers type full-width).
	KindObfuscatedURL
	// KindMappingChanged: IDNA mapping changed the host (full-width letters,
	// zero-width characters, compatibility forms). Moderate.
	KindMappingChanged
	// KindUserInfo: the URL has userinfo before the host
	// ("https://www.amazon.co.jp@evil.top/"); Brand is set when the
	// userinfo names a brand. Strong.
	KindUserInfo
	// KindRedirect: an open redirect on a genuine domain (google.com/url?q=,
	// Google Translate) that hides the destination. Moderate.
	KindRedirect
	// KindLinkTextMismatch: an HTML link whose visible text is a URL or
	// domain of another registrable domain than its href. Moderate: click
	// tracking in newsletters does this too.
	KindLinkTextMismatch
	// KindLinkTextBrandMismatch: the visible text names a protected brand's
	// domain and the href goes elsewhere. Strong.
	KindLinkTextBrandMismatch
	// KindKnownBadDomain: the host or a parent of it is on the operator's
	// blocklist. Decisive.
	KindKnownBadDomain
)

var kindNames = [...]string{
	KindLookalikeDomain:       "lookalike_domain",
	KindBrandInSubdomain:      "brand_in_subdomain",
	KindBrandInPath:           "brand_in_path",
	KindIPHost:                "ip_host",
	KindShortener:             "shortener",
	KindFreeHost:              "free_host",
	KindRiskyTLD:              "risky_tld",
	KindPunycodeHost:          "punycode_host",
	KindMixedScript:           "mixed_script",
	KindObfuscatedURL:         "obfuscated_url",
	KindMappingChanged:        "mapping_changed",
	KindUserInfo:              "userinfo",
	KindRedirect:              "redirect",
	KindLinkTextMismatch:      "link_text_mismatch",
	KindLinkTextBrandMismatch: "link_text_brand_mismatch",
	KindKnownBadDomain:        "known_bad_domain",
}

// String returns the snake_case name of the kind, as used in rule files.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// ParseKind returns the kind whose String is s.
func ParseKind(s string) (Kind, bool) {
	for k, n := range kindNames {
		if n != "" && n == s {
			return Kind(k), true
		}
	}
	return 0, false
}

// Kinds returns every kind, in order.
func Kinds() []Kind {
	out := make([]Kind, 0, len(kindNames)-1)
	for k := KindLookalikeDomain; int(k) < len(kindNames); k++ {
		out = append(out, k)
	}
	return out
}

// IsBrand reports whether the kind is about imitating a protected brand.
func (k Kind) IsBrand() bool {
	switch k {
	case KindLookalikeDomain, KindBrandInSubdomain, KindBrandInPath, KindLinkTextBrandMismatch:
		return true
	}
	return false
}

// Signal is one suspicious fact about a found URL or an HTML link.
type Signal struct {
	Kind Kind
	// Brand is the name of the imitated brand, if any.
	Brand string
	// Index is the index of the item in the found slice, or in the links
	// slice when Link is true.
	Index int
	Link  bool
	// Detail is a short, non-personal explanation: the offending registrable
	// domain (or host when there is none), the top-level domain, the
	// free-hosting suffix, the obfuscation techniques, or the blocklist
	// entry that matched.
	Detail string
}

// Options configures an [Analyzer]. The zero value is valid.
type Options struct {
	// Blocklist holds the operator's known-bad domains or hosts (loaded by
	// the caller from a file). A host matches when it, or a parent of it up
	// to its registrable domain, is in the set. Entries are normalised
	// (lower case, trailing dot and a leading "*." removed, IDNs to
	// A-labels).
	Blocklist map[string]struct{}
	// Trusted holds domains the operator vouches for (its own, local
	// banks, ...): hosts under them get no signal except known_bad_domain.
	// Normalised like Blocklist.
	Trusted map[string]struct{}
}

// token is a brand token prepared for matching.
type token struct {
	lite  string
	skel  string
	brand int32
}

// Analyzer turns found URLs and HTML links into signals. It is immutable
// and safe for concurrent use.
type Analyzer struct {
	brands  []Brand
	genuine map[string][]int32 // registrable domain -> brands, in file order
	mailbox map[string]struct{}
	byName  map[string]int32 // lower-case brand name -> brand
	tokens  []token
	exact   map[string]int32      // token skeleton -> token
	prefix  [prefixSlots][]int32  // tokens by their first two skeleton bytes
	byLen   [maxLabel + 2][]int32 // tokens of >= 5 letters by length
	block   map[string]struct{}
	trusted map[string]struct{}
}

// minFuzzy is the shortest token that look-alike matching compares with an
// edit distance of one; shorter tokens must match a skeleton exactly.
const minFuzzy = 5

// NewAnalyzer builds an Analyzer from brands (usually from [LoadBrands],
// which has validated them; they are validated again here) and options.
func NewAnalyzer(brands []Brand, opts Options) (*Analyzer, error) {
	if err := validateBrands(brands, nil); err != nil {
		return nil, err
	}
	a := &Analyzer{
		brands:  make([]Brand, len(brands)),
		genuine: map[string][]int32{},
		mailbox: map[string]struct{}{},
		byName:  map[string]int32{},
		exact:   map[string]int32{},
	}
	for i, b := range brands {
		b.Domains = append([]string(nil), b.Domains...)
		b.MailboxDomains = append([]string(nil), b.MailboxDomains...)
		b.Tokens = append([]string(nil), b.Tokens...)
		b.Names = append([]string(nil), b.Names...)
		a.brands[i] = b
		bi := int32(i)
		a.byName[strings.ToLower(b.Name)] = bi
		for _, d := range b.Domains {
			a.genuine[d] = append(a.genuine[d], bi)
		}
		for _, d := range b.MailboxDomains {
			a.mailbox[d] = struct{}{}
			if reg, _, _ := registrable(d); reg == d && !containsInt32(a.genuine[d], bi) {
				a.genuine[d] = append(a.genuine[d], bi)
			}
		}
		for _, t := range b.Tokens {
			var sk skeleton
			sk.build(t)
			ti := int32(len(a.tokens))
			a.tokens = append(a.tokens, token{lite: t, skel: string(sk.skel()), brand: bi})
			s := a.tokens[ti].skel
			a.exact[s] = ti
			key := prefixKey(s[0], s[1])
			a.prefix[key] = append(a.prefix[key], ti)
			if len(t) >= minFuzzy {
				a.byLen[len(t)] = append(a.byLen[len(t)], ti)
			}
		}
	}
	var err error
	if a.block, err = normaliseSet("blocklist", opts.Blocklist); err != nil {
		return nil, err
	}
	if a.trusted, err = normaliseSet("trusted", opts.Trusted); err != nil {
		return nil, err
	}
	return a, nil
}

func containsInt32(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func normaliseSet(what string, in map[string]struct{}) (map[string]struct{}, error) {
	out := make(map[string]struct{}, len(in))
	for k := range in {
		d := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(k), "*."), ".")
		h, ok := normaliseHost(d)
		if !ok {
			return nil, fmt.Errorf("%s entry %q: not a domain name", what, k)
		}
		out[h] = struct{}{}
	}
	return out, nil
}

// normaliseHost maps a domain name to lower-case ASCII.
func normaliseHost(d string) (string, bool) {
	d = strings.TrimSuffix(d, ".")
	plain := true
	for i := 0; i < len(d); i++ {
		c := d[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			plain = false
			break
		}
	}
	h, _, _, ok := canonHost(d, plain)
	return h, ok
}

// Brands returns a copy of the brand list.
func (a *Analyzer) Brands() []Brand {
	out := make([]Brand, len(a.brands))
	copy(out, a.brands)
	return out
}

// BrandByName returns the brand with that name (case-insensitive).
func (a *Analyzer) BrandByName(name string) (Brand, bool) {
	i, ok := a.byName[strings.ToLower(name)]
	if !ok {
		return Brand{}, false
	}
	return a.brands[i], true
}

// Genuine reports whether domain (a registrable domain or any host under
// it, in any case, Unicode or ASCII) belongs to a protected brand, and
// which: the first brand in the list that has it.
func (a *Analyzer) Genuine(domain string) (brand string, ok bool) {
	h, ok := normaliseHost(domain)
	if !ok {
		return "", false
	}
	_, suffix, private := registrable(h)
	if bs := a.genuineHost(h, suffix, private); len(bs) > 0 {
		return a.brands[bs[0]].Name, true
	}
	return "", false
}

// GenuineFor reports whether domain belongs to the named brand.
func (a *Analyzer) GenuineFor(brand, domain string) bool {
	bi, ok := a.byName[strings.ToLower(brand)]
	if !ok {
		return false
	}
	h, ok := normaliseHost(domain)
	if !ok {
		return false
	}
	_, suffix, private := registrable(h)
	return containsInt32(a.genuineHost(h, suffix, private), bi)
}

// Mailbox reports whether domain is one where a brand gives e-mail
// addresses to the public (gmail.com, docomo.ne.jp): a sender there is
// not the brand even though the domain is genuine.
func (a *Analyzer) Mailbox(domain string) bool {
	h, ok := normaliseHost(domain)
	if !ok {
		return false
	}
	_, ok = a.mailbox[h]
	return ok
}

// genuineHost returns the brands owning host, walking its parents. A host
// under a private suffix that is itself under a brand domain (anyone can
// register there) is not genuine.
func (a *Analyzer) genuineHost(host, suffix string, private bool) []int32 {
	for h := host; ; {
		if bs, ok := a.genuine[h]; ok {
			if private && (suffix == h || hasDotSuffix(suffix, h)) {
				return nil
			}
			return bs
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			return nil
		}
		h = h[i+1:]
	}
}

// inSet reports whether host or a parent of it, down to stop (or to the
// second-level name when stop is empty), is in set; it returns the entry.
func inSet(set map[string]struct{}, host, stop string) (string, bool) {
	if len(set) == 0 {
		return "", false
	}
	for h := host; ; {
		if _, ok := set[h]; ok {
			return h, true
		}
		if h == stop {
			return "", false
		}
		i := strings.IndexByte(h, '.')
		if i < 0 || strings.IndexByte(h[i+1:], '.') < 0 && stop == "" {
			return "", false
		}
		h = h[i+1:]
	}
}

func hasDotSuffix(s, suffix string) bool {
	return len(s) > len(suffix) && s[len(s)-len(suffix)-1] == '.' && s[len(s)-len(suffix):] == suffix
}

// Analyze appends to dst the signals for found (from [Extract] or [Parse])
// and for the HTML links of a message, and returns the extended slice.
// Signals for found come first, in order, then those for links. For each
// link the href is analysed like a found URL (Link set, Index into links),
// and its visible text is compared with it.
func (a *Analyzer) Analyze(found []Found, links []event.Link, dst []Signal) []Signal {
	first := len(dst)
	var sendgrid [4]Signal
	nsg := 0
	for i := range found {
		dst = a.analyzeOne(&found[i], i, false, dst)
		if sendgridClick(found[i].Host) && nsg < len(sendgrid) {
			sendgrid[nsg] = Signal{Kind: KindFreeHost, Index: i, Detail: "ct.sendgrid.net"}
			nsg++
		}
	}
	for i := range links {
		href, ok := Parse(links[i].Href)
		if ok {
			dst = a.analyzeOne(&href, i, true, dst)
			if sendgridClick(href.Host) && nsg < len(sendgrid) {
				sendgrid[nsg] = Signal{Kind: KindFreeHost, Index: i, Link: true, Detail: "ct.sendgrid.net"}
				nsg++
			}
		}
		if ok && links[i].Text != "" {
			dst = a.compareLinkText(&href, links[i].Text, i, dst)
		}
	}
	if nsg > 0 {
		for _, s := range dst[first:] {
			if s.Kind.IsBrand() {
				dst = append(dst, sendgrid[:nsg]...)
				break
			}
		}
	}
	return dst
}

// compareLinkText looks for a URL or domain in the visible text of a link
// that names another registrable domain than the href.
func (a *Analyzer) compareLinkText(href *Found, text string, idx int, dst []Signal) []Signal {
	if _, ok := inSet(a.trusted, href.Host, href.Domain); ok {
		return dst
	}
	var buf [4]Found
	for _, t := range Extract(text, buf[:0]) {
		if t.Flags.Has(Email) {
			continue
		}
		td, hd := siteOf(&t), siteOf(href)
		if td == "" || hd == "" || td == hd {
			continue
		}
		hrefBrands := a.genuineHost(href.Host, href.Suffix, href.Flags.Has(PrivateSuffix))
		textBrands := a.genuineHost(t.Host, t.Suffix, t.Flags.Has(PrivateSuffix))
		if len(textBrands) > 0 {
			shared := false
			for _, b := range textBrands {
				if containsInt32(hrefBrands, b) {
					shared = true
				}
			}
			if shared {
				continue // amazon.co.jp shown, amazon.com or amzn.to behind
			}
			return append(dst, Signal{Kind: KindLinkTextBrandMismatch, Brand: a.brands[textBrands[0]].Name, Index: idx, Link: true, Detail: hd})
		}
		return append(dst, Signal{Kind: KindLinkTextMismatch, Index: idx, Link: true, Detail: hd})
	}
	return dst
}

// siteOf is what two URLs must share to point to the same site: the
// registrable domain, or the host when there is none.
func siteOf(f *Found) string {
	if f.Domain != "" {
		return f.Domain
	}
	return f.Host
}

// analyzeOne appends the signals about one URL or e-mail domain.
func (a *Analyzer) analyzeOne(f *Found, idx int, link bool, dst []Signal) []Signal {
	emit := func(k Kind, brand int32, detail string) {
		s := Signal{Kind: k, Index: idx, Link: link, Detail: detail}
		if brand >= 0 {
			s.Brand = a.brands[brand].Name
		}
		dst = append(dst, s)
	}
	site := siteOf(f)
	stop := f.Domain
	if f.Flags.Has(IPHost) {
		stop = f.Host // an IP address has no parents
	}
	if e, ok := inSet(a.block, f.Host, stop); ok {
		emit(KindKnownBadDomain, -1, e)
	}
	if _, ok := inSet(a.trusted, f.Host, stop); ok {
		return dst
	}
	if len(a.genuineHost(f.Host, f.Suffix, f.Flags.Has(PrivateSuffix))) > 0 {
		if redirectorPath(f.Host, f.Path) {
			emit(KindRedirect, -1, site)
		}
		return dst
	}
	email := f.Flags.Has(Email)
	if !email {
		if f.Flags.Has(IPHost) {
			emit(KindIPHost, -1, f.Host)
		}
		if shortenerHost(f.Host) {
			emit(KindShortener, -1, site)
		}
		if e, ok := freeHostSuffix(f.Host); ok {
			emit(KindFreeHost, -1, e)
		} else if s3Host(f.Host) {
			emit(KindFreeHost, -1, "s3.amazonaws.com")
		}
		if redirectorPath(f.Host, f.Path) {
			emit(KindRedirect, -1, site)
		}
		if tld := lastLabel(f.Host); f.Domain != "" && riskyTLD(tld) {
			emit(KindRiskyTLD, -1, tld)
		}
	}
	if f.Flags.Has(IDN) {
		emit(KindPunycodeHost, -1, site)
	}
	if hostMixedScript(f.HostUnicode) {
		emit(KindMixedScript, -1, site)
	}
	if f.Flags.Has(MappingChanged) {
		emit(KindMappingChanged, -1, site)
	}
	if !email && f.Flags.Has(Obfuscated) {
		emit(KindObfuscatedURL, -1, f.Obfuscation.String())
	}
	if f.Flags.Has(HasUserInfo) {
		emit(KindUserInfo, a.brandInText(f.UserInfo), site)
	}
	brandSignal := false
	if f.Domain != "" {
		nDom := strings.Count(f.Domain, ".") + 1
		nSuf := strings.Count(f.Suffix, ".") + 1
		ll := splitLabels(f.HostUnicode)
		labels := ll.s[:ll.n]
		if len(labels) == strings.Count(f.Host, ".")+1 && len(labels) >= nDom {
			sld := labels[len(labels)-nSuf-1]
			if b, ok := a.matchLabel(sld, true); ok && !a.countrySite(sld, f.Suffix) {
				emit(KindLookalikeDomain, b, f.Domain)
				brandSignal = true
			}
			if b, ok := a.subdomainBrand(f, labels[:len(labels)-nDom]); ok {
				emit(KindBrandInSubdomain, b, f.Domain)
				brandSignal = true
			}
		}
	}
	if !brandSignal && !email && f.Path != "" {
		if b, ok := a.pathBrand(f.Path); ok {
			emit(KindBrandInPath, b, site)
		}
	}
	return dst
}

// countrySite reports whether a registrable domain is a brand token
// spelled exactly under a country-code suffix (amazon.fr, apple.com.au):
// those names are the brand's country sites or defensive registrations,
// and phishing uses cheap generic domains instead. Country codes on the
// risky list (.cn, .cc, .tk, ...) do not count.
func (a *Analyzer) countrySite(sld, suffix string) bool {
	tld := lastLabel(suffix)
	if len(tld) != 2 || riskyTLD(tld) {
		return false
	}
	t, ok := a.exact[sld]
	return ok && a.tokens[t].lite == sld
}

// splitLabels splits a host into at most 32 labels without allocating the
// result slice on the heap for typical hosts.
func splitLabels(h string) labelList {
	var l labelList
	for len(h) > 0 && l.n < len(l.s) {
		i := strings.IndexByte(h, '.')
		if i < 0 {
			l.s[l.n] = h
			l.n++
			break
		}
		l.s[l.n] = h[:i]
		l.n++
		h = h[i+1:]
	}
	return l
}

type labelList struct {
	s [32]string
	n int
}

func hostMixedScript(h string) bool {
	for i := 0; i < len(h); i++ {
		if h[i] >= 0x80 {
			l := splitLabels(h)
			for _, lb := range l.s[:l.n] {
				if mixedScript(lb) {
					return true
				}
			}
			return false
		}
	}
	return false
}

// subdomainBrand looks for a brand in the labels left of the registrable
// domain: a genuine brand domain ("amazon.co.jp.evil.top") or a label
// that is, or embeds, a brand token ("amazon-jp.evil.top").
func (a *Analyzer) subdomainBrand(f *Found, sub []string) (int32, bool) {
	if len(sub) == 0 {
		return 0, false
	}
	// Genuine domains spelled out in the subdomain part.
	subASCII := f.Host[:len(f.Host)-len(f.Domain)-1]
	for h := subASCII; ; {
		if bs, ok := a.genuine[h]; ok {
			return bs[0], true
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			break
		}
		h = h[i+1:]
	}
	for i := len(sub) - 1; i >= 0; i-- {
		if b, ok := a.matchLabel(sub[i], false); ok {
			return b, true
		}
	}
	return 0, false
}

// brandInText returns the brand named by userinfo ("www.amazon.co.jp"),
// or -1.
func (a *Analyzer) brandInText(s string) int32 {
	var buf [2]Found
	for _, f := range Extract(s, buf[:0]) {
		if bs := a.genuineHost(f.Host, f.Suffix, f.Flags.Has(PrivateSuffix)); len(bs) > 0 {
			return bs[0]
		}
	}
	return a.wordsBrand(s, 3)
}

// pathBrand looks for a brand token among the words of a path.
func (a *Analyzer) pathBrand(path string) (int32, bool) {
	b := a.wordsBrand(path, minFuzzy)
	return b, b >= 0
}

// wordsBrand returns the brand of the first word of s (split at anything
// but letters, digits and '-') that is or embeds a brand token, or -1.
// Words shorter than minLen letters are skipped: in paths, short tokens
// ("line", "ntt") are mostly ordinary words.
func (a *Analyzer) wordsBrand(s string, minLen int) int32 {
	for i := 0; i < len(s); {
		for i < len(s) && !isAlnum(s[i]) {
			i++
		}
		j := i
		for j < len(s) && (isAlnum(s[j]) || s[j] == '-') {
			j++
		}
		if j-i >= minLen && j-i <= maxLabel {
			if b, ok := a.matchLabel(s[i:j], false); ok {
				return b
			}
		}
		i = j
	}
	return -1
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
