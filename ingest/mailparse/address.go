package mailparse

import (
	"strings"

	"github.com/scamscreen/scamscreen/event"
)

// maxAddresses bounds the addresses kept from one header.
const maxAddresses = 500

// parseAddressList parses an address header leniently. raw is the unfolded
// value, possibly with raw 8-bit or ISO-2022-JP bytes, which are decoded
// first: a Shift_JIS second byte can be a backslash or a quote, and JIS
// bytes can be any ASCII punctuation, so structure is only looked at after
// decoding. Display names are unquoted and RFC 2047-decoded (also inside
// quotes, which RFC 2047 forbids and Japanese mailers do). Pieces without an
// address are kept as name-only entries so nothing is lost; ok reports
// whether at least one address was found.
func parseAddressList(raw string, hint charsetHint) (list []event.Address, ok bool) {
	s := raw
	if has8bitString(s) || strings.IndexByte(s, 0x1b) >= 0 {
		s, _ = hint.decode([]byte(s))
	}
	pieces := splitAddresses(s)
	for i := 0; i < len(pieces) && len(list) < maxAddresses; i++ {
		p := strings.TrimSpace(pieces[i])
		if p == "" {
			continue
		}
		// "Yamada, Taro <t@example.jp>": a piece with no address and no
		// angle bracket belongs to the next one.
		if !strings.ContainsAny(p, "@<") && i+1 < len(pieces) && strings.Contains(pieces[i+1], "<") {
			pieces[i+1] = p + ", " + strings.TrimSpace(pieces[i+1])
			continue
		}
		a := parseMailbox(p, hint)
		if a.Addr == "" && a.Name == "" {
			continue
		}
		if a.Addr != "" {
			ok = true
		}
		list = append(list, a)
	}
	return list, ok
}

// splitAddresses splits at top-level commas and group syntax, honouring
// quotes, angle brackets and comments. A group's "name:" prefix and ";"
// terminator are dropped.
func splitAddresses(s string) []string {
	var out []string
	depthParen, inQuote, inAngle := 0, false, false
	lastSemi := strings.LastIndexByte(s, ';')
	start, curHasAddr := 0, false // curHasAddr: '@' or '<' seen, so a colon is no group name
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote:
			if c == '\\' {
				i++
			} else if c == '"' {
				inQuote = false
			}
		case depthParen > 0:
			switch c {
			case '\\':
				i++
			case '(':
				depthParen++
			case ')':
				depthParen--
			}
		case c == '"':
			inQuote = true
		case c == '(':
			depthParen++
		case c == '<':
			inAngle, curHasAddr = true, true
		case c == '>':
			inAngle = false
		case c == '@':
			curHasAddr = true
		case !inAngle && (c == ',' || c == ';'):
			out = append(out, s[start:i])
			start, curHasAddr = i+1, false
		case !inAngle && c == ':' && lastSemi > i && !curHasAddr:
			// Group name ("undisclosed-recipients:;"): drop it. Without the
			// ";" terminator a colon is part of a display name.
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// parseMailbox parses one "Name <addr>", "addr (Name)" or bare address.
func parseMailbox(p string, hint charsetHint) event.Address {
	var name, addr string
	if lt := indexOutsideQuotes(p, '<'); lt >= 0 {
		rest := p[lt+1:]
		gt := strings.IndexByte(rest, '>')
		if gt < 0 {
			gt = len(rest)
		}
		addr = rest[:gt]
		name = p[:lt]
		if gt < len(rest) {
			if tail := strings.TrimSpace(rest[gt+1:]); tail != "" && strings.TrimSpace(name) == "" {
				name = tail
			}
		}
	} else {
		body, comment := stripComments(p)
		body = strings.TrimSpace(body)
		if strings.Contains(body, "@") {
			addr = body
			name = comment
		} else {
			name = p
		}
	}
	return event.Address{Name: cleanName(name, hint), Addr: cleanAddr(addr)}
}

func indexOutsideQuotes(s string, c byte) int {
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && inQuote:
			i++
		case s[i] == '"':
			inQuote = !inQuote
		case s[i] == c && !inQuote:
			return i
		}
	}
	return -1
}

// stripComments removes parenthesised comments and returns the first one.
func stripComments(s string) (rest, first string) {
	if strings.IndexByte(s, '(') < 0 {
		return s, ""
	}
	var b, com strings.Builder
	depth, seen := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '(':
			depth++
			if depth == 1 {
				continue
			}
		case c == ')' && depth > 0:
			depth--
			if depth == 0 {
				seen = true
				continue
			}
		}
		if depth > 0 {
			if !seen {
				com.WriteByte(c)
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String(), com.String()
}

// cleanName unquotes a display name and decodes its encoded words.
func cleanName(n string, hint charsetHint) string {
	n = strings.TrimSpace(n)
	if n == "" {
		return ""
	}
	if strings.ContainsAny(n, "\"\\") {
		var b strings.Builder
		for i := 0; i < len(n); i++ {
			c := n[i]
			if c == '\\' && i+1 < len(n) {
				i++
				b.WriteByte(n[i])
				continue
			}
			if c == '"' {
				continue
			}
			b.WriteByte(c)
		}
		n = b.String()
	}
	if strings.HasPrefix(n, "(") && strings.HasSuffix(n, ")") {
		n = n[1 : len(n)-1]
	}
	n = cleanText(decodeWords(n, hint))
	return strings.Join(strings.Fields(n), " ")
}

// cleanAddr strips what surrounds an address in the wild: blanks, quotes
// around the whole thing, a source route ("@relay:user@host") and a
// "mailto:" prefix.
func cleanAddr(a string) string {
	a = strings.TrimSpace(a)
	if a == "" {
		return ""
	}
	a, _ = stripComments(a)
	a = strings.Join(strings.Fields(a), "")
	a = strings.Trim(a, "'<>")
	if strings.HasPrefix(strings.ToLower(a), "mailto:") {
		a = a[len("mailto:"):]
	}
	if strings.HasPrefix(a, "@") {
		if i := strings.IndexByte(a, ':'); i >= 0 {
			a = a[i+1:]
		}
	}
	if len(a) >= 2 && a[0] == '"' && a[len(a)-1] == '"' && strings.Count(a, "\"") == 2 && !strings.Contains(a, "@\"") {
		a = a[1 : len(a)-1]
	}
	return cleanText(a)
}
