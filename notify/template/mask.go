package template

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/scamscreen/scamscreen/notify"
)

var (
	maskURLRe   = regexp.MustCompile(`(?i)(?:https?://|\bwww\.)[^\s"'<>「」（）()【】、。]*`)
	maskEmailRe = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	// Gift-card-like codes: groups of 4+ letters/digits joined by dashes,
	// or one run of 12+ upper-case letters and digits with both kinds.
	maskCodeRe = regexp.MustCompile(`\b[A-Z0-9]{4,}(?:-[A-Z0-9]{4,})+\b|\b[A-Z0-9]{12,}\b`)
	// Phone numbers and other long digit runs, with separators.
	maskDigitsRe = regexp.MustCompile(`\+?[0-9０-９](?:[0-9０-９\-－ー()（）. ]{3,}[0-9０-９])`)
)

// Mask hides what an excerpt must not show in full: links lose their
// scheme and path and are defanged ("amazon-support[.]example[.]xyz/…") so
// they cannot be tapped, phone numbers keep their first three and last four
// digits, e-mail addresses their first letter and domain, gift-card codes
// their first two characters, and other runs of six or more digits their
// last two.
func Mask(s string) string {
	s = maskURLRe.ReplaceAllStringFunc(s, maskURL)
	s = maskEmailRe.ReplaceAllStringFunc(s, MaskEmail)
	s = maskCodeRe.ReplaceAllStringFunc(s, func(m string) string {
		if !strings.ContainsAny(m, "0123456789") || !strings.ContainsAny(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			return m
		}
		var b strings.Builder
		n := 0
		for _, r := range m {
			if r == '-' {
				b.WriteRune(r)
				continue
			}
			if n < 2 {
				b.WriteRune(r)
			} else {
				b.WriteByte('*')
			}
			n++
		}
		return b.String()
	})
	s = maskDigitsRe.ReplaceAllStringFunc(s, maskDigits)
	return s
}

func maskURL(u string) string {
	rest := u
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	host, path, hasPath := strings.Cut(rest, "/")
	if at := strings.LastIndexByte(host, '@'); at >= 0 {
		host = host[at+1:]
	}
	out := Defang(strings.ToLower(host))
	if hasPath && path != "" {
		out += "/…"
	}
	return out
}

// Defang makes a host name unclickable: dots become "[.]".
func Defang(host string) string { return strings.ReplaceAll(host, ".", "[.]") }

// MaskEmail keeps an address's first character and its (defanged) domain.
func MaskEmail(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" {
		return "***"
	}
	r, _ := utf8.DecodeRuneInString(local)
	return string(r) + "***@" + Defang(strings.ToLower(domain))
}

func maskDigits(m string) string {
	digits := 0
	for _, r := range m {
		if r >= '0' && r <= '9' || r >= '０' && r <= '９' {
			digits++
		}
	}
	if digits < 6 {
		return m
	}
	if p, err := notify.NormalizePhone(m, ""); err == nil && digits >= 10 {
		return notify.MaskPhone(p)
	}
	// Keep the last two digits.
	var b strings.Builder
	seen := 0
	for _, r := range m {
		if r >= '0' && r <= '9' || r >= '０' && r <= '９' {
			seen++
			if seen <= digits-2 {
				b.WriteByte('*')
				continue
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// MaskSender shows a sender for a contact with reasons consent: the display
// name (shortened), and the address masked: a phone number as
// "090-****-2222", an e-mail address as "s***@domain[.]example".
func MaskSender(name, addr string) string {
	name = truncateRunes(strings.TrimSpace(Mask(name)), 24)
	var a string
	switch {
	case addr == "":
	case strings.Contains(addr, "@"):
		if pa, err := mail.ParseAddress(addr); err == nil {
			addr = pa.Address
		}
		a = MaskEmail(addr)
	default:
		if p, err := notify.NormalizePhone(addr, ""); err == nil {
			a = notify.MaskPhone(p)
		} else {
			a = truncateRunes(Mask(addr), 16) // an alphanumeric sender id
		}
	}
	switch {
	case name != "" && a != "":
		return name + " <" + a + ">"
	case name != "":
		return name
	}
	return a
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
