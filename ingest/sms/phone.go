package sms

import "strings"

// maxNumberInput bounds the input Normalize looks at: a phone number,
// however it is spaced and punctuated, is far shorter.
const maxNumberInput = 64

// Normalize returns the E.164 form ("+819012345678") of a phone number
// written the ways Japanese people and SMS providers write them, and false
// when s is not a phone number it can place (an alphanumeric sender id, a
// short code, digits without a country or trunk prefix).
//
// Accepted forms:
//   - E.164 and other international forms: "+81 90-1234-5678",
//     "+81 (0)90 1234 5678" (the trunk 0 after +81 is dropped),
//     "0081-90-1234-5678", and the Japanese international call prefix
//     "010-1-650-555-1212".
//   - Japanese national numbers with the trunk prefix 0, 10 or 11 digits:
//     "090-1234-5678", "03-1234-5678", "0120-123-456", "050 1234 5678".
//   - Full-width digits and plus sign ("０９０－１２３４－５６７８"), and as
//     separators spaces (also U+3000), hyphens and dashes of every width
//     (also the long-vowel mark ー, a common stand-in), dots and round
//     brackets.
//
// Anything else (letters, other symbols, a '+' after the first digit) makes
// s not a number. Normalize is pure, allocates only its result, and
// Normalize of its own output returns that output.
func Normalize(s string) (string, bool) {
	if len(s) > maxNumberInput*3 { // up to three bytes per full-width rune
		return "", false
	}
	var buf [maxNumberInput]byte
	n := 0
	plus := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			if n == len(buf) {
				return "", false
			}
			buf[n] = byte(r)
			n++
		case r >= '０' && r <= '９':
			if n == len(buf) {
				return "", false
			}
			buf[n] = byte(r-'０') + '0'
			n++
		case r == '+' || r == '＋':
			if plus || n > 0 {
				return "", false
			}
			plus = true
		case isSeparator(r):
		default:
			return "", false
		}
	}
	d := string(buf[:n])
	switch {
	case plus:
		return international(d)
	case strings.HasPrefix(d, "00"):
		return international(d[2:])
	case strings.HasPrefix(d, "010"): // the international call prefix from Japan
		return international(d[3:])
	case strings.HasPrefix(d, "0"):
		return national(d)
	}
	return "", false
}

// isSeparator reports whether r may stand between the digit groups of a
// written number.
func isSeparator(r rune) bool {
	switch r {
	case ' ', '\t', '\u3000', // spaces, ideographic space
		'-', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212', // hyphens, dashes, minus
		'\uFF0D', '\uFF70', '\u30FC', // full-width hyphen-minus, half- and full-width long vowel mark
		'.', '\uFF0E', '(', ')', '\uFF08', '\uFF09':
		return true
	}
	return false
}

// international turns the digits after '+' (country code first) into
// E.164. A Japanese number may carry its trunk 0 after the country code.
func international(d string) (string, bool) {
	if rest, ok := strings.CutPrefix(d, "81"); ok {
		rest = strings.TrimPrefix(rest, "0")
		if len(rest) < 9 || len(rest) > 10 || rest[0] == '0' {
			return "", false
		}
		return "+81" + rest, true
	}
	if len(d) < 7 || len(d) > 15 || d[0] == '0' {
		return "", false
	}
	return "+" + d, true
}

// national turns a Japanese number with its trunk 0 into E.164.
func national(d string) (string, bool) {
	if len(d) < 10 || len(d) > 11 || d[1] == '0' {
		return "", false
	}
	return "+81" + d[1:], true
}

// address returns what a message records for a party: the E.164 form of a
// phone number, or the trimmed text of anything else (an alphanumeric
// sender id such as "Amazon").
func address(raw string) string {
	if n, ok := Normalize(raw); ok {
		return n
	}
	return strings.TrimSpace(raw)
}
