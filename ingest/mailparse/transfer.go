package mailparse

import (
	"bytes"
	"strings"
)

// Transfer encodings, after normalisation.
const (
	cteIdentity = iota // 7bit, 8bit, binary, none
	cteBase64
	cteQP
	cteUnknown // decoded as identity, and reported
)

// transferEncoding normalises a Content-Transfer-Encoding value, accepting
// the misspellings mailers produce.
func transferEncoding(v string) int {
	s := strings.ToLower(strings.Trim(strings.TrimSpace(v), "\"'; \t"))
	if i := strings.IndexAny(s, " \t;("); i >= 0 {
		s = s[:i]
	}
	switch s {
	case "", "7bit", "8bit", "binary", "7-bit", "8-bit", "none", "plain", "text", "7bits", "8bits":
		return cteIdentity
	case "base64", "base-64", "b64", "b":
		return cteBase64
	case "quoted-printable", "quotedprintable", "quoted_printable", "qp", "q":
		return cteQP
	}
	return cteUnknown
}

// Base64 alphabet lookup: 0–63 for digits, and markers for the rest.
const (
	b64Pad     = -3
	b64Space   = -2
	b64Invalid = -1
)

var b64Table = func() (t [256]int8) {
	for i := range t {
		t[i] = b64Invalid
	}
	const std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(std); i++ {
		t[std[i]] = int8(i)
	}
	t['='] = b64Pad
	for _, c := range []byte(" \t\r\n\f\v") {
		t[c] = b64Space
	}
	return t
}()

// appendBase64 decodes src leniently and appends the bytes to dst, which
// it lets grow to at most limit bytes: characters outside the alphabet are
// skipped and counted in bad, padding may occur mid-stream (concatenated
// encodings), and a final partial quantum yields the bytes it holds.
// truncated reports output dropped at the limit.
func appendBase64(dst, src []byte, limit int) (out []byte, bad int, truncated bool) {
	var quad uint32
	q := 0
	for _, c := range src {
		v := b64Table[c]
		if v >= 0 {
			quad = quad<<6 | uint32(v)
			q++
			if q == 4 {
				if len(dst)+3 > limit {
					t := [3]byte{byte(quad >> 16), byte(quad >> 8), byte(quad)}
					return append(dst, t[:limit-len(dst)]...), bad, true
				}
				dst = append(dst, byte(quad>>16), byte(quad>>8), byte(quad))
				quad, q = 0, 0
			}
			continue
		}
		switch v {
		case b64Space:
		case b64Pad:
			if dst, truncated = appendPartial(dst, quad, q, limit, &bad); truncated {
				return dst, bad, true
			}
			quad, q = 0, 0
		default:
			bad++
		}
	}
	dst, truncated = appendPartial(dst, quad, q, limit, &bad)
	return dst, bad, truncated
}

// appendPartial appends the bytes a partial quantum of q characters holds.
func appendPartial(dst []byte, quad uint32, q, limit int, bad *int) ([]byte, bool) {
	var b []byte
	switch q {
	case 1:
		*bad++
	case 2:
		b = []byte{byte(quad >> 4)}
	case 3:
		b = []byte{byte(quad >> 10), byte(quad >> 2)}
	}
	if len(dst)+len(b) > limit {
		return append(dst, b[:limit-len(dst)]...), true
	}
	return append(dst, b...), false
}

// base64Size returns the length appendBase64 would produce, without
// producing it: attachments are measured, never held.
func base64Size(src []byte) int64 {
	var n int64
	q := 0
	for _, c := range src {
		switch v := b64Table[c]; {
		case v >= 0:
			q++
			if q == 4 {
				n += 3
				q = 0
			}
		case v == b64Pad:
			n += partialBytes(q)
			q = 0
		}
	}
	return n + partialBytes(q)
}

func partialBytes(q int) int64 {
	if q >= 2 {
		return int64(q - 1)
	}
	return 0
}

// appendQP decodes quoted-printable leniently and appends to dst, up to
// limit bytes: "=XX" in either case, soft line breaks with or without
// trailing blanks, and any other "=" kept as it is.
func appendQP(dst, src []byte, limit int) (out []byte, truncated bool) {
	for i := 0; i < len(src); i++ {
		c, skip := qpByte(src, i)
		i += skip
		if c < 0 {
			continue
		}
		if len(dst) >= limit {
			return dst, true
		}
		dst = append(dst, byte(c))
	}
	return dst, false
}

// qpSize returns the length appendQP would produce.
func qpSize(src []byte) int64 {
	var n int64
	for i := 0; i < len(src); i++ {
		c, skip := qpByte(src, i)
		i += skip
		if c >= 0 {
			n++
		}
	}
	return n
}

// qpByte decodes the quoted-printable input at src[i]: the byte it stands
// for (-1 for a soft line break) and how many further input bytes it used.
func qpByte(src []byte, i int) (c int, skip int) {
	if src[i] != '=' {
		return int(src[i]), 0
	}
	if i+2 < len(src) && isHex(src[i+1]) && isHex(src[i+2]) {
		return int(unhex(src[i+1])<<4 | unhex(src[i+2])), 2
	}
	// Soft line break: "=" then optional blanks then a line end (or the end).
	j := i + 1
	for j < len(src) && (src[j] == ' ' || src[j] == '\t') {
		j++
	}
	switch {
	case j == len(src):
		return -1, j - 1 - i
	case src[j] == '\n':
		return -1, j - i
	case src[j] == '\r':
		if j+1 < len(src) && src[j+1] == '\n' {
			j++
		}
		return -1, j - i
	}
	return '=', 0
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// base64End returns where the base64 data of a body ends. Mailing lists
// append clear-text footers to base64 bodies; read as base64 they turn
// into garbage. The data ends at a blank or padded line, or at a line that
// is not base64, when the next non-blank line is not base64 either. A
// stray bad line inside the data (corruption) does not end it.
func base64End(b []byte) int {
	seen := false
	for pos := 0; pos < len(b); {
		line, next := nextLine(b, pos)
		t := bytes.TrimSpace(line)
		switch {
		case len(t) == 0:
			if seen && !nextLineIsBase64(b[next:]) {
				return next
			}
		case isBase64Line(t):
			seen = true
			if t[len(t)-1] == '=' && !nextLineIsBase64(b[next:]) {
				return next
			}
		default:
			if seen && !nextLineIsBase64(b[next:]) {
				return pos
			}
		}
		pos = next
	}
	return len(b)
}

// isBase64Line reports whether a trimmed line is base64 data: alphabet
// characters, padding only at the end.
func isBase64Line(t []byte) bool {
	pad := false
	for _, c := range t {
		v := b64Table[c]
		switch {
		case v == b64Pad:
			pad = true
		case v >= 0 && !pad:
		default:
			return false
		}
	}
	return true
}

// nextLineIsBase64 reports whether the first non-blank line of b is base64
// data; at the end of b it reports false.
func nextLineIsBase64(b []byte) bool {
	for pos := 0; pos < len(b); {
		line, next := nextLine(b, pos)
		if t := bytes.TrimSpace(line); len(t) > 0 {
			return isBase64Line(t)
		}
		pos = next
	}
	return false
}
