package mailparse

import (
	"errors"
	"fmt"
	"strings"

	"github.com/scamscreen/scamscreen/event"
)

// ErrAuthResults reports an Authentication-Results value that does not
// follow RFC 8601. ParseAuthResults wraps it.
var ErrAuthResults = errors.New("malformed Authentication-Results")

// Limits for one Authentication-Results value.
const (
	maxAuthResultsBytes = 64 << 10
	maxDKIMResults      = 32
)

// ParseAuthResults reads the value of one Authentication-Results header
// (RFC 8601): the authserv-id, then "method=result" entries separated by
// ";" with their properties, e.g.
//
//	mx.example.jp; spf=pass smtp.mailfrom=bank.example;
//	  dkim=pass header.d=bank.example; dmarc=pass header.from=bank.example
//
// Comments in parentheses, folded lines, quoted values, method versions
// ("dkim/1"), blanks around "=" and several dkim results are understood.
// Results and domains are lower-cased; "hardfail" reads as "fail". Only
// spf, dkim and dmarc are kept; other methods are skipped.
//
// It returns what it could read. err wraps [ErrAuthResults] when the value
// is empty or has no authserv-id; the Auth is then nil for an empty value
// and holds the readable results otherwise. Errors never quote the value.
func ParseAuthResults(value string) (*event.Auth, error) {
	if len(value) > maxAuthResultsBytes {
		value = value[:maxAuthResultsBytes]
	}
	v := strings.TrimSpace(unfold([]byte(toValid([]byte(value)))))
	v, _ = stripCommentsQuoted(v)
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, fmt.Errorf("authentication results: empty value: %w", ErrAuthResults)
	}
	segs := splitOutsideQuotes(v, ';')
	a := &event.Auth{}
	var err error
	first := strings.TrimSpace(segs[0])
	if first == "" || looksLikeResult(first) {
		err = fmt.Errorf("authentication results: no authserv-id: %w", ErrAuthResults)
	} else {
		f := fieldsOutsideQuotes(normaliseEquals(first))
		a.AuthServ = strings.ToLower(unquote(f[0]))
		segs = segs[1:]
		// "mx.example.jp spf=pass ...": the ";" after the id is missing.
		if len(f) > 1 && strings.Contains(f[len(f)-1], "=") {
			rest := f[1:]
			if !strings.Contains(rest[0], "=") {
				rest = rest[1:] // the authres-version
			}
			if len(rest) > 0 {
				applyResInfo(a, strings.Join(rest, " "))
			}
		}
	}
	for _, seg := range segs {
		applyResInfo(a, seg)
	}
	return a, err
}

// looksLikeResult reports whether s starts with "method=" rather than an
// authserv-id (a server that left the id out).
func looksLikeResult(s string) bool {
	f := fieldsOutsideQuotes(normaliseEquals(s))
	if len(f) == 0 {
		return false
	}
	k, _, ok := strings.Cut(f[0], "=")
	if !ok {
		return false
	}
	switch methodName(k) {
	case "spf", "dkim", "dmarc", "arc", "iprev", "auth", "domainkeys", "sender-id", "dkim-adsp", "bimi", "x-tls":
		return true
	}
	return false
}

// applyResInfo reads one "method=result prop=value ..." entry into a.
func applyResInfo(a *event.Auth, seg string) {
	f := fieldsOutsideQuotes(normaliseEquals(seg))
	if len(f) == 0 {
		return
	}
	k, res, ok := strings.Cut(f[0], "=")
	if !ok {
		return // "none", or noise
	}
	method := methodName(k)
	res = normResult(unquote(res))
	if res == "" {
		return
	}
	props := make(map[string]string, len(f)-1)
	for _, p := range f[1:] {
		pk, pv, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		pk = strings.ToLower(strings.ReplaceAll(pk, " ", ""))
		if _, dup := props[pk]; !dup {
			props[pk] = unquote(pv)
		}
	}
	switch method {
	case "spf":
		if a.SPF == "" {
			a.SPF = res
			a.SPFDomain = domainOf(props["smtp.mailfrom"])
		}
	case "dkim":
		if len(a.DKIM) >= maxDKIMResults {
			return
		}
		d := strings.ToLower(strings.TrimSpace(props["header.d"]))
		if d == "" {
			d = domainOf(props["header.i"])
		}
		a.DKIM = append(a.DKIM, event.DKIMResult{Result: res, Domain: d})
	case "dmarc":
		if a.DMARC == "" {
			a.DMARC = res
			a.DMARCDomain = domainOf(props["header.from"])
		}
	}
}

func methodName(k string) string {
	k = strings.ToLower(strings.TrimSpace(k))
	if i := strings.IndexByte(k, '/'); i >= 0 {
		k = k[:i]
	}
	return k
}

func normResult(r string) string {
	r = strings.ToLower(strings.TrimSpace(r))
	if r == "hardfail" {
		return "fail"
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !(c >= 'a' && c <= 'z' || c == '-' || c == '_' || c >= '0' && c <= '9') {
			return ""
		}
	}
	return r
}

// domainOf returns the lower-cased domain of "user@domain", "@domain" or
// "domain".
func domainOf(v string) string {
	v = strings.TrimSpace(unquote(v))
	if i := strings.LastIndexByte(v, '@'); i >= 0 {
		v = v[i+1:]
	}
	v = strings.Trim(v, "<>. ")
	return strings.ToLower(v)
}

// normaliseEquals removes blanks around "=" and "." in ptype.property
// outside quotes, so "dkim = pass header . d = x" tokenises like
// "dkim=pass header.d=x".
func normaliseEquals(s string) string {
	if !strings.Contains(s, " =") && !strings.Contains(s, "= ") && !strings.Contains(s, "\t") {
		return s
	}
	var b strings.Builder
	inQuote := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' {
			inQuote = !inQuote
		}
		if !inQuote && (c == ' ' || c == '\t') {
			j := i
			for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
				j++
			}
			prev := byte(0)
			if b.Len() > 0 {
				prev = b.String()[b.Len()-1]
			}
			if (j < len(s) && s[j] == '=') || prev == '=' {
				i = j - 1
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// stripCommentsQuoted removes (nested) comments outside quoted strings.
func stripCommentsQuoted(s string) (string, bool) {
	if strings.IndexByte(s, '(') < 0 {
		return s, false
	}
	var b strings.Builder
	depth, inQuote, had := 0, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote:
			if c == '\\' && i+1 < len(s) {
				b.WriteByte(c)
				i++
				c = s[i]
			} else if c == '"' {
				inQuote = false
			}
		case c == '\\' && depth > 0:
			i++
			continue
		case c == '(':
			depth++
			had = true
			continue
		case c == ')' && depth > 0:
			depth--
			if depth == 0 {
				b.WriteByte(' ')
			}
			continue
		case depth > 0:
			continue
		case c == '"':
			inQuote = true
		}
		b.WriteByte(c)
	}
	return b.String(), had
}

func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	inQuote, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && inQuote:
			i++
		case s[i] == '"':
			inQuote = !inQuote
		case s[i] == sep && !inQuote:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func fieldsOutsideQuotes(s string) []string {
	var out []string
	inQuote, start := false, -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		blank := (c == ' ' || c == '\t') && !inQuote
		if c == '\\' && inQuote {
			i++
			continue
		}
		if c == '"' {
			inQuote = !inQuote
		}
		if blank {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
		if strings.IndexByte(s, '\\') >= 0 {
			var b strings.Builder
			for i := 0; i < len(s); i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			s = b.String()
		}
	}
	return s
}
