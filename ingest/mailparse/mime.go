package mailparse

import (
	"bytes"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// entity decodes one MIME entity and returns its text pieces. Links and
// attachments are recorded on p as they are met.
func (p *parser) entity(h header, body []byte, path string, depth int, defType string) []piece {
	p.parts++
	if p.parts > maxParts {
		p.issue(issueTooManyParts)
		return nil
	}
	typ, params := defType, map[string]string{}
	if v, ok := h.get("Content-Type"); ok {
		typ, params = parseMediaValue(unfoldCapped(v), p.hint)
		typ = repairMediaType(typ, params, defType)
	}
	if p.hint.label == "" {
		if k, norm := resolveCharset(params["charset"]); k != csNone && k != csASCII {
			p.hint = charsetHint{kind: k, label: norm}
		}
	}
	disp, dparams := "", map[string]string{}
	if v, ok := h.get("Content-Disposition"); ok {
		disp, dparams = parseMediaValue(unfoldCapped(v), p.hint)
	}
	cte := transferEncoding(h.getString("Content-Transfer-Encoding"))
	attached := strings.HasPrefix(disp, "attachment")

	switch {
	case strings.HasPrefix(typ, "multipart/"):
		if depth >= maxDepth {
			p.issue(partIssue(path, issueTooDeep))
			return nil
		}
		return p.multipart(typ, params["boundary"], body, path, depth)
	case typ == "message/rfc822" || typ == "message/global":
		if depth >= maxDepth {
			p.issue(partIssue(path, issueTooDeep))
			return nil
		}
		inner := body
		if cte == cteBase64 || cte == cteQP {
			inner, _ = p.transfer(cte, body, len(body), path)
		}
		if attached {
			p.attachment(typ, params, dparams, cte, body)
		}
		hb := readHeader(inner, false)
		p.headerIssues(hb, path)
		return p.entity(hb.h, hb.body, path, depth+1, "text/plain")
	case typ == "text/html":
		if attached {
			p.attachment(typ, params, dparams, cte, body)
			return nil
		}
		return p.htmlPart(params, cte, body, path)
	case strings.HasPrefix(typ, "text/") || typ == "message/delivery-status" || typ == "message/disposition-notification":
		if attached || (typ != "text/plain" && disp != "inline" && (params["name"] != "" || dparams["filename"] != "")) {
			p.attachment(typ, params, dparams, cte, body)
			return nil
		}
		return p.textPart(params, cte, body, path)
	}
	p.attachment(typ, params, dparams, cte, body)
	return nil
}

// repairMediaType returns a usable media type for a malformed one: RFC 2045
// says an invalid Content-Type means text/plain, but "html" alone or a
// multipart missing its subtype are clear enough to keep.
func repairMediaType(typ string, params map[string]string, def string) string {
	if i := strings.IndexByte(typ, '/'); i > 0 && i < len(typ)-1 {
		return typ
	}
	switch {
	case typ == "":
		return def
	case strings.Contains(typ, "html"):
		return "text/html"
	case strings.HasPrefix(typ, "multipart") && params["boundary"] != "":
		return "multipart/mixed"
	}
	return "text/plain"
}

// multipart splits a multipart body and decodes its parts.
func (p *parser) multipart(typ, boundary string, body []byte, path string, depth int) []piece {
	parts, closed, found := splitMultipart(body, boundary)
	if !found {
		if g := guessBoundary(body); g != "" && g != boundary {
			parts, closed, found = splitMultipart(body, g)
		}
		if !found {
			p.issue(partIssue(path, issueNoBoundary))
			return p.rawPieces(body, path)
		}
		p.issue(partIssue(path, issueBoundaryGuessed))
	}
	if !closed {
		p.issue(partIssue(path, issueUnclosed))
	}
	childType := "text/plain"
	if typ == "multipart/digest" {
		childType = "message/rfc822"
	}
	children := make([][]piece, 0, len(parts))
	for i, part := range parts {
		cp := strconv.Itoa(i + 1)
		if path != "" {
			cp = path + "." + cp
		}
		hb := readHeader(part, false)
		p.headerIssues(hb, cp)
		children = append(children, p.entity(hb.h, hb.body, cp, depth+1, childType))
	}
	if typ == "multipart/alternative" {
		return p.chooseAlternative(children)
	}
	var out []piece
	for _, c := range children {
		out = append(out, c...)
	}
	return out
}

// chooseAlternative prefers the plain alternative unless it is empty or a
// stub ("view this mail in HTML") next to a much longer HTML one.
func (p *parser) chooseAlternative(children [][]piece) []piece {
	plain, htm := -1, -1
	plainRunes, htmlRunes := 0, 0
	for i, c := range children {
		hasPlain, hasHTML, n := false, false, 0
		for _, pc := range c {
			if strings.TrimSpace(pc.text) == "" {
				continue
			}
			n += utf8.RuneCountInString(pc.text)
			if pc.html {
				hasHTML = true
			} else {
				hasPlain = true
			}
		}
		if hasPlain && !hasHTML && plain < 0 {
			plain, plainRunes = i, n
		}
		if hasHTML {
			htm, htmlRunes = i, n
		}
	}
	pick := -1
	switch {
	case plain >= 0 && htm >= 0:
		pick = plain
		if plainRunes < 40 && htmlRunes > 2*plainRunes || plainRunes < 300 && htmlRunes > 4*plainRunes {
			pick = htm
		}
	case plain >= 0:
		pick = plain
	case htm >= 0:
		pick = htm
	default:
		for i, c := range children {
			if len(c) > 0 {
				pick = i
				break
			}
		}
	}
	if pick < 0 {
		return nil
	}
	if pick == plain && htm >= 0 && !sameText(children[plain], children[htm]) {
		// Mail clients show the HTML. A harmless plain part next to an HTML
		// lure must not hide the lure: screen both.
		return append(append([]piece(nil), children[plain]...), children[htm]...)
	}
	for i, c := range children {
		if i != pick {
			for _, pc := range c {
				p.textLeft += len(pc.text) // give the unused alternative's budget back
			}
		}
	}
	return children[pick]
}

// shingleRunes is the size of the character n-grams sameText compares.
const shingleRunes = 4

// sameText reports whether the HTML alternative says what the plain one
// says: at least 80% of the HTML text's 4-character shingles (letters and
// digits only, case folded) occur in the plain text. Only the first 64 KB
// of each are compared.
func sameText(plain, htm []piece) bool {
	p, h := letters(plain), letters(htm)
	if len(h) < shingleRunes {
		return true
	}
	if len(p) < shingleRunes {
		return false
	}
	seen := make(map[[shingleRunes]rune]struct{}, len(p))
	var k [shingleRunes]rune
	for i := 0; i+shingleRunes <= len(p); i++ {
		copy(k[:], p[i:i+shingleRunes])
		seen[k] = struct{}{}
	}
	total, hit := 0, 0
	for i := 0; i+shingleRunes <= len(h); i++ {
		copy(k[:], h[i:i+shingleRunes])
		total++
		if _, ok := seen[k]; ok {
			hit++
		}
	}
	return hit*5 >= total*4
}

// letters returns the letters and digits of the pieces' text, lower-cased,
// up to 64 KB of runes.
func letters(ps []piece) []rune {
	var out []rune
	for _, pc := range ps {
		for _, r := range pc.text {
			if len(out) >= 64<<10 {
				return out
			}
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				out = append(out, unicode.ToLower(r))
			}
		}
	}
	return out
}

// splitMultipart cuts body at "--boundary" delimiter lines. found reports
// whether any delimiter was seen; closed whether the close delimiter was.
// Parts are sub-slices of body without the line break that belongs to the
// following delimiter.
func splitMultipart(body []byte, boundary string) (parts [][]byte, closed, found bool) {
	if boundary == "" {
		return nil, false, false
	}
	delim := []byte("--" + boundary)
	start := -1
	for i := 0; i < len(body); {
		j := bytes.Index(body[i:], delim)
		if j < 0 {
			break
		}
		at := i + j
		i = at + len(delim)
		if at > 0 && body[at-1] != '\n' {
			continue
		}
		rest := body[at+len(delim):]
		closing := bytes.HasPrefix(rest, []byte("--"))
		if closing {
			rest = rest[2:]
		}
		k := 0
		for k < len(rest) && (rest[k] == ' ' || rest[k] == '\t') {
			k++
		}
		if k < len(rest) && rest[k] != '\r' && rest[k] != '\n' {
			continue // a longer boundary that starts like ours
		}
		found = true
		lineEnd := len(body) - len(rest) + k
		if lineEnd < len(body) && body[lineEnd] == '\r' {
			lineEnd++
		}
		if lineEnd < len(body) && body[lineEnd] == '\n' {
			lineEnd++
		}
		if start >= 0 {
			end := at
			if end > start && body[end-1] == '\n' {
				end--
				if end > start && body[end-1] == '\r' {
					end--
				}
			}
			parts = append(parts, body[start:end])
			if len(parts) >= maxParts {
				return parts, true, true
			}
		}
		if closing {
			return parts, true, true
		}
		start = lineEnd
		i = lineEnd
	}
	if start >= 0 {
		parts = append(parts, body[start:])
	}
	return parts, false, found
}

// guessBoundary finds a delimiter-looking line ("--something") followed
// by a Content- field, for multiparts whose boundary parameter is missing
// or does not match the body.
func guessBoundary(body []byte) string {
	limit := min(len(body), 1<<20)
	for pos := 0; pos < limit; {
		line, next := nextLine(body, pos)
		if len(line) > 3 && len(line) < 200 && line[0] == '-' && line[1] == '-' {
			cand := bytes.TrimRight(line[2:], " \t")
			if len(cand) > 0 && next < len(body) {
				l2, _ := nextLine(body, next)
				if name, _, ok := fieldLine(l2); ok && strings.HasPrefix(strings.ToLower(string(name)), "content-") {
					return string(cand)
				}
			}
		}
		pos = next
	}
	return ""
}
