package notify

import (
	"errors"
	"strings"
)

// DefaultCountryCode is the calling code assumed for numbers written in
// national form ("090-1234-5678"): Japan.
const DefaultCountryCode = "81"

// ErrPhone reports a phone number that is not usable for SMS or calls. Its
// text never contains the number.
var ErrPhone = errors.New("not a phone number in E.164 (+81...) or Japanese national (0X0-...) form")

// NormalizePhone returns the E.164 form of a phone number written as
// "+81 90-1234-5678", "+819012345678" or, in national form with the
// country's trunk prefix 0, "090-1234-5678" (country code cc, default
// [DefaultCountryCode]). Spaces, hyphens, dots and parentheses are ignored,
// as are full-width digits and plus signs.
func NormalizePhone(s, cc string) (string, error) {
	if cc == "" {
		cc = DefaultCountryCode
	}
	var b strings.Builder
	plus := false
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		case (r == '+' || r == '＋') && i == 0:
			plus = true
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '－' || r == 'ー' || r == '　':
		default:
			return "", ErrPhone
		}
	}
	d := b.String()
	switch {
	case plus:
	case strings.HasPrefix(d, "00"):
		d = d[2:] // international prefix
	case strings.HasPrefix(d, "0"):
		d = cc + d[1:]
	default:
		return "", ErrPhone
	}
	// E.164: at most 15 digits, country code not starting with 0.
	if len(d) < 8 || len(d) > 15 || d[0] == '0' {
		return "", ErrPhone
	}
	return "+" + d, nil
}

// MaskPhone hides the middle of a phone number for display in an alert:
// "+819012345678" becomes "090-****-5678" for Japanese numbers and
// "+1 ***-***-5678"-like forms elsewhere. Only the last four digits stay.
func MaskPhone(s string) string {
	digits := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			digits = append(digits, s[i])
		}
	}
	if len(digits) <= 4 {
		return strings.Repeat("*", len(digits))
	}
	last := string(digits[len(digits)-4:])
	if strings.HasPrefix(s, "+81") && len(digits) >= 11 {
		// +81 90 1234 5678 -> 090-****-5678
		national := "0" + string(digits[2:])
		head := national[:3]
		return head + "-****-" + last
	}
	if strings.HasPrefix(s, "0") && len(digits) >= 10 {
		return string(digits[:3]) + "-****-" + last
	}
	return strings.Repeat("*", len(digits)-4) + last
}
