package urls

import "strings"

// Found is one URL, bare domain or e-mail domain that [Extract] or [Parse]
// found.
type Found struct {
	// Start and End are byte offsets into the text given to Extract;
	// Raw == text[Start:End] is the text as written (including any
	// obfuscation), for quoting.
	Start, End int
	Raw        string
	// URL is the canonical absolute URL: lower-case scheme ("http" when the
	// text had none), the ASCII host, any non-default port, and the
	// de-obfuscated path, query and fragment. Userinfo is dropped. Empty for
	// an e-mail domain.
	URL string
	// Host is the host in lower-case ASCII: A-labels (xn--) for an IDN, a
	// dotted quad or an IPv6 address for an IP host. No port, no trailing dot.
	Host string
	// HostUnicode is the host for display and look-alike checks: U-labels
	// where Host has xn-- labels, otherwise equal to Host.
	HostUnicode string
	// Domain is the registrable domain: the public suffix plus one label,
	// counting the private section of the public suffix list (so
	// "evil.github.io", not "github.io"). When the host is itself a private
	// suffix ("s3.amazonaws.com") it is the ICANN registrable domain
	// ("amazonaws.com"). Empty for IP hosts, single-label hosts and hosts
	// whose top-level domain is not an ICANN one.
	Domain string
	// Suffix is the public suffix Domain was derived from ("co.jp",
	// "github.io"); empty when Domain is.
	Suffix string
	// Path is the canonical path, query and fragment ("" or starting with
	// '/', '?' or '#').
	Path string
	// UserInfo is the raw text before '@' in the authority, as in
	// "https://www.amazon.co.jp@evil.top/"; empty when there is none.
	UserInfo string
	// Flags describe the form of the URL.
	Flags Flag
	// Obfuscation says which de-obfuscations were applied; it is non-zero
	// exactly when Flags has Obfuscated.
	Obfuscation Obfuscation
}

// Flag is a set of facts about the form of a [Found].
type Flag uint16

// Flags of a [Found].
const (
	// Obfuscated: a de-obfuscation was applied; see [Found.Obfuscation].
	Obfuscated Flag = 1 << iota
	// NoScheme: the text had no scheme (a www host or a bare domain).
	NoScheme
	// IPHost: the host is an IP address.
	IPHost
	// IDN: the host has at least one xn-- label (written as Unicode or as
	// punycode).
	IDN
	// MappingChanged: IDNA mapping changed the host beyond ASCII case
	// folding: full-width letters or dots, the ideographic full stop,
	// dropped zero-width characters, compatibility forms. DEPENDENCIES.md §9
	// treats this as a signal in itself.
	MappingChanged
	// HasUserInfo: the authority had userinfo ("user@host").
	HasUserInfo
	// Email: the domain of an e-mail address ("someone@example.com"). Only
	// the domain is covered by Start/End, URL is empty, and URL-only signals
	// (path, shortener, free host, obfuscation, risky TLD) are not given.
	Email
	// PrivateSuffix: Suffix comes from the private section of the public
	// suffix list (github.io, web.app, s3.amazonaws.com, ...).
	PrivateSuffix
	// WWW: a scheme-less host that starts with "www.".
	WWW
)

var flagNames = [...]string{
	"obfuscated", "no_scheme", "ip_host", "idn", "mapping_changed",
	"userinfo", "email", "private_suffix", "www",
}

// Has reports whether every flag in x is set in f.
func (f Flag) Has(x Flag) bool { return f&x == x }

// String lists the set flags, separated by '|'.
func (f Flag) String() string {
	var b strings.Builder
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(n)
		}
	}
	return b.String()
}

// Obfuscation is the set of techniques that were undone to find a URL.
type Obfuscation uint8

// Obfuscation techniques.
const (
	// ObfScheme: a defanged scheme such as "hxxps", "h**p", "ttps", "[:]//"
	// or "[://]".
	ObfScheme Obfuscation = 1 << iota
	// ObfDots: bracketed or spelled-out dots: "[.]", "(.)", "{.}", "[dot]".
	ObfDots
	// ObfSpaces: dots written with spaces (" dot ", " . ") or a space
	// inserted after "://".
	ObfSpaces
	// ObfWidth: full-width letters or punctuation, or the ideographic full
	// stop. (Zero-width characters show as MappingChanged.) Japanese writers sometimes type URLs in
	// full-width by habit, so this one alone is weak.
	ObfWidth
	// ObfNumericIP: an IP host written as one number or with hex/octal
	// parts ("http://3232235777/", "http://0xC0.0250.1.1/").
	ObfNumericIP
)

// obfNames is indexed by Obfuscation; every combination has a constant
// string so that Signal.Detail never allocates.
var obfNames = func() [32]string {
	var t [32]string
	parts := [...]string{"scheme", "dots", "spaces", "width", "numeric_ip"}
	for i := range t {
		var s []string
		for j, p := range parts {
			if i&(1<<j) != 0 {
				s = append(s, p)
			}
		}
		t[i] = strings.Join(s, ",")
	}
	return t
}()

// String lists the techniques, separated by ','.
func (o Obfuscation) String() string { return obfNames[o&31] }
